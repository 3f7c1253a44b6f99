"""Readers for the classic image datasets, from their official files, with no pickle involved.

FashionMNIST / MNIST: the IDX files (gzipped or not). IDX: a 4-byte magic number
  (0, 0, dtype code 0x08 = uint8, number of dimensions), one big-endian uint32
  per dimension, then the raw bytes.
CIFAR10 / CIFAR100: the official *binary* archives. Each record is the label
  byte(s) (CIFAR-100: coarse then fine) followed by 3072 bytes: the red, green
  and blue 32x32 planes.
ImageFolder: one subfolder per class, images read with Pillow, lazily.

Every dataset keeps images as uint8 (N, H, W, C) and applies ``transform``
(default: ToTensor, giving float32 (N, C, H, W) in [0, 1]) to whole batches.
"""
import gzip
import hashlib
import os
import tarfile
import warnings

import numpy as np

from .dataset import Dataset, apply_transform
from .download import download, locate, not_found, offline
from .transforms import ToTensor

# SHA-256 of the *uncompressed* IDX bytes (so a re-compressed copy, such as Debian's, still matches),
# computed from the files of Debian's dataset-fashion-mnist package; MD5 of the official .gz files.
FASHION_FILES = {
    "train-images-idx3-ubyte": ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                                "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train-labels-idx1-ubyte": ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                                "25c81989df183df01b3e8a0aad5dffbe"),
    "t10k-images-idx3-ubyte": ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                               "bef4ecab320f06d8554ea6380940ec79"),
    "t10k-labels-idx1-ubyte": ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                               "bb300cfdad3c16e7a12a480ee83cd310"),
}
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
# MNIST: MD5 of the official .gz files (the values torchvision pins).
MNIST_FILES = {
    "train-images-idx3-ubyte": (None, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train-labels-idx1-ubyte": (None, "d53e105ee54ea40749a09fcbcd1e9432"),
    "t10k-images-idx3-ubyte": (None, "9fb629c4189551a2d022fa330f9573f3"),
    "t10k-labels-idx1-ubyte": (None, "ec29112dd5afa0611ce80d1b7f02629c"),
}
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
CIFAR = {   # name: (archive, md5 from the dataset page, folder, train files, test files, label bytes, classes)
    "cifar10": ("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", "cifar-10-batches-bin",
                [f"data_batch_{i}.bin" for i in range(1, 6)], ["test_batch.bin"], 1, 10),
    "cifar100": ("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8", "cifar-100-binary",
                 ["train.bin"], ["test.bin"], 2, 100),
}
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/"
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def read_idx(path, sha256=None, md5=None):
    """Read an IDX file (optionally .gz) into an ndarray, checking its hashes when given."""
    with open(path, "rb") as f:
        raw = f.read()
    official = bool(md5) and path.endswith(".gz") and hashlib.md5(raw).hexdigest() == md5
    if md5 and not sha256 and path.endswith(".gz") and not official:
        raise ValueError(f"{path} does not match its pinned MD5: truncated or corrupt; delete it and fetch it again")
    if official:
        sha256 = None                          # the official archive, byte for byte
    try:
        data = gzip.decompress(raw) if path.endswith(".gz") else raw
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path} is truncated or corrupt ({exc}); delete it and fetch it again") from None
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path} does not match its pinned SHA-256: truncated or corrupt; delete it and fetch it again")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: the header says {ndim} dimensions, but the file ends inside the header "
                         "(truncated or not an IDX file)")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape} = {int(np.prod(shape))} bytes, found {body.size}")
    return body.reshape(shape)


class _ArrayImages(Dataset):
    """Images (N, H, W, C) uint8 and labels (N,), batches transformed as a whole."""

    def __init__(self, images, labels, transform, classes):
        self.images, self.targets, self.classes = images, labels.astype(np.int64), list(classes)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.transform = ToTensor() if transform is None else transform

    def __len__(self):
        return len(self.images)

    def get_batch(self, indices, transform=None):
        return apply_transform(transform or self.transform, self.images[indices]), self.targets[indices]

    def __getitem__(self, index):
        """(image, label) as torchvision gives them: the transform applied to this one (H, W, C) image."""
        return self.transform(self.images[index]), int(self.targets[index])


