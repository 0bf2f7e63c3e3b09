"""Every worksheet statement (``row.text``, derived or overridden) says the SymPy derivative.

A small evaluator for the unicode the statements use (``d(σ(x))/dx = σ(x)·(1 − σ(x))``,
``∂(u^v)/∂u = v·u^(v−1)``, ``1 if x > 0, else 0``, superscripts, √ ∛ |·| σ Φ φ ln sign) reads
each statement's right-hand side at the row's sample points, with the argument it names, and
compares it with the SymPy partial at 30 digits. Prose around the formula (``infinite at
x = 0``, ``(0 at the kink x = 0)``, ``for a constant n``) is set aside. So a wrong text
override fails here, and so does a bug in the derived statements' printer.
"""

from __future__ import annotations

import math
import re
import unicodedata

import pytest

from symgrad.rules.rule import inside
from symgrad.rules.table import INTERNAL, RULES
from symgrad.rules.stable import sigmoid
from helpers.latex_eval import reference

_FUNCS = {"σ": sigmoid, "Φ": lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)),
          "φ": lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi), "ln": math.log, "exp": math.exp,
          "sign": lambda x: float((x > 0) - (x < 0)), "tanh": math.tanh, "sin": math.sin, "cos": math.cos,
          "sinh": math.sinh, "cosh": math.cosh, "erf": math.erf, "tan": math.tan, "arctan": math.atan, "arsinh": math.asinh, "θ": lambda x: 1.0 if x > 0 else 0.0 if x < 0 else 0.5}
_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)?|½|[A-Za-z\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ffᵢ]*|[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ]+|[-+−·/()|^√∛<>≥≤,]")
_SUPER = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ]+")


class _Prose:
    """Recursive descent over one formula; names are bound to numbers in ``env``."""

    def __init__(self, text: str, env: dict[str, float]) -> None:
        self.toks = _TOKEN.findall(text)
        if "".join(self.toks) != re.sub(r"\s+", "", text):
            raise SyntaxError(f"unknown characters in {text!r}")
        self.i, self.env = 0, env

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want=None):
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise SyntaxError(f"expected {want!r}, got {tok!r} in {self.toks}")
        self.i += 1
        return tok

    def done(self, value: float) -> float:
        if self.peek() is not None:
            raise SyntaxError(f"trailing {self.toks[self.i:]}")
        return value

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "−", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.factor()
        while True:
            tok = self.peek()
            if tok in ("·", "/"):
                self.take()
                value = value * self.factor() if tok == "·" else value / self.factor()
            elif tok is not None and tok not in ("+", "−", "-", ")", "|", "<", ">", "≥", "≤", ",", "if", "else"):
                value *= self.factor()  # juxtaposition: 2√x
            else:
                return value

    def factor(self) -> float:
        if self.peek() in ("−", "-"):
            self.take()
            return -self.factor()
        base = self.atom()
        while True:
            tok = self.peek()
            if tok == "^":
                self.take()
                base = base ** self.atom()
            elif tok is not None and _SUPER.fullmatch(tok):
                self.take()  # uⁿ⁻¹: the superscript is an expression of its own
                base = base ** _Prose(unicodedata.normalize("NFKC", tok), self.env).done_expr()
            else:
                return base

    def done_expr(self) -> float:
        return self.done(self.expr())

    def atom(self) -> float:
        tok = self.take()
        if tok[0].isdigit():
            return float(tok)
        if tok == "½":
            return 0.5
        if tok == "(":
            value = self.expr()
            self.take(")")
            return value
        if tok == "|":
            value = self.expr()
            self.take("|")
            return abs(value)
        if tok in ("√", "∛"):
            x = self.atom()
            return math.sqrt(x) if tok == "√" else math.copysign(abs(x) ** (1 / 3), x)
        if tok in self.env:
            return self.env[tok]
        if tok == "e":
            return math.e
        if tok == "π":
            return math.pi
        if tok in _FUNCS:
            power = self.take() if self.peek() and _SUPER.fullmatch(self.peek()) else None
            value = _FUNCS[tok](self.atom())  # σ(x), ln u
            return value if power is None else value ** _Prose(unicodedata.normalize("NFKC", power), self.env).done_expr()
        raise SyntaxError(f"unknown name {tok!r}")


