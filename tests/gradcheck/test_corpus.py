"""A seeded corpus of generated programs: every rule row and operator, nesting and reuse.

Every program must agree three ways (backprop, SymPy, central finite differences) at
random in-domain points. The golden side is SymPy and finite differences, never symgrad.
"""

import functools

import pytest

import symgrad as sg
from helpers.programs import programs
from symgrad.language.ast import Op, Var, postorder

CORPUS_SIZE = 120
SEED = 20261122


@functools.cache
def corpus() -> tuple[str, ...]:
    return tuple(programs(CORPUS_SIZE, SEED))


def rows_used(text: str) -> set[str]:
    """The rule rows a program uses, with a constant exponent counted as powc."""
    used = set()
    for stmt in sg.parse(text).statements:
        for node in postorder(stmt.expr):
            if isinstance(node, Op):
                constant_exponent = node.rule == "pow" and not any(isinstance(n, Var) for n in postorder(node.args[1]))
                used.add("powc" if constant_exponent else node.rule)
    return used


def test_corpus_is_large_and_covers_every_rule_row():
    programs = corpus()
    assert len(set(programs)) >= 100
    used = set().union(*(rows_used(p) for p in programs))
    assert used == set(sg.RULES), sorted(set(sg.RULES) - used)
    assert sum("\n" in p for p in programs) >= 50          # multi-statement programs
    assert any(p.count("t0") >= 3 for p in programs)       # an intermediate read several times


@pytest.mark.parametrize("index", range(CORPUS_SIZE))
def test_corpus_agrees_three_ways(index):
    text = corpus()[index]
    report = sg.check(text, random=2, seed=index)
    assert report.ok, report.table()
    assert set(report.summary) == {"agree"}, report.table()
    # Every input and named intermediate got a row at every point.
    prog = sg.parse(text)
    assert len(report.rows) == 2 * len(prog.inputs + prog.intermediates)
