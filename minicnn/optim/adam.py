"""Adam (torch.optim.Adam), with L2 weight decay added to the gradient, and AdamW (torch.optim.AdamW),
with the weight decay decoupled from it.

    Adam:  g = grad + weight_decay * w
    AdamW: w = w * (1 - lr * weight_decay); g = grad
    m = beta1 * m + (1 - beta1) * g                  v = beta2 * v + (1 - beta2) * g^2
    w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
"""
import math

from ..backend import get_array_module
from .optimizer import Optimizer


class Adam(Optimizer):
    """torch.optim.Adam: bias-corrected first and second moments, L2 weight decay added to the gradient
    (the update: this module's docstring)."""

    decoupled = False
    CHECKS = (("lr", "Invalid learning rate: {}", lambda v: 0.0 <= v),
              ("eps", "Invalid epsilon value: {}", lambda v: 0.0 <= v),
              ("betas", "Invalid beta parameter at index {k}: {}", lambda v: 0.0 <= v < 1.0),
              ("weight_decay", "Invalid weight_decay value: {}", lambda v: 0.0 <= v))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        if amsgrad:
            raise NotImplementedError(f"{type(self).__name__}: amsgrad=True is not supported")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def prepare(self, w, state, group):
        self.count_step(w, state, "exp_avg", "exp_avg_sq")

    def update(self, w, g, state, group):
        xp = get_array_module(w)
        b1, b2 = group["betas"]
        tmp = self.scratch(w)
        if group["weight_decay"] and self.decoupled:
            w *= 1 - group["lr"] * group["weight_decay"]
        elif group["weight_decay"]:
            xp.multiply(w, group["weight_decay"], out=tmp)
            tmp += g
            g = tmp
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        gg = xp.multiply(g, g, out=tmp if g is not tmp else None)
        gg *= 1 - b2
        v += gg
        denom = xp.sqrt(v, out=tmp)                # tmp is free again from here on
        denom /= math.sqrt(1 - b2 ** t)
        denom += group["eps"]
        xp.divide(m, denom, out=denom)
        denom *= group["lr"] / (1 - b1 ** t)
        w -= denom


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay, w -= lr * weight_decay * w (default 0.01)."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
