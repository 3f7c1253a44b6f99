"""Training throughput of whole models: minicnn vs PyTorch, same architectures, same run.

One timed step = forward, cross-entropy, backward, SGD step (momentum 0.9, weight decay 5e-4),
on random float32 data. The two frameworks alternate step for step after a warm-up; the
medians give images/s. Peak memory is measured separately, each framework in a fresh process
(the growth of the peak resident set over the process's baseline, ru_maxrss).

    python benchmarks/models.py                    # every CPU workload
    python benchmarks/models.py --only lenet5      # a subset
    python benchmarks/models.py --device cuda      # CuPy vs PyTorch CUDA: the GPU workloads
    python benchmarks/models.py --device cuda --tf32 on    # TF32 matrix products on both sides
    python benchmarks/models.py --markdown         # also print the table for RESULTS.md

On the GPU, peak memory is what each framework's own allocator held at most (CuPy's memory
pool, PyTorch's caching allocator), each in a fresh process, not the host's resident set.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

# name, minicnn builder, torch builder, input shape (C, H, W), batch, mode ("train" or "forward")
WORKLOADS = [
    ("lenet5 b32", "lenet5", "lenet5", (1, 28, 28), 32, "train"),
    ("lenet5 b128", "lenet5", "lenet5", (1, 28, 28), 128, "train"),
    ("cifar10_vgg16 b64", "vgg16_cifar", "vgg16_cifar", (3, 32, 32), 64, "train"),
    ("vgg16 32x32 b64", "vgg16", "VGG", (3, 32, 32), 64, "train"),
    ("vgg16 224x224 b2", "vgg16", "VGG", (3, 224, 224), 2, "train"),
    ("vgg16 224x224 b2 forward", "vgg16", "VGG", (3, 224, 224), 2, "forward"),
    ("resnet50 224x224 b2", "resnet50", "ResNet50", (3, 224, 224), 2, "train"),
    ("vgg16 224x224 b8", "vgg16", "VGG", (3, 224, 224), 8, "train"),
]
# the GPU's: batches that give a GPU work to do
GPU_WORKLOADS = [
    ("lenet5 b128", "lenet5", "lenet5", (1, 28, 28), 128, "train"),
    ("cifar10_vgg16 b64", "vgg16_cifar", "vgg16_cifar", (3, 32, 32), 64, "train"),
    ("vgg16 224x224 b32", "vgg16", "VGG", (3, 224, 224), 32, "train"),
    ("resnet50 224x224 b32", "resnet50", "ResNet50", (3, 224, 224), 32, "train"),
]


def set_tf32(on):
    """TF32 for float32 matrix products, on both sides or on neither: CuPy reads CUPY_TF32 when it is
    imported (minicnn imports it on first use), PyTorch its backends flags."""
    os.environ["CUPY_TF32"] = "1" if on else "0"
    import torch
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def build(name, device, which="both"):
    """Both models, the same initial weights, optimizers and a step function for each.
    which="minicnn" or "torch" builds only that one (for measuring its memory alone)."""
    import torch
    import minicnn as mc
    import minicnn.functional as F
    import torch_twins
    from minicnn.models import get_model
    _, ours_name, torch_name, shape, batch, mode = next(w for w in WORKLOADS + GPU_WORKLOADS if w[0] == name)
    classes = 10 if ours_name in ("lenet5", "vgg16_cifar") else 1000
    torch.manual_seed(0)
    tdev = "cuda" if device == "cuda" else "cpu"
    theirs = ours = None
    if which in ("both", "torch"):
        theirs = getattr(torch_twins, torch_name)(**({} if classes == 10 else {"num_classes": classes})).to(tdev)
    if which in ("both", "minicnn"):
        ours = get_model(ours_name, num_classes=classes)
        if theirs is not None:
            ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in theirs.state_dict().items()})
        ours.to(device)
    rs = np.random.default_rng(0)
    x = rs.random((batch,) + shape, dtype=np.float32)
    y = rs.integers(0, classes, batch)
    X, Y = mc.tensor(x, device=device), mc.tensor(y, device=device)              # on the device once
    tx, ty = (None, None) if theirs is None else (torch.tensor(x, device=tdev), torch.tensor(y, device=tdev))
    opt = None if ours is None else mc.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    topt = None if theirs is None else torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    if mode == "forward":
        for m in (ours, theirs):
            if m is not None:
                m.eval()

        def ours_step():
            with mc.no_grad():
                ours(X)

        def theirs_step():
            with torch.no_grad():
                theirs(tx)
    else:
        def ours_step():
            loss = F.cross_entropy(ours(X), Y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        def theirs_step():
            loss = torch.nn.functional.cross_entropy(theirs(tx), ty)
            topt.zero_grad()
            loss.backward()
            topt.step()
    return ours_step, theirs_step, batch


def peak_memory(name, framework, device, threads, tf32=False):
    """Run a few steps of one framework in a fresh process; return its peak memory in MB.

    CPU: the growth of the peak resident set, read from /proc/self/status (VmHWM), which a new
    process starts afresh (getrusage's ru_maxrss would carry over the parent's peak through fork
    and exec). GPU: the most its allocator held (CuPy's pool, followed allocation by allocation;
    PyTorch's max_memory_allocated)."""
    code = f"""
import sys; sys.path[:0] = {[os.path.dirname(HERE), HERE]!r}
from timing import fix_threads; fix_threads({threads})
import models
if {device!r} == "cuda":
    models.set_tf32({tf32!r})
    import torch
    if {framework!r} == "minicnn":
        import cupy
        pool, peak = cupy.get_default_memory_pool(), [0]
        def malloc(n):
            mem = pool.malloc(n)
            peak[0] = max(peak[0], pool.used_bytes())
            return mem
        cupy.cuda.set_allocator(malloc)
        measure = lambda: peak[0] / 1024
    else:
        measure = lambda: torch.cuda.max_memory_allocated() / 1024
    before = 0
else:
    def measure():
        return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
    before = measure()
ours, theirs, _ = models.build({name!r}, {device!r}, which={framework!r})
step = ours if {framework!r} == "minicnn" else theirs
for _ in range(3):
    step()
print(int(measure() - before))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        return float("nan")
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--json", default=None, help="also write the rows to this file")
    ap.add_argument("--from-json", default=None, help="render the table and chart from an earlier --json, no run")
    ap.add_argument("--results", default=None, help="replace the models table in this RESULTS.md")
    ap.add_argument("--chart", default=None, help="write a bar chart of the step-time ratios (PNG)")
    ap.add_argument("--tf32", default="off", choices=["off", "on"], help="GPU: TF32 matrix products on both sides")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        render(saved["rows"], saved["header"], args)
        return
    if args.device == "cuda":
        set_tf32(args.tf32 == "on")                     # before CuPy is imported
    import torch
    from timing import compare, fix_threads, machine
    blas = fix_threads(args.threads)
    sync, where = None, f"{args.device}, {args.threads} threads, BLAS {blas}"
    if args.device == "cuda":
        import cupy

        def sync():
            cupy.cuda.Device().synchronize()
            torch.cuda.synchronize()
        where = (f"{torch.cuda.get_device_name(0)}, CuPy {cupy.__version__} (CUDA {cupy.cuda.runtime.runtimeGetVersion()}),"
                 f" TF32 {args.tf32}")
    header = f"minicnn vs PyTorch {torch.__version__}, {time.strftime('%Y-%m-%d')}, {machine()}, {where}"
    print("# " + header)
    rows = []
    for name, *_ in (GPU_WORKLOADS if args.device == "cuda" else WORKLOADS):
        if args.only and args.only not in name:
            continue
        ours, theirs, batch = build(name, args.device)
        # no pause between GPU blocks: it is for OpenBLAS's spinning threads (timing.py), not used there
        t = compare({"minicnn": ours, "torch": theirs}, rounds=args.rounds, warmup=2, sync=sync, block_time=1.0,
                    settle=0.0 if args.device == "cuda" else 0.5)
        del ours, theirs
        mem = (float("nan"), float("nan")) if args.no_memory else \
            tuple(peak_memory(name, fw, args.device, args.threads, args.tf32 == "on") for fw in ("minicnn", "torch"))
        row = {"workload": name, "minicnn_ms": t["minicnn"] * 1e3, "torch_ms": t["torch"] * 1e3,
               "ratio": t["minicnn"] / t["torch"], "minicnn_img_s": batch / t["minicnn"],
               "torch_img_s": batch / t["torch"], "minicnn_mb": mem[0], "torch_mb": mem[1]}
        rows.append(row)
        print(f"{name:28s} minicnn {row['minicnn_img_s']:8.1f} img/s  torch {row['torch_img_s']:8.1f} img/s  "
              f"step ratio {row['ratio']:.2f}x  peak memory {mem[0]:.0f} MB vs {mem[1]:.0f} MB", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"header": header, "rows": rows}, f, indent=2)
    render(rows, header, args)


def table(rows):
    lines = ["| workload | minicnn img/s | PyTorch img/s | step-time ratio | minicnn peak MB | PyTorch peak MB |",
             "|---|---:|---:|---:|---:|---:|"]
    def rate(v):
        return f"{v:.2f}" if v < 10 else f"{v:.1f}"
    for r in rows:
        lines.append(f"| {r['workload']} | {rate(r['minicnn_img_s'])} | {rate(r['torch_img_s'])} | {r['ratio']:.2f}x | "
                     f"{r['minicnn_mb']:.0f} | {r['torch_mb']:.0f} |")
    return "\n".join(lines)


def render(rows, header, args):
    if args.markdown:
        print("\n" + table(rows))
    if args.results:
        with open(args.results) as f:
            text = f.read()
        begin, end = "<!-- models:begin -->", "<!-- models:end -->"
        if begin not in text or end not in text:
            raise SystemExit(f"{args.results} has no {begin} ... {end} block to replace")
        block = f"{begin}\n{header}\n\n{table(rows)}\n{end}"
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
        with open(args.results, "w") as f:
            f.write(text)
    if args.chart:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
        names = [r["workload"] for r in rows][::-1]
        ratios = [r["ratio"] for r in rows][::-1]
        ax.barh(names, ratios, color=["tab:green" if v <= 1.5 else "tab:red" for v in ratios])
        ax.axvline(1.0, color="black", lw=1)
        ax.axvline(1.5, color="grey", ls="--", lw=1)
        ax.set_xlabel("minicnn step time / PyTorch step time (lower is better)")
        ax.set_title(header.split(",")[0] + ", " + header.split(",")[1].strip(), fontsize=9)
        fig.tight_layout()
        fig.savefig(args.chart, dpi=100)
        plt.close(fig)

if __name__ == "__main__":
    main()
