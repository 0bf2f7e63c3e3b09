"""The tensor check at kinks and at where's untaken elements, element by element, with the scalar
check's verdicts on the same scalar program.

Golden one-sided slopes are hand derivations: clamp(x, 0, 2) rises with slope 1 inside [0, 2] and is
flat outside; hardtanh the same on [-1, 1]; relu flat then slope 1; abs slope -1 then 1.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symgrad as sg

KINKS = [  # (function of x, point, (left slope, right slope)) by hand
    ("clamp(x, 0, 2)", 0.0, (0.0, 1.0)),
    ("clamp(x, 0, 2)", 2.0, (1.0, 0.0)),
    ("hardtanh(x)", -1.0, (0.0, 1.0)),
    ("hardtanh(x)", 1.0, (1.0, 0.0)),
    ("relu(x)", 0.0, (0.0, 1.0)),
    ("abs(x)", 0.0, (-1.0, 1.0)),
]


@pytest.mark.parametrize("fn,x,slopes", KINKS)
def test_an_element_at_its_kink_is_a_kink_as_in_the_scalar_check(fn, x, slopes):
    scalar = sg.check(fn, {"x": x}).rows[0]
    tensor = sg.check(f"L = sum({fn})", {"x": np.array([0.5, x])}).row("x")
    assert scalar.verdict == tensor.verdict == "kink"
    assert (tensor.left, tensor.right) == (scalar.left, scalar.right) == slopes
    assert tensor.worst == (1,)
    assert "at a kink" in tensor.note


@pytest.mark.parametrize("fn,x,slopes", KINKS)
def test_a_gradient_outside_the_one_sided_slopes_is_a_mismatch(fn, x, slopes):
    report = sg.check(f"L = sum({fn})", {"x": np.array([x])}, grads={"x": [max(slopes) + 0.5]})
    assert report.row("x").verdict == "mismatch"
    between = sg.check(f"L = sum({fn})", {"x": np.array([x])}, grads={"x": [sum(slopes) / 2]})
    assert between.row("x").verdict == "kink"


def test_equal_one_sided_slopes_agree_as_in_the_scalar_check():
    # relu(x)² at 0: both one-sided slopes are 0, so it is differentiable there
    assert sg.check("relu(x)*relu(x)", {"x": 0.0}).rows[0].verdict == "agree"
    assert sg.check("L = sum(relu(x)*relu(x))", {"x": np.array([0.0, 1.5])}).row("x").verdict == "agree"


def test_a_kink_in_one_element_leaves_the_others_judged_exactly():
    row = sg.check("L = sum(clamp(x, 0, 2))", {"x": np.array([0.0, 1.0, 3.0])}).row("x")
    assert row.verdict == "kink" and row.worst == (0,) and row.disagree == 0
    assert "1 of 3 elements are at a kink" in row.note
    # a wrong slope at a smooth element is still caught beside the kink
    wrong = sg.check("L = sum(clamp(x, 0, 2))", {"x": np.array([0.0, 1.0, 3.0])}, grads={"x": [1.0, 1.0, 1.0]})
    assert wrong.row("x").verdict == "mismatch" and wrong.row("x").worst == (2,)


def test_a_kink_whose_sides_agree_is_judged_against_that_slope():
    # d(clamp(x, 0, 2)·x)/dx at 0: clamp'·x + clamp = 0 on both sides (by hand), so agree
    assert sg.check("clamp(x, 0, 2)*x", {"x": 0.0}).rows[0].verdict == "agree"
    assert sg.check("L = sum(clamp(x, 0, 2)*x)", {"x": np.array([0.0, 1.0])}).row("x").verdict == "agree"


SQRT = "L = sum(where(x > 0, sqrt(x), 0))"


def test_untaken_elements_do_not_make_the_point_undefined():
    report = sg.check(SQRT, {"x": np.array([-1.0, 2.0, 4.0])})
    row = report.row("x")
    assert row.verdict == "agree"
    assert row.elements == 3 and row.disagree == 0


def test_an_untaken_element_has_exact_gradient_zero():
    from symgrad.gradcheck.tensor_check import exact_gradients
    from symgrad.language.parser import parse
    from symgrad.base.limits import DEFAULT_LIMITS
    sides = exact_gradients(parse(SQRT), {"x": np.array([-1.0, 2.0, 4.0])}, DEFAULT_LIMITS)
    assert sides.state is None
    grads = sides.exact["x"]
    assert grads[0] == 0 and grads[0].is_exact()          # exactly 0: nothing of sqrt(-1) reaches it
    with mpmath.workprec(200):
        assert abs(mpmath.mpf(grads[1].mid().str(40, radius=False)) - 1 / (2 * mpmath.sqrt(2))) < mpmath.mpf(10) ** -35
    assert grads[2] == 0.25


@pytest.mark.parametrize("program,x", [(SQRT, [-1.0, 0.0, 2.0, 4.0]),
                                       ("L = sum(where(x != 0, sin(x)/x, 1))", [0.0, 1.0])])
def test_the_classics_at_their_switch_are_never_undefined_nor_a_plain_agree(program, x):
    # at x = 0 the condition ties; the branch taken just beside it has no slope at 0 (sqrt'(0) = inf,
    # sin(x)/x has no value there), which the scalar check reads beside the point: the tensor check says
    # it cannot (unverified), never a plain agree and never undefined
    row = sg.check(program, {"x": np.array(x)}).row("x")
    assert row.verdict == "unverified"
    assert "cannot" in row.note


SWITCHES = [  # (where program of x, the tie, one-sided slopes by hand)
    ("where(x > 0, x*x, 0-x)", 0.0, (-1.0, 0.0)),      # -x on the left, x² (slope 2x = 0) on the right
    ("where(x >= 0, x, 0)", 0.0, (0.0, 1.0)),          # relu written with where
    ("where(x < 1, x, 2*x - 1)", 1.0, (1.0, 2.0)),     # continuous at 1 (1 = 2 - 1), slopes 1 and 2
]


@pytest.mark.parametrize("fn,x,slopes", SWITCHES)
def test_a_continuous_switch_is_a_kink_with_the_scalar_checks_slopes(fn, x, slopes):
    scalar = sg.check(fn, {"x": x}).rows[0]
    row = sg.check(f"L = sum({fn})", {"x": np.array([-2.5, x, 3.5])}).row("x")
    assert scalar.verdict == row.verdict == "kink"
    assert (row.left, row.right) == (scalar.left, scalar.right) == slopes
    assert row.worst == (1,)


def test_a_switch_with_equal_slopes_agrees_as_in_the_scalar_check():
    # x·|x| written with where: -x² and x² meet at 0 with slope 0 on both sides
    fn = "where(x > 0, x*x, 0 - x*x)"
    assert sg.check(fn, {"x": 0.0}).rows[0].verdict == "agree"
    assert sg.check(f"L = sum({fn})", {"x": np.array([0.0, 2.0])}).row("x").verdict == "agree"


def test_a_jump_at_a_switch_is_never_agree():
    fn = "where(x > 0, x, 1)"                      # 1 on the left, 0⁺ on the right: a jump
    assert sg.check(fn, {"x": 0.0}).rows[0].verdict == "undefined"
    row = sg.check(f"L = sum({fn})", {"x": np.array([0.0, 2.0])}).row("x")
    assert row.verdict == "unverified" and "jumps" in row.note


def test_a_taken_element_outside_its_domain_is_undefined():
    row = sg.check("L = sum(where(x > -5, sqrt(x), 0))", {"x": np.array([1.0, -1.0])}).row("x")
    assert row.verdict == "undefined"


# --- a kink reached through exact arithmetic: a zero-initialised layer -----------------------------

ZERO_INIT = "h = relu(X @ W + b); L = sum(h)"


def zero_init() -> dict:
    return {"X": np.array([[1.0, -2.0], [0.5, 3.0]]), "W": np.zeros((2, 3)), "b": np.zeros(3)}


def test_a_zero_initialised_relu_layer_is_a_kink_not_undetermined():
    """X @ W + b is exactly 0 at W = 0, b = 0 (float64 computes it exactly too), so every hidden
    unit sits at relu's kink. By hand: L moves with b[j] by relu(t) + relu(t), slopes 0 and 2; with
    W[0, j] by relu(1·t) + relu(0.5·t), slopes 0 and 1.5; with X not at all (W = 0). Backprop's
    relu'(0) = 0 gives 0 everywhere, between each pair. Float64's error envelope used to widen
    every sum by an underflow it cannot have, so the kink read as "undetermined" everywhere.
    W[1, j] moves relu(−2·t) + relu(3·t): its two kinks move opposite ways (slopes −2 and 3), which
    reading each kink on one side of its own argument gets wrong (0 and 1), so W stays unverified."""
    report = sg.check(ZERO_INIT, zero_init())
    assert [report.row(n).verdict for n in ("X", "W", "b", "L")] == ["agree", "unverified", "kink", "agree"]
    assert report.row("W").unverified == 3 and "move kinks both ways" in report.row("W").note
    b = report.row("b")
    assert (b.left, b.right) == (0.0, 2.0)
    assert (report.row("W").left, report.row("W").right) == (0.0, 1.5)
    wrong = np.zeros((2, 3))
    wrong[0, 2] = 1.6       # past the right slope 1.5
    row = sg.check(ZERO_INIT, zero_init(), grads={"W": wrong}).row("W")
    assert row.verdict == "mismatch" and row.worst == (0, 2)


@pytest.mark.parametrize("program, point", [
    ("L = sum(relu(X @ W))", {"X": np.array([[1e-200]]), "W": np.array([[1e-200]])}),
    ("L = sum(relu(x * y))", {"x": np.array([1e-200]), "y": np.array([1e-200])}),
])
def test_a_product_that_underflows_to_the_kink_stays_unverified(program, point):
    """1e-200·1e-200 is 1e-400 exactly, past relu's kink, but float64 rounds it to 0, at the kink:
    backprop may take either branch, so the check cannot say agree (the envelope keeps its
    underflow where a term is not exactly 0)."""
    report = sg.check(program, point)
    assert {row.verdict for row in report.rows} == {"unverified"}


def test_a_max_tie_is_noted_once():
    row = sg.check("L = max(x)", {"x": np.array([1.0, 3.0, 3.0])}).row("x")
    assert row.verdict == "unverified"
    assert row.note.count("two elements tie") == 1


def test_a_negative_literal_bound_is_exact():
    """clamp(x, -1, 1) at its bounds: -1 is neg(1), which float64 computes exactly, so x - (-1) is
    exactly 0 there and both bounds are kinks (slopes 0, 1 at -1 and 1, 0 at 1, by hand), as with
    hardtanh. The envelope used to give neg an underflow, and the check said "undetermined"."""
    row = sg.check("L = sum(clamp(x, -1, 1))", {"x": np.array([-1.0, 0.0, 1.0])}).row("x")
    assert row.verdict == "kink" and "2 of 3 elements are at a kink" in row.note
    assert (row.left, row.right) == (0.0, 1.0)


# --- a max that is only a shift for stability: ties there are no kink --------------------------------

def test_cross_entropy_at_a_zero_initialised_output_layer_agrees():
    """logits = X @ 0 are all exactly 0, so the max that log-softmax subtracts for stability ties in
    every row; the shift cancels exactly, so cross-entropy is smooth there. By hand: softmax is 1/5
    in every column, so dlogits = (1/5 − onehot(Y)) / 4 and dW = Xᵀ dlogits."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4, 3)), np.array([0, 2, 1, 4])
    report = sg.check("logits = X @ W; L = cross_entropy(logits, Y)", {"X": X, "W": np.zeros((3, 5)), "Y": Y})
    assert {row.verdict for row in report.rows} == {"agree"}
    dlogits = (np.full((4, 5), 0.2) - np.eye(5)[Y]) / 4
    grads = sg.backprop("logits = X @ W; L = cross_entropy(logits, Y)", X=X, W=np.zeros((3, 5)), Y=Y).grads
    np.testing.assert_allclose(grads["logits"], dlogits, rtol=1e-15, atol=1e-17)
    np.testing.assert_allclose(grads["W"], X.T @ dlogits, rtol=1e-14)


