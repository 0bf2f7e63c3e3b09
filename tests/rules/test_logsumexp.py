"""logsumexp, tried as a user would: many arguments in the check, readable partials.

Before: the row's SymPy form m + ln Σ e^(xᵢ − m) (m = Max of all) grew as n², so
``symgrad.check`` raised CheckError ("over 2000 nodes") from 40 arguments on, and
``symgrad.diff`` gave partials full of Heaviside(xᵢ − Max(…)). References: mpmath at 50 digits.
"""

from __future__ import annotations

import mpmath as mp
import pytest
import sympy as sp

import symgrad as sg

mp.mp.dps = 50


@pytest.mark.parametrize("n", [40, 64])
def test_check_takes_many_arguments(n):
    names = [f"x{i}" for i in range(n)]
    point = {name: 7.5 * i - 200.0 for i, name in enumerate(names)}
    report = sg.check(f"logsumexp({', '.join(names)})", point)
    assert report.ok and report.verified, str(report)
    total = mp.fsum([mp.exp(mp.mpf(v)) for v in point.values()])
    for row in report.rows:
        want = mp.exp(mp.mpf(point[row.name])) / total
        assert row.symbolic == pytest.approx(float(want), rel=1e-15, abs=0)


def test_diff_is_the_softmax():
    got = sg.diff("logsumexp(a, b, c)", "a")
    a, b, c = sp.symbols("a b c", real=True)
    assert not got.has(sp.Heaviside) and not got.has(sp.Max)
    assert sp.simplify(got - sp.exp(a) / (sp.exp(a) + sp.exp(b) + sp.exp(c))) == 0


@pytest.mark.parametrize("point", [{"x": 0.0, "y": 1000.0}, {"x": 1e300, "y": -1e300}, {"x": 1e308, "y": 1e308},
                                   {"x": 700.0, "y": -745.0}, {"x": -1e300, "y": -1e300}])
def test_extreme_spreads_agree(point):
    report = sg.check("logsumexp(x, y, x)", point)
    assert [r.verdict for r in report.rows] == ["agree", "agree"], str(report)
