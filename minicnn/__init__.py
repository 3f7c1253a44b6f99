"""minicnn: a deep-learning engine written from scratch on NumPy, CuPy on the GPU.

    import minicnn as mc
    import minicnn.functional as F

Read in this order to learn how it works: tensor.py (the Tensor), autograd.py
(the op contract and the backward walk), functional/ (each op's forward and
backward), functional/conv_algorithms/ (convolution: im2col.py as a matrix product, then the
algorithms conv2d chooses among).

PyTorch programs run with their imports changed (see "Porting from PyTorch" in README.md):

    import minicnn as torch
    import minicnn.nn as nn
    import minicnn.nn.functional as F
    import minicnn.optim as optim
    from minicnn.utils.data import DataLoader, TensorDataset
    from minicnn.vision import datasets, transforms
"""
from .backend import cuda_available, manual_seed
from .tensor import Tensor, tensor, zeros, ones, randn
from .autograd import Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .gradcheck import gradcheck
from .serialization import save, load
from . import functional, nn, optim, data, profiler, distributed, cuda, utils, backends
from .ops import (from_numpy, as_tensor, zeros_like, ones_like, full, empty, rand, randn_like, randint,  # noqa: F401
                  randperm, arange, linspace, max, min, argmax, argmin, amax, amin, sum, mean, maximum, minimum,
                  eq, equal, numel, flatten, reshape, transpose, permute, squeeze, unsqueeze, clamp, exp, log, sqrt,
                  abs, pow, sin, cos, where, remainder, floor_divide, logical_not, sort, topk, masked_fill, matmul,
                  mm, relu, sigmoid, tanh, softmax, log_softmax, cat, concat, stack,
                  device, float32, float64, float16, int64, int32, int16, int8, uint8, long, double, half,
                  FloatTensor, DoubleTensor, LongTensor, IntTensor, ByteTensor, BoolTensor)
from .ops import float, int, bool  # noqa: F401,A004  (torch.float, torch.int, torch.bool: dtypes)
from .ops import norm  # noqa: F401
from .printing import set_printoptions, get_printoptions, printoptions  # noqa: F401
from .diagnostics import diagnose
from .train import fit, evaluate, predict, History, save_checkpoint, load_checkpoint
from .cpu_tuning import tune_cpu
from .configuration import config, using_config

__version__ = "0.1.0"

__all__ = ["tune_cpu", "config", "using_config",
           "Tensor", "tensor", "zeros", "ones", "randn", "Function", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "manual_seed", "cuda_available", "gradcheck", "save", "load", "functional",
           "nn", "optim", "data", "profiler", "distributed", "cuda", "diagnose", "fit", "evaluate", "predict",
           "History", "save_checkpoint", "load_checkpoint"]


def __getattr__(name):
    """``minicnn.keras`` (and ``tf.keras`` after ``import minicnn as tf``), imported when first used; the
    zoo as ``minicnn.models`` likewise."""
    if name in ("keras", "models"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'minicnn' has no attribute {name!r}")
