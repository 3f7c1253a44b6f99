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
  R*S vectorized multiply-adds over the whole batch each way, each slice a few long runs of memory
  (_Sweep).

The oracle of both is conv2d's loop over the groups with algorithm="reference".
"""
import numpy as np

from ...backend import get_array_module
from ...layout import alloc_nchw, batch_last, in_layout
from .im2col import col2im_fast, im2col_fast
from .common import ConvFunction

# The depthwise sweep goes through its arrays in blocks of about SWEEP_BLOCK elements when they hold more
# than SWEEP_WHOLE (then out of the cache: a large batch), every offset over one block before the next.
# Its NCHW and channels-last layouts must lay every offset's weights out first (R*S rows of memory), so
# they wait for 4 times as many elements and at least R*S rows (RESULTS.md, "Grouped convolutions").
SWEEP_WHOLE = 1 << 19
SWEEP_BLOCK = 1 << 16

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
        self.col, self.groups, self.x_batch_last = col, G, batch_last(x)
        return y

    def backward(self, gy):
        xp, g, K, W2, need_x, need_w = self.backward_setup(gy)
        G = self.groups
        gy3 = xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(G, K // G, -1)   # (G, k, N*OH*OW)
        gx = gw = None
        if need_x:
            gcol = xp.matmul(W2.reshape(G, K // G, -1).transpose(0, 2, 1), gy3)  # (G, c*R*S, N*OH*OW)
            gx = in_layout(col2im_fast(gcol.reshape(g.col_shape), g), self.x_batch_last)   # x's layout
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
        self.x_batch_last = batch_last(x)                               # gx is made in x's layout
        if k > 1:
            x = xp.repeat(x, k, axis=1)
        xp, g, K, _ = self.setup(x, w, b, stride, padding)
        self.sweep = sweep = _Sweep(g, batch_last(x))
        self.phases = sweep.split(x)
        y = xp.empty((sweep.rows, sweep.row), dtype=x.dtype)
        for rows, taps, weights in sweep.blocks(self.phases, w):
            yb, tmp = y[rows], xp.empty_like(y[rows])
            for t, (xt, wt) in enumerate(zip(taps, weights)):
                xp.multiply(xt, wt, out=tmp if t else yb)
                if t:
                    yb += tmp
        y = sweep.output(y)                                             # (N, K, OH, OW)
        if b is not None:
            y += b.reshape(1, K, 1, 1)
        return y

    def backward(self, gy):
        xp, g, sweep = get_array_module(gy), self.g, self.sweep
        gyg = sweep.on_grid(gy)                                         # (rows, row), 0 past the output
        gx = gw = None
        if self.needs_grad[0]:
            gphases = [xp.zeros_like(p) for p in self.phases]
            for rows, taps, weights in sweep.blocks(gphases, self.w):
                gb = gyg[rows]
                tmp = xp.empty_like(gb)
                for gxt, wt in zip(taps, weights):
                    xp.multiply(gb, wt, out=tmp)
                    gxt += tmp                                          # into a view of gphases
            if self.k == 1:
                gx = sweep.join(gphases, self.x_batch_last)
            else:                                                       # the k copies' gradients, added
                gx = sweep.join(gphases, False).reshape(g.N, -1, self.k, g.H, g.W).sum(axis=2)
                gx = in_layout(gx, self.x_batch_last)
        if self.needs_grad[1]:
            gw = xp.zeros((g.C, len(sweep.taps)), dtype=gy.dtype)
            for rows, taps, _ in sweep.blocks(self.phases):
                for t, xt in enumerate(taps):
                    sweep.add_channel_dot(gw[:, t], gyg[rows], xt, rows)
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
    slice of it: runs of a whole image's values, where a 2-D window would be C*OH short runs of OW
    (NumPy pays per run: RESULTS.md, "Grouped convolutions"). The sweep's arrays are (rows, row):
    each row one run of memory. Three layouts (``layout``):

    "NCHW"        an image's phase is (C, Hq, G); a row is one image, all C*Hq*G positions (the rows
                  past OH and the columns past OW included: reads past a channel's end land in the
                  next channel or in the buffer's tail, and only those dropped positions make them).
                  The offset's weights are laid out along the row (each channel's repeated over its
                  positions), so that a multiply reads two plain runs, not one against a broadcast
                  per-channel weight (RESULTS.md, "Grouped convolutions", item 1).
    "channels-last"  an image's phase is (Hq, G, C); a row is one image's first OH*G*C values (rows
                  past OH skipped), the weights tiled along it, at the price of transposing x, y, gy
                  and gx once each: where the rows it skips are worth more (LAST_ROWS; small maps).
    "batch-last"  for an input that is batch-last in memory (conv2d's output from BATCH_LAST_MIN
                  images): the phase is (C, Hq, G, N), a row is one channel, Hq*G*N values long,
                  against that channel's weight; the output and gx are batch-last too, so that the
                  layers around it keep one layout and no copy transposes."""

    def __init__(self, g, batch_last_input=False):
        self.g = g
        C, N = g.C, g.N
        self.Hq, self.G = -(-g.Hp // g.sh), -(-g.Wp // g.sw)
        P = self.Hq * self.G                             # a channel's grid positions in a phase
        if batch_last_input:
            self.layout, unit, self.rows, self.stride, self.row = "batch-last", N, C, P * N, P * N
        elif self.Hq > LAST_ROWS * g.OH:
            self.layout, unit, self.rows, self.stride, self.row = "channels-last", C, N, C * P, g.OH * self.G * C
        else:
            self.layout, unit, self.rows, self.stride, self.row = "NCHW", 1, N, C * P, C * P
        self.size = N * C * P                           # a phase's grid, in elements
        self.taps = [((r % g.sh) * g.sw + s % g.sw, ((r // g.sh) * self.G + s // g.sw) * unit)
                     for r in range(g.R) for s in range(g.S)]            # (phase, offset), in w's order
        self.tail = max(o for _, o in self.taps)

    def _grid(self, a, rows=None):
        """The flat buffer or (rows, row) array ``a`` as a grid of ``rows`` rows (default Hq): (N, C, rows, G),
        (N, rows, G, C) channels-last, (C, rows, G, N) batch-last."""
        g = self.g
        h = self.Hq if rows is None else rows
        shape = {"NCHW": (g.N, g.C, h, self.G), "channels-last": (g.N, h, self.G, g.C),
                 "batch-last": (g.C, h, self.G, g.N)}[self.layout]
        return a.reshape(-1)[:g.N * g.C * h * self.G].reshape(shape)

    def _outputs(self, a):
        """The output positions of the sweep's (rows, row) array ``a``, as an (N, C, OH, OW) view (its rows
        hold OH grid rows channels-last, Hq otherwise)."""
        g = self.g
        grid = self._grid(a, g.OH if self.layout == "channels-last" else None)
        return self._on(grid, slice(0, g.OH), slice(0, g.OW))

    def _on(self, grid, rows, cols):
        """The part of a grid at these rows and columns, as (N, C, rows, cols)."""
        if self.layout == "NCHW":
            return grid[:, :, rows, cols]
        if self.layout == "channels-last":
            return grid[:, rows, cols].transpose(0, 3, 1, 2)
        return grid[:, rows, cols].transpose(3, 0, 1, 2)

    def _pieces(self):
        """For each phase: the (rows, columns) of its grid that hold input pixels, and the input's rows
        and columns they hold."""
        g = self.g
        for a in range(g.sh):
            for b in range(g.sw):
                i0, i1, h0 = _phase_span(a, g.sh, g.padding[0], g.H)
                j0, j1, w0 = _phase_span(b, g.sw, g.padding[2], g.W)
                yield (slice(i0, i1), slice(j0, j1)), (slice(h0, None, g.sh), slice(w0, None, g.sw))

    def split(self, x):
        """x (N, C, H, W) zero-padded and cut into its phases: flat buffers of the grid's values and a
        tail of zeros (the last reads of the last row)."""
        xp = get_array_module(x)
        phases = []
        for (rows, cols), (hs, ws) in self._pieces():
            buf = xp.zeros(self.size + self.tail, dtype=x.dtype)
            self._on(self._grid(buf), rows, cols)[...] = x[:, :, hs, ws]
            phases.append(buf)
        return phases

    def join(self, phases, batch_last_layout):
        """The (N, C, H, W) image whose phases these are (split's inverse, padding dropped), batch-last
        in memory or not as asked."""
        g = self.g
        xp = get_array_module(phases[0])
        x = alloc_nchw(xp.empty, (g.N, g.C, g.H, g.W), phases[0].dtype, batch_last_layout)
        for ((rows, cols), (hs, ws)), buf in zip(self._pieces(), phases):
            x[:, :, hs, ws] = self._on(self._grid(buf), rows, cols)
        return x

    def tap(self, phases, t):
        """The (rows, row) values that kernel offset t reads for the sweep's positions: one slice of its
        phase's buffer (writable: backward adds gx's share into it)."""
        p, o = self.taps[t]
        return phases[p][o:o + self.rows * self.stride].reshape(self.rows, self.stride)[:, :self.row]

    def weight(self, w, t, out=None):
        """Kernel offset t's weights (w (C, 1, R, S)) to multiply the (rows, row) arrays by: laid out along
        the row (row,), each channel's repeated over its Hq*G positions, or channels-last the C of them
        over and over (in ``out``, or a new array); batch-last each row's channel's weight, (C, 1)."""
        g = self.g
        xp = get_array_module(w)
        wt = w.reshape(g.C, -1)[:, t]
        if self.layout == "batch-last":
            return wt[:, None]
        out = xp.empty(self.row, dtype=w.dtype) if out is None else out
        if self.layout == "channels-last":
            out.reshape(-1, g.C)[...] = wt
        else:
            out.reshape(g.C, -1)[...] = wt[:, None]
        return out

    def blocks(self, phases, w=None):
        """The sweep in blocks of rows, each (rows, [tap t's (rows, row) slice of the phases for every t],
        [tap t's weights for those rows]) (no weights without w). The whole array is one block where it
        fits in the cache (SWEEP_WHOLE), else blocks of about SWEEP_BLOCK elements, so that a block's
        2*R*S passes find it in the cache; the weights are then laid out once for all the blocks (R*S
        rows of memory; a row is one image, or one channel batch-last)."""
        T = len(self.taps)
        taps = [self.tap(phases, t) for t in range(T)]
        xp = get_array_module(phases[0])
        weighted = self.layout != "batch-last"
        if (self.rows * self.row <= SWEEP_WHOLE * (4 if weighted else 1) or (weighted and self.rows < T)
                or xp is not np):                                                  # a GPU: one block
            if w is None:
                yield slice(None), taps, None
                return
            buf = xp.empty(self.row, dtype=w.dtype)                       # one offset's at a time
            yield slice(None), taps, (self.weight(w, t, buf) for t in range(T))
            return
        weights = None if w is None else [self.weight(w, t) for t in range(T)]
        step = max(1, SWEEP_BLOCK // self.row)
        for r in range(0, self.rows, step):
            rows = slice(r, min(r + step, self.rows))
            part = None if w is None else [wt[rows] if self.layout == "batch-last" else wt for wt in weights]
            yield rows, [a[rows] for a in taps], part

    def add_channel_dot(self, out, a, b, rows):
        """out (C,) += per channel, the sum over the images and the grid of a * b, for a block of rows of
        the sweep's arrays: one dot product a channel (batch-last: out[rows], a row a channel) or a
        channel and image (NCHW); channels-last one multiply and a sum over the positions."""
        g = self.g
        xp = get_array_module(a)
        if self.layout == "channels-last":
            out += (a * b).reshape(-1, g.C).sum(axis=0)
            return
        n = self.row if self.layout == "batch-last" else self.row // g.C
        if xp is np:                                    # no product a pair (RESULTS.md, "Batch norm's dot products")
            dots = np.vecdot(a.reshape(-1, n), b.reshape(-1, n))
        else:
            dots = xp.matmul(a.reshape(-1, 1, n), b.reshape(-1, n, 1))
        if self.layout == "batch-last":
            out[rows] += dots.reshape(-1)
        else:
            out += dots.reshape(-1, g.C).sum(axis=0)

    def output(self, y):
        """The sweep's (rows, row) result as the (N, C, OH, OW) output, the extra positions dropped;
        batch-last in memory for the batch-last layout, else NCHW."""
        g = self.g
        out = alloc_nchw(get_array_module(y).empty, (g.N, g.C, g.OH, g.OW), y.dtype, self.layout == "batch-last")
        out[...] = self._outputs(y)
        return out

    def on_grid(self, gy):
        """gy (N, C, OH, OW) laid out as the sweep's (rows, row), zero on the extra positions."""
        gyg = get_array_module(gy).zeros((self.rows, self.row), dtype=gy.dtype)
        self._outputs(gyg)[...] = gy
        return gyg
