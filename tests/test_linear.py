"""Linear, flatten, concat and pad (minicnn/functional/linear.py).

Each op's checks side by side: against PyTorch in float32; gradcheck in float64; bad input."""
import pytest
import torch
import torch.nn.functional as TF

import minicnn.functional as F
from conftest import T, check, rand, torch_oracle, zeros32


# -------------------------------- against PyTorch in float32: the output and every input gradient
# 1-2 rows: one product per row (forward and input gradient); one row: the weight gradient an outer product
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7), (1, 7), (2, 7), (3, 7), (1, 1, 7)])
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


# -------------------------------- gradcheck in float64, random upstream gradient
def test_gradcheck_linear():
    check(F.linear, T(4, 5, seed=11), T(3, 5, seed=12), T(3, seed=13))
    check(F.linear, T(2, 5, seed=14), T(3, 5, seed=12), T(3, seed=13))   # per-row products
    check(F.linear, T(1, 5, seed=15), T(3, 5, seed=12), T(3, seed=13))   # the weight gradient an outer product


def test_gradcheck_flatten_concat_pad():
    check(lambda x: F.flatten(x) * 1.0, T(2, 3, 2, 2, seed=14))
    check(lambda a, b: F.concat([a, b], axis=1), T(2, 1, 3, seed=15), T(2, 2, 3, seed=16))
    check(lambda x: F.pad2d(x, (1, 0, 2, 1)), T(1, 2, 3, 3, seed=17))


def test_gradcheck_pad_any_dimension():
    check(lambda x: F.pad(x, (1, 0, 2, 1, 0, 1), value=0.3), T(2, 3, 4, seed=84))
    check(lambda x: F.pad(x, (1, 2, 0, 1)), T(1, 2, 3, 4, seed=85))


# -------------------------------- bad input: errors that name the op and the shapes
def test_linear_in_features_mismatch_names_both_numbers():
    with pytest.raises(ValueError, match=r"expected input with 784 features.*\(32, 400\) with 400"):
        F.linear(zeros32(32, 400), zeros32(120, 784))


# -------------------------------- the PyTorch API's options, against PyTorch
def test_pad_matches_torch():
    x = rand(2, 3, 4, 5, seed=31)
    for pads in [(1, 2), (1, 0, 2, 3), (1, 1, 0, 2, 1, 0)]:
        torch_oracle(lambda t: F.pad(t, pads, value=0.5), lambda t: TF.pad(t, pads, value=0.5), [x])
