"""The threaded ops (minicnn.threads) against the same ops on one thread, op by op.

    python benchmarks/threads.py [--rounds 7] [--threads 2]

Each op runs forward and backward at the sizes the models give it, once on the caller's thread
alone (threads.set_count(1)) and once on ``--threads`` threads, alternating, in one process. As
in a network, a GEMM runs before each timed call, and its BLAS threads then spin or sleep as
OPENBLAS_THREAD_TIMEOUT says: this script sets it to 4 unless --blas-spin keeps OpenBLAS's
default (see minicnn/threads.py). Also checks that the two give the same bits.
"""
import argparse
import os
import sys

if "--blas-spin" not in sys.argv:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")      # before NumPy loads OpenBLAS
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from minicnn import threads  # noqa: E402
from minicnn.functional.activation import ReLU  # noqa: E402
from minicnn.functional.conv_algorithms.im2col import ConvGeometry, im2col_batch_last, im2col_fast  # noqa: E402
from timing import fix_threads, machine  # noqa: E402

CASES = [  # (op, input shape, where the models meet it); im2col: the column copy of a 3x3 (5x5 for LeNet) layer
    ("im2col", (2, 64, 224, 224), "VGG-16 224x224 b2, first block"),
    ("im2col", (64, 64, 32, 32), "cifar10_VGG16 b64 (batch-last)"),
    ("im2col", (128, 6, 14, 14), "LeNet-5 b128, second conv (batch-last)"),
    ("relu", (2, 64, 224, 224), "VGG-16 224x224 b2, first block"),
    ("relu", (64, 128, 16, 16), "cifar10_VGG16 b64 (batch-last)"),
    ("relu", (2, 256, 56, 56), "ResNet-50 b2, stage 1"),
    ("relu", (128, 6, 28, 28), "LeNet-5 b128 (batch-last)"),
    ("sgd", (25088, 4096), "VGG-16's fc1 weight: one SGD step, momentum and weight decay"),
]


def sgd(shape):
    """A step of SGD (momentum 0.9, weight decay 5e-4) on one parameter, from the same state each time
    it is made; returns (its step function, the parameter)."""
    import minicnn as mc
    rng = np.random.default_rng(1)
    p = mc.nn.Parameter(rng.standard_normal(shape, dtype=np.float32))
    p.grad = mc.tensor(rng.standard_normal(shape, dtype=np.float32))
    opt = mc.optim.SGD([p], lr=1e-3, momentum=0.9, weight_decay=5e-4)
    opt.step()                                                  # the momentum buffer exists from here on
    return opt.step, p


def make(op, shape):
    if op == "sgd":                                             # timed on one state; bits checked on fresh ones
        opt_step, _ = sgd(shape)

        def run():
            opt_step()

        def fresh():
            step, p = sgd((1000, 4096))                         # 4M elements: several slices, threaded
            step()
            return (p.array,)
        run.fresh = fresh
        return run
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    if shape[0] >= 16:                                          # batch-last, as conv2d leaves it
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    gy = rng.standard_normal(shape, dtype=np.float32)
    if shape[0] >= 16:
        gy = np.ascontiguousarray(gy.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)

    if op == "im2col":
        g = ConvGeometry(shape, (5, 5) if shape[1] == 6 else (3, 3), (1, 1), (2,) * 4 if shape[1] == 6 else (1,) * 4)
        return (lambda: (im2col_batch_last(x, g),)) if shape[0] >= 16 else (lambda: (im2col_fast(x, g),))

    def step():                                                 # the op's Function, without the graph around it
        f = ReLU()
        f.requires_grad, f.needs_grad = True, (True,)
        return f.forward(x), f.backward(gy)
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calls", type=int, default=10)
    ap.add_argument("--blas-spin", action="store_true", help="keep OpenBLAS's default spin after a GEMM")
    args = ap.parse_args()
    blas = fix_threads(args.threads)
    a = np.ones((256, 1024), np.float32)
    bmat = np.ones((1024, 1024), np.float32)
    print(f"# {machine()}, BLAS {blas}, OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')}; "
          f"forward + backward (im2col: the copy; sgd: the step) after a GEMM, median of {args.rounds} alternating rounds of {args.calls} calls, ms")
    print("| op | input | where | 1 thread | %d threads | speed-up | same bits |" % args.threads)
    print("|---|---|---|---:|---:|---:|---|")
    for op, shape, where in CASES:
        step = make(op, shape)
        check = getattr(step, "fresh", step)
        threads.set_count(1)
        one = check()
        threads.set_count(args.threads)
        many = check()
        same = all(np.array_equal(p, q) for p, q in zip(one, many))
        times = {1: [], args.threads: []}
        for r in range(args.rounds + 1):
            for n in times:
                threads.set_count(n)
                time.sleep(0.3)
                total = 0.0
                for _ in range(args.calls):
                    a @ bmat
                    t0 = time.perf_counter()
                    step()
                    total += time.perf_counter() - t0
                if r:                                           # round 0 warms up
                    times[n].append(total / args.calls * 1e3)
        t1, tn = (float(np.median(times[n])) for n in times)
        print(f"| {op} | {'x'.join(map(str, shape))} | {where} | {t1:.2f} | {tn:.2f} | {t1 / tn:.2f}x | {'yes' if same else 'NO'} |",
              flush=True)
    threads.set_count(args.threads)


if __name__ == "__main__":
    main()
