"""Pooling (minicnn/functional/pool.py): max, average and global average pooling; max pooling's two
algorithms by name are in test_pool_algorithms.py.

Each op's checks side by side: against PyTorch in float32; gradcheck in float64; random
configurations by hypothesis, against PyTorch; bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import minicnn.functional as F
import minicnn.nn as nn
from conftest import T, check, rand, torch_oracle, zeros32


# -------------------------------- against PyTorch in float32: the output and every input gradient
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
    ((2, 3, 7, 5), (7, 5), (2, 3), 0),   # one window over a non-square map, any stride: one mean
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


# -------------------------------- gradcheck in float64, random upstream gradient
@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 3, 0), ((2, 3), (2, 3), 0), (3, 2, 1), (3, 1, 1),
                                                   ((2, 3), (1, 2), 1), (2, 3, 0), (3, 2, 0)])
def test_gradcheck_max_pool(kernel, stride, padding):
    check(lambda x: F.max_pool2d(x, kernel, stride, padding), T(2, 2, 7, 6, seed=6))


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1), ((7, 6), 1, 0)])
def test_gradcheck_avg_pool(kernel, stride, padding):
    check(lambda x: F.avg_pool2d(x, kernel, stride, padding), T(2, 2, 7, 6, seed=7))


def test_gradcheck_global_avg_pool():
    check(F.global_avg_pool2d, T(2, 3, 4, 5, seed=8))


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 2, 1), (3, 3, 1)])
def test_gradcheck_pools_with_ceil_mode_and_count_include_pad(kernel, stride, padding):
    check(lambda x: F.max_pool2d(x, kernel, stride, padding, ceil_mode=True), T(2, 2, 8, 7, seed=79))
    check(lambda x: F.avg_pool2d(x, kernel, stride, padding, ceil_mode=True, count_include_pad=False),
          T(2, 2, 8, 7, seed=80))


# -------------------------------- random configurations by hypothesis, against PyTorch
@st.composite
def pool_configs(draw):
    R, S = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    ph, pw = draw(st.integers(0, R // 2)), draw(st.integers(0, S // 2))
    return dict(shape=(draw(st.integers(1, 3)), draw(st.integers(1, 4)),
                       draw(st.integers(max(1, R - 2 * ph), 16)), draw(st.integers(max(1, S - 2 * pw), 16))),
                kernel=(R, S), stride=(draw(st.integers(1, 4)), draw(st.integers(1, 4))), padding=(ph, pw),
                op=draw(st.sampled_from(["max_pool2d", "avg_pool2d"])), seed=draw(st.integers(0, 1000)),
                relu=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(pool_configs())
def test_pool_random_configurations(c):
    x = rand(*c["shape"], seed=c["seed"])
    if c["relu"]:
        x = np.maximum(x, 0)                 # many ties, as after a ReLU
    op = c["op"]
    torch_oracle(lambda x: getattr(F, op)(x, c["kernel"], c["stride"], c["padding"]),
                 lambda x: getattr(TF, op)(x, c["kernel"], c["stride"], c["padding"]), [x])


# -------------------------------- bad input: errors that name the op and the shapes
def test_pool_errors():
    with pytest.raises(ValueError, match=r"max_pool2d: window 3x3 is larger than the padded input 2x2"):
        F.max_pool2d(zeros32(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="padding"):
        F.max_pool2d(zeros32(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(ValueError, match="4-D"):
        F.avg_pool2d(zeros32(8, 8), 2)


# -------------------------------- the PyTorch API's options, against PyTorch
@pytest.mark.parametrize("H,kernel,stride,padding", [(7, 2, 2, 0), (8, 3, 2, 1), (10, 3, 3, 1), (5, 2, 2, 1), (6, 3, 2, 0)])
def test_pooling_ceil_mode_and_count_include_pad(H, kernel, stride, padding):
    x = rand(2, 3, H, H + 1, seed=27)
    torch_oracle(lambda t: F.max_pool2d(t, kernel, stride, padding, ceil_mode=True),
                 lambda t: TF.max_pool2d(t, kernel, stride, padding, ceil_mode=True), [x])
    for ceil in (False, True):
        for include in (True, False):
            torch_oracle(lambda t: nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil, count_include_pad=include)(t),
                         lambda t: torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil,
                                                      count_include_pad=include)(t), [x])
    torch_oracle(lambda t: F.avg_pool2d(t, kernel, stride, padding, divisor_override=5),
                 lambda t: TF.avg_pool2d(t, kernel, stride, padding, divisor_override=5), [x])


@pytest.mark.parametrize("size", [(1, 1), (3, 3), (2, 5), (7, 7)])
def test_adaptive_avg_pool(size):
    x = rand(2, 3, 11, 14, seed=45)
    torch_oracle(lambda t: nn.AdaptiveAvgPool2d(size)(t), lambda t: torch.nn.AdaptiveAvgPool2d(size)(t), [x])
