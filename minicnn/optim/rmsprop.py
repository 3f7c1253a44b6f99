"""RMSprop (torch.optim.RMSprop), with L2 weight decay added to the gradient.

    g = grad + weight_decay * w
    s = alpha * s + (1 - alpha) * g^2
    d = g / (sqrt(s) + eps)
    b = momentum * b + d;  w = w - lr * b      with momentum, else w = w - lr * d
"""
from ..backend import get_array_module
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """torch.optim.RMSprop: a running mean of squared gradients divides each step (the update: this
    module's docstring)."""

    CHECKS = (("lr", "Invalid learning rate: {}", lambda v: 0.0 <= v),
              ("eps", "Invalid epsilon value: {}", lambda v: 0.0 <= v),
              ("momentum", "Invalid momentum value: {}", lambda v: 0.0 <= v),
              ("weight_decay", "Invalid weight_decay value: {}", lambda v: 0.0 <= v),
              ("alpha", "Invalid alpha value: {}", lambda v: 0.0 <= v))

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay))

    def prepare(self, w, state, group):
        self.count_step(w, state, "square_avg", *(("momentum_buffer",) if group["momentum"] else ()))

    def update(self, w, g, state, group):
        xp = get_array_module(w)
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        s = state["square_avg"]
        s *= group["alpha"]
        s += (1 - group["alpha"]) * (g * g)
        d = g / (xp.sqrt(s) + group["eps"])
        if group["momentum"]:
            b = state["momentum_buffer"]
            b *= group["momentum"]
            b += d
            d = b
        w -= group["lr"] * d
