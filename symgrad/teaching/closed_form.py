"""The worksheet's final table and closed forms, from the public ``symgrad.check`` and ``symgrad.diff``.

SymPy expressions print through ``check.sympy_printers`` (symgrad's names, an upright Euler's
number). A closed form too long for a line is shown in terms of the program's named intermediates.
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from ..base.errors import SymgradError
from ..gradcheck.sympy_printers import sympy_latex, sympy_mathml
from ..language.printing import latex_name
from .worksheet_model import FinalRow, Math, number

__all__ = ["final_rows", "closed_form", "WIDTH"]

WIDTH = 60        # visible characters of a closed form on one line (a page or table width)
MAX_LATEX = 4000  # longer closed forms are not printed at all
MAX_CLOSED_FORMS = 24  # a sheet lists at most this many (each costs a symbolic derivative)
SUBS_OPS = 60     # pattern substitution (subs) only for expressions this small: it is slow


def visible_width(latex: str) -> int:
    """A rough count of the characters a formula shows (commands and braces take no room)."""
    text = re.sub(r"\\(left|right|mathit|mathrm|operatorname|frac|cdot|,)", "", latex)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: "x" * min(len(m.group(1)), 4), text)
    text = re.sub(r"[{}_^ ]", "", text)
    return len(text) + 2 * len(re.findall(r"[-+=]", text))  # binary operators are spaced


def _intermediate_forms(program: Any, limits: Any = None) -> list[tuple[Any, Any]]:
    """(definition, symbol) for each named intermediate, in program order, over plain symbols."""
    from ..gradcheck.symbolic import symbol, to_sympy_expr  # the one AST → SymPy builder (bounds exact digits)
    return [(to_sympy_expr(s.expr, symbol, limits=limits), symbol(s.name))
            for s in program.statements if s.name is not None]


def closed_form(program: Any, name: str, *, limits: Any = None,
                forms: list[tuple[Any, Any]] | None = None) -> tuple[Any, str]:
    """``symgrad.diff``'s derivative, and a note: "" as it is, or how it was shortened.

    A form wider than a line is rewritten in terms of the program's named intermediates:
    first each intermediate's whole expansion (an exact subtree, fast), then, for a small
    expression, each definition over names (``c + h1·v1 + h2·v2 - y`` becomes ``o - y``).
    Raises SymgradError when diff cannot give one (over its budget or its size bound).
    """
    from ..gradcheck.symbolic import diff  # symgrad.diff, the public API: the check layer owns how diff works
    expr = diff(program, name, limits=limits)
    plain = expr.xreplace({s: sympy.Symbol(s.name, real=True) for s in expr.free_symbols})
    if visible_width(sympy_latex(plain)) <= WIDTH:
        return plain, ""
    forms = forms if forms is not None else _intermediate_forms(program, limits)
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
    from ..gradcheck.check import check  # symgrad.check: CheckReport.rows are CheckRows (name, symbolic, numeric, verdict)
    prog = result.program
    rows = []
    checked = []
    if symbolic:  # symbolic=False: backprop's column only, no check and no closed forms
        try:
            checked = list(check(prog, result.point, limits=limits).rows)
        except (SymgradError, RecursionError):
            checked = []
    by_name = {r.name: r for r in checked}
    forms = _intermediate_forms(prog, limits) if symbolic else []
    exact = _exact_values(result.point, forms)  # a form may name an intermediate (pow's x·e^x/e at e = 0)
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
                elif _may_be_undefined(expr, row, exact) and not _finite_at(expr, exact):
                    where = "the kink" if row is not None and row.verdict == "kink" else "this point"
                    form, note = None, f"the closed form holds off {where} only (it is undefined at this point)"
                else:
                    form = Math(latex, sympy_mathml(expr))
            except (SymgradError, RecursionError):
                note = "no closed form within the symbolic limits"
                symbolic = False  # the others are as large: do not spend the budget again for each
        rows.append(FinalRow(name, latex_name(name), result.grads[name], form, note,
                             None if row is None else row.symbolic, None if row is None else row.numeric,
                             "not checked" if row is None else str(row.verdict), _slopes(row)))
    return rows


def _slopes(row: Any) -> str:
    """At a kink, the check's two one-sided slopes (the verdict alone does not say them)."""
    if row is None or row.verdict != "kink" or row.left is None or row.right is None:
        return ""
    return f"left slope {number(row.left)}, right slope {number(row.right)}"   # inf as the check prints it


def _exact_values(point: dict, forms: list[tuple[Any, Any]]) -> dict[str, Any]:
    """The exact value of every input (its float, as a rational) and named intermediate (its
    definition at those values, unevaluated where SymPy keeps it: ``tanh(1/2)``)."""
    values: dict[str, Any] = {}
    for name, value in point.items():
        try:
            values[name] = sympy.Rational(value)
        except (TypeError, ValueError, ArithmeticError):  # inf or nan: no exact value
            pass
    for definition, symbol in forms:
        if all(s.name in values for s in definition.free_symbols):
            values[symbol.name] = definition.xreplace({s: values[s.name] for s in definition.free_symbols})
    return values


def _may_be_undefined(expr: Any, row: Any, values: dict[str, Any]) -> bool:
    """Worth an exact look: at a kink, or where an input or intermediate is 0 (0/0, ln 0: pow's
    x·e^x/e at e = 0). Elsewhere the form is not evaluated exactly (that can cost as much as the check)."""
    if row is not None and row.verdict == "kink":
        return True
    return any(values.get(s.name) == 0 for s in expr.free_symbols)


def _finite_at(expr: Any, values: dict[str, Any]) -> bool:
    """Whether a closed form has a finite value at the point's exact ``values`` (0/0 at hypot's
    kink has none: the sheet then prints no formula beside the kink's slope)."""
    try:
        value = expr.xreplace({s: values[s.name] for s in expr.free_symbols if s.name in values})
        return bool(value.is_number and value.is_finite) and not value.has(sympy.nan, sympy.zoo)
    except (TypeError, ValueError, ArithmeticError):
        return False
