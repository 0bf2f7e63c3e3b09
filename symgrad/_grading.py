"""Answer keys for exercise sheets, and marking a class's answers against them.

The key (``answer_key``) is built generically from a worksheet and its blanked copy: every
field that is a number or a formula in the full sheet and ``None`` in the blanked one is a
blank, with a stable id made of its path (``step3.term1.local``, ``final2.backprop``). So the
key follows the worksheet's shape wherever it goes.

Marking (``grade``):

- a number cell is right when ``|answer − value| ≤ atol + rtol·|value|`` (``RTOL`` = 1e-3,
  ``ATOL`` = 1e-6 by default: three significant digits; the sheet prints six). A cell may be a
  decimal number or a constant expression in symgrad's grammar (``-3/2``);
- a formula cell is judged as a claim (``symgrad._claims``): only ``correct`` scores;
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
from typing import Any, Iterable, Mapping

from ._errors import InputError, SymgradError

__all__ = ["answer_key", "key_json", "grade", "Grades", "StudentMark", "CellMark", "RTOL", "ATOL"]

KEY_FORMAT = "symgrad-answer-key"
KEY_VERSION = 1
RTOL, ATOL = 1e-3, 1e-6
ID_COLUMNS = ("id", "student", "student_id", "name")
STATUSES = ("correct", "wrong", "correct here, wrong elsewhere", "unverified", "blank", "malformed",
            "missing column", "wrong sheet")


# -- the key -------------------------------------------------------------------------------

def _singular(field: str) -> str:
    return field[:-1] if field.endswith("s") else field


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _label(obj: Any) -> str:
    for attr in ("node", "name", "child"):
        value = getattr(obj, attr, None)
        if isinstance(value, str):
            return value
    return ""


def blanks_of(full: Any, blank: Any) -> list[tuple[str, str, list[Any], str, Any]]:
    """(id, where, dataclass path, field, full value) for every blank, in document order.

    A blank is a field that holds a number or a formula (an object with ``latex``) in ``full``
    and ``None`` in ``blank``. Tuples of dataclasses are walked item by item (``step3``).
    Iterative: a stack of per-dataclass iterators.
    """
    out = []
    stack = [iter(_fields("", "", [], full, blank))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif item[0] == "leaf":
            out.append(item[1])
        else:
            stack.append(iter(_fields(*item[1])))
    return out


def _fields(path: str, where: str, objs: list[Any], a: Any, b: Any) -> list[tuple[str, tuple]]:
    found: list[tuple[str, tuple]] = []
    for f in dataclasses.fields(a):
        if not f.compare:          # caches such as the worksheet's Result
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name, None)
        pid = f"{path}.{f.name}" if path else f.name
        if vb is None and va is not None and (_is_number(va) or hasattr(va, "latex")):
            found.append(("leaf", (pid, f"{where} / {f.name}" if where else f.name, objs + [a], f.name, va)))
        elif dataclasses.is_dataclass(va) and dataclasses.is_dataclass(vb):
            found.append(("walk", (pid, where, objs + [a], va, vb)))
        elif isinstance(va, tuple) and isinstance(vb, tuple) and len(va) == len(vb):
            for i, (x, y) in enumerate(zip(va, vb)):
                if dataclasses.is_dataclass(x) and dataclasses.is_dataclass(y):
                    seg, label = f"{_singular(f.name)}{i + 1}", f"{_singular(f.name)} {_label(x)}".strip()
                    found.append(("walk", (f"{path}.{seg}" if path else seg,
                                           f"{where} / {label}" if where else label, objs + [a], x, y)))
    return found


def answer_key(full: Any, blank: Any = None, *, sheet: int | None = None, seed: int | None = None,
               rtol: float = RTOL, atol: float = ATOL) -> dict:
    """The answer key of a worksheet as a JSON-ready dict (see the module docstring).

    ``blank`` defaults to ``blanked(full)``. ``sheet`` and ``seed`` default to the worksheet's
    own ``sheet``/``seed`` fields when it has them.
    """
    from ._worksheet import blanked
    blank = blanked(full) if blank is None else blank
    names, flat = flat_program(full)
    blanks = []
    for bid, where, objs, field, value in blanks_of(full, blank):
        entry: dict[str, Any] = {"id": bid, "where": where}
        if _is_number(value):
            entry.update(kind="number", value=float(value))
        else:
            entry.update(kind="formula", latex=value.latex, derivative=_derivative(full, objs, field, names))
            entry["value"] = _formula_value(objs[-1])
        blanks.append(entry)
    return {"format": KEY_FORMAT, "version": KEY_VERSION,
            "sheet": getattr(full, "sheet", None) if sheet is None else sheet,
            "seed": getattr(full, "seed", None) if seed is None else seed,
            "program": full.source, "graph_program": flat, "output": full.output,
            "point": {k: v for k, v in full.point}, "tolerance": {"rtol": rtol, "atol": atol}, "blanks": blanks}


def key_json(full: Any, blank: Any = None, **kw: Any) -> str:
    """``answer_key`` as JSON text: same worksheet, same bytes."""
    return json.dumps(answer_key(full, blank, **kw), indent=2, allow_nan=False) + "\n"


def write_exercise(full: Any, blank: Any, fmt: str, path: str, write_sheet: Any, **key: Any) -> list[str]:
    """Write a student's exercise sheet at ``path`` and its answer key ``STEM-key.json`` beside it;
    return the paths. ``write_sheet(ws, fmt, path) -> [paths]`` writes a worksheet; an ``ipynb``
    sheet is an nbgrader source notebook instead (``symgrad._nbgrader``). ``key`` goes to
    ``key_json`` (``sheet=``, ``seed=`` when the worksheet does not carry them)."""
    import os
    from ._files import write_atomic
    if fmt == "ipynb":
        from ._nbgrader import exercise_notebook
        write_atomic(path, exercise_notebook(full, blank))
        written = [path]
    else:
        written = list(write_sheet(blank, fmt, path))
    key_path = f"{os.path.splitext(path)[0]}-key.json"
    write_atomic(key_path, key_json(full, blank, **key))
    return written + [key_path]


def _formula_value(obj: Any) -> float | None:
    for attr in ("local_value", "backprop", "symbolic"):
        value = getattr(obj, attr, None)
        if _is_number(value):
            return float(value)
    return None


def flat_program(ws: Any) -> tuple[dict[int, str], str]:
    """The worksheet's graph as a program in which every operation has the sheet's name for
    it (its label, or t1, t2, …), so students' formulas may use those names.

    Returns ({id of Value: name}, program text). Built from the AST nodes of the rule table,
    printed by ``unparse`` (never from user text).
    """
    from ._ast import Const, Num, Op, Var
    from ._engine import topo_order
    from ._printing import unparse
    topo = topo_order(ws.result.root)
    if len(topo) != len(ws.nodes):
        raise InputError("the worksheet's nodes do not match its graph")
    names = {id(v): row.name for v, row in zip(topo, ws.nodes)}  # ids: internal only
    inputs = dict(ws.point)
    lines = []
    for v, row in zip(topo, ws.nodes):
        if v._op is None:
            continue
        args = tuple(Var(names[id(k)]) if k._op is not None or k.label in inputs else Const("pi") if k.label == "pi" else Num(k.data) for k in v._prev)
        expr = args[0] if v._op.name == "id" else Op(v._op.name, args)
        lines.append(f"{row.name} = {unparse(expr)}")
    return names, "\n".join(lines)


def _derivative(full: Any, objs: list[Any], field: str, names: dict[int, str]) -> dict:
    """What a formula blank is the derivative of, in the flat program's names."""
    obj = objs[-1]
    kind = type(obj).__name__
    if kind == "Term" and len(objs) >= 2 and hasattr(objs[-2], "terms"):
        step = objs[-2]
        j = step.terms.index(obj)
        value = next(v for v in _topo(full) if names[id(v)] == step.node)
        movable = [i for i, k in enumerate(value._prev) if k._op is not None or k.label in dict(full.point)]
        return {"of": "local", "node": step.node, "child": obj.child, "arg": movable[j]}
    if kind == "FinalRow":
        return {"of": "partial", "name": obj.name}
    return {"of": "unknown"}


