"""The docs site: the README's one command builds it from a clean tree, with every notebook run
(its figures inline) and an API page listing every public name with its docstring."""
import importlib
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import build  # noqa: E402


def test_the_docs_site_builds(tmp_path):
    pytest.importorskip("markdown")
    pytest.importorskip("nbclient")
    out = subprocess.run([sys.executable, "docs/build.py", "--out", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "(0 public names without a docstring)" in out.stdout
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    index = (tmp_path / "index.html").read_text()
    for nb in notebooks:
        assert f"href='{nb.stem}.html'" in index
        assert (tmp_path / f"{nb.stem}.html").exists()
    ran = "Not run when this site was built" not in (tmp_path / "01_autograd.html").read_text()
    assert ran and "data:image/png;base64," in (tmp_path / "01_autograd.html").read_text()
    for name in build.MODULES:
        page = (tmp_path / "api" / f"{name}.html").read_text()
        for public, obj in build.public_names(importlib.import_module(name)):
            assert f"id='{public}'" in page, f"{name}.{public} is missing from its API page"
            if callable(obj):                 # its own: a class does not borrow its base class's
                assert build.own_doc(obj), f"{name}.{public} has no docstring of its own"


def test_every_package_module_is_in_the_reference():
    """A new module under minicnn/ (not private, not a CLI entry) must be added to the API reference."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "minicnn").rglob("*.py")}
    modules = {m.removesuffix(".__init__") for m in modules}
    skipped = {m for m in modules if any(part.startswith("_") for part in m.split(".")[1:])}
    left_out = sorted(modules - skipped - set(build.MODULES) - set(build.LEFT_OUT) - set(build.SHOWN_ON))
    assert not left_out, f"add these to docs/build.py's MODULES (or SHOWN_ON, or LEFT_OUT with a reason): {left_out}"
    for sub, package in build.SHOWN_ON.items():
        shown = {n for n, _ in build.public_names(importlib.import_module(package))}
        mod = importlib.import_module(sub)
        own = {n for n, o in vars(mod).items() if not n.startswith("_") and callable(o)
               and getattr(o, "__module__", None) == sub}
        assert own <= shown, f"{sub}'s {sorted(own - shown)} are on no page: export them from {package}"
