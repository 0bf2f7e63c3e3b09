"""Printers for the AST, one class per format, dispatching on node type (as SymPy's do).

A printer's ``_print_<Node>`` returns a list of parts: strings, or child nodes still to
print. ``doprint`` expands the parts with an explicit stack, so depth never recurses and
output is built by one join (linear in size).
"""

from __future__ import annotations

import re
import string

from ._ast import Assign, Const, Node, Num, Op, Program, Var
from ._rules import RULES, Rule

__all__ = ["Printer", "TextPrinter", "LatexPrinter", "unparse", "to_latex", "latex_name", "prec"]

ATOM = 10


def prec(node: Node) -> int:
    if isinstance(node, Num) and str(node.value).startswith("-"):
        return RULES["neg"].prec  # only hand-built ASTs hold negative literals
    return RULES[node.rule].prec if isinstance(node, Op) and RULES[node.rule].kind != "call" else ATOM


class Printer:
    def doprint(self, root: Node) -> str:
        out: list[str] = []
        stack: list = [root]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
            else:
                stack.extend(reversed(getattr(self, "_print_" + type(item).__name__)(item)))
        return "".join(out)

    def _print_Program(self, node: Program) -> list:
        parts: list = []
        for i, stmt in enumerate(node.statements):
            parts += ([self.separator] if i else []) + [stmt]
        return parts

    def _print_Op(self, node: Op) -> list:
        row = RULES[node.rule]
        return getattr(self, "_print_" + row.kind)(node, row)

    def _wrap(self, child: Node, needs_parens: bool) -> list:
        return [self.lparen, child, self.rparen] if needs_parens else [child]

    def _infix_parts(self, node: Op, row: Rule) -> tuple[list, list]:
        left, right = node.args
        if row.prec == RULES["pow"].prec:  # right-associative; the exponent may be signed
            return self._wrap(left, prec(left) <= row.prec), self._wrap(right, prec(right) < RULES["neg"].prec)
        return self._wrap(left, prec(left) < row.prec), self._wrap(right, prec(right) <= row.prec)


class TextPrinter(Printer):
    """symgrad's own syntax: ``parse(unparse(p)) == p``."""

    separator, lparen, rparen = "\n", "(", ")"

    def _print_Assign(self, node: Assign) -> list:
        return [node.expr] if node.name is None else [f"{node.name} = ", node.expr]

    def _print_Num(self, node: Num) -> list:
        return [repr(node.value)]

    def _print_Var(self, node: Var) -> list:
        return [node.name]

    _print_Const = _print_Var

    def _print_infix(self, node: Op, row: Rule) -> list:
        left, right = self._infix_parts(node, row)
        return left + [f" {row.symbol} "] + right

    def _print_prefix(self, node: Op, row: Rule) -> list:
        (arg,) = node.args
        return [row.symbol] + self._wrap(arg, prec(arg) < row.prec or _starts_with_sign(arg))

    def _print_call(self, node: Op, row: Rule) -> list:
        parts: list = [row.name, "("]
        for i, arg in enumerate(node.args):
            parts += ([", "] if i else []) + [arg]
        return parts + [")"]


def _starts_with_sign(node: Node) -> bool:
    return isinstance(node, Op) and RULES[node.rule].kind == "prefix"


_GREEK = set("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
             "tau upsilon phi chi psi omega".split())


def latex_name(name: str) -> str:
    """``x1`` → ``x_{1}``, ``w_out`` → ``w_{out}``, ``alpha`` → ``\\alpha``, as SymPy prints symbols."""
    base, _, sub = name.partition("_")
    if not sub:
        m = re.fullmatch(r"([A-Za-z]+?)([0-9]+)", name)
        if m:
            base, sub = m.groups()
    base_tex = "\\" + base if base.lower() in _GREEK and base != "pi" else base
    if base == "pi":
        base_tex = r"\pi"
    sub = sub.replace("_", r"\_")
    return f"{base_tex}_{{{sub}}}" if sub else base_tex


class LatexPrinter(Printer):
    """LaTeX from the rule table's templates."""

    separator, lparen, rparen = r" \\ ", r"\left(", r"\right)"

    def _print_Assign(self, node: Assign) -> list:
        return [node.expr] if node.name is None else [latex_name(node.name) + " = ", node.expr]

    def _print_Num(self, node: Num) -> list:
        v = node.value
        if v.is_integer() and abs(v) < 1e15:
            return [str(int(v))]
        mant, _, exp = repr(v).partition("e")
        return [mant + (rf" \cdot 10^{{{int(exp)}}}" if exp else "")]

    def _print_Var(self, node: Var) -> list:
        return [latex_name(node.name)]

    def _print_Const(self, node: Const) -> list:
        return [r"\pi" if node.name == "pi" else node.name]

    def _print_infix(self, node: Op, row: Rule) -> list:
        left, right = self._infix_parts(node, row)
        return self._template(row.latex, [left, right], grouped=self._grouped_args(row.latex))

    def _print_prefix(self, node: Op, row: Rule) -> list:
        (arg,) = node.args
        return self._template(row.latex, [self._wrap(arg, prec(arg) < row.prec or _starts_with_sign(arg))], set())

    def _print_call(self, node: Op, row: Rule) -> list:
        return self._template(row.latex_for(len(node.args)), [[a] for a in node.args], set())

    @staticmethod
    def _grouped_args(template: str) -> set[int]:
        """Arguments that sit inside a TeX group ``{…}`` need no parentheses."""
        grouped = set()
        for literal, fieldname, _, _ in string.Formatter().parse(template):
            if fieldname is not None and fieldname.isdigit() and literal.endswith("{"):
                grouped.add(int(fieldname))
        return grouped

    def _template(self, template: str, args: list[list], grouped: set[int]) -> list:
        parts: list = []
        for literal, fieldname, _, _ in string.Formatter().parse(template):
            parts.append(literal)
            if fieldname is not None:
                i = int(fieldname)
                parts += [args[i][1]] if i in grouped and len(args[i]) == 3 else args[i]
        return parts


_TEXT = TextPrinter()
_LATEX = LatexPrinter()


def unparse(node: Node) -> str:
    """symgrad source text for a Program or expression."""
    return _TEXT.doprint(node)


def to_latex(node: Node) -> str:
    return _LATEX.doprint(node)
