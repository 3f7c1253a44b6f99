"""im2col and col2im: convolution as one matrix product.

Notation (used across minicnn):
  N batch, C input channels, H x W input size, K output channels (filters),
  R x S kernel size, (sh, sw) stride, padding (pt, pb, pl, pr) = top, bottom, left, right,
  OH = (H + pt + pb - R) // sh + 1,   OW = (W + pl + pr - S) // sw + 1.

A convolution multiplies every R x S x C patch of the input by every filter.
im2col copies the patches into the columns of a matrix, so the whole layer is
one GEMM::

    out[n, k, oh, ow] = sum_{c, r, s} w[k, c, r, s] * xpad[n, c, oh*sh + r, ow*sw + s]
                      = (W2 @ col)[k, (n, oh, ow)],   W2 = w.reshape(K, C*R*S)

Two versions live here:

* ``im2col_reference`` / ``col2im_reference`` -- the textbook layout, one row
  per output pixel: col is (N*OH*OW, C*R*S). Read these first.
* ``im2col`` / ``col2im`` -- the fast layout, one *column* per output pixel and
  the channels first: col is (C*R*S, N*OH*OW). Both fill the matrix with one
  slice copy per kernel offset (r, s), R*S copies in all, but here each copy
  writes a contiguous block, the input is transposed to channel-first once
  (not the big matrix afterwards), and ``W2 @ col`` is a single large GEMM that
  BLAS runs at full speed. The tests check one against the other.

No per-pixel Python loop and no ``np.add.at``: col2im adds each of the R*S
blocks back with one strided ``+=``; within one block no two elements land on
the same input pixel, so no scatter-add is needed.
"""
from .backend import get_array_module


