"""Every row's LaTeX (``latex``, ``dlatex``) evaluates to its forward and local derivative.

A small evaluator for the LaTeX the rows use (\\frac, \\sqrt, ^, \\cdot, \\left( \\right),
|·|, cases, named functions) reads each template filled with numbers, so a wrong template
(a wrong derivative, a swapped argument, a template that does not parse) fails here.
Named operators (\\operatorname{relu}) resolve to the row of that name or to libm.
"""

from __future__ import annotations

import math
import re

import pytest

from symgrad._rule import inside
from symgrad._rules import RULES
from symgrad._stable import sigmoid

_TOKEN = re.compile(r"\\\\|\\[a-zA-Z]+|\\[|,;!_ ]|[0-9]+\.?[0-9]*(?:e[-+]?[0-9]+)?|[{}()\[\]^_+\-*/<>&|,=]|[a-zA-Z]")
_FUNCS = {"ln": math.log, "sin": math.sin, "cos": math.cos, "tan": math.tan, "tanh": math.tanh, "sinh": math.sinh,
          "cosh": math.cosh, "arctan": math.atan, "arcsin": math.asin, "arccos": math.acos, "sigma": sigmoid,
          "Phi": lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)), "max": max, "min": min,
          "sign": lambda x: (x > 0) - (x < 0), "arsinh": math.asinh, "artanh": math.atanh}


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = [t for t in _TOKEN.findall(text) if t not in ("\\ ", "\\,", "\\;", "\\!")]
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want=None):
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise SyntaxError(f"expected {want!r}, got {tok!r} at {self.i} in {self.toks}")
        self.i += 1
        return tok

    def parse(self) -> float:
        value = self.expr()
        if self.peek() is not None:
            raise SyntaxError(f"trailing {self.toks[self.i:]}")
        return value

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def _starts_factor(self, tok) -> bool:
        return tok is not None and tok not in ("+", "-", "}", ")", "\\right", "&", "\\\\", "\\end", ",", "]", "<",
                                               ">", "/", "\\cdot", "^", "|")

    def term(self) -> float:
        value = self.factor()
        while True:
            tok = self.peek()
            if tok in ("\\cdot", "/"):
                self.take()
                value = value * self.factor() if tok == "\\cdot" else value / self.factor()
            elif self._starts_factor(tok):
                value *= self.factor()  # juxtaposition: 2 \pi, {0} \ln 2
            else:
                return value

    def factor(self) -> float:
        if self.peek() == "-":
            self.take()
            return -self.factor()
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return base ** self.group_or_atom()
        return base

    def group(self) -> float:
        self.take("{")
        value = self.expr()
        self.take("}")
        return value

    def group_or_atom(self) -> float:
        return self.group() if self.peek() == "{" else self.atom()

    def name_group(self) -> str:
        self.take("{")
        parts = []
        while self.peek() != "}":
            parts.append(self.take())
        self.take("}")
        return "".join(parts).replace("\\_", "_")

    def call_args(self) -> list[float]:
        if self.peek() != "\\left":
            return [self.factor()]  # \ln 2, \ln {0}
        self.take("\\left")
        self.take("(")
        args = [self.expr()]
        while self.peek() == ",":
            self.take()
            args.append(self.expr())
        self.take("\\right")
        self.take(")")
        return args

    def atom(self) -> float:
        tok = self.take()
        if re.fullmatch(r"[0-9].*", tok):
            return float(tok)
        if tok == "{":
            self.i -= 1
            return self.group()
        if tok == "e":
            return math.e
        if tok == "\\pi":
            return math.pi
        if tok == "\\left":
            bracket = self.take()
            value = self.expr()
            self.take("\\right")
            self.take(")" if bracket == "(" else "|")
            return abs(value) if bracket == "|" else value
        if tok == "\\frac":
            top = self.group()
            return top / self.group()
        if tok == "\\sqrt":
            if self.peek() == "[":
                self.take()
                n = self.expr()
                self.take("]")
                x = self.group()
                return math.copysign(abs(x) ** (1.0 / n), x)
            return math.sqrt(self.group())
        if tok == "\\log":
            self.take("_")
            base = self.group()
            return math.log(*self.call_args()) / math.log(base)
        if tok == "\\operatorname":
            name = self.name_group()
            fn = _FUNCS.get(name) or RULES[name].forward
            return fn(*self.call_args())
        if tok == "\\begin":
            return self.cases()
        if tok.startswith("\\") and tok[1:] in _FUNCS:
            return _FUNCS[tok[1:]](*self.call_args())
        raise SyntaxError(f"unknown token {tok!r}")

    def cases(self) -> float:
        assert self.name_group() == "cases"
        chosen = None
        while True:
            value = self.expr()
            self.take("&")
            if self.peek() == "\\text":
                self.take()
                self.name_group()
                holds = True
            else:
                left = self.expr()
                rel = self.take()
                right = self.expr()
                holds = left > right if rel == ">" else left < right
            if chosen is None and holds:
                chosen = value
            if self.peek() == "\\end":
                self.take()
                self.name_group()
                return chosen
            self.take("\\\\")


def tex(template: str, point, out: float | None = None) -> float:
    args = [rf"\left({v!r}\right)" for v in point]
    return _Parser(template.format(*args, out=rf"\left({out!r}\right)")).parse()


CASES = [pytest.param(row, p, id=f"{name}{p}") for name, row in RULES.items() for p in inside(row)[::5]]


@pytest.mark.parametrize("row, point", CASES)
def test_latex_templates_evaluate_to_the_row(row, point):
    out = row.forward(*point)
    assert tex(row.latex_for(len(point)), point) == pytest.approx(out, rel=1e-9, abs=1e-12)
    local = row.local(*point, out)
    for i in range(len(point)):
        if i in row.constant:
            continue  # a constant exponent's slope is 0 by construction, its dlatex the symbol 0
        assert tex(row.dlatex_for(i, len(point)), point, out) == pytest.approx(local[i], rel=1e-9, abs=1e-12), i
