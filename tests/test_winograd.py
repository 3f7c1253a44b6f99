"""Winograd (functional/conv_algorithms/winograd.py): the engine's steps on their own for both sets of
matrices, then F(2x2, 3x3) in conv2d -- its choice, float64 gradient checks and float32 parity with
PyTorch, forward and every gradient (tests/test_conv_algorithms.py runs F(4x4) through conv2d)."""
import numpy as np
import pytest
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
from conftest import check_batch_last_transforms, distinct, rand, to_numpy, torch_oracle
from minicnn.functional.conv_algorithms import winograd
from minicnn.functional import conv as conv_module
from minicnn.functional.conv_algorithms import Conv2dWinograd, choice
from minicnn.functional.conv_algorithms.im2col import ConvGeometry

# (input shape, filters, padding): odd and even sizes, 1x1 inputs, every padding Winograd takes
CASES = [((2, 3, 9, 9), 4, 1), ((1, 2, 8, 7), 3, 0), ((2, 2, 1, 1), 2, 1), ((3, 4, 7, 4), 5, 2),
         ((2, 5, 6, 6), 3, "same"), ((1, 3, 5, 6), 2, (0, 2)), ((2, 4, 3, 3), 4, 0), ((1, 6, 10, 3), 7, (2, 1))]


def wconv(*args, **kwargs):
    """conv2d by Winograd F(2x2, 3x3), asked for by name."""
    return F.conv2d(*args, algorithm="winograd", **kwargs)


def record_winograd(monkeypatch, what=lambda self: 1):
    """Patch the Winograd algorithm to note each call (``what(op)`` after its forward); returns the list."""
    taken, run = [], Conv2dWinograd.forward

    def forward(self, *args, **kwargs):
        out = run(self, *args, **kwargs)
        if self.transform is winograd.F2x3:                         # not its F(4x4) subclass
            taken.append(what(self))
        return out
    monkeypatch.setattr(Conv2dWinograd, "forward", forward)
    return taken


def _xp(device):
    if device == "cpu":
        return np
    import cupy
    return cupy


SETS = [winograd.F2x3, winograd.F4x3]


