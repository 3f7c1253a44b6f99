"""Winograd convolution F(m x m, 3x3): a 3x3 stride-1 convolution with fewer multiplications, driven
by three matrices (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).

Notation as in minicnn/functional/conv_algorithms/im2col.py. Cut the output into m x m tiles; tile
(i, j) needs the a x a patch d = xpad[m*i : m*i+a, m*j : m*j+a] of every channel (a = m + 2), and for
one channel and one filter

    y_tile (m x m) = A^T [ (G g G^T) * (B^T d B) ] A            (* element-wise, a x a)

B^T (a x a), G (a x 3) and A^T (m x a) are all there is to a Winograd algorithm; this module holds
two sets of them, :data:`F2x3` and :data:`F4x3`, and one engine that runs either:

    F(2x2, 3x3):  B^T = [[1, 0, -1,  0],   G = [[ 1,    0,   0 ],   A^T = [[1, 1,  1,  0],
                         [0, 1,  1,  0],        [1/2,  1/2, 1/2],          [0, 1, -1, -1]]
                         [0, -1, 1,  0],        [1/2, -1/2, 1/2],
                         [0, 1,  0, -1]]        [ 0,    0,   1 ]]

    F(4x4, 3x3):  B^T = [[4,  0, -5,  0, 1, 0],   G = [[ 1/4,     0,    0],   A^T = [[1, 1,  1, 1,  1, 0],
                         [0, -4, -4,  1, 1, 0],        [-1/6,  -1/6, -1/6],          [0, 1, -1, 2, -2, 0],
                         [0,  4, -4, -1, 1, 0],        [-1/6,   1/6, -1/6],          [0, 1,  1, 4,  4, 0],
                         [0, -2, -1,  2, 1, 0],        [1/24,  1/12,  1/6],          [0, 1, -1, 8, -8, 1]]
                         [0,  2, -1, -2, 1, 0],        [1/24, -1/12,  1/6],
                         [0,  4,  0, -5, 0, 1]]        [   0,     0,    1]]

a*a products per tile instead of m*m*9: 16 instead of 36 for F(2x2), 2.25x fewer; 36 instead of 144
for F(4x4), 4x fewer, at the price of larger numbers in its matrices (more float32 rounding). Summed
over channels, each of the a*a positions (u, v) of a tile is a matrix product over C, so a layer is
a*a GEMMs:

    U[uv] = (G g G^T)[u, v]  (K, C)       weights, transformed once per call
    V[uv] = (B^T d B)[u, v]  (C, T)       input, T = n*TH*TW tiles (TH = ceil(OH/m), ...)
    M[uv] = U[uv] @ V[uv]    (K, T)
    y     = A^T M A          (n, K, OH, OW), one m x m tile per column of M

Each transform is two small matrix products, along the tiles' rows and then their columns, on arrays
laid out so that BLAS does each in one call. Backward is the same algebra read backwards (every step
is linear):

    gM[uv] = (A gy_tile A^T)[u, v]        gy's tiles, m x m -> a x a (transform_output_grad)
    gU[uv] = gM[uv] @ V[uv]^T             (K, C), summed over tiles
    gW     = G^T gU G                     (K, C, 3, 3)
    gx     = this same convolution of gy with the flipped, channel-swapped weight and padding 2 - p
             (as for im2col, see common.py)

Layout (conv.py): channel-first, the tiles are ordered (n, i, j) and y is NCHW; with
``batch_last=True`` x lies (C, H, W, n) in memory, the tiles are ordered (i, j, n), and y comes out
batch-last. Gathering the a x a tiles then copies runs of n values instead of single pixels.

Rounding: in float64 either set agrees with the textbook convolution to 1e-12; in float32 F(2x2) is
off by about as much as im2col + GEMM, F(4x4) by more (RESULTS.md, "Winograd's rounding", and
tests/test_winograd.py).
"""
import numpy as np

from ...backend import get_array_module
from ...layout import alloc_nchw


