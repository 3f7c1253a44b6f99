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
