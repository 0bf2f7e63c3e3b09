"""Mutation testing of the rule table: a seeded mistake in any column of any row fails a test.

scripts/mutate_rules.py rewrites one column of one row in a copy of the package and runs the
row's tests against it; here CI runs it on a small sample (the full run: --all).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import ROOT  # noqa: E402
sys.path.insert(0, str(ROOT / "scripts"))
import mutate_rules  # noqa: E402


def test_every_column_of_the_table_can_be_mutated():
    source = mutate_rules.RULES.read_text()
    pairs = mutate_rules.population(source)
    assert {column for _, column in pairs} == set(mutate_rules.MUTATIONS)
    assert {name for name, _ in pairs} >= set(mutate_rules.rows(source)) - {"wsum", "id"}
    for name, column in pairs[::7]:
        mutant = mutate_rules.mutate(source, name, column)
        assert mutant != source
        compile(mutant, "table.py", "exec")  # the mistake is in the meaning, not the syntax of rules/table.py


@pytest.mark.slow
def test_a_sample_of_mutants_is_killed():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutate_rules.py"), "--sample", "3", "--seed",
                           "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 of 3 mutants killed" in proc.stdout
