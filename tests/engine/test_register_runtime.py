"""A registered row that misbehaves only at some inputs, or that registers from inside its own
check: each is a symgrad error naming the row, never a raw TypeError or RecursionError, and
never a deadlock."""

from __future__ import annotations

import threading

import pytest

import symgrad as sg
from helpers.registry import unregister as _unregister
from symgrad.rules import table as _rules


@pytest.fixture
def cleanup():
    names = []
    yield names
    for name in names:
        if name in _rules.RULES:
            _unregister(name)


def test_a_slope_that_returns_none_somewhere_is_a_row_error(cleanup):
    cleanup.append("twice_none")
    sg.register("twice_none", lambda x: 2.0 * x, lambda x, out: None if x > 5 else (2.0,),
                sympy=lambda sp, x: 2 * x)
    assert sg.backprop("y = twice_none(x)", {"x": 1.0}).grads["x"] == 2.0    # d(2x)/dx = 2
    with pytest.raises(sg.SymgradError, match="twice_none.*returned None"):
        sg.backprop("y = twice_none(x)", {"x": 10.0})


def test_a_forward_that_recurses_somewhere_is_a_symgrad_error(cleanup):
    cleanup.append("same_rec")

    def forward(x):
        return forward(x) if x > 5 else x
    sg.register("same_rec", forward, lambda x, out: (1.0,), sympy=lambda sp, x: x)
    with pytest.raises(sg.SymgradError, match="same_rec"):
        sg.backprop("y = same_rec(x)", {"x": 10.0})


def test_register_called_from_a_forward_is_refused_not_a_deadlock(cleanup):
    cleanup += ["outer_reg", "inner_reg"]

    def forward(x):
        sg.register("inner_reg", lambda y: y, lambda y, out: (1.0,), sympy=lambda sp, y: y)
        return x
    result = []

    def run():
        try:
            sg.register("outer_reg", forward, lambda x, out: (1.0,), sympy=lambda sp, x: x)
        except sg.SymgradError as err:
            result.append(err)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(120)
    assert not t.is_alive(), "register deadlocked"
    assert result and "outer_reg" in result[0].summary
    assert "outer_reg" not in _rules.RULES and "inner_reg" not in _rules.RULES
