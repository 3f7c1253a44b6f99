"""Shared fixtures: the device matrix (NumPy always, CuPy where CUDA is present) and the PyTorch oracle."""
import os

import numpy as np
import pytest
from hypothesis import settings

# no test has a time limit: a busy machine is slow, not wrong (hypothesis's default deadline is 200 ms)
settings.register_profile("minicnn", deadline=None)
settings.load_profile("minicnn")

os.environ["MINICNN_OFFLINE"] = "1"          # tests never touch the network

if os.environ.get("MINICNN_CUDA_STANDIN") == "1":  # every "cuda" case on the strict CuPy stand-in, on the CPU
    import cupy_standin
    cupy_standin.install()

import minicnn as mc

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def pytest_collection_modifyitems(config, items):
    if mc.cuda_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU with CuPy here")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    mc.manual_seed(0)


@pytest.fixture
def config():
    """config(col_budget=600): minicnn settings for the rest of one test (mc.using_config), put back after it."""
    import contextlib
    with contextlib.ExitStack() as stack:
        yield lambda **settings: stack.enter_context(mc.using_config(**settings))


def to_numpy(a):
    if isinstance(a, mc.Tensor):
        return a.numpy()
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    if hasattr(a, "get"):
        return a.get()
    return np.asarray(a)


def assert_close(ours, theirs, rtol=1e-4, atol=1e-5, what=""):
    """Elementwise |a - b| <= atol * max(1, max|b|) + rtol * |b|: absolute error scaled to the data's size."""
    a, b = to_numpy(ours), to_numpy(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * scale, err_msg=what)


def torch_oracle(mc_fn, torch_fn, arrays, device="cpu", grad=None, rtol=1e-4, atol=1e-5, seed=0):
    """Run the same op in minicnn and PyTorch on the same float32 inputs and random upstream gradient;
    compare the output and the gradient of every floating-point input. Returns the minicnn output."""
    import torch
    ours = [mc.tensor(a, device=device, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
            for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
              for a in arrays]
    y = mc_fn(*ours)
    ty = torch_fn(*theirs)
    assert y.dtype == np.dtype(str(ty.dtype).replace("torch.", "")), f"dtype {y.dtype} vs {ty.dtype}"
    assert_close(y, ty, rtol, atol, "forward")
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype) if grad is None else grad
    y.backward(mc.tensor(g, device=device))
    ty.backward(torch.tensor(g))
    for i, (a, t) in enumerate(zip(ours, theirs)):
        if isinstance(a, mc.Tensor) and a.requires_grad:
            assert a.grad is not None, f"input {i} got no gradient"
            assert a.grad.dtype == a.dtype, f"input {i}: gradient dtype {a.grad.dtype} != {a.dtype}"
            assert_close(a.grad, t.grad, rtol, atol, f"gradient of input {i}")
    return y


def rand(*shape, seed=0, dtype=np.float32, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def distinct(*shape, seed=0, dtype=np.float64):
    """Values with no ties and no value near 0 (max and ReLU are then differentiable everywhere)."""
    n = int(np.prod(shape))
    rs = np.random.default_rng(seed)
    v = (rs.permutation(n) - n / 2 + 0.5) / max(n, 1) * 4
    return v.reshape(shape).astype(dtype)


def T(*shape, seed=0, shift=0.0):
    """A float64 leaf tensor of distinct() values that requires a gradient: a gradcheck input."""
    return mc.tensor(distinct(*shape, seed=seed) + shift, dtype=np.float64, requires_grad=True)


def check(fn, *inputs):
    """mc.gradcheck of fn at inputs (float64 central differences, a random upstream gradient)."""
    assert mc.gradcheck(fn, list(inputs))


def zeros32(*shape):
    """A float32 tensor of zeros: input for the error checks, where only the shape matters."""
    return mc.tensor(np.zeros(shape, np.float32))


def batches(steps, n=16, seed=0):
    """``steps`` random (x, y) batches shaped like Fashion-MNIST's: x (n, 1, 28, 28) in [0, 1), y in 0..9."""
    rs = np.random.default_rng(seed)
    return [(rs.random((n, 1, 28, 28), dtype=np.float32), rs.integers(0, 10, n)) for _ in range(steps)]


def check_batch_last_transforms(module):
    """A Winograd set's three transforms (conv_algorithms/winograd.py: F2x3 or F4x3) give
    the same numbers for x laid out (C, H, W, n), tiles ordered (i, j, n), as for x channel-first with
    tiles ordered (n, i, j); 7x6 maps cut the last tiles."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 2, 7, 6))
    xb = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)       # same array, batch-last
    TH, TW = module.tiles(7, 6)
    V, Vb = (module.transform_input(a, (1, 1, 1, 1), TH, TW, batch_last=bl) for a, bl in ((x, False), (xb, True)))
    to_cf = lambda m: m.reshape(m.shape[0], -1, TH, TW, 5).transpose(0, 1, 4, 2, 3).reshape(m.shape)  # (i, j, n) -> (n, i, j)
    np.testing.assert_array_equal(to_cf(Vb), V)
    gM, gMb = (module.transform_output_grad(a, TH, TW, batch_last=bl) for a, bl in ((x, False), (xb, True)))
    np.testing.assert_array_equal(to_cf(gMb), gM)
    y, yb = np.empty_like(x), np.empty((2, 7, 6, 5)).transpose(3, 0, 1, 2)
    module.transform_output(gM, y)
    module.transform_output(gMb, yb, batch_last=True)
    np.testing.assert_array_equal(yb, y)
