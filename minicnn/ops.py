"""The ``torch.*`` functions: tensor creation and the functions PyTorch offers beside the methods.

``import minicnn as torch`` then gives a PyTorch program ``torch.max(out, 1)``, ``torch.cat``,
``torch.flatten(x, 1)``, ``torch.from_numpy`` ... with PyTorch's meaning. Each function here
is a line or two over a Tensor method or an op of minicnn.functional; functions that read
values also take a bare ndarray (``torch.max(outputs.array, 1)``: ``.data`` is the array here).
"""
import numpy as np

from . import backend
from .functional import activation as _act
from .functional.linear import concat as _concat
from .functional import math as _m
from .tensor import Tensor, _shape_args, tensor, zeros, ones, randn  # noqa: F401


def _leaf(array, requires_grad):
    """A new leaf holding ``array`` as it is (its dtype kept: asked-for float64 stays float64)."""
    return Tensor(array, dtype=array.dtype, requires_grad=requires_grad)


def _t(x):
    """A Tensor, or an ndarray seen as a constant Tensor."""
    return x if isinstance(x, Tensor) else Tensor._wrap(x, backend.device_of(x), False)


# ---------------------------------------------------------------- dtypes and devices
float32 = float = np.float32  # noqa: A001  (PyTorch's names; not in __all__, so `import *` keeps the builtins)
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32  # noqa: A001
int16, int8, uint8 = np.int16, np.int8, np.uint8
bool = np.bool_  # noqa: A001


class device(str):
    """torch.device: a device name that compares and prints as its string ("cpu", "cuda", "cuda:0")."""

    def __new__(cls, type, index=None):  # noqa: A002
        name = str(type) if index is None else f"{type}:{index}"
        backend.check_device(name)
        return super().__new__(cls, name)

    @property
    def type(self):
        return self.split(":")[0]

    @property
    def index(self):
        return builtins_int(self.split(":")[1]) if ":" in self else None

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"


# ---------------------------------------------------------------- creation
def from_numpy(array):
    """A tensor sharing ``array``'s memory and dtype (float64 stays float64, as in PyTorch)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array, "cpu", False)


def as_tensor(data, dtype=None, device=None):
    return tensor(data, dtype=dtype, device=device or "cpu")


def _like(fill, x, dtype, requires_grad):
    a = fill(backend.get_array_module(x.array), x.shape, dtype or x.dtype)
    return Tensor(a, dtype=a.dtype, requires_grad=requires_grad)


def zeros_like(input, dtype=None, requires_grad=False):  # noqa: A002
    return _like(lambda xp, s, d: xp.zeros(s, dtype=d), input, dtype, requires_grad)


def ones_like(input, dtype=None, requires_grad=False):  # noqa: A002
    return _like(lambda xp, s, d: xp.ones(s, dtype=d), input, dtype, requires_grad)


def full(size, fill_value, dtype=None, device="cpu", requires_grad=False):
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, builtins_float) else np.asarray(fill_value).dtype
    return _leaf(backend.xp_for(device).full(tuple(size), fill_value, dtype=dtype), requires_grad)


def empty(*size, dtype=np.float32, device="cpu", requires_grad=False):
    return _leaf(backend.xp_for(device).empty(_shape_args(size), dtype=dtype), requires_grad)


def _typed(dtype, name):
    def make(*args, device="cpu"):
        """torch.{name}(2, 3): a tensor of that shape (zeros here; PyTorch leaves it uninitialized);
        torch.{name}([1, 2]): the data as that dtype."""
        if all(isinstance(a, builtins_int) for a in args):
            return _leaf(backend.xp_for(device).zeros(_shape_args(args), dtype=dtype), False)
        if len(args) == 1:
            return tensor(args[0], dtype=dtype, device=device)
        raise TypeError(f"{name}() takes a shape (2, 3) or one sequence of values, got {args!r}")
    make.__name__, make.__doc__ = name, make.__doc__.format(name=name)
    return make


FloatTensor, DoubleTensor = _typed(np.float32, "FloatTensor"), _typed(np.float64, "DoubleTensor")
LongTensor, IntTensor = _typed(np.int64, "LongTensor"), _typed(np.int32, "IntTensor")
ByteTensor, BoolTensor = _typed(np.uint8, "ByteTensor"), _typed(np.bool_, "BoolTensor")


def rand(*size, dtype=np.float32, device="cpu", requires_grad=False):
    """Uniform samples in [0, 1) from the library's seeded generator."""
    return _leaf(backend.rng(device).random(_shape_args(size), dtype=np.dtype(dtype).type), requires_grad)


