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
