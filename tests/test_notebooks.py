"""The learning path (notebooks/): every walkthrough runs top to bottom without an error (no time
limit: a busy machine is slow, not wrong; benchmarks/notebooks.py times them), and every exercise check accepts the answer in notebooks/solutions.py and refuses a
wrong one and an unattempted stub."""
import os
import pathlib
import sys

import numpy as np
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
SOLUTIONS = NOTEBOOKS.parent / "solutions"
FASHION = os.path.exists("/usr/share/datasets/fashion-mnist")
NEEDS_DATA = {"07_lenet5_fashion_mnist.ipynb", "08_why_not_learning.ipynb"}

sys.path.insert(0, str(NOTEBOOKS))
sys.path.insert(0, str(SOLUTIONS))
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


def walk_overwriting(root):         # topological order, but "=" where "+=" belongs
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad = local * node.grad


def walk_depth_first(root):         # hands on a gradient before it is complete: a diamond counts twice
    def push(node):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad
            push(parent)
    root.grad = 1.0
    push(root)


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
    (exercises.check_backward_walk, solutions.backward_walk, walk_overwriting),
    (exercises.check_backward_walk, solutions.backward_walk, walk_depth_first),
    (exercises.check_sum_to, solutions.sum_to, lambda g, shape: g.sum(axis=0)),
    (exercises.check_input_grad, solutions.input_grad,                          # the kernel not flipped
     lambda gy, w, p: solutions.input_grad(gy, w[:, :, ::-1, ::-1], p)),
    (exercises.check_bias_grad, solutions.bias_grad, lambda gy: gy.sum(axis=(2, 3)).mean(axis=0)),
    (exercises.check_batchnorm_backward, solutions.batchnorm_backward,          # mean and variance held constant
     lambda x, gy, eps: gy / np.sqrt(x.var(axis=0) + eps)),
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
    (exercises.check_pick_device, solutions.pick_device, lambda: "cpu"),       # a constant answer
]


@pytest.mark.parametrize("check,right,wrong", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
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


def test_a_failure_shows_the_case_and_the_tolerance_follows_the_dtype(capsys):
    """The checker once rejected a right weight gradient computed in float32 (a 1e-9 tolerance, unsaid)
    and said only "differs by"; now float32 answers get float32's tolerance and a failure names the
    case, the first differing index and both values."""
    f32 = lambda x, gy, R, S: solutions.weight_grad(x.astype(np.float32), gy.astype(np.float32), R, S)
    assert exercises.check_weight_grad(f32) is True
    half_wrong = lambda x, gy, R, S: solutions.weight_grad(x, gy, R, S) * np.where(np.arange(S) == S - 1, 2, 1)
    assert exercises.check_weight_grad(half_wrong) is False
    out = capsys.readouterr().out.splitlines()[-1]
    assert "case 1 (x (2, 3, 6, 5), gy (2, 4, 4, 3), R=3, S=3): first difference at index (0, 0, 0, 2)" in out
    assert "yours" in out and "expected" in out and "for float64" in out


def test_the_notebooks_run_without_a_browser(tmp_path):
    """The README's command: a notebook's cells and printed output in the terminal, its figures as files."""
    pytest.importorskip("nbclient")
    import subprocess
    root = NOTEBOOKS.parent
    res = subprocess.run([sys.executable, "notebooks/run.py", "02", "--figures", str(tmp_path)], cwd=root,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "02_im2col" in res.stdout and ">>> rng = np.random.default_rng(0)" in res.stdout
    assert "largest difference from conv2d: 0.0" in res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["02_im2col-cell1-0.png", "02_im2col-cell3-0.png"]
    bad = subprocess.run([sys.executable, "notebooks/run.py", "0"], cwd=root, capture_output=True, text=True)
    assert bad.returncode == 2 and "names more than one notebook" in bad.stderr
