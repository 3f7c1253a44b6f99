"""Why does my network not learn? One forward and backward pass on a batch, looked at layer by layer.

    report = mc.diagnose(model, x, y)        # prints a table and the findings, returns them

Per layer: the output's mean and standard deviation, the share of dead ReLU units (zero for
every sample of the batch), and for layers with weights the gradient norm and the ratio
|grad| / |weight| (how far one SGD step of learning rate 1 would move the weights).
Then plain-language findings, each from a measured number:

- the same output for every input: the network cannot tell inputs apart (dead units, collapse);
- loss ~= ln(C): every class gets the same probability -- normal at initialisation, a sign
  that nothing was learned after training (the source's plain VGG-16 on CIFAR-10 sat at
  2.3026 = ln 10 for ten epochs);
- all predictions fall into one class;
- dead ReLUs: a layer whose units are zero for every input pass no gradient at all;
- vanishing gradients: the first layers get a tiny fraction of the last layer's gradient
  (deep plain networks; batch norm, He initialisation or residual connections help);
- shrinking or exploding activations through depth;
- non-finite values; inputs that look unscaled (0-255 instead of 0-1).
"""
import math

import numpy as np

from . import backend
from . import functional as F
from .backend import get_array_module
from .nn import module as module_mod
from .tensor import Tensor


def _stats(a):
    xp = get_array_module(a)
    a = a.astype(xp.float64)
    return float(a.mean()), float(a.std())