def randn_like(input, dtype=None, requires_grad=False):  # noqa: A002
    return randn(*input.shape, dtype=dtype or input.dtype, device=input.device, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=np.int64, device="cpu"):
    """randint(high, size) or randint(low, high, size): integers in [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    return _leaf(backend.rng(device).integers(low, high, tuple(size)).astype(dtype), False)


def randperm(n, dtype=np.int64, device="cpu"):
    return _leaf(backend.rng(device).permutation(n).astype(dtype), False)


def arange(start, end=None, step=1, dtype=None, device="cpu", requires_grad=False):
    """Integers (int64) when every bound is an int, else float32, as PyTorch."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, (builtins_int, np.integer)) for v in (start, end, step)) else np.float32
    return _leaf(backend.xp_for(device).arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=np.float32, device="cpu", requires_grad=False):
    return _leaf(backend.xp_for(device).linspace(start, end, steps).astype(dtype), requires_grad)


# ---------------------------------------------------------------- functions of tensors
def max(input, dim=None, keepdim=False):  # noqa: A001,A002
    """torch.max: the largest element; (values, indices) along ``dim``; or max(a, b) element-wise."""
    return _t(input).max(dim if not isinstance(dim, np.ndarray) else _t(dim), keepdim)


def min(input, dim=None, keepdim=False):  # noqa: A001,A002
    return _t(input).min(dim if not isinstance(dim, np.ndarray) else _t(dim), keepdim)