@pytest.mark.parametrize("program, x, w, by_hand", [
    # softmax of equal x is 1/3 each: dL/dx_j = (w_j − Σ w/3)/3
    ("L = sum(softmax(x, 0) * w)", [1.0, 1.0, 1.0], [1.0, 2.0, 4.0], [(1 - 7 / 3) / 3, (2 - 7 / 3) / 3, (4 - 7 / 3) / 3]),
    # log_softmax of equal x: dL/dx_j = w_j − Σ w / 2
    ("L = sum(log_softmax(x, 0) * w)", [2.0, 2.0], [1.0, 3.0], [-1.0, 1.0]),
])
def test_softmax_of_tied_inputs_agrees(program, x, w, by_hand):
    report = sg.check(program, {"x": np.array(x), "w": np.array(w)})
    assert {row.verdict for row in report.rows} == {"agree"}
    grads = sg.backprop(program, x=np.array(x), w=np.array(w)).grads
    np.testing.assert_allclose(grads["x"], by_hand, rtol=1e-14)   # float64 backprop vs the hand value


# --- kinks that move opposite ways with one element: their own sides are not its one-sided slopes ---

@pytest.mark.parametrize("program, point, grads", [
    # relu(x) − relu(−x) is x: slope 1 at 0 (by hand); backprop's relu'(0) = 0 gives 0, which the
    # kinks' own sides (0 and 2) called a kink
    ("L = sum(relu(x) - relu(-x))", {"x": np.array([0.0])}, None),
    ("L = sum(relu(x - y) - relu(y - x))", {"x": np.array([0.5]), "y": np.array([0.5])}, None),
    # relu(−x) + x − relu(x) is 0 everywhere, so |·| of it has slope 0 (by hand), backprop's 0;
    # the kinks' own sides gave -1 on both, and the check said mismatch
    ("L = sum(abs(relu(-x) + x - relu(x)))", {"x": np.array([0.0])}, None),
    # relu(-2w) + relu(3w) at w = 0: slopes -2 and 3 (by hand); the right slope 3 was a mismatch
    ("L = sum(relu(X @ W))", {"X": np.array([[-2.0], [3.0]]), "W": np.array([[0.0]])}, {"W": np.array([[3.0]])}),
    # max(y, x) + relu(x) at x = y = 0 moves with x by 0 (left) and 2 (right), by hand; backprop's
    # max-tie convention was a mismatch
    ("L = sum(max(y, x) + relu(x))", {"x": np.array([0.0]), "y": np.array([0.0])}, None),
    # the same with switches: where(x > 0, x, 0) − where(−x > 0, −x, 0) is x, slope 1 (by hand),
    # and a wrong 2 was a kink; where(x > 0, x, 0) + relu(−x) is |x|, a kink, not "agree"
    ("L = sum(where(x > 0, x, 0) - where(-x > 0, -x, 0))", {"x": np.array([0.0])}, {"x": np.array([2.0])}),
    ("L = sum(where(x > 0, x, 0) + relu(-x))", {"x": np.array([0.0])}, None),
])
def test_kinks_that_move_opposite_ways_are_unverified(program, point, grads):
    row = sg.check(program, point, grads=grads).row("W" if "W" in point else "x")
    assert row.verdict == "unverified" and "move kinks both ways" in row.note


