"""conv2d (depthwise too), max_pool2d, batch_norm, relu, sigmoid and linear, forward + backward: minicnn vs PyTorch
in the same run.

    python benchmarks/ops.py                 # CPU, 2 threads
    python benchmarks/ops.py --device cuda   # CuPy vs PyTorch CUDA (cuDNN on)
    python benchmarks/ops.py --markdown      # also print the Markdown table for RESULTS.md

Each case: random float32 input, weight and upstream gradient; one timed call
is forward + backward with all gradients (input, weight, bias). Reported: the
median over alternating rounds and the ratio minicnn / PyTorch (lower is better).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minicnn as mc  # noqa: E402
import minicnn.functional as F  # noqa: E402
from timing import compare, fix_threads, machine  # noqa: E402

# (name, N, C, H, W, K, R, stride, padding)
CONV_CASES = [
    ("conv 64x64@32x32 k64 3x3 p1", 64, 64, 32, 32, 64, 3, 1, 1),
    ("conv 8x256@56x56 k256 3x3 p1", 8, 256, 56, 56, 256, 3, 1, 1),
    ("conv 4x64@224x224 k64 3x3 p1", 4, 64, 224, 224, 64, 3, 1, 1),
    ("conv 64x128@16x16 k128 3x3 p1", 64, 128, 16, 16, 128, 3, 1, 1),
    ("conv 32x3@227x227 k96 11x11 s4", 32, 3, 227, 227, 96, 11, 4, 0),
    ("conv 32x192@28x28 k64 1x1", 32, 192, 28, 28, 64, 1, 1, 0),
]
# (name, N, C, H, W, K, R, stride, padding, groups): depthwise layers of kuangliu's MobileNetV2 (3x3) and
# EfficientNetB0 (5x5) at batch 4 on CIFAR
DEPTHWISE_CASES = [
    ("depthwise 4x144@32x32 3x3 p1", 4, 144, 32, 32, 144, 3, 1, 1, 144),
    ("depthwise 4x144@32x32 3x3 s2 p1", 4, 144, 32, 32, 144, 3, 2, 1, 144),
    ("depthwise 4x192@16x16 3x3 p1", 4, 192, 16, 16, 192, 3, 1, 1, 192),
    ("depthwise 4x384@8x8 3x3 p1", 4, 384, 8, 8, 384, 3, 1, 1, 384),
    ("depthwise 4x960@4x4 3x3 p1", 4, 960, 4, 4, 960, 3, 1, 1, 960),
    ("depthwise 4x480@8x8 5x5 p2", 4, 480, 8, 8, 480, 5, 1, 2, 480),
]

# (name, N, C, H, W, kernel, stride, padding)
POOL_CASES = [
    ("maxpool 64x64@32x32 2/2", 64, 64, 32, 32, 2, 2, 0),
    ("maxpool 32x96@55x55 3/2", 32, 96, 55, 55, 3, 2, 0),
    ("maxpool 32x192@28x28 3/1 p1", 32, 192, 28, 28, 3, 1, 1),
]

# (name, N, C, H, W): training-mode batch norm, ResNet-50's shapes at batch 2, and MobileNetV2's
# at batch 4 on CIFAR (rows of 1024, 256, 64 and 16 values)
BN_CASES = [
    ("batchnorm 2x64@112x112", 2, 64, 112, 112),
    ("batchnorm 2x256@56x56", 2, 256, 56, 56),
    ("batchnorm 2x512@28x28", 2, 512, 28, 28),
    ("batchnorm 2x1024@14x14", 2, 1024, 14, 14),
    ("batchnorm 4x144@32x32", 4, 144, 32, 32),
    ("batchnorm 4x192@16x16", 4, 192, 16, 16),
    ("batchnorm 4x576@8x8", 4, 576, 8, 8),
    ("batchnorm 4x960@4x4", 4, 960, 4, 4),
]

# (name, N, C, H, W): ReLU, MobileNetV2's largest map at batch 4 and VGG-16's first at batch 8; sigmoid,
# EfficientNetB0's swish on its largest maps at batch 4
ACTIVATION_CASES = [
    ("relu 4x144@32x32", 4, 144, 32, 32),
    ("relu 8x64@224x224", 8, 64, 224, 224),
    ("sigmoid 4x96@32x32", 4, 96, 32, 32),
    ("sigmoid 4x144@16x16", 4, 144, 16, 16),
]

# (name, rows, in_features, out_features): VGG-16's fc1 and fc2 at batch 1, 2 and 8, LeNet-5's fc1 at 128
LINEAR_CASES = [
    ("linear 1x25088 -> 4096", 1, 25088, 4096),
    ("linear 2x25088 -> 4096", 2, 25088, 4096),
    ("linear 8x25088 -> 4096", 8, 25088, 4096),
    ("linear 2x4096 -> 4096", 2, 4096, 4096),
    ("linear 128x784 -> 120", 128, 784, 120),
]


def conv_case(device, N, C, H, W, K, R, stride, padding, groups=1):
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = rng.standard_normal((K, C // groups, R, R), dtype=np.float32) * 0.05
    b = rng.standard_normal(K, dtype=np.float32)
    OH = (H + 2 * padding - R) // stride + 1
    OW = (W + 2 * padding - R) // stride + 1
    g = rng.standard_normal((N, K, OH, OW), dtype=np.float32)
    return weighted_case(device, x, w, b, g, lambda *a: F.conv2d(*a, stride=stride, padding=padding, groups=groups),
                         lambda *a: torch.nn.functional.conv2d(*a, stride=stride, padding=padding, groups=groups))


def weighted_case(device, x, w, b, g, ours_op, theirs_op):
    """The two timed calls for an op of input, weight and bias: op(x, w, b).backward(g), every
    gradient, in minicnn and in PyTorch on the same arrays."""
    import torch
    X, Wt, B = (mc.tensor(a, device=device, requires_grad=True) for a in (x, w, b))
    G = mc.tensor(g, device=device)
    tdev = "cuda" if device == "cuda" else "cpu"
    tx, tw, tb = (torch.tensor(a, device=tdev, requires_grad=True) for a in (x, w, b))
    tg = torch.tensor(g, device=tdev)

    def ours():
        X.grad = Wt.grad = B.grad = None
        ours_op(X, Wt, B).backward(G)

    def theirs():
        tx.grad = tw.grad = tb.grad = None
        theirs_op(tx, tw, tb).backward(tg)
    return ours, theirs


def pool_case(device, N, C, H, W, k, stride, padding):
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    OH = (H + 2 * padding - k) // stride + 1
    OW = (W + 2 * padding - k) // stride + 1
    g = rng.standard_normal((N, C, OH, OW), dtype=np.float32)
    X = mc.tensor(x, device=device, requires_grad=True)
    G = mc.tensor(g, device=device)
    tdev = "cuda" if device == "cuda" else "cpu"
    tx = torch.tensor(x, device=tdev, requires_grad=True)
    tg = torch.tensor(g, device=tdev)

    def ours():
        X.grad = None
        F.max_pool2d(X, k, stride, padding).backward(G)

    def theirs():
        tx.grad = None
        torch.nn.functional.max_pool2d(tx, k, stride, padding).backward(tg)
    return ours, theirs


def bn_case(device, N, C, H, W):
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    g = rng.standard_normal((N, C, H, W), dtype=np.float32)
    X, G = mc.tensor(x, device=device, requires_grad=True), mc.tensor(g, device=device)
    Wt, B = (mc.tensor(np.full(C, v, np.float32), device=device, requires_grad=True) for v in (1, 0))
    rm, rv = mc.zeros(C, device=device).array, mc.ones(C, device=device).array
    tdev = "cuda" if device == "cuda" else "cpu"
    tx, tg = torch.tensor(x, device=tdev, requires_grad=True), torch.tensor(g, device=tdev)
    tw, tb = (torch.full((C,), float(v), device=tdev, requires_grad=True) for v in (1, 0))
    trm, trv = torch.zeros(C, device=tdev), torch.ones(C, device=tdev)

    def ours():
        X.grad = Wt.grad = B.grad = None
        F.batch_norm(X, rm, rv, Wt, B, training=True).backward(G)

    def theirs():
        tx.grad = tw.grad = tb.grad = None
        torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True).backward(tg)
    return ours, theirs


def activation_case(device, N, C, H, W, name):
    """relu or sigmoid (``name``), forward and backward, in both libraries."""
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    g = rng.standard_normal((N, C, H, W), dtype=np.float32)
    X, G = mc.tensor(x, device=device, requires_grad=True), mc.tensor(g, device=device)
    tx, tg = (torch.tensor(a, device="cuda" if device == "cuda" else "cpu") for a in (x, g))
    tx.requires_grad_()

    def ours():
        X.grad = None
        getattr(F, name)(X).backward(G)

    def theirs():
        tx.grad = None
        getattr(torch, name)(tx).backward(tg)
    return ours, theirs


def linear_case(device, rows, n_in, n_out):
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, n_in), dtype=np.float32)
    w = rng.standard_normal((n_out, n_in), dtype=np.float32) * 0.01
    b = rng.standard_normal(n_out, dtype=np.float32)
    g = rng.standard_normal((rows, n_out), dtype=np.float32)
    return weighted_case(device, x, w, b, g, F.linear, torch.nn.functional.linear)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", default="", help="run only cases whose name contains this text")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    import torch
    blas = fix_threads(args.threads)
    sync = None
    if args.device == "cuda":
        import cupy
        torch.backends.cudnn.enabled = True

        def sync():
            cupy.cuda.Device().synchronize()
            torch.cuda.synchronize()
        dev = f"{cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()} (CuPy {cupy.__version__})"
    else:
        dev = f"CPU, {args.threads} threads, BLAS: {blas}"
    print(f"# minicnn vs PyTorch {torch.__version__}, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"# device: {dev}; float32; forward + backward; median of {args.rounds} alternating rounds")
    rows = []
    cases = [(c[0], conv_case, c[1:]) for c in CONV_CASES + DEPTHWISE_CASES]
    cases += [(c[0], pool_case, c[1:]) for c in POOL_CASES]
    cases += [(c[0], bn_case, c[1:]) for c in BN_CASES]
    cases += [(c[0], activation_case, c[1:] + (c[0].split()[0],)) for c in ACTIVATION_CASES]
    cases += [(c[0], linear_case, c[1:]) for c in LINEAR_CASES]
    for name, make, params in cases:
        if args.only and args.only not in name:
            continue
        ours, theirs = make(args.device, *params)
        t = compare({"minicnn": ours, "torch": theirs}, rounds=args.rounds, sync=sync, block_time=0.3,
                    settle=0.0 if args.device == "cuda" else 0.5)   # the pause is for OpenBLAS (timing.py)
        ratio = t["minicnn"] / t["torch"]
        rows.append((name, t["minicnn"] * 1e3, t["torch"] * 1e3, ratio))
        print(f"{name:34s} minicnn {t['minicnn'] * 1e3:9.2f} ms   torch {t['torch'] * 1e3:9.2f} ms   ratio {ratio:5.2f}x",
              flush=True)
    if args.markdown:
        print("\n| case (fwd+bwd) | minicnn ms | PyTorch ms | ratio |\n|---|---:|---:|---:|")
        for name, a, b, r in rows:
            print(f"| {name} | {a:.2f} | {b:.2f} | {r:.2f}x |")


if __name__ == "__main__":
    main()
