"""What stopped public PyTorch programs that were ported by their imports alone (issue: 1-3 more lines each),
each checked against PyTorch itself."""
import warnings

import numpy as np
import pytest
import torch

import minicnn
import minicnn.nn as mnn


def test_utils_data_and_backends_after_import_minicnn_as_torch():
    assert minicnn.utils.data.DataLoader is minicnn.data.DataLoader
    import minicnn.backends.cudnn as cudnn
    cudnn.benchmark = True                                   # accepted, read back; nothing to tune without cuDNN
    assert minicnn.backends.cudnn.benchmark is True and not cudnn.is_available()
    cudnn.benchmark = False


def test_zero_dim_tensors_format_as_numbers():
    for lib in (torch, minicnn):
        t = lib.tensor(29.9)
        assert f"{t:.2f}" == "29.90"
        assert "{}".format(t) == "{}".format(torch.tensor(29.9))
    correct = minicnn.tensor([3, 7]).sum()
    assert (100 * correct / 10).dtype == np.float32                     # an int tensor over an int: float32
    assert (torch.tensor([3, 7]).sum() * 100 / 10).dtype == torch.float32


def test_grad_fn_and_next_functions_as_pytorch():
    def walk(lib):
        x = lib.ones(2, 2, requires_grad=True)
        y = ((x + 2) * 3).mean()
        names = [y.grad_fn.name()]
        fn = y.grad_fn
        while fn.next_functions and fn.next_functions[0][0] is not None:
            fn = fn.next_functions[0][0]
            names.append(fn.name())
        return x.grad_fn, names, repr(y).split("grad_fn=")[1]
    leaf_k, names_k, shown_k = walk(torch)
    leaf_m, names_m, shown_m = walk(minicnn)
    assert leaf_m is leaf_k is None
    assert names_m == names_k == ["MeanBackward0", "MulBackward0", "AddBackward0", "torch::autograd::AccumulateGrad"]
    assert shown_m == shown_k == "<MeanBackward0>)"


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(3, 6, 5), lambda nn: nn.Conv2d(3, 6, 3, stride=2, padding=1, bias=False),
    lambda nn: nn.Linear(4, 2), lambda nn: nn.MaxPool2d(2), lambda nn: nn.MaxPool2d(3, 2),
    lambda nn: nn.AvgPool2d(2), lambda nn: nn.BatchNorm2d(4), lambda nn: nn.Dropout(0.25), lambda nn: nn.ReLU(),
    lambda nn: nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2)),
])
def test_module_reprs_as_pytorch(make):
    assert repr(make(mnn)) == repr(make(torch.nn))


def test_size_typed_tensors_std_init_and_data_parallel():
    x = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    assert repr(minicnn.tensor(x).size()) == repr(torch.tensor(x).size()).replace("torch.", "")
    assert minicnn.tensor(x).size() == (3, 4) and minicnn.tensor(x).size().numel() == 12
    assert minicnn.FloatTensor(2, 3).shape == (2, 3) and minicnn.LongTensor([1, 2]).dtype == np.int64
    for kw in ({}, {"dim": 1}, {"dim": 0, "unbiased": False}, {"dim": 1, "keepdim": True}):
        a, b = minicnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        sa, sb = a.std(**kw), b.std(**kw)
        np.testing.assert_allclose(sa.numpy(), sb.detach().numpy(), rtol=1e-5)
        sa.sum().backward()
        sb.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mnn.init.kaiming_normal(minicnn.empty(3, 3))
        torch.nn.init.kaiming_normal(torch.empty(3, 3))
    assert [str(w.message) for w in caught][0] == [str(w.message) for w in caught][1]
    net = mnn.DataParallel(mnn.Linear(3, 2))
    assert list(net.state_dict()) == list(torch.nn.DataParallel(torch.nn.Linear(3, 2)).state_dict())
    assert net(minicnn.randn(4, 3)).shape == (4, 2)


