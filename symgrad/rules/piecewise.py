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

from .stable import sigmoid, softplus, times_exp, two_prod

__all__ = ["truth", "indicator", "where_form", "sinc", "sinc_slope", "stop_gradient_class", "clamp_local",
           "floor", "ceil", "round_half_even", "on_integer", "on_half_integer", "integer_ball", "step_class", "cot_slope",
           "softplus_beta", "softplus_beta_local"]


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


def _integer(n: int, x: float) -> float:
    """n as a float, a zero with x's sign (IEEE's floor, ceil and round: ceil(-0.5) = -0.0, as numpy)."""
    return math.copysign(0.0, x) if n == 0 else float(n)


def floor(x: float) -> float:
    """⌊x⌋ as a float (inf and nan pass, as torch.floor)."""
    return _integer(math.floor(x), x) if math.isfinite(x) else x


def ceil(x: float) -> float:
    """⌈x⌉ as a float (inf and nan pass, as torch.ceil)."""
    return _integer(math.ceil(x), x) if math.isfinite(x) else x


def round_half_even(x: float) -> float:
    """x to the nearest integer, a tie to the even one (torch.round, numpy.round, Python's round)."""
    return _integer(round(x), x) if math.isfinite(x) else x


def cot_slope(x: float) -> float:
    """d cot/dx = −1/sin²x, as −(1/sin x)·(1/sin x): inf, not a ZeroDivisionError, where sin² underflows."""
    c = 1.0 / math.sin(x) if math.sin(x) else math.inf
    return -(c * c)


def _ball(v: Any) -> Any:
    return getattr(v, "x", v)     # an arb, or the check's "may be" wrapper of one (``kinks``)


def on_integer(v: Any) -> bool:
    """Is v an integer (the jumps of floor and ceil)? On a float; on an arb ball: may it be one."""
    if isinstance(v, (int, float)):
        return math.isfinite(v) and v == math.floor(v)
    b = _ball(v)
    return bool(b.overlaps(b.floor()))


def on_half_integer(v: Any) -> bool:
    """Is v an integer plus ½ (the jumps of round)? As ``on_integer``."""
    if isinstance(v, (int, float)):
        return on_integer(v + 0.5) if abs(v) < 2.0 ** 52 else False
    return on_integer(_ball(v) + 0.5)


def integer_ball(name: str, x: Any) -> Any:
    """floor, ceiling or round (half to even) of an arb ball, exact; None where the ball straddles
    the integer it is rounded to (more precision may decide it)."""
    if name == "ceiling":
        n = -(-x).floor()
    elif name == "round":
        y = x + 0.5
        n = y.floor()
        if n.is_exact() and y.is_exact() and y == n and n.unique_fmpz() % 2:
            n = n - 1      # a tie goes to the even integer
    else:
        n = x.floor()
    return n if n.is_exact() else None


@lru_cache(maxsize=None)
def step_class(sp: Any, name: str) -> type:
    """floor, ceiling and round (half to even) as SymPy functions whose derivative is 0 (a step
    function's, away from its jumps; SymPy's own floor leaves Derivative(floor(x), x))."""
    exact = {"floor": math.floor, "ceiling": math.ceil}

    def fdiff(self: Any, argindex: int = 1) -> Any:
        return sp.S.Zero

    def _latex(self: Any, printer: Any) -> str:
        shown = {"ceiling": "ceil"}.get(name, name)
        return rf"\operatorname{{{shown}}}\left({printer._print(self.args[0])}\right)"

    def _eval_evalf(self: Any, prec: int) -> Any:
        r = sp.Rational(self.args[0].evalf(max(prec, 64) + 64))
        if name in exact:
            return sp.Integer(exact[name](r))
        n = math.floor(r + sp.Rational(1, 2))
        return sp.Integer(n - 1 if r + sp.Rational(1, 2) == n and n % 2 else n)

    def _eval_is_real(self: Any) -> bool | None:
        return self.args[0].is_real

    return type(name, (sp.Function,), {"nargs": 1, "fdiff": fdiff, "_latex": _latex,
                                       "_eval_evalf": _eval_evalf, "_eval_is_real": _eval_is_real})


