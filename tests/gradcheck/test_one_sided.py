"""One-sided slopes and jumps at a switch or a kink whose argument does not move to first order.

At x = 0 the conditions x³ > 0, x² > 0, x² + x > x, cos(x) < 1, sin(x) > x and eˣ > 1 + x all
tie, and their arguments' first-order moves are 0 (or cancel): only the second- or third-order
move says which side each takes. Every expectation is a hand derivation, checked against mpmath's
one-sided difference quotients at h = 1e-30 (50 digits) where it is a number.
"""

from __future__ import annotations

import math
import re

import mpmath
import pytest

import symgrad as sg

mpmath.mp.dps = 50


def only(report):
    (row,) = report.rows
    return row


def quotients(f, h=mpmath.mpf("1e-30")):
    """mpmath's (left, right) difference quotients of f at 0."""
    return (f(0) - f(-h)) / h, (f(h) - f(0)) / h


@pytest.mark.parametrize("text, f, left, right", [
    # |x| in disguise: x for x³ > 0, −x otherwise
    ("where(x^3 > 0, x, -x)", lambda x: x if x ** 3 > 0 else -x, -1, 1),
    # x² + x > x is x² > 0: true on both sides, so x on both sides (−x only at 0 itself)
    ("where(x^2 + x > x, x, -x)", lambda x: x if x ** 2 + x > x else -x, 1, 1),
])
def test_a_tie_that_moves_only_at_second_order_takes_the_right_side(text, f, left, right):
    assert [float(q) for q in quotients(f)] == [left, right]          # mpmath agrees with the hand derivation
    row = only(sg.check(text, x=0.0))
    assert (row.left, row.right) == (left, right)
    assert row.verdict == ("kink" if left != right else "mismatch"), row   # backprop takes −x's −1 at 0


@pytest.mark.parametrize("text, slope", [
    ("where(x^2 > 0, 2*x, 0)", 2.0),         # 2x everywhere (0 at 0 too): slope 2, backprop's 0 is wrong
    ("where(x*x > 0, x, 0)", 1.0),           # x everywhere
    ("where(cos(x) < 1, x, 0)", 1.0),        # cos x < 1 for small x ≠ 0 (1 − x²/2): x everywhere
])
def test_a_branch_everywhere_but_at_the_point_gives_its_slope_so_backprop_is_a_mismatch(text, slope):
    row = only(sg.check(text, x=0.0))
    assert (row.left, row.right, row.backprop) == (slope, slope, 0.0)
    assert row.verdict == "mismatch", row


@pytest.mark.parametrize("text, jump_left, jump_right", [
    ("where(x^3 > 0, 1, 0)", None, 1),            # 0 at and left of 0, 1 right of it
    ("where(sin(x) > x, 1, 0)", 1, None),         # sin x > x for x < 0 only (x − x³/6)
    ("where(exp(x) > 1 + x, 1, 0)", 1, 1),        # eˣ > 1 + x for every x ≠ 0
    ("floor(x^3)", -1, None),                     # x³ < 0 on the left: floor −1
])
def test_a_jump_that_opens_only_at_higher_order_is_undefined(text, jump_left, jump_right):
    row = only(sg.check(text, x=0.0))
    assert row.verdict == "undefined" and "not continuous" in row.note, row
    for side, jump in (("left", jump_left), ("right", jump_right)):   # "jumps by 1 on the left and 1 on the right"
        said = re.search(rf"(?<![\d.-]){jump} on the {side}", row.note) if jump is not None else None
        assert (said is not None) == (jump is not None) and (jump is not None or f"on the {side}" not in row.note), row.note


@pytest.mark.parametrize("text", ["relu(x^3)", "abs(x^2)", "relu(x^2)*x"])
def test_a_kink_whose_argument_does_not_move_is_flat_and_agrees(text):
    # relu(x³), |x²| = x² and relu(x²)·x = x³ all have slope 0 at 0 on both sides
    row = only(sg.check(text, x=0.0))
    assert (row.left, row.right, row.verdict) == (0.0, 0.0, "agree"), row


def test_a_tie_in_two_inputs_reads_each_input_on_its_own():
    # x² + y² > 0 at (0, 0): moving x alone makes it true, so the output is x beside the point
    rows = {r.name: r for r in sg.check("where(x^2 + y^2 > 0, x, 0)", x=0.0, y=0.0).rows}
    assert (rows["x"].left, rows["x"].right, rows["x"].verdict) == (1.0, 1.0, "mismatch")
    assert (rows["y"].left, rows["y"].right, rows["y"].verdict) == (0.0, 0.0, "agree")
    assert math.isfinite(rows["x"].backprop)


@pytest.mark.parametrize("text, jump", [
    ("floor(1e200*x)", -1),          # 1e200 is an integer: just left of x = 1, floor is 1e200 − 1
    ("floor(1e300*x)", -1),
    ("x*floor(1e300*x)", -1),        # the jump carried by a product: x·(1e300 − 1) − x·1e300 at x = 1
])
def test_a_jump_far_below_the_values_size_is_still_a_jump(text, jump):
    row = only(sg.check(text, x=1.0))
    assert row.verdict == "undefined", row
    assert f"jumps by {jump} on the left" in row.note and "on the right" not in row.note, row.note


@pytest.mark.parametrize("text, x", [("round(1e250*x)", 1.0), ("x^(1/3)", 1.0), ("relu(x)*exp(x)", 1.0)])
def test_no_jump_where_there_is_none(text, x):
    # 1e250 is an integer, and round jumps only at half-integers; the others are smooth at 1
    assert only(sg.check(text, x=x)).verdict == "agree"
