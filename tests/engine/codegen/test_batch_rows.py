"""Batch (numpy) evaluation within 2 ulp of backprop for every row, at ordinary, tiny and huge
inputs; and the engine's graph reading is safe from many threads.

Backprop (float, libm) is the reference: it is itself checked against mpmath in
rules/test_table_references.py. Nothing here names a row except to spell its operator.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import symgrad as sg
from symgrad.engine.value import backpropagate, topo_order
from symgrad.rules.rule import inside
from symgrad.rules.table import COMPARISONS, CONDITIONS, RULES
from helpers.threaded import run_threads

EXTREMES = (1e-300, -1e-300, 1e-170, -1e-170, 3e-20, 5e-324, 1e300, -1e300, 1e10, -1e10, 700.0, -700.0, 30.0, -30.0)
ULPS = 2


def program(row, point) -> tuple[str, list[str], tuple[float, ...]]:
    """Source text applying the row to inputs a0, a1, …; a constant exponent is a literal."""
    names = [f"a{i}" for i in range(len(point))]
    if row.constant and row.kind == "infix":  # powc: the exponent is a number in the text
        return f"a0 {row.symbol} ({point[1]!r})", names[:1], point[:1]
    if row.name in CONDITIONS:  # a condition's value (1 or 0) is read through where; and/or/not read a0 != 0
        operands = names if row.name in COMPARISONS.values() else [f"{n} != 0" for n in names]
        cond = f"{operands[0]} {row.symbol} {operands[1]}" if row.kind == "infix" else f"{row.symbol}{operands[0]}"
        return f"where({cond}, 1, 0)", names, point
    if row.kind == "infix":
        return f"a0 {row.symbol} a1", names, point
    if row.kind == "prefix":
        return f"{row.symbol}a0", names, point
    args = [f"{n} != 0" if a == "condition" else n for n, a in zip(names, row.args + ("",) * len(names))]
    return f"{row.spelling}({', '.join(args)})", names, point


def sweep(row) -> list[tuple[float, ...]]:
    base = inside(row)[::3]
    extreme = [tuple(v if j == i else p[j] for j in range(len(p))) for p in base[:3] for i in range(len(p))
               for v in EXTREMES]
    return list(dict.fromkeys(base + extreme + [(1e-170, 2.0), (1e-300, 2.0), (1e-170, 3.0)][:3 * (row.name == "powc")]))


def within(a: float, b: float, ulps: int = ULPS) -> bool:
    return a == b or abs(a - b) <= ulps * math.ulp(max(abs(a), abs(b)))


CASES = [pytest.param(row, id=name) for name, row in RULES.items()]


@pytest.mark.parametrize("row", CASES)
def test_batch_is_within_2_ulp_of_backprop(row):
    groups: dict[str, list] = {}
    for p in sweep(row):
        text, names, args = program(row, p)
        try:
            ref = sg.backprop(text, dict(zip(names, args)))
        except sg.NumericError:
            continue  # outside the domain or overflowing: the batch's errors are tested in test_speed_compile
        groups.setdefault(text, []).append((args, ref))
    assert groups, "no point of the sweep is inside the domain"
    for text, cases in groups.items():
        f = sg.compile(text)
        arrays = [np.array([args[i] for args, _ in cases]) for i in range(len(cases[0][0]))]
        value, grads = f.batch(*arrays)
        for k, (args, ref) in enumerate(cases):
            assert within(float(value[k]), ref.value), (text, args, float(value[k]), ref.value)
            for name, g in zip(f.names, grads):
                assert within(float(g[k]), ref.grads[name]), (text, args, name, float(g[k]), ref.grads[name])


def test_square_of_a_tiny_number_keeps_its_slope_in_a_batch():
    f = sg.compile("x**2")
    value, (grad,) = f.batch(np.array([1e-170]))
    assert value[0] == 0.0 and grad[0] == sg.backprop("x**2", x=1e-170).grads["x"] == 2e-170


# --- reading one graph from many threads ----------------------------------------------------

def _graph(n: int = 400) -> sg.Value:
    xs = [sg.Value(0.01 * i, label=f"x{i}") for i in range(n)]
    acc = xs[0]
    for i in range(1, n):
        acc = (acc * xs[i]).tanh() + xs[i - 1].max(xs[i]) + xs[i] * xs[i]  # shared nodes: a DAG, not a tree
    return acc


def test_topo_order_is_backwards_order_and_writes_nothing():
    root = _graph()
    order = topo_order(root)
    grads = [v.grad for v in order]
    assert [id(v) for v in backpropagate(root)] == [id(v) for v in order]
    root2 = _graph()
    before = [(v.data, v.grad) for v in topo_order(root2)]
    assert [(v.data, v.grad) for v in topo_order(root2)] == before  # nothing written, not even grads
    assert len(order) == len({id(v) for v in order}) and grads


def test_eight_threads_read_one_graph_at_once():
    root = _graph()
    root.backward()
    expected_order = [id(v) for v in topo_order(root)]
    expected_grads = [v.grad for v in topo_order(root)]
    # DOT text only, never laid out: no need for the default bounds on its size and its layout
    roomy = sg.Limits(max_graph_nodes=10_000, max_graph_layout=10_000_000)
    expected_dot = sg.draw(root, limits=roomy).source
    barrier = threading.Barrier(8)
    failures: list[str] = []

    def reader():
        barrier.wait()
        for _ in range(20):
            if [id(v) for v in topo_order(root)] != expected_order:
                failures.append("order")
            if sg.draw(root, limits=roomy).source != expected_dot:
                failures.append("draw")

    run_threads(reader, 8)
    assert failures == []
    assert [v.grad for v in topo_order(root)] == expected_grads
