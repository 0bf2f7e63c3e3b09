"""A program's graph flattened for finite differences: perturb one node, recompute only the
nodes downstream of it.

Trees of + and - (and unary -) are fused into one sum node, updated by the change of the
terms that moved. Perturbing one of N summands then costs O(1), not O(N), so finite
differences stay linear in the length of a sum. The same tape runs on float64 (``_Tape``:
plots, worksheets) and on arb balls (the check's high-precision witness).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from .value import topo_order
from ..base.errors import NumericError

__all__ = ["LinearTape", "_Tape"]

_SIGNS = {"add": (1.0, 1.0), "sub": (1.0, -1.0), "neg": (-1.0,)}  # how + - and unary - pass a change on


class LinearTape:
    """``ops[i]``: the row name of node i (None for a leaf), ``kids[i]`` its argument nodes,
    ``forwards[i]`` its forward function, ``data[i]`` its value; ``named``: nodes that are
    never folded away. ``finite(out)`` raises on an output that is not a number."""

    def __init__(self, ops: Sequence[str | None], kids: Sequence[tuple[int, ...]], data: list,
                 forwards: Sequence[Callable | None], named: set[int],
                 finite: Callable[[object], None] | None = None) -> None:
        self.data = data
        self.finite = finite
        n = len(ops)
        linear = [op in _SIGNS for op in ops]
        readers: list[list[int]] = [[] for _ in range(n)]
        for i, ks in enumerate(kids):
            for k in ks:
                readers[k].append(i)
        # A linear node read once, by a linear node, and not named, is folded into its reader.
        folded = [linear[i] and len(readers[i]) == 1 and linear[readers[i][0]] and i not in named
                  for i in range(n)]
        self.ops: list = [None] * n   # (forward, kids) or {kid: coefficient} for a sum
        self.users: list[list[tuple[int, float]]] = [[] for _ in range(n)]  # (user, coefficient or nan)
        for i in range(n):
            if ops[i] is None or folded[i]:
                continue
            if linear[i]:
                coef: dict[int, float] = {}
                stack = [(i, 1.0)]
                while stack:
                    j, c = stack.pop()
                    for k, sign in zip(kids[j], _SIGNS[ops[j]]):
                        if folded[k]:
                            stack.append((k, c * sign))
                        else:
                            coef[k] = coef.get(k, 0.0) + c * sign
                self.ops[i] = coef
                for k, c in coef.items():
                    self.users[k].append((i, c))
            else:
                self.ops[i] = (forwards[i], kids[i])
                for k in dict.fromkeys(kids[i]):
                    self.users[k].append((i, math.nan))

    def cone(self, start: int, limit: float = float("inf")) -> list[int] | None:
        """Nodes downstream of ``start`` in order; None once there are more than ``limit``."""
        seen, stack = {start}, [start]
        while stack:
            for j, _ in self.users[stack.pop()]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
            if len(seen) > limit:
                return None
        seen.discard(start)
        return sorted(seen)

    def output_with(self, start: int, value, cone: list[int], root: int = -1):
        base, ops, users = self.data, self.ops, self.users
        data = base.copy()
        moved: dict = {}   # sum node -> change pushed by its moved terms
        data[start] = value
        for j in [start] + cone:
            op = ops[j]
            if j == start:
                pass
            elif isinstance(op, dict):
                data[j] = base[j] + moved[j] if j in moved else base[j]
            else:
                forward, kids = op
                data[j] = forward(*[data[k] for k in kids])
            change = data[j] - base[j]
            for user, c in users[j]:
                if c == c:  # a sum node (nan marks other readers)
                    moved[user] = moved[user] + c * change if user in moved else c * change
        out = data[root]
        if self.finite is not None:
            self.finite(out)
        return out


def _finite_float(out: float) -> None:
    if not math.isfinite(out):
        raise NumericError("the output is not finite")


class _Tape(LinearTape):
    """The float64 tape of a Value graph (``at`` maps id(Value) to its index; ids are internal)."""

    def __init__(self, graph) -> None:
        topo = topo_order(graph.root)
        at = self.at = {id(v): i for i, v in enumerate(topo)}
        super().__init__([v._rule.name if v._rule is not None else None for v in topo],
                         [tuple(at[id(k)] for k in v._prev) for v in topo], [v.data for v in topo],
                         [v._rule.forward if v._rule is not None else None for v in topo],
                         {at[id(v)] for v in graph.named.values() if id(v) in at}, _finite_float)

    def central_difference(self, start: int, eps: float) -> float:
        cone = self.cone(start)
        x = self.data[start]
        slope = (self.output_with(start, x + eps, cone) - self.output_with(start, x - eps, cone)) / (2 * eps)
        if not math.isfinite(slope):
            raise NumericError("the finite difference is not finite")
        return slope
