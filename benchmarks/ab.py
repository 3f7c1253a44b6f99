"""Two versions of minicnn head to head, in one process: the working tree against a git revision.

Both packages are imported side by side (the old one extracted with ``git archive`` into a
temporary folder) and timed alternately, with the pause between turns, so that the machine's
drift over minutes hits both alike. What a change buys is the ratio new / old.

    python benchmarks/ab.py HEAD~1 --model resnet50 --batch 2            # a training step
    python benchmarks/ab.py HEAD~1 --model vgg16_cifar --batch 64 --size 32
    python benchmarks/ab.py HEAD~1 --conv 2,256,64,56,1                   # one conv2d, fwd + bwd:
                                                                          # N,C,K,H,kernel (padding k//2)
    python benchmarks/ab.py HEAD~1 --conv 4,144,144,32,3,144,2            # ... with groups and stride
    python benchmarks/ab.py HEAD~1 --conv 32,144,144,32,3,144 --batch-last  # ... input and gy batch-last
    python benchmarks/ab.py HEAD~1 --bn 2,64,112                          # batch norm, training, fwd + bwd
    python benchmarks/ab.py HEAD~1 --grouped mobilenetv2 --batch 4        # a kuangliu model of grouped.py
    python benchmarks/ab.py HEAD~1 --main-job                             # 100 steps of the main job's loop:
                                                                          # LeNet-5, Adam, batch 32, batches
                                                                          # read and transformed by its loader
"""
import argparse
import importlib
import os
import subprocess
import sys
import tempfile

import numpy as np

from timing import compare, fix_threads, machine

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    """Import the minicnn package found in ``path`` as a module object of its own."""
    for name in [k for k in sys.modules if k == "minicnn" or k.startswith("minicnn.")]:
        del sys.modules[name]
    sys.path.insert(0, path)
    try:
        mc = importlib.import_module("minicnn")
        for sub in ("functional", "models", "optim"):
            importlib.import_module("minicnn." + sub)
    finally:
        sys.path.pop(0)
    return mc


def step_fn(mc, args, rng):
    mc.manual_seed(0)
    model = mc.models.get_model(args.model, num_classes=10)
    opt = mc.optim.SGD(model.parameters(), lr=1e-5, momentum=0.9, weight_decay=5e-4)
    channels = 1 if args.model == "lenet5" else 3                   # LeNet-5 reads grey Fashion-MNIST
    x = rng.standard_normal((args.batch, channels, args.size, args.size)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)

    def step():
        opt.zero_grad()
        mc.functional.cross_entropy(model(mc.Tensor(x)), mc.Tensor(y)).backward()
        opt.step()
    return step