def _topo(ws: Any) -> list:
    from ._engine import topo_order
    return topo_order(ws.result.root)


# -- the truth of a formula blank ----------------------------------------------------------

def local_form(program: Any, node: str, arg: int) -> Any:
    """∂node/∂(its arg-th argument) as SymPy over the flat program's names: the rule's own
    SymPy form differentiated on fresh symbols, its output written as ``node``."""
    import sympy as sp
    from ._rules import RULES
    from ._symbolic import symbol, to_sympy_expr
    stmt = next(s for s in program.statements if s.name == node)
    expr = stmt.expr
    args = getattr(expr, "args", (expr,))
    rule = getattr(expr, "rule", None)
    if rule is None:                       # an alias d = e: dd/de = 1
        return sp.Integer(1)
    slots = [sp.Symbol(f"_u{k}", real=True) for k in range(len(args))]
    out = RULES[rule].sympy(sp, *slots)
    d = sp.diff(out, slots[arg]).xreplace({out: symbol(node)})
    return d.xreplace({s: to_sympy_expr(a, symbol) for s, a in zip(slots, args)})


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

    def to_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["student", "sheet", "score", "out_of"] + self.blanks)
        for s in self.students:
            status = {c.blank: c.status for c in s.cells}
            w.writerow([s.student, "" if s.sheet is None else s.sheet, s.score, s.out_of] +
                       [status.get(b, "") for b in self.blanks])
        return out.getvalue()

    def feedback_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["student", "sheet", "blank", "answer", "status", "points", "feedback"])
        for s in self.students:
            for c in s.cells:
                if c.status == "missing column":
                    continue
                w.writerow([s.student, "" if s.sheet is None else s.sheet, c.blank, c.answer, c.status, c.points,
                            c.feedback])
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


