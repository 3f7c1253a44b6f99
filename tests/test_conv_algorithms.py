"""Each of conv2d's algorithms, chosen by name: against the textbook reference, against PyTorch in
float32 (forward and backward, random upstream gradient) and by gradcheck in float64, over
awkward shapes, whole and in pieces; the dispatcher's choices; and refusals of an algorithm that
cannot compute a layer."""
import numpy as np
import pytest
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
from minicnn.functional.conv_algorithms import ALGORITHMS, choice
from minicnn.gradcheck import gradcheck
from minicnn.functional.conv_algorithms.im2col import ConvGeometry

from conftest import T, assert_close, check, check_batch_last_transforms, rand, torch_oracle

# (x shape, weight shape, stride, padding): odd sizes, stride 2 with padding, asymmetric, 11x11
# stride 4, 1x1, batches on both sides of BATCH_LAST_MIN (16), C >= K (input gradient as a convolution)
CASES = [
    ((2, 3, 9, 7), (4, 3, 3, 3), 1, 1),
    ((3, 4, 8, 8), (4, 4, 3, 3), 1, 1),
    ((15, 2, 7, 6), (3, 2, 3, 3), 1, 2),
    ((16, 3, 6, 5), (2, 3, 3, 3), 1, 0),
    ((17, 5, 5, 5), (5, 5, 3, 3), 1, (1, 0)),
    ((2, 3, 11, 9), (4, 3, 3, 3), 2, 1),
    ((2, 3, 23, 23), (2, 3, 11, 11), 4, 2),
    ((3, 5, 6, 7), (4, 5, 1, 1), 1, 0),
    ((17, 4, 10, 10), (3, 4, 1, 1), 1, 0),
    ((2, 2, 7, 7), (3, 2, 5, 3), (1, 2), (2, 1)),
]
ALGOS = sorted(set(ALGORITHMS) - set(choice.GROUPED))     # one group; the grouped ones are tested below


def can_run(name, xshape, wshape, stride, padding):
    pads = F.conv.conv_padding(padding, wshape[2:], F.conv.pair(stride, "stride"))
    g = ConvGeometry(xshape, wshape[2:], F.conv.pair(stride, "stride"), pads)
    try:
        choice.check(name, g, np, np.float32, np.float32)
    except ValueError:
        return False
    return True


def cases_for(name):
    return [c for c in CASES if can_run(name, *c)]


def ids(c):
    return f"x{c[0]}-w{c[1]}-s{c[2]}-p{c[3]}".replace(" ", "")


@pytest.mark.parametrize("name", ALGOS)
def test_each_algorithm_runs_on_some_cases(name):
    assert len(cases_for(name)) >= 2


@pytest.mark.parametrize("name,case", [(n, c) for n in ALGOS for c in cases_for(n)],
                         ids=[f"{n}-{ids(c)}" for n in ALGOS for c in cases_for(n)])
def test_algorithm_against_pytorch_float32(name, case):
    xshape, wshape, stride, padding = case
    x, w, b = rand(*xshape, seed=1), rand(*wshape, seed=2), rand(wshape[0], seed=3)
    torch_oracle(lambda *a: F.conv2d(*a, stride=stride, padding=padding, algorithm=name),
                 lambda *a: TF.conv2d(*a, stride=stride, padding=padding), [x, w, b], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name,case", [(n, c) for n in ALGOS for c in cases_for(n)],
                         ids=[f"{n}-{ids(c)}" for n in ALGOS for c in cases_for(n)])
def test_algorithm_against_the_reference_float64(name, case):
    """Forward and all three gradients, to 1e-10 of the textbook's."""
    xshape, wshape, stride, padding = case
    rs = np.random.default_rng(4)
    arrays = [rs.standard_normal(xshape), rs.standard_normal(wshape), rs.standard_normal(wshape[0])]
    results = []
    for algo in (name, "reference"):
        ts = [mc.tensor(a, dtype=mc.float64, requires_grad=True) for a in arrays]
        y = F.conv2d(*ts, stride=stride, padding=padding, algorithm=algo)
        y.backward(np.random.default_rng(5).standard_normal(y.shape))
        results.append([y.numpy()] + [t.grad.numpy() for t in ts])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,case", [(n, c) for n in ALGOS for c in cases_for(n)[:3]],
                         ids=[f"{n}-{ids(c)}" for n in ALGOS for c in cases_for(n)[:3]])
