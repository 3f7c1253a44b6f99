"""minicnn never imports torch, and keeps matplotlib, Pillow and CuPy out of `import minicnn`."""
import subprocess
import sys


def test_import_is_light_and_torch_free():
    code = ("import sys, minicnn, minicnn.models, minicnn.data, minicnn.train, minicnn.pretrained, minicnn.cli; "
            "heavy = [m for m in ('torch', 'matplotlib', 'PIL', 'cupy', 'h5py') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _module_level_imports():
    """{module: the minicnn modules it imports when it is imported} (imports inside functions run later
    and are left out, as Python's own import order leaves them out)."""
    import ast
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent / "minicnn"
    files = {}
    for p in root.rglob("*.py"):
        parts = p.relative_to(root.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph = {}
    for name, p in files.items():
        package = name if p.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        todo = list(ast.parse(p.read_text()).body)
        while todo:
            node = todo.pop()
            if isinstance(node, (ast.If, ast.Try, ast.ClassDef, ast.With)):
                todo += [n for field in ("body", "orelse", "finalbody") for n in getattr(node, field, [])]
                todo += [n for h in getattr(node, "handlers", []) for n in h.body]
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:
                    target = f"{base}.{a.name}"
                    deps.add(target if target in files else base)
        graph[name] = deps & files.keys()
    return graph


def _cycles(graph):
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_beyond_tensor_and_autograd():
    graph = _module_level_imports()
    assert "minicnn.functional.math" in graph["minicnn.functional"]      # the graph sees relative imports
    assert _cycles(graph) == [{"minicnn.tensor", "minicnn.autograd"}]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_tensor_methods_work_when_minicnn_tensor_is_imported_first():
    code = "from minicnn.tensor import Tensor; import numpy as np; print((Tensor(np.ones(2)) * 3).sum().item())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "6.0"
