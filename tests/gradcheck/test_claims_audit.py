"""The audit of claimed derivatives: each misjudged kind, judged right through every entry point
(``judge_claims``, ``check(claims=)``, ``symgrad check --claim``, ``grade`` and the nbgrader
autograder's formula test).

Truths are independent of symgrad: mpmath at 50 digits, or a hand derivation.
- tiny magnitudes: d(1e-45·x²)/dx = 2e-45·x; d exp(−x²)/dx = −2x·exp(−x²); for
  y = sigmoid(w·x + b), ∂y/∂w = x·σ(z)(1 − σ(z));
- pieces: d|x − 5|/dx = −1 for x < 5 and +1 for x > 5; clamp' is 1 on (−3, 3) and 0 outside;
  leaky_relu(x − 3, 0.1)' is 0.1 for x < 3 and 1 for x > 3; relu(x + 4)·z has ∂/∂x = z for
  x > −4 and 0 below; elu(x − 3, 1)' is exp(x − 3) for x < 3 and 1 above; max(x, z − 10) has
  ∂/∂x = 1 for x > z − 10 and 0 below;
- domains: sqrt(x)² and exp(log(x)) are undefined for x < 0 (x ≤ 0) while d(x²/2)/dx = x exists;
- the lecture neuron o = tanh(n), n = x1·w1 + x2·w2 + b at x1 = 2, x2 = 0, w1 = −3, w2 = 1,
  b = 6.8813735870195432: n = 0.8813735870195432, tanh(n) = 1/√2, so ∂o/∂b = 1 − tanh² = 0.5,
  while sinh(n)/cosh(n)³ = tanh(n)(1 − tanh²(n)) = 0.5/√2.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import mpmath
import pytest

import symgrad as sg
from symgrad.gradcheck.claims import CORRECT, HERE_ONLY, UNVERIFIED, WRONG, judge_claims

from helpers import ROOT  # noqa: E402

mpmath.mp.dps = 50

NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
NPOINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
SIGMOID = "z = w*x + b; y = sigmoid(z)"
SPOINT = {"w": 50.0, "x": -2.0, "b": -5.0}          # z = -105


def one(program, point, name, claim, **kw):
    return judge_claims(program, point, {name: claim}, **kw)[0]


def _sigmoid_dw():
    z = mpmath.mpf(50) * -2 - 5
    s = 1 / (1 + mpmath.exp(-z))
    return -2 * s * (1 - s)                            # x·σ(z)(1 − σ(z))


# -- 1. every magnitude: relative or exact, no absolute floor ----------------------------------

def test_tiny_magnitudes_are_compared_relatively():
    truth = 2e-45 * 1.5                                 # by hand
    for claim in ("1e-45*x", "-2e-45*x", "0"):
        row = one("y = 1e-45*x^2", {"x": 1.5}, "x", claim)
        assert row.verdict == WRONG and row.at == {"x": 1.5}, claim
        assert math.isclose(row.true, truth, rel_tol=1e-15)
    assert one("y = 1e-45*x^2", {"x": 1.5}, "x", "2e-45*x").verdict == CORRECT


def test_wrong_at_the_point_even_where_the_derivative_is_1e_minus_43():
    truth = float(-2 * 10 * mpmath.exp(-100))            # -7.44e-43
    for claim in ("2*x*exp(-x^2)", "0"):
        row = one("y = exp(-x^2)", {"x": 10.0}, "x", claim)
        assert row.verdict == WRONG and row.at == {"x": 10.0}, claim
        assert math.isclose(row.true, truth, rel_tol=1e-12)
    assert one("y = exp(-x^2)", {"x": 10.0}, "x", "-2*x*exp(-x^2)").verdict == CORRECT


def test_sigmoid_slope_of_1e_minus_46():
    truth = float(_sigmoid_dw())
    assert abs(truth) < 1e-44
    for claim in ("0", "y*(1 - y)"):
        row = one(SIGMOID, SPOINT, "w", claim)
        assert row.verdict == WRONG and row.at == SPOINT, claim
        assert math.isclose(row.true, truth, rel_tol=1e-12)
    assert one(SIGMOID, SPOINT, "w", "x*y*(1 - y)").verdict == CORRECT


def test_an_exact_zero_is_told_from_a_ball_around_zero():
    # sin(pi) is 0 exactly, but its ball is not: more bits decide, no floor does.
    assert one("y = x*sin(pi)", {"x": 2.0}, "x", "0").verdict == CORRECT
    assert one("y = x*sin(pi)", {"x": 2.0}, "x", "1e-300").verdict == WRONG


# -- 2. every piece ---------------------------------------------------------------------------

PIECES = [  # program, point, name, claim right on the point's piece only, the piece's words, a right claim
    ("y = abs(x - 5)", {"x": -1.0}, "x", "-1", ["x < 5"], "(x - 5)/abs(x - 5)"),
    ("y = min(max(x, -3), 3)", {"x": 0.5}, "x", "1", ["-3 < x < 3"], None),
    ("y = leaky_relu(x - 3, 0.1)", {"x": 0.5}, "x", "0.1", ["x < 3"], None),
    ("y = relu(x + 4)*z", {"x": 0.5, "z": 2.0}, "x", "z", ["x > -4"], None),
    ("y = elu(x - 3, 1.0)", {"x": 0.5}, "x", "exp(x - 3)", ["x < 3"], None),
    ("y = max(x, z - 10)", {"x": 0.5, "z": 2.0}, "x", "1", ["x > z - 10"], None),
]


def _hand_slope(program, at):
    """The true partial at a point off the given piece, by hand (see the module docstring)."""
    x = at["x"]
    return {"y = abs(x - 5)": 1.0 if x > 5 else -1.0,
            "y = min(max(x, -3), 3)": 1.0 if -3 < x < 3 else 0.0,
            "y = leaky_relu(x - 3, 0.1)": 1.0 if x > 3 else 0.1,
            "y = relu(x + 4)*z": at.get("z", 0.0) if x > -4 else 0.0,
            "y = elu(x - 3, 1.0)": 1.0 if x > 3 else math.exp(x - 3),
            "y = max(x, z - 10)": 1.0 if x > at.get("z", 0.0) - 10 else 0.0}[program]


@pytest.mark.parametrize("program,point,name,claim,words,right", PIECES)
def test_a_claim_right_on_one_piece_says_which(program, point, name, claim, words, right):
    row = one(program, point, name, claim)
    assert row.verdict == HERE_ONLY
    for w in words:
        assert w in row.piece and w in row.message
    assert "correct on this piece" in row.message
    assert math.isclose(row.true, _hand_slope(program, row.at), rel_tol=1e-12)   # truly wrong there
    assert not math.isclose(row.claimed, row.true)
    if right is not None:
        assert one(program, point, name, right).verdict == CORRECT


def test_kinks_at_extreme_magnitudes_are_crossed():
    assert one("y = abs(x - 1e300)", {"x": 1.0}, "x", "-1").verdict == HERE_ONLY
    assert one("y = abs(x - 3e-300)", {"x": 1e-300}, "x", "-1").verdict == HERE_ONLY
    assert one("y = relu(x - 1e-200)*1e200", {"x": 2e-200}, "x", "1e200").verdict == HERE_ONLY
    assert one("y = abs(x - 1e300)", {"x": 1.0}, "x", "(x - 1e300)/abs(x - 1e300)").verdict == CORRECT


def test_a_kink_of_the_claim_is_crossed_too():
    # y = x: the claim abs(x)/x is 1 for x > 0 only, though the program has no kink
    row = one("y = x", {"x": 0.5}, "x", "abs(x)/x")
    assert row.verdict == HERE_ONLY and "x > 0" in row.piece


# -- 3. the program's own domain --------------------------------------------------------------

@pytest.mark.parametrize("claim", ["sqrt(x)^2", "exp(log(x))"])
def test_an_equality_on_part_of_the_domain_says_which_part(claim):
    row = one("y = x^2/2", {"x": 1.5}, "x", claim)
    assert row.verdict == HERE_ONLY and row.piece == "x > 0"
    assert row.at["x"] < 0 and row.claimed is None and math.isclose(row.true, row.at["x"])   # dy/dx = x
    assert "undefined" in row.message and "SymPy proves" not in row.message
    assert one("y = x^2/2", {"x": 1.5}, "x", "x").verdict == CORRECT


# -- 4. bounded work --------------------------------------------------------------------------

def test_the_lecture_neurons_slips_are_judged_without_a_long_proof():
    row = one(NEURON, NPOINT, "b", "sinh(n)/cosh(n)^3")
    assert row.verdict == WRONG and math.isclose(row.true, 0.5, rel_tol=1e-12)
    assert math.isclose(row.claimed, 0.5 / math.sqrt(2), rel_tol=1e-12)
    assert row.proof.startswith("no symbolic proof tried")   # wrong at the point: no proof is tried
    assert one(NEURON, NPOINT, "b", "1/cosh(n)^2").verdict == CORRECT
    nested = one("o = tanh(x*w + b)", {"x": 2.0, "w": 0.5, "b": -0.3}, "w",
                 "(1 - tanh(tanh(tanh(tanh(tanh(x*w + b))))))*x")
    truth = (1 - mpmath.tanh(mpmath.mpf("0.7")) ** 2) * 2
    assert nested.verdict == WRONG and math.isclose(nested.true, float(truth), rel_tol=1e-12)


def test_over_the_proofs_budget_the_points_decide_and_say_so():
    row = one("y = b", {"b": 0.7}, "b", "(sin(b)^2 + cos(b)^2)^1000")   # = 1 for every b
    assert row.verdict == CORRECT and "over the proof's budget" in row.proof
    assert "judged by the exact references at the points alone" in row.message
    wrong = one("y = b", {"b": 0.7}, "b", "(sin(b)^2 + cos(b)^2)^1000*1.0000001")
    assert wrong.verdict == WRONG


# -- 5. every entry point ---------------------------------------------------------------------

ENTRY = [  # program, point, name, claim, the verdict the audit's truth gives
    ("y = 1e-45*x^2", {"x": 1.5}, "x", "1e-45*x", WRONG),
    ("y = abs(x - 5)", {"x": -1.0}, "x", "-1", HERE_ONLY),
    ("y = x^2/2", {"x": 1.5}, "x", "sqrt(x)^2", HERE_ONLY),
    (NEURON, NPOINT, "b", "sinh(n)/cosh(n)^3", WRONG),
]


@pytest.mark.parametrize("program,point,name,claim,verdict", ENTRY)
def test_check_claims_argument(program, point, name, claim, verdict):
    report = sg.check(program, point, claims={name: claim})
    assert [r.verdict for r in report.rows if r.name == name and r.point == 0] == [verdict]
    assert report.exit_code != 0


def test_cli_claim_option():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for program, point, name, claim, verdict in ENTRY[:3]:
        at = [f"{k}={v!r}" for k, v in point.items()]
        proc = subprocess.run([sys.executable, "-m", "symgrad", "check", program, "--at", *at,
                               "--claim", f"{name}={claim}", "--json"], env=env, capture_output=True, text=True)
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["claims"][0]["verdict"] == verdict


def _key_with_formula(program, point, name):
    from symgrad.teaching.answer_key import answer_key
    from symgrad.teaching.worksheet import blanked, build_worksheet
    ws = build_worksheet(program, point)
    key = answer_key(ws, blanked(ws), sheet=1, seed=3)
    ids = [b["id"] for b in key["blanks"] if b["kind"] == "formula"
           and (b.get("derivative") or {}).get("of") == "partial" and b["derivative"]["name"] == name]
    return key, ids[0]


@pytest.mark.parametrize("program,point,name,claim,verdict", ENTRY[:3])
def test_grade_marks_each_kind(program, point, name, claim, verdict, tmp_path):
    key, blank = _key_with_formula(program, point, name)
    (tmp_path / "key.json").write_text(json.dumps(key))
    (tmp_path / "answers.csv").write_text(f"student,sheet,{blank}\ns1,1,{claim}\n")
    grades = sg.grade(str(tmp_path / "key.json"), str(tmp_path / "answers.csv"))
    cell = next(c for c in grades.students[0].cells if c.blank == blank)
    assert cell.status == verdict and cell.points == 0


# An exercise notebook asks for a formula only where SymPy's derivative prints in symgrad's syntax
# (sign(x - 5) does not): the kink kind is the claim's own kink there.
NOTEBOOK = [ENTRY[0], ("y = x", {"x": 0.5}, "x", "abs(x)/x", HERE_ONLY)] + ENTRY[2:]


@pytest.mark.parametrize("program,point,name,claim,verdict", NOTEBOOK)
def test_the_nbgrader_formula_test_fails_each_kind(program, point, name, claim, verdict):
    # The autograder runs the generated test cell; here the same cell's code, with the answer set.
    from symgrad.teaching.nbgrader import exercise_notebook
    from symgrad.teaching.worksheet import blanked, build_worksheet
    ws = build_worksheet(program, point)
    cells = json.loads(exercise_notebook(ws, blanked(ws), rtol=1e-3, atol=1e-6))["cells"]
    setup = next("".join(c["source"]) for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "setup")
    test = next("".join(c["source"]) for c in cells
                if c["metadata"].get("nbgrader", {}).get("grade_id", "").endswith(f"formula-{name}"))
    space = {f"formula_{name}": claim}
    exec(compile(setup, "setup", "exec"), space)        # the notebook's own cells, as nbgrader runs them
    with pytest.raises(AssertionError):
        exec(compile(test, "test", "exec"), space)
    assert space["claim"].verdict == verdict


# --- a claim's own switch points: where a comparison's two sides are equal ---------------------------

@pytest.mark.parametrize("claim, switch, at, claimed, true", [
    # d(x^2)/dx = 2x everywhere; each claim is 2x except exactly where its condition switches
    ("where(x == 3.5, 0, 2*x)", "x == 3.5 (at x=3.5)", 3.5, 0.0, 7.0),        # 0 there, not 2·3.5
    ("where(x == 1e-7, 5, 2*x)", "x == 1e-07 (at x=1e-07)", 1e-7, 5.0, 2e-7),  # the double 1e-7 exactly
    ("where(x*x > 0, 2*x, 7)", "x * x > 0 (at x=0)", 0.0, 7.0, 0.0),           # x*x > 0 fails at 0 only
])
def test_a_claim_wrong_only_on_its_own_switch_is_caught_there(claim, switch, at, claimed, true):
    row = one("x^2", {"x": 3}, "x", claim)
    assert row.verdict == HERE_ONLY and row.here == 6.0
    assert row.at == {"x": at} and row.claimed == claimed and row.true == true
    assert f"wrong on the claim's switch {switch}" in row.message


def test_a_claim_whose_switch_is_the_programs_kink_stays_correct():
    """where(x > 0, x, 0) has slope 1 for x > 0 and 0 for x < 0: where(x > 0, 1, 0) is right on both
    sides; at the kink x = 0 itself the house takes the taken branch (x > 0 is false: slope 0)."""
    for x in (3.0, -2.0, 0.0):
        row = one("where(x > 0, x, 0)", {"x": x}, "x", "where(x > 0, 1, 0)")
        assert row.verdict == CORRECT and row.claimed == row.true == (1.0 if x > 0 else 0.0)


def test_a_claim_whose_switch_cannot_be_solved_is_unverified_not_correct():
    """sin(x) == 0.5 switches at π/6 + 2kπ and 5π/6 + 2kπ: no polynomial, so its points are not tried."""
    row = one("x^2", {"x": 3}, "x", "where(sin(x) == 0.5, 0, 2*x)")
    assert row.verdict == UNVERIFIED and "sin(x) == 0.5 could not be solved" in row.message


def test_a_switch_on_an_intermediate_is_solved_through_its_definition():
    """h = x*x, so h == 4 switches at x = -2 and x = 2; d(h)/dx = 2x is -4 at -2, the claim 0 there."""
    row = one("h = x*x; y = h + 0", {"x": 3}, "x", "where(h == 4, 0, 2*x)")
    assert row.verdict == HERE_ONLY and row.at == {"x": -2.0} and (row.claimed, row.true) == (0.0, -4.0)
    assert "wrong on the claim's switch h == 4 (at x=-2)" in row.message
