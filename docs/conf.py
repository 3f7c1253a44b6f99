"""Sphinx configuration of minicnn's documentation site (the README's docs command builds it).

Why Sphinx with myst-nb and the PyData theme: it is NumPy's and CuPy's convention (a learner who
reads their docs finds the same layout here), myst-nb runs the walkthroughs and caches their
outputs (a rebuild re-runs only a notebook that changed), autodoc reads the docstrings from the
code itself, and the theme gives search, previous/next and a navigation that does not overlap.

The source folder is the repository root, narrowed by include_patterns to docs/ and notebooks/: the notebooks then run in their own folder, next to the exercises they import.
Each API page (docs/api/<module>.md) is written at the start of a build from docs/reference.py,
one entry per public name; a public name without a docstring of its own ends the build.
"""
import os
import pathlib
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS))

import reference  # noqa: E402

project = "minicnn"
author = "minicnn's developers"
copyright = "2026, minicnn's developers"  # noqa: A001  (Sphinx's name)

extensions = ["myst_nb", "sphinx.ext.autodoc"]
root_doc = "docs/index"
include_patterns = ["docs/index.md", "docs/api/*.rst", "docs/api.md", "notebooks/*.ipynb"]
exclude_patterns = ["docs/_build", ".venv", "**/.ipynb_checkpoints"]

html_theme = "pydata_sphinx_theme"
html_title = "minicnn"
html_theme_options = {"show_prev_next": True, "navigation_with_keys": False, "header_links_before_dropdown": 2,
                      "secondary_sidebar_items": ["page-toc"]}
html_sidebars = {"**": ["sidebar-nav-bs"]}

# the notebooks are run once and their outputs cached; a changed notebook runs again
nb_execution_mode = "cache"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = -1                 # no time limit: a busy machine is slow, not wrong
nb_execution_raise_on_error = True        # a broken walkthrough fails the build
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

FASHION = [pathlib.Path("/usr/share/datasets/fashion-mnist"),
           pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "minicnn" / "fashion-mnist"]
if not any(p.exists() for p in FASHION):  # 07 and 08 read Fashion-MNIST: shown without outputs where it is missing
    nb_execution_excludepatterns = ["notebooks/07_*", "notebooks/08_*"]

linkcheck_ignore = [r"https?://"]          # no network in CI: the site's own links and anchors are checked
highlight_language = "text"               # docstrings are prose and formulas, not Python
autodoc_preserve_defaults = True          # signatures show `loss=F.cross_entropy`, not a function's repr
autodoc_member_order = "bysource"


def literal_docstring(app, what, name, obj, options, lines):
    """Show every docstring as written: minicnn's lay shapes and formulas out in columns, which
    reStructuredText would reflow (or warn about)."""
    if lines:
        lines[:] = ["::", ""] + ["   " + line for line in lines] + [""]


def api_pages(app):
    """docs/api/<module>.rst for every module of the reference, and docs/api.md listing them; the
    build stops here when a public name has no docstring of its own."""
    import importlib
    folder = DOCS / "api"
    folder.mkdir(exist_ok=True)
    missing = []
    for module_name in reference.MODULES:
        module = importlib.import_module(module_name)
        lines = [module_name, "=" * len(module_name), "", f".. py:module:: {module_name}", "   :no-index:", ""]
        doc = reference.own_doc(module)
        if doc:
            lines += [".. code-block:: text", ""] + ["   " + line for line in doc.splitlines()] + [""]
        if module_name in reference.SEE_ALSO:
            lines += [".. seealso:: " + ", ".join(f":doc:`{m}`" for m in reference.SEE_ALSO[module_name]), ""]
        for name, obj in reference.public_names(module):
            if isinstance(obj, type) or callable(obj):
                if not reference.own_doc(obj):
                    missing.append(f"{module_name}.{name}")
                kind = "autoclass" if isinstance(obj, type) else "autofunction"
                lines.append(f".. {kind}:: {module_name}.{name}")
                if isinstance(obj, type) and obj.__module__ == module_name:
                    lines.append("   :members:")
                elif getattr(obj, "__module__", None) in reference.MODULES and obj.__module__ != module_name:
                    lines.append("   :no-index:")          # its own module's page is where links go
            else:
                lines += [f".. py:data:: {module_name}.{name}", "", f"   ``{_short(obj)}``"]
            lines.append("")
        _write(folder / f"{module_name}.rst", "\n".join(lines))
    for stale in folder.glob("*.rst"):                   # a module moved or removed since the last build
        if stale.stem not in reference.MODULES:
            stale.unlink()
    if missing:
        raise RuntimeError(f"{len(missing)} public names have no docstring of their own: {', '.join(missing)}")
    _write(DOCS / "api.md", "# API reference\n\nEvery public name, its signature and its docstring, module by module "
           "(in the README's reading order).\n\n```{toctree}\n:maxdepth: 1\n\n"
           + "\n".join(f"api/{m}" for m in reference.MODULES) + "\n```\n")


def _short(obj):
    text = repr(obj).replace("\n", " ").replace("`", "'")
    return text if len(text) < 80 else text[:77] + "..."


def _write(path, text):
    """Write only when the text changed, so that Sphinx rebuilds only what did."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def setup(app):
    app.connect("builder-inited", api_pages)
    app.connect("autodoc-process-docstring", literal_docstring)
    return {"parallel_read_safe": True}

