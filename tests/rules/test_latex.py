"""Every row's LaTeX evaluates to its SymPy form and derivatives, whether derived or overridden.

A row's display LaTeX (``latex``, ``dlatex``) is derived from its SymPy form unless the row gives
an override (symgrad/rules/display.py). A small evaluator for the LaTeX the rows use (\\frac,
\\sqrt, ^, \\cdot, \\left( \\right), |·|, cases, named functions) reads each template filled with
numbers, and compares it with the SymPy form and its partials evaluated at 30 digits on the same
doubles (an independent reference: not the row's own float forward). So a wrong override (a
wrong derivative, a swapped argument, a template that does not parse) fails here, and so does a
derivation bug: every row's derived templates are evaluated too, also where an override hides them.
Named operators (\\operatorname{relu}) resolve to the row of that name or to libm.
"""

from __future__ import annotations

import pytest

from helpers.latex_eval import check, reference
from symgrad.rules.rule import inside
from symgrad.rules.table import INTERNAL, RULES

# wsum's templates speak of the i-th weight (w_i x_i), not of its arguments: printed by symgrad.nn.
ROWS = {**RULES, "id": INTERNAL["id"]}
SHOWN = [pytest.param(row, p, id=f"{name}{p}") for name, row in ROWS.items() for p in inside(row)[::5]]
AT_ARITY = [pytest.param(row, p, id=f"{name}{p}") for name, row in ROWS.items()
            for p in [p for p in inside(row) if len(p) == row.arity][::5]]
OVERRIDES = [pytest.param(row, col, p, id=f"{name}-{col}{p}") for name, row in ROWS.items()
             for col in ("latex", "dlatex") if col in row.overrides() for p in inside(row)[::5]]


@pytest.mark.parametrize("row, point", SHOWN)
def test_the_shown_latex_evaluates_to_the_sympy_form(row, point):
    """What printers and worksheets show (``latex_for``, ``dlatex_for``), also for a longer variadic call."""
    n = len(point)
    check(row.latex_for(n), [row.dlatex_for(i, n) for i in range(n)], point, *reference(row, point))


@pytest.mark.parametrize("row, column, point", OVERRIDES)
def test_every_override_equals_the_derived_latex(row, column, point):
    """An override is kept because it reads better; it must mean what the SymPy form means."""
    given = row.overrides()[column]
    value, partials = reference(row, point)
    if column == "latex":
        check(given, [], point, value, partials)
    else:
        check(None, [t or None for t in given], point, value, partials)


@pytest.mark.parametrize("row, point", AT_ARITY)
def test_every_derived_template_evaluates_to_the_sympy_form(row, point):
    """The derivation itself, on every row, also where an override hides its result."""
    derived = row.derived()
    check(derived.latex, derived.dlatex, point, *reference(row, point))
