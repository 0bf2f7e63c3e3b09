"""The three-way check under hostile and edge input: valid fuzzed programs pass it, nothing
non-finite is called agree, a 1e-300 gradient is seen, the symbolic budget holds, the limits
apply, no code runs, and its JSON is byte-identical across hash seeds."""

from __future__ import annotations

import builtins
import dataclasses
import math
import os
import subprocess
import sys
import time

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.rules.table import RULES
from helpers.hostile_corpus import CASES, _bomb
from helpers.strategies import DrawSource, finite_difference_agrees, point_for, valid_programs

from helpers import ROOT  # noqa: E402


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(valid_programs, st.data())
def test_valid_programs_pass_the_three_way_check(text, data):
    program = sg.parse(text)
    point = point_for(DrawSource(data.draw), program)
    try:
        result = sg.backprop(program, point)
    except (sg.DomainError, sg.NumericError):
        assume(False)  # outside the domain at this point
    assume(finite_difference_agrees(program, point, result))  # smooth here: FD can judge
    report = sg.check(program, point)
    # In float64 sin(pi) is 1.2e-16; exactly it is 0, so x/sin(pi) is outside the domain.
    assume(not any(r.symbolic is None and "undefined" in r.note for r in report.rows))
    assert report.ok, str(report)
    for row in report.rows:
        # unverified: an exact zero built from constants (-pi + pi), or a tie of max/min
        # (max(3x, 3x)) whose one-sided slopes the reference cannot settle, or a float64 bound that
        # cannot be enclosed (0^v with v just above 1, its base 0 = x - x known only to a rounding
        # interval that straddles 0): never a guess, and never a mismatch. In the last case the
        # exact gradient itself was verified and backprop must still be close to it.
        unbounded = "error bound is not finite" in row.note and row.symbolic is not None and \
            abs(row.backprop - row.symbolic) <= 1e-8 * max(abs(row.symbolic), 1e-300)
        undecided = row.verdict == "unverified" and ("cannot decide" in row.note or "undetermined" in row.note
                                                     or unbounded)
        assert row.verdict in ("agree", "kink") or undecided, row
        if row.verdict == "agree":
            assert row.backprop == result.grads[row.name]


def test_alias_gradient_agrees_with_the_symbolic_partial():
    # Found by the fuzzer: `t0 = x; t0 + x` gave backprop 2, SymPy 1 for t0. An alias is its own node.
    report = sg.check("e = a*b; d = e; L = d*c + e", a=1.0, b=2.0, c=3.0)
    assert report.ok, str(report)
    assert report.summary == {"agree": len(report.rows)}
    grads = sg.backprop("e = a*b; d = e; L = d*c + e", a=1.0, b=2.0, c=3.0).grads
    assert grads["d"] == 3.0 and grads["e"] == 4.0  # dL/dd holds d independent; dL/de flows both ways
    assert sg.check("t0 = x; t0 + x", x=0.5).ok


NUMERIC_CASES = [c for c in CASES if c.expected in (sg.NumericError, sg.DomainError) and c.point]


@pytest.mark.parametrize("case", NUMERIC_CASES, ids=[c.id for c in NUMERIC_CASES])
def test_non_finite_is_never_agree(case):
    report = sg.check(case.source, case.point)
    assert not report.rows or all(r.verdict != "agree" for r in report.rows if r.backprop is None)
    for row in report.rows:
        for value in (row.backprop, row.symbolic, row.numeric):
            assert value is None or math.isfinite(value), row
        if row.verdict == "agree":
            assert None not in (row.backprop, row.symbolic)


def test_a_1e_300_gradient_is_reported_and_checked():
    (row,) = sg.check("x*1e-300", x=5.0).rows
    assert row.verdict == "agree" and row.backprop == row.symbolic == 1e-300
    assert math.isclose(row.numeric, 1e-300, rel_tol=1e-6)


def test_with_atol_0_a_wrong_1e_300_gradient_is_a_mismatch(monkeypatch):
    # Break the product rule: d(u*v)/du = 0. Backprop then says 0 where SymPy says 1e-300.
    broken = dataclasses.replace(RULES["mul"], local=lambda a, b, out: (0.0, a))
    monkeypatch.setitem(RULES, "mul", broken)
    (row,) = sg.check("x*1e-300", x=5.0, atol=0).rows
    assert row.backprop == 0.0 and row.symbolic == 1e-300
    assert row.verdict == "mismatch"


