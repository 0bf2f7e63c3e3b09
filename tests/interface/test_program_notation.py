"""Formulas and messages print in the program's own notation: whole numbers as integers (``x=2``, not
``x=2.0``), the power operator the program writes (``^``, or ``**`` where it writes only that) and
the user's names (``e`` stays the variable e). References are hand derivations: d(x³w + 3.5w)/dx =
3x²w; the point is the one given on the command line."""

from __future__ import annotations

import json
import re

import pytest

import symgrad as sg
from symgrad.interface.cli.main import main
from symgrad.teaching.nbgrader import exercise_notebook
from symgrad.teaching.worksheet import build_worksheet


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_the_check_reports_header_prints_the_point_as_written(capsys):
    code, out = run(capsys, "check", "y = x^3 + 3*w", "--at", "x=2", "w=1.5")
    assert code == 0 and "at x=2, w=1.5\n" in out and "2.0" not in out


def test_random_points_keep_their_digits(capsys):
    report = sg.check("y = x^2", {"x": 0.1})
    assert "at x=0.1\n" in report.table()


@pytest.mark.parametrize("source, want", [("y = x^3*w + 3.5*w*e", "3*w*x^2"),
                                          ("y = x**3*w + 3.5*w*e", "3*w*x**2"),
                                          ("y = e^2*x", "e^2")])
def test_diff_prints_the_programs_power_operator_and_integers(capsys, source, want):
    code, out = run(capsys, "diff", source, "--wrt", "x")
    assert code == 0 and out.strip() == want


def test_claim_feedback_prints_the_programs_notation():
    report = sg.check("y = x^2*w + tanh(x)", {"x": 2, "w": 3}, claims={"x": "2*x*w", "w": "x^2.0"})
    text = report.table()
    assert "at x=2, w=3" in text and "claim x^2:" in text
    assert "**" not in text and re.search(r"(?<![0-9.])[0-9]+\.0(?![0-9e])", text) is None, text


def test_the_nbgrader_notebook_prints_the_programs_notation():
    full = build_worksheet(sg.parse("y = x^3*w + 2*w"), {"x": 2, "w": 3}, graph=False)
    blank = build_worksheet(sg.parse("y = x^3*w + 2*w"), {"x": 2, "w": 3}, graph=False, exercise=True)
    cells = json.loads(exercise_notebook(full, blank, rtol=1e-6, atol=1e-9))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "PROGRAM = 'y = x^3 * w + 2 * w'" in code
    assert "formula_x = '3*w*x^2'" in code and "formula_w = 'x^3 + 2'" in code
    assert "**" not in code
