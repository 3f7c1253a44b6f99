"""Element-wise activations and the softmax family.

Notation: x is any shape; ``dim`` is the class axis for softmax.

  relu(x)        = max(x, 0)                 d/dx = 1[x > 0]
  leaky_relu(x)  = x if x > 0 else a x       d/dx = 1 or a
  elu(x)         = x if x > 0 else a (e^x - 1)          d/dx = 1 or y + a
  gelu(x)        = x Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2
                                             d/dx = Phi(x) + x phi(x),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
                 (approximate="tanh": x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))))
  sigmoid(x)     = 1 / (1 + e^-x)            d/dx = y (1 - y)
  tanh(x)                                    d/dx = 1 - y^2
  softmax(x)_i   = e^(x_i - m) / sum_j e^(x_j - m),   m = max_j x_j (for stability)
                 backward: gx = y * (gy - sum_j gy_j y_j)
  log_softmax(x) = x - m - log sum_j e^(x_j - m)
                 backward: gx = gy - softmax(x) * sum_j gy_j
"""
import math
import warnings

import numpy as np

from .. import threads
from ..autograd import Function
from ..backend import get_array_module
from ..configuration import config
from ..layout import batch_last, in_layout
from .math import floating


# NumPy runs maximum(x, 0) against an array of zeros 2-4 times faster than against a scalar zero (its
# scalar loop is not vectorized: RESULTS.md, "ReLU against zeros"), so ReLU reads one; a block's worth
# is kept (threads.elementwise's blocks, or a whole array of up to 4 of them).
_ZEROS = {}


def _zeros_like(a):
    """Zeros of a's shape and dtype, read-only: a view of a kept buffer, or for a large array a fresh one."""
    if type(a) is not np.ndarray:
        return a.dtype.type(0)                                      # a GPU's scalar loop is fine
    if a.size > 4 * config.thread_block:
        return np.zeros(a.shape, a.dtype)
    buf = _ZEROS.get(a.dtype)
    if buf is None or buf.size < a.size:
        buf = _ZEROS[a.dtype] = np.zeros(4 * config.thread_block, a.dtype)
        buf.flags.writeable = False
    return buf[:a.size].reshape(a.shape)


class ReLU(Function):
    """y = max(x, 0); backward gx = gy * (y > 0). Both run block by block on every thread
    (minicnn.threads), the mask made while y's block is still in the cache."""
    torch_name = "ReluBackward0"
    saves, saves_output = (), True

    def forward(self, x):
        xp = get_array_module(x)
        zero = x.dtype.type(0)                   # a NumPy scalar of x's dtype: a Python 0 is slower (RESULTS.md)
        y = xp.empty_like(x)                     # x's memory layout (batch-last stays batch-last)
        if not self.requires_grad:
            threads.elementwise(lambda y, x: xp.maximum(x, _zeros_like(x), out=y), [y], [x])
            return y
        self.mask = xp.empty_like(x, dtype=bool)

        def relu(y, mask, x):
            xp.maximum(x, _zeros_like(x), out=y)
            xp.greater(y, zero, out=mask)
        threads.elementwise(relu, [y, self.mask], [x])
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        if gy.ndim == 4:
            gy = in_layout(gy, batch_last(self.mask))   # else NumPy walks one of them against its grain
        gx = xp.empty_like(self.mask, dtype=gy.dtype)
        threads.elementwise(lambda gx, gy, mask: xp.multiply(gy, mask, out=gx), [gx], [gy, self.mask])
        return gx


class LeakyReLU(Function):
    """y = x for x > 0, slope * x otherwise; gx = gy or slope * gy by the same mask."""
    torch_name = "LeakyReluBackward0"
    def forward(self, x, slope=0.01):
        xp = get_array_module(x)
        self.mask, self.slope = x > 0, x.dtype.type(slope)
        return xp.where(self.mask, x, x * self.slope)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, gy, gy * self.slope)


class ELU(Function):
    """y = x for x > 0, alpha * (e^x - 1) otherwise; gx = gy where x > 0, gy * (y + alpha) elsewhere."""
    torch_name = "EluBackward0"
    def forward(self, x, alpha=1.0):
        xp = get_array_module(x)
        self.mask, self.alpha = x > 0, x.dtype.type(alpha)
        self.y = xp.where(self.mask, x, self.alpha * xp.expm1(xp.minimum(x, x.dtype.type(0))))
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, gy, gy * (self.y + self.alpha))


def _erf(x):
    """erf for NumPy or CuPy arrays, without SciPy: Abramowitz and Stegun 7.1.26 would lose digits,
    so this uses math.erf element-wise on the CPU (vectorized) and cupyx's erf on the GPU."""
    xp = get_array_module(x)
    if xp is not np:
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(x)
    return _np_erf(x).astype(x.dtype, copy=False)


