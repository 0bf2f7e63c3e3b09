"""micrograd's own code on symgrad.Value: its test_engine.py checks, the lecture's ``_backward()``
cells, its ``nn`` code with the training loop, and attributes of the user's own on a node.

References: mpmath (40 digits) for every value and gradient, the numbers the lecture and
micrograd's README publish, the lecture's own Value engine (tests/helpers/lecture_value.py)
run on the same random draws, and torch when it is installed."""

import importlib.util
import random
import struct

import mpmath
import pytest

import helpers.lecture as lecture
import helpers.lecture_value as lecture_value
from symgrad import Value

mpmath.mp.dps = 40


def relu(x):
    return x if x > 0 else 0 * x


def sanity(x, relu=relu):
    """micrograd's test_sanity_check expression, as a function of the number type."""
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    return h + q + q * x


def more_ops(a, b, relu=relu):
    """micrograd's test_more_ops expression."""
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def value_relu(v):
    return v.relu()


def test_micrograd_sanity_check_against_mpmath():
    x = Value(-4.0)
    y = sanity(x, value_relu)
    y.backward()
    exact = mpmath.mpf(-4)
    assert y.data == sanity(exact) == -20      # hand: z = -10, q = 40, h = 100, y = 100 + 40 - 160
    assert x.grad == mpmath.diff(sanity, exact) == 46.0


def test_micrograd_more_ops_against_mpmath_and_its_readme():
    a, b = Value(-4.0), Value(2.0)
    g = more_ops(a, b, value_relu)
    g.backward()
    A, B = mpmath.mpf(-4), mpmath.mpf(2)
    ref = more_ops(A, B)
    da = mpmath.diff(lambda t: more_ops(t, B), A)
    db = mpmath.diff(lambda t: more_ops(A, t), B)
    assert g.data == pytest.approx(float(ref), rel=1e-14)
    assert a.grad == pytest.approx(float(da), rel=1e-13)
    assert b.grad == pytest.approx(float(db), rel=1e-13)
    # micrograd's README prints 24.7041, 138.8338 and 645.5773
    assert (round(g.data, 4), round(a.grad, 4), round(b.grad, 4)) == (24.7041, 138.8338, 645.5773)


def test_micrograd_test_engine_against_torch():
    torch = pytest.importorskip("torch")
    x = torch.tensor([-4.0], dtype=torch.double, requires_grad=True)
    y = sanity(x, torch.relu)
    y.backward()
    xv = Value(-4.0)
    yv = sanity(xv, value_relu)
    yv.backward()
    assert (yv.data, xv.grad) == (y.item(), x.grad.item())
    a = torch.tensor([-4.0], dtype=torch.double, requires_grad=True)
    b = torch.tensor([2.0], dtype=torch.double, requires_grad=True)
    g = more_ops(a, b, torch.relu)
    g.backward()
    av, bv = Value(-4.0), Value(2.0)
    gv = more_ops(av, bv, value_relu)
    gv.backward()
    assert abs(gv.data - g.item()) < 1e-6
    assert abs(av.grad - a.grad.item()) < 1e-6 and abs(bv.grad - b.grad.item()) < 1e-6


def test_lecture_backward_cells_by_hand():
    # c = a + b; c.grad = 1; c._backward()  ->  1.0, 1.0, 1
    a, b = Value(2.0), Value(4.0)
    c = a + b
    c.grad = 1
    c._backward()
    assert (a.grad, b.grad, c.grad) == (1.0, 1.0, 1)
    # b = a + a: the gradient accumulates, 2.0
    a = Value(3.0, label="a")
    b = a + a; b.label = "b"; b.grad = 1  # noqa: E702 -- the lecture's cell
    b._backward()
    assert (a.grad, b.grad) == (2.0, 1)
    # a leaf's _backward does nothing, as micrograd's lambda: None
    a._backward()
    assert a.grad == 2.0