def load_key(key: Any) -> dict:
    """A key as a dict: a dict passes through; a path is read as JSON. Raises InputError."""
    if isinstance(key, Mapping):
        data = dict(key)
    else:
        try:
            with open(key, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read the key {str(key)[:80]}: {getattr(err, 'strerror', None) or err}") from None
        except json.JSONDecodeError as err:
            raise InputError(f"the key {str(key)[:80]} is not JSON: {err.msg} at line {err.lineno}") from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT or not isinstance(data.get("blanks"), list):
        raise InputError("not a symgrad answer key", hint="use the NAME-key.json written by symgrad worksheet --exercise")
    for k, b in enumerate(data["blanks"]):
        ok = isinstance(b, dict) and isinstance(b.get("id"), str) and b.get("kind") in ("number", "formula")
        if ok and b["kind"] == "number":
            ok = _is_number(b.get("value")) and math.isfinite(b["value"])
        if not ok:
            raise InputError(f"the key's blank {k + 1} is broken (it needs an id, a kind, and a value for a number)")
    sheet = data.get("sheet")
    if sheet is not None and (not isinstance(sheet, int) or isinstance(sheet, bool)):
        raise InputError("the key's sheet number is not a whole number")
    return data


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
                text = fh.read()
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
        from ._parser import parse
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
        from ._claims import CORRECT, judge_claims, judge_expression, parse_claim
        from ._printing import unparse
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
    from ._backprop import backprop
    from ._parser import parse
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


# -- the command: symgrad grade KEY [KEY ...] ANSWERS ------------------------------------------

def setup_grade_command(p: Any) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="one or more answer keys (NAME-key.json), then the answers CSV")
    p.add_argument("--json", action="store_true", help="print the marks as JSON")
    p.add_argument("--csv", metavar="OUT", help="write one row per student to OUT and the per-blank "
                                                "feedback to OUT-feedback.csv")
    p.add_argument("--rtol", type=float, metavar="X", help=f"relative tolerance for numbers (default {RTOL:g}, "
                                                            "or the key's)")
    p.add_argument("--atol", type=float, metavar="X", help=f"absolute tolerance for numbers (default {ATOL:g})")
    p.add_argument("--seed", type=int, default=0, help="seed of the random points formulas are tested at")


def run_grade_command(args: Any) -> int:
    """Exit 0 when the class is marked (bad cells included); errors that stop everything exit 2."""
    import os
    from ._cli import dump_json
    from ._files import write_atomic
    if len(args.files) < 2:
        raise InputError("give an answer key and the answers CSV", hint="symgrad grade sheet-key.json answers.csv")
    grades = grade(list(args.files[:-1]), args.files[-1], rtol=args.rtol, atol=args.atol, seed=args.seed)
    if args.csv:
        stem, suffix = os.path.splitext(args.csv)
        write_atomic(args.csv, grades.to_csv())
        write_atomic(f"{stem}-feedback{suffix or '.csv'}", grades.feedback_csv())
    if args.json:
        dump_json(grades.to_dict())
    else:
        print(grades.table())
    return 0
