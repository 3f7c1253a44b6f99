"""minicnn/gradcheck.py: the float64 finite-difference check every op's backward is held to (the
checks themselves sit beside each op: test_conv.py, test_pool.py, ...)."""
import pytest

import minicnn as mc
from conftest import T


def test_gradcheck_reports_a_wrong_backward():
    class BadSquare(mc.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, gy):
            return gy * self.x          # should be 2 * x * gy

    with pytest.raises(AssertionError, match="analytic .* vs numeric"):
        mc.gradcheck(lambda x: BadSquare.apply(x), [T(3, seed=35)])


def test_gradcheck_passes_a_right_backward():
    assert mc.gradcheck(lambda x: x * x, [T(3, seed=35)])
