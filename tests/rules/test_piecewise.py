"""softplus(x, beta[, threshold]), PyTorch's softplus: the row softplus_beta against mpmath, its
two-argument call, the one-argument softplus left as it was, and PyTorch float64 where installed.

Goldens are mpmath at 40 digits of the definition (torch.nn.functional.softplus's documentation):
x where beta·x > threshold, else ln(1 + e^(beta·x))/beta; by hand, its partials in the log branch
are σ(beta·x) for x, (x·σ(beta·x) − value)/beta for beta and 0 for threshold; 1, 0, 0 in the other.
"""

from __future__ import annotations

import math

import mpmath
import pytest

import symgrad as sg

mpmath.mp.dps = 40


def golden(x: float, b: float, t: float) -> tuple[float, float, float, float]:
    """(value, d/dx, d/dbeta, d/dthreshold) from mpmath, rounded once to float64."""
    x, b, t = mpmath.mpf(x), mpmath.mpf(b), mpmath.mpf(t)
    if b * x > t:
        return float(x), 1.0, 0.0, 0.0
    value = mpmath.log1p(mpmath.exp(b * x)) / b
    s = 1 / (1 + mpmath.exp(-b * x))
    return float(value), float(s), float((x * s - value) / b), 0.0


# both sides of the threshold, beta 0.5, 1 and 2, the default threshold and others, e^(beta·x) tiny
POINTS = [(0.3, 1.0, 20.0), (-3.0, 0.5, 20.0), (4.0, 2.0, 20.0), (9.99, 2.0, 20.0), (10.01, 2.0, 20.0),
          (19.5, 1.0, 20.0), (20.5, 1.0, 20.0), (39.0, 0.5, 20.0), (41.0, 0.5, 20.0), (1.9, 0.5, 1.0),
          (2.1, 0.5, 1.0), (-0.4, 2.0, -1.0), (-0.6, 2.0, -1.0), (-30.0, 1.0, 20.0), (-350.0, 2.0, 20.0),
          (-1500.0, 0.5, 20.0), (0.1, 1e-3, 20.0)]


@pytest.mark.parametrize("x, b, t", POINTS)
def test_value_and_gradients_agree_with_mpmath(x, b, t):
    res = sg.backprop("softplus(x, b, t)", x=x, b=b, t=t)
    value, dx, db, dt = golden(x, b, t)
    assert res.value == pytest.approx(value, rel=1e-14, abs=1e-300)
    assert res.grads["x"] == pytest.approx(dx, rel=1e-14, abs=1e-300)
    assert res.grads["b"] == pytest.approx(db, rel=1e-13, abs=1e-300)
    assert res.grads["t"] == dt


def test_at_the_threshold_the_log_branch_is_taken_as_pytorch():
    # PyTorch's test is beta·x > threshold: at beta·x == threshold the value is ln(1 + e^20) = 20 + 2.06e-9
    res = sg.backprop("softplus(x, 1)", x=20.0)
    assert res.value == pytest.approx(float(mpmath.log1p(mpmath.exp(20))), rel=1e-15)
    assert res.value != 20.0
    assert res.grads["x"] == pytest.approx(float(1 / (1 + mpmath.exp(-20))), rel=1e-15)


@pytest.mark.parametrize("x", [-5.0, 0.0, 3.0, 9.5, 10.0, 10.5, 25.0])
def test_the_two_argument_call_takes_threshold_20(x):
    two = sg.backprop("softplus(x, b)", x=x, b=2.0)
    three = sg.backprop("softplus(x, b, 20)", x=x, b=2.0)
    assert two.value == three.value and two.grads == three.grads
    assert two.value == pytest.approx(golden(x, 2.0, 20.0)[0], rel=1e-14)


def test_the_one_argument_softplus_is_unchanged():
    # the smooth function, no threshold: at 30, ln(1 + e^30) = 30 + 9.4e-14, where a threshold of 20 gives 30
    assert sg.parse("softplus(x)").statements[-1].expr.rule == "softplus"
    res = sg.backprop("softplus(x)", x=30.0)
    assert res.value == pytest.approx(float(mpmath.log1p(mpmath.exp(30))), rel=1e-15) and res.value != 30.0
    assert res.grads["x"] == pytest.approx(float(1 / (1 + mpmath.exp(-30))), rel=1e-15)
    assert sg.Value(30.0).softplus().data == res.value


def test_value_method_takes_beta_and_threshold():
    x = sg.Value(1.5)
    y = x.softplus(2.0)                     # threshold 20: the log branch, ln(1 + e^3)/2
    y.backward()
    assert y.data == pytest.approx(float(mpmath.log1p(mpmath.exp(3)) / 2), rel=1e-15)
    assert x.grad == pytest.approx(float(1 / (1 + mpmath.exp(-3))), rel=1e-15)
    assert sg.Value(1.5).softplus(2.0, 1.0).data == 1.5      # 2·1.5 > 1: x itself


@pytest.mark.parametrize("b", [0.0, -1.0])
def test_beta_must_be_positive(b):
    with pytest.raises(sg.DomainError) as info:
        sg.backprop("softplus(x, b)", x=1.0, b=b)
    assert "beta > 0" in info.value.hint and info.value.line == 1


@pytest.mark.parametrize("text", ["softplus()", "softplus(x, 1, 2, 3)"])
def test_wrong_arity_says_what_is_accepted(text):
    with pytest.raises(sg.ArityError) as info:
        sg.parse(text)
    err = info.value
    assert "softplus() takes 1, 2 or 3 arguments" in err.summary and (err.line, err.column) == (1, 1)
    assert err.hint == "write softplus(x), softplus(x, beta) or softplus(x, beta, threshold)"
    with pytest.raises(sg.ArityError, match="takes 1, 2 or 3 arguments"):
        sg.Value(1.0).softplus(1.0, 2.0, 3.0)


def test_the_internal_name_is_no_call():
    with pytest.raises(sg.UnknownFunctionError):
        sg.parse("softplus_beta(x, 1, 20)")


@pytest.mark.parametrize("x, b, t", [p for p in POINTS if p[0] > -700])
def test_agrees_with_pytorch_float64(x, b, t):
    torch = pytest.importorskip("torch")   # the mpmath twin, test_value_and_gradients_agree_with_mpmath, always runs
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.softplus(xt, beta=b, threshold=t)
    out.backward()
    res = sg.backprop("softplus(x, b, t)", x=x, b=b, t=t)
    assert res.value == pytest.approx(out.item(), rel=1e-14, abs=1e-300)
    assert res.grads["x"] == pytest.approx(xt.grad.item(), rel=1e-13, abs=1e-300)
