"""Data-parallel scaling: measured on this machine, and modelled for N machines.

Measures, alternating the configurations round by round (medians over rounds):
  1. allreduce time and bandwidth between 2 ranks (mpiexec -n 2), message sizes 4 KB to 64 MB;
  2. training throughput at the same global batch: 1 process with 2 BLAS threads vs 2 processes
     (mpiexec -n 2) with 1 thread each, and the share of each step spent averaging gradients;
     the same for PyTorch (DistributedDataParallel over gloo on the loopback, the same twins and
     batches), so that minicnn's scaling is set beside PyTorch's;
  3. one process's step time at per-machine batches G, G/2, G/4, ... (the compute of one machine).
Then models N machines joined by a ring allreduce:

    t_step(N) = t_compute(G / N) + t_allreduce(N)          (strong scaling: global batch G fixed)
    t_allreduce(N) = k * 2 (N - 1) * alpha + 2 (N - 1) / N * bytes / bandwidth
                     (k = number of buckets, alpha = latency per message, bytes = 4 * parameters)
    speed-up(N) = t_compute(G) / t_step(N)

for the measured link of this machine (shared memory) and for two assumed networks.

    python benchmarks/distributed.py                         # everything (about 10 minutes)
    python benchmarks/distributed.py --only lenet5 --rounds 2
    python benchmarks/distributed.py --results benchmarks/RESULTS.md
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

# name, minicnn model, PyTorch twin (benchmarks/torch_twins.py), classes, input shape,
# global batch G of the model (the source's), global batch of the 1-vs-2 measurement
MODELS = [
    ("lenet5", "lenet5", "lenet5", 10, (1, 28, 28), 32, 32),
    ("cifar10_vgg16", "vgg16_cifar", "vgg16_cifar", 10, (3, 32, 32), 128, 128),
    ("vgg16 224x224", "vgg16", "VGG", 1000, (3, 224, 224), 16, 4),
]
SIZES = [1 << 12, 1 << 16, 1 << 20, 1 << 22, 1 << 24, 1 << 26]
# Assumed links for the model (not measured here): (name, latency s, bandwidth bytes/s)
ASSUMED_LINKS = [("10 Gb/s Ethernet (assumed: 50 us, 1.1 GB/s)", 50e-6, 1.1e9),
                 ("100 Gb/s InfiniBand (assumed: 5 us, 11 GB/s)", 5e-6, 11e9)]


def mpiexec():
    import shutil
    path = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if path is None:
        sys.exit("mpiexec not found: pip install minicnn[dist] (mpi4py and MPICH)")
    return path


def launch(n, threads, *args):
    """Run this script's worker in n processes (under mpiexec when n > 1); rank 0 prints one JSON line.

    One process runs as a plain child, the way single-process training is run: under mpiexec (a new
    session, so a scheduler group of its own here) a 2-thread process ran LeNet-5 steps 1.4x slower
    on this machine, while 1-thread processes ran at the same speed either way."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    cmd = ([mpiexec(), "-n", str(n)] if n > 1 else []) + [sys.executable, os.path.abspath(__file__), "--worker",
                                                          *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