@pytest.mark.parametrize("f", SETS, ids=str)
def test_the_matrices_compute_a_1d_correlation(f):
    """The identity behind both sets, in one dimension: A^T [(G g) * (B^T d)] is the m outputs of
    sliding the 3-tap filter g over the a inputs d."""
    rng = np.random.default_rng(0)
    d, g = rng.standard_normal(f.a), rng.standard_normal(3)
    want = np.array([d[i:i + 3] @ g for i in range(f.m)])
    np.testing.assert_allclose(f.AT @ ((f.G @ g) * (f.BT @ d)), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", SETS, ids=str)
def test_conv3x3_matches_the_textbook_convolution(device, f):
    """The engine's forward on its own (NumPy, or CuPy on a GPU) against Conv2dReference, float64."""
    xp = _xp(device)
    for shape, K, padding in CASES:
        pads = conv_module.conv_padding(padding, (3, 3), (1, 1))
        x, w = distinct(*shape, seed=1), distinct(K, shape[1], 3, 3, seed=2)
        ref = conv_module.Conv2dReference().forward(x, w, stride=(1, 1), padding=pads)
        y = f.conv3x3(xp.asarray(x), xp.asarray(w), pads)
        np.testing.assert_allclose(to_numpy(y), ref, rtol=1e-12, atol=1e-12, err_msg=f"{shape} {padding}")


@pytest.mark.parametrize("f", SETS, ids=str)
@pytest.mark.parametrize("out_size", [(4, 6), (5, 7), (1, 1)])
def test_output_transform_grad_is_the_adjoint(f, out_size):
    """<transform_output(M), gy> == <M, transform_output_grad(gy)>: backward is forward's transpose,
    also where odd output sizes cut a tile in half."""
    n, K = 2, 3
    TH, TW = f.tiles(*out_size)
    rng = np.random.default_rng(0)
    M = rng.standard_normal((f.a * f.a, K, n * TH * TW))
    gy = rng.standard_normal((n, K) + out_size)
    y = np.empty_like(gy)
    f.transform_output(M, y)
    assert np.isclose((y * gy).sum(), (M * f.transform_output_grad(gy, TH, TW)).sum(), rtol=1e-12)


@pytest.mark.parametrize("f", SETS, ids=str)
def test_weight_transform_and_its_gradient_are_transposes(f):
    rng = np.random.default_rng(1)
    w, gU = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((f.a * f.a, 3, 2))
    assert np.isclose((f.transform_weight(w) * gU).sum(), (w * f.weight_grad(gU)).sum(), rtol=1e-12)


@pytest.mark.parametrize("shape,K,padding", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_winograd_matches_pytorch(shape, K, padding, bias):
    x, w, b = rand(*shape, seed=10), rand(K, shape[1], 3, 3, seed=11), rand(K, seed=12)
    args = [x, w, b] if bias else [x, w]
    torch_oracle(lambda *a: wconv(*a, padding=padding), lambda *a: TF.conv2d(*a, padding=padding), args)


@pytest.mark.parametrize("x_scale,w_scale", [(1e4, 1e-3), (1e-4, 1e3), (1e3, 1e3)])
def test_winograd_with_large_and_small_magnitudes(x_scale, w_scale):
    x, w = rand(2, 6, 9, 8, seed=13, scale=x_scale), rand(5, 6, 3, 3, seed=14, scale=w_scale)
    torch_oracle(lambda *a: wconv(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1), [x, w])


@pytest.mark.parametrize("shape,K,padding", CASES[:4])
def test_winograd_gradcheck(shape, K, padding):
    T = lambda *s, seed: mc.tensor(distinct(*s, seed=seed), dtype=np.float64, requires_grad=True)
    assert mc.gradcheck(lambda x, w, b: wconv(x, w, b, padding=padding),
                        [T(*shape, seed=20), T(K, shape[1], 3, 3, seed=21), T(K, seed=22)])


@pytest.mark.parametrize("per_piece", [1, 2])
def test_winograd_in_pieces(monkeypatch, per_piece):
    """Layers whose transformed input exceeds the column budget go through in near-equal groups of
    images (at most 1 or 2 of 5: 5 or 3 pieces), forward and backward: same numbers."""
    n, C, H, W, K = 5, 3, 9, 6, 4
    TH, TW = winograd.F2x3.tiles(H, W)
    x, w, b = rand(n, C, H, W, seed=30), rand(K, C, 3, 3, seed=31), rand(K, seed=32)
    pieces = record_winograd(monkeypatch, lambda self: [i1 - i0 for i0, i1 in self.pieces])
    with mc.using_config(col_budget=per_piece * 16 * max(C, K) * TH * TW * 4):
        torch_oracle(lambda *a: wconv(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1), [x, w, b])
    assert pieces == [[1] * 5 if per_piece == 1 else [1, 2, 2]]


def test_only_the_weight_or_only_the_input_wants_a_gradient():
    x, w = rand(2, 3, 6, 5, seed=40), rand(4, 3, 3, 3, seed=41)
    for x_grad in (True, False):
        X, Wt = mc.tensor(x, requires_grad=x_grad), mc.tensor(w, requires_grad=not x_grad)
        wconv(X, Wt, padding=1).sum().backward()
        assert (X.grad is not None) == x_grad and (Wt.grad is not None) != x_grad


def test_a_vgg_layer_takes_winograd_by_default_and_matches_pytorch(monkeypatch):
    """512 -> 512 channels, 512 output pixels: the default picks Winograd, and with 4,608 products
    summed per output float32 rounding stays within the parity tolerance."""
    taken = record_winograd(monkeypatch)
    x, w, b = rand(2, 512, 16, 16, seed=50), rand(512, 512, 3, 3, seed=51) * 0.02, rand(512, seed=52)
    torch_oracle(lambda *a: F.conv2d(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1), [x, w, b])
    assert taken == [1]


@pytest.mark.parametrize("shape,K,stride,padding,expected", [
    ((2, 512, 16, 16), 512, 1, 1, True),
    ((2, 256, 16, 16), 512, 1, 1, False),      # too few channels: the transforms cost more than they save
    ((2, 512, 14, 14), 512, 1, 1, False),      # 392 output pixels: the transforms' fixed costs win
    ((16, 512, 7, 7), 512, 1, 1, True),
    ((128, 512, 2, 2), 512, 1, 1, True),       # batch-last
    ((2, 512, 16, 16), 512, 2, 1, False),      # stride 2
    ((2, 512, 16, 16), 512, 1, 3, False),      # padding 3: gx would need padding -1
])
def test_when_conv2d_chooses_winograd(shape, K, stride, padding, expected):
    g = ConvGeometry(shape, (3, 3), (stride, stride), (padding,) * 4)
    assert conv_module.winograd_fits(g, K) == expected


def test_winograd_runs_on_the_cpu_only(device):
    """CuPy arrays keep im2col (Winograd's choice was measured on the CPU only), and asked for by name
    on a GPU it is refused."""
    plan = F.conv2d_plan((2, 512, 16, 16), (512, 512, 3, 3), padding=1, device=device)
    assert plan.algorithm == ("winograd" if device == "cpu" else "im2col")
    x, w = rand(2, 3, 6, 6, seed=60), rand(4, 3, 3, 3, seed=61)
    if device == "cpu":
        torch_oracle(lambda *a: wconv(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1), [x, w], device)
    else:
        with pytest.raises(ValueError, match="runs on the CPU only"):
            wconv(mc.tensor(x, device=device), mc.tensor(w, device=device), padding=1)


@pytest.mark.parametrize("shape,K,padding", CASES[:5])
@pytest.mark.parametrize("n,per_piece", [(17, 17), (33, 16), (17, 5)])
def test_winograd_batch_last(shape, K, padding, n, per_piece, monkeypatch, config):
    """From 16 images conv2d works batch-last (conv.py), Winograd included -- whole, or in near-equal
    pieces of at most 16 or 5 images -- and returns its output batch-last, as the im2col path does."""
    _, C, H, W = shape
    pads = conv_module.conv_padding(padding, (3, 3), (1, 1))
    TH, TW = winograd.F2x3.tiles(max(H, H + pads[0] + pads[1] - 2), max(W, W + pads[2] + pads[3] - 2))
    config(col_budget=-(-per_piece * 16 * max(C, K) * TH * TW * 4 // choice.WINOGRAD_BATCH_LAST_BUDGETS))
    pieces = record_winograd(monkeypatch, lambda self: len(self.pieces))
    x, w, b = rand(n, C, H, W, seed=70), rand(K, C, 3, 3, seed=71), rand(K, seed=72)
    out = torch_oracle(lambda *a: wconv(*a, padding=padding), lambda *a: TF.conv2d(*a, padding=padding), [x, w, b])
    assert pieces == [-(-n // per_piece)] and out.array.transpose(1, 2, 3, 0).flags.c_contiguous


@pytest.mark.parametrize("n,col_budget,expected", [(128, 16 << 20, "winograd"), (32, 16 << 20, "batch_last"),
                                                   (128, 128 << 10, "winograd"), (128, 64 << 10, "batch_last")])
def test_auto_keeps_batch_last_pieces_of_16_images(n, col_budget, expected, config):
    """Batch-last pieces of fewer than 16 images would copy runs too short to pay: auto then keeps
    im2col's batch_last for a layer F(2x2) would take (512 channels on 2x2 maps; 32 images are only
    128 output pixels). An image's one tile takes 32 KiB of V (16 x 512 channels x 4 bytes): 128 KiB
    of column budget (512 KiB a batch-last piece) holds 16 images, 64 KiB only 8."""
    config(col_budget=col_budget)
    plan = F.conv2d_plan((n, 512, 2, 2), (512, 512, 3, 3), padding=1)
    assert plan.algorithm == expected and plan.layout == "batch-last"


def test_winograd_batch_last_gradcheck():
    T = lambda *s, seed: mc.tensor(distinct(*s, seed=seed), dtype=np.float64, requires_grad=True)
    assert mc.gradcheck(lambda x, w, b: wconv(x, w, b, padding=1),
                        [T(16, 2, 5, 4, seed=80), T(3, 2, 3, 3, seed=81), T(3, seed=82)])


def test_batch_last_transforms_match_channel_first():
    """F(2x2)'s three transforms give the same numbers for x laid out (C, H, W, n)."""
    check_batch_last_transforms(winograd.F2x3)


def test_winograd_rounds_about_as_well_as_im2col():
    """float32 error against a float64 convolution of the same data, on a 256-channel layer: Winograd's
    stays within 2x im2col's (both ~4e-7 of the largest output; PyTorch's float32 is ~2e-6)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 256, 12, 12)).astype(np.float32)
    w = (rng.standard_normal((256, 256, 3, 3)) * (2 / (9 * 256)) ** 0.5).astype(np.float32)
    exact = conv_module.Conv2dReference().forward(x.astype(np.float64), w.astype(np.float64),
                                                  stride=(1, 1), padding=(1, 1, 1, 1))
    errors = {}
    for name in ("winograd", "im2col"):
        with mc.no_grad():
            y = F.conv2d(mc.tensor(x), mc.tensor(w), padding=1, algorithm=name).numpy()
        errors[name] = np.abs(y - exact).max() / np.abs(exact).max()
    assert errors["winograd"] < 2 * errors["im2col"] and errors["winograd"] < 1e-6, errors


def test_integer_layers_keep_im2col():
    """G has entries 1/2: integer arrays would be truncated, so they keep exact im2col."""
    x, w = np.ones((1, 128, 16, 16), dtype=np.int64), np.ones((128, 128, 3, 3), dtype=np.int64)
    y = F.conv2d(mc.tensor(x), mc.tensor(w), padding=1).numpy()
    assert y.dtype == np.int64 and y[0, 0, 0, 0] == 128 * 4 and y[0, 0, 1, 1] == 128 * 9 and y[0, 0, 0, 1] == 128 * 6


@pytest.mark.parametrize("dtype,expected", [(np.float32, "winograd"), (np.float64, "winograd"), (np.float16, "im2col")])
def test_which_dtypes_take_winograd(dtype, expected):
    """float32 and float64; float16 keeps im2col's rounding. (Mixed dtypes are refused by conv2d, as
    PyTorch refuses them.)"""
    assert F.conv2d_plan((2, 512, 16, 16), (512, 512, 3, 3), padding=1, dtype=dtype).algorithm == expected
