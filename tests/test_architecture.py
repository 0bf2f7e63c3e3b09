"""The house has one direction: every import inside symgrad goes to its own layer or below.

The layers, bottom to top, are docs/architecture.md's ("Layers"); LAYER_OF mirrors its table.
Every module under symgrad/ is read with ``ast`` (module-level and function-level imports,
relative and absolute), so a lazy ``from ._cli import …`` inside a function counts as much as one
at the top. A module missing from the map fails, so a new module has to be placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import symgrad

PACKAGE = Path(symgrad.__file__).parent

# layer name -> height. check and nn are siblings: the same height, and neither imports the other.
LAYERS = {"ground": 0, "rules": 1, "language": 2, "engine": 3, "check": 4, "nn": 4, "teaching": 5,
          "interface": 6, "package": 7}

_PLACES = {
    "ground": "_errors _limits _files _version",
    "rules": "_stable _rule _rule_proofs _rule_display _rules",
    "language": "_ast _parser _parse_limits _parse_errors _printing",
    "engine": "_engine _lower _backprop _codegen_plan _codegen_emit _codegen _codegen_check _compiled _fdtape _register",
    "check": "_check _points _symbolic _report _reference _arb _forms _judge _roundoff _witness _lowered _claims "
             "_claim_explain",
    "nn": "nn _train _datasets _expression _training_plots",
    "teaching": "_worksheet _worksheet_model _sheets _renderers _exercises _draw _slope_plot _display _closed_form "
                "_answer_key _grading _nbgrader",
    "interface": "_cli _cli_io _cli_check _cli_see _cli_grade _cli_train _serve _serve.app _serve.guards _serve.model "
                 "__main__",
    "package": "symgrad",
}
LAYER_OF = {name: layer for layer, names in _PLACES.items() for name in names.split()}


def module_files() -> dict[str, Path]:
    """Every module, by its name inside the package: '_cli', '_serve.app', 'symgrad' for __init__."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts) or "symgrad"] = path
    return out


def _module(dotted: str, modules: dict[str, Path]) -> str | None:
    """'symgrad._serve.model' -> '_serve.model'; 'symgrad' -> 'symgrad'; outside the package -> None."""
    if dotted == "symgrad":
        return "symgrad"
    if not dotted.startswith("symgrad."):
        return None
    name = dotted[len("symgrad."):]
    while name and name not in modules:  # symgrad._cli.main (an attribute path) -> _cli
        name = name.rpartition(".")[0]
    return name or "symgrad"


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports, anywhere in its file. ``from . import x``
    imports the module ``x`` when there is one, else the package (``from . import __version__``)."""
    is_package = path.name == "__init__.py"
    here = ["symgrad"] + ([] if name == "symgrad" else name.split("."))
    if not is_package:
        here = here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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
            targets = [node.args[0].value]  # __import__("symgrad._serve") and importlib count too
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


def test_every_module_has_a_layer(graph):
    missing = sorted(set(graph) - set(LAYER_OF))
    assert not missing, f"place these modules in LAYER_OF and docs/architecture.md: {missing}"
    stale = sorted(set(LAYER_OF) - set(graph))
    assert not stale, f"LAYER_OF names modules that do not exist: {stale}"


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports to a higher layer."""
    return [f"{m} ({LAYER_OF[m]}) imports {t} ({LAYER_OF[t]})" for m, targets in sorted(graph.items())
            for t in sorted(targets) if LAYERS[LAYER_OF[t]] > LAYERS[LAYER_OF[m]]]


def across(graph: dict[str, set[str]]) -> list[str]:
    """Imports between the sibling layers check and nn."""
    return [f"{m} -> {t}" for m, targets in sorted(graph.items()) for t in sorted(targets)
            if {LAYER_OF[m], LAYER_OF[t]} == {"check", "nn"}]


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
    """Made-up graphs with a circle (through a lazy import, say), an upward import and a
    check -> nn import are caught; the real graph's edges in the right direction are not."""
    made_up = {"_ast": {"_printing"}, "_printing": {"_ast", "_rules"}, "_rules": set(), "_errors": {"_cli"},
               "_cli": {"_errors"}, "_check": {"nn"}, "nn": set()}
    assert [c for c in strongly_connected(made_up) if len(c) > 1] == [["_ast", "_printing"], ["_cli", "_errors"]]
    assert upward(made_up) == ["_errors (ground) imports _cli (interface)"]
    assert across(made_up) == ["_check -> nn"]
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
    modules["_serve.app"].write_text("from . import model\nfrom .. import _a\nimport symgrad._b as b\n")
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
        up = [t for t in sorted(g[n]) if n in LAYER_OF and t in LAYER_OF and LAYERS[LAYER_OF[t]] > LAYERS[LAYER_OF[n]]]
        print(f"{n} [{LAYER_OF.get(n, '?')}] -> {sorted(g[n])}" + (f"  UP: {up}" if up else ""))
