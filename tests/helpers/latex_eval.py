"""A small evaluator for the LaTeX the rule rows print, and each row's 30-digit SymPy reference.

``tex(template, point, out)`` reads a row's template filled with numbers (\\frac, \\sqrt, ^,
\\cdot, \\left( \\right), |.|, cases, named functions; a named operator resolves to the row of
that name or to libm). ``formula(latex, names)`` reads a worksheet's printed formula, whose
letters are the program's names (``names``: LaTeX name -> value). Euler's number is only
``\\mathrm{e}``: an italic ``e`` is a name, and an unknown name is a SyntaxError.
``reference(row, point)`` is the row's SymPy form and partials evaluated at 30 digits on the
exact doubles: an independent reference, not the row's own float forward.
Used by tests/rules/test_latex.py and tests/rules/test_display_text.py.
"""

from __future__ import annotations

import math
import operator
import re

import pytest

from symgrad.rules.table import RULES, calls
from symgrad.rules.stable import sigmoid

_TOKEN = re.compile(r"\\\\|\\[a-zA-Z]+|\\[|,;:!_ ]|[0-9]+\.?[0-9]*(?:e[-+]?[0-9]+)?|[{}()\[\]^_+\-*/<>&|,=]|[a-zA-Z]")
def _ln(x: float, base: float | None = None) -> float:
    """IEEE log: a case not taken may take ln 0 (pow's u^v·ln u at u = 0) = −inf."""
    if x == 0.0:
        return -math.inf
    return math.log(x) if base is None else math.log(x, base)


_FUNCS = {"ln": _ln, "sin": math.sin, "cos": math.cos, "tan": math.tan, "tanh": math.tanh, "sinh": math.sinh,
          "cosh": math.cosh, "arctan": math.atan, "arcsin": math.asin, "arccos": math.acos, "sigma": sigmoid,
          "Phi": lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)), "max": max, "min": min,
          "sign": lambda x: (x > 0) - (x < 0), "arsinh": math.asinh, "artanh": math.atanh, "arcosh": math.acosh,
          "delta": lambda x: 0.0 if x != 0 else math.inf,    # SymPy's DiracDelta, away from 0
          "theta": lambda x: 1.0 if x > 0 else 0.0 if x < 0 else 0.5}  # SymPy's Heaviside, H(0) = 1/2


_RELATIONS = {">": operator.gt, "<": operator.lt, "\\geq": operator.ge, "\\ge": operator.ge, "\\leq": operator.le,
              "\\le": operator.le, "=": operator.eq, "\\neq": operator.ne, "\\ne": operator.ne}


def _div(a: float, b: float) -> float:
    """IEEE division: a case not taken may divide by 0 (hypot's x/out at out = 0)."""
    if b == 0.0:
        return math.nan if a == 0.0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


