"""A sheet whose program has a ``where`` grades end to end: its key's flat program is symgrad text
that keeps the where's condition and both branches, so formulas are judged on both sides.

Golden numbers by hand: y = where(x > 0, x^2, 0) at x = 4 has dy/dx = 2·4 = 8 (x > 0 there), the
closed form where(x > 0, 2x, 0), ∂y/∂t1 = 1 (the taken branch t1 = x^2 passes through), ∂t1/∂x = 2x.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import symgrad as sg
from symgrad.language.parser import parse
from symgrad.teaching.answer_key import answer_key
from symgrad.teaching.worksheet import blanked, build_worksheet

COLUMNS = "id,final1.backprop,final1.closed_form,step1.term1.local,step2.term1.local\n"


def _key(program: str, point: dict) -> dict:
    ws = build_worksheet(program, point)
    return answer_key(ws, blanked(ws))


def test_the_flat_program_of_a_where_parses_and_keeps_the_condition():
    key = _key("y = where(x > 0, x^2, 0)", {"x": 4.0})
    flat = parse(key["graph_program"])                    # no internal node name in it
    assert "where(x > 0" in key["graph_program"] and "taken" not in key["graph_program"]
    assert flat.output == "y"
    # names the sheet does not show (a, read only by the condition) are written out
    key = _key("a = x*2\ny = where(a > 1, log(x), x^2) + a", {"x": -3.0})
    parse(key["graph_program"])


def test_a_where_key_grades_a_right_and_a_wrong_student():
    key = _key("y = where(x > 0, x^2, 0)", {"x": 4.0})
    answers = COLUMNS + 'ann,8,"where(x > 0, 2*x, 0)",1,2*x\nbob,0,2*x,x,x\n'
    grades = sg.grade(key, answers)
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(grades.to_csv()))}
    assert rows["ann"]["score"] == "4" and {rows["ann"][c] for c in COLUMNS.strip().split(",")[1:]} == {"correct"}
    assert rows["bob"]["score"] == "0"
    assert rows["bob"]["final1.backprop"] == "wrong" and rows["bob"]["step1.term1.local"] == "wrong"
    assert rows["bob"]["final1.closed_form"] != "correct"   # 2x is wrong for x < 0


def test_the_cli_grades_a_where_key(tmp_path):
    sheet = tmp_path / "s2.md"
    run = [sys.executable, "-m", "symgrad"]
    made = subprocess.run(run + ["worksheet", "y = where(x > 0, x, 0)", "--at", "x=4", "--exercise",
                                 "-o", str(sheet)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    (tmp_path / "b.csv").write_text("id,final1.backprop\nann,1\nbob,0\n")
    out = subprocess.run(run + ["grade", str(tmp_path / "s2-key.json"), str(tmp_path / "b.csv")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = {line.split()[0]: line.split() for line in out.stdout.splitlines() if line[:3] in ("ann", "bob")}
    assert lines["ann"][-1] == "1/1" and lines["bob"][-1] == "0/1"
