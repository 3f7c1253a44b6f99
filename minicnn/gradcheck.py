"""Numerical gradient check: central differences in float64 against backward.

For a function f of tensors x_1..x_k and a random upstream gradient G (an
all-ones G would hide gradients routed to the wrong place), the directional
scalar L(x) = sum(f(x) * G) has dL/dx = the vector-Jacobian product that
backward computes. Each element of each input is nudged by +-eps:

    numeric[i] = (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

and compared with the analytic gradient: |a - n| <= atol + rtol * |n|.
"""
import numpy as np

from .autograd import no_grad
from .backend import get_array_module
from .tensor import Tensor


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check ``fn(*inputs)``'s backward against central differences.

    inputs: Tensors; those with requires_grad=True are checked (they should be
    float64). Returns True, or raises AssertionError naming the worst element.
    """
    inputs = list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 for a meaningful check")
        inputs[i].grad = None
    out = fn(*inputs)
    xp = get_array_module(out.array)
    rs = np.random.default_rng(seed)
    G = xp.asarray(rs.standard_normal(out.shape))
    out.backward(G)

    def L():
        with no_grad():
            return float((fn(*inputs).array * G).sum())

    worst = (0.0, None)
    for i in checked:
        t = inputs[i]
        analytic = t.grad.array if t.grad is not None else xp.zeros_like(t.array)
        flat = t.array.reshape(-1)
        if flat.base is not t.array and not np.shares_memory(flat, t.array):
            raise ValueError("gradcheck: inputs must be contiguous")
        numeric = np.empty(flat.size)
        for j in range(flat.size):
            orig = float(flat[j])
            flat[j] = orig + eps
            up = L()
            flat[j] = orig - eps
            down = L()
            flat[j] = orig
            numeric[j] = (up - down) / (2 * eps)
        a = np.asarray(analytic.get() if hasattr(analytic, "get") else analytic).reshape(-1)
        excess = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
        j = int(np.argmax(excess))
        if excess[j] > worst[0] or worst[1] is None:
            worst = (excess[j], (i, np.unravel_index(j, t.shape), a[j], numeric[j]))
    if worst[0] > 0:
        i, idx, a, n = worst[1]
        raise AssertionError(f"gradcheck failed: input {i}, element {tuple(int(k) for k in idx)}: "
                             f"analytic {a:.8g} vs numeric {n:.8g} (|diff| {abs(a - n):.3g})")
    return True
