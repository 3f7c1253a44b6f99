"""PyTorch programs run on minicnn with only their imports changed (tests/ports/): each file is
run as written, under PyTorch, and again with its import lines pointed at minicnn; from the same
initial weights and batches, the losses agree step for step (float32, 1e-4 relative)."""
import pathlib
import types

import numpy as np
import pytest

import minicnn as mc

PORTS = pathlib.Path(__file__).parent / "ports"

IMPORTS = {                                   # the only lines that change
    "import torch": "import minicnn as torch",
    "import torch.nn as nn": "import minicnn.nn as nn",
    "import torch.nn.functional as F": "import minicnn.nn.functional as F",
    "import torch.optim as optim": "import minicnn.optim as optim",
    "from torch.optim.lr_scheduler import StepLR": "from minicnn.optim.lr_scheduler import StepLR",
    "from torch.utils.data import DataLoader, TensorDataset": "from minicnn.utils.data import DataLoader, TensorDataset",
}


def load(name, framework, **globals_):
    """The port ``name`` as a module, with torch's imports (framework "torch") or minicnn's."""
    source = (PORTS / f"{name}.py").read_text()
    if framework == "minicnn":
        ported = "\n".join(IMPORTS.get(line, line) for line in source.split("\n"))
        changed = [(a, b) for a, b in zip(source.split("\n"), ported.split("\n")) if a != b]
        assert changed and all(a.startswith(("import ", "from ")) for a, _ in changed)
        source = ported
    module = types.ModuleType(f"{name}_{framework}")
    exec(compile(source, f"{name}.py ({framework})", "exec"), module.__dict__)
    module.__dict__.update(globals_)
    return module


def torch_init(name, **globals_):
    """PyTorch's own initial weights for the port's network, as NumPy arrays."""
    import torch
    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in load(name, "torch", **globals_).build().state_dict().items()}


def assert_steps_agree(ours, theirs, rtol=1e-4):
    assert len(ours) == len(theirs) > 0
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert abs(a - b) <= rtol * abs(b) + 1e-6, f"step {step}: minicnn {a} vs PyTorch {b}"


def test_cifar_tutorial_cnn_trains_step_for_step_like_pytorch():
    rs = np.random.default_rng(0)
    images = rs.standard_normal((40, 3, 32, 32)).astype(np.float32)
    labels = rs.integers(0, 10, 40).astype(np.int64)
    init = torch_init("cifar_cnn")
    theirs, acc_t = load("cifar_cnn", "torch").run(init, images, labels, epochs=4)
    ours, acc_o = load("cifar_cnn", "minicnn").run(init, images, labels, epochs=4)
    assert_steps_agree(ours, theirs)
    assert acc_o == acc_t
    assert np.mean(theirs[-5:]) < np.mean(theirs[:5])          # it learns (the labels by heart)


def test_mnist_example_trains_step_for_step_like_pytorch():
    rs = np.random.default_rng(1)
    images = rs.random((48, 1, 28, 28)).astype(np.float32)
    labels = rs.integers(0, 10, 48).astype(np.int64)
    init = torch_init("mnist_net")
    theirs, tests_t = load("mnist_net", "torch", DROPOUT=0.0).run(init, images, labels)
    ours, tests_o = load("mnist_net", "minicnn", DROPOUT=0.0).run(init, images, labels)
    assert_steps_agree(ours, theirs)
    for (loss_o, acc_o), (loss_t, acc_t) in zip(tests_o, tests_t):
        assert abs(loss_o - loss_t) <= 1e-4 * abs(loss_t) and acc_o == acc_t


def test_mnist_example_with_dropout_runs_and_learns():
    """With dropout on, the masks differ between the libraries: the program must still run as written."""
    rs = np.random.default_rng(2)
    images = rs.random((48, 1, 28, 28)).astype(np.float32)
    labels = (images.mean(axis=(1, 2, 3)) * 20).astype(np.int64) % 10
    mc.manual_seed(0)
    losses, tests = load("mnist_net", "minicnn").run(torch_init("mnist_net"), images, labels, epochs=3)
    assert np.all(np.isfinite(losses)) and tests[-1][0] < tests[0][0]       # the test loss falls (1.04 -> 0.70 here)


