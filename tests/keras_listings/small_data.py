"""Small stand-ins for keras.datasets, for running the seeds' training listings in seconds: the listing's
``from tensorflow.keras.datasets import fashion_mnist`` becomes ``from small_data import fashion_mnist``.

fashion_mnist: the first 96 training and 64 test images (the listing plots 50) of the real Fashion-MNIST when Debian's package
is installed, else random images of its shapes; cifar10: random images of CIFAR-10's shapes and dtypes."""
import os
import types

import numpy as np


def _fashion():
    if os.path.isdir("/usr/share/datasets/fashion-mnist"):
        from minicnn.keras.datasets import fashion_mnist
        (xt, yt), (xs, ys) = fashion_mnist.load_data()
        return (xt[:96], yt[:96]), (xs[:64], ys[:64])
    rs = np.random.default_rng(0)
    return ((rs.integers(0, 256, (96, 28, 28), dtype=np.uint8), rs.integers(0, 10, 96).astype(np.uint8)),
            (rs.integers(0, 256, (64, 28, 28), dtype=np.uint8), rs.integers(0, 10, 64).astype(np.uint8)))


def _cifar():
    rs = np.random.default_rng(1)
    return ((rs.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8), rs.integers(0, 10, (40, 1)).astype(np.uint8)),
            (rs.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8), rs.integers(0, 10, (16, 1)).astype(np.uint8)))


fashion_mnist = types.SimpleNamespace(load_data=_fashion)
cifar10 = types.SimpleNamespace(load_data=_cifar)
