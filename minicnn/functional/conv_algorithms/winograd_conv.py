"""conv2d by Winograd (minicnn/functional/conv_algorithms/winograd.py has the algebra and the engine):
3x3 kernels, stride 1, on the CPU, with F(2x2, 3x3) (algorithm="winograd") or F(4x4, 3x3)
(algorithm="winograd4x4"). One class runs either; they differ only in their matrices.

    U = G w G^T  (a*a, K, C)     V = B^T d B  (a*a, C, tiles)     y = A^T [U @ V] A

backward: gW = G^T (sum over tiles of gM V^T) G, and gx = the same algorithm on gy with the flipped,
channel-swapped kernel and padding 2 - p. The batch goes through in pieces of images (the layer's
choice.Plan: choice.winograd_pieces); from choice.BATCH_LAST_MIN images the input is read batch-last,
the tiles are ordered (i, j, n) and the output is left batch-last, as the batch_last algorithm does.
Same numbers as im2col up to float32 rounding.
"""
import numpy as np

from ...layout import alloc_nchw
from . import winograd
from .common import ConvFunction


class Conv2dWinograd(ConvFunction):
    """conv2d by Winograd F(2x2, 3x3) (algorithm="winograd")."""
    transform = winograd.F2x3
    algorithm = "winograd"

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), plan=None):
        _, g, K, _ = self.setup(x, w, b, stride, padding, plan)
        f = self.transform
        self.batch_last = self.plan.layout == "batch-last"
        y = alloc_nchw(np.empty, (g.N, K, g.OH, g.OW), x.dtype, self.batch_last)
        # the transformed input is kept for the weight gradient unless that would take too much memory
        self.V = self._run(x, f.transform_weight(w), g.padding, y, self.requires_grad and self.plan.keep)
        self.src = x if self.requires_grad else None
        if b is not None:
            y += b[:, None, None]
        return y

    def _run(self, x, U, padding, y, keep=False):
        """y[i0:i1] = the convolution of x[i0:i1] by the transformed weight U, piece by piece; returns
        each piece's transformed input V when ``keep``, else None."""
        f = self.transform
        TH, TW = f.tiles(*y.shape[2:])
        kept = [] if keep else None
        for i0, i1 in self.pieces:
            V = f.transform_input(x[i0:i1], padding, TH, TW, self.batch_last)
            f.transform_output(np.matmul(U, V), y[i0:i1], self.batch_last)
            if keep:
                kept.append(V)
        return kept

    def backward(self, gy):
        f, g, x, bl = self.transform, self.g, self.src, self.batch_last
        need_x, need_w = self.needs_grad[0], self.needs_grad[1]
        gU = None
        if need_w:
            TH, TW = f.tiles(g.OH, g.OW)
            for p, (i0, i1) in enumerate(self.pieces):
                gM = f.transform_output_grad(gy[i0:i1], TH, TW, bl)
                V = self.V[p] if self.V is not None else f.transform_input(x[i0:i1], g.padding, TH, TW, bl)
                part = np.matmul(gM, V.transpose(0, 2, 1))
                gU = part if gU is None else np.add(gU, part, out=gU)
        gx = None
        if need_x:                                                      # conv(gy, flipped W), padding 2 - p
            pt, pb, pl, pr = g.padding
            wf = np.ascontiguousarray(self.w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))   # (C, K, 3, 3)
            gx = alloc_nchw(np.empty, (g.N, g.C, g.H, g.W), gy.dtype, bl)
            self._run(gy, f.transform_weight(wf), (2 - pt, 2 - pb, 2 - pl, 2 - pr), gx)
        gw = f.weight_grad(gU) if need_w else None
        gb = None
        if self.has_bias and self.needs_grad[2]:                        # batch-last gy: one row a filter
            gb = gy.transpose(1, 2, 3, 0).reshape(gy.shape[1], -1).sum(axis=1) if bl else gy.sum(axis=(0, 2, 3))
        return self.grads(gx, gw, gb)


class Conv2dWinograd4x4(Conv2dWinograd):
    """conv2d by Winograd F(4x4, 3x3) (algorithm="winograd4x4"): the same steps with F(4x4)'s matrices."""
    transform = winograd.F4x3
    algorithm = "winograd4x4"
