"""An opt-in per-op timer: where does a training step spend its time?

    with mc.profiler.profile() as prof:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    print(prof.table())

Every op's forward and backward are timed separately (the GPU is synchronized
around each, so the times are real). Outside ``profile()`` nothing is timed and
nothing is paid: autograd checks one global.
"""
import time
from collections import defaultdict

from . import autograd, backend


class profile:
    """``with profile() as prof:`` times every op's forward and backward inside it; ``prof.table()``
    prints them."""

    def __init__(self, sync_gpu=True):
        self.sync_gpu = sync_gpu
        self.records = defaultdict(lambda: [0, 0.0, 0, 0.0])   # op -> [fwd calls, fwd s, bwd calls, bwd s]
        self.wall = 0.0

    def _sync(self):
        cp = backend._cupy
        if self.sync_gpu and cp is not None:
            cp.cuda.Device().synchronize()

    def time(self, name, phase, fn, args, kwargs):
        self._sync()
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self._sync()
        rec = self.records[name]
        k = 0 if phase == "forward" else 2
        rec[k] += 1
        rec[k + 1] += time.perf_counter() - t0
        return out

    def __enter__(self):
        if autograd.profiler is not None:
            raise RuntimeError("profile() is already active")
        autograd.profiler = self
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        autograd.profiler = None
        self.wall += time.perf_counter() - self._t0
        return False

    def totals(self):
        """{op: (forward seconds, backward seconds, calls)} sorted by total time."""
        rows = {k: (v[1], v[3], v[0]) for k, v in self.records.items()}
        return dict(sorted(rows.items(), key=lambda kv: -(kv[1][0] + kv[1][1])))

    def table(self):
        rows = self.totals()
        timed = sum(f + b for f, b, _ in rows.values())
        lines = [f"{'op':<22}{'calls':>7}{'forward ms':>12}{'backward ms':>13}{'total ms':>11}{'share':>8}"]
        for name, (f, b, n) in rows.items():
            lines.append(f"{name:<22}{n:>7}{f * 1e3:>12.1f}{b * 1e3:>13.1f}{(f + b) * 1e3:>11.1f}"
                         f"{(f + b) / max(timed, 1e-12):>8.1%}")
        lines.append(f"{'ops total':<22}{'':>7}{'':>12}{'':>13}{timed * 1e3:>11.1f}"
                     f"{timed / max(self.wall, 1e-12):>8.1%} of {self.wall * 1e3:.1f} ms wall "
                     "(the rest: Python, optimizer, data)")
        return "\n".join(lines)
