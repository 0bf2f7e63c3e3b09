"""The house has one direction: every import inside symgrad goes to its own layer or below.

The layers, bottom to top, are docs/architecture.md's ("Layers"): each is a folder of the package,
and a module's layer is read from its path.
Every module under symgrad/ is read with ``ast`` (module-level and function-level imports,
relative and absolute), so a lazy ``from ..interface.cli import main`` inside a function counts as much as one
at the top. An import under ``if TYPE_CHECKING:`` never runs, so it is no edge (annotations only).
A module missing from the map fails, so a new module has to be placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import symgrad

PACKAGE = Path(symgrad.__file__).parent

# layer -> height. A module's layer is its folder (``symgrad/gradcheck/judge.py`` is in ``gradcheck``);
# the package's own ``__init__`` and ``__main__`` are the top. gradcheck and nn are siblings: the same
# height, and neither imports the other.
LAYERS = {"base": 0, "rules": 1, "language": 2, "engine": 3, "gradcheck": 4, "nn": 4, "teaching": 5,
          "interface": 6, "package": 7}
TOP = {"symgrad", "__main__"}


def layer_of(module: str) -> str | None:
    """'gradcheck.judge' -> 'gradcheck'; 'symgrad' and '__main__' -> 'package'; a module in no layer -> None."""
    if module in TOP:
        return "package"
    folder = module.split(".")[0]
    return folder if folder in LAYERS and folder != "package" else None


def module_files() -> dict[str, Path]:
    """Every module, by its name inside the package: 'gradcheck.judge', 'interface.serve', 'symgrad' for __init__."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts) or "symgrad"] = path
    return out


def _module(dotted: str, modules: dict[str, Path]) -> str | None:
    """'symgrad.interface.serve.actions' -> 'interface.serve.actions'; 'symgrad' -> 'symgrad'; outside the package -> None."""
    if dotted == "symgrad":
        return "symgrad"
    if not dotted.startswith("symgrad."):
        return None
    name = dotted[len("symgrad."):]
    while name and name not in modules:  # symgrad.interface.cli.main.main (an attribute path) -> interface.cli.main
        name = name.rpartition(".")[0]
    return name or "symgrad"


def _runtime_nodes(tree: ast.AST):
    """Every node of the tree except the bodies of ``if TYPE_CHECKING:`` (they never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            test = getattr(child, "test", None) if isinstance(child, ast.If) else None
            if test is not None and (getattr(test, "id", None) or getattr(test, "attr", None)) == "TYPE_CHECKING":
                stack.extend(child.orelse)
            else:
                stack.append(child)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports, anywhere in its file. ``from . import x``
    imports the module ``x`` when there is one, else the package (``from . import __version__``)."""
    is_package = path.name == "__init__.py"
    here = ["symgrad"] + ([] if name == "symgrad" else name.split("."))
    if not is_package:
        here = here[:-1]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            targets = []
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                targets.append(sub if _module(sub, modules) == sub[len("symgrad."):] else module)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "id", None) == "__import__" or getattr(node.func, "attr", None) == "import_module")):
            targets = [node.args[0].value]  # __import__("symgrad.interface.serve") and importlib count too
        else:
            continue
        for target in targets:
            mod = _module(target, modules)
            if mod is not None and mod != name:
                found.add(mod)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def homeless(graph: dict[str, set[str]]) -> list[str]:
    """Modules outside every layer's folder."""
    return sorted(m for m in graph if layer_of(m) is None)


def test_every_module_has_a_layer(graph):
    missing = homeless(graph)
    assert not missing, f"move these modules into a layer's folder (docs/architecture.md): {missing}"


