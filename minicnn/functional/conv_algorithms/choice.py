"""Which algorithm conv2d runs for a layer, and every threshold behind the choice.

``conv2d(..., algorithm="auto")`` asks :func:`choose`; any other name runs that algorithm
(after :func:`check` has made sure it can). The thresholds were measured on the CPU, each
against the alternative (benchmarks/RESULTS.md, "Measurements behind the code").
"""
from collections import namedtuple

import numpy as np

from ... import threads
from ...configuration import config
from . import winograd

# From this many images on the CPU, columns are ordered (oh, ow, n) and the output is left
# batch-last: NumPy pays per contiguous run copied, and runs of OW*N beat runs of OW.
BATCH_LAST_MIN = 16
# Winograd when C and K are both at least this: its transforms cost memory traffic per channel,
# its GEMMs save arithmetic per channel pair. With AVX-512 GEMMs it wins only from 512 (it won
# from 128 on an AVX2 CPU). 0 sends every 3x3 stride-1 layer through it.
WINOGRAD_MIN_CHANNELS = 512
# ... and when a call has at least this many output pixels (N*OH*OW): on fewer, its 4x4 tiles waste too much.
WINOGRAD_MIN_PIXELS = 512
# Winograd F(4x4, 3x3) for channel-first batches (fewer than BATCH_LAST_MIN images) when C and K
# are both at least this and the output at least WINOGRAD4_MIN_SIZE on each side: there it beat
# im2col on VGG-16's and ResNet-50's layers; on smaller maps its 4x4 tiles waste too much, and on
# batch-last input it lost everywhere (RESULTS.md, "Winograd", the F(4x4) tables).
WINOGRAD4_MIN_CHANNELS = 128
WINOGRAD4_MIN_SIZE = 28
# ... and from WINOGRAD4_WIDE_MIN_CHANNELS on maps this large (VGG's first block at 224x224), where its fewer
# multiplications outweigh the transforms; 64 -> 128 on 112x112 and 64 -> 64 on 56x56 were even.
WINOGRAD4_WIDE_MAPS = 224
WINOGRAD4_WIDE_MIN_CHANNELS = 64
# Winograd keeps a layer's transformed input (36/16 of the input's size for F(4x4), 16/4 for F(2x2))
# from forward for the weight gradient when it takes at most this many bytes, instead of transforming
# the input again (a third of the layer's input transforms; RESULTS.md, "Winograd"); larger layers
# recompute it.
WINOGRAD_KEEP_BYTES = 128 << 20
# F(4x4) for batch-last batches (BATCH_LAST_MIN images or more), whatever the map size from
# WINOGRAD4_BATCH_LAST_MIN_SIZE on (a 2x2 map wastes 3/4 of its one tile), when the harmonic mean
# of C and K, 2CK / (C + K), is at least WINOGRAD4_BATCH_LAST_MIN_WIDTH: the GEMMs save work in
# proportion to C*K, the transforms cost C + K. 64 -> 64 layers were even with batch_last, 32 -> 32
# lost, 64 -> 128 and up won (RESULTS.md, "Winograd F(4x4) batch-last").
WINOGRAD4_BATCH_LAST_MIN_WIDTH = 80
WINOGRAD4_BATCH_LAST_MIN_SIZE = 4
# Batch-last Winograd runs in pieces of at most this many column budgets (config.col_budget, 64 MiB
# by default) of transformed input: a piece of few images copies short runs (the batch is the
# fastest index), so these pieces are larger than im2col's; a layer whose pieces would hold fewer than
# BATCH_LAST_MIN images keeps batch_last.
WINOGRAD_BATCH_LAST_BUDGETS = 4
# 1x1 layers on the CPU: from this many output pixels an image, one GEMM per image (x[i] is its own
# column matrix, no transposes); below, one GEMM for the batch (the per-image GEMMs are too thin).
POINTWISE_PER_IMAGE_MIN_PIXELS = 100
# Batch-last input gradients by col2im, stride 1, at most this many filters: the column gradient is
# made on the wide grid (gY padded with zero columns to the padded width), so that col2im adds each
# kernel offset as one contiguous run per channel; it costs Wp/OW times the GEMM W2^T @ gY, which is
# cheap only with few filters (RESULTS.md, "col2im on the wide grid, batch-last").
WIDE_COL2IM_MAX_K = 32
# The bytes of column matrix a piece may take (config.col_budget on the CPU, config.gpu_col_budget on a
# GPU) and the share of a GPU's memory a layer's pieces may keep from forward for the weight gradient
# instead of building them again (config.gpu_keep_fraction) are settings: minicnn/configuration.py
# (RESULTS.md, "Column budget" and "GPU").

