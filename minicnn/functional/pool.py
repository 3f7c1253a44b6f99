"""Pooling over 2-D windows: max, average and global average.

Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH = (H + 2*ph - R) // sh + 1 (OW likewise),
with an R x S window moved by (sh, sw). stride defaults to the window size.

Both pools sweep the R*S window offsets instead of the output pixels: for
offset (r, s) the strided slice ``xpad[:, :, r::sh, s::sw]`` (cut to OH x OW)
holds, for every window at once, the element at that offset. So

    max_pool2d:  y = max over (r, s) of slice(r, s)        (R*S vectorized maxima)
    avg_pool2d:  y = sum over (r, s) of slice(r, s) / (R*S)

Max pooling pads with -inf, so a padded cell can never win (padding with 0
would change the result for negative inputs, a known bug in some
frameworks). Its backward routes each output gradient to the element that
won; the forward keeps, per output, the index (0..R*S-1) of the winning offset
in a uint8 array -- the first maximum, as PyTorch does. Average pooling counts
padded cells in the divisor (PyTorch's count_include_pad=True).

The maximum over a rectangular window is separable, and max pooling of NCHW
input runs in two sweeps instead of R*S: first the maximum of every row of each
window (along W, S offsets), then the maximum of those row maxima (along H, R
offsets), each with the index of its first maximum. The first maximum in
row-major order is the first row holding the window's maximum, at that row's
first maximum, so ties still go where PyTorch sends them. Backward routes the
gradient back through both sweeps, adding where windows overlap: fewer passes
over memory than the R*S sweep. Batch-last input keeps the R*S sweep: its slices
are runs of N there, and it was the faster one (measurements: benchmarks/RESULTS.md,
"Measurements behind the code").
"""
from ..autograd import Function, shown_as
from ..backend import get_array_module
from .conv_algorithms.choice import Plan
from .conv_algorithms.im2col import conv_output_size, crop, pad_nchw
from ..layout import alloc_nchw, batch_last
from .conv import pair


def _pool_args(op, x_shape, kernel_size, stride, padding, ceil_mode=False):
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    ph, pw = pair(padding, "padding")
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x_shape)}")
    if ph > kernel[0] // 2 or pw > kernel[1] // 2 or ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding {(ph, pw)} must be between 0 and half the window {kernel}")
    H, W = x_shape[2:]
    if H + 2 * ph < kernel[0] or W + 2 * pw < kernel[1]:
        raise ValueError(f"{op}: window {kernel[0]}x{kernel[1]} is larger than the padded input "
                         f"{H + 2 * ph}x{W + 2 * pw} (input {tuple(x_shape)})")
    if stride[0] < 1 or stride[1] < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    eh = _ceil_extra(H, kernel[0], stride[0], ph) if ceil_mode else 0
    ew = _ceil_extra(W, kernel[1], stride[1], pw) if ceil_mode else 0
    return kernel, stride, (ph, ph + eh, pw, pw + ew)


