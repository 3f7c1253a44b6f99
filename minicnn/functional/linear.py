"""Fully connected layer and the shape ops: linear, flatten, concat, pad2d.

linear:  x (N, in), weight (out, in), bias (out,) -> y = x W^T + b  (N, out)
         gx = gy W,   gW = gy^T x,   gb = sum over N of gy
"""
import functools

import numpy as np

from ..autograd import Function, ShownNode, shown_as
from ..backend import get_array_module
from .conv_algorithms.im2col import crop, pad_nchw
from .math import cast, promote_types


# Up to this many rows, the CPU forward and the input gradient run one matrix-vector product per
# row instead of one GEMM, which OpenBLAS runs slowly for so few rows; with one row the weight
# gradient, a sum over one term, is an outer multiply (RESULTS.md, "Linear with few rows").
GEMV_ROWS = 2


def _matmul(a, m):
    """a @ m; on the CPU, for a 2-D ``a`` of at most GEMV_ROWS rows, one vector-matrix product per row."""
    if not (isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[0] <= GEMV_ROWS):
        return a @ m
    out = np.empty((a.shape[0], m.shape[1]), dtype=np.result_type(a, m))
    for i in range(a.shape[0]):
        np.matmul(a[i], m, out=out[i])
    return out


class Linear(Function):
    """y = x @ W^T + b, x (N, in), W (out, in), b (out,); gx = gy @ W, gW = gy^T @ x, gb = sum of gy
    over the rows."""
    saves = (0, 1)

    def forward(self, x, w, b=None):
        y = _matmul(x, w.T)
        if b is not None:
            y += b
        self.x, self.w, self.has_bias = x, w, b is not None
        return y

    def backward(self, gy):
        x, w = self.x, self.w
        gx = _matmul(gy, w) if self.needs_grad[0] else None
        gw = None
        if self.needs_grad[1]:
            g2, x2 = gy.reshape(-1, w.shape[0]), x.reshape(-1, w.shape[1])
            if isinstance(g2, np.ndarray) and g2.shape[0] == 1:         # one row: an outer product, no sum
                gw = np.multiply(g2[0][:, None], x2[0])
            else:
                gw = g2.T @ x2
        if not self.has_bias:
            return gx, gw
        gb = gy.reshape(-1, w.shape[0]).sum(axis=0) if self.needs_grad[2] else None
        return gx, gw, gb


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias; x (..., in_features), weight (out_features, in_features)."""
    from .conv import _same_dtype
    _same_dtype("linear", x, weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {weight.shape}")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: expected input with {weight.shape[1]} features (..., {weight.shape[1]}) "
                         f"for weight {weight.shape}, got input of shape {x.shape} with {x.shape[-1] if x.ndim else 0}")
    if bias is None:
        return _shown_as_pytorch(Linear.apply(x, weight), x, weight, bias)
    return _shown_as_pytorch(Linear.apply(x, weight, bias), x, weight, bias)


def _shown_as_pytorch(y, x, weight, bias):
    """PyTorch's graph of linear, for a learner comparing grad_fn: addmm(bias, x, weight.t()) (mm without
    a bias), between views of the input and of the output when x is not 2-D."""
    if y._ctx is None:
        return y
    w_t = ShownNode("TBackward0", weight)
    x2 = x if x.ndim == 2 else ShownNode("ViewBackward0", x)
    if x.ndim == 2:
        return shown_as(y, "MmBackward0", x2, w_t) if bias is None else shown_as(y, "AddmmBackward0", bias, x2, w_t)
    product = ShownNode("MmBackward0", x2, w_t) if bias is None else ShownNode("AddmmBackward0", bias, x2, w_t)
    return shown_as(y, "ViewBackward0" if bias is not None else "SqueezeBackward4" if x.ndim == 1
                    else "UnsafeViewBackward0", product)


def flatten(x, start_dim=1, end_dim=-1):
    """(N, C, H, W) -> (N, C*H*W) for start_dim=1: the axes start_dim..end_dim are merged.
    (torch.flatten, minicnn.flatten, starts at 0.)"""
    return x.flatten(start_dim, end_dim)


class Concat(Function):
    """y = the arrays joined along ``axis``; each input's gradient is its slice of gy."""
    torch_name = "CatBackward0"
    saves = ()

    def forward(self, *arrays, axis=1):
        xp = get_array_module(arrays[0])
        self.axis, self.sizes = axis, [a.shape[axis] for a in arrays]
        return xp.concatenate(arrays, axis=axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        bounds = list(xp.cumsum(xp.asarray(self.sizes))[:-1].tolist()) if len(self.sizes) > 1 else []
        return tuple(xp.split(gy, bounds, axis=self.axis))


def concat(tensors, dim=1, *, axis=None):
    """Join tensors along ``dim`` (Inception concatenates its branches on channels; torch.cat's
    default is 0: use minicnn.cat for that). ``axis`` is NumPy's name for ``dim``."""
    axis = dim if axis is None else axis
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concat: needs at least one tensor")
    ref = tensors[0].shape
    nd = len(ref)
    ax = axis % nd
    for i, t in enumerate(tensors):
        if len(t.shape) != nd or any(a != b for j, (a, b) in enumerate(zip(t.shape, ref)) if j != ax):
            raise ValueError(f"concat: tensor {i} has shape {t.shape}, expected {ref} except along axis {axis}")
    dtype = functools.reduce(promote_types, [np.dtype(t.dtype) for t in tensors])
    if any(t.dtype != dtype for t in tensors):                      # int with float32 is float32, as torch.cat
        tensors = [cast(t, dtype) for t in tensors]
    return Concat.apply(*tensors, axis=ax)


class Pad2d(Function):
    """Pad the last two axes of (N, C, H, W) by (top, bottom, left, right) with ``value``; gx = gy cropped
    back to (H, W)."""
    torch_name = "ConstantPadNdBackward0"
    saves = ()

    def forward(self, x, padding, value):
        self.padding, self.shape = padding, x.shape
        return pad_nchw(x, padding, value)

    def backward(self, gy):
        return crop(gy, self.padding, *self.shape[2:])


def pad2d(x, padding, value=0.0):
    """Pad the last two axes of (N, C, H, W). padding: int, (ph, pw), or (left, right, top, bottom) as torch's F.pad."""
    if x.ndim != 4:
        raise ValueError(f"pad2d: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if isinstance(padding, int):
        pads = (padding,) * 4
    elif len(padding) == 2:
        pads = (padding[0], padding[0], padding[1], padding[1])
    elif len(padding) == 4:
        left, right, top, bottom = padding
        pads = (top, bottom, left, right)
    else:
        raise ValueError(f"pad2d: padding must be an int, a pair or 4 values, got {padding!r}")
    if min(pads) < 0:
        raise ValueError(f"pad2d: padding must be non-negative, got {padding!r}")
    return Pad2d.apply(x, padding=pads, value=value)


def pad(input, pad, mode="constant", value=0.0):  # noqa: A002
    """torch.nn.functional.pad with mode "constant": ``pad`` pairs (before, after) from the last
    dimension backwards, e.g. (left, right, top, bottom) for the last two."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported, only 'constant'")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: needs pairs of values, at most one pair per dimension of the {input.ndim}-D input; "
                         f"got {pad}")
    if len(pad) <= 4 and input.ndim == 4 and min(pad) >= 0:      # the fast NCHW path
        left, right, top, bottom = (pad + (0, 0, 0, 0))[:4]
        return Pad2d.apply(input, padding=(top, bottom, left, right), value=value)
    if min(pad) < 0:
        raise NotImplementedError("pad: negative padding (cropping) is not supported; slice the tensor instead")
    return PadN.apply(input, pads=pad, value=value)


class PadN(Function):
    """Constant padding of the trailing dimensions of any tensor; the gradient is the middle slice."""
    torch_name = "ConstantPadNdBackward0"
    saves = ()

    def forward(self, x, pads, value):
        xp = get_array_module(x)
        widths = [(0, 0)] * x.ndim
        for i in range(len(pads) // 2):
            widths[x.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
        self.keep = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))
        return xp.pad(x, widths, constant_values=value)

    def backward(self, gy):
        return gy[self.keep]