def test_the_scalar_check_reads_those_kinks_along_the_input():
    """The scalar twins of the cases above: the scalar check moves the input itself."""
    def verdict(report, name):
        return next(row.verdict for row in report.rows if row.name == name)
    assert verdict(sg.check("L = relu(x) - relu(-x)", {"x": 0.0}), "x") == "mismatch"
    assert verdict(sg.check("L = abs(relu(-x) + x - relu(x))", {"x": 0.0}), "x") == "agree"
    assert verdict(sg.check("L = relu(a*w) + relu(b*w)", {"a": -2.0, "b": 3.0, "w": 0.0}, grads={"w": 3.0}), "w") == "kink"


def test_many_kinks_are_read_in_one_coarser_pass():
    """Past SEPARATE kink elements one pass reads them all: it may say unverified where the
    kinks agree (relu(X @ W + b) at W = 0, b = 0: b[j] moves 9 kinks up), never a kink where
    they do not (W[0, j] moves relu(t) and relu(-t))."""
    X = np.ones((9, 1))
    X[0, 0] = -1.0
    report = sg.check("L = sum(relu(X @ W + b))", {"X": X, "W": np.zeros((1, 8)), "b": np.zeros(8)})
    assert report.row("W").verdict == "unverified"
    assert report.row("b").verdict in ("kink", "unverified")


