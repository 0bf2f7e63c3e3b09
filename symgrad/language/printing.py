"""Printers for the AST, one class per format, dispatching on the node's class name (as SymPy's do).

Dispatching on names, the printers import the AST for annotations only, so ``ast``'s ``__repr__``
can call ``node_repr`` here without an import circle.

A printer's ``_print_<Node>`` returns a list of parts: strings, or child nodes still to
print. ``doprint`` expands the parts with an explicit stack, so depth never recurses and
output is built by one join (linear in size).
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

from ..rules.table import RULES, Rule
from .names import GREEK, latex_name, mathml_name, mathml_number, name_parts, number_text  # noqa: F401 (importers)

if TYPE_CHECKING:  # annotations only: the printers dispatch on class names, so ``ast`` may import this module
    from .ast import Assign, Const, Node, Num, Op, Program, Var

__all__ = ["Printer", "TextPrinter", "LatexPrinter", "MathMLPrinter", "SourcePrinter", "NotationPrinter", "unparse",
           "to_latex", "to_mathml", "to_source", "to_notation", "power_symbol", "latex_name", "mathml_name",
           "template_latex", "prec", "shown_args", "node_repr", "program_repr", "number_text"]

ATOM = 10


def prec(node: Node) -> int:
    kind = type(node).__name__
    if kind == "Num" and str(node.value).startswith("-"):
        return RULES["neg"].prec  # only hand-built ASTs hold negative literals
    if kind == "Op" and node.rule not in RULES:
        return RULES["mul"].prec if node.rule == "matmul" else ATOM   # a tensor form: @, or postfix/call
    return RULES[node.rule].prec if kind == "Op" and RULES[node.rule].kind != "call" else ATOM


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
        row = RULES.get(node.rule)
        if row is None:
            return self._print_tensor(node)
        return getattr(self, "_print_" + row.kind)(node, row)

    def _print_tensor(self, node: Op) -> list:
        """A tensor form in the language's own spelling (``a @ b``, ``x[i, j]``, ``x.T``,
        ``sum(x, 1, keepdim=True)``): the text every printer falls back to."""
        rule, args = node.rule, node.args
        if rule == "matmul":
            left, right = self._infix_parts(node, RULES["mul"])
            return left + [" @ "] + right
        if rule == "index":
            return self._wrap(args[0], prec(args[0]) < ATOM) + ["["] + _joined(tuple(map(_integer, args[1:]))) + ["]"]
        if rule in ("transpose", "shape") and len(args) == 1:
            return self._wrap(args[0], prec(args[0]) < ATOM) + [".T" if rule == "transpose" else ".shape"]
        if rule == "cat":
            return ["cat(["] + _joined(args[:-1]) + ["], ", _integer(args[-1]), ")"]
        name, flags = _TENSOR_CALLS.get(rule, (rule, ()))
        flags = flags if len(args) > 1 else ()
        args = (args[0],) + tuple(_integer(a) for a in args[1:]) if rule not in ("cross_entropy", "index") else args
        if rule == "var":
            args = (args[0],) + args[2:] + (args[1],)    # var(x, dim, keepdim, correction=c)
            flags = ("dim", "keepdim", "correction") if len(args) == 4 else ("correction",)
        parts: list = [name, "("] + _joined(args[:len(args) - len(flags)])
        for flag, arg in zip(flags, args[len(args) - len(flags):]):
            if flag == "keepdim":
                if arg != "0":
                    parts += [", keepdim=True"]
            elif flag == "correction" and arg == "1":
                continue
            else:
                parts += [f", {flag}=" if flag != "dim" or name in _DIM_BY_KEYWORD else ", ", arg]
        return parts + [")"]

    def _wrap(self, child: Node, needs_parens: bool) -> list:
        return [self.lparen, child, self.rparen] if needs_parens else [child]

    def _infix_parts(self, node: Op, row: Rule) -> tuple[list, list]:
        left, right = node.args
        if row.prec == RULES["pow"].prec:  # right-associative; the exponent may be signed
            return self._wrap(left, prec(left) <= row.prec), self._wrap(right, prec(right) < RULES["neg"].prec)
        return self._wrap(left, prec(left) < row.prec), self._wrap(right, prec(right) <= row.prec)


class TextPrinter(Printer):
    """symgrad's own syntax: ``parse(unparse(p)) == p``."""

    separator, lparen, rparen, comma = "\n", "(", ")", ", "

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
        return [row.spelling, "("] + _joined(shown_args(node, row)) + [")"]


