"""The check's verdict is a fact about the program at the point: exact references, never the clock.

Every expected value comes from an independent source: mpmath at 60 digits or a hand
derivation in the comment. None comes from symgrad.
"""

import json
import math
from fractions import Fraction

import mpmath
import pytest

import symgrad as sg
from symgrad.interface.cli.main import main
from symgrad.gradcheck.reference import reference

mpmath.mp.dps = 60


def row(report, name):
    (found,) = [r for r in report.rows if r.name == name]
    return found


def strict_json(text):
    """json.loads that refuses NaN and Infinity tokens."""
    return json.loads(text, parse_constant=lambda token: pytest.fail(f"{token} in JSON"))


# -- false alarms of the old check -------------------------------------------------------------

def test_softplus_at_1000_agrees():
    golden = 1 / (1 + mpmath.exp(-1000))             # softplus' = sigmoid
    r = row(sg.check("softplus(x)", x=1000), "x")
    assert r.verdict == "agree" and r.symbolic == float(golden) == 1.0


def test_sigmoid_at_minus_800_agrees_and_its_exact_slope_is_known():
    golden = mpmath.exp(-800) / (1 + mpmath.exp(-800)) ** 2     # σ'(x) = e^x/(1+e^x)², 3.7e-348
    r = row(sg.check("sigmoid(x)", x=-800), "x")
    assert r.verdict == "agree" and r.symbolic == float(golden) == 0.0   # below float64's range
    exact = reference("sigmoid(x)", x=-800).grads["x"]
    assert abs(mpmath.mpf(exact.mid().str(50, radius=False)) / golden - 1) < 1e-40


def test_exp_log_at_minus_1_is_undefined_whatever_sympy_simplifies():
    report = sg.check("exp(log(x))", x=-1)
    r = row(report, "x")
    assert r.verdict == "undefined" and "log" in r.note
    assert report.exit_code == 0 and report.verified


def test_relu_just_right_of_its_kink_agrees_with_an_untouched_witness():
    r = row(sg.check("relu(x)", x=1e-7), "x")
    assert (r.verdict, r.backprop, r.symbolic, r.numeric) == ("agree", 1.0, 1.0, 1.0)


def test_sin_of_a_million_x_agrees_and_the_witness_resolves_it():
    golden = 1000000 * mpmath.cos(1000000)
    r = row(sg.check("sin(1000000*x)", x=1), "x")
    assert r.verdict == "agree" and r.symbolic == float(golden)
    assert math.isclose(r.numeric, float(golden), rel_tol=1e-12)


def test_power_at_zero_base_follows_the_one_sided_derivative():
    # d/da a^b at a = 0, b = 1 is lim (h^1 − 0)/h = 1; d/db is 0, since 0^b = 0 for every b > 0.
    report = sg.check("a^b", a=0, b=1)
    assert {r.name: (r.verdict, r.symbolic) for r in report.rows} == {"a": ("agree", 1.0), "b": ("agree", 0.0)}


def test_tanh_times_huge_y_keeps_its_cancelled_slope():
    golden = mpmath.mpf(1e20) * (1 - mpmath.tanh(30) ** 2)
    r = row(sg.check("tanh(x)*y", x=30, y=1e20), "x")
    assert r.verdict == "agree" and r.symbolic == float(golden)


def test_deep_cancellation_escalates_precision():
    golden = 4 / (mpmath.exp(300) + mpmath.exp(-300)) ** 2   # sech²(300) = 4e-261; 1 − tanh² cancels
    ref = reference("tanh(x)", x=300)
    assert ref.bits > 200 and float(ref.grads["x"].mid()) == float(golden)
    assert row(sg.check("tanh(x)", x=300), "x").verdict == "agree"


# -- misses of the old check -------------------------------------------------------------------

def test_a_differentiable_point_of_relus_is_a_mismatch_for_backprops_convention():
    # relu(x) − relu(−x) = x: slope 1 from both sides at 0; backprop's relu'(0) = 0 gives 0.
    report = sg.check("relu(x) - relu(-x)", x=0)
    r = row(report, "x")
    assert (r.verdict, r.left, r.right, r.backprop, r.symbolic) == ("mismatch", 1.0, 1.0, 0.0, 1.0)
    assert "convention" in r.note and report.exit_code == 1


