"""Max pooling's two algorithms by name, "separable" and "sweep", on NCHW and batch-last input:
against PyTorch in float32 (forward and backward), by gradcheck in float64, against each other on
ties, and the choice "auto" makes."""
import numpy as np
import pytest
import torch.nn.functional as TF

import minicnn as mc
import minicnn.functional as F
from minicnn.gradcheck import gradcheck

from conftest import distinct, rand, torch_oracle

CASES = [((2, 3, 10, 11), 3, 3, 0, False), ((2, 3, 8, 8), 2, 2, 0, False), ((3, 2, 9, 7), 3, 2, 1, False),
         ((2, 2, 7, 7), 3, 2, 0, True), ((1, 2, 6, 5), 1, 1, 0, False), ((2, 3, 9, 10), (3, 2), (2, 1), (1, 0), False)]


def batch_last_copy(a):
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


@pytest.mark.parametrize("algorithm", ["separable", "sweep"])
@pytest.mark.parametrize("layout", ["nchw", "batch_last"])
@pytest.mark.parametrize("shape,k,s,p,ceil", CASES)
def test_max_pool_algorithms_against_pytorch(algorithm, layout, shape, k, s, p, ceil):
    x = rand(*shape, seed=20)
    if layout == "batch_last":
        x = batch_last_copy(x)
    torch_oracle(lambda t: F.max_pool2d(t, k, s, p, ceil_mode=ceil, algorithm=algorithm),
                 lambda t: TF.max_pool2d(t, k, s, p, ceil_mode=ceil), [x])


@pytest.mark.parametrize("algorithm", ["separable", "sweep"])
@pytest.mark.parametrize("shape,k,s,p,ceil", CASES[:4])
def test_max_pool_algorithms_gradcheck(algorithm, shape, k, s, p, ceil):
    x = mc.tensor(distinct(*shape, seed=21), dtype=mc.float64, requires_grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, p, ceil_mode=ceil, algorithm=algorithm), [x])


def test_ties_go_to_the_same_element_either_way():
    x = np.zeros((1, 1, 5, 5), np.float32)
    grads = []
    for algorithm in ("separable", "sweep"):
        t = mc.tensor(x, requires_grad=True)
        F.max_pool2d(t, 3, 2, 1, algorithm=algorithm).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_auto_follows_the_layout_and_says_why():
    """The plan, as conv2d's: the algorithm, the output's layout and why; auto runs what it says."""
    from minicnn.functional.pool import max_pool2d_plan
    x = rand(16, 2, 6, 6, seed=22)
    plans = [max_pool2d_plan(mc.tensor(a)) for a in (x, batch_last_copy(x))]
    assert [(p.algorithm, p.layout) for p in plans] == [("separable", "NCHW"), ("sweep", "batch-last")]
    assert "batch-last input" in plans[1].why
    with mc.profiler.profile() as prof:
        F.max_pool2d(mc.tensor(x), 2)
        F.max_pool2d(mc.tensor(batch_last_copy(x)), 2)
    assert set(prof.totals()) == {"MaxPool2dSeparable", "MaxPool2dSweep"}
    with pytest.raises(ValueError, match="unknown algorithm 'fast'; choose 'auto' or one of separable, sweep"):
        F.max_pool2d(mc.tensor(x), 2, algorithm="fast")
