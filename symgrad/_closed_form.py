"""The worksheet's final table and closed forms, from the public ``symgrad.check`` and ``symgrad.diff``.

SymPy expressions print through ``SympyLatex`` / ``SympyMathML``: SymPy's printers with
symgrad's one name printer (``_printing.latex_name``), so a name reads the same in every
column and format, and Euler's number stays upright and distinct from a variable ``e``. A
closed form too long for a line is shown in terms of the program's named intermediates.
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter

from ._errors import SymgradError
from ._printing import latex_name, mathml_name
from ._worksheet_model import FinalRow, Math

__all__ = ["final_rows", "sympy_latex", "sympy_mathml", "closed_form", "WIDTH"]

WIDTH = 60        # visible characters of a closed form on one line (a page or table width)
MAX_LATEX = 4000  # longer closed forms are not printed at all
MAX_CLOSED_FORMS = 24  # a sheet lists at most this many (each costs a symbolic derivative)
SUBS_OPS = 60     # pattern substitution (subs) only for expressions this small: it is slow


class SympyLatex(LatexPrinter):
    """SymPy's LaTeX printer with symgrad's names and an upright Euler's number."""

    def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
        return latex_name(expr.name)

    def _print_Exp1(self, expr: Any) -> str:
        return r"\mathrm{e}"

    def _print_ExpBase(self, expr: Any, exp: Any = None) -> str:
        tex = r"\mathrm{e}^{%s}" % self._print(expr.args[0])
        return self._do_exponent(tex, exp)


class SympyMathML(MathMLPresentationPrinter):
    """SymPy's Presentation MathML with symgrad's names; a marker is swapped for the name."""

    def _print_Symbol(self, sym: Any, style: str = "plain") -> Any:
        mi = self.dom.createElement("mi")
        mi.appendChild(self.dom.createTextNode(f"@@{sym.name}@@"))
        return mi


_MARKED = re.compile(r"<mi>@@(\w+)@@</mi>")


def sympy_latex(expr: Any) -> str:
    """LaTeX for a SymPy expression of a symgrad program (``symgrad diff --latex`` prints this)."""
    return SympyLatex().doprint(expr)


def sympy_mathml(expr: Any) -> str:
    body = SympyMathML().doprint(expr)
    body = _MARKED.sub(lambda m: mathml_name(m.group(1)), body)
    body = body.replace("<mo>-</mo>", "<mo>&#x2212;</mo>")
    body = re.sub(r"<mn>-", "<mo>&#x2212;</mo><mn>", body)
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def visible_width(latex: str) -> int:
    """A rough count of the characters a formula shows (commands and braces take no room)."""
    text = re.sub(r"\\(left|right|mathit|mathrm|operatorname|frac|cdot|,)", "", latex)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: "x" * min(len(m.group(1)), 4), text)
    text = re.sub(r"[{}_^ ]", "", text)
    return len(text) + 2 * len(re.findall(r"[-+=]", text))  # binary operators are spaced


def _intermediate_forms(program: Any) -> list[tuple[Any, Any]]:
    """(definition, symbol) for each named intermediate, in program order, over plain symbols."""
    from ._rules import RULES
    from ._ast import Const, Num, Var, postorder
    out = []
    for stmt in program.statements:
        if stmt.name is None:
            continue
        stack: list = []
        for node in postorder(stmt.expr):
            if isinstance(node, Num):
                v = node.value
                stack.append(sympy.Integer(int(v)) if v.is_integer() and abs(v) < 1e15 else sympy.Float(repr(v)))
            elif isinstance(node, Const):
                stack.append(sympy.pi)
            elif isinstance(node, Var):
                stack.append(sympy.Symbol(node.name, real=True))
            else:
                n = len(node.args)
                args, stack[-n:] = stack[-n:], []
                stack.append(RULES[node.rule].sympy(sympy, *args))
        out.append((stack[0], sympy.Symbol(stmt.name, real=True)))
    return out


def closed_form(program: Any, name: str, *, limits: Any = None,
                forms: list[tuple[Any, Any]] | None = None) -> tuple[Any, str]:
    """``symgrad.diff``'s derivative, and a note: "" as it is, or how it was shortened.

    A form wider than a line is rewritten in terms of the program's named intermediates:
    first each intermediate's whole expansion (an exact subtree, fast), then, for a small
    expression, each definition over names (``c + h1·v1 + h2·v2 - y`` becomes ``o - y``).
    Raises SymgradError when diff cannot give one (over its budget or its size bound).
    """
    from ._symbolic import diff  # symgrad.diff, the public API: issue 10 owns how diff works
    expr = diff(program, name, limits=limits)
    plain = expr.xreplace({s: sympy.Symbol(s.name, real=True) for s in expr.free_symbols})
    if visible_width(sympy_latex(plain)) <= WIDTH:
        return plain, ""
    forms = forms if forms is not None else _intermediate_forms(program)
    expanded: dict[Any, Any] = {}
    whole = {}
    for definition, symbol in forms:
        full = definition.xreplace(expanded)
        expanded[symbol] = full
        if symbol.name != name:
            whole[full] = symbol
    short = plain
    for full, symbol in reversed(list(whole.items())):  # latest first: it contains the earlier ones
        short = short.xreplace({full: symbol})
    if sympy.count_ops(short) <= SUBS_OPS:
        for definition, symbol in forms:
            if symbol.name != name:
                short = short.subs(definition, symbol)
    used = short.free_symbols & {symbol for _, symbol in forms if symbol.name != name}
    if not used:  # nothing was replaced: the form is simply long
        return plain, ""
    return short, "in terms of the program's named intermediates"


def final_rows(result: Any, *, limits: Any = None, symbolic: bool = True) -> list[FinalRow]:
    """One row per input and named intermediate: backprop, closed form, exact value, numeric, verdict."""
    from ._check import check  # symgrad.check: CheckReport.rows are CheckRows (name, symbolic, numeric, verdict)
    prog = result.program
    rows = []
    checked = []
    if symbolic:  # symbolic=False: backprop's column only, no check and no closed forms
        try:
            checked = list(check(prog, result.point, limits=limits).rows)
        except (SymgradError, RecursionError):
            checked = []
    by_name = {r.name: r for r in checked}
    forms = _intermediate_forms(prog) if symbolic else []
    for k, name in enumerate(prog.inputs + prog.intermediates):
        row = by_name.get(name)
        form, note = None, ""
        if symbolic and k >= MAX_CLOSED_FORMS:
            note = f"not listed (a sheet lists {MAX_CLOSED_FORMS} closed forms): symgrad diff --wrt {name}"
        elif symbolic:
            try:
                expr, note = closed_form(prog, name, limits=limits, forms=forms)
                latex = sympy_latex(expr)
                if len(latex) > MAX_LATEX:
                    form, note = None, f"the closed form has {len(latex)} characters: not printed"
                else:
                    form = Math(latex, sympy_mathml(expr))
            except (SymgradError, RecursionError):
                note = "no closed form within the symbolic limits"
                symbolic = False  # the others are as large: do not spend the budget again for each
        rows.append(FinalRow(name, latex_name(name), result.grads[name], form, note,
                             None if row is None else row.symbolic, None if row is None else row.numeric,
                             "not checked" if row is None else str(row.verdict)))
    return rows