# The weight gradient gY @ col^T in chunks of this many bytes of gY and col when the weight has at
# most WEIGHT_CHUNKED_MAX entries (K * C*R*S): such a GEMM is long and thin, and OpenBLAS runs it
# several times slower whole than as cache-sized pieces.
WEIGHT_CHUNK_BYTES = 128 << 10
WEIGHT_CHUNKED_MAX = 1024
# ... and as col @ gY^T, transposed back, for at most WEIGHT_T_MAX_K filters and at least
# WEIGHT_T_MIN_RATIO times as many columns J = C*R*S, over at least WEIGHT_T_MIN_Q pixels: OpenBLAS
# runs that orientation faster there and slower with more filters (RESULTS.md, "The weight
# gradient's orientation").
WEIGHT_T_MAX_K = 128
WEIGHT_T_MIN_RATIO = 4
WEIGHT_T_MIN_Q = 1024

NAMES = ("reference", "im2col", "pointwise", "batch_last", "winograd", "winograd4x4", "grouped", "depthwise")
GROUPED = ("grouped", "depthwise")              # the two that compute groups > 1 in one op


def col_budget(xp):
    """Bytes of column matrix one piece may take on this array module's device (the settings)."""
    return config.col_budget if xp is np else config.gpu_col_budget


_device_bytes = {}


def gpu_keeps_columns(xp, nbytes):
    """Whether a GPU layer keeps ``nbytes`` of columns from forward (config.gpu_keep_fraction of the
    device's memory, read once per device)."""
    device = xp.cuda.Device()
    if device.id not in _device_bytes:
        _device_bytes[device.id] = device.mem_info[1]                  # (free, total)
    return nbytes <= config.gpu_keep_fraction * _device_bytes[device.id]


def winograd_fits(g, K):
    """Whether a layer (ConvGeometry g, K filters) is one "auto" may send to Winograd F(2x2, 3x3):
    3x3, stride 1, padding at most 2 (gx is then a convolution with padding 2 - p), and
    WINOGRAD_MIN_CHANNELS and WINOGRAD_MIN_PIXELS met (WINOGRAD_MIN_CHANNELS = 0 lifts both)."""
    if not winograd_can(g):
        return False
    return WINOGRAD_MIN_CHANNELS == 0 or (min(g.C, K) >= WINOGRAD_MIN_CHANNELS
                                          and g.N * g.OH * g.OW >= WINOGRAD_MIN_PIXELS)


