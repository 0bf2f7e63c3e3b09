"""Grading a course: distinct claims judged once, on processes or any executor, with the same
grades as one at a time; duplicate ids; semicolon CSVs and decimal commas.

The lecture's L = (a*b + c)*f at a=2, b=-3, c=10, f=-2: dL/da = b*f = 6, ∂L/∂d = f = -2.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

import symgrad as sg
from symgrad.teaching import grade_pool
from symgrad.teaching.answer_key import answer_key
from symgrad.teaching.worksheet import blanked, build_worksheet

LECTURE = "e = a*b; d = e + c; L = d*f"
POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}


@pytest.fixture(scope="module")
def key():
    ws = build_worksheet(LECTURE, POINT)
    return answer_key(ws, blanked(ws), seed=5)


def _ids(key):
    where = {b["where"]: b["id"] for b in key["blanks"]}
    return where["final a / closed_form"], where["step L / term d / local"], where["final a / backprop"]


def _class(key, students=60):
    """Students answering dL/da as a formula (right spellings, wrong ones with a constant) and
    as a number; 30 distinct claims or more, so the pool path runs."""
    closed, local, number = _ids(key)
    rng = random.Random(9)
    rows = []
    for k in range(students):
        rows.append({"id": f"s{k}",
                     closed: rng.choice(["b*f", "f*b", "(b)*(f)", f"b*f + {k % 17}", "f", "", "b*"]),
                     local: rng.choice(["f", "d", f"f*{k % 13 + 1}", "f+0"]),
                     number: rng.choice(["6", "6,0", "-6", ""])})
    return rows


def test_pool_gives_the_same_grades_as_one_at_a_time(key):
    rows = _class(key)
    serial = sg.grade(key, rows, workers=1)
    pooled = sg.grade(key, rows, workers=2)
    threads = sg.grade(key, rows, executor=ThreadPoolExecutor(2))
    assert pooled.to_json() == serial.to_json() == threads.to_json()
    assert pooled.to_csv() == serial.to_csv()
    by_id = {s.student: {c.blank: c for c in s.cells} for s in serial.students}
    closed, local, number = _ids(key)
    for row in rows:   # hand marks: b*f in any spelling is right; "f" misses the factor b
        cell = by_id[row["id"]][closed]
        want = {"b*f": "correct", "f*b": "correct", "(b)*(f)": "correct", "f": "wrong", "": "blank",
                "b*": "malformed"}.get(row[closed], "wrong" if not row[closed].endswith("+ 0") else "correct")
        assert cell.status == want, row[closed]
        assert by_id[row["id"]][number].status == {"6": "correct", "6,0": "correct", "-6": "wrong",
                                                   "": "blank"}[row[number]]


class CountingExecutor:
    """An executor as Dask's or Ray's would be used: only ``map``; it counts the claims.
    Each job is (marker class, key payload, [(blank, answer), …])."""

    def __init__(self):
        self.claims = []

    def map(self, fn, jobs):
        jobs = list(jobs)
        self.claims += [item for _, _, chunk in jobs for item in chunk]
        return map(fn, jobs)


def test_each_distinct_claim_is_judged_once(key):
    rows = _class(key)
    counting = CountingExecutor()
    marks = sg.grade(key, rows, executor=counting)
    closed, local, _ = _ids(key)
    claims = [(b, text) for b, text in counting.claims]
    assert len(claims) == len(set(claims))
    # b*f and (b)*(f) are one claim (the same formula): only the first spelling met is judged
    spellings = {t for b, t in claims if b == closed and t in ("b*f", "(b)*(f)")}
    assert len(spellings) == 1
    distinct_texts = {(b, r[b]) for r in rows for b in (closed, local) if r[b] not in ("", "b*")}
    assert len(claims) < len(distinct_texts)
    assert marks.to_json() == sg.grade(key, rows, workers=1).to_json()


def test_few_claims_are_judged_in_process(key, monkeypatch):
    monkeypatch.setattr(grade_pool, "_default_executor", lambda n: pytest.fail("no pool for 2 claims"))
    closed, _, _ = _ids(key)
    assert sg.grade(key, [{"id": "a", closed: "b*f"}, {"id": "b", closed: "f"}]).students[0].score == 1


def test_duplicate_student_ids_are_flagged(key):
    closed, _, _ = _ids(key)
    marks = sg.grade(key, [{"id": "ana", closed: "b*f"}, {"id": "bo", closed: "f"}, {"id": "ana", closed: "f"}])
    assert [s.student for s in marks.students] == ["ana", "bo", "ana"]   # both rows still marked
    note = next(n for n in marks.notes if "more than one row" in n)
    assert "ana" in note and "bo" not in note
    assert "ana" in marks.table()


def test_semicolon_csv_is_detected_and_decimal_commas_read(key):
    closed, _, number = _ids(key)
    text = f"id;{number};{closed}\ns1;6,0;b*f\ns2;-6;f\n"
    marks = sg.grade(key, text)
    assert [s.score for s in marks.students] == [2, 0]
    assert not any("no blank of the key" in n for n in marks.notes)


def test_mixed_delimiters_are_named_in_the_error(key):
    _, _, number = _ids(key)
    with pytest.raises(sg.InputError, match="mixes ';' and ','"):
        sg.grade(key, f"student name;{number},x\ns1;6,0\n")
