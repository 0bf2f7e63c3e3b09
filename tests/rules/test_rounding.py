"""Every row's ``rounding`` counts hold: its float64 forward and local derivative are within
the error the check's bound (``gradcheck.error_bound``) assumes, against 40-digit SymPy references.

A row that claims fewer roundings than its implementation makes would let the check call a
correct gradient a mismatch, or shrink the tolerance it grants a user's gradients; this test
fails on such a claim (and ``scripts/mutate_rules.py`` seeds one).

The model, as in ``gradcheck.error_bound``: |forward(p) − f(p)| ≤ kf·u·|f(p)| (a variadic row: kf·u·n·Σ|terms|)
and |local_i(p, forward(p)) − ∂f/∂x_i(p)| ≤ kl·u·|∂f/∂x_i(p)| + Σ_j |∂²f/∂x_i∂x_j(p)|·ka·u·|p_j|
(ka: arguments computed inside the local derivative), plus float64's underflow 2⁻¹⁰⁷⁴ per rounding.
"""

from __future__ import annotations

import math
import random

import pytest
import sympy as sp

from symgrad.rules.rule import inside
from symgrad.rules.table import all_rows

U = 2.0 ** -53
TINY = 2.0 ** -1074
SLACK = 1.0 + 1e-9  # the bound itself is computed in float64


def _points(row, count: int = 80) -> list[tuple[float, ...]]:
    """The row's own sample points, plus seeded points over several magnitudes in the domain."""
    rng = random.Random(f"rounding:{row.name}")
    found = list(inside(row))
    tries = 0
    while len(found) < len(inside(row)) + count and tries < 20 * count:
        tries += 1
        p = tuple(rng.choice((-1.0, 1.0)) * 10.0 ** rng.uniform(-3.0, 1.4) for _ in range(row.arity))
        if (row.domain is None or row.domain(*p)) and not row.kinked(*p):
            try:
                row.forward(*p)
            except Exception:  # noqa: BLE001 -- overflow at a large sample: not a point to test
                continue
            found.append(p)
    return found


@pytest.mark.parametrize("row", all_rows(), ids=lambda r: r.name)
def test_rounding_counts_hold(row):
    kf, kl, ka = row.rounding
    forms: dict[int, tuple] = {}
    for p in _points(row):
        n = len(p)
        if n not in forms:
            syms = sp.symbols(f"u0:{n}", real=True)
            expr = row.sympy(sp, *syms)
            # powsimp: x**y·y/x is y·x**(y−1), which is finite at x = 0
            firsts = [sp.powsimp(sp.diff(expr, s), force=True) for s in syms]
            forms[n] = syms, expr, firsts, [[sp.diff(d, s) for s in syms] for d in firsts]
        syms, expr, firsts, seconds = forms[n]
        floats = {s: sp.Float(v, 60) for s, v in zip(syms, p)}

        def exact(e) -> sp.Float:
            # the doubles as exact 200-bit Floats: numeric (never builds x**(p/2**48) exactly), and
            # x − x is exactly 0
            return e.xreplace(floats).evalf(40)

        def error(got: float, want: sp.Float) -> float:
            return float(abs(sp.Float(got, 40) - want))   # in 40 digits: the sub-ulp part counts

        out = row.forward(*p)
        f = exact(expr)
        size = abs(float(f))
        if row.variadic:
            size = n * float(expr.xreplace({s: abs(v) for s, v in floats.items()}).evalf(40))
        assert error(out, f) <= (kf * U * size + max(kf, 1) * TINY) * SLACK, \
            f"{row.name}{p}: forward {out!r} vs exact {float(f)!r}: more than {kf} roundings (rounding[0])"
        slopes = row.local(*p, out)
        for i in range(n):
            if i in row.constant:
                continue
            d = exact(firsts[i])
            if d is sp.nan:   # 0·log 0 (d/dy x**y at x = 0): a boundary the check settles by a limit
                continue
            # the spread of the partial over arguments rounded ka times (the generic form, as the check;
            # at a boundary of the form, x**y at x = 0, the check takes exact arguments as no spread)
            # (an integer constant argument is baked into the form: no spread over it)
            terms = [abs(float(exact(seconds[i][j]))) * ka * U * abs(p[j]) for j in range(n)
                     if ka and p[j] and not (j in row.constant and p[j].is_integer())]
            spread = sum(t for t in terms if math.isfinite(t))
            bound = (kl * U * abs(float(d)) + spread + max(kl, 1) * TINY) * SLACK
            assert error(slopes[i], d) <= bound, \
                f"{row.name}{p}: slope {i} is {slopes[i]!r}, exact {float(d)!r}: over rounding[1:] = {(kl, ka)}"
