"""How a tensor prints: PyTorch's layout, so that a learner comparing the two printouts by eye sees the
same text (``print(x)``, ``repr(x)``, ``set_printoptions``).

One format for every element of a tensor, chosen from its finite non-zero values:

- scientific (``1.0000e-05``) when, of their absolute values, max/min > 1000, max > 1e8 or min < 1e-4;
- else, all whole numbers: ``1.``, ``2.`` (the point says floating point);
- else ``precision`` decimals, fixed: ``0.1429``;

every element right-aligned to the widest. A row wraps at ``linewidth`` characters; a tensor of more
than ``threshold`` elements shows ``edgeitems`` at each end of every dimension around ``...``.
"""
import contextlib
import math

import numpy as np

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_options = dict(_DEFAULTS)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """torch.set_printoptions: decimals, the element count that triggers summarizing, the items kept at
    each end when summarizing, the line width, and scientific notation (True/False; None decides per
    tensor). ``profile``: "default", "short" (2 decimals, 2 edge items) or "full" (never summarize)."""
    if profile is not None:
        if profile not in ("default", "short", "full"):
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or 'full', got {profile!r}")
        _options.update(_DEFAULTS)
        if profile == "short":
            _options.update(precision=2, edgeitems=2)
        elif profile == "full":
            _options.update(threshold=math.inf)
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems, "linewidth": linewidth}
    _options.update({k: v for k, v in given.items() if v is not None})
    _options["sci_mode"] = sci_mode


def get_printoptions():
    """The print options in force, as a dict (torch.get_printoptions)."""
    return dict(_options)


@contextlib.contextmanager
def printoptions(**kwargs):
    """``with printoptions(precision=2):`` -- set_printoptions for the block only."""
    saved = dict(_options)
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        _options.clear()
        _options.update(saved)


class _Format:
    """One element format for a whole tensor (see the module docstring)."""

    def __init__(self, values):
        self.floating = values.dtype.kind in "fc"
        self.whole, self.sci, self.width = True, False, 1
        precision = _options["precision"]
        if not self.floating:
            self.width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if shown.size == 0:
            return
        magnitude = np.abs(shown)
        low, high = magnitude.min(), magnitude.max()
        self.whole = bool(np.all(shown == np.ceil(shown)))
        self.sci = (high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
                    if _options["sci_mode"] is None else _options["sci_mode"])
        if self.sci:
            self.width = max(len(f"{v:.{precision}e}") for v in shown.tolist())
        elif self.whole:
            self.width = max(len(f"{v:.0f}") + 1 for v in shown.tolist())
        else:
            self.width = max(len(f"{v:.{precision}f}") for v in shown.tolist())

    def __call__(self, value):
        precision = _options["precision"]
        if not self.floating:
            text = str(value)
        elif self.sci:
            text = f"{value:{self.width}.{precision}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{precision}f}"
        return text.rjust(self.width)


def _edges(a, summarize):
    """The elements a summarized printout shows (the ends of every dimension), for choosing the format."""
    edge = _options["edgeitems"]
    if not summarize or a.ndim == 0:
        return a.reshape(-1)
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[len(a) - edge:]])
    if a.ndim == 1 or not len(a):
        return a.reshape(-1)
    return np.concatenate([_edges(row, summarize) for row in a])


def _rows(a, indent, summarize, fmt):
    edge = _options["edgeitems"]
    if a.ndim == 0:
        return fmt(a.item())
    cut = summarize and a.shape[0] > 2 * edge
    if a.ndim == 1:
        if cut and not edge:
            return "[...]"
        items = ([fmt(v) for v in a[:edge].tolist()] + [" ..."] + [fmt(v) for v in a[len(a) - edge:].tolist()]
                 if cut else [fmt(v) for v in a.tolist()])
        per_line = max(1, (_options["linewidth"] - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ([_rows(r, indent + 1, summarize, fmt) for r in a[:edge]] + ["..."]
             + [_rows(r, indent + 1, summarize, fmt) for r in a[len(a) - edge:]]
             if cut else [_rows(r, indent + 1, summarize, fmt) for r in a])
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(values, suffixes=(), prefix="tensor("):
    """``tensor(...)`` as PyTorch prints it: ``values`` (a NumPy array) laid out under ``prefix``, then the
    ``suffixes`` (device, dtype, grad_fn ...), wrapped to a new line where they would pass the line width."""
    indent = len(prefix)
    if values.size == 0:
        body = "[]"
    else:
        summarize = values.size > _options["threshold"]
        body = _rows(values, indent, summarize, _Format(_edges(values, summarize)))
    text = prefix + body
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > _options["linewidth"]:
            text += ",\n" + " " * indent + suffix
            last = indent + len(suffix)
        else:
            text += ", " + suffix
            last += len(suffix) + 2
    return text + ")"
