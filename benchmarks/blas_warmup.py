"""Shows the OpenBLAS warm-up effect that minicnn.cpu_tuning.warm_up_blas works around.

Runs in a fresh process each time (the effect lasts for the life of a process):
the median time of a convolution-shaped GEMM (64 x 576 @ 576 x 69632, float32),
cold and after one 512x512 GEMM.

    python benchmarks/blas_warmup.py
"""
import subprocess
import sys

CHILD = r"""
import statistics, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
threadpool_limits(2)
a = np.random.rand(64, 576).astype(np.float32); b = np.random.rand(576, 64 * 1088).astype(np.float32)
if sys.argv[1] == "warm":
    w = np.ones((512, 512), np.float32); w @ w
ts = []
for _ in range(7):
    t0 = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t0)
print(statistics.median(ts) * 1e3)
"""


def main():
    for rep in range(2):
        cold = float(subprocess.check_output([sys.executable, "-c", CHILD, "cold"]))
        warm = float(subprocess.check_output([sys.executable, "-c", CHILD, "warm"]))
        print(f"GEMM 64x576 @ 576x69632: cold process {cold:.1f} ms, after one 512^3 GEMM {warm:.1f} ms "
              f"({cold / warm:.2f}x)")


if __name__ == "__main__":
    main()