def test_default_tolerances_catch_a_wrong_1e_300_gradient(monkeypatch):
    broken = dataclasses.replace(RULES["mul"], local=lambda a, b, out: (0.0, a))
    monkeypatch.setitem(RULES, "mul", broken)
    (row,) = sg.check("x*1e-300", x=5.0).rows
    assert row.backprop == 0.0 and row.symbolic == 1e-300
    assert row.verdict == "mismatch"


def test_a_slope_lost_to_cancellation_is_seen():
    # tanh'(20) = 1 - tanh(20)^2 cancels to 0 in float64; its true value, from 50-digit SymPy:
    exact = float((1 - sympy.tanh(sympy.Float(20, 50)) ** 2).evalf(50))
    assert 1e-18 < exact < 1e-16
    (row,) = sg.check("tanh(x)", x=20.0).rows
    assert row.verdict == "agree"
    assert math.isclose(row.symbolic, exact, rel_tol=1e-12) and math.isclose(row.backprop, exact, rel_tol=1e-9)


def test_a_cancelling_derivative_rule_is_a_mismatch(monkeypatch):
    naive = dataclasses.replace(RULES["tanh"], local=lambda x, out: (1.0 - out * out,))
    monkeypatch.setitem(RULES, "tanh", naive)
    (row,) = sg.check("tanh(x)", x=20.0).rows
    assert row.backprop == 0.0 and row.symbolic > 1e-18
    assert row.verdict == "mismatch"


def test_a_statement_bomb_is_bounded_by_structure():
    start = time.monotonic()
    report = sg.check(_bomb(30), x=0.01, y=0.01)
    assert time.monotonic() - start < 60  # a bound on hanging, not a benchmark
    assert report.ok
    assert {r.verdict for r in report.rows} <= {"agree"}


def test_limits_apply_to_check():
    deep = "-" * 300 + "x"
    with pytest.raises(sg.LimitError) as info:
        sg.check(deep, x=1.0)
    assert info.value.limit == "max_depth"
    assert sg.check(deep, x=1.0, limits=sg.Limits(max_depth=400)).ok
    with pytest.raises(sg.LimitError):
        sg.check("x" * 65, random=1)


