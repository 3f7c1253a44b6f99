"""One right answer to each walkthrough exercise (look after trying). tests/test_notebooks.py checks
that notebooks/exercises.py accepts every one of them. Kept outside notebooks/ so that looking is a
choice."""
import numpy as np

import minicnn as mc


# 01 autograd
class Cube(mc.autograd.Function):
    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, gy):
        return 3 * self.x ** 2 * gy


def backward_walk(root):
    """Topological order first (a node after everything it was computed from), then the chain rule in
    reverse: every node hands its finished gradient to its parents, which *add* it up."""
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
            parent.grad += local * node.grad


def sum_to(g, shape):
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead else g                    # axes broadcasting added in front
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return (g.sum(axis=axes, keepdims=True) if axes else g).reshape(shape)  # axes stretched from 1


# 02 im2col
def my_im2col(x, R, S):
    N, C, H, W = x.shape
    OH, OW = H - R + 1, W - S + 1
    rows = []
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                rows.append(x[n, :, oh:oh + R, ow:ow + S].ravel())       # the patch, in (c, r, s) order
    return np.array(rows)


# 03 convolution backward
def weight_grad(x, gy, R, S):
    K, C = gy.shape[1], x.shape[1]
    col = my_im2col(x, R, S)                                  # (N*OH*OW, C*R*S)
    g = gy.transpose(0, 2, 3, 1).reshape(-1, K)               # (N*OH*OW, K), rows in the same order
    return (g.T @ col).reshape(K, C, R, S)


# 04 pooling
def input_grad(gy, w, padding):
    """A 'full' correlation of gy with the kernel flipped in both spatial axes, K and C swapped."""
    K, C, R, S = w.shape
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)                 # (C, K, R, S)
    p = R - 1 - padding
    g = np.pad(gy, ((0, 0), (0, 0), (p, p), (p, p)))
    N, _, GH, GW = g.shape
    H, W = GH - R + 1, GW - S + 1
    gx = np.zeros((N, C, H, W))
    for r in range(R):
        for s in range(S):
            gx += np.einsum("nkhw,ck->nchw", g[:, :, r:r + H, s:s + W], flipped[:, :, r, s])
    return gx


def bias_grad(gy):
    return gy.sum(axis=(0, 2, 3))                                        # over images and output pixels


def maxpool_backward(x, gy):
    N, C, H, W = x.shape
    windows = x.reshape(N, C, H // 2, 2, W // 2, 2)
    top = windows.max(axis=(3, 5), keepdims=True)
    winner = windows == top                                   # no ties in the check's inputs
    return (winner * gy[:, :, :, None, :, None]).reshape(N, C, H, W)


# 05 batch norm
def batchnorm_train(x, eps):
    mean = x.mean(axis=0)
    var = x.var(axis=0)                                       # biased, as batch norm normalizes with
    return (x - mean) / np.sqrt(var + eps)


# 06 softmax cross-entropy
def batchnorm_backward(x, gy, eps):
    """x_hat = (x - mean) / std; dx = (gy - mean(gy) - x_hat * mean(gy * x_hat)) / std, per column."""
    std = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / std
    return (gy - gy.mean(axis=0) - x_hat * (gy * x_hat).mean(axis=0)) / std


def log_softmax(z):
    m = z.max(axis=1, keepdims=True)                          # subtract the largest: exp never overflows
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


# 07 LeNet-5
def accuracy(logits, labels):
    return np.mean(np.argmax(logits, axis=1) == labels)


# 08 why a network does not learn
def he_std(fan_in):
    return np.sqrt(2.0 / fan_in)


# 09 where the time goes
def conv_flops(N, C, H, W, K, R, S, padding):
    OH, OW = H + 2 * padding - R + 1, W + 2 * padding - S + 1
    return 2 * N * K * OH * OW * C * R * S


# 10 GPU
def pick_device():
    return "cuda" if mc.cuda.is_available() else "cpu"
