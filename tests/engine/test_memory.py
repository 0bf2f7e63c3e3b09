"""The engine's memory and scale: bytes per node, a million-node chain,
no reference cycles (training graphs included), and a backward that leaves the cyclic GC alone.
Speed itself is measured in bench/engine_bench.py, not here."""

import gc
import tracemalloc

import pytest

from symgrad import InputError, Value
from symgrad.engine.value import topo_order
from symgrad.nn import MLP, hinge, l2, make_moons

N = 100_000


def sum_graph(leaves):
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    return total


def test_memory_per_interior_node_of_a_sum():
    leaves = [Value(float(i)) for i in range(N)]
    gc.collect()
    tracemalloc.start()
    try:
        total = sum_graph(leaves)
        _, built = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        total.backward()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    interior = N - 1
    assert built / interior <= 200  # micrograd 0.1.0 needs about 690 bytes per node here
    # backward adds a grad float per node (interior and leaf) and the order list, nothing more
    assert (peak - built) / interior <= 64
    assert total.data == sum(range(N)) and leaves[0].grad == 1.0 and leaves[-1].grad == 1.0


def test_backward_never_runs_the_cyclic_gc():
    leaves = [Value(float(i)) for i in range(1000)]
    root = sum_graph(leaves) * sum_graph(leaves[::-1])
    for _ in range(50):
        root = (root * 0.5).tanh() + leaves[3]
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        for _ in range(3):
            root.backward()
    finally:
        gc.callbacks.remove(count)
    assert collections == []


def test_graphs_free_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        leaves = [Value(float(i)) for i in range(10_000)]
        total = sum_graph(leaves)
        total.backward()
        xs, ys = make_moons(20, 0.1, seed=0)
        net = MLP(2, [8, 8, 1], nonlin="relu", seed=0)
        loss = hinge([net(x) for x in xs], ys) + l2(net.parameters(), 1e-4)
        loss.backward()
        keep = {id(p) for p in net.parameters()}
        del leaves, total, loss
        assert not any(isinstance(o, Value) and id(o) not in keep for o in gc.get_objects())
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_topo_order_keeps_grads_and_is_deterministic():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    d = c + a
    d.backward()
    before = [(v.label, v.grad) for v in (a, b, c, d)]
    order = topo_order(d)
    assert order == topo_order(d) and order[-1] is d and order[0] is a
    assert [(v.label, v.grad) for v in (a, b, c, d)] == before
    assert set(map(id, order)) == {id(a), id(b), id(c), id(d)}


def test_int_grads_from_micrograd_style_zeroing_are_reset():
    # a grad set by hand to an int (as micrograd's zero_grad does) is reset like any other
    a = Value(1.0)
    a.grad = 0  # micrograd's zero_grad stores an int
    out = a * a + a
    out.backward()
    assert a.grad == 3.0


def test_a_deep_graph_frees_without_recursion():
    x = Value(0.5)
    y = x
    for _ in range(200_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    del y  # deallocating a 200,000-deep chain must not overflow the C stack


@pytest.mark.slow
def test_million_node_chain_of_unary_and_binary_nodes():
    x = Value(0.25)
    y = x
    for _ in range(250_000):
        y = (y * 1.0).relu() + 0.0 - 0.0   # 4 op nodes per step: 10^6 interior nodes
    y.backward()
    assert y.data == 0.25 and x.grad == 1.0
    assert len(topo_order(y)) == 1 + 4 * 250_000 + 3 * 250_000  # x, op nodes, constant leaves


def test_a_failed_sort_leaves_no_marks_in_grads():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = (c + a).tanh()
    c._prev = (a, "not a Value")  # tampering with a private slot breaks the sort midway
    with pytest.raises(AttributeError):
        d.backward()
    assert all(type(v.grad) is float for v in (a, b, c, d))


def test_children_must_be_values():
    with pytest.raises(InputError):
        Value(1.0, (Value(2.0), 3.0))


def test_op_must_be_a_rule_row():
    with pytest.raises(InputError):
        Value(1.0, (Value(2.0),), "+")  # micrograd's string ops would break backward later
