"""Claimed derivatives: each verdict with a known-right and a known-wrong claim.

Golden values are hand derivations: for the lecture's L = (a*b + c)*f at a=2, b=-3, c=10, f=-2,
dL/da = b*f = 6 and f = -2; for o = tanh(x*w + b), do/dw = (1 - tanh(x*w + b)²)·x.
"""

from __future__ import annotations

import argparse
import json
import math

import pytest

import symgrad as sg
from symgrad.gradcheck.claims import CORRECT, HERE_ONLY, UNVERIFIED, WRONG, apply_claims, claims_exit_code, judge_claims
from symgrad.interface.cli.check import add_claim_arguments, read_claims

LECTURE = "e = a*b; d = e + c; L = d*f"
POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
NEURON = "o = tanh(x*w + b)"
NPOINT = {"x": 2.0, "w": 0.5, "b": -1.0}


def one(program, point, name, claim, **kw):
    return judge_claims(program, point, {name: claim}, **kw)[0]


def test_correct_lecture_b_times_f():
    row = one(LECTURE, POINT, "a", "b*f")
    assert row.verdict == CORRECT
    assert row.claimed == row.true == 6.0                     # b*f = (-3)(-2), by hand
    assert row.proof.startswith("SymPy proves") and row.points == 6
    # the same formula through an intermediate, and the neuron's own partial
    assert one(LECTURE, POINT, "a", "e*f/a").verdict == CORRECT
    assert one(NEURON, NPOINT, "w", "(1 - tanh(x*w + b)^2)*x").verdict == CORRECT
    assert one(NEURON, NPOINT, "w", "(1 - o^2)*x").verdict == CORRECT    # intermediates may be named
    # known-wrong: never correct
    assert one(LECTURE, POINT, "a", "b").verdict != CORRECT


def test_wrong_missing_chain_rule_factor_is_named():
    row = one(LECTURE, POINT, "a", "f")
    assert row.verdict == WRONG
    assert row.claimed == -2.0 and row.true == 6.0 and row.at == POINT
    assert "missing chain-rule factor ∂e/∂a = b" in row.message
    neuron = one(NEURON, NPOINT, "w", "1 - tanh(x*w + b)^2")
    assert neuron.verdict == WRONG
    assert "missing chain-rule factor ∂(x * w)/∂w = x" in neuron.message
    # known-right: not wrong
    assert one(LECTURE, POINT, "a", "f*b").verdict != WRONG


def test_feedback_prints_in_the_programs_notation():
    """Whole numbers as integers, the program's power operator and names: d/dx sin(x^3) = cos(x^3)·3x²
    by hand, so the claim cos(x^3) misses the factor 3x² (= 1.47 at x = 0.7)."""
    row = one("y = sin(x^3)", {"x": 0.7}, "x", "cos(x^3)")
    assert row.verdict == WRONG and row.claim == "cos(x^3)"
    assert "missing chain-rule factor ∂(x^3)/∂x = 3*x^2 (= 1.47 here)" in row.message
    assert "at x=0.7 " in row.message
    # a program that writes ** is answered in **
    row = one("y = sin(x**2)", {"x": 0.7}, "x", "cos(x**2)")
    assert "missing chain-rule factor ∂(x ** 2)/∂x = 2*x (= 1.4 here)" in row.message
    # the first differing term, and the derivative it is missing from: d tanh(x²)/dx = 2x(1 − tanh²(x²))
    row = one("y = w*tanh(x^2)", {"x": 0.5, "w": 3.0}, "x", "w*(1 - y^2)")
    assert row.verdict == WRONG and row.claim == "w * (1 - y^2)"
    assert "at w=3, x=0.5 the claim" in row.message
    assert "the derivative 2*w*x*(1 - tanh(x^2)^2)" in row.message, row.message
    for shown in (row.claim, row.message):
        assert ".0" not in shown.replace("0.5", "") and "**" not in shown


def test_wrong_names_the_first_differing_factor():
    row = one(NEURON, NPOINT, "w", "(1 - tanh(x*w + b)^2)*w")
    assert row.verdict == WRONG
    assert "the factor w (= 0.5 here) does not appear" in row.message
    assert math.isclose(row.true, (1 - math.tanh(0.0) ** 2) * 2.0)    # x*w + b = 0 here, by hand
    # a claim that is merely 0.5 × the truth: no chain-rule factor is 1/2, so none is named
    half = one(NEURON, NPOINT, "w", "0.5*x")
    assert half.verdict == WRONG and "missing chain-rule factor" not in half.message


def test_right_only_at_the_given_point():
    for claim in ("6", "b*f + (a - 2)*(b + 3)"):
        row = one(LECTURE, POINT, "a", claim)
        assert row.verdict == HERE_ONLY, claim
        assert row.at != POINT and row.claimed != row.true     # the point where it differs, both values
        assert "equal at the given point only" in row.message
    assert one(LECTURE, POINT, "a", "b*f").verdict != HERE_ONLY


