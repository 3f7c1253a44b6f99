"""Memory layouts of (N, C, H, W) activations: NCHW, or batch-last, (C, H, W, N) in memory.

Batch-last is the layout conv2d's batch_last algorithm leaves its output in (see
minicnn/functional/conv.py); ReLU, pooling, batch norm and dropout keep their input's layout, so
they ask :func:`batch_last` which it is and make their results with :func:`alloc_nchw`.
"""


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