_TENSOR_CALLS = {"sum": ("sum", ("dim", "keepdim")), "mean": ("mean", ("dim", "keepdim")),
                 "amax": ("max", ("dim", "keepdim")), "amin": ("min", ("dim", "keepdim")),
                 "logsumexp_dim": ("logsumexp", ("dim", "keepdim"))}
_DIM_BY_KEYWORD = {"max", "min", "logsumexp"}   # by keyword: max(x, 1) is the scalar row


def _integer(node):
    """A dim, flag or size literal as an integer (``1``, not ``1.0``); other nodes as they are."""
    if type(node).__name__ == "Num" and float(node.value).is_integer():
        return str(int(node.value))
    if type(node).__name__ == "Op" and node.rule == "neg" and type(node.args[0]).__name__ == "Num":
        inner = _integer(node.args[0])
        return "-" + inner if isinstance(inner, str) else node
    return node


def shown_args(node: Op, row: Rule) -> tuple:
    """A call's arguments as it is written: a trailing one equal to its default is left out
    (``softplus(x, beta)`` for softplus_beta(x, beta, 20)), as the parser fills it back in."""
    args, n = node.args, len(node.args)
    while n > row.arity - len(row.defaults) and type(args[n - 1]).__name__ == "Num" \
            and args[n - 1].value == row.defaults[n - 1 - (row.arity - len(row.defaults))]:
        n -= 1
    return args[:n]


def _joined(args: tuple) -> list:
    parts: list = []
    for i, arg in enumerate(args):
        parts += ([", "] if i else []) + [arg]
    return parts


def _starts_with_sign(node: Node) -> bool:
    return type(node).__name__ == "Op" and node.rule in RULES and RULES[node.rule].kind == "prefix"


# e^ not inside a word or a command; after a TeX line break (``\\e^{x}`` in cases) it is Euler's too.
_EULER = re.compile(r"(?<![A-Za-z])(?:(?<=\\\\)|(?<!\\))e\^")


def template_latex(template: str) -> str:
    r"""A rule row's LaTeX template, with Euler's number upright (``e^{…}`` → ``\mathrm{e}^{…}``).
    The result is still a ``str.format`` template (the braces of ``\mathrm{{e}}`` are doubled)."""
    return _EULER.sub(r"\\mathrm{{e}}^", template)


class LatexPrinter(Printer):
    """LaTeX from the rule table's templates."""

    separator, lparen, rparen, comma = r" \\ ", r"\left(", r"\right)", ", "

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
        return [r"\pi" if node.name == "pi" else latex_name(node.name)]

    def _print_infix(self, node: Op, row: Rule) -> list:
        left, right = self._infix_parts(node, row)
        return self._template(row.latex, [left, right], grouped=self._grouped_args(row.latex))

    def _print_prefix(self, node: Op, row: Rule) -> list:
        (arg,) = node.args
        return self._template(row.latex, [self._wrap(arg, prec(arg) < row.prec or _starts_with_sign(arg))], set())

    @staticmethod
    def _grouped_args(template: str) -> set[int]:
        """Arguments that sit inside a TeX group ``{…}`` need no parentheses."""
        grouped = set()
        for literal, fieldname, _, _ in string.Formatter().parse(template):
            if fieldname is not None and fieldname.isdigit() and literal.endswith("{"):
                grouped.add(int(fieldname))
        return grouped

    def _print_call(self, node: Op, row: Rule) -> list:
        args = shown_args(node, row)
        template = row.latex_for(len(args))
        if _fields(template) != len(args):  # a row whose template cannot take them (or a default left out)
            return _call_parts(self, _latex_call_name(row), args)
        return self._template(template, [[a] for a in args], set())

    def _template(self, template: str, args: list[list], grouped: set[int]) -> list:
        parts: list = []
        for literal, fieldname, _, _ in string.Formatter().parse(template):
            parts.append(_EULER.sub(r"\\mathrm{e}^", literal))  # a literal: no format braces
            if fieldname is not None:
                i = int(fieldname)
                parts += [args[i][1]] if i in grouped and len(args[i]) == 3 else args[i]
        return parts


