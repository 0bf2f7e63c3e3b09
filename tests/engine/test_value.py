"""symgrad.Value: micrograd compatibility, idempotent backward, no reference cycles, scale."""

import gc
import math

import pytest

from symgrad import InputError, Value


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_micrograd_attributes():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    assert (c.data, c.grad, c.label) == (-6.0, 0.0, "")
    assert c._prev == (a, b) and isinstance(c._prev, tuple)
    assert c._op == "*" and type(c._op) is str  # micrograd's symbol string; the row is c._rule
    assert a._op == "" and a._rule is None and a._prev == ()
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"


@pytest.mark.parametrize("build, f", [
    (lambda x: x + 2, lambda x: x + 2), (lambda x: 2 + x, lambda x: 2 + x),
    (lambda x: x - 2, lambda x: x - 2), (lambda x: 2 - x, lambda x: 2 - x),
    (lambda x: x * 3, lambda x: x * 3), (lambda x: 3 * x, lambda x: 3 * x),
    (lambda x: x / 4, lambda x: x / 4), (lambda x: 4 / x, lambda x: 4 / x),
    (lambda x: x ** 3, lambda x: x ** 3), (lambda x: 2 ** x, lambda x: 2 ** x),
    (lambda x: x ** Value(2.5), lambda x: x ** 2.5), (lambda x: Value(1.5) ** x, lambda x: 1.5 ** x),
    (lambda x: -x, lambda x: -x), (lambda x: +x, lambda x: x), (lambda x: abs(x), abs),
    (lambda x: x.tanh(), math.tanh), (lambda x: x.exp(), math.exp), (lambda x: x.log(), math.log),
    (lambda x: x.relu(), lambda x: max(x, 0.0)), (lambda x: x.sigmoid(), lambda x: 1 / (1 + math.exp(-x))),
    (lambda x: x.sin(), math.sin), (lambda x: x.cos(), math.cos), (lambda x: x.sqrt(), math.sqrt),
    (lambda x: x.softplus(), lambda x: math.log1p(math.exp(x))),
    (lambda x: x * x + x / (x + 1), lambda x: x * x + x / (x + 1)),
])
@pytest.mark.parametrize("at", [0.7, 1.9])
def test_dunders_and_methods_against_finite_differences(build, f, at):
    x = Value(at)
    y = build(x)
    y.backward()
    assert y.data == pytest.approx(f(at), rel=1e-12)
    assert x.grad == pytest.approx(central(f, at), rel=1e-6)


def test_value_power_value_gives_both_gradients():
    x, y = Value(3.0), Value(2.0)
    z = x ** y
    z.backward()
    assert z.data == 9.0
    assert x.grad == pytest.approx(6.0) and y.grad == pytest.approx(9.0 * math.log(3.0))


def test_backward_is_idempotent():
    a, b = Value(2.0), Value(-3.0)
    out = (a * b + a).tanh()
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == first


def test_reused_node_accumulates():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    c = a * a * a
    c.backward()
    assert a.grad == pytest.approx(27.0)


def test_data_is_float64():
    v = Value(2) ** 3
    assert type(v.data) is float and v.data == 8.0
    assert type(Value(True).data) is float


def test_bad_data_is_an_input_error():
    with pytest.raises(InputError):
        Value("abc")
    with pytest.raises(InputError):
        Value(None)


def test_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 1.0001 + 0.5).tanh()
        y.backward()
        del x, y
        # freed by reference counting alone: no Value is left for the cyclic GC to find
        assert not any(isinstance(o, Value) for o in gc.get_objects())
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.slow
def test_million_node_chain():
    x = Value(0.5)
    y = x
    for _ in range(500_000):
        y = y * 1.0 + 1.0   # 2 op nodes (plus 2 constant leaves) per step: 10^6 interior nodes
    y.backward()
    assert y.data == 500_000.5
    assert x.grad == 1.0
    del y


def test_an_alias_is_a_value_method_too():
    # ln is log in the language (``ln(x)``), so Value has ln() as it has log()
    import math
    from symgrad import Value
    a, b = Value(2.0), Value(2.0)
    a.ln().backward()
    b.log().backward()
    assert (a.grad, b.grad) == (0.5, 0.5) and Value(math.e).ln().data == 1.0


@pytest.mark.parametrize("compare", [lambda v: v < "a", lambda v: v <= None, lambda v: v > [1.0],
                                     lambda v: v >= "2", lambda v: "a" < v])
def test_comparing_a_value_with_a_non_number_is_an_input_error_with_a_hint(compare):
    with pytest.raises(InputError) as err:
        compare(Value(1.0))
    assert "cannot compare a Value with" in err.value.message and "float(s)" in err.value.hint


def test_comparisons_with_numbers_and_values_still_read_data():
    import numpy as np
    v = Value(1.0)
    assert (v < 2, v <= 1, v > Value(0.5), v >= np.float64(1.0), v < 2 ** 60, v >= True) == (True,) * 6
    assert not (v < 1) and not (v > Value(3.0))


@pytest.mark.parametrize("x, y, bad", [("value", "a", "y"), ("a", 0.0, "x"), ("value", None, "y")])
def test_where_with_a_non_number_branch_is_an_input_error_even_untaken(x, y, bad):
    from symgrad.engine.value import where
    x = Value(1.0) if x == "value" else x      # made here: a Value made at collection outlives the cycle test
    with pytest.raises(InputError) as err:
        where(True, x, y)
    assert f"where's {bad} must be a Value or a real number" in err.value.message and err.value.hint
