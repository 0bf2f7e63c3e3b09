"""The SymPy side on its own: building, structure sharing, the float evaluator."""

import threading

import pytest
import sympy as sp

import symgrad as sg
from symgrad.gradcheck.symbolic import Partials, symbol, to_sympy_expr

x, y = sp.symbols("x y", real=True)


def test_statements_keep_named_intermediates_for_display():
    prog = sg.parse("e = a*b; d = e + c; L = d*f")
    defs = {s.name: to_sympy_expr(s.expr, symbol) for s in prog.statements}
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


def test_closed_forms_are_bounded_by_structure_not_by_a_clock():
    # A 150-deep tanh chain: the check verifies it from per-row partials; a closed form of it
    # is either built or refused with CheckError (SymPy's own recursion), never a hang.
    text = "x"
    for _ in range(150):
        text = f"tanh({text})"
    report = sg.check(text, x=0.5, limits=sg.Limits(max_depth=200))
    assert report.summary == {"agree": 1}
    assert [t for t in threading.enumerate() if t.name == "symgrad-sympy"] == []
    with pytest.raises(sg.CheckError, match="max_closed_form_nodes"):
        sg.diff("\n".join(["v0 = x*y"] + [f"v{k} = v{k - 1}*v{k - 1}" for k in range(1, 30)]), "x")
