"""The optimizer base class: parameter groups, state by position, state_dict round trips.

State is keyed by the parameter's position across all groups (0, 1, 2, ...),
never by id(), so a state_dict saved in one process loads into fresh objects
in another. Parameters that are frozen (requires_grad=False) or received no
gradient are skipped: they stay bit-identical.
"""
import numbers
import threading

import numpy as np

from .. import backend, threads, workspace
from ..cpu_tuning import tune_cpu

SCRATCH = workspace.Slot("optimizer scratch")          # one buffer a thread, reused by every step


class Optimizer:
    """The base of every optimizer: parameter groups, state, zero_grad, step, state_dict; a subclass
    writes ``update`` for one parameter."""

    # On the CPU a large parameter is updated in slices of this many elements (256 KB of float32):
    # the several element-wise passes of an update then find each slice in cache, and main memory
    # sees every array read and written once instead of once per pass (VGG-16's SGD step with
    # momentum and weight decay: 6 passes over 138M weights). On a GPU an array is one slice.
    SLICE = 1 << 16

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        for g in groups:
            group = dict(self.defaults)
            group.update(g)
            group["params"] = list(g["params"])
            self._validate(group)
            self.param_groups.append(group)
        self.state = {}                 # position -> dict of arrays

    # PyTorch's argument checks, per optimizer: (argument, PyTorch's message, the test PyTorch applies).
    # They differ on purpose where PyTorch's do: SGD tests `lr < 0`, so it takes lr=nan as PyTorch does
    # (fit's guard then stops before a NaN update), while Adam tests `not 0 <= lr`, which refuses nan.
    CHECKS = ()

    def _validate(self, group):
        for name, message, ok in self.CHECKS:
            values = group.get(name)
            for k, v in enumerate(values if isinstance(values, (tuple, list)) else [values]):
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    raise TypeError(f"{type(self).__name__}: {name} must be a number, got {v!r}")
                if not ok(float(v)):
                    raise ValueError(message.format(v, k=k))

    def scratch(self, like):
        """A temporary array shaped like ``like`` from the shared workspace, reused across steps,
        parameters and slices (no allocation per step: VGG-16's 102M-weight layer would otherwise
        fault in a fresh 400 MB array). Valid until the next call."""
        xp = backend.get_array_module(like)
        # slices update on several threads: a buffer each
        return SCRATCH.shaped(xp, like.shape, like.dtype, key=threading.current_thread().name)

    def _indexed(self):
        i = 0
        for group in self.param_groups:
            for p in group["params"]:
                yield i, group, p
                i += 1

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (set_to_none=False: fill it with zeros instead)."""
        for _, _, p in self._indexed():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def step(self):
        self._tune()
        for i, group, p in self._indexed():
            if p.grad is None or not p.requires_grad:
                continue
            w, g, state = p.array, p.grad.array, self.state.setdefault(i, {})
            extra = self.prepare(w, state, group)
            threads.map_runs(self._updater(group, extra), list(self._slices(w, g, state)), elements=w.size)
            p._vc[0] += 1                          # changed in place: a graph that saved p can no longer use it

    _cpu_tuned = False

    def _tune(self):
        """A training loop is running: on the CPU, apply minicnn's process-wide settings (mc.tune_cpu,
        once per process), as fit does. A loop ported from PyTorch by its imports alone cannot call
        tune_cpu itself, and without it glibc faults fresh pages in every step (RESULTS.md, "A
        hand-written loop")."""
        if Optimizer._cpu_tuned:
            return
        first = next((p for group in self.param_groups for p in group["params"]), None)
        if first is not None and first._device == "cpu":
            tune_cpu()
            Optimizer._cpu_tuned = True

    def _updater(self, group, extra):
        """update() over a run of slices; the slices are independent, so runs go to different threads."""
        def run(part):
            for ws, gs, ss in part:
                self.update(ws, gs, {**ss, **extra} if extra else ss, group)
            return []
        return run

    def _slices(self, w, g, state):
        """(w, g, state) in slices of SLICE elements: flat views of w, g and every state array of
        w's shape, with the scalars as they are. One slice on a GPU, or when w is small or not
        contiguous (its flat reshape would be a copy, and the update would be lost), or when the
        subclass has no ``prepare``: an ``update`` that creates its own state would put it in a
        slice's throw-away dict."""
        xp = backend.get_array_module(w)
        n = w.size
        if (xp is not np or n <= self.SLICE or not w.flags.c_contiguous
                or type(self).prepare is Optimizer.prepare):             # state made in update: whole arrays
            yield w, g, state
            return
        arrays = {}
        for k, v in state.items():
            if getattr(v, "shape", None) == w.shape:
                if not v.flags.c_contiguous:                    # e.g. loaded from a state_dict
                    v = state[k] = xp.ascontiguousarray(v)
                arrays[k] = v.reshape(-1)
        w, g = w.reshape(-1), xp.ascontiguousarray(g).reshape(-1)
        for i0 in range(0, n, self.SLICE):
            i1 = min(n, i0 + self.SLICE)
            yield w[i0:i1], g[i0:i1], {**state, **{k: v[i0:i1] for k, v in arrays.items()}}

    def prepare(self, w, state, group):
        """Per-parameter work before its slices are updated: create state arrays, count steps.
        May return a dict of extra values handed to every slice's ``update`` (not kept in state)."""
        return None

    @staticmethod
    def count_step(w, state, *zeros):
        """For ``prepare``: on a parameter's first step, state["step"] = 0 and a zero array shaped like
        ``w`` under each name in ``zeros``; on every step, state["step"] += 1."""
        if not state:
            xp = backend.get_array_module(w)
            state["step"] = 0
            for name in zeros:
                state[name] = xp.zeros_like(w)
        state["step"] += 1

    def update(self, w, g, state, group):
        """Update the array ``w`` (a whole parameter or a slice of it) in place from its gradient
        ``g``; ``state`` holds the matching slices of the state arrays made in ``prepare``. A
        subclass without ``prepare`` always gets whole arrays and may create its state here."""
        raise NotImplementedError

    # ---------------------------------------------------------------- state
    def state_dict(self):
        groups = []
        start = 0
        for g in self.param_groups:
            n = len(g["params"])
            groups.append({k: v for k, v in g.items() if k != "params"} | {"params": list(range(start, start + n))})
            start += n
        state = {i: {k: (backend.to_device(v, "cpu") if hasattr(v, "shape") else v) for k, v in s.items()}
                 for i, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, sd):
        if len(sd["param_groups"]) != len(self.param_groups):
            raise ValueError(f"load_state_dict: {len(sd['param_groups'])} parameter groups in the state, "
                             f"{len(self.param_groups)} in this optimizer")
        for mine, theirs in zip(self.param_groups, sd["param_groups"]):
            if len(theirs["params"]) != len(mine["params"]):
                raise ValueError("load_state_dict: parameter group sizes differ")
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = tuple(v) if isinstance(v, list) else v
        params = [p for _, _, p in self._indexed()]
        self.state = {}
        for i, s in sd["state"].items():
            p = params[int(i)]
            self.state[int(i)] = {k: (backend.to_device(np.asarray(v, dtype=p.array.dtype), p.device)
                                      if isinstance(v, np.ndarray) and v.ndim else v) for k, v in s.items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in g.items() if k != "params"]
        return "\n".join(lines) + "\n)"