class _MNISTLike(_ArrayImages):
    name, files, url, classes_list = None, None, None, None
    how = ""

    def __init__(self, root=None, train=True, transform=None, download=True, verify=True):
        prefix = "train" if train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        folder = locate(self.name, names, root)
        if folder is None and download and not offline():
            folder = self._download(names, root)
        if folder is None:
            raise not_found(self.name, names, root, self.how)
        arrays = []
        for n in names:
            path = os.path.join(folder, n)
            path = path if os.path.exists(path) else path + ".gz"
            sha, md5 = self.files[n] if verify else (None, None)
            arrays.append(read_idx(path, sha256=sha, md5=md5))
        images, labels = arrays
        if images.ndim == 1 and labels.ndim == 3:
            raise ValueError(f"{self.name}: in {folder}, {names[0]} holds labels and {names[1]} holds images: "
                             "the two files are swapped; rename them")
        for arr, n, want in ((images, names[0], "3 (count, height, width)"), (labels, names[1], "1 (count)")):
            if arr.ndim != int(want[0]):
                raise ValueError(f"{self.name}: {os.path.join(folder, n)} has {arr.ndim} dimensions "
                                 f"{arr.shape}, where {want} are expected: not {self.name}'s file")
        if not len(images) or not images.shape[1] or not images.shape[2]:
            raise ValueError(f"{self.name}: {os.path.join(folder, names[0])} holds {images.shape[0]} images of "
                             f"{images.shape[1]}x{images.shape[2]} pixels: nothing to train on")
        if len(images) != len(labels):
            raise ValueError(f"{self.name}: {len(images)} images but {len(labels)} labels in {folder}")
        if labels.size and int(labels.max()) >= len(self.classes_list):
            raise ValueError(f"{self.name}: labels in {folder} go up to {int(labels.max())}, but there are "
                             f"{len(self.classes_list)} classes: the label file is damaged or not {self.name}'s")
        super().__init__(images[..., None], labels, transform, self.classes_list)
        self.root = folder

    def _download(self, names, root):
        from .download import cache_dir
        folder = os.fspath(root) if root is not None else os.path.join(cache_dir(), self.name)
        try:
            for n in names:
                download(self.url + n + ".gz", os.path.join(folder, n + ".gz"), md5=self.files[n][1])
        except (OSError, ValueError) as exc:
            warnings.warn(f"{self.name}: download failed ({exc})")
            return None
        return folder


class FashionMNIST(_MNISTLike):
    """Zalando's Fashion-MNIST: 60,000 training and 10,000 test 28x28 grey images, 10 classes."""

    name, files, url, classes_list = "fashion-mnist", FASHION_FILES, FASHION_URL, FASHION_CLASSES
    how = ("Get it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four "
           f"*-ubyte.gz files from {FASHION_URL} into one of these folders (or set MINICNN_DATA).")


class MNIST(_MNISTLike):
    """LeCun's handwritten digits: 60,000 training and 10,000 test 28x28 grey images."""

    name, files, url, classes_list = "mnist", MNIST_FILES, MNIST_URL, [str(i) for i in range(10)]
    how = f"Download the four *-ubyte.gz files from {MNIST_URL} into one of these folders (or set MINICNN_DATA)."


def read_cifar_binary(paths, label_bytes):
    """Records of the CIFAR binary format -> images (N, 32, 32, 3) uint8, labels (N,) (the last label byte)."""
    record = label_bytes + 3072
    parts = []
    for p in paths:
        raw = np.fromfile(p, dtype=np.uint8)
        if raw.size == 0 or raw.size % record:
            raise ValueError(f"{p}: {raw.size} bytes is not a whole number of {record}-byte CIFAR records "
                             "(truncated or corrupt)")
        parts.append(raw.reshape(-1, record))
    recs = np.concatenate(parts)
    images = recs[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), recs[:, label_bytes - 1].astype(np.int64)