def test_lecture_neuron_backward_by_hand_in_reverse_order():
    # The lecture's torch cell makes b with torch.Tensor([6.8813735870195432]).double(): a float32
    # first, so its printed digits belong to b rounded to float32. Same b here, same digits.
    b32 = struct.unpack("f", struct.pack("f", 6.8813735870195432))[0]
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(b32, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"  # noqa: E702
    x2w2 = x2 * w2; x2w2.label = "x2*w2"  # noqa: E702
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"  # noqa: E702
    n = x1w1x2w2 + b; n.label = "n"  # noqa: E702
    o = n.tanh(); o.label = "o"  # noqa: E702
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1):
        node._backward()
    # The lecture's torch float64 cell prints these digits.
    published = {x1: -1.5000003851533106, x2: 0.5000001283844369, w1: 1.0000002567688737, w2: 0.0}
    exact_n = mpmath.mpf(-6) + mpmath.mpf(b32)
    slope = 1 - mpmath.tanh(exact_n) ** 2
    assert o.data == pytest.approx(0.7071066904050358, rel=1e-15)
    for v, want in published.items():
        assert v.grad == pytest.approx(want, rel=1e-15, abs=0.0)
    assert x1.grad == pytest.approx(float(slope * -3), rel=1e-15)
    # by hand equals backward()
    by_hand = [v.grad for v in (x1, x2, w1, w2, b, n)]
    o.backward()
    assert [v.grad for v in (x1, x2, w1, w2, b, n)] == by_hand


def test_lecture_L_backward_by_hand():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b; e.label = "e"  # noqa: E702
    d = e + c; d.label = "d"  # noqa: E702
    L = d * f; L.label = "L"  # noqa: E702
    L.grad = 1.0
    for node in (L, d, e):
        node._backward()
    assert (L.data, a.grad, b.grad, c.grad, f.grad) == (-8.0, 6.0, -4.0, -2.0, 4.0)   # the lecture's numbers


def test_op_is_micrograd_symbol_and_backward_is_a_method():
    x = Value(0.5)
    y = (x * 2 + 1).relu()
    assert [y._op, y._prev[0]._op, y._prev[0]._prev[0]._op, x._op] == ["relu", "+", "*", ""]
    assert type(y._op) is str and y._rule.name == "relu"
    assert "_backward" not in getattr(y, "__dict__", {})  # a method: no closure over the node


def _lecture_nn(value_class):
    """The lecture's nn module, loaded afresh with ``Value`` bound to ``value_class``."""
    spec = importlib.util.spec_from_file_location("lecture_copy", lecture.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.Value = value_class
    return module


def _train(nn, steps, seed):
    """The lecture's training cell (fewer steps), its loss after each step."""
    random.seed(seed)
    n = nn.MLP(3, [4, 4, 1])
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]
    lr = 0.3
    losses = []
    for k in range(steps):
        # forward pass
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
        # backward pass
        for p in n.parameters():
            # zero out gradients
            p.grad = 0.0
        loss.backward()
        # update
        for p in n.parameters():
            p.data += -1 * lr * p.grad
        losses.append(loss.data)
    return losses, ypred


@pytest.mark.parametrize("seed", [0, 1337])
def test_lecture_nn_code_trains_on_symgrad_value_as_on_the_lecture_engine(seed):
    ours, our_pred = _train(lecture, 60, seed)
    ref, ref_pred = _train(_lecture_nn(lecture_value.Value), 60, seed)
    assert all(isinstance(v, Value) for v in our_pred)
    assert ours == pytest.approx(ref, rel=1e-9)
    assert [v.data for v in our_pred] == pytest.approx([v.data for v in ref_pred], rel=1e-9)
    assert ours[-1] < 0.05 * ours[0]   # the lecture: "Our loss is decreasing"


def test_users_own_attributes_on_a_value_as_adamw_keeps_its_moments():
    # EurekaLabsAI/micrograd's AdamW keeps p.m and p.v on each parameter.
    p = Value(3.0)
    p.m, p.v = 0.0, 0.0
    lr, beta1, beta2, eps = 0.1, 0.9, 0.95, 1e-8
    for t in range(1, 201):
        loss = (p - 1.0) ** 2
        loss.backward()
        p.m = beta1 * p.m + (1 - beta1) * p.grad
        p.v = beta2 * p.v + (1 - beta2) * p.grad ** 2
        m_hat, v_hat = p.m / (1 - beta1 ** t), p.v / (1 - beta2 ** t)
        p.data -= lr * m_hat / (v_hat ** 0.5 + eps)
    assert abs(p.data - 1.0) < 0.05
    assert p.__dict__ == {"m": p.m, "v": p.v}
