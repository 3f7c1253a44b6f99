"""Build minicnn's documentation site: the learning path's notebooks, run and rendered with their
figures, and an API reference of every public name, from the docstrings.

    python docs/build.py                       # -> docs/_build/index.html
    python docs/build.py --out site --no-execute

Static HTML in one folder, no server needed: open index.html in a browser. Docstrings are shown
as written (monospaced), since their shapes and formulas are laid out in columns.
"""
import argparse
import html
import importlib
import inspect
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the modules of the API reference, in reading order (the README's learning path)
MODULES = [
    "minicnn", "minicnn.tensor", "minicnn.autograd", "minicnn.ops", "minicnn.functional.math",
    "minicnn.im2col", "minicnn.layout", "minicnn.workspace", "minicnn.functional.conv", "minicnn.functional.conv_algorithms",
    "minicnn.functional.conv_algorithms.reference", "minicnn.functional.conv_algorithms.im2col_channel_first",
    "minicnn.functional.conv_algorithms.im2col_batch_last", "minicnn.functional.conv_algorithms.winograd_f2x3",
    "minicnn.functional.conv_algorithms.winograd_f4x3", "minicnn.functional.conv_algorithms.grouped",
    "minicnn.functional.conv_algorithms.choice", "minicnn.functional.conv_algorithms.common", "minicnn.winograd", "minicnn.functional.pool",
    "minicnn.functional.norm", "minicnn.functional.activation", "minicnn.functional.dropout",
    "minicnn.functional.linear", "minicnn.functional.loss", "minicnn.gradcheck", "minicnn.backend", "minicnn.cpu_tuning", "minicnn.threads",
    "minicnn.cuda", "minicnn.cuda_kernels", "minicnn.nn", "minicnn.nn.init", "minicnn.nn.utils", "minicnn.optim",
    "minicnn.optim.lr_scheduler", "minicnn.data", "minicnn.data.datasets", "minicnn.data.transforms",
    "minicnn.models", "minicnn.train", "minicnn.diagnostics", "minicnn.profiler", "minicnn.plot",
    "minicnn.serialization", "minicnn.environment", "minicnn.pretrained", "minicnn.distributed",
    "minicnn.keras", "minicnn.keras.layers", "minicnn.keras.models", "minicnn.keras.optimizers",
    "minicnn.keras.losses", "minicnn.keras.metrics", "minicnn.keras.callbacks", "minicnn.keras.initializers",
    "minicnn.keras.regularizers", "minicnn.keras.activations", "minicnn.keras.utils", "minicnn.keras.backend",
    "minicnn.keras.saving", "minicnn.keras.preprocessing.image", "minicnn.keras.applications",
    "minicnn.keras.applications.imagenet_utils", "minicnn.keras.datasets", "minicnn.backends.cudnn",
    "minicnn.vision.utils",
]

# modules whose public names appear on their package's page (the name a user imports them by)
SHOWN_ON = {
    "minicnn.data.dataloader": "minicnn.data", "minicnn.data.dataset": "minicnn.data",
    "minicnn.models.alexnet": "minicnn.models", "minicnn.models.features": "minicnn.models",
    "minicnn.models.googlenet": "minicnn.models", "minicnn.models.imagenet": "minicnn.models",
    "minicnn.models.lenet": "minicnn.models", "minicnn.models.resnet": "minicnn.models",
    "minicnn.models.vgg": "minicnn.models", "minicnn.models.keras_apps": "minicnn.models", "minicnn.nn.layers": "minicnn.nn", "minicnn.nn.loss": "minicnn.nn",
    "minicnn.nn.module": "minicnn.nn", "minicnn.optim.adagrad": "minicnn.optim",
    "minicnn.optim.adam": "minicnn.optim", "minicnn.optim.optimizer": "minicnn.optim",
    "minicnn.optim.rmsprop": "minicnn.optim", "minicnn.optim.sgd": "minicnn.optim",
}
# modules without a page of their own, and why
LEFT_OUT = {
    "minicnn.cli": "the command line: `python -m minicnn --help` documents it",
    "minicnn.functional": "a package: its functions are on its modules' pages (functional.conv, ...)",
    "minicnn.nn.functional": "PyTorch's import path for minicnn.functional",
    "minicnn.utils": "PyTorch's import path (torch.utils.data is minicnn.data)",
    "minicnn.utils.data": "PyTorch's import path for minicnn.data",
    "minicnn.vision": "torchvision's import path (transforms, datasets, models of minicnn)",
    "minicnn.vision.datasets": "torchvision's import path for minicnn.data.datasets",
    "minicnn.vision.models": "torchvision's import path for minicnn.models",
    "minicnn.vision.transforms": "torchvision's import path for minicnn.data.transforms",
    "minicnn.nn.summary": "the code behind Module.summary(), which minicnn.nn's page documents",
    "minicnn.data.download": "internal: finding and fetching dataset files (what a missing file's error says to do)",
    "minicnn.backends": "torch.backends' import path: its one module, backends.cudnn, has its page",
    "minicnn.keras.preprocessing": "Keras's TF2-era import path for minicnn.keras.preprocessing.image",
    "minicnn.keras.applications.vgg16": "Keras's per-family module: VGG16 is on minicnn.keras.applications, "
                                        "preprocess_input and decode_predictions on applications.imagenet_utils",
    "minicnn.keras.applications.resnet50": "Keras's per-family module (see minicnn.keras.applications.vgg16)",
    "minicnn.keras.applications.inception_v3": "Keras's per-family module (see minicnn.keras.applications.vgg16)",
    "minicnn.keras.datasets.mnist": "keras.datasets.mnist.load_data(), described on minicnn.keras.datasets",
    "minicnn.keras.datasets.fashion_mnist": "keras.datasets.fashion_mnist.load_data(), described on "
                                            "minicnn.keras.datasets",
    "minicnn.keras.datasets.cifar10": "keras.datasets.cifar10.load_data(), described on minicnn.keras.datasets",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; display: flex; color: #1b1b1b; }
nav { width: 250px; min-height: 100vh; background: #f4f6f8; padding: 1em; box-sizing: border-box; font-size: 14px; }
nav a { display: block; color: #234; text-decoration: none; padding: 1px 0; }
nav h3 { margin: 1em 0 0.3em; font-size: 13px; text-transform: uppercase; color: #667; }
main { max-width: 960px; padding: 1em 2em; flex: 1; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 13px; }
pre.code { background: #eef3fa; border-left: 3px solid #6a8fc7; }
pre.err { background: #fbecec; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; }
h2.name { font-family: monospace; font-size: 16px; border-top: 1px solid #ddd; padding-top: 0.8em; }
img { max-width: 100%; }
"""


def page(title, nav, body):
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} — minicnn</title>"
            f"<style>{STYLE}</style></head><body><nav>{nav}</nav><main>{body}</main></body></html>")


def public_names(module):
    """(name, object) for the public names of a module: __all__ when it has one; else the names not
    starting with "_" that it defines, and for a package (minicnn, minicnn.nn ...) those it gathers
    from its submodules too. minicnn's dtypes (NumPy's types under PyTorch's names) are listed."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    package = hasattr(module, "__path__")
    out = []
    for n in sorted(names, key=str.lower):
        obj = getattr(module, n)
        if inspect.ismodule(obj):
            continue
        home = getattr(obj, "__module__", None) or ""
        if callable(obj):
            ours = home == module.__name__ or (package and home.startswith("minicnn"))
            if not ours and not (module.__name__ in ("minicnn", "minicnn.ops") and isinstance(obj, type)):
                continue
        out.append((n, obj))
    return out


def signature(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""


def own_doc(obj):
    """The object's own docstring, cleaned: a class's from its own body, never its base class's
    (inspect.getdoc would hand nn.MaxPool2d the docstring of Module)."""
    if isinstance(obj, type):
        text = obj.__dict__.get("__doc__")
        return inspect.cleandoc(text) if text else None
    return inspect.getdoc(obj)


def doc(obj):
    text = own_doc(obj)
    return f"<pre>{html.escape(text)}</pre>" if text else "<p><em>(no docstring)</em></p>"


def api_page(module_name):
    """The HTML of one module's page and the number of its public names without a docstring."""
    module = importlib.import_module(module_name)
    parts = [f"<h1>{module_name}</h1>", doc(module)]
    missing = 0
    for name, obj in public_names(module):
        if isinstance(obj, type) or callable(obj):
            kind = "class" if isinstance(obj, type) else "def"
            parts.append(f"<h2 class='name' id='{name}'>{kind} {name}{html.escape(signature(obj))}</h2>")
            parts.append(doc(obj))
            missing += own_doc(obj) is None
            if isinstance(obj, type) and obj.__module__ == module_name:
                for mname, member in sorted(vars(obj).items()):
                    if mname.startswith("_") or not callable(member) or not inspect.getdoc(member):
                        continue
                    parts.append(f"<h3 style='font-family:monospace'>{name}.{mname}"
                                 f"{html.escape(signature(member))}</h3>{doc(member)}")
        else:
            parts.append(f"<h2 class='name' id='{name}'>{name} = {html.escape(repr(obj))[:200]}</h2>")
    return "\n".join(parts), missing


def notebook_page(path, execute):
    """A notebook as HTML: markdown rendered, code and its outputs (text, figures, errors) below."""
    import markdown
    import nbformat
    nb = nbformat.read(path, as_version=4)
    parts = []
    if execute:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        try:
            NotebookClient(nb, timeout=120, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        except CellExecutionError as err:
            if err.ename != "FileNotFoundError":               # a broken notebook fails the build
                raise
            # a dataset this machine lacks: the page says so and shows the code without outputs
            print(f"{path.name}: not run here ({err.evalue.splitlines()[0]})", flush=True)
            nb = nbformat.read(path, as_version=4)
            parts.append(f"<p><em>Not run when this site was built: {html.escape(err.evalue)}</em></p>")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(markdown.markdown(cell.source, extensions=["tables", "fenced_code"]))
            continue
        parts.append(f"<pre class='code'>{html.escape(cell.source)}</pre>")
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(f"<pre>{html.escape(out.text)}</pre>")
            elif out.output_type == "error":
                parts.append(f"<pre class='err'>{html.escape(out.ename + ': ' + out.evalue)}</pre>")
            elif "image/png" in out.get("data", {}):
                parts.append(f"<img src='data:image/png;base64,{out.data['image/png']}'>")
            elif "text/plain" in out.get("data", {}):
                parts.append(f"<pre>{html.escape(out.data['text/plain'])}</pre>")
    title = nb.cells[0].source.splitlines()[0].lstrip("# ") if nb.cells else path.stem
    return title, "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "_build"))
    ap.add_argument("--no-execute", action="store_true", help="render the notebooks without running them")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    (out / "api").mkdir(parents=True, exist_ok=True)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    nav = ("<a href='{r}index.html'><b>minicnn</b></a><h3>Learning path</h3>"
           + "".join(f"<a href='{{r}}{p.stem}.html'>{p.stem.replace('_', ' ')}</a>" for p in notebooks)
           + "<h3>API reference</h3>" + "".join(f"<a href='{{r}}api/{m}.html'>{m}</a>" for m in MODULES))
    start, missing = time.perf_counter(), 0
    for path in notebooks:
        t0 = time.perf_counter()
        title, body = notebook_page(path, execute=not args.no_execute)
        (out / f"{path.stem}.html").write_text(page(title, nav.format(r=""), body))
        print(f"{path.name}: {time.perf_counter() - t0:.1f} s", flush=True)
    for name in MODULES:
        body, m = api_page(name)
        missing += m
        (out / "api" / f"{name}.html").write_text(page(name, nav.format(r="../"), body))
    readme = (ROOT / "README.md").read_text()
    intro = readme.split("\n## ")[0]
    import markdown
    index = (markdown.markdown(intro, extensions=["tables", "fenced_code"])
             + "<h2>The learning path</h2><ol>"
             + "".join(f"<li><a href='{p.stem}.html'>{p.stem[3:].replace('_', ' ')}</a></li>" for p in notebooks)
             + "</ol><h2>API reference</h2><ul>"
             + "".join(f"<li><a href='api/{m}.html'>{m}</a></li>" for m in MODULES) + "</ul>")
    (out / "index.html").write_text(page("minicnn", nav.format(r=""), index))
    print(f"built {out / 'index.html'}: {len(notebooks)} notebooks, {len(MODULES)} API pages "
          f"({missing} public names without a docstring) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
