"""Tensor arithmetic and reductions, each with its backward.

Broadcasting: when an input was broadcast in the forward pass, its gradient
is summed back over the broadcast axes (:func:`unbroadcast`), so that
``x.grad.shape == x.shape`` always holds.
"""
from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor


def as_tensor(value, like):
    """A Python scalar or array as a constant Tensor with ``like``'s dtype and device.

    Keeping the dtype here is what stops NumPy 2 from promoting ``float32 * 0.5``
    through a float64 scalar.
    """
    if isinstance(value, Tensor):
        return value
    xp = get_array_module(like.data)
    return Tensor._wrap(xp.asarray(value, dtype=like.data.dtype), like._device, False)


def _pair(a, b):
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor(b, a)
    return a, b


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    grad = grad.sum(axis=axes, keepdims=True) if axes else grad
    return grad.reshape(shape)


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, gy):
        sa, sb = self.shapes
        return unbroadcast(gy, sa), unbroadcast(gy, sb)


class Sub(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, gy):
        sa, sb = self.shapes
        return unbroadcast(gy, sa), unbroadcast(-gy, sb)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = unbroadcast(gy * b, a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(gy * a, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        a, b = self.a, self.b
        gb_full = gy / b
        ga = unbroadcast(gb_full, a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(-gb_full * a / b, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, gy):
        return -gy


class Pow(Function):
    """y = a ** p for a constant exponent p; dy/da = p * a ** (p - 1)."""

    def forward(self, a, exponent):
        self.a, self.p = a, exponent
        return a ** a.dtype.type(exponent)

    def backward(self, gy):
        a, p = self.a, self.a.dtype.type(self.p)
        return gy * p * a ** (p - 1)


class Exp(Function):
    def forward(self, a):
        self.y = get_array_module(a).exp(a)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, gy):
        return gy / self.a


class Abs(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).abs(a)

    def backward(self, gy):
        return gy * get_array_module(self.a).sign(self.a)


class MatMul(Function):
    """(..., n, k) @ (..., k, m) -> (..., n, m); 1-D operands as in NumPy."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        xp = get_array_module(gy)
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if self.needs_grad[0]:
            ga = unbroadcast(g2 @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_grad[1]:
            gb = unbroadcast(xp.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


def _norm_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def _expand(g, shape, axes, keepdims):
    """Re-insert reduced axes so that ``g`` broadcasts against the input's shape."""
    if not keepdims:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


class Sum(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _norm_axis(axis, a.ndim), keepdims
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.broadcast_to(_expand(gy, self.shape, self.axes, self.keepdims), self.shape)


class Mean(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _norm_axis(axis, a.ndim), keepdims
        return a.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        count = 1
        for ax in self.axes:
            count *= self.shape[ax]
        g = _expand(gy, self.shape, self.axes, self.keepdims) / gy.dtype.type(count)
        return xp.broadcast_to(g, self.shape)


class Max(Function):
    """Maximum over axes; the gradient is shared equally among tied maxima (as torch.amax)."""

    def forward(self, a, axis=None, keepdims=False):
        self.axes, self.keepdims = _norm_axis(axis, a.ndim), keepdims
        y = a.max(axis=self.axes, keepdims=True)
        self.mask = a == y
        return y if keepdims else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        mask = self.mask
        g = _expand(gy, mask.shape, self.axes, self.keepdims)
        count = mask.sum(axis=self.axes, keepdims=True).astype(gy.dtype)
        return mask * (g / count)


class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.shape)


class Transpose(Function):
    def forward(self, a, axes=None):
        self.axes = axes
        return a.transpose(axes)

    def backward(self, gy):
        if self.axes is None:
            return gy.transpose()
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)
        return gy.transpose(inverse)


class GetItem(Function):
    """Indexing; the gradient is scattered back (and added where an index repeats)."""

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, gy):
        xp = get_array_module(gy)
        g = xp.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            g[self.index] = gy
        else:
            xp.add.at(g, self.index, gy)       # repeated integer indices must add up
        return g


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


# ---------------------------------------------------------------- wrappers
def add(a, b): return Add.apply(*_pair(a, b))
def sub(a, b): return Sub.apply(*_pair(a, b))
def mul(a, b): return Mul.apply(*_pair(a, b))
def div(a, b): return Div.apply(*_pair(a, b))
def matmul(a, b): return MatMul.apply(*_pair(a, b))
def neg(a): return Neg.apply(a)
def exp(a): return Exp.apply(a)
def log(a): return Log.apply(a)
def abs(a): return Abs.apply(a)  # noqa: A001


def pow(a, exponent):  # noqa: A001
    if isinstance(exponent, Tensor):
        raise TypeError("pow: only a constant (Python number) exponent is supported")
    return Pow.apply(a, exponent=exponent)


def sum(a, axis=None, keepdims=False): return Sum.apply(a, axis=axis, keepdims=keepdims)  # noqa: A001
def mean(a, axis=None, keepdims=False): return Mean.apply(a, axis=axis, keepdims=keepdims)
def max(a, axis=None, keepdims=False): return Max.apply(a, axis=axis, keepdims=keepdims)  # noqa: A001
def reshape(a, shape): return Reshape.apply(a, shape=tuple(shape))
def transpose(a, axes=None): return Transpose.apply(a, axes=None if axes is None else tuple(axes))


def getitem(a, index):
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem.apply(a, index=index)
