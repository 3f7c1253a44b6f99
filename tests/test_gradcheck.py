"""float64 central-difference checks of every op's backward, random upstream gradient, tie-free inputs."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from conftest import distinct


def T(*shape, seed=0, shift=0.0):
    return mc.tensor(distinct(*shape, seed=seed) + shift, dtype=np.float64, requires_grad=True)


def check(fn, *inputs):
    assert mc.gradcheck(fn, list(inputs))


@pytest.mark.parametrize("stride,padding,kernel", [(1, 0, 3), (2, 1, 3), (1, "same", 4), (3, 2, 5), (1, 0, 1), (2, 1, 1)])
def test_conv2d(stride, padding, kernel):
    check(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
          T(2, 2, 7, 6, seed=1), T(3, 2, kernel, kernel, seed=2), T(3, seed=3))


def test_conv2d_reference():
    check(lambda x, w: F.conv2d(x, w, stride=2, padding=1, reference=True), T(1, 2, 6, 5, seed=4), T(2, 2, 3, 3, seed=5))


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 3, 0), ((2, 3), (2, 3), 0), (3, 2, 1), (3, 1, 1),
                                                   ((2, 3), (1, 2), 1), (2, 3, 0), (3, 2, 0)])
def test_max_pool(kernel, stride, padding):
    check(lambda x: F.max_pool2d(x, kernel, stride, padding), T(2, 2, 7, 6, seed=6))


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_avg_pool(kernel, stride, padding):
    check(lambda x: F.avg_pool2d(x, kernel, stride, padding), T(2, 2, 7, 6, seed=7))


def test_global_avg_pool():
    check(F.global_avg_pool2d, T(2, 3, 4, 5, seed=8))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu"])
def test_activations(name):
    check(getattr(F, name), T(3, 4, seed=9))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_family(name, axis):
    check(lambda x: getattr(F, name)(x, axis), T(3, 5, seed=10))


def test_linear():
    check(F.linear, T(4, 5, seed=11), T(3, 5, seed=12), T(3, seed=13))
    check(F.linear, T(2, 5, seed=14), T(3, 5, seed=12), T(3, seed=13))   # per-row products


def test_flatten_concat_pad():
    check(lambda x: F.flatten(x) * 1.0, T(2, 3, 2, 2, seed=14))
    check(lambda a, b: F.concat([a, b], axis=1), T(2, 1, 3, seed=15), T(2, 2, 3, seed=16))
    check(lambda x: F.pad2d(x, (1, 0, 2, 1)), T(1, 2, 3, 3, seed=17))


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 3, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(shape, training):
    C = shape[1]
    rm, rv = np.zeros(C), np.ones(C) * 1.5
    check(lambda x, w, b: F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training),
          T(*shape, seed=18), T(C, seed=19, shift=1.0), T(C, seed=20))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_in_blocks(monkeypatch, training):
    from minicnn.functional import norm
    monkeypatch.setattr(norm, "BLOCK", 10)                           # runs of one channel (L = 12)
    rm, rv = np.zeros(2), np.ones(2) * 1.5
    check(lambda x, w, b: F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training),
          T(3, 2, 3, 4, seed=18), T(2, seed=19, shift=1.0), T(2, seed=20))


def test_local_response_norm():
    check(lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.0), T(2, 5, 2, 2, seed=21))


def test_dropout_backward_uses_the_forward_mask():
    x = T(4, 6, seed=22)
    mc.manual_seed(3)
    y = F.dropout(x, 0.5)
    y.backward(np.ones((4, 6)))
    kept = y.data != 0
    assert np.array_equal(x.grad, kept * 2.0)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy(smoothing):
    check(lambda z: F.cross_entropy(z, np.array([2, 0, 1]), label_smoothing=smoothing), T(3, 4, seed=23))
    q = np.random.default_rng(0).dirichlet(np.ones(4), size=3)
    check(lambda z: F.cross_entropy(z, q, label_smoothing=smoothing), T(3, 4, seed=24))


def test_bce_and_mse():
    y = (np.arange(12).reshape(3, 4) % 2).astype(np.float64)
    check(lambda z: F.binary_cross_entropy_with_logits(z, y), T(3, 4, seed=25))
    check(F.mse_loss, T(3, 4, seed=26), T(3, 4, seed=27))


def test_arithmetic_and_reductions():
    check(lambda a, b: (a * b + a / (b + 5.0) - b ** 3).sum(axis=1), T(3, 4, seed=28), T(4, seed=29))
    check(lambda a: a.mean(axis=0, keepdims=True) + a.amax(dim=1, keepdim=True), T(3, 4, seed=30))
    check(lambda a, b: a @ b, T(2, 3, 4, seed=31), T(4, 2, seed=32))
    check(lambda a: (a * a + 1.0).log().exp().abs()[1:, ::2].reshape(-1).T, T(3, 4, seed=33))
    check(lambda a: a.permute(1, 0, 2)[np.array([0, 0, 1])], T(2, 3, 2, seed=34))


def test_gradcheck_reports_a_wrong_backward():
    class BadSquare(mc.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, gy):
            return gy * self.x          # should be 2 * x * gy

    with pytest.raises(AssertionError, match="analytic .* vs numeric"):
        mc.gradcheck(lambda x: BadSquare.apply(x), [T(3, seed=35)])


@pytest.mark.parametrize("n", [3, 16])
def test_conv2d_in_pieces(monkeypatch, n):
    from minicnn.functional.conv_algorithms import choice
    monkeypatch.setattr(choice, "COL_BUDGET", 2 * 500)          # one image, or one output row, per piece
    check(lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1), T(n, 2, 6, 5, seed=40), T(3, 2, 3, 3, seed=41),
          T(3, seed=42))


@pytest.mark.parametrize("size", [10, 4])
def test_pointwise_conv2d(size):
    """1x1: per image from 10x10 maps, the whole batch below."""
    check(lambda x, w, b: F.conv2d(x, w, b), T(3, 2, size, size, seed=43), T(3, 2, 1, 1, seed=44), T(3, seed=45))


@pytest.mark.parametrize("n", [3, 16])
@pytest.mark.parametrize("padding", [1, "same"])
def test_conv2d_input_gradient_as_a_convolution(n, padding):
    """C >= K, stride 1: gx comes from a convolution of gy with the flipped kernel (both layouts)."""
    check(lambda x, w, b: F.conv2d(x, w, b, padding=padding), T(n, 3, 5, 4, seed=36), T(2, 3, 3, 4, seed=37),
          T(2, seed=38))


def test_block_on_batch_last_activations():
    """16 images: conv2d returns batch-last views and the ops after it keep that layout."""
    rm, rv = np.zeros(3), np.ones(3)

    def block(x, w1, b1, gamma, beta, w2):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 3, stride=2, padding=1)
        h = F.batch_norm(h, rm.copy(), rv.copy(), gamma, beta, training=True)
        return F.conv2d(F.avg_pool2d(h, 2, stride=1), w2, stride=2, padding=1)
    check(block, T(16, 2, 5, 4, seed=43), T(3, 2, 3, 3, seed=44), T(3, seed=45), T(3, seed=46, shift=1.0),
          T(3, seed=47), T(2, 3, 2, 2, seed=48))


# ---------------------------------------------------------------- the PyTorch API's ops
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_max_and_min_along_a_dim(dim, keepdim):
    check(lambda a: a.max(dim, keepdim).values * 2 + a.min(dim, keepdim)[0], T(3, 4, 5, seed=60))


def test_elementwise_maximum_clamp_sin_cos_expand():
    check(lambda a, b: mc.maximum(a, b) + mc.minimum(a, b) * 3, T(3, 4, seed=61), T(4, seed=62, shift=0.01))
    check(lambda a: a.clamp(min=-1.0, max=1.5), T(4, 5, seed=63, shift=0.013))
    check(lambda a: a.sin() * a.cos(), T(3, 4, seed=64))
    check(lambda a: a.unsqueeze(0).expand(3, 2, 4) * 2, T(2, 4, seed=65))


@pytest.mark.parametrize("name", ["elu", "gelu", "gelu_tanh", "leaky_relu"])
def test_activations(name):
    fn = {"elu": lambda a: F.elu(a, 0.7), "gelu": F.gelu, "gelu_tanh": lambda a: F.gelu(a, approximate="tanh"),
          "leaky_relu": lambda a: F.leaky_relu(a, 0.1)}[name]
    check(fn, T(3, 4, seed=67))                 # an even count: distinct() then keeps clear of 0


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_weight_ignore_index_and_smoothing(reduction):
    t = mc.tensor(np.array([2, -100, 0, 3, 1]))
    w = mc.tensor(np.array([0.5, 1.0, 2.0, 1.5]), dtype=np.float64)
    check(lambda z: F.cross_entropy(z, t, weight=w, reduction=reduction, label_smoothing=0.1), T(5, 4, seed=68))
    q = mc.tensor(np.random.default_rng(69).dirichlet(np.ones(4), 5), dtype=np.float64)
    check(lambda z: F.cross_entropy(z, q, weight=w, reduction=reduction, label_smoothing=0.2), T(5, 4, seed=70))
    check(lambda z: F.nll_loss(z, t, weight=w, reduction=reduction), T(5, 4, seed=71))
    tm = mc.tensor(np.random.default_rng(72).integers(0, 3, (2, 4, 3)))
    check(lambda z: F.cross_entropy(z, tm, reduction=reduction), T(2, 3, 4, 3, seed=73))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses(reduction):
    y = mc.tensor(np.random.default_rng(74).random((3, 4)), dtype=np.float64)
    w = mc.tensor(np.random.default_rng(75).random((3, 4)) + 0.5, dtype=np.float64)
    pw = mc.tensor(np.array([1.0, 2.0, 0.5, 3.0]), dtype=np.float64)
    check(lambda z: F.binary_cross_entropy_with_logits(z, y, weight=w, pos_weight=pw, reduction=reduction),
          T(3, 4, seed=76))
    check(lambda p: F.binary_cross_entropy(p, y, weight=w, reduction=reduction),
          mc.tensor(np.random.default_rng(77).random((3, 4)) * 0.8 + 0.1, dtype=np.float64, requires_grad=True))
    check(lambda x: F.mse_loss(x, y, reduction=reduction), T(3, 4, seed=78))


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 2, 1), (3, 3, 1)])
def test_pools_with_ceil_mode_and_count_include_pad(kernel, stride, padding):
    check(lambda x: F.max_pool2d(x, kernel, stride, padding, ceil_mode=True), T(2, 2, 8, 7, seed=79))
    check(lambda x: F.avg_pool2d(x, kernel, stride, padding, ceil_mode=True, count_include_pad=False),
          T(2, 2, 8, 7, seed=80))


@pytest.mark.parametrize("dilation,groups", [(2, 1), ((1, 2), 2), (1, 4)])
def test_conv2d_dilation_and_groups(dilation, groups):
    check(lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1, dilation=dilation, groups=groups),
          T(2, 4, 7, 6, seed=81), T(4, 4 // groups, 3, 3, seed=82), T(4, seed=83))


def test_pad_any_dimension():
    check(lambda x: F.pad(x, (1, 0, 2, 1, 0, 1), value=0.3), T(2, 3, 4, seed=84))
    check(lambda x: F.pad(x, (1, 2, 0, 1)), T(1, 2, 3, 4, seed=85))
