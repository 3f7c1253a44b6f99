"""A PyTorch name does what it does in PyTorch: the Tensor methods and torch.* functions that
tutorials use (minicnn/tensor.py, minicnn/ops.py), each against PyTorch itself. The first tests pin
the silent differences that once gave a learner another answer than PyTorch. The PyTorch options
of the ops, layers, optimizers and data classes are checked beside their modules (test_loss.py,
test_nn.py, test_optim.py, test_data.py, ...)."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minicnn as mc
import minicnn.nn as nn
import minicnn.nn.functional as F
from conftest import assert_close, rand, torch_oracle


# ---------------------------------------------------------------- the silent differences
def test_transpose_swaps_two_dimensions_as_pytorch():
    a = rand(2, 3, seed=1)
    assert mc.tensor(a).transpose(0, 1).shape == (3, 2)
    np.testing.assert_array_equal(mc.tensor(a).transpose(0, 1).numpy(), torch.tensor(a).transpose(0, 1).numpy())
    b = rand(2, 3, 4, 5, seed=2)
    torch_oracle(lambda x: x.transpose(1, 3), lambda x: x.transpose(1, 3), [b])
    torch_oracle(lambda x: x.transpose(-1, 0), lambda x: x.transpose(-1, 0), [b])


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_max_along_a_dim_gives_values_and_indices(n):
    out = rand(n, 10, seed=n)
    _, pred = mc.tensor(out).max(1)
    _, tpred = torch.tensor(out).max(1)
    np.testing.assert_array_equal(pred.numpy(), tpred.numpy())
    values, indices = mc.max(mc.tensor(out), 1)
    assert indices.dtype == np.int64 and values.shape == (n,)
    assert mc.tensor(out).max(dim=1).values.shape == (n,)
    _, pred_min = mc.tensor(out).min(1)
    np.testing.assert_array_equal(pred_min.numpy(), torch.tensor(out).min(1)[1].numpy())


def test_each_leaf_gradient_owns_its_memory():
    a = mc.tensor([1.0, 2.0], requires_grad=True)
    b = mc.tensor([3.0, 4.0], requires_grad=True)
    g = mc.tensor([1.0, 1.0])
    (a + b).backward(g)
    a.grad.data[0] = 9.0                          # in place on one of them ...
    assert b.grad.tolist() == [1.0, 1.0] and g.tolist() == [1.0, 1.0]     # ... changes no other
    x = mc.tensor(rand(3, 4), requires_grad=True)
    x.sum().backward()
    x.grad.data[0, 0] = 5.0                       # writable (it was a read-only broadcast view)
    x.grad.zero_()
    assert float(x.grad.sum()) == 0.0 and isinstance(x.grad, mc.Tensor)


def test_a_gradient_used_twice_is_copied_for_the_second_leaf():
    x = mc.tensor(rand(4, seed=3), requires_grad=True)
    y = mc.tensor(rand(4, seed=4), requires_grad=True)
    z = x + y
    w = z + x                                     # x gets gradients through two paths
    w.backward(mc.tensor(np.ones(4, np.float32)))
    assert x.grad.tolist() == [2.0] * 4 and y.grad.tolist() == [1.0] * 4
    y.grad.data += 1
    assert x.grad.tolist() == [2.0] * 4


def test_transforms_in_torchvision_order_flip_columns_not_colours():
    import minicnn.vision.transforms as T
    img = np.random.default_rng(5).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    flipped = T.Compose([T.RandomHorizontalFlip(p=1.0), T.ToTensor()])(img)
    expect = torch.tensor(img).permute(2, 0, 1).flip(-1).float().numpy() / 255
    np.testing.assert_allclose(flipped.numpy(), expect, rtol=1e-6)
    out = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(4, padding=1), T.ToTensor()])(img)
    assert out.shape == (3, 4, 4)
    # the batched form agrees with the per-image one
    batch = np.stack([img, img[::-1]])
    both = T.Compose([T.RandomHorizontalFlip(p=1.0), T.ToTensor()]).apply_batch(batch)
    np.testing.assert_allclose(both[0], flipped.numpy())


# ---------------------------------------------------------------- Tensor methods
def test_size_dim_numel_and_shape_methods():
    x = mc.zeros((2, 3, 4))
    assert x.size() == (2, 3, 4) and x.size(0) == 2 and x.size(-1) == 4 and x.dim() == 3 and x.numel() == 24
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert mc.zeros(1, 3, 1).squeeze().shape == (3,) and mc.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert mc.zeros(1, 3, 1).squeeze(1).shape == (1, 3, 1)
    assert x.view_as(mc.zeros(6, 4)).shape == (6, 4) and x.contiguous() is x
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    assert mc.flatten(x, 1).shape == (2, 12)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False), ((0, 2), True)])
def test_sum_and_mean_take_dim_and_keepdim(dim, keepdim):
    x = rand(3, 4, 5, seed=6)
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    torch_oracle(lambda t: t.sum(**kw), lambda t: t.sum(**kw), [x])
    torch_oracle(lambda t: t.mean(**kw), lambda t: t.mean(**kw), [x])
    torch_oracle(lambda t: mc.sum(t, **kw), lambda t: torch.sum(t, **kw), [x])


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_max_and_min_along_dim_route_the_gradient_to_the_index(dim, keepdim):
    x = rand(4, 5, 6, seed=7)
    x[0, 0, :2] = 3.0                              # a tie: PyTorch's max(dim) picks one index
    torch_oracle(lambda t: t.max(dim, keepdim)[0], lambda t: t.max(dim, keepdim)[0], [x])
    torch_oracle(lambda t: t.min(dim=dim, keepdim=keepdim).values, lambda t: t.min(dim=dim, keepdim=keepdim).values, [x])
    np.testing.assert_array_equal(mc.tensor(x).argmax(dim, keepdim).numpy(), torch.tensor(x).argmax(dim, keepdim).numpy())
    np.testing.assert_array_equal(mc.tensor(x).argmin(dim=dim).numpy(), torch.tensor(x).argmin(dim=dim).numpy())
    assert mc.tensor(x).argmax().item() == torch.tensor(x).argmax().item()
    torch_oracle(lambda t: t.max(), lambda t: t.max(), [x])           # no dim: the gradient shared among ties


def test_max_with_a_tuple_of_dims_is_refused_clearly():
    with pytest.raises(TypeError, match="amax"):
        mc.tensor(rand(2, 3)).max(dim=(0, 1))
    with pytest.raises(TypeError, match="values"):
        mc.tensor(rand(2, 3)) + mc.tensor(rand(2, 3)).max(1)


def test_elementwise_maximum_minimum_clamp_and_friends():
    a, b = rand(3, 4, seed=8), rand(3, 4, seed=9)
    a[0, 0] = b[0, 0]                              # a tie: half the gradient each way
    torch_oracle(lambda x, y: mc.max(x, y), lambda x, y: torch.max(x, y), [a, b])
    torch_oracle(lambda x, y: mc.minimum(x, y), lambda x, y: torch.minimum(x, y), [a, b])
    c = rand(3, 4, seed=10)
    c[1, 1] = 0.5                                  # on the bound: the gradient passes, as PyTorch
    torch_oracle(lambda x: x.clamp(min=-0.5, max=0.5), lambda x: x.clamp(min=-0.5, max=0.5), [c])
    torch_oracle(lambda x: x.clamp(min=0), lambda x: x.clamp(min=0), [c])
    torch_oracle(lambda x: mc.clamp(x, max=0.1), lambda x: torch.clamp(x, max=0.1), [c])
    torch_oracle(lambda x: x.clone() * 2, lambda x: x.clone() * 2, [c])
    torch_oracle(lambda x: x.sin() + mc.cos(x), lambda x: x.sin() + torch.cos(x), [c])
    torch_oracle(lambda x: x.permute(1, 0).unsqueeze(0).expand(2, 4, 3), lambda x: x.permute(1, 0).unsqueeze(0).expand(2, 4, 3), [c])
    torch_oracle(lambda x: x.t().mm(x), lambda x: x.t().mm(x), [c])


def test_casts_are_in_the_graph_and_integer_casts_have_no_gradient():
    x = mc.tensor(rand(3, seed=11), dtype=np.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0] * 3
    assert x.long().dtype == np.int64 and not x.long().requires_grad
    assert x.to(mc.float32).dtype == np.float32 and x.type(mc.float16).dtype == np.float16
    b = mc.tensor([1.0, 2.0]) > 1.5
    assert b.float().tolist() == [0.0, 1.0] and b.sum().item() == 1
    with pytest.raises(TypeError, match="float\\(\\).mean"):           # NumPy would give float64 silently
        mc.tensor([1, 2, 3]).mean()
    assert mc.tensor([1, 2, 3]).float().mean().dtype == np.float32


def test_in_place_methods_follow_pytorchs_leaf_rule():
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf"):
        w -= 1
    with mc.no_grad():
        w.add_(1).mul_(2)
        w -= mc.tensor([1.0, 1.0])
        w.sub_(mc.tensor([0.5, 0.5]), alpha=2)
    assert w.tolist() == [2.0, 4.0] and w.is_leaf and w.requires_grad
    h = w * 1
    with pytest.raises(RuntimeError, match="out-of-place"):
        h.add_(1)
    h += 1                                          # inside a graph: x += y rebinds to x + y, PyTorch's value
    h.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]
    with mc.no_grad():
        s = w.sum()                                 # a 0-d result: in place too
        s += 1
        s.mul_(2)
    assert s.item() == 2 * (2.0 + 4.0 + 1)
    with pytest.raises(RuntimeError, match="gradient would be lost"):
        mc.zeros(2)[0] = w[0] * 2
    c = mc.zeros(3)
    c.copy_(mc.tensor([1.0, 2.0, 3.0])).clamp_(max=2.0)
    c[0] = 7.0
    assert c.tolist() == [7.0, 2.0, 2.0] and c.fill_(1).tolist() == [1.0] * 3


def test_enable_grad_as_a_decorator_turns_gradients_on():
    @mc.enable_grad()
    def f(x):
        return x * 2

    x = mc.tensor([1.0], requires_grad=True)
    with mc.no_grad():
        y = f(x)
    assert y.requires_grad
    with mc.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mc.is_grad_enabled()


# ---------------------------------------------------------------- torch.* functions
def test_top_level_functions_and_creation():
    outputs = rand(5, 3, seed=12)
    _, predicted = mc.max(mc.tensor(outputs).data, 1)          # torch.max(outputs.data, 1): .data is an array here
    np.testing.assert_array_equal(predicted.numpy(), outputs.argmax(1))
    assert mc.argmax(mc.tensor(outputs), dim=1).tolist() == outputs.argmax(1).tolist()
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = mc.from_numpy(a)
    a[0, 0] = 42
    assert t.dtype == np.float64 and t[0, 0].item() == 42         # shares memory and dtype, as PyTorch
    assert mc.zeros((2, 3)).shape == mc.zeros(2, 3).shape == (2, 3) and mc.ones([4]).shape == (4,)
    assert mc.arange(5).dtype == np.int64 and mc.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_allclose(mc.linspace(-1, 1, 5).numpy(), torch.linspace(-1, 1, 5).numpy())
    assert mc.full((2, 2), 1.5).dtype == np.float32 and mc.zeros_like(t).dtype == np.float64
    assert mc.randint(0, 5, (100,)).numpy().max() < 5 and sorted(mc.randperm(6).tolist()) == list(range(6))
    assert mc.rand(3, 4).shape == (3, 4) and mc.randn(()).shape == ()
    assert mc.tensor([1, 2]).dtype == np.int64 and mc.tensor([1.0]).dtype == mc.float32
    dev = mc.device("cuda" if mc.cuda.is_available() else "cpu")
    assert dev in ("cpu", "cuda") and mc.device("cuda:0").type == "cuda" and mc.device("cuda", 0).index == 0
    assert mc.numel(t) == 6 and mc.equal(t, t.clone()) and mc.eq(t, t).all()


def test_cat_stack_softmax_and_log_softmax_with_dim():
    a, b = rand(2, 3, seed=13), rand(4, 3, seed=14)
    torch_oracle(lambda x, y: mc.cat([x, y]), lambda x, y: torch.cat([x, y]), [a, b])
    torch_oracle(lambda x, y: mc.cat((x, x, y), dim=0) * 2, lambda x, y: torch.cat((x, x, y), dim=0) * 2, [a, b])
    torch_oracle(lambda x: mc.stack([x, x * 2], dim=1), lambda x: torch.stack([x, x * 2], dim=1), [a])
    x = rand(2, 3, 4, seed=15)
    for dim in (0, 1, -1):
        torch_oracle(lambda t: F.softmax(t, dim=dim), lambda t: TF.softmax(t, dim=dim), [x])
        torch_oracle(lambda t: t.log_softmax(dim), lambda t: t.log_softmax(dim), [x])
        torch_oracle(lambda t: mc.softmax(t, dim), lambda t: torch.softmax(t, dim), [x])


def test_softmax_without_dim_picks_pytorchs_dimension_and_warns():
    x = rand(2, 3, 4, 5, seed=16)
    with pytest.warns(UserWarning, match="dim"):
        ours = F.softmax(mc.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.softmax(torch.tensor(x))
    assert_close(ours, theirs)


def test_save_and_load_a_state_dict_as_torch_save_does(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    mc.save(model.state_dict(), tmp_path / "m.pt")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    fresh.load_state_dict(mc.load(tmp_path / "m.pt"))
    for (k, v), (_, w) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(w))