class _CIFAR(_ArrayImages):
    key = None

    def __init__(self, root=None, train=True, transform=None, download=True):
        archive, md5, sub, train_files, test_files, label_bytes, n = CIFAR[self.key]
        files = train_files if train else test_files
        rel = [os.path.join(sub, f) for f in files]
        folder = locate(self.key, rel, root)
        if folder is None:
            folder = self._from_archive(archive, md5, sub, train_files + test_files, root, download)
        if folder is None:
            raise not_found(self.key, rel, root, f"Download {CIFAR_URL}{archive} (the binary version) and unpack "
                                                 "it in one of these folders (or set MINICNN_DATA).")
        images, labels = read_cifar_binary([os.path.join(folder, r) for r in rel], label_bytes)
        if labels.max() >= n:
            raise ValueError(f"{self.key}: label {labels.max()} out of range in {folder}")
        super().__init__(images, labels, transform, self._class_names(folder, sub, n))
        self.root = folder

    def _class_names(self, folder, sub, n):
        meta = os.path.join(folder, sub, "batches.meta.txt" if self.key == "cifar10" else "fine_label_names.txt")
        if os.path.exists(meta):
            names = [line.strip() for line in open(meta) if line.strip()]
            if len(names) == n:
                return names
        return CIFAR10_CLASSES if n == 10 else [str(i) for i in range(n)]

    def _from_archive(self, archive, md5, sub, members, root, allow_download):
        from .download import cache_dir, candidate_dirs, file_hash
        path = next((os.path.join(d, archive) for d in candidate_dirs(self.key, root)
                     if os.path.exists(os.path.join(d, archive))), None)
        if path is not None and file_hash(path, "md5") != md5:
            raise ValueError(f"{path} does not match its pinned MD5: truncated or corrupt; delete it and fetch it again")
        if path is None:
            if not allow_download or offline():
                return None
            folder = os.fspath(root) if root is not None else os.path.join(cache_dir(), self.key)
            try:
                path = download(CIFAR_URL + archive, os.path.join(folder, archive), md5=md5)
            except (OSError, ValueError) as exc:
                warnings.warn(f"{self.key}: download failed ({exc})")
                return None
        folder = os.path.dirname(path)
        wanted = {f"{sub}/{m}" for m in members} | {f"{sub}/batches.meta.txt", f"{sub}/fine_label_names.txt"}
        with tarfile.open(path) as tar:            # only the expected regular files: no path tricks
            for member in tar.getmembers():
                if member.name in wanted and member.isfile():
                    target = os.path.join(folder, member.name)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with tar.extractfile(member) as src, open(target + ".part", "wb") as dst:
                        dst.write(src.read())
                    os.replace(target + ".part", target)
        return folder


class CIFAR10(_CIFAR):
    """CIFAR-10 from the official binary archive: 50,000 + 10,000 32x32 colour images, 10 classes."""
    key = "cifar10"


class CIFAR100(_CIFAR):
    """CIFAR-100 from the official binary archive, fine labels (100 classes)."""
    key = "cifar100"


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")


def _ends_well(path):
    """False for a JPEG or PNG whose end marker is not near its end: a truncated download or copy
    (which PIL's verify() lets through, and whose decoding would fail mid-epoch) -- or a file with
    data appended after the image, which the caller then decodes in full to tell the two apart."""
    with open(path, "rb") as f:
        head = f.read(8)
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64))
        tail = f.read()
    if head[:2] == b"\xff\xd8":                           # JPEG: ends with EOI (padding may follow)
        return b"\xff\xd9" in tail
    if head == b"\x89PNG\r\n\x1a\n":                     # PNG: ends with the IEND chunk
        return b"IEND" in tail
    return True


