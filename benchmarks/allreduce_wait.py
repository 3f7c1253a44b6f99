"""What the collectives' timeout costs: MPI's blocking Allreduce against minicnn's allreduce (a
non-blocking Iallreduce polled against its deadline), alternating, 2 ranks, medians over rounds.

    mpiexec -n 2 python benchmarks/allreduce_wait.py            # sizes 4 KB to 64 MB
    mpiexec -n 2 python benchmarks/allreduce_wait.py --rounds 15
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import minicnn as mc  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    comm = mc.distributed.init("mpi")
    if comm.size < 2:
        sys.exit("run it under mpiexec -n 2")
    mpi = comm.comm
    from mpi4py import MPI
    if comm.rank == 0:
        from timing import machine
        print(f"# {machine()}; {comm.size} ranks; ms per allreduce, median of {args.rounds} rounds")
        print("| floats | MPI Allreduce ms | minicnn allreduce ms | ratio |\n|---:|---:|---:|---:|")
    for n in (1 << 10, 1 << 14, 1 << 18, 1 << 22, 1 << 24):
        buf = np.ones(n, np.float32)
        reps = max(3, min(200, (1 << 24) // n))
        times = {"mpi": [], "minicnn": []}
        for _ in range(args.rounds):
            for name, fn in (("mpi", lambda: mpi.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)),
                             ("minicnn", lambda: comm.allreduce(buf))):
                mpi.Barrier()
                t = time.perf_counter()
                for _ in range(reps):
                    fn()
                times[name].append((time.perf_counter() - t) / reps)
                buf[...] = 1
        if comm.rank == 0:
            a, b = statistics.median(times["mpi"]), statistics.median(times["minicnn"])
            print(f"| {n:,} | {a * 1e3:.3f} | {b * 1e3:.3f} | {b / a:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