def _fields(template: str) -> int:
    return len({f for _, f, _, _ in string.Formatter().parse(template) if f is not None and f.isdigit()})


_FUNCTION_NAME = re.compile(r"\\(?:operatorname\{\{(\w+)\}\}|(\w+))\\left\(")


def _latex_call_name(row: Rule) -> str:
    m = _FUNCTION_NAME.match(row.latex)
    if m and m.group(1):
        return rf"\operatorname{{{m.group(1)}}}"
    return "\\" + m.group(2) if m else rf"\operatorname{{{row.spelling}}}"


def _call_parts(printer: Printer, name: str, args: tuple) -> list:
    parts: list = [name, printer.lparen]
    for i, arg in enumerate(args):
        parts += ([printer.comma] if i else []) + [arg]
    return parts + [printer.rparen]


class SourcePrinter(TextPrinter):
    """The program echo on a worksheet: symgrad syntax with whole numbers as written (``x**2``)."""

    def _print_Num(self, node: Num) -> list:
        return [number_text(node.value)]


class NotationPrinter(SourcePrinter):
    """A formula in its program's own notation, for messages: whole numbers as written and the
    power operator the program uses (``x^2``, not ``x ** 2.0``). Not for re-parsing: ``unparse``."""

    def __init__(self, power: str = "^") -> None:
        self.power = power

    def _print_infix(self, node: Op, row: Rule) -> list:
        if row.symbol != "**" or self.power == "**":
            return super()._print_infix(node, row)
        left, right = self._infix_parts(node, row)
        return left + [self.power] + right


_COMMENT = re.compile(r"#[^\n]*")


def power_symbol(source: str) -> str:
    """The power operator a program's author writes: ``**`` if the source spells only that, else ``^``."""
    code = _COMMENT.sub("", source)
    return "**" if "**" in code and "^" not in code else "^"


