"""Batch norm and local response normalization (minicnn/functional/norm.py).

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


def test_gradcheck_local_response_norm():
    check(lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.0), T(2, 5, 2, 2, seed=21))


# -------------------------------- bad input: errors that name the op and the shapes
def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(zeros32(2, 3), np.zeros(4, np.float32), np.ones(3, np.float32), training=True)
    with pytest.raises(ValueError, match="more than one value per channel"):
        F.batch_norm(zeros32(1, 3), None, None, training=True)
