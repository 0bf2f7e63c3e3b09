"""Marking a class: a 30-student CSV made here (right, wrong, blank and malformed cells, one
student on the wrong sheet), marked by ``sg.grade`` and ``symgrad grade``, against a hand count.

Right answers are the lecture's, derived by hand for L = (a*b + c)*f at a=2, b=-3, c=10, f=-2
(e = -6, d = 4, L = -8): dL/da = b*f = 6, dL/db = a*f = -4, dL/dc = f = -2, dL/df = a*b + c = 4;
local derivatives ∂L/∂d = f, ∂e/∂a = b.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys

import pytest

import symgrad as sg
from symgrad.teaching.answer_key import answer_key, key_json
from symgrad.teaching.worksheet import blanked, build_worksheet
from symgrad.teaching.worksheet_model import Blank

from helpers import ROOT  # noqa: E402
LECTURE = "e = a*b; d = e + c; L = d*f"
POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}

# where (as the key names it) -> (right, wrong, malformed); numbers as text, formulas in symgrad syntax
ANSWERS = {
    "final a / backprop": ("6", "-6", "six"),
    "final b / backprop": ("-4.0", "4", "4..0"),
    "final c / backprop": ("-2", "-2.5", "x"),
    "final f / backprop": ("4.0001", "5", "4 4"),          # within the default 1e-3 relative tolerance
    "final a / closed_form": ("b*f", "f", "b*"),           # "f" misses the factor ∂e/∂a = b
    "final f / closed_form": ("a*b + c", "a*b", "a b"),
    "step L / term d / local": ("f", "d", "f)"),
    "step e / term a / local": ("b", "-3", "b^"),          # "-3" is right at the point only
}


@pytest.fixture(scope="module")
def key():
    ws = build_worksheet(LECTURE, POINT)
    return answer_key(ws, blanked(ws), sheet=4, seed=11)


def _class(key: dict) -> tuple[str, dict[str, int], list[str]]:
    """The CSV text, each student's hand-counted score, and the blank ids used as columns."""
    ids = {b["where"]: b["id"] for b in key["blanks"]}
    columns = [ids[w] for w in ANSWERS]
    rng = random.Random(2024)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["student", "sheet"] + columns)
    expected = {}
    for k in range(30):
        student = f"s{k:02d}"
        kinds = [rng.choice(("right", "wrong", "blank", "malformed")) for _ in ANSWERS]
        cells = [{"right": r, "wrong": x, "blank": "", "malformed": m}[kind]
                 for kind, (r, x, m) in zip(kinds, ANSWERS.values())]
        sheet = "5" if k == 29 else "4"                  # the last student handed in another sheet
        w.writerow([student, sheet] + cells)
        expected[student] = 0 if k == 29 else kinds.count("right")
    return out.getvalue(), expected, columns


def test_thirty_students_match_the_hand_count(key):
    text, expected, columns = _class(key)
    grades = sg.grade(key, text)
    assert [s.student for s in grades.students] == sorted(expected)
    assert {s.student: s.score for s in grades.students} == expected
    assert all(s.out_of == len(ANSWERS) for s in grades.students)
    assert sorted(grades.blanks) == sorted(columns)   # in the key's order
    rows = list(csv.DictReader(io.StringIO(text)))
    for s, row in zip(grades.students, rows):
        for cell in s.cells:
            if cell.blank not in columns:
                assert cell.status == "missing column"
                continue
            given = row[cell.blank]
            if s.student == "s29":
                assert cell.status == "wrong sheet" and "sheet 5" in cell.feedback and "sheet 4" in cell.feedback
                continue
            where = next(b["where"] for b in key["blanks"] if b["id"] == cell.blank)
            right, wrong, malformed = ANSWERS[where]
            status = {right: "correct", "": "blank", malformed: "malformed"}.get(given)
            if status is None:                       # the wrong answer
                assert cell.status in ("wrong", "correct here, wrong elsewhere") and cell.points == 0
                assert cell.feedback
            else:
                assert cell.status == status, (s.student, cell)
                assert cell.points == (status == "correct")
                assert bool(cell.feedback) == (status != "correct")
    summary = grades.summary
    assert summary["students"] == 30
    assert summary["mean"] == pytest.approx(sum(expected.values()) / 30)
    assert summary["blanks"][columns[0]].get("correct", 0) == sum(
        1 for row in rows if row[columns[0]] == "6" and row["sheet"] == "4")
    assert any("not marked" in note for note in grades.notes)   # blanks without a column are named


