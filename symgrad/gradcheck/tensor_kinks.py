"""Kinks in a tensor program, element by element: the scalar check's rule on every element.

An element of a kink row (relu, abs, clamp, hardtanh, max's tie; ``Rule.kink``) that the output
reads and that sits exactly at its kink (``kinks.at_kink``, decided on exact balls) has two
one-sided slopes. The exact reference is run backwards twice more, once with every such element's
partials read just left of its kink and once just right (its first argument moved by
2^(-2·bits)·max(1, |x|), computed at 3·bits + 64 bits so the move is never rounded away), exactly as
the scalar reference reads a kink row beside the point. A gradient element whose two sides differ
is at a kink: the verdict there is ``kink`` when the given value lies between the sides (as the
scalar ``judge``), ``mismatch`` otherwise; where both sides agree the function is differentiable
and the gradient must equal that slope. An element that may be at its kink (a ball that touches
it) is reported and makes the verdict ``unverified``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from flint import arb

from .balls import with_precision
from .kinks import at_kink
from .tensor_exact import _grads, _restore
from ..engine.tensor import backward
from ..rules.table import CONDITIONS
from ..rules.tensor_ops import unbroadcast

__all__ = ["kink_elements", "one_sided"]


def _spread(ns: Any, values: Any, shape: tuple) -> list[np.ndarray]:
    """Each argument's balls, broadcast to the row's result shape."""
    return [np.broadcast_to(np.asarray(ns.balls(v), dtype=object), shape) for v in values]


def kink_elements(graph: Any, ns: Any) -> tuple[dict, list[str]]:
    """({id(node): (node, [element, …])} of the kink rows' elements exactly at their kink, notes on
    elements that may be, and on a where's condition whose sides tie: each note makes the verdict
    ``unverified``)."""
    found, notes = {}, []
    for node in graph.tape:
        row = node.row
        if row is None or not row.kink or np.asarray(node.value).dtype != object:
            continue
        shape = node.shape
        args = _spread(ns, [k.value for k in node.kids], shape)
        for index in np.ndindex(*shape):
            if node.live is not None and not node.live[index]:
                continue
            at = at_kink(row, [a[index] for a in args])
            if at is not False and row.name in CONDITIONS:
                notes.append(f"where's condition {row.symbol} ties at element {list(index)}, a switch: the tensor "
                             "check does not read one-sided slopes across a switch (check it as a scalar program)")
            elif at:
                found.setdefault(id(node), (node, []))[1].append(index)
            elif at is None:
                notes.append(f"{row.name} at element {list(index)} may be at its kink (its ball touches it)")
    return found, notes


def _sided(node: Any, elements: list, direction: int, bits: int) -> Any:
    """The node's record with its partials at ``elements`` read on one side of the kink."""
    row, base = node.row, node.op

    def vjp(xp, g, out, *args):
        shape = np.shape(out)
        here = elements
        if shape != node.shape:     # engine.tensor_live.masked_vjp: the live elements, in order
            position = {tuple(int(i) for i in e): k for k, e in enumerate(np.argwhere(node.live))}
            here = [(position[e],) for e in elements]
        slopes = [np.array(np.broadcast_to(np.asarray(s, dtype=object), shape), dtype=object)
                  for s in xp.local(row, *args, out=out)]
        spread = _spread(xp, args, shape)
        with with_precision(3 * bits + 64):
            for index in here:
                at = [a[index] for a in spread]
                step = arb(2) ** (-2 * bits) * max(arb(1), abs(at[0]).upper(), key=float)
                moved = [at[0] + direction * step] + at[1:]
                side = xp.local(row, *(_zero_d(v) for v in moved), out=None)
                for s, d in zip(slopes, side):
                    s[index] = np.asarray(d, dtype=object).reshape(())[()]
        return tuple(None if i in row.constant else unbroadcast(g * d, np.shape(a), xp)
                     for i, (a, d) in enumerate(zip(args, slopes)))
    return replace(base, vjp=vjp)


def _zero_d(v: Any) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = v
    return out


def one_sided(graph: Any, ns: Any, kinks: dict, direction: int, bits: int, names: list[str]) -> dict:
    """Every gradient with each kink element's partials read on one side (-1 left, +1 right)."""
    saved_ops = [(node, node.op) for node, _ in kinks.values()]
    saved = _grads(graph)
    try:
        for node, elements in kinks.values():
            node.op = _sided(node, elements, direction, bits)
        backward(graph, xp=ns, seed=ns.lift(np.ones(graph.root.shape)))
        return {name: ns.balls(graph.named[name].grad if graph.named[name].grad is not None
                               else np.zeros(graph.named[name].shape)) for name in names}
    finally:
        for node, op in saved_ops:
            node.op = op
        _restore(graph, saved)
