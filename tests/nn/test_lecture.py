"""Golden values published in the lecture and in micrograd's README."""

import math

import pytest

import symgrad as sg

L_PROGRAM = "e = a*b; d = e + c; L = d*f"
NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def test_lecture_L_program():
    res = sg.backprop(L_PROGRAM, {"a": 2, "b": -3, "c": 10, "f": -2})
    assert res.value == -8.0
    assert res.grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}
    assert list(res.grads) == ["a", "b", "c", "f", "e", "d", "L"]  # inputs, then intermediates in order


def test_lecture_L_program_keyword_values_and_parsed_program():
    prog = sg.parse(L_PROGRAM)
    assert prog.inputs == ("a", "b", "c", "f")
    assert prog.output == "L"
    assert prog.intermediates == ("e", "d", "L")
    assert sg.backprop(prog, a=2, b=-3, c=10, f=-2).grads == sg.backprop(L_PROGRAM, {"a": 2, "b": -3, "c": 10, "f": -2}).grads


def test_lecture_neuron():
    res = sg.backprop(NEURON, NEURON_POINT)
    assert res.value == pytest.approx(0.7071067, abs=1e-6)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    for name, grad in expected.items():
        assert res.grads[name] == pytest.approx(grad, abs=1e-6), name


def test_lecture_neuron_written_with_exp():
    # The lecture's second version: tanh written as (e^{2n} - 1)/(e^{2n} + 1).
    prog = "n = x1*w1 + x2*w2 + b; t = exp(2*n); o = (t - 1)/(t + 1)"
    res = sg.backprop(prog, NEURON_POINT)
    assert res.value == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert res.grads["x1"] == pytest.approx(-1.5, abs=1e-6)
    assert res.grads["w1"] == pytest.approx(1.0, abs=1e-6)


def test_labels_come_from_names():
    res = sg.backprop(L_PROGRAM, a=2, b=-3, c=10, f=-2)
    assert res.root.label == "L"
    assert [k.label for k in res.root._prev] == ["d", "f"]
    d = res.root._prev[0]
    assert [k.label for k in d._prev] == ["e", "c"]


def test_micrograd_readme_example_against_symgrad_value():
    from symgrad import Value
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    assert f"{g.data:.4f}" == "24.7041"
    g.backward()
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_an_alias_is_its_own_node():
    # d(L)/d(d) holds d independent of e, as the lecture's hand derivation (and SymPy) reads it.
    res = sg.backprop("e = a*b; d = e; L = d*c + e", a=1.0, b=2.0, c=3.0)
    assert res.grads == {"a": 8.0, "b": 4.0, "c": 2.0, "e": 4.0, "d": 3.0, "L": 1.0}
    d = res.graph.named["d"]
    assert d.label == "d" and d._op == "=" and d._prev == (res.graph.named["e"],)
    assert sg.compile("e = a*b; d = e; L = d*c + e")(a=1.0, b=2.0, c=3.0).grads == res.grads
