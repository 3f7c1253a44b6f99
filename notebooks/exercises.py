"""The checks behind the walkthroughs' exercises: each takes the learner's answer (a function or a
class), runs it on fresh random inputs, compares it with minicnn's own code, prints one line and
returns True when the answer is right.

    import exercises
    exercises.check_im2col(my_im2col)     # "correct: largest difference 0 over 3 cases" or what is wrong

A stub that still raises NotImplementedError is reported as "not attempted yet" (the notebooks run
in CI with their stubs). notebooks/solutions.py holds one right answer to each; tests/test_notebooks.py
checks that every check passes those and fails a wrong answer.
"""
import warnings

import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn.im2col import im2col_reference


# fit's progress bar is tqdm's text one here: its notice that Jupyter widgets are missing is noise
warnings.filterwarnings("ignore", message="IProgress not found")
_figures = None


def show(plot_fn, *args, **kwargs):
    """Run one of minicnn.plot's functions into a PNG in a temporary folder and display it in the
    notebook; returns what the function returns."""
    global _figures
    import os
    import tempfile
    from IPython.display import Image, display
    _figures = _figures or tempfile.mkdtemp(prefix="minicnn-figures-")
    path = os.path.join(_figures, f"{plot_fn.__name__}-{len(os.listdir(_figures))}.png")
    result = plot_fn(*args, path=path, **kwargs)
    display(Image(filename=path))
    return result


def _run(name, cases):
    """cases: an iterable of (learner's value, expected value) thunks; report and return the verdict."""
    worst = 0.0
    try:
        for n, case in enumerate(cases, start=1):
            got, want = case()
            got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
            if got.shape != want.shape:
                print(f"{name}: not yet: case {n} has shape {got.shape}, expected {want.shape}")
                return False
            if not np.all(np.isfinite(got)):
                print(f"{name}: not yet: case {n} has inf or nan where {want.ravel()[:3]}... was expected")
                return False
            diff = float(np.max(np.abs(got - want))) if got.size else 0.0
            if diff > 1e-9 * max(1.0, float(np.max(np.abs(want))) if want.size else 1.0):
                print(f"{name}: not yet: case {n} differs by {diff:.3g}")
                return False
            worst = max(worst, diff)
    except NotImplementedError:
        print(f"{name}: not attempted yet")
        return False
    except Exception as exc:  # a learner's bug: say what it was, do not stop the notebook
        print(f"{name}: not yet: {type(exc).__name__}: {exc}")
        return False
    print(f"{name}: correct: largest difference {worst:.3g} over {n} cases")
    return True


def _rng(seed):
    return np.random.default_rng(seed)


def _t(a, requires_grad=False):
    """A float64 tensor: the checks compare in double precision."""
    return mc.tensor(a, dtype=np.float64, requires_grad=requires_grad)


# 01 autograd
def check_cube(Cube):
    """Cube: a minicnn Function with y = x**3 and its backward. Checked on the values and on the
    gradient of a random upstream gradient g (dL/dx = 3 x**2 g)."""
    def case(seed):
        def run():
            rs = _rng(seed)
            x, g = rs.standard_normal((3, 4)), rs.standard_normal((3, 4))
            xt = _t(x, requires_grad=True)
            y = Cube.apply(xt)
            y.backward(g)
            return (np.concatenate([y.numpy().ravel(), xt.grad.numpy().ravel()]),
                    np.concatenate([(x ** 3).ravel(), (3 * x ** 2 * g).ravel()]))
        return run
    return _run("Cube", [case(s) for s in range(3)])


# 02 im2col
def check_im2col(my_im2col):
    """my_im2col(x, R, S): x (N, C, H, W), stride 1, no padding -> the textbook (N*OH*OW, C*R*S)."""
    def case(shape, R, S, seed):
        def run():
            x = _rng(seed).standard_normal(shape)
            return my_im2col(x, R, S), im2col_reference(x, (R, S), (1, 1), (0, 0, 0, 0))
        return run
    return _run("im2col", [case((1, 1, 4, 4), 3, 3, 0), case((2, 3, 5, 6), 2, 3, 1), case((1, 2, 3, 3), 1, 1, 2)])


