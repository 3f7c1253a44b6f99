"""Losses, each fused into one op with a short backward.

cross_entropy, logits z (N, C), target class indices t (N,) or probabilities q (N, C):
    log p = log_softmax(z)                                   (stable: z - max z - log sum e^(z - max z))
    loss  = -(1/N) sum_n sum_c q[n, c] log p[n, c]           q = one-hot(t) for indices
    label smoothing eps: q <- (1 - eps) q + eps / C
    dloss/dz = (p * sum_c q - q) / N                         (= (p - q) / N when rows of q sum to 1)

binary_cross_entropy_with_logits, logits z and targets y of the same shape:
    loss = mean( max(z, 0) - z y + log(1 + e^-|z|) )         (never exponentiates a large number)
    dloss/dz = (sigmoid(z) - y) / numel

mse_loss: mean((x - y)^2);  dloss/dx = 2 (x - y) / numel
"""
from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .activation import _log_softmax
from .math import as_tensor


class CrossEntropy(Function):
    def forward(self, z, target, smoothing):
        xp = get_array_module(z)
        N, C = z.shape
        logp = _log_softmax(z, axis=1)
        t = z.dtype.type
        if target.dtype.kind in "iu":                          # class indices
            rows = xp.arange(N)
            picked = logp[rows, target]
            loss = -(t(1 - smoothing) * picked.sum() + t(smoothing / C) * logp.sum()) / t(N)
            self.rows = rows
        else:                                                  # probabilities
            q = target.astype(z.dtype, copy=False)
            if smoothing:
                q = q * t(1 - smoothing) + t(smoothing / C)
            loss = -(q * logp).sum() / t(N)
            self.q = q
        self.logp, self.target, self.smoothing = logp, target, smoothing
        return xp.asarray(loss, dtype=z.dtype)

    def backward(self, gy):
        xp = get_array_module(gy)
        logp, target = self.logp, self.target
        N, C = logp.shape
        t = logp.dtype.type
        g = xp.exp(logp)                                       # softmax(z)
        if target.dtype.kind in "iu":
            if self.smoothing:
                g -= t(self.smoothing / C)
            g[self.rows, target] -= t(1 - self.smoothing)
        else:
            g *= self.q.sum(axis=1, keepdims=True)
            g -= self.q
        g *= gy / t(N)
        return g


def cross_entropy(logits, target, label_smoothing=0.0):
    """Softmax cross-entropy, mean over the batch. target: indices (N,) or probabilities (N, C)."""
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, C), got {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    xp = get_array_module(logits.data)
    t = target.data if isinstance(target, Tensor) else xp.asarray(target)
    N, C = logits.shape
    if t.dtype.kind in "iu":
        if t.shape != (N,):
            raise ValueError(f"cross_entropy: class-index target must have shape ({N},) for logits {logits.shape}, "
                             f"got {tuple(t.shape)}")
        if t.size and (int(t.min()) < 0 or int(t.max()) >= C):
            raise ValueError(f"cross_entropy: target class indices must be in [0, {C - 1}] for {C} classes, "
                             f"got values in [{int(t.min())}, {int(t.max())}]")
    elif t.shape != (N, C):
        raise ValueError(f"cross_entropy: probability target must have the logits' shape {logits.shape}, "
                         f"got {tuple(t.shape)}")
    return CrossEntropy.apply(logits, target=t, smoothing=float(label_smoothing))


class BCEWithLogits(Function):
    def forward(self, z, y):
        xp = get_array_module(z)
        self.z, self.y = z, y
        loss = xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-abs(z)))
        return xp.asarray(loss.mean(), dtype=z.dtype)

    def backward(self, gy):
        xp = get_array_module(gy)
        z, y = self.z, self.y
        t = z.dtype.type
        sig = t(0.5) * xp.tanh(t(0.5) * z) + t(0.5)
        g = (sig - y) * (gy / t(z.size))
        return g, (-z * (gy / t(z.size)) if self.needs_grad[1] else None)


def binary_cross_entropy_with_logits(logits, target):
    """Sigmoid + binary cross-entropy in one stable op, mean over all elements."""
    target = as_tensor(target.data if isinstance(target, Tensor) else target, logits)
    if target.shape != logits.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} "
                         f"does not match logits shape {logits.shape}")
    return BCEWithLogits.apply(logits, target)


class MSELoss(Function):
    def forward(self, x, y):
        xp = get_array_module(x)
        self.diff = x - y
        return xp.asarray((self.diff * self.diff).mean(), dtype=x.dtype)

    def backward(self, gy):
        g = self.diff * (2 * gy / self.diff.dtype.type(self.diff.size))
        return g, -g


def mse_loss(input, target):  # noqa: A002  (PyTorch's argument names)
    """Mean squared error, mean over all elements."""
    target = as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: target shape {target.shape} does not match input shape {input.shape}")
    return MSELoss.apply(input, target)
