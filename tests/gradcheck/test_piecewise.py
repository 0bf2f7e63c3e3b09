"""Piecewise programs: the classic traps of gradient tools' issue trackers, with the right answers,
and a generated corpus of programs checked exactly at their switch points.

Goldens are hand derivations (stated beside each) or mpmath; never a symgrad output. Where
PyTorch is installed its float64 gradient is compared too (its NaN at the sqrt trap shows why
only the taken branch may be differentiated).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import symgrad as sg
from helpers.programs import Generator, NUMBERS

mpmath.mp.dps = 40


def only(report):
    (row,) = report.rows
    return row


def checked(text: str, x: float, grad: float):
    """The check's row for x, once backprop, compiled code at the point and a batch of one
    all gave the gradient ``grad``."""
    compiled = sg.compile(text)
    assert sg.backprop(text, x=x).grads == {"x": grad}
    assert compiled({"x": x}).grads == {"x": grad}
    assert compiled({"x": np.array([x])}).grads["x"].tolist() == [grad]
    return only(sg.check(text, x=x))


# -- the tracker classics ---------------------------------------------------------------------

def test_sqrt_in_the_untaken_branch_gives_gradient_0_not_nan():
    # where(x > 0, sqrt(x), 0) at 0 takes the constant 0: gradient 0. The untaken branch's
    # slope 1/(2√x) is inf at 0; JAX and PyTorch multiply it by 0 and give NaN.
    text = "where(x > 0, sqrt(x), 0)"
    row = checked(text, 0.0, 0.0)
    # one-sided slopes by hand: 0 on the left (the constant), 1/(2√h) → +inf on the right
    assert row.verdict == "kink" and row.backprop == 0.0
    assert "left slope 0, right slope inf" in row.note


def test_sqrt_trap_is_nan_in_pytorch():
    torch = pytest.importorskip("torch")
    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.where(x > 0, torch.sqrt(x), torch.zeros_like(x)).backward()
    assert math.isnan(x.grad.item())     # the trap itself: symgrad's answer above is 0


def test_sin_x_over_x_at_0_takes_its_limit_branch():
    # sin(x)/x = 1 − x²/6 + …, so the function where(x != 0, sin(x)/x, 1) is smooth with slope 0 at 0
    text = "where(x != 0, sin(x)/x, 1)"
    row = checked(text, 0.0, 0.0)
    assert row.verdict == "agree" and row.symbolic == 0.0
    # away from 0: (x·cos x − sin x)/x², in mpmath
    x = mpmath.mpf(0.3)
    golden = float((x * mpmath.cos(x) - mpmath.sin(x)) / x ** 2)
    assert sg.backprop(text, x=0.3).grads["x"] == pytest.approx(golden, rel=1e-14)
    assert only(sg.check(text, x=0.3)).verdict == "agree"


@pytest.mark.parametrize("x, slope", [(1.0, 1.0), (-1.0, -1.0), (2.5, 2.5)])
def test_huber_at_its_switch_point_is_differentiable(x, slope):
    # huber(x, 2.5): x²/2 inside |x| < 2.5, 2.5·(|x| − 1.25) outside. At |x| = δ both pieces
    # have value δ²/2 and slope x (inside) = δ·sign(x) (outside): continuous, equal slopes.
    delta = abs(x)
    report = sg.check("huber(x, d)", x=x, d=delta)
    rows = {r.name: r for r in report.rows}
    assert rows["x"].verdict == "agree" and rows["x"].backprop == slope
    # ∂/∂δ: 0 inside, |x| − δ outside: 0 at the switch from both sides
    assert rows["d"].verdict == "agree" and rows["d"].backprop == 0.0
    wrong = sg.check("huber(x, d)", x=x, d=delta, grads={"x": slope * (1 + 1e-9), "d": 0.0})
    assert {r.name: r.verdict for r in wrong.rows}["x"] == "mismatch"


def test_smooth_l1_at_its_switch_point_is_differentiable():
    # smooth_l1(x, β): x²/(2β) inside, |x| − β/2 outside; at x = β slopes x/β = 1 = sign(x)
    report = sg.check("smooth_l1(x, 0.5)", x=0.5)
    assert only(report).verdict == "agree" and only(report).backprop == 1.0


@pytest.mark.parametrize("x, left, right", [(-1.0, 0.0, 1.0), (1.0, 1.0, 0.0)])
def test_clamp_at_both_bounds_is_a_kink_with_pytorchs_slope(x, left, right):
    # clamp(x, −1, 1) is flat outside [−1, 1] and x inside: one-sided slopes (left, right) at the
    # bounds by hand; PyTorch's torch.clamp passes the gradient at a bound (slope 1).
    text = "clamp(x, -1, 1)"
    row = checked(text, x, 1.0)
    assert row.verdict == "kink" and row.backprop == 1.0
    assert f"left slope {left:g}, right slope {right:g}" in row.note


def test_clamp_bounds_get_their_gradients_like_pytorch():
    grads = sg.backprop("clamp(x, lo, hi)", x=-3.0, lo=-1.0, hi=1.0).grads
    assert grads == {"x": 0.0, "lo": 1.0, "hi": 0.0}
    grads = sg.backprop("clamp(x, lo, hi)", x=3.0, lo=-1.0, hi=1.0).grads
    assert grads == {"x": 0.0, "lo": 0.0, "hi": 1.0}


@pytest.mark.parametrize("name", ["stop_gradient", "detach"])
def test_stop_gradient_times_x_has_gradient_x(name):
    # d/dx [sg(x)·x] = sg(x) = x: the stopped factor is a constant for the derivative
    text = f"{name}(x)*x"
    row = checked(text, 3.0, 3.0)
    assert row.verdict == "agree" and row.symbolic == 3.0
    assert only(sg.check(text, x=3.0, grads={"x": 6.0})).verdict == "mismatch"   # the gradient of x·x
    value = sg.Value(3.0)
    (value.stop_gradient() * value).backward()
    assert value.grad == 3.0


def test_stop_gradient_matches_pytorch_detach():
    torch = pytest.importorskip("torch")
    x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (x.detach() * x).backward()
    assert sg.backprop("detach(x)*x", x=3.0).grads["x"] == x.grad.item()


def test_a_domain_error_in_the_untaken_branch_is_no_error():
    text = "where(x > 0, log(x), 0)"
    checked(text, -1.0, 0.0)
    batch = sg.compile(text)({"x": np.array([-1.0, 2.0])})
    assert batch.value.tolist() == [0.0, math.log(2.0)] and batch.grads["x"].tolist() == [0.0, 0.5]
    with pytest.raises(sg.DomainError):       # the taken branch's error is still one
        sg.backprop("where(x < 0, log(x), 0)", x=-1.0)


@pytest.mark.parametrize("text, verdict", [
    ("where(x < 0.5, 0, 1)", "undefined"),                                 # a jump of 1
    ("where(x < 0.5, sin(x), cos(x))", "undefined"),                       # sin(½) ≠ cos(½)
    ("where(x > 0.5, x, x + 1)", "undefined"),
    ("where(x < 0.5, sin(x), sin(x) + (x - 0.5)**2)", "agree"),            # equal values and slopes
    ("where(x < 0.5, sin(x), sin(x) + 3*(x - 0.5))", "kink"),              # slopes cos ½ and cos ½ + 3
    ("where(x <= 0.5 and x >= 0.5, x, x)", "agree"),
    ("where(not x > 0.5, 2*x, 1)", "kink"),                                # slopes 2 and 0, both value 1
])
def test_the_verdict_at_a_switch_follows_the_one_sided_values_and_slopes(text, verdict):
    assert only(sg.check(text, x=0.5)).verdict == verdict


# -- a generated corpus at its switch points ---------------------------------------------------

SWITCHES = 24
TIE = 0.5        # an exact double: the condition x0 < 0.5 ties there exactly


def switch_programs() -> list[tuple[str, str]]:
    """(program, its verdict at x0 = TIE by construction): generated branches A and B joined at
    the switch x0 < TIE continuous with equal slopes (B = A + (x0 − TIE)²), with a kink
    (B = A + k·(x0 − TIE)) or with a jump (B = A + k)."""
    gen = Generator(20261207)
    out = []
    for i in range(SWITCHES):
        a = f"{gen.expr(['x0', 'x1'], 2, NUMBERS[i * 7 % len(NUMBERS)])} + tanh(x0)"   # a slope in x0
        k = 1.5 + i % 3
        b, verdict = [(f"{a} + (x0 - {TIE})**2", "agree"), (f"{a} + {k}*(x0 - {TIE})", "kink"),
                      (f"{a} + {k}", "undefined")][i % 3]
        out.append((f"where(x0 < {TIE}, {a}, {b})", verdict))
    return out


@pytest.mark.parametrize("index", range(SWITCHES))
def test_switch_points_give_no_false_alarm_and_catch_a_wrong_gradient(index):
    text, verdict = switch_programs()[index]
    point = {name: {"x0": TIE, "x1": 0.25}[name] for name in sg.parse(text).inputs}
    report = sg.check(text, point)
    rows = {r.name: r for r in report.rows}
    assert rows["x0"].verdict == verdict, report.table()
    assert "mismatch" not in report.summary, report.table()      # 0 false alarms
    if verdict == "agree":
        # a wrong gradient by ×(1 + 1e-9) is caught wherever float64's own bound is below it
        g = rows["x0"].backprop
        wrong = {r.name: r for r in sg.check(text, point, grads={"x0": g * (1 + 1e-9)}).rows}["x0"]
        assert wrong.tolerance < 0.5e-9 * abs(g), (text, wrong)     # float64's bound is far below it here
        assert wrong.verdict == "mismatch", (text, wrong)


@pytest.mark.parametrize("text, x, value", [("round(x)", 0.5, 0.0), ("round(x)", 2.5, 2.0), ("round(x)", -1.5, -2.0),
                                            ("floor(x)", 2.0, 2.0), ("ceil(x)", -3.0, -3.0)])
def test_rounding_functions_jump_so_the_verdict_is_undefined(text, x, value):
    # round(0.5) = 0 (a tie to even, as torch.round); just right of ½ it is 1: a jump, no derivative
    row = checked(text, x, 0.0)
    assert sg.backprop(text, x=x).value == value
    assert row.verdict == "undefined" and "not continuous" in row.note


def test_rounding_functions_are_flat_between_their_jumps():
    # floor(x)·x at 2.5 is 2x there: slope floor(2.5) = 2
    assert only(sg.check("floor(x)*x", x=2.5)).verdict == "agree"
    assert sg.backprop("floor(x)*x", x=2.5).grads == {"x": 2.0}
    assert sg.backprop("round(x) + ceil(x)", x=0.3).grads == {"x": 0.0}


# -- softplus(x, beta, threshold): PyTorch's switch to x is a jump ---------------------------------

def _softplus_golden(x: float, b: float, t: float) -> tuple[float, float, float]:
    """By hand, in mpmath: (d/dx, d/dbeta, d/dthreshold) = (σ(bx), (x·σ(bx) − ln(1 + e^(bx))/b)/b, 0)
    where bx ≤ t, (1, 0, 0) where bx > t."""
    x, b = mpmath.mpf(x), mpmath.mpf(b)
    if b * x > t:
        return 1.0, 0.0, 0.0
    s = 1 / (1 + mpmath.exp(-b * x))
    return float(s), float((x * s - mpmath.log1p(mpmath.exp(b * x)) / b) / b), 0.0


@pytest.mark.parametrize("b, t", [(0.5, 1.0), (1.0, 20.0), (2.0, 3.0)])
def test_softplus_at_its_threshold_jumps_so_the_verdict_is_undefined(b, t):
    # at bx = t the value jumps by ln(1 + e^(−t))/b (the log branch is taken there, the linear one past it)
    x = t / b      # exact for these b
    report = sg.check("softplus(x, b, t)", x=x, b=b, t=t)
    assert {r.name: r.verdict for r in report.rows} == {"x": "undefined", "b": "undefined", "t": "undefined"}
    assert "jumps" in {r.name: r for r in report.rows}["x"].note


@pytest.mark.parametrize("b, t", [(0.5, 1.0), (1.0, 20.0), (2.0, 3.0)])
@pytest.mark.parametrize("side", [-1e-6, 1e-6])
def test_softplus_agrees_on_both_sides_and_catches_a_wrong_gradient(b, t, side):
    x = t / b + side
    report = sg.check("softplus(x, b, t)", x=x, b=b, t=t)
    rows = {r.name: r for r in report.rows}
    golden = dict(zip("xbt", _softplus_golden(x, b, t)))
    for name in "xbt":
        assert rows[name].verdict == "agree", rows[name]
        assert rows[name].backprop == pytest.approx(golden[name], rel=1e-13, abs=1e-300)
    wrong = sg.check("softplus(x, b, t)", x=x, b=b, t=t,
                     grads={"x": golden["x"] * (1 + 1e-9), "b": golden["b"], "t": 0.0})
    assert {r.name: r.verdict for r in wrong.rows}["x"] == "mismatch"


def test_softplus_compiled_and_batch_equal_backprop_point_by_point():
    text = "softplus(x, b, t)"
    points = [(x, b, t) for b, t in [(0.5, 1.0), (2.0, 20.0), (1.0, 20.0)] for x in
              (t / b - 1e-3, t / b, t / b + 1e-3, -3.0, 0.25, 40.0)]
    compiled = sg.compile(text)
    batch = compiled({k: np.array([p[i] for p in points]) for i, k in enumerate("xbt")})
    for j, (x, b, t) in enumerate(points):
        res = sg.backprop(text, x=x, b=b, t=t)
        assert compiled({"x": x, "b": b, "t": t}).grads == res.grads
        assert compiled({"x": x, "b": b, "t": t}).value == res.value == batch.value[j]
        assert {k: batch.grads[k][j] for k in "xbt"} == res.grads
    two = sg.compile("softplus(x, 2)")
    assert two({"x": 9.0}).value == sg.backprop("softplus(x, 2, 20)", x=9.0).value


def test_softplus_diff_is_sympys_piecewise():
    import sympy
    x, b, t = sympy.symbols("x b t", real=True)
    d = sg.diff("softplus(x, b, t)", "x")
    assert isinstance(d, sympy.Piecewise)
    # by hand: σ(bx) below the threshold, 1 past it
    assert sympy.simplify(d.subs({b: 2, t: 3, x: sympy.Rational(1, 4)}) - 1 / (1 + sympy.exp(-sympy.Rational(1, 2)))) == 0
    assert d.subs({b: 2, t: 3, x: 2}) == 1
    assert sg.diff("softplus(x, b, t)", "t").subs({b: 2, t: 3, x: 1}) == 0


def test_softplus_claims_and_worksheet():
    from symgrad.gradcheck.claims import CORRECT, WRONG, judge_claims
    point = {"x": 0.5, "b": 2.0}
    # d/dx softplus(x, b) = σ(bx) = 1/(1 + e^(−bx)) below the threshold, by hand
    (row,) = judge_claims("softplus(x, b)", point, {"x": "sigmoid(b*x)"})
    assert row.verdict == CORRECT
    (row,) = judge_claims("softplus(x, b)", point, {"x": "sigmoid(x)"})
    assert row.verdict == WRONG
    sheet = sg.worksheet("y = softplus(x, b)", {"x": 0.5, "b": 2.0})
    assert "softplus" in sheet and "softplus_beta" not in sheet and "softplus\\_beta" not in sheet
    assert "softplus_beta" not in sg.draw("y = softplus(x, b, t)", {"x": 0.5, "b": 2.0, "t": 1.0})