# 03 convolution backward
def check_weight_grad(weight_grad):
    """weight_grad(x, gy, R, S): x (N, C, H, W), gy (N, K, OH, OW), stride 1, no padding -> dL/dw (K, C, R, S)."""
    def case(shape, K, R, S, seed):
        def run():
            rs = _rng(seed)
            x, w = rs.standard_normal(shape), rs.standard_normal((K, shape[1], R, S))
            xt, wt = _t(x), _t(w, requires_grad=True)
            y = F.conv2d(xt, wt)
            gy = rs.standard_normal(y.shape)
            y.backward(gy)
            return weight_grad(x, gy, R, S), wt.grad.numpy()
        return run
    return _run("weight gradient", [case((2, 3, 6, 5), 4, 3, 3, 0), case((1, 2, 4, 4), 3, 2, 2, 1)])


# 04 pooling
def check_maxpool_backward(maxpool_backward):
    """maxpool_backward(x, gy): 2x2 windows, stride 2; x (N, C, H, W) with even H and W, gy (N, C, H/2, W/2) -> dL/dx."""
    def case(shape, seed):
        def run():
            rs = _rng(seed)
            x = rs.permutation(np.prod(shape)).reshape(shape).astype(np.float64)      # no ties
            xt = _t(x, requires_grad=True)
            y = F.max_pool2d(xt, 2)
            gy = rs.standard_normal(y.shape)
            y.backward(gy)
            return maxpool_backward(x, gy), xt.grad.numpy()
        return run
    return _run("max-pool backward", [case((1, 1, 4, 4), 0), case((2, 3, 6, 8), 1)])


# 05 batch norm
def check_batchnorm(batchnorm_train):
    """batchnorm_train(x, eps): x (N, C), training mode, no weight or bias -> normalized x."""
    def case(shape, seed):
        def run():
            x = _rng(seed).standard_normal(shape) * 3 + 5
            return batchnorm_train(x, 1e-5), F.batch_norm(_t(x), None, None, training=True, eps=1e-5).numpy()
        return run
    return _run("batch norm", [case((8, 3), 0), case((5, 7), 1)])


# 06 softmax cross-entropy
def check_log_softmax(log_softmax):
    """log_softmax(z): z (N, K) -> log of the softmax along the last axis, finite for any logits."""
    def case(z):
        return lambda: (log_softmax(z), F.log_softmax(_t(z), dim=1).numpy())
    rs = _rng(0)
    return _run("log-softmax", [case(rs.standard_normal((4, 5))), case(np.array([[1000.0, 0.0, -1000.0]])),
                                case(np.array([[-800.0, -801.0, -2000.0], [3.0, 3.0, 3.0]]))])


# 07 LeNet-5
def check_accuracy(accuracy):
    """accuracy(logits, labels): logits (N, K) array, labels (N,) ints -> the share of rows whose
    largest logit is at the label."""
    def case(seed):
        def run():
            rs = _rng(seed)
            logits, labels = rs.standard_normal((50, 10)), rs.integers(0, 10, 50)
            return accuracy(logits, labels), np.mean(logits.argmax(axis=1) == labels)
        return run
    return _run("accuracy", [case(s) for s in range(3)])


# 08 why a network does not learn
def check_he_std(he_std):
    """he_std(fan_in): the standard deviation of He-normal weights for a ReLU layer."""
    return _run("He std", [lambda n=n: (he_std(n), np.sqrt(2.0 / n)) for n in (9, 27, 576, 4608)])


# 09 where the time goes
def check_conv_flops(conv_flops):
    """conv_flops(N, C, H, W, K, R, S, padding): the multiply-adds x 2 of a stride-1 convolution's forward."""
    def want(N, C, H, W, K, R, S, p):
        OH, OW = H + 2 * p - R + 1, W + 2 * p - S + 1
        return 2 * N * K * OH * OW * C * R * S
    shapes = [(1, 3, 32, 32, 16, 3, 3, 1), (8, 64, 56, 56, 64, 3, 3, 1), (2, 3, 28, 28, 6, 5, 5, 0)]
    return _run("conv FLOPs", [lambda s=s: (conv_flops(*s), want(*s)) for s in shapes])


# 10 GPU
def check_pick_device(pick_device):
    """pick_device(): "cuda" when minicnn can use a GPU here, else "cpu"."""
    return _run("pick device", [lambda: (float(pick_device() == ("cuda" if mc.cuda.is_available() else "cpu")), 1.0)])