def test_make_grid_and_save_image(tmp_path):
    from minicnn.vision.utils import make_grid, save_image
    imgs = np.random.default_rng(1).random((5, 1, 4, 6)).astype(np.float32)
    grid = make_grid(minicnn.tensor(imgs), nrow=2, padding=1, pad_value=0.5).numpy()
    assert grid.shape == (3, 3 * 5 + 1, 2 * 7 + 1)          # grey -> 3 channels; 3 rows of 2, 1-pixel borders
    np.testing.assert_array_equal(grid[:, 1:5, 8:14], np.repeat(imgs[1], 3, axis=0))      # image 1: row 0, col 1
    np.testing.assert_array_equal(grid[:, 11:15, 1:7], np.repeat(imgs[4], 3, axis=0))     # image 4: row 2, col 0
    assert np.all(grid[:, 0] == 0.5) and np.all(grid[:, 11:15, 8:14] == 0.5)             # border and empty cell
    save_image(minicnn.tensor(imgs), tmp_path / "g.png", nrow=5)
    from PIL import Image
    assert Image.open(tmp_path / "g.png").size == (5 * 8 + 2, 4 + 4)


def test_a_format_spec_on_a_tensor_of_several_values_is_refused_as_in_pytorch():
    for lib in (torch, minicnn):
        t = lib.tensor([1.0, 2.0])
        assert "{}".format(t) == str(t)
        with pytest.raises(TypeError, match="unsupported format string"):
            "{:.2f}".format(t)


@pytest.mark.parametrize("lib", [torch, minicnn], ids=["torch", "minicnn"])
def test_data_is_a_detached_tensor_sharing_the_memory(lib):
    """`.data` was the NumPy array (the blitz's f.data.sub_(...) failed with NumPy's message and
    outputs.data.max(1) was NumPy's max); now it is PyTorch's: the same code, the same answers."""
    torch.manual_seed(0)
    w = lib.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    y = (w * w).sum()
    y.backward()
    d = w.data
    assert type(d).__name__ == "Tensor" and not d.requires_grad and d.grad_fn is None
    for f in [w]:
        f.data.sub_(f.grad.data * 0.1)                      # the 60-minute blitz's update by hand
    assert np.allclose(w.detach().numpy(), [[0.8, -1.6], [2.4, 0.4]])
    assert w.data.numpy()[0, 0] == w.detach().numpy()[0, 0]   # shared memory
    values, indices = w.data.max(1)
    assert np.allclose(values.numpy(), [0.8, 2.4]) and indices.tolist() == [0, 0]
    _, predicted = lib.max(w.data, 1)
    assert predicted.tolist() == [0, 0]
    before = w._version
    w.data.mul_(2)                                          # not seen by autograd's version counter
    assert w._version == before and np.allclose(w.detach().numpy()[1], [4.8, 0.8])
    w.data = lib.zeros(3)                                   # a new array, even of another shape
    assert tuple(w.shape) == (3,) and w.requires_grad
    with pytest.raises(TypeError, match="has to be a tensor"):
        w.data = np.zeros(3)


def test_the_array_itself_is_one_documented_attribute():
    t = minicnn.tensor([1.0, 2.0])
    assert isinstance(t.array, np.ndarray) and t.numpy() is t.array
    t.array[0] = 5.0
    assert t.tolist() == [5.0, 2.0]