def diagnose(model, x, y, loss_fn=F.cross_entropy, print_fn=print):
    """Run one training-mode forward/backward on (x, y) and report per-layer statistics and findings."""
    x = (x if isinstance(x, Tensor) else Tensor(x)).to(model.device)
    y_arr = y.array if isinstance(y, Tensor) else y
    y_arr = backend.to_device(y_arr if hasattr(y_arr, "dtype") else np.asarray(y_arr), model.device)
    names = {id(m): n for n, m in model.named_modules() if n and not m._modules}
    rows = []

    def record(module, args, out):
        if id(module) in names and isinstance(out, Tensor):
            data = out.array
            mean, std = _stats(data)
            dead = None
            if type(module).__name__ == "ReLU" and data.ndim >= 2:
                xp = get_array_module(data)
                alive = (data > 0).any(axis=0)           # a unit (channel, position) alive for some sample
                dead = 1.0 - float(xp.mean(alive))
            rows.append({"layer": names[id(module)], "type": type(module).__name__, "shape": tuple(data.shape),
                         "mean": mean, "std": std, "dead": dead,
                         "finite": bool(get_array_module(data).isfinite(data).all())})

    was_training = model.training
    model.train()
    saved_grads = {n: p.grad for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = None
    with module_mod.register_module_forward_hook(record):
        out = model(x)
    out = out[0] if isinstance(out, (tuple, list)) else out
    loss = loss_fn(out, y_arr)
    loss.backward()
    grads = {}
    for n, p in model.named_parameters():
        if p.grad is not None:
            g, w = float(np.linalg.norm(np.asarray(_host(p.grad.array)))), float(np.linalg.norm(np.asarray(_host(p.array))))
            grads[n] = (g, w)
        p.grad = saved_grads[n]
    model.train(was_training)

    by_layer = {}
    for n, (g, w) in grads.items():
        layer = n.rsplit(".", 1)[0]
        gg, ww = by_layer.get(layer, (0.0, 0.0))
        by_layer[layer] = (math.hypot(gg, g), math.hypot(ww, w))
    for r in rows:
        g = by_layer.get(r["layer"])
        r["grad_norm"], r["grad_to_weight"] = (g[0], g[0] / max(g[1], 1e-30)) if g else (None, None)

    findings = _findings(rows, by_layer, out, y_arr, loss.item(), x)
    if print_fn is not None:
        print_fn(_table(rows, loss.item()) + "\n" + ("\n".join(f"- {f}" for f in findings) or "- nothing alarming"))
    return {"loss": loss.item(), "layers": rows, "findings": findings}


def _host(a):
    return a.get() if hasattr(a, "get") else a


def _findings(rows, by_layer, out, y, loss, x):
    found = []
    logits = np.asarray(_host(out.array), np.float64)
    C = logits.shape[1] if logits.ndim == 2 else None
    xm, xs = _stats(x.array)
    if abs(xm) > 5 or xs > 20:
        found.append(f"the inputs have mean {xm:.1f} and std {xs:.1f}: they look unscaled (0-255?); "
                     "divide by 255 or normalize each channel")
    if any(not r["finite"] for r in rows) or not math.isfinite(loss):
        first = next((r["layer"] for r in rows if not r["finite"]), "the loss")
        found.append(f"non-finite values appear first in {first}: lower the learning rate or check the data")
    if C and C > 1 and math.isfinite(loss):
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        spread = float(p.max(axis=1).mean())
        varies = float(logits.std(axis=0).max()) > 1e-6 * (1.0 + float(np.abs(logits).max()))
        if not varies and len(logits) > 1:
            found.append("the network outputs the same logits for every input: whatever it is shown, it answers "
                         "alike, so it cannot learn. Look at the dead units and gradients below; a smaller "
                         "learning rate, batch norm or He initialisation usually fixes it")
        if abs(loss - math.log(C)) < 0.01 * math.log(C) and spread < 1.5 / C:
            found.append(f"the loss {loss:.4f} is ln({C}) = {math.log(C):.4f}: every class gets probability ~1/{C}. "
                         "Normal before training; after epochs of training it means the network learned nothing "
                         "(the source's plain VGG-16 on CIFAR-10 sat at 2.3026 = ln 10)")
        pred = logits.argmax(axis=1)
        top = np.bincount(pred, minlength=C).max() / len(pred)
        if len(pred) >= 8 and top > 0.95 and len(np.unique(y)) > 1:
            found.append(f"{top:.0%} of the batch is predicted as one class while the labels vary")
    for r in rows:
        if r["dead"] is not None and r["dead"] > 0.5:
            found.append(f"{r['dead']:.0%} of the units after {r['layer']} are dead (zero for every input): "
                         "no gradient flows through them")
    weighted = [(n, g) for n, (g, w) in by_layer.items()]
    if len(weighted) >= 2:
        first_g, last_g = weighted[0][1], weighted[-1][1]
        if last_g > 0 and first_g / last_g < 1e-3:
            # the layer nearest the output from which on, towards the input, gradients are < 1/1000 of the last
            below = next(n for n, g in reversed(weighted) if g / last_g < 1e-3)
            found.append(f"gradients vanish from layer {below} down to the input: {weighted[0][0]} gets "
                         f"{first_g / last_g:.1e} of the gradient of {weighted[-1][0]}; deep plain networks need "
                         "batch norm, He initialisation or shortcuts")
        if first_g == 0 and last_g == 0:
            found.append("every gradient is exactly zero: nothing will change")
    stds = [r["std"] for r in rows if r["type"] in ("Conv2d", "Linear") and math.isfinite(r["std"])]
    if len(stds) >= 3 and stds[0] > 0:
        ratio = stds[-2] / stds[0]
        if ratio < 1e-3:
            found.append(f"activations shrink through depth (std {stds[0]:.2e} -> {stds[-2]:.2e}): the initial "
                         "weights are too small for this depth")
        elif ratio > 1e3:
            found.append(f"activations grow through depth (std {stds[0]:.2e} -> {stds[-2]:.2e}): the initial "
                         "weights are too large")
    return found


def _table(rows, loss):
    head = f"{'layer':<16}{'type':<12}{'output':<20}{'mean':>10}{'std':>10}{'dead':>7}{'|grad|':>11}{'|g|/|w|':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        dead = f"{r['dead']:.0%}" if r["dead"] is not None else ""
        g = f"{r['grad_norm']:.2e}" if r["grad_norm"] is not None else ""
        gw = f"{r['grad_to_weight']:.1e}" if r["grad_to_weight"] is not None else ""
        lines.append(f"{r['layer']:<16}{r['type']:<12}{str(r['shape']):<20}{r['mean']:>10.3g}{r['std']:>10.3g}"
                     f"{dead:>7}{g:>11}{gw:>10}")
    lines.append(f"loss {loss:.4f}")
    return "\n".join(lines)
