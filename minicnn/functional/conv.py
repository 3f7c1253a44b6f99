"""2-D convolution by im2col + one GEMM (see minicnn/im2col.py for the notation).

Shapes: x (N, C, H, W), weight (K, C, R, S), bias (K,) -> y (N, K, OH, OW).

Forward:   col = im2col(x)                      (C*R*S, N*OH*OW)
           Y   = W2 @ col + b                   (K, N*OH*OW),  W2 = weight.reshape(K, C*R*S)
Backward:  gW  = gY @ col^T                     (K, C*R*S)     col is kept from forward
           gb  = sum of gY over N, OH, OW
           gx  = col2im(W2^T @ gY)              (N, C, H, W)
or, for stride 1 when C >= K, the input gradient as a convolution of gY:
           gx  = Wf @ im2col(gY, padding R-1-pt, R-1-pb, S-1-pl, S-1-pr)
                 Wf[c, (k, r, s)] = weight[k, c, R-1-r, S-1-s]   (flipped, channels swapped)

Winograd. 3x3 stride-1 layers with many channels (VGG's and ResNet's deep layers) run as
Winograd F(2x2, 3x3) instead, on the CPU, in either layout: 16 GEMMs on transformed 4x4 tiles,
2.25x fewer multiplications (minicnn/winograd.py; when: winograd_fits). Same numbers up to
float32 rounding; WINOGRAD_MIN_CHANNELS = 1 << 30 switches it off.

Memory layout. For batches of BATCH_LAST_MIN or more, the columns are ordered
(oh, ow, n) instead (im2col_batch_last), so the GEMM's output (K, OH*OW*N) is the
output batch-last, (K, OH, OW, N) in memory; conv2d returns it as is, as the
(N, K, OH, OW) view ``y.transpose(3, 0, 1, 2)``: same shape and numbers as an
NCHW array, other strides. NumPy's element-wise ops keep the memory
order of their input, and ReLU, pooling, batch norm and dropout are written to
keep it too, so the next conv2d finds its input batch-last already and copies it
without a transpose -- as cuda-convnet's (C, H, W, N) layout did. Smaller
batches stay channel-first and NCHW: with 2 images, runs of N elements would be
too short. Any layout is accepted everywhere; only speed depends on it.

On a GPU (CuPy) every batch stays channel-first and NCHW. Batch-last answers NumPy's
fixed cost per copied run, which a GPU does not pay; and CuPy's element-wise ops write
C-contiguous outputs, so each op after a batch-last conv2d would transpose its input
(ReLU took 12% of a VGG-16 step so on the H200), and batch norm's per-channel sums over
one long axis would leave most of the GPU idle (RESULTS.md, "GPU").
"""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module, prepare_cpu
from ..im2col import (ConvGeometry, add_patches_batch_last, alloc_nchw, col2im_fast, col2im_reference, col2im_wide,
                      conv_output_size, im2col_batch_last, im2col_fast, im2col_reference, padded_batch_last)
from .. import winograd


def pair(v, name):
    """An int or a pair of ints as a pair: kernel sizes, strides, paddings, dilations."""
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return v


