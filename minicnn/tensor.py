"""The Tensor: an ndarray (NumPy or CuPy) plus what autograd needs.

A Tensor made by an op remembers that op in ``_ctx``; leaves (made by the
user, or parameters) have ``_ctx = None`` and receive ``.grad`` when
``backward`` is called on something computed from them.

Every method name that PyTorch has means what it means in PyTorch:
``transpose(0, 1)`` swaps two dimensions, ``max(1)`` returns (values, indices),
``size()`` is the shape. NumPy's ``axis=``/``keepdims=`` are accepted as
aliases of ``dim=``/``keepdim=``. The one attribute that follows NumPy is
``data``: it is the ndarray itself (the thing a learner studies), not a Tensor.

Every in-place change (``add_``, ``zero_``, ``x[i] = v``, ``copy_``, an optimizer
step) adds one to the tensor's version, ``x._version``; views share their base's
counter. An op records the versions of the tensors it saves for backward, and
backward raises PyTorch's "modified by an inplace operation" error when one has
moved, instead of computing a gradient from the changed values.
"""
from collections import namedtuple

import numpy as np

from . import backend, printing
from . import layout as _layout


def _default_dtype(array):
    """float32 unless asked otherwise: float64 arrays from NumPy become float32."""
    if array.dtype == np.float64 or array.dtype == np.float16:
        return np.float32
    return None


def _dim(dim, axis, keepdim, keepdims, name):
    """Merge PyTorch's (dim, keepdim) with NumPy's aliases (axis, keepdims)."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}() got both dim={dim!r} and axis={axis!r}; pass one of them")
        dim = axis
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim or keepdims)


def _shape_args(shape):
    """reshape(2, 3), reshape((2, 3)) and reshape([2, 3]) all mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Size(tuple):
    """A shape: a tuple, printed as PyTorch prints torch.Size (``Size([2, 3])``), with ``numel()``."""

    __slots__ = ()

    def __repr__(self):
        return f"Size({list(self)})"

    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n


