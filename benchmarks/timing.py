"""Shared timing method for the benchmarks: same run, alternating, warm-up, medians.

This machine's timings drift by about 15% over minutes, so minicnn and PyTorch
are never timed in separate blocks: each round times one call of each, in
turn, and the medians over the rounds are compared.
"""
import os
import platform
import statistics
import time


def fix_threads(n):
    """Pin BLAS (through threadpoolctl) and PyTorch to ``n`` threads; return the BLAS description."""
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(n)
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads)"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(blas) or "unknown BLAS"


def machine():
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def compare(funcs, rounds=7, warmup=2, min_time=None, sync=None, block_time=0.0):
    """Time each callable in ``funcs`` (a dict name -> fn), alternating; return name -> median seconds per call.

    ``sync`` is called before reading the clock (e.g. a GPU synchronize).
    ``min_time``: keep adding rounds until the slowest candidate has run this many seconds.
    ``block_time``: in each round, call each candidate back to back for about this long and
    count the mean per call. Short calls need it: BLAS and OpenMP worker threads keep spinning
    for a while after a call returns, and would steal a core from the other framework's very
    next call if the two alternated call by call.
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
        r += 1
    return {name: statistics.median(ts) for name, ts in times.items()}
