"""Convolution by im2col, channels first: one column per output pixel, (n, oh, ow) order.

    col = im2col(x)                     (C*R*S, N*OH*OW): ONE copy of a strided view (im2col.py)
    Y   = W2 @ col + b                  (K, N*OH*OW), transposed to (N, K, OH, OW)
    gW  = gY @ col^T                    gY = gy as (K, N*OH*OW)
    gx  = col2im(W2^T @ gY)             or, for stride 1 with C >= K, conv(gy, flipped W)

Large layers run in pieces, groups of images whose columns fit in choice.col_budget; the columns
of one piece are kept for backward, those of several are rebuilt there (memory stays bounded), or
on a GPU with memory to spare kept too (choice.gpu_keeps_columns). The pieces, what is kept and the
input gradient's method come from the layer's choice.Plan (choice.carried_out).
One image a piece: its (K, OH*OW) product is that image's output, written straight into y.
Pointwise (1x1) layers are the same algorithm with x[i] as its own column matrix.
"""
import numpy as np

from ...backend import get_array_module
from .im2col import ConvGeometry, col2im_fast, col2im_wide, im2col_fast
from .common import COLUMNS, GRAD_COLUMNS, INPUT_GRAD, PRODUCT, ConvFunction, matmul_into


class Conv2dIm2col(ConvFunction):
    """conv2d by channel-first im2col and one GEMM a piece (algorithm="im2col")."""
    algorithm = "im2col"

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), plan=None):
        xp, g, K, w2 = self.setup(x, w, b, stride, padding, plan)
        self.src, unit, count = x, g.OH * g.OW, g.N                    # unit: columns per image
        size = self.pieces[0][1] - self.pieces[0][0]                    # images in the largest piece
        self.unit = unit
        self.per_image = size == 1 and len(self.pieces) > 1
        if len(self.pieces) == 1:                                       # one piece: keep col for backward
            col = self._columns(0, count)
            y = w2 @ col                                                # (K, N*OH*OW)
            self.col = col if self.requires_grad else None
            self.src = None                                             # backward needs no input
        else:
            buf = COLUMNS.flat(xp, w2.shape[1] * unit * size, x.dtype)
            if xp is np:
                y = xp.empty((g.N, K, unit) if self.per_image else (K, unit * count), dtype=x.dtype)
                for i0, i1 in self.pieces:
                    xp.matmul(w2, self._columns(i0, i1, buf),
                              out=y[i0] if self.per_image else y[:, i0 * unit:i1 * unit])
            else:
                # each piece's (K, n*OH*OW) product goes through a contiguous workspace into its images of
                # the NCHW output: CuPy's matmul would copy through a temporary into a column range anyway
                y = xp.empty((g.N, K, g.OH, g.OW), dtype=x.dtype)
                keep = self.requires_grad and self.plan.keep
                self.kept = {} if keep else None                        # piece start -> its columns
                for i0, i1 in self.pieces:
                    col = self._columns(i0, i1, None if keep else buf)
                    prod = matmul_into(xp, w2, col, PRODUCT)
                    y[i0:i1] = prod.reshape(K, i1 - i0, g.OH, g.OW).transpose(1, 0, 2, 3)
                    if keep:
                        self.kept[i0] = col
                if keep:
                    self.src = None                                     # backward needs no input
            if not self.requires_grad:
                self.src = None
        if b is not None:
            y += b[:, None, None] if y.ndim == 4 else b[:, None]        # K before the pixels in every shape
        if y.ndim == 4:                                                 # the GPU's pieces wrote NCHW already
            return y
        if self.per_image:
            return y.reshape(g.N, K, g.OH, g.OW)
        return xp.ascontiguousarray(y.reshape(K, g.N, g.OH, g.OW).transpose(1, 0, 2, 3))

    def _columns(self, i0, i1, out=None):
        """The column matrix of images [i0, i1)."""
        g = self.g
        x = self.src[i0:i1]
        return im2col_fast(x, ConvGeometry(x.shape, (g.R, g.S), (g.sh, g.sw), g.padding), out=out)

    def backward(self, gy):
        xp, g, K, w2, need_x, need_w = self.backward_setup(gy)
        unit = self.unit
        gb = None
        if self.per_image:                                              # gy read one image at a time
            if self.has_bias and self.needs_grad[2]:
                gb = gy.reshape(g.N, K, -1).sum(axis=2).sum(axis=0)
        else:
            gy2 = xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(K, -1)     # in the column order
            gb = gy2.sum(axis=1) if self.has_bias and self.needs_grad[2] else None
        gx, gw = None, None
        as_conv = need_x and self.plan.input_grad == "conv"
        if as_conv:
            wf, pad = self.flipped(xp)
        if need_x:
            gx = xp.empty((g.N, g.C, g.H, g.W), dtype=gy.dtype)
        for i0, i1 in self.pieces:
            gyp = xp.ascontiguousarray(gy[i0]).reshape(K, -1) if self.per_image else gy2[:, i0 * unit:i1 * unit]
            if need_w:
                gw = self.add_weight_grad(gw, gyp, i0, i1, xp)
            if not need_x:
                continue
            if as_conv:
                self._input_grad_conv_images(gy, i0, i1, wf, pad, gx)
            else:
                gc = ConvGeometry((i1 - i0,) + gx.shape[1:], (g.R, g.S), (g.sh, g.sw), g.padding)
                gx[i0:i1] = self._input_grad(w2, gy[i0:i1], gyp, gc, self.plan.input_grad == "col2im_wide")
        return self.grads(gx, gw.reshape(self.w.shape) if need_w else None, gb)

    @staticmethod
    def _input_grad(w2, gy, gyp, g, wide):
        """Input gradient of images gy (n, K, OH, OW), gyp = the same as (K, n*OH*OW), by col2im. With
        ``wide`` (stride 1) the column gradient is computed on the wide grid (gy padded with zero columns
        to width Wp), where col2im adds long runs (minicnn/functional/conv_algorithms/im2col.py: col2im_wide)."""
        xp = get_array_module(gy)
        if not wide:
            return col2im_fast(matmul_into(xp, w2.T, gyp, GRAD_COLUMNS), g)
        wide = xp.zeros((gy.shape[1], g.N, g.OH, g.Wp), dtype=gy.dtype)
        wide[..., :g.OW] = gy.transpose(1, 0, 2, 3)
        return col2im_wide(matmul_into(xp, w2.T, wide.reshape(gy.shape[1], -1), GRAD_COLUMNS), g)

    def _input_grad_conv_images(self, gy, i0, i1, wf, pad, gx):
        """gx[i0:i1] as one convolution of images gy[i0:i1], Wf @ im2col(gy) (C, n*H*W); one
        image's product is written straight into gx, several go through a transpose."""
        xp = get_array_module(gy)
        g = self.g
        gyn = gy[i0:i1]
        gg = ConvGeometry(gyn.shape, (g.R, g.S), (1, 1), pad)          # its output grid is H x W
        col = im2col_fast(gyn, gg, out=GRAD_COLUMNS.flat(xp, wf.shape[1] * (i1 - i0) * g.H * g.W, gy.dtype))
        if i1 - i0 == 1:
            xp.matmul(wf, col, out=gx[i0].reshape(g.C, -1))
        else:
            gx[i0:i1] = matmul_into(xp, wf, col, INPUT_GRAD).reshape(g.C, i1 - i0, g.H, g.W).transpose(1, 0, 2, 3)


class Conv2dPointwise(Conv2dIm2col):
    """1x1 convolutions, stride 1, no padding (algorithm="pointwise"): x itself is the column matrix.
    On the CPU, from choice.POINTWISE_PER_IMAGE_MIN_PIXELS pixels a map, one GEMM per image, W2 @ x[i]
    (no transposes at all); on smaller maps, or on a GPU, the whole batch in one GEMM (its plan's
    pieces say which)."""
    algorithm = "pointwise"
