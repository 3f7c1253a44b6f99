"""Adagrad and Adadelta (torch.optim.Adagrad, torch.optim.Adadelta), L2 weight decay added to the gradient.

Adagrad:   g = grad + weight_decay * w;   s = s + g^2
           w = w - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
Adadelta:  g = grad + weight_decay * w;   v = rho * v + (1 - rho) * g^2
           d = sqrt(u + eps) / sqrt(v + eps) * g;   u = rho * u + (1 - rho) * d^2
           w = w - lr * d
"""
from ..backend import get_array_module
from .optimizer import Optimizer


def _with_decay(w, g, group):
    return g + group["weight_decay"] * w if group["weight_decay"] else g


class Adagrad(Optimizer):
    """torch.optim.Adagrad: the step divided by the root of the sum of every squared gradient so far."""

    CHECKS = (("lr", "Invalid learning rate: {}", lambda v: 0.0 <= v),
              ("lr_decay", "Invalid lr_decay value: {}", lambda v: 0.0 <= v),
              ("weight_decay", "Invalid weight_decay value: {}", lambda v: 0.0 <= v),
              ("initial_accumulator_value", "Invalid initial_accumulator_value value: {}", lambda v: 0.0 <= v),
              ("eps", "Invalid epsilon value: {}", lambda v: 0.0 <= v))

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def prepare(self, w, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = get_array_module(w).full_like(w, group["initial_accumulator_value"])
        state["step"] += 1

    def update(self, w, g, state, group):
        xp = get_array_module(w)
        g = _with_decay(w, g, group)
        s = state["sum"]
        s += g * g
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        w -= clr * (g / (xp.sqrt(s) + group["eps"]))


class Adadelta(Optimizer):
    """torch.optim.Adadelta: steps scaled by running means of squared gradients and squared updates."""

    CHECKS = (("lr", "Invalid learning rate: {}", lambda v: 0.0 <= v),
              ("rho", "Invalid rho value: {}", lambda v: 0.0 <= v <= 1.0),
              ("eps", "Invalid epsilon value: {}", lambda v: 0.0 <= v),
              ("weight_decay", "Invalid weight_decay value: {}", lambda v: 0.0 <= v))

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def prepare(self, w, state, group):
        self.count_step(w, state, "square_avg", "acc_delta")

    def update(self, w, g, state, group):
        xp = get_array_module(w)
        g = _with_decay(w, g, group)
        rho, eps = group["rho"], group["eps"]
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * (g * g)
        d = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * (d * d)
        w -= group["lr"] * d
