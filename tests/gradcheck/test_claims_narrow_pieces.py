"""A claim with a branch on a narrow piece the points never reach (sin(x) > 0.9999999 holds only
within about 4.5e-4 of π/2 + 2πk) is never called correct from the points alone, and SymPy failing
on the difference (an inequality in exponentials with imaginary parts) is no raw exception.

By hand: d(x^2)/dx = 2x; each claim below is 2x plus a term that is not 0 where the narrow
condition holds (at x = π/2, sin(x) = 1 > 0.9999999), so it is wrong there.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from symgrad.gradcheck.claims import judge_claims

NARROW = ["2*x + where(sin(x) > 0.9999999, 1, 0)",
          "2*x + where(sin(x)^3 > 0.9999999, 1, 0)",
          "2*x + where(cos(x) > 0.9999999, 1, 0)",           # near 0 and 2πk
          "2*x + max(sin(x) - 0.9999999, 0)",
          "2*x + sign(sin(x) - 0.9999999) + 1"]


@pytest.mark.parametrize("claim", NARROW)
@pytest.mark.parametrize("proof", ["always", "when needed"])
def test_a_narrow_branch_never_reached_is_not_correct(claim, proof):
    row = judge_claims("x^2", {"x": 3.0}, {"x": claim}, proof=proof)[0]
    assert row.verdict in ("unverified", "correct here, wrong elsewhere", "wrong"), row
    assert row.verdict != "correct"


def test_at_the_narrow_piece_the_claim_is_wrong():
    at = math.pi / 2
    assert math.sin(at) > 0.9999999
    row = judge_claims("x^2", {"x": at}, {"x": NARROW[0]})[0]
    assert row.verdict == "wrong" and row.claimed == pytest.approx(2 * at + 1, rel=1e-15)


def test_the_cli_says_a_verdict_not_an_internal_error():
    out = subprocess.run([sys.executable, "-m", "symgrad", "check", "x^2", "--at", "x=3", "--claim",
                          "x=" + NARROW[0]], capture_output=True, text=True)
    assert "internal error" not in out.stderr and out.returncode in (1, 3), out.stderr
    assert "unverified" in out.stdout or "wrong" in out.stdout
