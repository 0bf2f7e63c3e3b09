"""symgrad.check and symgrad.diff: verdicts, goldens from SymPy and finite differences."""

import dataclasses
import json
import math
import time

import pytest
import sympy as sp
from sympy.core.cache import clear_cache

import symgrad as sg
from symgrad.rules.table import RULES


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def row(report, name, point=0):
    (found,) = [r for r in report.rows if r.name == name and r.point == point]
    return found


# -- goldens --------------------------------------------------------------------------------

def test_lecture_expression_matches_sympy_and_finite_differences():
    a, b, c, f = sp.symbols("a b c f", real=True)
    L = (a * b + c) * f
    at = {a: 2, b: -3, c: 10, f: -2}
    report = sg.check("e = a*b; d = e + c; L = d*f", a=2, b=-3, c=10, f=-2)
    assert report.ok and report.summary == {"agree": 7}
    for sym in (a, b, c, f):
        golden = float(sp.diff(L, sym).subs(at))
        r = row(report, sym.name)
        assert r.symbolic == pytest.approx(golden, rel=1e-12)
        assert r.backprop == pytest.approx(golden, rel=1e-12)
        assert r.numeric == pytest.approx(golden, rel=1e-6)
    # intermediates held independent: dL/de = dL/dd = f
    assert row(report, "e").symbolic == row(report, "d").symbolic == -2.0
    assert row(report, "L").symbolic == 1.0


def test_neuron_gradients_match_finite_differences_of_plain_python():
    text = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
    at = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)
    report = sg.check(text, at)
    assert report.summary == {"agree": 7}

    def out(**kw):
        p = {**at, **kw}
        return math.tanh(p["x1"] * p["w1"] + p["x2"] * p["w2"] + p["b"])
    for name in ("x1", "x2", "w1", "w2", "b"):
        golden = central(lambda v: out(**{name: v}), at[name])
        assert row(report, name).symbolic == pytest.approx(golden, abs=1e-8)
    assert row(report, "w1").symbolic == pytest.approx(1.0, abs=1e-6)  # the lecture's x1.grad*... = 2*0.5
    assert row(report, "x2").symbolic == pytest.approx(0.5, abs=1e-6)


def test_diff_matches_sympy_for_inputs_and_intermediates():
    x, y, t = sp.symbols("x y t", real=True)
    text = "t = sin(x)*y; u = t*t + exp(t); out = u + log(y) - t"
    assert sp.simplify(sg.diff(text, "x") - sp.diff(sp.sin(x) ** 2 * y ** 2 + sp.exp(sp.sin(x) * y)
                                                    + sp.log(y) - sp.sin(x) * y, x)) == 0
    # d(out)/dt with t held independent: later statements substituted, t kept as a symbol
    assert sp.simplify(sg.diff(text, "t") - sp.diff(t * t + sp.exp(t) + sp.log(y) - t, t)) == 0
    assert sg.diff(text, "out") == 1
    assert sg.diff(text, "u") == 1


def test_diff_display_form_is_simplified_and_equivalent():
    x = sp.Symbol("x", real=True)
    raw = sg.diff("sin(x)^2 + cos(x)^2 + x", "x")
    shown = sg.diff("sin(x)^2 + cos(x)^2 + x", "x", simplify=True)
    assert shown == 1
    assert sp.simplify(raw - shown) == 0
    assert all(s.is_real for s in raw.free_symbols | {x})


def test_diff_builds_symbols_with_real_assumption_and_exact_integer_exponents():
    expr = sg.diff("x^2", "x")
    (sym,) = expr.free_symbols
    assert sym.is_real
    assert expr == 2 * sym                      # exact: not 2.0*x**1.0


def test_unused_intermediate_and_alias():
    report = sg.check("u = x*2; d = x*3; L = d", x=1.5)
    assert report.summary == {"agree": 4}
    assert row(report, "u").symbolic == row(report, "u").numeric == 0.0
    assert row(report, "x").symbolic == 3.0


# -- kinks and domains -------------------------------------------------------------------------