# what a learner prints, side by side: the op's node and the two levels under it, for each expression
GRAPHS = {
    "conv": lambda L, F, v: F.conv2d(v.x, v.w, v.b, padding=1),
    "conv, no bias, stride 2": lambda L, F, v: F.conv2d(v.x, v.w, stride=2),
    "depthwise conv": lambda L, F, v: F.conv2d(v.x, v.dw, groups=3),
    "dilated conv": lambda L, F, v: F.conv2d(v.x, v.w, dilation=2),
    "transposed conv": lambda L, F, v: F.conv_transpose2d(v.x, v.w.transpose(0, 1), v.b, stride=2, padding=1),
    "linear": lambda L, F, v: F.linear(v.m, v.lw, v.lb), "linear, no bias": lambda L, F, v: F.linear(v.m, v.lw),
    "linear on 3-D": lambda L, F, v: F.linear(v.m.reshape(2, 2, 6), v.lw, v.lb),
    "linear on 1-D": lambda L, F, v: F.linear(v.m[0], v.lw, v.lb),
    "relu": lambda L, F, v: F.relu(v.m), "leaky_relu": lambda L, F, v: F.leaky_relu(v.m),
    "elu": lambda L, F, v: F.elu(v.m), "gelu": lambda L, F, v: F.gelu(v.m),
    "sigmoid, tanh": lambda L, F, v: L.tanh(L.sigmoid(v.m)), "softmax": lambda L, F, v: F.softmax(v.m, 1),
    "log_softmax": lambda L, F, v: F.log_softmax(v.m, -1), "dropout": lambda L, F, v: F.dropout(v.m, 0.5, True),
    "dropout2d": lambda L, F, v: F.dropout2d(v.x, 0.5, True), "cat": lambda L, F, v: L.cat([v.m, v.m * 2], 1),
    "pad": lambda L, F, v: F.pad(v.x, (1, 1, 2, 0)),
    "cross_entropy": lambda L, F, v: F.cross_entropy(v.m, L.tensor([0, 1, 2, 3])),
    "cross_entropy, weighted, none": lambda L, F, v: F.cross_entropy(v.m, L.tensor([0, 1, 2, 3]),
                                                                    weight=L.ones(6), reduction="none"),
    "nll_loss": lambda L, F, v: F.nll_loss(F.log_softmax(v.m, 1), L.tensor([0, 1, 2, 3])),
    "bce_with_logits": lambda L, F, v: F.binary_cross_entropy_with_logits(v.m, L.ones(4, 6) / 2),
    "bce": lambda L, F, v: F.binary_cross_entropy(L.sigmoid(v.m), L.ones(4, 6) / 2),
    "mse": lambda L, F, v: F.mse_loss(v.m, L.ones(4, 6)),
    "arithmetic": lambda L, F, v: (v.m + 1) * v.m - v.m / 2, "reflected": lambda L, F, v: (1 - v.m) + 2 / v.m,
    "powers": lambda L, F, v: v.m ** 2 + v.m.abs() ** v.m + 2 ** v.m, "neg, exp, log, sqrt": lambda L, F, v:
        (-v.m).exp() + v.m.abs().log() + v.m.abs().sqrt(),
    "matrix products": lambda L, F, v: (v.m @ v.lw.t()).sum() + (v.m @ v.m[0]).sum() + v.m[0] @ v.m[1],
    "batched products": lambda L, F, v: (v.x @ v.x).sum() + (v.m.reshape(2, 2, 6) @ v.lw.t()).sum(),
    "reductions": lambda L, F, v: v.m.sum() + v.m.sum(1).mean() + v.m.mean(0).max() + v.m.max(1)[0].sum(),
    "min, amax, minimum": lambda L, F, v: v.m.min() + v.m.amax(1).sum() + L.minimum(v.m, v.m * 2).sum(),
    "clamp, cast, clone": lambda L, F, v: v.m.clamp(0, 1).double().sum() + v.m.clone().clamp(min=0).to(L.float64).sum(),
    "expand, sin, cos": lambda L, F, v: v.m[0].expand(3, 6).sin() + v.m[:3].cos(),
    "views": lambda L, F, v: v.m.reshape(24).sum() + v.x.flatten(1).sum() + v.m.view(2, 12).unsqueeze(0).squeeze(0).sum(),
    "reshape of a transpose": lambda L, F, v: v.m.t().reshape(-1),
    "transposes": lambda L, F, v: v.m.t().sum() + v.x.transpose(1, 2).sum() + v.x.permute(0, 2, 3, 1).sum() + v.m.T.sum(),
    "indexing": lambda L, F, v: v.m[0].sum() + v.m[1:3].sum() + v.m[[0, 2]].sum() + v.m[v.m > 0].sum() + v.m[:, 1:3].sum(),
    "more indexing": lambda L, F, v: v.m[0, 1] + v.m[None, 0].sum() + v.m[..., 1].sum() + v.m[[0, 1], 2].sum() + v.m[:].sum(),
    "batch_norm": lambda L, F, v: F.batch_norm(v.x, L.zeros(3), L.ones(3), v.gamma, v.beta, training=True),
    "pools": lambda L, F, v: F.max_pool2d(v.x, 2).sum() + F.avg_pool2d(v.x, 2).sum() + F.adaptive_avg_pool2d(v.x, 1).sum()
        + F.adaptive_avg_pool2d(v.x, (3, 3)).sum() + F.adaptive_avg_pool2d(v.x, 2).sum(),
    "std, var, norm": lambda L, F, v: v.m.std() + v.m.var(1).sum() + v.m.norm() + v.m.norm(1),
}


