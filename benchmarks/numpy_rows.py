"""A per-channel value broadcast over rows, x - m[:, None], at NumPy's buffer sizes, and PyTorch's time.

NumPy walks an element-wise op whose operands share no single stride (here: m is broadcast along the
rows) through its buffer, 8192 elements by default, and copies rows shorter than the buffer into it.
This times the op on 512 KB of float32 cut into rows of several lengths, with the default buffer and
with the buffer minicnn.layout.rows_of picks for that row length (the power of two at least as long),
and PyTorch's x - m[:, None] on the same arrays, alternating, one thread each (the op is one pass).

    python benchmarks/numpy_rows.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from timing import compare, fix_threads, machine  # noqa: E402

ROWS = [49, 196, 784, 3136, 8192, 12544]           # ResNet-50's maps from 7x7 to 112x112, and the buffer


def main():
    import torch
    from minicnn.layout import rows_of
    blas = fix_threads(1)
    print(f"# {machine()}, BLAS {blas}, NumPy {np.__version__}, torch {torch.__version__}, 1 thread; "
          f"x (rows, L) float32 of 512 KB, x - m[:, None] into a preallocated output, microseconds")
    print("| row length L | rows | NumPy, buffer 8192 | NumPy, rows_of(L) | PyTorch | rows_of / 8192 |")
    print("|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for L in ROWS:
        n = max(1, (128 << 10) // L)
        x, m = rng.standard_normal((n, L), dtype=np.float32), rng.standard_normal((n, 1), dtype=np.float32)
        out = np.empty_like(x)
        tx, tm, tout = torch.from_numpy(x), torch.from_numpy(m), torch.empty(n, L)
        reps = 200

        def default():
            for _ in range(reps):
                np.subtract(x, m, out=out)

        def fitted():
            with rows_of(L):
                for _ in range(reps):
                    np.subtract(x, m, out=out)

        def theirs():
            for _ in range(reps):
                torch.sub(tx, tm, out=tout)
        t = compare({"default": default, "fitted": fitted, "torch": theirs}, rounds=7, warmup=1, settle=0.05)
        us = {k: v / reps * 1e6 for k, v in t.items()}
        print(f"| {L} | {n} | {us['default']:.1f} | {us['fitted']:.1f} | {us['torch']:.1f} | "
              f"{us['fitted'] / us['default']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
