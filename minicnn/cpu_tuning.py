"""CPU settings that make NumPy training faster, applied once training starts (``mc.tune_cpu()``).

They change the whole process, not one array, so no op, forward or backward, applies them:
``fit``, ``evaluate``, ``predict`` and the command line call :func:`tune_cpu` before their first
step, and a hand-written training loop gets them from its first optimizer step on CPU parameters
(a loop ported from PyTorch by its imports alone has no line that could call tune_cpu, and would
otherwise fault in fresh pages every step: RESULTS.md, "A hand-written loop"). Calling ``mc.tune_cpu()`` yourself applies them before the first step. Without them
everything computes the same numbers, more slowly: the measurements are in benchmarks/RESULTS.md
("BLAS warm-up", "malloc settings").

One setting only the environment can make, before NumPy is imported: OPENBLAS_THREAD_TIMEOUT=4
stops OpenBLAS's threads spinning after each GEMM, so that minicnn's own threads (minicnn/threads.py)
find the cores free; it speeds the VGGs up and slows LeNet-5 down a little, so it is left to you
(RESULTS.md, "Threads").
"""
import numpy as np

# ---------------------------------------------------------------- BLAS warm-up
_blas_warm = False


def warm_up_blas():
    """Run one 512x512 float32 GEMM, once per process, before the first CPU layer.

    Until a GEMM with many rows has run in the process, OpenBLAS runs the short-and-wide
    GEMMs of a convolution markedly slower, for good after one such GEMM (RESULTS.md,
    "BLAS warm-up"). The cause lies inside OpenBLAS's thread and buffer set-up; this costs
    a few milliseconds once.
    """
    global _blas_warm
    if not _blas_warm:
        _blas_warm = True
        a = np.ones((512, 512), dtype=np.float32)
        a @ a


# ---------------------------------------------------------------- heap
_heap_kept = False
TRIM_ABOVE = 1 << 30          # free memory at the top of the heap beyond this goes back to the kernel


def keep_freed_memory():
    """Ask glibc's malloc, once per process, to serve every block from its heap and keep freed
    blocks there for reuse (up to 1 GB of free memory at the heap's top).

    A training step frees and allocates the same arrays again every step. By default
    glibc serves large blocks with mmap (above a threshold that moves with what was
    freed last) and returns them, and the top of its heap, to the kernel when freed;
    the next step then writes to fresh pages, and the kernel zero-fills every page on
    its first write: page faults every training step, costly for a small step such as
    LeNet-5's and for VGG-16's largest gradients (RESULTS.md, "Malloc settings").
    With M_MMAP_MAX = 0 (no block mmapped; glibc still falls back to mmap when its heap
    cannot grow) and M_TRIM_THRESHOLD = 1 GB, freed blocks stay in the process and are
    reused: no faults after the first steps, and the same peak memory. Up to 1 GB of freed memory may stay idle in the
    process. Only with glibc; MINICNN_KEEP_MEMORY=0 turns it off.
    Returns True when the setting was applied (in this call or before).
    """
    global _heap_kept
    if _heap_kept:
        return True
    import sys
    from .configuration import config
    if not config.keep_memory or not sys.platform.startswith("linux"):
        return False
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version               # glibc, not musl
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    _heap_kept = bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_ABOVE))
    return _heap_kept


def tune_cpu():
    """Apply both process-wide settings (once; later calls do nothing): glibc keeps freed memory
    for reuse, and OpenBLAS is warmed up. fit, evaluate, predict, the command line and the first
    optimizer step on the CPU call it. Returns whether the malloc setting is in force (False off
    glibc or with MINICNN_KEEP_MEMORY=0)."""
    kept = keep_freed_memory()
    warm_up_blas()
    return kept
