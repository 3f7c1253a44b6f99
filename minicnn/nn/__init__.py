"""minicnn.nn: Module, Parameter, Sequential and the layers (PyTorch's names and semantics)."""
from .module import Module, Parameter, Sequential, ModuleList, ModuleDict, LayerError, StateDictError  # noqa: F401
from .summary import conv_plans  # noqa: F401
from .module import RemovableHandle, register_module_forward_hook, register_module_forward_pre_hook  # noqa: F401
from .layers import (Conv2d, ConvTranspose2d, Linear, MaxPool2d, AvgPool2d, GlobalAvgPool2d, AdaptiveAvgPool2d, ReLU, LeakyReLU,  # noqa: F401
                     ELU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, Dropout, Dropout2d, BatchNorm1d, BatchNorm2d,
                     SyncBatchNorm, LayerNorm, LocalResponseNorm, Flatten, Unflatten, ZeroPad2d, Identity, DataParallel)
from .loss import CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss  # noqa: F401
from . import init, utils, functional  # noqa: F401
