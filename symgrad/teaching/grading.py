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

import dataclasses
import json
import math
import re
import statistics
from typing import Any

from .answer_key import ATOL, RTOL, _is_number, check_local, load_key, local_form
from .cell_budget import OVER_BUDGET, CellBudget, cost_of, key_nesting
from .class_csv import MAX_CELL_CHARS, cell_too_long, csv_text, read_answers
from .grade_pool import prejudge
from ..base.errors import InputError, LimitError, SymgradError, escape_text, safe_line

__all__ = ["grade", "Grades", "StudentMark", "CellMark"]

ID_COLUMNS = ("id", "student", "student_id", "name")
STATUSES = ("correct", "wrong", "correct here, wrong elsewhere", "unverified", OVER_BUDGET, "blank", "malformed",
            "missing column", "wrong sheet")


# -- marking -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class CellMark:
    blank: str
    answer: str
    status: str          # one of STATUSES
    points: int
    feedback: str

    def to_dict(self) -> dict:
        return {f: getattr(self, f) for f in ("blank", "answer", "status", "points", "feedback")}


@dataclasses.dataclass(frozen=True, slots=True)
class StudentMark:
    """One student's marks: ``cells`` for the blanks that have a column (the same answer to
    the same blank shares one CellMark, so a class costs about one tuple per student)."""
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
    ``feedback_csv`` (one row per student and blank) and ``table`` (a short text summary, safe
    for a terminal: ids and column names have their control and bidi characters escaped).
    CSV cells a spreadsheet could run are neutralised (``class_csv.spreadsheet_cell``).
    """

    def __init__(self, students: list[StudentMark], blanks: list[str], notes: list[str],
                 missing: list[str] | None = None) -> None:
        self.students, self.blanks, self.notes = students, blanks, notes
        self.missing = list(missing or [])

    @property
    def summary(self) -> dict:
        scores = [s.score for s in self.students]
        per_blank: dict[str, dict[str, int]] = {b: {} for b in self.blanks}
        for s in self.students:
            for c in s.cells:
                counts = per_blank.setdefault(c.blank, {})
                counts[c.status] = counts.get(c.status, 0) + 1
        per_blank = {b: {st: v[st] for st in STATUSES if st in v} for b, v in per_blank.items() if b in self.blanks}
        return {"students": len(scores), "mean": statistics.fmean(scores) if scores else None,
                "median": statistics.median(scores) if scores else None,
                "min": min(scores, default=None), "max": max(scores, default=None), "blanks": per_blank}

    def to_dict(self) -> dict:
        missing = [CellMark(b, "", "missing column", 0, f"no column {b} in the answers: not marked").to_dict()
                   for b in self.missing]
        students = []
        for s in self.students:
            d = s.to_dict()
            if not any(c.status == "wrong sheet" for c in s.cells):
                d["cells"] += missing
            students.append(d)
        return {"summary": self.summary, "notes": list(self.notes), "students": students}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def to_csv(self) -> str:
        def rows():
            yield ["student", "sheet", "score", "out_of"] + self.blanks
            for s in self.students:
                status = {c.blank: c.status for c in s.cells}
                yield [s.student, "" if s.sheet is None else s.sheet, s.score, s.out_of] + \
                    [status.get(b, "") for b in self.blanks]
        return csv_text(rows())

    def feedback_csv(self) -> str:
        def rows():
            yield ["student", "sheet", "blank", "answer", "status", "points", "feedback"]
            for s in self.students:
                for c in s.cells:
                    yield [s.student, "" if s.sheet is None else s.sheet, c.blank, c.answer, c.status,
                           c.points, c.feedback]
        return csv_text(rows())

    def table(self, width: int = 20) -> str:
        lines = [f"{'student':<{width}} {'sheet':>5} {'score':>9}"]
        for s in self.students:
            bad = sum(c.status in ("malformed", "wrong sheet") for c in s.cells)
            name = escape_text(s.student, width) if not (s.student.isascii() and s.student.isprintable()) \
                else s.student[:width]
            lines.append(f"{name:<{width}} {'' if s.sheet is None else s.sheet:>5} "
                         f"{f'{s.score}/{s.out_of}':>9}" + (f"  ({bad} bad cell{'s' * (bad != 1)})" if bad else ""))
        summary = self.summary
        if summary["students"]:
            lines.append(f"class: {summary['students']} students, mean {summary['mean']:.2f}, "
                         f"median {summary['median']:g}, min {summary['min']}, max {summary['max']}")
        hardest = sorted(((v.get("correct", 0), b) for b, v in summary["blanks"].items()), key=lambda x: x[0])[:3]
        if hardest and summary["students"]:
            lines.append("fewest right: " + ", ".join(f"{escape_text(b)} ({n}/{summary['students']})"
                                                     for n, b in hardest))
        lines += [safe_line(n) for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def grade(key: Any, answers: Any, *, rtol: float | None = None, atol: float | None = None,
          seed: int = 0, budget: CellBudget | None = None, workers: int | None = None,
          executor: Any = None) -> Grades:
    """Mark a class's answers against one key or several (one per sheet number).

    ``key``: a key dict or a path to NAME-key.json, or a list of them. ``answers``: a CSV path
    or text (or a list of row dicts) with an id column (``id``, ``student``, ``student_id`` or
    ``name``), optionally a ``sheet`` column, and one column per blank id. Raises InputError only
    when nothing can be marked (no key, no id column); every bad cell is reported in its row.
    ``budget`` (``CellBudget``) bounds one formula cell's work by its structure: a cell over it
    whose values do not settle its mark is "not judged: over the budget".

    Each key's program is parsed once; each distinct answer to a blank is parsed once, and each
    distinct claim (answers that parse to the same formula) is judged once. The distinct claims
    are judged first on ``workers`` processes (default: every core) or on ``executor`` (anything
    with ``map``: Dask's ``client.get_executor()``, Ray's ``ray.util.multiprocessing.Pool()``;
    ``teaching.grade_pool``); the grades are the same as one at a time, on any executor.
    Two rows with the same student id are both marked and named in ``notes``.
    """
    keys = [load_key(k) for k in (key if isinstance(key, (list, tuple)) else [key])]
    if not keys:
        raise InputError("no answer key given")
    budget = budget or CellBudget()
    by_sheet = {k.get("sheet"): k for k in keys}
    markers = {k.get("sheet"): _Marker(k, rtol, atol, seed, budget) for k in keys}
    header, rows = read_answers(answers)
    lower = {h.lower(): h for h in header}
    id_col = next((lower[c] for c in ID_COLUMNS if c in lower), None)
    if id_col is None:
        if any(";" in h for h in header):
            raise InputError("the answers have no id column: the header line mixes ';' and ','",
                             hint="save the CSV with one delimiter: commas, or semicolons (decimal commas "
                                  "such as 2,5 are read as 2.5)")
        raise InputError("the answers have no id column", hint=f"name one column {' or '.join(ID_COLUMNS)}")
    column = {}
    for i, h in enumerate(header):
        column.setdefault(h, i)
    sheet_col = lower.get("sheet")
    blank_ids = list(dict.fromkeys(b["id"] for k in keys for b in k["blanks"]))
    notes = []
    missing = [b for b in blank_ids if b not in column]
    if missing:
        notes.append(f"no column for {len(missing)} blank{'s' * (len(missing) != 1)} (not marked): "
                     + ", ".join(missing[:8]) + (" …" if len(missing) > 8 else ""))
    unknown = [h for h in header if h not in blank_ids and h not in (id_col, sheet_col)]
    if unknown:
        notes.append("columns that are no blank of the key (ignored): " + ", ".join(unknown[:8]))
    present = [b for b in blank_ids if b in column]
    rows = list(rows)

    def cell_of(cells: list[str], name: str) -> str:
        i = column[name]
        return cells[i] if i < len(cells) else ""
    wanted: dict = {}
    for n, cells in rows:   # the formula answers, in the order one-at-a-time marking meets them
        key_for = _pick_key(keys, by_sheet, cell_of(cells, sheet_col).strip()[:40] if sheet_col else "")[0]
        if key_for is not None:
            marker = markers[key_for.get("sheet")]
            wanted.setdefault(key_for.get("sheet"), []).extend(
                (b, cell_of(cells, b)) for b in marker.formulas if b in column)
    prejudge(markers, {k: list(dict.fromkeys(v)) for k, v in wanted.items()}, workers=workers, executor=executor)
    students = []
    for n, cells in rows:
        def cell(name: str) -> str:
            return cell_of(cells, name)
        raw_id = cell(id_col)
        student = ("(row %d: id over %d characters)" % (n, MAX_CELL_CHARS) if cell_too_long(raw_id)
                   else raw_id.strip()) or f"(row {n})"
        raw_sheet = cell(sheet_col).strip() if sheet_col else ""
        key_for, sheet, problem = _pick_key(keys, by_sheet, raw_sheet[:40])
        if key_for is None:
            marks = tuple(CellMark(b, cell(b), "wrong sheet", 0, problem) for b in present)
            students.append(StudentMark(student, sheet, 0, len(marks), marks))
            continue
        marker = markers[key_for.get("sheet")]
        marks = tuple(marker.mark(b, cell(b)) for b in marker.order if b in column)
        students.append(StudentMark(student, sheet, sum(c.points for c in marks), len(marks), marks))
    notes += _duplicate_ids(students)
    return Grades(students, present, notes, missing)


def _duplicate_ids(students: list[StudentMark]) -> list[str]:
    """A note naming each student id given on more than one row (each row is still marked)."""
    count: dict[str, int] = {}
    for s in students:
        count[s.student] = count.get(s.student, 0) + 1
    twice = [escape_text(sid, 40) for sid, n in count.items() if n > 1]
    if not twice:
        return []
    return [f"student id{'s' * (len(twice) != 1)} on more than one row (each row is marked; keep one): "
            + ", ".join(twice[:8]) + (" …" if len(twice) > 8 else "")]


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
    """Marks the cells of one key. The key's program is parsed once; each distinct (blank,
    answer) is marked once and its CellMark shared, and formula verdicts are also cached per
    (blank, parsed formula)."""

    def __init__(self, key: dict, rtol: float | None, atol: float | None, seed: int, budget: CellBudget) -> None:
        from ..language.parser import parse
        self.key, self.seed, self.budget = key, seed, budget
        tol = key.get("tolerance") or {}
        self.rtol = _tolerance("rtol", tol.get("rtol", RTOL) if rtol is None else rtol)
        self.atol = _tolerance("atol", tol.get("atol", ATOL) if atol is None else atol)
        self.blanks = {b["id"]: b for b in key["blanks"]}
        self.order = list(self.blanks)
        self.tensor = None
        try:
            self.program = parse(key["graph_program"])
            if key.get("tensor") is True:      # the backprop-ninja exercise: one exact state for the class
                from ..gradcheck.tensor_claims import TensorClaims
                self.tensor = TensorClaims(self.program, key["point"], seed=seed)
                self.point = key["point"]
            else:
                self.point = {k: float(v) for k, v in key["point"].items()}
        except (SymgradError, KeyError, TypeError, ValueError, AttributeError) as err:
            raise InputError(f"the key's program or point is broken: {err}") from None
        for entry in key["blanks"]:
            d = entry.get("derivative")
            if entry["kind"] == "formula" and d["of"] == "local":
                check_local(self.program, d["node"], d["arg"])
        self.nesting = key_nesting(self.program) if self.tensor is None else None
        self.formulas = [b for b in self.order if self.blanks[b]["kind"] == "formula"]
        self.payload = (key, rtol, atol, seed, budget)   # what a worker process needs to rebuild this
        self.seen: dict[tuple[str, str], CellMark] = {}
        self.cache: dict[tuple[str, str], CellMark] = {}
        self.parsed: dict[tuple[str, str], Any] = {}     # (blank, text) -> (claim, canonical) or a CellMark
        self.forms: dict[tuple[str, int], Any] = {}

    def _local_form(self, node: str, arg: int) -> Any:
        """The key's ∂node/∂arg in SymPy, built once per marker (every answer to it reads it)."""
        form = self.forms.get((node, arg))
        if form is None:
            form = self.forms[(node, arg)] = local_form(self.program, node, arg)
        return form

    def canonical(self, bid: str, raw: str) -> str | None:
        """The canonical text of a formula answer, or None when it does not parse (or is blank)."""
        if cell_too_long(raw) or not raw.strip():
            return None
        parsed = self._parse(bid, raw, raw.strip())
        return None if isinstance(parsed, CellMark) else parsed[1]

    def _parse(self, bid: str, raw: str, text: str) -> "tuple[Any, str] | CellMark":
        """The answer's claim and canonical text, parsed once per (blank, text); a CellMark if
        it does not parse (its ``answer`` is set by the caller)."""
        from ..gradcheck.claims import parse_claim
        from ..language.printing import unparse
        got = self.parsed.get((bid, text))
        if got is None:
            try:
                claim = parse_claim(self.program, text, what=f"the formula in {bid}")
                got = (claim, unparse(claim))
            except LimitError as err:   # an exact number too large to build: over the budget, not malformed
                got = CellMark(bid, raw, OVER_BUDGET, 0, f"{OVER_BUDGET} ({err.message}); mark it by hand")
            except SymgradError as err:
                got = CellMark(bid, raw, "malformed", 0, err.summary)
            self.parsed[(bid, text)] = got
        return dataclasses.replace(got, answer=raw) if isinstance(got, CellMark) else got

    def mark(self, bid: str, raw: str) -> CellMark:
        seen = self.seen.get((bid, raw))
        if seen is None:
            seen = self.seen[(bid, raw)] = self._mark(bid, raw)
        return seen

    def _mark(self, bid: str, raw: str) -> CellMark:
        if cell_too_long(raw):
            return CellMark(bid, raw[len(raw) - 40:] + "…", "malformed", 0,
                            f"the cell is over {MAX_CELL_CHARS:,} characters: not marked")
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
        from ..gradcheck.claims import judge_claims, judge_expression
        bid = entry["id"]
        if self.tensor is not None:
            return self._tensor_formula(entry, raw, text)
        parsed = self._parse(bid, raw, text)
        if isinstance(parsed, CellMark):
            return parsed
        claim, canonical = parsed
        cached = self.cache.get((bid, canonical))
        if cached is not None:
            return dataclasses.replace(cached, answer=raw)
        over = self.budget.over(cost_of(claim, self.program), self.nesting)
        if over:
            return CellMark(bid, raw, OVER_BUDGET, 0, f"{OVER_BUDGET} ({over}): mark it by hand")
        d = entry["derivative"]

        def judge() -> Any:
            if d["of"] == "partial":
                return judge_claims(self.program, self.point, {d["name"]: text}, seed=self.seed,
                                    proof="when needed")[0]
            if d["of"] == "local":
                return judge_expression(self.program, self.point, text, self._local_form(d["node"], d["arg"]),
                                        label=f"the formula in {bid}", seed=self.seed, proof="when needed")
            return CellMark(bid, raw, "unverified", 0, "the key says not what this formula is: mark it by hand")
        return self._judged(bid, raw, (bid, canonical), judge)

    def _tensor_formula(self, entry: dict, raw: str, text: str) -> CellMark:
        """A gradient of a tensor key, judged by the tensor claims judge with the exact upstream
        gradients (cached per answer text: the same line costs one judgement)."""
        bid, d = entry["id"], entry["derivative"]
        cached = self.cache.get((bid, text))
        if cached is not None:
            return dataclasses.replace(cached, answer=raw)
        return self._judged(bid, raw, (bid, text), lambda: self.tensor.judge(f"d{d['name']}", text))

    def _judged(self, bid: str, raw: str, key: tuple, judge: Any) -> CellMark:
        """The mark of a formula that ``judge()`` judges (a claim row, or a CellMark for a cell it
        refuses), cached under ``key``. No error stops the class: each is the cell's own mark."""
        from ..gradcheck.claims import CORRECT
        try:
            row = judge()
        except LimitError as err:
            return CellMark(bid, raw, OVER_BUDGET, 0, f"{OVER_BUDGET} ({err.message}); mark it by hand")
        except SymgradError as err:
            return CellMark(bid, raw, "malformed", 0, err.summary)
        except (ArithmeticError, ValueError, TypeError, RecursionError, KeyError) as err:  # never stop the class
            return CellMark(bid, raw, "unverified", 0, f"could not judge this formula "
                            f"({type(err).__name__}); mark it by hand, and please report it")
        if isinstance(row, CellMark):
            return row
        mark = CellMark(bid, raw, row.verdict, int(row.verdict == CORRECT),
                        "" if row.verdict == CORRECT else row.message)
        self.cache[key] = mark
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
