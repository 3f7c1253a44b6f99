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
  R*S vectorized multiply-adds over the whole batch each way, each slice one run of memory an
  image (_Sweep).

The oracle of both is conv2d's loop over the groups with algorithm="reference".
"""
from ...backend import get_array_module
from .im2col import col2im_fast, im2col_fast
from .common import ConvFunction

# The depthwise sweep runs channels-last where a phase's grid has more than LAST_ROWS times the
# output's rows (the rows channel-first computes and drops).
LAST_ROWS = 1.2


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
    (algorithm="depthwise"): per offset one multiply and one add over the whole batch, each a single
    run of memory per image (see _Sweep: the grid's positions past the output are computed and
    dropped, their gradient is 0). k filters a channel are k copies of the channel, one filter each
    (output channel c*k + j reads input channel c, as PyTorch orders them); their input gradients are
    added back up."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), groups=1):
        xp = get_array_module(x)
        self.k = k = w.shape[0] // x.shape[1]
        if k > 1:
            x = xp.repeat(x, k, axis=1)
        xp, g, K, _ = self.setup(x, w, b, stride, padding)
        self.sweep = sweep = _Sweep(g)
        self.phases = sweep.split(x)
        y = xp.empty((g.N, sweep.row), dtype=x.dtype)
        tmp, wt = xp.empty_like(y), xp.empty(sweep.row, dtype=x.dtype)
        for t in range(len(sweep.taps)):
            xp.multiply(sweep.tap(self.phases, t), sweep.weight(w, t, wt), out=tmp if t else y)
            if t:
                y += tmp
        y = sweep.output(y)                                             # (N, K, OH, OW), NCHW
        if b is not None:
            y += b.reshape(1, K, 1, 1)
        return y

    def backward(self, gy):
        xp, g, sweep = get_array_module(gy), self.g, self.sweep
        gyg = sweep.on_grid(gy)                                         # (N, row), 0 past the output
        wt = xp.empty(sweep.row, dtype=gy.dtype)
        gx = gw = None
        if self.needs_grad[0]:
            gphases = [xp.zeros_like(p) for p in self.phases]
            tmp = xp.empty_like(gyg)
            for t in range(len(sweep.taps)):
                xp.multiply(gyg, sweep.weight(self.w, t, wt), out=tmp)
                sweep.tap(gphases, t)[...] += tmp
            gx = sweep.join(gphases)
            if self.k > 1:                                              # the k copies' gradients, added
                gx = gx.reshape(g.N, -1, self.k, g.H, g.W).sum(axis=2)
        if self.needs_grad[1]:
            gw = xp.empty((g.C, len(sweep.taps)), dtype=gy.dtype)
            for t in range(len(sweep.taps)):
                gw[:, t] = sweep.channel_dot(gyg, sweep.tap(self.phases, t))
            gw = gw.reshape(self.w.shape)
        return self.grads(gx, gw, gy.sum(axis=(0, 2, 3)) if self.has_bias else None)


def _phase_span(a, step, pad, n):
    """Phase a of a padded axis (every step-th padded index from a): the grid indices [i0, i1) that
    hold input indices, and the first of those input indices (then every step-th)."""
    i0 = max(0, -(-(pad - a) // step))
    return i0, -(-(n + pad - a) // step), a + step * i0 - pad


class _Sweep:
    """The memory layout the depthwise sweep runs on, for one geometry (one filter a channel).

    A stride-(sh, sw) window sweep reads every sh-th row and sw-th column, starting at the kernel
    offset. So the padded input is split into its sh*sw phases, phase (a, b) holding the padded pixels
    (a + sh*i, b + sw*j) on a grid of Hq x G positions. Output (oh, ow), at grid position
    q = oh*G + ow, reads for kernel offset (r, s) position q + (r // sh)*G + s // sw of phase
    (r % sh, s % sw). Each phase is one flat buffer for the whole batch, so an offset's reads are one
    slice of it: a run of a whole image's values, where a 2-D window would be C*OH short runs of OW
    (NumPy pays per run, and a run against a broadcast weight costs twice a plain one: RESULTS.md,
    "Grouped convolutions"). The offset's weights are laid out along the same run (each channel's
    weight repeated over its positions), so each multiply is of two plain runs of memory.

    Channel-first, an image's phase is (C, Hq, G): the sweep computes all C*Hq*G positions, the rows
    past OH and the columns past OW included (reads past a channel's end land in the next channel or
    in the buffer's tail, and only those dropped positions make them). Channels-last (``last``), an
    image's phase is (Hq, G, C) and the sweep computes the first OH*G*C values only (rows past OH
    skipped), at the price of transposing x, y, gy and gx once each: chosen where the rows it skips
    are worth more than the transposes (small maps: MobileNet's 8x8 and 4x4 layers)."""

    def __init__(self, g):
        self.g = g
        self.Hq, self.G = -(-g.Hp // g.sh), -(-g.Wp // g.sw)
        self.block = g.C * self.Hq * self.G             # one image's phase, in elements
        self.last = self.Hq > LAST_ROWS * g.OH
        unit = g.C if self.last else 1                  # elements between neighbouring grid positions
        self.row = g.OH * self.G * g.C if self.last else self.block      # the values an image's sweep computes
        self.taps = [((r % g.sh) * g.sw + s % g.sw, ((r // g.sh) * self.G + s // g.sw) * unit)
                     for r in range(g.R) for s in range(g.S)]            # (phase, offset), in w's order
        self.tail = max(o for _, o in self.taps)

    def _grid(self, buf):
        """A phase buffer's (N, C, Hq, G) grid -- (N, Hq, G, C) channels-last."""
        g = self.g
        shape = (g.N, self.Hq, self.G, g.C) if self.last else (g.N, g.C, self.Hq, self.G)
        return buf[:g.N * self.block].reshape(shape)

    def _pieces(self):
        """For each phase: the (rows, columns) of its grid that hold input pixels, and the input's rows
        and columns they hold."""
        g = self.g
        for a in range(g.sh):
            for b in range(g.sw):
                i0, i1, h0 = _phase_span(a, g.sh, g.padding[0], g.H)
                j0, j1, w0 = _phase_span(b, g.sw, g.padding[2], g.W)
                yield (slice(i0, i1), slice(j0, j1)), (slice(h0, None, g.sh), slice(w0, None, g.sw))

    def _on(self, grid, rows, cols):
        """The part of a grid at these rows and columns, as (N, C, rows, cols)."""
        return grid[:, rows, cols].transpose(0, 3, 1, 2) if self.last else grid[:, :, rows, cols]

    def split(self, x):
        """x (N, C, H, W) zero-padded and cut into its phases: flat buffers of N * block values and a
        tail of zeros (the last reads of the last image)."""
        xp = get_array_module(x)
        phases = []
        for (rows, cols), (hs, ws) in self._pieces():
            buf = xp.zeros(self.g.N * self.block + self.tail, dtype=x.dtype)
            self._on(self._grid(buf), rows, cols)[...] = x[:, :, hs, ws]
            phases.append(buf)
        return phases

    def join(self, phases):
        """The (N, C, H, W) image whose phases these are (split's inverse, padding dropped)."""
        g = self.g
        xp = get_array_module(phases[0])
        x = xp.empty((g.N, g.C, g.H, g.W), dtype=phases[0].dtype)
        for ((rows, cols), (hs, ws)), buf in zip(self._pieces(), phases):
            x[:, :, hs, ws] = self._on(self._grid(buf), rows, cols)
        return x

    def tap(self, phases, t):
        """The (N, row) values that kernel offset t reads for the sweep's positions: one slice of its
        phase's buffer (writable: backward adds gx's share into it)."""
        p, o = self.taps[t]
        return phases[p][o:o + self.g.N * self.block].reshape(self.g.N, self.block)[:, :self.row]

    def weight(self, w, t, out):
        """Kernel offset t's weights (w (C, 1, R, S)) laid out along the sweep's row, in ``out`` (row,):
        each channel's repeated over its Hq*G positions, or channels-last the C of them over and over."""
        g = self.g
        wt = w.reshape(g.C, -1)[:, t]
        if self.last:
            out.reshape(-1, g.C)[...] = wt
        else:
            out.reshape(g.C, -1)[...] = wt[:, None]
        return out

    def output(self, y):
        """The sweep's (N, row) result as the (N, C, OH, OW) NCHW output, the extra positions dropped."""
        g = self.g
        xp = get_array_module(y)
        if self.last:
            return xp.ascontiguousarray(y.reshape(g.N, g.OH, self.G, g.C)[:, :, :g.OW].transpose(0, 3, 1, 2))
        return xp.ascontiguousarray(y.reshape(g.N, g.C, self.Hq, self.G)[:, :, :g.OH, :g.OW])

    def on_grid(self, gy):
        """gy (N, C, OH, OW) laid out as the sweep's (N, row), zero on the extra positions."""
        g = self.g
        xp = get_array_module(gy)
        if self.last:
            gyg = xp.zeros((g.N, g.OH, self.G, g.C), dtype=gy.dtype)
            gyg[:, :, :g.OW] = gy.transpose(0, 2, 3, 1)
        else:
            gyg = xp.zeros((g.N, g.C, self.Hq, self.G), dtype=gy.dtype)
            gyg[:, :, :g.OH, :g.OW] = gy
        return gyg.reshape(g.N, self.row)

    def channel_dot(self, a, b):
        """Per channel, the sum over the batch and the grid of a * b, for two (N, row) arrays: one dot
        product a channel and image channel-first, one multiply and a sum over the positions
        channels-last."""
        g = self.g
        xp = get_array_module(a)
        if self.last:
            return (a * b).reshape(-1, g.C).sum(axis=0)
        P = self.block // g.C
        return xp.matmul(a.reshape(-1, 1, P), b.reshape(-1, P, 1)).reshape(g.N, g.C).sum(axis=0)
