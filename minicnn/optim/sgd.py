"""Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay (torch.optim.SGD).

    g = grad + weight_decay * w                          (L2: the gradient of weight_decay/2 * |w|^2)
    b = g                       on the first step        (momentum buffer)
    b = momentum * b + (1 - dampening) * g  afterwards
    d = g + momentum * b        with nesterov, else d = b  (d = g without momentum)
    w = w - lr * d
"""
from ..backend import get_array_module
from .optimizer import Optimizer


class SGD(Optimizer):
    """torch.optim.SGD: momentum, Nesterov momentum, dampening and L2 weight decay (the update: this
    module's docstring)."""

    CHECKS = (("lr", "Invalid learning rate: {}", lambda v: not v < 0.0),
              ("momentum", "Invalid momentum value: {}", lambda v: not v < 0.0),
              ("weight_decay", "Invalid weight_decay value: {}", lambda v: not v < 0.0),
              ("dampening", "Invalid dampening value: {}", lambda v: True))

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False, dampening=0.0):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      nesterov=nesterov, dampening=dampening))

    def prepare(self, w, state, group):
        if group["momentum"] and "momentum_buffer" not in state:
            state["momentum_buffer"] = get_array_module(w).empty_like(w)
            return {"first": True}                 # the buffer starts as g itself
        return None

    def update(self, w, g, state, group):
        xp = get_array_module(w)
        wd, mom, damp = group["weight_decay"], group["momentum"], group["dampening"]
        tmp = self.scratch(w)                      # one reused temporary: no allocation per step
        if wd:
            xp.multiply(w, wd, out=tmp)
            tmp += g
            g = tmp                                # g + wd * w, without touching p.grad
        if mom:
            buf = state["momentum_buffer"]
            if state.get("first"):
                buf[...] = g
            else:
                buf *= mom
                if damp:
                    buf += (1 - damp) * g
                else:
                    buf += g
            if group["nesterov"]:
                if g is not tmp:
                    tmp[...] = g
                tmp += mom * buf                   # g + momentum * buf
                g = tmp
            else:
                g = buf
        xp.multiply(g, group["lr"], out=tmp)       # the step, lr * d, then w -= it
        w -= tmp