_np_erf = np.vectorize(math.erf, otypes=[np.float64])


class GELU(Function):
    """y = x * Phi(x) (Phi: the standard normal's CDF, through erf), or PyTorch's tanh approximation
    with approximate="tanh"; gx = gy * (Phi(x) + x * phi(x))."""
    torch_name = "GeluBackward0"
    def forward(self, x, approximate="none"):
        xp = get_array_module(x)
        t = x.dtype.type
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            k = t(math.sqrt(2 / math.pi))
            self.th = xp.tanh(k * (x + t(0.044715) * x * x * x))
            return t(0.5) * x * (1 + self.th)
        self.cdf = t(0.5) * (1 + _erf(x * t(1 / math.sqrt(2))))
        return x * self.cdf

    def backward(self, gy):
        xp = get_array_module(gy)
        x, t = self.x, self.x.dtype.type
        if self.approximate == "tanh":
            k = t(math.sqrt(2 / math.pi))
            th = self.th
            return gy * (t(0.5) * (1 + th) + t(0.5) * x * (1 - th * th) * k * (1 + t(3 * 0.044715) * x * x))
        pdf = xp.exp(t(-0.5) * x * x) * t(1 / math.sqrt(2 * math.pi))
        return gy * (self.cdf + x * pdf)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x); gx = gy * y * (1 - y). Where e^-x overflows (x below -88 in float32) it is
    inf and y is 0, as it should be; the exponential keeps y's relative precision for negative x, which
    the form 0.5 tanh(x/2) + 0.5 loses (twice y at x = -18, 0 from x = -20 where y is 2e-9), and NumPy
    computes it faster (RESULTS.md, "Sigmoid")."""
    saves, saves_output = (), True

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.negative(x)
        with np.errstate(over="ignore"):                # e^-x = inf gives y = 0: the right answer, unwarned
            xp.exp(e, out=e)
        e += x.dtype.type(1)
        self.y = xp.reciprocal(e, out=e)
        return self.y

    def backward(self, gy):
        gx = 1 - self.y
        gx *= self.y
        gx *= gy
        return gx


class Tanh(Function):
    """y = tanh x; gx = gy * (1 - y^2) (the output is kept)."""
    saves, saves_output = (), True

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * (1 - y * y)


def _softmax(x, axis):
    xp = get_array_module(x)
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _log_softmax(x, axis):
    xp = get_array_module(x)
    z = x - x.max(axis=axis, keepdims=True)
    z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    return z


class Softmax(Function):
    """y = e^(z - max) / sum e^(z - max) along ``axis``; gz = y * (gy - sum(gy * y)) along the axis."""
    saves, saves_output = (), True

    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = _softmax(x, axis)
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y = z - logsumexp(z) along ``axis`` (shifted by the maximum: finite for any logits);
    gz = gy - softmax(z) * sum(gy) along the axis."""
    saves, saves_output = (), True

    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = _log_softmax(x, axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def _implicit_dim(x, dim, name):
    """PyTorch's choice when softmax is called without dim (it warns too): 0 for 0-, 1- and 3-D input,
    else 1."""
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=3)
    return 0 if x.ndim in (0, 1, 3) else 1


def relu(input, inplace=False):  # noqa: A002  (inplace: accepted, not in place)
    """max(x, 0), element-wise (``inplace`` is accepted for PyTorch's signature; the result is a new
    tensor)."""
    return ReLU.apply(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x where x > 0, else negative_slope * x."""
    return LeakyReLU.apply(input, slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return ELU.apply(input, alpha=alpha)


def gelu(input, approximate="none"):  # noqa: A002
    """x * Phi(x), Phi the standard normal CDF (``approximate='tanh'``: PyTorch's tanh formula)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate=approximate)


def sigmoid(input):  # noqa: A002
    """1 / (1 + exp(-x)), 0 where exp(-x) overflows; integers in float32, as PyTorch."""
    return Sigmoid.apply(floating(input))


def tanh(input):  # noqa: A002
    """tanh(x), element-wise; integers in float32, as PyTorch."""
    return Tanh.apply(floating(input))


def softmax(input, dim=None, dtype=None):  # noqa: A002
    """softmax along ``dim`` (PyTorch's implicit choice, with its warning, when dim is None)."""
    x = input if dtype is None else input.type(dtype)
    return Softmax.apply(x, axis=_implicit_dim(x, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):  # noqa: A002
    """log(softmax(x)) along ``dim``, as x - max - log(sum(exp(x - max))): finite for any logits."""
    x = input if dtype is None else input.type(dtype)
    return LogSoftmax.apply(x, axis=_implicit_dim(x, dim, "log_softmax"))