# torch.return_types.max / min: a named tuple, so `values, indices = x.max(1)` and `x.max(1).values` both work
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class Tensor:
    """A multi-dimensional array that can record the ops applied to it.

    Attributes:
      array          the ndarray itself (numpy.ndarray on "cpu", cupy.ndarray on "cuda"): what every
                     op of the engine reads and writes
      data           PyTorch's .data: a Tensor sharing this one's memory, outside the graph
      grad           a Tensor of the same shape, or None: d(loss)/d(self) after backward;
                     its array is this tensor's own (never shared with another tensor)
      requires_grad  whether ops on this tensor are recorded for backward
      device         "cpu" or "cuda"
    """

    # _vc: the version counter, a one-element list so that views can share it
    __slots__ = ("array", "_grad", "_requires_grad", "retains_grad", "_ctx", "_device", "_vc", "__weakref__")
    __array_priority__ = 1000          # ndarray + Tensor -> Tensor.__radd__

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.array
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
        self.array = data
        self._grad = None
        self._requires_grad = False
        self.retains_grad = False
        self._ctx = None
        self._device = device
        self._vc = [0]
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, data, device, requires_grad):
        """Fast constructor for op outputs (no conversion, no checks)."""
        t = object.__new__(cls)
        t.array = data
        t._grad = None
        t._requires_grad = requires_grad
        t.retains_grad = False
        t._ctx = None
        t._device = device
        t._vc = [0]
        return t

    # ------------------------------------------------------------ attributes
    @property
    def data(self):
        """PyTorch's ``.data``: a tensor sharing this one's memory, detached from the graph (no grad_fn,
        requires_grad False) and with a version counter of its own, so an in-place change made
        through it is not seen by autograd -- as in PyTorch, where detach() is the safer choice.
        The array itself is ``.array`` (``.numpy()`` on the CPU)."""
        return Tensor._wrap(self.array, self._device, False)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__} "
                            "(to replace the array itself, assign to .array)")
        self.array, self._device = value.array, value._device

    shape = property(lambda self: tuple(self.array.shape))
    dtype = property(lambda self: self.array.dtype)
    ndim = property(lambda self: self.array.ndim)
    device = property(lambda self: self._device)
    is_leaf = property(lambda self: self._ctx is None)
    is_cuda = property(lambda self: self._device == "cuda")
    _version = property(lambda self: self._vc[0], doc="How many in-place changes this memory has had (PyTorch's).")

    def size(self, dim=None):
        """The shape as a Size (as PyTorch's ``x.size()``), or its length along ``dim``."""
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

    @property
    def grad_fn(self):
        """The op that made this tensor (PyTorch's backward node: ``name()``, ``next_functions``); None for a
        leaf."""
        return self._ctx

    def dim(self):
        return self.array.ndim

    def numel(self):
        return int(self.array.size)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                value = Tensor._wrap(value, backend.device_of(value), False)
            if value.shape != self.shape:
                raise ValueError(f"assigned grad has shape {value.shape}, but the tensor has shape {self.shape}")
        self._grad = value

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.array)

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.array)))

    def __bool__(self):
        if self.array.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.array.size} elements is ambiguous; "
                             "use .any() or .all(), or compare .item()")
        return bool(self.array.reshape(()).item())

    def __float__(self): return float(self.item())
    def __int__(self): return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError(f"only one-element integer tensors can be used as an index, got {self.dtype} {self.shape}")
        return int(self.item())

    def __format__(self, spec):
        """A one-element tensor formats as its number (f"{loss:.4f}"), as in PyTorch."""
        if self.array.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)      # str(self); a format spec is a TypeError, as PyTorch's

    def __repr__(self, prefix="tensor("):
        """PyTorch's printout (minicnn.printing): the values, then device, dtype and grad_fn as it adds them."""
        suffixes = [] if self._device == "cpu" else [f"device='{self._device}'"]
        if self.array.size == 0:                    # PyTorch shows what the missing values cannot
            suffixes += [f"size={tuple(self.shape)}"] if self.ndim != 1 else []
            suffixes += [f"dtype={self.dtype}"] if self.dtype != np.float32 else []
        else:
            suffixes += [f"size={tuple(self.shape)}"] if not printing.get_printoptions()["edgeitems"] else []
            suffixes += [f"dtype={self.dtype}"] if self.dtype not in (np.float32, np.int64, np.bool_) else []
        if self._ctx is not None:
            suffixes.append(f"grad_fn=<{self._ctx.name()}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        return printing.tensor_repr(self.numpy(), suffixes, prefix)

    # ------------------------------------------------------------ conversion
    def numpy(self):
        """The data as a NumPy array (copied from the GPU when needed)."""
        return self.array if self._device == "cpu" else self.array.get()

    def __array__(self, dtype=None, copy=None):
        """np.asarray(tensor) for a CPU tensor, as PyTorch allows; a GPU tensor must be copied with
        .cpu() first."""
        if self._device != "cpu":
            raise TypeError("can't convert a cuda tensor to NumPy implicitly: use .cpu() or .numpy() first")
        a = np.asarray(self.array)                  # ops may leave a NumPy scalar for a 0-d result
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.array.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def to(self, *args, dtype=None, device=None, **_ignored):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``.

        A device move gives a new leaf (self when already there); a dtype change is recorded
        in the graph, as in PyTorch. ``non_blocking=`` and ``copy=`` are accepted and ignored."""
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, str):
                device = a
            else:
                dtype = a
        out = self
        if device is not None:
            device = backend.check_device(device)
            if device != self._device:
                out = Tensor(backend.to_device(self.array, device), requires_grad=self.requires_grad)
        if dtype is not None:
            out = out.type(dtype)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda")

    def type(self, dtype):
        """The tensor cast to ``dtype`` (differentiable between floating types, as in PyTorch)."""
        return _m.cast(self, dtype)

    astype = type

    def float(self): return _m.cast(self, np.float32)
    def double(self): return _m.cast(self, np.float64)
    def half(self): return _m.cast(self, np.float16)
    def long(self): return _m.cast(self, np.int64)
    def int(self): return _m.cast(self, np.int32)
    def bool(self): return _m.cast(self, np.bool_)

    def detach(self):
        """The same data, cut from the graph (and sharing the version counter, as the memory)."""
        t = Tensor._wrap(self.array, self._device, False)
        t._vc = self._vc
        return t

    def clone(self):
        """A copy with its own memory; gradients flow back through it (as PyTorch's clone)."""
        return _m.clone(self)

    def contiguous(self):
        """self when its memory is in order (C order, or the batch-last layout minicnn's ops keep, which
        stands for PyTorch's contiguous one); else a copy in C order, in the graph (PyTorch's clone)."""
        if self.array.flags.c_contiguous or _layout.batch_last(self.array):
            return self
        return _m.clone(self)

    # ------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad, into ``leaf.grad``.

        ``gradient`` is the upstream gradient (same shape as self); it may be left out
        for a one-element tensor such as a loss, where it is 1.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(was it computed under no_grad(), or from tensors without requires_grad=True?)")
        xp = backend.get_array_module(self.array)
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(f"backward() without a gradient needs a one-element tensor, got shape {self.shape}")
            gradient = xp.ones_like(self.array)
        else:
            gradient = gradient.array if isinstance(gradient, Tensor) else xp.asarray(gradient, dtype=self.dtype)
            if gradient.shape != self.array.shape:
                raise ValueError(f"backward(): gradient shape {tuple(gradient.shape)} does not match "
                                 f"tensor shape {self.shape}")
        autograd.backward(self, gradient, retain_graph)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor during backward."""
        self.retains_grad = True
        return self

    def zero_grad(self):
        self._grad = None

    @property
    def requires_grad(self):
        """Whether ops on this tensor are recorded for backward (floating-point tensors only, as PyTorch)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.array.dtype.kind not in "fc":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients (this one is "
                               f"{self.array.dtype}; convert it first, e.g. t.float())")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------ operators
    def __add__(self, other): return _m.add(self, other)
    def __radd__(self, other): return _m.add(other, self)
    def __sub__(self, other): return _m.sub(self, other)
    def __rsub__(self, other): return autograd.shown_as(_m.sub(other, self), "RsubBackward1", self)
    def __mul__(self, other): return _m.mul(self, other)
    def __rmul__(self, other): return _m.mul(other, self)
    def __truediv__(self, other): return _m.div(self, other)
    def __rtruediv__(self, other):                # PyTorch's graph: other * self.reciprocal()
        reciprocal = autograd.ShownNode("ReciprocalBackward0", self)
        return autograd.shown_as(_m.div(other, self), "MulBackward0", reciprocal, None)
    def __matmul__(self, other): return _m.matmul(self, other)
    def __rmatmul__(self, other): return _m.matmul(other, self)
    def __pow__(self, exponent): return _m.pow(self, exponent)
    def __rpow__(self, base): return _m.pow(base, self)
    def __neg__(self): return _m.neg(self)
    def __floordiv__(self, other): return _m.floor_divide(self, other)
    def __rfloordiv__(self, other): return _m.floor_divide(other, self)
    def __mod__(self, other): return _m.remainder(self, other)
    def __rmod__(self, other): return _m.remainder(other, self)
    def __and__(self, other): return _m.bitwise("and", self, other)
    def __rand__(self, other): return _m.bitwise("and", other, self)
    def __or__(self, other): return _m.bitwise("or", self, other)
    def __ror__(self, other): return _m.bitwise("or", other, self)
    def __xor__(self, other): return _m.bitwise("xor", self, other)
    def __rxor__(self, other): return _m.bitwise("xor", other, self)
    def __invert__(self): return _m.bitwise("not", self)
    def where(self, condition, other): return _m.where(condition, self, other)
    def sort(self, dim=-1, descending=False, stable=False): return _m.sort(self, dim, descending, stable)
    def topk(self, k, dim=-1, largest=True, sorted=True): return _m.topk(self, k, dim, largest, sorted)  # noqa: A002
    def masked_fill(self, mask, value): return _m.masked_fill(self, mask, value)
    def remainder(self, other): return _m.remainder(self, other)
    def floor_divide(self, other): return _m.floor_divide(self, other)
    def logical_not(self): return _m.bitwise("not", _m.cast(self, bool))
    def __getitem__(self, index): return _m.getitem(self, index)

    def __setitem__(self, index, value):
        self._in_place("item assignment")
        if getattr(value, "requires_grad", False) and autograd.is_grad_enabled():
            raise RuntimeError("item assignment of a tensor that requires grad: minicnn does not record in-place "
                               "operations, so its gradient would be lost; build the result out of place (cat, stack)")
        index = _m.unwrap_index(index)
        self._array()[index] = value.array if isinstance(value, Tensor) else value

    # comparisons give plain boolean tensors (no gradient)
    def _cmp(self, other, op):
        other = other.array if isinstance(other, Tensor) else other
        return Tensor._wrap(op(self.array, other), self._device, False)

    def __lt__(self, other): return self._cmp(other, lambda a, b: a < b)
    def __le__(self, other): return self._cmp(other, lambda a, b: a <= b)
    def __gt__(self, other): return self._cmp(other, lambda a, b: a > b)
    def __ge__(self, other): return self._cmp(other, lambda a, b: a >= b)
    def __eq__(self, other): return self._cmp(other, lambda a, b: a == b)
    def __ne__(self, other): return self._cmp(other, lambda a, b: a != b)
    __hash__ = object.__hash__
    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def equal(self, other):
        """True when both tensors have the same shape and elements (torch.equal)."""
        return self.shape == other.shape and bool((self.array == other.array).all())

    def any(self): return Tensor._wrap(self.array.any(), self._device, False)
    def all(self): return Tensor._wrap(self.array.all(), self._device, False)

    # ------------------------------------------------------------ in place
    def _array(self):
        """The data as an array that can be written in place (an op's 0-d result may be a NumPy scalar)."""
        if isinstance(self.array, np.generic):
            self.array = np.asarray(self.array)
        return self.array

    def _in_place(self, what):
        """PyTorch's rule: no in-place change to a leaf that requires grad while gradients are
        recorded. minicnn does not record in-place ops at all, so a tensor inside a graph is refused too.
        A change that is allowed bumps the version (callers make it right after this check)."""
        if not (self.requires_grad and autograd.is_grad_enabled()):
            self._vc[0] += 1
            return
        if self._ctx is None:
            raise RuntimeError(f"a leaf tensor that requires grad is being used in an in-place operation ({what}); "
                               "do it inside `with no_grad():`, as when updating weights by hand")
        raise RuntimeError(f"{what}: minicnn does not record in-place operations on a tensor inside a graph; "
                           "write the out-of-place form instead (x = x + y rather than x.add_(y))")

    def _inplace_op(self, other, ufunc, what):
        self._in_place(what)
        other = other.array if isinstance(other, Tensor) else other
        ufunc(self._array(), other, out=self.array, casting="same_kind")
        return self

    def _augmented(self, other, ufunc, out_of_place):
        """``x += y``: in place when no graph is being recorded (a weight update under no_grad);
        inside a graph, the out-of-place result (Python rebinds x to it, so x gets PyTorch's value)."""
        if autograd.is_grad_enabled() and (self.requires_grad or getattr(other, "requires_grad", False)):
            if self._ctx is None and self.requires_grad:
                self._in_place("an augmented assignment such as -=")       # raises PyTorch's error
            return out_of_place(self, other)
        return self._inplace_op(other, ufunc, "an augmented assignment")

    def __iadd__(self, other): return self._augmented(other, backend.get_array_module(self.array).add, _m.add)
    def __isub__(self, other): return self._augmented(other, backend.get_array_module(self.array).subtract, _m.sub)
    def __imul__(self, other): return self._augmented(other, backend.get_array_module(self.array).multiply, _m.mul)
    def __itruediv__(self, other): return self._augmented(other, backend.get_array_module(self.array).divide, _m.div)

    def add_(self, other, alpha=1):
        other = other.array if isinstance(other, Tensor) else other
        return self._inplace_op(other * alpha if alpha != 1 else other, backend.get_array_module(self.array).add, "add_")

    def sub_(self, other, alpha=1):
        other = other.array if isinstance(other, Tensor) else other
        return self._inplace_op(other * alpha if alpha != 1 else other, backend.get_array_module(self.array).subtract,
                                "sub_")

    def mul_(self, other): return self._inplace_op(other, backend.get_array_module(self.array).multiply, "mul_")
    def div_(self, other): return self._inplace_op(other, backend.get_array_module(self.array).divide, "div_")

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        self._in_place("fill_")
        self._array()[...] = value
        return self

    def copy_(self, src):
        """Copy ``src``'s values (broadcast to this shape) into this tensor's own memory."""
        self._in_place("copy_")
        src = src.array if isinstance(src, Tensor) else src
        xp = backend.get_array_module(self.array)
        if backend.device_of(src) != self._device:
            src = backend.to_device(src if hasattr(src, "dtype") else np.asarray(src), self._device)
        self._array()[...] = xp.asarray(src).astype(self.dtype, copy=False)
        return self

    def clamp_(self, min=None, max=None):  # noqa: A002  (PyTorch's argument names)
        self._in_place("clamp_")
        backend.get_array_module(self.array).clip(self._array(), min, max, out=self.array)
        return self

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=False, dtype=None):
        dim, keepdim = _dim(dim, axis, keepdim, keepdims, "sum")
        out = _m.sum(self, dim, keepdim)
        return out if dtype is None else out.type(dtype)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        dim, keepdim = _dim(dim, axis, keepdim, keepdims, "mean")
        return _m.mean(self, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        """The largest element; with ``dim``, (values, indices) along it, as torch.max. With a tensor, the
        element-wise maximum (torch.max(a, b))."""
        if isinstance(dim, Tensor):
            return _m.maximum(self, dim)
        dim, keepdim = _dim(dim, axis, keepdim, keepdims, "max")
        return _m.max(self) if dim is None else _m.max_dim(self, dim, keepdim, "max")

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        """The smallest element; with ``dim``, (values, indices) along it, as torch.min."""
        if isinstance(dim, Tensor):
            return _m.minimum(self, dim)
        dim, keepdim = _dim(dim, axis, keepdim, keepdims, "min")
        return _m.min(self) if dim is None else _m.max_dim(self, dim, keepdim, "min")

    def amax(self, dim=None, keepdim=False):
        return _m.max(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return _m.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        dim, keepdim = _dim(dim, axis, keepdim, keepdims, "argmax")
        return _m.arg_reduce(self, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        dim, keepdim = _dim(dim, axis, keepdim, keepdims, "argmin")
        return _m.arg_reduce(self, dim, keepdim, "argmin")

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape):
        return _m.reshape(self, _shape_args(shape))

    def view(self, *shape):
        """The same memory in another shape; like PyTorch, refused where that needs a copy (after a
        transpose or a slice): use reshape(), or contiguous() first."""
        out = _m.reshape(self, _shape_args(shape))
        if out._vc is not self._vc and self.array.size and not _layout.batch_last(self.array):
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return out

    def view_as(self, other):
        return self.view(other.shape)

    reshape_as = view_as

    def transpose(self, dim0, dim1):
        """Swap two dimensions (PyTorch's transpose; permute() takes a full order)."""
        nd = self.array.ndim
        axes = list(range(nd))
        try:
            axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        except IndexError:
            raise IndexError(f"transpose({dim0}, {dim1}): dimension out of range for a {nd}-D tensor") from None
        return autograd.shown_as(_m.transpose(self, axes), "TransposeBackward0")

    def permute(self, *dims):
        dims = _shape_args(dims)
        if sorted(d % self.array.ndim for d in dims) != list(range(self.array.ndim)):
            raise ValueError(f"permute{dims}: expected an order of all {self.array.ndim} dimensions")
        return autograd.shown_as(_m.transpose(self, [d % self.array.ndim for d in dims]), "PermuteBackward0")

    T = property(lambda self: autograd.shown_as(_m.transpose(self, None), "PermuteBackward0"))

    def t(self):
        if self.array.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions, got {self.array.ndim}")
        return autograd.shown_as(_m.transpose(self, None), "TBackward0")

    def flatten(self, start_dim=0, end_dim=-1):
        return _m.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        """Drop dimensions of size 1 (only ``dim``, if given and of size 1)."""
        shape = self.shape
        if dim is None:
            return _m.reshape(self, tuple(n for n in shape if n != 1), "SqueezeBackward0")
        dims = {d % len(shape) for d in ((dim,) if isinstance(dim, int) else dim)} if shape else set()
        return _m.reshape(self, tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)),
                          "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2")

    def unsqueeze(self, dim):
        shape = list(self.shape)
        if not -len(shape) - 1 <= dim <= len(shape):
            raise IndexError(f"unsqueeze({dim}): dimension out of range for a {len(shape)}-D tensor")
        shape.insert(dim % (len(shape) + 1), 1)
        return _m.reshape(self, tuple(shape), "UnsqueezeBackward0")

    def expand(self, *sizes):
        return _m.expand(self, _shape_args(sizes))

    def expand_as(self, other):
        return _m.expand(self, other.shape)

    # ------------------------------------------------------------ element-wise
    def exp(self): return _m.exp(self)
    def log(self): return _m.log(self)
    def sqrt(self): return autograd.shown_as(_m.pow(self, 0.5), "SqrtBackward0")
    def abs(self): return _m.abs(self)
    def pow(self, exponent): return _m.pow(self, exponent)
    def sin(self): return _m.sin(self)
    def cos(self): return _m.cos(self)
    def clamp(self, min=None, max=None): return _m.clamp(self, min, max)  # noqa: A002
    clip = clamp
    def add(self, other, alpha=1): return _m.add(self, other if alpha == 1 else other * alpha)
    def sub(self, other, alpha=1): return _m.sub(self, other if alpha == 1 else other * alpha)
    def mul(self, other): return _m.mul(self, other)
    def div(self, other): return _m.div(self, other)
    def matmul(self, other): return _m.matmul(self, other)
    def mm(self, other): return _m.matmul(self, other)
    def relu(self): return _act.relu(self)
    def sigmoid(self): return _act.sigmoid(self)
    def tanh(self): return _act.tanh(self)
    def softmax(self, dim=None, *, axis=None): return _act.softmax(self, dim if axis is None else axis)
    def log_softmax(self, dim=None, *, axis=None): return _act.log_softmax(self, dim if axis is None else axis)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """The variance (over ``dim``, all elements by default), divided by n - 1 (PyTorch's default;
        ``unbiased=False`` or ``correction=0``: by n). Differentiable."""
        correction = (1 if unbiased else 0) if correction is None else correction
        n = self.array.size if dim is None else int(np.prod([self.array.shape[d] for d in
                                                            ((dim,) if isinstance(dim, int) else dim)]))
        centred = self - self.mean(dim, keepdim=True)
        var = (centred * centred).sum(dim, keepdim=keepdim) / max(n - correction, 0)
        return autograd.shown_as(var, "VarBackward0", self)          # one node in PyTorch

    def norm(self, p="fro", dim=None, keepdim=False):
        """The Euclidean norm (p=2, "fro": the default) or the sum of absolute values (p=1), over ``dim``
        (all elements by default)."""
        if p in (2, 2.0, "fro"):
            return _m.Norm.apply(self, axis=dim, keepdims=keepdim)
        if p == 1:
            return autograd.shown_as(self.abs().sum(dim, keepdim), "LinalgVectorNormBackward0", self)
        raise NotImplementedError(f"norm(p={p!r}): only p=2 ('fro') and p=1 are supported; for others "
                                  "write it out, e.g. (x.abs() ** p).sum() ** (1 / p)")

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """The standard deviation: sqrt(var(...)), PyTorch's unbiased one by default."""
        std = self.var(dim, unbiased, keepdim, correction=correction).sqrt()
        return autograd.shown_as(std, "StdBackward0", self)


def tensor(data, dtype=None, device="cpu", requires_grad=False):
    """Make a leaf Tensor from a list, a scalar or an array (float32 for floating data by default).
    Like torch.tensor, it copies: the tensor never shares memory with ``data``."""
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in data):
        data = [v.numpy() if isinstance(v, Tensor) else v for v in data]
    xp = backend.xp_for(device)
    if backend.device_of(data) == backend.check_device(device):
        data = xp.array(data, copy=True)
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def _filled(fill, shape, dtype, device, requires_grad):
    xp = backend.xp_for(device)
    a = fill(xp, _shape_args(shape), dtype)
    return Tensor(a, dtype=a.dtype, requires_grad=requires_grad)


