"""A program lowered to a flat DAG for the exact reference: one node per operation, in
evaluation order (kids before parents), through the engine's own ``lower`` walk.

Constant subexpressions are also folded exactly (Fractions over + − × ÷), so that a constant
exponent such as ``x^(-2)`` can be baked into its row's SymPy form (``gradcheck.row_forms``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..language.ast import Const, Node, Program
from ..engine.lower import lower
from .row_forms import bakeable, baked_positions, row_forms
from ..language.printing import power_symbol, to_notation
from ..rules.table import Rule

__all__ = ["Lowered", "lowered"]

CONSTANT_NODES = 64        # constant subexpressions SymPy decides exactly (sin(π) = 0) are at most this big
_EXACT_BITS = 400          # Fractions beyond this many bits are not folded (exactness for baking only)


@dataclass
class Lowered:
    """The program as a DAG of nodes in evaluation order (kids before parents)."""
    program: Program
    kind: list[str]                       # "input" | "literal" | "pi" | "op"
    rule: list[Rule | None]
    kids: list[tuple[int, ...]]
    literal: list[float]                  # a literal's float (pi: math.pi), else 0.0
    source: list[Node | None]             # the AST node behind each node (for messages)
    exact: list[Fraction | None]          # exact rational value of constant nodes
    baked: list[tuple]                    # per op node: constants baked into its forms
    named: dict[str, int]                 # inputs and intermediates -> node
    root: int
    forms: dict = field(default_factory=dict)   # node -> its RowForms (a per-program cache)

    @property
    def lazy(self) -> bool:
        """The program has a ``where``: a failure counts only where a taken branch reads it."""
        return any(r is not None and r.name == "where" for r in self.rule)

    def forms_of(self, i: int):
        found = self.forms.get(i)
        if found is None:
            found = self.forms[i] = row_forms(self.rule[i], self.baked[i])
        return found

    def reached(self) -> list[bool]:
        """For each node, whether the output reads it (kids come before their node: one pass back)."""
        seen = [False] * len(self.kind)
        seen[self.root] = True
        for i in range(self.root, -1, -1):
            if seen[i]:
                for k in self.kids[i]:
                    seen[k] = True
        return seen

    def exactly_zero(self, i: int) -> bool:
        """Node i has no input below it and SymPy proves it exactly 0 (sin(π)): a ball can
        only straddle 0 there. Decided on at most ``CONSTANT_NODES`` nodes (else False)."""
        exprs: dict[int, sp.Basic] = {}
        stack, order = [i], []
        while stack:
            k = stack.pop()
            if k in exprs:
                continue
            if self.kind[k] == "input" or len(order) > CONSTANT_NODES:
                return False
            exprs[k] = None
            order.append(k)
            stack += list(self.kids[k])
        for k in sorted(order):
            if self.kind[k] == "pi":
                exprs[k] = sp.pi
            elif self.kind[k] == "literal":
                f = Fraction(self.literal[k])
                exprs[k] = sp.Rational(f.numerator, f.denominator)
            else:
                exprs[k] = self.rule[k].sympy(sp, *[exprs[j] for j in self.kids[k]])
        return exprs[i] == 0 or exprs[i].is_zero is True

    def where(self, i: int) -> str:
        node = self.source[i]
        text = to_notation(node, power_symbol(self.program.source)) if node is not None else self.kind[i]
        text = text if len(text) <= 40 else text[:39] + "…"
        span = getattr(node, "span", None)
        return f"{text} (line {span.line}, column {span.column})" if span else text


_FOLD = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
         "div": lambda a, b: a / b if b else None, "neg": lambda a: -a, "id": lambda a: a}


def lowered(program: Program) -> Lowered:
    low = Lowered(program, [], [], [], [], [], [], [], {}, -1)

    def add(kind: str, rule: Rule | None, kids: tuple, literal: float, source: Node | None) -> int:
        exact = None
        if kind == "literal":
            exact = Fraction(literal)
        elif kind == "op" and rule.name in _FOLD and all(low.exact[k] is not None for k in kids):
            exact = _FOLD[rule.name](*[low.exact[k] for k in kids])
            if exact is not None and max(exact.numerator.bit_length(), exact.denominator.bit_length()) > _EXACT_BITS:
                exact = None
        baked: tuple = ()
        if kind == "op":
            spots = baked_positions(rule, len(kids))
            baked = tuple(low.exact[k] if i in spots and bakeable(low.exact[k]) else None
                          for i, k in enumerate(kids))
            if all(b is not None for b in baked):
                baked = (None,) * len(kids)
        for column, item in zip((low.kind, low.rule, low.kids, low.literal, low.source, low.exact, low.baked),
                                (kind, rule, kids, literal, source, exact, baked)):
            column.append(item)
        return len(low.kind) - 1

    def literal(value: float, node: Node) -> int:
        return add("pi" if isinstance(node, Const) else "literal", None, (), value, node)

    root, named = lower(program, leaf=lambda name: add("input", None, (), 0.0, None), literal=literal,
                        apply=lambda row, kids, node: add("op", row, kids, 0.0, node))
    low.named, low.root = named, root
    return low
