"""symgrad.hessian, hvp and jvp: hand derivations and SymPy as the golden side."""

import math

import numpy as np
import pytest
import sympy as sp

import symgrad as sg


def test_hessian_of_the_lecture_neuron_matches_sympy():
    text = "n = x1*w1 + x2*w2 + b\no = tanh(n)"
    point = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}
    h = sg.hessian(text, point)
    syms = sp.symbols("x1 w1 x2 w2 b", real=True)
    x1, w1, x2, w2, b = syms
    f = sp.tanh(x1 * w1 + x2 * w2 + b)
    at = {s: sp.Rational(point[s.name]) for s in syms}
    names = [s.name for s in syms]
    assert h.names == list(sg.parse(text).inputs)
    for a in h.names:
        for c in h.names:
            want = float(sp.diff(f, syms[names.index(a)], syms[names.index(c)]).xreplace(at).evalf(30))
            assert h[a, c] == pytest.approx(want, rel=1e-13, abs=1e-15), (a, c)
    assert np.asarray(h).shape == (5, 5)
    assert "Hessian" in str(h) and "w1" in h._repr_html_()
    assert h.to_dict()["names"] == h.names


def test_hvp_and_jvp_by_hand():
    # f = x²y + sin(y): H = [[2y, 2x], [2x, −sin y]], ∇f = (2xy, x² + cos y)
    text = "L = x**2*y + sin(y)"
    x, y = 1.5, -0.5
    hv = sg.hvp(text, {"x": x, "y": y}, {"x": 1.0, "y": 2.0})
    assert hv["x"] == pytest.approx(2 * y + 2 * 2 * x, rel=1e-15)
    assert hv["y"] == pytest.approx(2 * x - 2 * math.sin(y), rel=1e-15)
    value, tangent = sg.jvp(text, {"x": x, "y": y}, [1.0, 2.0])
    assert value == pytest.approx(x * x * y + math.sin(y), rel=1e-15)
    assert tangent == pytest.approx(2 * x * y + 2 * (x * x + math.cos(y)), rel=1e-15)
    assert sg.compile(text).hvp({"x": x, "y": y}, [1.0, 2.0]) == hv


def test_bad_directions_are_named():
    with pytest.raises(sg.InputError, match="z in v"):
        sg.hvp("L = x*y", {"x": 1, "y": 2}, {"z": 1.0})
    with pytest.raises(sg.InputError, match="2 inputs"):
        sg.jvp("L = x*y", {"x": 1, "y": 2}, [1.0])
    with pytest.raises(sg.InputError):
        sg.hvp("L = x*y", {"x": 1, "y": 2}, "xy")


def test_mixed_partials_in_diff_match_sympy():
    x, y = sp.symbols("x y", real=True)
    got = sg.diff("L = x**2*y + sin(x*y)", "x", "y")
    assert sp.simplify(got - sp.diff(x ** 2 * y + sp.sin(x * y), x, y)) == 0
    got = sg.diff("L = exp(x)*y**3", "y", "y", "x")
    assert sp.simplify(got - 6 * y * sp.exp(x)) == 0
    with pytest.raises(sg.InputError, match="input"):
        sg.diff("e = x*y; L = e*x", "e", "y")


def test_cli_hessian_and_mixed_diff(capsys):
    from symgrad.interface.cli.main import main
    assert main(["hessian", "L = x**2*y", "--at", "x=2", "y=3", "--json"]) == 0
    import json
    data = json.loads(capsys.readouterr().out)
    assert data["names"] == ["x", "y"] and data["hessian"] == [[6.0, 4.0], [4.0, 0.0]]
    assert main(["diff", "L = x**2*y", "--wrt", "x", "--wrt", "y"]) == 0
    assert capsys.readouterr().out.strip() == "2*x"


def test_hessian_matches_torch_where_installed():
    torch = pytest.importorskip("torch")     # optional: the SymPy twin above always runs
    point = [0.3, -1.1, 0.7]
    h = sg.hessian("L = sigmoid(a*b) * log(1 + c*c) + atan(a - c)", dict(zip("abc", point)))

    def f(z):
        a, b, c = z
        return torch.sigmoid(a * b) * torch.log(1 + c * c) + torch.atan(a - c)
    want = torch.func.hessian(f)(torch.tensor(point, dtype=torch.float64)).tolist()
    assert np.allclose(h.matrix, want, rtol=1e-13, atol=1e-15)
