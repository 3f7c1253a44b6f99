"""Every op against PyTorch in float32: forward output and every input gradient,
with a random upstream gradient, over parametrized shapes, strides and paddings."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
from conftest import assert_close, rand, torch_oracle


# ---------------------------------------------------------------- convolution
@pytest.mark.parametrize("kernel", [1, 3, 5, 7, 11])
@pytest.mark.parametrize("stride", [1, 2, 4])
@pytest.mark.parametrize("padding", [0, 1, 2, "same", "valid"])
def test_conv2d_kernel_stride_padding(device, kernel, stride, padding):
    if padding == "same" and stride != 1:
        pytest.skip("'same' padding is defined for stride 1 only (as in PyTorch)")
    x, w, b = rand(2, 3, 23, 18, seed=1), rand(4, 3, kernel, kernel, seed=2), rand(4, seed=3)
    torch_oracle(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
                 lambda x, w, b: TF.conv2d(x, w, b, stride=stride, padding=padding), [x, w, b], device)


@pytest.mark.parametrize("shape,wshape,stride,padding", [
    ((3, 5, 17, 9), (6, 5, 3, 5), 1, (1, 2)),      # rectangular kernel, pair padding
    ((1, 2, 10, 31), (3, 2, 2, 4), (2, 3), (0, 1)), # rectangular stride
    ((2, 4, 12, 12), (5, 4, 4, 2), 1, "same"),      # even kernel: asymmetric 'same' padding
    ((2, 3, 32, 32), (8, 3, 3, 3), 2, 1),           # stride 2 with padding
    ((1, 1, 5, 5), (1, 1, 5, 5), 1, 0),             # kernel = input: one output pixel
    ((4, 16, 7, 7), (8, 16, 1, 1), 2, 1),           # 1x1 strided with padding
])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_awkward(device, shape, wshape, stride, padding, bias):
    x, w, b = rand(*shape, seed=4), rand(*wshape, seed=5), rand(wshape[0], seed=6)
    if bias:
        torch_oracle(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
                     lambda x, w, b: TF.conv2d(x, w, b, stride=stride, padding=padding), [x, w, b], device)
    else:
        torch_oracle(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding),
                     lambda x, w: TF.conv2d(x, w, stride=stride, padding=padding), [x, w], device)


def test_conv2d_alexnet_first_layer(device):
    x, w, b = rand(2, 3, 67, 67, seed=7), rand(8, 3, 11, 11, seed=8) * 0.1, rand(8, seed=9)
    torch_oracle(lambda x, w, b: F.conv2d(x, w, b, stride=4, padding=2),
                 lambda x, w, b: TF.conv2d(x, w, b, stride=4, padding=2), [x, w, b], device)


def test_conv2d_reference_matches_fast(device):
    x = mc.tensor(rand(2, 3, 13, 11, seed=10), device=device, requires_grad=True)
    w = mc.tensor(rand(5, 3, 3, 4, seed=11), device=device, requires_grad=True)
    g = mc.tensor(rand(2, 5, 7, 6, seed=12), device=device)
    F.conv2d(x, w, stride=2, padding=(1, 2)).backward(g)
    gx, gw = x.grad, w.grad
    x.grad = w.grad = None
    y = F.conv2d(x, w, stride=2, padding=(1, 2), reference=True)
    y.backward(g)
    assert_close(F.conv2d(x, w, stride=2, padding=(1, 2)), y)
    assert_close(gx, x.grad)
    assert_close(gw, w.grad)


# ---------------------------------------------------------------- pooling
@pytest.mark.parametrize("shape,kernel,stride,padding", [
    ((2, 3, 8, 8), 2, 2, 0),
    ((2, 3, 9, 11), 2, 2, 0),      # odd size: last row/column left out
    ((2, 3, 10, 11), 3, 3, 0),     # 3x3 tiles, separable in two sweeps of three
    ((2, 3, 7, 9), (1, 2), (1, 2), 0),   # windows of one row
    ((2, 3, 7, 9), (3, 1), (3, 1), 0),   # and of one column
    ((1, 2, 5, 4), 1, 1, 0),       # 1x1: the identity
    ((2, 3, 11, 10), 2, 3, 0),     # stride beyond the window: gaps between windows
    ((2, 3, 13, 13), 3, 2, 0),     # AlexNet's overlapping windows
    ((2, 3, 14, 15), 3, 2, 1),
    ((2, 3, 9, 7), 3, 1, 1),       # Inception's 3x3 stride 1 'same'
    ((1, 2, 10, 9), (2, 3), (1, 2), (1, 1)),
    ((2, 2, 7, 7), 7, 1, 0),       # global window
])
@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
def test_pool(device, op, shape, kernel, stride, padding):
    x = rand(*shape, seed=13)
    torch_oracle(lambda x: getattr(F, op)(x, kernel, stride, padding),
                 lambda x: getattr(TF, op)(x, kernel, stride, padding), [x], device)


def test_max_pool_pads_with_minus_infinity(device):
    x = -np.abs(rand(1, 1, 4, 4, seed=14)) - 1          # all negative: a zero pad would win
    y = torch_oracle(lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: TF.max_pool2d(x, 3, 2, 1), [x], device)
    assert (y.numpy() < 0).all()


def test_max_pool_ties_go_to_first_element(device):
    x = np.zeros((1, 1, 4, 4), np.float32)            # as after a ReLU: every window is a tie
    torch_oracle(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [x], device)
    torch_oracle(lambda x: F.max_pool2d(x, 3, 1, 1), lambda x: TF.max_pool2d(x, 3, 1, 1), [x], device)
    x = np.zeros((1, 1, 6, 6), np.float32)
    x[0, 0, 1, 1:3] = x[0, 0, 2, 0] = 1.0              # ties on the second and third rows of a 3x3 tile
    torch_oracle(lambda x: F.max_pool2d(x, 3), lambda x: TF.max_pool2d(x, 3), [x], device)


def test_global_avg_pool(device):
    torch_oracle(F.global_avg_pool2d, lambda x: x.mean(dim=(2, 3)), [rand(3, 5, 7, 6, seed=15)], device)


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activations(device, name):
    x = rand(4, 7, 3, seed=16) * 3
    torch_oracle(getattr(F, name), getattr(torch, name), [x], device)


def test_sigmoid_extreme(device):
    x = np.array([[-1e4, -80, -10, 0, 10, 80, 1e4]], np.float32)
    torch_oracle(F.sigmoid, torch.sigmoid, [x], device)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_softmax_family(device, name, axis, scale):
    x = rand(5, 6, 3, seed=17) * scale
    torch_oracle(lambda x: getattr(F, name)(x, axis), lambda x: getattr(torch, name)(x, axis), [x], device)


def test_leaky_relu(device):
    torch_oracle(lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), [rand(3, 4, seed=18)], device)


# ---------------------------------------------------------------- linear and shapes
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7), (1, 7), (2, 7)])   # 1-2 rows: one product per row
@pytest.mark.parametrize("bias", [True, False])
def test_linear(device, shape, bias):
    x, w, b = rand(*shape, seed=19), rand(4, 7, seed=20), rand(4, seed=21)
    if bias:
        torch_oracle(F.linear, TF.linear, [x, w, b], device)
    else:
        torch_oracle(F.linear, TF.linear, [x, w], device)


def test_flatten_concat_pad(device):
    torch_oracle(lambda x: F.flatten(x), lambda x: torch.flatten(x, 1), [rand(2, 3, 4, 5, seed=22)], device)
    torch_oracle(lambda a, b, c: F.concat([a, b, c], axis=1), lambda a, b, c: torch.cat([a, b, c], 1),
                 [rand(2, 1, 3, seed=23), rand(2, 4, 3, seed=24), rand(2, 2, 3, seed=25)], device)
    torch_oracle(lambda x: F.pad2d(x, (1, 2, 3, 0), value=0.5), lambda x: TF.pad(x, (1, 2, 3, 0), value=0.5),
                 [rand(2, 3, 4, 5, seed=26)], device)



# ---------------------------------------------------------------- normalization
@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 6, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(device, shape, training):
    C = shape[1]
    rm, rv = rand(C, seed=27), np.abs(rand(C, seed=28)) + 0.5
    rm_ours, rv_ours = mc.tensor(rm.copy(), device=device), mc.tensor(rv.copy(), device=device)
    rm_t, rv_t = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    x = rand(*shape, seed=29) * 2 + 1
    torch_oracle(lambda x, w, b: F.batch_norm(x, rm_ours, rv_ours, w, b, training=training, momentum=0.1),
                 lambda x, w, b: TF.batch_norm(x, rm_t, rv_t, w, b, training=training, momentum=0.1),
                 [x, rand(C, seed=30), rand(C, seed=31)], device)
    assert_close(rm_ours, rm_t, what="running_mean")
    assert_close(rv_ours, rv_t, what="running_var")


@pytest.mark.parametrize("block", [40, 200, None])       # runs of channels, groups of images, whole
@pytest.mark.parametrize("layout", ["nchw", "batch-last"])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_in_blocks(device, monkeypatch, block, layout, training):
    """Batch norm goes through its input in blocks (norm.BLOCK elements); any block size and
    layout gives PyTorch's numbers. The upstream gradient comes NCHW, so a batch-last input also
    takes the path where gy is first copied into x's layout."""
    from minicnn.functional import norm
    if block is not None:
        monkeypatch.setattr(norm, "BLOCK", block)
    C = 3
    rm, rv = rand(C, seed=32), np.abs(rand(C, seed=33)) + 0.5
    x = rand(4, C, 6, 5, seed=34) * 2 + 1
    if layout == "batch-last":
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    torch_oracle(lambda x, w, b: F.batch_norm(x, mc.tensor(rm, device=device), mc.tensor(rv, device=device), w, b,
                                                  training=training),
                 lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, training=training),
                 [x, rand(C, seed=35), rand(C, seed=36)], device)


