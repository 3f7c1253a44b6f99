"""Activations (minicnn/functional/activation.py): ReLU and its kin, sigmoid, tanh, softmax and log-
softmax.

Each op's checks side by side: against PyTorch in float32; gradcheck in float64."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
from conftest import T, check, distinct, rand, torch_oracle


# -------------------------------- against PyTorch in float32: the output and every input gradient
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activations(device, name):
    x = rand(4, 7, 3, seed=16) * 3
    torch_oracle(getattr(F, name), getattr(torch, name), [x], device)


def test_sigmoid_extreme(device):
    x = np.array([[-1e4, -80, -10, 0, 10, 80, 1e4]], np.float32)
    torch_oracle(F.sigmoid, torch.sigmoid, [x], device)


def test_sigmoid_keeps_its_relative_precision_for_negative_inputs_and_does_not_warn(device):
    """Far below 0 sigmoid is e^x: PyTorch's values to float32's relative precision (0.5 tanh(x/2) + 0.5
    gave twice y at x = -18 and 0 from x = -20), and an overflowing e^-x (x = -1e4) is no warning."""
    x = np.array([-87, -80, -30, -18, -10, -3, -1e4], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.sigmoid(mc.tensor(x, device=device)).cpu().numpy()
    np.testing.assert_allclose(y, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-6, atol=0)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_softmax_family(device, name, axis, scale):
    x = rand(5, 6, 3, seed=17) * scale
    torch_oracle(lambda x: getattr(F, name)(x, axis), lambda x: getattr(torch, name)(x, axis), [x], device)


def test_leaky_relu(device):
    torch_oracle(lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), [rand(3, 4, seed=18)], device)


# -------------------------------- gradcheck in float64, random upstream gradient
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu"])
def test_gradcheck_activations(name):
    check(getattr(F, name), T(3, 4, seed=9))


@pytest.mark.parametrize("name", ["elu", "gelu", "gelu_tanh", "leaky_relu"])
def test_gradcheck_more_activations(name):
    fn = {"elu": lambda a: F.elu(a, 0.7), "gelu": F.gelu, "gelu_tanh": lambda a: F.gelu(a, approximate="tanh"),
          "leaky_relu": lambda a: F.leaky_relu(a, 0.1)}[name]
    check(fn, T(3, 4, seed=67))                 # an even count: distinct() then keeps clear of 0


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, -1])
def test_gradcheck_softmax_family(name, axis):
    check(lambda x: getattr(F, name)(x, axis), T(3, 5, seed=10))


# -------------------------------- the PyTorch API's options, against PyTorch
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "gelu_tanh"])
def test_leaky_relu_elu_gelu_match_pytorch(name):
    x = rand(3, 5, 4, seed=17, scale=3)
    ours = {"leaky_relu": lambda t: F.leaky_relu(t, 0.2), "elu": lambda t: F.elu(t, 1.5), "gelu": F.gelu,
            "gelu_tanh": lambda t: F.gelu(t, approximate="tanh")}[name]
    theirs = {"leaky_relu": lambda t: TF.leaky_relu(t, 0.2), "elu": lambda t: TF.elu(t, 1.5), "gelu": TF.gelu,
              "gelu_tanh": lambda t: TF.gelu(t, approximate="tanh")}[name]
    torch_oracle(ours, theirs, [x])
