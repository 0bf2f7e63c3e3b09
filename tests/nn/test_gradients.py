"""symgrad.nn gradients against independent sources: finite differences, the parsed
expression of the same network, micrograd 0.1.0 with the same weights, and SymPy for the
fused weighted-sum row."""

import math
import random

import pytest
import sympy

import symgrad as sg
from symgrad.engine.value import weighted_sum
from symgrad.rules.table import INTERNAL, RULES
from symgrad.nn import MLP, Layer, Neuron, hinge, l2, lecture_data, mse, sum_squares

ALPHA = 1e-3


def lecture_loss(net, xs, ys):
    return sum_squares([net(x) for x in xs], ys) + l2(net.parameters(), ALPHA)


@pytest.fixture
def trained_point():
    """A seeded MLP(3, [4, 4, 1]) on the lecture's four points, after backward."""
    xs, ys = lecture_data()
    net = MLP(3, [4, 4, 1], seed=7)
    loss = lecture_loss(net, xs, ys)
    loss.backward()
    return net, xs, ys, loss


def test_every_parameter_gradient_matches_central_differences(trained_point):
    net, xs, ys, loss = trained_point
    h = 1e-6
    for name, p in net.named_parameters().items():
        grad, keep = p.grad, p.data
        p.data = keep + h
        up = lecture_loss(net, xs, ys).data
        p.data = keep - h
        down = lecture_loss(net, xs, ys).data
        p.data = keep
        assert grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8), name