class MathMLPrinter(Printer):
    """Presentation MathML, in program order, dispatching on the row's kind and symbol.

    A new row prints without edits: an infix row by its symbol, a call by its name
    (``\\sqrt``, ``|…|`` and ``e^{…}`` templates get their MathML shapes).
    """

    separator, lparen, rparen, comma = "<mo>;</mo>", "<mo>(</mo>", "<mo>)</mo>", "<mo>,</mo>"

    def _print_Assign(self, node: Assign) -> list:
        return ["<mrow>", node.expr, "</mrow>"] if node.name is None else \
            ["<mrow>", mathml_name(node.name), "<mo>=</mo>", node.expr, "</mrow>"]

    def _print_Num(self, node: Num) -> list:
        v = node.value
        text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
        mant, _, exp = text.partition("e")
        if exp:
            return [f"<mrow>{mathml_number(mant)}<mo>&#xD7;</mo><msup><mn>10</mn>"
                    f"{mathml_number(str(int(exp)))}</msup></mrow>"]
        return [mathml_number(text)]

    def _print_Var(self, node: Var) -> list:
        return [mathml_name(node.name)]

    def _print_Const(self, node: Const) -> list:
        return ["<mi>&#x3C0;</mi>" if node.name == "pi" else mathml_name(node.name)]

    def _print_infix(self, node: Op, row: Rule) -> list:
        left, right = node.args
        if row.symbol == "/":
            return ["<mfrac><mrow>", left, "</mrow><mrow>", right, "</mrow></mfrac>"]
        lhs, rhs = self._infix_parts(node, row)
        if row.symbol == "**":
            return ["<msup><mrow>", *lhs, "</mrow><mrow>", right, "</mrow></msup>"]
        return ["<mrow>", *lhs, _MO.get(row.symbol, f"<mo>{_xml(row.symbol)}</mo>"), *rhs, "</mrow>"]

    def _print_prefix(self, node: Op, row: Rule) -> list:
        (arg,) = node.args
        return ["<mrow>", _MO.get(row.symbol, f"<mo>{_xml(row.symbol)}</mo>"),
                *self._wrap(arg, prec(arg) < row.prec or _starts_with_sign(arg)), "</mrow>"]

    def _print_call(self, node: Op, row: Rule) -> list:
        args = shown_args(node, row)
        if len(args) == 1 and not row.variadic:
            if row.latex.startswith(r"\sqrt"):  # \sqrt[3]{…} (cbrt) is a root of index 3, not a square root
                index = re.match(r"\\sqrt\[(\w+)\]", row.latex)
                return ["<mroot><mrow>", args[0], f"</mrow><mn>{index[1]}</mn></mroot>"] if index else \
                    ["<msqrt>", args[0], "</msqrt>"]
            if row.latex.startswith(r"\left|"):
                return ["<mrow><mo>|</mo>", args[0], "<mo>|</mo></mrow>"]
            if template_latex(row.latex).startswith(r"\mathrm{{e}}^"):
                return ['<msup><mi mathvariant="normal">e</mi><mrow>', args[0], "</mrow></msup>"]
        name = _latex_call_name(row)
        name = "σ" if name == r"\sigma" else re.sub(r"\\(?:operatorname\{)?|\}", "", name)
        return ["<mrow>", *_call_parts(self, f"<mi>{name}</mi><mo>&#x2061;</mo>", args), "</mrow>"]


_MO = {"-": "<mo>&#x2212;</mo>", "*": "<mo>&#xB7;</mo>"}


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEXT, _LATEX, _SOURCE, _MATHML = TextPrinter(), LatexPrinter(), SourcePrinter(), MathMLPrinter()


def unparse(node: Node) -> str:
    """symgrad source text for a Program or expression."""
    return _TEXT.doprint(node)


def to_latex(node: Node) -> str:
    return _LATEX.doprint(node)


def to_source(node: Node) -> str:
    """The program as a worksheet echoes it: ``unparse`` with whole numbers as written."""
    return _SOURCE.doprint(node)


def to_notation(node: Node, power: str = "^") -> str:
    """A formula as a message prints it, in the program's notation (``power``: see ``power_symbol``)."""
    return NotationPrinter(power).doprint(node)


def to_mathml(node: Node) -> str:
    """A formula as a MathML ``<math>`` element, in program order."""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{_MATHML.doprint(node)}</math>'


# -- the AST's repr is its text (``Node.__repr__`` and ``Program.__repr__`` call these) --------

def node_repr(node: Node) -> str:
    """``Op('x * y')``: the class name and the text, cut at 60 characters."""
    text = unparse(node)
    return f"{type(node).__name__}({text[:60] + '…' if len(text) > 60 else text!r})"


def program_repr(program: Program) -> str:
    """``Program('y = x * w', inputs=('x', 'w'))``: the text cut at 80 characters, at most 10 inputs."""
    text = unparse(program)
    text = text if len(text) <= 80 else text[:79] + "…"
    inputs = program.inputs if len(program.inputs) <= 10 else program.inputs[:10] + ("…",)
    return f"Program({text!r}, inputs={inputs!r})"