def test_autograd_polynomial_fit_steps_like_pytorch():
    init = {"a": 0.3, "b": -0.2, "c": 0.5, "d": 0.1}
    theirs, coef_t = load("autograd_loop", "torch").polynomial(init)
    ours, coef_o = load("autograd_loop", "minicnn").polynomial(init)
    assert_steps_agree(ours, theirs)
    np.testing.assert_allclose(coef_o, coef_t, rtol=1e-4)


def test_autograd_two_layer_net_with_grad_zero_steps_like_pytorch():
    rs = np.random.default_rng(3)
    init = {"x": rs.standard_normal((64, 100)).astype(np.float32), "y": rs.standard_normal((64, 10)).astype(np.float32),
            "w1": rs.standard_normal((100, 50)).astype(np.float32), "w2": rs.standard_normal((50, 10)).astype(np.float32)}
    theirs = load("autograd_loop", "torch").two_layer(init)
    ours = load("autograd_loop", "minicnn").two_layer(init)
    assert_steps_agree(ours, theirs)


def test_blitz_neural_networks_tutorial_with_its_manual_data_update(tmp_path):
    """The blitz's `f.data.sub_(f.grad.data * learning_rate)` once failed with NumPy's message."""
    import re
    rs = np.random.default_rng(4)
    data = {"input": rs.standard_normal((1, 1, 32, 32)).astype(np.float32),
            "grad": rs.standard_normal((1, 10)).astype(np.float32), "target": rs.standard_normal(10).astype(np.float32)}
    init = torch_init("blitz_neural_networks")
    theirs, shown_t = load("blitz_neural_networks", "torch").run(init, data)
    ours, shown_o = load("blitz_neural_networks", "minicnn").run(init, data)
    assert_steps_agree(ours, theirs)                      # the first loss is after the manual update
    assert str(shown_o[0]) == str(shown_t[0])             # print(net): the module tree as PyTorch prints it
    assert shown_o[1] == shown_t[1] == 10 and tuple(shown_o[2]) == tuple(shown_t[2]) == (6, 1, 5, 5)
    grads = [i for i, s in enumerate(shown_t) if str(s).startswith("conv1.bias.grad")]
    assert shown_o[grads[0] + 1] is None and shown_t[grads[0] + 1] is None      # zero_grad leaves None
    np.testing.assert_allclose(shown_o[grads[1] + 1].numpy(), shown_t[grads[1] + 1].numpy(), rtol=1e-4, atol=1e-7)
    assert len(shown_o) == len(shown_t)                   # every print ran
    nodes = slice(grads[0] - 3, grads[0])                    # loss.grad_fn and the two nodes under it: PyTorch's names
    unplace = lambda shown: [re.sub(r" at 0x[0-9a-f]+", "", str(s)) for s in shown[nodes]]   # noqa: E731
    assert unplace(shown_o) == unplace(shown_t) == [
        "<MseLossBackward0 object>", "<AddmmBackward0 object>", "<AccumulateGrad object>"]


def _fashion_shaped(seed, n):
    """Fashion-MNIST-shaped images with a learnable pattern (a bright row per class), so that the test
    accuracy is not decided by near-ties that float32 rounding could tip either way."""
    rs = np.random.default_rng(seed)
    labels = rs.integers(0, 10, n)
    images = (rs.random((n, 1, 28, 28)) * 0.5).astype(np.float32)
    images[np.arange(n), 0, 2 + 2 * labels, :] = 1.0
    return images, labels


@pytest.mark.parametrize("name", ["yunjey_feedforward", "yunjey_cnn"])
def test_yunjey_tutorials_train_test_and_save_like_pytorch(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                           # they save model.ckpt where they run
    images, labels = _fashion_shaped(5, 400)
    test_images, test_labels = _fashion_shaped(6, 200)
    init = torch_init(name)
    theirs, shown_t, correct_t = load(name, "torch").run(init, images, labels, test_images, test_labels)
    ours, shown_o, correct_o = load(name, "minicnn").run(init, images, labels, test_images, test_labels)
    assert_steps_agree(ours, theirs)
    assert shown_o == shown_t and correct_o == correct_t          # every printed line, the accuracy included
    assert sorted(mc.load(tmp_path / "model.ckpt")) == sorted(init)
