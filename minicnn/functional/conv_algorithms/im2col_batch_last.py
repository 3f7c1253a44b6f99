"""Convolution by im2col with the batch last: columns in (oh, ow, n) order.

The same GEMMs as channel-first im2col, on columns whose fastest index is the image: every
contiguous run NumPy copies or adds is OW*N long instead of OW, which on small feature maps
costs less than the data itself. The GEMM's output (K, OH*OW*N) is the output batch-last,
(K, OH, OW, N) in memory, returned as the (N, K, OH, OW) view ``y.transpose(3, 0, 1, 2)``; the
layers after conv2d keep that layout, so the next conv2d copies its input without a transpose.

Large layers run in pieces, bands of output rows whose columns fit in choice.col_budget.
backward: gW = gY @ col^T per band; gx by adding each band's column gradient back onto the padded
batch-last input (add_patches_batch_last; for stride 1 and few filters from the wide grid,
add_patches_wide_batch_last), or, for stride 1 with C >= K, as conv(gy, flipped W).
"""
from ...backend import get_array_module
from .im2col import (ConvGeometry, add_patches_batch_last, add_patches_wide_batch_last, im2col_batch_last,
                        padded_batch_last)
from . import choice
from .common import COLUMNS, GRAD_COLUMNS, ConvFunction, matmul_into


class Conv2dBatchLast(ConvFunction):
    """conv2d by batch-last im2col and one GEMM a band of output rows (algorithm="batch_last")."""
    algorithm = "batch_last"

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), plan=None):
        xp, g, K, w2 = self.setup(x, w, b, stride, padding, plan)
        self.src = padded_batch_last(x, g)                              # (C, Hp, Wp, N), made once
        unit, count = g.OW * g.N, g.OH                                  # columns per output row
        size = self.pieces[0][1] - self.pieces[0][0]                    # rows in the largest piece
        self.unit = unit
        if len(self.pieces) == 1:                                       # one piece: keep col for backward
            col = self._columns(0, count)
            y = w2 @ col                                                # (K, OH*OW*N)
            self.col = col if self.requires_grad else None
        else:
            y = xp.empty((K, unit * count), dtype=x.dtype)
            buf = COLUMNS.flat(xp, w2.shape[1] * unit * size, x.dtype)
            for i0, i1 in self.pieces:
                xp.matmul(w2, self._columns(i0, i1, buf), out=y[:, i0 * unit:i1 * unit])
        if len(self.pieces) == 1 or not self.requires_grad:
            self.src = None                                             # backward needs no input
        if b is not None:
            y += b[:, None]
        return y.reshape(K, g.OH, g.OW, g.N).transpose(3, 0, 1, 2)     # (K, OH, OW, N) seen as NCHW: no copy

    def _columns(self, i0, i1, out=None):
        """The column matrix of output rows [i0, i1)."""
        return im2col_batch_last(None, self.g, out=out, oh0=i0, oh1=i1, img=self.src)

    def backward(self, gy):
        xp, g, K, w2, need_x, need_w = self.backward_setup(gy)
        unit = self.unit
        gy2 = xp.ascontiguousarray(gy.transpose(1, 2, 3, 0)).reshape(K, -1)   # free when gy is batch-last
        gb = gy2.sum(axis=1) if self.has_bias and self.needs_grad[2] else None
        gw = None
        as_conv = need_x and self.plan.input_grad == "conv"
        col2im = need_x and not as_conv
        wide = col2im and self.plan.input_grad == "col2im_wide"
        if col2im:
            per_channel = g.Hp * g.Wp * g.N
            gflat = xp.zeros((g.C, per_channel + (g.S - 1) * g.N if wide else per_channel), dtype=gy.dtype)
            gimg = gflat[:, :per_channel].reshape(g.C, g.Hp, g.Wp, g.N)
        if wide:                                                        # gy with zero columns out to Wp
            gyw = xp.zeros((K, g.OH, g.Wp, g.N), dtype=gy.dtype)
            gyw[:, :, :g.OW] = gy2.reshape(K, g.OH, g.OW, g.N)
        for i0, i1 in self.pieces:
            gyp = gy2[:, i0 * unit:i1 * unit]
            if need_w:
                gw = self.add_weight_grad(gw, gyp, i0, i1, xp)
            if wide:
                gcol = matmul_into(xp, w2.T, gyw[:, i0:i1].reshape(K, -1), GRAD_COLUMNS)
                add_patches_wide_batch_last(gflat, gcol, g, i0, i1)
            elif col2im:
                add_patches_batch_last(gimg, matmul_into(xp, w2.T, gyp, GRAD_COLUMNS), g, i0, i1)
        gx = None
        if as_conv:                                                     # gy2 is gy batch-last
            wf, pad = self.flipped(xp)
            gx = self._input_grad_conv(gy2.reshape(K, g.OH, g.OW, g.N).transpose(3, 0, 1, 2), wf, pad)
        elif need_x:
            pt, pb, pl, pr = g.padding
            gx = gimg[:, pt:pt + g.H, pl:pl + g.W].copy().transpose(3, 0, 1, 2)
        return self.grads(gx, gw.reshape(self.w.shape) if need_w else None, gb)

    def _input_grad_conv(self, gy, wf, pad):
        """gx as a convolution of gy, batch-last, in bands of input rows within the column budget:
        gx (C, H, W, N) = Wf @ im2col_batch_last(gy), returned as its (N, C, H, W) view."""
        xp = get_array_module(gy)
        g = self.g
        gg = ConvGeometry(gy.shape, (g.R, g.S), (1, 1), pad)           # its output grid is H x W
        src = padded_batch_last(gy, gg)                                 # (K, OH+.., OW+.., N)
        unit = g.W * g.N
        rows = max(1, min(g.H, choice.col_budget(xp) // (wf.shape[1] * unit * gy.itemsize)))
        buf = GRAD_COLUMNS.flat(xp, wf.shape[1] * unit * rows, gy.dtype)
        gx = xp.empty((g.C, g.H * unit), dtype=gy.dtype)
        for h0 in range(0, g.H, rows):
            h1 = min(g.H, h0 + rows)
            xp.matmul(wf, im2col_batch_last(None, gg, out=buf, oh0=h0, oh1=h1, img=src),
                      out=gx[:, h0 * unit:h1 * unit])
        return gx.reshape(g.C, g.H, g.W, g.N).transpose(3, 0, 1, 2)