@pytest.mark.parametrize("size", [2, 3, 5])
def test_local_response_norm(device, size):
    x = rand(2, 7, 4, 3, seed=32) * 3
    torch_oracle(lambda x: F.local_response_norm(x, size, alpha=1e-2, beta=0.75, k=2.0),
                 lambda x: TF.local_response_norm(x, size, alpha=1e-2, beta=0.75, k=2.0), [x], device)


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("scale", [1.0, 1e4])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_indices(device, scale, smoothing):
    logits = rand(6, 5, seed=33) * scale
    t = np.array([0, 4, 2, 2, 1, 3])
    torch_oracle(lambda z: F.cross_entropy(z, t, label_smoothing=smoothing),
                 lambda z: TF.cross_entropy(z, torch.tensor(t), label_smoothing=smoothing),
                 [logits], device, grad=np.float32(1.7))


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probabilities(device, smoothing):
    logits = rand(6, 5, seed=34) * 4
    q = np.random.default_rng(35).dirichlet(np.ones(5), size=6).astype(np.float32)
    torch_oracle(lambda z: F.cross_entropy(z, q, label_smoothing=smoothing),
                 lambda z: TF.cross_entropy(z, torch.tensor(q), label_smoothing=smoothing),
                 [logits], device, grad=np.float32(0.6))


