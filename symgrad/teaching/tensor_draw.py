"""Graphviz pictures of a tensor program at a point: the lecture's ``draw_dot`` one level up.

Each value is a record ``{ name shape | data summary | grad summary }``: its shape as PyTorch spells
it, the data (a small tensor in full, a large one as mean, std, min and max) and its gradient the
same way; each operation is a small ellipse. Node ids are topological indices (``n0``, ``n1``, …),
so the DOT text is the same bytes on every run; every label goes through ``record_escape``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import graphviz

from .dot_text import _new_digraph, _quote, bound_layout, check_graph_size, record_escape
from .tensor_display import shape_text, short_number, summary

__all__ = ["DrawNode", "tensor_digraph", "tensor_label_value", "result_digraph", "tape_nodes"]

MAX_LABEL = 60          # characters of one field before it is cut (a long formula, a wide row)
GRAPH_FULL = 4          # a tensor of at most this many numbers is drawn in full (the sheet's tables show more)


@dataclass(frozen=True)
class DrawNode:
    """One value of the graph: its name, operation ("" for an input), arguments (indices of
    earlier nodes), data and gradient (None: not shown, or integer data without one)."""
    name: str
    op: str
    kids: tuple[int, ...]
    data: Any
    grad: Any = None


def tensor_label_value(a: Any) -> list[str]:
    """A field of a node's label as lines: a small tensor in full (one line per row, four
    significant digits), else its summary on two lines (mean and std; min and max)."""
    import numpy as np
    a = np.asarray(a)
    if a.size > GRAPH_FULL:
        parts = summary(a).split(", ")
        return [", ".join(parts[:2]), ", ".join(parts[2:])] if len(parts) == 4 else parts
    if a.ndim == 0:
        return [short_number(a) if a.dtype.kind == "f" else str(int(a))]
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    spell = short_number if a.dtype.kind == "f" else (lambda v: str(int(v)))
    return ["[" + ", ".join(spell(v) for v in row) + "]" for row in rows]


def _field(title: str, lines: list[str]) -> str:
    """One record field: escaped lines joined by DOT's centred line break."""
    return "\\n".join(record_escape(line[:MAX_LABEL]) for line in [title + " " + lines[0]] + lines[1:])


def tensor_digraph(nodes: Sequence[DrawNode], *, show_grad: bool = True, rankdir: str = "LR",
                   limits: Any = None, compact: bool = False) -> graphviz.Digraph:
    """The picture of a tensor program's values: one record per value, one ellipse per operation
    (``compact``: the operation written in its value's box, ``t1 (4, 5) = matmul``, half the ranks:
    a worksheet's layout for a tall graph). Raises LimitError over ``limits.max_graph_nodes`` or
    ``limits.max_graph_layout``."""
    import numpy as np
    check_graph_size(len(nodes), limits)
    dot = _new_digraph("tensors", rankdir)
    dot.attr("node", fontname="DejaVu Sans")
    body = dot.body
    for i, node in enumerate(nodes):
        data = np.asarray(node.data)
        head = f"{node.name} {shape_text(data.shape)}" + (f" = {node.op}" if node.op and compact else "")
        fields = [record_escape(head), _field("data", tensor_label_value(data))]
        if node.grad is not None:
            fields.append(_field("grad", tensor_label_value(node.grad) if show_grad else ["?"]))
        body.append(f'\tn{i} [label="{{ {" | ".join(fields)} }}" shape=record]\n')
        if node.op and not compact:
            body.append(f"\tn{i}op [label={_quote(node.op)}]\n")
            body.append(f"\tn{i}op -> n{i}\n")
    for i, node in enumerate(nodes):
        for k in node.kids:
            body.append(f"\tn{k} -> n{i}\n" if compact else f"\tn{k} -> n{i}op\n")
    return bound_layout(dot, limits)


def result_digraph(result: Any, **kw: Any) -> graphviz.Digraph:
    """The picture of a ``TensorResult`` (``symgrad.backprop`` of a tensor program): every input and
    operation, named as on a worksheet (the program's names, else t1, t2, …)."""
    from .tensor_tape import tape_of
    return tensor_digraph(tape_nodes(tape_of(result)[0]), **kw)


def tape_nodes(tape: Sequence[Any]) -> list[DrawNode]:
    """A worksheet tape's values (``tensor_tape.TapeNode``) as the graph's nodes."""
    return [DrawNode(n.name, n.surface or n.op, tuple(k for k in n.kids if k is not None), n.value, n.grad)
            for n in tape]
