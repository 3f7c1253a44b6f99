"""Convolution by Winograd F(4x4, 3x3): 3x3 kernels, stride 1, on the CPU (Lavin & Gray, 2016).

The larger sibling of winograd_f2x3.py. Cut the output into 4x4 tiles; tile (i, j) needs the 6x6
patch d = xpad[4i:4i+6, 4j:4j+6] of every channel, and for one channel and one filter

    y_tile (4x4) = A^T [ (G g G^T) * (B^T d B) ] A            (* element-wise, 6x6)

    B^T = [[4,  0, -5,  0, 1, 0],    G = [[ 1/4,     0,    0],    A^T = [[1, 1,  1, 1,  1, 0],
           [0, -4, -4,  1, 1, 0],         [-1/6,  -1/6, -1/6],           [0, 1, -1, 2, -2, 0],
           [0,  4, -4, -1, 1, 0],         [-1/6,   1/6, -1/6],           [0, 1,  1, 4,  4, 0],
           [0, -2, -1,  2, 1, 0],         [1/24,  1/12,  1/6],           [0, 1, -1, 8, -8, 1]]
           [0,  2, -1, -2, 1, 0],         [1/24, -1/12,  1/6],
           [0,  4,  0, -5, 0, 1]]         [   0,     0,    1]]

36 products per tile instead of 4*4*9 = 144: four times fewer multiplications, against 2.25 for
F(2x2, 3x3), and its transformed input is 36/16 = 2.25 times the input instead of 4 times. Summed
over channels, each of the 36 positions (a, b) is a GEMM over C:

    U = G g G^T (36, K, C)    V = B^T d B (36, C, T)    M = U @ V (36, K, T)    y = A^T M A

with T = n*TH*TW tiles. Each transform is two small matrix products, along the tile's rows and
then its columns, on arrays laid out so that BLAS does them in one call each.

backward:  gM = A gy_tile A^T (the adjoint of the output transform), gU = sum over tiles of
gM @ V^T (V kept from forward, up to choice.WINOGRAD4_KEEP_BYTES a layer), gW = G^T gU G; and
gx = this same algorithm on gy with the flipped, channel-swapped kernel and padding 2 - p (as the
other algorithms do, see common.py).

Rounding: B, G and A hold larger numbers than F(2x2)'s, so float32 results are further from the
exact convolution than im2col's (RESULTS.md, "Winograd", the F(4x4) tables, has the figures);
in float64 the tests hold it to the textbook within 1e-10.

Layout: below choice.BATCH_LAST_MIN images the tiles are ordered (n, i, j) and the output is NCHW;
from it on, as for the batch_last algorithm, the input is read batch-last, (C, H, W, n) in memory,
the tiles are ordered (i, j, n) and the output is left batch-last. Gathering the 6x6 tiles then
copies runs of n values instead of 6, the gather that costs channel-first F(4x4) most.
"""
import numpy as np

from ...layout import alloc_nchw
from . import choice
from .common import ConvFunction

BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], dtype=np.float64)
G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], dtype=np.float64)
AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
              dtype=np.float64)
GG = np.kron(G, G)                         # (36, 9): U[ab] = sum_rs G[a, r] G[b, s] g[r, s]


