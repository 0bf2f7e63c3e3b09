"""What `symgrad eval` and `symgrad grad` import, pinned: the parser and the engine, never SymPy,
numpy, matplotlib, jinja2, Graphviz or the web stack (each command loads only what it needs)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sympy", "numpy", "matplotlib", "jinja2", "graphviz", "flint", "mpmath", "starlette", "uvicorn")

# The symgrad modules a scalar eval or grad needs: the CLI's ground floor, the base layer, the
# parser with its grammar guards, stored tables, conditions and the tensor forms' names (no numpy),
# the rule rows with their records, and the scalar engine with its point reader.
EVAL_MODULES = sorted("""
symgrad symgrad.base symgrad.base.display_hooks symgrad.base.errors symgrad.base.limits
symgrad.base.validate symgrad.base.version
symgrad.engine symgrad.engine.backprop symgrad.engine.lower symgrad.engine.nonfinite symgrad.engine.point
symgrad.engine.value
symgrad.interface symgrad.interface.cli symgrad.interface.cli.io symgrad.interface.cli.main
symgrad.language symgrad.language.ast symgrad.language.bounds symgrad.language.conditions
symgrad.language.diagnostics symgrad.language.lalr symgrad.language.names symgrad.language.parser
symgrad.language.printing symgrad.language.tables symgrad.language.tensor_syntax
symgrad.rules symgrad.rules.codegen symgrad.rules.overrides symgrad.rules.piecewise symgrad.rules.proofs
symgrad.rules.records symgrad.rules.rounding symgrad.rules.rule symgrad.rules.stable symgrad.rules.table
symgrad.rules.tensor_signatures
""".split())

PROBE = """
import json, sys
from symgrad.interface.cli.main import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]), file=sys.stderr)
"""


def imported_by(*argv: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    code, modules = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 0, proc.stderr
    return modules


@pytest.mark.parametrize("command", ["eval", "grad"])
def test_a_scalar_command_imports_the_parser_and_the_engine_only(command):
    modules = imported_by(command, "e = a*b; L = tanh(e) + c", "--at", "a=2", "b=-3", "c=10")
    assert sorted(m for m in modules if m.split(".")[0] == "symgrad") == EVAL_MODULES
    assert [m for m in modules if m.split(".")[0] in HEAVY] == []


def test_import_symgrad_loads_no_library_until_a_name_is_used():
    probe = ("import json, sys, symgrad; before = sorted(sys.modules); symgrad.check; "
             "print(json.dumps([before, sorted(sys.modules)]))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    before, after = json.loads(proc.stdout)
    assert [m for m in before if m.split(".")[0] in HEAVY + ("lark",)] == []
    assert "sympy" in after  # symgrad.check is SymPy's: it loads on first use
