"""The parser's error messages: lark's exceptions as ParseErrors a newcomer can act on.

``translate`` turns lark's UnexpectedCharacters/UnexpectedToken into a ParseError with line,
column, the expected tokens by human names and a hint (``2x`` → ``2*x``, look-alike Unicode,
brackets, strings); ``unknown_function`` gives the did-you-mean over the rule table's functions.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import lark
from lark import Token

from ..base.errors import ParseError, UnknownFunctionError, describe_char, escape_text
from ..rules.table import FUNCTIONS, RULES

__all__ = ["translate", "unknown_function", "end_position", "KEYWORDS", "keyword_as_name", "COMPARE_HINT"]

COMPARE_HINT = "to compare, write == (a single = assigns a name)"

# The words the grammar reserves: the symbols of the rows spelled as words (and, or, not). The
# lexer reads one as a name where its operator cannot stand (``and = 3``): that is an error.
KEYWORDS = frozenset(r.symbol.strip() for r in RULES.values() if r.symbol.strip().isidentifier())

_TOKEN_NAMES = {
    "NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'", "MINUS": "'-'",
    "TIMES": "'*'", "SLASH": "'/'", "POW": "'**' or '^'", "COMMA": "','", "_SEP": "';' or a new line",
    "EQUAL": "'='", "$END": "the end of the input", "AT": "'@'", "DOT": "'.'", "LSQB": "'['", "RSQB": "']'",
    "EQUAL": "'='", "$END": "the end of the input", "COMPARE": "a comparison (< <= > >= == !=)",
    "AND": "'and'", "OR": "'or'", "NOT": "'not'",
}


# Functions of mathematics (and of NumPy) that are no row, with the spelling that computes them.
REWRITES = {
    "sech": "1/cosh(x)", "csch": "1/sinh(x)", "coth": "1/tanh(x)", "sec": "1/cos(x)", "csc": "1/sin(x)",
    "cot": "1/tan(x)", "arcsin": "asin(x)", "arccos": "acos(x)", "arctan": "atan(x)", "arcsinh": "asinh(x)",
    "arccosh": "acosh(x)", "arctanh": "atanh(x)", "ln1p": "log1p(x)", "power": "x^y", "square": "x^2",
}


def unknown_function(name: Token, source: str) -> UnknownFunctionError:
    """``tahn(x)``: the error for a call of a name that is no function, with the closest names."""
    close = difflib.get_close_matches(str(name), sorted(FUNCTIONS), n=3, cutoff=0.6)
    close.sort(key=lambda c: sorted(c) != sorted(str(name)))  # a transposition (tahn) first: tanh, not tan
    hint = (f"did you mean {close[0]}?" if close else f"known functions: {', '.join(sorted(FUNCTIONS))}")
    rewrite = next(((f, form) for f, form in REWRITES.items() if f == str(name) and f not in FUNCTIONS), None)
    if rewrite:   # a function of mathematics symgrad spells otherwise: say how, never "write sech*(...)"
        hint = f"{name} is not a symgrad function; write {rewrite[1]}"
    elif not close:
        hint += f"; to multiply, write {name}*(...)"
    return UnknownFunctionError(f"unknown function {name}()", source=source, line=name.line,
                                column=name.column, hint=hint)


def keyword_as_name(word: str, source: str, line: int, column: int) -> ParseError:
    """``and = 3``: a keyword where a name stands, located at the keyword."""
    return ParseError(f"the keyword {word} is used as a name", source=source, line=line, column=column,
                      hint=f"`{word}` is a keyword; rename the variable ({', '.join(sorted(KEYWORDS))} are reserved)")


def translate(err: lark.exceptions.UnexpectedInput, source: str) -> ParseError:
    """lark's parse error as a ParseError: position, what was found, the expected tokens, a hint."""
    line, column = err.line, err.column
    if isinstance(err, lark.exceptions.UnexpectedCharacters):
        ch = source[err.pos_in_stream] if 0 <= err.pos_in_stream < len(source) else ""
        return ParseError(f"unexpected character {describe_char(ch)}", source=source, line=line,
                          column=column, hint=_char_hint(ch, source, err.pos_in_stream))
    if isinstance(err, lark.exceptions.UnexpectedToken):
        tok = err.token
        keyword = _keyword_before(tok, source)
        if keyword is not None:
            return keyword
        expected = tuple(sorted({_TOKEN_NAMES.get(t, t.lower()) for t in err.expected}))
        if tok.type == "$END":
            line, column = end_position(source)
            what = "end of the input"
        else:
            kind = {"NAME": "name ", "NUMBER": "number "}.get(tok.type, "")
            what = "new line" if tok == "\n" else f"{kind}'{escape_text(str(tok), 20)}'"
        hint = _token_hint(tok, source) or ("expected " + ", ".join(expected) if expected else None)
        return ParseError(f"unexpected {what}", source=source, line=line, column=column,
                          expected=expected, hint=hint)
    return ParseError(f"cannot parse: {err}", source=source, line=line, column=column)