def test_feedback_names_the_mistake(key):
    ids = {b["where"]: b["id"] for b in key["blanks"]}
    text = ("id," + ",".join(ids[w] for w in ANSWERS) + "\n" +
            "ann," + ",".join(x for _, x, _ in ANSWERS.values()) + "\n")
    cells = {c.blank: c for c in sg.grade(key, text).students[0].cells}
    assert "missing chain-rule factor ∂e/∂a = b" in cells[ids["final a / closed_form"]].feedback
    assert cells[ids["step e / term a / local"]].status == "correct here, wrong elsewhere"
    assert "expected 6, got -6" in cells[ids["final a / backprop"]].feedback


def test_keys_for_several_sheets_and_bad_rows(key):
    other = dict(key, sheet=5)
    text = "id,sheet,final1.backprop\nann,4,6\nbob,5,6\ncyd,seven,6\ndan,,6\n"
    grades = sg.grade([key, other], text)
    status = {s.student: s.cells[0].status if s.cells else None for s in grades.students}
    marks = {s.student: [c for c in s.cells if c.blank == "final1.backprop"][0] for s in grades.students}
    assert marks["ann"].status == marks["bob"].status == "correct"
    assert marks["cyd"].status == "wrong sheet" and "not a whole number" in marks["cyd"].feedback
    assert marks["dan"].status == "wrong sheet" and "several keys" in marks["dan"].feedback
    assert set(status) == {"ann", "bob", "cyd", "dan"}


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "symgrad", *args], env=env, cwd=cwd, capture_output=True, text=True)