def _ceil_extra(size, k, s, p):
    """ceil_mode=True: the cells to add after the padding so that a last, partial window fits.
    As PyTorch: OH = ceil((size + 2p - k) / s) + 1, less one if that last window would start
    in the right padding (every window keeps at least one input cell)."""
    out = -(-(size + 2 * p - k) // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return max(0, (out - 1) * s + k - (size + 2 * p))


def _window_counts(size, k, s, p, out, include_pad):
    """For each of ``out`` windows along one axis, how many of its cells count in an average:
    those inside the padded input (count_include_pad) or inside the input itself."""
    starts = [i * s - p for i in range(out)]
    if include_pad:
        return [min(a + k, size + p) - a for a in starts]
    return [min(a + k, size) - max(a, 0) for a in starts]


class _WindowSweep:
    """The strided slices of a padded input, one per window offset."""

    def __init__(self, x, kernel, stride, padding):
        N, C, H, W = shape = x.shape
        self.batch_last = batch_last(x)            # gradients are made in the input's memory layout
        (self.R, self.S), (self.sh, self.sw), self.padding = kernel, stride, padding
        self.OH = conv_output_size(H, self.R, self.sh, padding[0], padding[1])
        self.OW = conv_output_size(W, self.S, self.sw, padding[2], padding[3])
        self.shape = shape
        # padded rows and columns that some window reaches (the rest belong to none)
        self.Hn, self.Wn = (self.OH - 1) * self.sh + self.R, (self.OW - 1) * self.sw + self.S
        # windows that neither overlap nor leave gaps tile the input: each input element
        # feeds exactly one output, so backward can assign instead of add
        self.disjoint = (self.R, self.S) == (self.sh, self.sw) and not any(padding) \
            and H == self.OH * self.R and W == self.OW * self.S
        self.whole_map = (self.R, self.S) == (H, W) and not any(padding)     # one window: the whole map

    def slices(self, xpad):
        OH, OW, sh, sw = self.OH, self.OW, self.sh, self.sw
        for r in range(self.R):
            for s in range(self.S):
                yield xpad[:, :, r:r + sh * OH:sh, s:s + sw * OW:sw]

    def padded_zeros(self, xp, dtype):
        pt, pb, pl, pr = self.padding
        N, C, H, W = self.shape
        return alloc_nchw(xp.empty if self.disjoint else xp.zeros, (N, C, H + pt + pb, W + pl + pr), dtype,
                          self.batch_last)

    def crop_grad(self, xp, gpad):
        if not any(self.padding):
            return gpad
        return crop(gpad, self.padding, *self.shape[2:]).copy(order="K")


def _first_max(xp, slices, keep_index):
    """Element-wise maximum over a list of equally shaped views, and (if keep_index) the uint8
    index of the first view holding it (None when there is a single view: index 0 everywhere)."""
    if len(slices) == 1:
        return slices[0], None
    a, b = slices[0], slices[1]
    m = xp.maximum(a, b)                                # allocated in the layout of a and b
    index = xp.greater(b, a).view(xp.uint8) if keep_index else None   # 1 where b wins, strictly
    if len(slices) > 2 and keep_index:
        better = xp.empty_like(m, dtype=bool)
        tagged = xp.empty_like(m, dtype=xp.uint8)
    for o, sl in enumerate(slices[2:], start=2):
        if keep_index:
            xp.greater(sl, m, out=better)               # strict: the first maximum wins ties
            # offsets come in increasing order, so "index = o where better" is a maximum;
            # arithmetic instead of a masked write, which mispredicts branches on random data
            xp.multiply(better.view(xp.uint8), xp.uint8(o), out=tagged)
            xp.maximum(index, tagged, out=index)
        xp.maximum(m, sl, out=m)
    return m, index


def _route(xp, gy, index, out_slices, add=False):
    """Backward of :func:`_first_max`: gy goes to view o where index == o, zero to the others;
    ``add``: added to the views (they overlap) instead of written."""
    if index is None:
        if add:
            out_slices[0] += gy
        else:
            out_slices[0][...] = gy
        return
    hit = xp.empty_like(index, dtype=bool)
    routed = xp.empty_like(gy) if add else None
    for o, out in enumerate(out_slices):
        xp.equal(index, o, out=hit)
        if add:
            xp.multiply(gy, hit, out=routed)
            out += routed
        else:
            xp.multiply(gy, hit, out=out)


class _MaxPool(Function):
    """Max pooling's two algorithms share the window sweep and the -inf padding."""
    torch_name = "MaxPool2DWithIndicesBackward0"

    def prepare(self, x, kernel, stride, padding):
        xp = get_array_module(x)
        self.sweep = _WindowSweep(x, kernel, stride, padding)
        return xp, pad_nchw(x, padding, value=-xp.inf)


class MaxPool2dSweep(_MaxPool):
    """Max pooling as R*S element-wise maxima, one per window offset (algorithm="sweep"); backward
    routes each gradient to the offset that won. The faster on batch-last input, whose slices are
    runs of N (RESULTS.md, pooling)."""

    def forward(self, x, kernel, stride, padding):
        xp, xpad = self.prepare(x, kernel, stride, padding)
        slices = list(self.sweep.slices(xpad))
        y, self.argmax = _first_max(xp, slices, self.requires_grad)   # winning offset, 0..R*S-1
        if len(slices) == 1:
            y = y.copy(order="K")                                 # "K": in x's memory layout
            self.argmax = xp.zeros_like(y, dtype=xp.uint8)
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        sweep = self.sweep
        gpad = sweep.padded_zeros(xp, gy.dtype)
        _route(xp, gy, self.argmax, list(sweep.slices(gpad)), add=not sweep.disjoint)
        return sweep.crop_grad(xp, gpad)


class MaxPool2dSeparable(_MaxPool):
    """Max pooling in two sweeps (algorithm="separable", module docstring): along W, then along H:
    S + R maxima instead of R*S. The faster where W is the innermost axis (NCHW), as strided slices
    along W are slow."""

    def forward(self, x, kernel, stride, padding):
        """xpad (N, C, Hp, Wp), padded with -inf -> rows (N, C, Hn, OW), the maximum of each window's
        row for every padded row a window reaches -> y (N, C, OH, OW)."""
        xp, xpad = self.prepare(x, kernel, stride, padding)
        sweep = self.sweep
        R, S, sh, sw, Hn, Wn = sweep.R, sweep.S, sweep.sh, sweep.sw, sweep.Hn, sweep.Wn
        keep = self.requires_grad
        rows, self.col_index = _first_max(xp, [xpad[:, :, :Hn, s:s + Wn - S + 1:sw] for s in range(S)], keep)
        y, self.row_index = _first_max(xp, [rows[:, :, r:r + Hn - R + 1:sh] for r in range(R)], keep)
        if R == S == 1:
            y = y.copy(order="K")                       # a 1x1 window: no view of x goes out
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        sweep = self.sweep
        (N, C, H, W), R, S, sh, sw = sweep.shape, sweep.R, sweep.S, sweep.sh, sweep.sw
        Hn, Wn, OW = sweep.Hn, sweep.Wn, sweep.OW
        pt, pb, pl, pr = sweep.padding
        # windows that overlap (stride < window) share rows or columns: their gradients add up;
        # windows that leave gaps, padding, or rows past the last window need a zeroed array
        add_h, add_w = sh < R, sw < S
        Hp, Wp = H + pt + pb, W + pl + pr
        rows = (xp.zeros if add_h or sh > R else xp.empty)((N, C, Hn, OW), dtype=gy.dtype)
        whole = not (add_w or sw > S or any(sweep.padding) or (Hn, Wn) != (Hp, Wp))
        gpad = (xp.empty if whole else xp.zeros)((N, C, Hp, Wp), dtype=gy.dtype)
        _route(xp, gy, self.row_index, [rows[:, :, r:r + Hn - R + 1:sh] for r in range(R)], add_h)
        _route(xp, rows, self.col_index, [gpad[:, :, :Hn, s:s + Wn - S + 1:sw] for s in range(S)], add_w)
        return sweep.crop_grad(xp, gpad)


MAX_POOL_ALGORITHMS = {"separable": MaxPool2dSeparable, "sweep": MaxPool2dSweep}


def max_pool2d_plan(x):
    """What max_pool2d(..., algorithm="auto") runs for the array or tensor ``x``, and why, as conv2d's
    choice.Plan: the R*S sweep on batch-last input (its slices are runs of N), the two separable sweeps
    on NCHW (strided slices along W are slow); either leaves its output in x's layout."""
    if batch_last(getattr(x, "array", x)):
        return Plan("sweep", "batch-last", "batch-last input: each window offset's slice is a run of N images")
    return Plan("separable", "NCHW", "NCHW input: S + R maxima instead of R*S, fewer strided slices along W")


class AvgPool2d(Function):
    """The mean of each window: the sum of the R*S slices times 1 / divisor. ``divisor`` is
    None for R*S everywhere, else an (OH, OW) array (count_include_pad=False, ceil_mode, divisor_override)."""
    torch_name = "AvgPool2DBackward0"

    def forward(self, x, kernel, stride, padding, divisor=None):
        sweep = _WindowSweep(x, kernel, stride, padding)
        self.sweep, self.one_mean = sweep, sweep.whole_map and divisor is None
        if self.one_mean:                # avg_pool2d(x, x.size(2)) in SE blocks and heads: one mean, not R*S slices
            y = alloc_nchw(get_array_module(x).empty, sweep.shape[:2] + (1, 1), x.dtype, sweep.batch_last)
            y[...] = x.mean(axis=(2, 3), keepdims=True)
            return y
        slices = sweep.slices(pad_nchw(x, padding))
        y = next(slices).copy(order="K")
        for sl in slices:
            y += sl
        self.scale = x.dtype.type(1.0 / (sweep.R * sweep.S)) if divisor is None else \
            (1 / divisor).astype(x.dtype)
        y *= self.scale
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        sweep = self.sweep
        if self.one_mean:
            g = alloc_nchw(xp.empty, sweep.shape, gy.dtype, sweep.batch_last)
            g[...] = gy * gy.dtype.type(1.0 / (sweep.R * sweep.S))
            return g
        g = gy * self.scale
        gpad = sweep.padded_zeros(xp, gy.dtype)
        for gsl in sweep.slices(gpad):
            if sweep.disjoint:
                gsl[...] = g
            else:
                gsl += g
        return sweep.crop_grad(xp, gpad)


class GlobalAvgPool2d(Function):
    """(N, C, H, W) -> (N, C): the mean of each feature map (GoogLeNet's and ResNet's head)."""
    torch_name = "MeanBackward1"

    def forward(self, x):
        self.shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, gy):
        xp = get_array_module(gy)
        N, C, H, W = self.shape
        g = gy * gy.dtype.type(1.0 / (H * W))
        return xp.broadcast_to(g[:, :, None, None], self.shape).copy()


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False, algorithm="auto"):
    """Max over each window; padding is -inf. See the module docstring. ``ceil_mode`` as PyTorch.
    ``algorithm``: "separable" (two sweeps), "sweep" (R*S maxima), or "auto": what
    :func:`max_pool2d_plan` picks for the input's layout. Both give the same numbers and gradients."""
    if dilation not in (1, (1, 1)) or return_indices:
        raise NotImplementedError("max_pool2d: dilation and return_indices are not supported (see the porting "
                                  "guide in README.md)")
    if algorithm == "auto":
        algorithm = max_pool2d_plan(input).algorithm
    elif algorithm not in MAX_POOL_ALGORITHMS:
        raise ValueError(f"max_pool2d: unknown algorithm {algorithm!r}; choose 'auto' or one of "
                         f"{', '.join(MAX_POOL_ALGORITHMS)}")
    kernel, stride, pads = _pool_args("max_pool2d", input.shape, kernel_size, stride, padding, ceil_mode)
    return MAX_POOL_ALGORITHMS[algorithm].apply(input, kernel=kernel, stride=stride, padding=pads)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,  # noqa: A002
               divisor_override=None):
    """Mean over each window. count_include_pad=True (the default) counts padded cells in the divisor;
    False counts only input cells; with ceil_mode, cells past the padding never count (as PyTorch)."""
    kernel, stride, pads = _pool_args("avg_pool2d", input.shape, kernel_size, stride, padding, ceil_mode)
    xp = get_array_module(input.array)
    (R, S), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pads
    H, W = input.shape[2:]
    OH, OW = conv_output_size(H, R, sh, pt, pb), conv_output_size(W, S, sw, pl, pr)
    if divisor_override is not None:
        divisor = xp.full((OH, OW), float(divisor_override))
    else:
        ch = _window_counts(H, R, sh, pt, OH, count_include_pad)
        cw = _window_counts(W, S, sw, pl, OW, count_include_pad)
        divisor = None if set(ch) == {R} and set(cw) == {S} else xp.outer(xp.asarray(ch, float), xp.asarray(cw, float))
    return AvgPool2d.apply(input, kernel=kernel, stride=stride, padding=pads, divisor=divisor)


