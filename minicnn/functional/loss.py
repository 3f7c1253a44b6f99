"""Losses, each fused into one op with a short backward, with PyTorch's arguments.

Notation: logits z (N, C), log-probabilities log p = log_softmax(z), class weights w (C,)
(all ones by default), eps = label_smoothing.

cross_entropy and nll_loss are both written as a weighted sum over classes,
    loss_n = - sum_c A[n, c] log p[n, c]          (nll_loss: log p is the input itself)
with the coefficient matrix A:
    class indices t (N,):  A[n, c] = (1 - eps) w[t_n] 1[c = t_n] + (eps / C) w[c]   (0 where t_n = ignore_index)
    probabilities q (N, C): A[n, c] = w[c] ((1 - eps) q[n, c] + eps / C)
    reduction "mean": sum_n loss_n / D, D = sum_n w[t_n] over the kept samples (indices) or N (probabilities)
    d loss_n / dz = p[n] sum_c A[n, c] - A[n]        (cross_entropy; = p - onehot for plain labels)
    d loss_n / d log p = -A[n]                      (nll_loss)
    log_softmax is computed stably: z - max z - log sum e^(z - max z).

binary_cross_entropy_with_logits, logits z, targets y, pos_weight pw, weight w:
    loss = w ((1 - y) softplus(z) + pw y softplus(-z))     softplus(s) = max(s, 0) + log(1 + e^-|s|)
    dloss/dz = w ((1 - y) sigmoid(z) - pw y (1 - sigmoid(z)))   (never exponentiates a large number)
binary_cross_entropy, probabilities x: loss = -w (y log x + (1 - y) log(1 - x)), each log clamped
    at -100 and the gradient's denominator x (1 - x) at 1e-12, as PyTorch.
mse_loss: (x - y)^2;  dloss/dx = 2 (x - y)
reduction: "mean" (the default: the mean over all elements), "sum", or "none" (per element).
"""
import numpy as np

from ..autograd import Function, ShownNode, shown_as
from ..backend import get_array_module
from ..tensor import Tensor
from .activation import _log_softmax
from .math import as_tensor

REDUCTIONS = ("mean", "sum", "none")


def _reduced(per, reduction, denominator):
    """The per-sample (or per-element) losses reduced as asked, in their dtype."""
    xp = get_array_module(per)
    if reduction == "none":
        return per
    total = per.sum()
    if reduction == "mean":
        total = total / denominator
    return xp.asarray(total, dtype=per.dtype)


def _upstream(gy, reduction, denominator, ndim):
    """The upstream gradient of each per-sample loss, shaped to broadcast over a row."""
    if reduction == "none":
        return gy.reshape(gy.shape + (1,) * (ndim - gy.ndim))
    return gy / denominator if reduction == "mean" else gy


class _ClassLoss(Function):
    """What cross_entropy and nll_loss share: the coefficients A (module docstring) and the reduction.
    For class indices A is kept sparse: its one entry per row, (1 - eps) w[t_n], at column t_n,
    plus the smoothing term (eps / C) w[c] on kept rows."""

    def coefficients(self, x, target, weight, ignore_index, smoothing):
        xp = get_array_module(x)
        N, C = x.shape
        t = x.dtype.type
        self.smoothing, self.w, self.C, self.bad = smoothing, weight, C, None
        if target.dtype.kind in "iu":                               # class indices
            kept = target != ignore_index
            if xp is not np:                                        # checked here, without a read (see below)
                in_range = (target >= 0) & (target < C)
                self.bad = kept & ~in_range
                kept = kept & in_range
            self.rows, self.cols = xp.arange(N), xp.where(kept, target, 0)
            wt = kept.astype(x.dtype) if weight is None else weight[self.cols] * kept
            self.picked_w, self.kept, self.A = wt * t(1 - smoothing), kept, None
            return wt.sum()
        q = target.astype(x.dtype, copy=False)                      # probabilities: A dense
        if smoothing:
            q = q * t(1 - smoothing) + t(smoothing / C)
        self.A = q * weight if weight is not None else q
        return t(N)

    def weighted_sum(self, logp):
        """sum_c A[n, c] logp[n, c] for every row n."""
        if self.A is not None:
            return (self.A * logp).sum(axis=1)
        out = self.picked_w * logp[self.rows, self.cols]
        if self.smoothing:
            w = logp if self.w is None else logp * self.w
            out = out + w.sum(axis=1) * (logp.dtype.type(self.smoothing / logp.shape[1]) * self.kept)
        return out

    def subtract_A(self, g):
        """g - A, in place."""
        if self.A is not None:
            g -= self.A
            return g
        g[self.rows, self.cols] -= self.picked_w
        if self.smoothing:
            C = g.shape[1]
            w = 1 if self.w is None else self.w
            g -= (g.dtype.type(self.smoothing / C) * w) * self.kept[:, None]
        return g

    def row_sums(self):
        """sum_c A[n, c], shaped (N, 1): 0 on ignored rows, 1 on the others for plain labels."""
        if self.A is not None:
            return self.A.sum(axis=1, keepdims=True)
        s = self.picked_w
        if self.smoothing:
            C = self.C
            wsum = C if self.w is None else self.w.sum()
            s = s + self.kept * (s.dtype.type(self.smoothing / C) * wsum)
        return s[:, None]

    def finish(self, logp, denominator, reduction):
        self.denominator, self.reduction = denominator, reduction
        per = -self.weighted_sum(logp)
        if self.bad is not None:                                    # a class index out of range: NaN, not a guess
            per = get_array_module(per).where(self.bad, per.dtype.type("nan"), per)
        return _reduced(per, reduction, denominator)


