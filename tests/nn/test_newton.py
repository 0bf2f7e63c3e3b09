"""fit(method="newton-cg"): Newton's direction by conjugate gradients on Hessian-vector products.
Golden values: numpy's least squares (a linear model's Newton step is exact) and the lecture."""

import numpy as np
import pytest

import symgrad as sg
from symgrad.nn import MLP, fit, lecture_data


def test_one_newton_step_solves_linear_least_squares_exactly():
    xs = [[1.0, 2.0], [0.5, -1.0], [-2.0, 0.3], [1.5, 1.5], [0.0, -0.7]]
    ys = [1.0, -0.5, 2.0, 0.25, -1.0]
    model = MLP(2, [1], out_nonlin="linear", seed=3)
    fit(model, xs, ys, steps=1, lr=1.0, method="newton-cg", damping=0.0, cg_steps=10)
    a = np.array([[x1, x2, 1.0] for x1, x2 in xs])
    want, *_ = np.linalg.lstsq(a, np.array(ys), rcond=None)
    neuron = model.layers[0].neurons[0]
    got = [w.data for w in neuron.w] + [neuron.b.data]
    assert got == pytest.approx(list(want), rel=1e-10, abs=1e-12)


def test_newton_cg_trains_the_lecture_mlp_faster_than_sgd():
    xs, ys = lecture_data()
    sgd = fit(MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337), xs, ys, steps=20, lr=0.1)
    newton = fit(MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337), xs, ys, steps=20, lr=1.0,
                 method="newton-cg")
    assert newton.losses[0] == sgd.losses[0]           # the same start
    assert newton.losses[-1] < 1e-3 < sgd.losses[-1]


def test_newton_cg_refuses_what_it_cannot_do():
    xs, ys = lecture_data()
    with pytest.raises(sg.InputError, match="smooth loss"):
        fit(MLP(3, [2, 1], seed=1), xs, ys, steps=1, loss="hinge", method="newton-cg")
    with pytest.raises(sg.InputError, match="method"):
        fit(MLP(3, [2, 1], seed=1), xs, ys, steps=1, method="adam")
