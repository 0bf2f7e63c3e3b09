"""Numeric edges against an independent reference (mpmath at 50 digits) and the
conventions of trusted systems (PyTorch's relu'(0) = abs'(0) = 0, IEEE 0**0 = 1)."""

from __future__ import annotations

import dataclasses
import math

import mpmath as mp
import pytest

import symgrad as sg
from symgrad.rules.table import RULES

mp.mp.dps = 50


def grad(text: str, **point) -> float:
    result = sg.backprop(text, point)
    (name,) = point
    return result.grads[name]


def close(a: float, b: float, rel: float = 4e-16) -> bool:
    """Relative agreement only: no absolute floor that could hide a tiny value."""
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


# --- stable forwards at ±800 ----------------------------------------------------------------

@pytest.mark.parametrize("text, x, value, slope", [
    ("tanh(x)", 800.0, 1.0, 0.0), ("tanh(x)", -800.0, -1.0, 0.0),
    ("sigmoid(x)", 800.0, 1.0, 0.0), ("sigmoid(x)", -800.0, 0.0, 0.0),
    ("softplus(x)", 800.0, 800.0, 1.0), ("softplus(x)", -800.0, 0.0, 0.0),
])
def test_saturating_functions_at_800(text, x, value, slope):
    result = sg.backprop(text, x=x)
    assert result.value == value and result.grads["x"] == slope


REFERENCE = {
    "tanh": (lambda x: mp.tanh(x), lambda x: 1 / mp.cosh(x) ** 2),
    "sigmoid": (lambda x: 1 / (1 + mp.exp(-x)), lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2),
    "softplus": (lambda x: mp.log1p(mp.exp(x)), lambda x: 1 / (1 + mp.exp(-x))),
    "exp": (mp.exp, mp.exp),
    "log": (mp.log, lambda x: 1 / x),
    "sqrt": (mp.sqrt, lambda x: 1 / (2 * mp.sqrt(x))),
}


POINTS = [-700.0, -300.0, -40.0, -20.0, -1e-9, 1e-300, 1e-9, 0.3, 19.0, 20.0, 40.0, 300.0, 700.0]


@pytest.mark.parametrize("fn, x", [(fn, x) for fn in sorted(REFERENCE) for x in POINTS
                                   if x > 0 or fn not in ("log", "sqrt")])  # domain errors: below
def test_value_and_slope_match_mpmath(fn, x):
    forward, slope = REFERENCE[fn]
    result = sg.backprop(f"{fn}(x)", x=x)
    want_value, want_slope = float(forward(mp.mpf(x))), float(slope(mp.mpf(x)))
    assert close(result.value, want_value, 1e-15), (result.value, want_value)
    assert close(result.grads["x"], want_slope, 1e-15), (result.grads["x"], want_slope)


def test_softplus_uses_log1p_where_it_matters():
    x = -30.0
    want = float(mp.log(1 + mp.exp(x)))
    naive = math.log(1 + math.exp(x))
    assert not close(naive, want, 1e-6)  # the textbook formula loses 3 digits here
    assert close(sg.backprop("softplus(x)", x=x).value, want, 1e-15)


# --- tiny gradients and cancellation are never rounded away ---------------------------------

@pytest.mark.parametrize("text, x, want", [
    ("x*1e-300", 5.0, 1e-300),
    ("x**2", 1e-300, 2e-300),            # x**2 underflows to 0, its slope does not
    ("x**3", 1e-110, 3e-220),
    ("tanh(x)", 20.0, float(1 / mp.cosh(20) ** 2)),      # 1 - tanh² would cancel to 0
    ("sigmoid(x)", 40.0, float(mp.exp(-40) / (1 + mp.exp(-40)) ** 2)),  # σ(1 - σ) would too
])
def test_tiny_gradients_survive(text, x, want):
    assert want != 0.0
    assert close(grad(text, x=x), want, 1e-15)


def test_finite_differences_confirm_a_1e_300_gradient():
    x, h = 5.0, 1e-3
    fd = (sg.backprop("x*1e-300", x=x + h).value - sg.backprop("x*1e-300", x=x - h).value) / (2 * h)
    assert close(grad("x*1e-300", x=x), fd, 1e-9)
    assert not close(0.0, fd, 1e-9) and not close(2e-300, fd, 1e-9)  # a wrong one would show


