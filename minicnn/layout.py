"""Memory layouts of (N, C, H, W) activations: NCHW, or batch-last, (C, H, W, N) in memory.

Batch-last is the layout conv2d's batch_last algorithm leaves its output in (see
minicnn/functional/conv.py); ReLU, pooling, batch norm and dropout keep their input's layout, so
they ask :func:`batch_last` which it is and make their results with :func:`alloc_nchw`.

Channel-first maps give per-channel ops short rows (H*W values); :func:`rows_of` sizes NumPy's
buffer to them (batch norm uses it).
"""
import contextlib

import numpy as np

from .backend import get_array_module
from .configuration import config


def batch_last(a):
    """True when a 4-D (N, C, H, W) array lies in memory as (C, H, W, N): the layout conv2d
    gives its output for large batches (see minicnn/functional/conv.py)."""
    return a.ndim == 4 and a.shape[0] > 1 and a.transpose(1, 2, 3, 0).flags.c_contiguous


def alloc_nchw(alloc, shape, dtype, batch_last_layout):
    """An (N, C, H, W) array from ``alloc`` (xp.empty or xp.zeros): batch-last in memory,
    (C, H, W, N), when ``batch_last_layout``, else C-contiguous."""
    if batch_last_layout:
        N, C, H, W = shape
        return alloc((C, H, W, N), dtype=dtype).transpose(3, 0, 1, 2)
    return alloc(shape, dtype=dtype)


def in_layout(a, batch_last_layout):
    """``a`` (N, C, H, W) in the layout asked for: itself when it is already so laid out, else a copy.
    An op's input gradient comes in its input's layout, so that the op before it, which saved arrays
    in that layout (ReLU's mask), walks both in one order."""
    if batch_last(a) == batch_last_layout and (batch_last_layout or a.flags.c_contiguous):
        return a
    out = alloc_nchw(get_array_module(a).empty, a.shape, a.dtype, batch_last_layout)
    out[...] = a
    return out


# NumPy buffers an element-wise op whose operands cannot all be walked in one stride -- a per-channel
# vector broadcast over rows, as in batch norm -- in chunks of its buffer size (8192 elements), and
# copies rows shorter than that through the buffer; with the buffer no longer than a row, each row is
# one inner loop and nothing is copied (RESULTS.md, "Batch norm's rows", has the timings).
SHORT_ROWS = (128, 8192)


@contextlib.contextmanager
def rows_of(n, xp=None):
    """Within the block, NumPy's buffer size fits rows of ``n`` elements: the power of two at least
    ``n``, for SHORT_ROWS[0] <= n < SHORT_ROWS[1]; otherwise, or for CuPy arrays' module ``xp``, nothing
    changes (shorter rows were faster buffered), nor with config.fit_numpy_buffer off. NumPy keeps the
    setting per thread; it is restored on exit."""
    lo, hi = SHORT_ROWS
    if (xp is not None and xp is not np) or not lo <= n < hi or not config.fit_numpy_buffer:
        yield
        return
    old = np.getbufsize()
    np.setbufsize(1 << (n - 1).bit_length())
    try:
        yield
    finally:
        np.setbufsize(old)
