"""The checks behind the walkthroughs' exercises: each takes the learner's answer (a function or a
class), runs it on fresh random inputs, compares it with minicnn's own code, prints one line and
returns True when the answer is right.

    import exercises
    exercises.check_im2col(my_im2col)     # "correct: largest difference 0 over 3 cases" or what is wrong

A stub that still raises NotImplementedError is reported as "not attempted yet" (the notebooks run
in CI with their stubs). A failure names the case, the first index that differs and both values;
the tolerance follows the dtype of the answer (TOLERANCE). solutions/solutions.py, outside this
folder, holds one right answer to each; tests/test_notebooks.py checks that every check passes those
and fails the classic wrong answers.
"""
import math
import warnings

import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn.functional.conv_algorithms.im2col import im2col_reference


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


# how close an answer must come, relative to the largest expected value, by the dtype it is computed
# in: float32 keeps ~7 digits and a sum of many terms loses a few more
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4, np.dtype(np.float16): 1e-2}


def _run(name, cases):
    """cases: thunks returning (learner's value, expected value[, what the case is]); report and return
    the verdict. A failure names the case, the first index that differs and both values there."""
    worst, n = 0.0, 0
    try:
        for n, case in enumerate(cases, start=1):
            got, want, *label = case()
            what = f"case {n}" + (f" ({label[0]})" if label else "")
            raw = np.asarray(got)
            tol = TOLERANCE.get(raw.dtype, 1e-9)
            got, want = raw.astype(np.float64), np.asarray(want, dtype=np.float64)
            if got.shape != want.shape:
                print(f"{name}: not yet: {what}: your answer has shape {got.shape}, expected {want.shape}")
                return False
            if not np.all(np.isfinite(got)):
                at = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0]) if got.ndim else ()
                print(f"{name}: not yet: {what}: {got[at]} at index {at}, where {want[at]:.6g} was expected")
                return False
            diff = np.abs(got - want)
            limit = tol * max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
            if want.size and float(diff.max()) > limit:
                at = tuple(int(i) for i in np.argwhere(diff > limit)[0]) if got.ndim else ()
                print(f"{name}: not yet: {what}: first difference at index {at}: yours {got[at]:.6g}, expected "
                      f"{want[at]:.6g} (allowed: {limit:.1g}, for {raw.dtype})")
                return False
            worst = max(worst, float(diff.max()) if diff.size else 0.0)
    except NotImplementedError:
        print(f"{name}: not attempted yet")
        return False
    except Exception as exc:  # a learner's bug: say what it was, do not stop the notebook
        print(f"{name}: not yet: case {n}: {type(exc).__name__}: {exc}")
        return False
    print(f"{name}: correct: largest difference {worst:.3g} over {n} cases")
    return True


def _rng(seed):
    return np.random.default_rng(seed)


def _t(a, requires_grad=False):
    """A float64 tensor: the checks compare in double precision."""
    return mc.tensor(a, dtype=np.float64, requires_grad=requires_grad)


# 01 autograd
class Value:
    """A scalar node of a tiny graph, as micrograd's: its value, its gradient (0 until a backward
    walk fills it), the nodes it was computed from and d(self)/d(parent) for each of them."""

    def __init__(self, data, parents=(), local_grads=()):
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = tuple(parents), tuple(local_grads)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __radd__, __rmul__ = __add__, __mul__

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1 - t * t,))

    def __repr__(self):
        return f"Value({self.data:.4g}, grad={self.grad:.4g})"


def _value_graphs():
    """(leaves as Values, the output, the same expression on minicnn tensors) for three expressions:
    a chain, a node used twice, and a diamond (a node reached by two paths)."""
    def chain(a, b, c):
        return (a * b + c).tanh() * a

    def twice(a, b, c):
        return a * a + a * b + c

    def diamond(a, b, c):
        d = a * b
        e = d + a
        return (d * e + c).tanh() * d
    return [chain, twice, diamond]


def check_backward_walk(backward_walk):
    """backward_walk(root): set root.grad = 1 and fill every node's .grad with d(root)/d(node)."""
    def case(f, seed):
        def run():
            vals = _rng(seed).standard_normal(3)
            leaves = [Value(v) for v in vals]
            backward_walk(f(*leaves))
            ts = [_t(v, requires_grad=True) for v in vals]
            f(*ts).backward()                             # the same expression, by minicnn's autograd
            return [v.grad for v in leaves], [t.grad.item() for t in ts], f"{f.__name__}(a, b, c), leaves' gradients"
        return run
    return _run("backward walk", [case(f, s) for s, f in enumerate(_value_graphs())])


