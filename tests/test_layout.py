"""Batch-last activations (minicnn/layout.py): conv2d's batch-last output kept by the ops after it, the
same numbers on either side of the threshold.

Each op's checks side by side: against PyTorch in float32; gradcheck in float64."""
import numpy as np
import pytest
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
from conftest import T, check, rand, torch_oracle


# -------------------------------- against PyTorch in float32: the output and every input gradient
def block_ours(x, w1, b1, gamma, beta, w2):
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 3, stride=2, padding=1)
    h = F.dropout(F.batch_norm(h, None, None, gamma, beta, training=True), 0.0)
    h = F.avg_pool2d(h, 2)
    return F.conv2d(h, w2, stride=2, padding=1).relu()


def block_torch(x, w1, b1, gamma, beta, w2):
    h = TF.max_pool2d(TF.relu(TF.conv2d(x, w1, b1, padding=2)), 3, stride=2, padding=1)
    h = TF.batch_norm(h, None, None, gamma, beta, training=True)
    h = TF.avg_pool2d(h, 2)
    return TF.relu(TF.conv2d(h, w2, stride=2, padding=1))


@pytest.mark.parametrize("n", [15, 16, 33])
def test_conv_block_either_side_of_the_batch_last_threshold(device, n):
    """From BATCH_LAST_MIN (16) images conv2d returns batch-last views, which ReLU, pooling, batch
    norm and dropout pass on: the same numbers as PyTorch on either side of the threshold."""
    args = [rand(n, 3, 13, 11, seed=60), rand(8, 3, 5, 5, seed=61), rand(8, seed=62), rand(8, seed=63) + 1,
            rand(8, seed=64), rand(4, 8, 3, 3, seed=65)]
    torch_oracle(block_ours, block_torch, args, device, rtol=1e-4, atol=1e-4)


def test_activation_layout_from_sixteen_images(device):
    """On the CPU activations go batch-last from 16 images and stay so through the layers after
    conv2d; on a GPU they stay NCHW and C-contiguous whatever the batch (conv.py's docstring)."""
    from minicnn.functional.conv_algorithms.choice import BATCH_LAST_MIN
    from minicnn.layout import batch_last
    w = mc.tensor(rand(4, 2, 3, 3, seed=66), device=device)
    for n in (BATCH_LAST_MIN - 1, BATCH_LAST_MIN):
        x = mc.tensor(rand(n, 2, 8, 8, seed=67), device=device, requires_grad=True)
        y = F.conv2d(x, w, padding=1)
        chain = [y, F.relu(y), F.max_pool2d(y, 2), F.avg_pool2d(y, 3, stride=2, padding=1), F.avg_pool2d(y, 8),
                 F.batch_norm(y, None, None, training=True), F.dropout(y, 0.5)]
        expect = n >= BATCH_LAST_MIN and device == "cpu"
        assert [batch_last(t.array) for t in chain] == [expect] * len(chain)
        if device != "cpu":
            assert all(t.array.flags.c_contiguous for t in chain)
        sum(t.sum() for t in chain).backward()
        assert batch_last(x.grad.array) == expect


def mobile_ours(x, w1, w2, w3, gamma, beta):
    """MobileNetV2's block on batch-last activations: a 1x1 layer's batch-last output into a depthwise
    layer of 2 filters a channel and a grouped one, which give NCHW outputs; their input gradients must
    come back batch-last."""
    h = F.relu(F.batch_norm(F.conv2d(x, w1), None, None, gamma, beta, training=True))
    h = F.relu(F.conv2d(h, w2, padding=1, groups=8))
    return F.relu(F.conv2d(h, w3, padding=1, groups=2))


def mobile_torch(x, w1, w2, w3, gamma, beta):
    h = TF.relu(TF.batch_norm(TF.conv2d(x, w1), None, None, gamma, beta, training=True))
    h = TF.relu(TF.conv2d(h, w2, padding=1, groups=8))
    return TF.relu(TF.conv2d(h, w3, padding=1, groups=2))