def _graph(make, lib):
    import types
    F = lib.nn.functional
    rs = np.random.default_rng(0)
    leaf = lambda *shape: lib.tensor(rs.standard_normal(shape).astype(np.float32), requires_grad=True)   # noqa: E731
    v = types.SimpleNamespace(x=leaf(4, 3, 8, 8), w=leaf(5, 3, 3, 3), b=leaf(5), dw=leaf(3, 1, 3, 3), m=leaf(4, 6),
                              lw=leaf(7, 6), lb=leaf(7), gamma=leaf(3), beta=leaf(3))
    y = make(lib, F, v)

    def walk(node, depth):          # every node's name and, two levels down, those below it
        if node is None:
            return None
        below = [walk(n, depth + 1) for n, _ in node.next_functions] if depth < 3 else []
        return (node.name(), below)
    return walk(y.grad_fn, 0), repr(y.grad_fn).split(" object at ")[0]


@pytest.mark.parametrize("case", GRAPHS)
def test_grad_fn_graphs_as_pytorch_prints_them(case):
    """``loss.grad_fn`` and its next_functions, three levels deep: PyTorch's node names, in PyTorch's order
    (linear is AddmmBackward0 over the bias, the input and TBackward0 of the weight; every convolution
    algorithm is ConvolutionBackward0; cross_entropy is NllLossBackward0 over LogSoftmaxBackward0)."""
    assert _graph(GRAPHS[case], minicnn) == _graph(GRAPHS[case], torch)


def test_names_survive_backward_and_name_the_op_in_the_inplace_error():
    x = minicnn.randn(3, 4, requires_grad=True)
    y = minicnn.nn.functional.relu(x)
    z = (y * 2).sum()
    with minicnn.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match=r"which is output 0 of Relu, is at version 1"):   # PyTorch's words
        z.backward()
    w = x.sum(1)
    w.sum().backward()
    assert w.grad_fn.name() == "SumBackward1"          # the graph is freed; the node keeps its name


PRINTED = [
    [1.0, 2.0], [0.5, 2.25], [1e-5, 1.0], [123456789.0, 1.0], [1e10, 1.0], [np.nan, 1.0], [np.inf, -1.5],
    [-0.0, 0.0], [100.0, 2000.0], [0.001, 1.0], [1234.5678, 0.5], [np.nan, np.inf], 2.5, 3.0,
    np.arange(30) / 7, [[1.5, 2.0], [3.0, 4.0]], np.arange(12.0).reshape(2, 2, 3),
    np.random.default_rng(0).standard_normal((2, 12)), np.arange(2000.0), np.arange(3000.0).reshape(30, 100),
    np.zeros(0), np.zeros((2, 0)), np.arange(24, dtype=np.int64).reshape(2, 3, 4), [True, False],
    np.arange(-5, 1200, dtype=np.int64), np.array([1.5, 2.0], np.float64), np.zeros(0, np.int64),
]


@pytest.mark.parametrize("values", PRINTED, ids=range(len(PRINTED)))
def test_tensors_print_as_pytorch_prints_them(values):
    a = np.asarray(values)
    a = a.astype(np.float32) if a.dtype == np.float64 and not isinstance(values, np.ndarray) else a
    ours, theirs = repr(minicnn.tensor(a, dtype=a.dtype)), repr(torch.tensor(a))   # float64 stays (see README)
    assert ours == theirs.replace("torch.", "")                    # dtype=float64, not dtype=torch.float64


