"""The weight gradient's GEMM, gY (K, Q) @ col (J, Q)^T, at the shapes convolutions give it.

minicnn's weight_product (conv_algorithms/common.py: chunked along Q for tiny weights, K*J at most
choice.WEIGHT_CHUNKED_MAX; as col @ gY^T for few filters over many columns, choice.WEIGHT_T_*), the
same product as one NumPy GEMM gY @ col^T, and PyTorch's, alternating in one run: the evidence for
the chunking, the orientation and their bounds.

    python benchmarks/weight_grad.py [--rounds 7] [--threads 2]
"""
import argparse

import numpy as np

from timing import compare, fix_threads, machine

SHAPES = [  # (K, J = C*R*S, Q = N*OH*OW), where
    (6, 25, 25088, "LeNet-5 conv1, batch 32"),
    (6, 25, 100352, "LeNet-5 conv1, batch 128"),
    (16, 150, 25088, "LeNet-5 conv2, batch 128"),
    (8, 27, 65536, "3 -> 8 3x3, 64 x 32x32"),
    (16, 27, 100352, "3 -> 16 3x3, 2 x 224x224"),
    (32, 27, 65536, "3 -> 32 3x3, 64 x 32x32"),
    (64, 27, 65536, "cifar10_VGG16 conv1, batch 64"),
    (64, 576, 16384, "64 -> 64 3x3, 16 x 32x32"),
    (16, 150, 3200, "LeNet-5 conv2, batch 32"),
    (64, 576, 6272, "64 -> 64 3x3, 2 x 56x56"),
    (128, 576, 12544, "64 -> 128 3x3, 1 x 112x112"),
    (128, 1152, 3136, "128 -> 128 3x3, 64 x 7x7 rows"),
    (64, 256, 3136, "256 -> 64 1x1, 1 x 56x56"),
    (128, 512, 784, "512 -> 128 1x1, 1 x 28x28"),
    (256, 1024, 196, "1024 -> 256 1x1, 1 x 14x14"),
    (512, 4608, 1024, "512 -> 512 3x3, 64 x 4x4"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    blas = fix_threads(args.threads)
    import torch
    from minicnn.functional.conv_algorithms import choice
    from minicnn.functional.conv_algorithms.common import weight_product

    print(f"# {machine()}, BLAS {blas}, torch {torch.__version__}, float32, medians of {args.rounds} "
          "alternating rounds, ms")
    print("| K | J | Q | where | how | minicnn | one NumPy GEMM | col @ gY^T, transposed back | PyTorch | "
          "minicnn / one GEMM | transposed / one GEMM | minicnn / PyTorch |")
    print("|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for K, J, Q, where in SHAPES:
        gy = rng.standard_normal((K, Q), dtype=np.float32)
        col = rng.standard_normal((J, Q), dtype=np.float32)
        tg, tc = torch.tensor(gy), torch.tensor(col)
        np.testing.assert_allclose(weight_product(gy, col), gy @ col.T, rtol=1e-3, atol=1e-2)
        r = compare({"minicnn": lambda: weight_product(gy, col), "numpy": lambda: gy @ col.T,
                     "transposed": lambda: np.ascontiguousarray((col @ gy.T).T),
                     "torch": lambda: tg @ tc.T}, rounds=args.rounds, warmup=1, block_time=0.1, settle=0.2)
        transposed = (K <= choice.WEIGHT_T_MAX_K and J >= choice.WEIGHT_T_MIN_RATIO * K
                      and Q >= choice.WEIGHT_T_MIN_Q)
        how = "chunked" if K * J <= choice.WEIGHT_CHUNKED_MAX else "col @ gY^T" if transposed else "gY @ col^T"
        print(f"| {K} | {J} | {Q} | {where} | {how} | {r['minicnn'] * 1e3:.3f} | {r['numpy'] * 1e3:.3f} | "
              f"{r['transposed'] * 1e3:.3f} | {r['torch'] * 1e3:.3f} | {r['minicnn'] / r['numpy']:.2f}x | "
              f"{r['transposed'] / r['numpy']:.2f}x | {r['minicnn'] / r['torch']:.2f}x |",
              flush=True)


if __name__ == "__main__":
    main()
