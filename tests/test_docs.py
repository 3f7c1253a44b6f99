"""The docs site (Sphinx, myst-nb, the PyData theme; docs/conf.py): the README's command builds it
with warnings as errors, every notebook run with its figures, an API page for every module with an
entry for every public name and its own docstring, search and previous/next; its links hold."""
import importlib
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import reference  # noqa: E402

SPHINX = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-c", "docs"]


def test_the_docs_site_builds_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    out = subprocess.run(SPHINX + ["-b", "html", ".", str(tmp_path / "html")], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    html = tmp_path / "html"
    index = (html / "docs" / "index.html").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = html / "notebooks" / f"{nb.stem}.html"
        assert page.exists() and f"notebooks/{nb.stem}.html" in index
    assert (html / "search.html").exists() and (html / "searchindex.js").exists()
    autograd = (html / "notebooks" / "01_autograd.html").read_text()
    assert "<img" in autograd and "02_im2col.html" in autograd            # a figure, and the next page
    for name in reference.MODULES:
        page = (html / "docs" / "api" / f"{name}.html").read_text()
        for public, obj in reference.public_names(importlib.import_module(name)):
            shown = f'id="{name}.{public}"' in page or f'<span class="pre">{public}</span>' in page   # :no-index: ones
            assert shown, f"{name}.{public} is missing from its API page"
            if callable(obj):                 # its own: a class does not borrow its base class's
                assert reference.own_doc(obj), f"{name}.{public} has no docstring of its own"
    import re
    train = re.sub(r"<[^>]+>", "", (html / "docs" / "api" / "minicnn.train.html").read_text())
    assert "loss=F.cross_entropy" in train and " at 0x" not in train      # signatures as written, no reprs
    links = subprocess.run(SPHINX + ["-b", "linkcheck", ".", str(tmp_path / "links")], cwd=ROOT,
                           capture_output=True, text=True)
    assert links.returncode == 0, links.stdout[-3000:] + links.stderr[-3000:]
    results = [json.loads(line) for line in (tmp_path / "links" / "output.json").read_text().splitlines()]
    assert not [r for r in results if r["status"] == "broken"]


def test_every_package_module_is_in_the_reference():
    """A new module under minicnn/ (not private, not a CLI entry) must be added to the API reference."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "minicnn").rglob("*.py")}
    modules = {m.removesuffix(".__init__") for m in modules}
    skipped = {m for m in modules if any(part.startswith("_") for part in m.split(".")[1:])}
    left_out = sorted(modules - skipped - set(reference.MODULES) - set(reference.LEFT_OUT) - set(reference.SHOWN_ON))
    assert not left_out, f"add these to docs/reference.py's MODULES (or SHOWN_ON, or LEFT_OUT with a reason): {left_out}"
    for sub, package in reference.SHOWN_ON.items():
        shown = {n for n, _ in reference.public_names(importlib.import_module(package))}
        mod = importlib.import_module(sub)
        own = {n for n, o in vars(mod).items() if not n.startswith("_") and callable(o)
               and getattr(o, "__module__", None) == sub}
        assert own <= shown, f"{sub}'s {sorted(own - shown)} are on no page: export them from {package}"


def test_a_public_name_without_its_own_docstring_stops_the_build(tmp_path, monkeypatch):
    """The check at the start of every build (docs/conf.py's api_pages)."""
    pytest.importorskip("sphinx")
    import conf
    import minicnn.nn as nn

    class Undocumented(nn.Module):
        pass
    monkeypatch.setattr(nn, "Undocumented", Undocumented, raising=False)
    Undocumented.__module__ = "minicnn.nn"
    monkeypatch.setattr(conf, "DOCS", tmp_path)
    with pytest.raises(RuntimeError, match=r"1 public names have no docstring of their own: minicnn\.nn\.Undocumented"):
        conf.api_pages(None)


def test_every_pointer_into_results_names_a_section_there():
    """The code cites its measurements as RESULTS.md, "Title": each title must begin a heading of
    benchmarks/RESULTS.md (any level), so that a reader finds it and a reorganization cannot orphan it."""
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parent.parent
    results = (root / "benchmarks" / "RESULTS.md").read_text().splitlines()
    headings = [line.lstrip("#").strip().lower() for line in results if line.startswith(("## ", "### "))]
    files = list((root / "minicnn").rglob("*.py")) + [root / "README.md"]
    cited = {}
    for path in files:
        for m in re.finditer(r'RESULTS\.md[,:]? *"([^"]{2,120})"', path.read_text()):
            title = re.sub(r"\s*\n\s*#?\s*", " ", m.group(1)).strip()           # a title broken over comment lines
            cited.setdefault(title, path.relative_to(root).as_posix())
    assert len(cited) >= 20                                                       # the search finds them
    missing = {t: where for t, where in cited.items() if not any(h.startswith(t.lower()) for h in headings)}
    assert not missing, f"RESULTS.md has no section for: {missing}"