def test_algorithm_gradcheck_float64(name, case):
    xshape, wshape, stride, padding = case
    xshape = (min(xshape[0], 2),) + xshape[1:] if name not in ("batch_last", "winograd") else xshape
    rs = np.random.default_rng(6)
    ts = [mc.tensor(rs.standard_normal(s), dtype=mc.float64, requires_grad=True) for s in (xshape, wshape, wshape[:1])]
    assert gradcheck(lambda *a: F.conv2d(*a, stride=stride, padding=padding, algorithm=name), ts)


@pytest.mark.parametrize("name", ["im2col", "pointwise", "batch_last", "winograd", "winograd4x4"])
def test_algorithm_in_pieces(name, config):
    """A column budget small enough for one image (or one row, or one Winograd image) a piece."""
    config(col_budget=600)
    wshape = (3, 4, 1, 1) if name == "pointwise" else (3, 4, 3, 3)
    x, w, b = rand(17 if name == "batch_last" else 5, 4, 11, 10, seed=7), rand(*wshape, seed=8), rand(3, seed=9)
    pad = 0 if name == "pointwise" else 1
    torch_oracle(lambda *a: F.conv2d(*a, padding=pad, algorithm=name), lambda *a: TF.conv2d(*a, padding=pad),
                 [x, w, b], rtol=1e-4, atol=1e-4)


def test_winograd4x4_batch_last_transforms_match_channel_first():
    """F(4x4)'s three transforms give the same numbers for x laid out (C, H, W, n)."""
    from minicnn.functional.conv_algorithms import winograd
    check_batch_last_transforms(winograd.F4x3)


@pytest.mark.parametrize("xshape,K,padding", [((17, 3, 9, 7), 4, 1), ((16, 4, 8, 8), 5, 0), ((18, 2, 5, 6), 3, (2, 1)),
                                              ((16, 3, 4, 4), 2, "same")])