def test_every_layer_folder_says_what_it_holds_and_may_import():
    for folder in sorted(p for p in PACKAGE.rglob("*") if p.is_dir() and (p / "__init__.py").exists()):
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert "May import" in doc or folder.name in ("nn", "serve"), f"{folder}: its docstring says what it may import"


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports to a higher layer."""
    return [f"{m} ({layer_of(m)}) imports {t} ({layer_of(t)})" for m, targets in sorted(graph.items())
            for t in sorted(targets) if layer_of(m) and layer_of(t) and LAYERS[layer_of(t)] > LAYERS[layer_of(m)]]


def across(graph: dict[str, set[str]]) -> list[str]:
    """Imports between the sibling layers gradcheck and nn."""
    return [f"{m} -> {t}" for m, targets in sorted(graph.items()) for t in sorted(targets)
            if {layer_of(m), layer_of(t)} == {"gradcheck", "nn"}]


def test_no_import_goes_up(graph):
    bad = upward(graph)
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_nothing_inside_imports_the_package(graph):
    bad = sorted(m for m, targets in graph.items() if "symgrad" in targets)
    assert not bad, f"import the module you need, not the symgrad package: {bad}"


def test_check_and_nn_do_not_import_each_other(graph):
    bad = across(graph)
    assert not bad, bad


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components, with an explicit stack (no recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                components.append(sorted(component))
    return components


def test_no_import_cycle(graph):
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert not cycles, f"modules that import each other in a circle: {cycles}"


def test_the_checks_catch_what_they_forbid():
    """Made-up graphs with a circle (through a lazy import, say), an upward import, a gradcheck -> nn
    import and a module in no layer's folder are caught; edges in the right direction are not."""
    made_up = {"language.ast": {"language.printing"}, "language.printing": {"language.ast", "rules.table"},
               "rules.table": set(), "base.errors": {"interface.cli.main"}, "interface.cli.main": {"base.errors"},
               "gradcheck.judge": {"nn.train"}, "nn.train": set(), "helpers": {"base.errors"}}
    assert [c for c in strongly_connected(made_up) if len(c) > 1] == [
        ["base.errors", "interface.cli.main"], ["language.ast", "language.printing"]]
    assert upward(made_up) == ["base.errors (base) imports interface.cli.main (interface)"]
    assert across(made_up) == ["gradcheck.judge -> nn.train"]
    assert homeless(made_up) == ["helpers"]
    long_chain = {f"m{k}": {f"m{k + 1}"} for k in range(5000)} | {"m5000": {"m0"}}  # no recursion limit
    assert [len(c) for c in strongly_connected(long_chain) if len(c) > 1] == [5001]


def test_relative_and_lazy_imports_are_read(tmp_path):
    """A function-level relative import and ``from . import name`` are both edges."""
    modules = {"symgrad": tmp_path / "__init__.py", "_a": tmp_path / "_a.py", "_b": tmp_path / "_b.py",
               "_serve": tmp_path / "_serve" / "__init__.py", "_serve.app": tmp_path / "_serve" / "app.py"}
    (tmp_path / "_serve").mkdir()
    for p in modules.values():
        p.write_text("")
    modules["_a"].write_text("def f():\n    from ._b import g\n    from . import __version__\n")
    modules["_b"].write_text("import importlib\nm = importlib.import_module('symgrad._serve.app')\n")
    modules["_serve.app"].write_text("from . import model\nfrom .. import _a\nimport symgrad._b as b\n"
                                     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import _c\n")
    assert imports_of("_a", modules["_a"], modules) == {"_b", "symgrad"}
    assert imports_of("_b", modules["_b"], modules) == {"_serve.app"}
    assert imports_of("_serve.app", modules["_serve.app"], modules) == {"_serve", "_a", "_b"}


if __name__ == "__main__":  # print the graph: python tests/test_architecture.py
    mods = module_files()
    g = {n: imports_of(n, p, mods) for n, p in mods.items()}
    for c in strongly_connected(g):
        if len(c) > 1:
            print("CYCLE", c)
    for n in sorted(g):
        up = [t for t in upward({n: g[n]})]
        print(f"{n} [{layer_of(n) or '?'}] -> {sorted(g[n])}" + (f"  UP: {up}" if up else ""))
