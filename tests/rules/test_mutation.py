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


def test_every_column_of_the_table_and_its_records_can_be_mutated():
    texts = mutate_rules.sources()
    pairs = mutate_rules.population(texts)
    assert {column for _, column in pairs} == set(mutate_rules.MUTATIONS)
    assert {name for name, _ in pairs} >= set(mutate_rules.rows(texts["table"])) - {"wsum", "id"}
    # every record file is mutated, and a mutant of a record is a mutant of that file only
    assert {mutate_rules.MUTATIONS[column][0] for _, column in pairs} == set(mutate_rules.FILES)
    for name, column in pairs[::7]:
        key, mutant = mutate_rules.mutate(texts, name, column)
        assert mutant != texts[key]
        compile(mutant, key, "exec")  # the mistake is in the meaning, not the syntax of the file


@pytest.mark.slow
def test_a_sample_of_mutants_is_killed():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutate_rules.py"), "--sample", "3", "--seed",
                           "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 of 3 mutants killed" in proc.stdout
