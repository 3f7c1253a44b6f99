"""The learning path (notebooks/): every walkthrough runs top to bottom without an error (no time
limit: a busy machine is slow, not wrong; benchmarks/notebooks.py times them), and every exercise check accepts the answer in notebooks/solutions.py and refuses a
wrong one and an unattempted stub."""
import os
import pathlib
import sys

import numpy as np
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
FASHION = os.path.exists("/usr/share/datasets/fashion-mnist")
NEEDS_DATA = {"07_lenet5_fashion_mnist.ipynb", "08_why_not_learning.ipynb"}

sys.path.insert(0, str(NOTEBOOKS))
import exercises  # noqa: E402
import solutions  # noqa: E402


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_runs(name):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if name in NEEDS_DATA and not FASHION:
        pytest.skip("needs Debian's dataset-fashion-mnist")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        f"{name} is stored with outputs: strip them (they are made when it runs)"
    nbclient.NotebookClient(nb, timeout=None, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")
    assert "not attempted yet" in text                           # the stub's check ran, and said so
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    figures = {"01_autograd.ipynb": 1, "02_im2col.ipynb": 2, "07_lenet5_fashion_mnist.ipynb": 3,
               "08_why_not_learning.ipynb": 1}
    assert images == figures.get(name, 0)


def stub(*args):
    raise NotImplementedError


class WrongCube:
    """Forgets the square: backward returns 3 x gy."""

    @classmethod
    def apply(cls, x):
        class Op(solutions.mc.autograd.Function):
            def forward(self, a):
                self.a = a
                return a ** 3

            def backward(self, gy):
                return 3 * self.a * gy
        return Op.apply(x)


def wrong_im2col(x, R, S):           # patches flattened in (r, s, c) order instead of (c, r, s)
    N, C, H, W = x.shape
    return np.array([x[n, :, i:i + R, j:j + S].transpose(1, 2, 0).ravel()
                     for n in range(N) for i in range(H - R + 1) for j in range(W - S + 1)])


def wrong_maxpool_backward(x, gy):   # spreads the gradient over the window (average pooling's)
    return np.repeat(np.repeat(gy, 2, axis=2), 2, axis=3) / 4


def wrong_batchnorm(x, eps):         # the unbiased variance
    return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + eps)


def naive_log_softmax(z):            # overflows on large logits
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))


CASES = [
    (exercises.check_cube, solutions.Cube, WrongCube),
    (exercises.check_im2col, solutions.my_im2col, wrong_im2col),
    (exercises.check_weight_grad, solutions.weight_grad,
     lambda x, gy, R, S: solutions.weight_grad(x, gy, R, S).transpose(0, 1, 3, 2)),
    (exercises.check_maxpool_backward, solutions.maxpool_backward, wrong_maxpool_backward),
    (exercises.check_batchnorm, solutions.batchnorm_train, wrong_batchnorm),
    (exercises.check_log_softmax, solutions.log_softmax, naive_log_softmax),
    (exercises.check_accuracy, solutions.accuracy, lambda logits, labels: np.mean(logits.argmin(axis=1) == labels)),
    (exercises.check_he_std, solutions.he_std, lambda n: np.sqrt(1.0 / n)),
    (exercises.check_conv_flops, solutions.conv_flops, lambda N, C, H, W, K, R, S, p: N * K * H * W * C * R * S),
    (exercises.check_pick_device, solutions.pick_device,
     lambda: "cpu" if solutions.mc.cuda.is_available() else "cuda"),
]


@pytest.mark.parametrize("check,right,wrong", CASES, ids=[c[0].__name__ for c in CASES])
def test_exercise_checks(capsys, check, right, wrong):
    assert check(right) is True
    assert "correct" in capsys.readouterr().out
    assert check(wrong) is False
    assert "not yet" in capsys.readouterr().out
    if check is exercises.check_cube:
        class Stub(solutions.mc.autograd.Function):
            forward = backward = staticmethod(stub)
        assert check(Stub) is False
    else:
        assert check(stub) is False
    assert "not attempted yet" in capsys.readouterr().out
