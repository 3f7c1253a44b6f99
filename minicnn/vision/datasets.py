"""torchvision.datasets' names: minicnn.data.datasets (MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageFolder)."""
import sys

from ..data import datasets as _datasets

sys.modules[__name__] = _datasets
