"""Every blank of an exercise sheet prints an id, and the answer key names exactly those blanks:
a teacher or a student reads the id off the sheet and writes it as the answers file's column.

The program is the lecture's, L = (a*b + c)*f at a=2, b=-3, c=10, f=-2; hand derivation:
dL/da = b*f = 6, dL/db = a*f = -4, dL/dc = f = -2, dL/df = a*b + c = 4; nudged with h = 0.001:
a + h*6 = 2.006.
"""

from __future__ import annotations

import json
import re

import pytest

import symgrad as sg
from symgrad.teaching.answer_key import write_exercise
from symgrad.teaching.sheets import RENDERERS, write_worksheet
from symgrad.teaching.worksheet import blanked, build_worksheet

LECTURE = "e = a*b; d = e + c; L = d*f"
POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
ID = re.compile(r"\[((?:step|final|nudge|tangent)[a-z0-9_.]*)\]")


def _printed_ids(path: str, fmt: str) -> set[str]:
    """The ids as a reader sees them: the sheet's text with its format's escapes undone."""
    text = open(path, encoding="utf-8").read()
    if fmt == "ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
    return set(ID.findall(text.replace("\\_", "_").replace("\\[", "[").replace("\\]", "]")))


@pytest.fixture(scope="module")
def full():
    return build_worksheet(LECTURE, POINT)


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_the_sheet_prints_every_id_of_the_key_and_no_other(full, fmt, tmp_path):
    path = str(tmp_path / f"sheet.{fmt}")
    written = write_exercise(full, blanked(full), fmt, path, write_worksheet, sheet=1, seed=0)
    key = json.loads(open(written[-1], encoding="utf-8").read())
    ids = [b["id"] for b in key["blanks"]]
    assert len(ids) == len(set(ids))
    printed = _printed_ids(path, fmt)
    assert printed == set(ids), (sorted(printed ^ set(ids)))
    # the nudge table's cells are blanks too, and the final table asks for each gradient as a formula
    assert {"nudge.input1.grad", "nudge.input1.nudged", "final1.closed_form"} <= printed


def test_a_blank_read_off_the_sheet_is_graded_by_its_id(full, tmp_path):
    path = str(tmp_path / "sheet.md")
    write_exercise(full, blanked(full), "md", path, write_worksheet, sheet=1, seed=0)
    key = json.loads(open(str(tmp_path / "sheet-key.json"), encoding="utf-8").read())
    a = next(b for b in key["blanks"] if b["id"] == "nudge.input1.grad")
    assert "input a" in a["where"]
    text = "id,sheet,nudge.input1.grad,nudge.input1.nudged,final1.closed_form\nann,1,6,2.006,b*f\nbob,1,-6,2,f\n"
    cells = {(s.student, c.blank): c.status for s in sg.grade(key, text).students for c in s.cells}
    assert [cells["ann", k] for k in ("nudge.input1.grad", "nudge.input1.nudged", "final1.closed_form")] == \
        ["correct"] * 3
    assert [cells["bob", k] for k in ("nudge.input1.grad", "nudge.input1.nudged", "final1.closed_form")] == \
        ["wrong"] * 3


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_the_worked_key_prints_each_answer_with_the_same_id(fmt, tmp_path):
    from symgrad.teaching.exercises import write_sheets
    written = write_sheets(sg.parse(LECTURE), str(tmp_path / f"s.{fmt}"), count=1, seed=0, fmt=fmt,
                           fixed=POINT, progress=False)
    key = json.loads((tmp_path / "s-1-key.json").read_text(encoding="utf-8"))
    worked = str(tmp_path / f"s-1-key.{fmt}")
    assert worked in written
    assert _printed_ids(worked, fmt) == {b["id"] for b in key["blanks"]}
    if fmt == "md":                     # dL/da = b*f = 6 beside its id; a negative factor keeps its parentheses
        text = open(worked, encoding="utf-8").read()
        assert "| 6 \\[final1.backprop\\] |" in text and "× (-2) \\[step1.term1.local\\_value\\]" in text


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_a_where_sheet_prints_every_id_of_its_key(fmt, tmp_path):
    """A where's step says which branch it took (at a switch point, here): its blanks keep their ids.
    By hand, where(x > 0, x*x, 0) + x at x = 0 takes 0: dy/dx = 1, from the + alone."""
    full = build_worksheet("y = where(x > 0, x*x, 0) + x", {"x": 0.0})
    path = str(tmp_path / f"sheet.{fmt}")
    written = write_exercise(full, blanked(full), fmt, path, write_worksheet, sheet=1, seed=0)
    key = json.loads(open(written[-1], encoding="utf-8").read())
    assert _printed_ids(path, fmt) == {b["id"] for b in key["blanks"]}
    assert next(b for b in key["blanks"] if b["id"] == "final1.backprop")["value"] == 1.0
    assert "the second branch" in open(path, encoding="utf-8").read()


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_the_forward_mode_blanks_print_their_ids_and_are_graded(fmt, tmp_path):
    """Forward mode along a on the lecture's program, by hand: e's tangent = b·1 = -3, d's = -3,
    L's = f·(-3) = 6 = dL/da. The sheet prints every id of the key, the worked key the answers."""
    full = build_worksheet(LECTURE, POINT, forward_mode="a")
    path = str(tmp_path / f"sheet.{fmt}")
    written = write_exercise(full, blanked(full), fmt, path, write_worksheet, sheet=1, seed=0)
    key = json.loads(open(written[-1], encoding="utf-8").read())
    ids = {b["id"] for b in key["blanks"]}
    assert _printed_ids(path, fmt) == ids
    value = {b["id"]: b["value"] for b in key["blanks"]}
    assert (value["tangent.row1.tangent"], value["tangent.row3.tangent"], value["tangent.output"]) == (-3.0, 6.0, 6.0)
    local = next(b for b in key["blanks"] if b["id"] == "tangent.row1.term1.local")
    assert local["derivative"] == {"of": "local", "node": "e", "child": "a", "arg": 0}   # ∂e/∂a, as a step's
    if fmt == "md":   # ∂e/∂a = b as a formula: right, and a (the other factor) wrong
        head = "id,sheet,tangent.row1.tangent,tangent.output,tangent.row1.term1.local"
        text = f"{head}\nann,1,-3,6,b\nbob,1,3,-6,a\n"
        cells = {(s.student, c.blank): c.status for s in sg.grade(key, text).students for c in s.cells}
        assert [cells[who, k] for who in ("ann", "bob") for k in head.split(",")[2:]] == \
            ["correct"] * 3 + ["wrong"] * 3