# ---------------------------------------------------------------- workers (run under mpiexec)
def worker_allreduce(reps):
    import minicnn as mc
    comm = mc.distributed.world()
    result = {}
    for size in SIZES:
        buf = np.ones(size // 4, np.float32)
        times = []
        for i in range(reps + 2):
            comm.barrier()
            t0 = time.perf_counter()
            comm.allreduce(buf)
            if i >= 2:
                times.append(time.perf_counter() - t0)
        result[size] = statistics.median(times)
    return result


def build(model_name, shape, batch, seed=0):
    import minicnn as mc
    import minicnn.functional as F
    from minicnn.models import get_model
    mc.manual_seed(seed)
    classes = next(m[3] for m in MODELS if m[1] == model_name)
    model = get_model(model_name, num_classes=classes)
    rs = np.random.default_rng(seed)
    x = mc.tensor(rs.random((batch,) + tuple(shape), dtype=np.float32))
    y = rs.integers(0, 10, batch)
    opt = mc.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    params = list(model.parameters())
    return model, x, y, opt, params, F


def worker_train(model_name, shape, batch, steps):
    """Per-rank batch ``batch``; times forward+backward+average_gradients+SGD step, and the averaging alone."""
    import minicnn as mc
    comm = mc.distributed.world()
    model, x, y, opt, params, F = build(model_name, shape, batch)
    mc.distributed.broadcast_parameters(model)
    step_times, comm_times = [], []
    for i in range(steps + 3):
        comm.barrier()
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        t1 = time.perf_counter()
        mc.distributed.average_gradients(params, count=batch)
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if i >= 3:
            step_times.append(t3 - t0)
            comm_times.append(t2 - t1)
    # the slowest rank sets the pace: report rank 0's medians, which wait for it at every allreduce
    return {"step": statistics.median(step_times), "allreduce": statistics.median(comm_times),
            "params": int(sum(p.numel() for p in params))}


def compute_times(model_name, shape, batches, rounds, threads, block_time):
    """One process: median step time at each per-machine batch, batches alternating round by round."""
    from timing import compare, fix_threads
    fix_threads(threads)
    built = {b: build(model_name, shape, b) for b in batches}

    def step(b):
        model, x, y, opt, _, F = built[b]
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return compare({b: (lambda b=b: step(b)) for b in batches}, rounds=rounds, warmup=2, block_time=block_time)


def worker_train_torch(twin, classes, shape, batch, steps, port):
    """PyTorch's data parallelism for comparison: DistributedDataParallel over gloo (rank and size from
    the MPI launcher's environment, rendezvous on the loopback), median step time on rank 0."""
    import torch
    import torch.distributed as dist
    import torch_twins
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    rank, size = int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))
    torch.manual_seed(0)
    model = getattr(torch_twins, twin)(**({"num_classes": classes} if twin == "VGG" else {}))
    if size > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=size)
        model = torch.nn.parallel.DistributedDataParallel(model)
    rs = np.random.default_rng(0)
    x = torch.tensor(rs.random((batch,) + tuple(shape), dtype=np.float32))
    y = torch.tensor(rs.integers(0, classes, batch))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    times = []
    for i in range(steps + 3):
        if size > 1:
            dist.barrier()
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()                                 # DDP overlaps its bucketed allreduce with this
        opt.step()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    if size > 1:
        dist.destroy_process_group()
    return {"step": statistics.median(times), "rank": rank}


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the model
def ring_allreduce_time(nbytes, n, latency, bandwidth, buckets):
    if n == 1:
        return 0.0
    return buckets * 2 * (n - 1) * latency + 2 * (n - 1) / n * nbytes / bandwidth


def model_table(name, params, compute, global_batch, links):
    """Rows of modelled speed-up for N = 1, 2, 4, ... machines at global batch G (strong scaling)."""
    nbytes = 4 * params
    buckets = max(1, math.ceil(nbytes / (25 << 20)))
    rows = []
    n = 1
    while global_batch // n >= 1:
        b = global_batch // n
        row = {"N": n, "batch": b, "compute": compute[b]}
        for label, latency, bandwidth in links:
            t = compute[b] + ring_allreduce_time(nbytes, n, latency, bandwidth, buckets)
            row[label] = compute[global_batch] / t
        rows.append(row)
        n *= 2
    return rows


def fit_link(allreduce, n=2):
    """Latency from the smallest message, bandwidth from the largest (bus bandwidth 2(N-1)/N bytes / t)."""
    small, large = min(allreduce), max(allreduce)
    latency = allreduce[small] / (2 * (n - 1))
    bandwidth = 2 * (n - 1) / n * large / (allreduce[large] - 2 * (n - 1) * latency)
    return latency, bandwidth


