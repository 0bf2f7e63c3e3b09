"""Seed a mistake in one column of one rule row and show that a test fails (mutation testing).

Each mutant is a copy of the ``symgrad`` package with one column of one row rewritten in the
source: of the row itself (``rules/table.py``) or of one of its records (``rules/codegen.py``,
``rules/overrides.py``, ``rules/rounding.py``): a wrong forward, a wrong derivative, a wrong SymPy form (and so a wrong
derived display), a wrong or broken LaTeX override, a wrong derivative override, a wrong
worksheet statement override, a wrong or broken generated-code template, a wrong domain, a
wrong domain as the check sees it (``sympy_domain``), rounding counts claimed too low. The
row's tests (every test whose id names the row, plus import-time
validation) then run against the copy; the mutant must be killed (a test fails).

    python scripts/mutate_rules.py --sample 8 --seed 0     # 8 random (row, column) pairs
    python scripts/mutate_rules.py --row tanh               # every column of one row
    python scripts/mutate_rules.py --all                    # everything (about 40 minutes)
    python scripts/mutate_rules.py --all --column dlatex    # every derivative-template override

Each selected row's tests first run on an unmutated copy, which must pass (exit status 2
otherwise). Exit status 1 if a mutant survives.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "symgrad" / "rules" / "table.py"
# Where each column lives: the row, or the record of one concern (``symgrad/rules/records.py``).
FILES = {"table": RULES, "codegen": RULES.with_name("codegen.py"), "overrides": RULES.with_name("overrides.py"),
         "rounding": RULES.with_name("rounding.py")}
TESTS = ["tests/rules/test_table_references.py", "tests/rules/test_latex.py", "tests/rules/test_display_text.py",
         "tests/engine/codegen/test_batch_rows.py", "tests/rules/test_local_derivatives.py", "tests/nn/test_gradients.py",
         "tests/rules/test_rounding.py"]
# The tests of a row are those whose id names it; the neuron's fused row is tested by that name too.
SELECT = {"wsum": "wsum or weighted_sum"}

# column -> (file, where: positional index, keyword or None for the whole record, how to rewrite
# the source text of its value)
MUTATIONS = {
    "forward": ("table", 2, "(lambda *_a: 1.25 * ({})(*_a) + 0.125)"),
    "local": ("table", 3, "(lambda *_a: tuple(1.25 * _d + 0.125 for _d in ({})(*_a)))"),
    "sympy": ("table", 4, "(lambda sp, *_a: 2 * ({})(sp, *_a))"),
    # The LaTeX columns are overrides (most rows derive them from the SymPy form, which the
    # "sympy" mutation covers): a row without one has no such mutant.
    "latex-wrong": ("overrides", "latex", '"1 + " + {}'),
    "latex-broken": ("overrides", "latex", '{} + "}}"'),
    "dlatex-wrong": ("overrides", "dlatex", '(lambda _t: tuple("1 + " + _s if _s else _s for _s in _t))({})'),
    "text-wrong": ("overrides", "text", '{}.replace(" = ", " = 2·", 1)'),
    "py-wrong": ("codegen", "py", '(lambda _t: (_t[0], "(" + _t[1] + ") * 1.25 + 0.125") + _t[2:])({})'),
    "py-broken": ("codegen", "py", '(lambda _t: (_t[0] + " +",) + _t[1:])({})'),
    "np-wrong": ("codegen", "np", '(lambda _t: (_t[0], "(" + _t[1] + ") * 1.25 + 0.125") + _t[2:])({})'),
    "np-broken": ("codegen", "np", '(lambda _t: (_t[0] + " +",) + _t[1:])({})'),
    "domain-wide": ("table", "domain", "(lambda *_a: True)"),
    "domain-narrow": ("table", "domain", "(lambda *_a: _a[0] > 0.5)"),
    # the check's columns: a domain SymPy sees as everywhere; rounding counts claimed 8× too low
    "sympy-domain-wide": ("table", "sympy_domain", "(lambda sp, *_a: sp.true)"),
    "rounding-low": ("rounding", None, "Rounding(*(_k // 8 for _k in {}))"),
}
INSERTED = {"domain-narrow": "domain=(lambda *_a: _a[0] > 0.5)"}  # a row without the column gets one


def sources() -> dict[str, str]:
    """The source of every file a column lives in, by its key in FILES."""
    return {key: path.read_text() for key, path in FILES.items()}


def rows(source: str) -> dict[str, ast.Call]:
    """Each ``Rule("name", …)`` call of the table, or each ``"name": Record(…)`` entry of a
    record table, by the row's name."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Rule" and node.args \
                and isinstance(node.args[0], ast.Constant):
            found[node.args[0].value] = node
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Call):
                    found[key.value] = value
    return found


