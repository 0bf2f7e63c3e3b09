"""Which branch a ``where`` took, for the worksheet's backward step (``worksheet_model.Branch``).

The condition's value at the point and the inputs it reads; and whether the point is a switch
point: a comparison in the condition has equal sides there (its ``kink``: beside the point it takes
the other truth value), and giving some of the tied comparisons that other value changes the
condition, so that a move of the point can change the branch. ``x > 0 or y > 0`` at x = 0, y = 1 is
no switch point: y > 0 decides it either way. The check's verdict at a switch point weighs both
sides (``gradcheck.one_sided.directional``); the sheet only says that it is one.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from ..engine.value import Value, topo_order
from ..language.printing import latex_name, mathml_name, mathml_number, to_latex, to_mathml
from ..rules.table import COMPARISONS, CONDITIONS
from .worksheet_model import Branch, Math, number

__all__ = ["branch_of", "MAX_TIES"]

MAX_TIES = 8    # tied comparisons tried in every combination (at most 2^8 re-evaluations of a condition)
_COMPARE = frozenset(COMPARISONS.values())


def branch_of(graph: Any, node: Value, inputs: tuple[str, ...] | list[str]) -> Branch | None:
    """The Branch of ``node`` when it is a ``where``'s node of ``graph`` (``engine.backprop.Graph``),
    else None. ``inputs``: the program's inputs, in the order the point lists them."""
    condition = graph.conditions.get(id(node))
    if condition is None:
        return None
    topo = topo_order(condition)
    read = {n.label: n.data for n in topo if n._rule is None and n.label in inputs}
    at = [(name, read[name]) for name in inputs if name in read]
    ties = [n for n in topo if n._rule is not None and n._rule.name in _COMPARE
            and n._rule.kink(*[k.data for k in n._prev])]
    switch = bool(ties) and (len(ties) > MAX_TIES or _changes(topo, ties))
    where = graph.origin[id(node)]
    holds = bool(condition.data)
    constant = not any(n._rule is None and n.label in inputs for n in topo_order(node._prev[0]))
    return Branch(_math(where.args[0]), holds, _equations(at) if at else None,
                  tuple(_math(graph.origin[id(n)]) for n in ties if id(n) in graph.origin) if switch else (),
                  _math(where.args[1 if holds else 2]), constant)


def _changes(topo: list[Value], ties: list[Value]) -> bool:
    """Whether flipping some of the tied comparisons changes the condition (``topo[-1]``)."""
    return any(_value(topo, {id(n) for n in flipped}) != topo[-1].data
               for k in range(1, len(ties) + 1) for flipped in combinations(ties, k))


def _value(topo: list[Value], flipped: set[int]) -> float:
    """The condition with the ``flipped`` comparisons negated, the logic above them recomputed."""
    data: dict[int, float] = {}
    for n in topo:
        if id(n) in flipped:
            data[id(n)] = 1.0 - n.data
        elif n._rule is not None and n._rule.name in CONDITIONS:
            data[id(n)] = n._rule.forward(*[data.get(id(k), k.data) for k in n._prev])
    return data.get(id(topo[-1]), topo[-1].data)


def _math(node: Any) -> Math:
    return Math(to_latex(node), to_mathml(node))


def _equations(at: list[tuple[str, float]]) -> Math:
    """``x = 2, z = 0.5`` in LaTeX and MathML."""
    latex = r",\ ".join(f"{latex_name(name)} = {number(v)}" for name, v in at)
    mml = "<mo>,</mo>".join(f"{mathml_name(name)}<mo>=</mo>{mathml_number(number(v))}" for name, v in at)
    return Math(latex, f'<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow>{mml}</mrow></math>')
