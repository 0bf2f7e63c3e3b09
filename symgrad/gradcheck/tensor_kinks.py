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

A comparison that feeds a ``where`` and ties exactly at an element is a switch: on each side the
condition is decided as just beside the tie (its first side moved the same way), liveness follows
the branch taken there, and the same two passes give the one-sided slopes. Where the branches'
values differ at the tie the output jumps (no derivative); where a branch has no value or no
slope at the point (sqrt'(0), sin(x)/x at 0) the check says it cannot read the switch. Both
are ``unverified``, never ``agree``.
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
from ..engine.tensor_live import mark_live
from ..rules.table import CONDITIONS
from ..rules.tensor_ops import unbroadcast

__all__ = ["kink_elements", "mixed", "one_sided"]


def _spread(ns: Any, values: Any, shape: tuple) -> list[np.ndarray]:
    """Each argument's balls, broadcast to the row's result shape."""
    return [np.broadcast_to(np.asarray(ns.balls(v), dtype=object), shape) for v in values]


def kink_elements(graph: Any, ns: Any) -> tuple[dict, dict, list[str]]:
    """The elements exactly at a kink: ({id(node): (node, [element, …])} of the kink rows,
    the same of the comparisons that feed a where directly and tie there (a switch), and notes
    on elements that may be at a kink or at a switch the check cannot read: each note makes the
    verdict ``unverified``)."""
    found, switches, notes = {}, {}, []
    conditions = {id(w.kids[0]) for w in graph.tape if w.row is not None and w.row.name == "where"}
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
            if at and row.name in CONDITIONS and id(node) in conditions:
                switches.setdefault(id(node), (node, []))[1].append(index)
            elif at is not False and row.name in CONDITIONS:
                notes.append(f"where's condition {row.symbol} ties at element {list(index)}, a switch the tensor "
                             "check cannot read (check it as a scalar program)")
            elif at:
                found.setdefault(id(node), (node, []))[1].append(index)
            elif at is None:
                notes.append(f"{row.name} at element {list(index)} may be at its kink (its ball touches it)")
    notes += _jumps(graph, switches)
    return found, switches, notes


def _jumps(graph: Any, switches: dict) -> list[str]:
    """Notes on the switches where the two branches differ or one failed: the output jumps there."""
    notes = []
    for w in graph.tape:
        if w.row is None or w.row.name != "where" or id(w.kids[0]) not in switches:
            continue
        c, elements = switches[id(w.kids[0])]
        tied = np.zeros(c.shape, dtype=bool)
        for index in elements:
            tied[index] = True
        a, b = (np.broadcast_to(np.asarray(k.value, dtype=object), w.shape) for k in w.kids[1:])
        bad = [np.zeros(w.shape, dtype=bool) if k.bad is None else np.broadcast_to(k.bad, w.shape)
               for k in w.kids[1:]]
        for index in np.argwhere(np.broadcast_to(tied, w.shape) & (True if w.live is None else w.live)):
            index = tuple(int(i) for i in index)
            if bad[0][index] or bad[1][index]:
                notes.append(f"a branch of where has no value at element {list(index)}, where its condition ties: "
                             "a switch the tensor check cannot read (check it as a scalar program)")
            elif not _arb(a[index]).overlaps(_arb(b[index])):
                notes.append(f"where's branches differ at element {list(index)}, where its condition ties: the "
                             "output jumps there, so no derivative exists")
    return notes


def _arb(x: Any) -> arb:
    return getattr(x, "b", x) if not isinstance(x, (int, float, np.floating)) else arb(float(x))


def _here(node: Any, elements: list, shape: tuple) -> list:
    """The elements as indices of the vjp's arrays (``engine.tensor_live.masked_vjp`` passes only
    the live elements, in order)."""
    if shape == node.shape:
        return elements
    position = {tuple(int(i) for i in e): k for k, e in enumerate(np.argwhere(node.live))}
    return [(position[e],) for e in elements]


def _nudged(x: arb, direction: int, bits: int) -> arb:
    """x moved to one side by 2^(-2·bits)·max(1, |x|) (call at 3·bits + 64 bits, so that the
    move is never rounded away)."""
    return x + direction * (arb(2) ** (-2 * bits) * max(arb(1), abs(x).upper(), key=float))


def _slopes(xp: Any, row: Any, args: tuple, out: Any, shape: tuple) -> list[np.ndarray]:
    """The row's partials at every element, each a writable object array of the result's shape."""
    return [np.array(np.broadcast_to(np.asarray(s, dtype=object), shape), dtype=object)
            for s in xp.local(row, *args, out=out)]


def _beside(xp: Any, row: Any, at: list, direction: int, bits: int) -> list:
    """The row's partials just to one side of its kink: its first argument ``_nudged``."""
    with with_precision(3 * bits + 64):
        moved = [_nudged(at[0], direction, bits)] + at[1:]
        return [np.asarray(d, dtype=object).reshape(())[()] for d in xp.local(row, *(_zero_d(v) for v in moved),
                                                                             out=None)]


def _sided(node: Any, elements: list, direction: int, bits: int) -> Any:
    """The node's record with its partials at ``elements`` read on one side of the kink."""
    row, base = node.row, node.op

    def vjp(xp, g, out, *args):
        shape = np.shape(out)
        slopes = _slopes(xp, row, args, out, shape)
        spread = _spread(xp, args, shape)
        for index in _here(node, elements, shape):
            for s, d in zip(slopes, _beside(xp, row, [a[index] for a in spread], direction, bits)):
                s[index] = d
        return tuple(None if i in row.constant else unbroadcast(g * d, np.shape(a), xp)
                     for i, (a, d) in enumerate(zip(args, slopes)))
    return replace(base, vjp=vjp)


# Kink elements read one backward pass each in ``mixed``; past this, one pass reads them all, more coarsely
SEPARATE = 64


def _hull(a: arb, b: arb) -> arb:
    """A ball holding every value between a and b."""
    return a.union(b)


def _sign_pass(node: Any, elements: list, bits: int, share: dict, made: dict) -> Any:
    """The node's record for ``mixed``: each kink element's partials are the hull of its two
    one-sided slopes, and the element adds share·(its first argument − the others) to the
    gradient flowing down (the pass starts from 0, so only the shares reach the names).
    ``made`` keeps the node's partials for the next pass: only the shares change between passes."""
    row, base = node.row, node.op

    def vjp(xp, g, out, *args):
        shape = np.shape(out)
        slopes = made.get(id(node))
        if slopes is None:
            slopes = made[id(node)] = _slopes(xp, row, args, out, shape)
            spread = _spread(xp, args, shape)
            for index in _here(node, elements, shape):
                at = [a[index] for a in spread]
                for s, lo, hi in zip(slopes, _beside(xp, row, at, -1, bits), _beside(xp, row, at, 1, bits)):
                    s[index] = _hull(arb(lo), arb(hi))
        shares = [np.array(np.broadcast_to(arb(0), shape), dtype=object) for _ in args]
        for element, index in zip(elements, _here(node, elements, shape)):
            c = share.get((id(node), element), arb(0))
            for i, s in enumerate(shares):
                s[index] = c if i == 0 else -c
        return tuple(None if i in row.constant else unbroadcast(g * d + c, np.shape(a), xp)
                     for i, (a, d, c) in enumerate(zip(args, slopes, shares)))
    return replace(base, vjp=vjp)


def _switch_pass(node: Any, elements: list, share: dict) -> Any:
    """A tied comparison's record for ``mixed``: share·(its first side − the other) at each tie."""
    base = node.op

    def vjp(xp, g, out, *args):
        shape = np.shape(out)
        shares = [np.array(np.broadcast_to(arb(0), shape), dtype=object) for _ in args]
        for element, index in zip(elements, _here(node, elements, shape)):
            c = share.get((id(node), element), arb(0))
            for i, s in enumerate(shares):
                s[index] = c if i == 0 else -c
        return tuple(unbroadcast(s, np.shape(a), xp) for a, s in zip(args, shares))
    return replace(base, vjp=vjp, diff="all")


def _signs(graph: Any, ns: Any, names: list[str]) -> dict:
    """(may be > 0, may be < 0) of every element of every name's gradient, after a sign pass."""
    out = {}
    for name in names:
        grad = graph.named[name].grad
        balls = ns.balls(grad if grad is not None else np.zeros(graph.named[name].shape))
        up = np.frompyfunc(lambda b: not bool(b <= 0), 1, 1)(balls)
        down = np.frompyfunc(lambda b: not bool(b >= 0), 1, 1)(balls)
        out[name] = (np.asarray(up, dtype=bool).reshape(np.shape(balls)),
                     np.asarray(down, dtype=bool).reshape(np.shape(balls)))
    return out


def mixed(graph: Any, ns: Any, kinks: dict, switches: dict, bits: int, names: list[str]) -> dict:
    """The gradient elements whose kinks may move opposite ways with them ({name: bool array}).

    ``one_sided`` reads every kink element on one side of its own argument. For a gradient element
    x[i] those are its one-sided slopes only if the kinks x[i] moves all move the same way:
    relu(x) − relu(−x) is x, slope 1 at 0, but its kinks' own sides give 0 and 2. A backward pass
    from each kink element alone (started at 0, with share 1 at that element and each kink's
    partials the hull of its two sides) gives the sign of ∂(its argument)/∂x[i] for every x[i];
    an element is mixed when one kink may move up and another down with it (or one either way).
    A tied comparison that a where reads (a switch) counts as a kink on its first side minus the
    other. Not read: a kink reached only through the branch a tied where does not take.
    Past ``SEPARATE`` kink elements one pass with every share the ball [0, 1] reads them all:
    its sum may reach both signs only if they are mixed, or through the balls' outward rounding,
    so it may say mixed where they are not (never the other way round)."""
    saved_ops = [(node, node.op) for node, _ in list(kinks.values()) + list(switches.values())]
    saved = _grads(graph)
    every = [(id(node), e) for node, elements in list(kinks.values()) + list(switches.values()) for e in elements]
    runs = [{key: arb(1)} for key in every] if len(every) <= SEPARATE else [{key: arb(0.5, 0.5) for key in every}]
    up = {name: np.zeros(graph.named[name].shape, dtype=bool) for name in names}
    down = {name: np.zeros(graph.named[name].shape, dtype=bool) for name in names}
    made: dict = {}       # each kink node's partials, the same in every pass
    try:
        for share in runs:
            for node, elements in kinks.values():
                node.op = _sign_pass(node, elements, bits, share, made)
            for node, elements in switches.values():
                node.op = _switch_pass(node, elements, share)
                node.grad = ns.lift(np.zeros(node.shape))     # no gradient reaches a condition
            backward(graph, xp=ns, seed=ns.lift(np.zeros(graph.root.shape)))
            for name, (u, d) in _signs(graph, ns, names).items():
                up[name] |= u
                down[name] |= d
            _grads(graph)
        return {name: up[name] & down[name] for name in names}
    finally:
        for node, op in saved_ops:
            node.op = op
        _restore(graph, saved)


def _zero_d(v: Any) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = v
    return out


def one_sided(graph: Any, ns: Any, kinks: dict, switches: dict, direction: int, bits: int,
              names: list[str]) -> dict:
    """Every gradient with each kink element's partials read on one side (-1 left, +1 right) and
    each tied condition decided as just beside the tie (its first side moved the same way)."""
    saved_ops = [(node, node.op) for node, _ in kinks.values()]
    saved_values = [(node, node.value) for node, _ in switches.values()]
    saved = _grads(graph)
    try:
        for node, elements in kinks.values():
            node.op = _sided(node, elements, direction, bits)
        for node, elements in switches.values():
            node.value = _switched(node, elements, direction, bits, ns)
        if switches:
            mark_live(graph.tape, graph.root, graph.named)
        backward(graph, xp=ns, seed=ns.lift(np.ones(graph.root.shape)))
        return {name: ns.balls(graph.named[name].grad if graph.named[name].grad is not None
                               else np.zeros(graph.named[name].shape)) for name in names}
    finally:
        for node, op in saved_ops:
            node.op = op
        for node, value in saved_values:
            node.value = value
        if switches:
            mark_live(graph.tape, graph.root, graph.named)
        _restore(graph, saved)


def _switched(node: Any, elements: list, direction: int, bits: int, ns: Any) -> np.ndarray:
    """The comparison's values with each tied element as it is just to one side of the tie."""
    value = np.array(node.value, dtype=object)
    args = _spread(ns, [k.value for k in node.kids], node.shape)
    with with_precision(3 * bits + 64):
        for index in elements:
            at = [a[index] for a in args]
            value[index] = arb(node.row.forward(_nudged(at[0], direction, bits), *at[1:]))
    return value
