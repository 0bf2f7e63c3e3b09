"""The AST: small frozen nodes with source spans.

Spans never take part in equality, so ``parse(unparse(p)) == p``. Equality, hashing and
``repr`` walk iteratively: a 100,000-deep tree never recurses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Union

from ..base.display_hooks import mimebundle

if TYPE_CHECKING:
    from ..base.limits import Limits

__all__ = ["Span", "Num", "Var", "Const", "Op", "Expr", "Assign", "Program", "postorder", "children"]


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class Node:
    """Structural equality and hashing without recursion."""

    __slots__ = ()

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        stack = [(self, other)]
        while stack:
            a, b = stack.pop()
            if a is b:
                continue
            if type(a) is not type(b) or a._key() != b._key():
                return False
            ka, kb = children(a), children(b)
            if len(ka) != len(kb):
                return False
            stack.extend(zip(ka, kb))
        return True

    def __hash__(self) -> int:
        h = 0
        for node in postorder(self):
            h = hash((h, type(node).__name__, node._key()))
        return h

    def __repr__(self) -> str:
        """The node's text, ``Op('x * y')`` (``printing.node_repr``). The printers dispatch on class
        names and import no AST at run time, so this import is no circle."""
        from .printing import node_repr
        return node_repr(self)


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Num(Node):
    value: float
    span: Span | None = field(default=None, compare=False)

    def _key(self) -> tuple:
        return (self.value,)


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Var(Node):
    """A name read: an input, or a named intermediate assigned earlier."""
    name: str
    span: Span | None = field(default=None, compare=False)

    def _key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Const(Node):
    """A named constant such as ``pi``."""
    name: str
    span: Span | None = field(default=None, compare=False)

    def _key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Op(Node):
    """An application of a rule-table row: ``rule`` is the row's name."""
    rule: str
    args: tuple["Expr", ...]
    span: Span | None = field(default=None, compare=False)

    def _key(self) -> tuple:
        return (self.rule, len(self.args))


Expr = Union[Num, Var, Const, Op]


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Assign(Node):
    """``name = expr``; ``name`` is None for a bare expression (only the last statement)."""
    name: str | None
    expr: Expr
    span: Span | None = field(default=None, compare=False)

    def _key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True, eq=False, repr=False)
class Program(Node):
    """A parsed program: statements in order; the last one is the output.

    ``inputs`` are the names read before any assignment, in first-appearance order.
    ``limits`` are the Limits it was parsed under (None for a hand-built Program).
    ``repr`` is its text (``printing.program_repr``). In Jupyter it shows one picture: the display
    hook ``teaching.jupyter.program_bundle``, which the teaching layer registers in ``base.display_hooks``.
    """
    statements: tuple[Assign, ...]
    inputs: tuple[str, ...] = field(default=(), compare=False)
    source: str = field(default="", compare=False)
    limits: "Limits | None" = field(default=None, compare=False)  # what parse held it to

    def _key(self) -> tuple:
        return (len(self.statements),)

    @property
    def output(self) -> str | None:
        """The name of the output, or None when the last statement is a bare expression."""
        return self.statements[-1].name

    @property
    def intermediates(self) -> tuple[str, ...]:
        """Every assigned name, in order (the output included when it is named)."""
        return tuple(s.name for s in self.statements if s.name is not None)

    def __repr__(self) -> str:
        """``Program('y = x * w', inputs=('x', 'w'))``, the text cut at 80 characters (``printing.program_repr``)."""
        from .printing import program_repr
        return program_repr(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's one picture: the AST as SVG, or its LaTeX when too large or without Graphviz.
        Drawn by the hook the teaching layer registers (``teaching.jupyter.program_bundle``, through
        ``base.display_hooks``); plain text when none is registered."""
        return mimebundle(self)

    def _repr_pretty_(self, p, cycle) -> None:  # IPython
        p.text(repr(self))


def children(node: Node) -> tuple:
    if isinstance(node, Op):
        return node.args
    if isinstance(node, Assign):
        return (node.expr,)
    if isinstance(node, Program):
        return node.statements
    return ()


def postorder(root: Node, kids_of=children) -> Iterator[Node]:
    """Every node under ``root`` (a tree), children first, left to right. Iterative.

    ``kids_of`` replaces ``children``, e.g. to walk through named intermediates' definitions.
    """
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        kids = kids_of(node)
        if expanded or not kids:
            yield node
        else:
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids))