def test_abs_at_zero_is_a_kink_with_both_slopes():
    r = row(sg.check("abs(x)", x=0), "x")
    assert (r.verdict, r.left, r.right, r.backprop) == ("kink", -1.0, 1.0, 0.0)


@pytest.mark.parametrize("wrong", [1.01, 1.5, 0.99])
def test_no_blind_band_near_1e_9(wrong):
    text = "1e-9*sin(x)"
    golden = float(mpmath.mpf(1e-9) * mpmath.cos(0.5))
    assert row(sg.check(text, x=0.5, grads={"x": golden}), "x").verdict == "agree"
    assert row(sg.check(text, x=0.5, grads={"x": golden * wrong}), "x").verdict == "mismatch"


def test_a_1_percent_error_at_1e_300_is_a_mismatch():
    assert row(sg.check("x*1e-300", x=5, grads={"x": 1.01e-300}), "x").verdict == "mismatch"
    assert row(sg.check("x*1e-300", x=5, grads={"x": 1e-300}), "x").verdict == "agree"


def test_huge_cancelling_sum_is_exact_and_its_json_is_valid(capsys):
    # d/dx (1e308·x + 1e308·x − 1e308·x) = 1e308 exactly (hand); float64 could overflow on the way.
    report = sg.check("1e308*x + 1e308*x - 1e308*x", x=1e-300)
    r = row(report, "x")
    assert r.symbolic == 1e308 and r.verdict != "mismatch"
    strict_json(report.to_json())
    assert main(["check", "1e308*x + 1e308*x - 1e308*x", "--at", "x=1e-300", "--json"]) in (0, 3)
    strict_json(capsys.readouterr().out)


def test_a_nan_gradient_is_a_mismatch_and_json_stays_valid():
    report = sg.check("x*x", x=2, grads={"x": math.nan})
    assert row(report, "x").verdict == "mismatch"
    assert strict_json(report.to_json())["rows"][0]["backprop"] == "nan"


def test_huge_exponent_is_exact_and_cheap():
    # 1e10 · 0.5^(1e10 − 1) is about 10^(−3e9): 0 in float64, and backprop says 0 too.
    golden = mpmath.mpf(10) ** 10 * mpmath.mpf(0.5) ** (10 ** 10 - 1)
    r = row(sg.check("x^10000000000", x=0.5), "x")
    assert r.verdict == "agree" and r.symbolic == float(golden) == 0.0


def test_float_rounding_onto_a_kink_is_a_kink_with_the_note():
    # x*x − y is exactly negative (Fractions) but rounds to 0 in float64, so backprop takes
    # abs'(0) = 0 while the exact slope is −2x. Float64 sits on the kink: `kink`, never `agree`.
    x, y = 0.1, 0.1 * 0.1
    assert Fraction(x) ** 2 - Fraction(y) < 0 and x * x - y == 0.0
    r = row(sg.check("abs(x*x - y)", x=x, y=y), "x")
    assert r.backprop == 0.0 and r.symbolic == -0.2 and r.verdict == "kink" and "onto the kink" in r.note


def test_ill_conditioned_gradient_is_labelled_never_a_false_alarm():
    # 1e20·x rounds by up to 1e4, so cos of it has no correct digit in float64: any number would
    # pass float64's own bound, so the row is unverified (exit 3), never agree and never a false alarm.
    r = row(sg.check("sin(x*1e20)", x=0.3), "x")
    assert r.verdict == "unverified" and r.digits == 0 and "ill-conditioned" in r.note
    # 1e10·x rounds by about 1e-7 (mpmath: the exact slope is 1e10·cos(3e9)): some digits survive.
    r = row(sg.check("sin(x*1e10)", x=0.3), "x")
    exact = mpmath.mpf(10) ** 10 * mpmath.cos(mpmath.mpf(10) ** 10 * mpmath.mpf(0.3))
    assert r.verdict == "agree" and 0 < r.digits < 9 and "ill-conditioned" in r.note
    assert abs(r.symbolic - float(exact)) <= 1e-15 * abs(float(exact))


