"""CheckReport: the rows of a gradient check as a text table, JSON and HTML."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from ._ast import Program

__all__ = ["CheckRow", "CheckReport", "VERDICTS", "SKIPPED"]

SKIPPED = "skipped (symbolic budget)"
CLAIM_VERDICTS = ("correct", "wrong", "correct here, wrong elsewhere", "unverified")  # claims (issue 14)
FAILED = ("mismatch", "wrong", "correct here, wrong elsewhere")
VERDICTS = ("agree", "mismatch", "kink", "both-domain", SKIPPED) + CLAIM_VERDICTS


@dataclass(frozen=True)
class CheckRow:
    """One gradient d(output)/d(name) at one point, three ways. None means undefined there."""
    name: str
    backprop: float | None
    symbolic: float | None
    numeric: float | None
    verdict: str
    point: int = 0          # index into CheckReport.points
    note: str = ""          # why a side is undefined or skipped

    def to_dict(self) -> dict:
        return {"point": self.point, "name": self.name, "backprop": self.backprop, "symbolic": self.symbolic,
                "numeric": self.numeric, "verdict": self.verdict, "note": self.note}


def _num(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.12g}"


class CheckReport:
    """The result of ``symgrad.check``: ``rows``, ``points``, ``tolerances`` and ``ok``.

    ``ok`` is True when no row is a ``mismatch``. Kinks, points where both backprop and
    SymPy are undefined, and rows skipped by the symbolic budget do not fail the check;
    they are listed in the table and counted in ``summary``.
    """

    def __init__(self, program: Program, points: list[dict[str, float]], rows: list[CheckRow],
                 tolerances: dict[str, float]) -> None:
        self.program = program
        self.points = points
        self.rows = rows
        self.tolerances = tolerances
        self.claims: list = []      # ClaimRows, when check(claims=...) was given

    @property
    def ok(self) -> bool:
        return all(row.verdict not in FAILED for row in self.rows)

    @property
    def summary(self) -> dict[str, int]:
        """Verdict -> count, in the fixed order of VERDICTS (zero counts left out)."""
        counts = {v: 0 for v in VERDICTS}
        for row in self.rows:
            counts[row.verdict] += 1
        return {v: c for v, c in counts.items() if c}

    def to_dict(self) -> dict:
        return {"output": self.program.output, "ok": self.ok, "tolerances": dict(self.tolerances),
                "points": [dict(p) for p in self.points], "summary": self.summary,
                "rows": [row.to_dict() for row in self.rows]} | (
                    {"claims": [c.to_dict() for c in self.claims]} if self.claims else {})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def _header(self, k: int) -> str:
        at = ", ".join(f"{name}={value!r}" for name, value in self.points[k].items())
        return f"point {k + 1} of {len(self.points)}: {at or '(no inputs)'}" if len(self.points) > 1 else \
            f"at {at or '(no inputs)'}"

    def table(self) -> str:
        """A plain-text table, one block per point, then the summary line."""
        out = self.program.output or "output"
        t = self.tolerances
        lines = [f"check of d{out}/dname: backprop vs SymPy (atol={t['atol']:g}, rtol={t['rtol']:g}) "
                 f"vs finite differences (eps={t['fd_eps']:g}, atol={t['fd_atol']:g}, rtol={t['fd_rtol']:g})"]
        head = ("name", "backprop", "symbolic", "finite diff", "verdict")
        for k in range(len(self.points)):
            cells = [(r.name, _num(r.backprop), _num(r.symbolic), _num(r.numeric), r.verdict)
                     for r in self.rows if r.point == k]
            widths = [max(len(c[i]) for c in cells + [head]) for i in range(4)]
            lines += ["", self._header(k)]
            lines += ["  ".join(c.ljust(w) for c, w in zip(cell[:4], widths)) + "  " + cell[4]
                      for cell in [head] + cells]
            lines += [f"  {r.name}: {r.note}" for r in self.rows if r.point == k and r.note]
        verdict = "ok" if self.ok else "MISMATCH"
        lines += ["", f"{verdict}: " + (", ".join(f"{c} {v}" for v, c in self.summary.items())
                                        or "no gradients to check")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<CheckReport ok={self.ok} {self.summary}>"

    def _repr_html_(self) -> str:
        e = html.escape
        parts = ["<table class=\"symgrad-check\">", "<thead><tr><th>point</th><th>name</th><th>backprop</th>"
                 "<th>symbolic</th><th>finite diff</th><th>verdict</th><th>note</th></tr></thead><tbody>"]
        for r in self.rows:
            parts.append(f"<tr><td>{r.point + 1}</td><td>{e(r.name)}</td><td>{_num(r.backprop)}</td>"
                         f"<td>{_num(r.symbolic)}</td><td>{_num(r.numeric)}</td><td>{e(r.verdict)}</td>"
                         f"<td>{e(r.note)}</td></tr>")
        verdict = "ok" if self.ok else "MISMATCH"
        summary = ", ".join(f"{c} {v}" for v, c in self.summary.items())
        parts.append(f"</tbody><caption>{verdict}: {e(summary)}</caption></table>")
        return "".join(parts)
