"""Convolution (minicnn/functional/conv.py): the op as a user calls it, with padding modes, bias,
pieces and the input gradient as a convolution; its algorithms one by one are in
test_conv_algorithms.py.

Each op's checks side by side: against PyTorch in float32; gradcheck in float64; random
configurations by hypothesis, against PyTorch; bad input."""
import pytest
import torch.nn.functional as TF
from hypothesis import assume, given, settings, strategies as st

import minicnn as mc
import minicnn.functional as F
import minicnn.nn as nn
from conftest import T, assert_close, check, rand, torch_oracle, zeros32


# -------------------------------- against PyTorch in float32: the output and every input gradient
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


@pytest.mark.parametrize("stride,padding,kernel", [(1, 1, 3), (2, 1, 3), (1, 0, 5), (1, 0, 1)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("n", [7, 17])
def test_conv2d_in_pieces(device, stride, padding, kernel, bias, n, config):
    """Large layers run in pieces (single images for 7, bands of 3 output rows for 17 batch-last)
    and rebuild their columns in backward: same numbers."""
    from minicnn.functional.conv_algorithms.im2col import ConvGeometry
    g = ConvGeometry((n, 3, 13, 11), (kernel, kernel), (stride, stride), (padding,) * 4)
    budget = 3 * g.C * g.R * g.S * g.OW * g.N * 4
    config(col_budget=budget, gpu_col_budget=budget)                # pieces on either device
    x, w, b = rand(n, 3, 13, 11, seed=50), rand(4, 3, kernel, kernel, seed=51), rand(4, seed=52)
    args = [x, w, b] if bias else [x, w]
    torch_oracle(lambda *a: F.conv2d(*a, stride=stride, padding=padding),
                 lambda *a: TF.conv2d(*a, stride=stride, padding=padding), args, device)


@pytest.mark.gpu
@pytest.mark.parametrize("fraction,rebuilt", [(1 / 16, 0), (0.0, 3)])
def test_gpu_pieces_keep_their_columns_when_the_device_has_room(monkeypatch, fraction, rebuilt, config):
    """On a GPU (the stand-in in CI) a layer cut into pieces keeps each piece's columns from forward
    for the weight gradient when they fit config.gpu_keep_fraction of the device's memory; without room
    backward builds them again, piece by piece. The same numbers either way."""
    from minicnn.functional.conv_algorithms.im2col_channel_first import Conv2dIm2col
    config(gpu_col_budget=3 * 3 * 3 * 13 * 11 * 4)     # one image's columns a piece
    config(gpu_keep_fraction=fraction)
    built, columns = [], Conv2dIm2col._columns
    monkeypatch.setattr(Conv2dIm2col, "_columns", lambda self, *a, **k: built.append(1) or columns(self, *a, **k))
    x, w, b = rand(3, 3, 13, 11, seed=53), rand(4, 3, 3, 3, seed=54), rand(4, seed=55)
    torch_oracle(lambda *a: F.conv2d(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1), [x, w, b], "cuda")
    assert len(built) == 3 + rebuilt


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
def test_conv2d_input_gradient_as_a_convolution(device, monkeypatch, wshape, padding, n, pieces, config):
    """For stride 1 and C >= K, backward computes gx as a convolution of gy with the flipped kernel,
    channel-first (3 images) and batch-last (17), whole or in pieces (one image, or three rows, a
    piece). Padding beyond R - 1 (3 on a 3x3 kernel) falls back to col2im."""
    K, C, R, S = wshape
    if pieces:
        budget = 3 * C * R * S * 8 * n * 4 if n > 3 else C * R * S * 72 * 4
        config(col_budget=budget, gpu_col_budget=budget)
    plan = F.conv2d_plan((n, C, 9, 8), wshape, padding=padding, device=device)
    assert (plan.input_grad == "conv") == (padding != 3)
    x, w, b = rand(n, C, 9, 8, seed=70), rand(*wshape, seed=71), rand(K, seed=72)
    torch_oracle(lambda *a: F.conv2d(*a, padding=padding), lambda *a: TF.conv2d(*a, padding=padding), [x, w, b], device)


# -------------------------------- gradcheck in float64, random upstream gradient
@pytest.mark.parametrize("stride,padding,kernel", [(1, 0, 3), (2, 1, 3), (1, "same", 4), (3, 2, 5), (1, 0, 1), (2, 1, 1)])
def test_gradcheck_conv2d(stride, padding, kernel):
    check(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
          T(2, 2, 7, 6, seed=1), T(3, 2, kernel, kernel, seed=2), T(3, seed=3))


def test_gradcheck_conv2d_reference():
    check(lambda x, w: F.conv2d(x, w, stride=2, padding=1, reference=True), T(1, 2, 6, 5, seed=4), T(2, 2, 3, 3, seed=5))


@pytest.mark.parametrize("n", [3, 16])
def test_gradcheck_conv2d_in_pieces(n, config):
    config(col_budget=2 * 500)          # one image, or one output row, per piece
    check(lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1), T(n, 2, 6, 5, seed=40), T(3, 2, 3, 3, seed=41),
          T(3, seed=42))


@pytest.mark.parametrize("size", [10, 4])
def test_gradcheck_pointwise_conv2d(size):
    """1x1: per image from 10x10 maps, the whole batch below."""
    check(lambda x, w, b: F.conv2d(x, w, b), T(3, 2, size, size, seed=43), T(3, 2, 1, 1, seed=44), T(3, seed=45))


@pytest.mark.parametrize("n", [3, 16])
@pytest.mark.parametrize("padding", [1, "same"])
def test_gradcheck_conv2d_input_gradient_as_a_convolution(n, padding):
    """C >= K, stride 1: gx comes from a convolution of gy with the flipped kernel (both layouts)."""
    check(lambda x, w, b: F.conv2d(x, w, b, padding=padding), T(n, 3, 5, 4, seed=36), T(2, 3, 3, 4, seed=37),
          T(2, seed=38))


@pytest.mark.parametrize("dilation,groups", [(2, 1), ((1, 2), 2), (1, 4)])
def test_gradcheck_conv2d_dilation_and_groups(dilation, groups):
    check(lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1, dilation=dilation, groups=groups),
          T(2, 4, 7, 6, seed=81), T(4, 4 // groups, 3, 3, seed=82), T(4, seed=83))


# -------------------------------- random configurations by hypothesis, against PyTorch
@st.composite
def conv_configs(draw):
    R, S = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    H = draw(st.integers(max(1, R - 2 * ph), 20))
    W = draw(st.integers(max(1, S - 2 * pw), 20))
    return dict(N=draw(st.integers(1, 3)), C=draw(st.integers(1, 4)), K=draw(st.integers(1, 5)),
                H=H, W=W, R=R, S=S, stride=(sh, sw), padding=(ph, pw), bias=draw(st.booleans()),
                seed=draw(st.integers(0, 1000)))


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_conv2d_random_configurations(c):
    x, w = rand(c["N"], c["C"], c["H"], c["W"], seed=c["seed"]), rand(c["K"], c["C"], c["R"], c["S"], seed=c["seed"] + 1)
    args = [x, w] + ([rand(c["K"], seed=c["seed"] + 2)] if c["bias"] else [])
    torch_oracle(lambda *a: F.conv2d(*a, stride=c["stride"], padding=c["padding"]),
                 lambda *a: TF.conv2d(*a, stride=c["stride"], padding=c["padding"]), args)


@settings(max_examples=40, deadline=None)
@given(N=st.sampled_from([1, 2, 3, 16, 17]), C=st.integers(1, 5), K=st.integers(1, 5), H=st.integers(1, 13),
       W=st.integers(1, 13), padding=st.tuples(st.integers(0, 2), st.integers(0, 2)), seed=st.integers(0, 1000))
def test_winograd_random_configurations(N, C, K, H, W, padding, seed):
    """Every 3x3 stride-1 layer through Winograd (as for 128+ channels), both layouts, any size."""
    assume(H + 2 * padding[0] >= 3 and W + 2 * padding[1] >= 3)
    x, w, b = rand(N, C, H, W, seed=seed), rand(K, C, 3, 3, seed=seed + 1), rand(K, seed=seed + 2)
    torch_oracle(lambda *a: F.conv2d(*a, padding=padding, algorithm="winograd"),
                 lambda *a: TF.conv2d(*a, padding=padding), [x, w, b])


# -------------------------------- bad input: errors that name the op and the shapes
def test_conv_wrong_channel_count():
    with pytest.raises(ValueError, match=r"conv2d: weight \(8, 3, 3, 3\) expects input with 3 channels.*\(2, 1, 28, 28\)"):
        F.conv2d(zeros32(2, 1, 28, 28), zeros32(8, 3, 3, 3))


def test_conv_wrong_dimensionality():
    with pytest.raises(ValueError, match=r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(1, 28, 28\)"):
        F.conv2d(zeros32(1, 28, 28), zeros32(8, 1, 3, 3))
    with pytest.raises(ValueError, match=r"4-D weight"):
        F.conv2d(zeros32(1, 1, 28, 28), zeros32(8, 9))


def test_conv_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel 5x5 is larger than the padded input 4x4"):
        F.conv2d(zeros32(1, 1, 4, 4), zeros32(2, 1, 5, 5))
    with pytest.raises(ValueError, match="same"):
        F.conv2d(zeros32(1, 1, 8, 8), zeros32(2, 1, 3, 3), stride=2, padding="same")


# -------------------------------- the PyTorch API's options, against PyTorch
@pytest.mark.parametrize("dilation,groups,stride,padding", [(2, 1, 1, 2), ((2, 3), 1, 2, 1), (1, 2, 1, 1), (1, 6, 2, 1),
                                                            (3, 3, 1, "same"), (2, 2, 2, 0)])
def test_conv2d_dilation_and_groups(dilation, groups, stride, padding):
    x, w, b = rand(2, 6, 11, 9, seed=28), rand(12, 6 // groups, 3, 3, seed=29), rand(12, seed=30)
    torch_oracle(lambda t, v, c: F.conv2d(t, v, c, stride, padding, dilation, groups),
                 lambda t, v, c: TF.conv2d(t, v, c, stride, padding, dilation, groups), [x, w, b])


def test_conv2d_layer_with_groups_has_pytorchs_weight_shape():
    layer = nn.Conv2d(6, 12, 3, groups=3, dilation=2, bias=False)
    assert layer.weight.shape == (12, 2, 3, 3)
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(5, 6, 3, groups=2)


# -------------------------------- the transposed convolution (conv2d's input gradient as an op)
@pytest.mark.parametrize("N,C,K,H,W,kernel,stride,padding,output_padding,groups,dilation", [
    (2, 3, 4, 5, 5, 3, 1, 0, 0, 1, 1),
    (2, 3, 4, 7, 6, 4, 2, 1, 0, 1, 1),       # DCGAN's upsampling: kernel 4, stride 2, padding 1
    (1, 4, 2, 5, 4, 3, 2, 1, 1, 1, 1),       # output_padding picks the odd output size
    (3, 5, 3, 6, 5, 1, 1, 0, 0, 1, 1),       # 1x1
    (2, 2, 3, 3, 4, 11, 4, 2, 3, 1, 1),      # 11x11, stride 4
    (2, 4, 6, 5, 5, 3, 2, 1, 1, 2, 1),       # two groups
    (2, 3, 2, 5, 6, 3, 1, 2, 0, 1, 2),       # dilation 2
    (2, 3, 2, 5, 6, 3, (2, 1), (1, 0), (1, 0), 1, 1),
    (17, 4, 3, 4, 4, 3, 2, 1, 1, 1, 1),      # a batch past BATCH_LAST_MIN
])
def test_conv_transpose2d_against_pytorch(device, N, C, K, H, W, kernel, stride, padding, output_padding, groups,
                                          dilation):
    x, w, b = rand(N, C, H, W, seed=90), rand(C, K // groups, kernel, kernel, seed=91), rand(K, seed=92)
    args = (stride, padding, output_padding, groups)
    torch_oracle(lambda x, w, b: F.conv_transpose2d(x, w, b, *args, dilation=dilation),
                 lambda x, w, b: TF.conv_transpose2d(x, w, b, *args, dilation=dilation), [x, w, b], device)
    torch_oracle(lambda x, w: F.conv_transpose2d(x, w, None, *args, dilation=dilation),
                 lambda x, w: TF.conv_transpose2d(x, w, None, *args, dilation=dilation), [x, w], device)


def test_conv_transpose2d_is_the_input_gradient_of_conv2d():
    """The adjoint: <conv2d(z, w), x> = <z, conv_transpose2d(x, w)> for every z and x."""
    import numpy as np
    z, x, w = rand(2, 3, 9, 8, seed=93), rand(2, 5, 5, 4, seed=94), rand(5, 3, 3, 3, seed=95)
    y = F.conv2d(mc.tensor(z), mc.tensor(w), stride=2, padding=1).numpy()
    zt = F.conv_transpose2d(mc.tensor(x), mc.tensor(w), stride=2, padding=1, output_padding=(0, 1)).numpy()
    assert zt.shape == z.shape
    np.testing.assert_allclose((y * x).sum(), (z * zt).sum(), rtol=1e-4)


@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (2, 0, 0, 2, 1), ((1, 2), 1, (0, 1), 1, 2)])
def test_gradcheck_conv_transpose2d(stride, padding, output_padding, groups, dilation):
    check(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation),
          T(2, 4, 4, 3, seed=96), T(4, 6 // groups, 3, 3, seed=97), T(6, seed=98))


def test_conv_transpose2d_layer_as_pytorch():
    import torch
    for lib in (torch, mc):
        lib.manual_seed(0)
    ours = nn.ConvTranspose2d(16, 33, 3, stride=2, padding=1, output_padding=1, groups=1, bias=False)
    theirs = torch.nn.ConvTranspose2d(16, 33, 3, stride=2, padding=1, output_padding=1, bias=False)
    assert repr(ours) == repr(theirs) and tuple(ours.weight.shape) == tuple(theirs.weight.shape) == (16, 33, 3, 3)
    assert repr(nn.ConvTranspose2d(4, 6, (3, 5), groups=2, dilation=2)) == repr(
        torch.nn.ConvTranspose2d(4, 6, (3, 5), groups=2, dilation=2))
    bound = 1 / (33 * 9) ** 0.5                  # PyTorch's default init: fan_in from the weight's dim 1
    assert abs(ours.weight.numpy()).max() <= bound and abs(ours.weight.numpy()).max() > 0.8 * bound
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    tlayer = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    tlayer.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})   # arrays
    x = rand(1, 3, 5, 5, seed=99)
    for size in ((9, 9), (10, 10), (1, 2, 10, 9)):                # output_size as PyTorch takes it
        assert_close(layer(mc.tensor(x), output_size=size), tlayer(torch.tensor(x), output_size=size), 1e-5, 1e-5,
                     f"output_size={size}")
    with pytest.raises(ValueError, match=r"output_size \(11, 11\) is out of reach .* 9 to 10"):
        layer(mc.tensor(x), output_size=(11, 11))


def test_conv_transpose2d_bad_input():
    x, w = zeros32(1, 3, 4, 4), zeros32(3, 2, 3, 3)
    with pytest.raises(ValueError, match=r"expects input with 3 channels"):
        F.conv_transpose2d(zeros32(1, 4, 4, 4), w)
    with pytest.raises(ValueError, match=r"output_padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        F.conv_transpose2d(x, w, zeros32(3))
    with pytest.raises(ValueError, match=r"leaves no output"):
        F.conv_transpose2d(zeros32(1, 3, 1, 1), w, padding=2)
    with pytest.raises(TypeError, match=r"the input is float64 but the weight is float32"):
        F.conv_transpose2d(mc.tensor(x.numpy().astype("float64"), dtype="float64"), w)
