"""Winograd convolution F(2x2, 3x3): a 3x3 stride-1 convolution with 2.25x fewer multiplications.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016). Notation as in
minicnn/functional/conv_algorithms/im2col.py. Cut the output into 2x2 tiles; tile (i, j) needs the 4x4 patch
d = xpad[2i:2i+4, 2j:2j+4] of every channel, and for one channel and one filter

    y_tile (2x2) = A^T [ (G g G^T) * (B^T d B) ] A            (* element-wise, 4x4)

    B^T = [[1, 0, -1,  0],     G = [[ 1,    0,   0 ],     A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],          [1/2,  1/2, 1/2],            [0, 1, -1, -1]]
           [0, -1, 1,  0],          [1/2, -1/2, 1/2],
           [0, 1,  0, -1]]          [ 0,    0,   1 ]]

16 products per tile instead of 2*2*9 = 36. Summed over channels, each of the 16 positions
(a, b) of the 4x4 tile is a matrix product over C, so a layer is 16 GEMMs:

    U[ab] = (G g G^T)[a, b]  (K, C)       weights, transformed once per call
    V[ab] = (B^T d B)[a, b]  (C, T)       input, T = n*TH*TW tiles (TH = ceil(OH/2), ...)
    M[ab] = U[ab] @ V[ab]    (K, T)
    y     = A^T M A          (n, K, OH, OW), one 2x2 tile per column of M

Backward is the same algebra read backwards (every step is linear):

    gM[ab] = (A gy_tile A^T)[a, b]        gy's tiles, 2x2 -> 4x4 (transform_output_grad)
    gU[ab] = gM[ab] @ V[ab]^T             (K, C), summed over tiles
    gW     = G^T gU G                     (K, C, 3, 3)
    gx     = the convolution of gy with the flipped, channel-swapped weight (as for im2col, see
             conv.py), padding 2-pt, 2-pb, 2-pl, 2-pr; its transformed weight needs no new
             transform: flipping the kernel reverses the columns of G, which swaps rows 0 and 3
             of G, so Uf[ab] = U[FLIP[ab]]^T.

Element-wise work (the transforms) moves data, the GEMMs do the arithmetic; conv2d uses
Winograd where the GEMM saving outweighs that traffic: many channels (each input value
feeds K filters) -- VGG's and ResNet's deep layers -- and keeps im2col for the rest.

Stride-2 tiles in NumPy: the four rows of a tile, 2i .. 2i+3, are even, odd, even, odd.
The input is split once into its four phase planes P[p][q][i, j] = xpad[2i+p, 2j+q], so
that every operand of the transforms is a *contiguous* slice of a plane (rows 2i and 2i+2
are rows i and i+1 of the even plane): element-wise ops then run at memory speed.
Either layout of conv.py works: channel-first, tiles are ordered (n, i, j); batch-last
(``batch_last=True``: x is (C, H, W, n) in memory), (i, j, n), and y comes out batch-last.

Rounding: against a float64 convolution, float32 Winograd is off by about as much as im2col +
GEMM is, less than PyTorch's own float32 convolution (RESULTS.md, "Winograd's rounding";
tests/test_winograd.py holds it to twice im2col's); in float64 it agrees with the textbook
convolution to 1e-12.
"""
import numpy as np

from ...backend import get_array_module

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
GG = np.kron(G, G)                                    # (16, 9): U[ab] = sum_rs G[a,r] G[b,s] g[r,s]
_FLIP_ROW = (3, 1, 2, 0)                              # rows of G for the flipped kernel
FLIP = np.array([_FLIP_ROW[a] * 4 + _FLIP_ROW[b] for a in range(4) for b in range(4)])
_gg_cache = {}


def tiles(OH, OW):
    """Number of 2x2 output tiles along each axis: (ceil(OH/2), ceil(OW/2))."""
    return (OH + 1) // 2, (OW + 1) // 2


def _gg(xp, dtype):
    key = (xp.__name__, np.dtype(dtype).str)
    if key not in _gg_cache:
        _gg_cache[key] = xp.asarray(GG, dtype=dtype)
    return _gg_cache[key]


