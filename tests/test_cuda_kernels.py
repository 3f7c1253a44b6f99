"""The CUDA kernels (minicnn/cuda_kernels.py) against the xp code they replace, on a real GPU; and
the xp code taking over wherever a kernel cannot run (NumPy, the CuPy stand-in, other dtypes)."""
import os

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import cuda_kernels
from minicnn.functional.conv_algorithms.im2col import ConvGeometry, im2col_fast


def real_cupy():
    if not mc.cuda_available():
        pytest.skip("no CUDA GPU with CuPy here")
    cp = mc.backend.cupy_module()
    if cp.__version__.endswith("standin"):
        pytest.skip("kernels cannot run on the CuPy stand-in")
    return cp


# (x shape, kernel, stride, padding (pt, pb, pl, pr)): odd sizes, stride 2 with padding, AlexNet's
# 11x11 stride 4, asymmetric padding and strides, padding R-1 (the input gradient as a convolution),
# a strided 1x1 (not pointwise), a map smaller than a thread block and one larger
GEOMETRIES = [
    ((2, 3, 9, 7), (3, 3), (1, 1), (1, 1, 1, 1)),
    ((3, 4, 13, 11), (3, 3), (2, 2), (1, 1, 1, 1)),
    ((2, 3, 227, 227), (11, 11), (4, 4), (0, 0, 0, 0)),
    ((1, 5, 8, 10), (3, 5), (1, 2), (0, 2, 1, 0)),
    ((2, 2, 5, 5), (3, 3), (1, 1), (2, 2, 2, 2)),
    ((4, 6, 7, 7), (1, 1), (2, 2), (0, 0, 0, 0)),
    ((3, 2, 40, 33), (5, 5), (1, 1), (2, 2, 2, 2)),
]


@pytest.mark.gpu
@pytest.mark.parametrize("shape,kernel,stride,padding", GEOMETRIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_kernel_matches_xp(shape, kernel, stride, padding, dtype):
    cp = real_cupy()
    assert cuda_kernels.enabled(cp), "the im2col kernel did not compile on this GPU"
    x = cp.asarray(np.random.default_rng(0).standard_normal(shape).astype(dtype))
    g = ConvGeometry(shape, kernel, stride, padding)
    got = cuda_kernels.im2col(x, g)
    buf = cp.full(g.col_shape[0] * g.col_shape[1] + 7, np.nan, dtype=dtype)   # a larger reused buffer
    into = cuda_kernels.im2col(x, g, out=buf)
    with mc.using_config(cuda_kernels=False):
        want = im2col_fast(x, g)
    assert got is not None and got.shape == want.shape == g.col_shape
    np.testing.assert_array_equal(got.get(), want.get())          # a copy: exact
    np.testing.assert_array_equal(into.get(), want.get())


@pytest.mark.gpu
def test_im2col_kernel_on_a_non_contiguous_input():
    cp = real_cupy()
    x = cp.asarray(np.random.default_rng(1).standard_normal((5, 3, 6, 17)).astype(np.float32))
    view = cp.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)   # batch-last memory
    g = ConvGeometry(x.shape, (3, 3), (1, 1), (1, 1, 1, 1))
    np.testing.assert_array_equal(cuda_kernels.im2col(view, g).get(), cuda_kernels.im2col(x, g).get())


@pytest.mark.gpu
def test_conv2d_with_and_without_the_kernel():
    """A conv layer's forward and backward give the same numbers either way (float64, so the
    GEMMs are the same too)."""
    real_cupy()
    rs = np.random.default_rng(2)
    x0, w0 = rs.standard_normal((3, 4, 11, 9)), rs.standard_normal((6, 4, 3, 3))
    results = []
    for on in (True, False):
        with mc.using_config(cuda_kernels=on):
            x = mc.tensor(x0, device="cuda", requires_grad=True)
            w = mc.tensor(w0, device="cuda", requires_grad=True)
            y = F.conv2d(x, w, stride=2, padding=1)
            (y * y).sum().backward()
        results.append([t.get() for t in (y.array, x.grad.array, w.grad.array)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_no_kernel_where_none_can_run():
    """NumPy never; the stand-in never (its RawKernel refuses); other dtypes and MINICNN_CUDA_KERNELS=0
    fall back to the xp code (None from the kernel helper)."""
    assert not cuda_kernels.enabled(np)
    g = ConvGeometry((1, 1, 4, 4), (3, 3), (1, 1), (1, 1, 1, 1))
    assert cuda_kernels.im2col(np.zeros((1, 1, 4, 4), np.float32), g) is None
    if os.environ.get("MINICNN_CUDA_STANDIN") == "1":
        cp = mc.backend.cupy_module()
        assert not cuda_kernels.enabled(cp)
        assert cuda_kernels.im2col(cp.zeros((1, 1, 4, 4), dtype=cp.float32), g) is None
    elif mc.cuda_available():
        cp = mc.backend.cupy_module()
        assert cuda_kernels.im2col(cp.zeros((1, 1, 4, 4), dtype=cp.float16), g) is None
        with mc.using_config(cuda_kernels=False):
            assert cuda_kernels.im2col(cp.zeros((1, 1, 4, 4), dtype=cp.float32), g) is None
