"""Every row of the rule table: local derivative vs central finite differences and vs SymPy.

SymPy expressions are built from the row's builder on SymPy symbols — no text is parsed.
"""

import math

import pytest
import sympy

import symgrad as sg
from symgrad.rules.table import RULES

from symgrad.rules.rule import inside
from symgrad.rules.proofs import check_sympy


def cases():
    for name, row in RULES.items():
        for point in inside(row)[::4]:  # the row's own sample points inside its domain, off its kinks
            yield pytest.param(row, point, id=f"{name}{point}")


def central_difference(f, point, i, h=1e-6):
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("row, point", list(cases()))
def test_local_derivative_matches_finite_differences(row, point):
    out = row.forward(*point)
    local = row.local(*point, out)
    for i in range(len(point)):
        if i in row.constant:
            assert local[i] == 0.0  # a constant exponent gets no gradient
            continue
        assert local[i] == pytest.approx(central_difference(row.forward, point, i), rel=1e-6, abs=1e-8)


def test_every_function_row_is_callable_from_text_and_value():
    for name, row in RULES.items():
        if row.kind == "call":
            point = inside(row)[len(inside(row)) // 2]
            names = [f"a{i}" for i in range(len(point))]
            # an argument the row names "condition" (where's) is written as one: a0 != 0
            args = [f"{n} != 0" if a == "condition" else n for n, a in zip(names, row.args + ("",) * len(names))]
            res = sg.backprop(f"{row.spelling}({', '.join(args)})", dict(zip(names, point)))
            assert res.value == row.forward(*point)
            assert tuple(res.grads[n] for n in names) == row.local(*point, row.forward(*point))
            first, *others = (sg.Value(v) for v in point)
            assert getattr(first, row.spelling)(*others).data == res.value


@pytest.mark.parametrize("row", list(RULES.values()), ids=list(RULES))
def test_sympy_form_agrees_with_the_row(row):
    check_sympy(row, step=1)  # every sample point; raises RowError naming the point


def test_stable_extremes():
    assert sg.backprop("tanh(x)", x=400).value == 1.0
    assert sg.backprop("tanh(x)", x=400).grads["x"] == 0.0
    res = sg.backprop("sigmoid(x)", x=-800)
    assert res.value == 0.0 and res.grads["x"] == 0.0
    assert sg.backprop("sigmoid(x)", x=800).value == 1.0
    assert sg.backprop("softplus(x)", x=800).value == 800.0
    assert sg.backprop("softplus(x)", x=-800).value == pytest.approx(math.exp(-800), abs=1e-300)
    assert sg.backprop("softplus(x)", x=-30).value == pytest.approx(math.log1p(math.exp(-30)), rel=1e-15)


def test_kinks_follow_pytorch():
    assert sg.backprop("relu(x)", x=0).grads["x"] == 0.0
    assert sg.backprop("abs(x)", x=0).grads["x"] == 0.0
    assert sg.backprop("relu(x)", x=1e-300).grads["x"] == 1.0
    assert sg.backprop("abs(x)", x=-1e-300).grads["x"] == -1.0


@pytest.mark.parametrize("src, point", [
    ("log(x)", {"x": 0.0}), ("log(x)", {"x": -1.0}), ("1/x", {"x": 0.0}), ("(-8)^(1/3)", {}),
    ("x^(1/3)", {"x": -8.0}), ("0^-1", {}), ("x**-2", {"x": 0.0}), ("sqrt(x)", {"x": -1.0}),
    ("x**y", {"x": -2.0, "y": 2.0}), ("x**x", {"x": 0.0}),
])
def test_domain_errors(src, point):
    with pytest.raises(sg.DomainError) as info:
        sg.backprop(src, point)
    assert info.value.line == 1  # located in the source


@pytest.mark.parametrize("src, point", [
    ("exp(x)", {"x": 710.0}), ("9**9**9**9", {}), ("x*1e300*1e300", {"x": 1.0}), ("sqrt(x)", {"x": 0.0}),
    ("x^0.5", {"x": 0.0}),
])
def test_numeric_errors(src, point):
    with pytest.raises(sg.NumericError):
        sg.backprop(src, point)


def test_constant_and_variable_exponents():
    # constant exponent: (-2)^3 is fine; variable exponent: d/dy 2^y = 2^y ln 2
    assert sg.backprop("x^3", x=-2.0).grads["x"] == pytest.approx(12.0)
    res = sg.backprop("2^y", y=3.0)
    assert res.value == 8.0 and res.grads["y"] == pytest.approx(8 * math.log(2))
    res = sg.backprop("x^y", x=3.0, y=2.0)
    assert res.grads["x"] == pytest.approx(6.0) and res.grads["y"] == pytest.approx(9 * math.log(3))
    assert sg.backprop("x^y", x=0.0, y=2.0).grads == {"x": 0.0, "y": 0.0}
