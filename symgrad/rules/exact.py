"""Exact references: a SymPy form at exact doubles, as an arb ball (python-flint) whose precision
is raised until the ball resolves the value to the digits asked.

One helper for the proofs of the rows (``proofs``, ``rounding``) and for the tests. A fixed
precision is not enough: at 60 digits ln(1 + e^(x)) at x = −1000 is ln 1 = 0, where it is
e^(−1000). A ball says when it has not resolved a value (here [0 ± 1e-60]), so precision is
doubled (from 128 bits up to ``MAX_BITS``) until its relative radius is below 10^(−digits), or its
radius is below 2^(−1200), far under float64's least subnormal (a value that is exactly 0, such as
sin(π), is then known to be 0 for float64). Branches (``Piecewise``, ``Max``, ``Heaviside``) are
decided on the balls, and raise precision the same way while undecided.

SymPy and python-flint are imported here, so importing the table never loads them: only the
proofs and the tests import this module. Reference: Johansson, "Arb: efficient arbitrary-precision
midpoint-radius interval arithmetic", IEEE Trans. Computers 66 (2017).
"""

from __future__ import annotations

import threading
from fractions import Fraction
from typing import Any, Callable, Sequence

import sympy as sp
from flint import arb, ctx, fmpq

from .piecewise import integer_ball

__all__ = ["exact", "known_sign", "Unresolved", "MAX_BITS", "PRECISION_LOCK"]

# flint's working precision (ctx.prec) is process-wide: every code that sets it holds this lock
# (here, and gradcheck's ``with_precision`` and ``reference.LOCK``, which are the same lock).
PRECISION_LOCK = threading.RLock()

MAX_BITS = 1 << 17          # about 39 000 digits: 1 + erf(−200) needs 58 000 bits
_FLOOR = arb(2) ** -1200    # a radius below this settles any float64 question


class Unresolved(ArithmeticError):
    """A branch condition stayed undecided at MAX_BITS (the point sits on it)."""


def exact(expr: Any, symbols: Sequence[Any], point: Sequence[float], digits: int = 40) -> arb | None:
    """``expr`` with ``symbols`` set to the exact doubles ``point``: an arb ball at least ``digits``
    digits accurate (relative), or None where the form is undefined there (log 0, 0·ln 0, a pole).

    Raises Unresolved if a branch of the form cannot be decided at MAX_BITS bits.
    """
    values = [fmpq(*Fraction(v).as_integer_ratio()) for v in point]
    with PRECISION_LOCK:
        return _resolve(expr, symbols, values, digits, point)


def _resolve(expr: Any, symbols: Any, values: list, digits: int, point: Sequence[float]) -> Any:
    bits, old = 128, ctx.prec
    try:
        while True:
            ctx.prec = bits
            try:
                ball = _eval(expr, dict(zip(symbols, (arb(v) for v in values))))
            except _Undecided:
                ball = None
            else:
                if ball is None or not ball.is_finite():
                    return None
                if ball.rad() <= _FLOOR or ball.rel_accuracy_bits() >= digits * 3.33 + 4:
                    return ball
            if bits >= MAX_BITS:
                if ball is None:
                    raise Unresolved(f"{expr} at {tuple(point)}: a branch stays undecided at {bits} bits")
                return ball
            bits *= 2
    finally:
        ctx.prec = old


class _Undecided(Exception):
    """A comparison of balls that overlap: more precision may decide it."""


def _truth(cond: Any, env: dict) -> bool:
    if cond is sp.true or cond is True:
        return True
    if cond is sp.false or cond is False:
        return False
    if isinstance(cond, sp.And):
        return all(_truth(c, env) for c in cond.args)
    if isinstance(cond, sp.Or):
        return any(_truth(c, env) for c in cond.args)
    if isinstance(cond, sp.Not):
        return not _truth(cond.args[0], env)
    a, b = (_eval(x, env) for x in cond.args)
    if a is None or b is None:
        raise _Undecided
    sign = _sign(a - b)
    return {sp.StrictGreaterThan: sign > 0, sp.GreaterThan: sign >= 0, sp.StrictLessThan: sign < 0,
            sp.LessThan: sign <= 0, sp.Equality: sign == 0, sp.Unequality: sign != 0}[type(cond)]