def test_every_parameter_gradient_matches_backprop_of_the_parsed_expression(trained_point):
    net, xs, ys, loss = trained_point
    expr = net.expression(xs, ys, loss="sum_squares", alpha=ALPHA)
    program = sg.parse(expr.source)
    assert set(program.inputs) == set(net.named_parameters())  # weights are the inputs
    res = sg.backprop(program, expr.point)
    assert res.value == pytest.approx(loss.data, rel=1e-12)
    assert len(expr.parameters) == len(net.parameters()) == 41
    for name, p in expr.parameters.items():
        assert res.grads[name] == pytest.approx(p.grad, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("loss_name, loss_fn, alpha", [("mse", mse, 0.0), ("hinge", hinge, 1e-4)])
def test_other_losses_match_their_expression(loss_name, loss_fn, alpha):
    xs, ys = lecture_data()
    net = MLP(3, [4, 4, 1], nonlin="relu", seed=11)
    loss = loss_fn([net(x) for x in xs], ys)
    if alpha:
        loss = loss + l2(net.parameters(), alpha)
    loss.backward()
    res = net.expression(xs, ys, loss=loss_name, alpha=alpha).backprop()
    assert res.value == pytest.approx(loss.data, rel=1e-12)
    for name, p in net.named_parameters().items():
        assert res.grads[name] == pytest.approx(p.grad, rel=1e-9, abs=1e-12), name


def test_output_expression_is_the_lecture_neuron():
    n = Neuron(2, seed=1)
    n.w[0].data, n.w[1].data, n.b.data = -3.0, 1.0, 6.8813735870195432
    expr = n.expression([2.0, 0.0])
    assert expr.source == "o = tanh(2.0*w1 + 0.0*w2 + b)"
    res = expr.backprop()
    assert res.value == pytest.approx(0.7071067, abs=1e-6)  # the lecture's published numbers
    assert res.grads["w1"] == pytest.approx(1.0, abs=1e-6)
    assert res.grads["b"] == pytest.approx(0.5, abs=1e-6)
    out = n([2.0, 0.0])
    out.backward()
    assert n.w[0].grad == pytest.approx(res.grads["w1"], rel=1e-12)


def test_same_weights_same_numbers_as_micrograd():
    import micrograd.nn as micrograd_nn  # an independent implementation (test extra: micrograd==0.1.0)
    from micrograd.engine import Value as MValue
    xs, ys = lecture_data()
    ours = MLP(3, [4, 4, 1], nonlin="relu", seed=5)
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    for mine, peer in zip(ours.parameters(), theirs.parameters()):
        peer.data = mine.data
    loss = hinge([ours(x) for x in xs], ys) + l2(ours.parameters(), 1e-4)
    loss.backward()
    scores = [theirs([MValue(v) for v in x]) for x in xs]
    peer_loss = sum((1 + -y * s).relu() for y, s in zip(ys, scores)) * (1.0 / len(ys))
    peer_loss = peer_loss + 1e-4 * sum(p * p for p in theirs.parameters())
    peer_loss.backward()
    assert loss.data == pytest.approx(peer_loss.data, rel=1e-12)
    for mine, peer in zip(ours.parameters(), theirs.parameters()):
        assert mine.grad == pytest.approx(peer.grad, rel=1e-9, abs=1e-15)


def test_weighted_sum_row_matches_sympy_and_finite_differences():
    row = INTERNAL["wsum"]
    assert row.kind == "fused" and row.variadic and "wsum" not in RULES  # never parsed
    args = (0.3, 1.5, -2.0, 0.25, 0.7, -1.1, 2.0)          # b, w1..w3, x1..x3
    syms = sympy.symbols("u0:7", real=True)
    expr = row.sympy(sympy, *syms)
    subs = dict(zip(syms, args))
    out = row.forward(*args)
    assert out == pytest.approx(float(expr.subs(subs)), rel=1e-15)
    local = row.local(*args, out)
    for i, s in enumerate(syms):
        assert local[i] == pytest.approx(float(sympy.diff(expr, s).subs(subs)), rel=1e-15)
        up, down = list(args), list(args)
        up[i] += 1e-6
        down[i] -= 1e-6
        assert local[i] == pytest.approx((row.forward(*up) - row.forward(*down)) / 2e-6, rel=1e-6)


def test_weighted_sum_node_backward_uses_the_same_numbers_as_local():
    ws = [sg.Value(v) for v in (1.5, -2.0, 0.25)]
    xs = [sg.Value(v) for v in (0.7, -1.1, 2.0)]
    b = sg.Value(0.3)
    node = weighted_sum(ws, xs, b)
    out = node * 3.0
    out.backward()
    local = INTERNAL["wsum"].local(b.data, *(w.data for w in ws), *(x.data for x in xs), node.data)
    assert [b.grad] + [w.grad for w in ws] + [x.grad for x in xs] == [3.0 * d for d in local]
    assert node._prev == (b, *ws, *xs) and node._op == "Σwx+b"


def test_weighted_sum_of_a_vector_with_itself_is_its_squared_norm():
    ps = [sg.Value(v) for v in (1.0, -2.0, 3.0)]
    sq = weighted_sum(ps, ps)
    sq.backward()
    assert sq.data == 14.0 and [p.grad for p in ps] == [2.0, -4.0, 6.0]


def test_one_neuron_hidden_layer_does_not_break_the_next_layer():
    net = MLP(3, [4, 1, 1], seed=2)
    out = net([2.0, 3.0, -1.0])
    assert isinstance(out, sg.Value)
    out.backward()
    assert all(math.isfinite(p.grad) for p in net.parameters())
    assert any(p.grad != 0.0 for p in net.layers[0].parameters())  # gradient reaches the first layer
    layer = Layer(3, 1, seed=0)
    single = layer([1.0, 2.0, 3.0])
    assert isinstance(single, sg.Value)  # as in the lecture
    assert isinstance(Layer(1, 2, seed=0)(single), list)  # and it feeds a layer directly


def test_output_shapes_and_inputs():
    net = MLP(3, [4, 4, 1], seed=0)
    assert isinstance(net([2.0, 3.0, -1.0]), sg.Value)
    assert isinstance(net([sg.Value(2.0), 3, -1.0]), sg.Value)  # Values and plain numbers mix
    wide = MLP(3, [4, 2], seed=0)
    assert len(wide([1.0, 2.0, 3.0])) == 2
    assert net.predict([2.0, 3.0, -1.0]) == net([2.0, 3.0, -1.0]).data
    assert MLP(1, [3, 1], seed=0)(0.5).data == MLP(1, [3, 1], seed=0)([0.5]).data


def test_seeding():
    a, b = MLP(2, [3, 1], seed=4), MLP(2, [3, 1], seed=4)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    c = MLP(2, [3, 1], seed=random.Random(4))
    assert [p.data for p in c.parameters()] == [p.data for p in a.parameters()]
    assert [p.data for p in MLP(2, [3, 1], seed=5).parameters()] != [p.data for p in a.parameters()]
    random.seed(9)
    d = MLP(2, [3, 1])
    random.seed(9)
    assert [p.data for p in MLP(2, [3, 1]).parameters()] == [p.data for p in d.parameters()]


def test_micrograd_style_defaults_and_reprs():
    assert Neuron(3, nonlin=True).nonlin == "relu" and Neuron(3, nonlin=False).nonlin == "linear"
    relu = Neuron(3, "relu", seed=0)
    assert relu.b.data == 0.0  # micrograd's relu neurons start with b = 0
    assert repr(Neuron(3)) == "Neuron(3, nonlin='tanh')"
    assert repr(Layer(3, 4, "relu")) == "Layer(3, 4, nonlin='relu')"
    assert repr(MLP(3, [4, 4, 1])) == "MLP(3, [4, 4, 1], nonlin='tanh', out_nonlin='linear')"
    net = MLP(3, [4, 4, 1])
    assert len(net.parameters()) == 41 and net.layers[-1].nonlin == "linear"
    assert list(net.named_parameters())[:4] == ["w1_1_1", "w1_1_2", "w1_1_3", "b1_1"]


def test_zero_grad():
    net = MLP(2, [2, 1], seed=0)
    net([1.0, 2.0]).backward()
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


@pytest.mark.parametrize("make", [
    lambda: MLP(3, [4, 4, 1])([1.0, 2.0]),
    lambda: MLP(3, [4, 4, 1])("abc"),
    lambda: MLP(3, [4, 4, 1])([1.0, 2.0, "x"]),
    lambda: MLP(3, 4),
    lambda: MLP(3, []),
    lambda: MLP(0, [1]),
    lambda: Neuron(3, nonlin="swish"),
    lambda: Neuron(2.5),
    lambda: Neuron(2, seed="abc"),
    lambda: MLP(3, [4, 1]).expression([1.0, math.inf, 2.0]),
    lambda: MLP(3, [4, 1]).expression([[1.0, 2.0, 3.0]], [1.0], loss="cross_entropy"),
    lambda: MLP(3, [4, 2]).expression([[1.0, 2.0, 3.0]], [1.0]),
    lambda: weighted_sum([sg.Value(1.0)], []),
    lambda: Neuron(2).expression([1.0, 2.0], name="b"),
    lambda: Neuron(2).expression([1.0, 2.0], name="2x"),
])
def test_bad_use_is_an_input_error(make):
    with pytest.raises(sg.InputError):
        make()


@pytest.mark.slow
def test_every_parameter_gradient_agrees_with_the_symbolic_check(trained_point):
    net, xs, ys, loss = trained_point
    expr = net.expression(xs, ys, loss="sum_squares", alpha=ALPHA)
    report = sg.check(expr.source, expr.point)    # 41 parameters, three layers, four samples
    rows = {row.name: row for row in report.rows}
    assert report.ok
    for name, p in expr.parameters.items():
        assert rows[name].verdict == "agree", name
        assert rows[name].backprop == pytest.approx(p.grad, rel=1e-9, abs=1e-12), name
        assert rows[name].symbolic == pytest.approx(p.grad, rel=1e-7, abs=1e-9), name
