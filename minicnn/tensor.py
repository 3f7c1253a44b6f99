"""The Tensor: an ndarray (NumPy or CuPy) plus what autograd needs.

A Tensor made by an op remembers that op in ``_ctx``; leaves (made by the
user, or parameters) have ``_ctx = None`` and receive ``.grad`` when
``backward`` is called on something computed from them.
"""
import numpy as np

from . import backend


def _default_dtype(array):
    """float32 unless asked otherwise: float64 arrays from NumPy become float32."""
    if array.dtype == np.float64 or array.dtype == np.float16:
        return np.float32
    return None


class Tensor:
    """A multi-dimensional array that can record the ops applied to it.

    Attributes:
      data           the ndarray (numpy.ndarray on "cpu", cupy.ndarray on "cuda")
      grad           ndarray of the same shape, or None: d(loss)/d(self) after backward
      requires_grad  whether ops on this tensor are recorded for backward
      device         "cpu" or "cuda"
    """

    __slots__ = ("data", "grad", "requires_grad", "retains_grad", "_ctx", "_device", "__weakref__")
    __array_priority__ = 1000          # ndarray + Tensor -> Tensor.__radd__

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.data
        if device is None:
            device = backend.device_of(data)
        device = backend.check_device(device)
        xp = backend.xp_for(device)
        if backend.device_of(data) != device:
            data = backend.to_device(data if hasattr(data, "dtype") else np.asarray(data), device)
        data = xp.asarray(data)
        if dtype is None:
            dtype = _default_dtype(data)
        if dtype is not None and data.dtype != dtype:
            data = data.astype(dtype)
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.retains_grad = False
        self._ctx = None
        self._device = device
        if requires_grad and data.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require grad, got dtype {data.dtype}")

    @classmethod
    def _wrap(cls, data, device, requires_grad):
        """Fast constructor for op outputs (no conversion, no checks)."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = requires_grad
        t.retains_grad = False
        t._ctx = None
        t._device = device
        return t

    # ------------------------------------------------------------ attributes
    shape = property(lambda self: tuple(self.data.shape))
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: int(self.data.size))
    device = property(lambda self: self._device)
    is_leaf = property(lambda self: self._ctx is None)

    def __len__(self):
        return len(self.data)

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                             "use .any() on .numpy(), or compare .item()")
        return bool(self.data.reshape(()).item())

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = "" if self._device == "cpu" else f", device='{self._device}'"
        extra += ", requires_grad=True" if self.requires_grad else ""
        extra += f", dtype={self.dtype}" if self.dtype != np.float32 else ""
        return f"tensor({body}{extra})"

    # ------------------------------------------------------------ conversion
    def numpy(self):
        """The data as a NumPy array (copied from the GPU when needed)."""
        return self.data if self._device == "cpu" else self.data.get()

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def to(self, device):
        """A copy on ``device`` ("cpu" or "cuda"); self when already there. The copy is a leaf."""
        device = backend.check_device(device)
        if device == self._device:
            return self
        return Tensor(backend.to_device(self.data, device), requires_grad=self.requires_grad)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def astype(self, dtype):
        return Tensor(self.data.astype(dtype), requires_grad=self.requires_grad)

    float = lambda self: self.astype(np.float32)  # noqa: E731
    double = lambda self: self.astype(np.float64)  # noqa: E731

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data, self._device, False)

    # ------------------------------------------------------------ autograd
    def backward(self, grad=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad, into ``leaf.grad``.

        ``grad`` is the upstream gradient (same shape as self); it may be left out
        for a one-element tensor such as a loss, where it is 1.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(was it computed under no_grad(), or from tensors without requires_grad=True?)")
        xp = backend.get_array_module(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() without a gradient needs a one-element tensor, got shape {self.shape}")
            grad = xp.ones_like(self.data)
        else:
            grad = grad.data if isinstance(grad, Tensor) else xp.asarray(grad, dtype=self.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(f"backward(): gradient shape {tuple(grad.shape)} does not match tensor shape {self.shape}")
        if self._ctx is None:
            self.grad = grad if self.grad is None else self.grad + grad
            return
        autograd.backward(self, grad, retain_graph)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor during backward."""
        self.retains_grad = True
        return self

    def zero_grad(self):
        self.grad = None

    def requires_grad_(self, flag=True):
        self.requires_grad = bool(flag)
        return self

    # ------------------------------------------------------------ operators
    def __add__(self, other): return _m.add(self, other)
    def __radd__(self, other): return _m.add(other, self)
    def __sub__(self, other): return _m.sub(self, other)
    def __rsub__(self, other): return _m.sub(other, self)
    def __mul__(self, other): return _m.mul(self, other)
    def __rmul__(self, other): return _m.mul(other, self)
    def __truediv__(self, other): return _m.div(self, other)
    def __rtruediv__(self, other): return _m.div(other, self)
    def __matmul__(self, other): return _m.matmul(self, other)
    def __rmatmul__(self, other): return _m.matmul(other, self)
    def __pow__(self, exponent): return _m.pow(self, exponent)
    def __neg__(self): return _m.neg(self)
    def __getitem__(self, index): return _m.getitem(self, index)

    # comparisons give plain boolean tensors (no gradient)
    def _cmp(self, other, op):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(op(self.data, other), self._device, False)

    def __lt__(self, other): return self._cmp(other, lambda a, b: a < b)
    def __le__(self, other): return self._cmp(other, lambda a, b: a <= b)
    def __gt__(self, other): return self._cmp(other, lambda a, b: a > b)
    def __ge__(self, other): return self._cmp(other, lambda a, b: a >= b)
    def __eq__(self, other): return self._cmp(other, lambda a, b: a == b)
    def __ne__(self, other): return self._cmp(other, lambda a, b: a != b)
    __hash__ = object.__hash__

    # ------------------------------------------------------------ methods
    def sum(self, axis=None, keepdims=False): return _m.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _m.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _m.max(self, axis, keepdims)
    def argmax(self, axis=None):
        return Tensor._wrap(self.data.argmax(axis=axis), self._device, False)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _m.reshape(self, shape)

    view = reshape

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _m.transpose(self, axes or None)

    T = property(lambda self: _m.transpose(self, None))

    def flatten(self, start_dim=0):
        return _m.reshape(self, self.shape[:start_dim] + (-1,))

    def exp(self): return _m.exp(self)
    def log(self): return _m.log(self)
    def sqrt(self): return _m.pow(self, 0.5)
    def abs(self): return _m.abs(self)
    def relu(self): return _act.relu(self)
    def sigmoid(self): return _act.sigmoid(self)
    def tanh(self): return _act.tanh(self)
    def softmax(self, axis=-1): return _act.softmax(self, axis)
    def log_softmax(self, axis=-1): return _act.log_softmax(self, axis)


def tensor(data, dtype=None, device="cpu", requires_grad=False):
    """Make a leaf Tensor from a list, a scalar or an array (float32 for floating data by default)."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros(*shape, dtype=np.float32, device="cpu", requires_grad=False):
    xp = backend.xp_for(device)
    return Tensor(xp.zeros(shape, dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=np.float32, device="cpu", requires_grad=False):
    xp = backend.xp_for(device)
    return Tensor(xp.ones(shape, dtype=dtype), requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, device="cpu", requires_grad=False):
    """Standard normal samples from the library's seeded generator."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    data = backend.rng(device).standard_normal(shape, dtype=np.dtype(dtype).type)
    return Tensor(data, requires_grad=requires_grad)


from . import autograd  # noqa: E402  (autograd needs Tensor defined first)
from .functional import math as _m  # noqa: E402
from .functional import activation as _act  # noqa: E402
