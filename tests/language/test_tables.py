"""The grammar's stored LALR tables (grammar/symgrad.tables.json): current, parsing exactly as the
grammar analysed afresh, and ignored when they belong to another grammar."""

from __future__ import annotations

import json

import lark
import pytest

from helpers.programs import Generator
from symgrad.language.parser import grammar_path
from symgrad.language.tables import key, lalr, tables_path, write

TEXTS = ["a*b + c", "x^2^3", "-x**2", "e = a*b; d = e + c\nL = d*f", "tanh(x, y)", "f(a,)", "a +* b",
         "(a", "a)", "1.5e3 * pi", "# only a comment", "x = ", "3 x", "a;;b", "log(exp(x))", "",
         "a = 1\n\n  b = a*2", "x @ y", "x[0]", "a < b", "2..3", "é + 1"]


def outcome(parser: lark.Lark, text: str):
    try:
        return "tree", parser.parse(text)
    except lark.exceptions.UnexpectedInput as err:  # the fields the diagnostics read
        return (type(err).__name__, err.line, err.column, sorted(getattr(err, "expected", None) or ()),
                str(getattr(err, "token", "")), getattr(err, "char", None))


def test_the_stored_tables_are_this_grammars():
    stored = json.loads(tables_path(grammar_path()).read_text(encoding="utf-8"))
    assert stored["key"] == key(grammar_path().read_text(encoding="utf-8")), (
        "grammar/symgrad.lark changed: regenerate its tables with `python -m symgrad.language.tables`")


def test_the_stored_tables_parse_as_the_grammar_analysed_afresh():
    stored = lalr(grammar_path())
    assert stored.source_path == "<deserialized>"  # it was loaded, not analysed
    fresh = lark.Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr")
    generator = Generator(7)
    texts = TEXTS + [generator.program(i) for i in range(60)]
    texts += [t[: len(t) // 2] for t in texts]  # cut short: unexpected ends everywhere
    for text in texts:
        assert outcome(stored, text) == outcome(fresh, text), text


@pytest.mark.parametrize("stale", ["not json", '{"key": "another grammar", "data": {}, "memo": {}}', "[1, 2]"])
def test_tables_of_another_grammar_are_ignored(tmp_path, stale):
    grammar = tmp_path / "symgrad.lark"
    grammar.write_text(grammar_path().read_text(encoding="utf-8"), encoding="utf-8")
    tables_path(grammar).write_text(stale, encoding="utf-8")
    parser = lalr(grammar)
    assert parser.source_path != "<deserialized>"
    assert outcome(parser, "a*b + c") == outcome(lark.Lark(grammar.read_text(), parser="lalr"), "a*b + c")
    write(grammar)  # and once written for this grammar, they load
    assert lalr(grammar).source_path == "<deserialized>"
