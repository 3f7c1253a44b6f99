"""A PyTorch name does what it does in PyTorch: the Tensor methods, torch.* functions, nn layers
and losses, optimizers and schedules that tutorials use, each against PyTorch itself (forward,
backward and state where they apply). The first tests pin the silent differences that once
gave a learner another answer than PyTorch."""
import math
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


# ---------------------------------------------------------------- functional ops
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "gelu_tanh"])
def test_activations(name):
    x = rand(3, 5, 4, seed=17, scale=3)
    ours = {"leaky_relu": lambda t: F.leaky_relu(t, 0.2), "elu": lambda t: F.elu(t, 1.5), "gelu": F.gelu,
            "gelu_tanh": lambda t: F.gelu(t, approximate="tanh")}[name]
    theirs = {"leaky_relu": lambda t: TF.leaky_relu(t, 0.2), "elu": lambda t: TF.elu(t, 1.5), "gelu": TF.gelu,
              "gelu_tanh": lambda t: TF.gelu(t, approximate="tanh")}[name]
    torch_oracle(ours, theirs, [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_weight_ignore_index_reduction_smoothing(reduction, weighted, smoothing):
    z = rand(7, 5, seed=18, scale=3)
    t = np.array([0, 4, 2, -100, 1, 4, 3])
    w = (np.arange(5) + 1).astype(np.float32) / 3 if weighted else None
    torch_oracle(lambda x: F.cross_entropy(x, mc.tensor(t), weight=None if w is None else mc.tensor(w),
                                           reduction=reduction, label_smoothing=smoothing),
                 lambda x: TF.cross_entropy(x, torch.tensor(t), weight=None if w is None else torch.tensor(w),
                                            reduction=reduction, label_smoothing=smoothing), [z])
    q = np.random.default_rng(19).dirichlet(np.ones(5), 7).astype(np.float32)
    torch_oracle(lambda x: F.cross_entropy(x, mc.tensor(q), weight=None if w is None else mc.tensor(w),
                                           reduction=reduction, label_smoothing=smoothing),
                 lambda x: TF.cross_entropy(x, torch.tensor(q), weight=None if w is None else torch.tensor(w),
                                            reduction=reduction, label_smoothing=smoothing), [z])


@pytest.mark.parametrize("batch", [1, 2, 64])
def test_cross_entropy_extreme_logits_and_class_maps(batch):
    z = rand(batch, 10, seed=20) * 1e4                              # exp would overflow a naive version
    t = np.arange(batch) % 10
    torch_oracle(lambda x: nn.CrossEntropyLoss()(x, mc.tensor(t)), lambda x: torch.nn.CrossEntropyLoss()(x, torch.tensor(t)), [z])
    maps, tm = rand(2, 4, 3, 5, seed=21), np.random.default_rng(22).integers(0, 4, (2, 3, 5))
    tm[0, 0, 0] = 7
    for reduction in ("mean", "none"):
        torch_oracle(lambda x: F.cross_entropy(x, mc.tensor(tm), ignore_index=7, reduction=reduction),
                     lambda x: TF.cross_entropy(x, torch.tensor(tm), ignore_index=7, reduction=reduction), [maps])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_and_log_softmax(reduction):
    z = rand(6, 4, seed=23)
    t = np.array([3, 0, 1, 1, -100, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5], np.float32)
    torch_oracle(lambda x: F.nll_loss(F.log_softmax(x, dim=1), mc.tensor(t), reduction=reduction),
                 lambda x: TF.nll_loss(TF.log_softmax(x, dim=1), torch.tensor(t), reduction=reduction), [z])
    torch_oracle(lambda x: nn.NLLLoss(weight=mc.tensor(w), reduction=reduction)(nn.LogSoftmax(dim=1)(x), mc.tensor(t)),
                 lambda x: torch.nn.NLLLoss(weight=torch.tensor(w), reduction=reduction)(torch.nn.LogSoftmax(dim=1)(x),
                                                                                        torch.tensor(t)), [z])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_and_mse(reduction):
    z, y = rand(4, 3, seed=24, scale=4), np.random.default_rng(25).random((4, 3)).astype(np.float32)
    w, pw = rand(4, 3, seed=26) ** 2, np.array([1.0, 3.0, 0.5], np.float32)
    torch_oracle(lambda x: nn.BCEWithLogitsLoss(weight=mc.tensor(w), pos_weight=mc.tensor(pw), reduction=reduction)(x, mc.tensor(y)),
                 lambda x: torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(pw),
                                                      reduction=reduction)(x, torch.tensor(y)), [z])
    torch_oracle(lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=mc.tensor(pw), reduction=reduction),
                 lambda x, t: TF.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor(pw), reduction=reduction),
                 [z, y])                                    # the target's gradient too
    p = 1 / (1 + np.exp(-z))
    torch_oracle(lambda x: nn.BCELoss(reduction=reduction)(x, mc.tensor(y)),
                 lambda x: torch.nn.BCELoss(reduction=reduction)(x, torch.tensor(y)), [p.astype(np.float32)])
    torch_oracle(lambda x: nn.MSELoss(reduction=reduction)(x, mc.tensor(y)),
                 lambda x: torch.nn.MSELoss(reduction=reduction)(x, torch.tensor(y)), [z])
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(mc.tensor(z), mc.tensor(y))


