"""Rows at the far ends of their range, where float64 rounding inside a row is amplified, are
judged with float64's own error bound alone (``rtol=0``) and agree: the rows compute them to a
few ulp (``rules.stable.normal_cdf``, ``gauss``, the softmax without ``out``), and the bound's
``Rule.rounding`` counts hold there (``test_rules_rounding``). References: mpmath, 50 digits.

Before these rows were made exact, gelu at x = −30.7 carried 120 ulp (the rounding of −x/√2,
amplified 2z² times by erfc), and logsumexp's slope at 700 carried 130 ulp (out's rounding in
e^(x − out)): ``logsumexp(x, y)`` at (700.1, 690.3) was a false mismatch at rtol=0.
"""

from __future__ import annotations

import mpmath as mp
import pytest

import symgrad as sg

mp.mp.dps = 50


def _gelu_slope(x):
    x = mp.mpf(x)
    return mp.ncdf(x) + x * mp.npdf(x)


def _softmax(xs, i):
    xs = [mp.mpf(v) for v in xs]
    return mp.exp(xs[i]) / mp.fsum(mp.exp(v) for v in xs)


CASES = [
    ("gelu(x)", {"x": -30.7}, {"x": lambda: _gelu_slope(-30.7)}),
    ("gelu(x)", {"x": -12.665652470487771}, {"x": lambda: _gelu_slope(-12.665652470487771)}),
    ("erf(x)", {"x": 24.5}, {"x": lambda: 2 / mp.sqrt(mp.pi) * mp.exp(-mp.mpf(24.5) ** 2)}),
    ("logsumexp(x, y)", {"x": 700.1, "y": 690.3},
     {"x": lambda: _softmax([700.1, 690.3], 0), "y": lambda: _softmax([700.1, 690.3], 1)}),
    ("logsumexp(x, y, z)", {"x": -700.1, "y": -690.3, "z": -695.0},
     {n: (lambda i=i: _softmax([-700.1, -690.3, -695.0], i)) for i, n in enumerate("xyz")}),
]


@pytest.mark.parametrize("program, point, exact", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_far_rows_agree_on_float64s_own_bound(program, point, exact):
    report = sg.check(program, point, rtol=0.0)
    assert [r.verdict for r in report.rows] == ["agree"] * len(point), report
    grads = sg.backprop(program, point).grads
    for name, ref in exact.items():
        want = ref()
        assert abs(grads[name] - want) <= 8 * 2.0 ** -53 * abs(want), (name, grads[name], want)


@pytest.mark.parametrize("x", [-38.0, -38.48, -38.5])
def test_a_subnormal_gelu_slope_is_never_a_false_mismatch(x):
    # gelu' = Φ(x) + x·φ(x) is subnormal here: its pieces are rounded to multiples of 2⁻¹⁰⁷⁴, so
    # backprop is a few 2⁻¹⁰⁷⁴ from the exact value (mpmath). The check's bound allows 2⁻¹⁰⁷⁴
    # per rounding of the row (it allowed one before, and called these mismatches).
    want = float(_gelu_slope(x))
    got = sg.backprop("gelu(x)", x=x).grads["x"]
    assert abs(got - want) <= 16 * 2.0 ** -1074
    assert sg.check("gelu(x)", x=x, rtol=0.0).rows[0].verdict == "agree"
    # a gradient 2% off (or 40 subnormal steps) is still caught
    wrong = want + max(0.02 * abs(want), 40 * 2.0 ** -1074)
    assert sg.check("gelu(x)", x=x, grads={"x": wrong}).rows[0].verdict == "mismatch"
