"""nn.utils: gradient clipping, as torch.nn.utils."""
import math

from .. import backend
from ..tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.array for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale every gradient in place so that their joint norm is at most ``max_norm``; returns the
    norm before clipping (a 0-d tensor), as PyTorch. Scale: max_norm / (norm + 1e-6), only when below 1."""
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    xp = backend.get_array_module(grads[0])
    norm_type = float(norm_type)
    if norm_type == math.inf:
        norms = xp.stack([xp.abs(g).max().astype(xp.float64) for g in grads])
        total = norms.max()
    else:
        total = xp.stack([(xp.abs(g.astype(xp.float64)) ** norm_type).sum() for g in grads]).sum() ** (1 / norm_type)
    total = float(total)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                           "pass error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g *= g.dtype.type(coef)
    return Tensor(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    for g in _grads(parameters):
        backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)
