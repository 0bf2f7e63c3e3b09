"""Proofs of a row with SymPy: its form equals its forward and local derivative, the check sees
its domain as the engine does, and its rounding counts (``rounding``) hold.

SymPy is imported inside each function (about 0.3 s the first time), so importing the table
never loads it. A test runs these over every built-in row; ``symgrad.register`` runs them on
each new row. Each raises ``RowError`` naming the row and the point.
"""

from __future__ import annotations

import math
from typing import Any

from .rule import Rule, _fail, _inside, _points, inside

__all__ = ["check_sympy", "check_rounding", "SYMPY_CLASSES"]


SYMPY_CLASSES = ("Add", "Mul", "Pow", "exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin",
                 "acos", "atan", "asinh", "acosh", "atanh", "erf", "Abs", "sign", "Heaviside", "Piecewise",
                 "Max", "Min", "atan2", "sqrt", "Integer", "Rational", "Float", "Pi", "Exp1", "Half", "One",
                 "Zero", "NegativeOne", "ExprCondPair", "StrictGreaterThan", "StrictLessThan", "GreaterThan",
                 "LessThan", "Equality", "Unequality", "And", "Or", "Not", "BooleanTrue", "BooleanFalse", "Symbol",
                 "stop_gradient", "floor", "ceiling", "round")


def check_sympy(row: Rule, digits: int = 30, step: int = 3) -> None:
    """The row's SymPy form is built from SYMPY_CLASSES, equals ``forward`` and its partials
    equal ``local`` at the sample points (``exact`` references, ``digits`` digits on the exact doubles).

    ``step``: every step-th sample point (variadic rows: every longer one too). Raises RowError.
    Imports SymPy (about 0.3 s the first time).
    """
    import sympy as sp
    from .exact import exact

    def ref_at(e: Any, p: tuple[float, ...]) -> float:
        ball = exact(e, syms, p, digits)
        return math.nan if ball is None else float(ball.mid())

    forms: dict[int, tuple] = {}
    points = inside(row)
    for p in points[::step] + [p for p in points if len(p) != row.arity]:
        if len(p) not in forms:
            syms = sp.symbols(f"u0:{len(p)}", real=True)
            expr = row.sympy(sp, *syms)
            for node in sp.preorder_traversal(expr):
                names = {k.__name__ for k in type(node).__mro__}
                if not names.intersection(SYMPY_CLASSES):
                    raise _fail(row, f"its SymPy form uses {type(node).__name__}, outside the evaluator's "
                                f"classes {', '.join(SYMPY_CLASSES)}")
            forms[len(p)] = syms, expr
        syms, expr = forms[len(p)]
        subs = {s: sp.Rational(v) for s, v in zip(syms, p)}
        out = row.forward(*p)
        ref = ref_at(expr, p)
        if not _close(out, ref):
            raise _fail(row, f"forward{p} = {out!r} but its SymPy form gives {ref!r}")
        slopes = row.local(*p, out)
        # A constant argument (the exponent of powc) is a number before differentiating, as in a program.
        fixed = expr.xreplace({syms[i]: subs[syms[i]] for i in row.constant})
        for i, s in enumerate(syms):
            if i in row.constant:
                continue
            ref = ref_at(sp.diff(fixed, s), p)
            if not _close(slopes[i], ref):
                raise _fail(row, f"local{p}[{i}] = {slopes[i]!r} but the SymPy partial gives {ref!r}")
    _check_domain(sp, row)


def _check_domain(sp: Any, row: Rule) -> None:
    """The check must find the row defined exactly where ``domain`` says: ``sympy_domain`` is
    true at every inside sample point and false at every outside one, or, without it, the SymPy
    form is not a real number outside. Otherwise the check would judge where backprop raises."""
    syms = sp.symbols(f"u0:{row.arity}", real=True)
    expr = row.sympy(sp, *syms)
    cond = None if row.sympy_domain is None else row.sympy_domain(sp, *syms)
    points = [p for p in _points(row) if len(p) == row.arity]
    # 0 is where domains end (x/0, log 0, 0**y): probe each point with an argument set to 0 too
    points += [p[:i] + (0.0,) + p[i + 1:] for p in points for i in range(row.arity)]
    for p in dict.fromkeys(points):
        if _inside(row, p):
            if cond is not None and cond.xreplace(dict(zip(syms, map(sp.Rational, p)))) is not sp.true:
                raise _fail(row, f"{p} is inside the domain, but sympy_domain is not true there")
            continue
        subs = {s: sp.Rational(v) for s, v in zip(syms, p)}
        if cond is not None:
            if cond.xreplace(subs) is not sp.false:
                raise _fail(row, f"{p} is outside the domain, but sympy_domain is not false there")
            continue
        # every subexpression, as the check's ball arithmetic meets them: log(a) − log(b) at a = b < 0
        # is undefined there, though SymPy cancels the whole to 0
        parts = [node.xreplace(subs) for node in sp.postorder_traversal(expr)
                 if isinstance(node, sp.Expr) and node.free_symbols]
        if all(v.is_extended_real and v.is_finite for v in parts):
            raise _fail(row, f"{p} is outside the domain, but the SymPy form is the real number "
                        f"{parts[-1]} there: give sympy_domain=, the condition the check evaluates")


def check_rounding(row: Rule) -> None:
    """The row's rounding counts (its ``rounding.Rounding`` record) hold at its sample points, in
    the one model of float64's error (``rounding``, which the check's error bound uses), against
    exact references (``exact``). ``register`` runs this. Raises RowError saying what to declare.
    """
    from .rounding import verify

    for p in inside(row):
        wrong = verify(row, p)
        if wrong:
            raise _fail(row, wrong)


def _close(a: float, b: float, rel: float = 1e-11) -> bool:
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)