def conv_padding(padding, kernel_size, stride):
    """Padding (int, pair, "same", "valid") as (top, bottom, left, right)."""
    R, S = kernel_size
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError("padding='same' needs stride 1 (as in PyTorch)")
            # As PyTorch: the extra row/column of an even kernel goes at the bottom/right.
            return ((R - 1) // 2, R // 2, (S - 1) // 2, S // 2)
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return (ph, ph, pw, pw)


def _check_conv_dims(op, x_shape, w_shape):
    """Input (N, C, H, W) and weight (K, C, R, S) with matching C, before padding can be worked out."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (K, C, R, S), got shape {tuple(w_shape)}")
    if x_shape[1] != w_shape[1]:
        raise ValueError(f"{op}: weight {tuple(w_shape)} expects input with {w_shape[1]} channels "
                         f"(N, {w_shape[1]}, H, W), got input of shape {tuple(x_shape)} with {x_shape[1]} channels")


def check_conv_args(op, x_shape, w_shape, stride, padding):
    """The checks that need the padding: kernel within the padded input, positive stride
    (call _check_conv_dims first)."""
    H, W = x_shape[2:]
    R, S = w_shape[2:]
    pt, pb, pl, pr = padding
    if H + pt + pb < R or W + pl + pr < S:
        raise ValueError(f"{op}: kernel {R}x{S} is larger than the padded input "
                         f"{H + pt + pb}x{W + pl + pr} (input {tuple(x_shape)}, padding {padding})")
    if stride[0] < 1 or stride[1] < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride}")


# Above this many bytes of column matrix, conv2d works through the layer in pieces (groups of
# images, or bands of output rows when batch-last) whose columns fit in one reused buffer, and
# rebuilds them in backward instead of keeping them: memory stays bounded (VGG-16 trains at
# 224x224) and no fresh pages are faulted in per call.
COL_BUDGET = 32 << 20
# On a GPU the pieces are far larger: its memory is large, and every piece costs kernel launches.
GPU_COL_BUDGET = 1 << 30


def col_budget(xp):
    """Bytes of column matrix one piece may take on this array module's device."""
    return COL_BUDGET if xp is np else GPU_COL_BUDGET
# From this many images on, conv2d works and leaves its output batch-last (module docstring).
BATCH_LAST_MIN = 16
# 3x3 stride-1 layers with at least this many input and output channels, and 256 output pixels
# or more per call (N*OH*OW), use Winograd F(2x2, 3x3) on the CPU (minicnn/winograd.py). Its
# transforms cost memory traffic per channel, its GEMMs save arithmetic per channel *pair*, so the
# saving grows with the channel counts; with few output pixels the tiles' waste loses
# (benchmarks/winograd.py measures each layer: RESULTS.md, "Winograd").
# 0 sends every 3x3 stride-1 layer through Winograd (tests do), a huge number none.
WINOGRAD_MIN_CHANNELS = 128
_workspace = {}


def winograd_fits(g, K):
    """Whether conv2d runs a layer (ConvGeometry g, K filters) as Winograd F(2x2, 3x3) on the CPU:
    3x3, stride 1, padding at most 2 (gx is then a convolution with padding 2 - p),
    WINOGRAD_MIN_CHANNELS on both sides and 256 output pixels or more (WINOGRAD_MIN_CHANNELS = 0
    lifts both size conditions)."""
    if not (g.R == g.S == 3 and g.sh == g.sw == 1 and max(g.padding) <= 2):
        return False
    return WINOGRAD_MIN_CHANNELS == 0 or (min(g.C, K) >= WINOGRAD_MIN_CHANNELS and g.N * g.OH * g.OW >= 256)


def _workspace_for(xp, size, dtype, slot="col"):
    """A reusable flat buffer per (array module, dtype, slot), grown as needed. Reusing it
    matters: the kernel zero-fills every page of a fresh array on its first write."""
    key = (xp.__name__, dtype.str, slot)
    buf = _workspace.get(key)
    if buf is None or buf.size < size:
        buf = _workspace[key] = xp.empty(size, dtype=dtype)
    return buf


def _matmul_into(xp, a, b, slot):
    """a @ b written into a reused workspace buffer (valid until the next call for the same slot)."""
    out = _workspace_for(xp, a.shape[0] * b.shape[1], a.dtype, slot)[:a.shape[0] * b.shape[1]]
    return xp.matmul(a, b, out=out.reshape(a.shape[0], b.shape[1]))


class Conv2d(Function):
    """y = conv2d(x, weight) + bias by im2col + GEMM, in one of two column orders:

    * batch-last, columns (oh, ow, n), for N >= BATCH_LAST_MIN: pieces are bands of output rows;
    * channel-first, columns (n, oh, ow), for smaller batches: pieces are groups of images.
    A piece's columns are a contiguous range of the (K, columns) output matrix either way.
    """

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0)):
        xp = get_array_module(x)
        if xp is np:
            prepare_cpu()
        g = ConvGeometry(x.shape, w.shape[2:], stride, padding)
        K = w.shape[0]
        w2 = w.reshape(K, -1)                                           # (K, C*R*S)
        self.g, self.w, self.has_bias = g, w, b is not None
        self.batch_last = g.N >= BATCH_LAST_MIN and xp is np                  # on a GPU: NCHW (docstring)
        # Winograd: float32 or float64 only, its transforms having factors 1/2 and sums of 4 terms
        # (integers stay exact with im2col, float16 keeps its rounding); one dtype (mixed ones
        # promote through im2col's GEMM, as NumPy does); batch-last, pieces of 16 images or more
        # (its pieces are groups of images, and their runs must stay long: module docstring)
        self.winograd = (xp is np and x.dtype in (np.float32, np.float64) and x.dtype == w.dtype
                         and winograd_fits(g, K)
                         and (not self.batch_last or self._winograd_piece(K, x.itemsize) >= BATCH_LAST_MIN))
        if self.winograd:
            return self._forward_winograd(x, w, b)
        if self.batch_last:
            self.src = padded_batch_last(x, g)                          # (C, Hp, Wp, N), made once
            unit, count = g.OW * g.N, g.OH                              # columns per output row
        else:
            self.src = x
            unit, count = g.OH * g.OW, g.N                              # columns per image
        per_unit = w2.shape[1] * unit * x.itemsize
        # 1x1, channel-first: the whole batch in one GEMM needs x, y, gy and gx transposed to and from
        # (C, N*H*W); from 10x10 maps one image per piece is faster, as x[i] itself is its column
        # matrix; on smaller maps its GEMMs are too thin (RESULTS.md, "1x1 layers").
        # On a GPU one launch for the batch is cheaper than one per image.
        if g.pointwise and not self.batch_last and xp is np:
            size = 1 if g.OH * g.OW >= 100 else count
        else:
            size = max(1, min(count, col_budget(xp) // per_unit))
        self.pieces = [(i, min(count, i + size)) for i in range(0, count, size)]
        self.unit = unit
        # one image per piece, channel-first: each piece's (K, OH*OW) product is that image's
        # output, written straight into the (N, K, OH*OW) result (and backward reads gy the same way)
        self.per_image = not self.batch_last and size == 1 and len(self.pieces) > 1
        if len(self.pieces) == 1:                                       # one piece: keep col for backward
            col = self._columns(0, count)
            y = w2 @ col                                                # (K, columns)
            self.col = col if self.requires_grad else None
        elif xp is not np:
            # each piece's (K, n*OH*OW) product goes through a contiguous workspace into its images of
            # the NCHW output: CuPy's matmul would copy through a temporary into a column range anyway
            y = xp.empty((g.N, K, g.OH, g.OW), dtype=x.dtype)
            buf = _workspace_for(xp, w2.shape[1] * unit * size, x.dtype)
            for i0, i1 in self.pieces:
                prod = _matmul_into(xp, w2, self._columns(i0, i1, buf), "y")
                y[i0:i1] = prod.reshape(K, i1 - i0, g.OH, g.OW).transpose(1, 0, 2, 3)
            if not self.requires_grad:
                self.src = None
            if b is not None:
                y += b[:, None, None]
            return y
        else:
            y = xp.empty((g.N, K, unit) if self.per_image else (K, unit * count), dtype=x.dtype)
            buf = _workspace_for(xp, w2.shape[1] * unit * size, x.dtype)
            for i0, i1 in self.pieces:
                xp.matmul(w2, self._columns(i0, i1, buf), out=y[i0] if self.per_image else y[:, i0 * unit:i1 * unit])
        if len(self.pieces) == 1 or not self.requires_grad:
            self.src = None                                             # backward needs no input
        if b is not None:
            y += b[:, None]                                             # K is the second-last axis either way
        if self.per_image:
            return y.reshape(g.N, K, g.OH, g.OW)
        if self.batch_last:                                             # (K, OH, OW, N) seen as NCHW: no copy
            return y.reshape(K, g.OH, g.OW, g.N).transpose(3, 0, 1, 2)
        return xp.ascontiguousarray(y.reshape(K, g.N, g.OH, g.OW).transpose(1, 0, 2, 3))

    def _forward_winograd(self, x, w, b):
        """y = A^T [U @ V] A in groups of images whose V and M fit in COL_BUDGET."""
        xp = get_array_module(x)
        g = self.g
        K = w.shape[0]
        TH, TW = winograd.tiles(g.OH, g.OW)
        size = self._winograd_piece(K, x.itemsize)
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

    def _winograd_piece(self, K, itemsize):
        """Images per Winograd piece: as many as fit V (16 x C x tiles) and M (16 x K x tiles) in COL_BUDGET."""
        g = self.g
        TH, TW = winograd.tiles(g.OH, g.OW)
        return max(1, min(g.N, COL_BUDGET // (16 * (g.C + K) * TH * TW * itemsize)))   # the CPU's only

    def _slot(self, xp, dtype, name):
        """The workspace buffer for one Winograd piece's V or M (either pass, forward or backward)."""
        g = self.g
        TH, TW = winograd.tiles(max(g.H, g.OH), max(g.W, g.OW))
        n = self.pieces[0][1] - self.pieces[0][0]
        return _workspace_for(xp, 16 * max(g.C, self.w.shape[0]) * n * TH * TW, dtype, name)

    def _product(self, xp, a, b, name):
        """The 16 GEMMs a[ab] @ b[ab], written into a workspace buffer."""
        out = self._slot(xp, b.dtype, name)[:16 * a.shape[1] * b.shape[2]].reshape(16, a.shape[1], b.shape[2])
        return xp.matmul(a, b, out=out)

    def _backward_winograd(self, gy):
        """gW = G^T (sum over tiles gM V^T) G and gx = the Winograd convolution of gy with the
        flipped weight (minicnn/winograd.py), piece by piece as in forward."""
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
        if not self.has_bias:
            return gx, gw
        return gx, gw, gy.sum(axis=(0, 2, 3)) if self.needs_grad[2] else None

    def _columns(self, i0, i1, out=None):
        """The column matrix of piece [i0, i1): output rows when batch-last, else images."""
        g = self.g
        if self.batch_last:
            return im2col_batch_last(None, g, out=out, oh0=i0, oh1=i1, img=self.src)
        x = self.src[i0:i1]
        return im2col_fast(x, ConvGeometry(x.shape, (g.R, g.S), (g.sh, g.sw), g.padding), out=out)

    @staticmethod
    def _input_grad(w2, gy, gyp, g):
        """Channel-first input gradient of images gy (n, K, OH, OW), gyp = the same as (K, n*OH*OW).
        For stride 1 the column gradient is computed on the wide grid (gy padded with zero columns
        to width Wp), where col2im adds long runs (minicnn/im2col.py: col2im_wide)."""
        xp = get_array_module(gy)
        if g.sh != 1 or g.sw != 1 or g.pointwise:
            return col2im_fast(_matmul_into(xp, w2.T, gyp, "gcol"), g)
        wide = xp.zeros((gy.shape[1], g.N, g.OH, g.Wp), dtype=gy.dtype)
        wide[..., :g.OW] = gy.transpose(1, 0, 2, 3)
        return col2im_wide(_matmul_into(xp, w2.T, wide.reshape(gy.shape[1], -1), "gcol"), g)

    def _input_grad_as_conv(self):
        """Whether backward computes gx as a convolution of gy (module docstring): for stride 1
        with C >= K and at least 4x4 outputs. Then its GEMM reduces over K*R*S instead of K and
        an im2col replaces col2im's R*S passes of adds: faster on VGG's layers, slower for C < K
        and on 2x2 maps (RESULTS.md, "the input gradient as a convolution")."""
        g = self.g
        pt, pb, pl, pr = g.padding
        return (g.sh == g.sw == 1 and not g.pointwise and g.C >= self.w.shape[0] and g.OH * g.OW >= 16
                and max(pt, pb) < g.R and max(pl, pr) < g.S)

    def _flipped(self, xp):
        """Wf (C, K*R*S) and the padding of gy for the input gradient as a convolution."""
        g = self.g
        wf = xp.ascontiguousarray(self.w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(g.C, -1)
        pt, pb, pl, pr = g.padding
        return wf, (g.R - 1 - pt, g.R - 1 - pb, g.S - 1 - pl, g.S - 1 - pr)

    def _input_grad_conv_images(self, gy, i0, i1, wf, pad, gx):
        """Channel-first: gx[i0:i1] as one convolution of images gy[i0:i1], Wf @ im2col(gy) (C, n*H*W);
        one image's product is written straight into gx, several go through a transpose."""
        xp = get_array_module(gy)
        g = self.g
        gyn = gy[i0:i1]
        gg = ConvGeometry(gyn.shape, (g.R, g.S), (1, 1), pad)          # its output grid is H x W
        col = im2col_fast(gyn, gg, out=_workspace_for(xp, wf.shape[1] * (i1 - i0) * g.H * g.W, gy.dtype, "gcol"))
        if i1 - i0 == 1:
            xp.matmul(wf, col, out=gx[i0].reshape(g.C, -1))
        else:
            gx[i0:i1] = _matmul_into(xp, wf, col, "gx").reshape(g.C, i1 - i0, g.H, g.W).transpose(1, 0, 2, 3)

    def _input_grad_conv_batch_last(self, gy, wf, pad):
        """gx as a convolution of gy, batch-last, in bands of input rows within COL_BUDGET:
        gx (C, H, W, N) = Wf @ im2col_batch_last(gy), returned as its (N, C, H, W) view."""
        xp = get_array_module(gy)
        g = self.g
        gg = ConvGeometry(gy.shape, (g.R, g.S), (1, 1), pad)           # its output grid is H x W
        src = padded_batch_last(gy, gg)                                 # (K, OH+.., OW+.., N)
        unit = g.W * g.N
        rows = max(1, min(g.H, col_budget(xp) // (wf.shape[1] * unit * gy.itemsize)))
        buf = _workspace_for(xp, wf.shape[1] * unit * rows, gy.dtype, "gcol")
        gx = xp.empty((g.C, g.H * unit), dtype=gy.dtype)
        for h0 in range(0, g.H, rows):
            h1 = min(g.H, h0 + rows)
            xp.matmul(wf, im2col_batch_last(None, gg, out=buf, oh0=h0, oh1=h1, img=src),
                      out=gx[:, h0 * unit:h1 * unit])
        return gx.reshape(g.C, g.H, g.W, g.N).transpose(3, 0, 1, 2)

    def backward(self, gy):
        if self.winograd:
            return self._backward_winograd(gy)
        xp = get_array_module(gy)
        w, g, unit = self.w, self.g, self.unit
        K = w.shape[0]
        w2 = w.reshape(K, -1)
        need_x, need_w = self.needs_grad[0], self.needs_grad[1]
        gb = None
        if self.per_image:                                              # gy read one image at a time
            if self.has_bias and self.needs_grad[2]:
                gb = gy.reshape(g.N, K, -1).sum(axis=2).sum(axis=0)
        else:
            order = (1, 2, 3, 0) if self.batch_last else (1, 0, 2, 3)  # gy in the column order
            gy2 = xp.ascontiguousarray(gy.transpose(order)).reshape(K, -1)   # free when gy is batch-last
            gb = gy2.sum(axis=1) if self.has_bias and self.needs_grad[2] else None
        gx, gw = None, None
        as_conv = need_x and self._input_grad_as_conv()
        if as_conv:
            wf, pad = self._flipped(xp)
        if need_x and self.batch_last and not as_conv:
            gimg = xp.zeros((g.C, g.Hp, g.Wp, g.N), dtype=gy.dtype)
        elif need_x and not self.batch_last:
            gx = xp.empty((g.N, g.C, g.H, g.W), dtype=gy.dtype)
        for i0, i1 in self.pieces:
            gyp = xp.ascontiguousarray(gy[i0]).reshape(K, -1) if self.per_image else gy2[:, i0 * unit:i1 * unit]
            if need_w:
                if len(self.pieces) == 1:
                    col = self.col
                else:                                                   # rebuilt, not kept
                    col = self._columns(i0, i1, _workspace_for(xp, w2.shape[1] * (i1 - i0) * unit, gy.dtype))
                # gW = gyp @ col^T, (K, C*R*S): C-contiguous like the weight, which the optimizer reads
                # flat; col @ gyp^T would be as fast but leave gW transposed, and a transposing copy
                # costs more than the GEMM at small batches (RESULTS.md, "weight gradient layout")
                if gw is None:
                    gw = gyp @ col.T
                else:
                    gw += gyp @ col.T
            if not need_x or (as_conv and self.batch_last):
                continue                                                # (gx after the loop)
            if self.batch_last:
                add_patches_batch_last(gimg, _matmul_into(xp, w2.T, gyp, "gcol"), g, i0, i1)
            elif as_conv:
                self._input_grad_conv_images(gy, i0, i1, wf, pad, gx)
            else:
                gc = ConvGeometry((i1 - i0,) + gx.shape[1:], (g.R, g.S), (g.sh, g.sw), g.padding)
                gx[i0:i1] = self._input_grad(w2, gy[i0:i1], gyp, gc)
        if as_conv and self.batch_last:                                 # gy2 is gy batch-last
            gx = self._input_grad_conv_batch_last(gy2.reshape(K, g.OH, g.OW, g.N).transpose(3, 0, 1, 2), wf, pad)
        elif need_x and self.batch_last:
            pt, pb, pl, pr = g.padding
            gx = gimg[:, pt:pt + g.H, pl:pl + g.W].copy().transpose(3, 0, 1, 2)
        gw = gw.reshape(w.shape) if need_w else None
        if not self.has_bias:
            return gx, gw
        return gx, gw, gb


class Conv2dReference(Function):
    """The same convolution with the textbook im2col (rows = output pixels). For study and tests."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0)):
        N, C, H, W = x.shape
        K, _, R, S = w.shape
        OH = conv_output_size(H, R, stride[0], padding[0], padding[1])
        OW = conv_output_size(W, S, stride[1], padding[2], padding[3])
        col = im2col_reference(x, (R, S), stride, padding)             # (N*OH*OW, C*R*S)
        y = col @ w.reshape(K, -1).T                                    # (N*OH*OW, K)
        if b is not None:
            y = y + b
        self.col, self.w, self.x_shape = col, w, x.shape
        self.stride, self.padding, self.has_bias = stride, padding, b is not None
        return y.reshape(N, OH, OW, K).transpose(0, 3, 1, 2)

    def backward(self, gy):
        w = self.w
        K, C, R, S = w.shape
        gy2 = gy.transpose(0, 2, 3, 1).reshape(-1, K)                  # (N*OH*OW, K)
        gw = (gy2.T @ self.col).reshape(w.shape)
        gx = col2im_reference(gy2 @ w.reshape(K, -1), self.x_shape, (R, S), self.stride, self.padding)
        if not self.has_bias:
            return gx, gw
        return gx, gw, gy2.sum(axis=0)


def _same_dtype(op, x, weight):
    """PyTorch refuses an input whose dtype is not the weight's; NumPy would silently compute in the wider one."""
    xd, wd = getattr(x, "dtype", None), getattr(weight, "dtype", None)
    if xd is not None and wd is not None and xd != wd:
        how = ".float()" if wd == np.float32 else f".to({wd})"
        raise TypeError(f"{op}: the input is {xd} but the weight is {wd}; convert the input with x{how} "
                        "(or the model with .to(dtype))")


class Dilate(Function):
    """A kernel (K, C, R, S) spread out with d-1 zeros between its taps: (K, C, (R-1)dh+1, (S-1)dw+1).
    A dilated convolution is the ordinary convolution with this kernel; the gradient is the taps' slice."""

    def forward(self, w, dilation):
        xp = get_array_module(w)
        K, C, R, S = w.shape
        self.dilation = dh, dw = dilation
        out = xp.zeros((K, C, (R - 1) * dh + 1, (S - 1) * dw + 1), dtype=w.dtype)
        out[:, :, ::dh, ::dw] = w
        return out

    def backward(self, gy):
        dh, dw = self.dilation
        return gy[:, :, ::dh, ::dw].copy()


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, reference=False):  # noqa: A002
    """2-D convolution (cross-correlation, as in every deep-learning library).

    input (N, C, H, W), weight (K, C/groups, R, S), bias (K,) or None -> (N, K, OH, OW) with
    OH = (H + 2*ph - dh*(R-1) - 1) // sh + 1 and OW likewise. ``padding`` is an int, a pair,
    "same" (stride 1; output size = input size) or "valid" (no padding).
    ``dilation`` spreads the kernel's taps apart (run as the ordinary convolution with a kernel
    holding zeros between them); ``groups`` splits the channels into independent convolutions
    (run one after the other and concatenated). ``reference=True`` runs the textbook im2col.
    """
    x = input
    _same_dtype("conv2d", x, weight)
    dilation = pair(dilation, "dilation")
    if dilation[0] < 1 or dilation[1] < 1:
        raise ValueError(f"conv2d: dilation must be positive, got {dilation}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if dilation != (1, 1):
        if weight.ndim != 4:
            raise ValueError(f"conv2d: expected a 4-D weight (K, C, R, S), got shape {weight.shape}")
        weight = Dilate.apply(weight, dilation=dilation)
    if groups > 1:
        return _grouped(x, weight, bias, stride, padding, groups, reference)
    stride = pair(stride, "stride")
    _check_conv_dims("conv2d", x.shape, weight.shape)     # weight.shape[2:] is read below
    pads = conv_padding(padding, weight.shape[2:], stride)
    check_conv_args("conv2d", x.shape, weight.shape, stride, pads)
    fn = Conv2dReference if reference else Conv2d
    if bias is None:
        return fn.apply(x, weight, stride=stride, padding=pads)
    if tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    return fn.apply(x, weight, bias, stride=stride, padding=pads)


def _grouped(x, weight, bias, stride, padding, groups, reference):
    """groups > 1: group g convolves input channels [g*C/groups, (g+1)*C/groups) with output channels
    [g*K/groups, (g+1)*K/groups) of the weight; the outputs are joined along the channels."""
    from .linear import concat
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-D input and weight, got {x.shape} and {weight.shape}")
    C, K = x.shape[1], weight.shape[0]
    if C % groups or K % groups or weight.shape[1] * groups != C:
        raise ValueError(f"conv2d: with groups={groups}, the input's {C} channels and the weight's {K} output "
                         f"channels must divide by {groups}, and the weight must have {C // groups or 1} "
                         f"input channels per group; got input {x.shape}, weight {weight.shape}")
    c, k = C // groups, K // groups
    outs = []
    for g in range(groups):
        b = None if bias is None else bias[g * k:(g + 1) * k]
        outs.append(conv2d(x[:, g * c:(g + 1) * c], weight[g * k:(g + 1) * k], b, stride, padding,
                           reference=reference))
    return concat(outs, 1)
