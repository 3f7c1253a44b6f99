"""Run walkthroughs without a browser: each notebook top to bottom in a fresh kernel, its cells and
their printed output shown in the terminal, its figures written as PNG files.

    .venv/bin/python notebooks/run.py 04_pooling                 # from the repository root
    .venv/bin/python notebooks/run.py 01 03 --figures /tmp/figs   # names may be cut short
    .venv/bin/python notebooks/run.py --all

Needs the test extra's nbclient, nbformat and ipykernel (the README's test command installs them).
"""
import argparse
import base64
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def run(path, figures):
    import nbclient
    import nbformat
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=None, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE)}}).execute()
    print(f"\n{'=' * 30} {path.stem} {'=' * 30}")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            print(f"\n{cell.source}")
            continue
        print("\n" + "\n".join(f">>> {line}" if n == 0 else f"... {line}"
                               for n, line in enumerate(cell.source.splitlines())))
        for k, out in enumerate(cell.get("outputs", [])):
            if out.output_type == "stream":
                print(out.text, end="")
            elif "text/plain" in out.get("data", {}) and "image/png" not in out.get("data", {}):
                print(out["data"]["text/plain"])
            if "image/png" in out.get("data", {}):
                os.makedirs(figures, exist_ok=True)
                png = os.path.join(figures, f"{path.stem}-cell{i}-{k}.png")
                with open(png, "wb") as f:
                    f.write(base64.b64decode(out["data"]["image/png"]))
                print(f"[figure written to {png}]")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="notebooks by name or its start (04, 04_pooling)")
    ap.add_argument("--all", action="store_true", help="every notebook, in order")
    ap.add_argument("--figures", default="notebook-figures", help="folder for the figures (default: %(default)s)")
    args = ap.parse_args(argv)
    notebooks = sorted(HERE.glob("*.ipynb"))
    chosen = notebooks if args.all else []
    for name in args.names:
        found = [p for p in notebooks if p.stem.startswith(name)]
        if len(found) != 1:
            ap.error(f"{name!r} names {'no' if not found else 'more than one'} notebook; choose from: "
                     + ", ".join(p.stem for p in notebooks))
        chosen += found
    if not chosen:
        ap.error("name a notebook, or pass --all; choose from: " + ", ".join(p.stem for p in notebooks))
    for path in chosen:
        run(path, args.figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