def global_avg_pool2d(x):
    """(N, C, H, W) -> (N, C)."""
    if x.ndim != 4:
        raise ValueError(f"global_avg_pool2d: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    return GlobalAvgPool2d.apply(x)


class AdaptiveAvgPool2d(Function):
    """Average over the cells of an (OH, OW) grid laid over the input, as torch's adaptive_avg_pool2d:
    cell (i, j) covers rows floor(i*H/OH) .. ceil((i+1)*H/OH) - 1 and likewise columns."""
    torch_name = "AdaptiveAvgPool2DBackward0"

    def forward(self, x, output_size):
        xp = get_array_module(x)
        N, C, H, W = x.shape
        OH, OW = output_size
        self.cells = [(i, j, (i * H) // OH, -((-(i + 1) * H) // OH), (j * W) // OW, -((-(j + 1) * W) // OW))
                      for i in range(OH) for j in range(OW)]
        self.shape = x.shape
        y = xp.empty((N, C, OH, OW), dtype=x.dtype)
        for i, j, h0, h1, w0, w1 in self.cells:
            y[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        g = xp.zeros(self.shape, dtype=gy.dtype)
        for i, j, h0, h1, w0, w1 in self.cells:
            g[:, :, h0:h1, w0:w1] += (gy[:, :, i, j] / gy.dtype.type((h1 - h0) * (w1 - w0)))[:, :, None, None]
        return g


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed output size (OH, OW) whatever the input size (VGG's and AlexNet's heads)."""
    OH, OW = pair(output_size, "output_size")
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    H, W = x.shape[2:]
    if (H, W) == (OH, OW):
        return x
    if H % OH == 0 and W % OW == 0:                     # equal windows: the ordinary, fast pool
        name = "MeanBackward1" if (OH, OW) == (1, 1) else "AdaptiveAvgPool2DBackward0"      # PyTorch's
        return shown_as(avg_pool2d(x, (H // OH, W // OW)), name)
    return AdaptiveAvgPool2d.apply(x, output_size=(OH, OW))
