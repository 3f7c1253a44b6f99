"""Where minicnn's GPU training step spends its time (CuPy, one device), before optimizing it.

    python benchmarks/gpu_profile.py                       # VGG-16 224x224 b32, ResNet-50 b32, LeNet-5 b128
    python benchmarks/gpu_profile.py --only vgg16,rates --tf32 on    # comma-separated parts of names

For each workload: the step time (synchronized only at the ends, as training runs), then two
synchronized breakdowns of a few more steps, each costing its own syncs: minicnn.profiler's per-op
table, and the inclusive time of the array-level helpers inside conv2d and pooling (im2col, col2im,
the padded copies, the matrix products through xp.matmul; `@` products are not wrapped, so they
fall in "the rest"). Then reference rates of the device itself on one VGG layer's shapes: a
contiguous copy, im2col's strided copy and the layer's GEMM, so that each helper can be read
against what the hardware gives.
"""
import argparse
import functools
import os
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import models  # noqa: E402


def wrap_helpers(cp, timings):
    """Replace the conv and pooling helpers (and cupy's matmul and copies) by synchronized timers."""
    from minicnn.functional.conv_algorithms import (common, im2col_batch_last, im2col_channel_first,
                                                    Conv2dBatchLast, Conv2dIm2col)
    import minicnn.functional.pool as pool
    import minicnn.functional.norm as norm
    import minicnn.functional.conv_algorithms.im2col as im2col
    undo = []

    def timed(owner, name, label):
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def inner(*a, **k):
            cp.cuda.Device().synchronize()
            t0 = time.perf_counter()
            out = fn(*a, **k)
            cp.cuda.Device().synchronize()
            rec = timings[label]
            rec[0] += 1
            rec[1] += time.perf_counter() - t0
            return out
        setattr(owner, name, inner)
        undo.append((owner, name, fn))

    for mod in (im2col_channel_first, im2col_batch_last, common, im2col, pool, norm):
        for name in ("padded_batch_last", "im2col_batch_last", "add_patches_batch_last", "im2col_fast",
                     "col2im_fast", "col2im_wide", "matmul_into", "_padded_channels_first", "pad_nchw",
                     "_first_max", "_route"):
            if name in vars(mod) and callable(vars(mod)[name]):
                timed(mod, name, f"{name}")
    for name in ("matmul", "ascontiguousarray", "zeros"):
        timed(cp, name, f"cupy.{name}")
    for owner, name in ((Conv2dBatchLast, "_input_grad_conv"), (Conv2dIm2col, "_input_grad_conv_images"),
                        (common.ConvFunction, "flipped")):
        timed(owner, name, f"{owner.__name__}.{name}")
    return lambda: [setattr(o, n, f) for o, n, f in reversed(undo)]