@pytest.mark.parametrize("per_piece", [None, 16, 6])
def test_winograd4x4_batch_last(monkeypatch, config, xshape, K, padding, per_piece):
    """From 16 images F(4x4) works batch-last: whole, or in near-equal pieces of at most 16 or 6
    images (forced by name: auto would not take pieces under 16); against PyTorch forward and
    backward, its output left batch-last. Each piece is transformed once in forward and once in the
    input gradient's pass (the weight gradient reuses forward's)."""
    from minicnn.functional.conv_algorithms.winograd import F4x3 as w4
    N, C, H, W = xshape
    if per_piece:
        pads = F.conv.conv_padding(padding, (3, 3), (1, 1))
        TH, TW = w4.tiles(max(H, H + pads[0] + pads[1] - 2), max(W, W + pads[2] + pads[3] - 2))
        config(col_budget=-(-per_piece * 36 * max(C, K) * TH * TW * 4 // choice.WINOGRAD_BATCH_LAST_BUDGETS))
    images, transform = [], w4.transform_input
    monkeypatch.setattr(w4, "transform_input", lambda x, *a: images.append(x.shape[0]) or transform(x, *a))
    x, w, b = rand(*xshape, seed=12), rand(K, C, 3, 3, seed=13), rand(K, seed=14)
    y = torch_oracle(lambda *a: F.conv2d(*a, padding=padding, algorithm="winograd4x4"),
                     lambda *a: TF.conv2d(*a, padding=padding), [x, w, b], rtol=1e-4, atol=1e-4)
    assert y.array.transpose(1, 2, 3, 0).flags.c_contiguous
    pieces = -(-N // per_piece) if per_piece else 1
    assert len(images) == 2 * pieces and sum(images) == 2 * N and max(images) - min(images) <= 1


def test_winograd4x4_batch_last_gradcheck_float64():
    T = lambda *s, seed: mc.tensor(np.random.default_rng(seed).standard_normal(s), dtype=mc.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1, algorithm="winograd4x4"),
                     [T(16, 2, 5, 6, seed=15), T(3, 2, 3, 3, seed=16), T(3, seed=17)])


def test_auto_takes_winograd4x4_for_a_batch_last_cifar_layer():
    """64 -> 128 channels on 8x8 maps at batch 16, batch-last input as the layer before leaves it:
    auto picks F(4x4), and with 576 products summed per output float32 stays within PyTorch parity."""
    x = np.ascontiguousarray(rand(16, 64, 8, 8, seed=18).transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    w, b = rand(128, 64, 3, 3, seed=19, scale=0.05), rand(128, seed=20)
    with mc.profiler.profile() as prof:
        torch_oracle(lambda *a: F.conv2d(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1), [x, w, b],
                     rtol=1e-4, atol=1e-4)
    assert set(prof.totals()) == {"Conv2dWinograd4x4"}


@pytest.mark.parametrize("budget", [None, 2000])
@pytest.mark.parametrize("C,K,kernel,padding", [(3, 8, 5, 2), (2, 6, 3, (0, 1)), (3, 5, 4, "same"), (3, 40, 3, 1)])
def test_batch_last_input_gradient_on_the_wide_grid(budget, C, K, kernel, padding, config):
    """Stride 1, C < K (col2im, not the input gradient as a convolution): with few filters from the
    wide grid, with more (K = 40) from the strided windows; whole and in bands of rows; asymmetric
    padding ("same" for an even kernel) included. Against the textbook algorithm in float64."""
    if budget:
        config(col_budget=budget)
    wide = K <= choice.WIDE_COL2IM_MAX_K
    assert wide == (K != 40)
    rs = np.random.default_rng(C * K)
    x, w, gy = rs.standard_normal((17, C, 9, 8)), rs.standard_normal((K, C, kernel, kernel)), None
    grads = {}
    for name in ("batch_last", "reference"):
        X, W = mc.tensor(x, dtype=mc.float64, requires_grad=True), mc.tensor(w, dtype=mc.float64, requires_grad=True)
        y = F.conv2d(X, W, padding=padding, algorithm=name)
        gy = rs.standard_normal(y.shape) if gy is None else gy
        y.backward(mc.tensor(gy, dtype=mc.float64))
        grads[name] = (y.numpy(), X.grad.numpy(), W.grad.numpy())
    for got, want in zip(grads["batch_last"], grads["reference"]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("xshape,wshape,expected", [
    ((2, 3, 32, 32), (8, 3, 3, 3), "im2col"),
    ((32, 3, 32, 32), (8, 3, 3, 3), "batch_last"),
    ((2, 64, 10, 10), (32, 64, 1, 1), "pointwise"),
    ((32, 64, 10, 10), (32, 64, 1, 1), "batch_last"),
    ((2, 128, 28, 28), (128, 128, 3, 3), "winograd4x4"),    # channel-first, 128 channels, 28x28 maps
    ((2, 512, 56, 56), (512, 256, 3, 3), "winograd4x4"),
    ((2, 64, 224, 224), (64, 64, 3, 3), "winograd4x4"),       # 64 channels, but 224x224 maps
    ((2, 64, 112, 112), (128, 64, 3, 3), "im2col"),           # 64 channels: F(4x4)'s transforms cost too much
    ((32, 256, 56, 56), (256, 256, 3, 3), "batch_last"),      # batch-last F(4x4) pieces would hold under 16 images
    ((2, 512, 16, 16), (512, 512, 3, 3), "winograd"),
    ((32, 512, 4, 4), (512, 512, 3, 3), "winograd4x4"),     # batch-last, 4x4 maps
    ((32, 512, 14, 14), (512, 512, 3, 3), "winograd4x4"),
    ((2, 128, 16, 16), (128, 128, 3, 3), "im2col"),          # too few channels for Winograd on AVX-512
    ((32, 256, 14, 14), (256, 256, 3, 3), "winograd4x4"),
    ((64, 64, 16, 16), (128, 64, 3, 3), "winograd4x4"),      # harmonic mean of 64 and 128: 85
    ((64, 64, 32, 32), (64, 64, 3, 3), "batch_last"),        # 64: F(4x4) was even with batch_last
    ((64, 512, 2, 2), (512, 512, 3, 3), "batch_last"),       # 2x2 maps: one 4x4 tile wastes 3/4
    ((128, 512, 2, 2), (512, 512, 3, 3), "winograd"),        # F(2x2): 512 output pixels
    ((1, 512, 2, 2), (512, 512, 3, 3), "im2col"),            # 4 output pixels: Winograd's tiles waste too much
])
def test_the_dispatcher_choice(xshape, wshape, expected):
    g = ConvGeometry(xshape, wshape[2:], (1, 1), (1, 1, 1, 1) if wshape[2] == 3 else (0, 0, 0, 0))
    assert choice.choose(g, wshape[0], np, np.float32, np.float32) == expected


def test_auto_runs_what_the_dispatcher_chose():
    x, w = mc.tensor(rand(2, 3, 8, 8)), mc.tensor(rand(4, 3, 1, 1))
    with mc.profiler.profile() as prof:
        F.conv2d(x, w)
        F.conv2d(x, mc.tensor(rand(4, 3, 3, 3)), padding=1, algorithm="reference")
    assert set(prof.totals()) == {"Conv2dPointwise", "Conv2dReference"}


@pytest.mark.parametrize("kwargs,message", [
    (dict(algorithm="fft"), "unknown algorithm 'fft'"),
    (dict(algorithm="pointwise", padding=1), "1x1 kernel"),
    (dict(algorithm="winograd", stride=2), "3x3 kernels with stride 1"),
    (dict(algorithm="winograd", padding=3), "padding at most 2"),
])
def test_an_algorithm_that_cannot_run_is_refused(kwargs, message):
    x, w = mc.tensor(rand(2, 3, 9, 9)), mc.tensor(rand(4, 3, 3, 3) if kwargs["algorithm"] != "pointwise" else
                                                   rand(4, 3, 1, 1))
    with pytest.raises(ValueError, match=message):
        F.conv2d(x, w, **kwargs)


def test_winograd_refuses_integers_and_mixed_dtypes():
    with pytest.raises(ValueError, match="float32 or float64"):
        F.conv2d(mc.tensor(np.ones((1, 2, 5, 5), np.int64)), mc.tensor(np.ones((2, 2, 3, 3), np.int64)),
                 algorithm="winograd")


@pytest.mark.parametrize("name", ["im2col", "reference"])
def test_groups_and_dilation_pass_the_algorithm_on(name):
    x, w = rand(2, 4, 9, 9, seed=10), rand(6, 2, 3, 3, seed=11)
    torch_oracle(lambda a, b: F.conv2d(a, b, padding=2, dilation=2, groups=2, algorithm=name),
                 lambda a, b: TF.conv2d(a, b, padding=2, dilation=2, groups=2), [x, w])


@pytest.mark.parametrize("K,J,Q,form", [(6, 25, 12544, "chunked"), (6, 25, 12544 + 77, "chunked"),
                                        (16, 150, 25088, "transposed"), (64, 576, 2048, "transposed"),
                                        (64, 576, 300, "plain"), (128, 512, 784, "plain"), (256, 1024, 1200, "plain"),
                                        (64, 200, 2048, "plain")])
def test_weight_product_equals_one_gemm_in_every_form(K, J, Q, form):
    """The weight gradient's GEMM, chunked along Q for tiny weights (a remainder included), as
    col @ gY^T for few filters over many columns, else whole: the same product up to the order of
    the additions, and always C-contiguous (the optimizer reads gW flat)."""
    from minicnn.functional.conv_algorithms import choice
    from minicnn.functional.conv_algorithms.common import weight_product
    chunked = K * J <= choice.WEIGHT_CHUNKED_MAX
    transposed = (not chunked and K <= choice.WEIGHT_T_MAX_K and J >= choice.WEIGHT_T_MIN_RATIO * K
                  and Q >= choice.WEIGHT_T_MIN_Q)
    assert form == ("chunked" if chunked else "transposed" if transposed else "plain")
    rng = np.random.default_rng(K + J)
    gy, col = rng.standard_normal((K, Q)), rng.standard_normal((J, Q))
    out = weight_product(gy, col)
    np.testing.assert_allclose(out, gy @ col.T, rtol=1e-12, atol=1e-10)
    assert out.flags.c_contiguous
    gy32 = gy.astype(np.float32)[:, 1:]                                   # a strided view, as a piece of gY is
    col32 = col.astype(np.float32)[:, 1:]
    out32 = weight_product(gy32, col32)
    np.testing.assert_allclose(out32, gy32 @ col32.T, rtol=1e-4, atol=1e-3)
    assert out32.flags.c_contiguous


def test_lenet_first_layer_weight_gradient_matches_pytorch():
    """1 -> 6 channels, 5x5, batch 32: the chunked weight product, against PyTorch."""
    x, w, b = rand(32, 1, 28, 28, seed=80), rand(6, 1, 5, 5, seed=81), rand(6, seed=82)
    torch_oracle(lambda *a: F.conv2d(*a, padding=2), lambda *a: TF.conv2d(*a, padding=2), [x, w, b])


# -------------------------------- grouped and depthwise: one op for all the groups
@pytest.mark.parametrize("algorithm", ["auto", "grouped", "depthwise"])
@pytest.mark.parametrize("N,C,K,groups,H,W,kernel,stride,padding", [
    (2, 6, 6, 6, 7, 7, 3, 1, 1),         # depthwise 3x3, MobileNet's
    (2, 6, 12, 6, 9, 8, 3, 2, 1),        # depthwise with 2 filters a channel, stride 2 with padding
    (3, 8, 4, 2, 9, 9, 3, 1, 0),         # two groups
    (2, 4, 8, 4, 11, 11, 11, 4, 2),      # an 11x11 kernel, stride 4
    (1, 6, 6, 3, 6, 5, 1, 1, 0),         # 1x1 grouped (ShuffleNet's)
    (17, 16, 16, 16, 5, 5, 3, 1, 1),     # batches on both sides of BATCH_LAST_MIN
    (17, 16, 32, 4, 5, 5, 5, 2, 2),
])
def test_grouped_and_depthwise_against_pytorch(device, algorithm, N, C, K, groups, H, W, kernel, stride, padding):
    if algorithm == "depthwise" and groups != C:
        with pytest.raises(ValueError, match="algorithm='depthwise' needs one input channel a group"):
            F.conv2d(mc.tensor(rand(N, C, H, W)), mc.tensor(rand(K, C // groups, kernel, kernel)), groups=groups,
                     algorithm="depthwise")
        return
    x, w, b = rand(N, C, H, W, seed=41), rand(K, C // groups, kernel, kernel, seed=42), rand(K, seed=43)
    torch_oracle(lambda t, v, c: F.conv2d(t, v, c, stride, padding, groups=groups, algorithm=algorithm),
                 lambda t, v, c: TF.conv2d(t, v, c, stride, padding, groups=groups), [x, w, b], device)


@pytest.mark.parametrize("kernel,stride,padding", [
    ((3, 1), (1, 2), (1, 0)), ((1, 3), (2, 1), (0, 1)), ((5, 3), (3, 2), (2, 1)), ((2, 2), (2, 3), (1, 2)),
    ((3, 3), (1, 1), (0, 2)), ((5, 5), (2, 2), 2),
])
def test_depthwise_rows_with_unequal_strides_kernels_and_padding(device, kernel, stride, padding):
    """The depthwise sweep lays each padded image out as one flat row whose length depends on both
    strides (a multiple of sw / gcd(sh, sw)); every combination against PyTorch."""
    x, w, b = rand(3, 5, 9, 11, seed=46), rand(10, 1, *kernel, seed=47), rand(10, seed=48)
    torch_oracle(lambda t, v, c: F.conv2d(t, v, c, stride, padding, groups=5, algorithm="depthwise"),
                 lambda t, v, c: TF.conv2d(t, v, c, stride, padding, groups=5), [x, w, b], device)


@pytest.mark.parametrize("kernel,stride,padding,k", [
    (3, 1, 1, 1), (3, 2, 1, 1), (3, 1, 1, 2), ((5, 3), (3, 2), (2, 1), 1), (1, 1, 0, 1), (3, 1, 2, 3)])
@pytest.mark.parametrize("H,W,batch_last_input", [(4, 5, False), (15, 14, False), (15, 14, True)])
def test_depthwise_every_layout(device, kernel, stride, padding, k, H, W, batch_last_input):
    """The sweep runs NCHW, channels-last on small maps, or batch-last for a batch-last input (_Sweep.layout),
    with any stride, kernel, padding and filters a channel: against PyTorch, and in float64 against the
    group-by-group reference; gradcheck on the same geometry."""
    from minicnn.functional.conv_algorithms.grouped import LAST_ROWS, _Sweep
    from minicnn.functional.conv_algorithms.im2col import ConvGeometry
    from minicnn.layout import batch_last
    C = 24
    x, w, b = rand(3, C, H, W, seed=49), rand(C * k, 1, *((kernel,) * 2 if isinstance(kernel, int) else kernel),
                                              seed=50), rand(C * k, seed=51)
    if batch_last_input:
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    stride2 = (stride,) * 2 if isinstance(stride, int) else stride
    g = ConvGeometry((3, C * k, H, W), w.shape[2:], stride2, F.conv.conv_padding(padding, w.shape[2:], stride2))
    sweep = _Sweep(g, batch_last_input and k == 1)              # k > 1 repeats x's channels into NCHW
    expect = ("batch-last" if batch_last_input and k == 1 else
              "channels-last" if sweep.Hq > LAST_ROWS * g.OH else "NCHW")
    assert sweep.layout == expect
    if (kernel, stride, padding) == (3, 1, 1) and not batch_last_input:
        assert sweep.layout == ("channels-last" if H == 4 else "NCHW")    # the small map channels-last
    torch_oracle(lambda t, v, c: F.conv2d(t, v, c, stride, padding, groups=C, algorithm="depthwise"),
                 lambda t, v, c: TF.conv2d(t, v, c, stride, padding, groups=C), [x, w, b], device)
    ts = [mc.tensor(a, dtype=mc.float64, requires_grad=True) for a in (x, w)]
    ours = F.conv2d(*ts, stride=stride, padding=padding, groups=C, algorithm="depthwise")
    ref = F.conv2d(*ts, stride=stride, padding=padding, groups=C, algorithm="reference")
    assert_close(ours.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
    assert batch_last(ts[0].array) == batch_last_input and batch_last(ours.array) == (expect == "batch-last")
    C = 3                                                       # fewer, for gradcheck; batch-last on a
    gh, gw = (4, 5) if batch_last_input else (H, W)             # small map (its layout whatever the size)

    def laid_out(x):                                            # batch-last in memory, as conv2d leaves it
        return x.permute(1, 2, 3, 0).contiguous().permute(3, 0, 1, 2) if batch_last_input else x
    check(lambda x, w, b: F.conv2d(laid_out(x), w, b, stride=stride, padding=padding, groups=C, algorithm="depthwise"),
          T(2, C, gh, gw, seed=52), T(C * k, 1, *w.shape[2:], seed=53), T(C * k, seed=54))


@pytest.mark.parametrize("N,C,H,batch_last_input,layout", [
    (32, 64, 32, False, "NCHW"), (16, 32, 32, True, "batch-last"), (128, 1024, 4, False, "channels-last")])
def test_depthwise_in_blocks_on_large_batches(device, N, C, H, batch_last_input, layout):
    """Arrays too large for the cache are swept in blocks of rows (_Sweep.blocks), every layout: against
    PyTorch."""
    from minicnn.functional.conv_algorithms.grouped import _Sweep
    from minicnn.functional.conv_algorithms.im2col import ConvGeometry
    x, w, b = rand(N, C, H, H, seed=55), rand(C, 1, 3, 3, seed=56), rand(C, seed=57)
    if batch_last_input:
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    sweep = _Sweep(ConvGeometry(x.shape, (3, 3), (1, 1), (1, 1, 1, 1)), batch_last_input)
    assert sweep.layout == layout
    if device == "cpu":
        assert len(list(sweep.blocks(sweep.split(x)))) > 1
    torch_oracle(lambda t, v, c: F.conv2d(t, v, c, padding=1, groups=C, algorithm="depthwise"),
                 lambda t, v, c: TF.conv2d(t, v, c, padding=1, groups=C), [x, w, b], device)


@pytest.mark.parametrize("algorithm,groups,K", [("grouped", 2, 4), ("depthwise", 4, 4), ("depthwise", 4, 8)])
@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 0), ((1, 2), (2, 1))])
def test_gradcheck_grouped_and_depthwise(algorithm, groups, K, stride, padding):
    check(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding, groups=groups, algorithm=algorithm),
          T(2, 4, 7, 6, seed=84), T(K, 4 // groups, 3, 3, seed=85), T(K, seed=86))


def test_grouped_ops_match_the_group_by_group_reference():
    """The oracle: conv2d's loop over the groups with algorithm="reference"."""
    x, w = rand(3, 12, 8, 8, seed=44), rand(24, 1, 3, 3, seed=45)
    ref = F.conv2d(mc.tensor(x), mc.tensor(w), padding=1, groups=12, algorithm="reference").numpy()
    for name in ("depthwise", "grouped", "auto"):
        assert_close(F.conv2d(mc.tensor(x), mc.tensor(w), padding=1, groups=12, algorithm=name).numpy(), ref,
                     rtol=1e-5, atol=1e-5)
    from minicnn.functional.conv_algorithms import choice
    assert choice.choose_grouped(12, 12) == "depthwise" and choice.choose_grouped(12, 3) == "grouped"


# -------------------------------- the plan: what "auto" runs, shown before it runs
@pytest.mark.parametrize("N,C,K,H,kernel,stride,padding,groups", [
    (2, 3, 8, 12, 3, 1, 1, 1), (16, 3, 8, 12, 3, 1, 1, 1), (4, 8, 6, 10, 1, 1, 0, 1), (4, 8, 6, 10, 1, 2, 0, 1),
    (2, 128, 128, 28, 3, 1, 1, 1), (32, 64, 128, 8, 3, 1, 1, 1), (2, 6, 6, 9, 3, 1, 1, 6), (2, 8, 4, 9, 3, 2, 1, 2),
    (17, 4, 4, 5, 5, 2, 2, 1), (2, 6, 12, 9, 3, 1, 1, 6),
])
@pytest.mark.parametrize("batch_last_input", [False, True])
def test_the_plan_is_what_auto_runs(N, C, K, H, kernel, stride, padding, groups, batch_last_input):
    """conv2d_plan names the algorithm and the output layout conv2d then gives, and is the plan -- pieces,
    what is kept, the input gradient's method -- the algorithm carries out; conv_plans lists them for
    every Conv2d of a model, with the thresholds that decided."""
    from minicnn.functional.conv_algorithms import ALGORITHMS
    from minicnn.layout import batch_last
    plan = F.conv2d_plan((N, C, H, H), (K, C // groups, kernel, kernel), stride, padding, groups=groups,
                         batch_last_input=batch_last_input)
    x = rand(N, C, H, H, seed=1)
    if batch_last_input:
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    x = mc.tensor(x, requires_grad=True)
    w = mc.tensor(rand(K, C // groups, kernel, kernel, seed=2))
    y = F.conv2d(x, w, stride=stride, padding=padding, groups=groups)
    assert type(y._ctx) is ALGORITHMS[plan.algorithm]
    assert (plan.layout == "batch-last") == batch_last(y.array)
    assert plan.why and plan.pieces and plan.input_grad
    if groups == 1:
        assert y._ctx.plan == plan and y._ctx.pieces == list(plan.pieces)


def test_conv_plans_of_a_model_print_every_layer_and_why():
    lines = []
    model = mc.nn.Sequential(mc.nn.Conv2d(3, 128, 3, padding=1), mc.nn.ReLU(), mc.nn.Conv2d(128, 128, 3, padding=1),
                             mc.nn.Conv2d(128, 128, 3, padding=1, groups=128), mc.nn.Conv2d(128, 4, 1))
    rows = mc.nn.conv_plans(model, (3, 28, 28), batch_size=2, print_fn=lines.append)
    assert [(name, plan.algorithm) for name, _, plan in rows] == [
        ("0", "im2col"), ("2", "winograd4x4"), ("3", "depthwise"), ("4", "pointwise")]
    assert rows[1][1] == (2, 128, 28, 28) and len(lines) == 5
    assert "WINOGRAD4_MIN_CHANNELS (128)" in lines[2] and "not Winograd: min(C, K) = 3" in lines[1]
    rows = mc.nn.conv_plans(model, (3, 8, 8), batch_size=16, print_fn=None)
    assert [plan.layout for _, _, plan in rows] == ["batch-last"] * 4     # the depthwise layer keeps its input's