def test_unverified_without_points_elsewhere_or_a_proof():
    # Right at the point, and its difference from the truth is too big for the structural
    # proof bound (over 80 operations), and random=0 leaves no other point: nothing proves it.
    long_zero = " + ".join(f"(sin(x + {k})^2 + cos(x + {k})^2 - 1)" for k in range(12))
    row = one("y = x^2", {"x": 3.0}, "x", f"2*x + {long_zero}", random=0)
    assert row.verdict == UNVERIFIED and "no symbolic proof" in row.message
    # known-wrong: still wrong at the point
    assert one("y = x^2", {"x": 3.0}, "x", "3*x", random=0).verdict == WRONG
    # known-right and provable: correct even without random points
    assert one("y = x^2", {"x": 3.0}, "x", "2*x", random=0).verdict == CORRECT


def test_claims_are_parsed_by_the_grammar_never_evaluated():
    with pytest.raises(sg.ParseError) as err:
        one(LECTURE, POINT, "a", "__import__('os').system('true')")
    assert "claim for a" in str(err.value)
    with pytest.raises(sg.InputError, match="not a name of the program.*did you mean f"):
        one(LECTURE, POINT, "a", "b*ff")
    with pytest.raises(sg.InputError, match="one expression"):
        one(LECTURE, POINT, "a", "z = b*f")
    with pytest.raises(sg.InputError, match="not an input or intermediate"):
        one(LECTURE, POINT, "q", "b*f")


def test_claims_become_check_rows_and_exit_codes():
    report = apply_claims(sg.check(LECTURE, POINT), {"a": "f", "b": "a*f"})
    by_name = {r.name: r for r in report.rows if r.point == 0}
    assert by_name["a"].verdict == WRONG and "missing chain-rule factor" in by_name["a"].note
    assert by_name["a"].backprop == 6.0      # backprop's own dL/da = b·f = (−3)(−2), by hand; never the claim's −2
    assert by_name["a"].verdict == WRONG and report.claims[0].here == -2.0
    assert by_name["b"].verdict == CORRECT
    assert by_name["c"].verdict not in (WRONG, CORRECT)          # unclaimed rows keep the check's verdict
    assert claims_exit_code(report.claims) == 1
    data = json.loads(report.to_json())
    assert [r["backprop"] for r in data["rows"] if r["name"] == "a"] == [6.0]
    assert [(c["name"], c["verdict"], c["claimed"], c["true"]) for c in data["claims"]] == \
        [("a", WRONG, -2.0, 6.0), ("b", CORRECT, -4.0, -4.0)]
    assert claims_exit_code(judge_claims(LECTURE, POINT, {"a": "b*f"})) == 0
    assert claims_exit_code(judge_claims("y = x^2", {"x": 3.0}, {"x": "6"}, random=0)) == 3


def test_claim_options(tmp_path):
    p = argparse.ArgumentParser()
    add_claim_arguments(p)
    path = tmp_path / "claims.json"
    path.write_text(json.dumps({"a": "b*f", "b": "f"}))
    args = p.parse_args(["--claim", "b=a*f", "--claims", str(path), "--claim", "c = f"])
    assert read_claims(args.claim, args.claims) == {"a": "b*f", "b": "a*f", "c": " f"}
    path.write_text("[1, 2]")
    with pytest.raises(sg.InputError, match="JSON object"):
        read_claims(None, str(path))
    with pytest.raises(sg.InputError, match="bad --claim"):
        read_claims(["a"], None)


def test_hostile_claims_get_a_verdict_or_a_clear_error():
    # Values beyond float64's range are undefined, as the references define them: SymPy never
    # builds 2^(3^1024) exactly, nor exp(exp(exp(3))) at mpmath's unbounded exponents.
    for claim in ("exp(exp(exp(x)))", "x^1e300", "exp(exp(exp(100)))*0 + 2*x"):
        row = one("y = x^2", {"x": 3.0}, "x", claim)
        assert row.verdict == WRONG and "undefined" in row.message, claim
    with pytest.raises(sg.LimitError, match="max_exact_digits"):  # 2^(3^1024): its digits are bounded first
        one("y = x^2", {"x": 3.0}, "x", "2^3^4^5")
    with pytest.raises(sg.LimitError):
        one("y = x^2", {"x": 3.0}, "x", "-" * 5000 + "x")
    with pytest.raises(sg.InputError):
        one("y = x^2", {"x": 3.0}, "x", 2.0)


def test_a_claim_wrong_in_the_ninth_digit_is_wrong():
    # Claim and truth are both exact: cos(x)·(1 + 1e-9) differs from cos(x) by 1e-9 relative.
    report = sg.check("y = sin(x)", {"x": 0.3}, claims={"x": "cos(x)*(1 + 1e-9)"})
    assert [r.verdict for r in report.rows if r.name == "x"] == ["wrong"]
    report = sg.check("t = x*x; y = t + t*z", {"x": 2, "z": 3}, claims={"x": "2*x + 2*x*z*1.000000001"})
    assert [r.verdict for r in report.rows if r.name == "x"] == ["wrong"]  # wrong at the point too