def argmax(input, dim=None, keepdim=False): return _t(input).argmax(dim, keepdim)  # noqa: A002
def argmin(input, dim=None, keepdim=False): return _t(input).argmin(dim, keepdim)  # noqa: A002
def amax(input, dim=None, keepdim=False): return _t(input).amax(dim, keepdim)  # noqa: A002
def amin(input, dim=None, keepdim=False): return _t(input).amin(dim, keepdim)  # noqa: A002
def sum(input, dim=None, keepdim=False, dtype=None): return _t(input).sum(dim, keepdim, dtype=dtype)  # noqa: A001,A002
def mean(input, dim=None, keepdim=False): return _t(input).mean(dim, keepdim)  # noqa: A002
def maximum(input, other): return _m.maximum(_t(input), other)  # noqa: A002
def minimum(input, other): return _m.minimum(_t(input), other)  # noqa: A002
def eq(input, other): return _t(input) == other  # noqa: A002
def equal(input, other): return _t(input).equal(_t(other))  # noqa: A002
def numel(input): return _t(input).numel()  # noqa: A002
def flatten(input, start_dim=0, end_dim=-1): return _t(input).flatten(start_dim, end_dim)  # noqa: A002
def reshape(input, shape): return _t(input).reshape(shape)  # noqa: A002
def transpose(input, dim0, dim1): return _t(input).transpose(dim0, dim1)  # noqa: A002
def permute(input, dims): return _t(input).permute(dims)  # noqa: A002
def squeeze(input, dim=None): return _t(input).squeeze(dim)  # noqa: A002
def unsqueeze(input, dim): return _t(input).unsqueeze(dim)  # noqa: A002
def clamp(input, min=None, max=None): return _m.clamp(_t(input), min, max)  # noqa: A001,A002
def exp(input): return _m.exp(_t(input))  # noqa: A002
def log(input): return _m.log(_t(input))  # noqa: A002
def sqrt(input): return _t(input).sqrt()  # noqa: A002
def abs(input): return _m.abs(_t(input))  # noqa: A001,A002
def pow(input, exponent): return _m.pow(input if np.isscalar(input) else _t(input), exponent)  # noqa: A001,A002
def norm(input, p="fro", dim=None, keepdim=False): return _t(input).norm(p, dim, keepdim)  # noqa: A002
def sin(input): return _m.sin(_t(input))  # noqa: A002
def cos(input): return _m.cos(_t(input))  # noqa: A002
def where(condition, input=None, other=None): return _m.where(condition, input, other)  # noqa: A002
def remainder(input, other): return _m.remainder(input, other)  # noqa: A002
def floor_divide(input, other): return _m.floor_divide(input, other)  # noqa: A002
def logical_not(input): return _t(input).logical_not()  # noqa: A002
def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    return _m.sort(_t(input), dim, descending, stable)
def topk(input, k, dim=-1, largest=True, sorted=True): return _m.topk(_t(input), k, dim, largest, sorted)  # noqa: A002
def masked_fill(input, mask, value): return _m.masked_fill(_t(input), mask, value)  # noqa: A002
def matmul(input, other): return _m.matmul(_t(input), other)  # noqa: A002
def mm(input, mat2): return _m.matmul(_t(input), mat2)  # noqa: A002
def relu(input): return _act.relu(_t(input))  # noqa: A002
def sigmoid(input): return _act.sigmoid(_t(input))  # noqa: A002
def tanh(input): return _act.tanh(_t(input))  # noqa: A002
def softmax(input, dim, dtype=None): return _act.softmax(_t(input), dim, dtype)  # noqa: A002
def log_softmax(input, dim, dtype=None): return _act.log_softmax(_t(input), dim, dtype)  # noqa: A002


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim`` (0 by default, as torch.cat)."""
    return _concat([_t(t) for t in tensors], dim)


concat = cat


def stack(tensors, dim=0):
    """Join equally shaped tensors along a new dimension ``dim``."""
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expects a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: every tensor must have the same shape, got {sorted(shapes)}")
    return _concat([t.unsqueeze(dim) for t in tensors], dim)


builtins_int, builtins_float = type(0), type(0.0)

# one line of documentation each for the one-line functions above (help(torch.argmax) and the docs site)
_DOCS = {
    as_tensor: "A tensor of ``data`` (a copy, float32 for floating data, as minicnn.tensor).",
    zeros_like: "Zeros with the shape, dtype and device of ``input``.",
    ones_like: "Ones with the shape, dtype and device of ``input``.",
    full: "A tensor of ``size`` filled with ``fill_value`` (float32 for a Python float).",
    empty: "An uninitialized tensor: empty(2, 3) or empty((2, 3)).",
    randn_like: "Standard normal samples with the shape, dtype and device of ``input``.",
    randperm: "A random permutation of 0 .. n-1 (int64), from the library's seeded generator.",
    linspace: "``steps`` evenly spaced values from ``start`` to ``end``, both included.",
    min: "torch.min: the smallest element; (values, indices) along ``dim``; or min(a, b) element-wise.",
    argmax: "Indices of the largest elements (of the flattened tensor when dim is None).",
    argmin: "Indices of the smallest elements (of the flattened tensor when dim is None).",
    amax: "The largest elements along ``dim`` (a tuple of dims allowed); ties share the gradient.",
    amin: "The smallest elements along ``dim`` (a tuple of dims allowed); ties share the gradient.",
    sum: "The sum over ``dim`` (every element when None).",
    mean: "The mean over ``dim`` (every element when None); floating-point tensors only.",
    maximum: "The element-wise larger of input and other.",
    minimum: "The element-wise smaller of input and other.",
    eq: "input == other, element-wise (a bool tensor).",
    equal: "True when both have the same shape and the same elements.",
    numel: "The number of elements.",
    flatten: "The dims start_dim .. end_dim merged into one.",
    reshape: "The same elements in a new shape.",
    transpose: "dim0 and dim1 swapped (PyTorch's two-dimension transpose).",
    permute: "The dims reordered as ``dims``.",
    squeeze: "Size-1 dims removed (only ``dim`` when given).",
    unsqueeze: "A size-1 dim inserted at ``dim``.",
    clamp: "Every element limited to [min, max] (either may be None).",
    exp: "e ** input.",
    log: "The natural logarithm.",
    sqrt: "The square root.",
    abs: "The absolute value.",
    pow: "input ** exponent: either may be a tensor, or a number.",
    norm: "The Euclidean norm (p=2, the default) or the sum of absolute values (p=1), over ``dim``.",
    sin: "sin(input).",
    cos: "cos(input).",
    where: "input where condition holds, else other (either may be a number); with the condition alone, "
           "the indices of its nonzero elements.",
    remainder: "input % other, with the sign of other (Python's %).",
    floor_divide: "input // other, rounded down; no gradient, as in PyTorch.",
    logical_not: "True where input is 0 or False.",
    sort: "(values, indices) sorted along ``dim``; equal values keep their order.",
    topk: "(values, indices) of the k largest (or smallest) elements along ``dim``.",
    masked_fill: "input with ``value`` where ``mask`` holds.",
    matmul: "The matrix product input @ other.",
    mm: "The matrix product of two 2-D tensors.",
    relu: "max(input, 0).",
    sigmoid: "1 / (1 + exp(-input)).",
    tanh: "tanh(input).",
    softmax: "exp(input) normalized to sum 1 along ``dim``.",
    log_softmax: "log(softmax(input)) along ``dim``, finite for any logits.",
}
for _f, _text in _DOCS.items():
    _f.__doc__ = _text
del _f, _text
