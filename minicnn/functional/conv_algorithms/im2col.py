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

Three versions live here:

* ``im2col_reference`` / ``col2im_reference`` -- the textbook layout, one row
  per output pixel: col is (N*OH*OW, C*R*S). Read these first.
* ``im2col`` / ``col2im`` -- the fast layout, one *column* per output pixel and
  the channels first: col is (C*R*S, N*OH*OW). The input is padded and turned
  channel-first once (the small array, not the big matrix); the matrix is then a
  6-D strided *view* of it, made contiguous by ONE copy; and ``W2 @ col`` is a
  single large GEMM that BLAS runs at full speed. The tests check one against
  the other.
* ``im2col_batch_last`` -- the same with the batch as the fastest index, columns
  (oh, ow, n): what conv2d uses for batches of 16 or more. NumPy pays a fixed
  cost for every contiguous run it copies or adds; here each run is OW*N
  elements long instead of OW, which on small feature maps (LeNet's 14x14,
  VGG's 2x2 on CIFAR) costs more than the data itself.

No per-pixel Python loop and no ``np.add.at``: col2im adds each of the R*S
blocks back with one slice ``+=``; within one block no two elements land on
the same input pixel, so no scatter-add is needed.
"""
from ... import cuda_kernels, threads, workspace
from ...backend import get_array_module


def conv_output_size(size, kernel, stride, pad_before, pad_after):
    """Output length along one axis: (size + pads - kernel) // stride + 1."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def pad_nchw(x, padding, value=0):
    """Pad the two spatial axes of (N, C, H, W) with (pt, pb, pl, pr); no copy when all are zero.
    The padded array keeps x's memory layout (NCHW or batch-last)."""
    pt, pb, pl, pr = padding
    if not (pt or pb or pl or pr):
        return x
    xp = get_array_module(x)
    N, C, H, W = x.shape
    out = xp.full_like(x, value, shape=(N, C, H + pt + pb, W + pl + pr))
    crop(out, padding, H, W)[...] = x
    return out


def crop(a, padding, H, W):
    """The (H, W) window of the last two axes that ``padding`` (pt, pb, pl, pr) surrounds: the
    inverse of :func:`pad_nchw`, and the adjoint that hands a padded gradient back (a view)."""
    pt, pb, pl, pr = padding
    return a[..., pt:pt + H, pl:pl + W]


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
    return crop(xpad, padding, H, W)


# ------------------------------------------------------------------ fast
class ConvGeometry:
    """Sizes of one convolution or pooling window sweep (see the notation above)."""

    def __init__(self, x_shape, kernel_size, stride, padding):
        self.N, self.C, self.H, self.W = x_shape
        (self.R, self.S), (self.sh, self.sw) = kernel_size, stride
        self.padding = pt, pb, pl, pr = padding
        self.Hp, self.Wp = self.H + pt + pb, self.W + pl + pr
        self.OH = conv_output_size(self.H, self.R, self.sh, pt, pb)
        self.OW = conv_output_size(self.W, self.S, self.sw, pl, pr)

    @property
    def pointwise(self):
        """1x1 kernel, stride 1, no padding: the input itself is the column matrix."""
        return (self.R, self.S, self.sh, self.sw) == (1, 1, 1, 1) and not any(self.padding)

    @property
    def col_shape(self):
        return (self.C * self.R * self.S, self.N * self.OH * self.OW)


def _padded_channels_first(x, g):
    """x (N, C, H, W) -> zero-padded copy (C, N, Hp, Wp): the transpose to channel-first is
    done here, on the input, instead of on the R*S times larger column matrix."""
    xp = get_array_module(x)
    img = xp.zeros((g.C, g.N, g.Hp, g.Wp), dtype=x.dtype)
    crop(img, g.padding, g.H, g.W)[...] = x.transpose(1, 0, 2, 3)
    return img


def _patches(img, g):
    """The 6-D view col6[c, r, s, n, oh, ow] = img[c, n, oh*sh + r, ow*sw + s] of a padded
    (C, N, Hp, Wp) array: no copy, just strides. Stepping r or oh moves down the image
    (oh by sh rows), stepping s or ow moves right (ow by sw columns)."""
    xp = get_array_module(img)
    c_step, n_step, row, col = img.strides
    return xp.lib.stride_tricks.as_strided(
        img, (g.C, g.R, g.S, g.N, g.OH, g.OW), (c_step, row, col, n_step, g.sh * row, g.sw * col))


def _into(xp, out, shape, dtype):
    """``out``, a flat buffer, as an array of ``shape``; a new array when ``out`` is None."""
    return xp.empty(shape, dtype=dtype) if out is None else workspace.shaped(out, shape)


def im2col_fast(x, g, out=None):
    """Fast im2col: x (N, C, H, W) -> col (C*R*S, N*OH*OW), channels first.

    Rows in (c, r, s) order, columns in (n, oh, ow) order, so ``w.reshape(K, -1) @ col``
    is the convolution as a (K, N*OH*OW) matrix. The whole matrix is ONE copy of the
    strided view :func:`_patches`: no Python loop over the R*S kernel offsets.
    ``out``: a flat buffer of at least C*R*S*N*OH*OW elements to fill instead of allocating.
    """
    xp = get_array_module(x)
    if g.pointwise:
        return xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(g.C, -1)
    if xp.__name__ != "numpy":                          # on a GPU the same gather as one kernel, where one can run
        col = cuda_kernels.im2col(x, g, out)
        if col is not None:
            return col
    col = _into(xp, out, (g.C, g.R, g.S, g.N, g.OH, g.OW), x.dtype)
    threads.copy(col, _patches(_padded_channels_first(x, g), g))         # on every core: a copy NumPy runs on one
    return col.reshape(g.col_shape)


def col2im_wide(col, g):
    """col2im for stride 1 from columns on the *wide* grid: (C*R*S, N*OH*Wp), whose Wp - OW extra
    columns per output row hold zeros. Output pixel (oh, ow) then reads padded pixel
    (oh + r, ow + s), at flat offset (oh*Wp + ow) + (r*Wp + s) in its padded image: block (r, s)
    is added with ONE slice per (channel, image), runs OH*Wp long, instead of one NumPy inner
    loop per output row of OW. conv2d computes its input gradient on this grid."""
    xp = get_array_module(col)
    C, R, S, N, OH, Hp, Wp = g.C, g.R, g.S, g.N, g.OH, g.Hp, g.Wp
    L = OH * Wp
    flat = xp.zeros((C, N, Hp * Wp + S - 1), dtype=col.dtype)     # S-1 spare: the last block's tail
    col = col.reshape(C, R, S, N, L)
    for r in range(R):
        for s in range(S):
            off = r * Wp + s
            flat[:, :, off:off + L] += col[:, r, s]
    img = flat[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)
    return xp.ascontiguousarray(crop(img, g.padding, g.H, g.W).transpose(1, 0, 2, 3))


def col2im_fast(col, g):
    """Fast col2im, the adjoint of :func:`im2col_fast`: (C*R*S, N*OH*OW) -> (N, C, H, W).

    Each column value is added back to the input pixel it was copied from: for stride 1 through
    the wide grid (:func:`col2im_wide`, after one copy that spreads the columns onto it), with a
    stride by adding the R*S blocks to strided windows of the padded input. Within one block no
    two values hit the same pixel, so no scatter-add is needed.
    """
    xp = get_array_module(col)
    if g.pointwise:
        return xp.ascontiguousarray(col.reshape(g.C, g.N, g.H, g.W).transpose(1, 0, 2, 3))
    C, R, S, N, OH, OW, Hp, Wp = g.C, g.R, g.S, g.N, g.OH, g.OW, g.Hp, g.Wp
    if g.sh == g.sw == 1:
        wide = xp.zeros((C * R * S, N, OH, Wp), dtype=col.dtype)
        wide[..., :OW] = col.reshape(C * R * S, N, OH, OW)
        return col2im_wide(wide, g)
    col6 = col.reshape(C, R, S, N, OH, OW)
    img = xp.zeros((C, N, Hp, Wp), dtype=col.dtype)
    for r in range(R):
        for s in range(S):
            img[:, :, r:r + g.sh * OH:g.sh, s:s + g.sw * OW:g.sw] += col6[:, r, s]
    return xp.ascontiguousarray(crop(img, g.padding, g.H, g.W).transpose(1, 0, 2, 3))


# ------------------------------------------------------------------ batch last
def padded_batch_last(x, g):
    """x (N, C, H, W), any memory layout -> zero-padded copy (C, Hp, Wp, N). A straight copy when
    x is batch-last already; otherwise this is where the batch moves to the last axis."""
    xp = get_array_module(x)
    pt, pb, pl, pr = g.padding
    img = xp.zeros((g.C, g.Hp, g.Wp, g.N), dtype=x.dtype)
    img[:, pt:pt + g.H, pl:pl + g.W, :] = x.transpose(1, 2, 3, 0)
    return img


def patches_batch_last(img, g, oh0=0, oh1=None):
    """The 6-D view col6[c, r, s, oh, ow, n] = img[c, oh*sh + r, ow*sw + s, n] of a padded
    (C, Hp, Wp, N) array, for output rows oh0 <= oh < oh1: no copy, only strides. Stepping
    r or oh moves down the image (oh by sh rows), s or ow moves right (ow by sw columns)."""
    xp = get_array_module(img)
    oh1 = g.OH if oh1 is None else oh1
    c_step, row, col, n_step = img.strides
    return xp.lib.stride_tricks.as_strided(
        img[:, oh0 * g.sh:], (g.C, g.R, g.S, oh1 - oh0, g.OW, g.N),
        (c_step, row, col, g.sh * row, g.sw * col, n_step))


def add_patches_batch_last(gimg, gcol, g, oh0=0, oh1=None):
    """The adjoint of :func:`patches_batch_last`: add gcol (C*R*S, rows*OW*N) back into the padded
    (C, Hp, Wp, N) array gimg, block (r, s) onto the window it was copied from. Within one
    block no two values land on the same pixel, so a slice ``+=`` per block is exact."""
    oh1 = g.OH if oh1 is None else oh1
    rows, sh, sw = oh1 - oh0, g.sh, g.sw
    gcol = gcol.reshape(g.C, g.R, g.S, rows, g.OW, g.N)
    for r in range(g.R):
        top = oh0 * sh + r
        for s in range(g.S):
            gimg[:, top:top + sh * (rows - 1) + 1:sh, s:s + sw * (g.OW - 1) + 1:sw] += gcol[:, r, s]


def add_patches_wide_batch_last(gflat, gcol, g, oh0=0, oh1=None):
    """For stride 1: add gcol (C*R*S, rows*Wp*N), whose columns lie on the *wide* grid (output rows
    oh0..oh1-1, each Wp wide, zeros past OW), back into gflat, the padded batch-last gradient
    flattened per channel, (C, Hp*Wp*N + (S-1)*N). Output pixel (oh, ow) reads padded pixel
    (oh + r, ow + s) at flat offset ((oh + r)*Wp + ow + s)*N, so block (r, s) is ONE slice add of
    rows*Wp*N contiguous values per channel (the batch-last :func:`col2im_wide`); its zeros land
    outside the window or in the S-1 spare images at the end."""
    oh1 = g.OH if oh1 is None else oh1
    L = (oh1 - oh0) * g.Wp * g.N
    gcol = gcol.reshape(g.C, g.R * g.S, L)
    for r in range(g.R):
        for s in range(g.S):
            off = ((oh0 + r) * g.Wp + s) * g.N
            gflat[:, off:off + L] += gcol[:, r * g.S + s]


def im2col_batch_last(x, g, out=None, oh0=0, oh1=None, img=None):
    """im2col with the batch last: x (N, C, H, W) -> col (C*R*S, OH*OW*N), rows in (c, r, s)
    order, columns in (oh, ow, n) order. ``w.reshape(K, -1) @ col`` is then the convolution as
    a (K, OH*OW*N) matrix: the output batch-last, (K, OH, OW, N) in memory.

    Like :func:`im2col_fast`, ONE copy of a strided view; with the batch innermost every copied
    run is OW*N elements long instead of OW.
    ``oh0, oh1``: only the columns of output rows oh0..oh1-1 (conv2d works in bands of rows).
    ``img``: the padded batch-last input, if already made; ``out``: a flat buffer to fill.
    """
    img = padded_batch_last(x, g) if img is None else img
    view = patches_batch_last(img, g, oh0, oh1)
    col = _into(get_array_module(img), out, view.shape, view.dtype)
    threads.copy(col, view)
    return col.reshape(g.C * g.R * g.S, -1)


def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0, 0, 0)):
    """Fast im2col for study: x (N, C, H, W) -> (C*R*S, N*OH*OW), channels first.
    Same numbers as ``im2col_reference(x, ...).T``."""
    return im2col_fast(x, ConvGeometry(x.shape, kernel_size, stride, padding))


def col2im(col, x_shape, kernel_size, stride=(1, 1), padding=(0, 0, 0, 0)):
    """Fast col2im for study: (C*R*S, N*OH*OW) -> (N, C, H, W), the adjoint of :func:`im2col`."""
    return col2im_fast(col, ConvGeometry(x_shape, kernel_size, stride, padding))