class CrossEntropy(_ClassLoss):
    """Softmax cross-entropy of logits z (N, K) against class indices: -sum_k A[n, k] log softmax(z)[n, k]
    with A the (weighted, smoothed) one-hot targets; gz = softmax(z) * sum_k A - A, over the
    reduction's denominator."""
    saves = ()

    def forward(self, z, target, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
        self.logp = _log_softmax(z, axis=1)
        return self.finish(self.logp, self.coefficients(z, target, weight, ignore_index, smoothing), reduction)

    def backward(self, gy):
        xp = get_array_module(gy)
        g = xp.exp(self.logp)                                       # softmax(z)
        g *= self.row_sums()
        g = self.subtract_A(g)
        g *= _upstream(gy, self.reduction, self.denominator, 2)
        return g


class NLLLoss(_ClassLoss):
    """Negative log-likelihood of log-probabilities logp (N, K): -sum_k A[n, k] logp[n, k] with A the
    (weighted) one-hot targets; glogp = -A, over the reduction's denominator."""
    torch_name = "NllLossBackward0"
    def forward(self, logp, target, weight=None, ignore_index=-100, reduction="mean"):
        self.shape = logp.shape
        return self.finish(logp, self.coefficients(logp, target, weight, ignore_index, 0.0), reduction)

    def backward(self, gy):
        g = get_array_module(gy).zeros(self.shape, dtype=gy.dtype)
        g = self.subtract_A(g)                                      # -A
        g *= _upstream(gy, self.reduction, self.denominator, 2)
        return g


def _check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _class_target(name, x, target, ignore_index, allow_probabilities):
    """The target's array, checked against the input (N, C): indices (N,) in [0, C) or ignore_index,
    or probabilities (N, C). On the CPU an index out of range raises here; on a GPU, reading the
    indices back would stall every step, so such a sample gets a NaN loss instead (which the NaN
    guard of fit stops on)."""
    xp = get_array_module(x.array)
    t = target.array if isinstance(target, Tensor) else xp.asarray(target)
    N, C = x.shape
    if t.dtype.kind in "iu":
        if t.shape != (N,):
            raise ValueError(f"{name}: class-index target must have shape ({N},) for input {x.shape}, "
                             f"got {tuple(t.shape)}")
        if xp is not np:
            return t
        lo, hi = (int(t.min()), int(t.max())) if t.size else (0, 0)
        if lo < 0 or hi >= C:                            # maybe only ignore_index: look again without it
            kept = t[t != ignore_index]
            lo, hi = (int(kept.min()), int(kept.max())) if kept.size else (0, 0)
            if lo < 0 or hi >= C:
                raise ValueError(f"{name}: target class indices must be in [0, {C - 1}] for {C} classes "
                                 f"(or {ignore_index}, the ignore_index), got values in [{lo}, {hi}]")
        return t
    if not allow_probabilities:
        raise ValueError(f"{name}: target must hold class indices (an integer tensor), got dtype {t.dtype}")
    if t.shape != (N, C):
        raise ValueError(f"{name}: probability target must have the input's shape {x.shape}, got {tuple(t.shape)}")
    return t


def _class_loss(name, op, x, target, weight, ignore_index, reduction, allow_probabilities, **params):
    """Checks and shapes shared by cross_entropy and nll_loss; (N, C, d1, ...) input is flattened to rows."""
    _check_reduction(name, reduction)
    if x.ndim == 1:                                      # one sample, as PyTorch allows: (C,) and a 0-d target
        out = _class_loss(name, op, x.reshape(1, -1), _as_rows(target, (1,)), weight, ignore_index, reduction,
                          allow_probabilities, **params)
        return out.reshape(()) if reduction == "none" else out
    if x.ndim != 2:                                      # (N, C, d1, ...): every position is a sample
        C, spatial = x.shape[1], x.shape[2:]
        order = (0,) + tuple(range(2, x.ndim)) + (1,)
        rows = x.permute(*order).reshape(-1, C)
        t = target.array if isinstance(target, Tensor) else target
        if getattr(t, "dtype", None) is not None and t.dtype.kind not in "iu":
            t = t.transpose(order).reshape(-1, C)
        else:
            t = _as_rows(t, (-1,))
        out = _class_loss(name, op, rows, t, weight, ignore_index, reduction, allow_probabilities, **params)
        return out.reshape((x.shape[0],) + spatial) if reduction == "none" else out
    t = _class_target(name, x, target, ignore_index, allow_probabilities)
    if weight is not None:
        weight = weight.array if isinstance(weight, Tensor) else get_array_module(x.array).asarray(weight)
        if weight.shape != (x.shape[1],):
            raise ValueError(f"{name}: weight must have one value per class, shape ({x.shape[1]},), "
                             f"got {tuple(weight.shape)}")
        weight = weight.astype(x.dtype, copy=False)
    out = op.apply(x, target=t, weight=weight, ignore_index=ignore_index, reduction=reduction, **params)
    if op is CrossEntropy and t.dtype.kind in "iu" and not params.get("smoothing"):
        shown_as(out, "NllLossBackward0", ShownNode("LogSoftmaxBackward0", x))   # PyTorch's nll(log_softmax(x))
    return out


def _as_rows(t, shape):
    t = t.array if isinstance(t, Tensor) else t
    return t.reshape(shape)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """Softmax cross-entropy (torch.nn.functional.cross_entropy).

    input: logits (N, C), (C,) or (N, C, d1, ...); target: class indices (N,) / (N, d1, ...), or
    probabilities of the input's shape. See the module docstring for weight, ignore_index,
    reduction and label_smoothing. Stable for logits of any size."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    return _class_loss("cross_entropy", CrossEntropy, input, target, weight, ignore_index, reduction, True,
                       smoothing=float(label_smoothing))


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
    """Negative log-likelihood of log-probabilities (N, C) (e.g. log_softmax's output) and class indices (N,)."""
    return _class_loss("nll_loss", NLLLoss, input, target, weight, ignore_index, reduction, False)


class _ElementLoss(Function):
    """A loss computed element by element: forward gives the elements' losses and d loss / d input."""

    def reduce(self, per, grad, reduction):
        self.grad, self.reduction, self.numel = grad, reduction, per.size
        return _reduced(per, reduction, per.dtype.type(per.size))

    def scaled(self, grad, gy):
        """d loss / d an input: its element-wise derivative ``grad`` times the upstream gradient, reduced."""
        if self.reduction == "none":
            return grad * gy
        return grad * (gy / gy.dtype.type(self.numel) if self.reduction == "mean" else gy)

    def input_grad(self, gy):
        return self.scaled(self.grad, gy)


def _softplus(xp, s):
    return xp.maximum(s, 0) + xp.log1p(xp.exp(-abs(s)))


class BCEWithLogits(_ElementLoss):
    """Sigmoid and binary cross-entropy in one stable op on logits z:
    w ((1 - y) softplus(z) + pos_weight * y * softplus(-z)); gz = w ((1 - y) sigmoid(z) - pos_weight * y sigmoid(-z))."""
    torch_name = "BinaryCrossEntropyWithLogitsBackward0"
    def forward(self, z, y, weight=None, pos_weight=None, reduction="mean"):
        xp = get_array_module(z)
        t = z.dtype.type
        w = t(1) if weight is None else weight
        pw = t(1) if pos_weight is None else pos_weight
        sig = t(0.5) * xp.tanh(t(0.5) * z) + t(0.5)
        sp_pos, sp_neg = _softplus(xp, z), _softplus(xp, -z)
        per = w * ((1 - y) * sp_pos + pw * y * sp_neg)
        self.y_grad = w * (pw * sp_neg - sp_pos)                    # d loss / d y
        return self.reduce(per, w * ((1 - y) * sig - pw * y * (1 - sig)), reduction)

    def backward(self, gy):
        return self.input_grad(gy), (self.scaled(self.y_grad, gy) if self.needs_grad[1] else None)


class BCE(_ElementLoss):
    """Binary cross-entropy of probabilities x against targets y in [0, 1]:
    -w (y log x + (1 - y) log(1 - x)), each log clamped at -100 as PyTorch; gx = w (x - y) / (x (1 - x))."""
    torch_name = "BinaryCrossEntropyBackward0"
    def forward(self, x, y, weight=None, reduction="mean"):
        xp = get_array_module(x)
        t = x.dtype.type
        w = t(1) if weight is None else weight
        per = -w * (y * xp.maximum(xp.log(x), t(-100)) + (1 - y) * xp.maximum(xp.log1p(-x), t(-100)))
        grad = w * (x - y) / xp.maximum(x * (1 - x), t(1e-12))
        return self.reduce(per, grad, reduction)

    def backward(self, gy):
        return self.input_grad(gy), None


class MSELoss(_ElementLoss):
    """Mean squared error: (x - y)^2 per element, reduced; gx = 2 (x - y), gy = -gx, over the reduction's
    denominator."""
    torch_name = "MseLossBackward0"
    def forward(self, x, y, reduction="mean"):
        diff = x - y
        return self.reduce(diff * diff, 2 * diff, reduction)

    def backward(self, gy):
        g = self.input_grad(gy)
        return g, -g


def _pair_loss(name, input, target, reduction, weight=None):  # noqa: A002
    """The target (and weight) as tensors like the input, checked against its shape."""
    _check_reduction(name, reduction)
    target = as_tensor(target.array if isinstance(target, Tensor) and target.dtype != input.dtype else target, input)
    if target.shape != input.shape:
        raise ValueError(f"{name}: target shape {target.shape} does not match input shape {input.shape} "
                         "(PyTorch would broadcast with a warning; reshape one of them)")
    if weight is not None:
        weight = as_tensor(weight.array if isinstance(weight, Tensor) else weight, input).array
    return target, weight


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):  # noqa: A002
    """Sigmoid + binary cross-entropy in one stable op (mean over all elements by default)."""
    target, weight = _pair_loss("binary_cross_entropy_with_logits", input, target, reduction, weight)
    if pos_weight is not None:
        pos_weight = as_tensor(pos_weight.array if isinstance(pos_weight, Tensor) else pos_weight, input).array
    return BCEWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight, reduction=reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """Binary cross-entropy of probabilities in [0, 1] (e.g. sigmoid's output)."""
    target, weight = _pair_loss("binary_cross_entropy", input, target, reduction, weight)
    xp = get_array_module(input.array)
    if input.array.size and not bool(xp.logical_and(input.array >= 0, input.array <= 1).all()):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1] (apply sigmoid first, "
                         "or use binary_cross_entropy_with_logits on the logits)")
    if target.array.size and not bool(xp.logical_and(target.array >= 0, target.array <= 1).all()):
        raise RuntimeError("all elements of target should be between 0 and 1 (binary_cross_entropy: targets are "
                           "probabilities of the positive class)")
    return BCE.apply(input, target, weight=weight, reduction=reduction)


def mse_loss(input, target, reduction="mean"):  # noqa: A002  (PyTorch's argument names)
    """Mean squared error (mean over all elements by default)."""
    target, _ = _pair_loss("mse_loss", input, target, reduction)
    return MSELoss.apply(input, target, reduction=reduction)
