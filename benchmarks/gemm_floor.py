"""How near PyTorch minicnn's design can come on this CPU: its matrix products alone against PyTorch's whole step.

For each training workload of models.py, one minicnn training step is run with every convolution
and linear layer recorded (its geometry and the algorithm auto picked). The matrix products that
algorithm makes in a step -- forward, weight gradient, input gradient, piece by piece as the
algorithm cuts the layer -- are then timed alone, on arrays of those shapes (NumPy's matmul, so
OpenBLAS, with this process's threads): no im2col copy, no Winograd transform, no element-wise
pass, no Python. Their sum is a floor under minicnn's step as it is built: the step cannot take
less time than its GEMMs on OpenBLAS. Beside it, both whole steps, alternating in the same run.

    python benchmarks/gemm_floor.py                    # every CPU training workload
    python benchmarks/gemm_floor.py --only "lenet5 b128"
"""
import argparse
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import models  # noqa: E402
from timing import compare, fix_threads, machine  # noqa: E402


def record_layers(step):
    """Run ``step`` once with conv2d's algorithms and Linear patched to note each call; returns the
    list of (kind, details, snapshot) in call order, a snapshot holding what the op knew before
    backward released it (its geometry, pieces, which inputs wanted a gradient)."""
    import importlib
    from types import SimpleNamespace
    from minicnn import autograd
    from minicnn.functional.conv_algorithms.common import ConvFunction
    linear_module = importlib.import_module("minicnn.functional.linear")       # the module, not the function
    seen, snaps = [], {}
    setup, forward, release = ConvFunction.setup, linear_module.Linear.forward, autograd.Function.release

    def conv_setup(self, x, w, b, stride, padding):
        out = setup(self, x, w, b, stride, padding)
        seen.append(("conv", (type(self).__name__, w.shape[0], x.itemsize), self))
        return out

    def linear_forward(self, x, w, b=None):
        seen.append(("linear", (x.shape, w.shape), self))
        return forward(self, x, w, b)

    def snapshot_release(self):
        if any(op is self for _, _, op in seen):
            snaps[id(self)] = SimpleNamespace(
                g=getattr(self, "g", None), pieces=getattr(self, "pieces", None), needs_grad=self.needs_grad,
                as_conv=isinstance(self, ConvFunction) and self.needs_grad[0] and self.input_grad_as_conv())
        release(self)
    ConvFunction.setup, linear_module.Linear.forward, autograd.Function.release = conv_setup, linear_forward, snapshot_release
    try:
        step()
    finally:
        ConvFunction.setup, linear_module.Linear.forward, autograd.Function.release = setup, forward, release
    return [(kind, details, snaps[id(op)]) for kind, details, op in seen]


