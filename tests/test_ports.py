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