def test_a_unit_at_its_kink_in_a_network_is_never_a_kink_outside_its_slopes():
    """A hidden unit exactly at relu's kink for every row (its weights and bias 0): W1[k, u] moves
    the kinks of the rows with X[i, k] > 0 up and the others down, so its one-sided slopes are
    Σ over X[i, k] < 0 (left) and X[i, k] > 0 (right) of g[i]·X[i, k], g = dL/dh[:, u] (by hand,
    numpy). Backprop's relu'(0) = 0 gives 0, outside them for some k here; the check must not call
    that a kink (reading each kink on its own side put it between 0 and the sum)."""
    rng = np.random.default_rng(0)
    X, W1, b1 = rng.standard_normal((8, 4)), rng.standard_normal((4, 5)) * 0.3, rng.standard_normal(5) * 0.1
    W1[:, 2], b1[2] = 0.0, 0.0
    W2, Y = rng.standard_normal((5, 3)), rng.integers(0, 3, 8)
    H = np.maximum(X @ W1 + b1, 0)
    P = np.exp(H @ W2 - (H @ W2).max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    g = ((P - np.eye(3)[Y]) @ W2[2]) / 8
    left, right = (np.array([sum(g[i] * X[i, k] for i in range(8) if side * X[i, k] > 0) for k in range(4)])
                   for side in (-1, 1))
    assert np.any((left > 0) & (right > 0) | (left < 0) & (right < 0))     # 0 outside the slopes somewhere
    report = sg.check("h = relu(X @ W1 + b1); L = cross_entropy(h @ W2, Y)", {"X": X, "W1": W1, "b1": b1, "W2": W2, "Y": Y})
    assert report.row("W1").verdict == "unverified" and report.row("b1").verdict == "kink"


def test_a_tie_of_two_copies_of_one_input_is_never_read_as_a_kink():
    """max([x, x]) moves with x at slope 1 on both sides (by hand): routing the gradient to every
    tied element or to none would read 2 and 0 and call any value between a kink. The tie stays
    unverified for backprop's 1, and a wrong 1.5 is still a mismatch against the exact 1."""
    point = {"x": np.array(2.0), "o": np.array([1.0, 1.0])}
    assert sg.check("L = max(x * o)", point).row("x").verdict == "unverified"
    assert sg.check("L = max(x * o)", point, grads={"x": np.array(1.5)}).row("x").verdict == "mismatch"
