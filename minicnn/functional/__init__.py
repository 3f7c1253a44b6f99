"""minicnn.functional: every differentiable op, with PyTorch's names and semantics.

Each op is a small :class:`minicnn.autograd.Function` subclass (array-level
forward and backward) and a lowercase function that checks its arguments and
applies it. Read the module docstrings for the shapes and the math.
"""
from ..tensor import _bind_ops
from . import math as _math, activation as _activation
from .math import (add, sub, mul, div, matmul, neg, exp, log, abs, pow, sum, mean, max, min,  # noqa: F401
                   maximum, minimum, clamp, reshape, transpose, sin, cos, one_hot)
from .activation import relu, leaky_relu, elu, gelu, sigmoid, tanh, softmax, log_softmax  # noqa: F401
_bind_ops(_math, _activation)
from .conv import conv2d, conv2d_plan, conv_transpose2d  # noqa: F401
from .pool import max_pool2d, avg_pool2d, global_avg_pool2d, adaptive_avg_pool2d  # noqa: F401
from .linear import linear, flatten, concat, pad2d, pad  # noqa: F401
cat = concat
from .norm import batch_norm, layer_norm, local_response_norm  # noqa: F401
from .dropout import dropout, dropout2d  # noqa: F401
from .loss import (cross_entropy, nll_loss, binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                   mse_loss)
from .conv_algorithms.im2col import im2col, col2im, im2col_reference, col2im_reference  # noqa: F401
