"""Grouped convolutions (groups > 1): G independent convolutions side by side, in one op.

Group g convolves input channels [g*c, (g+1)*c) with filters [g*k, (g+1)*k), c = C/G, k = K/G.

grouped (any G): im2col's columns (C*R*S, N*OH*OW) hold the groups' rows one after the other
  (rows in (c, r, s) order), so as (G, c*R*S, N*OH*OW) they are G column matrices at once, and
      y_g  = W_g @ col_g                    one batched GEMM over the groups: (G, k, N*OH*OW)
      gW_g = gy_g @ col_g^T                 gcol_g = W_g^T @ gy_g  -> col2im of all C channels

depthwise (G = C: one input channel a group, k = K/C filters each, MobileNet's 3x3 layers): with
  c = 1 a GEMM would be (k x R*S) @ (R*S x N*OH*OW), far too thin for BLAS. Instead, as max pooling
  does, sweep the R*S kernel offsets: for offset (r, s), one strided view holds that input pixel of
  every window, and
      y[n, ch, j]       += x_pad[n, ch, oh*sh + r, ow*sw + s] * w[ch, j, r, s]
      gx_pad[.. r, s ..] += sum_j gy[n, ch, j] * w[ch, j, r, s]
      gw[ch, j, r, s]    = sum over n, oh, ow of gy[n, ch, j] * x_pad[.. r, s ..]
  R*S vectorized multiply-adds over (N, C, OH, OW) each way.

The oracle of both is conv2d's loop over the groups with algorithm="reference".
"""
from ...backend import get_array_module
from ...im2col import col2im_fast, crop, im2col_fast, pad_nchw
from .common import ConvFunction


class Conv2dGrouped(ConvFunction):
    """groups > 1 as one batched product over the groups (algorithm="grouped")."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), groups=1):
        xp, g, K, _ = self.setup(x, w, b, stride, padding)
        G = groups
        col = im2col_fast(x, g).reshape(G, -1, g.N * g.OH * g.OW)             # (G, c*R*S, N*OH*OW)
        wg = w.reshape(G, K // G, -1)                                          # (G, k, c*R*S)
        y = xp.ascontiguousarray(xp.matmul(wg, col).reshape(K, g.N, g.OH, g.OW).transpose(1, 0, 2, 3))
        if b is not None:
            y += b.reshape(1, K, 1, 1)                                         # in place: one copy, not two
        self.col, self.groups = col, G
        return y

    def backward(self, gy):
        xp, g, K, W2, need_x, need_w = self.backward_setup(gy)
        G = self.groups
        gy3 = xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(G, K // G, -1)   # (G, k, N*OH*OW)
        gx = gw = None
        if need_x:
            gcol = xp.matmul(W2.reshape(G, K // G, -1).transpose(0, 2, 1), gy3)  # (G, c*R*S, N*OH*OW)
            gx = col2im_fast(gcol.reshape(g.col_shape), g)
        if need_w:
            gw = xp.matmul(gy3, self.col.transpose(0, 2, 1)).reshape(self.w.shape)
        return self.grads(gx, gw, gy.sum(axis=(0, 2, 3)) if self.has_bias else None)


class Conv2dDepthwise(ConvFunction):
    """groups == C (each input channel its own k filters) by sweeping the kernel offsets
    (algorithm="depthwise"): a multiply and an add over (N, C, k, OH, OW) per offset, into one
    output and one temporary made once. NumPy's element-wise throughput bounds it (about 1.5e9
    elements a second here); sweeping in cache-sized chunks of images or channels gained 3-20%
    (benchmarks/RESULTS.md, "Grouped convolutions"), not worth the loops."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), groups=1):
        xp, g, K, _ = self.setup(x, w, b, stride, padding)
        k = K // g.C
        xpad = pad_nchw(x, padding)
        w5 = w.reshape(1, g.C, k, g.R, g.S)
        y = xp.empty((g.N, g.C, k, g.OH, g.OW), dtype=x.dtype)
        tmp = xp.empty_like(y)
        for i, (r, s) in enumerate(self._offsets()):
            patch = self._window(xpad, r, s)[:, :, None]                       # (N, C, 1, OH, OW), a view
            xp.multiply(patch, w5[..., r, s, None, None], out=y if i == 0 else tmp)
            if i:
                y += tmp
        y = y.reshape(g.N, K, g.OH, g.OW)
        if b is not None:
            y += b.reshape(1, K, 1, 1)
        self.xpad = xpad
        return y

    def _offsets(self):
        return [(r, s) for r in range(self.g.R) for s in range(self.g.S)]

    def _window(self, a, r, s):
        """The (N, C, OH, OW) view of padded ``a`` under kernel offset (r, s)."""
        g = self.g
        return a[:, :, r:r + g.sh * (g.OH - 1) + 1:g.sh, s:s + g.sw * (g.OW - 1) + 1:g.sw]

    def backward(self, gy):
        xp, g = get_array_module(gy), self.g
        K = self.w.shape[0]
        k = K // g.C
        w5 = self.w.reshape(1, g.C, k, g.R, g.S)
        gy5 = gy.reshape(g.N, g.C, k, g.OH, g.OW)
        gx = gw = None
        if self.needs_grad[0]:
            gpad = xp.zeros((g.N, g.C, g.Hp, g.Wp), dtype=gy.dtype)
            tmp = xp.empty_like(gy5)
            for r, s in self._offsets():
                xp.multiply(gy5, w5[..., r, s, None, None], out=tmp)
                self._window(gpad, r, s)[...] += tmp[:, :, 0] if k == 1 else tmp.sum(axis=2)
            gx = xp.ascontiguousarray(crop(gpad, g.padding, g.H, g.W))
        if self.needs_grad[1]:
            gw = xp.empty((g.C, k, g.R, g.S), dtype=gy.dtype)
            for r, s in self._offsets():
                gw[:, :, r, s] = xp.einsum("ncjhw,nchw->cj", gy5, self._window(self.xpad, r, s))
            gw = gw.reshape(self.w.shape)
        return self.grads(gx, gw, gy.sum(axis=(0, 2, 3)) if self.has_bias else None)
