"""Every core busy outside the GEMMs: NumPy work over parts of an array, on a small thread pool.

BLAS runs a GEMM on every core; a NumPy ufunc, copy or reduction runs on one. But NumPy releases
the GIL inside them, so threads that run NumPy on different parts of an array run at once. Two
ways to hand work out, both computing exactly what one thread computes (each element, and each
sum, is produced by the same operations in the same order):

    map_runs(fn, items)             # fn(run) over contiguous runs of items, a run per thread;
                                    # the results of every run joined, in item order
    elementwise(fn, outs, ins)      # fn(*outs, *ins) over blocks of the arrays' memory

The caller's thread takes the first run itself. Work smaller than config.thread_min_elements a thread
stays on the caller's thread, as does everything on a GPU. The number of threads, :func:`count`,
is the setting ``threads`` (minicnn/configuration.py: MINICNN_THREADS, else OMP_NUM_THREADS, which
minicnn.distributed sets when ranks share a machine, else the cores this process may run on;
``with mc.using_config(threads=1):`` for a block).

OpenBLAS keeps its threads spinning for a while after each GEMM, and a spinning
thread holds the core a NumPy thread wanted: by default the threads here win little in a network,
where a GEMM comes before almost everything. OPENBLAS_THREAD_TIMEOUT=4 in the environment (before
NumPy is imported) puts OpenBLAS's threads to sleep at once; it is not set for you, because each
GEMM then pays for waking them, which costs small models such as LeNet-5 more than the threads
save (RESULTS.md, "Threads", has both sides).
"""
import threading

import numpy as np

from .configuration import config

# A thread's share must be at least config.thread_min_elements (RESULTS.md, "Threads"), and
# elementwise() goes through its arrays in blocks of config.thread_block elements, so that the passes
# of fn over one block find it still in the cache (minicnn/configuration.py).
_pool = None
_pool_size = 0
_lock = threading.Lock()


def count():
    """How many threads the chunked ops use: the setting ``threads`` (minicnn/configuration.py)."""
    return config.threads


def set_count(n):
    """Use ``n`` threads from now on (1: everything on the caller's thread), as ``config.threads = n``.
    Returns the old count."""
    old = count()
    config.threads = max(1, int(n))
    return old


def _executor():
    global _pool, _pool_size
    with _lock:
        if _pool is not None and _pool_size < count() - 1:             # too small for the setting: made again
            _pool.shutdown(wait=True)
            _pool = None
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor
            _pool_size = max(1, count() - 1)                            # the caller's thread is the other one
            _pool = ThreadPoolExecutor(_pool_size, thread_name_prefix="minicnn")
        return _pool


def split(n, parts):
    """[0, n) cut into ``parts`` contiguous ranges of near-equal length."""
    return [(n * i // parts, n * (i + 1) // parts) for i in range(parts)]


def map_runs(fn, items, elements=None):
    """fn(run) for contiguous runs of ``items``, one run per thread, joined in item order: fn returns
    a list (one entry per item of its run). ``elements``: the work's size in array elements, to keep
    small work on the caller's thread (default: run threaded whenever there are items to share)."""
    n = count() if elements is None else min(count(), elements // config.thread_min_elements)
    n = min(n, len(items))
    if n <= 1 or threading.current_thread().name.startswith("minicnn"):   # a worker never waits on the pool
        return fn(items)
    runs = [items[a:b] for a, b in split(len(items), n)]
    futures = [_executor().submit(fn, run) for run in runs[1:]]
    out = fn(runs[0])
    for f in futures:
        out = out + f.result()
    return out


def flat(a):
    """The elements of ``a`` as a 1-D view in memory order, and the axis order that gives it; None
    when ``a`` is not one dense block of memory (a slice with gaps, a broadcast)."""
    order = tuple(sorted(range(a.ndim), key=lambda i: (-abs(a.strides[i]), i)))
    v = a.transpose(order)
    if not v.flags.c_contiguous:
        return None, order
    return v.reshape(-1), order


def elementwise(fn, outs, ins):
    """fn(*outs, *ins) for arrays of one shape and one memory layout, run over blocks of
    config.thread_block elements (every pass of fn over a block while it is in the cache) split among the threads.
    With any other layout, shape or device, fn runs once on the whole arrays."""
    arrays = list(outs) + list(ins)
    a0 = arrays[0]
    block = config.thread_block
    if a0.size <= 4 * block or type(a0) is not np.ndarray:            # fits in the cache whole, or a GPU's
        return fn(*arrays)
    if any(type(a) is not np.ndarray or a.shape != a0.shape for a in arrays):
        return fn(*arrays)
    views = [flat(a) for a in arrays]
    if any(v is None or order != views[0][1] for v, order in views):
        return fn(*arrays)
    flats = [v for v, _ in views]
    size = flats[0].size

    def run(ranges):
        for lo, hi in ranges:
            for b in range(lo, hi, block):
                fn(*(f[b:min(hi, b + block)] for f in flats))
        return []

    map_runs(run, split(size, count()), elements=size)


def copy(dst, src):
    """dst[...] = src, split among the threads along the first axis long enough to share (each
    thread copies its own slab: the same bytes land in the same places)."""
    if type(dst) is not np.ndarray or dst.size < 2 * config.thread_min_elements or count() == 1:
        dst[...] = src
        return
    axis = next((i for i, n in enumerate(dst.shape) if n >= count()), None)
    if axis is None:
        dst[...] = src
        return
    cut = (slice(None),) * axis

    def run(ranges):
        for a, b in ranges:
            dst[cut + (slice(a, b),)] = src[cut + (slice(a, b),)]
        return []
    map_runs(run, split(dst.shape[axis], count()), elements=dst.size)
