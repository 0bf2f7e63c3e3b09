"""Lowering: a Program walked once, in evaluation order, into graph nodes.

The one walk every graph is built by: the engine's ``Value`` graph (``engine.backprop``), the
generated code's plan (``engine.codegen.build``) and the check's flat DAG (``gradcheck.dag``). Each caller says
how to make a leaf, a literal and an operation; ``lower`` decides which row each operation
is, so the three graphs always have the same nodes.
"""

from __future__ import annotations

import math
from typing import Callable, TypeVar

from ..language.ast import Const, Node, Num, Op, Program, Var, postorder
from ..language.tensor_syntax import scalar_only
from ..rules.table import INTERNAL, RULES, Rule

__all__ = ["lower", "has_where", "CONSTANT_VALUES"]

CONSTANT_VALUES = {"pi": math.pi}
_IDENTITY = INTERNAL["id"]
N = TypeVar("N")


def has_where(program: Program) -> bool:
    """Whether the program has a ``where``: its untaken elements may fail, so the walk is lazy."""
    return any(type(n) is Op and n.rule == "where" for s in program.statements for n in postorder(s.expr))


def lower(program: Program, *, leaf: Callable[[str], N], literal: Callable[[float, Node], N],
          apply: Callable[[Rule, tuple, Node], N],
          other: Callable[[str], object] | None = None) -> tuple[N, dict[str, N]]:
    """Walk a Program in evaluation order, making one graph node per operation.

    ``leaf(name)`` makes an input, ``literal(value, ast_node)`` a constant and
    ``apply(row, kids, ast_node)`` an operation. A name read twice is one node. A ``pow`` whose
    exponent holds no names gets the constant-exponent row ``powc``. A bare alias (``d = e``)
    gets an identity node of its own, so d(out)/dd holds d independent, as SymPy's partial does.
    ``other(rule)`` gives the record of an operation that is no row (a tensor form: ``engine.tensor``).
    Returns the output node and the node of every input and named intermediate.
    """
    named = {name: leaf(name) for name in program.inputs}
    root = None
    for stmt in program.statements:
        stack: list[tuple[N, bool]] = []  # (node, is constant)
        for node in postorder(stmt.expr):
            if isinstance(node, Num):
                stack.append((literal(node.value, node), True))
            elif isinstance(node, Const):
                stack.append((literal(CONSTANT_VALUES[node.name], node), True))
            elif isinstance(node, Var):
                stack.append((named[node.name], False))
            else:
                n = len(node.args)
                operands, stack[-n:] = stack[-n:], []
                if node.rule in RULES:
                    row = RULES[node.rule]
                elif other is None:
                    scalar_only(node.rule, node, "a scalar graph")
                else:
                    row = other(node.rule)
                if row.name == "pow" and operands[1][1]:
                    row = RULES["powc"]
                stack.append((apply(row, tuple(k for k, _ in operands), node), all(c for _, c in operands)))
        root = stack[0][0]
        if isinstance(stmt.expr, Var):
            root = apply(_IDENTITY, (root,), stmt.expr)
        if stmt.name is not None:
            named[stmt.name] = root
    return root, named