def test_printed_with_grad_fn_and_as_a_parameter_and_under_printoptions():
    for lib in (torch, minicnn):
        lib.manual_seed(0)
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    for make in (lambda lib: lib.tensor(x, requires_grad=True) * 2, lambda lib: lib.nn.Parameter(lib.tensor(x)),
                 lambda lib: lib.tensor(x, requires_grad=True).sum(1)):
        assert repr(make(minicnn)) == repr(make(torch))
    for options in ({"precision": 2}, {"threshold": 5, "edgeitems": 1}, {"threshold": 5, "edgeitems": 0},
                    {"linewidth": 30}, {"sci_mode": True}, {"profile": "short"}):
        with minicnn.printoptions(**options):
            ours = repr(minicnn.tensor(x)), repr(minicnn.tensor(x[0]))
        torch.set_printoptions(**options)
        try:
            assert ours == (repr(torch.tensor(x)), repr(torch.tensor(x[0]))), options
        finally:
            torch.set_printoptions(profile="default")
    assert minicnn.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                                          "sci_mode": None}


@pytest.mark.parametrize("lib", [torch, minicnn], ids=["torch", "minicnn"])
def test_forward_hooks_with_handles(lib):
    """register_forward_hook / register_forward_pre_hook as PyTorch: what they see, what a return replaces,
    the order (prepend), and the handle that removes them -- the same record from both libraries."""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    x = lib.ones(1, 1, 4, 4)
    seen = []
    grab = model[1].register_forward_hook(lambda m, args, out: seen.append(("relu", type(m).__name__, len(args),
                                                                            tuple(args[0].shape), tuple(out.shape))))
    double = model[3].register_forward_hook(lambda m, args, out: out * 2)
    first = model[3].register_forward_hook(lambda m, args, out: seen.append(("first", tuple(out.shape))), prepend=True)
    zero = model[0].register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    with lib.no_grad():
        y = model(x)
        bias_only = float(model[3](nn.functional.relu(model[0].bias.reshape(1, 2, 1, 1).expand(1, 2, 2, 2)).flatten(1))
                          .sum()) / 2                       # the doubling hook ran on this call too
    assert abs(float(y.sum()) / 2 - bias_only) < 1e-5     # the pre-hook zeroed the input: only the biases remain
    for h in (grab, double, first, zero):
        h.remove()
    with lib.no_grad():
        model(x)
    with model[2].register_forward_hook(lambda m, args, out: seen.append(("in a with block",))):
        with lib.no_grad():
            model(x)
    with lib.no_grad():
        model(x)
    assert seen == [("relu", "ReLU", 1, (1, 2, 2, 2), (1, 2, 2, 2)), ("first", (1, 3)), ("first", (1, 3)),
                    ("in a with block",)]


@pytest.mark.parametrize("lib", [torch, minicnn], ids=["torch", "minicnn"])
def test_view_refuses_what_needs_a_copy_as_pytorch_does(lib):
    """x.t().view(-1) would be a copy, so a change through it would not reach x: PyTorch refuses it, and so
    does minicnn now (it used to copy silently); contiguous() first, or reshape(), as PyTorch says."""
    x = lib.arange(12.0).reshape(3, 4)
    with pytest.raises(RuntimeError, match=r"view size is not compatible .* Use \.reshape\(\.\.\.\) instead"):
        x.t().view(-1)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x[:, :2].view(6)
    assert x.t().contiguous().view(-1).tolist() == x.t().reshape(-1).tolist() == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0,
                                                                                     6.0, 10.0, 3.0, 7.0, 11.0]
    v = x.view(4, 3)                                       # a view: a change through it reaches x
    with lib.no_grad():
        v[0, 0] = 100.0
    assert float(x[0, 0]) == 100.0 and x.t().view(4, 3).shape == (4, 3)
    conv = lib.nn.Conv2d(1, 2, 3)                         # 16 images: minicnn's output is batch-last in memory,
    y = conv(lib.ones(16, 1, 5, 5))                       # PyTorch's contiguous: view works in both
    assert tuple(y.view(16, -1).shape) == (16, 18) and tuple(y.view_as(lib.ones(16, 18)).shape) == (16, 18)
