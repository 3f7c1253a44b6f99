"""Dataset readers on files written here in the real formats, the real Fashion-MNIST when present,
downloads from local URLs (never the network), the DataLoader and the batch transforms."""
import gzip
import os
import pathlib
import tarfile
import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn.data import ArrayDataset, DataLoader, compute_mean_std, datasets, transforms as T
from minicnn.data.download import download

REAL_FASHION = pathlib.Path("/usr/share/datasets/fashion-mnist")


def write_idx(path, array, gz=False):
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.tobytes()
    if gz:
        data = gzip.compress(data)
    pathlib.Path(path).write_bytes(data)


def fake_mnist(root, n_train=64, n_test=32, gz=False):
    rs = np.random.default_rng(0)
    os.makedirs(root, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rs.integers(0, 10, n)
        images = rs.integers(0, 50, (n, 28, 28))
        images[np.arange(n), labels * 2, :] = 255        # a learnable pattern: a bright row per class
        sfx = ".gz" if gz else ""
        write_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte{sfx}"), images, gz)
        write_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte{sfx}"), labels, gz)
    return root


@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader(tmp_path, gz):
    fake_mnist(tmp_path, gz=gz)
    ds = datasets.MNIST(root=tmp_path, train=False, download=False, verify=False)
    assert len(ds) == 32 and ds.images.shape == (32, 28, 28, 1) and ds.images.dtype == np.uint8
    x, y = ds.get_batch(np.arange(4))
    assert x.shape == (4, 1, 28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.dtype == np.int64


def test_truncated_or_altered_files_are_never_used(tmp_path):
    fake_mnist(tmp_path, gz=True)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        datasets.MNIST(root=tmp_path, train=False, download=False, verify=False)
    fake_mnist(tmp_path, gz=True)
    with pytest.raises(ValueError, match="pinned"):                     # not the official bytes
        datasets.FashionMNIST(root=tmp_path, train=False, download=False)


@pytest.mark.skipif(not REAL_FASHION.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fashion_mnist():
    train, test = datasets.FashionMNIST(train=True, download=False), datasets.FashionMNIST(train=False, download=False)
    assert (len(train), len(test)) == (60000, 10000)
    assert train.classes[9] == "Ankle boot" and np.bincount(test.targets).tolist() == [1000] * 10
    assert train.images.shape == (60000, 28, 28, 1)


def test_missing_files_error_lists_every_place(tmp_path, monkeypatch):
    monkeypatch.setenv("MINICNN_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if os.path.exists("/usr/share/datasets/mnist"):
        pytest.skip("MNIST is installed system-wide here")
    with pytest.raises(FileNotFoundError) as err:
        datasets.MNIST(root=tmp_path / "explicit", download=False)
    msg = str(err.value)
    for place in (tmp_path / "explicit", tmp_path / "env" / "mnist", tmp_path / "cache" / "minicnn" / "mnist",
                  "/usr/share/datasets/mnist"):
        assert str(place) in msg
    assert "Download" in msg


def test_download_checks_the_hash_and_writes_atomically(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"minicnn" * 1000)
    import hashlib
    good = hashlib.sha256(src.read_bytes()).hexdigest()
    dest = tmp_path / "out" / "file.bin"
    with pytest.raises(ValueError, match="truncated or corrupt"):
        download(src.as_uri(), dest, sha256="0" * 64, progress=False)
    assert not dest.exists() and os.listdir(tmp_path / "out") == []
    download(src.as_uri(), dest, sha256=good, progress=False)
    assert dest.read_bytes() == src.read_bytes()


def write_cifar(folder, files, n, label_bytes, classes):
    rs = np.random.default_rng(1)
    os.makedirs(folder, exist_ok=True)
    for f in files:
        labels = rs.integers(0, classes, (n, label_bytes))
        pixels = rs.integers(0, 256, (n, 3072))
        np.concatenate([labels, pixels], axis=1).astype(np.uint8).tofile(os.path.join(folder, f))


def test_cifar10_binary_format(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    write_cifar(folder, [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"], 7, 1, 10)
    (folder / "batches.meta.txt").write_text("\n".join(datasets.CIFAR10_CLASSES) + "\n\n")
    train = datasets.CIFAR10(root=tmp_path, train=True, download=False)
    test = datasets.CIFAR10(root=tmp_path, train=False, download=False)
    assert (len(train), len(test)) == (35, 7) and train.classes[0] == "airplane"
    raw = np.fromfile(folder / "test_batch.bin", np.uint8).reshape(7, 3073)
    assert test.targets.tolist() == raw[:, 0].tolist()
    np.testing.assert_array_equal(test.images[2, :, :, 0], raw[2, 1:1025].reshape(32, 32))     # red plane
    np.testing.assert_array_equal(test.images[2, :, :, 2], raw[2, 2049:].reshape(32, 32))      # blue plane
    with open(folder / "test_batch.bin", "ab") as f:
        f.write(b"\0" * 10)
    with pytest.raises(ValueError, match="whole number"):
        datasets.CIFAR10(root=tmp_path, train=False, download=False)


def test_cifar100_fine_labels_and_archive_checksum(tmp_path):
    folder = tmp_path / "cifar-100-binary"
    write_cifar(folder, ["train.bin", "test.bin"], 5, 2, 100)
    ds = datasets.CIFAR100(root=tmp_path, train=False, download=False)
    raw = np.fromfile(folder / "test.bin", np.uint8).reshape(5, 3074)
    assert ds.targets.tolist() == raw[:, 1].tolist() and len(ds.classes) == 100
    other = tmp_path / "archive"
    os.makedirs(other)
    with tarfile.open(other / "cifar-100-binary.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname="cifar-100-binary")
    with pytest.raises(ValueError, match="pinned MD5"):            # not the official archive
        datasets.CIFAR100(root=other, train=False, download=False)


def test_image_folder_skips_corrupt_files_with_one_warning(tmp_path):
    from PIL import Image
    rs = np.random.default_rng(2)
    for cls, n in (("cats", 3), ("dogs", 2)):
        os.makedirs(tmp_path / cls)
        for i in range(n):
            Image.fromarray(rs.integers(0, 256, (20 + i, 30, 3), dtype=np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "dogs" / "broken.jpg").write_bytes(b"not an image at all")
    (tmp_path / "dogs" / "notes.txt").write_text("ignored")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = datasets.ImageFolder(tmp_path, target_size=(16, 24))
    assert len(caught) == 1 and "broken.jpg" in str(caught[0].message)
    assert ds.classes == ["cats", "dogs"] and ds.class_to_idx == {"cats": 0, "dogs": 1} and len(ds) == 5
    x, y = ds.get_batch([0, 4])
    assert x.shape == (2, 3, 16, 24) and y.tolist() == [0, 1]
    with pytest.raises(ValueError, match="target_size"):
        datasets.ImageFolder(tmp_path).get_batch([0, 1])


def test_dataloader_shuffles_reproducibly_and_covers_every_sample():
    ds = ArrayDataset(np.arange(50, dtype=np.float32)[:, None], np.arange(50))
    a = [y.numpy().tolist() for _, y in DataLoader(ds, batch_size=8, shuffle=True, seed=3)]
    b = [y.numpy().tolist() for _, y in DataLoader(ds, batch_size=8, shuffle=True, seed=3)]
    assert a == b and sorted(sum(a, [])) == list(range(50)) and len(a) == 7 and len(a[-1]) == 2
    loader = DataLoader(ds, batch_size=8, shuffle=True, seed=3, drop_last=True)
    assert len(loader) == 6 and all(len(y) == 8 for _, y in loader)
    state = loader.state_dict()
    first = [y.numpy().tolist() for _, y in loader]
    loader.load_state_dict(state)
    assert [y.numpy().tolist() for _, y in loader] == first
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert isinstance(x, mc.Tensor) and x.dtype == np.float32 and y.numpy().tolist() == [0, 1, 2, 3]


def test_transforms_on_batches():
    rs = np.random.default_rng(4)
    img = rs.integers(0, 256, (6, 8, 8, 3), dtype=np.uint8)
    x = T.ToTensor().apply_batch(img)
    assert x.shape == (6, 3, 8, 8) and x.dtype == np.float32
    np.testing.assert_allclose(x[1, 2], img[1, :, :, 2] / 255, rtol=1e-6)
    n = T.Normalize([0.5, 0.4, 0.3], [0.2, 0.2, 0.1]).apply_batch(x)
    np.testing.assert_allclose(n[:, 2], (x[:, 2] - 0.3) / 0.1, rtol=1e-5)
    mc.manual_seed(0)
    crop = T.RandomCrop(8, padding=2).apply_batch(x)
    pad = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for i in range(6):                       # every crop is a real window of the padded image
        assert any(np.array_equal(crop[i], pad[i, :, r:r + 8, c:c + 8]) for r in range(5) for c in range(5))
    flipped = T.RandomHorizontalFlip(p=1.0).apply_batch(x)
    np.testing.assert_array_equal(flipped, x[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0).apply_batch(x), x)
    assert T.CenterCrop(4).apply_batch(x).shape == (6, 3, 4, 4)
    r = T.Resize(16).apply_batch(x)
    assert r.shape == (6, 3, 16, 16) and abs(r.mean() - x.mean()) < 0.02


def test_random_crop_channels_last_pads_once():
    """The CIFAR recipe on H x W x C images: every crop is a window of the image padded by 4, not 8."""
    rs = np.random.default_rng(8)
    img = rs.integers(1, 256, (40, 10, 12, 3), dtype=np.uint8)     # no zeros: padding is recognisable
    mc.manual_seed(1)
    crop = T.RandomCrop((10, 12), padding=4)
    batch, single = crop.apply_batch(img), np.stack([crop(im) for im in img])
    pad = np.pad(img, ((0, 0), (4, 4), (4, 4), (0, 0)))
    for crops in (batch, single):
        assert crops.shape == (40, 10, 12, 3)
        seen = set()
        for i in range(len(img)):
            offs = [(r, c) for r in range(9) for c in range(9)
                    if np.array_equal(crops[i], pad[i, r:r + 10, c:c + 12])]
            assert offs, f"crop {i} is no window of the image padded by 4"
            seen.update(offs)
        assert len({r for r, _ in seen}) >= 5            # offsets spread over the 9 possible rows


def test_compute_mean_std():
    rs = np.random.default_rng(5)
    img = rs.integers(0, 256, (40, 5, 5, 3), dtype=np.uint8)
    ds = ArrayDataset(img, np.zeros(40), transform=T.ToTensor())
    mean, std = compute_mean_std(ds, batch_size=7)
    ref = img.astype(np.float64) / 255
    np.testing.assert_allclose(mean, ref.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(std, ref.std(axis=(0, 1, 2)), rtol=1e-5)


# -------------------------------- the PyTorch API's data classes and per-image transforms
def test_tensor_dataset_random_split_and_loader_arguments():
    from minicnn.utils.data import DataLoader, TensorDataset, random_split
    x, y = mc.randn(10, 3), mc.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3
    train, val = random_split(ds, [8, 2])
    assert len(train) == 8 and len(val) == 2
    assert sorted(train.indices.tolist() + val.indices.tolist()) == list(range(10))
    assert [len(s) for s in random_split(ds, [0.5, 0.3, 0.2])] == [5, 3, 2]
    loader = DataLoader(train, batch_size=3, shuffle=True, num_workers=4, pin_memory=True)
    assert len(loader.dataset) == 8
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [3, 3, 2] and batches[0][1].dtype == np.int64
    with pytest.raises(NotImplementedError, match="sampler"):
        DataLoader(ds, sampler=[0, 1])
    with pytest.raises(ValueError, match="add up"):
        random_split(ds, [5, 6])


def test_per_image_transforms_pad_resize_color_jitter_and_random_resized_crop():
    import minicnn.vision.transforms as T
    img = np.random.default_rng(43).integers(0, 256, (10, 16, 3), dtype=np.uint8)
    assert T.Pad(2)(img).shape == (14, 20, 3) and T.Pad((1, 2))(img).shape == (14, 18, 3)
    assert T.Pad((1, 2, 3, 4))(img).shape == (16, 20, 3)
    np.testing.assert_array_equal(T.Pad(1, padding_mode="edge")(img)[0, 1:-1], img[0])
    assert T.Resize(5)(img).shape == (5, 8, 3) and T.Resize((4, 6))(img).shape == (4, 6, 3)   # int: the shorter side
    assert T.Compose([T.ToTensor(), T.Resize(20)])(img).shape == (3, 20, 32)
    assert T.RandomResizedCrop(7)(img).shape == (7, 7, 3)
    assert T.RandomCrop(12, pad_if_needed=True)(img).shape == (12, 12, 3)             # 10 rows: padded first
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(12)(img)
    assert T.Compose([T.ToTensor(), T.RandomResizedCrop((5, 6), scale=(0.5, 1.0))])(img).shape == (3, 5, 6)
    jitter = T.ColorJitter(brightness=(0.5, 0.5))
    np.testing.assert_allclose(jitter(img).astype(int), np.round(img * 0.5).astype(int), atol=1)
    gray = T.ColorJitter(saturation=(0.0, 0.0))(img).astype(float)
    assert np.abs(gray[..., 0] - gray[..., 1]).max() <= 1                # no saturation: grey
    assert np.abs(T.ColorJitter(hue=(0.0, 0.0))(img).astype(int) - img).max() <= 1
    out = T.ColorJitter(0.4, 0.4, 0.4, 0.1)(img)
    assert out.shape == img.shape and out.dtype == np.uint8
    from PIL import Image
    pil = Image.fromarray(img)
    assert T.RandomHorizontalFlip(p=1.0)(pil).size == (16, 10)
    t = T.Compose([T.RandomHorizontalFlip(p=1.0), T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])(pil)
    np.testing.assert_allclose(t.numpy(), (img[:, ::-1].transpose(2, 0, 1) / 255 - 0.5) / 0.5, atol=1e-6)
    with pytest.raises(TypeError, match="after ToTensor"):
        T.Normalize((0.5,), (0.5,))(img)


def test_datasets_run_a_per_image_pipeline_and_a_callable_of_yours():
    import minicnn.vision.transforms as T
    from minicnn.data import ArrayDataset
    images = np.random.default_rng(44).integers(0, 256, (5, 6, 6, 3), dtype=np.uint8)
    ds = ArrayDataset(images, np.arange(5), transform=T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2)]))
    x, y = ds.get_batch(np.arange(5))
    assert x.shape == (5, 3, 6, 6) and abs(float(x.max()) - 2 * int(images.max()) / 255) < 1e-6
    first = ds[0][0]
    assert isinstance(first, mc.Tensor) and first.shape == (3, 6, 6)
    mine = ArrayDataset(images, np.arange(5), transform=lambda im: im.mean(axis=2, keepdims=True).transpose(2, 0, 1))
    assert mine.get_batch(np.arange(5))[0].shape == (5, 1, 6, 6)


def test_datasets_called_as_torchvision_calls_them(tmp_path):
    import minicnn.vision.transforms as T
    from minicnn.utils.data import DataLoader
    from minicnn.vision import datasets
    from test_data import fake_mnist
    fake_mnist(tmp_path)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(tmp_path, train=True, download=True, transform=transform, verify=False)
    image, label = train[0]
    assert isinstance(image, mc.Tensor) and image.shape == (1, 28, 28) and isinstance(label, int)
    expect = (train.images[0].transpose(2, 0, 1) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(image.numpy(), expect, rtol=1e-5, atol=1e-6)
    x, y = next(iter(DataLoader(train, batch_size=16, shuffle=True, num_workers=1)))
    assert x.shape == (16, 1, 28, 28) and y.shape == (16,) and len(DataLoader(train, 10).dataset) == 64
