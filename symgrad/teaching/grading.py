"""Marking a class's answers against exercise answer keys (``teaching.answer_key``): ``sg.grade``
(the ``symgrad grade`` command is in ``interface.cli.grade``).

- a number cell is right when ``|answer − value| ≤ atol + rtol·|value|`` (``RTOL`` = 1e-3,
  ``ATOL`` = 1e-6 by default: three significant digits; the sheet prints six). A cell may be a
  decimal number or a constant expression in symgrad's grammar (``-3/2``);
- a formula cell is judged as a claim (``symgrad.gradcheck.claims``): only ``correct`` scores;
- each right cell scores 1 point. A blank, unparsable, missing (no column) or wrong-sheet cell
  scores 0 and says why; no bad cell stops the rest of the class.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
import statistics
from typing import Any

from .answer_key import ATOL, RTOL, _is_number, load_key, local_form
from ..base.errors import InputError, SymgradError

__all__ = ["grade", "Grades", "StudentMark", "CellMark"]

ID_COLUMNS = ("id", "student", "student_id", "name")
STATUSES = ("correct", "wrong", "correct here, wrong elsewhere", "unverified", "blank", "malformed",
            "missing column", "wrong sheet")


# -- marking -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CellMark:
    blank: str
    answer: str
    status: str          # one of STATUSES
    points: int
    feedback: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class StudentMark:
    student: str
    sheet: int | None
    score: int
    out_of: int
    cells: tuple[CellMark, ...]

    def to_dict(self) -> dict:
        return {"student": self.student, "sheet": self.sheet, "score": self.score, "out_of": self.out_of,
                "cells": [c.to_dict() for c in self.cells]}


class Grades:
    """A class's marks: ``students`` (StudentMark), ``blanks`` (the key's ids that have a column
    in the answers), ``summary``. Blanks without a column are listed in ``notes``, and as
    ``missing column`` cells in ``to_dict`` only.

    ``to_dict``/``to_json``, ``to_csv`` (one row per student: score and each blank's status),
    ``feedback_csv`` (one row per student and blank) and ``table`` (a short text summary).
    """

    def __init__(self, students: list[StudentMark], blanks: list[str], notes: list[str]) -> None:
        self.students, self.blanks, self.notes = students, blanks, notes

    @property
    def summary(self) -> dict:
        scores = [s.score for s in self.students]
        per_blank = {}
        for b in self.blanks:
            counts = {st: 0 for st in STATUSES}
            for s in self.students:
                for c in s.cells:
                    if c.blank == b:
                        counts[c.status] += 1
            per_blank[b] = {k: v for k, v in counts.items() if v}
        return {"students": len(scores), "mean": statistics.fmean(scores) if scores else None,
                "median": statistics.median(scores) if scores else None,
                "min": min(scores, default=None), "max": max(scores, default=None), "blanks": per_blank}

    def to_dict(self) -> dict:
        return {"summary": self.summary, "notes": list(self.notes), "students": [s.to_dict() for s in self.students]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    @staticmethod
    def _row(cells: list) -> list:
        # A student's text that a spreadsheet would run as a formula (=, +, -, @) gets a leading '.
        return ["'" + c if isinstance(c, str) and c[:1] in _FORMULA_START and not _plain_number(c) else c
                for c in cells]

    def to_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["student", "sheet", "score", "out_of"] + self.blanks)
        for s in self.students:
            status = {c.blank: c.status for c in s.cells}
            w.writerow(self._row([s.student, "" if s.sheet is None else s.sheet, s.score, s.out_of] +
                                 [status.get(b, "") for b in self.blanks]))
        return out.getvalue()

    def feedback_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["student", "sheet", "blank", "answer", "status", "points", "feedback"])
        for s in self.students:
            for c in s.cells:
                if c.status == "missing column":
                    continue
                w.writerow(self._row([s.student, "" if s.sheet is None else s.sheet, c.blank, c.answer, c.status,
                                      c.points, c.feedback]))
        return out.getvalue()

    def table(self, width: int = 20) -> str:
        lines = [f"{'student':<{width}} {'sheet':>5} {'score':>9}"]
        for s in self.students:
            bad = sum(c.status in ("malformed", "wrong sheet") for c in s.cells)
            lines.append(f"{s.student[:width]:<{width}} {'' if s.sheet is None else s.sheet:>5} "
                         f"{f'{s.score}/{s.out_of}':>9}" + (f"  ({bad} bad cell{'s' * (bad != 1)})" if bad else ""))
        summary = self.summary
        if summary["students"]:
            lines.append(f"class: {summary['students']} students, mean {summary['mean']:.2f}, "
                         f"median {summary['median']:g}, min {summary['min']}, max {summary['max']}")
        hardest = sorted(((v.get("correct", 0), b) for b, v in summary["blanks"].items()), key=lambda x: x[0])[:3]
        if hardest and summary["students"]:
            lines.append("fewest right: " + ", ".join(f"{b} ({n}/{summary['students']})" for n, b in hardest))
        lines += self.notes
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


MAX_FILE_CHARS = 20_000_000    # an answers CSV (about 100,000 students × 20 blanks)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_answers(answers: Any) -> tuple[list[str], list[dict[str, str]]]:
    """CSV text, a path, or rows (dicts) → (header, rows). Raises InputError."""
    if isinstance(answers, list):
        rows = [dict(r) for r in answers]
        header = list(dict.fromkeys(k for r in rows for k in r))
        return header, rows
    text = answers
    if not (isinstance(answers, str) and "\n" in answers):
        try:
            with open(answers, encoding="utf-8-sig", newline="") as fh:
                text = fh.read(MAX_FILE_CHARS + 1)   # bounded: /dev/zero or a runaway file is refused
            if len(text) > MAX_FILE_CHARS:
                raise InputError(f"the answers {str(answers)[:80]} are over {MAX_FILE_CHARS:,} characters",
                                 hint="grade the class in parts")
        except (OSError, UnicodeDecodeError, TypeError) as err:
            raise InputError(f"cannot read the answers {str(answers)[:80]}: "
                             f"{getattr(err, 'strerror', None) or err}") from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        rows = [{(k or "").strip(): (v if isinstance(v, str) else "") for k, v in r.items()} for r in reader]
        header = [(h or "").strip() for h in (reader.fieldnames or [])]
    except csv.Error as err:
        raise InputError(f"the answers are not a readable CSV: {err}") from None
    return header, rows


def grade(key: Any, answers: Any, *, rtol: float | None = None, atol: float | None = None,
          seed: int = 0) -> Grades:
    """Mark a class's answers against one key or several (one per sheet number).

    ``key``: a key dict or a path to NAME-key.json, or a list of them. ``answers``: a CSV path
    or text (or a list of row dicts) with an id column (``id``, ``student``, ``student_id`` or
    ``name``), optionally a ``sheet`` column, and one column per blank id. Raises InputError only
    when nothing can be marked (no key, no id column); every bad cell is reported in its row.
    """
    keys = [load_key(k) for k in (key if isinstance(key, (list, tuple)) else [key])]
    if not keys:
        raise InputError("no answer key given")
    by_sheet = {k.get("sheet"): k for k in keys}
    header, rows = read_answers(answers)
    lower = {h.lower(): h for h in header}
    id_col = next((lower[c] for c in ID_COLUMNS if c in lower), None)
    if id_col is None:
        raise InputError("the answers have no id column", hint=f"name one column {' or '.join(ID_COLUMNS)}")
    sheet_col = lower.get("sheet")
    blank_ids = list(dict.fromkeys(b["id"] for k in keys for b in k["blanks"]))
    notes = []
    missing = [b for b in blank_ids if b not in header]
    if missing:
        notes.append(f"no column for {len(missing)} blank{'s' * (len(missing) != 1)} (not marked): "
                     + ", ".join(missing[:8]) + (" …" if len(missing) > 8 else ""))
    unknown = [h for h in header if h not in blank_ids and h not in (id_col, sheet_col)]
    if unknown:
        notes.append("columns that are no blank of the key (ignored): " + ", ".join(unknown[:8]))
    markers: dict[Any, _Marker] = {}
    students = []
    for n, row in enumerate(rows, start=2):
        student = row.get(id_col, "").strip() or f"(row {n})"
        raw_sheet = row.get(sheet_col, "").strip() if sheet_col else ""
        key_for, sheet, problem = _pick_key(keys, by_sheet, raw_sheet)
        if key_for is None:
            cells = tuple(CellMark(b, row.get(b, ""), "wrong sheet", 0, problem) for b in blank_ids if b in header)
            students.append(StudentMark(student, sheet, 0, len(cells), cells))
            continue
        marker = markers.setdefault(key_for.get("sheet"), _Marker(key_for, rtol, atol, seed))
        cells = tuple(marker.mark(b, row[b] if b in row else None) for b in (e["id"] for e in key_for["blanks"]))
        scored = [c for c in cells if c.status != "missing column"]
        students.append(StudentMark(student, sheet, sum(c.points for c in cells), len(scored), cells))
    return Grades(students, [b for b in blank_ids if b in header], notes)


def _pick_key(keys: list[dict], by_sheet: dict, raw: str) -> tuple[dict | None, int | None, str]:
    if not raw:
        if len(keys) == 1:
            return keys[0], keys[0].get("sheet"), ""
        return None, None, "no sheet number in this row, and there are several keys"
    if not re.fullmatch(r"\s*\d+\s*", raw):
        return None, None, f"the sheet number {raw[:20]!r} is not a whole number"
    sheet = int(raw)
    if sheet in by_sheet:
        return by_sheet[sheet], sheet, ""
    if len(keys) == 1 and keys[0].get("sheet") is None:
        return keys[0], sheet, ""
    have = ", ".join(str(s) for s in by_sheet)
    return None, sheet, f"these answers are for sheet {sheet}, but the key is for sheet {have}"


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class _Marker:
    """Marks the cells of one key; formula verdicts are cached per (blank, parsed formula)."""

    def __init__(self, key: dict, rtol: float | None, atol: float | None, seed: int) -> None:
        from ..language.parser import parse
        self.key, self.seed = key, seed
        tol = key.get("tolerance") or {}
        self.rtol = _tolerance("rtol", tol.get("rtol", RTOL) if rtol is None else rtol)
        self.atol = _tolerance("atol", tol.get("atol", ATOL) if atol is None else atol)
        self.blanks = {b["id"]: b for b in key["blanks"]}
        try:
            self.program = parse(key["graph_program"])
            self.point = {k: float(v) for k, v in key["point"].items()}
        except (SymgradError, KeyError, TypeError, ValueError, AttributeError) as err:
            raise InputError(f"the key's program or point is broken: {err}") from None
        self.cache: dict[tuple[str, str], CellMark] = {}

    def mark(self, bid: str, raw: str | None) -> CellMark:
        if raw is None:
            return CellMark(bid, "", "missing column", 0, f"no column {bid} in the answers: not marked")
        text = raw.strip()
        if not text:
            return CellMark(bid, raw, "blank", 0, "no answer")
        entry = self.blanks[bid]
        if entry["kind"] == "number":
            return self._number(entry, raw, text)
        return self._formula(entry, raw, text)

    def _number(self, entry: dict, raw: str, text: str) -> CellMark:
        value, problem = _read_number(text)
        if value is None:
            return CellMark(entry["id"], raw, "malformed", 0, problem)
        right = entry["value"]
        if abs(value - right) <= self.atol + self.rtol * abs(right):
            return CellMark(entry["id"], raw, "correct", 1, "")
        return CellMark(entry["id"], raw, "wrong", 0, f"expected {right:.6g}, got {value:.6g} "
                        f"(tolerance {self.rtol:g} relative)")

    def _formula(self, entry: dict, raw: str, text: str) -> CellMark:
        from ..gradcheck.claims import CORRECT, judge_claims, judge_expression, parse_claim
        from ..language.printing import unparse
        try:
            canonical = unparse(parse_claim(self.program, text, what=f"the formula in {entry['id']}"))
        except SymgradError as err:
            return CellMark(entry["id"], raw, "malformed", 0, err.summary)
        cached = self.cache.get((entry["id"], canonical))
        if cached is not None:
            return dataclasses.replace(cached, answer=raw)
        d = entry.get("derivative") or {}
        try:
            if d.get("of") == "partial":
                row = judge_claims(self.program, self.point, {d["name"]: text}, seed=self.seed)[0]
            elif d.get("of") == "local":
                row = judge_expression(self.program, self.point, text, local_form(self.program, d["node"], d["arg"]),
                                       label=f"the formula in {entry['id']}", seed=self.seed)
            else:
                return CellMark(entry["id"], raw, "unverified", 0, "the key says not what this formula is: "
                                "mark it by hand")
        except SymgradError as err:
            return CellMark(entry["id"], raw, "malformed", 0, err.summary)
        except (ArithmeticError, ValueError, TypeError, RecursionError) as err:  # never stop the class
            return CellMark(entry["id"], raw, "unverified", 0, f"could not judge this formula "
                            f"({type(err).__name__}); mark it by hand, and please report it")
        mark = CellMark(entry["id"], raw, row.verdict, int(row.verdict == CORRECT),
                        "" if row.verdict == CORRECT else row.message)
        self.cache[(entry["id"], canonical)] = mark
        return mark


def _tolerance(name: str, value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a finite number >= 0, got {value!r:.40}")
    return float(value)


def _read_number(text: str) -> tuple[float | None, str]:
    """A decimal number, or a constant expression in symgrad's grammar (``-3/2``, ``1 - 0.5^2``)."""
    from ..engine.backprop import backprop
    from ..language.parser import parse
    t = text.replace("\u2212", "-").replace(",", ".") if text.count(",") == 1 and "." not in text else \
        text.replace("\u2212", "-")
    if _NUMBER.fullmatch(t):
        return float(t), ""
    try:
        prog = parse(t)
        if prog.inputs:
            return None, f"{text[:40]!r} is not a number (it reads {', '.join(prog.inputs)}); write a number here"
        return backprop(prog, {}).value, ""
    except SymgradError as err:
        return None, f"{text[:40]!r} is not a number ({err.summary})"