def zeros(*size, dtype=np.float32, device="cpu", requires_grad=False):
    """zeros(2, 3) or zeros((2, 3))."""
    return _filled(lambda xp, s, d: xp.zeros(s, dtype=d), size, dtype, device, requires_grad)


def ones(*size, dtype=np.float32, device="cpu", requires_grad=False):
    """ones(2, 3) or ones((2, 3))."""
    return _filled(lambda xp, s, d: xp.ones(s, dtype=d), size, dtype, device, requires_grad)


def randn(*size, dtype=np.float32, device="cpu", requires_grad=False):
    """Standard normal samples from the library's seeded generator."""
    data = backend.rng(device).standard_normal(_shape_args(size), dtype=np.dtype(dtype).type)
    return Tensor(data, dtype=data.dtype, requires_grad=requires_grad)


from . import autograd  # noqa: E402  (autograd needs Tensor defined first)

# The ops behind the operators and methods above (x + y, x.sum(), x.relu()) are Functions in
# functional/math.py and functional/activation.py, and those import Tensor. So that tensor.py does not
# import them back (a cycle through all of functional/), minicnn.functional hands them over when it is
# imported, and each method looks its op up when called: DeZero's setup_variable, in one call.
_m = _act = None


def _bind_ops(math, activation):
    """Give Tensor's methods the modules that hold their ops (minicnn/functional/__init__.py calls this)."""
    global _m, _act
    _m, _act = math, activation