def tiles(OH, OW):
    """Number of 4x4 output tiles along each axis."""
    return -(-OH // 4), -(-OW // 4)


def transform_weight(w):
    """U = G g G^T for every (filter, channel): w (K, C, 3, 3) -> U (36, K, C)."""
    K, C = w.shape[:2]
    return (GG.astype(w.dtype) @ w.reshape(K * C, 9).T).reshape(36, K, C)


def weight_grad(gU):
    """gW = G^T gU G, the adjoint of transform_weight: gU (36, K, C) -> gW (K, C, 3, 3)."""
    _, K, C = gU.shape
    return (gU.reshape(36, K * C).T @ GG.astype(gU.dtype)).reshape(K, C, 3, 3)


def transform_input(x, padding, TH, TW, batch_last=False):
    """V = B^T d B for every 6x6 input tile: x (n, C, H, W), any layout -> V (36, C, n*TH*TW), the
    tiles ordered (n, i, j); with ``batch_last``, ordered (i, j, n), and the gather copies runs of n
    images instead of 6 pixels."""
    n, C, H, W = x.shape
    pt, _, pl, _ = padding
    if batch_last:                                                    # the padded input, (C, rows, cols, n)
        img = np.zeros((C, 4 * TH + 2, 4 * TW + 2, n), dtype=x.dtype)
        img[:, pt:pt + H, pl:pl + W] = x.transpose(1, 2, 3, 0)
        s = img.strides                                               # d[u, v, c, i, j, n] = img[c, 4i+u, 4j+v, n]
        d = np.lib.stride_tricks.as_strided(img, (6, 6, C, TH, TW, n), (s[1], s[2], s[0], 4 * s[1], 4 * s[2], s[3]))
    else:                                                             # the padded input, channel-first
        img = np.zeros((C, n, 4 * TH + 2, 4 * TW + 2), dtype=x.dtype)
        img[:, :, pt:pt + H, pl:pl + W] = x.transpose(1, 0, 2, 3)
        s = img.strides                                               # d[u, v, c, n, i, j] = img[c, n, 4i+u, 4j+v]
        d = np.lib.stride_tricks.as_strided(img, (6, 6, C, n, TH, TW), (s[2], s[3], s[0], s[1], 4 * s[2], 4 * s[3]))
    bt = BT.astype(x.dtype)
    rows = (bt @ np.ascontiguousarray(d).reshape(6, -1)).reshape(6, 6, -1)   # B^T d: (a, v, C*T)
    return np.matmul(bt, rows).reshape(36, C, n * TH * TW)              # (B^T d) B: (a, b, C*T)


def transform_output(M, y, batch_last=False):
    """y = A^T m A for every tile: M (36, K, n*TH*TW) -> written into y (n, K, OH, OW); with
    ``batch_last`` the tiles are ordered (i, j, n) and y lies (K, OH, OW, n) in memory."""
    n, K, OH, OW = y.shape
    TH, TW = tiles(OH, OW)
    at = AT.astype(M.dtype)
    cols = np.matmul(at, M.reshape(6, 6, -1))                          # m A: (a, beta, K*T)
    y4 = at @ cols.reshape(6, -1)                                     # A^T (m A): (alpha, beta, K*T)
    if batch_last:
        tiled = y4.reshape(4, 4, K, TH, TW, n).transpose(2, 3, 0, 4, 1, 5)   # (K, i, alpha, j, beta, n)
        out, whole = y.transpose(1, 2, 3, 0), (K, TH, 4, TW, 4, n)
        full = (K, 4 * TH, 4 * TW, n)
    else:
        tiled = y4.reshape(4, 4, K, n, TH, TW).transpose(3, 2, 4, 0, 5, 1)   # (n, K, i, alpha, j, beta)
        out, whole = y, (n, K, TH, 4, TW, 4)
        full = (n, K, 4 * TH, 4 * TW)
    if (OH, OW) == (4 * TH, 4 * TW) and out.flags.c_contiguous:       # whole tiles: one copy into y
        out.reshape(whole)[...] = tiled
    elif batch_last:
        out[...] = tiled.reshape(full)[:, :OH, :OW]
    else:
        out[...] = tiled.reshape(full)[:, :, :OH, :OW]


def transform_output_grad(gy, TH, TW, batch_last=False):
    """gM = A gy_tile A^T, the adjoint of transform_output: gy (n, K, OH, OW) -> gM (36, K, n*TH*TW),
    the tiles ordered (i, j, n) with ``batch_last``; gy is read as zeros past OH, OW."""
    n, K, OH, OW = gy.shape
    if (OH, OW) != (4 * TH, 4 * TW):                                  # partial tiles: zeros past OH, OW
        pad = alloc_nchw(np.zeros, (n, K, 4 * TH, 4 * TW), gy.dtype, batch_last)
        pad[:, :, :OH, :OW] = gy
        gy = pad
    if batch_last:
        g = np.empty((4, 4, K, TH, TW, n), dtype=gy.dtype)            # (alpha, beta, K, i, j, n)
        g.transpose(2, 3, 0, 4, 1, 5)[...] = gy.transpose(1, 2, 3, 0).reshape(K, TH, 4, TW, 4, n)
    else:
        g = np.empty((4, 4, K, n, TH, TW), dtype=gy.dtype)            # (alpha, beta, K, n, i, j)
        g.transpose(3, 2, 4, 0, 5, 1)[...] = gy.reshape(n, K, TH, 4, TW, 4)
    a = AT.T.astype(gy.dtype)                                         # A (6x4)
    rows = (a @ g.reshape(4, -1)).reshape(6, 4, -1)                   # A gy: (a, beta, K*T)
    return np.matmul(a, rows).reshape(36, K, n * TH * TW)              # (A gy) A^T: (a, b, K*T)


def conv3x3(x, w, padding):
    """The forward on its own, for study and tests: x (n, C, H, W), w (K, C, 3, 3), padding
    (pt, pb, pl, pr) -> (n, K, OH, OW), stride 1."""
    n, _, H, W = x.shape
    OH, OW = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    M = np.matmul(transform_weight(w), transform_input(x, padding, *tiles(OH, OW)))
    y = np.empty((n, w.shape[0], OH, OW), dtype=x.dtype)
    transform_output(M, y)
    return y


class Conv2dWinograd4x4(ConvFunction):
    """conv2d by Winograd F(4x4, 3x3) (algorithm="winograd4x4"), in pieces of images whose
    transformed input fits the budget (choice.winograd4_pieces). From choice.BATCH_LAST_MIN images it
    works batch-last, as the batch_last algorithm does: tiles ordered (i, j, n), the output (K, OH,
    OW, N) in memory."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0)):
        _, g, K, _ = self.setup(x, w, b, stride, padding)
        self.batch_last = g.N >= choice.BATCH_LAST_MIN
        self.pieces = choice.winograd4_pieces(g, K, x.itemsize, self.batch_last)
        y = alloc_nchw(np.empty, (g.N, K, g.OH, g.OW), x.dtype, self.batch_last)
        # the transformed input is kept for the weight gradient unless that would take too much memory
        TH, TW = tiles(g.OH, g.OW)
        keep = self.requires_grad and 36 * g.C * g.N * TH * TW * x.itemsize <= choice.WINOGRAD4_KEEP_BYTES
        self.V = self._run(x, transform_weight(w), g.padding, y, keep)
        self.src = x if self.requires_grad else None
        if b is not None:
            y += b[:, None, None]
        return y

    def _run(self, x, U, padding, y, keep=False):
        """y[i0:i1] = the convolution of x[i0:i1] by the transformed weight U, piece by piece; returns
        each piece's transformed input V when ``keep``, else None."""
        TH, TW = tiles(*y.shape[2:])
        kept = [] if keep else None
        for i0, i1 in self.pieces:
            V = transform_input(x[i0:i1], padding, TH, TW, self.batch_last)
            transform_output(np.matmul(U, V), y[i0:i1], self.batch_last)
            if keep:
                kept.append(V)
        return kept

    def backward(self, gy):
        g, x, bl = self.g, self.src, self.batch_last
        need_x, need_w = self.needs_grad[0], self.needs_grad[1]
        gU = None
        if need_w:
            TH, TW = tiles(g.OH, g.OW)
            for p, (i0, i1) in enumerate(self.pieces):
                gM = transform_output_grad(gy[i0:i1], TH, TW, bl)
                V = self.V[p] if self.V is not None else transform_input(x[i0:i1], g.padding, TH, TW, bl)
                part = np.matmul(gM, V.transpose(0, 2, 1))
                gU = part if gU is None else np.add(gU, part, out=gU)
        gx = None
        if need_x:                                                      # conv(gy, flipped W), padding 2 - p
            pt, pb, pl, pr = g.padding
            wf = self.w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)          # (C, K, 3, 3)
            gx = alloc_nchw(np.empty, (g.N, g.C, g.H, g.W), gy.dtype, bl)
            self._run(gy, transform_weight(np.ascontiguousarray(wf)), (2 - pt, 2 - pb, 2 - pl, 2 - pr), gx)
        gw = weight_grad(gU) if need_w else None
        gb = None
        if self.has_bias and self.needs_grad[2]:                        # batch-last gy: one row a filter
            gb = gy.transpose(1, 2, 3, 0).reshape(gy.shape[1], -1).sum(axis=1) if bl else gy.sum(axis=(0, 2, 3))
        return self.grads(gx, gw, gb)
