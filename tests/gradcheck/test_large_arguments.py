"""The check decides wrong gradients of softsign and tan at large arguments, found by trying to break it.

Before: softsign's SymPy form x/(1 + |x|) has a cancelling partial, which ball arithmetic widened
into the tolerance (the dependency problem): at x = 1e100 a gradient off by 2×, or of the wrong
sign, "agreed"; at 1e20 it was "unverified". tan's default rounding counted 2 roundings of x
inside its slope, which it does not make: at x = 1e10 a slope 1e-9 off "agreed".
Exact slopes: 1/(1 + |x|)² and 1 + tan²(x), by mpmath at 50 digits.
"""

from __future__ import annotations

import mpmath as mp
import pytest

import symgrad as sg

mp.mp.dps = 50

CASES = [("softsign(x)", x, lambda t: 1 / (1 + abs(t)) ** 2) for x in (1e10, 1e20, -1e20, 1e100, -1e150, 0.0, 0.5)] + \
        [("tan(x)", x, lambda t: 1 + mp.tan(t) ** 2) for x in (1e10, 1e22, 1.5707963267948966, -3.0)] + \
        [("softsign(x) * 1e300", 1e160, lambda t: 1e300 / (1 + abs(t)) ** 2)]


@pytest.mark.parametrize("program, x, exact", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_right_gradient_agrees_and_wrong_ones_mismatch(program, x, exact):
    want = float(exact(mp.mpf(x)))
    report = sg.check(program, x=x)
    assert report.rows[0].verdict == "agree", str(report)
    assert report.rows[0].symbolic == pytest.approx(want, rel=1e-15)
    # a subnormal slope (1e-320 at 1e160) has 3 digits in float64: only gross errors are decidable
    for wrong in (2 * want, -want) + (() if x == 1e160 else (want * (1 + 1e-9),)):
        bad = sg.check(program, x=x, grads={"x": wrong})
        assert bad.rows[0].verdict == "mismatch", (wrong, str(bad))