def winograd_pieces(g, K, itemsize, f, batch_last):
    """Winograd's pieces of the batch for the transform set ``f`` (winograd.F2x3 or F4x3), [(i0, i1),
    ...]: as few as keep each piece's V (a*a x channels x tiles, for forward and for gx's pass) within
    config.col_budget, or batch-last within WINOGRAD_BATCH_LAST_BUDGETS of it, of near-equal size (a
    short last piece would copy short runs of images)."""
    TH, TW = f.tiles(max(g.H, g.OH), max(g.W, g.OW))
    budget = config.col_budget * (WINOGRAD_BATCH_LAST_BUDGETS if batch_last else 1)
    size = max(1, min(g.N, budget // (f.a * f.a * max(g.C, K) * TH * TW * itemsize)))
    return threads.split(g.N, -(-g.N // size))


def winograd_can(g):
    """Winograd F(2x2, 3x3) computes this geometry at all: 3x3, stride 1, padding at most 2."""
    return g.R == g.S == 3 and g.sh == g.sw == 1 and max(g.padding) <= 2


Plan = namedtuple("Plan", ["algorithm", "layout", "why", "pieces", "keep", "input_grad"], defaults=(None, None, None))
Plan.__doc__ = """What conv2d runs for one call, decided before it runs, and carried out by the algorithm:

algorithm   its name (conv_algorithms/__init__.py)
layout      the layout it leaves its output in, "NCHW" or "batch-last" (conv.py)
why         the reason, naming the thresholds above that decided (or "asked for by name")
pieces      the (start, stop) ranges it runs one at a time within the column budget: of images, or
            for batch_last of output rows
keep        whether forward's columns (im2col) or transformed input (Winograd) stay for the weight
            gradient, instead of being built again in backward
input_grad  how backward computes gx: "conv" (a convolution of gy with the flipped kernel), "col2im",
            "col2im_wide" (col2im of a column gradient made on the wide grid), "winograd" (the same
            Winograd algorithm on gy), "sweep" (depthwise), "grouped col2im"
"""


def input_grad_as_conv(g, K):
    """Whether backward computes gx as a convolution of gy with the flipped kernel: for stride 1 with
    C >= K and at least 4x4 outputs. Then its GEMM reduces over K*R*S instead of K and an im2col
    replaces col2im's R*S passes of adds: faster on VGG's layers, slower for C < K and on 2x2 maps
    (RESULTS.md, "the input gradient as a convolution")."""
    pt, pb, pl, pr = g.padding
    return (g.sh == g.sw == 1 and not g.pointwise and g.C >= K and g.OH * g.OW >= 16
            and max(pt, pb) < g.R and max(pl, pr) < g.S)


def _cut(n, size):
    """[0, n) in pieces of ``size`` from the start (the last one shorter)."""
    return tuple((i, min(n, i + size)) for i in range(0, n, size))


def carried_out(name, layout, why, g, K, xp, itemsize):
    """The Plan for running algorithm ``name`` on this layer: its pieces, what it keeps and its input
    gradient's method, as the algorithm will carry them out."""
    cpu = xp is np
    J = g.C * g.R * g.S                                                 # rows of the column matrix
    if name in ("im2col", "pointwise"):
        unit = g.OH * g.OW                                              # columns an image
        if name == "pointwise" and cpu:
            size = 1 if unit >= POINTWISE_PER_IMAGE_MIN_PIXELS else g.N
        else:
            size = max(1, min(g.N, col_budget(xp) // (J * unit * itemsize)))
        pieces = _cut(g.N, size)
        keep = len(pieces) == 1 or (not cpu and gpu_keeps_columns(xp, J * unit * g.N * itemsize))
        stride1 = g.sh == g.sw == 1 and not g.pointwise
        input_grad = "conv" if input_grad_as_conv(g, K) else "col2im_wide" if stride1 else "col2im"
    elif name == "batch_last":
        unit = g.OW * g.N                                               # columns an output row
        pieces = _cut(g.OH, max(1, min(g.OH, col_budget(xp) // (J * unit * itemsize))))
        keep = len(pieces) == 1
        # few filters: gW^T @ gY is cheap, and on the wide grid col2im adds long contiguous runs
        wide = g.sh == g.sw == 1 and K <= WIDE_COL2IM_MAX_K
        input_grad = "conv" if input_grad_as_conv(g, K) else "col2im_wide" if wide else "col2im"
    elif name in ("winograd", "winograd4x4"):
        f = winograd.F2x3 if name == "winograd" else winograd.F4x3
        pieces = tuple(winograd_pieces(g, K, itemsize, f, layout == "batch-last"))
        TH, TW = f.tiles(g.OH, g.OW)
        keep = f.a * f.a * g.C * g.N * TH * TW * itemsize <= WINOGRAD_KEEP_BYTES
        input_grad = "winograd"
    else:                                                               # reference: the textbook, whole
        pieces, keep, input_grad = ((0, g.N),), True, "col2im"
    return Plan(name, layout, why, pieces, keep, input_grad)


def plan(g, K, xp, dtype, wdtype, algorithm="auto"):
    """The Plan conv2d runs: ``algorithm`` as asked (after :func:`check`), or for "auto": on the CPU,
    Winograd F(4x4, 3x3) for wide 3x3 layers of a channel-first batch on maps of WINOGRAD4_MIN_SIZE or
    more, and of a batch-last batch on maps of WINOGRAD4_BATCH_LAST_MIN_SIZE or more; Winograd
    F(2x2, 3x3) for the widest (in batch-last pieces of BATCH_LAST_MIN images or more); else batch-last
    im2col from BATCH_LAST_MIN images, pointwise for 1x1 layers, channel-first im2col. On a GPU:
    pointwise or im2col."""
    itemsize = np.dtype(dtype).itemsize
    if algorithm != "auto":
        check(algorithm, g, xp, dtype, wdtype)
        batch_last = algorithm == "batch_last" or (algorithm in ("winograd", "winograd4x4") and g.N >= BATCH_LAST_MIN)
        return carried_out(algorithm, "batch-last" if batch_last else "NCHW", "asked for by name", g, K, xp, itemsize)
    name, layout, why = _auto(g, K, xp, dtype, wdtype)
    return carried_out(name, layout, why, g, K, xp, itemsize)


def _auto(g, K, xp, dtype, wdtype):
    """(algorithm, layout, why) of "auto" (see :func:`plan`)."""
    cpu = xp is np
    batch_last = cpu and g.N >= BATCH_LAST_MIN
    layout = "batch-last" if batch_last else "NCHW"
    images = (f"{g.N} images >= BATCH_LAST_MIN ({BATCH_LAST_MIN}): batch-last" if batch_last else
              f"{g.N} images < BATCH_LAST_MIN ({BATCH_LAST_MIN})" if cpu else "on a GPU every batch stays NCHW")
    # Winograd only for float32/64 of one dtype: its transforms hold fractions (integers stay exact
    # with im2col, float16 keeps its rounding)
    winograd_ok = cpu and dtype in (np.float32, np.float64) and dtype == wdtype and winograd_can(g)
    channels, size = min(g.C, K), min(g.OH, g.OW)
    if winograd_ok and not batch_last:
        if channels >= WINOGRAD4_MIN_CHANNELS and size >= WINOGRAD4_MIN_SIZE:
            return ("winograd4x4", layout, f"3x3 stride 1; {images}; min(C, K) = {channels} >= "
                        f"WINOGRAD4_MIN_CHANNELS ({WINOGRAD4_MIN_CHANNELS}) on {size}-wide maps >= "
                        f"WINOGRAD4_MIN_SIZE ({WINOGRAD4_MIN_SIZE})")
        if channels >= WINOGRAD4_WIDE_MIN_CHANNELS and size >= WINOGRAD4_WIDE_MAPS:
            return ("winograd4x4", layout, f"3x3 stride 1; {images}; min(C, K) = {channels} >= "
                        f"WINOGRAD4_WIDE_MIN_CHANNELS ({WINOGRAD4_WIDE_MIN_CHANNELS}) on {size}-wide maps >= "
                        f"WINOGRAD4_WIDE_MAPS ({WINOGRAD4_WIDE_MAPS})")
    width = 2 * g.C * K / (g.C + K)
    if (winograd_ok and batch_last and width >= WINOGRAD4_BATCH_LAST_MIN_WIDTH
            and size >= WINOGRAD4_BATCH_LAST_MIN_SIZE
            and _smallest_piece(g, K, dtype, winograd.F4x3) >= BATCH_LAST_MIN):
        return ("winograd4x4", layout, f"3x3 stride 1; {images}; 2CK/(C+K) = {width:.0f} >= "
                    f"WINOGRAD4_BATCH_LAST_MIN_WIDTH ({WINOGRAD4_BATCH_LAST_MIN_WIDTH}) on {size}-wide maps >= "
                    f"WINOGRAD4_BATCH_LAST_MIN_SIZE ({WINOGRAD4_BATCH_LAST_MIN_SIZE})")
    # batch-last pieces must hold 16 images, or their runs of N get too short
    if (winograd_ok and winograd_fits(g, K)
            and (not batch_last or _smallest_piece(g, K, dtype, winograd.F2x3) >= BATCH_LAST_MIN)):
        return ("winograd", layout, f"3x3 stride 1; {images}; min(C, K) = {channels} >= "
                    f"WINOGRAD_MIN_CHANNELS ({WINOGRAD_MIN_CHANNELS}) over {g.N * g.OH * g.OW} output pixels >= "
                    f"WINOGRAD_MIN_PIXELS ({WINOGRAD_MIN_PIXELS})")
    not_winograd = ""
    if winograd_ok and batch_last:
        not_winograd = (f"; not Winograd: 2CK/(C+K) = {width:.0f} < WINOGRAD4_BATCH_LAST_MIN_WIDTH "
                        f"({WINOGRAD4_BATCH_LAST_MIN_WIDTH}), or maps under {WINOGRAD4_BATCH_LAST_MIN_SIZE}, "
                        f"or pieces under {BATCH_LAST_MIN} images")
    elif winograd_ok:
        not_winograd = (f"; not Winograd: min(C, K) = {channels} on {size}-wide maps, under WINOGRAD4_MIN_CHANNELS "
                        f"({WINOGRAD4_MIN_CHANNELS}) on WINOGRAD4_MIN_SIZE ({WINOGRAD4_MIN_SIZE})")
    elif cpu and g.R == g.S == 3:
        not_winograd = "; Winograd needs 3x3, stride 1, padding <= 2 and float32/64 of one dtype"
    if batch_last:
        return ("batch_last", layout, f"{images}: columns (oh, ow, n), long runs for NumPy's copies{not_winograd}")
    if g.pointwise:
        return ("pointwise", layout, f"{images}; a 1x1 kernel, stride 1, no padding: the input is its own "
                    "column matrix")
    return ("im2col", layout, f"{images}; channel-first im2col and one GEMM a piece{not_winograd}")


def _smallest_piece(g, K, dtype, f):
    """Images in the smallest of Winograd's batch-last pieces for this layer."""
    return min(i1 - i0 for i0, i1 in winograd_pieces(g, K, np.dtype(dtype).itemsize, f, True))


def choose(g, K, xp, dtype, wdtype):
    """The algorithm "auto" runs (the first field of :func:`plan`)."""
    return _auto(g, K, xp, dtype, wdtype)[0]


def choose_grouped(C, groups):
    """The algorithm "auto" runs for groups > 1: depthwise when every input channel is its own group
    (a GEMM of c*R*S = R*S rows is too thin for BLAS), else the batched GEMM over the groups."""
    return "depthwise" if groups == C else "grouped"


def check(name, g, xp, dtype, wdtype):
    """Refuse, in one sentence, an algorithm asked for by name that cannot compute this layer."""
    if name not in NAMES:
        raise ValueError(f"conv2d: unknown algorithm {name!r}; choose 'auto' or one of {', '.join(NAMES)}")
    if name == "pointwise" and not g.pointwise:
        raise ValueError(f"conv2d: algorithm='pointwise' needs a 1x1 kernel with stride 1 and no padding, "
                         f"got kernel {g.R}x{g.S}, stride {(g.sh, g.sw)}, padding {g.padding}")
    if name in ("winograd", "winograd4x4"):
        if not winograd_can(g):
            raise ValueError(f"conv2d: algorithm={name!r} computes 3x3 kernels with stride 1 and padding at "
                             f"most 2, got kernel {g.R}x{g.S}, stride {(g.sh, g.sw)}, padding {g.padding}")
        if dtype not in (np.float32, np.float64) or dtype != wdtype:
            raise ValueError(f"conv2d: algorithm={name!r} needs float32 or float64 input and weight of one "
                             f"dtype, got {np.dtype(dtype)} and {np.dtype(wdtype)}")
        if xp is not np:
            raise ValueError(f"conv2d: algorithm={name!r} runs on the CPU only; on a GPU use 'auto' or 'im2col'")
