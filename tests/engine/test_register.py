"""symgrad.register: a function added at run time works everywhere, through the public API only.

The function is log-cosh, a smooth Huber-like loss: log(cosh x) = |x| + log1p(e^(−2|x|)) − ln 2
(no overflow), slope tanh x. The references are SymPy's derivative and hand values.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import symgrad as sg
from helpers.registry import unregister


def _forward(x):
    """log cosh x to a few ulp: 2·sinh²(x/2) = cosh x − 1 without cancellation near 0."""
    a = abs(x)
    return math.log1p(2.0 * math.sinh(0.5 * a) ** 2) if a < 20.0 else a + math.log1p(math.exp(-2.0 * a)) - math.log(2.0)


def _local(x, out):
    return (math.tanh(x),)


@pytest.fixture
def logcosh():
    row = sg.register("logcosh", _forward, _local, sympy=lambda sp, x: sp.log(sp.cosh(x)),
                      latex=r"\ln\cosh\left({0}\right)", dlatex=(r"\tanh\left({0}\right)",),
                      py=("_logcosh({0})", "math.tanh({0})"), np=("_logcosh_np({0})", "_np.tanh({0})"),
                      helpers={"_logcosh": _forward, "_logcosh_np": np.vectorize(_forward, otypes=[float])})
    yield row
    unregister("logcosh")


def test_it_works_everywhere(logcosh):
    text = "h = logcosh(x - y); L = h * w"
    point = {"x": 0.75, "y": -0.5, "w": 2.0}
    # parse and print
    prog = sg.parse(text)
    assert "logcosh(x - y)" in sg.unparse(prog)
    assert r"\ln\cosh\left(x - y\right)" in sg.to_latex(prog)
    # backprop against the hand derivative
    res = sg.backprop(prog, point)
    assert res.value == pytest.approx(2.0 * math.log(math.cosh(1.25)), rel=1e-15)
    assert res.grads["x"] == pytest.approx(2.0 * math.tanh(1.25), rel=1e-15)
    assert res.grads["y"] == pytest.approx(-2.0 * math.tanh(1.25), rel=1e-15)
    # Value
    v = sg.Value(1.25).logcosh()
    v.backward()
    assert v.data == res.value / 2.0
    # compile (scalar, bit for bit with backprop) and batch
    f = sg.compile(prog)
    got = f(point)
    assert got.value == res.value and got.grads == res.grads
    xs = np.array([0.75, 400.0, -1e-8])
    batch = f(x=xs, y=np.zeros(3), w=np.ones(3))
    for i, x in enumerate(xs):
        one = sg.backprop(prog, x=float(x), y=0.0, w=1.0)
        assert batch.value[i] == pytest.approx(one.value, rel=1e-15, abs=1e-300)
        assert batch.grads["x"][i] == pytest.approx(one.grads["x"], rel=1e-15)
    # the check (three ways) and the symbolic derivative
    assert sg.check(text, point).ok
    assert sg.diff(text, "x") is not None
    # graph
    dot = sg.draw(text, point).source
    assert "logcosh" in dot
    # worksheet, every format
    from symgrad.teaching.sheets import RENDERERS
    for fmt in RENDERERS:
        sheet = sg.worksheet(text, point, format=fmt)
        assert "logcosh" in sheet or r"\ln\cosh" in sheet.replace("\\\\", "\\"), fmt
    json.loads(sg.worksheet(text, point, format="ipynb"))
    # did-you-mean
    with pytest.raises(sg.UnknownFunctionError) as info:
        sg.parse("logcosg(x)")
    assert "did you mean logcosh?" in str(info.value)


def test_arity_errors_name_the_arguments(logcosh):
    with pytest.raises(sg.ArityError) as info:
        sg.parse("logcosh(x, y)")
    assert "logcosh() takes 1 argument (x), got 2" in str(info.value)
    assert isinstance(info.value, sg.ParseError) and isinstance(info.value, sg.BindingError)


def test_a_wrong_row_is_refused_and_leaves_the_table_as_it_was():
    before = dict(sg.RULES)
    with pytest.raises(sg.RowError, match="central differences"):
        sg.register("badcosh", _forward, lambda x, out: (2 * math.tanh(x),), sympy=lambda sp, x: sp.log(sp.cosh(x)))
    with pytest.raises(sg.RowError, match="SymPy"):
        sg.register("badcosh", _forward, _local, sympy=lambda sp, x: sp.log(sp.cosh(2 * x)))
    with pytest.raises(sg.RowError, match="outside the evaluator"):
        sg.register("badcosh", _forward, _local, sympy=lambda sp, x: sp.log(sp.cosh(x)) + sp.DiracDelta(x))
    with pytest.raises(sg.RowError, match="py"):
        sg.register("badcosh", _forward, _local, sympy=lambda sp, x: sp.log(sp.cosh(x)), py=("{0} +", "1.0"))
    with pytest.raises(sg.RowError):
        sg.register("badcosh", _forward, _local, sympy=lambda sp, x: sp.log(sp.cosh(x)), py=("_undeclared({0})", "1.0"))
    with pytest.raises(sg.InputError, match="already"):
        sg.register("tanh", math.tanh, lambda x, out: (1 - out * out,), sympy=lambda sp, x: sp.tanh(x))
    assert sg.RULES == before and not hasattr(sg.Value, "badcosh")


def test_two_argument_rows_and_domains_register_too():
    sg.register("sqdist", lambda a, b: (a - b) ** 2, lambda a, b, out: (2 * (a - b), -2 * (a - b)),
                sympy=lambda sp, a, b: (a - b) ** 2)
    sg.register("logratio", lambda a, b: math.log(a / b), lambda a, b, out: (1 / a, -1 / b),
                sympy=lambda sp, a, b: sp.log(a) - sp.log(b), domain=lambda a, b: a > 0 and b > 0,
                why="both arguments must be positive", args=("a", "b"))
    try:
        assert sg.Value(3.0).sqdist(1.0).data == 4.0
        assert sg.backprop("sqdist(x, y)", x=3, y=1).grads == {"x": 4.0, "y": -4.0}
        with pytest.raises(sg.DomainError) as info:
            sg.backprop("logratio(x, y)", x=-1, y=2)
        assert info.value.hint == "both arguments must be positive" and info.value.line == 1
        with pytest.raises(sg.ArityError, match=r"\(a, b\)"):
            sg.parse("logratio(x)")
    finally:
        unregister("sqdist")
        unregister("logratio")


@pytest.mark.parametrize("bad", [
    {},                                                           # no sympy=
    {"sympy": lambda sp, x: sp.sin(x), "latex": 5},               # a template that is no string
    {"sympy": lambda sp, x: 1 / 0},                               # the SymPy builder raises
    {"sympy": lambda sp, x: sp.sin(x), "domain": lambda x: 1 / 0},  # the domain raises
])
def test_a_bad_registration_is_a_row_error_and_changes_nothing(bad):
    import math
    from symgrad.rules.rule import RowError
    with pytest.raises(RowError):
        sg.register("badrow", math.sin, lambda x, out: (math.cos(x),), **bad)
    assert "badrow" not in sg.RULES
    with pytest.raises(RowError, match="TypeError"):   # a slope that is no tuple
        sg.register("badrow", math.sin, lambda x, out: math.cos(x), sympy=lambda sp, x: sp.sin(x))


def test_a_forward_less_accurate_than_its_rounding_says_is_refused_until_declared():
    # exp(x) computed as a product of exp(x/8): about 8 roundings, 10+ ulp at x = 3.1 (mpmath says so:
    # the error is measured against 40-digit values at the row's sample points)
    from symgrad.rules.rule import RowError
    slow_exp = lambda x: math.exp(x / 8) ** 8  # noqa: E731
    with pytest.raises(RowError, match=r"ulp from the exact value, over rounding\[0\]"):
        sg.register("exp8", slow_exp, lambda x, out: (out,), sympy=lambda sp, x: sp.exp(x), rounding=(1, 16, 2))
    assert "exp8" not in sg.RULES
    try:
        sg.register("exp8", slow_exp, lambda x, out: (out,), sympy=lambda sp, x: sp.exp(x), rounding=(64, 64, 2))
        assert sg.check("exp8(x)", x=3.1, rtol=0.0).ok
    finally:
        unregister("exp8")


def test_a_form_real_outside_the_domain_needs_sympy_domain():
    # x**3 is real for x < 0, but this row (a cube through exp/log) is defined only for x > 0:
    # without sympy_domain the check would give a verdict where backprop raises
    from symgrad.rules.rule import RowError
    kw = dict(sympy=lambda sp, x: x ** 3, domain=lambda x: x > 0.0, why="x must be positive")
    cube = lambda x: math.exp(3 * math.log(x))  # noqa: E731
    with pytest.raises(RowError, match="sympy_domain"):
        sg.register("poscube", cube, lambda x, out: (3 * out / x,), **kw)
    assert "poscube" not in sg.RULES
    try:
        sg.register("poscube", cube, lambda x, out: (3 * out / x,), sympy_domain=lambda sp, x: x > 0,
                    rounding=(16, 32, 2), **kw)
        assert [r.verdict for r in sg.check("poscube(x)", x=-2.0).rows] == ["undefined"]
        assert [r.verdict for r in sg.check("poscube(x)", x=2.0).rows] == ["agree"]
    finally:
        unregister("poscube")


@pytest.mark.parametrize("rounding", [(1, 2), (-1, 0, 0), (1.5, 2, 2), "8,16,2"])
def test_a_bad_rounding_is_a_row_error(rounding):
    from symgrad.rules.rule import RowError
    with pytest.raises(RowError, match="rounding"):
        sg.register("badround", math.sin, lambda x, out: (math.cos(x),), sympy=lambda sp, x: sp.sin(x),
                    rounding=rounding)
    assert "badround" not in sg.RULES


def test_the_signature_and_the_hint_are_generated_from_the_row_and_its_records():
    import dataclasses
    import inspect

    from symgrad.rules.codegen import Codegen
    from symgrad.rules.overrides import Display
    from symgrad.rules.rule import Rule

    params = inspect.signature(sg.register).parameters
    keywords = [p for p, v in params.items() if v.kind is v.KEYWORD_ONLY]
    # every field of each record, the record kept whole (rounding), and the row's own options
    for record in (Codegen, Display):
        assert {f.name for f in dataclasses.fields(record)} <= set(keywords)
    assert {"rounding", "sympy_domain", "sympy", "domain", "why", "kink", "aliases", "samples", "args",
            "variadic"} <= set(keywords)
    # the row's syntax and fast path are the table's own, not options
    assert not {"kind", "symbol", "prec", "accumulate", "propagates", "constant"} & set(keywords)
    assert set(keywords) <= {f.name for f in dataclasses.fields(Rule)} | {"rounding"} \
        | {f.name for r in (Codegen, Display) for f in dataclasses.fields(r)}
    assert params["rounding"].default == (8, 16, 2)
    with pytest.raises(sg.RowError) as info:
        sg.register("sq2", lambda x: x * x, lambda x, out: (2 * x,), sympy=lambda sp, x: x ** 2, roundin=(1, 2, 0))
    hint = info.value.hint
    assert "roundin" in str(info.value) and hint == f"its options: {', '.join(keywords)}"
    assert "sympy_domain" in hint and "rounding" in hint
