"""The check never says `agree` to a wrong gradient, at any magnitude: the extremes.

Every golden number is mpmath's (50 digits and more) or a hand derivation, never symgrad's.
"""

from __future__ import annotations

import json

import mpmath
import pytest

import symgrad as sg
from symgrad.interface.cli.main import main

mpmath.mp.dps = 60


def rows(report):
    return {r.name: r for r in report.rows}


# -- a bound that is never infinite and never unresolved --------------------------------------

def test_an_overflowing_bound_never_agrees_with_a_wrong_gradient(capsys):
    # d/dx logsumexp(2x, y) = 2e^(2x)/(e^(2x) + e^y): 2e^(-1e200) at x = 0, y = 1e200, i.e. 0.
    exact = 2 / (1 + mpmath.exp(mpmath.mpf(10) ** 200))
    assert exact < mpmath.mpf(10) ** -1000
    r = rows(sg.check("logsumexp(2*x, y)", x=0, y=1e200, grads={"x": 12345, "y": 1}))
    assert r["x"].verdict != "agree" and r["x"].symbolic == 0.0
    assert r["y"].verdict == "agree"      # 1 is the exact e^y/(1 + e^y) rounded to float64
    code = main(["check", "logsumexp(2*x, y)", "--at", "x=0", "y=1e200", "--grads", "x=12345", "y=1"])
    assert code != 0 and "ok:" not in capsys.readouterr().out
    # d/dz sigmoid(2z) at z = −1e300 is 2σ(2z)(1 − σ(2z)), about e^(−2e300): 0 in float64.
    (z,) = sg.check("sigmoid(2*z)", z=-1e300, grads={"z": 1.0}).rows
    assert z.verdict != "agree" and z.symbolic == 0.0


def test_one_rows_huge_term_never_decides_another_rows_verdict():
    text, at = "tanh(x) + sigmoid(z*w)", {"x": 0.5, "z": -1e300, "w": 1.0}
    dx = float(1 - mpmath.tanh(mpmath.mpf(0.5)) ** 2)
    r = rows(sg.check(text, at))
    assert r["x"].verdict == "agree" and r["x"].symbolic == dx and r["x"].digits is None
    wrong = rows(sg.check(text, at, grads={"x": dx, "z": 5.0, "w": 7.0}))
    assert wrong["x"].verdict == "agree"
    assert wrong["z"].verdict != "agree" and wrong["w"].verdict != "agree"


def test_the_exact_column_shows_only_resolved_values():
    # d/dx (x·s + x·q − x·s) = q = 5 exactly; float64 loses it next to s = 1e100.
    text, at = "x*s + x*q - x*s", {"x": 1.0, "s": 1e100, "q": 5.0}
    x = rows(sg.check(text, at))["x"]
    assert x.symbolic == 5.0 and x.verdict == "unverified" and "no digit" in x.note
    (wrong,) = sg.check(text, at, grads={"x": -3e84}).rows
    assert wrong.symbolic == 5.0 and wrong.verdict != "agree"


def test_logsumexp_at_1e300_is_judged_not_raised():
    # d/dx logsumexp(x, y) = e^x/(e^x + e^y) = 1/(1 + e^(y−x)): 1 − e^(−1e300) at x = 1, y = −1e300.
    r = rows(sg.check("logsumexp(x, y)", x=1, y=-1e300))
    assert r["x"].verdict == "agree" and r["x"].symbolic == float(1 / (1 + mpmath.exp(mpmath.mpf(-1e300) - 1)))
    assert r["y"].verdict == "agree" and r["y"].symbolic == 0.0
    assert rows(sg.check("logsumexp(x, y)", x=1, y=-1e300, grads={"x": 1.0000001}))["x"].verdict == "mismatch"


# -- tight bounds where float64 is tight -------------------------------------------------------

