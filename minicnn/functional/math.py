"""Tensor arithmetic and reductions, each with its backward.

Broadcasting: when an input was broadcast in the forward pass, its gradient
is summed back over the broadcast axes (:func:`unbroadcast`), so that
``x.grad.shape == x.shape`` always holds.
"""
import numpy as np
from ..autograd import Function, ShownNode, shown_as
from ..backend import get_array_module
from ..layout import batch_last
from ..tensor import Tensor, ValuesIndices


def as_tensor(value, like, dtype=None):
    """A Python scalar or array as a constant Tensor on ``like``'s device, of ``dtype`` (default:
    ``like``'s dtype).

    Keeping the dtype here is what stops NumPy 2 from promoting ``float32 * 0.5``
    through a float64 scalar.
    """
    if isinstance(value, Tensor):
        return value
    xp = get_array_module(like.array)
    return Tensor._wrap(xp.asarray(value, dtype=like.array.dtype if dtype is None else dtype), like._device, False)


_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def _category(dt):
    """PyTorch's order of kinds: 0 bool, 1 integer, 2 floating, 3 complex."""
    return _CATEGORY[dt.kind]


def promote_types(x, y):
    """torch.promote_types for NumPy dtypes (None: no operand yet): the higher kind wins whatever the
    sizes (int64 with float32 is float32, where NumPy gives float64); within a kind, NumPy's rule."""
    if x is None or x == y:
        return y
    if y is None:
        return x
    cx, cy = _category(x), _category(y)
    if cx != cy and not {cx, cy} == {2, 3}:
        return x if cx > cy else y
    return np.promote_types(x, y)


def _combine(higher, lower):
    """PyTorch's rule for operands of a lower priority (zero-dimensional tensors below tensors with
    dimensions, Python numbers below both): they decide the dtype only when of a higher kind."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    ch, cl = _category(higher), _category(lower)
    if ch == 3 or (ch == 2 and cl != 3):
        return higher
    return promote_types(higher, lower) if ch == 0 or cl >= 2 else higher


def _number_dtype(v):
    """The dtype PyTorch gives a Python (or NumPy) number in an op with tensors: bool, int64, its default
    float32, complex64."""
    if isinstance(v, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(v, (int, np.integer)):
        return np.dtype(np.int64)
    return np.dtype(np.complex64) if isinstance(v, (complex, np.complexfloating)) else np.dtype(np.float32)


def result_type(a, b):
    """torch.result_type of a binary op's operands (Tensors, arrays or numbers): the dtypes of the
    tensors with dimensions decide, unless a zero-dimensional tensor, or else a number, is of a higher
    kind (an integer tensor times 0.5 is float32; a float32 tensor times a float64 scalar tensor stays
    float32)."""
    dims = zeros = numbers = None
    for v in (a, b):
        if isinstance(v, (Tensor, np.ndarray)) or hasattr(v, "__cuda_array_interface__"):
            if v.ndim:
                dims = promote_types(dims, np.dtype(v.dtype))
            else:
                zeros = promote_types(zeros, np.dtype(v.dtype))
        else:
            numbers = promote_types(numbers, _number_dtype(v))
    return _combine(dims, _combine(zeros, numbers))


def _operands(a, b):
    """a and b as Tensors of their PyTorch result type (result_type), either given as a number or an
    array; a tensor of another dtype goes through a cast (differentiable between floating types)."""
    for v in (a, b):
        if isinstance(v, (tuple, list)):         # PyTorch refuses them too; x.max(1) + y is a likely slip
            raise TypeError(f"unsupported operand: a {type(v).__name__} ({type(v).__name__} of tensors from "
                            "max(dim)/min(dim)? take .values); use a tensor or a number")
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb and a.dtype == b.dtype:                      # the common cases, decided at once
        return a, b
    like = a if ta else b
    if ta != tb and like.dtype.kind == "f" and isinstance(b if ta else a, (int, float)):
        return (a, as_tensor(b, a)) if ta else (as_tensor(a, b), b)    # a float tensor and a Python number
    dtype = result_type(a, b)
    return tuple(cast(v, dtype) if isinstance(v, Tensor) else as_tensor(v, like, dtype) for v in (a, b))


def floating(a):
    """``a``, or an integer or bool tensor as float32: PyTorch computes exp, log, sin, cos, sigmoid,
    tanh and fractional powers of integers in its default float dtype."""
    return cast(a, np.float32) if isinstance(a, Tensor) and a.dtype.kind in "biu" else a


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    grad = grad.sum(axis=axes, keepdims=True) if axes else grad
    return grad.reshape(shape)


class Add(Function):
    """y = a + b (broadcasting); ga = gy, gb = gy, each summed back to its input's shape."""
    saves = ()

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, gy):
        sa, sb = self.shapes
        return unbroadcast(gy, sa), unbroadcast(gy, sb)


