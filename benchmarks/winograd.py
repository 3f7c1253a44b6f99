"""3x3 convolutions, forward + backward: Winograd F(2x2, 3x3) and F(4x4, 3x3) vs im2col + GEMM vs PyTorch.

The layers of VGG-16 (224x224) and ResNet-50's 3x3 convolutions at batch 2, or with --cifar
those of VGG-16 on 32x32 images at batch 64 (conv2d works batch-last from 16 images; the
inputs are laid out as the layer before would leave them): minicnn's conv2d with
algorithm="winograd" and "winograd4x4", with the im2col algorithm of that batch ("im2col", or "batch_last" from 16
images), and PyTorch, alternating in the same run. The "used" column says which conv2d picks by
itself ("auto"), so the table is the evidence for the choice in conv_algorithms/choice.py.

    python benchmarks/winograd.py
    python benchmarks/winograd.py --batch 4 --rounds 7
    python benchmarks/winograd.py --cifar
    python benchmarks/winograd.py --batch 64 --layer 64,64,32 --budget 16    # one layer, smaller pieces
"""
import argparse

import numpy as np

from timing import compare, fix_threads, machine

LAYERS = [  # (C, K, H): padding 1, stride 1, H x H input
    (64, 64, 224), (64, 128, 112), (128, 128, 112), (128, 256, 56), (256, 256, 56),
    (256, 512, 28), (512, 512, 28), (512, 512, 14),                  # VGG-16
    (64, 64, 56), (128, 128, 28), (256, 256, 14), (512, 512, 7),      # ResNet-50
]
CIFAR_LAYERS = [(64, 64, 32), (64, 128, 16), (128, 128, 16), (128, 256, 8), (256, 256, 8), (256, 512, 4),
                (512, 512, 4), (512, 512, 2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=None, help="default 2, or 64 with --cifar")
    ap.add_argument("--cifar", action="store_true", help="VGG-16's layers on 32x32 inputs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--layer", action="append", default=None, metavar="C,K,H",
                    help="time this layer instead of the list (repeatable)")
    ap.add_argument("--budget", type=int, default=None, metavar="MB",
                    help="bytes of transformed input a batch-last Winograd piece may take in this run "
                         "(choice.WINOGRAD_BATCH_LAST_BUDGETS times config.col_budget)")
    args = ap.parse_args()
    batch = args.batch or (64 if args.cifar else 2)
    blas = fix_threads(args.threads)
    import torch
    import minicnn as mc
    import minicnn.functional as F
    from minicnn.functional.conv_algorithms import choice
    from minicnn.functional.conv_algorithms.im2col import ConvGeometry

    print(f"# {machine()}, BLAS {blas}, torch {torch.__version__}, batch {batch}, forward + backward, "
          f"medians of {args.rounds} rounds, ms")
    print(f"{'layer':<22}{'winograd':>10}{'wino4x4':>9}{'im2col':>9}{'torch':>9}{'wino/im2col':>13}"
          f"{'4x4/im2col':>12}{'4x4/torch':>11}  used")
    if args.budget:
        mc.config.col_budget = max(1, (args.budget << 20) // choice.WINOGRAD_BATCH_LAST_BUDGETS)
    layers = [tuple(int(v) for v in spec.split(",")) for spec in args.layer] if args.layer else None
    rng = np.random.default_rng(0)
    for C, K, H in layers or (CIFAR_LAYERS if args.cifar else LAYERS):
        N = batch
        x = rng.standard_normal((N, C, H, H)).astype(np.float32)
        w = (rng.standard_normal((K, C, 3, 3)) * (2 / (9 * C)) ** 0.5).astype(np.float32)
        b = np.zeros(K, np.float32)
        gy = rng.standard_normal((N, K, H, H)).astype(np.float32)
        if N >= choice.BATCH_LAST_MIN:                                  # as the previous layer leaves them
            x, gy = (np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2) for a in (x, gy))
        X, Wt, B = (mc.Tensor(a, requires_grad=True) for a in (x, w, b))
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tg = torch.tensor(gy)

        def ours(algorithm):
            def run():
                F.conv2d(X, Wt, B, padding=1, algorithm=algorithm).backward(gy)
                X.grad = Wt.grad = B.grad = None
            return run

        def theirs():
            torch.nn.functional.conv2d(tx, tw, tb, padding=1).backward(tg)
            tx.grad = tw.grad = tb.grad = None

        im2col = "batch_last" if N >= choice.BATCH_LAST_MIN else "im2col"
        r = compare({"winograd": ours("winograd"), "wino4": ours("winograd4x4"), "im2col": ours(im2col),
                     "torch": theirs},
                    rounds=args.rounds, warmup=1, block_time=0.4, settle=0.2)
        used = choice.choose(ConvGeometry(x.shape, (3, 3), (1, 1), (1, 1, 1, 1)), K, np, x.dtype, w.dtype)
        name = f"{C}->{K} @{H}x{H}"
        print(f"{name:<22}{r['winograd'] * 1e3:>10.1f}{r['wino4'] * 1e3:>9.1f}{r['im2col'] * 1e3:>9.1f}"
              f"{r['torch'] * 1e3:>9.1f}{r['winograd'] / r['im2col']:>12.2f}x{r['wino4'] / r['im2col']:>11.2f}x"
              f"{r['wino4'] / r['torch']:>10.2f}x  {used}", flush=True)


if __name__ == "__main__":
    main()
