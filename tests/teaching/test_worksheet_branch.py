"""A worksheet names the branch each ``where`` took, why (its condition's value at the point), and
says so at a switch point, in every format. Expectations by hand:

- where(x > 0, sqrt(x), 0) at x = 2: 2 > 0 holds, so sqrt(x), the first branch, passes through.
- at x = 0: 0 > 0 is false (the second branch, 0, a constant: no gradient flows past it), and the sides
  of x > 0 are equal: a switch point. The final row is a kink: left slope 0 (the constant 0), right
  slope d√x/dx = 1/(2√x) → ∞ as x → 0⁺.
- where(x > 0 or z > 0, x*z, x) at x = 0, z = 1: true (z > 0 holds); x > 0 ties, but z > 0 decides the
  condition on either side of x = 0: no switch point.
- where(x >= 1 and z < 0, x*z, x - z) at x = 1, z = -1: true; x >= 1 ties and, false just below
  x = 1, would make the condition false: a switch point, named by x >= 1 only (z < 0 does not tie).
"""

from __future__ import annotations

import html
import json
import re

import pytest

from symgrad.teaching.sheets import RENDERERS, render_worksheet
from symgrad.teaching.worksheet import blanked, build_worksheet

SQRT = "y = where(x > 0, sqrt(x), 0)"
PASS = "the other gets no gradient"
SWITCH = "This is a switch point"


def _text(ws, fmt: str) -> str:
    """The sheet as a reader sees its words (a notebook's Markdown cells; HTML's TeX annotations)."""
    text = render_worksheet(ws, fmt)
    if fmt == "ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
    if fmt == "html":
        text = html.unescape(_ANNOTATED.sub(r"$\1$", text))
    return text


_ANNOTATED = re.compile(r'<math[^>]*>(?:(?!</math>).)*?<annotation encoding="application/x-tex">(.*?)</annotation>'
                        r"</semantics></math>")


def _sentence(ws, fmt: str) -> str:
    lines = [line for line in _text(ws, fmt).splitlines() if PASS in line]
    assert len(lines) == 1, lines
    return lines[0]




@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_the_taken_branch_and_its_reason(fmt):
    said = _sentence(build_worksheet(SQRT, {"x": 2.0}, graph=False), fmt)
    assert rf"$x > 0$ is true at $x = 2$: the first branch, $\sqrt{{x}}$, passes through; {PASS}." in said
    assert SWITCH not in said


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_a_switch_point_says_it_is_one(fmt):
    said = _sentence(build_worksheet(SQRT, {"x": 0.0}, graph=False), fmt)
    assert f"$x > 0$ is false at $x = 0$: the second branch, $0$, is taken, a constant: no gradient flows past " \
           f"this node; {PASS}." in said
    assert "d(x)/dx" not in _text(build_worksheet(SQRT, {"x": 0.0}, graph=False), fmt)
    assert f"{SWITCH}: the sides of $x > 0$ are equal here" in said


def test_a_tie_that_cannot_change_the_condition_is_no_switch_point():
    ws = build_worksheet("y = where(x > 0 or z > 0, x*z, x)", {"x": 0.0, "z": 1.0}, graph=False)
    (step,) = [s for s in ws.steps if s.branch is not None]
    assert step.branch.holds and step.branch.ties == ()
    assert step.branch.at.latex == r"x = 0,\ z = 1"
    assert SWITCH not in _sentence(ws, "md")


def test_only_the_tied_comparison_is_named():
    ws = build_worksheet("y = where(x >= 1 and z < 0, x*z, x - z)", {"x": 1.0, "z": -1.0}, graph=False)
    (step,) = [s for s in ws.steps if s.branch is not None]
    assert step.branch.holds
    assert [m.latex for m in step.branch.ties] == [r"x \ge 1"]
    said = _sentence(ws, "md")
    assert r"$x = 1,\ z = -1$: the first branch, $x \cdot z$, passes through" in said
    assert r"the sides of $x \ge 1$ are equal here" in said


def test_a_condition_on_no_input_names_no_point():
    ws = build_worksheet("y = where(2 > 1, x*x, x)", {"x": 3.0}, graph=False)
    said = _sentence(ws, "md")
    assert "$2 > 1$ is true: the first branch, $x \\cdot x$, passes through" in said


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_the_exercise_sheet_says_it_too(fmt):
    """The branch is the forward pass's (its values are on the sheet too): no answer given away."""
    said = _sentence(blanked(build_worksheet(SQRT, {"x": 0.0}, graph=False)), fmt)
    assert "the second branch, $0$, is taken, a constant" in said and SWITCH in said


def test_only_a_where_step_names_a_branch():
    ws = build_worksheet("y = where(x > 0, sqrt(x), 0) * x", {"x": 2.0}, graph=False)
    assert [s.rule.name for s in ws.steps if s.branch is not None] == ["taken"]


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_a_kink_row_says_its_two_slopes(fmt):
    """By hand: left of 0 the branch taken is the constant 0 (slope 0); right of 0 it is √x, whose
    slope 1/(2√x) grows without bound at 0⁺."""
    text = _text(build_worksheet(SQRT, {"x": 0.0}, graph=False), fmt)
    assert "kink: left slope 0, right slope inf" in text
    text = _text(build_worksheet("y = relu(x)", {"x": 0.0}, graph=False), fmt)
    assert "kink: left slope 0, right slope 1" in text