def test_grouped_layers_on_batch_last_activations(device):
    """From 16 images a 1x1 layer's output is batch-last; the depthwise and grouped layers after it
    return their input gradients in that layout (ReLU's mask was saved in it), with PyTorch's numbers;
    ReLU's backward takes an upstream gradient of the other layout too."""
    from minicnn.layout import batch_last
    args = [rand(16, 4, 6, 5, seed=68), rand(8, 4, 1, 1, seed=69), rand(16, 1, 3, 3, seed=70),
            rand(6, 8, 3, 3, seed=71), rand(8, seed=72) + 1, rand(8, seed=73)]
    torch_oracle(mobile_ours, mobile_torch, args, device, rtol=1e-4, atol=1e-4)
    x = mc.tensor(args[0], device=device)
    h = F.conv2d(x, mc.tensor(args[1], device=device))
    h.requires_grad_()
    for name, layer in (("depthwise", lambda t: F.conv2d(t, mc.tensor(args[2], device=device), padding=1, groups=8)),
                        ("grouped", lambda t: F.conv2d(t, mc.tensor(rand(6, 4, 3, 3, seed=75), device=device),
                                                       padding=1, groups=2))):
        h.grad = None
        layer(h).sum().backward()
        assert batch_last(h.grad.array) == batch_last(h.array), name
    y = F.relu(h)
    gy = rand(*y.shape, seed=74)
    g_other = mc.tensor(np.ascontiguousarray(gy) if batch_last(y.array) else
                        np.ascontiguousarray(gy.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2), device=device)
    h.grad = None
    y.backward(g_other)
    np.testing.assert_array_equal(h.grad.numpy(), gy * (h.numpy() > 0))


# -------------------------------- gradcheck in float64, random upstream gradient
def test_gradcheck_block_on_batch_last_activations():
    """16 images: conv2d returns batch-last views and the ops after it keep that layout."""
    rm, rv = np.zeros(3), np.ones(3)

    def block(x, w1, b1, gamma, beta, w2):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 3, stride=2, padding=1)
        h = F.batch_norm(h, rm.copy(), rv.copy(), gamma, beta, training=True)
        return F.conv2d(F.avg_pool2d(h, 2, stride=1), w2, stride=2, padding=1)
    check(block, T(16, 2, 5, 4, seed=43), T(3, 2, 3, 3, seed=44), T(3, seed=45), T(3, seed=46, shift=1.0),
          T(3, seed=47), T(2, 3, 2, 2, seed=48))


# -------------------------------- NumPy's buffer sized to short rows (layout.rows_of)
@pytest.mark.parametrize("n,inside", [(3136, 4096), (784, 1024), (128, 128), (127, None), (8192, None), (49, None)])
def test_rows_of_fits_numpy_buffer_to_the_rows_and_restores_it(n, inside):
    from minicnn.layout import rows_of
    before = np.getbufsize()
    with rows_of(n):
        assert np.getbufsize() == (inside or before)
    assert np.getbufsize() == before
    with pytest.raises(RuntimeError), rows_of(n):
        raise RuntimeError("an op failed")
    assert np.getbufsize() == before


@pytest.mark.parametrize("shape", [(2, 8, 28, 28), (3, 5, 14, 14), (2, 4, 60, 60)])
def test_batch_norm_gives_the_same_bits_with_numpy_buffer_fitted_to_its_rows(shape):
    """The buffer size changes how NumPy walks the arrays, not the arithmetic: batch norm's output and
    gradients are bit for bit those of the default buffer (rows of 784, 196 and 3600 values)."""
    results = []
    for fit in (True, False):                                           # fitted, then never
        with mc.using_config(fit_numpy_buffer=fit):
            x = mc.tensor(rand(*shape, seed=30), requires_grad=True)
            w, b = (mc.tensor(rand(shape[1], seed=s), requires_grad=True) for s in (31, 32))
            y = F.batch_norm(x, None, None, w, b, training=True)
            y.backward(mc.tensor(rand(*shape, seed=33)))
            results.append([a.numpy() for a in (y, x.grad, w.grad, b.grad)])
    for fitted, default in zip(*results):
        np.testing.assert_array_equal(fitted, default)
