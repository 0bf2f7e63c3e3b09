"""The engine at the extremes, over every entry point (Value, backprop, compile, batch), against
mpmath: hypot and atan2 where r is subnormal or overflows, zero-exponent powers at 1e-310, a
Value.backward() that raises like the program path, the overflow/singular wording, and
compiled code with backprop's signed zeros."""

import math
import struct

import mpmath
import numpy as np
import pytest

import symgrad as sg
from symgrad import NumericError, Value

mpmath.mp.dps = 60
M = 1.7976931348623157e308


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def ulps(got: float, want) -> float:
    """|got − want| in ulps of want (subnormal spacing 2^-1074 below 2^-1022)."""
    want = mpmath.mpf(want)
    spacing = mpmath.mpf(2) ** (max(int(mpmath.floor(mpmath.log(abs(want), 2))), -1022) - 52) if want else \
        mpmath.mpf(2) ** -1074
    return float(abs(mpmath.mpf(got) - want) / spacing)


def every_entry_point(program: str, names: tuple[str, ...], point: dict[str, float]) -> dict[str, tuple]:
    """{entry point: (value, grads in ``names`` order)} for backprop, compile (keywords and
    positional) and batch; a Value graph is built by the caller."""
    res = sg.backprop(program, point)
    f = sg.compile(program)
    call = f(point)
    args = [point[n] for n in f.inputs]
    pos_value, pos_grads = f.value_and_grad(*args)
    b_value, b_grads = f.batch(*[np.array([a, a]) for a in args])
    return {
        "backprop": (res.value, tuple(res.grads[n] for n in names)),
        "compile": (call.value, tuple(call.grads[n] for n in names)),
        "positional": (pos_value, tuple(pos_grads[f.names.index(n)] for n in names)),
        "batch": (float(b_value[1]), tuple(float(b_grads[f.names.index(n)][1]) for n in names)),
    }


# -- hypot and atan2: correct wherever the gradient is representable --------------------------

def hypot_slopes(x, y):
    x, y = mpmath.mpf(x), mpmath.mpf(y)
    r = mpmath.sqrt(x * x + y * y)
    return x / r, y / r


def atan2_slopes(y, x):
    y, x = mpmath.mpf(y), mpmath.mpf(x)
    r2 = x * x + y * y
    return x / r2, -y / r2


# hypot was (1, 1) at (5e-324, 5e-324), r rounding to 5e-324 (0.29 off); atan2 was 0 at
# y = x = 1.8e308, r overflowing (the exact ±2.78e-309 is representable).
CASES = [("hypot", "x", "y", hypot_slopes, p) for p in
         [(5e-324, 5e-324), (1e-320, 1e-320), (5e-324, 1e-310), (3e-310, -4e-310), (1e308, 1e308),
          (-1e308, 1.2e308), (3.0, 4.0)]] + \
        [("atan2", "y", "x", atan2_slopes, p) for p in
         [(M, M), (M, -M), (-M, M), (M, 1.0), (1e308, 1.5e308), (1e-300, 1e-300), (0.0, -1e-300)]]


@pytest.mark.parametrize("fn, first, second, slopes, point", CASES)
def test_norm_slopes_at_subnormal_and_huge_points(fn, first, second, slopes, point):
    want = slopes(*point)
    a, b = Value(point[0]), Value(point[1])
    getattr(a, fn)(b).backward()
    results = every_entry_point(f"{fn}({first}, {second})", (first, second), dict(zip((first, second), point)))
    results["Value"] = (None, (a.grad, b.grad))
    for where, (_, grads) in results.items():
        for got, w in zip(grads, want):
            assert ulps(got, w) <= 2, (where, got, w)


def test_atan2_slope_beyond_float64_is_an_overflow_error_everywhere():
    want = mpmath.nstr(atan2_slopes(5e-324, 5e-324)[0], 4)       # 1.012e+323
    for run in (lambda: sg.backprop("atan2(y, x)", y=5e-324, x=5e-324),
                lambda: sg.compile("atan2(y, x)")(y=5e-324, x=5e-324),
                lambda: sg.compile("atan2(y, x)").batch(np.array([5e-324]), np.array([5e-324])),
                lambda: Value(5e-324).atan2(Value(5e-324)).backward()):
        with pytest.raises(NumericError, match="overflows float64") as err:
            run()
        assert want in str(err.value)


# -- powers with a zero slope ------------------------------------------------------------------

def test_zero_exponent_has_slope_zero_at_1e_310_everywhere():
    # d/dx x^0 = 0·x^(−1) = 0 (hand); x^(−1) = 1e310 overflows float64, the product does not exist.
    v = Value(1e-310)
    y = v ** 0
    y.backward()
    assert (y.data, v.grad) == (1.0, 0.0)
    for where, (value, grads) in every_entry_point("x^0", ("x",), {"x": 1e-310}).items():
        assert (value, grads) == (1.0, (0.0,)), where