def transform_weight(w):
    """U = G g G^T for every (filter, channel): w (K, C, 3, 3) -> U (16, K, C)."""
    xp = get_array_module(w)
    K, C = w.shape[:2]
    return (_gg(xp, w.dtype) @ w.reshape(K * C, 9).T).reshape(16, K, C)


def weight_grad(gU):
    """gW = G^T gU G: gU (16, K, C) -> gW (K, C, 3, 3)."""
    xp = get_array_module(gU)
    _, K, C = gU.shape
    return (gU.reshape(16, K * C).T @ _gg(xp, gU.dtype)).reshape(K, C, 3, 3)


def _bt(out, even, odd, axis):
    """B^T along one axis: 4 rows 2i..2i+3 (even[i], odd[i], even[i+1], odd[i+1]) -> out[0..3]."""
    xp = get_array_module(out)
    n = out.shape[axis + 1]
    cut = (slice(None),) * axis
    e0, e1 = even[cut + (slice(0, n),)], even[cut + (slice(1, n + 1),)]
    o0, o1 = odd[cut + (slice(0, n),)], odd[cut + (slice(1, n + 1),)]
    xp.subtract(e0, e1, out=out[0])
    xp.add(o0, e1, out=out[1])
    xp.subtract(e1, o0, out=out[2])
    xp.subtract(o0, o1, out=out[3])


def _phase(p, pad):
    """Which input rows land on padded rows 2i + p (p = 0 or 1), with ``pad`` rows of padding
    before them: every other row from r0, the first at i = i0. Returns (r0, i0)."""
    r0 = (p - pad) % 2
    return r0, (r0 + pad) // 2


def _layout(batch_last):
    """The order of x's axes the transforms work in, and where rows and columns are in it:
    channel-first (C, n, H, W), tiles ordered (n, i, j); batch-last (C, H, W, n), tiles (i, j, n).
    Either way every transformed array keeps the memory order of its input (conv.py: layouts)."""
    return ((1, 2, 3, 0), 1, 2) if batch_last else ((1, 0, 2, 3), 2, 3)


def _grid(a, axis_r, axis_c, rows, cols):
    """a[..rows.., ..cols..] on the two spatial axes of a (C, ., ., .) array."""
    idx = [slice(None)] * a.ndim
    idx[axis_r], idx[axis_c] = rows, cols
    return a[tuple(idx)]


def _shape(C, n, R, S, batch_last):
    """The shape of a (C, n, R, S) working array in the layout's axis order."""
    return (C, R, S, n) if batch_last else (C, n, R, S)


def transform_input(x, padding, TH, TW, out=None, batch_last=False):
    """V = B^T d B for every 4x4 input tile: x (n, C, H, W) -> V (16, C, n*TH*TW).

    ``padding`` (pt, pb, pl, pr) pads x with zeros (rows past pb that only discarded
    outputs would read are zeros too). ``out``, if given, is a flat buffer to write V into.
    ``batch_last``: x is laid out (C, H, W, n) in memory and the tiles are ordered (i, j, n).
    """
    xp = get_array_module(x)
    n, C, H, W = x.shape
    pt, _, pl, _ = padding
    order, ar, ac = _layout(batch_last)
    xt = x.transpose(order)
    planes = xp.zeros((2, 2) + _shape(C, n, TH + 1, TW + 1, batch_last), dtype=x.dtype)   # P[p][q]
    for p in range(2):
        r0, i0 = _phase(p, pt)
        for q in range(2):
            c0, j0 = _phase(q, pl)
            src = _grid(xt, ar, ac, slice(r0, None, 2), slice(c0, None, 2))
            src = _grid(src, ar, ac, slice(0, max(0, TH + 1 - i0)), slice(0, max(0, TW + 1 - j0)))
            _grid(planes[p, q], ar, ac, slice(i0, i0 + src.shape[ar]), slice(j0, j0 + src.shape[ac]))[...] = src
    t = xp.empty((4, 2) + _shape(C, n, TH, TW + 1, batch_last), dtype=x.dtype)   # B^T d: along rows
    for q in range(2):
        _bt(t[:, q], planes[0, q], planes[1, q], axis=ar)
    size = 16 * C * n * TH * TW
    V = (xp.empty(size, dtype=x.dtype) if out is None else out[:size]).reshape((4, 4) + _shape(C, n, TH, TW, batch_last))
    for a in range(4):                                                # (B^T d) B: along columns
        _bt(V[a], t[a, 0], t[a, 1], axis=ac)
    return V.reshape(16, C, n * TH * TW)


