"""Rows whose float64 slope lost its accuracy at extreme arguments, found by trying to break them.

- ``elu(x, α)``: the slope α·eˣ rounded eˣ into the subnormal range first, so with a large α it
  was wrong in a normal number (α = 1e300 at x = −745: 4.94e-24 for 2.82e-24, as PyTorch's);
- ``silu``: x·σ(x) and its slope multiplied a subnormal σ(x) by |x| ≈ 745 (hundreds of ulps);
- ``atan``: 1/(1 + x²) overflowed x² past 1.3e154 and gave 0 for a representable slope;
- ``log10``: 1/(x·ln 10) overflowed past 7.8e307 and gave 0 for a representable slope;
- ``acosh``: 1/√((x − 1)(x + 1)) overflowed the product past 1.3e154 and gave 0 for a representable slope.

References: mpmath at 50 digits (independent of the rows). Each case runs through backprop,
the compiled scalar call (bit-equal) and the batch (within 2 ulp, as the issue asks).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import symgrad as sg

mp.mp.dps = 50
TINY = 2.0 ** -1074


def _close(got: float, want, ulps: float) -> bool:
    """Within ``ulps`` units in the last place of the exact value (a subnormal's ulp is 2⁻¹⁰⁷⁴)."""
    w = float(want)
    return abs(mp.mpf(got) - want) <= ulps * max(math.ulp(w), TINY)


def _elu_dx(x, a):
    return a * mp.exp(x)


CASES = [
    # program, point, name, exact gradient, exact value (or None)
    ("elu(x, a)", {"x": -745.0, "a": 1e300}, "x", lambda x, a: mp.mpf(a) * mp.exp(x), None),
    ("elu(x, a)", {"x": -740.0, "a": 1e300}, "x", lambda x, a: mp.mpf(a) * mp.exp(x), None),
    ("elu(x, a)", {"x": -720.0, "a": 1e10}, "x", lambda x, a: mp.mpf(a) * mp.exp(x), None),
    ("elu(x, a)", {"x": -745.0, "a": 2.5}, "x", lambda x, a: mp.mpf(a) * mp.exp(x), None),
    ("silu(x)", {"x": -745.0}, "x", lambda x: (1 + x / (1 + mp.exp(x))) / (1 + mp.exp(-x)),
     lambda x: x / (1 + mp.exp(-x))),
    ("silu(x)", {"x": -730.0}, "x", lambda x: (1 + x / (1 + mp.exp(x))) / (1 + mp.exp(-x)),
     lambda x: x / (1 + mp.exp(-x))),
    ("silu(x)", {"x": -709.5}, "x", lambda x: (1 + x / (1 + mp.exp(x))) / (1 + mp.exp(-x)),
     lambda x: x / (1 + mp.exp(-x))),
    ("atan(x)", {"x": 1e156}, "x", lambda x: 1 / (1 + x * x), None),
    ("atan(x)", {"x": -3e200}, "x", lambda x: 1 / (1 + x * x), None),
    ("atan(x)", {"x": 1e160}, "x", lambda x: 1 / (1 + x * x), None),
    ("log10(x)", {"x": 1.7976931348623157e308}, "x", lambda x: 1 / (x * mp.log(10)), None),
    ("log10(x)", {"x": 1e308}, "x", lambda x: 1 / (x * mp.log(10)), None),
    ("acosh(x)", {"x": 1e300}, "x", lambda x: 1 / mp.sqrt((x - 1) * (x + 1)), lambda x: mp.acosh(x)),
    ("acosh(x)", {"x": 1e200}, "x", lambda x: 1 / mp.sqrt((x - 1) * (x + 1)), lambda x: mp.acosh(x)),
    ("acosh(x)", {"x": 1e155}, "x", lambda x: 1 / mp.sqrt((x - 1) * (x + 1)), lambda x: mp.acosh(x)),
    ("acosh(x)", {"x": 1.7976931348623157e308}, "x", lambda x: 1 / mp.sqrt((x - 1) * (x + 1)), None),
]


@pytest.mark.parametrize("program, point, name, dexact, vexact", CASES,
                         ids=[f"{c[0]}@{list(c[1].values())}" for c in CASES])
def test_extreme_slopes_are_accurate_everywhere(program, point, name, dexact, vexact):
    args = [mp.mpf(v) for v in point.values()]
    want = dexact(*args)
    res = sg.backprop(program, point)
    assert _close(res.grads[name], want, 4), (res.grads[name], mp.nstr(want, 17))
    if vexact is not None:
        assert _close(res.value, vexact(*args), 4), (res.value, mp.nstr(vexact(*args), 17))
    f = sg.compile(program)
    value, grads = f.value_and_grad(*point.values())
    assert value == res.value and grads[f.inputs.index(name)] == res.grads[name]
    bvalue, bgrads = f.batch(*[np.array([v, v]) for v in point.values()])
    g = float(bgrads[f.inputs.index(name)][0])
    assert abs(g - res.grads[name]) <= 2 * max(math.ulp(res.grads[name]), TINY)
    assert abs(float(bvalue[0]) - res.value) <= 2 * max(math.ulp(res.value), TINY)


@pytest.mark.parametrize("program, point", [(c[0], c[1]) for c in CASES if c[2] == "x"][:8])
def test_check_agrees_with_the_accurate_slope(program, point):
    report = sg.check(program, point)
    assert [row.verdict for row in report.rows][0] == "agree", str(report)


@pytest.mark.parametrize("x", [1e155, 1e200, 1e300])
def test_check_agrees_with_acosh_slope_at_huge_arguments(x):
    report = sg.check("acosh(x)", {"x": x})
    row = report.rows[0]
    assert row.verdict == "agree", str(report)
    assert _close(row.backprop, 1 / mp.sqrt((mp.mpf(x) - 1) * (mp.mpf(x) + 1)), 4)
