"""Bad input gets an error that names the op and shows the expected and the actual shapes."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def t(*shape):
    return mc.tensor(np.zeros(shape, np.float32))


def test_conv_wrong_channel_count():
    with pytest.raises(ValueError, match=r"conv2d: weight \(8, 3, 3, 3\) expects input with 3 channels.*\(2, 1, 28, 28\)"):
        F.conv2d(t(2, 1, 28, 28), t(8, 3, 3, 3))


def test_conv_wrong_dimensionality():
    with pytest.raises(ValueError, match=r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(1, 28, 28\)"):
        F.conv2d(t(1, 28, 28), t(8, 1, 3, 3))
    with pytest.raises(ValueError, match=r"4-D weight"):
        F.conv2d(t(1, 1, 28, 28), t(8, 9))


def test_conv_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel 5x5 is larger than the padded input 4x4"):
        F.conv2d(t(1, 1, 4, 4), t(2, 1, 5, 5))
    with pytest.raises(ValueError, match="same"):
        F.conv2d(t(1, 1, 8, 8), t(2, 1, 3, 3), stride=2, padding="same")


def test_pool_errors():
    with pytest.raises(ValueError, match=r"max_pool2d: window 3x3 is larger than the padded input 2x2"):
        F.max_pool2d(t(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="padding"):
        F.max_pool2d(t(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(ValueError, match="4-D"):
        F.avg_pool2d(t(8, 8), 2)


def test_linear_in_features_mismatch_names_both_numbers():
    with pytest.raises(ValueError, match=r"expected input with 784 features.*\(32, 400\) with 400"):
        F.linear(t(32, 400), t(120, 784))


def test_loss_target_errors():
    with pytest.raises(ValueError, match=r"indices must be in \[0, 9\]"):
        F.cross_entropy(t(2, 10), np.array([3, 10]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        F.cross_entropy(t(2, 10), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="does not match"):
        F.mse_loss(t(2, 3), t(3, 2))


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(t(2, 3), np.zeros(4, np.float32), np.ones(3, np.float32), training=True)
    with pytest.raises(ValueError, match="more than one value per channel"):
        F.batch_norm(t(1, 3), None, None, training=True)
