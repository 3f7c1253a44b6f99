"""Convolution in one folder: the geometry and im2col (im2col.py: the textbook one, then the fast ones),
Winograd's transforms (winograd.py), the algorithms -- each a Function with its own forward and
backward -- and the choice between them (choice.py). ``conv2d(x, w, algorithm=name)`` runs one by
name; "auto" (the default) lets :func:`choice.plan` pick from the layer's shape, device and dtype,
and ``minicnn.nn.conv_plans(model, input_shape)`` shows what it picks and why.

| name | module | idea |
|---|---|---|
| reference  | reference.py            | the textbook: im2col with one row per output pixel, one GEMM (read this first) |
| im2col     | im2col_channel_first.py | one column per output pixel, (n, oh, ow) order, one strided copy, one GEMM a piece |
| pointwise  | im2col_channel_first.py | 1x1 kernels: x is its own column matrix, one GEMM per image on the CPU |
| batch_last | im2col_batch_last.py    | columns (oh, ow, n): NumPy's copies run over N*OW elements; the output stays batch-last |
| winograd   | winograd_conv.py        | F(2x2, 3x3): 16 GEMMs on transformed 4x4 tiles, 2.25x fewer multiplications (CPU) |
| winograd4x4 | winograd_conv.py       | F(4x4, 3x3): the same engine with 6x6 tiles, 36 GEMMs, 4x fewer multiplications (CPU) |
| grouped    | grouped.py              | groups > 1: the groups' column matrices side by side, one batched GEMM |
| depthwise  | grouped.py              | groups == C (MobileNet's 3x3 layers): a multiply-add per kernel offset, as pooling sweeps |

On a GPU, "im2col" builds its columns with one CUDA kernel where CuPy can compile it
(minicnn/cuda_kernels.py), the xp code otherwise.
"""
from . import choice
from .grouped import Conv2dDepthwise, Conv2dGrouped
from .im2col_batch_last import Conv2dBatchLast
from .im2col_channel_first import Conv2dIm2col, Conv2dPointwise
from .reference import Conv2dReference
from .winograd_conv import Conv2dWinograd, Conv2dWinograd4x4

ALGORITHMS = {"reference": Conv2dReference, "im2col": Conv2dIm2col, "pointwise": Conv2dPointwise,
              "batch_last": Conv2dBatchLast, "winograd": Conv2dWinograd,
              "winograd4x4": Conv2dWinograd4x4, "grouped": Conv2dGrouped, "depthwise": Conv2dDepthwise}
