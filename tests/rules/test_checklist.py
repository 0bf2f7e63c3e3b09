"""The checklist of a new row (docs/adding-a-function.md), derived from the table: every row has
every record, every call row a PyTorch name and a box for the generated corpus, and nothing names
a row by hand. A missing piece fails with a message that says what to add and where.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from helpers import ROOT
from helpers.programs import guard
from helpers.torch_names import TORCH
from symgrad.rules import records
from symgrad.rules.rule import Rule, RowError
from symgrad.rules.table import RULES, all_rows

CHECKLIST = (ROOT / "docs" / "adding-a-function.md").read_text()


@pytest.mark.parametrize("row", all_rows(), ids=lambda r: r.name)
def test_every_row_has_every_record(row):
    missing = records.missing(row.name)
    assert not missing, f"{row.name} has no {missing[0].name} record: add it in {missing[0].where}"


def test_no_record_is_left_without_its_row():
    names = {row.name for row in all_rows()}
    for c in records.CONCERNS:
        assert set(c.table) <= names, f"{sorted(set(c.table) - names)} in {c.where} have no row"


@pytest.mark.parametrize("name", [n for n, r in RULES.items() if r.kind == "call"])
def test_every_call_row_has_a_torch_name(name):
    # enforced without torch: the comparison itself runs only where torch is installed
    assert name in TORCH, f'add "{name}": "torch.<its function>" to TORCH in tests/helpers/torch_names.py'
    entry = TORCH[name]
    assert callable(entry) or re.fullmatch(r"torch(\.[a-z_][a-z0-9_]*)+", entry), entry


def test_the_torch_map_names_only_call_rows():
    assert set(TORCH) <= {n for n, r in RULES.items() if r.kind == "call"}


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_row_gets_a_box_in_the_generated_corpus(name):
    center, radius = guard(RULES[name])   # raises naming the row if its samples give none
    assert radius > 0 and len(center) >= RULES[name].arity


def test_the_checklist_names_every_record_and_where_it_lives():
    for c in records.CONCERNS:
        assert c.where in CHECKLIST and c.record.__name__ in CHECKLIST, c.name
    for piece in ("symgrad/rules/table.py", "tests/helpers/torch_names.py", "README.md", "sympy_domain", "samples",
                  "symgrad.register", "tests/rules/test_display_text.py"):
        assert piece in CHECKLIST, piece


def test_readme_lists_every_function_of_the_language():
    readme = (ROOT / "README.md").read_text()
    listed = readme[readme.index("- Functions: `"):readme.index("Constant: `pi`")]
    words = set(re.findall(r"[a-z_0-9]+", listed))
    for name, row in RULES.items():
        if row.kind == "call" and row.overloads:   # listed as its calls: softplus(x, beta) softplus(x, beta, threshold)
            for call in row.signatures():
                assert call in listed, f"add {call} to the list of functions in README.md (the language section)"
        elif row.kind == "call":
            assert name in words, f"add {name} to the list of functions in README.md (the language section)"


def _row(name: str) -> Rule:
    return Rule(name, 1, lambda x: 2.0 * x, lambda x, out: (2.0,), lambda sp, x: 2 * x)


def test_a_row_without_its_codegen_record_says_what_to_add_and_where():
    row = _row("twice")
    records.add("twice", {})
    del records.CODEGEN["twice"]
    try:
        with pytest.raises(RowError) as info:
            records.require(row)
    finally:
        records.remove("twice")
    message = f"{info.value}"
    assert "rule row 'twice' has no codegen record" in message
    assert 'add "twice": Codegen(' in message and "to the CODEGEN table in symgrad/rules/codegen.py" in message
    assert "docs/adding-a-function.md" in message


def test_a_table_row_without_its_records_fails_at_import(tmp_path):
    # a copy of the package with one more row in the table and none of its records
    shutil.copytree(ROOT / "symgrad", tmp_path / "symgrad", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "grammar", tmp_path / "grammar")
    table = tmp_path / "symgrad" / "rules" / "table.py"
    source = table.read_text()
    row = '''    Rule("twice", 1, lambda x: 2.0 * x, lambda x, out: (2.0,),\n         lambda sp, x: 2 * x),\n)\n\nRULES'''
    table.write_text(source.replace(")\n\nRULES", row, 1))
    # `import symgrad` loads the table at the first use of a name that needs it (parse, backprop, ...)
    proc = subprocess.run([sys.executable, "-c", "import symgrad; symgrad.parse"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": ""}, timeout=120)
    assert proc.returncode != 0
    assert "RowError: rule row 'twice' has no codegen record" in proc.stderr, proc.stderr[-2000:]
    assert "symgrad/rules/codegen.py" in proc.stderr
