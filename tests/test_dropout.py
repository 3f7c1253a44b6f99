"""Dropout (minicnn/functional/dropout.py).

Each op's checks side by side: gradcheck in float64."""
import numpy as np

import minicnn as mc
import minicnn.functional as F
import minicnn.nn as nn
from conftest import T


# -------------------------------- gradcheck in float64, random upstream gradient
def test_gradcheck_dropout_backward_uses_the_forward_mask():
    x = T(4, 6, seed=22)
    mc.manual_seed(3)
    y = F.dropout(x, 0.5)
    y.backward(np.ones((4, 6)))
    kept = y.array != 0
    assert np.array_equal(x.grad, kept * 2.0)


# -------------------------------- the PyTorch API's options, against PyTorch
def test_dropout2d_drops_whole_channels():
    x = mc.tensor(np.ones((64, 32, 3, 3), np.float32), requires_grad=True)
    y = nn.Dropout2d(0.25)(x)
    per_map = y.numpy().reshape(64, 32, 9)
    assert np.all((per_map == 0).all(-1) | (per_map == per_map[..., :1]).all(-1))
    assert abs((per_map[..., 0] == 0).mean() - 0.25) < 0.05
    y.backward(mc.ones(64, 32, 3, 3))
    np.testing.assert_allclose(x.grad.numpy(), y.numpy())
    model = nn.Dropout2d(0.5).eval()
    assert model(x) is x