def piecewise(text: str, env: dict[str, float]) -> float | None:
    """``1 if x > 0, else 0``; ``1 if x > y, 0 if x < y`` (None where no piece holds); a chained
    condition ``1 if 0 < x < 6, else 0``; else one formula."""
    pieces = [p.strip() for p in text.split(", ")] if " if " in text else [text]
    for piece in pieces:
        value, _, cond = piece.removeprefix("else ").partition(" if ")
        if cond:
            parts = re.split(r" ([<>≥≤]) ", cond)
            sides = [_Prose(side, env).done_expr() for side in parts[::2]]
            if not all({"<": a < b, ">": a > b, "≥": a >= b, "≤": a <= b}[op]
                       for a, op, b in zip(sides, parts[1::2], sides[1:])):
                continue
        return _Prose(value, env).done_expr()
    return None


_STATEMENT = re.compile(r"[d∂](?:\(.*?\)|\|\w+\||\w+\(.*?\))/[d∂](\w+) = (.*)")
_PROSE = [r" \((?:[^()]* )?at [^()]*\)$", r", infinite at .*$", r" for a constant \w+$"]


def statements(text: str) -> list[tuple[str, list[str]]]:
    """[(argument, [right-hand sides])] of a row's text: one per ``d…/dx = …``, chained ``= …`` included."""
    text = re.sub(r"^[^:=]*: ", "", text)  # "a new name for a value: d(x)/dx = 1"
    out = []
    for part in re.split(r" and |; ", text):
        for pattern in _PROSE:
            part = re.sub(pattern, "", part)
        m = _STATEMENT.fullmatch(part)
        assert m, f"not a statement: {part!r}"
        out.append((m.group(1), m.group(2).split(" = ")))
    return out


_GREEK = {"alpha": "α", "delta": "δ", "beta": "β"}
# wsum's statement is about the i-th weight and input of a neuron: symgrad.nn prints and tests it.
ROWS = [*RULES.values(), INTERNAL["id"]]
CASES = [pytest.param(row, p, id=f"{row.name}{p}") for row in ROWS for p in inside(row)[::5]]


@pytest.mark.parametrize("row, point", CASES)
def test_the_statement_evaluates_to_the_sympy_partial(row, point):
    value, partials = reference(row, point)
    names = [_GREEK.get(a, a) for a in row.args]
    said = statements(row.text)
    if said[0][0].endswith("ᵢ"):  # logsumexp: ∂/∂xᵢ = e^(xᵢ − logsumexp), for each argument i
        said = [(i, sides) for i in range(len(point)) for _, sides in said]
        envs = {i: {"xᵢ": point[i], row.name: value} for i in range(len(point))}
    else:
        varying = {names[i] for i in range(row.arity) if i not in row.constant}
        # max and min state one argument (the other is symmetric); a row whose every argument is
        # constant by construction (stop_gradient) states the 0 slope of its first
        assert {name for name, _ in said} == (varying or {names[0]}) or row.name in ("max", "min"), row.text
        said = [(names.index(name), sides) for name, sides in said]
        envs = {i: dict(zip(names, point)) for i, _ in said}
    for i, sides in said:
        for side in sides:
            want = 0.0 if i in row.constant else partials[i]    # constant by construction: slope 0
            assert piecewise(side, envs[i]) == pytest.approx(want, rel=1e-9, abs=1e-12), (row.text, side)


def test_the_evaluator_reads_superscripts_and_pieces():
    env = {"u": 2.0, "n": 3.0, "x": -0.5}
    assert _Prose("n·uⁿ⁻¹", env).done_expr() == 12.0
    assert _Prose("1/(2√u)", env).done_expr() == pytest.approx(1 / (2 * math.sqrt(2)))
    assert piecewise("1 if x > 0, else 0", env) == 0.0
    assert _Prose("u^(n−1)·ln u", env).done_expr() == pytest.approx(4 * math.log(2))
    with pytest.raises(SyntaxError):
        _Prose("u ⊕ n", env).done_expr()