def conv_output_size(size, kernel, stride, pad_before, pad_after):
    """Output length along one axis: (size + pads - kernel) // stride + 1."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def pad_nchw(x, padding, value=0):
    """Pad the two spatial axes of (N, C, H, W) with (pt, pb, pl, pr); no copy when all are zero."""
    pt, pb, pl, pr = padding
    if not (pt or pb or pl or pr):
        return x
    xp = get_array_module(x)
    N, C, H, W = x.shape
    out = xp.full((N, C, H + pt + pb, W + pl + pr), value, dtype=x.dtype)
    out[:, :, pt:pt + H, pl:pl + W] = x
    return out


# ------------------------------------------------------------------ textbook
def im2col_reference(x, kernel_size, stride, padding):
    """Textbook im2col.

    x: (N, C, H, W) -> col: (N*OH*OW, C*R*S); row (n, oh, ow) holds the patch
    under output pixel (oh, ow) of image n, flattened in (c, r, s) order.
    """
    xp = get_array_module(x)
    N, C, H, W = x.shape
    (R, S), (sh, sw) = kernel_size, stride
    xpad = pad_nchw(x, padding)
    OH = conv_output_size(H, R, sh, padding[0], padding[1])
    OW = conv_output_size(W, S, sw, padding[2], padding[3])
    col = xp.empty((N, C, R, S, OH, OW), dtype=x.dtype)
    for r in range(R):
        for s in range(S):
            col[:, :, r, s] = xpad[:, :, r:r + sh * OH:sh, s:s + sw * OW:sw]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, C * R * S)


def col2im_reference(col, x_shape, kernel_size, stride, padding):
    """Textbook col2im, the adjoint of :func:`im2col_reference`.

    col: (N*OH*OW, C*R*S) -> (N, C, H, W); every patch value is added back to
    the input pixel it was copied from (overlapping patches add up).
    """
    xp = get_array_module(col)
    N, C, H, W = x_shape
    (R, S), (sh, sw) = kernel_size, stride
    pt, pb, pl, pr = padding
    OH = conv_output_size(H, R, sh, pt, pb)
    OW = conv_output_size(W, S, sw, pl, pr)
    col = col.reshape(N, OH, OW, C, R, S).transpose(0, 3, 4, 5, 1, 2)
    xpad = xp.zeros((N, C, H + pt + pb, W + pl + pr), dtype=col.dtype)
    for r in range(R):
        for s in range(S):
            xpad[:, :, r:r + sh * OH:sh, s:s + sw * OW:sw] += col[:, :, r, s]
    return xpad[:, :, pt:pt + H, pl:pl + W]


# ------------------------------------------------------------------ fast
class ConvGeometry:
    """Sizes of one convolution or pooling window sweep (see the notation above).

    ``GW`` is the width of the output *grid* the fast kernels compute on. For
    stride 1 it is the padded input width Wp: output pixel (oh, ow) then reads
    input pixel (oh + r, ow + s), whose offset in a flattened padded image is
    ``(oh * Wp + ow) + (r * Wp + s)``. So for each kernel offset (r, s) the
    whole patch row is ONE contiguous slice of the flattened input, starting at
    ``r * Wp + s``, of length OH * Wp. The Wp - OW extra columns per row are
    computed and thrown away (6% for 32x32 with padding 1): cheap, compared to
    copying short rows one by one. For stride > 1, GW = OW and the copies are
    2-D strided slices.
    """

    def __init__(self, x_shape, kernel_size, stride, padding):
        self.N, self.C, self.H, self.W = x_shape
        (self.R, self.S), (self.sh, self.sw) = kernel_size, stride
        self.padding = pt, pb, pl, pr = padding
        self.Hp, self.Wp = self.H + pt + pb, self.W + pl + pr
        self.OH = conv_output_size(self.H, self.R, self.sh, pt, pb)
        self.OW = conv_output_size(self.W, self.S, self.sw, pl, pr)
        self.flat = self.sh == self.sw == 1 and (self.R, self.S) != (1, 1)
        self.GW = self.Wp if self.flat else self.OW

    @property
    def pointwise(self):
        """1x1 kernel, stride 1, no padding: the input itself is the column matrix."""
        return (self.R, self.S, self.sh, self.sw) == (1, 1, 1, 1) and not any(self.padding)

    def grid_size(self):
        return self.N * self.OH * self.GW


def _padded_channels_first(x, g):
    """x (N, C, H, W) -> zero-padded copy (C, N, Hp, Wp), plus a flat tail of S-1 zeros when g.flat."""
    xp = get_array_module(x)
    pt, pb, pl, pr = g.padding
    tail = g.S - 1 if g.flat else 0
    buf = xp.zeros((g.C, g.N, g.Hp * g.Wp + tail), dtype=x.dtype)
    img = buf[:, :, :g.Hp * g.Wp].reshape(g.C, g.N, g.Hp, g.Wp)
    img[:, :, pt:pt + g.H, pl:pl + g.W] = x.transpose(1, 0, 2, 3)
    return buf, img


def _buffer(xp, out, shape, dtype):
    if out is None:
        return xp.empty(shape, dtype=dtype)
    size = 1
    for n in shape:
        size *= n
    return out[:size].reshape(shape)


def im2col_grid(x, g, out=None):
    """Fast im2col: x (N, C, H, W) -> col (C*R*S, N*OH*GW), channels first.

    Rows in (c, r, s) order, columns in (n, oh, ow) order over the output grid
    of width GW (see :class:`ConvGeometry`); ``w.reshape(K, -1) @ col`` is then
    the convolution as a (K, N*OH*GW) matrix. ``out``: a flat buffer of at
    least C*R*S*N*OH*GW elements to fill instead of allocating.
    """
    xp = get_array_module(x)
    if g.pointwise:
        return xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(g.C, -1)
    buf, img = _padded_channels_first(x, g)
    R, S, sh, sw, OH, OW = g.R, g.S, g.sh, g.sw, g.OH, g.OW
    if g.flat:
        L = OH * g.Wp
        col = _buffer(xp, out, (g.C, R, S, g.N, L), x.dtype)
        for r in range(R):
            for s in range(S):
                off = r * g.Wp + s
                col[:, r, s] = buf[:, :, off:off + L]           # one contiguous run per image
    else:
        col = _buffer(xp, out, (g.C, R, S, g.N, OH, OW), x.dtype)
        for r in range(R):
            for s in range(S):
                col[:, r, s] = img[:, :, r:r + sh * OH:sh, s:s + sw * OW:sw]
    return col.reshape(g.C * R * S, -1)


def col2im_grid(col, g):
    """Fast col2im, the adjoint of :func:`im2col_grid`: (C*R*S, N*OH*GW) -> (N, C, H, W).

    Columns of the grid outside the real output (ow >= OW) must hold zeros.
    """
    xp = get_array_module(col)
    pt, pb, pl, pr = g.padding
    if g.pointwise:
        return xp.ascontiguousarray(col.reshape(g.C, g.N, g.H, g.W).transpose(1, 0, 2, 3))
    R, S, sh, sw, OH, OW = g.R, g.S, g.sh, g.sw, g.OH, g.OW
    tail = S - 1 if g.flat else 0
    buf = xp.zeros((g.C, g.N, g.Hp * g.Wp + tail), dtype=col.dtype)
    img = buf[:, :, :g.Hp * g.Wp].reshape(g.C, g.N, g.Hp, g.Wp)
    if g.flat:
        L = OH * g.Wp
        col = col.reshape(g.C, R, S, g.N, L)
        for r in range(R):
            for s in range(S):
                off = r * g.Wp + s
                buf[:, :, off:off + L] += col[:, r, s]
    else:
        col = col.reshape(g.C, R, S, g.N, OH, OW)
        for r in range(R):
            for s in range(S):
                img[:, :, r:r + sh * OH:sh, s:s + sw * OW:sw] += col[:, r, s]
    return xp.ascontiguousarray(img[:, :, pt:pt + g.H, pl:pl + g.W].transpose(1, 0, 2, 3))


def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0, 0, 0)):
    """Fast im2col for study: x (N, C, H, W) -> (C*R*S, N*OH*OW), channels first.

    Same numbers as ``im2col_reference(x, ...).T``; conv2d itself uses
    :func:`im2col_grid`, which may keep a few extra grid columns.
    """
    g = ConvGeometry(x.shape, kernel_size, stride, padding)
    col = im2col_grid(x, g)
    if g.GW != g.OW:
        col = col.reshape(-1, g.N, g.OH, g.GW)[..., :g.OW].reshape(col.shape[0], -1)
    return col


def col2im(col, x_shape, kernel_size, stride=(1, 1), padding=(0, 0, 0, 0)):
    """Fast col2im for study: (C*R*S, N*OH*OW) -> (N, C, H, W), the adjoint of :func:`im2col`."""
    g = ConvGeometry(x_shape, kernel_size, stride, padding)
    if g.GW != g.OW:
        xp = get_array_module(col)
        wide = xp.zeros((col.shape[0], g.N, g.OH, g.GW), dtype=col.dtype)
        wide[..., :g.OW] = col.reshape(-1, g.N, g.OH, g.OW)
        col = wide.reshape(col.shape[0], -1)
    return col2im_grid(col, g)
