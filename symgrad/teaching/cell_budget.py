"""The work one formula cell may cost when a class is marked, counted in structure, not time.

A formula cell is judged as a claim (``symgrad.gradcheck.claims``): its values at a few points,
then, where the values leave the verdict open, SymPy's proof, and for a wrong answer SymPy's
account of the first part that differs. SymPy's ``simplify`` grows much faster than its input
(five nested ``tanh`` take minutes), and an exact power of two numbers (``((3^-999)^999)^200``)
has millions of digits. So before a cell is judged, its formula, with the key's intermediates
written out as SymPy sees them, is measured:

- ``nodes``: operations, names and numbers;
- ``nesting``: functions called inside functions (``tanh(tanh(x))`` is 2), at most the key's
  own nesting plus ``EXTRA_NESTING``: a derivative nests no deeper than the graph it is of;
- ``digits``: an upper bound on the digits of the exact numbers SymPy would build: an integer
  literal has its own, a decimal is a 15-digit float, ``a ∘ b`` adds, ``a^n`` multiplies by |n|.

Over any bound, the cell is "not judged: over the budget" (the teacher marks it by hand) and
the class goes on. The same cell gets the same mark on any machine, at any load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..language.ast import Const, Num, Op, Program, Var, children, postorder

__all__ = ["CellBudget", "Cost", "cost_of", "OVER_BUDGET"]

OVER_BUDGET = "not judged: over the budget"
EXTRA_NESTING = 1


@dataclass(frozen=True)
class Cost:
    nodes: int
    nesting: int
    digits: float


@dataclass(frozen=True)
class CellBudget:
    """Bounds on one formula cell: ``max_nodes`` (AST nodes once the key's
    intermediates are written out), ``max_digits`` (digits of its exact numbers) and
    ``extra_nesting`` (function nesting beyond the key's own)."""

    max_nodes: int = 2_000
    max_digits: int = 10_000
    extra_nesting: int = EXTRA_NESTING

    def over(self, cost: Cost, key_nesting: int) -> str:
        """'' within the budget, else what is over it (for the cell's feedback)."""
        if cost.nodes > self.max_nodes:
            return f"over {self.max_nodes} nodes once the key's names are written out"
        if cost.digits > self.max_digits:
            return f"its exact numbers would have over {self.max_digits:,} digits"
        if cost.nesting > key_nesting + self.extra_nesting:
            return (f"functions nested {cost.nesting} deep, the key's graph only {key_nesting}"
                    f"{f' (+{self.extra_nesting} allowed)' if self.extra_nesting else ''}")
        return ""


def _const_value(node: Any, defs: dict) -> float | None:
    """The float value of a constant subtree (inf past float64, nan outside the domain), or
    None when it reads an input."""
    from ..rules.table import RULES
    stack: list[float | None] = []
    for n in postorder(node, lambda m: (defs[m.name],) if isinstance(m, Var) and m.name in defs else children(m)):
        if isinstance(n, Num):
            stack.append(float(n.value))
        elif isinstance(n, Const):
            stack.append(math.pi if n.name == "pi" else math.e if n.name == "e" else None)
        elif isinstance(n, Var):
            if n.name not in defs:
                stack.append(None)
        else:
            k = len(n.args)
            args, stack[-k:] = stack[-k:], []
            try:
                stack.append(None if None in args else float(RULES[n.rule].forward(*args)))
            except OverflowError:
                stack.append(math.inf)            # a constant too large for float64
            except (ArithmeticError, ValueError, TypeError):   # DomainError: outside the domain
                stack.append(math.nan)
    return stack[0] if stack else None


def cost_of(expr: Any, program: Program, cap: int = 100_000) -> Cost:
    """The cost of ``expr`` over ``program``'s names, intermediates written out (counting stops
    past ``cap`` nodes, so a shared intermediate used many times cannot cost the count itself)."""
    from ..rules.table import RULES
    defs = {s.name: s.expr for s in program.statements if s.name is not None}

    def kids(m):
        return (defs[m.name],) if isinstance(m, Var) and m.name in defs else children(m)

    nodes = 0
    stack: list[tuple[int, float]] = []          # (nesting, digits) of each finished child
    for n in postorder(expr, kids):
        nodes += 1
        if nodes > cap:
            return Cost(nodes, 0, 0.0)
        if isinstance(n, Num):
            v = float(n.value)               # an integer is exact; a decimal is a 15-digit Float
            stack.append((0, float(len(str(abs(int(v))))) if v.is_integer() else 0.0))
        elif isinstance(n, Const) or (isinstance(n, Var) and n.name not in defs):
            stack.append((0, 0.0))
        elif isinstance(n, Var):
            pass                                  # its definition's entry stands for it
        elif isinstance(n, Op):
            k = len(n.args)
            args, stack[-k:] = stack[-k:], []
            nest = max(a[0] for a in args) + (RULES[n.rule].kind == "call")
            digits = sum(a[1] for a in args)
            if n.rule in ("pow", "powc"):
                exponent = _const_value(n.args[1], defs)
                if exponent is not None and not math.isfinite(exponent):
                    digits = math.inf
                elif exponent is not None and float(exponent).is_integer():
                    digits = args[0][1] * abs(exponent) + args[1][1]
            stack.append((nest, digits))
    nest, digits = stack[0] if stack else (0, 0.0)
    return Cost(nodes, nest, digits)


def key_nesting(program: Program) -> int:
    """The deepest function nesting of the key's graph (its output, names written out)."""
    if not program.statements:
        return 0
    return cost_of(program.statements[-1].expr, program).nesting