@pytest.mark.parametrize("H,kernel,stride,padding", [(7, 2, 2, 0), (8, 3, 2, 1), (10, 3, 3, 1), (5, 2, 2, 1), (6, 3, 2, 0)])
def test_pooling_ceil_mode_and_count_include_pad(H, kernel, stride, padding):
    x = rand(2, 3, H, H + 1, seed=27)
    torch_oracle(lambda t: F.max_pool2d(t, kernel, stride, padding, ceil_mode=True),
                 lambda t: TF.max_pool2d(t, kernel, stride, padding, ceil_mode=True), [x])
    for ceil in (False, True):
        for include in (True, False):
            torch_oracle(lambda t: nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil, count_include_pad=include)(t),
                         lambda t: torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil,
                                                      count_include_pad=include)(t), [x])
    torch_oracle(lambda t: F.avg_pool2d(t, kernel, stride, padding, divisor_override=5),
                 lambda t: TF.avg_pool2d(t, kernel, stride, padding, divisor_override=5), [x])


@pytest.mark.parametrize("dilation,groups,stride,padding", [(2, 1, 1, 2), ((2, 3), 1, 2, 1), (1, 2, 1, 1), (1, 6, 2, 1),
                                                            (3, 3, 1, "same"), (2, 2, 2, 0)])
def test_conv2d_dilation_and_groups(dilation, groups, stride, padding):
    x, w, b = rand(2, 6, 11, 9, seed=28), rand(12, 6 // groups, 3, 3, seed=29), rand(12, seed=30)
    torch_oracle(lambda t, v, c: F.conv2d(t, v, c, stride, padding, dilation, groups),
                 lambda t, v, c: TF.conv2d(t, v, c, stride, padding, dilation, groups), [x, w, b])


def test_conv2d_layer_with_groups_has_pytorchs_weight_shape():
    layer = nn.Conv2d(6, 12, 3, groups=3, dilation=2, bias=False)
    assert layer.weight.shape == (12, 2, 3, 3)
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(5, 6, 3, groups=2)


def test_pad_matches_torch():
    x = rand(2, 3, 4, 5, seed=31)
    for pads in [(1, 2), (1, 0, 2, 3), (1, 1, 0, 2, 1, 0)]:
        torch_oracle(lambda t: F.pad(t, pads, value=0.5), lambda t: TF.pad(t, pads, value=0.5), [x])


def test_dropout2d_drops_whole_channels():
    x = mc.tensor(np.ones((64, 32, 3, 3), np.float32), requires_grad=True)
    y = nn.Dropout2d(0.25)(x)
    per_map = y.numpy().reshape(64, 32, 9)
    assert np.all((per_map == 0).all(-1) | (per_map == per_map[..., :1]).all(-1))
    assert abs((per_map[..., 0] == 0).mean() - 0.25) < 0.05
    y.backward(mc.ones(64, 32, 3, 3))
    np.testing.assert_allclose(x.grad.numpy(), y.numpy())
    model = nn.Dropout2d(0.5).eval()
    assert model(x) is x


# ---------------------------------------------------------------- nn layers and containers
def _twin(ours, theirs, x, train=True, steps=3):
    """Same weights, several forward/backward passes, outputs, input gradients and state compared."""
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    ours.train(train)
    theirs.train(train)
    for i in range(steps):
        xi = x * (i + 1)
        torch_oracle(lambda t: ours(t), lambda t: theirs(t), [xi], seed=i)
    for k, v in theirs.state_dict().items():
        assert_close(np.asarray(ours.state_dict()[k]), v.numpy(), what=k)


@pytest.mark.parametrize("kwargs", [dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
                                    dict(momentum=0.3, eps=1e-3)])
@pytest.mark.parametrize("train", [True, False])
def test_batch_norm_options(kwargs, train):
    _twin(nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs), rand(4, 3, 5, 6, seed=32), train)
    _twin(nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs), rand(4, 3, 7, seed=33), train)
    _twin(nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs), rand(5, 3, seed=34), train)
    if kwargs.get("track_running_stats") is False:
        assert "running_mean" not in nn.BatchNorm2d(3, **kwargs).state_dict()