def test_cross_entropy_extreme_logits_are_finite(device):
    z = np.array([[1e4, -1e4, 0], [-1e4, -1e4, 1e4]], np.float32)
    y = torch_oracle(lambda z: F.cross_entropy(z, np.array([1, 0])),
                     lambda z: TF.cross_entropy(z, torch.tensor([1, 0])), [z], device, grad=np.float32(1))
    assert np.isfinite(y.item()) and y.item() > 1e3


@pytest.mark.parametrize("scale", [1.0, 100.0])
def test_bce_with_logits(device, scale):
    z, y = rand(4, 3, seed=36) * scale, (rand(4, 3, seed=37) > 0).astype(np.float32)
    torch_oracle(lambda z: F.binary_cross_entropy_with_logits(z, y),
                 lambda z: TF.binary_cross_entropy_with_logits(z, torch.tensor(y)), [z], device, grad=np.float32(1))


def test_mse(device):
    torch_oracle(F.mse_loss, TF.mse_loss, [rand(4, 3, seed=38), rand(4, 3, seed=39)], device, grad=np.float32(1))


# ---------------------------------------------------------------- tensor arithmetic and reductions
def test_arithmetic_with_broadcasting(device):
    a, b = rand(3, 1, 4, seed=40), rand(5, 1, seed=41) + 3
    torch_oracle(lambda a, b: (a + b) * (a - b) / b - a ** 2 + (-b), lambda a, b: (a + b) * (a - b) / b - a ** 2 + (-b),
                 [a, b], device)


