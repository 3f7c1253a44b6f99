"""Batch norm's thresholds on row length, each at several values: where repeating per-channel vectors
pays (norm.REPEAT_ROWS), and where a dot product a row does (norm.DOT_ROWS).

minicnn.functional.norm walks rows (H*W values of one image and channel) shorter than norm.REPEAT_ROWS
as whole blocks, each per-channel vector repeated along the row, and longer rows one by one; its
per-channel sums of products are one dot product a row (np.vecdot) for rows of DOT_ROWS values or
more, a product summed by ones below. This times batch norm (training mode, forward + backward, every
gradient) at row lengths from 4 to 1024 with the chosen threshold set to each of several values in
turn, alternating in one process (timing.compare), and prints each value's time over the first's.

    python benchmarks/bn_rows.py                       # REPEAT_ROWS at 128, 512, 1024
    python benchmarks/bn_rows.py --thresholds 128,512,2048
    python benchmarks/bn_rows.py --setting DOT_ROWS --thresholds 4096,16,32,64
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from timing import compare, fix_threads, machine  # noqa: E402

# (N, C, H, W): MobileNetV2's maps at batch 4 on CIFAR, ResNet-50's 7x7, 14x14 and 28x28 at batch 2
SHAPES = [(4, 1280, 2, 2), (4, 960, 4, 4), (2, 2048, 7, 7), (4, 384, 8, 8), (2, 1024, 14, 14), (4, 192, 16, 16),
          (4, 32, 16, 16), (2, 256, 28, 28), (4, 144, 32, 32)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--setting", default="REPEAT_ROWS", choices=["REPEAT_ROWS", "DOT_ROWS"])
    ap.add_argument("--thresholds", default="128,512,1024")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    blas = fix_threads(args.threads)
    import minicnn as mc
    import minicnn.functional as F
    from minicnn.functional import norm
    thresholds = [int(t) for t in args.thresholds.split(",")]
    print(f"# {machine()}; BLAS {blas}; batch norm, training, forward + backward; median of {args.rounds} "
          f"alternating rounds; ms, and the ratio to the first threshold")
    print("| shape | row | " + " | ".join(f"{args.setting} {t}" for t in thresholds) + " |")
    print("|---|---:|" + "---:|" * len(thresholds))
    rng = np.random.default_rng(0)
    for N, C, H, W in SHAPES:
        x = mc.tensor(rng.standard_normal((N, C, H, W), dtype=np.float32), requires_grad=True)
        g = mc.tensor(rng.standard_normal((N, C, H, W), dtype=np.float32))
        w, b = (mc.tensor(np.full(C, v, np.float32), requires_grad=True) for v in (1, 0))
        rm, rv = np.zeros(C, np.float32), np.ones(C, np.float32)

        def step(threshold):
            def run():
                setattr(norm, args.setting, threshold)
                x.grad = w.grad = b.grad = None
                F.batch_norm(x, rm, rv, w, b, training=True).backward(g)
            return run
        t = compare({th: step(th) for th in thresholds}, rounds=args.rounds, block_time=0.2, settle=0.1)
        base = t[thresholds[0]]
        cells = [f"{t[th] * 1e3:.2f} ({t[th] / base:.2f})" for th in thresholds]
        print(f"| {N}x{C}@{H}x{W} | {H * W} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