@pytest.mark.parametrize("text, at, name, slope", [
    ("log_sigmoid(x)", {"x": -1e10}, "x", lambda x: 1 / (1 + mpmath.exp(x))),
    ("softplus(x*w)", {"x": 1e10, "w": 1.0}, "x", lambda x: 1 / (1 + mpmath.exp(-x))),
])
def test_saturated_rows_promise_the_digits_float64_delivers(text, at, name, slope):
    exact = slope(mpmath.mpf(at["x"]))
    r = rows(sg.check(text, at))[name]
    assert r.verdict == "agree" and r.digits is None and r.symbolic == float(exact) == 1.0
    assert r.tolerance <= 1e-11                   # not "5 digits": float64 gives exactly 1 here
    assert rows(sg.check(text, at, grads={name: 1.000001}))[name].verdict == "mismatch"


@pytest.mark.parametrize("fn, x, slope", [
    ("atanh", -(1 - 1e-10), lambda x: 1 / (1 - x * x)),
    ("atanh", 1 - 2 ** -53, lambda x: 1 / (1 - x * x)),
    ("asin", 1 - 1e-10, lambda x: 1 / mpmath.sqrt(1 - x * x)),
    ("acos", 1 - 2 ** -52, lambda x: -1 / mpmath.sqrt(1 - x * x)),
])
def test_near_a_domain_boundary_the_bound_is_honest_and_tight(fn, x, slope):
    exact = slope(mpmath.mpf(x))
    (r,) = sg.check(f"{fn}(x)", x=x).rows
    assert r.verdict == "agree" and r.digits is None        # at least 9 digits promised
    assert abs(mpmath.mpf(r.backprop) - exact) <= r.tolerance  # and the promise holds (mpmath)
    assert r.tolerance <= 1e-11 * abs(exact)


# -- differentiable means continuous and equal slopes ------------------------------------------

def test_a_jump_is_never_agree_even_with_equal_slopes():
    # atan2 jumps from π to −π across y = 0 at x < 0: mpmath's one-sided values differ by 2π.
    jump = mpmath.atan2(mpmath.mpf(10) ** -40, -1) - mpmath.atan2(-mpmath.mpf(10) ** -40, -1)
    assert abs(jump - 2 * mpmath.pi) < mpmath.mpf(10) ** -30
    y = rows(sg.check("atan2(y, x)", y=0, x=-1))["y"]
    # a jump has no derivative, whatever the slopes: undefined (one rule for cuts and switches)
    assert y.verdict == "undefined" and "jumps by -6.28319" in y.note and y.left == y.right == -1.0
    # atan2(y, x)² there: one-sided slopes 2·atan2·∂atan2/∂y = 2·(−π)·(−1) = 2π and 2·π·(−1) = −2π.
    sq = rows(sg.check("atan2(y, x)^2", y=0, x=-1))["y"]
    assert sq.verdict == "kink" and sq.left == float(2 * mpmath.pi) and sq.right == float(-2 * mpmath.pi)
    # cos(atan2(y, x)) = x/r is continuous there, with slope −xy/r³ = 0 in y.
    c = rows(sg.check("cos(atan2(y, x))", y=0, x=-1))["y"]
    assert c.verdict == "agree" and c.symbolic == 0.0
    # Backprop's −1e300 at x = −1e-300 is exact (x/(x² + y²) = 1/x), on the cut: undefined, never a false alarm.
    tiny = rows(sg.check("atan2(y, x)", y=0, x=-1e-300))["y"]
    assert tiny.verdict == "undefined" and tiny.backprop == float(1 / mpmath.mpf(-1e-300))


@pytest.mark.parametrize("text, at", [
    ("max(x, y)", {"x": 1.0, "y": 1.0}), ("max(x, y)", {"x": 1e300, "y": 1e300}),
    ("min(x, y)", {"x": 1e-300, "y": 1e-300}), ("max(x, y)", {"x": 0.0, "y": 0.0}),
    ("hypot(x, y)", {"x": 0.0, "y": 0.0}), ("hypot(x, 0)", {"x": 0.0}),
])
def test_ties_are_kinks_at_any_value(text, at):
    report = sg.check(text, at)
    assert {r.verdict for r in report.rows} == {"kink"}, str(report)
    assert all(r.left != r.right for r in report.rows)   # max: 0 and 1; hypot: ∓1 (|·| in each direction)