def test_a_cancelling_slope_formula_would_be_caught(monkeypatch):
    # Put back the textbook tanh slope 1 - out²: at x = 20 it gives 0, which the relative
    # comparison against the reference flags (an absolute tolerance would call it agreement).
    textbook = dataclasses.replace(RULES["tanh"], local=lambda x, out: (1.0 - out * out,))
    monkeypatch.setitem(RULES, "tanh", textbook)
    assert grad("tanh(x)", x=20.0) == 0.0
    assert not close(grad("tanh(x)", x=20.0), float(1 / mp.cosh(20) ** 2), 1e-6)


# --- domain errors and the documented policies --------------------------------------------

@pytest.mark.parametrize("text, point", [
    ("log(x)", {"x": 0.0}), ("log(x)", {"x": -1e-300}), ("1/x", {"x": 0.0}), ("1/x", {"x": -0.0}),
    ("x**0.5", {"x": -1.0}), ("x**(1/3)", {"x": -8.0}), ("0**x", {"x": -1.0}), ("x**-1", {"x": 0.0}),
    ("sqrt(x)", {"x": -1e-300}), ("x**x", {"x": 0.0}), ("x**y", {"x": -2.0, "y": 2.0}),
])
def test_domain_errors(text, point):
    with pytest.raises(sg.DomainError) as info:
        sg.backprop(text, point)
    assert info.value.line == 1 and info.value.hint


@pytest.mark.parametrize("text, node", [("sqrt(x)", "sqrt(x)"), ("x**0.5", "x ** 0.5"), ("x^0.25", "x^0.25"),
                                        ("y = sqrt(x) + x; 2*y", "sqrt(x)")])
def test_infinite_slope_at_zero_is_a_numeric_error_naming_the_node(text, node):
    # Policy: sqrt'(0) is +inf (PyTorch returns inf, SymPy oo). symgrad never hands out a
    # non-finite gradient: it raises NumericError at the node whose local derivative blew up.
    with pytest.raises(sg.NumericError) as info:
        sg.backprop(text, x=0.0)
    assert type(info.value) is sg.NumericError
    assert "not finite" in info.value.message and info.value.message.endswith(f" in {node}")


@pytest.mark.parametrize("text, x, value, slope", [
    ("relu(x)", 0.0, 0.0, 0.0), ("abs(x)", 0.0, 0.0, 0.0),        # PyTorch: 0 at the kink
    ("x**0", 0.0, 1.0, 0.0), ("x**1", 0.0, 0.0, 1.0), ("x**2", 0.0, 0.0, 0.0),  # IEEE 0**0 = 1
    ("x**3", -2.0, -8.0, 12.0), ("x**x", 1.0, 1.0, 1.0), ("sqrt(x)", 1e-320, math.sqrt(1e-320), None),
])
def test_conventions_at_edges(text, x, value, slope):
    result = sg.backprop(text, x=x)
    assert result.value == value
    if slope is None:
        assert math.isfinite(result.grads["x"]) and result.grads["x"] > 1e159
    else:
        assert result.grads["x"] == slope


@pytest.mark.parametrize("text, point", [
    ("x*1e308*10", {"x": 1.0}), ("exp(x)", {"x": 709.79}), ("x/y", {"x": 1.0, "y": 1e-309}),
    ("x**-1", {"x": 1e-309}), ("1e200*x*x", {"x": 1e100}),
])
def test_results_are_finite_or_a_numeric_error(text, point):
    try:
        result = sg.backprop(text, point)
    except sg.NumericError as err:
        assert err.line == 1
    else:
        assert math.isfinite(result.value) and all(math.isfinite(g) for g in result.grads.values())


@pytest.mark.parametrize("source, point, says", [
    ("y = log(x - 2)", {"x": 1.0}, "log(-1) is undefined in log(x - 2)"),
    ("y = (x - 3)^0.5", {"x": 1.0}, "(-2)^0.5 is undefined in (x - 3)^0.5"),       # not -2.0 ** 0.5 = -(2 ** 0.5)
    ("y = (x - 3)**0.5", {"x": 1.0}, "(-2) ** 0.5 is undefined in (x - 3) ** 0.5"),  # the program's own **
    ("y = 1/(x - 1)", {"x": 1.0}, "1 / 0 is undefined in 1 / (x - 1)"),
    ("y = sqrt(x - 2.5)", {"x": 1.0}, "sqrt(-1.5) is undefined in sqrt(x - 2.5)"),
])
def test_domain_messages_print_in_the_programs_notation(source, point, says):
    """Whole numbers as integers and the program's power operator, as the program writes them."""
    with pytest.raises(sg.DomainError) as info:
        sg.backprop(source, point)
    assert says in str(info.value)
