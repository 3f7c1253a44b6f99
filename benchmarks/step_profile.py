"""Where a training step's time goes, minicnn against PyTorch, on this machine.

For each workload of benchmarks/models.py: the step split into its phases (forward with the
loss, backward, optimizer step), each framework timed in turn within every round (whole steps
for about a second, phases averaged) with the pause between turns, medians over the rounds; then minicnn's own per-op table
(minicnn.profiler: every op's forward and backward). PyTorch's own profiler is left out: on
this machine it charged the first operators of a step with its own set-up.

    python benchmarks/step_profile.py                         # every CPU workload
    python benchmarks/step_profile.py --only lenet5 --markdown
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import models  # noqa: E402
from timing import fix_threads, machine  # noqa: E402


def phases(name):
    """(minicnn phases, torch phases, batch): each a list of three callables run in order."""
    import torch
    import minicnn as mc
    import minicnn.functional as F
    import torch_twins
    from minicnn.models import get_model
    _, ours_name, torch_name, shape, batch, mode = next(w for w in models.WORKLOADS if w[0] == name)
    classes = 10 if ours_name in ("lenet5", "vgg16_cifar") else 1000
    torch.manual_seed(0)
    theirs = getattr(torch_twins, torch_name)(**({} if classes == 10 else {"num_classes": classes}))
    ours = get_model(ours_name, num_classes=classes)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rs = np.random.default_rng(0)
    x, y = rs.random((batch,) + shape, dtype=np.float32), rs.integers(0, classes, batch)
    X, Y, tx, ty = mc.tensor(x), mc.tensor(y), torch.tensor(x), torch.tensor(y)
    opt = mc.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    state = {}

    def ours_forward():
        opt.zero_grad()
        state["loss"] = F.cross_entropy(ours(X), Y)

    def theirs_forward():
        topt.zero_grad()
        state["tloss"] = torch.nn.functional.cross_entropy(theirs(tx), ty)

    return ([ours_forward, lambda: state["loss"].backward(), opt.step],
            [theirs_forward, lambda: state["tloss"].backward(), topt.step], batch, ours, X, Y, opt)


def time_phases(ours, theirs, rounds, block_time=1.0, settle=0.3):
    """Median seconds of each phase for each framework, the two alternating round by round. In a
    round, each framework runs whole steps for about ``block_time`` seconds (short steps are too
    noisy one by one), its phases timed and averaged; then it rests ``settle`` seconds."""
    times = {"minicnn": [[], [], []], "torch": [[], [], []]}
    for fns in (ours, theirs):                       # warm-up
        for _ in range(2):
            for f in fns:
                f()
    for _ in range(rounds):
        for label, fns in (("minicnn", ours), ("torch", theirs)):
            sums, steps, start = [0.0, 0.0, 0.0], 0, time.perf_counter()
            while steps == 0 or time.perf_counter() - start < block_time:
                for i, f in enumerate(fns):
                    t0 = time.perf_counter()
                    f()
                    sums[i] += time.perf_counter() - t0
                steps += 1
            for i in range(3):
                times[label][i].append(sums[i] / steps)
            time.sleep(settle)
    return {k: [statistics.median(v) for v in ph] for k, ph in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", default="")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    import torch
    import minicnn as mc
    blas = fix_threads(args.threads)
    print(f"# minicnn vs PyTorch {torch.__version__}, {time.strftime('%Y-%m-%d')}, {machine()}, "
          f"{args.threads} threads, BLAS {blas}")
    lines = ["| workload | phase | minicnn ms | PyTorch ms | ratio |", "|---|---|---:|---:|---:|"]
    details = []
    for name, *_, mode in models.WORKLOADS:
        if mode != "train" or (args.only and args.only not in name):
            continue
        ours, theirs, batch, model, X, Y, opt = phases(name)
        med = time_phases(ours, theirs, args.rounds)
        for i, phase in enumerate(("forward + loss", "backward", "optimizer step")):
            a, b = med["minicnn"][i] * 1e3, med["torch"][i] * 1e3
            lines.append(f"| {name} | {phase} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
        a, b = sum(med["minicnn"]) * 1e3, sum(med["torch"]) * 1e3
        lines.append(f"| {name} | **step** | **{a:.2f}** | **{b:.2f}** | **{a / b:.2f}x** |")
        print(lines[-1], flush=True)
        with mc.profiler.profile() as prof:
            for _ in range(3):
                for f in ours:
                    f()
        details.append(f"**{name}**, minicnn per op over 3 steps:\n\n```\n{prof.table()}\n```")
        del ours, theirs, model
    if args.markdown:
        print("\n" + "\n".join(lines) + "\n\n" + "\n\n".join(details))


if __name__ == "__main__":
    main()