def test_a_tie_of_a_name_with_itself_is_differentiable():
    (r,) = sg.check("max(x, x)", x=1).rows
    assert r.verdict == "agree" and r.symbolic == 1.0


@pytest.mark.parametrize("text, at", [
    ("abs(x + 1e-17 - 1)", {"x": 1.0}),                      # exactly 1e-17, float64 gives 0
    ("max(x + 0.1, y)", {"x": 0.2, "y": 0.30000000000000004}),  # no tie exactly, a tie in float64
])
def test_landing_on_a_kink_by_rounding_is_a_kink_with_a_note_for_every_row(text, at):
    report = sg.check(text, at)
    assert {r.verdict for r in report.rows} == {"kink"}, str(report)
    assert all("onto the kink" in r.note for r in report.rows)


# -- underflow inside a slope -----------------------------------------------------------------

def test_gradual_underflow_in_a_slope_is_no_mismatch():
    # d/dx x^y = y·x^(y−1) = −1074·2^−1075 at (2, −1074): every float64 evaluation rounds 2^−1075 to 0.
    exact = -1074 * mpmath.mpf(2) ** -1075
    r = rows(sg.check("x**y", x=2, y=-1074))
    assert r["x"].symbolic == float(exact) and r["x"].verdict != "mismatch"
    # hypot at (1e-320, 1e-320): r = 1.4e-320 is subnormal; the row's slopes scale before dividing
    # (rules.stable.over_norm), so backprop is exact and agrees with float64's full bound.
    for row in sg.check("hypot(x, y)", x=1e-320, y=1e-320).rows:
        assert row.symbolic == float(1 / mpmath.sqrt(2)) and row.verdict == "agree"
        assert row.backprop == float(1 / mpmath.sqrt(2))


# -- honest columns ---------------------------------------------------------------------------

def test_the_finite_difference_shows_only_the_digits_it_has():
    # d/dc of k·cosh(x) + c is 1; at x = 710.4 the output is 1.7e308, far beyond the step's reach.
    report = sg.check("k*cosh(x) + c", k=-0.98, x=710.4, c=52.5)
    c = rows(report)["c"]
    assert c.verdict == "agree" and c.symbolic == 1.0
    assert c.numeric is None or abs(c.numeric - 1.0) <= 1e-6
    assert "1.35" not in report.table() and "e+276" not in report.to_json()


def test_a_claim_row_keeps_backprops_gradient(capsys):
    # L = (a·b + c)·f: dL/da = b·f = 6 at the lecture's point (by hand); the claim "f" is −2.
    code = main(["check", "e = a*b; d = e + c; L = d*f", "--at", "a=2", "b=-3", "c=10", "f=-2",
                 "--claim", "a=f", "--json"])
    data = json.loads(capsys.readouterr().out)
    (a,) = [r for r in data["rows"] if r["name"] == "a"]
    assert code == 1 and a["backprop"] == 6.0 and a["verdict"] == "wrong"
    main(["check", "e = a*b; d = e + c; L = d*f", "--at", "a=2", "b=-3", "c=10", "f=-2", "--claim", "a=f"])
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("a ")]
    assert line.split()[1] == "6"


def test_a_singular_slope_on_the_way_explains_backprops_silence():
    # log'(1e-320) = 1e320 overflows float64, so backprop raises; max then picks y (1 > log(x)·w
    # = −0.0074, by hand), so every exact gradient exists: unverified, explained, never a mismatch.
    assert mpmath.log(mpmath.mpf(1e-320)) * mpmath.mpf(1e-5) < 1
    report = sg.check("max(log(x)*w, y)", x=1e-320, w=1e-5, y=1)
    assert {r.verdict for r in report.rows} == {"unverified"} and report.ok
    assert "beyond float64's range" in rows(report)["w"].note or "overflow" in rows(report)["w"].note