def test_relu_and_abs_at_zero_follow_the_zero_convention_and_give_kink():
    # Hand derivation: relu(x) + x has slope 1 from the left and 2 from the right at 0;
    # abs(x) + x has 0 and 2. Both are true kinks; backprop's convention (relu'(0) = abs'(0) = 0)
    # gives 1, and the finite difference is not taken across the kink (it would straddle it).
    for fn, (left, right) in (("relu", (1.0, 2.0)), ("abs", (0.0, 2.0))):
        x = sp.Symbol("x", real=True)
        d = sg.diff(f"{fn}(x)", "x")
        assert d.free_symbols == {x}
        assert d.subs(x, 0) == 0                      # never Heaviside's 1/2
        assert d.subs(x, 2) == 1 and d.subs(x, -2) == (0 if fn == "relu" else -1)
        report = sg.check(f"{fn}(x) + x", x=0)
        r = row(report, "x")
        assert (r.backprop, r.symbolic) == (1.0, 1.0)
        assert (r.left, r.right) == (left, right)
        assert r.numeric is None and "left slope" in r.note
        assert r.verdict == "kink"
        assert report.ok and report.exit_code == 0


def test_kink_only_affects_names_upstream_of_it():
    report = sg.check("k = relu(a - b); out = k + c*c", a=1, b=1, c=2)
    assert row(report, "a").verdict == "kink"
    assert row(report, "b").verdict == "kink"
    assert row(report, "c").verdict == "agree"


def test_undefined_for_log_zero_and_division_by_zero():
    for text in ("log(x)", "1/x", "x/(x - x)"):
        report = sg.check(text, x=0)
        assert [r.verdict for r in report.rows] == ["undefined"], report.table()
        assert report.rows[0].backprop is None and report.rows[0].symbolic is None
        assert report.ok


def test_non_finite_is_never_agree():
    report = sg.check("sqrt(x)", x=0)      # the derivative is infinite at 0
    assert row(report, "x").verdict == "undefined"
    assert "agree" not in report.summary


def test_exp_tower_reports_overflow_cleanly():
    report = sg.check("exp(exp(exp(exp(exp(exp(x))))))", x=1)
    r = row(report, "x")
    assert r.verdict == "undefined"
    assert "overflow" in r.note
    assert "overflow" in report.table()
    json.loads(report.to_json())           # undefined values are null, never NaN


# -- a wrong derivative is caught -----------------------------------------------------------

@pytest.fixture
def broken_tanh(monkeypatch):
    """A test-only rule table: tanh's local derivative is wrong (1 - y instead of 1 - y²)."""
    bad = dataclasses.replace(RULES["tanh"], local=lambda x, out: (1.0 - out,))
    monkeypatch.setitem(RULES, "tanh", bad)


def test_wrong_local_derivative_is_a_mismatch(broken_tanh):
    report = sg.check("o = tanh(x*w + b)", x=0.5, w=-1.5, b=0.3)
    assert not report.ok
    assert {r.name: r.verdict for r in report.rows} == {"x": "mismatch", "w": "mismatch", "b": "mismatch",
                                                       "o": "agree"}
    # SymPy and finite differences agree with each other: the oracle is independent of the row.
    r = row(report, "x")
    assert r.symbolic == pytest.approx(r.numeric, rel=1e-6)
    assert r.backprop != pytest.approx(r.symbolic, rel=1e-3)
    assert "MISMATCH" in report.table()


def test_wrong_derivative_is_caught_at_random_points_too(broken_tanh):
    report = sg.check("tanh(x)", random=5, seed=1)
    assert [r.verdict for r in report.rows] == ["mismatch"] * 5


def test_one_side_undefined_is_a_mismatch(monkeypatch):
    bad = dataclasses.replace(RULES["sin"], local=lambda x, out: (math.inf,))
    monkeypatch.setitem(RULES, "sin", bad)
    report = sg.check("sin(x)", x=0.5)
    r = row(report, "x")
    assert r.backprop is None and r.symbolic == pytest.approx(math.cos(0.5))
    assert r.verdict == "mismatch" and not report.ok


# -- bounded by structure, not by the clock ------------------------------------------------

def statement_bomb(repeats: int = 25) -> str:
    lines = ["v0 = x*y + y"] + [f"v{k} = v{k - 1}*v{k - 1} + v{k - 1}" for k in range(1, repeats + 1)]
    return "\n".join(lines)