def test_check_runs_no_code(monkeypatch, tmp_path):
    sg.check("tanh(x*w + b)", x=1.0, w=2.0, b=0.5)  # warm up SymPy before the traps are set
    monkeypatch.chdir(tmp_path)
    for name in ("eval", "exec", "breakpoint"):
        monkeypatch.setattr(builtins, name, lambda *a, _n=name, **k: pytest.fail(f"{_n} called"))
    monkeypatch.setattr(os, "system", lambda *a: pytest.fail("os.system called"))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("subprocess called"))
    for case in CASES:
        if len(case.source) < 1_000:
            try:
                sg.check(case.source, case.point or None, random=None if case.point else 1)
            except sg.SymgradError:
                pass
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_check_json_is_byte_identical_across_hash_seeds(tmp_path):
    args = [sys.executable, "-m", "symgrad", "check", "n = x1*w1 + x2*w2 + b; o = tanh(n); L = o*o + relu(c)",
            "--random", "3", "--seed", "7", "--json"]
    outs = set()
    for seed in ("0", "1", "99"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(args, capture_output=True, env=env, cwd=tmp_path, timeout=120)
        assert proc.returncode in (0, 1), proc.stderr
        outs.add(proc.stdout)
    assert len(outs) == 1 and outs.pop().isascii()


def test_an_exact_symbolic_zero_uses_the_absolute_tolerance():
    # SymPy folds sin(pi) to 0; backprop's float pi gives sin(pi) = 1.2e-16. Found by the fuzzer.
    (x_row, *_) = sg.check("t0 = x\nt1 = pi\nt1 + (sin(pi) * x)", x=0.5).rows
    assert x_row.symbolic == 0.0 and x_row.backprop == math.sin(math.pi)
    assert x_row.verdict == "agree"


def test_roundoff_where_paths_cancel_is_judged_by_atol():
    # Found by fuzzing: d/dx of (x + (-(x*z)/(z + .25)^-.25)/0.1)/x is exactly 0 (the x cancels),
    # but its O(10) paths leave 1.3e-15 of float64 roundoff. That is roundoff, not a wrong rule.
    prog = "t1 = 1.5\nt1 + ((--x + ((-(x * z) / ((z + .25) ^ -.25)) / 1e-1)) / --x)"
    (row, *_) = sg.check(prog, x=0.963, z=0.978).rows
    assert 1e-16 < abs(row.backprop) < 1e-13 and abs(row.symbolic) < 1e-40
    assert row.verdict == "agree"


def test_a_gradient_far_below_50_digits_is_evaluated_exactly():
    # Found by fuzzing: tanh'(~325) ≈ 4e-283, so 1 − tanh² needs ~280 digits; SymPy gets them
    # from exact rationals. The exact value, independently: 4·e^(-2u)/(1 + e^(-2u))² in mpmath.
    import mpmath
    prog = ("t0 = exp(((3 + (z ^ cos((1.5 / 1.5)))) / 1.5))\n"
            "t0 + tanh(((abs(--pi) - (-.25 - exp((exp(pi) * .25)))) * softplus((cos(1e-1) - x))))")
    report = sg.check(prog, z=0.461, x=0.473)
    row = next(r for r in report.rows if r.name == "x")
    with mpmath.workdps(60):
        c = mpmath.mpf(math.pi) + 0.25 + mpmath.exp(mpmath.exp(mpmath.mpf(math.pi)) * 0.25)
        s = mpmath.mpf(math.cos(0.1)) - mpmath.mpf(0.473)
        u = c * mpmath.log1p(mpmath.exp(s))
        exact = -4 * mpmath.exp(-2 * u) / (1 + mpmath.exp(-2 * u)) ** 2 * c / (1 + mpmath.exp(-s))
    assert math.isclose(row.symbolic, float(exact), rel_tol=1e-9)
    assert math.isclose(row.backprop, float(exact), rel_tol=1e-9)
    assert row.verdict == "agree" and report.ok


def test_the_exact_reference_reports_an_undefined_derivative():
    from symgrad.gradcheck.reference import reference
    assert float(reference("sqrt(x)", {"x": 4.0}).grads["x"].mid()) == 0.25
    ref = reference("sqrt(x)", {"x": -1.0})     # sqrt(-1) is not real: the program is undefined
    assert not ref.defined and "sqrt" in ref.failure_node


def test_finite_differences_of_a_huge_output_are_judged_with_their_rounding():
    # Found by fuzzing: 3^(3^pi) ≈ 1.1e15, so a 1e-6 step is lost to rounding (the FD reads 0 or 2).
    # Backprop and SymPy still agree tightly; the FD's own rounding, 10·ε·|f|/h ≈ 25, is allowed for.
    report = sg.check("t0 = y + 3^(3^pi)\nt0 + z*0.5", y=-0.813, z=-1.137)
    assert report.ok and all(r.verdict == "agree" for r in report.rows), str(report)
    assert all(r.backprop == r.symbolic for r in report.rows)


def test_literals_kept_in_exponents_are_exact_in_the_precise_evaluation():
    # Found by fuzzing: 1.5 and .25 sit in an exponent, where SymPy keeps them as 15-digit Floats;
    # the 50-digit value must treat them as the exact doubles they are. Reference: mpmath, 60 digits.
    import mpmath
    with mpmath.workdps(60):
        z, y = mpmath.mpf(-1.828), mpmath.mpf(-0.78)
        f = lambda x: (1 / (1 + mpmath.exp(-z))) ** (-mpmath.tanh(mpmath.mpf(1.5) / -(mpmath.mpf(0.25) * x)) - y)
        exact = float(mpmath.diff(f, mpmath.mpf(0.515)))
    report = sg.check("t0 = (sigmoid(z) ^ (-tanh((1.5 / -(.25 * x))) - y))\nt0 + -1.5", z=-1.828, x=0.515, y=-0.78)
    row = next(r for r in report.rows if r.name == "x")
    assert math.isclose(row.symbolic, exact, rel_tol=1e-12) and math.isclose(row.backprop, exact, rel_tol=1e-12)
    assert report.ok
