"""2-D convolution by im2col + one GEMM (see minicnn/im2col.py for the notation).

Shapes: x (N, C, H, W), weight (K, C, R, S), bias (K,) -> y (N, K, OH, OW).

Forward:   col = im2col(x)                      (C*R*S, N*OH*OW)
           Y   = W2 @ col + b                   (K, N*OH*OW),  W2 = weight.reshape(K, C*R*S)
Backward:  gW  = gY @ col^T                     (K, C*R*S)     col is kept from forward
           gb  = sum of gY over N, OH, OW
           gx  = col2im(W2^T @ gY)              (N, C, H, W)
"""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module, warm_up_blas
from ..im2col import ConvGeometry, col2im_fast, col2im_reference, conv_output_size, im2col_fast, im2col_reference


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return v


def conv_padding(padding, kernel_size, stride):
    """Padding (int, pair, "same", "valid") as (top, bottom, left, right)."""
    R, S = kernel_size
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError("padding='same' needs stride 1 (as in PyTorch)")
            # As PyTorch: the extra row/column of an even kernel goes at the bottom/right.
            return ((R - 1) // 2, R // 2, (S - 1) // 2, S // 2)
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return (ph, ph, pw, pw)


def _check_conv_dims(op, x_shape, w_shape):
    """Input (N, C, H, W) and weight (K, C, R, S) with matching C, before padding can be worked out."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (K, C, R, S), got shape {tuple(w_shape)}")
    if x_shape[1] != w_shape[1]:
        raise ValueError(f"{op}: weight {tuple(w_shape)} expects input with {w_shape[1]} channels "
                         f"(N, {w_shape[1]}, H, W), got input of shape {tuple(x_shape)} with {x_shape[1]} channels")


def check_conv_args(op, x_shape, w_shape, stride, padding):
    """The checks that need the padding: kernel within the padded input, positive stride
    (call _check_conv_dims first)."""
    H, W = x_shape[2:]
    R, S = w_shape[2:]
    pt, pb, pl, pr = padding
    if H + pt + pb < R or W + pl + pr < S:
        raise ValueError(f"{op}: kernel {R}x{S} is larger than the padded input "
                         f"{H + pt + pb}x{W + pl + pr} (input {tuple(x_shape)}, padding {padding})")
    if stride[0] < 1 or stride[1] < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride}")


# Above this many bytes of column matrix, conv2d works through the batch in chunks whose
# columns fit in one reused buffer, and rebuilds them in backward instead of keeping them:
# memory stays bounded (VGG-16 trains at 224x224) and no fresh pages are faulted in per call.
COL_BUDGET = 32 << 20
_workspace = {}


def _workspace_for(xp, size, dtype, slot="col"):
    """A reusable flat buffer per (array module, dtype, slot), grown as needed. Reusing it
    matters: a fresh 100 MB array costs 25,000 page faults every time it is first written."""
    key = (xp.__name__, dtype.str, slot)
    buf = _workspace.get(key)
    if buf is None or buf.size < size:
        buf = _workspace[key] = xp.empty(size, dtype=dtype)
    return buf


def _matmul_into(xp, a, b, slot):
    """a @ b written into a reused workspace buffer (valid until the next call for the same slot)."""
    out = _workspace_for(xp, a.shape[0] * b.shape[1], a.dtype, slot)[:a.shape[0] * b.shape[1]]
    return xp.matmul(a, b, out=out.reshape(a.shape[0], b.shape[1]))


def _nchw(y, g):
    """(K, N*OH*OW) -> (N, K, OH, OW), one copy."""
    xp = get_array_module(y)
    return xp.ascontiguousarray(y.reshape(-1, g.N, g.OH, g.OW).transpose(1, 0, 2, 3))


def _cnhw(gy):
    """(N, K, OH, OW) -> (K, N*OH*OW), one copy: the gradient in the column order of im2col."""
    xp = get_array_module(gy)
    return xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(gy.shape[1], -1)


class Conv2d(Function):
    """y = conv2d(x, weight) + bias, with the fast channel-first im2col."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0)):
        xp = get_array_module(x)
        if xp is np:
            warm_up_blas()
        g = ConvGeometry(x.shape, w.shape[2:], stride, padding)
        K, N = w.shape[0], x.shape[0]
        per_image = g.C * g.R * g.S * g.OH * g.OW * x.itemsize
        chunk = max(1, COL_BUDGET // per_image) if not g.pointwise else N
        self.g, self.w, self.has_bias, self.chunk = g, w, b is not None, chunk
        if chunk >= N:                                                  # one piece: keep col for backward
            col = im2col_fast(x, g)                                     # (C*R*S, N*OH*OW)
            y = w.reshape(K, -1) @ col                                  # (K, N*OH*OW)
            if b is not None:
                y += b[:, None]
            if self.requires_grad:
                self.col = col
            return _nchw(y, g)                                          # back to NCHW, one copy
        y = xp.empty((N, K, g.OH, g.OW), dtype=x.dtype)
        buf = _workspace_for(xp, chunk * per_image // x.itemsize, x.dtype)
        for i in range(0, N, chunk):
            xc = x[i:i + chunk]
            gc = ConvGeometry(xc.shape, w.shape[2:], stride, padding)
            yc = _matmul_into(xp, w.reshape(K, -1), im2col_fast(xc, gc, out=buf), "y")
            if b is not None:
                yc += b[:, None]
            y[i:i + chunk] = yc.reshape(K, -1, g.OH, g.OW).transpose(1, 0, 2, 3)
        if self.requires_grad:
            self.x = x
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        w, g, chunk = self.w, self.g, self.chunk
        K = w.shape[0]
        w2 = w.reshape(K, -1)
        need_x, need_w = self.needs_grad[0], self.needs_grad[1]
        gb = gy.sum(axis=(0, 2, 3)) if self.has_bias and self.needs_grad[2] else None
        if chunk >= g.N:
            gy2 = _cnhw(gy)                                             # (K, N*OH*OW)
            gx = col2im_fast(w2.T @ gy2, g) if need_x else None
            # (col @ gy2^T)^T: the long reduction over N*OH*OW runs faster with col as the left operand
            gw = (self.col @ gy2.T).T.reshape(w.shape) if need_w else None
        else:
            x = self.x
            gx = xp.empty(x.shape, dtype=x.dtype) if need_x else None
            gw = xp.zeros((K, w2.shape[1]), dtype=w.dtype) if need_w else None
            per_image = g.C * g.R * g.S * g.OH * g.OW
            buf = _workspace_for(xp, chunk * per_image, x.dtype)
            for i in range(0, g.N, chunk):
                gc = ConvGeometry(x[i:i + chunk].shape, w.shape[2:], (g.sh, g.sw), g.padding)
                gy2 = _cnhw(gy[i:i + chunk])
                if need_w:
                    gw += (im2col_fast(x[i:i + chunk], gc, out=buf) @ gy2.T).T   # rebuilt, not kept
                if need_x:
                    gx[i:i + chunk] = col2im_fast(_matmul_into(xp, w2.T, gy2, "gcol"), gc)
            gw = gw.reshape(w.shape) if need_w else None
        if not self.has_bias:
            return gx, gw
        return gx, gw, gb


class Conv2dReference(Function):
    """The same convolution with the textbook im2col (rows = output pixels). For study and tests."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0)):
        N, C, H, W = x.shape
        K, _, R, S = w.shape
        OH = conv_output_size(H, R, stride[0], padding[0], padding[1])
        OW = conv_output_size(W, S, stride[1], padding[2], padding[3])
        col = im2col_reference(x, (R, S), stride, padding)             # (N*OH*OW, C*R*S)
        y = col @ w.reshape(K, -1).T                                    # (N*OH*OW, K)
        if b is not None:
            y = y + b
        self.col, self.w, self.x_shape = col, w, x.shape
        self.stride, self.padding, self.has_bias = stride, padding, b is not None
        return y.reshape(N, OH, OW, K).transpose(0, 3, 1, 2)

    def backward(self, gy):
        w = self.w
        K, C, R, S = w.shape
        gy2 = gy.transpose(0, 2, 3, 1).reshape(-1, K)                  # (N*OH*OW, K)
        gw = (gy2.T @ self.col).reshape(w.shape)
        gx = col2im_reference(gy2 @ w.reshape(K, -1), self.x_shape, (R, S), self.stride, self.padding)
        if not self.has_bias:
            return gx, gw
        return gx, gw, gy2.sum(axis=0)


def conv2d(x, weight, bias=None, stride=1, padding=0, reference=False):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    x (N, C, H, W), weight (K, C, R, S), bias (K,) or None -> (N, K, OH, OW) with
    OH = (H + 2*ph - R) // sh + 1 and OW likewise. ``padding`` is an int, a pair,
    "same" (stride 1; output size = input size) or "valid" (no padding).
    ``reference=True`` runs the textbook im2col instead of the fast one.
    """
    stride = _pair(stride, "stride")
    _check_conv_dims("conv2d", x.shape, weight.shape)     # weight.shape[2:] is read below
    pads = conv_padding(padding, weight.shape[2:], stride)
    check_conv_args("conv2d", x.shape, weight.shape, stride, pads)
    fn = Conv2dReference if reference else Conv2d
    if bias is None:
        return fn.apply(x, weight, stride=stride, padding=pads)
    if tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    return fn.apply(x, weight, bias, stride=stride, padding=pads)
