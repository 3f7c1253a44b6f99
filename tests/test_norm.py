"""Batch norm, layer norm and local response normalization (minicnn/functional/norm.py).

Each op's checks side by side: against PyTorch in float32; gradcheck in float64; bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
from conftest import T, assert_close, check, rand, torch_oracle, zeros32


# -------------------------------- against PyTorch in float32: the output and every input gradient
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
def test_batch_norm_in_blocks(device, config, block, layout, training):
    """Batch norm goes through its input in blocks (config.norm_block elements); any block size and
    layout gives PyTorch's numbers. The upstream gradient comes NCHW, so a batch-last input also
    takes the path where gy is first copied into x's layout."""
    if block is not None:
        config(norm_block=block)
    C = 3
    rm, rv = rand(C, seed=32), np.abs(rand(C, seed=33)) + 0.5
    x = rand(4, C, 6, 5, seed=34) * 2 + 1
    if layout == "batch-last":
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    torch_oracle(lambda x, w, b: F.batch_norm(x, mc.tensor(rm, device=device), mc.tensor(rv, device=device), w, b,
                                                  training=training),
                 lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, training=training),
                 [x, rand(C, seed=35), rand(C, seed=36)], device)


@pytest.mark.parametrize("H,W", [(4, 4), (7, 9), (8, 8), (14, 14), (1, 511), (16, 32), (28, 28)])
def test_batch_norm_rows_on_both_sides_of_the_row_thresholds(device, H, W):
    """Rows (H*W values) shorter than norm.REPEAT_ROWS are walked as whole blocks with repeated
    per-channel vectors, longer ones row by row; rows of norm.DOT_ROWS values and more take their sums
    of products as a dot product a row, shorter ones as a product summed: all give PyTorch's numbers,
    training mode."""
    from minicnn.functional.norm import DOT_ROWS, REPEAT_ROWS
    assert (H * W < REPEAT_ROWS) == (H * W < 512) and (H * W < DOT_ROWS) == (H * W < 64)
    C = 6
    rm, rv = rand(C, seed=37), np.abs(rand(C, seed=38)) + 0.5
    torch_oracle(lambda x, w, b: F.batch_norm(x, mc.tensor(rm, device=device), mc.tensor(rv, device=device), w, b,
                                                  training=True),
                 lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, training=True),
                 [rand(3, C, H, W, seed=39) * 2 + 1, rand(C, seed=40), rand(C, seed=41)], device)


LAYER_NORM_CASES = [((8, 10), 10), ((4, 3, 6, 5), (6, 5)), ((2, 3, 4, 5), (3, 4, 5)), ((1, 7), 7), ((3, 1), 1),
                    ((5, 2, 3), (3,))]


@pytest.mark.parametrize("shape,normalized", LAYER_NORM_CASES)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(device, shape, normalized, affine):
    """Per sample over the last dimensions, against PyTorch: odd sizes, one sample, one value (its
    variance 0: the output is the bias), weight and bias, weight alone, neither."""
    ns = (normalized,) if isinstance(normalized, int) else normalized
    x = rand(*shape, seed=40) * 3 + 2
    params = {"both": [rand(*ns, seed=41), rand(*ns, seed=42)], "weight": [rand(*ns, seed=41)], "none": []}[affine]
    # one value a sample: x's gradient is 0, which PyTorch computes to within 1.5e-5 (times 1/sqrt(eps))
    atol = 1e-4 if ns == (1,) else 1e-5
    torch_oracle(lambda x, *p: F.layer_norm(x, normalized, *p), lambda x, *p: TF.layer_norm(x, ns, *p),
                 [x] + params, device, atol=atol)


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_layer_norm_at_large_and_small_magnitudes(scale):
    x = rand(4, 6, seed=43) * scale + scale
    torch_oracle(lambda x, w, b: F.layer_norm(x, 6, w, b, eps=1e-5), lambda x, w, b: TF.layer_norm(x, (6,), w, b, eps=1e-5),
                 [x, rand(6, seed=44), rand(6, seed=45)], rtol=1e-3, atol=1e-4)