def _segment(source: str, call: ast.Call, where) -> ast.AST | None:
    if where is None:
        return call
    if isinstance(where, int):
        return call.args[where] if where < len(call.args) else None
    return next((k.value for k in call.keywords if k.arg == where), None)


def mutate(texts: dict[str, str], name: str, column: str) -> tuple[str, str] | None:
    """(file key, its source with ``name``'s ``column`` rewritten), or None if the row has no such column."""
    key, where, template = MUTATIONS[column]
    source = texts[key]
    call = rows(source).get(name)
    if call is None:
        return None
    node = _segment(source, call, where)
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode()))
    data = source.encode()
    if node is None:
        if column not in INSERTED:
            return None
        # a row without the column gets one: insert the keyword before the call's closing parenthesis
        end = offsets[call.end_lineno - 1] + call.end_col_offset - 1
        return key, (data[:end] + f", {INSERTED[column]}".encode() + data[end:]).decode()
    start = offsets[node.lineno - 1] + node.col_offset
    end = offsets[node.end_lineno - 1] + node.end_col_offset
    original = data[start:end].decode()
    if column == "rounding-low" and not any(k // 8 != k for k in ast.literal_eval(original[len("Rounding"):])):
        return None  # all counts 0 (neg, relu, abs, id): nothing lower to claim
    return key, (data[:start] + template.format(original).encode() + data[end:]).decode()


def population(texts: dict[str, str]) -> list[tuple[str, str]]:
    pairs = []
    for name in rows(texts["table"]):
        for column in MUTATIONS:
            if name in ("wsum", "id") and column.startswith(("latex", "dlatex", "sympy", "text")):
                continue  # internal rows: their printing is the nn's, tested there
            if mutate(texts, name, column) is not None:
                pairs.append((name, column))
    return pairs


def run(name: str, column: str, texts: dict[str, str], timeout: float) -> tuple[bool, str]:
    """(killed, by what) for one mutant."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "symgrad", Path(tmp) / "symgrad", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "grammar", Path(tmp) / "grammar")
        if column != "baseline":
            key, mutant = mutate(texts, name, column)
            (Path(tmp) / "symgrad" / "rules" / FILES[key].name).write_text(mutant)
        env = {**os.environ, "PYTHONPATH": tmp, "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
               "-k", SELECT.get(name, name), *[str(ROOT / t) for t in TESTS]]  # every test whose id names the row (log: log2's too)
        try:
            # cwd is the copy: `python -m` puts it first on sys.path, so the mutant is what imports
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return True, "timeout"
        out = proc.stdout + proc.stderr
        if proc.returncode == 0:
            return False, "all tests pass"
        if proc.returncode == 5:  # no test selected: the row is only covered by import-time checks
            return False, "no test selected"
        for line in out.splitlines():
            if line.startswith(("FAILED", "ERROR")):
                return True, line[:160]
        for line in out.splitlines():
            if "RowError" in line:
                return True, line.strip()[:160]
        return True, out.strip().splitlines()[-1][:160] if out.strip() else f"exit {proc.returncode}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=8, help="number of random (row, column) mutants")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--row", help="every column of this row")
    ap.add_argument("--all", action="store_true", help="every row and column")
    ap.add_argument("--column", help="only the mutants whose column starts with this (latex: the LaTeX overrides)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    args = ap.parse_args(argv)
    texts = sources()
    pairs = [p for p in population(texts) if p[1].startswith(args.column or "")]
    if args.row:
        pairs = [p for p in pairs if p[0] == args.row]
    elif not args.all:
        pairs = random.Random(args.seed).sample(pairs, min(args.sample, len(pairs)))
    # The unmutated copy must pass the same selection, or a "kill" would prove nothing.
    for name in sorted({name for name, _ in pairs}):
        clean, why = run(name, "baseline", texts, args.timeout)
        if clean:
            print(f"baseline fails for {name}: {why}")
            return 2
    survivors = 0
    for name, column in pairs:
        killed, why = run(name, column, texts, args.timeout)
        survivors += not killed
        print(f"{'killed  ' if killed else 'SURVIVED'} {name:<12} {column:<14} {why}", flush=True)
    print(f"{len(pairs) - survivors} of {len(pairs)} mutants killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