def check_sum_to(sum_to):
    """sum_to(g, shape): the gradient g of a broadcast result, summed back to the input's shape
    (minicnn's is functional.math.unbroadcast)."""
    from minicnn.functional.math import unbroadcast

    def case(g_shape, shape, seed):
        def run():
            g = _rng(seed).standard_normal(g_shape)
            return sum_to(g.copy(), shape), unbroadcast(g, shape), f"g {g_shape} -> {shape}"
        return run
    return _run("sum_to", [case((3, 4), (4,), 0), case((2, 3, 4), (3, 1), 1), case((5,), (1,), 2),
                           case((2, 3), (2, 3), 3), case((4, 3, 5), (4, 1, 1), 4), case((2, 3), (), 5)])


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
            return my_im2col(x, R, S), im2col_reference(x, (R, S), (1, 1), (0, 0, 0, 0)), f"x {shape}, R={R}, S={S}"
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
            return weight_grad(x, gy, R, S), wt.grad.numpy(), f"x {shape}, gy {gy.shape}, R={R}, S={S}"
        return run
    return _run("weight gradient", [case((2, 3, 6, 5), 4, 3, 3, 0), case((1, 2, 4, 4), 3, 2, 2, 1)])


def check_input_grad(input_grad):
    """input_grad(gy, w, padding): gy (N, K, OH, OW), w (K, C, R, S), stride 1 -> dL/dx (N, C, H, W),
    as a convolution of gy with the flipped kernel and padding R - 1 - padding."""
    def case(shape, K, R, p, seed):
        def run():
            rs = _rng(seed)
            x, w = rs.standard_normal(shape), rs.standard_normal((K, shape[1], R, R))
            xt = _t(x, requires_grad=True)
            y = F.conv2d(xt, _t(w), padding=p)
            gy = rs.standard_normal(y.shape)
            y.backward(gy)
            return input_grad(gy, w, p), xt.grad.numpy(), f"gy {gy.shape}, w {w.shape}, padding {p}"
        return run
    return _run("input gradient", [case((2, 3, 6, 5), 4, 3, 1, 0), case((1, 2, 5, 5), 3, 3, 0, 1),
                                   case((2, 2, 4, 6), 2, 2, 1, 2)])


def check_bias_grad(bias_grad):
    """bias_grad(gy): gy (N, K, OH, OW) -> dL/db (K,): each filter's bias adds to every output pixel of
    every image."""
    def case(shape, seed):
        def run():
            rs = _rng(seed)
            x, w = rs.standard_normal(shape), rs.standard_normal((4, shape[1], 3, 3))
            bt = _t(rs.standard_normal(4), requires_grad=True)
            y = F.conv2d(_t(x), _t(w), bt)
            gy = rs.standard_normal(y.shape)
            y.backward(gy)
            return bias_grad(gy), bt.grad.numpy(), f"gy {gy.shape}"
        return run
    return _run("bias gradient", [case((3, 2, 6, 5), 0), case((1, 3, 4, 4), 1)])


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
            return maxpool_backward(x, gy), xt.grad.numpy(), f"x {shape}"
        return run
    return _run("max-pool backward", [case((1, 1, 4, 4), 0), case((2, 3, 6, 8), 1)])


# 05 batch norm
def check_batchnorm(batchnorm_train):
    """batchnorm_train(x, eps): x (N, C), training mode, no weight or bias -> normalized x."""
    def case(shape, seed):
        def run():
            x = _rng(seed).standard_normal(shape) * 3 + 5
            return (batchnorm_train(x, 1e-5), F.batch_norm(_t(x), None, None, training=True, eps=1e-5).numpy(),
                    f"x {shape}, eps 1e-5")
        return run
    return _run("batch norm", [case((8, 3), 0), case((5, 7), 1)])


def check_batchnorm_backward(batchnorm_backward):
    """batchnorm_backward(x, gy, eps): x, gy (N, C), training mode, no weight or bias -> dL/dx, through
    the batch's mean and variance too (they depend on every x)."""
    def case(shape, seed):
        def run():
            rs = _rng(seed)
            x, gy = rs.standard_normal(shape) * 2 + 1, rs.standard_normal(shape)
            xt = _t(x, requires_grad=True)
            F.batch_norm(xt, None, None, training=True, eps=1e-5).backward(gy)
            return batchnorm_backward(x, gy, 1e-5), xt.grad.numpy(), f"x {shape}, eps 1e-5"
        return run
    return _run("batch-norm backward", [case((8, 3), 0), case((5, 7), 1), case((32, 2), 2)])


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
    def under(available):
        """pick_device() as it answers where minicnn does (or does not) find a GPU."""
        saved = mc.cuda.is_available, mc.cuda_available, mc.backend.cuda_available
        mc.cuda.is_available = mc.cuda_available = mc.backend.cuda_available = lambda: available
        try:
            return pick_device()
        finally:
            mc.cuda.is_available, mc.cuda_available, mc.backend.cuda_available = saved
    return _run("pick device", [lambda: (float(under(True) == "cuda"), 1.0, "a GPU is there: 'cuda' expected"),
                                lambda: (float(under(False) == "cpu"), 1.0, "no GPU: 'cpu' expected")])
