"""Grouped convolutions (groups > 1): G independent convolutions side by side, in one op.

Group g convolves input channels [g*c, (g+1)*c) with filters [g*k, (g+1)*k), c = C/G, k = K/G.

grouped (any G): im2col's columns (C*R*S, N*OH*OW) hold the groups' rows one after the other
  (rows in (c, r, s) order), so as (G, c*R*S, N*OH*OW) they are G column matrices at once, and
      y_g  = W_g @ col_g                    one batched GEMM over the groups: (G, k, N*OH*OW)
      gW_g = gy_g @ col_g^T                 gcol_g = W_g^T @ gy_g  -> col2im of all C channels

depthwise (G = C: one input channel a group, k = K/C filters each, MobileNet's 3x3 layers): with
  c = 1 a GEMM would be (k x R*S) @ (R*S x N*OH*OW), far too thin for BLAS. Instead, as max pooling
  does, sweep the R*S kernel offsets: for offset (r, s), one slice of the padded input holds that
  input pixel of every window, and
      y[n, ch, j]       += x_pad[n, ch, oh*sh + r, ow*sw + s] * w[ch, j, r, s]
      gx_pad[.. r, s ..] += sum_j gy[n, ch, j] * w[ch, j, r, s]
      gw[ch, j, r, s]    = sum over n, oh, ow of gy[n, ch, j] * x_pad[.. r, s ..]
  R*S vectorized multiply-adds over (N, C, OH, OW) each way (each slice one contiguous run: _Phases).

The oracle of both is conv2d's loop over the groups with algorithm="reference".
"""
from ...backend import get_array_module
from .im2col import col2im_fast, crop, im2col_fast
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
    (algorithm="depthwise"): a multiply and an add over (N, C, k, OH, G) per offset, where G >= OW is
    the width of the grid the sweep runs on (see _Phases: each offset reads one long run of memory
    per image and channel; the grid's columns past OW are computed and dropped, their gradient is 0).
    On maps whose grid holds fewer positions than there are channels (MobileNet's 8x8 and 4x4 layers)
    the sweep runs channels-last, over (N, OH*G, k, C): each run is then C values long, not OH*G."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), groups=1):
        xp, g, K, _ = self.setup(x, w, b, stride, padding)
        k = K // g.C
        self.lay = lay = _Phases(g, k)
        self.phases = lay.split(x)
        y = xp.empty(lay.work_shape, dtype=x.dtype)
        tmp = xp.empty_like(y)
        for i, (r, s) in enumerate(lay.offsets):
            xp.multiply(lay.run(self.phases, r, s, expand=True), lay.weight(w, i), out=tmp if i else y)
            if i:
                y += tmp
        y = lay.output(y)                                               # (N, K, OH, OW), NCHW
        if b is not None:
            y += b.reshape(1, K, 1, 1)
        return y

    def backward(self, gy):
        xp, g, lay = get_array_module(gy), self.g, self.lay
        gyg = lay.on_grid(gy)                                           # gy on the grid, 0 past OW
        gx = gw = None
        if self.needs_grad[0]:
            gphases = [xp.zeros_like(p) for p in self.phases]
            tmp = xp.empty_like(gyg)
            for i, (r, s) in enumerate(lay.offsets):
                xp.multiply(gyg, lay.weight(self.w, i), out=tmp)
                lay.run(gphases, r, s)[...] += tmp[:, :, 0] if lay.k == 1 else tmp.sum(axis=2)
            gx = lay.join(gphases)
        if self.needs_grad[1]:
            gw = xp.empty((g.C, lay.k, g.R * g.S), dtype=gy.dtype)
            for i, (r, s) in enumerate(lay.offsets):
                gw[:, :, i] = xp.einsum(lay.weight_grad_sum, gyg, lay.run(self.phases, r, s))
            gw = gw.reshape(self.w.shape)
        return self.grads(gx, gw, gy.sum(axis=(0, 2, 3)) if self.has_bias else None)


class _Phases:
    """The memory layout the depthwise sweep runs on, for one geometry and k filters a channel.

    A stride-(sh, sw) window sweep reads every sh-th row and sw-th column, starting at the kernel
    offset. So the padded input is split into its sh*sw phases, phase (a, b) holding the pixels
    (a + sh*i, b + sw*j) as a flat (Hq*G) block per image and channel, rows G wide. Output (oh, ow),
    at grid position q = oh*G + ow, reads for offset (r, s) element q + (r // sh)*G + s // sw of phase
    (r % sh, s % sw): each offset is one contiguous slice of one phase, a single long run per image
    and channel, where the windows of a 2-D view would be OH short runs of OW. NumPy's cost per run,
    not per element, dominated on small maps (RESULTS.md, "Grouped convolutions"). With stride 1
    there is one phase: the padded input itself, with one spare row for the last runs.

    Channel-first, a phase is (N, C, Hq*G) and the sweep's arrays (N, C, k, L), L = OH*G grid
    positions: runs of L. Channels-last (``last``), chosen where L < C, a phase is (N, Hq*G, C) and the
    arrays (N, L, k, C): runs of C, at the price of transposing x, y, gy and gx once each."""

    def __init__(self, g, k=1):
        self.g, self.k = g, k
        self.G = -(-g.Wp // g.sw)                       # grid width = a phase's row length
        self.Hq = -(-g.Hp // g.sh) + 1                  # a phase's rows, one spare
        self.L = g.OH * self.G
        self.offsets = [(r, s) for r in range(g.R) for s in range(g.S)]
        self.last = self.L < g.C
        self.work_shape = (g.N, self.L, k, g.C) if self.last else (g.N, g.C, k, self.L)
        self.weight_grad_sum = "nljc,nlc->cj" if self.last else "ncjl,ncl->cj"

    def split(self, x):
        """x (N, C, H, W) zero-padded and cut into its phases: a list of (N, C, Hq*G) arrays, or of
        (N, Hq*G, C) channels-last."""
        g = self.g
        xp = get_array_module(x)
        if self.last:
            xpad = xp.zeros((g.N, self.Hq * g.sh, self.G * g.sw, g.C), dtype=x.dtype)
            pt, _, pl, _ = g.padding
            xpad[:, pt:pt + g.H, pl:pl + g.W] = x.transpose(0, 2, 3, 1)
            if g.sh == g.sw == 1:
                return [xpad.reshape(g.N, -1, g.C)]
            return [xp.ascontiguousarray(xpad[:, a::g.sh, b::g.sw]).reshape(g.N, -1, g.C)
                    for a in range(g.sh) for b in range(g.sw)]
        xpad = xp.zeros((g.N, g.C, self.Hq * g.sh, self.G * g.sw), dtype=x.dtype)
        crop(xpad, g.padding, g.H, g.W)[...] = x
        if g.sh == g.sw == 1:
            return [xpad.reshape(g.N, g.C, -1)]
        return [xp.ascontiguousarray(xpad[:, :, a::g.sh, b::g.sw]).reshape(g.N, g.C, -1)
                for a in range(g.sh) for b in range(g.sw)]

    def join(self, phases):
        """The (N, C, H, W) image whose phases these are (split's inverse, padding cropped)."""
        g = self.g
        xp = get_array_module(phases[0])
        if self.last:
            shape = (g.N, self.Hq, self.G, g.C)
            if g.sh == g.sw == 1:
                xpad = phases[0].reshape(shape)
            else:
                xpad = xp.empty((g.N, self.Hq * g.sh, self.G * g.sw, g.C), dtype=phases[0].dtype)
                for i, p in enumerate(phases):
                    xpad[:, i // g.sw::g.sh, i % g.sw::g.sw] = p.reshape(shape)
            pt, _, pl, _ = g.padding
            return xp.ascontiguousarray(xpad[:, pt:pt + g.H, pl:pl + g.W].transpose(0, 3, 1, 2))
        shape = (g.N, g.C, self.Hq, self.G)
        if g.sh == g.sw == 1:
            xpad = phases[0].reshape(shape)
        else:
            xpad = xp.empty((g.N, g.C, self.Hq * g.sh, self.G * g.sw), dtype=phases[0].dtype)
            for i, p in enumerate(phases):
                xpad[:, :, i // g.sw::g.sh, i % g.sw::g.sw] = p.reshape(shape)
        return xp.ascontiguousarray(crop(xpad, g.padding, g.H, g.W))

    def run(self, phases, r, s, expand=False):
        """The (N, C, L) slice -- (N, L, C) channels-last -- that kernel offset (r, s) reads for the L
        grid positions; with ``expand``, with a k axis of 1 to broadcast against the sweep's arrays."""
        g = self.g
        o = (r // g.sh) * self.G + s // g.sw
        phase = phases[(r % g.sh) * g.sw + s % g.sw]
        if self.last:
            return phase[:, o:o + self.L, None] if expand else phase[:, o:o + self.L]
        return phase[:, :, None, o:o + self.L] if expand else phase[:, :, o:o + self.L]

    def weight(self, w, i):
        """Kernel offset i of the weight w (C*k, 1, R, S), shaped to broadcast against the sweep's
        arrays: (1, C, k, 1), or (k, C) channels-last."""
        C, k = self.g.C, self.k
        if self.last:
            return w.reshape(C, k, -1)[:, :, i].T
        return w.reshape(1, C, k, -1)[..., i, None]

    def output(self, y):
        """The sweep's result as the (N, K, OH, OW) NCHW output, the grid's extra columns dropped."""
        g, k = self.g, self.k
        xp = get_array_module(y)
        if self.last:                                   # (N, L, k, C) -> (N, C, k, OH, OW)
            y = y.reshape(g.N, g.OH, self.G, k, g.C)[:, :, :g.OW].transpose(0, 4, 3, 1, 2)
            return xp.ascontiguousarray(y).reshape(g.N, g.C * k, g.OH, g.OW)
        return xp.ascontiguousarray(y.reshape(g.N, g.C * k, g.OH, self.G)[..., :g.OW])

    def on_grid(self, gy):
        """gy (N, K, OH, OW) laid out as the sweep's arrays, zero on the grid's extra columns."""
        g, k = self.g, self.k
        xp = get_array_module(gy)
        gy5 = gy.reshape(g.N, g.C, k, g.OH, g.OW)
        if self.last:
            gyg = xp.zeros((g.N, g.OH, self.G, k, g.C), dtype=gy.dtype)
            gyg[:, :, :g.OW] = gy5.transpose(0, 3, 4, 2, 1)
        else:
            gyg = xp.zeros((g.N, g.C, k, g.OH, self.G), dtype=gy.dtype)
            gyg[..., :g.OW] = gy5
        return gyg.reshape(self.work_shape)