def render(data):
    lines = [f"Measured {data['date']} on {data['machine']}; {data['blas']}; MPI: {data['mpi']}.",
             "", "**Allreduce between 2 ranks on this machine** (float32 sum, in place; bus bandwidth = "
             "2(N-1)/N x bytes / time):", "", "| message | time | bus bandwidth |", "|---:|---:|---:|"]
    for size, t in sorted(data["allreduce"].items(), key=lambda kv: int(kv[0])):
        size = int(size)
        label = f"{size >> 20} MB" if size >= 1 << 20 else f"{size >> 10} KB"
        lines.append(f"| {label} | {t * 1e6:,.0f} us | {size / t / 1e9:.2f} GB/s |")
    lat, bw = data["link"]
    lines += ["", f"Fitted link: latency {lat * 1e6:.1f} us per message, bandwidth {bw / 1e9:.2f} GB/s.", "",
              "**Throughput at the same global batch: 1 process x 2 threads vs 2 processes x 1 thread**, "
              "minicnn and PyTorch (DDP over gloo), the four alternating round by round (median step; "
              "`allreduce` = the share of minicnn's 2-process step spent in average_gradients; "
              "last column: minicnn's 2-process step time over PyTorch's):", "",
              "| model | global batch | gradient MB | minicnn 1 x 2 | minicnn 2 x 1 | speed-up | allreduce share "
              "| PyTorch 1 x 2 | PyTorch DDP 2 x 1 | speed-up | minicnn / PyTorch (2 x 1) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    def rate(images, seconds):
        v = images / seconds
        return f"{v:,.0f} img/s" if v >= 100 else f"{v:.3g} img/s"

    for row in data["throughput"]:
        one, two = row["one"]["step"], row["two"]["step"]
        tone, ttwo = row["torch_one"]["step"], row["torch_two"]["step"]
        b = row["batch"]
        lines.append(f"| {row['name']} | {b} | {4 * row['two']['params'] / 1e6:.1f} | {rate(b, one)} | "
                     f"{rate(b, two)} | {one / two:.2f}x | {row['two']['allreduce'] / two:.0%} | {rate(b, tone)} | "
                     f"{rate(b, ttwo)} | {tone / ttwo:.2f}x | {two / ttwo:.2f}x |")
    lines += ["", "**Modelled speed-up on N machines** (strong scaling at the source's global batch G; each "
              "machine like this one, 2 cores; compute per step measured at G/N; ring allreduce as above):", ""]
    for name, block in data["model"].items():
        links = [k for k in block["rows"][0] if k not in ("N", "batch", "compute")]
        lines += [f"*{name}*: {block['params']:,} parameters = {4 * block['params'] / 1e6:.1f} MB of gradients "
                  f"per step, G = {block['global_batch']}.", "",
                  "| N | batch per machine | compute per step | " + " | ".join(links) + " |",
                  "|---:|---:|---:|" + "---:|" * len(links)]
        for r in block["rows"]:
            lines.append(f"| {r['N']} | {r['batch']} | {r['compute'] * 1e3:,.1f} ms | "
                         + " | ".join(f"{r[k]:.2f}x" for k in links) + " |")
        lines += ["", f"Doubling the machines stops paying (adds < 10%) after: {block['verdict']}", ""]
    return "\n".join(lines)


def verdict(rows, gain=1.10):
    """Per link: the N after which doubling the machines adds less than 10% (or slows down), and the peak."""
    links = [k for k in rows[0] if k not in ("N", "batch", "compute")]
    parts = []
    for k in links:
        stop = next((a for a, b in zip(rows, rows[1:]) if b[k] < gain * a[k]), rows[-1])
        best = max(rows, key=lambda r: r[k])
        parts.append(f"{k.split(' (')[0]}: N = {stop['N']} ({stop[k]:.1f}x; peak {best[k]:.1f}x at N = {best['N']})")
    return "; ".join(parts) + "."


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--only", default="", help="comma-separated model names")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=os.path.join(HERE, "distributed.json"))
    ap.add_argument("--from-json", action="store_true", help="render the tables from --json without running")
    ap.add_argument("--results", default=None, help="replace the scaling section of this RESULTS.md")
    args = ap.parse_args()
    if args.worker is not None:
        kind, *rest = args.worker
        if kind == "torch":
            name, batch, steps, port = rest
            _, _, twin, classes, shape, _, _ = next(m for m in MODELS if m[0] == name)
            out = worker_train_torch(twin, classes, shape, int(batch), int(steps), int(port))
            if out.pop("rank") == 0:
                print(json.dumps(out))
            return
        if kind == "allreduce":
            out = worker_allreduce(int(rest[0]))
        else:
            name, model, batch, steps = rest
            shape = next(m[4] for m in MODELS if m[0] == name)
            out = worker_train(model, shape, int(batch), int(steps))
        import minicnn as mc
        if mc.distributed.is_main_process():
            print(json.dumps(out))
        return

    if args.from_json:
        with open(args.json) as f:
            data = json.load(f)
    else:
        from timing import fix_threads, machine
        from mpi4py import MPI
        chosen = [m for m in MODELS if not args.only or m[0] in args.only.split(",")]
        data = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "blas": fix_threads(2),
                "mpi": MPI.Get_library_version().splitlines()[0].strip(), "throughput": [], "model": {}}
        print("allreduce ...", flush=True)
        data["allreduce"] = launch(2, 1, "allreduce", 20)
        data["link"] = fit_link({int(k): v for k, v in data["allreduce"].items()})
        links = [(f"this machine (measured: {data['link'][0] * 1e6:.0f} us, {data['link'][1] / 1e9:.1f} GB/s)",
                  *data["link"])] + ASSUMED_LINKS
        for name, model, _, _, shape, global_batch, measured_batch in chosen:
            steps = 3 if "224" in name else 30
            runs = {"one": [], "two": [], "torch_one": [], "torch_two": []}
            for r in range(args.rounds):                     # alternate the four configurations
                print(f"{name}: round {r + 1}/{args.rounds}", flush=True)
                runs["one"].append(launch(1, 2, "train", name, model, measured_batch, steps))
                runs["torch_one"].append(launch(1, 2, "torch", name, measured_batch, steps, 0))
                runs["two"].append(launch(2, 1, "train", name, model, measured_batch // 2, steps))
                runs["torch_two"].append(launch(2, 1, "torch", name, measured_batch // 2, steps, free_port()))
            med = {k: {f: statistics.median(run[f] for run in v) for f in v[0] if f != "params"}
                   | ({"params": v[0]["params"]} if "params" in v[0] else {}) for k, v in runs.items()}
            data["throughput"].append({"name": name, "batch": measured_batch, **med})
            batches = [global_batch >> i for i in range(int(math.log2(global_batch)) + 1)]
            print(f"{name}: compute at per-machine batches {batches}", flush=True)
            big = "224" in name
            compute = compute_times(model, shape, batches, 2 if big else args.rounds, 2, 0.0 if big else 0.5)
            rows = model_table(name, med["two"]["params"], compute, global_batch, links)
            data["model"][name] = {"params": med["two"]["params"], "global_batch": global_batch, "rows": rows,
                                   "verdict": verdict(rows)}
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)
    text = render(data)
    print(text)
    if args.results:
        with open(args.results) as f:
            doc = f.read()
        begin, end = "<!-- scaling:begin -->", "<!-- scaling:end -->"
        if begin in doc:
            doc = doc[:doc.index(begin) + len(begin)] + "\n" + text + "\n" + doc[doc.index(end):]
        else:
            doc += f"\n## Data-parallel scaling (`python benchmarks/distributed.py`)\n\n{begin}\n{text}\n{end}\n"
        with open(args.results, "w") as f:
            f.write(doc)


if __name__ == "__main__":
    main()
