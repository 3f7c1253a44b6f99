"""CUDA kernels for the GPU's hottest array helper, beside the readable xp code it replaces.

im2col (functional/conv_algorithms/im2col.py: ``im2col_fast``) is written for NumPy and runs on CuPy unchanged: a
zero-padded, channel-first copy of the input, then ONE copy of a 6-D strided view of it. On the
H200 that was the largest cost inside conv2d after the GEMMs (RESULTS.md, "GPU"): two passes
over memory, the second with six strides to walk per element. The kernel here is the same
gather in one pass, reading the unpadded NCHW input and writing zeros where a window hangs over
the border::

    col[c, r, s, n, oh, ow] = x[n, c, oh*sh - pt + r, ow*sw - pl + s]     (0 outside the input)

One thread per output pixel (oh, ow); the grid's y and z axes are (c, r, s) and n, so a thread
splits its own index with one division (p -> oh, ow) and reads (c, r, s) and n off its block's.

Kernels are compiled by CuPy on first use and cached (on disk too). They cannot run on the CuPy
stand-in that the test suite uses on CPU machines, nor for dtypes other than float32/float64:
``im2col`` then returns None and the caller keeps its xp code. MINICNN_CUDA_KERNELS=0 switches
the kernels off (to time or test the xp code on a GPU); tests/test_cuda_kernels.py compares the
two on a real GPU.
"""

import numpy as np

from .backend import get_array_module
from .configuration import config

_SOURCE = r"""
extern "C" __global__ void im2col_{T}(const {T}* __restrict__ x, {T}* __restrict__ col,
        int N, int C, int H, int W, int R, int S, int OH, int OW, int sh, int sw, int pt, int pl) {
    int p = blockIdx.x * blockDim.x + threadIdx.x;          // output pixel oh * OW + ow
    if (p >= OH * OW) return;
    int crs = blockIdx.y, n = blockIdx.z;
    int c = crs / (R * S), rs = crs - c * (R * S);
    int r = rs / S, s = rs - r * S;
    int oh = p / OW, ow = p - oh * OW;
    int h = oh * sh - pt + r, w = ow * sw - pl + s;
    unsigned long long dst = ((unsigned long long)crs * N + n) * (unsigned long long)(OH * OW) + p;
    col[dst] = (h >= 0 && h < H && w >= 0 && w < W) ? x[(((unsigned long long)n * C + c) * H + h) * W + w] : ({T})0;
}
"""
_TYPES = {"float32": "float", "float64": "double"}
_THREADS = 256
_MAX_GRID_YZ = 65535                                         # CUDA's limit on gridDim.y and gridDim.z
_kernels = {}


def enabled(xp):
    """Whether kernels may run on this array module: real CuPy, not switched off by the environment."""
    return _allowed(xp) and _kernel(xp, "float32") is not None


def _allowed(xp):
    return xp.__name__ != "numpy" and config.cuda_kernels


def _kernel(xp, dtype):
    """The compiled kernel for a dtype name, or None where none can run (memoized)."""
    key = (xp.__name__, dtype)
    if key not in _kernels:
        t = _TYPES.get(dtype)
        try:
            _kernels[key] = None if t is None else xp.RawKernel(_SOURCE.replace("{T}", t), f"im2col_{t}")
        except NotImplementedError:                          # the CuPy stand-in: no kernels
            _kernels[key] = None
    return _kernels[key]


def im2col(x, g, out=None):
    """x (N, C, H, W) on the GPU -> col (C*R*S, N*OH*OW), as conv_algorithms.im2col.im2col_fast; None when no
    kernel can do it (then use im2col_fast). ``out``: a flat buffer to fill instead of allocating."""
    xp = get_array_module(x)
    if not _allowed(xp) or g.C * g.R * g.S > _MAX_GRID_YZ or g.N > _MAX_GRID_YZ:
        return None
    kernel = _kernel(xp, x.dtype.name)
    if kernel is None:
        return None
    x = xp.ascontiguousarray(x)
    size = g.C * g.R * g.S * g.N * g.OH * g.OW
    col = xp.empty(size, dtype=x.dtype) if out is None else out[:size]
    pt, _, pl, _ = g.padding
    P = g.OH * g.OW
    i32 = np.int32
    kernel(((P + _THREADS - 1) // _THREADS, g.C * g.R * g.S, g.N), (_THREADS,),
           (x, col, i32(g.N), i32(g.C), i32(g.H), i32(g.W), i32(g.R), i32(g.S), i32(g.OH), i32(g.OW),
            i32(g.sh), i32(g.sw), i32(pt), i32(pl)))
    return col.reshape(g.col_shape)