def test_module_list_module_dict_apply_and_layer_names_match_pytorch():
    def net(lib):
        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.blocks = lib.ModuleList([lib.Linear(4, 4) for _ in range(2)])
                self.heads = lib.ModuleDict({"a": lib.Linear(4, 2),
                                             "b": lib.Sequential(lib.ReLU(inplace=True), lib.Linear(4, 3))})

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return self.heads["b"](x)
        return Net()

    ours, theirs = net(nn), net(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    seen = []

    def init_weights(m):
        seen.append(type(m).__name__)
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.1)
            m.bias.data.fill(0.0)

    ours.apply(init_weights)
    assert seen[-1] == "Net" and seen.count("Linear") == 4
    assert ours.cpu() is ours and ours.to(mc.device("cpu")) is ours
    _twin(ours, theirs, rand(3, 4, seed=35))


def test_activation_and_loss_modules_match_pytorch():
    x = rand(4, 6, seed=36, scale=2)
    for ours, theirs in [(nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)), (nn.ELU(), torch.nn.ELU()), (nn.GELU(), torch.nn.GELU()),
                         (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)),
                         (nn.Flatten(0), torch.nn.Flatten(0)), (nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3)))]:
        torch_oracle(ours, theirs, [x])


def test_clip_grad_norm_and_value():
    ws = [rand(3, 4, seed=37), rand(5, seed=38)]
    gs = [rand(3, 4, seed=39) * 10, rand(5, seed=40) * 10]
    for norm_type in (2.0, 1.0, math.inf):
        ours = [nn.Parameter(w.copy()) for w in ws]
        theirs = [torch.nn.Parameter(torch.tensor(w)) for w in ws]
        for p, t, g in zip(ours, theirs, gs):
            p.grad, t.grad = g.copy(), torch.tensor(g)
        n = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
        tn = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
        assert abs(n.item() - tn.item()) <= 1e-5 * tn.item()
        for p, t in zip(ours, theirs):
            assert_close(p.grad, t.grad)
    p = nn.Parameter(ws[0].copy())
    p.grad = gs[0].copy()
    nn.utils.clip_grad_value_([p], 0.5)
    assert float(abs(p.grad.numpy()).max()) <= 0.5


def test_zero_grad_set_to_none_false_keeps_zeroed_arrays():
    model = nn.Linear(3, 2)
    opt = mc.optim.SGD(model.parameters(), lr=0.1)
    model(mc.tensor(rand(4, 3))).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert model.weight.grad is not None and float(abs(model.weight.grad.numpy()).sum()) == 0
    model.zero_grad()
    assert model.weight.grad is None


# ---------------------------------------------------------------- optimizers and schedules
@pytest.mark.parametrize("name,kwargs", [("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.9))),
                                         ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05,
                                                          initial_accumulator_value=0.1)),
                                         ("Adadelta", dict()), ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1))])