def conv_gemms(name, K, itemsize, op):
    """[(count, m, k, n, batch)]: the products of one conv layer's training step (batch: how many
    stacked products one matmul makes, Winograd's 16 or 36)."""
    from minicnn.functional.conv_algorithms import choice
    g = op.g
    need_x, need_w = op.needs_grad[0], op.needs_grad[1]
    C, R, S = g.C, g.R, g.S
    J = C * R * S
    out = []
    if name.startswith("Conv2dWinograd"):
        t, a = (4, 36) if name.endswith("4x4") else (2, 16)
        tiles = lambda h, w: math.ceil(h / t) * math.ceil(w / t)
        for i0, i1 in op.pieces:
            n = i1 - i0
            T, Tx = n * tiles(g.OH, g.OW), n * tiles(g.H, g.W)
            out.append((1, K, C, T, a))                                 # M = U @ V
            if need_w:
                out.append((1, K, T, C, a))                             # gU = gM @ V^T
            if need_x:
                out.append((1, C, K, Tx, a))                            # gx's pass
        return out
    if name == "Conv2dPointwise":
        Q = g.N * g.OH * g.OW
        out.append((1, K, C, Q, 1))
        if need_w:
            out.append((1, K, Q, C, 1))
        if need_x:
            out.append((1, C, K, Q, 1))
        return out
    # im2col, channel-first or batch-last: one GEMM a piece of Q columns
    pieces = getattr(op, "pieces", None)
    if pieces and name == "Conv2dBatchLast":
        sizes = [(i1 - i0) * g.OW * g.N for i0, i1 in pieces]
    else:
        Q = g.N * g.OH * g.OW
        per = max(1, choice.col_budget(np) // (J * itemsize))
        sizes = [min(per, Q - q) for q in range(0, Q, per)]
    as_conv = op.as_conv
    wide = name == "Conv2dBatchLast" and g.sh == g.sw == 1 and K <= choice.WIDE_COL2IM_MAX_K
    for q in sizes:
        out.append((1, K, J, q, 1))
        if need_w:
            out.append(weight_gemm(K, J, q))
        if need_x and not as_conv:
            out.append((1, J, K, q * g.Wp // g.OW if wide else q, 1))   # wide: gY padded out to Wp
    if as_conv:                                                         # gx = Wf @ im2col(gy): C x K*R*S over H*W*N
        Qx = g.N * g.H * g.W
        per = max(1, choice.col_budget(np) // (K * R * S * itemsize))
        out += [(1, C, K * R * S, min(per, Qx - q), 1) for q in range(0, Qx, per)]
    return out


def weight_gemm(K, J, Q):
    """The weight gradient's product in the form common.weight_product takes for it: in chunks of
    L columns for tiny weights, as col @ gY^T for few filters over many columns, else gY @ col^T."""
    from minicnn.functional.conv_algorithms import choice
    L = choice.WEIGHT_CHUNK_BYTES // (4 * (K + J))
    if K * J <= choice.WEIGHT_CHUNKED_MAX and Q // max(L, 1) >= 8:
        return (1, K, L, J, Q // L)
    if K <= choice.WEIGHT_T_MAX_K and J >= choice.WEIGHT_T_MIN_RATIO * K and Q >= choice.WEIGHT_T_MIN_Q:
        return (1, J, Q, K, 1)
    return (1, K, Q, J, 1)


def linear_gemms(xshape, wshape, op):
    from minicnn.functional.linear import GEMV_ROWS
    rows = int(np.prod(xshape[:-1]))
    out_f, in_f = wshape
    out = [(rows, out_f, in_f, 1, 1) if len(xshape) == 2 and rows <= GEMV_ROWS else (1, rows, in_f, out_f, 1)]
    if op.needs_grad[1]:
        out.append((1, out_f, rows, in_f, 1))
    if op.needs_grad[0]:
        out.append((1, rows, out_f, in_f, 1))
    return out


def time_gemms(gemms, rounds):
    """Seconds for the products, each shape timed alone (median of ``rounds`` after a warm-up)."""
    total = 0.0
    cache = {}
    for count, m, k, n, batch in gemms:
        key = (m, k, n, batch)
        if key not in cache:
            a = np.full((batch, m, k), 0.5, np.float32)
            b = np.full((batch, k, n), 0.5, np.float32)
            c = np.empty((batch, m, n), np.float32)
            np.matmul(a, b, out=c)
            ts = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                np.matmul(a, b, out=c)
                ts.append(time.perf_counter() - t0)
            cache[key] = statistics.median(ts)
        total += count * cache[key]
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    blas = fix_threads(args.threads)
    import minicnn as mc
    import torch
    mc.tune_cpu()
    print(f"# minicnn vs PyTorch {torch.__version__}, {machine()}, {args.threads} threads, BLAS {blas}; "
          f"training steps alternating, medians of {args.rounds} rounds; GEMMs timed alone, ms")
    print("| workload | minicnn step | PyTorch step | ratio | minicnn's GEMMs alone | GEMMs / PyTorch step "
          "| GEMMs' share of minicnn's step |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, _, _, _, _, mode in models.WORKLOADS:
        if mode != "train" or (args.only and name != args.only):
            continue
        ours, theirs, _ = models.build(name, "cpu")
        ours()
        layers = record_layers(ours)
        gemms = []
        for kind, details, op in layers:
            gemms += conv_gemms(*details, op) if kind == "conv" else linear_gemms(*details, op)
        t = compare({"minicnn": ours, "torch": theirs}, rounds=args.rounds, warmup=1, block_time=1.0, settle=0.3)
        time.sleep(0.3)
        floor = time_gemms(gemms, args.rounds)
        print(f"| {name} | {t['minicnn'] * 1e3:.1f} | {t['torch'] * 1e3:.1f} | {t['minicnn'] / t['torch']:.2f}x "
              f"| {floor * 1e3:.1f} | {floor / t['torch']:.2f}x | {floor / t['minicnn']:.0%} |", flush=True)


if __name__ == "__main__":
    main()
