"""minicnn.nn: Module, Parameter, Sequential and the layers (PyTorch's names and semantics)."""
from .module import Module, Parameter, Sequential, LayerError  # noqa: F401
from .layers import (Conv2d, Linear, MaxPool2d, AvgPool2d, GlobalAvgPool2d, AdaptiveAvgPool2d, ReLU, Sigmoid, Tanh,  # noqa: F401
                     Softmax, Dropout, BatchNorm1d, BatchNorm2d, SyncBatchNorm, LocalResponseNorm, Flatten, ZeroPad2d,
                     Identity)
from . import init  # noqa: F401