def test_matmul_batched_and_vector(device):
    torch_oracle(lambda a, b: a @ b, lambda a, b: a @ b, [rand(2, 3, 4, seed=42), rand(4, 5, seed=43)], device)
    torch_oracle(lambda a, b: a @ b, lambda a, b: a @ b, [rand(3, 4, seed=44), rand(4, seed=45)], device)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 2), False)])
def test_reductions(device, axis, keepdims):
    x = rand(3, 4, 5, seed=46)
    tdim = axis if axis is not None else tuple(range(3))
    torch_oracle(lambda x: x.sum(axis, keepdims), lambda x: x.sum(tdim, keepdim=keepdims), [x], device)
    torch_oracle(lambda x: x.mean(axis, keepdims), lambda x: x.mean(tdim, keepdim=keepdims), [x], device)
    torch_oracle(lambda x: x.amax(axis, keepdims), lambda x: x.amax(tdim, keepdim=keepdims), [x], device)


def test_reshape_transpose_index_exp_log(device):
    x = np.abs(rand(2, 3, 4, seed=47)) + 0.1
    torch_oracle(lambda x: x.reshape(6, 4).T.exp()[1:3, ::2].log(),
                 lambda x: x.reshape(6, 4).T.exp()[1:3, ::2].log(), [x], device)
    torch_oracle(lambda x: x.permute(2, 0, 1)[[0, 0, 2]], lambda x: x.permute(2, 0, 1)[[0, 0, 2]], [x], device)


# ---------------------------------------------------------------- batch-last activations
def block_ours(x, w1, b1, gamma, beta, w2):
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 3, stride=2, padding=1)
    h = F.dropout(F.batch_norm(h, None, None, gamma, beta, training=True), 0.0)
    h = F.avg_pool2d(h, 2)
    return F.conv2d(h, w2, stride=2, padding=1).relu()


def block_torch(x, w1, b1, gamma, beta, w2):
    h = TF.max_pool2d(TF.relu(TF.conv2d(x, w1, b1, padding=2)), 3, stride=2, padding=1)
    h = TF.batch_norm(h, None, None, gamma, beta, training=True)
    h = TF.avg_pool2d(h, 2)
    return TF.relu(TF.conv2d(h, w2, stride=2, padding=1))


@pytest.mark.parametrize("n", [15, 16, 33])
def test_conv_block_either_side_of_the_batch_last_threshold(device, n):
    """From BATCH_LAST_MIN (16) images conv2d returns batch-last views, which ReLU, pooling, batch
    norm and dropout pass on: the same numbers as PyTorch on either side of the threshold."""
    args = [rand(n, 3, 13, 11, seed=60), rand(8, 3, 5, 5, seed=61), rand(8, seed=62), rand(8, seed=63) + 1,
            rand(8, seed=64), rand(4, 8, 3, 3, seed=65)]
    torch_oracle(block_ours, block_torch, args, device, rtol=1e-4, atol=1e-4)


def test_activation_layout_from_sixteen_images(device):
    """On the CPU activations go batch-last from 16 images and stay so through the layers after
    conv2d; on a GPU they stay NCHW and C-contiguous whatever the batch (conv.py's docstring)."""
    from minicnn.functional.conv_algorithms.choice import BATCH_LAST_MIN
    from minicnn.layout import batch_last
    w = mc.tensor(rand(4, 2, 3, 3, seed=66), device=device)
    for n in (BATCH_LAST_MIN - 1, BATCH_LAST_MIN):
        x = mc.tensor(rand(n, 2, 8, 8, seed=67), device=device, requires_grad=True)
        y = F.conv2d(x, w, padding=1)
        chain = [y, F.relu(y), F.max_pool2d(y, 2), F.avg_pool2d(y, 3, stride=2, padding=1),
                 F.batch_norm(y, None, None, training=True), F.dropout(y, 0.5)]
        expect = n >= BATCH_LAST_MIN and device == "cpu"
        assert [batch_last(t.data) for t in chain] == [expect] * len(chain)
        if device != "cpu":
            assert all(t.data.flags.c_contiguous for t in chain)
        sum(t.sum() for t in chain).backward()
        assert batch_last(x.grad.data) == expect


