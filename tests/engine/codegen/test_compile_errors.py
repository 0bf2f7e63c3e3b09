"""The compiled and batch paths raise backprop's errors, and a 10^6-node chain works."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg
from symgrad.engine.codegen import build
from symgrad.language.ast import Assign, Num, Op, Program, Var

CASES = [  # (program, point): backprop raises a NumericError or DomainError here
    ("log(x)", {"x": 0.0}),
    ("L = y + log(x)", {"x": -1.0, "y": 2.0}),
    ("1/x", {"x": 0.0}),
    ("x^(1/3)", {"x": -8.0}),
    ("x**-1", {"x": 0.0}),
    ("exp(x)", {"x": 1000.0}),
    ("t = x*x*x; L = tanh(t*t)", {"x": 1e80}),   # overflow hidden by tanh
    ("sqrt(x)", {"x": 0.0}),                      # infinite local derivative
    ("x^y", {"x": -2.0, "y": 2.0}),               # variable exponent, negative base
    ("sin(x*1e150*1e150)", {"x": 1e10}),
    ("u = log(x); L = 2*y", {"x": -3.0, "y": 1.0}),  # unused intermediate
]


@pytest.fixture(params=["straight-line", "tape"])
def backend(request, monkeypatch):
    if request.param == "tape":
        monkeypatch.setattr(build, "STRAIGHT_LINE_NODES", 0)
    return request.param


def backprop_error(text, point):
    with pytest.raises(sg.NumericError) as caught:
        sg.backprop(text, point)
    return caught.value


@pytest.mark.parametrize("text, point", CASES)
def test_scalar_raises_backprops_error(text, point, backend):
    expected = backprop_error(text, point)
    f = sg.compile(text)
    for call in (lambda: f(point), lambda: f.value_and_grad(*[point[n] for n in f.inputs])):
        with pytest.raises(type(expected)) as caught:
            call()
        assert str(caught.value) == str(expected)


@pytest.mark.parametrize("text, point", CASES)
def test_batch_names_the_failing_point(text, point, backend):
    expected = backprop_error(text, point)
    f = sg.compile(text)
    good = {"x": 0.5, "y": 0.5}
    arrays = {name: np.array([good[name], good[name], value, good[name]]) for name, value in point.items()}
    with pytest.raises(type(expected)) as caught:
        f(arrays)
    shown = ", ".join(f"{n}={point[n]!r}" for n in f.inputs)
    assert caught.value.message == f"at point 2 ({shown}): {expected.message}"
    assert str(caught.value).startswith(f"{expected.line}:{expected.column}: at point 2")


def test_domain_errors_are_domain_errors():
    for text, point in CASES[:5]:
        with pytest.raises(sg.DomainError):
            sg.compile(text)(point)


@pytest.mark.parametrize("bad", [{"x": "two"}, {"x": float("inf")}, {"x": True}, {"z": 1.0}, {}])
def test_bad_inputs_raise_backprops_input_errors(bad):
    with pytest.raises(sg.SymgradError) as expected:
        sg.backprop("x*2", bad)
    with pytest.raises(type(expected.value)) as caught:
        sg.compile("x*2")(bad)
    assert str(caught.value) == str(expected.value)


def test_positional_calls_check_their_arity():
    f = sg.compile("x*y")
    with pytest.raises(sg.MissingInputError, match="y"):
        f.value_and_grad(1.0)
    with pytest.raises(sg.InputError, match="3 values given"):
        f.value_and_grad(1.0, 2.0, 3.0)
    with pytest.raises(sg.InputError):
        f(x=np.array([1.0, 2.0]), y=np.array([1.0, 2.0, 3.0]))  # shapes do not broadcast


def test_batch_overflowing_check_sum_still_returns_exact_values():
    f = sg.compile("x*y - x*y + x")  # every value finite, their check sum overflows
    res = f(x=np.array([1e308, 2.0]), y=np.array([1.0, 3.0]))
    expected = sg.backprop("x*y - x*y + x", x=1e308, y=1.0)
    assert list(res.value) == [expected.value, 2.0]
    assert list(res.grads["x"]) == [expected.grads["x"], 1.0]
    assert f.value_and_grad(1e308, 1.0) == (expected.value, tuple(expected.grads.values()))


def chain(n: int) -> Program:
    """n operations, each reading the previous one: (((x + x)·c + x)·c + …)."""
    expr = Var("x")
    for i in range(n):
        expr = Op("add", (expr, Var("x"))) if i % 2 == 0 else Op("mul", (expr, Num(0.999999)))
    return Program((Assign("L", expr),), inputs=("x",))


@pytest.mark.slow
def test_a_million_node_chain():
    prog = chain(1_000_000)
    expected = sg.backprop(prog, x=1e-3)
    f = sg.compile(prog)
    value, grads = f.value_and_grad(1e-3)
    assert (value, grads) == (expected.value, (expected.grads["x"], 1.0))
    batch = f(x=np.array([1e-3, 2e-3]))
    assert batch.value[0] == pytest.approx(expected.value, rel=1e-12)
    assert batch.grads["x"][0] == pytest.approx(expected.grads["x"], rel=1e-12)
    assert batch.value[1] == pytest.approx(2 * expected.value, rel=1e-12)  # linear in x
