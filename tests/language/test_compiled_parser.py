"""symgrad.parse runs lark's lexer and LALR loop compiled (lark-cython) and falls back to pure lark:
both give the same Program, spans included, or the same error (type, message, position, hint,
expected tokens, limit) for every text."""

from __future__ import annotations

import sys
import threading

import pytest
from hypothesis import given, settings, strategies as st

import symgrad as sg
from symgrad.language import parser
from symgrad.language.ast import Assign, postorder
from symgrad.language.lalr import compiled_available
from helpers.hostile_corpus import CASES
from helpers.programs import Generator

TEXTS = ["a*b + c", "x^2^3", "-x**2", "--+-x", "e = a*b; d = e + c\nL = d*f", "tanh(x, y)", "f(a,)",
         "a +* b", "(a", "a)", "1.5e3 * pi", "# only a comment", "x = ", "3 x", "2(x)", "(a)(b)", "a;;b",
         "log(exp(x))", "", "  \n; ", "a = 1\n\n  b = a*2", "x @ y", "x[0]", "a < b", "2..3", "é + 1",
         "x\u00a0+ y", "x\u200b", "'s'", "_x", "pi = 3", "tanh = x", "tahn(x)", "max(x)", "y = x; y = 2",
         "a = b; b = 1; a", "x; y", "1e999", "1" * 40, "x" * 70, "a = 1 =", "x = = y", "sigmoid()",
         "(((x)))", "f(g(h(x)))", "x^-y^+z", "exp(x) +\n\n  (y", "2 ^ ^ 3", "x\ty\r\nz", "x = 1;",
         "and = 3", "y = x; not = y", "y = 1 + or", "android = or"]

SMALL = sg.Limits().with_(max_depth=3, max_nodes=6, max_tokens=9, max_name_length=3, max_statements=2,
                          max_literal_length=4)


def outcome(text: str, limits: sg.Limits, compiled: bool):
    """What one parse gives: the Program with every node's span, or the error with all its fields."""
    try:
        program = parser._parse_text(text, limits, compiled)
    except sg.SymgradError as err:
        return type(err), str(err), vars(err)
    spans = [(type(node).__name__, node.span) for stmt in program.statements
             for node in (stmt, *postorder(stmt.expr))]
    return program, program.inputs, spans


def same_both_ways(text: str, limits: sg.Limits = sg.Limits()) -> None:
    assert outcome(text, limits, True) == outcome(text, limits, False), repr(text)


def test_lark_cython_is_installed_and_used():
    # A declared dependency: the default parse runs on it (pure lark only where it cannot install).
    assert compiled_available()
    assert type(parser._parser()[0].parser.lexer).__module__.startswith("lark_cython")
    assert type(parser._parser(compiled=False)[0].parser.lexer).__module__ == "lark.lexer"


@pytest.mark.parametrize("limits", [sg.Limits(), SMALL], ids=["default-limits", "small-limits"])
def test_texts_and_their_errors_are_the_same_both_ways(limits):
    generator = Generator(11)
    texts = TEXTS + [generator.program(i) for i in range(40)]
    for text in texts + [t[: len(t) // 2] for t in texts] + [t[: len(t) * 2 // 3] for t in texts]:
        same_both_ways(text, limits)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_hostile_corpus_is_the_same_both_ways(case):
    same_both_ways(case.source, sg.Limits().with_(**case.limits))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="xyab12.e+-*/^()=,;\n #_\t'[é", max_size=30) | st.sampled_from(TEXTS),
       st.sampled_from([sg.Limits(), SMALL]))
def test_any_text_is_the_same_both_ways(text, limits):
    same_both_ways(text, limits)


def test_without_lark_cython_the_parse_is_pure_lark(monkeypatch):
    monkeypatch.setitem(sys.modules, "lark_cython", None)  # `import lark_cython` now fails
    found = {}

    def fresh_thread():  # the parsers are cached per thread: a new thread builds its own
        lark_parser = parser._parser()[0]
        found["lexer"] = type(lark_parser.parser.lexer).__module__
        found["program"] = sg.parse("h = tanh(w*x + b); h^2")
    thread = threading.Thread(target=fresh_thread)
    thread.start()
    thread.join()
    assert found["lexer"] == "lark.lexer"
    assert found["program"].inputs == ("w", "x", "b")
    assert [s.name for s in found["program"].statements] == ["h", None]
    assert isinstance(found["program"].statements[0], Assign)