def transform_output(M, y, batch_last=False):
    """y = A^T m A for every tile: M (16, K, n*TH*TW) -> written into y (n, K, OH, OW)
    (laid out (K, OH, OW, n) and tiles ordered (i, j, n) when ``batch_last``)."""
    xp = get_array_module(M)
    n, K, OH, OW = y.shape
    TH, TW = tiles(OH, OW)
    order, ar, ac = _layout(batch_last)
    M = M.reshape((4, 4) + _shape(K, n, TH, TW, batch_last))
    s = xp.empty((2, 4) + M.shape[2:], dtype=M.dtype)                 # A^T m: along rows
    xp.add(M[0], M[1], out=s[0])
    s[0] += M[2]
    xp.subtract(M[1], M[2], out=s[1])
    s[1] -= M[3]
    q = xp.empty((2,) + M.shape[2:], dtype=M.dtype)
    yt = y.transpose(order)
    for al in range(2):                                               # (A^T m) A: along columns
        r = s[al]
        xp.add(r[0], r[1], out=q[0])
        q[0] += r[2]
        xp.subtract(r[1], r[2], out=q[1])
        q[1] -= r[3]
        for be in range(2):                                           # tile (al, be) -> y[2i+al, 2j+be]
            dst = _grid(yt, ar, ac, slice(al, None, 2), slice(be, None, 2))
            dst[...] = _grid(q[be], ar, ac, slice(0, dst.shape[ar]), slice(0, dst.shape[ac]))


def transform_output_grad(gy, TH, TW, out=None, batch_last=False):
    """gM = A gy_tile A^T, the adjoint of transform_output: gy (n, K, OH, OW) -> gM (16, K, n*TH*TW).
    A = [[1, 0], [1, 1], [1, -1], [0, -1]]; gy is read as zeros past OH, OW."""
    xp = get_array_module(gy)
    n, K, OH, OW = gy.shape
    order, ar, ac = _layout(batch_last)
    shape = _shape(K, n, TH, TW, batch_last)
    g = xp.zeros((2, 2) + shape, dtype=gy.dtype)                      # gy's phase planes
    gt = gy.transpose(order)
    for al in range(2):
        for be in range(2):
            src = _grid(gt, ar, ac, slice(al, None, 2), slice(be, None, 2))
            _grid(g[al, be], ar, ac, slice(0, src.shape[ar]), slice(0, src.shape[ac]))[...] = src
    r = xp.empty((4, 2) + shape, dtype=gy.dtype)                      # A gy: along rows
    r[0] = g[0]
    xp.add(g[0], g[1], out=r[1])
    xp.subtract(g[0], g[1], out=r[2])
    xp.negative(g[1], out=r[3])
    size = 16 * K * n * TH * TW
    gM = (xp.empty(size, dtype=gy.dtype) if out is None else out[:size]).reshape((4, 4) + shape)
    for a in range(4):                                                # (A gy) A^T: along columns
        gM[a, 0] = r[a, 0]
        xp.add(r[a, 0], r[a, 1], out=gM[a, 1])
        xp.subtract(r[a, 0], r[a, 1], out=gM[a, 2])
        xp.negative(r[a, 1], out=gM[a, 3])
    return gM.reshape(16, K, n * TH * TW)


def conv3x3(x, w, padding=(1, 1, 1, 1)):
    """The whole forward on its own, for study and tests: x (N, C, H, W), w (K, C, 3, 3) ->
    (N, K, OH, OW), stride 1. conv2d runs the same steps in pieces of images."""
    xp = get_array_module(x)
    N, _, H, W = x.shape
    pt, pb, pl, pr = padding
    OH, OW = H + pt + pb - 2, W + pl + pr - 2
    TH, TW = tiles(OH, OW)
    M = xp.matmul(transform_weight(w), transform_input(x, padding, TH, TW))
    y = xp.empty((N, w.shape[0], OH, OW), dtype=x.dtype)
    transform_output(M, y)
    return y