def test_statement_bomb_is_checked_completely():
    # The old check ran SymPy on the substituted output (2^25 nodes) and skipped rows on a
    # clock. The exact reference chains each statement's partials: every row is verified.
    # Golden: the chain rule by hand, in mpmath at 80 digits.
    import mpmath
    report = sg.check(statement_bomb(), x=0.01, y=0.01)
    assert report.summary == {"agree": 28} and report.verified
    with mpmath.workdps(80):
        x = y = mpmath.mpf(0.01)
        v, dvdx, dvdy = x * y + y, y, x + 1
        for _ in range(25):
            v, dvdx, dvdy = v * v + v, (2 * v + 1) * dvdx, (2 * v + 1) * dvdy
        assert row(report, "x").symbolic == float(dvdx) and row(report, "y").symbolic == float(dvdy)


def test_no_option_that_does_nothing():
    # A clock budget for SymPy was accepted and ignored; the work is bounded by structure.
    with pytest.raises(sg.InputError, match="unknown limit symbolic_budget"):
        sg.Limits(symbolic_budget=1.0)
    with pytest.raises(sg.InputError, match="unknown limit"):
        sg.Limits.parse_option(["symbolic_budget=2"])
    from symgrad.gradcheck.symbolic import Partials
    with pytest.raises(TypeError):
        Partials(sg.parse("x*y"), 5.0)   # no deadline


def test_diff_over_the_structural_limit_raises_check_error():
    with pytest.raises(sg.CheckError, match="max_closed_form_nodes"):
        sg.diff(statement_bomb(), "x")


def test_nested_tanh_20_deep_checks_in_under_a_second():
    text = "x"
    for _ in range(20):
        text = f"tanh({text})"
    clear_cache()
    start = time.process_time()           # CPU time: other developers share this machine
    report = sg.check(text, x=0.5)
    assert time.process_time() - start < 1.0
    assert report.summary == {"agree": 1}


# -- random points, options, report formats ----------------------------------------------------

def test_random_points_are_seeded_and_inside_the_domain():
    one = sg.check("log(x)*sqrt(y) + x^y", random=6, seed=3)
    two = sg.check("log(x)*sqrt(y) + x^y", random=6, seed=3)
    other = sg.check("log(x)*sqrt(y) + x^y", random=6, seed=4)
    assert one.to_json() == two.to_json()
    assert one.points != other.points
    assert len(one.points) == 6 and all(p["x"] > 0 and p["y"] > 0 for p in one.points)
    assert one.summary == {"agree": 12}


@pytest.mark.parametrize("kwargs", [dict(rtol=-1), dict(atol=math.nan), dict(fd_eps=0), dict(random=0),
                                    dict(random=True), dict(random=2, x=1)])
def test_bad_options_raise_input_error(kwargs):
    if "random" not in kwargs:
        kwargs["x"] = 1
    with pytest.raises(sg.InputError):
        sg.check("x*x", **kwargs)


def test_missing_input_is_a_binding_error():
    with pytest.raises(sg.MissingInputError):
        sg.check("x*y", x=1)
    with pytest.raises(sg.InputError):
        sg.diff("x*y", "z")


def test_report_formats_are_deterministic_and_escaped():
    report = sg.check("e = a*b; L = e + a", a=2, b=3)
    data = report.to_dict()
    assert data["ok"] is True and data["output"] == "L"
    assert [r["name"] for r in data["rows"]] == ["a", "b", "e", "L"]
    assert set(data["rows"][0]) >= {"point", "name", "backprop", "symbolic", "numeric", "verdict", "note",
                                    "error", "tolerance", "digits", "left", "right"}
    assert json.loads(report.to_json()) == data
    html = report._repr_html_()
    assert html.startswith("<table") and "<td>agree</td>" in html
    assert report.table() == sg.check("e = a*b; L = e + a", a=2, b=3).table()
    lines = report.table().splitlines()
    assert lines[-1] == "ok: 4 agree"
    weird = sg.check("log(x)", x=0)._repr_html_()
    assert "<" not in weird.split("<td>")[-1].split("</td>")[0]  # notes are escaped text


def test_a_sum_is_undefined_when_any_term_is():
    # d/dx of log(y) + x*x is 2x in one term, but at y = -1 the output itself is undefined.
    report = sg.check("log(y) + x*x", x=1, y=-1)
    assert {r.name: r.verdict for r in report.rows} == {"x": "undefined", "y": "undefined"}
