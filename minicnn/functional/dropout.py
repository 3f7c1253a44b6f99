"""Inverted dropout.

training:  y = x * mask / (1 - p),  mask_i ~ Bernoulli(1 - p)   (kept with probability 1 - p)
eval:      y = x                     (the 1/(1-p) scale at training time keeps E[y] = x)
backward:  gx = gy * mask / (1 - p)
"""
from ..autograd import Function
from ..backend import get_array_module, rng
from ..im2col import batch_last


class Dropout(Function):
    def forward(self, x, p, device):
        if batch_last(x):                        # draw the mask in x's memory order (conv2d's output)
            keep = rng(device).random(x.shape[1:] + x.shape[:1], dtype=x.dtype).transpose(3, 0, 1, 2)
        else:
            keep = rng(device).random(x.shape, dtype=x.dtype)
        keep = keep >= x.dtype.type(p)
        self.scale = keep * x.dtype.type(1.0 / (1.0 - p))
        return x * self.scale

    def backward(self, gy):
        return gy * self.scale


def dropout(x, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        xp = get_array_module(x.data)
        return x * xp.zeros((), dtype=x.dtype)
    return Dropout.apply(x, p=p, device=x.device)