def test_optimizers_step_like_torch_optim(name, kwargs):
    ws = [rand(300, 400, seed=41), rand(7, seed=42)]                # one large enough to be updated in slices
    ours = [nn.Parameter(w.copy()) for w in ws]
    theirs = [torch.nn.Parameter(torch.tensor(w)) for w in ws]
    opt, topt = getattr(mc.optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(5):
        for p, t, w in zip(ours, theirs, ws):
            g = rand(*w.shape, seed=100 + step)
            p.grad, t.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        for p, t in zip(ours, theirs):
            assert_close(p, t.detach(), what=f"step {step}")


def test_schedules_follow_torch():
    def pair(lib, make, opt_name="SGD", **opt_kwargs):
        p = [lib.nn.Parameter(lib.zeros(2)) if lib is mc else torch.nn.Parameter(torch.zeros(2))]
        opt = getattr(lib.optim, opt_name)(p, lr=0.1, **opt_kwargs)
        return opt, make(lib.optim.lr_scheduler, opt)

    cases = [(lambda s, o: s.ExponentialLR(o, gamma=0.9), {}),
             (lambda s, o: s.LambdaLR(o, lambda epoch: 0.5 ** epoch + 0.1), {}),
             (lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=20), dict(momentum=0.9)),
             (lambda s, o: s.OneCycleLR(o, max_lr=0.5, epochs=4, steps_per_epoch=5, anneal_strategy="linear",
                                        pct_start=0.25), {}),
             (lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=10), "Adam")]
    for make, extra in cases:
        opt_name, kw = ("Adam", {}) if extra == "Adam" else ("SGD", extra)
        ours, theirs = pair(mc, make, opt_name, **kw), pair(torch, make, opt_name, **kw)
        for step in range(10):
            (o, _), (t, _) = ours, theirs
            assert abs(o.param_groups[0]["lr"] - t.param_groups[0]["lr"]) < 1e-9, f"step {step}"
            for key in ("momentum", "betas"):
                if key in t.param_groups[0]:
                    np.testing.assert_allclose(o.param_groups[0][key], t.param_groups[0][key], rtol=1e-9)
            o.step()
            t.step()
            ours[1].step()
            theirs[1].step()


# ---------------------------------------------------------------- data
def test_tensor_dataset_random_split_and_loader_arguments():
    from minicnn.utils.data import DataLoader, TensorDataset, random_split
    x, y = mc.randn(10, 3), mc.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3
    train, val = random_split(ds, [8, 2])
    assert len(train) == 8 and len(val) == 2
    assert sorted(train.indices.tolist() + val.indices.tolist()) == list(range(10))
    assert [len(s) for s in random_split(ds, [0.5, 0.3, 0.2])] == [5, 3, 2]
    loader = DataLoader(train, batch_size=3, shuffle=True, num_workers=4, pin_memory=True)
    assert len(loader.dataset) == 8
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [3, 3, 2] and batches[0][1].dtype == np.int64
    with pytest.raises(NotImplementedError, match="sampler"):
        DataLoader(ds, sampler=[0, 1])
    with pytest.raises(ValueError, match="add up"):
        random_split(ds, [5, 6])


