"""The lecture's own ``trace`` and ``draw_dot`` (tests/helpers/lecture.py, verbatim but for the
import) run on symgrad.Value and draw the lecture's numbers."""

import re

import helpers.lecture as lecture
from symgrad import Value


def records(dot):
    """{label: (data, grad)} of the record nodes, and the op labels, of a DOT source."""
    rec = dict((m[0], (m[1], m[2])) for m in re.findall(r'label="\{ (\S*) \| data (\S+) \| grad (\S+) \}"', dot.source))
    ops = sorted(q or bare for q, bare in re.findall(r'\[label=(?:"([^{"][^"]*)"|(\w+))\]', dot.source))
    return rec, ops


def test_draw_dot_of_the_lecture_L_graph():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b; e.label = "e"  # noqa: E702
    d = e + c; d.label = "d"  # noqa: E702
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"  # noqa: E702
    L.backward()
    dot = lecture.draw_dot(L)
    rec, ops = records(dot)
    assert rec == {"a": ("2.0000", "6.0000"), "b": ("-3.0000", "-4.0000"), "c": ("10.0000", "-2.0000"),
                   "e": ("-6.0000", "-2.0000"), "d": ("4.0000", "-2.0000"), "f": ("-2.0000", "4.0000"),
                   "L": ("-8.0000", "1.0000")}
    assert ops == ["*", "*", "+"]
    assert dot.source.count("->") == 3 + 6   # node -> its op, and each child -> its parent's op


def test_draw_dot_of_the_lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1w1"  # noqa: E702
    x2w2 = x2 * w2; x2w2.label = "x2w2"  # noqa: E702
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1w1+x2w2"  # noqa: E702
    n = x1w1x2w2 + b; n.label = "n"  # noqa: E702
    o = n.tanh(); o.label = "o"  # noqa: E702
    o.backward()
    rec, ops = records(lecture.draw_dot(o))
    # The lecture's picture: o = 0.7071, n.grad = 0.5, x1.grad = -1.5, w1.grad = 1.0
    assert rec["o"] == ("0.7071", "1.0000") and rec["n"] == ("0.8814", "0.5000")
    assert rec["x1"] == ("2.0000", "-1.5000") and rec["w1"] == ("-3.0000", "1.0000")
    assert rec["x2"] == ("0.0000", "0.5000") and rec["w2"] == ("1.0000", "0.0000")
    assert ops == ["*", "*", "+", "+", "tanh"]


def test_draw_dot_of_the_lecture_mlp():
    import random
    random.seed(1337)
    n = lecture.MLP(3, [4, 4, 1])
    out = n([2.0, 3.0, -1.0])
    out.backward()
    dot = lecture.draw_dot(out)
    nodes, edges = lecture.trace(out)
    assert dot.source.count("shape=record") == len(nodes)
    assert dot.source.count("->") == len(edges) + sum(1 for v in nodes if v._op)
