"""A tensor program's tape as the sheet and the graph read it: inputs first, then every operation in
evaluation order, each with its sheet name, arguments, value, gradient and formula. Shared by the
worksheet (``teaching.tensor_worksheet``) and the graph of a ``TensorResult`` (``teaching.tensor_draw``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .tensor_rules import Arg
from .tensor_rules import formula as tensor_formula
from .worksheet_model import Math

__all__ = ["TapeNode", "tape_of"]


@dataclass(frozen=True)
class TapeNode:
    """One value of a tensor program at a point, in topological order: its sheet name, operation
    (``op`` "" for an input), arguments (``kids``: indices of earlier nodes, or None for integer
    data given in ``data``), value and gradient (None for integer data), and its formula."""
    name: str
    op: str
    kids: tuple[int | None, ...]
    data: tuple[Any, ...]
    value: Any
    grad: Any
    formula: Math | None = None
    row: Any = None               # the scalar rule row of an elementwise operation
    surface: str = ""             # the operation as the language spells it (max for amax)



def tape_of(result: Any) -> tuple[list[TapeNode], list[str]]:
    """The sheet's tape from a ``TensorResult``: inputs first, then every operation in evaluation
    order, named by its label (the program's name) or t1, t2, …; literal numbers, and unnamed
    operations on literals only, are data of the operation that reads them. Returns (tape, input names)."""
    from ..language.ast import Num, Op, Var
    from ..language.printing import to_latex, to_mathml
    from ..rules.table import RULES
    from ..rules.tensor_elementwise import elementwise
    graph, prog = result.graph, result.program
    taken = set(prog.inputs) | set(prog.intermediates)
    index: dict[int, int] = {}
    tape: list[TapeNode] = []
    for name in prog.inputs:
        node = graph.named[name]
        index[id(node)] = len(tape)
        tape.append(TapeNode(name, "", (), (), node.value, node.grad if node.differentiable else None))
    k = 0
    for node in graph.tape:
        kids = tuple(index.get(id(c)) for c in node.kids)
        if not node.label and node.kids and all(i is None for i in kids):
            continue                # a constant (the -1 of x**-1): data of the operation that reads it
        if node.label:
            name = node.label
        else:
            k += 1
            while f"t{k}" in taken:
                k += 1
            name = f"t{k}"
        data = tuple(None if i is not None else c.value for i, c in zip(kids, node.kids))
        row = RULES.get(node.op.name)
        row = row if row is not None and node.op is elementwise(row) else None
        if row is not None:         # a scalar row: the project's printers, as scalar worksheets
            expr = Op(node.op.name, tuple(Var(tape[i].name) if i is not None else Num(float(np.asarray(d).reshape(-1)[0]))
                                          for i, d in zip(kids, data)))
            formula = Math(to_latex(expr), to_mathml(expr))
        else:
            args = [Arg(tape[i].name) if i is not None else Arg(None, value=np.asarray(d).reshape(-1)[0]
                                                                 if np.size(d) == 1 else None)
                    for i, d in zip(kids, data)]
            latex, mathml = tensor_formula(node.op.name, node.op.surface, args)
            formula = Math(latex, f"<math>{mathml}</math>")
        index[id(node)] = len(tape)
        grad = (np.zeros(node.shape) if node.grad is None else node.grad) if node.differentiable else None
        tape.append(TapeNode(name, node.op.name, kids, data, node.value, grad, formula, row, node.op.surface))
    return tape, list(prog.inputs)
