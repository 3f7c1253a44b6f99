"""A training loop written by hand, as a PyTorch program ported by its imports has: minicnn with and
without its process-wide malloc setting, against PyTorch, each in a fresh process.

The loop never calls mc.tune_cpu(); minicnn's first optimizer step applies it (minicnn/cpu_tuning.py),
and MINICNN_KEEP_MEMORY=0 keeps it off. A process-wide setting cannot be undone inside one process,
so every timing runs in a new one; the three kinds alternate, round after round, with a pause
between them, and the medians are compared. Each process times STEPS steps after a warm-up and
counts the page faults they took. The loop is PyTorch's tutorial's (zero_grad, forward, backward,
step): glibc's faults depend on the order in which arrays are freed and made, and with zero_grad
after the forward (benchmarks/models.py's order) this loop took none even untuned.

    python benchmarks/hand_loop.py                    # LeNet-5, batch 128 and 32
    python benchmarks/hand_loop.py --batch 128 --rounds 5
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

STEPS = 60
CHILD = """
import json, resource, sys, time
sys.path[:0] = {paths!r}
import numpy as np
framework, batch, steps = {framework!r}, {batch}, {steps}
from threadpoolctl import threadpool_limits
threadpool_limits(2)
rs = np.random.default_rng(0)
x, y = rs.random((batch, 1, 28, 28), dtype=np.float32), rs.integers(0, 10, batch)
if framework == "torch":
    import torch
    import torch_twins
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model, X, Y = torch_twins.lenet5(), torch.tensor(x), torch.tensor(y)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    F = torch.nn.functional
else:
    import minicnn as mc
    from minicnn.models import lenet5
    mc.manual_seed(0)
    model, X, Y = lenet5(), mc.tensor(x), mc.tensor(y)
    opt = mc.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    F = mc.functional
def step():                                  # in the order of PyTorch's tutorials
    opt.zero_grad()
    loss = F.cross_entropy(model(X), Y)
    loss.backward()
    opt.step()
for _ in range(10):
    step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t0 = time.perf_counter()
for _ in range(steps):
    step()
seconds = time.perf_counter() - t0
print(json.dumps([seconds / steps, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps]))
"""

KINDS = {                                   # name -> (framework, extra environment)
    "minicnn, tuned by its first step": ("minicnn", {}),
    "minicnn, MINICNN_KEEP_MEMORY=0": ("minicnn", {"MINICNN_KEEP_MEMORY": "0"}),
    "PyTorch": ("torch", {}),
}


def run(framework, env, batch):
    """(seconds a step, page faults a step) of one fresh process."""
    code = CHILD.format(paths=[os.path.dirname(HERE), HERE], framework=framework, batch=batch, steps=STEPS)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, **env))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, nargs="*", default=[128, 32])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from timing import machine
    print(f"# {machine()}, 2 threads; LeNet-5 SGD step, hand-written loop, {STEPS} steps a process, "
          f"median of {args.rounds} rounds of fresh processes")
    for batch in args.batch:
        results = {name: [] for name in KINDS}
        for _ in range(args.rounds):
            for name, (framework, env) in KINDS.items():
                results[name].append(run(framework, env, batch))
                time.sleep(0.5)
        torch_ms = statistics.median(r[0] for r in results["PyTorch"]) * 1e3
        for name, rs in results.items():
            ms = statistics.median(r[0] for r in rs) * 1e3
            faults = statistics.median(r[1] for r in rs)
            print(f"b{batch:<4d} {name:34s} {ms:7.2f} ms  {faults:8.0f} page faults a step  "
                  f"{ms / torch_ms:5.2f}x PyTorch")


if __name__ == "__main__":
    main()