def test_undecidable_point_is_unverified_with_exit_3():
    # sin(y)² + cos(y)² − 1 is exactly 0 for every y, but no ball can prove it at an input.
    report = sg.check("log(sin(y)^2 + cos(y)^2 - 1) + x", x=1, y=1)
    assert {r.verdict for r in report.rows} == {"unverified"}
    assert report.ok and not report.verified and report.exit_code == 3


def test_a_constant_subexpression_is_decided_exactly():
    # sin(π) = 0 exactly (SymPy, on the constant subexpression), so log(sin(π)) and x / sin(π)
    # are outside the domain; float64's sin(3.141592653589793) = 1.2e-16 is only rounding.
    assert mpmath.sin(mpmath.pi) == 0 or abs(mpmath.sin(mpmath.pi)) < mpmath.mpf(10) ** -15
    for text in ("log(sin(pi)) + x", "x / sin(pi)"):
        report = sg.check(text, x=1)
        assert [r.verdict for r in report.rows] == ["undefined"] and report.exit_code == 0, text
        assert "rounding" in report.rows[0].note
    # (-8)^(1/3) is a DomainError in backprop (README), and undefined here too, never unverified.
    (row_,) = sg.check("(-8)**(1/3) + x", x=1).rows
    assert row_.verdict == "undefined" and row_.backprop is None and "negative" in row_.note


def test_exit_codes(capsys, tmp_path):
    assert main(["check", "x*y", "--at", "x=2", "y=3"]) == 0
    assert main(["check", "x*y", "--at", "x=2", "y=3", "--grads", "x=3", "y=2"]) == 0
    assert main(["check", "x*y", "--at", "x=2", "y=3", "--grads", "x=3.1"]) == 1
    grads = tmp_path / "g.json"
    grads.write_text('{"x": 3, "y": 2}')
    assert main(["check", "x*y", "--at", "x=2", "y=3", "--grads", str(grads), "--json"]) == 0
    assert strict_json(capsys.readouterr().out.split("\n}\n")[-1] or "{}") is not None
    assert main(["check", "log(sin(y)^2 + cos(y)^2 - 1) + x", "--at", "x=1", "y=1"]) == 3


def test_user_gradients_check_only_the_names_given():
    report = sg.check("e = a*b; L = e + a", a=2, b=3, grads={"a": 4, "e": 1})
    assert [(r.name, r.verdict) for r in report.rows] == [("a", "agree"), ("e", "agree")]
    with pytest.raises(sg.InputError):
        sg.check("x*y", x=1, y=2, grads={"z": 1})


# -- the evaluator covers every SymPy class the rule table produces -------------------------------

def test_every_row_and_its_partials_compile_for_the_exact_evaluator():
    from symgrad.gradcheck.row_forms import row_forms
    from symgrad.rules.table import INTERNAL, RULES
    for rule in list(RULES.values()) + list(INTERNAL.values()):
        forms = row_forms(rule, (None,) * rule.arity)
        assert all(p is not None for p in forms.partials), rule.name


def test_a_sympy_class_missing_from_the_table_fails_loudly():
    import sympy
    from symgrad.gradcheck.balls import Form, UnsupportedForm
    x = sympy.Symbol("x", real=True)
    with pytest.raises(UnsupportedForm, match="gamma"):
        Form(sympy.gamma(x), (x,))