def test_variable_exponent_at_zero_at_1e_310_everywhere():
    x = mpmath.mpf(1e-310)
    want_y = mpmath.power(x, 0) * mpmath.log(x)        # x^y·ln x at y = 0
    a, b = Value(1e-310), Value(0.0)
    (a ** b).backward()
    results = every_entry_point("x^y", ("x", "y"), {"x": 1e-310, "y": 0.0})
    results["Value"] = (1.0, (a.grad, b.grad))
    for where, (value, (dx, dy)) in results.items():
        assert value == 1.0 and dx == 0.0, where
        assert ulps(dy, want_y) <= 2, where


# -- Value.backward() keeps the program path's promise: never a silent inf or NaN --------------

@pytest.mark.parametrize("build, program, shown", [
    (lambda x: x.sqrt(), "sqrt(x)", "sqrt(0.0)"),
    (lambda x: (x * x).sqrt(), "sqrt(x*x)", "sqrt(0.0)"),
    (lambda x: x ** 0.5, "x^0.5", "0.0 ** 0.5"),
])
def test_value_backward_raises_the_program_paths_error_at_a_singular_slope(build, program, shown):
    # sqrt'(0) = 1/(2·√0) is infinite (hand; mpmath's limit from the right grows without bound)
    assert mpmath.diff(mpmath.sqrt, mpmath.mpf(10) ** -40, direction=1) > 1e19
    x = Value(0.0, label="x")
    with pytest.raises(NumericError) as from_value:
        build(x).backward()
    with pytest.raises(NumericError) as from_program:
        sg.backprop(program, x=0.0)
    assert "not finite" in from_value.value.message and shown in from_value.value.message
    assert from_value.value.message.split(" in ")[0] == from_program.value.message.split(" in ")[0]
    assert from_value.value.hint == from_program.value.hint


def test_value_backward_names_an_overflowing_slope_and_the_node():
    x = Value(5e-324, label="x")
    y = x.log()
    y.label = "y"
    with pytest.raises(NumericError, match=r"overflows float64 .*2\.024e\+323.* in y = log\(5e-324\)"):
        y.backward()
    assert mpmath.nstr(1 / mpmath.mpf(5e-324), 4) == "2.024e+323"


def test_value_backward_names_an_overflowing_chain_product():
    x = Value(1e200)
    y = (x * 1e200).tanh() * 1e200 * x    # each local is finite; the product of grads is not
    with pytest.raises(NumericError, match="overflows float64"):
        y.backward()


def test_a_finite_slope_that_overflows_is_not_called_singular():
    # log'(5e-324) = 1/5e-324 = 2.02e323: finite, beyond float64. sqrt'(0) is truly infinite.
    with pytest.raises(NumericError) as err:
        sg.backprop("log(x)", x=5e-324)
    assert "overflows float64" in err.value.message and "2.024e+323" in err.value.message
    assert "singular" not in (err.value.hint or "")
    for run in (lambda: sg.compile("log(x)")(x=5e-324), lambda: sg.compile("log(x)").batch(np.array([1.0, 5e-324]))):
        with pytest.raises(NumericError) as err:
            run()
        assert "overflows float64" in err.value.message and "2.024e+323" in err.value.message
    with pytest.raises(NumericError) as err:
        sg.backprop("sqrt(x)", x=0.0)
    assert "singular" in err.value.hint


# -- compiled code gives backprop's bits, signed zeros included --------------------------------

@pytest.mark.parametrize("program, point", [
    ("relu(x)*k", {"x": -1e-300, "k": -0.005}),
    ("relu(x)*k + relu(y)*k", {"x": -1.0, "y": -2.0, "k": -3.0}),
    ("-(relu(x)*k)", {"x": -1.0, "k": 3.0}),
    ("a = relu(x)*k; b = -a", {"x": -1.0, "k": -3.0}),
    ("abs(x)*k", {"x": 0.0, "k": -2.0}),
])
def test_compiled_grads_are_backprops_bits_signed_zeros_included(program, point):
    names = sg.parse(program).inputs + sg.parse(program).intermediates
    results = every_entry_point(program, names, point)
    want_value, want_grads = results.pop("backprop")
    # mpmath/hand: every partial here is an exact zero or the plain product, and backprop's
    # sum starts at +0.0, so a zero partial is +0.0
    for where, (value, grads) in results.items():
        assert bits(value) == bits(want_value), where
        assert [bits(g) for g in grads] == [bits(g) for g in want_grads], (where, grads, want_grads)
    assert all(g != 0.0 or math.copysign(1.0, g) == 1.0 for g in want_grads)
