"""What a wrong tensor claim is compared against to explain it, from the program itself: the batch
size ``n`` (for factors n and n/(n−1)), the local derivatives of the node's elementwise consumers
(candidate missing chain-rule factors: ∂h/∂hpreact = 1 − h^2), and the claim with each reduction's
dim changed (a sum over the wrong axis). Used by ``tensor_claims``; arrays are float64 midpoints.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..base.errors import SymgradError
from ..base.limits import Limits
from ..language.ast import Assign, Num, Op, Program, postorder

__all__ = ["sizes", "chain_factors", "other_axes", "REDUCTION_DIM"]

# the position of the dim argument of each reduction-like operation
REDUCTION_DIM = {"sum": 1, "mean": 1, "amax": 1, "amin": 1, "logsumexp_dim": 1, "softmax": 1, "log_softmax": 1,
                 "var": 2}


def sizes(state: Any) -> dict[str, int]:
    """{"n": the batch size}: the program's own integer ``n`` if it has one, else the first dim of
    its first input that has one."""
    n = state.values.get("n")
    if n is not None and np.ndim(n) == 0 and np.asarray(n).dtype.kind in "iu":
        return {"n": int(np.asarray(n))}
    for name in state.program.inputs:
        shape = np.shape(state.point[name])
        if shape:
            return {"n": int(shape[0])}
    return {}


def chain_factors(state: Any, node: str) -> dict[str, np.ndarray]:
    """{"∂h/∂hpreact = 1 - h^2": its array} for each elementwise operation that reads ``node``: the
    local derivatives a claim may have left out of its chain rule (as ``claim_explain`` does for scalars)."""
    from ..rules.table import RULES
    from ..rules.tensor_elementwise import elementwise
    from ..rules.tensor_table import FLOAT64
    from .tensor_exact import midpoints
    target = state.graph.named[node]
    out: dict[str, np.ndarray] = {}
    for t in state.graph.tape:
        row = RULES.get(t.op.name)
        if row is None or t.op is not elementwise(row) or not any(k is target for k in t.kids):
            continue
        args = [midpoints(k.value) for k in t.kids]
        try:
            slopes = FLOAT64.local(row, *args, out=midpoints(t.value))
        except (SymgradError, ArithmeticError, ValueError):
            continue
        for i, k in enumerate(t.kids):
            if k is target and i not in row.constant:
                out[f"∂{_name(t)}/∂{node} = {_local_text(row, i, t)}"] = np.asarray(slopes[i], dtype=np.float64)
    return out


def _name(t: Any) -> str:
    from ..language.printing import to_notation
    if t.label:
        return t.label
    text = to_notation(t.source) if t.source is not None else "?"
    return f"({text})" if len(text) <= 40 else "(…)"


def _local_text(row: Any, i: int, t: Any) -> str:
    import sympy
    from .sympy_printers import sympy_text
    slots = []
    for j, k in enumerate(t.kids):
        if k.label:
            slots.append(sympy.Symbol(k.label, real=True))
        elif k.op is None and np.ndim(k.value) == 0:
            v = float(np.asarray(k.value, dtype=np.float64))
            slots.append(sympy.Integer(int(v)) if v.is_integer() else sympy.Float(repr(v)))
        else:
            slots.append(sympy.Symbol(f"u{j}", real=True))
    if not isinstance(slots[i], sympy.Symbol):
        return "its local derivative"
    expr = row.sympy(sympy, *slots)
    d = sympy.diff(expr, slots[i])
    if t.label:
        d = d.xreplace({expr: sympy.Symbol(t.label, real=True)})   # tanh' = 1 - h^2, as the lecture writes it
    return sympy_text(d)


def other_axes(state: Any, claim: Program, reads: dict, exact: np.ndarray, limits: Limits) -> str:
    """'it reduces over dim 1 where dim 0 gives the gradient: sum(dlogits, 0)' when changing one
    reduction's dim (to another dim of its argument) gives the exact gradient (float64, midpoints); else ''."""
    from ..engine.tensor import forward
    from ..language.printing import to_notation
    from .tensor_exact import midpoints
    from .tensor_explain import _all_close
    env = {name: midpoints(state.grads[n]) if kind == "grad" else _plain(state.values[n])
           for name, (kind, n) in reads.items()}
    expr = claim.statements[0].expr
    for op in (n for n in postorder(expr) if isinstance(n, Op) and n.rule in REDUCTION_DIM):
        k = REDUCTION_DIM[op.rule]
        if len(op.args) <= k or not isinstance(op.args[k], Num):
            continue
        old = int(op.args[k].value)
        ndim = len(np.shape(_value_of(op.args[0], claim, env, limits)))
        for dim in range(ndim):
            if dim == old or dim == old + ndim:
                continue
            changed = replace(op, args=op.args[:k] + (Num(float(dim)),) + op.args[k + 1:])
            new = _swap(expr, op, changed)
            trial = Program((Assign(None, new),), inputs=claim.inputs, source="", limits=claim.limits)
            try:
                value = np.asarray(forward(trial, env, limits=limits).root.value, dtype=np.float64)
            except (SymgradError, ArithmeticError, ValueError, IndexError, TypeError):
                continue
            if value.shape == exact.shape and _all_close(value, exact):
                return f"it reduces over dim {old} where dim {dim} gives the gradient: {to_notation(new, '**')}"
    return ""


def _value_of(expr: Any, claim: Program, env: dict, limits: Limits) -> Any:
    """A part of the claim, evaluated in float64 (for its number of dims); () if it fails."""
    from ..engine.tensor import forward
    try:
        trial = Program((Assign(None, expr),), inputs=claim.inputs, source="", limits=claim.limits)
        return forward(trial, env, limits=limits).root.value
    except (SymgradError, ArithmeticError, ValueError, IndexError, TypeError):
        return np.zeros(())


def _plain(a: Any) -> np.ndarray:
    from .tensor_exact import midpoints
    a = np.asarray(a)
    return a if a.dtype.kind in "iub" else midpoints(a)


def _swap(expr: Any, old: Any, new: Any) -> Any:
    """``expr`` with the node ``old`` (by identity) replaced by ``new``; shared parts kept."""
    done: dict[int, Any] = {}
    for node in postorder(expr):
        if node is old:
            done[id(node)] = new
        elif isinstance(node, Op):
            args = tuple(done.get(id(a), a) for a in node.args)
            done[id(node)] = node if all(a is b for a, b in zip(args, node.args)) else replace(node, args=args)
        else:
            done[id(node)] = node
    return done[id(expr)]