def clamp_local(x: float, lo: float, hi: float, out: float) -> tuple[float, float, float]:
    """Slopes of min(max(x, lo), hi) as torch.clamp: x's is 1 on [lo, hi] (bounds included), lo's
    below lo, hi's above hi; with lo > hi the value is hi everywhere."""
    if lo > hi or x > hi:
        return 0.0, 0.0, 1.0
    return (0.0, 1.0, 0.0) if x < lo else (1.0, 0.0, 0.0)


def _times(b: float, x: float) -> tuple[float, float]:
    """b·x as (p, e): p = fl(b·x) and p + e = b·x exactly (Dekker's product of the mantissas, so
    that it holds at any exponent; e is 0 where p is 0 or not finite, and loses only subnormal bits)."""
    p = b * x
    if p == 0.0 or not math.isfinite(p):
        return p, 0.0
    (mb, eb), (mx, ex) = math.frexp(b), math.frexp(x)
    return p, math.ldexp(two_prod(mb, mx)[1], eb + ex)


def _linear(u: float, e: float, t: float) -> bool:
    """Is the exact b·x = u + e above the threshold? u > t, or u == t rounded down from above."""
    return u > t or (u == t and e > 0.0)


def softplus_beta(x: float, b: float, t: float) -> float:
    """PyTorch's softplus(x, beta, threshold): x where beta·x > threshold, else ln(1 + e^(beta·x))/beta.
    beta·x = u + e exactly (``_times``): softplus(u + e) = softplus(u) + σ(u)·e to within e², so the
    product's rounding is not amplified by e^u (|u|·u relative at u ≪ 0). Below u = −708 the value
    e^u/beta is taken as (1/beta)·e^u without rounding e^u into the subnormal range first."""
    u, e = _times(b, x)
    if _linear(u, e, t):
        return x
    if u < -708.0 and math.isfinite(1.0 / b):
        return times_exp(1.0 / b, u) * (1.0 + e)
    return (softplus(u) + sigmoid(u) * e) / b


def softplus_beta_local(x: float, b: float, t: float, out: float) -> tuple[float, float, float]:
    """Slopes (σ(u), g(u)/beta², 0) with u = beta·x and g(u) = u·σ(u) − softplus(u) in the log branch
    (as −(u·σ(−u) + softplus(−u)) for u > 0: no cancellation); (1, 0, 0) in the linear one. Each is
    corrected for u's rounding e by its derivative in u: σ' = σ(u)·σ(−u), g' = u·σ(u)·σ(−u)."""
    u, e = _times(b, x)
    if _linear(u, e, t):
        return 1.0, 0.0, 0.0
    if u < -708.0:      # σ(u) = e^u and g(u) = (u − 1)·e^u to float64; e^u may be subnormal
        return times_exp(1.0 + e, u), times_exp((u - 1.0) / b, u) * (1.0 + e) / b, 0.0
    if 0.0 < u < 709.0:   # σ(u) = z/(z + 1), z = e^u, as PyTorch's softplus backward computes it
        z = math.exp(u)
        s, r = z / (z + 1.0), 1.0 / (z + 1.0)
    else:
        s, r = sigmoid(u), sigmoid(-u)
    g = -(u * r + softplus(-u)) if u > 0.0 else u * s - softplus(u)
    return s + s * r * e, (g + u * s * r * e) / b / b, 0.0


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
    """d sinc/dx = (cos(πx) − sinc(x))/x; below |x| = 1/8 the series
    π²x·Σₖ₌₁ (−1)^k·2k·(πx)^(2k−2)/(2k+1)!, where the difference cancels (and −π²x/3 does not
    underflow to 0 at x = 1e-300). From |x| = 2^52 on every double is an integer n: cos(πn) = (−1)^n."""
    if abs(x) < 0.125:
        u = (math.pi * x) ** 2
        a, total = -1.0 / 6.0, 0.0
        for k in range(1, _SINC_SERIES):
            total += 2 * k * a
            a *= -u / ((2 * k + 2) * (2 * k + 3))
        return math.pi * math.pi * x * total
    if abs(x) >= 2.0 ** 52:
        c = -1.0 if x % 2.0 == 1.0 else 1.0
    else:
        n = round(x)
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

        def _latex(self, printer: Any) -> str:
            return rf"\operatorname{{stop\_gradient}}\left({printer._print(self.args[0])}\right)"

        def _eval_evalf(self, prec: int) -> Any:
            return self.args[0]._eval_evalf(prec)

        def _eval_is_real(self) -> bool | None:
            return self.args[0].is_real

    return stop_gradient