class _Parser:
    def __init__(self, text: str, names: dict[str, float] | None = None) -> None:
        self.toks = [t for t in _TOKEN.findall(text) if t not in ("\\ ", "\\,", "\\;", "\\:", "\\!")]
        self.i, self.names = 0, names or {}

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want=None):
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise SyntaxError(f"expected {want!r}, got {tok!r} at {self.i} in {self.toks}")
        self.i += 1
        return tok

    def parse(self) -> float:
        value = self.disjunction()
        if self.peek() is not None:
            raise SyntaxError(f"trailing {self.toks[self.i:]}")
        return value

    # conditions (a comparison, and, or, not) read as 1.0 (true) or 0.0 (false), as the rows compute them
    def disjunction(self) -> float:
        value = self.conjunction()
        while self.peek() in ("\\lor", "\\vee"):
            self.take()
            right = self.conjunction()
            value = float(bool(value) or bool(right))
        return value

    def conjunction(self) -> float:
        value = self.negation()
        while self.peek() in ("\\land", "\\wedge"):
            self.take()
            right = self.negation()
            value = float(bool(value) and bool(right))
        return value

    def negation(self) -> float:
        if self.peek() in ("\\lnot", "\\neg"):
            self.take()
            return float(not self.negation())
        left = self.expr()
        if self.peek() in _RELATIONS:
            return float(_RELATIONS[self.take()](left, self.expr()))
        return left

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def _starts_factor(self, tok) -> bool:
        return tok is not None and tok not in ("+", "-", "}", ")", "\\right", "&", "\\\\", "\\end", ",", "]", "/",
                                               "\\cdot", "^", "|", *_RELATIONS, "\\land", "\\lor", "\\wedge", "\\vee")

    def term(self) -> float:
        value = self.factor()
        while True:
            tok = self.peek()
            if tok in ("\\cdot", "/"):
                self.take()
                value = value * self.factor() if tok == "\\cdot" else _div(value, self.factor())
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
        if tok == "\\mathrm":
            word = self.name_group()
            if word != "e":
                raise SyntaxError(f"unknown upright word {word!r}")
            return math.e
        if re.fullmatch(r"[a-zA-Z]", tok) or tok == "\\mathit" \
                or (tok[1:] in _GREEK or tok in self.names) and not (self.peek() == "\\left" and tok[1:] in _FUNCS):
            # \sigma, \delta: a name; \sigma\left(: sigmoid, \delta\left(: SymPy's DiracDelta
            return self.name(tok)
        if tok == "\\pi":
            return math.pi
        if tok == "\\left":
            bracket = self.take()
            value = self.disjunction() if bracket == "(" else self.expr()   # (a ≥ b ∨ c > 0): a grouped condition
            self.take("\\right")
            self.take(")" if bracket == "(" else "|")
            return abs(value) if bracket == "|" else value
        if tok == "\\frac":
            top = self.group()
            return _div(top, self.group())
        if tok == "\\sqrt":
            if self.peek() == "[":
                self.take()
                n = self.expr()
                self.take("]")
                x = self.group()
                return math.copysign(abs(x) ** (1.0 / n), x)
            return math.sqrt(self.group())
        if tok == "\\log":
            if self.peek() != "_":  # SymPy's \log{\left(x \right)}: the natural log
                return _ln(*self.call_args())
            self.take("_")
            base = self.group()
            return _ln(*self.call_args()) / math.log(base)
        if tok == "\\operatorname":
            name = self.name_group()
            args = self.call_args()
            if name in _FUNCS:
                return _FUNCS[name](*args)
            # a call name may have overloads (softplus(x), softplus(x, beta, threshold)): the one that fits
            row = next(r for r in calls(name) or (RULES[name],) if r.accepts(len(args)))
            return row.forward(*args, *row.left_out(len(args)))
        if tok == "\\begin":
            return self.cases()
        if tok.startswith("\\") and tok[1:] in _FUNCS:
            power = None
            if self.peek() == "^":  # SymPy's \tanh^{2}{\left(x \right)}
                self.take()
                power = self.group_or_atom()
            value = _FUNCS[tok[1:]](*self.call_args())
            return value if power is None else value ** power
        raise SyntaxError(f"unknown token {tok!r}")

    def name(self, tok: str) -> float:
        """A program's name as ``latex_name`` prints it: x, e, x_{1}, \\alpha, \\mathit{yhat}."""
        text = tok + "{" + self.name_group() + "}" if tok == "\\mathit" else tok
        if self.peek() == "_":
            self.take()
            text += "_{" + self.name_group() + "}"
        if text not in self.names:
            raise SyntaxError(f"unknown name {text!r} (Euler's number is \\mathrm{{e}})")
        return self.names[text]

    def cases(self) -> float:
        assert self.name_group() == "cases"
        chosen = None
        while True:
            value = self.expr()
            self.take("&")
            word = self.take() and self.name_group() if self.peek() == "\\text" else ""
            if word == "otherwise":
                holds = True
            else:
                assert word in ("", "for", "if"), word  # SymPy writes "1 \text{for}\: x > 0"
                holds = bool(self.disjunction())
            if chosen is None and holds:
                chosen = value
            if self.peek() == "\\end":
                self.take()
                self.name_group()
                return chosen
            self.take("\\\\")


_GREEK = set("alpha beta gamma delta epsilon zeta eta iota kappa lambda mu nu xi rho tau upsilon phi chi psi omega "
             "Gamma Delta Xi Pi Upsilon Psi Omega".split())  # \theta, \sigma, \Phi are functions unless a name


def formula(latex: str, names: dict[str, float]) -> float:
    """A printed formula over the program's names (LaTeX name -> value), e.g. ``e \\cdot \\mathrm{e}^{x}``."""
    return _Parser(latex, names).parse()


def tex(template: str, point, out: float | None = None) -> float:
    args = [rf"\left({v!r}\right)" for v in point]
    return _Parser(template.format(*args, out=rf"\left({out!r}\right)")).parse()


def reference(row, point):
    """(value, partials) of the row's SymPy form at ``point``, exact references (``symgrad.rules.exact``)
    to 30 digits on the exact doubles. A constant argument (powc's exponent) is a number before
    differentiating, as in a program."""
    import sympy as sp
    from symgrad.rules.exact import exact

    def at(e):
        ball = exact(e, syms, point, 30)
        return float("nan") if ball is None else float(ball.mid())

    syms = sp.symbols(f"u0:{len(point)}", real=True)
    form = row.sympy(sp, *syms)
    fixed = form.xreplace({syms[i]: sp.Rational(point[i]) for i in row.constant})
    partials = [None if i in row.constant else at(sp.diff(fixed, s)) for i, s in enumerate(syms)]
    return at(form), partials


def check(latex, dlatex, point, value, partials):
    """``latex`` (one template) and ``dlatex`` (one per argument, None: not shown) at ``point``."""
    if latex is not None:
        assert tex(latex, point) == pytest.approx(value, rel=1e-9, abs=1e-12), latex
    for i, (template, want) in enumerate(zip(dlatex, partials)):
        if template is not None and want is not None:  # a constant exponent's slope is 0 by construction
            assert tex(template, point, value) == pytest.approx(want, rel=1e-9, abs=1e-12), (i, template)