class Sub(Function):
    """y = a - b; ga = gy, gb = -gy (unbroadcast)."""
    saves = ()

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, gy):
        sa, sb = self.shapes
        return unbroadcast(gy, sa), unbroadcast(-gy, sb)


class Mul(Function):
    """y = a * b; ga = gy * b, gb = gy * a (unbroadcast)."""

    def saved_inputs(self):                # b is read for a's gradient, a for b's (PyTorch saves the same)
        return [i for i, other in ((0, 1), (1, 0)) if self.needs_grad[other]]

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = unbroadcast(gy * b, a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(gy * a, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Div(Function):
    """y = a / b; ga = gy / b, gb = -gy * a / b^2 (unbroadcast)."""

    def saved_inputs(self):                # b for either gradient, a only for b's
        return (0, 1) if self.needs_grad[1] else (1,)

    def forward(self, a, b):
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":     # true division of integers: float32, as PyTorch
            a, b = a.astype(np.float32), b.astype(np.float32)
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        a, b = self.a, self.b
        gb_full = gy / b
        ga = unbroadcast(gb_full, a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(-gb_full * a / b, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Neg(Function):
    """y = -a; ga = -gy."""
    saves = ()

    def forward(self, a):
        return -a

    def backward(self, gy):
        return -gy


class Pow(Function):
    """y = a ** p for a constant exponent p; dy/da = p * a ** (p - 1)."""
    saves = (0,)

    def forward(self, a, exponent):
        self.a, self.p = a, exponent
        return a ** a.dtype.type(exponent)

    def backward(self, gy):
        a, p = self.a, self.a.dtype.type(self.p)
        return gy * p * a ** (p - 1)


class PowTensor(Function):
    """y = a ** b for tensors (broadcasting); ga = gy * b * a ** (b - 1), gb = gy * y * ln a, taken as 0
    where a = 0 and b >= 0 (0 ** b is flat in b there; PyTorch's convention)."""
    torch_name = "PowBackward1"
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(invalid="ignore", divide="ignore"):    # NaN for (-1) ** 0.5 as PyTorch, unwarned
            self.y = a ** b
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        a, b = self.a, self.b
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_grad[0]:
                ga = unbroadcast(gy * b * a ** (b - b.dtype.type(1)), a.shape)
            if self.needs_grad[1]:
                g = gy * self.y * xp.log(a)
                gb = unbroadcast(xp.where((a == 0) & (b >= 0), g.dtype.type(0), g), b.shape)
        return ga, gb


class Norm(Function):
    """The Euclidean norm over ``axis`` (all elements by default): y = sqrt(sum a^2);
    ga = gy * a / y, taken as 0 where y = 0 (PyTorch's subgradient at the origin)."""
    torch_name = "LinalgVectorNormBackward0"

    def forward(self, a, axis=None, keepdims=False):
        self.a, self.axes, self.keepdims = a, _norm_axis(axis, a.ndim), keepdims
        self.y = get_array_module(a).sqrt((a * a).sum(axis=self.axes, keepdims=True))
        return self.y if keepdims else self.y.reshape([n for i, n in enumerate(a.shape) if i not in self.axes])

    def backward(self, gy):
        xp = get_array_module(gy)
        g = _expand(gy, self.a.shape, self.axes, self.keepdims)
        y = self.y
        return g * self.a / xp.where(y == 0, y.dtype.type(1), y) * (y != 0)


class Exp(Function):
    """y = e^a elementwise; ga = gy * y (the output is kept: it is its own derivative)."""
    saves, saves_output = (), True

    def forward(self, a):
        self.y = get_array_module(a).exp(a)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    """y = ln a elementwise; ga = gy / a."""
    saves = (0,)

    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, gy):
        return gy / self.a


class Abs(Function):
    """y = |a| elementwise; ga = gy * sign(a) (0 at a = 0, as PyTorch)."""
    saves = (0,)

    def forward(self, a):
        self.a = a
        return get_array_module(a).abs(a)

    def backward(self, gy):
        return gy * get_array_module(self.a).sign(self.a)


class MatMul(Function):
    """(..., n, k) @ (..., k, m) -> (..., n, m); 1-D operands as in NumPy."""

    saved_inputs = Mul.saved_inputs        # b is read for a's gradient, a for b's

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
    """y = sum of a over ``axis`` (all by default); ga = gy broadcast back over the reduced axes."""
    saves = ()

    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _norm_axis(axis, a.ndim), keepdims
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.broadcast_to(_expand(gy, self.shape, self.axes, self.keepdims), self.shape)


class Mean(Function):
    """y = mean of a over ``axis`` (all by default); ga = gy / (elements averaged), spread back
    over the reduced axes."""
    saves = ()

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
    """Maximum over axes (all of them by default); the gradient is shared equally among tied maxima
    (as torch.max(x) and torch.amax). ``op="min"`` makes it the minimum."""
    saves, saves_output = (0,), True

    def forward(self, a, axis=None, keepdims=False, op="max"):
        self.axes, self.keepdims = _norm_axis(axis, a.ndim), keepdims
        y = getattr(a, op)(axis=self.axes, keepdims=True)
        self.mask = a == y
        return y if keepdims else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        mask = self.mask
        g = _expand(gy, mask.shape, self.axes, self.keepdims)
        count = mask.sum(axis=self.axes, keepdims=True).astype(gy.dtype)
        return mask * (g / count)


class MaxDim(Function):
    """torch.max(x, dim): the values at the indices argmax picks (the first of ties); the gradient
    goes to those indices only. ``op="min"`` for torch.min(x, dim)."""
    saves = ()

    def forward(self, a, dim, keepdim, op="max"):
        xp = get_array_module(a)
        idx = getattr(a, "arg" + op)(axis=dim)
        self.index = xp.expand_dims(idx, dim)
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        y = xp.take_along_axis(a, self.index, axis=dim)
        return y if keepdim else y.squeeze(dim)

    def backward(self, gy):
        xp = get_array_module(gy)
        if not self.keepdim:
            gy = xp.expand_dims(gy, self.dim)
        where = [1] * len(self.shape)
        where[self.dim] = self.shape[self.dim]
        hit = xp.arange(self.shape[self.dim]).reshape(where) == self.index      # one-hot along dim
        return hit * gy


class TakeAlong(Function):
    """y = a's values at ``index`` along ``dim`` (sort's and topk's values); the gradient goes back to
    those positions (each taken once along its slice)."""
    saves = ()

    def forward(self, a, index, dim):
        self.index, self.dim, self.shape = index, dim, a.shape
        return get_array_module(a).take_along_axis(a, index, axis=dim)

    def backward(self, gy):
        xp = get_array_module(gy)
        g = xp.zeros(self.shape, dtype=gy.dtype)
        xp.put_along_axis(g, self.index, gy, axis=self.dim)
        return g


class Maximum(Function):
    """Element-wise max(a, b) (torch.maximum); a tie sends half the gradient to each side, as PyTorch.
    ``op="minimum"`` for torch.minimum."""

    def forward(self, a, b, op="maximum"):
        xp = get_array_module(a)
        self.a_wins = (a > b) if op == "maximum" else (a < b)
        self.tie, self.shapes = a == b, (a.shape, b.shape)
        return getattr(xp, op)(a, b)

    def backward(self, gy):
        t = gy.dtype.type
        half = gy * self.tie * t(0.5)
        ga = gy * self.a_wins + half
        return unbroadcast(ga, self.shapes[0]), unbroadcast(gy - ga, self.shapes[1])


class Where(Function):
    """y = a where condition, else b (torch.where, broadcasting); ga = gy where condition, gb = gy
    elsewhere, each summed back to its input's shape."""
    saves = (0,)

    def forward(self, condition, a, b):
        xp = get_array_module(a)
        self.condition, self.shapes = condition, (a.shape, b.shape)
        return xp.where(condition, a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        zero = gy.dtype.type(0)
        ga = unbroadcast(xp.where(self.condition, gy, zero), self.shapes[0]) if self.needs_grad[1] else None
        gb = unbroadcast(xp.where(self.condition, zero, gy), self.shapes[1]) if self.needs_grad[2] else None
        return None, ga, gb


def _refuse_integer_zero(a, b, op):
    """Integers divided by 0 have no answer: PyTorch raises, where NumPy would warn and give 0."""
    if a.dtype.kind in "biu" and b.dtype.kind in "biu" and bool((b == 0).any()):
        raise ZeroDivisionError(f"{op}: integer division by zero (as PyTorch); divide floats to get inf")


class Remainder(Function):
    """y = a - floor(a / b) * b, the sign of b's (Python's %, torch.remainder); ga = gy,
    gb = -gy * floor(a / b)."""

    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        _refuse_integer_zero(a, b, "remainder")
        with np.errstate(divide="ignore", invalid="ignore"):     # floats: NaN, as PyTorch, unwarned
            return xp.remainder(a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        ga = unbroadcast(gy, self.a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(-gy * xp.floor_divide(self.a, self.b), self.b.shape) if self.needs_grad[1] else None
        return ga, gb


class FloorDivide(Function):
    """y = floor(a / b) (Python's //, torch.floor_divide). It has no derivative in PyTorch: backward
    through it raises PyTorch's error instead of passing a wrong gradient."""
    saves = ()

    def forward(self, a, b):
        _refuse_integer_zero(a, b, "floor_divide")
        with np.errstate(divide="ignore", invalid="ignore"):     # floats: inf and NaN, as PyTorch, unwarned
            return get_array_module(a).floor_divide(a, b)

    def backward(self, gy):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Clamp(Function):
    """y = min(max(x, lo), hi); the gradient passes where lo <= x <= hi (the bounds included, as PyTorch)."""
    torch_name = "ClampBackward1"
    saves = (0,)

    def forward(self, a, lo, hi):
        xp = get_array_module(a)
        self.keep = xp.ones(a.shape, dtype=bool)
        if lo is not None:
            self.keep &= a >= lo
        if hi is not None:
            self.keep &= a <= hi
        return xp.clip(a, lo, hi)

    def backward(self, gy):
        return gy * self.keep


class Cast(Function):
    """The input converted to another dtype; the gradient is converted back."""
    torch_name = "ToCopyBackward0"
    saves = ()

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, gy):
        return gy.astype(self.dtype)


class Clone(Function):
    """A copy with memory of its own; the gradient passes unchanged."""
    saves = ()

    def forward(self, a):
        return a.copy()

    def backward(self, gy):
        return gy


class Expand(Function):
    """The input broadcast to a larger shape (no copy); the gradient is summed back (unbroadcast)."""
    saves, view = (), True

    def forward(self, a, shape):
        self.shape = a.shape
        return get_array_module(a).broadcast_to(a, shape)

    def backward(self, gy):
        return unbroadcast(gy, self.shape)


class Sin(Function):
    """y = sin(a); ga = gy cos(a)."""
    saves = (0,)

    def forward(self, a):
        self.a = a
        return get_array_module(a).sin(a)

    def backward(self, gy):
        return gy * get_array_module(gy).cos(self.a)


class Cos(Function):
    """y = cos(a); ga = -gy sin(a)."""
    saves = (0,)

    def forward(self, a):
        self.a = a
        return get_array_module(a).cos(a)

    def backward(self, gy):
        return -gy * get_array_module(gy).sin(self.a)


class Reshape(Function):
    """The same elements in a new shape; the gradient is gy in the input's shape."""
    saves, view = (), True

    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.shape)


class Transpose(Function):
    """Axes reordered by ``axes`` (all reversed when None); the gradient is gy put back by the inverse
    order."""
    saves, view = (), True

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
    saves, view = (), True

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
def add(a, b):
    """a + b with broadcasting (either may be a number or an array)."""
    return Add.apply(*_operands(a, b))


def sub(a, b):
    """a - b with broadcasting."""
    return Sub.apply(*_operands(a, b))


def mul(a, b):
    """a * b element-wise, with broadcasting."""
    return Mul.apply(*_operands(a, b))


def div(a, b):
    """a / b element-wise, with broadcasting."""
    return Div.apply(*_operands(a, b))


def matmul(a, b):
    """The matrix product a @ b (batched over leading axes, as NumPy's matmul)."""
    a, b = _operands(a, b)
    return _matmul_shown(MatMul.apply(a, b), a, b)


def _matmul_shown(y, a, b):
    """PyTorch's node for a @ b, which it names by the operands' dimensions."""
    simple = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}.get((a.ndim, b.ndim))
    if simple:
        return shown_as(y, simple)
    if a.ndim > 2 and b.ndim == 2:           # PyTorch folds the batch into the rows: one mm, then a view
        return shown_as(y, "UnsafeViewBackward0", ShownNode("MmBackward0", a, b))
    if a.ndim > 2 and b.ndim > 2:
        return shown_as(y, "UnsafeViewBackward0", ShownNode("BmmBackward0", a, b))
    return y


def neg(a):
    """-a."""
    return Neg.apply(a)


def exp(a):
    """e ** a, element-wise."""
    return Exp.apply(floating(a))


def log(a):
    """The natural logarithm of a, element-wise."""
    return Log.apply(floating(a))


def abs(a):  # noqa: A001
    """|a|, element-wise (gradient sign(a), 0 at 0)."""
    return Abs.apply(a)


def pow(a, exponent):  # noqa: A001
    """a ** exponent: a tensor to a constant power, a tensor to a tensor's powers, or a number (``a``)
    to a tensor's powers (torch.pow's three forms)."""
    if isinstance(exponent, Tensor):
        if not isinstance(a, Tensor):                       # a number to a tensor's powers: 2.5 ** int is float32
            a, b = _operands(a, exponent)
            return shown_as(PowTensor.apply(a, b), "PowBackward2", b)
        return PowTensor.apply(*_operands(a, exponent))
    if not isinstance(exponent, (int, np.integer)):          # integers to a float power: float32, as PyTorch
        a = floating(a)
    return Pow.apply(a, exponent=exponent)


def sum(a, dim=None, keepdim=False):  # noqa: A001
    """The sum over ``dim`` (every axis when None), keeping reduced axes as 1 with ``keepdim``."""
    out = Sum.apply(a, axis=dim, keepdims=keepdim)
    return out if dim is None else shown_as(out, "SumBackward1")       # PyTorch's sum.dim_IntList


def mean(a, dim=None, keepdim=False):
    """The mean over ``dim`` (every axis when None); floating-point tensors only, as PyTorch."""
    if a.dtype.kind not in "fc":                 # NumPy would answer in float64; PyTorch refuses
        raise TypeError(f"mean() of a {a.dtype} tensor: convert it first, e.g. x.float().mean() "
                        "(as in PyTorch, which cannot infer the output dtype either)")
    out = Mean.apply(a, axis=dim, keepdims=keepdim)
    return out if dim is None else shown_as(out, "MeanBackward1")


def max(a, dim=None, keepdim=False):  # noqa: A001
    """The largest element over ``dim`` (every axis when None); see Tensor.max for (values, indices)."""
    return shown_as(Max.apply(a, axis=dim, keepdims=keepdim), "MaxBackward1" if dim is None else "AmaxBackward0")


def min(a, dim=None, keepdim=False):  # noqa: A001
    """The smallest element over ``dim`` (every axis when None)."""
    out = Max.apply(a, axis=dim, keepdims=keepdim, op="min")
    return shown_as(out, "MinBackward1" if dim is None else "AminBackward0")


def maximum(a, b):
    """The element-wise larger of a and b (ties share the gradient, as PyTorch)."""
    return Maximum.apply(*_operands(a, b))


def minimum(a, b):
    """The element-wise smaller of a and b."""
    return shown_as(Maximum.apply(*_operands(a, b), op="minimum"), "MinimumBackward0")


def where(condition, a=None, b=None):
    """a where ``condition`` holds, else b (either may be a number; broadcasting); with the condition
    alone, the indices of its nonzero elements, one tensor a dimension (torch.where's two forms)."""
    xp_cond = condition.array if isinstance(condition, Tensor) else condition
    if a is None and b is None:
        xp = get_array_module(xp_cond)
        device = condition._device if isinstance(condition, Tensor) else "cpu"
        return tuple(Tensor._wrap(i.astype(xp.int64, copy=False), device, False) for i in xp.nonzero(xp_cond))
    if a is None or b is None:
        raise TypeError("where: give both input and other, or the condition alone")
    if np.dtype(xp_cond.dtype) != np.bool_:
        raise TypeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                        f"{xp_cond.dtype}; compare it first, e.g. where(x > 0, ...)")
    a, b = _operands(a, b)
    if not isinstance(condition, Tensor):
        condition = as_tensor(condition, a, bool)
    return Where.apply(condition, a, b)


def _order(a, dim, descending):
    """Indices that sort ``a`` along ``dim``, ties kept in their order (descending too)."""
    xp = get_array_module(a.array)
    x = a.array
    if descending:                                   # a stable descending order: sort the reversed axis
        n = x.shape[dim]
        idx = xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable")
        return xp.flip(n - 1 - idx, axis=dim)
    return xp.argsort(x, axis=dim, kind="stable")


def _values_at(a, index, dim, name):
    """(values, indices): a's values at ``index`` along ``dim`` (differentiable, shown as PyTorch's node
    ``name``) and the indices as an int64 tensor."""
    values = shown_as(TakeAlong.apply(a, index=index, dim=dim), name)
    return ValuesIndices(values, Tensor._wrap(index.astype(np.int64, copy=False), a._device, False))


def sort(a, dim=-1, descending=False, stable=False):
    """(values, indices) of ``a`` sorted along ``dim`` (torch.sort); equal values keep their order."""
    return _values_at(a, _order(a, dim, descending), dim, "SortBackward0")


def topk(a, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """(values, indices) of the k largest (``largest=False``: smallest) elements along ``dim``
    (torch.topk), in order."""
    n = a.shape[dim]
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size {n}")
    xp = get_array_module(a.array)
    return _values_at(a, xp.take(_order(a, dim, largest), xp.arange(k), axis=dim), dim, "TopkBackward0")


def masked_fill(a, mask, value):
    """``a`` with ``value`` where ``mask`` holds (torch.masked_fill; the value takes a's dtype); the
    gradient passes where it does not."""
    value = value.array if isinstance(value, Tensor) else value
    out = Where.apply(mask if isinstance(mask, Tensor) else as_tensor(mask, a, bool), as_tensor(value, a), a)
    return shown_as(out, "MaskedFillBackward0")


def one_hot(a, num_classes=-1):
    """Integer class indices (...,) as (..., num_classes) int64 rows of 0 and 1 (torch's F.one_hot;
    num_classes -1: the largest index + 1)."""
    if a.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensor (integers), got {a.dtype}: convert with .long()")
    xp = get_array_module(a.array)
    x = a.array
    if x.size and int(x.min()) < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    top = int(x.max()) if x.size else -1
    n = top + 1 if num_classes == -1 else num_classes
    if top >= n:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes ({n}), got {top}")
    return Tensor._wrap((x[..., None] == xp.arange(n)).astype(np.int64), a._device, False)


def remainder(a, b):
    """a % b with the sign of b (Python's %, torch.remainder); broadcasting."""
    return Remainder.apply(*_operands(a, b))


def floor_divide(a, b):
    """a // b rounded down (Python's //, torch.floor_divide); no derivative, as in PyTorch."""
    return FloorDivide.apply(*_operands(a, b))


def bitwise(op, a, b=None):
    """and, or, xor of bool or integer tensors (logical for bool: torch's &, |, ^), or not (~) with b
    None; no gradient. Floating tensors are refused, as PyTorch refuses them."""
    if b is not None:
        a, b = _operands(a, b)
    if a.dtype.kind not in "biu":
        raise TypeError(f"bitwise_{op} is defined for bool and integer tensors, not {a.dtype}: compare first "
                        "(x > 0) or convert with .long()")
    xp = get_array_module(a.array)
    out = xp.invert(a.array) if b is None else getattr(xp, f"bitwise_{op}")(a.array, b.array)
    return Tensor._wrap(out, a._device, False)


def reshape(a, shape, name="ViewBackward0"):
    """a with a new shape (a view where NumPy can make one). ``name``: PyTorch's node for the op that
    asked (UnsqueezeBackward0 ...); a reshape that had to copy a transposed tensor shows PyTorch's
    clone and unsafe view instead (batch-last memory is PyTorch's contiguous layout: a view there)."""
    y = Reshape.apply(a, shape=tuple(shape))
    if y._ctx is None:
        return y
    if y._vc is a._vc or batch_last(a.array):
        return shown_as(y, name)
    return shown_as(y, "UnsafeViewBackward0", ShownNode("CloneBackward0", a))


def transpose(a, axes=None):
    """a with its axes permuted (NumPy's transpose: reversed when ``axes`` is None)."""
    return Transpose.apply(a, axes=None if axes is None else tuple(axes))


def clone(a):
    """A copy of a that stays in the graph (its gradient flows back to a)."""
    return Clone.apply(a)


def expand(a, shape):
    """a broadcast to ``shape`` without a copy (-1 keeps a size); the gradient sums back."""
    return Expand.apply(a, shape=tuple(n if n != -1 else a.shape[i - len(shape) + a.ndim]
                                       for i, n in enumerate(shape)))


def sin(a):
    """sin(a), element-wise."""
    return Sin.apply(floating(a))


def cos(a):
    """cos(a), element-wise."""
    return Cos.apply(floating(a))


def max_dim(a, dim, keepdim=False, op="max"):
    """(values, indices) of the maximum (op="min": minimum) along ``dim``, as torch.max(x, dim)."""
    if not isinstance(dim, int):
        raise TypeError(f"{op}(dim={dim!r}): dim must be one int here (values and indices along it); "
                        f"use amax/amin for several dimensions")
    if a.ndim == 0:
        raise IndexError(f"{op}(dim={dim}) on a 0-d tensor")
    dim = dim % a.ndim
    if a.shape[dim] == 0:
        raise IndexError(f"{op}(): dimension {dim} of shape {a.shape} is empty")
    values = shown_as(MaxDim.apply(a, dim=dim, keepdim=keepdim, op=op), f"{op.title()}Backward0")
    return ValuesIndices(values, arg_reduce(a, dim, keepdim, "arg" + op))


def arg_reduce(a, dim, keepdim, op):
    """argmax/argmin: over all elements (a flat index) when ``dim`` is None, as PyTorch."""
    data = a.array
    if dim is None:
        out = getattr(data.reshape(-1), op)()
        if keepdim:
            out = out.reshape((1,) * data.ndim)
    else:
        out = getattr(data, op)(axis=dim, keepdims=keepdim)
    return Tensor._wrap(out.astype("int64", copy=False), a.device, False)


def clamp(a, min=None, max=None):  # noqa: A002  (PyTorch's argument names)
    """Limit every element to [min, max]; either bound may be None."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if any(isinstance(v, (float, np.floating)) for v in (min, max)):    # integers clamped to floats: float32
        a = floating(a)
    t = a.dtype.type
    return Clamp.apply(a, lo=None if min is None else t(min), hi=None if max is None else t(max))


def cast(a, dtype):
    """``a`` as ``dtype``: differentiable between floating types; an integer or bool result has no
    gradient."""
    dtype = get_array_module(a.array).dtype(dtype)
    if dtype == a.dtype:
        return a
    if dtype.kind not in "fc" or not a.requires_grad:
        return Tensor._wrap(a.array.astype(dtype), a.device, False)
    return Cast.apply(a, dtype=dtype)


def flatten(a, start_dim=0, end_dim=-1):
    """Merge the dimensions start_dim..end_dim (inclusive) into one."""
    shape = a.shape
    if not shape:
        return reshape(a, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {shape}")
    merged = 1
    for n in shape[s:e + 1]:
        merged *= n
    return reshape(a, shape[:s] + (merged,) + shape[e + 1:])


def unwrap_index(index):
    """An index with any Tensors in it replaced by their arrays."""
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in index)
    return index


def getitem(a, index):
    """a[index]: basic and advanced indexing; the gradient is scattered back (repeated indices add up)."""
    y = GetItem.apply(a, index=unwrap_index(index))
    if y._ctx is None:
        return y
    *inner, top = _index_nodes(index)
    for name in inner:
        a = ShownNode(name, a)
    return shown_as(y, top, a)


def _index_nodes(index):
    """PyTorch's nodes for x[index], the first applied first: SelectBackward0 for an int, SliceBackward0
    for a slice other than ':', UnsqueezeBackward0 for None, then one IndexBackward0 for any lists,
    tensors or masks."""
    items = index if isinstance(index, tuple) else (index,)
    names, advanced = [], False
    for i in items:
        if i is None:
            names.append("UnsqueezeBackward0")
        elif isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            names.append("SelectBackward0")
        elif isinstance(i, slice):
            if i != slice(None):
                names.append("SliceBackward0")
        elif i is not Ellipsis:
            advanced = True
    if advanced:
        names.append("IndexBackward0")
    if not names:                              # x[:] is a slice; x[...] an alias
        names.append("AliasBackward0" if Ellipsis in items else "SliceBackward0")
    return names
