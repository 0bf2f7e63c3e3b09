"""The graph ``symgrad.compile`` writes code for, planned without values.

``Plan`` builds the nodes ``build_graph`` would build, through the same ``lower`` walk (shared
names are one node, a constant exponent takes the ``powc`` row), and sorts them with the engine's
``topo_order`` (a Node has a ``_prev`` tuple, as a Value does), so generated code accumulates
gradients in backprop's order. It also names the values and gradients whose sum detects a non-finite number.
"""

from __future__ import annotations

from ...language.ast import Program
from ..lower import lower
from ..value import topo_order

__all__ = ["Node", "Plan"]


class Node:
    """A node of the planned graph: its kids, its row (None for a leaf) or literal value."""

    __slots__ = ("_prev", "row", "index", "literal")

    def __init__(self, index: int, prev: tuple = (), row=None, literal: float | None = None) -> None:
        self.index, self._prev, self.row, self.literal = index, prev, row, literal


class Plan:
    """The graph ``build_graph`` makes, without values: nodes in creation order."""

    def __init__(self, program: Program) -> None:
        self.nodes: list[Node] = []
        root, named = lower(program, leaf=lambda name: self._new(), literal=lambda v, node: self._new(literal=v),
                            apply=lambda row, kids, node: self._new(kids, row))
        self.root: Node = root
        self.inputs = [named[name] for name in program.inputs]
        self.names = program.inputs + program.intermediates
        self.targets = [named[name] for name in self.names]
        self.topo: list[Node] = topo_order(root)  # backprop's order, so sums round alike
        self.reached = {n.index for n in self.topo}  # nodes the output depends on; others get grad 0

    def _new(self, prev: tuple = (), row=None, literal: float | None = None) -> Node:
        node = Node(len(self.nodes), prev, row, literal)
        self.nodes.append(node)
        return node

    def checked(self) -> tuple[list[Node], list[Node]]:
        """Values and gradients whose sum detects every non-finite value of a run: the values a
        consumer could hide (an argument of a row that does not propagate non-finite numbers),
        the output, values nothing reads, and every leaf gradient."""
        hidden = {self.root.index}
        read = set()
        for node in self.nodes:
            for kid in node._prev:
                read.add(kid.index)
                if not node.row.propagates:
                    hidden.add(kid.index)
        values = [n for n in self.nodes if n.literal is None and (n.index in hidden or n.index not in read)]
        leaves = [n for n in self.topo if not n._prev and n is not self.root]
        return values, leaves
