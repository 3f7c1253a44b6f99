"""The losses (minicnn/functional/loss.py): cross-entropy with its PyTorch options, binary cross-
entropy, MSE.

Each op's checks side by side: against PyTorch in float32; gradcheck in float64; bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
import minicnn.nn as nn
from conftest import T, check, rand, torch_oracle, zeros32


# -------------------------------- against PyTorch in float32: the output and every input gradient
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


# -------------------------------- gradcheck in float64, random upstream gradient
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_gradcheck_cross_entropy(smoothing):
    check(lambda z: F.cross_entropy(z, np.array([2, 0, 1]), label_smoothing=smoothing), T(3, 4, seed=23))
    q = np.random.default_rng(0).dirichlet(np.ones(4), size=3)
    check(lambda z: F.cross_entropy(z, q, label_smoothing=smoothing), T(3, 4, seed=24))


def test_gradcheck_bce_and_mse():
    y = (np.arange(12).reshape(3, 4) % 2).astype(np.float64)
    check(lambda z: F.binary_cross_entropy_with_logits(z, y), T(3, 4, seed=25))
    check(F.mse_loss, T(3, 4, seed=26), T(3, 4, seed=27))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_cross_entropy_with_weight_ignore_index_and_smoothing(reduction):
    t = mc.tensor(np.array([2, -100, 0, 3, 1]))
    w = mc.tensor(np.array([0.5, 1.0, 2.0, 1.5]), dtype=np.float64)
    check(lambda z: F.cross_entropy(z, t, weight=w, reduction=reduction, label_smoothing=0.1), T(5, 4, seed=68))
    q = mc.tensor(np.random.default_rng(69).dirichlet(np.ones(4), 5), dtype=np.float64)
    check(lambda z: F.cross_entropy(z, q, weight=w, reduction=reduction, label_smoothing=0.2), T(5, 4, seed=70))
    check(lambda z: F.nll_loss(z, t, weight=w, reduction=reduction), T(5, 4, seed=71))
    tm = mc.tensor(np.random.default_rng(72).integers(0, 3, (2, 4, 3)))
    check(lambda z: F.cross_entropy(z, tm, reduction=reduction), T(2, 3, 4, 3, seed=73))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_binary_losses(reduction):
    y = mc.tensor(np.random.default_rng(74).random((3, 4)), dtype=np.float64)
    w = mc.tensor(np.random.default_rng(75).random((3, 4)) + 0.5, dtype=np.float64)
    pw = mc.tensor(np.array([1.0, 2.0, 0.5, 3.0]), dtype=np.float64)
    check(lambda z: F.binary_cross_entropy_with_logits(z, y, weight=w, pos_weight=pw, reduction=reduction),
          T(3, 4, seed=76))
    check(lambda p: F.binary_cross_entropy(p, y, weight=w, reduction=reduction),
          mc.tensor(np.random.default_rng(77).random((3, 4)) * 0.8 + 0.1, dtype=np.float64, requires_grad=True))
    check(lambda x: F.mse_loss(x, y, reduction=reduction), T(3, 4, seed=78))


# -------------------------------- bad input: errors that name the op and the shapes
def test_loss_target_errors():
    with pytest.raises(ValueError, match=r"indices must be in \[0, 9\]"):
        F.cross_entropy(zeros32(2, 10), np.array([3, 10]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        F.cross_entropy(zeros32(2, 10), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="does not match"):
        F.mse_loss(zeros32(2, 3), zeros32(3, 2))


# -------------------------------- the PyTorch API's options, against PyTorch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_weight_ignore_index_reduction_smoothing(reduction, weighted, smoothing):
    z = rand(7, 5, seed=18, scale=3)
    t = np.array([0, 4, 2, -100, 1, 4, 3])
    w = (np.arange(5) + 1).astype(np.float32) / 3 if weighted else None
    torch_oracle(lambda x: F.cross_entropy(x, mc.tensor(t), weight=None if w is None else mc.tensor(w),
                                           reduction=reduction, label_smoothing=smoothing),
                 lambda x: TF.cross_entropy(x, torch.tensor(t), weight=None if w is None else torch.tensor(w),
                                            reduction=reduction, label_smoothing=smoothing), [z])
    q = np.random.default_rng(19).dirichlet(np.ones(5), 7).astype(np.float32)
    torch_oracle(lambda x: F.cross_entropy(x, mc.tensor(q), weight=None if w is None else mc.tensor(w),
                                           reduction=reduction, label_smoothing=smoothing),
                 lambda x: TF.cross_entropy(x, torch.tensor(q), weight=None if w is None else torch.tensor(w),
                                            reduction=reduction, label_smoothing=smoothing), [z])


@pytest.mark.parametrize("batch", [1, 2, 64])
def test_cross_entropy_extreme_logits_and_class_maps(batch):
    z = rand(batch, 10, seed=20) * 1e4                              # exp would overflow a naive version
    t = np.arange(batch) % 10
    torch_oracle(lambda x: nn.CrossEntropyLoss()(x, mc.tensor(t)), lambda x: torch.nn.CrossEntropyLoss()(x, torch.tensor(t)), [z])
    maps, tm = rand(2, 4, 3, 5, seed=21), np.random.default_rng(22).integers(0, 4, (2, 3, 5))
    tm[0, 0, 0] = 7
    for reduction in ("mean", "none"):
        torch_oracle(lambda x: F.cross_entropy(x, mc.tensor(tm), ignore_index=7, reduction=reduction),
                     lambda x: TF.cross_entropy(x, torch.tensor(tm), ignore_index=7, reduction=reduction), [maps])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_and_log_softmax(reduction):
    z = rand(6, 4, seed=23)
    t = np.array([3, 0, 1, 1, -100, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5], np.float32)
    torch_oracle(lambda x: F.nll_loss(F.log_softmax(x, dim=1), mc.tensor(t), reduction=reduction),
                 lambda x: TF.nll_loss(TF.log_softmax(x, dim=1), torch.tensor(t), reduction=reduction), [z])
    torch_oracle(lambda x: nn.NLLLoss(weight=mc.tensor(w), reduction=reduction)(nn.LogSoftmax(dim=1)(x), mc.tensor(t)),
                 lambda x: torch.nn.NLLLoss(weight=torch.tensor(w), reduction=reduction)(torch.nn.LogSoftmax(dim=1)(x),
                                                                                        torch.tensor(t)), [z])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_and_mse(reduction):
    z, y = rand(4, 3, seed=24, scale=4), np.random.default_rng(25).random((4, 3)).astype(np.float32)
    w, pw = rand(4, 3, seed=26) ** 2, np.array([1.0, 3.0, 0.5], np.float32)
    torch_oracle(lambda x: nn.BCEWithLogitsLoss(weight=mc.tensor(w), pos_weight=mc.tensor(pw), reduction=reduction)(x, mc.tensor(y)),
                 lambda x: torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(pw),
                                                      reduction=reduction)(x, torch.tensor(y)), [z])
    torch_oracle(lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=mc.tensor(pw), reduction=reduction),
                 lambda x, t: TF.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor(pw), reduction=reduction),
                 [z, y])                                    # the target's gradient too
    p = 1 / (1 + np.exp(-z))
    torch_oracle(lambda x: nn.BCELoss(reduction=reduction)(x, mc.tensor(y)),
                 lambda x: torch.nn.BCELoss(reduction=reduction)(x, torch.tensor(y)), [p.astype(np.float32)])
    torch_oracle(lambda x: nn.MSELoss(reduction=reduction)(x, mc.tensor(y)),
                 lambda x: torch.nn.MSELoss(reduction=reduction)(x, torch.tensor(y)), [z])
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(mc.tensor(z), mc.tensor(y))