class ImageFolder(Dataset):
    """root/CLASS/IMAGE files, classes in sorted order. Images are read lazily, converted to RGB and resized
    to ``target_size`` (H, W) (needed for batching when sizes differ). Hidden files and folders
    (".ipynb_checkpoints", ".DS_Store") are not classes or samples; folders without images are not
    classes (one warning names them). Unreadable, corrupt or truncated files are skipped, with one
    warning that lists them."""

    def __init__(self, root, transform=None, target_size=None):
        from PIL import Image
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"ImageFolder: {root} is not a folder")
        self.root = root
        folders = sorted(d for d in os.listdir(root) if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
        if not folders:
            raise ValueError(f"ImageFolder: {root} has no class subfolders (expected root/CLASS/image.jpg)")
        found, bad, empty = {}, [], []
        for c in folders:
            folder, paths = os.path.join(root, c), []
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if name.startswith(".") or not name.lower().endswith(IMAGE_EXTENSIONS) or not os.path.isfile(path):
                    continue
                try:
                    with Image.open(path) as im:
                        im.verify()
                    if not _ends_well(path):
                        with Image.open(path) as im:
                            im.load()                     # raises "image file is truncated"
                except Exception:
                    bad.append(path)
                    continue
                paths.append(path)
            if paths:
                found[c] = paths
            else:
                empty.append(c)
        if bad:
            warnings.warn(f"ImageFolder: skipped {len(bad)} unreadable, corrupt or truncated image(s): " + ", ".join(bad))
        if not found:
            raise ValueError(f"ImageFolder: no readable images under {root} (expected root/CLASS/image.jpg, "
                             f"with {', '.join(e.strip('.') for e in IMAGE_EXTENSIONS)} files)")
        if empty:
            warnings.warn(f"ImageFolder: {len(empty)} folder(s) of {root} hold no readable images and are not "
                          f"classes: {', '.join(empty)}")
        self.classes = sorted(found)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = [(p, self.class_to_idx[c]) for c in self.classes for p in found[c]]
        self.targets = np.array([s[1] for s in self.samples], dtype=np.int64)
        self.target_size = None if target_size is None else (
            (target_size, target_size) if isinstance(target_size, int) else tuple(target_size))
        self.transform = ToTensor() if transform is None else transform

    def __len__(self):
        return len(self.samples)

    def load(self, index):
        """One image as (H, W, 3) uint8."""
        from PIL import Image
        path = self.samples[index][0]
        try:
            with Image.open(path) as im:
                im = im.convert("RGB")
                if self.target_size is not None:
                    im = im.resize((self.target_size[1], self.target_size[0]), Image.BILINEAR)
                return np.asarray(im, dtype=np.uint8)
        except (OSError, ValueError) as exc:           # changed or damaged since the folder was scanned
            raise ValueError(f"ImageFolder: cannot read {path} ({exc}); remove or replace the file") from None

    def get_batch(self, indices, transform=None):
        imgs = [self.load(int(i)) for i in indices]
        shapes = {im.shape for im in imgs}
        if len(shapes) > 1:
            raise ValueError(f"ImageFolder: images of different sizes {sorted(shapes)} in one batch; "
                             "pass target_size=(H, W)")
        return apply_transform(transform or self.transform, np.stack(imgs)), self.targets[np.asarray(indices)]

    def __getitem__(self, index):
        return self.transform(self.load(index)), int(self.targets[index])


def image_folder_splits(root, target_size=None, val_fraction=0.2, seed=0, transform=None, val_transform=None):
    """(train, val) from an image folder: root/train and root/val (or root/validation, root/test) when
    they exist, otherwise one folder of class subfolders split at random (seeded, ``val_fraction`` held
    out). Both have ``classes``. ``transform`` is the training split's (augmentation goes here),
    ``val_transform`` the validation split's; both default to ToTensor."""
    from .dataset import Subset
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"image_folder_splits: {root} is not a folder")
    if not 0 < val_fraction < 1:
        raise ValueError(f"image_folder_splits: val_fraction must be in (0, 1), got {val_fraction}")
    subs = {d.lower(): d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))}
    val_name = next((subs[n] for n in ("val", "validation", "test") if n in subs), None)
    if "train" in subs and val_name is not None:
        train = ImageFolder(os.path.join(root, subs["train"]), transform=transform, target_size=target_size)
        val = ImageFolder(os.path.join(root, val_name), transform=val_transform, target_size=target_size)
        if val.classes != train.classes:
            raise ValueError(f"image_folder_splits: {subs['train']}/ has classes {train.classes} but "
                             f"{val_name}/ has {val.classes}")
        return train, val
    full = ImageFolder(root, target_size=target_size)
    if len(full) < 2:
        raise ValueError(f"image_folder_splits: {root} holds {len(full)} image; a training and a validation "
                         "split need at least 2")
    order = np.random.default_rng(seed).permutation(len(full))
    cut = len(full) - max(1, int(round(val_fraction * len(full))))
    return (Subset(full, np.sort(order[:cut]), transform=transform),
            Subset(full, np.sort(order[cut:]), transform=val_transform))
