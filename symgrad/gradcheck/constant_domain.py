"""Constant arguments out of their row's domain, found before SymPy differentiates a program.

SymPy takes ``sqrt(-1)`` for ``I`` and ``huber(x, 0)``'s ``Piecewise`` for 0, so ``diff`` would
answer for a program that backprop and the check call undefined. Here every node whose
arguments are constant (numbers, ``pi``, intermediates that read no input) is tried with its
row's own ``domain`` predicate on the float64 values (the row's forward computes them): a fully
constant node out of its domain (``sqrt(-1)``, ``log(0)``), or a node whose constant arguments
leave no value of the others inside it (``huber(x, 0)``: delta > 0 fails for every x, tried at
``SAMPLES``), is a DomainError naming the node and the row's ``why``. The branches of a
``where`` are not tried: an untaken branch may fail, as in backprop.
"""

from __future__ import annotations

import math
from itertools import product
from typing import Any

from ..base.errors import DomainError, NumericError
from ..language.ast import Const, Num, Op, Program, Var, children, postorder
from ..rules.table import RULES

__all__ = ["check_constant_arguments", "SAMPLES"]

SAMPLES = (0.5, 2.0, -0.5, -2.0, 0.0, 1.5, 1e3, -1e3)   # values tried for an argument that varies
MAX_TRIES = 64                                           # combinations tried per node


def check_constant_arguments(program: Program) -> None:
    """Raise DomainError at the first node whose constant arguments are out of its row's domain."""
    const: dict[str, float | None] = {}
    for stmt in program.statements:
        skip = _in_branches(stmt.expr)
        values: dict[int, float | None] = {}
        for node in postorder(stmt.expr):
            values[id(node)] = _value(node, values, const, id(node) in skip, program)
        if stmt.name is not None:
            const[stmt.name] = values[id(stmt.expr)]


def _in_branches(root: Any) -> set[int]:
    """Ids of the nodes inside a where's branches (iterative)."""
    out: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, inside = stack.pop()
        if inside:
            out.add(id(node))
        kids = children(node)
        if isinstance(node, Op) and node.rule == "where":
            stack += [(k, inside or i > 0) for i, k in enumerate(kids)]
        else:
            stack += [(k, inside) for k in kids]
    return out


def _value(node: Any, values: dict, const: dict, skip: bool, program: Program) -> float | None:
    """The node's float64 value when it is constant, else None; raises when it is out of its domain."""
    if isinstance(node, Num):
        return float(node.value)
    if isinstance(node, Const):
        return math.pi if node.name == "pi" else None
    if isinstance(node, Var):
        return const.get(node.name)
    if not isinstance(node, Op) or node.rule not in RULES:
        return None
    row = RULES[node.rule]
    args = [values[id(a)] for a in node.args]
    if row.variadic or not args or all(a is None for a in args):
        return None
    if not skip and row.domain is not None and not _inside(row, args):
        raise _error(node, row, args, program)
    if any(a is None for a in args):
        return None
    try:
        out = float(row.forward(*args))
    except NumericError as err:
        if skip or not isinstance(err, DomainError):
            return None
        raise _error(node, row, args, program) from None
    except (ArithmeticError, ValueError, TypeError):
        return None
    return out if math.isfinite(out) else None


def _inside(row: Any, args: list[float | None]) -> bool:
    """Some value of the varying arguments (``SAMPLES``) puts the node inside its row's domain."""
    free = [i for i, a in enumerate(args) if a is None]
    for k, tried in enumerate(product(SAMPLES, repeat=len(free))):
        if k >= MAX_TRIES:
            return True                  # not shown to be outside: SymPy and the check decide
        at = list(args)
        for i, v in zip(free, tried):
            at[i] = v
        try:
            if row.domain(*at):
                return True
        except (ArithmeticError, ValueError, TypeError):
            continue
    return False


def _error(node: Op, row: Any, args: list[float | None], program: Program) -> DomainError:
    from ..language.printing import power_symbol, to_notation
    text = to_notation(node, power_symbol(program.source))
    text = text if len(text) <= 40 else text[:39] + "…"
    varies = any(a is None for a in args)
    span = getattr(node, "span", None)
    return DomainError(f"{text} is undefined{' for every value of its other arguments' if varies else ''}; "
                       f"{row.why or f'{row.name} is outside its domain here'}",
                       hint="change the constant argument into the row's domain",
                       line=span.line if span else None, column=span.column if span else None)