def test_cli_outputs_and_fatal_errors(key, tmp_path):
    text, expected, columns = _class(key)
    (tmp_path / "key.json").write_text(json.dumps(key))
    (tmp_path / "answers.csv").write_text(text)
    proc = _cli("grade", "key.json", "answers.csv", "--csv", "marks.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "class: 30 students" in proc.stdout
    marks = list(csv.DictReader((tmp_path / "marks.csv").open()))
    assert {m["student"]: int(m["score"]) for m in marks} == expected
    feedback = list(csv.DictReader((tmp_path / "marks-feedback.csv").open()))
    assert len(feedback) == 30 * len(columns)
    proc = _cli("grade", "key.json", "answers.csv", "--json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert {s["student"]: s["score"] for s in data["students"]} == expected
    # errors that stop everything: one line, exit 2
    (tmp_path / "noid.csv").write_text("who,final1.backprop\nann,6\n")
    (tmp_path / "bad.json").write_text("{not json")
    for args in (("key.json", "noid.csv"), ("bad.json", "answers.csv"), ("missing.json", "answers.csv"),
                 ("answers.csv",)):
        proc = _cli("grade", *args, cwd=tmp_path)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and proc.stderr.startswith("symgrad: error:"), \
            (args, proc.stderr)


def test_key_is_generic_and_deterministic(key):
    ws = build_worksheet(LECTURE, POINT)
    assert key_json(ws, sheet=4, seed=11) == key_json(build_worksheet(LECTURE, POINT), sheet=4, seed=11)
    assert key["sheet"] == 4 and key["seed"] == 11 and key["point"] == POINT
    ids = [b["id"] for b in key["blanks"]]
    assert len(ids) == len(set(ids))
    by = {b["where"]: b for b in key["blanks"]}
    assert by["final a / backprop"]["value"] == 6.0 and by["final a / closed_form"]["kind"] == "formula"
    assert by["step e / term a / local"]["derivative"] == {"of": "local", "node": "e", "child": "a", "arg": 0}
    # every blank of the sheet is in the key: the blanked sheet's Blank fields, found by the walk
    sheet = blanked(ws)
    assert sum(1 for s in sheet.steps for t in s.terms for f in ("local", "local_value", "upstream", "product")
               if isinstance(getattr(t, f), Blank)) == sum(1 for i in ids if i.startswith("step") and ".term" in i)


def test_class_sets_write_numbered_keys(tmp_path):
    proc = _cli("worksheet", "y = log(x) * sqrt(z)", "--count", "2", "--seed", "3", "-o", "s.md", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    keys = [json.loads((tmp_path / f"s-{k}-key.json").read_text()) for k in (1, 2)]
    assert [k["sheet"] for k in keys] == [1, 2] and all(k["seed"] == 3 for k in keys)
    assert keys[0]["point"] != keys[1]["point"]
    text = "id,sheet,final1.backprop\nann,1,{}\nbob,2,{}\n".format(
        *(next(b["value"] for b in k["blanks"] if b["id"] == "final1.backprop") for k in keys))
    assert [s.score for s in sg.grade(keys, text).students] == [1, 1]


def test_broken_keys_and_tolerances_are_clear_errors(key):
    for broken in ({"format": "other"}, dict(key, blanks=[{"id": "x"}]), dict(key, sheet="4"),
                   dict(key, blanks=[{"id": "x", "kind": "number", "value": float("nan")}])):
        with pytest.raises(sg.InputError):
            sg.grade(broken, "id,x\nann,1\n")
    with pytest.raises(sg.InputError, match="rtol"):
        sg.grade(key, "id,final1.backprop\nann,6\n", rtol=-1)
    with pytest.raises(sg.InputError, match="no id column"):
        sg.grade(key, "who,final1.backprop\nann,6\n")


def test_blanks_are_found_generically_in_any_dataclass_tree():
    # A worksheet of another shape (fields added, renamed or nested) keeps working: the walk
    # knows dataclasses, tuples, table rows and Blank, nothing of the Worksheet itself.
    from dataclasses import dataclass, field, replace

    from symgrad.teaching.answer_key import blanks_of

    @dataclass(frozen=True)
    class Formula:
        latex: str

    @dataclass(frozen=True)
    class Part:
        name: str
        value: float | None
        rule: Formula | None
        flag: bool = True

    @dataclass(frozen=True)
    class Sheet:
        title: str
        parts: tuple[Part, ...]
        total: float | None
        extra: tuple[float, ...] = ()
        rows: tuple[tuple, ...] = ()
        cache: object = field(default=None, compare=False)

    full = Sheet("t", (Part("x", 1.5, Formula("2x")), Part("y", 2.0, None)), 3.5, (1.0,), (("z", 4.0, 8.0),),
                 cache=7.0)
    blank = replace(full, parts=tuple(replace(p, value=Blank(f"part{i}.value"), rule=p.rule and Blank(f"part{i}.rule"))
                                      for i, p in enumerate(full.parts, 1)),
                    total=Blank("total"), rows=(("z", 4.0, Blank("row1.grad")),), cache=None)
    found = [(bid, where, value) for bid, where, _, _, value in blanks_of(full, blank)]
    assert found == [("part1.value", "part x / value", 1.5), ("part1.rule", "part x / rule", Formula("2x")),
                     ("part2.value", "part y / value", 2.0), ("total", "total", 3.5),
                     ("row1.grad", "row z / grad", 8.0)]


def test_answers_are_read_bounded_and_csv_output_is_not_a_spreadsheet_formula(tmp_path):
    from symgrad.interface.cli.main import main
    key = tmp_path / "s.md"
    assert main(["worksheet", "e = a*b; d = e + c; L = d*f", "--at", "a=2", "b=-3", "c=10", "f=-2",
                 "--exercise", "-o", str(key)]) == 0
    key_json = tmp_path / "s-key.json"
    with pytest.raises(sg.InputError, match="over 20,000,000 characters"):
        sg.grade(str(key_json), "/dev/zero")
    answers = tmp_path / "a.csv"
    answers.write_text("student,grad_a\n=cmd|calc,=1+2\nbob,-3\n", encoding="utf-8")
    out = sg.grade(str(key_json), str(answers)).to_csv()
    assert "\n'=cmd|calc," in out and "\nbob," in out and "\n=cmd" not in out
