"""How large a piece of column matrix conv2d should make at a time on the CPU (mc.config.col_budget).

Each layer of cifar10_VGG16 (batch 64, batch-last input, as in the model) and LeNet-5 (batch 128
and 32) runs forward + backward with every budget in turn, and PyTorch's convolution in the same
rounds, alternating with the pause between turns; medians. The ratio column is against the first
budget named.

    python benchmarks/col_budget.py                  # budgets 32, 16, 8 and 4 MB
    python benchmarks/col_budget.py --budgets 32,16
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

from timing import compare, fix_threads, machine  # noqa: E402

# N, C, H (= W), K, kernel, padding
LAYERS = [(64, 64, 32, 64, 3, 1), (64, 64, 16, 128, 3, 1), (64, 128, 16, 128, 3, 1), (64, 256, 8, 256, 3, 1),
          (64, 512, 4, 512, 3, 1), (128, 1, 28, 6, 5, 2), (128, 6, 14, 16, 5, 0), (32, 1, 28, 6, 5, 2),
          (32, 6, 14, 16, 5, 0)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budgets", default="32,16,8,4", help="MB, comma-separated; ratios against the first")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    blas = fix_threads(2)
    import torch
    import minicnn as mc
    import minicnn.functional as F
    budgets = [int(b) << 20 for b in args.budgets.split(",")]
    print(f"# {machine()}, 2 threads, BLAS {blas}; conv2d forward + backward, batch-last input; "
          f"median of {args.rounds} alternating rounds")
    rng = np.random.default_rng(0)
    default = mc.config.col_budget
    for N, C, H, K, R, p in LAYERS:
        x = np.ascontiguousarray(rng.standard_normal((C, H, H, N), dtype=np.float32)).transpose(3, 0, 1, 2)
        w = rng.standard_normal((K, C, R, R), dtype=np.float32) * 0.05
        OH = H + 2 * p - R + 1
        g = np.ascontiguousarray(rng.standard_normal((K, OH, OH, N), dtype=np.float32)).transpose(3, 0, 1, 2)
        X, W, G = mc.tensor(x, requires_grad=C > 1), mc.tensor(w, requires_grad=True), mc.tensor(g)
        tx = torch.tensor(np.ascontiguousarray(x), requires_grad=C > 1)
        tw, tg = torch.tensor(w, requires_grad=True), torch.tensor(np.ascontiguousarray(g))

        def ours(budget):
            def run():
                mc.config.col_budget = budget
                X.grad = W.grad = None
                F.conv2d(X, W, padding=p).backward(G)
            return run

        def theirs():
            tx.grad = tw.grad = None
            torch.nn.functional.conv2d(tx, tw, padding=p).backward(tg)

        funcs = {f"{b >> 20} MB": ours(b) for b in budgets}
        funcs["PyTorch"] = theirs
        res = compare(funcs, rounds=args.rounds, block_time=0.5)
        mc.config.col_budget = default
        base = res[f"{budgets[0] >> 20} MB"]
        cells = "  ".join(f"{k} {v * 1e3:.2f} ms ({v / base:.3f})" for k, v in res.items() if k != "PyTorch")
        print(f"N{N} C{C} {H}x{H} K{K} {R}x{R}: {cells}  PyTorch {res['PyTorch'] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
