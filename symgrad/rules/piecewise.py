"""Pieces of the piecewise rows: conditions as SymPy truths, ``where``'s form, ``sinc`` and the
stop-gradient marker.

A condition row (``x > 0``, ``and``) is a number in the engine, 1.0 when true and 0.0 when false,
with slope 0; its SymPy form is the indicator ``Piecewise((1, relation), (0, True))``, so that
``where``'s form reads the relation back (``truth``) and SymPy shows ``Piecewise((a, x > 0), (b,
True))``, not a test of an indicator.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

__all__ = ["truth", "indicator", "where_form", "sinc", "sinc_slope", "stop_gradient_class"]


def truth(sp: Any, c: Any) -> Any:
    """The SymPy condition a condition row's form stands for: the relation inside an indicator
    ``Piecewise((1, r), (0, True))``, else ``c ≠ 0`` (a plain symbol, as the check's forms see it)."""
    if isinstance(c, sp.Piecewise) and len(c.args) == 2 and c.args[0].expr == 1 \
            and c.args[1].expr == 0 and c.args[1].cond == sp.true:
        return c.args[0].cond
    if c is sp.true or c is sp.false:
        return c
    if c.is_Number:
        return sp.true if c != 0 else sp.false
    return sp.Ne(c, 0)


def indicator(sp: Any, condition: Any) -> Any:
    """1 where ``condition`` holds, else 0."""
    return sp.Piecewise((1, condition), (0, True))


def where_form(sp: Any, c: Any, a: Any, b: Any) -> Any:
    """``where(c, a, b)``: a where the condition holds, else b."""
    return sp.Piecewise((a, truth(sp, c)), (b, True))


_SINC_SERIES = 12   # terms of the series below |x| = 1/8: (π/8)^24/25! is far below 2^-53


def _sinpi(x: float) -> float:
    """sin(πx) with x reduced by its nearest integer n first (exact: x − n is exact for |x| < 2^52):
    exactly 0 at every integer, and a few ulp near one, where sin(math.pi * x) is not."""
    if abs(x) >= 2.0 ** 52:
        return 0.0 if x.is_integer() else math.sin(math.pi * x)
    n = round(x)
    r = x - n
    s = math.sin(math.pi * r)
    return -s if n % 2 else s


def sinc(x: float) -> float:
    """PyTorch's normalised sinc: sin(πx)/(πx), 1 at 0; the Taylor series below |x| = 1/8."""
    if abs(x) < 0.125:
        t, term, total = (math.pi * x) ** 2, 1.0, 1.0
        for k in range(1, _SINC_SERIES):
            term *= -t / ((2 * k) * (2 * k + 1))
            total += term
        return total
    return _sinpi(x) / (math.pi * x)


def sinc_slope(x: float) -> float:
    """d sinc/dx = (cos(πx) − sinc(x))/x; the series Σ (−1)^k·2k·π^(2k)·x^(2k−1)/(2k+1)! below
    |x| = 1/8, where the difference cancels."""
    if abs(x) < 0.125:
        t = (math.pi * x) ** 2
        term, total = 1.0, 0.0
        for k in range(1, _SINC_SERIES):
            term *= -t / ((2 * k) * (2 * k + 1))
            total += 2 * k * term
        return total / x if x != 0.0 else 0.0
    n = round(x) if abs(x) < 2.0 ** 52 else 0
    c = math.cos(math.pi * (x - n)) * (-1.0 if n % 2 else 1.0)
    return (c - sinc(x)) / x


@lru_cache(maxsize=None)
def stop_gradient_class(sp: Any) -> type:
    """A SymPy function that is its argument in value and has derivative 0: the form of
    ``stop_gradient`` (made on first use, so that the rules import no SymPy)."""

    class stop_gradient(sp.Function):     # noqa: N801 -- SymPy prints the class name
        nargs = 1

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

        def _eval_is_real(self) -> bool | None:
            return self.args[0].is_real

    return stop_gradient