def known_sign(x: arb) -> int | None:
    """1, -1 or 0 when the ball decides it, else None. Zero only for an exact 0."""
    if x > 0:
        return 1
    if x < 0:
        return -1
    if x.is_zero():
        return 0
    return None


def _sign(x: arb) -> int:
    s = known_sign(x)
    if s is None:
        raise _Undecided
    return s


def _pow(b: arb, e: Any, env: dict) -> arb | None:
    if e.is_Integer:
        n = int(e)
        if n < 0 and b.is_zero():
            return None
        return b ** n
    x = _eval(e, env)
    if x is None:
        return None
    if x.is_exact() and x.is_integer():   # an integer exponent given as an argument (powc's 3.0)
        n = int(x.unique_fmpz())
        if n < 0 and b.is_zero():
            return None
        if abs(n) <= 1 << 20 or b.is_zero():
            return b ** n
        return (-1) ** (n % 2) * abs(b) ** x if _sign(b) < 0 else b ** x
    s = _sign(b)
    if s > 0:
        return b ** x
    if s == 0:
        return arb(0) if _sign(x) > 0 else None
    return None   # a negative base with a non-integer exponent is not real


_UNARY: dict[str, Callable[[arb], arb]] = {
    name: getattr(arb, name) for name in ("exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos",
                                          "atan", "asinh", "acosh", "atanh", "erf", "erfc", "sqrt")}
# Where those are defined (open or closed bounds), so that a point outside gives None, not a complex ball.
_DOMAIN: dict[str, Callable[[arb], bool]] = {
    "log": lambda x: _sign(x) > 0, "sqrt": lambda x: _sign(x) >= 0,
    "asin": lambda x: _sign(x - 1) <= 0 and _sign(x + 1) >= 0, "acos": lambda x: _sign(x - 1) <= 0 and _sign(x + 1) >= 0,
    "atanh": lambda x: _sign(x - 1) < 0 and _sign(x + 1) > 0, "acosh": lambda x: _sign(x - 1) >= 0,
}


def _eval(e: Any, env: dict) -> arb | None:
    """The ball of ``e`` (None: undefined there). Recursive: row forms and their partials are small."""
    if e in env:
        return env[e]
    if e.is_Rational:
        p, q = e.as_numer_denom()
        return arb(fmpq(int(p), int(q)))
    if e.is_Float:
        return arb(fmpq(*Fraction(sp.Rational(e)).as_integer_ratio()))
    if e is sp.pi:
        return arb.pi()
    if e is sp.E:
        return arb(1).exp()
    if isinstance(e, sp.Piecewise):
        for value, cond in e.args:
            if _truth(cond, env):
                return _eval(value, env)
        return None
    if isinstance(e, sp.Pow):
        b = _eval(e.base, env)
        return None if b is None else _pow(b, e.exp, env)
    args = [_eval(a, env) for a in e.args]
    if any(a is None for a in args):
        return None
    name = type(e).__name__
    if isinstance(e, sp.Add):
        return sum(args[1:], args[0])
    if isinstance(e, sp.Mul):
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if name in _UNARY:
        if name in _DOMAIN and not _DOMAIN[name](args[0]):
            return None
        return _UNARY[name](args[0])
    if name in ("floor", "ceiling", "round"):
        n = integer_ball(name, args[0])
        if n is None:
            raise _Undecided
        return n
    if name == "stop_gradient":     # its value passes (its derivative is 0 by its form)
        return args[0]
    if name == "Abs":
        return abs(args[0])
    if name == "sign":
        return arb(_sign(args[0]))
    if name == "Heaviside":
        s = _sign(args[0])
        return arb(1) if s > 0 else arb(0) if s < 0 else (args[1] if len(args) > 1 else arb(0.5))
    if name == "DiracDelta":
        return arb(0) if _sign(args[0]) != 0 else None
    if name in ("Max", "Min"):
        best = args[0]
        for a in args[1:]:
            s = _sign(a - best)
            if (s > 0) == (name == "Max") and s != 0:
                best = a
        return best
    if name == "atan2":
        y, x = args
        if _sign(y) == 0 and _sign(x) == 0:
            return None
        return arb.atan2(y, x)
    raise TypeError(f"exact: no ball for {name} (in {e})")
