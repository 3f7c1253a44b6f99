"""Inverted dropout.

training:  y = x * mask / (1 - p),  mask_i ~ Bernoulli(1 - p)   (kept with probability 1 - p)
eval:      y = x                     (the 1/(1-p) scale at training time keeps E[y] = x)
backward:  gx = gy * mask / (1 - p)
"""
from ..autograd import Function, shown_as
from ..backend import get_array_module, rng
from ..layout import batch_last


class Dropout(Function):
    """Inverted dropout in training: y = x * keep / (1 - p), keep ~ Bernoulli(1 - p) drawn from minicnn's
    generator in x's memory order; gx = gy * keep / (1 - p) (the same mask)."""
    saves = ()

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


class Dropout2d(Function):
    """Channel dropout: one keep/drop draw per (n, c) map, broadcast over H and W."""
    saves = ()

    def forward(self, x, p, device):
        N, C = x.shape[:2]
        keep = rng(device).random((N, C) + (1,) * (x.ndim - 2), dtype=x.dtype) >= x.dtype.type(p)
        self.scale = keep * x.dtype.type(1.0 / (1.0 - p))
        return x * self.scale

    def backward(self, gy):
        return gy * self.scale


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, H, W) with probability p, scale the rest by 1/(1-p) (torch's dropout2d)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected (N, C, H, W) or (C, H, W) input, got shape {input.shape}")
    if not training or p == 0.0:
        return input
    if input.ndim == 3:                          # (C, H, W): one image, as PyTorch treats it
        return dropout2d(input.unsqueeze(0), p, training)[0]
    if p == 1.0:
        return input * get_array_module(input.array).zeros((), dtype=input.dtype)
    out = Dropout2d.apply(input, p=p, device=input.device)
    return shown_as(out, "MulBackward0", input, None)                   # PyTorch's graph: x * mask


def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        xp = get_array_module(x.array)
        return x * xp.zeros((), dtype=x.dtype)
    return shown_as(Dropout.apply(x, p=p, device=x.device), "MulBackward0", x, None)   # PyTorch's: x * mask
