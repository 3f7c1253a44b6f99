"""model.summary(): the Keras table, plus activation memory and FLOPs per layer.

Counting as Keras does: batch norm's running mean and variance are parameters,
non-trainable (2 * C per layer); frozen parameters are non-trainable too.
FLOPs count a multiply-add as 2: conv 2*K*C*R*S*OH*OW per image, linear 2*in*out.
Activation memory is the layer's output for ``batch_size`` images, float32.
Training memory estimate: weights + gradients + two optimizer slots (Adam)
= 4 * params * 4 bytes, plus every layer output kept for backward and its
gradient (2 * activations).
"""
import numpy as np

from .. import autograd
from ..tensor import Tensor


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _fmt_count(n):
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(int(n))


def _layer_flops(module, out_shape):
    """By the layer's weight: (K, C, R, S) a convolution, (out, in) a linear layer (minicnn.nn's and
    minicnn.keras's alike); anything else is counted as free."""
    weight = module._parameters.get("weight")
    if weight is None or len(out_shape) < 2:
        return 0
    if weight.ndim == 4 and len(out_shape) == 4:
        K, C, R, S = weight.shape
        return 2 * K * C * R * S * int(np.prod(out_shape[2:]))
    if weight.ndim == 2:
        out_features, in_features = weight.shape
        return 2 * in_features * out_features * int(np.prod(out_shape[:-1]) // out_shape[0])
    return 0


def _run_on_zeros(model, input_shape, batch_size, device, hook):
    """One forward pass in evaluation mode on zeros of shape (batch_size, *input_shape), ``hook`` (a
    handle) in force; the hook is removed and the model's mode put back after it."""
    was_training = model.training
    model.eval()
    try:
        x = Tensor(np.zeros((batch_size,) + tuple(input_shape), np.float32)).to(device or model.device)
        with autograd.no_grad():
            model(x)
    finally:
        hook.remove()
        model.train(was_training)


def summary(model, input_shape, batch_size=1, print_fn=print, device=None):
    """Run one forward pass on zeros of shape (batch_size, *input_shape) and tabulate every leaf layer."""
    from . import module as module_mod
    rows = []
    leaves = {id(m): name for name, m in model.named_modules() if not m._modules and name}

    def record(module, args, out):
        if id(module) in leaves:
            outs = out if isinstance(out, (tuple, list)) else [out]
            rows.append((leaves[id(module)], module, tuple(outs[0].shape)))

    _run_on_zeros(model, input_shape, batch_size, device, module_mod.register_module_forward_hook(record))

    table, total, trainable, non_trainable, acts, flops = [], 0, 0, 0, 0, 0
    for name, m, shape in rows:
        train_n = sum(p.numel() for p in m.parameters() if p.requires_grad)
        frozen_n = sum(p.numel() for p in m.parameters() if not p.requires_grad)
        stats_n = sum(int(np.size(b)) for k, b in m._buffers.items() if k in ("running_mean", "running_var"))
        params = train_n + frozen_n + stats_n
        act = int(np.prod(shape)) * 4
        fl = _layer_flops(m, shape)
        total += params
        trainable += train_n
        non_trainable += frozen_n + stats_n
        acts += act
        flops += fl
        table.append((f"{name} ({type(m).__name__})", "(None, " + ", ".join(map(str, shape[1:])) + ")",
                      f"{params:,}", _fmt_bytes(act), _fmt_count(fl)))
    train_mem = 4 * 4 * (trainable + non_trainable) + 2 * acts

    heads = ("Layer (type)", "Output Shape", "Param #", f"Activations (batch {batch_size})", "FLOPs")
    widths = [max(len(h), *(len(r[i]) for r in table)) + 2 for i, h in enumerate(heads)] if table else [len(h) + 2 for h in heads]
    line = "".join(h.ljust(w) for h, w in zip(heads, widths))
    rule = "=" * len(line)
    out = [f'Model: "{type(model).__name__}"', rule, line, rule]
    out += ["".join(c.ljust(w) for c, w in zip(r, widths)) for r in table]
    out += [rule, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {non_trainable:,}", "-" * len(line),
            f"Forward FLOPs per batch of {batch_size}: {flops / 1e9:,.3f} G",
            f"Activation memory per batch of {batch_size}: {_fmt_bytes(acts)}",
            f"Estimated training memory at batch {batch_size} (weights, grads, Adam state, "
            f"activations and their grads): {_fmt_bytes(train_mem)}", rule]
    if print_fn is not None:
        print_fn("\n".join(out))
    return {"total_params": total, "trainable_params": trainable, "non_trainable_params": non_trainable,
            "flops": flops, "activation_bytes": acts, "training_memory_bytes": train_mem,
            "layers": [(n, type(m).__name__, s) for n, m, s in rows]}



def conv_plans(model, input_shape, batch_size=1, print_fn=print, device=None):
    """For every Conv2d of ``model``, run once on zeros of shape (batch_size, *input_shape): the algorithm
    conv2d picks for it, the memory layout of its output, how many pieces it runs in, whether backward
    reuses what forward built, how it computes the input gradient, and why (functional.conv2d_plan).
    Prints a table with ``print_fn`` (None: no printing) and returns its rows (layer, input shape, plan)."""
    from . import module as module_mod
    from .layers import Conv2d
    from ..functional.conv import conv2d_plan
    from ..layout import batch_last
    names = {id(m): name for name, m in model.named_modules() if isinstance(m, Conv2d)}
    rows = []

    def record(module, args):
        if id(module) in names:
            x = args[0]
            plan = conv2d_plan(x.shape, module.weight.shape, module.stride, module.padding, module.dilation,
                               module.groups, x.device, x.dtype, batch_last_input=batch_last(x.array))
            rows.append((names[id(module)], tuple(x.shape), plan))

    _run_on_zeros(model, input_shape, batch_size, device, module_mod.register_module_forward_pre_hook(record))
    if print_fn is not None:
        width = max([len(name) for name, _, _ in rows] + [5])
        print_fn(f"{'layer':<{width}}  {'input':<20} {'algorithm':<12} {'output':<11} {'pieces':>6} {'kept':<5} "
                 f"{'input grad':<14} why")
        for name, shape, plan in rows:
            print_fn(f"{name:<{width}}  {str(shape):<20} {plan.algorithm:<12} {plan.layout:<11} {len(plan.pieces):>6} "
                     f"{'yes' if plan.keep else 'no':<5} {plan.input_grad:<14} {plan.why}")
    return rows
