"""where on tensors, element by element as for scalars: only the taken elements are evaluated for
errors, an untaken element's gradient is exactly 0 (never inf·0 = NaN), and a failure in a taken
element is still a located DomainError naming the element.

Golden numbers: hand derivations (d sqrt(x)/dx = 1/(2·sqrt x); d(sin x / x)/dx = (x cos x − sin x)/x²,
d log(x)/dx = 1/x), evaluated with mpmath.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symgrad as sg
from symgrad.base.errors import DomainError

SQRT = "L = sum(where(x > 0, sqrt(x), 0))"
SINC = "L = sum(where(x != 0, sin(x)/x, 1))"


def test_untaken_sqrt_of_a_negative_element_is_no_error_and_gets_gradient_zero():
    r = sg.backprop(SQRT, {"x": np.array([-1.0, 0.0, 2.0, 4.0])})
    assert r.value == pytest.approx(float(mpmath.sqrt(2) + 2), rel=1e-15)
    want = [0.0, 0.0, float(1 / (2 * mpmath.sqrt(2))), 0.25]
    assert np.all(np.isfinite(r.grads["x"]))
    assert r.grads["x"][:2].tolist() == [0.0, 0.0]          # exactly 0, not NaN (sqrt'(0) = inf is untaken)
    assert r.grads["x"] == pytest.approx(want, rel=1e-15)


def test_untaken_zero_over_zero_is_no_error():
    r = sg.backprop(SINC, {"x": np.array([0.0, 1.0])})
    one = mpmath.mpf(1)
    assert r.value == pytest.approx(float(1 + mpmath.sin(one)), rel=1e-15)
    assert r.grads["x"][0] == 0.0
    assert r.grads["x"][1] == pytest.approx(float(mpmath.cos(one) - mpmath.sin(one)), rel=1e-14)


def test_the_tensor_answer_is_the_compiled_batch_answer_point_by_point():
    x = np.array([-1.0, 0.0, 2.0, 4.0])
    tensor = sg.backprop(SQRT, {"x": x})
    batch = sg.compile("where(x > 0, sqrt(x), 0)")({"x": x})
    assert tensor.grads["x"].tolist() == batch.grads["x"].tolist()
    assert tensor.value == pytest.approx(float(np.sum(batch.value)), rel=1e-15)


def test_broadcast_condition_and_branches():
    # x (3,1) against w (1,2): sqrt(x - w) fails at [0, 0] (x - w = -1), untaken; at [1, 0] x - w = 0
    # is untaken too (1 > 1 is false), where sqrt' = inf must not give inf·0.
    x, w = np.array([[0.0], [1.0], [4.0]]), np.array([[1.0, 0.0]])
    r = sg.backprop("L = sum(where(x > w, sqrt(x - w), 0))", {"x": x, "w": w})
    s3 = mpmath.sqrt(3)
    assert r.value == pytest.approx(float(3 + s3), rel=1e-15)      # 0 + 0 + 0 + 1 + √3 + 2
    assert r.grads["x"] == pytest.approx(np.array([[0.0], [0.5], [float(1 / (2 * s3) + mpmath.mpf(1) / 4)]]), rel=1e-15)
    assert r.grads["w"] == pytest.approx(np.array([[float(-1 / (2 * s3)), -0.75]]), rel=1e-15)
    assert r.grads["x"][0, 0] == 0.0


def test_broadcast_branch_read_by_live_and_dead_positions():
    # log(x) (3,1) is stretched over w's 2 columns; row 0 (log(-1)) is untaken in every column.
    r = sg.backprop("L = sum(where(x > 0, log(x) * w, 0))", {"x": np.array([[-1.0], [2.0], [3.0]]),
                                                            "w": np.array([[1.0, 3.0]])})
    assert r.value == pytest.approx(float(4 * mpmath.log(6)), rel=1e-15)
    assert r.grads["x"] == pytest.approx(np.array([[0.0], [2.0], [float(mpmath.mpf(4) / 3)]]), rel=1e-15)
    assert r.grads["w"] == pytest.approx(np.array([[float(mpmath.log(6))] * 2]), rel=1e-15)


def test_a_taken_element_out_of_its_domain_is_still_an_error_naming_the_element():
    with pytest.raises(DomainError, match=r"sqrt\(-1(\.0)?\) is undefined at element \[1\]") as err:
        sg.backprop("L = sum(where(x > -5, sqrt(x), 0))", {"x": np.array([1.0, -1.0, 4.0])})
    assert err.value.line == 1 and err.value.column is not None


def test_an_element_one_where_drops_but_another_reads_is_an_error():
    # sqrt(x)[0] is untaken by the first where, but the second reads it
    with pytest.raises(DomainError, match=r"at element \[0\]"):
        sg.backprop("s = sqrt(x)\nL = sum(where(x > 0, s, 0)) + sum(where(x < 5, s, 0))",
                    {"x": np.array([-1.0, 4.0])})


def test_a_reduction_of_a_failed_element_is_live_when_its_result_is():
    # the sum reads every element of sqrt(x): conservative liveness makes sqrt(-1) an error
    with pytest.raises(DomainError, match=r"at element \[0\]"):
        sg.backprop("L = where(c > 0, sum(sqrt(x)), 0)", {"x": np.array([-1.0, 4.0]), "c": 1.0})
    r = sg.backprop("L = where(c > 0, sum(sqrt(x)), 0)", {"x": np.array([-1.0, 4.0]), "c": -1.0})
    assert r.value == 0.0 and r.grads["x"].tolist() == [0.0, 0.0]


def test_an_untaken_overflow_is_no_error():
    r = sg.backprop("L = sum(where(x < 700, exp(x), 0))", {"x": np.array([1.0, 1000.0])})
    assert r.value == pytest.approx(float(mpmath.e), rel=1e-15)
    assert r.grads["x"].tolist()[1] == 0.0


def test_without_where_the_first_failure_is_raised_as_before():
    with pytest.raises(DomainError, match=r"at element \[1\]"):
        sg.backprop("L = sum(sqrt(x))", {"x": np.array([1.0, -1.0])})


def test_a_taken_element_that_overflows_is_a_located_error():
    with pytest.raises(sg.NumericError, match=r"overflows float64 at element \[0\]"):
        sg.backprop("L = sum(where(x > 0, exp(x)*exp(x), 0))", {"x": np.array([400.0, -1.0])})
    r = sg.backprop("L = sum(where(x < 0, exp(x)*exp(x), 0))", {"x": np.array([400.0, -1.0])})
    assert r.grads["x"][0] == 0.0
    assert r.grads["x"][1] == pytest.approx(float(2 * mpmath.exp(-2)), rel=1e-15)