_ASSIGNED_KEYWORD = re.compile(r"(?:^|[;\n])[ \t]*(" + "|".join(sorted(KEYWORDS)) + r")[ \t]*$")


def _keyword_before(tok: Token, source: str) -> ParseError | None:
    """``not = 3``: the lexer read a keyword where a statement starts, and then '=' cannot follow."""
    if tok.type != "EQUAL":
        return None
    m = _ASSIGNED_KEYWORD.search(source[:tok.start_pos])
    if m is None:
        return None
    start = m.start(1)
    line = source.count("\n", 0, start) + 1
    return keyword_as_name(m.group(1), source, line, start - (source.rfind("\n", 0, start) + 1) + 1)


def end_position(source: str) -> tuple[int, int]:
    """(line, column) just past the last character: where an unfinished program ends."""
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1


def _char_hint(ch: str, source: str, pos: int) -> str:
    category = unicodedata.category(ch) if ch else ""
    if ch == "_" and pos > 0 and source[pos - 1] == ".":
        return "attribute access is only .T, .shape[d], .values and methods such as x.sum(1)"
    if ch == "_":
        return "names start with an ASCII letter (no leading underscore)"
    if ch in "'\"`":
        return "strings are not part of the language"
    if ch in "{}":
        return "only round parentheses ( ) group expressions"
    if category == "Nd":
        return "write digits as ASCII 0-9"
    if category.startswith("L"):
        return "names use ASCII letters, digits and _ only; this letter is from another script"
    if category.startswith("C") or category == "Zs":
        return "remove the invisible or control character"
    return "operators are + - * / and ** or ^; see the language reference in the README"


def _token_hint(tok: Token, source: str) -> str | None:
    before = source[:tok.start_pos].rstrip(" \t")
    number = re.search(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$", before)
    if tok.type in ("NAME", "LPAR") and (number or before.endswith(")")):
        left = number.group(0) if number else "(…)"
        right = str(tok) if tok.type == "NAME" else "(…)"
        return f"write {left}*{right}: multiplication needs an explicit *"
    if tok.type in ("NAME", "NUMBER") and re.search(r"[A-Za-z0-9_]$", before):
        return "an operator is missing between two terms"
    statement = re.split(r"[;\n]", before)[-1]
    if tok.type == "EQUAL" and (statement.count("(") > statement.count(")") or "=" in statement):
        return COMPARE_HINT
    if tok.type == "COMPARE" and re.search(r"(<=?|>=?|==|!=)[^<>=!]*$", statement):
        return "a comparison does not chain: write a < b and b < c"
    if tok.type == "EQUAL":
        return "assign with name = expression, one assignment per statement"
    if tok.type == "$END":
        return "the expression is incomplete"
    return None