class Winograd:
    """F(m x m, 3x3) by its matrices B^T (a x a), G (a x 3) and A^T (m x a), a = m + 2: the transforms
    of the weight, the input and the output, and their adjoints for backward."""

    def __init__(self, name, BT, G, AT):
        self.name = name
        self.BT, self.G, self.AT = (np.array(a, dtype=np.float64) for a in (BT, G, AT))
        self.m, self.a = self.AT.shape
        self.GG = np.kron(self.G, self.G)              # (a*a, 9): U[uv] = sum_rs G[u, r] G[v, s] g[r, s]
        self._cast = {}

    def __repr__(self):
        return f"Winograd({self.name})"

    def _matrix(self, xp, which, dtype):
        """One of the matrices ("BT", "GG", "AT" or "A") as an xp array of ``dtype``, cast once."""
        key = (xp.__name__, which, np.dtype(dtype).str)
        if key not in self._cast:
            self._cast[key] = xp.asarray(self.AT.T if which == "A" else getattr(self, which), dtype=dtype)
        return self._cast[key]

    def tiles(self, OH, OW):
        """Number of m x m output tiles along each axis: (ceil(OH/m), ceil(OW/m))."""
        return -(-OH // self.m), -(-OW // self.m)

    def transform_weight(self, w):
        """U = G g G^T for every (filter, channel): w (K, C, 3, 3) -> U (a*a, K, C)."""
        xp = get_array_module(w)
        K, C = w.shape[:2]
        return (self._matrix(xp, "GG", w.dtype) @ w.reshape(K * C, 9).T).reshape(self.a * self.a, K, C)

    def weight_grad(self, gU):
        """gW = G^T gU G, the adjoint of transform_weight: gU (a*a, K, C) -> gW (K, C, 3, 3)."""
        xp = get_array_module(gU)
        _, K, C = gU.shape
        return (gU.reshape(-1, K * C).T @ self._matrix(xp, "GG", gU.dtype)).reshape(K, C, 3, 3)

    def transform_input(self, x, padding, TH, TW, batch_last=False):
        """V = B^T d B for every a x a input tile: x (n, C, H, W), padded by ``padding`` (pt, pb, pl, pr)
        with zeros (rows past pb that only discarded outputs read are zeros too) -> V (a*a, C, n*TH*TW),
        the tiles ordered (n, i, j), or (i, j, n) with ``batch_last`` (x then lies (C, H, W, n))."""
        xp = get_array_module(x)
        m, a = self.m, self.a
        n, C, H, W = x.shape
        pt, _, pl, _ = padding
        if batch_last:                                                # the padded input, (C, rows, cols, n)
            img = xp.zeros((C, m * TH + a - m, m * TW + a - m, n), dtype=x.dtype)
            img[:, pt:pt + H, pl:pl + W] = x.transpose(1, 2, 3, 0)
            s = img.strides                                           # d[u, v, c, i, j, n] = img[c, m*i+u, m*j+v, n]
            d = xp.lib.stride_tricks.as_strided(img, (a, a, C, TH, TW, n),
                                                (s[1], s[2], s[0], m * s[1], m * s[2], s[3]))
        else:                                                         # the padded input, channel-first
            img = xp.zeros((C, n, m * TH + a - m, m * TW + a - m), dtype=x.dtype)
            img[:, :, pt:pt + H, pl:pl + W] = x.transpose(1, 0, 2, 3)
            s = img.strides                                           # d[u, v, c, n, i, j] = img[c, n, m*i+u, m*j+v]
            d = xp.lib.stride_tricks.as_strided(img, (a, a, C, n, TH, TW),
                                                (s[2], s[3], s[0], s[1], m * s[2], m * s[3]))
        bt = self._matrix(xp, "BT", x.dtype)
        rows = (bt @ xp.ascontiguousarray(d).reshape(a, -1)).reshape(a, a, -1)   # B^T d: (u, v, C*T)
        return xp.matmul(bt, rows).reshape(a * a, C, n * TH * TW)               # (B^T d) B: (u, v, C*T)

    def transform_output(self, M, y, batch_last=False):
        """y = A^T m A for every tile: M (a*a, K, n*TH*TW) -> written into y (n, K, OH, OW); with
        ``batch_last`` the tiles are ordered (i, j, n) and y lies (K, OH, OW, n) in memory."""
        xp = get_array_module(M)
        m, a = self.m, self.a
        n, K, OH, OW = y.shape
        TH, TW = self.tiles(OH, OW)
        at = self._matrix(xp, "AT", M.dtype)
        cols = xp.matmul(at, M.reshape(a, a, -1))                       # m A: (u, beta, K*T)
        ym = at @ cols.reshape(a, -1)                                  # A^T (m A): (alpha, beta, K*T)
        if batch_last:
            tiled = ym.reshape(m, m, K, TH, TW, n).transpose(2, 3, 0, 4, 1, 5)   # (K, i, alpha, j, beta, n)
            out, whole, full = y.transpose(1, 2, 3, 0), (K, TH, m, TW, m, n), (K, m * TH, m * TW, n)
        else:
            tiled = ym.reshape(m, m, K, n, TH, TW).transpose(3, 2, 4, 0, 5, 1)   # (n, K, i, alpha, j, beta)
            out, whole, full = y, (n, K, TH, m, TW, m), (n, K, m * TH, m * TW)
        if (OH, OW) == (m * TH, m * TW) and out.flags.c_contiguous:   # whole tiles: one copy into y
            out.reshape(whole)[...] = tiled
        elif batch_last:
            out[...] = tiled.reshape(full)[:, :OH, :OW]
        else:
            out[...] = tiled.reshape(full)[:, :, :OH, :OW]

    def transform_output_grad(self, gy, TH, TW, batch_last=False):
        """gM = A gy_tile A^T, the adjoint of transform_output: gy (n, K, OH, OW) -> gM (a*a, K, n*TH*TW),
        the tiles ordered (i, j, n) with ``batch_last``; gy is read as zeros past OH, OW."""
        xp = get_array_module(gy)
        m, a = self.m, self.a
        n, K, OH, OW = gy.shape
        if (OH, OW) != (m * TH, m * TW):                              # partial tiles: zeros past OH, OW
            pad = alloc_nchw(xp.zeros, (n, K, m * TH, m * TW), gy.dtype, batch_last)
            pad[:, :, :OH, :OW] = gy
            gy = pad
        if batch_last:
            g = xp.empty((m, m, K, TH, TW, n), dtype=gy.dtype)         # (alpha, beta, K, i, j, n)
            g.transpose(2, 3, 0, 4, 1, 5)[...] = gy.transpose(1, 2, 3, 0).reshape(K, TH, m, TW, m, n)
        else:
            g = xp.empty((m, m, K, n, TH, TW), dtype=gy.dtype)         # (alpha, beta, K, n, i, j)
            g.transpose(3, 2, 4, 0, 5, 1)[...] = gy.reshape(n, K, TH, m, TW, m)
        A = self._matrix(xp, "A", gy.dtype)                           # A (a x m)
        rows = (A @ g.reshape(m, -1)).reshape(a, m, -1)                # A gy: (u, beta, K*T)
        return xp.matmul(A, rows).reshape(a * a, K, -1)                # (A gy) A^T: (u, v, K*T)

    def conv3x3(self, x, w, padding=(1, 1, 1, 1)):
        """The whole forward on its own, for study and tests: x (n, C, H, W), w (K, C, 3, 3), padding
        (pt, pb, pl, pr) -> (n, K, OH, OW), stride 1. conv2d runs the same steps in pieces of images."""
        xp = get_array_module(x)
        n, _, H, W = x.shape
        OH, OW = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
        M = xp.matmul(self.transform_weight(w), self.transform_input(x, padding, *self.tiles(OH, OW)))
        y = xp.empty((n, w.shape[0], OH, OW), dtype=x.dtype)
        self.transform_output(M, y)
        return y


F2x3 = Winograd("F(2x2, 3x3)",
                BT=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
                G=[[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
                AT=[[1, 1, 1, 0], [0, 1, -1, -1]])
F4x3 = Winograd("F(4x4, 3x3)",
                BT=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                    [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
                G=[[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                   [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
                AT=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])
