"""minicnn: a deep-learning engine written from scratch on NumPy, CuPy on the GPU.

    import minicnn as mc
    import minicnn.functional as F

Read in this order to learn how it works: tensor.py (the Tensor), autograd.py
(the op contract and the backward walk), functional/ (each op's forward and
backward), im2col.py (convolution as a matrix product).
"""
from .backend import cuda_available, manual_seed
from .tensor import Tensor, tensor, zeros, ones, randn
from .autograd import Function, no_grad, enable_grad, is_grad_enabled
from .gradcheck import gradcheck
from .serialization import save, load
from . import functional, nn, optim, data, profiler, distributed
from .diagnostics import diagnose
from .train import fit, evaluate, predict, History, save_checkpoint, load_checkpoint

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "zeros", "ones", "randn", "Function", "no_grad", "enable_grad",
           "is_grad_enabled", "manual_seed", "cuda_available", "gradcheck", "save", "load", "functional",
           "nn", "optim", "data", "profiler", "distributed", "diagnose", "fit", "evaluate", "predict", "History", "save_checkpoint", "load_checkpoint"]