def test_per_image_transforms_pad_resize_color_jitter_and_random_resized_crop():
    import minicnn.vision.transforms as T
    img = np.random.default_rng(43).integers(0, 256, (10, 16, 3), dtype=np.uint8)
    assert T.Pad(2)(img).shape == (14, 20, 3) and T.Pad((1, 2))(img).shape == (14, 18, 3)
    assert T.Pad((1, 2, 3, 4))(img).shape == (16, 20, 3)
    np.testing.assert_array_equal(T.Pad(1, padding_mode="edge")(img)[0, 1:-1], img[0])
    assert T.Resize(5)(img).shape == (5, 8, 3) and T.Resize((4, 6))(img).shape == (4, 6, 3)   # int: the shorter side
    assert T.Compose([T.ToTensor(), T.Resize(20)])(img).shape == (3, 20, 32)
    assert T.RandomResizedCrop(7)(img).shape == (7, 7, 3)
    assert T.RandomCrop(12, pad_if_needed=True)(img).shape == (12, 12, 3)             # 10 rows: padded first
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(12)(img)
    assert T.Compose([T.ToTensor(), T.RandomResizedCrop((5, 6), scale=(0.5, 1.0))])(img).shape == (3, 5, 6)
    jitter = T.ColorJitter(brightness=(0.5, 0.5))
    np.testing.assert_allclose(jitter(img).astype(int), np.round(img * 0.5).astype(int), atol=1)
    gray = T.ColorJitter(saturation=(0.0, 0.0))(img).astype(float)
    assert np.abs(gray[..., 0] - gray[..., 1]).max() <= 1                # no saturation: grey
    assert np.abs(T.ColorJitter(hue=(0.0, 0.0))(img).astype(int) - img).max() <= 1
    out = T.ColorJitter(0.4, 0.4, 0.4, 0.1)(img)
    assert out.shape == img.shape and out.dtype == np.uint8
    from PIL import Image
    pil = Image.fromarray(img)
    assert T.RandomHorizontalFlip(p=1.0)(pil).size == (16, 10)
    t = T.Compose([T.RandomHorizontalFlip(p=1.0), T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])(pil)
    np.testing.assert_allclose(t.numpy(), (img[:, ::-1].transpose(2, 0, 1) / 255 - 0.5) / 0.5, atol=1e-6)
    with pytest.raises(TypeError, match="after ToTensor"):
        T.Normalize((0.5,), (0.5,))(img)


def test_datasets_run_a_per_image_pipeline_and_a_callable_of_yours():
    import minicnn.vision.transforms as T
    from minicnn.data import ArrayDataset
    images = np.random.default_rng(44).integers(0, 256, (5, 6, 6, 3), dtype=np.uint8)
    ds = ArrayDataset(images, np.arange(5), transform=T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2)]))
    x, y = ds.get_batch(np.arange(5))
    assert x.shape == (5, 3, 6, 6) and abs(float(x.max()) - 2 * int(images.max()) / 255) < 1e-6
    first = ds[0][0]
    assert isinstance(first, mc.Tensor) and first.shape == (3, 6, 6)
    mine = ArrayDataset(images, np.arange(5), transform=lambda im: im.mean(axis=2, keepdims=True).transpose(2, 0, 1))
    assert mine.get_batch(np.arange(5))[0].shape == (5, 1, 6, 6)


def test_vision_models_build_torchvision_names():
    from minicnn.vision import models
    sd = models.vgg11_bn(weights=None, num_classes=7).state_dict()
    assert "features.1.running_mean" in sd and sd["classifier.6.weight"].shape == (7, 4096)   # torchvision's keys


def test_vision_models_refuse_downloads_clearly():
    from minicnn.vision import models
    with pytest.raises(ValueError, match="does not download"):
        models.resnet18(weights="IMAGENET1K_V1")
    assert list(models.resnet18(weights=None, num_classes=3).state_dict())[0] == "conv1.weight"


def test_datasets_called_as_torchvision_calls_them(tmp_path):
    import minicnn.vision.transforms as T
    from minicnn.utils.data import DataLoader
    from minicnn.vision import datasets
    from test_data import fake_mnist
    fake_mnist(tmp_path)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(tmp_path, train=True, download=True, transform=transform, verify=False)
    image, label = train[0]
    assert isinstance(image, mc.Tensor) and image.shape == (1, 28, 28) and isinstance(label, int)
    expect = (train.images[0].transpose(2, 0, 1) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(image.numpy(), expect, rtol=1e-5, atol=1e-6)
    x, y = next(iter(DataLoader(train, batch_size=16, shuffle=True, num_workers=1)))
    assert x.shape == (16, 1, 28, 28) and y.shape == (16,) and len(DataLoader(train, 10).dataset) == 64


@pytest.mark.parametrize("size", [(1, 1), (3, 3), (2, 5), (7, 7)])
def test_adaptive_avg_pool(size):
    x = rand(2, 3, 11, 14, seed=45)
    torch_oracle(lambda t: nn.AdaptiveAvgPool2d(size)(t), lambda t: torch.nn.AdaptiveAvgPool2d(size)(t), [x])
