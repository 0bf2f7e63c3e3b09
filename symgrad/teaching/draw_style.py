"""The ``style="torchviz"`` picture of a Value graph: roles coloured, constants collapsed, clusters.

What people ask torchviz for, on the lecture's ``label | data | grad`` records:

- **roles**: inputs, parameters (``symgrad.nn`` weights and biases) and the output each get a fill
  *and* a shape or border, so the picture reads in greyscale print and for colour-blind readers
  (fills from the Okabe–Ito palette): input = rounded box, blue; parameter = dashed border,
  orange; output = thick border, green. A legend cluster names the roles drawn.
- **constants collapsed**: a literal leaf (the 2 of ``x**2``, ``pi``) is no node of its own; its
  number is written into the op that reads it (``** 2``, ``mul(·, 3.142)``).
- **clusters**: one per statement of a scalar Program (``e = a*b``), or one per layer of an nn
  model (a neuron's weighted sum and its activation belong to the layer that holds its weights,
  found by walking ``model.layers[i].neurons[j]``, never by labels).

Node ids are topological indices, as in the default style, so the DOT text is deterministic.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import graphviz

from ..engine.value import Value
from ..language.ast import postorder
from ..language.printing import power_symbol, to_notation
from .dot_text import _new_digraph, _quote, record_escape

__all__ = ["STYLES", "PALETTE", "Marks", "program_roles", "value_roles", "styled_digraph"]

STYLES = ("micrograd", "torchviz")
# role -> DOT attributes; each differs from the others by shape or border as well as by fill
# (a record shape ignores peripheries, so a parameter's border is dashed rather than double)
PALETTE = {
    "input": 'shape=Mrecord style="filled" fillcolor="#cfe7f5" color="#0072b2" penwidth=2',
    "parameter": 'shape=record style="filled,dashed" fillcolor="#fbe3bd" color="#b86e00" penwidth=2',
    "output": 'shape=record style="filled,bold" fillcolor="#c9eedf" color="#007a5a" penwidth=3',
    "value": "shape=record",
}
_CLUSTER = 'style="rounded,dashed" color="#666666" fontcolor="#333333" labeljust=l'

class Marks(NamedTuple):
    """What the style marks on a Value graph; keys are ``id(Value)`` (never shown)."""
    roles: dict[int, str]       # leaf -> "input" | "parameter" | "constant"
    clusters: dict[int, int]    # node -> cluster number (statement or layer)
    labels: list[str]           # cluster number -> its title
    names: dict[int, str]       # unlabelled parameter or model input -> its name (w1_1_1, x1)


def program_roles(graph: Any) -> Marks:
    """Roles and statement clusters of a scalar program's Value graph (``engine.backprop.Graph``).

    Inputs are the program's inputs; every other leaf is a literal or a named constant.
    Each op node belongs to the statement whose expression holds its AST node.
    """
    program = graph.program
    inputs = {id(graph.named[name]) for name in program.inputs}
    statement: dict[int, int] = {}          # id(AST node) -> statement number
    labels = []
    power = power_symbol(program.source)
    for s, stmt in enumerate(program.statements):
        for node in postorder(stmt.expr):
            statement[id(node)] = s
        text = to_notation(stmt.expr, power)
        text = text if len(text) <= 40 else text[:39] + "…"
        labels.append(text if stmt.name is None else f"{stmt.name} = {text}")   # an unnamed output: its formula
    roles: dict[int, str] = {}
    clusters: dict[int, int] = {}
    for value_id, node in graph.origin.items():
        if id(node) in statement:
            clusters[value_id] = statement[id(node)]
    for value in _leaves(graph.root):
        roles[id(value)] = "input" if id(value) in inputs else "constant"
    return Marks(roles, clusters, labels, {})


def _layers_of(model: Any) -> list[list[Any]]:
    """The neurons of each layer of an MLP, a Layer or a Neuron (duck-typed: ``layers``/``neurons``/``w``)."""
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]
    if hasattr(model, "w") and hasattr(model, "b"):
        return [[model]]
    from ..base.errors import InputError
    raise InputError(f"model= takes a symgrad.nn MLP, Layer or Neuron, got {type(model).__name__}")


def value_roles(root: Value, topo: Sequence[Value], model: Any = None) -> Marks:
    """Roles and layer clusters of a Value graph, with ``model``'s parameters (None: no model).

    A parameter is a Value of ``model.parameters()``; its layer is the one whose neuron holds it.
    A neuron's weighted sum (an op reading its parameters) and its activation (the one-argument
    op of the layer's nonlin reading that sum) join the layer. A leaf that is no parameter is an
    input if it has a label or a layer's op reads it (the x of ``model(x)``); else a constant.
    """
    layer_of: dict[int, int] = {}
    labels: list[str] = []
    if model is not None:
        for li, neurons in enumerate(_layers_of(model)):
            for neuron in neurons:
                for p in neuron.parameters():
                    layer_of[id(p)] = li
            labels.append(f"layer {li + 1}: {len(neurons)} neuron{'s' * (len(neurons) != 1)}, "
                          f"{neurons[0].nonlin}")
    params = set(layer_of)
    clusters: dict[int, int] = dict(layer_of)   # a parameter sits in its layer's cluster
    nonlin = {li: label.rsplit(", ", 1)[1] for li, label in enumerate(labels)}
    sums: set[int] = set()
    for node in topo:
        if not node._prev:
            continue
        owner = next((layer_of[id(k)] for k in node._prev if id(k) in params), None)
        if owner is not None:
            clusters[id(node)] = owner
            sums.add(id(node))
        elif len(node._prev) == 1 and id(node._prev[0]) in sums:
            kid_layer = clusters[id(node._prev[0])]
            if node._op == nonlin[kid_layer] or getattr(node._rule, "name", "") == nonlin[kid_layer]:
                clusters[id(node)] = kid_layer
    read_by_layer = {id(k) for node in topo if id(node) in sums for k in node._prev}
    roles: dict[int, str] = {}
    for value in _leaves(root, topo):
        if id(value) in params:
            roles[id(value)] = "parameter"
        elif value.label or id(value) in read_by_layer:
            roles[id(value)] = "input"
        else:
            roles[id(value)] = "constant"
    names = {id(p): name for name, p in getattr(model, "named_parameters", dict)().items()} if model else {}
    for node in topo:   # the first layer's sums read (b, w1…wn, x1…xn): name the unlabelled x's
        if clusters.get(id(node)) == 0 and id(node) in sums:
            nin = (len(node._prev) - 1) // 2
            for j, x in enumerate(node._prev[1 + nin:]):
                if roles.get(id(x)) == "input" and not x.label:
                    names.setdefault(id(x), f"x{j + 1}")
    return Marks(roles, clusters, labels, names)


def _leaves(root: Value, topo: Sequence[Value] | None = None) -> list[Value]:
    from ..engine.value import topo_order
    return [v for v in (topo if topo is not None else topo_order(root)) if not v._prev]


def _constant_text(value: Value, precision: int) -> str:
    return value.label or f"{value.data:.{max(precision, 1)}g}"


def _op_label(node: Value, folded: list[str | None]) -> str:
    """The op's symbol with its constants written in: ``** 2``, ``2 -``, ``mul(·, 3)``."""
    if not any(f is not None for f in folded):
        return node._op
    kind = getattr(node._rule, "kind", "call")
    if kind == "infix" and len(folded) == 2:
        return " ".join(part for part in (folded[0], node._op, folded[1]) if part is not None)
    return f"{node._op}({', '.join('·' if f is None else f for f in folded)})"