def device_rates(cp, tf32):
    """Bandwidth of a contiguous copy, of im2col by the xp code (the padded channel-first copy, then
    the strided gather) and by the CUDA kernel, and the GEMM rates, on VGG-16's conv1_2 at batch 32
    (C = K = 64, 224x224, 3x3, padding 1), a piece of 8 images (0.86 GiB of columns)."""
    from cupyx.profiler import benchmark
    from minicnn import cuda_kernels
    from minicnn.functional.conv_algorithms.im2col import ConvGeometry, im2col_fast
    x = cp.random.random((8, 64, 224, 224), dtype=cp.float32)
    g = ConvGeometry(x.shape, (3, 3), (1, 1), (1, 1, 1, 1))
    flat = cp.empty(g.col_shape[0] * g.col_shape[1], dtype=cp.float32)
    flat2 = cp.empty_like(flat)
    lines = []

    def gpu_ms(fn):
        return float(benchmark(fn, n_repeat=10, n_warmup=2).gpu_times.mean()) * 1e3

    gib = flat.nbytes / 2**30
    t = gpu_ms(lambda: flat2.__setitem__(Ellipsis, flat))
    lines.append(f"contiguous copy of {gib:.2f} GiB: {t:.2f} ms, {2 * flat.nbytes / t / 1e6:.0f} GB/s")
    os.environ["MINICNN_CUDA_KERNELS"] = "0"
    t = gpu_ms(lambda: im2col_fast(x, g, out=flat))
    lines.append(f"im2col, xp code ({gib:.2f} GiB of columns): {t:.2f} ms, {2 * flat.nbytes / t / 1e6:.0f} GB/s "
                 "(columns written and read, counted twice)")
    os.environ["MINICNN_CUDA_KERNELS"] = "1"
    assert cuda_kernels.enabled(cp)
    t = gpu_ms(lambda: cuda_kernels.im2col(x, g, out=flat))
    lines.append(f"im2col, CUDA kernel: {t:.2f} ms, {2 * flat.nbytes / t / 1e6:.0f} GB/s")
    col = flat.reshape(g.col_shape)
    w2 = cp.random.random((64, 576), dtype=cp.float32)
    out = cp.empty((64, col.shape[1]), dtype=cp.float32)
    flops = 2 * 64 * 576 * col.shape[1]
    t = gpu_ms(lambda: cp.matmul(w2, col, out=out))
    lines.append(f"GEMM (64x576) @ (576x{col.shape[1]}) TF32 {tf32}: {t:.2f} ms, {flops / t / 1e9:.1f} TFLOP/s")
    t = gpu_ms(lambda: out @ col.T)
    lines.append(f"weight-gradient GEMM (64x{col.shape[1]}) @ (..x576): {t:.2f} ms, {flops / t / 1e9:.1f} TFLOP/s")
    t = gpu_ms(lambda: w2.T @ out)
    lines.append(f"column-gradient GEMM (576x64) @ (64x..): {t:.2f} ms, {flops / t / 1e9:.1f} TFLOP/s")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="")
    ap.add_argument("--tf32", default="off", choices=["off", "on"])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--step-only", action="store_true", help="only the step time (no breakdowns)")
    ap.add_argument("--keep-fraction", type=float, default=None,
                    help="mc.config.gpu_keep_fraction for this run (0: backward rebuilds every piece's columns)")
    args = ap.parse_args()
    models.set_tf32(args.tf32 == "on")
    import cupy as cp
    import minicnn as mc
    if args.keep_fraction is not None:
        mc.config.gpu_keep_fraction = args.keep_fraction
    print(f"# minicnn {mc.__version__} on {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}, "
          f"CuPy {cp.__version__}, TF32 {args.tf32}, {time.strftime('%Y-%m-%d')}", flush=True)
    for name in ("vgg16 224x224 b32", "resnet50 224x224 b32", "lenet5 b128"):
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        step, _, batch = models.build(name, "cuda", which="minicnn")
        for _ in range(2):
            step()
        cp.cuda.Device().synchronize()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        cp.cuda.Device().synchronize()
        ms = (time.perf_counter() - t0) / args.steps * 1e3
        print(f"\n## {name}: {ms:.1f} ms a step ({batch / ms * 1e3:.0f} img/s), pool holds "
              f"{cp.get_default_memory_pool().total_bytes() / 2**30:.2f} GiB", flush=True)
        if args.step_only:
            continue
        with mc.profiler.profile() as prof:
            for _ in range(2):
                step()
        print("per op, 2 steps, synchronized around each op:\n" + prof.table(), flush=True)
        timings = defaultdict(lambda: [0, 0.0])
        undo = wrap_helpers(cp, timings)
        try:
            cp.cuda.Device().synchronize()
            t0 = time.perf_counter()
            for _ in range(2):
                step()
            cp.cuda.Device().synchronize()
            wall = time.perf_counter() - t0
        finally:
            undo()
        print(f"helpers, 2 steps, inclusive (nested ones count in both), wall {wall * 1e3:.0f} ms:")
        for label, (n, s) in sorted(timings.items(), key=lambda kv: -kv[1][1]):
            print(f"  {label:<36}{n:>6} calls {s * 1e3:>9.1f} ms {s / wall:>7.1%}")
        del step
        cp.get_default_memory_pool().free_all_blocks()
    if not args.only or "rates" in args.only.split(","):
        print("\n## device rates\n" + "\n".join(device_rates(cp, args.tf32)), flush=True)


if __name__ == "__main__":
    main()