def test_layer_norm_layer_as_pytorch():
    """nn.LayerNorm: its parameters, repr, grad_fn's name, and the same numbers as torch.nn.LayerNorm;
    bias=False has no bias, elementwise_affine=False no parameters."""
    ours, theirs = mc.nn.LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4))
    assert repr(ours) == repr(theirs) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    for kw in ({"bias": False}, {"elementwise_affine": False}):
        assert repr(mc.nn.LayerNorm(4, **kw)) == repr(torch.nn.LayerNorm(4, **kw))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x = rand(2, 5, 3, 4, seed=46)
    y, ty = ours(mc.tensor(x)), theirs(torch.tensor(x))
    assert_close(y, ty, 1e-5, 1e-5, "forward")
    assert y.grad_fn.name() == ty.grad_fn.name() == "NativeLayerNormBackward0"
    g = rand(*y.shape, seed=47)                                     # the input wants no gradient: only the parameters
    y.backward(mc.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(ours.weight.grad, theirs.weight.grad, 1e-4, 1e-5, "weight")
    assert_close(ours.bias.grad, theirs.bias.grad, 1e-4, 1e-5, "bias")
    assert mc.nn.LayerNorm(4, bias=False).bias is None and not list(mc.nn.LayerNorm(4, elementwise_affine=False).parameters())


def test_layer_norm_refuses_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(5,\) must be the last dimensions of the "
                                         r"input, got input of shape \(2, 4\)"):
        F.layer_norm(mc.tensor(zeros32(2, 4)), 5)
    with pytest.raises(ValueError, match=r"layer_norm: weight must have shape \(4,\)"):
        F.layer_norm(mc.tensor(zeros32(2, 4)), 4, mc.tensor(zeros32(3)))


@pytest.mark.parametrize("size", [2, 3, 5])
def test_local_response_norm(device, size):
    x = rand(2, 7, 4, 3, seed=32) * 3
    torch_oracle(lambda x: F.local_response_norm(x, size, alpha=1e-2, beta=0.75, k=2.0),
                 lambda x: TF.local_response_norm(x, size, alpha=1e-2, beta=0.75, k=2.0), [x], device)


# -------------------------------- gradcheck in float64, random upstream gradient
@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 3, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_batch_norm(shape, training):
    C = shape[1]
    rm, rv = np.zeros(C), np.ones(C) * 1.5
    check(lambda x, w, b: F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training),
          T(*shape, seed=18), T(C, seed=19, shift=1.0), T(C, seed=20))


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_batch_norm_in_blocks(config, training):
    config(norm_block=10)                                            # runs of one channel (L = 12)
    rm, rv = np.zeros(2), np.ones(2) * 1.5
    check(lambda x, w, b: F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training),
          T(3, 2, 3, 4, seed=18), T(2, seed=19, shift=1.0), T(2, seed=20))


@pytest.mark.parametrize("shape,normalized", [((3, 5), 5), ((2, 3, 2, 3), (2, 3))])
def test_gradcheck_layer_norm(shape, normalized):
    ns = (normalized,) if isinstance(normalized, int) else normalized
    check(lambda x, w, b: F.layer_norm(x, normalized, w, b), T(*shape, seed=22), T(*ns, seed=23, shift=1.0),
          T(*ns, seed=24))


def test_gradcheck_local_response_norm():
    check(lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.0), T(2, 5, 2, 2, seed=21))


# -------------------------------- bad input: errors that name the op and the shapes
def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(zeros32(2, 3), np.zeros(4, np.float32), np.ones(3, np.float32), training=True)
    with pytest.raises(ValueError, match="more than one value per channel"):
        F.batch_norm(zeros32(1, 3), None, None, training=True)
