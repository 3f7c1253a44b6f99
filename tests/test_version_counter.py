"""In-place changes to a tensor that an op saved for backward: PyTorch's version counter.

Each case runs the same program on minicnn and on PyTorch: where PyTorch raises "modified by an
inplace operation", minicnn raises too; where PyTorch allows the change, both give the same gradients.
"""
import numpy as np
import pytest
import torch

import minicnn as mc
import minicnn.functional as F


def _run(lib, case):
    """Run ``case(lib, x, w)`` with fresh x (no grad) and w (grad); return w.grad as an array or the error."""
    rs = np.random.default_rng(0)
    x0, w0 = rs.standard_normal((2, 3)).astype(np.float32), rs.standard_normal((2, 3)).astype(np.float32)
    x, w = lib.tensor(x0), lib.tensor(w0, requires_grad=True)
    try:
        case(lib, x, w)
    except RuntimeError as exc:
        return exc
    return np.array(w.grad.numpy())


def _no_grad(lib):
    return lib.no_grad()


def _mul_then(change):
    def case(lib, x, w):
        y = (x * w).sum()
        change(lib, x, w)
        y.backward()
    return case


def _setitem(lib, x, w):
    x[0] = 5


def _w_mul_no_grad(lib, x, w):
    with _no_grad(lib):
        w.mul_(3)


def _view_add(lib, x, w):
    x.view(-1).add_(1)                  # a view shares its base's version


def _detach_zero(lib, x, w):
    x.detach().zero_()


def _unrelated(lib, x, w):
    x.clone().add_(1)                   # a copy: x itself is untouched


def _add_then_change(lib, x, w):
    y = (x + w).sum()                   # add saves nothing: changing x afterwards is allowed
    x.add_(1)
    y.backward()


def _relu_output(lib, x, w):
    y = (x * w).relu()                  # relu keeps its output for backward
    with _no_grad(lib):
        y.mul_(2)
    y.sum().backward()


def _exp_input(lib, x, w):
    y = (x + w).exp()                   # exp keeps its output, not its input
    with _no_grad(lib):
        w.add_(1)
    y.sum().backward()


def _matmul_x(lib, x, w):
    y = (x @ w.T).sum()                 # w needs a gradient: x is saved
    x.mul_(2)
    y.backward()


def _optimizer_between(lib, x, w):
    opt = lib.optim.SGD([w], lr=0.1)
    y = x * w
    loss1, loss2 = y.sum(), (y * y).sum()
    loss1.backward(retain_graph=True)
    opt.step()                          # w changed in place before the second backward
    loss2.backward()


CASES = {
    "add_": _mul_then(lambda lib, x, w: x.add_(1)),
    "zero_": _mul_then(lambda lib, x, w: x.zero_()),
    "mul_": _mul_then(lambda lib, x, w: x.mul_(2)),
    "setitem": _mul_then(_setitem),
    "copy_": _mul_then(lambda lib, x, w: x.copy_(lib.ones(2, 3))),
    "fill_": _mul_then(lambda lib, x, w: x.fill_(2)),
    "iadd": _mul_then(lambda lib, x, w: x.__iadd__(1)),
    "w_mul_no_grad": _mul_then(_w_mul_no_grad),
    "view_add": _mul_then(_view_add),
    "detach_zero": _mul_then(_detach_zero),
    "clone_add (allowed)": _mul_then(_unrelated),
    "add then change (allowed)": _add_then_change,
    "relu output": _relu_output,
    "exp input (allowed)": _exp_input,
    "matmul": _matmul_x,
    "optimizer step between backwards": _optimizer_between,
}


@pytest.mark.parametrize("name", list(CASES))
def test_in_place_change_as_pytorch(name):
    ours, theirs = _run(mc, CASES[name]), _run(torch, CASES[name])
    if isinstance(theirs, RuntimeError):
        assert "modified by an inplace operation" in str(theirs)
        assert isinstance(ours, RuntimeError), f"PyTorch raises, minicnn returned {ours}"
        assert "modified by an inplace operation" in str(ours) and "[2, 3]" in str(ours), ours
    else:
        assert not isinstance(ours, Exception), ours
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_version_counts_in_place_changes():
    x = mc.zeros(2, 3)
    assert x._version == 0
    x.add_(1)
    x[0, 0] = 2
    assert x._version == 2
    v = x.view(6)
    v.mul_(2)                           # the view and its base count together
    assert x._version == v._version == 3
    assert x.detach()._version == 3
    assert x.clone()._version == 0      # a copy starts afresh


def test_message_names_the_op_and_the_shape():
    x = mc.randn(4, 5, requires_grad=True)
    y = x.sigmoid()
    z = (y * 2).sum()
    with mc.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match=r"\[float32 tensor \[4, 5\]\], which is output 0 of Sigmoid, "
                                           r"is at version 1; expected version 0"):
        z.backward()


def test_layers_and_training_unchanged():
    """A real step: conv, batch norm, pooling, linear, loss, optimizer; two steps in a row raise nothing."""
    mc.manual_seed(0)
    net = mc.nn.Sequential(mc.nn.Conv2d(1, 4, 3, padding=1), mc.nn.BatchNorm2d(4), mc.nn.ReLU(),
                           mc.nn.MaxPool2d(2), mc.nn.Flatten(), mc.nn.Linear(64, 3))
    opt = mc.optim.Adam(net.parameters())
    x, t = mc.randn(5, 1, 8, 8), np.array([0, 1, 2, 1, 0])
    conv = net[0].weight
    start = conv._version                # its initialisation counted too
    for _ in range(2):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), t)
        loss.backward()
        opt.step()
    loss = F.cross_entropy(net(x), t)
    opt.step()                           # the weights change under a graph that saved them
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    assert conv._version == start + 3   # one for each optimizer step
