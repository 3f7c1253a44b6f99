"""Weights made in PyTorch with torchvision's key names, saved, converted and loaded into minicnn,
give PyTorch's logits; a Keras-layout .h5 written from the same VGG-16 weights loads to the same logits."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import minicnn as mc
from minicnn.models import resnet50, vgg16
from minicnn.pretrained import load_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import torch_twins  # noqa: E402


def convert(tmp_path, net, name):
    path = tmp_path / f"{name}.pth"
    torch.save(net.state_dict(), path)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "convert_torchvision_weights.py"), str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return tmp_path / f"{name}.npz"


def logits_close(ours, theirs):
    assert np.linalg.norm(ours - theirs) <= 1e-4 * np.linalg.norm(theirs), np.abs(ours - theirs).max()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)


def test_vgg16_from_pytorch_and_from_keras_h5(tmp_path, images):
    torch.manual_seed(0)
    theirs = torch_twins.VGG().eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(images)).numpy()
    model = load_weights(vgg16(), convert(tmp_path, theirs, "vgg16")).eval()
    with mc.no_grad():
        logits_close(model(mc.tensor(images)).numpy(), expected)

    h5py = pytest.importorskip("h5py")
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    names = [f"block{b}_conv{i}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for i in range(1, n + 1)]
    convs = [k[:-len(".weight")] for k in sd if k.startswith("features.") and k.endswith(".weight")]
    path = tmp_path / "keras_layout.h5"
    with h5py.File(path, "w") as f:                 # Keras' layout: kernels (R, S, C, K), dense (in, out)
        for name, key in zip(names, convs):
            g = f.create_group(name)
            g.create_dataset(f"{name}_W_1:0", data=sd[key + ".weight"].transpose(2, 3, 1, 0))
            g.create_dataset(f"{name}_b_1:0", data=sd[key + ".bias"])
        fc1 = sd["classifier.0.weight"].T.reshape(512, 7, 7, -1).transpose(1, 2, 0, 3).reshape(25088, -1)
        for name, w, b in (("fc1", fc1, sd["classifier.0.bias"]), ("fc2", sd["classifier.3.weight"].T, sd["classifier.3.bias"]),
                           ("predictions", sd["classifier.6.weight"].T, sd["classifier.6.bias"])):
            g = f.create_group(name)
            g.create_dataset(f"{name}_W_1:0", data=w)
            g.create_dataset(f"{name}_b_1:0", data=b)
    model = load_weights(vgg16(), path).eval()
    with mc.no_grad():
        logits_close(model(mc.tensor(images)).numpy(), expected)


def test_resnet50_from_pytorch(tmp_path, images):
    torch.manual_seed(1)
    theirs = torch_twins.ResNet50()
    with torch.no_grad():                            # give batch norm non-trivial running statistics
        theirs.train()
        theirs(torch.tensor(images))
        theirs.eval()
        expected = theirs(torch.tensor(images)).numpy()
    model = load_weights(resnet50(), convert(tmp_path, theirs, "resnet50")).eval()
    with mc.no_grad():
        logits_close(model(mc.tensor(images)).numpy(), expected)


def run_example(*args):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "pretrained_vgg16.py"), *map(str, args)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_pretrained_vgg16_example_reads_out_pytorchs_top5(tmp_path):
    """examples/pretrained_vgg16.py predict: load_image + preprocess_input + vgg16 + decode_predictions give
    the top-5 names and probabilities that PyTorch computes from the same file, preprocessed by hand."""
    from PIL import Image
    from minicnn.models import imagenet_classes
    torch.manual_seed(2)
    theirs = torch_twins.VGG().eval()
    with torch.no_grad():                            # spread the logits so the top 5 are well separated
        theirs.classifier[6].weight.mul_(300.0)
    weights = convert(tmp_path, theirs, "vgg16")
    rs = np.random.default_rng(3)
    paths = []
    for i, size in enumerate([(300, 260), (224, 224)]):
        paths.append(tmp_path / f"photo{i}.jpg")
        Image.fromarray(rs.integers(0, 256, size + (3,), dtype=np.uint8)).save(paths[-1], quality=95)
    stdout = run_example("predict", weights, *paths)

    names = [n for _, n in imagenet_classes()]
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    for path in paths:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB").resize((224, 224), Image.NEAREST))
        x = ((torch.tensor(rgb).permute(2, 0, 1).float() / 255 - mean) / std)[None]
        with torch.no_grad():
            p = torch.softmax(theirs(x), dim=1)[0]
        top = torch.topk(p, 5)
        lines = stdout.split(f"{path}: ")[1].splitlines()[:5]
        assert lines[0] == f"{names[top.indices[0]]} ({top.values[0].item():.2%})"
        for line, j, q in zip(lines[1:], top.indices[1:], top.values[1:]):
            assert line.split() == [names[j], f"{q.item():.2%}", imagenet_classes()[j][0]]


@pytest.mark.slow
def test_pretrained_vgg16_example_transfers_to_an_image_folder(tmp_path):
    """examples/pretrained_vgg16.py transfer: a frozen VGG-16 base, a new head trained on an image folder;
    two classes a linear probe separates at once (reddish and bluish photos) end at 100%."""
    from PIL import Image
    mc.manual_seed(4)
    weights = tmp_path / "vgg16_random.npz"             # minicnn's own .npz; torchvision's initialisation
    mc.save(vgg16().state_dict(), weights)
    rs = np.random.default_rng(5)
    for split, n in (("train", 8), ("val", 4)):
        for c, channel in (("blue", 2), ("red", 0)):
            os.makedirs(tmp_path / "pets" / split / c)
            for i in range(n):
                img = rs.integers(0, 80, (rs.integers(200, 300), rs.integers(200, 300), 3), dtype=np.uint8)
                img[..., channel] += 170
                Image.fromarray(img).save(tmp_path / "pets" / split / c / f"{i}.png")
    stdout = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "pretrained_vgg16.py"), "transfer",
                             str(weights), str(tmp_path / "pets"), "--epochs", "8", "--fine-tune"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert stdout.returncode == 0, stdout.stderr
    assert "classes: ['blue', 'red']; 16 training and 8 validation images" in stdout.stdout
    assert "validation accuracy 100.00%" in stdout.stdout
    assert (tmp_path / "transfer_vgg16.npz").exists() and (tmp_path / "transfer_vgg16_curves.png").exists()