def test_every_listed_sympy_function_evaluates_against_mpmath():
    import sympy as sp
    from flint import arb
    from symgrad.gradcheck.balls import Form, with_precision
    a, b = sp.symbols("a b", real=True)
    cases = [(sp.exp(a) + sp.log(b), mpmath.exp(0.3) + mpmath.log(0.7)), (sp.tan(a) * sp.sinh(b), mpmath.tan(0.3) * mpmath.sinh(0.7)),
             (sp.cosh(a) - sp.tanh(b), mpmath.cosh(0.3) - mpmath.tanh(0.7)), (sp.asin(a) + sp.acos(b), mpmath.asin(0.3) + mpmath.acos(0.7)),
             (sp.atan(a) * sp.asinh(b), mpmath.atan(0.3) * mpmath.asinh(0.7)), (sp.acosh(1 + b) + sp.atanh(a), mpmath.acosh(1.7) + mpmath.atanh(0.3)),
             (sp.erf(a) + sp.Abs(-b) + sp.sign(a), mpmath.erf(0.3) + 0.7 + 1), (sp.Max(a, b) - sp.Min(a, b), mpmath.mpf(0.7) - 0.3),
             (sp.atan2(a, b) + sp.sqrt(b), mpmath.atan2(0.3, 0.7) + mpmath.sqrt(0.7)), (sp.Heaviside(a - b) + sp.pi + sp.E, mpmath.pi + mpmath.e),
             (sp.Piecewise((a, sp.And(a > 0, b >= 1)), (b ** sp.Rational(3, 2), sp.Or(sp.Eq(a, b), sp.Ne(a, 0))), (0, True)), mpmath.mpf(0.7) ** 1.5),
             (sp.sin(a) * sp.cos(b) + sp.Float(0.1) + sp.Integer(3) * a, mpmath.sin(0.3) * mpmath.cos(0.7) + mpmath.mpf(0.1) + 3 * mpmath.mpf(0.3))]
    with with_precision(200):
        for expr, golden in cases:
            value = Form(expr, (a, b)).run([arb(0.3), arb(0.7)])
            assert abs(mpmath.mpf(value.mid().str(50, radius=False)) - golden) < mpmath.mpf(10) ** -45, expr


def test_a_kink_predicate_works_like_the_flag(monkeypatch):
    import dataclasses
    from symgrad.rules.table import RULES
    monkeypatch.setitem(RULES, "abs", dataclasses.replace(RULES["abs"], kink=lambda x: x == 0.0))
    r = row(sg.check("abs(x) + x", x=0), "x")
    assert (r.verdict, r.left, r.right) == ("kink", 0.0, 2.0)     # hand: slopes 1 − 1 and 1 + 1
    assert row(sg.check("abs(x) + x", x=0.5), "x").verdict == "agree"


def test_the_precision_limit_is_honoured_and_reported():
    # sech²(300) = 4e-261 needs about 1,000 bits; capped at 400 the row cannot be verified.
    report = sg.check("tanh(x)", x=300, limits=sg.Limits(max_reference_bits=400))
    assert [r.verdict for r in report.rows] == ["unverified"] and report.exit_code == 3
    assert main(["check", "tanh(x)", "--at", "x=300", "--limit", "max_reference_bits=400"]) == 3


def test_an_infinite_derivative_is_never_a_mismatch_on_the_other_rows():
    # sqrt'(0) is infinite (by hand), so backprop gives no number; dy/dy = 1 exists but is not
    # backprop's to give: unverified, exit 3, never a false alarm.
    report = sg.check("y = sqrt(x)", x=0)
    assert {r.name: r.verdict for r in report.rows} == {"x": "undefined", "y": "unverified"}
    assert report.ok and report.exit_code == 3
    # 1/tan(x) at 1e-160: the slope -1/sin²(x) ≈ -1e320 exists but overflows float64.
    report = sg.check("y = 1/tan(x)", x=1e-160)
    assert report.ok and report.exit_code == 3 and "beyond float64" in row(report, "y").note


def test_no_digit_promised_is_unverified_even_for_given_grads():
    # cosh(x) - sinh(x) = exp(-x): the slope at 30 is -exp(-30) = -9.36e-14 (mpmath), but float64's
    # cosh and sinh of 30 (about 5e12) round by about 1e-3, so no float64 value can be verified.
    exact = -mpmath.exp(-30)
    r = row(sg.check("y = cosh(x) - sinh(x)", x=30), "x")
    assert r.verdict == "unverified" and abs(r.symbolic - float(exact)) <= 1e-15 * abs(float(exact))
    # (x + 1e16) - 1e16 loses x in float64: a 22% wrong given gradient is not "agree".
    r = row(sg.check("y = sqrt((x + 1e16) - 1e16 + 0.5)", x=1, grads={"x": 0.5}), "x")
    assert r.verdict == "unverified" and abs(r.symbolic - float(0.5 / mpmath.sqrt(1.5))) < 1e-15
