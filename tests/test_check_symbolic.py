"""The SymPy side on its own: building, structure sharing, the float evaluator."""

import math
import threading
import time

import pytest
import sympy as sp

import symgrad as sg
from symgrad._errors import CheckError
from symgrad._fasteval import SymbolicDomain, compile_expr, evaluate
from symgrad._symbolic import Partials, definitions

x, y = sp.symbols("x y", real=True)


def test_definitions_keep_named_intermediates_for_display():
    defs = definitions("e = a*b; d = e + c; L = d*f")
    a, b, c, d, e, f = sp.symbols("a b c d e f", real=True)
    assert defs == {"e": a * b, "d": e + c, "L": d * f}


def test_repeated_shapes_are_differentiated_once_and_agree_with_sympy():
    text = " + ".join(f"{k + 1.5}*tanh(x{k}*w{k} + {k}) " for k in range(12))
    prog = sg.parse(text)
    partials = Partials(prog)
    for k in range(12):
        xk, wk = sp.Symbol(f"x{k}", real=True), sp.Symbol(f"w{k}", real=True)
        golden = sp.diff((k + 1.5) * sp.tanh(xk * wk + k), xk)
        assert sp.simplify(partials.expr(f"x{k}") - golden) == 0
    # one canonical shape per distinct exactness of the literals: the k=0 term adds 0 exactly
    assert len(partials.shapes) == 2


def test_literals_in_exponents_stay_exact():
    assert sg.diff("x^3 + 2*x", "x") == 3 * x ** 2 + 2
    report = sg.check("x^2 + (x*x)^1.5 + 3*x", x=0)
    assert report.summary == {"agree": 1}


def test_evaluator_is_lazy_in_piecewise_and_reports_domains():
    pw = sp.Piecewise((sp.log(x), x > 0), (0, True))
    assert evaluate(pw, {x: -1.0}) == 0.0
    assert evaluate(pw, {x: math.e}) == pytest.approx(1.0)
    for expr, at in ((sp.log(x), 0.0), (1 / x, 0.0), (sp.sqrt(x), -1.0), (sp.exp(x), 1000.0), (sp.zoo * x, 1.0)):
        with pytest.raises(SymbolicDomain):
            evaluate(expr, {x: at})
        with pytest.raises(SymbolicDomain):
            compile_expr(expr)({x: at})


def test_compiled_and_tree_evaluators_agree_with_evalf():
    expr = sp.tanh(x * y) ** 2 / (1 + sp.exp(-x)) + sp.Abs(y) * sp.sign(x) + sp.pi * sp.cos(x) - sp.log(y)
    at = {x: 0.7, y: 1.3}
    golden = float(expr.evalf(subs=at))
    assert evaluate(expr, at) == pytest.approx(golden, rel=1e-14)
    assert compile_expr(expr)(at) == pytest.approx(golden, rel=1e-14)


def test_unknown_sympy_function_is_a_check_error():
    with pytest.raises(CheckError):
        evaluate(sp.gamma(x), {x: 1.0})


def test_a_sympy_step_past_the_deadline_is_stopped_not_waited_for():
    text = "x"
    for _ in range(150):
        text = f"tanh({text})"
    start = time.monotonic()
    report = sg.check(text, x=0.5, limits=sg.Limits(symbolic_budget=0.5, max_depth=200))
    assert time.monotonic() - start < 0.5 + 10.0       # the budget plus a margin for a busy machine
    assert report.summary == {"skipped (symbolic budget)": 1}
    # over the time budget, or SymPy's own recursion limit if it comes first
    assert "time budget" in report.rows[0].note or "nested too deeply" in report.rows[0].note
    for _ in range(100):          # the stopped step exits at its next bytecode
        if not [t for t in threading.enumerate() if t.name == "symgrad-sympy"]:
            break
        time.sleep(0.05)
    assert [t for t in threading.enumerate() if t.name == "symgrad-sympy"] == []


def test_sympy_failures_become_check_errors():
    from symgrad._symbolic import bounded

    def deep(n):
        return deep(n + 1)
    with pytest.raises(CheckError, match="nested too deeply"):
        bounded(deep, 0, deadline=time.monotonic() + 30)
    with pytest.raises(CheckError, match="SymPy failed"):
        bounded(lambda: 1 / 0, deadline=None)
