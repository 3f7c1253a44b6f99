"""Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay (torch.optim.SGD).

    g = grad + weight_decay * w                          (L2: the gradient of weight_decay/2 * |w|^2)
    b = g                       on the first step        (momentum buffer)
    b = momentum * b + (1 - dampening) * g  afterwards
    d = g + momentum * b        with nesterov, else d = b  (d = g without momentum)
    w = w - lr * d
"""
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, nesterov=False, dampening=0.0):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and no dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      nesterov=nesterov, dampening=dampening))

    def update(self, w, g, state, group):
        wd, mom = group["weight_decay"], group["momentum"]
        if wd:
            g = g + wd * w
        if mom:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= mom
                buf += (1 - group["dampening"]) * g
            g = g + mom * buf if group["nesterov"] else buf
        w -= group["lr"] * g
