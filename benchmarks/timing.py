"""Shared timing method for the benchmarks: same run, alternating, warm-up, medians.

This machine's timings drift by about 15% over minutes, so minicnn and PyTorch
are never timed in separate blocks: each round times one block of calls of
each, in turn, and the medians over the rounds are compared.

Between blocks the process sleeps (``settle``). OpenBLAS's worker thread keeps
spinning for about 0.1-0.15 s after a NumPy matrix product returns, on one of
this machine's two cores: measured here, a PyTorch convolution started right
after a NumPy GEMM took 2-3x its time (54-76 ms against 26 ms), and needed a
0.15 s pause to be back to normal. Without the pause every alternating
benchmark charged part of minicnn's BLAS spin to PyTorch.
"""
import os
import platform
import statistics
import time


def fix_threads(n):
    """Pin BLAS (through threadpoolctl) and PyTorch to ``n`` threads, and apply minicnn's CPU settings
    as fit would (mc.tune_cpu: malloc, BLAS warm-up); return the BLAS description."""
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(n)
    try:
        import minicnn
        minicnn.tune_cpu()
    except (ImportError, AttributeError):                     # an old minicnn (ab.py): its ops tune themselves
        pass
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads)"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(blas) or "unknown BLAS"


def cpu_model():
    """The CPU's model name and its widest vector instructions (AVX-512, AVX2, ...), from /proc/cpuinfo:
    a table must never be read for a machine it was not measured on."""
    try:
        info = open("/proc/cpuinfo").read()
    except OSError:
        return platform.processor() or platform.machine()
    name = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")),
                platform.machine())
    flags = set(next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), []))
    isa = next((label for flag, label in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"),
                                          ("asimd", "NEON")) if flag in flags), "no AVX")
    return f"{name} ({isa})"


def machine():
    return f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def compare(funcs, rounds=7, warmup=2, min_time=None, sync=None, block_time=0.0, settle=0.5):
    """Time each callable in ``funcs`` (a dict name -> fn), alternating; return name -> median seconds per call.

    ``sync`` is called before reading the clock (e.g. a GPU synchronize).
    ``min_time``: keep adding rounds until the slowest candidate has run this many seconds.
    ``block_time``: in each round, call each candidate back to back for about this long and
    count the mean per call. Short calls need it: one call alone, after the settle pause, would
    be timed with the wake-up of sleeping worker threads.
    ``settle``: seconds of sleep after every timed block (and after the warm-up), untimed, so
    that the worker threads of the candidate just timed are idle before the next one starts.
    """
    sync = sync or (lambda: None)
    reps = {}
    for name, fn in funcs.items():
        for _ in range(warmup):
            fn()
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        reps[name] = max(1, int(block_time / max(time.perf_counter() - t0, 1e-9))) if block_time else 1
        time.sleep(settle)
    times = {name: [] for name in funcs}
    r = 0
    while r < rounds or (min_time and sum(max(times.values(), key=sum)) < min_time and r < 50):
        for name, fn in funcs.items():
            sync()
            t0 = time.perf_counter()
            for _ in range(reps[name]):
                fn()
            sync()
            times[name].append((time.perf_counter() - t0) / reps[name])
            if settle:
                time.sleep(settle)
        r += 1
    return {name: statistics.median(ts) for name, ts in times.items()}