def styled_digraph(topo: Sequence[Value], marks: Marks, *, number: Any, precision: int = 4,
                   show_grad: bool = True, rankdir: str = "LR") -> graphviz.Digraph:
    """The torchviz-style picture of ``topo`` (root last); ``number`` formats data and grad."""
    roles, clusters, labels, names = marks
    dot = _new_digraph("values", rankdir)
    root = topo[-1]
    constant = {id(v) for v in topo if roles.get(id(v)) == "constant" and v is not root}
    index = {id(node): i for i, node in enumerate(topo)}
    groups: dict[int | None, list[str]] = {None: []}
    edges: list[str] = []
    rank = {key: r for r, key in enumerate(names)}     # named leaves first, in the model's order
    order = sorted(range(len(topo)), key=lambda i: (rank.get(id(topo[i]), len(rank)), i))
    for i in order:
        node = topo[i]
        if id(node) in constant:
            continue
        role = "output" if node is root else roles.get(id(node), "value")
        grad = number(node.grad, precision) if show_grad else "?"
        label = "{ %s | data %s | grad %s }" % (record_escape(node.label or names.get(id(node), "")), number(node.data, precision),
                                                 record_escape(grad))
        lines = groups.setdefault(clusters.get(id(node)), [])
        lines.append(f'n{i} [label="{label}" {PALETTE[role]}]')
        if node._prev:
            folded = [_constant_text(k, precision) if id(k) in constant else None for k in node._prev]
            lines.append(f"n{i}op [label={_quote(_op_label(node, folded))}]")
            lines.append(f"n{i}op -> n{i}")
            edges.extend(f"n{index[id(k)]} -> n{i}op" for k in node._prev if id(k) not in constant)
    body = dot.body
    body.extend(f"\t{line}\n" for line in groups.pop(None))
    for key in sorted(groups):
        body.append(f"\tsubgraph cluster_{key} {{\n\t\tlabel={_quote(labels[key])} {_CLUSTER}\n")
        body.extend(f"\t\t{line}\n" for line in groups[key])
        body.append("\t}\n")
    body.extend(f"\t{edge}\n" for edge in edges)
    body.append('\tsubgraph cluster_legend {\n\t\tlabel="legend" style=dotted color="#666666"\n')
    shown = set(roles.values()) | {"output"}        # the roles this picture has
    body.extend(f'\t\tlegend_{role} [label="{role}" {PALETTE[role]}]\n' for role in ("input", "parameter", "output")
                if role in shown)
    body.append("\t}\n")
    return dot
