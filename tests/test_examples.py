"""The examples run (slow: they train on the real Fashion-MNIST)."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/usr/share/datasets/fashion-mnist"), reason="needs dataset-fashion-mnist")
def test_lenet_example_trains_one_epoch(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "lenet5_fashion_mnist.py"), "--epochs", "1"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    acc = float(out.stdout.split("test accuracy ")[1].split(",")[0])
    assert acc > 0.8
    assert (tmp_path / "lenet5_fashion_mnist.npz").exists()


@pytest.mark.parametrize("script", ["simple_vgg_cifar10.py", "cifar10_vgg16.py"])
def test_cifar_examples_say_how_to_get_the_data(tmp_path, script):
    env = dict(os.environ, MINICNN_DATA=str(tmp_path), XDG_CACHE_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--epochs", "1",
                          "--data-root", str(tmp_path / "none")], capture_output=True, text=True,
                         env=env | {"MINICNN_OFFLINE": "1"})
    assert out.returncode != 0
    assert "cifar-10-binary.tar.gz" in out.stderr and str(tmp_path / "none") in out.stderr


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/usr/share/datasets/fashion-mnist"), reason="needs dataset-fashion-mnist")
def test_transfer_example_compares_three_strategies(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "transfer_fashion_mnist.py"), "--epochs", "3",
                          "--per-class", "50", "--out", str(tmp_path / "t.png")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "| frozen |" in out.stdout and "| fine-tune |" in out.stdout and "| scratch |" in out.stdout
    assert (tmp_path / "t.png").exists()


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/usr/share/datasets/fashion-mnist"), reason="needs dataset-fashion-mnist")
def test_plain_deep_network_fails_and_the_fixes_learn():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "why_not_learning.py"), "--epochs", "2",
                          "--train-size", "2000"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = {line.split("|")[1].strip(): float(line.split("|")[3].strip().rstrip("%"))
            for line in out.stdout.splitlines() if line.startswith("| ") and "%" in line}
    assert rows["paper-init"] < 15 and rows["he-init"] > 60 and rows["batch-norm"] > 60
    assert "activations shrink through depth" in out.stdout and "gradients vanish" in out.stdout
