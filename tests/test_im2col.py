"""The fast im2col/col2im against the textbook ones, and col2im as the adjoint of im2col."""
import numpy as np
import pytest

from minicnn.functional.conv import conv_padding
from minicnn.functional.conv_algorithms.im2col import col2im, col2im_reference, im2col, im2col_reference
from conftest import rand

CASES = [((2, 3, 7, 6), (3, 3), (1, 1), 1), ((2, 3, 7, 6), (3, 2), (2, 1), (0, 1)), ((1, 2, 9, 9), (5, 5), (2, 2), 2),
         ((3, 4, 5, 5), (1, 1), (1, 1), 0), ((2, 1, 11, 12), (11, 11), (1, 1), "same"), ((2, 2, 8, 9), (2, 4), (3, 2), 1)]


@pytest.mark.parametrize("shape,kernel,stride,padding", CASES)
def test_fast_im2col_is_the_transposed_textbook_one(shape, kernel, stride, padding):
    x = rand(*shape, seed=1)
    pads = conv_padding(padding, kernel, stride)
    np.testing.assert_array_equal(im2col(x, kernel, stride, pads), im2col_reference(x, kernel, stride, pads).T)


@pytest.mark.parametrize("shape,kernel,stride,padding", CASES)
def test_col2im_is_the_adjoint_of_im2col(shape, kernel, stride, padding):
    # <im2col(x), c> == <x, col2im(c)> for every x and c: the defining property of a backward
    x = rand(*shape, seed=2).astype(np.float64)
    pads = conv_padding(padding, kernel, stride)
    col = im2col(x, kernel, stride, pads)
    c = rand(*col.shape, seed=3).astype(np.float64)
    np.testing.assert_allclose((col * c).sum(), (x * col2im(c, shape, kernel, stride, pads)).sum(), rtol=1e-10)
    np.testing.assert_allclose(col2im(c, shape, kernel, stride, pads),
                               col2im_reference(c.T.copy(), shape, kernel, stride, pads), rtol=1e-10)


def test_im2col_shape_matches_the_docstring():
    col = im2col(np.zeros((4, 3, 32, 32), np.float32), (5, 5), (1, 1), (2, 2, 2, 2))
    assert col.shape == (3 * 5 * 5, 4 * 32 * 32) and col.dtype == np.float32
    ref = im2col_reference(np.zeros((4, 3, 32, 32), np.float32), (5, 5), (1, 1), (2, 2, 2, 2))
    assert ref.shape == (4 * 32 * 32, 3 * 5 * 5)