@pytest.mark.parametrize("stride,padding,kernel", [(1, 1, 3), (2, 1, 3), (1, 0, 5), (1, 0, 1)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("n", [7, 17])
def test_conv2d_in_pieces(device, monkeypatch, stride, padding, kernel, bias, n):
    """Large layers run in pieces (single images for 7, bands of 3 output rows for 17 batch-last)
    and rebuild their columns in backward: same numbers."""
    from minicnn.functional.conv_algorithms import choice as conv_module
    from minicnn.im2col import ConvGeometry
    g = ConvGeometry((n, 3, 13, 11), (kernel, kernel), (stride, stride), (padding,) * 4)
    for name in ("COL_BUDGET", "GPU_COL_BUDGET"):                   # pieces on either device
        monkeypatch.setattr(conv_module, name, 3 * g.C * g.R * g.S * g.OW * g.N * 4)
    x, w, b = rand(n, 3, 13, 11, seed=50), rand(4, 3, kernel, kernel, seed=51), rand(4, seed=52)
    args = [x, w, b] if bias else [x, w]
    torch_oracle(lambda *a: F.conv2d(*a, stride=stride, padding=padding),
                 lambda *a: TF.conv2d(*a, stride=stride, padding=padding), args, device)


@pytest.mark.parametrize("n,size", [(3, 12), (3, 7), (1, 12), (17, 12)])
@pytest.mark.parametrize("bias", [True, False])
def test_pointwise_conv_per_image_or_whole_batch(device, n, size, bias):
    """1x1 convolutions, channel-first: one image at a time (x[i] is its own column matrix) from
    10x10 maps, the whole batch in one GEMM below; batch-last from 16 images."""
    x, w, b = rand(n, 5, size, size, seed=90), rand(6, 5, 1, 1, seed=91), rand(6, seed=92)
    torch_oracle(F.conv2d, TF.conv2d, [x, w, b] if bias else [x, w], device)


@pytest.mark.parametrize("wshape,padding", [((4, 6, 3, 3), 1), ((5, 5, 5, 5), 0), ((3, 6, 4, 4), "same"),
                                            ((4, 4, 3, 5), (1, 2)), ((4, 6, 3, 3), 2), ((6, 6, 3, 3), 3)])
@pytest.mark.parametrize("n", [3, 17])
@pytest.mark.parametrize("pieces", [False, True])
def test_conv2d_input_gradient_as_a_convolution(device, monkeypatch, wshape, padding, n, pieces):
    """For stride 1 and C >= K, backward computes gx as a convolution of gy with the flipped kernel,
    channel-first (3 images) and batch-last (17), whole or in pieces (one image, or three rows, a
    piece). Padding beyond R - 1 (3 on a 3x3 kernel) falls back to col2im."""
    from minicnn.functional.conv_algorithms import choice as conv_module
    from minicnn.functional.conv_algorithms.common import ConvFunction
    taken = []
    choose = ConvFunction.input_grad_as_conv
    monkeypatch.setattr(ConvFunction, "input_grad_as_conv", lambda self: taken.append(choose(self)) or taken[-1])
    K, C, R, S = wshape
    if pieces:
        for name in ("COL_BUDGET", "GPU_COL_BUDGET"):
            monkeypatch.setattr(conv_module, name, 3 * C * R * S * 8 * n * 4 if n > 3 else C * R * S * 72 * 4)
    x, w, b = rand(n, C, 9, 8, seed=70), rand(*wshape, seed=71), rand(K, seed=72)
    torch_oracle(lambda *a: F.conv2d(*a, padding=padding), lambda *a: TF.conv2d(*a, padding=padding), [x, w, b], device)
    assert taken == [padding != 3]
