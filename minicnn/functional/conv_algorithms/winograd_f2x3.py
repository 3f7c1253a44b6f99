"""Convolution by Winograd F(2x2, 3x3) (minicnn/functional/conv_algorithms/winograd.py has the algebra): 3x3 kernels,
stride 1, on the CPU. Each 2x2 block of output comes from a 4x4 tile of input through fixed
transforms, and the products become 16 GEMMs over channels, 2.25x fewer multiplications:

    U = G w G^T  (16, K, C)      V = B^T d B  (16, C, tiles)      y = A^T [U @ V] A

backward: gW = G^T (sum over tiles of gM V^T) G, and gx = the same algorithm on gy with the
flipped kernel. Batches of BATCH_LAST_MIN images or more work batch-last (as im2col does), in
groups of images whose V and M fit in config.col_budget. Same numbers as im2col up to float32 rounding.
"""
import numpy as np

from . import winograd
from ...backend import get_array_module
from ...layout import alloc_nchw
from . import choice
from ... import workspace
from .common import ConvFunction


class Conv2dWinograd(ConvFunction):
    """conv2d by Winograd F(2x2, 3x3) (algorithm="winograd")."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0)):
        xp, g, K, _ = self.setup(x, w, b, stride, padding)
        self.batch_last = g.N >= choice.BATCH_LAST_MIN and xp is np
        TH, TW = winograd.tiles(g.OH, g.OW)
        size = choice.winograd_piece(g, K, x.itemsize)
        self.pieces = [(i, min(g.N, i + size)) for i in range(0, g.N, size)]
        self.U = winograd.transform_weight(w)                          # (16, K, C)
        y = alloc_nchw(xp.empty, (g.N, K, g.OH, g.OW), x.dtype, self.batch_last)
        for i0, i1 in self.pieces:
            V = winograd.transform_input(x[i0:i1], g.padding, TH, TW, out=self._slot(xp, x.dtype, "wV"),
                                         batch_last=self.batch_last)
            winograd.transform_output(self._product(xp, self.U, V, "wM"), y[i0:i1], batch_last=self.batch_last)
        self.src = x if self.requires_grad else None
        if b is not None:
            y += b[:, None, None]
        return y

    def _slot(self, xp, dtype, name):
        """The workspace buffer for one piece's V or M (either pass, forward or backward)."""
        g = self.g
        TH, TW = winograd.tiles(max(g.H, g.OH), max(g.W, g.OW))
        n = self.pieces[0][1] - self.pieces[0][0]
        return workspace.flat(xp, 16 * max(g.C, self.w.shape[0]) * n * TH * TW, dtype, name)

    def _product(self, xp, a, b, name):
        """The 16 GEMMs a[ab] @ b[ab], written into a workspace buffer."""
        out = self._slot(xp, b.dtype, name)[:16 * a.shape[1] * b.shape[2]].reshape(16, a.shape[1], b.shape[2])
        return xp.matmul(a, b, out=out)

    def backward(self, gy):
        xp = get_array_module(gy)
        g, x = self.g, self.src
        need_x, need_w = self.needs_grad[0], self.needs_grad[1]
        TH, TW = winograd.tiles(g.OH, g.OW)
        pt, pb, pl, pr = g.padding
        flipped_pad = (2 - pt, 2 - pb, 2 - pl, 2 - pr)
        bl = self.batch_last
        gx = alloc_nchw(xp.empty, (g.N, g.C, g.H, g.W), gy.dtype, bl) if need_x else None
        uf = self.U[winograd.FLIP].transpose(0, 2, 1) if need_x else None   # (16, C, K)
        gU = None
        for i0, i1 in self.pieces:
            gyn = gy[i0:i1]
            if need_w:
                V = winograd.transform_input(x[i0:i1], g.padding, TH, TW, out=self._slot(xp, gy.dtype, "wV"),
                                             batch_last=bl)
                gM = winograd.transform_output_grad(gyn, TH, TW, out=self._slot(xp, gy.dtype, "wM"), batch_last=bl)
                part = xp.matmul(gM, V.transpose(0, 2, 1))             # (16, K, C)
                gU = part if gU is None else xp.add(gU, part, out=gU)
            if need_x:
                V = winograd.transform_input(gyn, flipped_pad, *winograd.tiles(g.H, g.W),
                                             out=self._slot(xp, gy.dtype, "wV"), batch_last=bl)
                winograd.transform_output(self._product(xp, uf, V, "wM"), gx[i0:i1], batch_last=bl)
        gw = winograd.weight_grad(gU).reshape(self.w.shape) if need_w else None
        gb = gy.sum(axis=(0, 2, 3)) if self.has_bias and self.needs_grad[2] else None
        return self.grads(gx, gw, gb)


