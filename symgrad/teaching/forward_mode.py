"""The worksheet's forward-mode section: one tangent pushed from an input to the output.

Forward mode (Griewank & Walther, *Evaluating Derivatives*, 2nd ed., §3.1; Baydin et al., "Automatic
differentiation in machine learning: a survey", JMLR 18, 2018, §3.1): seed the chosen input's
tangent with 1 and every other input's with 0, then visit the nodes in the forward pass's order;
each node's tangent is Σ over its children of ∂node/∂child × the child's tangent. The output's
tangent is d output/d input, the number backprop leaves in that input's grad. One forward sweep
gives one directional derivative, so the full gradient takes one sweep per input; reverse mode
takes one sweep for all of them (one output).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .worksheet_model import ForwardMode, TangentRow, TangentTerm

__all__ = ["forward_mode", "blank_forward_mode"]

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def forward_mode(topo: list, names: list[str], texs: list[str], kinds: list[str], index: dict[int, int],
                 result: Any, wrt: str, local_math: Callable[[Any, int, list[int], int], Any]) -> ForwardMode:
    """The tangent table along input ``wrt`` over the worksheet's nodes (``topo``, forward order).
    ``local_math(row, arg, kid_ids, i)`` is the worksheet's own ∂node/∂child formula."""
    tangent: dict[int, float] = {}
    for i, node in enumerate(topo):
        if kinds[i] == "input":
            tangent[i] = 1.0 if names[i] == wrt else 0.0
        elif kinds[i] == "constant":
            tangent[i] = 0.0
    rows = []
    for i, node in enumerate(topo):
        row = node._rule
        if row is None:
            continue
        kid_ids = [index[id(k)] for k in node._prev]
        locals_ = row.local(*[k.data for k in node._prev], node.data)
        terms, total = [], 0.0
        for arg, (j, d) in enumerate(zip(kid_ids, locals_)):
            if kinds[j] == "constant":
                continue
            product = d * tangent[j]
            total = product if not terms else total + product
            local = local_math(row, arg, kid_ids, i)
            plain = bool(_NUMBER.fullmatch(local.latex.strip()))
            terms.append(TangentTerm(names[j], texs[j], local, d, plain, tangent[j], product))
        tangent[i] = total
        rows.append(TangentRow(names[i], texs[i], row, tuple(terms), total))
    root = len(topo) - 1
    return ForwardMode(wrt, texs[names.index(wrt)], tuple(rows), tangent[root], result.grads.get(wrt),
                       len(result.program.inputs))


def marked_forward_mode(fm: ForwardMode | None, mark: Any) -> ForwardMode | None:
    """The section with each blank of an exercise sheet as ``mark(id, answer)``: every local
    derivative, child tangent, product and node tangent (``tangent.row2.term1.product``,
    ``tangent.row2.tangent``), the output's tangent and backprop's gradient; the seeds stay.
    ``mark = lambda id, answer: Blank(id)`` gives the exercise sheet, ``Blank`` its worked key."""
    if fm is None:
        return None
    from dataclasses import replace
    rows = tuple(replace(r, tangent=mark(f"tangent.row{i}.tangent", r.tangent), terms=tuple(
        replace(t, **{f: mark(f"tangent.row{i}.term{j}.{f}", getattr(t, f))
                      for f in ("local", "local_value", "tangent", "product")})
        for j, t in enumerate(r.terms, 1))) for i, r in enumerate(fm.rows, 1))
    return replace(fm, rows=rows, output_tangent=mark("tangent.output", fm.output_tangent),
                   reverse=mark("tangent.reverse", fm.reverse))
