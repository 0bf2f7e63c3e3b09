"""The worksheet's final table, from ``symgrad.check``: backprop, SymPy and finite differences.

The closed forms come from the same ``Partials`` that check uses (SymPy's own derivative,
built from the AST).
"""

from __future__ import annotations

import time
from typing import Any

import sympy

from ._errors import CheckError

__all__ = ["final_rows"]

MAX_LATEX = 1500  # longer closed forms are summarised, not printed
FD_EPS = 1e-6     # check's default step


def _closed_form(partials: Any, name: str) -> Any:
    from ._worksheet import Math, _mathml
    try:
        expr = partials.expr(name)  # as SymPy differentiates it: simplify() costs seconds, rarely helps
        latex = sympy.latex(expr)
    except (CheckError, RecursionError):  # over the budget, or too deep for SymPy's printer
        return None
    if len(latex) > MAX_LATEX:
        note = f"({len(latex)} characters, not shown)"
        return Math(rf"\text{{{note}}}", f"<math><mtext>{note}</mtext></math>")
    return Math(latex, _mathml(expr))


def _numeric_rows(result: Any) -> list:
    """Backprop and finite differences only, when SymPy cannot take the program."""
    from ._check import _Tape
    from ._errors import NumericError
    from ._printing import latex_name
    from ._worksheet import FinalRow
    tape = _Tape(result.graph)
    rows = []
    for name in result.program.inputs + result.program.intermediates:
        try:
            fd = tape.central_difference(tape.at[id(result.graph.named[name])], FD_EPS)
        except NumericError:
            fd = None
        rows.append(FinalRow(name, latex_name(name), result.grads[name], None, None, fd,
                             "skipped (too deep for SymPy)"))
    return rows


def final_rows(result: Any, *, limits: Any = None) -> list:
    """One row per input and named intermediate: backprop, closed form, SymPy value, FD, verdict."""
    from ._check import check
    from ._limits import DEFAULT_LIMITS
    from ._printing import latex_name
    from ._symbolic import Partials
    from ._worksheet import FinalRow
    limits = limits or DEFAULT_LIMITS
    prog = result.program
    deadline = time.monotonic() + limits.symbolic_budget  # one budget for the whole symbolic stage
    try:
        report = check(prog, result.point, limits=limits)
    except RecursionError:  # SymPy recurses over the expression; deep nesting is out of its reach
        return _numeric_rows(result)
    partials = getattr(report, "_partials", None) or Partials(prog, deadline)
    rows = []
    for row in report.rows:
        closed = _closed_form(partials, row.name) if row.symbolic is not None else None
        verdict = row.verdict + (f" ({row.note})" if row.note and row.verdict != "agree" else "")
        rows.append(FinalRow(row.name, latex_name(row.name), result.grads[row.name], closed, row.symbolic,
                             row.numeric, verdict))
    return rows
