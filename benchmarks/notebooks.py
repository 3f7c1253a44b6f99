"""How long each walkthrough in notebooks/ takes to run top to bottom, as tests/test_notebooks.py runs it.

The tests put no time limit on a notebook (a busy machine is slow, not wrong); this script is where
their times are measured, for RESULTS.md and the README. Each notebook runs in a fresh kernel ROUNDS
times; the table gives the median and the range, in seconds, kernel start included.

    python benchmarks/notebooks.py                 # every notebook, 1 round
    python benchmarks/notebooks.py --rounds 3 04_pooling 09_conv_algorithms_and_time
"""
import argparse
import os
import pathlib
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from timing import machine  # noqa: E402

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def run_once(path):
    import nbclient
    import nbformat
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=None, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return time.perf_counter() - start


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="notebook names (without .ipynb); all when none")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
        missing = set(args.names) - {p.stem for p in paths}
        if missing:
            ap.error(f"no such notebook: {', '.join(sorted(missing))} (see {NOTEBOOKS})")
    print(f"# {machine()}; {args.rounds} round(s) a notebook, fresh kernel each, seconds")
    print("| notebook | median s | min s | max s |\n|---|---:|---:|---:|")
    total = 0.0
    for path in paths:
        times = [run_once(path) for _ in range(args.rounds)]
        total += statistics.median(times)
        print(f"| {path.stem} | {statistics.median(times):.1f} | {min(times):.1f} | {max(times):.1f} |", flush=True)
    print(f"| all | {total:.1f} | | |")


if __name__ == "__main__":
    main()
