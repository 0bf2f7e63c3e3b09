"""Exercise notebooks that nbgrader accepts as a source assignment.

``exercise_notebook(full, sheet)`` writes the blanked worksheet as read-only Markdown, a
read-only setup cell, and per gradient of the final table:

- one solution cell, ``grad_NAME = <value>`` and ``formula_NAME = "<closed form>"`` between
  ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (nbgrader's ``generate_assignment`` replaces the
  region with ``raise NotImplementedError()`` in the students' copy);
- two autograded test cells of ``POINTS`` point each: the number (hidden test, tolerance as
  the answer key's), and the formula judged as a claim by ``sg.check(..., claims=...)``.

Every cell carries nbgrader's metadata, schema version 3
(``{grade, solution, locked, task, grade_id, points, schema_version}``; see nbgrader's
``nbgraderformat/v3.json``). Grade ids are ``[A-Za-z0-9_-]`` and unique. Same sheet, same bytes.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["exercise_notebook", "POINTS"]

POINTS = 1


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: int | None = None) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "task": False, "grade_id": grade_id,
            "schema_version": 3}
    if grade:
        meta["points"] = points if points is not None else POINTS
    return {"nbgrader": meta}


def _python_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def exercise_notebook(full: Any, sheet: Any, *, rtol: float, atol: float) -> str:
    """The nbgrader source notebook (nbformat 4 JSON text) for a worksheet and its blanked copy;
    ``rtol``/``atol`` are the answer key's tolerances (``teaching.answer_key.RTOL``/``ATOL``)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell
    from .renderers import MarkdownRenderer, notebook_text
    from .worksheet_model import number
    sections = re.split(r"\n(?=## )", MarkdownRenderer().render(sheet))
    cells = []

    def add(cell: Any, meta: dict) -> None:
        cell["metadata"] = meta
        cell["id"] = f"cell-{len(cells)}"          # stable ids: same sheet, same bytes
        cells.append(cell)

    for k, text in enumerate(sections):
        add(new_markdown_cell(text), _meta(f"sheet-{k}", locked=True))
    point = ", ".join(f"{k!r}: {v!r}" for k, v in full.point)
    add(new_code_cell("import symgrad as sg\n\n"
                      f"PROGRAM = {full.source!r}\n"
                      f"POINT = {{{point}}}\n"
                      "print(sg.parse(PROGRAM))"), _meta("setup", locked=True))
    add(new_markdown_cell(
        "## Your answers\n\n"
        f"For each name below, give the gradient of {full.output} as a number (`grad_NAME`) and as a formula "
        f"over the program's names, in symgrad's syntax (`formula_NAME`, text such as `\"{FORMAT_EXAMPLE}\"`, "
        "written with your program's names).\n\n"
        f"Numbers are right within {rtol:g} relative (or {atol:g} absolute); formulas are checked at the "
        "point and at random points."), _meta("answers-intro", locked=True))
    for i, row in enumerate((r for r in full.final if r.backprop is not None), start=1):
        var = _python_name(row.name)
        formula = _formula_text(full, row.name)
        add(new_markdown_cell(f"### d{full.output}/d{row.name}"), _meta(f"q{i}-{var}", locked=True))
        lines = ["### BEGIN SOLUTION", f"grad_{var} = {row.backprop!r}"]
        if formula is not None:
            lines.append(f"formula_{var} = {formula!r}")
        lines.append("### END SOLUTION")
        add(new_code_cell("\n".join(lines)), _meta(f"answer-{i}-{var}", solution=True))
        add(new_code_cell(
            f"# d{full.output}/d{row.name} as a number ({number(rtol)} relative tolerance)\n"
            f"assert isinstance(grad_{var}, (int, float)), 'grad_{var} must be a number'\n"
            "### BEGIN HIDDEN TESTS\n"
            f"assert abs(grad_{var} - {row.backprop!r}) <= {atol!r} + {rtol!r} * abs({row.backprop!r}), "
            f"'grad_{var} is not the gradient'\n"
            "### END HIDDEN TESTS"), _meta(f"test-{i}-grad-{var}", grade=True, locked=True))
        if formula is not None:
            add(new_code_cell(
                f"# d{full.output}/d{row.name} as a formula, judged as a claim\n"
                f"assert isinstance(formula_{var}, str), 'formula_{var} must be text such as \"{FORMAT_EXAMPLE}\"'\n"
                f"claim = sg.check(PROGRAM, POINT, claims={{{row.name!r}: formula_{var}}}).claims[0]\n"
                "assert claim.verdict == 'correct', claim.message"),
                _meta(f"test-{i}-formula-{var}", grade=True, locked=True))
    return notebook_text(cells)


# The syntax shown to a student: names no sheet uses, so the example is never an answer.
FORMAT_EXAMPLE = "3*u^2 + cos(v)"


def _formula_text(full: Any, name: str) -> str | None:
    """The closed form of d(output)/d(name) in symgrad's syntax, when SymPy's printing of it
    parses back and the claim check proves it (``Abs``, ``Piecewise`` do not parse): else None.
    Not simplified (simplify costs about a second a row); SymPy's own derivative, as printed."""
    from ..gradcheck.claims import CORRECT, judge_claims
    from ..base.errors import SymgradError
    from ..gradcheck.symbolic import diff
    from ..gradcheck.sympy_printers import sympy_text
    from ..language.printing import power_symbol
    try:
        text = sympy_text(diff(full.source, name), power_symbol(full.source))  # the program's notation: 3*x^2
        row = judge_claims(full.source, dict(full.point), {name: text}, random=0)[0]
    except SymgradError:
        return None
    return text if row.verdict == CORRECT else None