def conv_fn(mc, args, rng):
    N, C, K, H, k, groups, stride = ([int(v) for v in args.conv.split(",")] + [1, 1])[:7]
    x = rng.standard_normal((N, C, H, H)).astype(np.float32)
    if args.batch_last:                                             # as conv2d leaves it from 16 images
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    w = (rng.standard_normal((K, C // groups, k, k)) * (2 / (C // groups * k * k)) ** 0.5).astype(np.float32)
    X, Wt = mc.Tensor(x, requires_grad=True), mc.Tensor(w, requires_grad=True)
    OH = (H + 2 * (k // 2) - k) // stride + 1
    gy = rng.standard_normal((N, K, OH, OH)).astype(np.float32)
    if args.batch_last:
        gy = np.ascontiguousarray(gy.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)

    def run():
        mc.functional.conv2d(X, Wt, stride=stride, padding=k // 2, groups=groups).backward(gy)
        X.grad = Wt.grad = None
    return run


def bn_fn(mc, args, rng):
    """Batch norm in training mode, forward + backward with every gradient, on an (N, C, H, H) input
    (batch-last in memory with --batch-last)."""
    N, C, H = [int(v) for v in args.bn.split(",")]
    x = rng.standard_normal((N, C, H, H)).astype(np.float32)
    gy = rng.standard_normal((N, C, H, H)).astype(np.float32)
    if args.batch_last:
        x, gy = (np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2) for a in (x, gy))
    X = mc.Tensor(x, requires_grad=True)
    w, b = (mc.Tensor(np.full(C, v, np.float32), requires_grad=True) for v in (1, 0))
    rm, rv = np.zeros(C, np.float32), np.ones(C, np.float32)

    def run():
        mc.functional.batch_norm(X, rm, rv, w, b, training=True).backward(gy)
        X.grad = w.grad = b.grad = None
    return run


def grouped_fn(mc, args, rng):
    """A training step of one of benchmarks/grouped.py's models (kuangliu's MobileNet family, built
    with minicnn as torch) on 32x32 inputs."""
    from grouped import models, step_fn as grouped_step
    mc.manual_seed(0)
    model = models(mc)[args.grouped]()
    x = rng.standard_normal((args.batch, 3, 32, 32)).astype(np.float32)
    return grouped_step(mc, model, x, rng.integers(0, 10, args.batch))


def main_job_fn(mc, args, rng):
    """The main job's training loop on random Fashion-MNIST-shaped data: DataLoader, ToTensor, LeNet-5, Adam."""
    importlib.import_module("minicnn.data")
    images = rng.integers(0, 256, (3200, 28, 28, 1), dtype=np.uint8)
    labels = rng.integers(0, 10, 3200)
    mc.manual_seed(0)
    model = mc.models.lenet5()
    opt = mc.optim.Adam(model.parameters(), lr=1e-3)
    T = mc.data.transforms
    loader = mc.data.DataLoader(mc.data.ArrayDataset(images, labels, transform=T.Compose([T.ToTensor()])),
                                batch_size=32, shuffle=True, seed=0)

    def run():
        for x, y in loader:
            opt.zero_grad()
            loss = mc.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", help="git revision of the old version")
    ap.add_argument("--model", default="vgg16")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--conv", default=None, help="time one conv2d instead: N,C,K,H,kernel[,groups[,stride]]")
    ap.add_argument("--bn", default=None, help="time batch norm (training, fwd + bwd) instead: N,C,H")
    ap.add_argument("--batch-last", action="store_true",
                    help="with --conv or --bn: the input and gy batch-last in memory")
    ap.add_argument("--main-job", action="store_true", help="time 100 steps of the main job's loop instead")
    ap.add_argument("--grouped", default=None, help="time a training step of this benchmarks/grouped.py model instead "
                                                    "(mobilenet, mobilenetv2, shufflenetv2, efficientnetb0), 32x32")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    blas = fix_threads(args.threads)
    root = os.path.dirname(HERE)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", root, "archive", args.old, "minicnn"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        make = (main_job_fn if args.main_job else conv_fn if args.conv else bn_fn if args.bn else
                grouped_fn if args.grouped else step_fn)
        funcs = {"old": make(load(tmp), args, np.random.default_rng(0)),
                 "new": make(load(root), args, np.random.default_rng(0))}
        layout = " batch-last" if args.batch_last else ""
        what = ("100 main-job steps (LeNet-5, Adam, batch 32, with loading)" if args.main_job else
                f"conv2d {args.conv}{layout} fwd+bwd" if args.conv else f"batch norm {args.bn}{layout} fwd+bwd"
                if args.bn else f"{args.grouped} b{args.batch} 32x32 step" if args.grouped
                else f"{args.model} b{args.batch} {args.size}x{args.size} step")
        r = compare(funcs, rounds=args.rounds, warmup=1, block_time=1.0, settle=0.3)
    print(f"# {machine()}, BLAS {blas}; {what}; old = {args.old}, new = working tree")
    print(f"old {r['old'] * 1e3:.2f} ms, new {r['new'] * 1e3:.2f} ms, new/old {r['new'] / r['old']:.3f}")


if __name__ == "__main__":
    main()
