"""Every row's rounding counts hold: its float64 forward and local derivative are within the
error the check's bound assumes, against exact references (arb balls, ``symgrad.rules.exact``).

A row that claims fewer roundings than its implementation makes would let the check call a
correct gradient a mismatch, or shrink the tolerance it grants a user's gradients; this test
fails on such a claim (and ``scripts/mutate_rules.py`` seeds one).

The model is the package's one model (``symgrad.rules.rounding``, which the check's error bound
and ``symgrad.register``'s proof import too); this test adds 80 seeded points per row over
several magnitudes to the row's own sample points.
"""

from __future__ import annotations

import math
import random

import pytest
import sympy as sp

from symgrad.rules.exact import exact
from symgrad.rules.rounding import ROUNDING, Rounding, verify
from symgrad.rules.rule import inside
from symgrad.rules.table import all_rows


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
    for p in _points(row):
        assert verify(row, p) is None, f"{row.name}: {verify(row, p)}"


def test_counts_claimed_too_low_are_caught():
    # exp makes a few roundings (libm's exp is within 1 ulp, the slope is its output): 0 claims none
    row = next(r for r in all_rows() if r.name == "exp")
    assert ROUNDING["exp"] != Rounding(0, 0, 0)
    wrong = [verify(row, p, Rounding(0, 0, 0)) for p in _points(row)]
    assert any(w and "rounding[0] = 0" in w for w in wrong)


def test_the_reference_resolves_cancellation():
    import mpmath
    # ln(1 + e^x) at x = -434 is e^-434 = 2.9e-189 (mpmath at 600 digits); a 60-digit evaluation
    # rounds 1 + e^-434 to 1 and gives ln 1 = 0
    x = sp.Symbol("x", real=True)
    with mpmath.workdps(600):
        want = float(mpmath.log(1 + mpmath.exp(-434)))
    got = exact(sp.log(1 + sp.exp(x)), (x,), (-434.0,))
    assert want > 0 and math.isclose(float(got.mid()), want, rel_tol=1e-15)
    # at x = -1000 it is below float64's range, but resolved, not 0: its log is -1000
    far = exact(sp.log(1 + sp.exp(x)), (x,), (-1000.0,))
    assert abs(float(far.log().mid()) + 1000.0) < 1e-12
    # undefined where the form is: ln 0, and a pole
    assert exact(sp.log(x), (x,), (0.0,)) is None and exact(1 / x, (x,), (0.0,)) is None
