"""A class's marking under hostile cells, keys and files: no cell stops the class, nothing
reaches a spreadsheet or a terminal raw, and every bad key is one clear error.

The key is the lecture's, L = (a*b + c)*f at a=2, b=-3, c=10, f=-2 (hand derivation:
dL/da = b*f = 6).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

import symgrad as sg
from symgrad.teaching.answer_key import answer_key
from symgrad.teaching.worksheet import blanked, build_worksheet

LECTURE = "e = a*b; d = e + c; L = d*f"
POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
FORMULA = "final1.closed_form"     # dL/da as a formula
NUMBER = "final1.backprop"         # dL/da as a number
BOMB = "b*f + ((3^-999)^999)^200*0"


@pytest.fixture(scope="module")
def key():
    ws = build_worksheet(LECTURE, POINT)
    return answer_key(ws, blanked(ws), sheet=1, seed=0)


def _cells(grades):
    return {(s.student, c.blank): c for s in grades.students for c in s.cells}


def _csv(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


# -- one cell cannot stop a class -----------------------------------------------------------

def test_bomb_and_nested_tanh_cells_are_not_judged_and_the_class_is_marked(key):
    # An exact number of ~10^8 digits, and five nested tanh (SymPy takes minutes on either):
    # over the budget by structure, so not judged; the rest of the class is marked.
    text = _csv([["id", FORMULA], ["ann", "b*f"], ["bob", "b + ((3^-999)^999)^200*0"],
                 ["cyd", "tanh(tanh(tanh(tanh(tanh(a*b+c)))))*f"], ["dan", "b*f + (a-2)*(1 + (3^-999)^999)^200"],
                 ["eve", "f"]])
    grades = sg.grade(key, text)
    cells = _cells(grades)
    for who, why in (("bob", "digits"), ("cyd", "nested"), ("dan", "digits")):
        assert cells[who, FORMULA].status == "not judged: over the budget", cells[who, FORMULA]
        assert why in cells[who, FORMULA].feedback and cells[who, FORMULA].points == 0
    assert cells["ann", FORMULA].status == "correct" and cells["eve", FORMULA].status == "wrong"
    assert grades.summary["blanks"][FORMULA]["not judged: over the budget"] == 3


def test_a_wrong_answer_within_the_budget_needs_no_proof(key):
    # tanh(a*b + c)*f = tanh(4)*(-2) ≈ -1.9987 at the point, not b*f = 6: the values settle
    # it, so SymPy's simplify (seconds on tanh) is not run.
    from symgrad.gradcheck.claims import judge_claims
    from symgrad.language.parser import parse
    row = judge_claims(parse(key["graph_program"]), POINT, {"a": "tanh(a*b + c)*f"}, proof="when needed")[0]
    assert row.verdict == "wrong" and row.proof.startswith("no symbolic proof tried")
    assert row.here == pytest.approx(-2 * 0.999329299739067, rel=1e-12)   # tanh(4), from tables
    assert judge_claims(parse(key["graph_program"]), POINT, {"a": "f*b"})[0].proof.startswith("SymPy proves")


def test_the_same_answer_shares_one_mark_and_missing_columns_are_not_stored(key):
    text = _csv([["id", NUMBER]] + [[f"s{k}", "6"] for k in range(50)])
    grades = sg.grade(key, text)
    marks = {id(s.cells[0]) for s in grades.students}
    assert len(marks) == 1 and all(len(s.cells) == 1 for s in grades.students)
    cells = grades.to_dict()["students"][0]["cells"]   # the dict still lists every blank of the key
    assert len(cells) == len(key["blanks"]) and sum(c["status"] == "missing column" for c in cells) == len(cells) - 1


# -- CSV in --------------------------------------------------------------------------------

def test_lone_cr_line_endings_are_read(key):
    grades = sg.grade(key, f"id,{NUMBER}\rann,6\rbob,5\r")
    assert [(s.student, s.score) for s in grades.students] == [("ann", 1), ("bob", 0)]


def test_one_cell_over_the_limit_is_refused_alone(key, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(f"id,{NUMBER},{FORMULA}\nann,{'6' * 131_073},b*f\nbob,6,b*f\n", encoding="utf-8")
    cells = _cells(sg.grade(key, str(path)))
    assert cells["ann", NUMBER].status == "malformed" and "131,072" in cells["ann", NUMBER].feedback
    assert cells["ann", FORMULA].status == "correct" and cells["bob", NUMBER].status == "correct"


# -- CSV out -------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", ["6\r=cmd|' /C calc'!A0", "-nan", "-inf", "+1_000", "\uff1dcmd|calc",
                                    " =1+2", "6\n=1+2"])
def test_csv_cells_a_spreadsheet_could_run_are_neutralised(key, answer):
    grades = sg.grade(key, _csv([["id", NUMBER], [answer, answer]]))
    for text in (grades.to_csv(), grades.feedback_csv()):
        rows = list(csv.reader(io.StringIO(text)))          # as a spreadsheet splits it
        assert len(rows) == 2, rows
        for cell in rows[1]:
            first = cell.lstrip(" ")[:1]
            assert cell.startswith("'") or first not in "=+-@\uff1d" or cell in ("-3",), (answer, cell)


def test_plain_numbers_stay_numbers_and_a_crafted_header_is_neutralised(key):
    crafted = dict(key, blanks=key["blanks"] + [{"id": "=HYPERLINK(\"http://x\")", "kind": "number", "value": 1.0}])
    grades = sg.grade(crafted, _csv([["id", NUMBER, '=HYPERLINK("http://x")'], ["ann", "-6", "1"]]))
    header, row = list(csv.reader(io.StringIO(grades.to_csv())))
    assert header[-1].startswith("'=") and "-6" not in row   # statuses, not answers, in to_csv
    feedback = list(csv.reader(io.StringIO(grades.feedback_csv())))
    assert [r[3] for r in feedback[1:]] == ["-6", "1"]


# -- terminal out --------------------------------------------------------------------------

def test_ids_and_headers_reach_the_terminal_escaped(key):
    evil = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\u202eevil"
    grades = sg.grade(key, _csv([["id", NUMBER, evil], [evil, "6", "1"]]))
    table = grades.table()
    assert "\x1b" not in table and "\x07" not in table and "\u202e" not in table
    assert "\\x1b" in table and "\\u202e" in table


# -- bad keys ------------------------------------------------------------------------------

@pytest.mark.parametrize("tamper", [
    lambda k: dict(k, tolerance=[1e-3, 1e-6]),
    lambda k: dict(k, blanks=[dict(b, derivative="d/da") if b["kind"] == "formula" else b for b in k["blanks"]]),
    lambda k: dict(k, blanks=[dict(b, derivative=dict(b["derivative"], node="zz"))
                              if b.get("derivative", {}).get("of") == "local" else b for b in k["blanks"]]),
    lambda k: dict(k, point=[2, -3]),
])
def test_tampered_keys_are_one_clear_error(key, tamper):
    text = _csv([["id"] + [b["id"] for b in key["blanks"]], ["ann"] + ["1"] * len(key["blanks"])])
    with pytest.raises(sg.InputError, match="key"):
        sg.grade(tamper(key), text)


def test_deeply_nested_key_json_is_an_input_error(tmp_path):
    path = tmp_path / "k.json"
    path.write_text("[" * 40_000 + "]" * 40_000)
    with pytest.raises(sg.InputError, match="nested too deeply"):
        sg.grade(str(path), "id,x\nann,1\n")


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x00", "\u202e"])
def test_control_characters_reach_the_csv_files_escaped(key, char):
    """An id (and an answer) carrying ESC, BEL, NUL or the right-to-left override is written to
    marks.csv and marks-feedback.csv escaped (``\\x1b``…), never raw."""
    evil = f"ann{char}[2Jx"
    grades = sg.grade(key, _csv([["id", NUMBER], [evil, f"6{char}"]]))
    for text in (grades.to_csv(), grades.feedback_csv()):
        assert char not in text, repr(text)
        assert "ann" + ascii(char)[1:-1] in text       # ann\x1b[2Jx, ann\u202e[2Jx: as the terminal shows it


def test_rows_that_are_not_dicts_are_one_clear_error(key):
    with pytest.raises(sg.SymgradError) as err:
        sg.grade(key, [["id", NUMBER], ["ann", "6"]])
    assert "row 1" in str(err.value) and "dict" in str(err.value) and err.value.hint
