"""CheckReport: the rows of a gradient check as a text table, JSON and HTML."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

from ..language.ast import Program
from ..language.names import number_text

__all__ = ["CheckRow", "CheckReport", "VERDICTS", "VERIFIED", "UNDEFINED", "UNVERIFIED"]

UNDEFINED = "undefined"      # the gradient does not exist at the point, and backprop agrees
UNVERIFIED = "unverified"    # could not be verified (see the row's note); never silently ok
CLAIMED = ("correct", "wrong", "correct here, wrong elsewhere")   # claims' verdicts (and UNVERIFIED)
FAILED = ("mismatch", "wrong", "correct here, wrong elsewhere")
VERDICTS = ("agree", "mismatch", "kink", UNDEFINED, UNVERIFIED) + CLAIMED
VERIFIED = ("agree", "kink", UNDEFINED, "correct")


def _json_number(x: float | None) -> float | str | None:
    """JSON has no NaN or infinity: those become the strings "nan", "inf", "-inf"."""
    if x is None or math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


@dataclass(frozen=True)
class CheckRow:
    """One gradient d(output)/d(name) at one point. None means undefined or not computed there.

    ``backprop`` is the gradient checked (backprop's, or the one given with ``grads=``),
    ``symbolic`` the exact reference rounded to float64, ``numeric`` the high-precision
    finite-difference witness. ``error`` is |backprop − exact| / |exact| (absolute when the
    exact gradient is 0), ``tolerance`` the absolute error float64 may make here, ``digits``
    the digits float64 can promise when that is fewer than 9 (an ill-conditioned gradient),
    ``left``/``right`` the one-sided slopes where the name meets a kink exactly.
    """
    name: str
    backprop: float | None
    symbolic: float | None
    numeric: float | None
    verdict: str
    point: int = 0          # index into CheckReport.points
    note: str = ""          # why a side is undefined, why a row is unverified, what a kink means
    error: float | None = None
    tolerance: float | None = None
    digits: int | None = None
    left: float | None = None
    right: float | None = None

    def to_dict(self) -> dict:
        return {"point": self.point, "name": self.name, "backprop": _json_number(self.backprop),
                "symbolic": _json_number(self.symbolic), "numeric": _json_number(self.numeric),
                "verdict": self.verdict, "note": self.note, "error": _json_number(self.error),
                "tolerance": _json_number(self.tolerance), "digits": self.digits,
                "left": _json_number(self.left), "right": _json_number(self.right)}


def exit_code(ok: bool, verified: bool) -> int:
    """The CLI's exit status: 1 a gradient is wrong, else 0 all verified, else 3 (some unverified)."""
    return 1 if not ok else 0 if verified else 3


def _num(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.12g}"


def _err(row: CheckRow) -> str:
    if row.error is None:
        return ""
    return f"{row.error:.1e}" + (f" ({row.digits} digits)" if row.digits is not None else "")


class CheckReport:
    """The result of ``symgrad.check``: ``rows``, ``points``, ``tolerances``, ``ok``, ``verified``.

    ``ok`` is False on any ``mismatch``. ``verified`` is True when every row is ``agree``,
    ``kink`` or ``undefined`` (the point is outside the domain and backprop says so too);
    ``unverified`` rows keep it False without failing ``ok``. ``exit_code`` is the CLI's:
    0 all verified, 1 a mismatch, 3 no mismatch but some row unverified.
    """

    def __init__(self, program: Program, points: list[dict[str, float]], rows: list[CheckRow],
                 tolerances: dict[str, float], source: str = "backprop", limits=None) -> None:
        self.program = program
        self.limits = limits
        self.points = points
        self.rows = rows
        self.tolerances = tolerances
        self.source = source
        self.claims: list = []       # ClaimRows, with check(claims=...)

    @property
    def ok(self) -> bool:
        return all(row.verdict not in FAILED for row in self.rows)

    @property
    def verified(self) -> bool:
        return all(row.verdict in VERIFIED for row in self.rows)

    @property
    def exit_code(self) -> int:
        return exit_code(self.ok, self.verified)

    @property
    def summary(self) -> dict[str, int]:
        """Verdict -> count, in the fixed order of VERDICTS (zero counts left out)."""
        counts = {v: 0 for v in VERDICTS}
        for row in self.rows:
            counts[row.verdict] += 1
        return {v: c for v, c in counts.items() if c}

    def to_dict(self) -> dict:
        return {"output": self.program.output, "ok": self.ok, "verified": self.verified, "checked": self.source,
                "tolerances": {k: _json_number(v) for k, v in self.tolerances.items()},
                "points": [dict(p) for p in self.points], "summary": self.summary,
                "rows": [row.to_dict() for row in self.rows]} | (
                    {"claims": [c.to_dict() for c in self.claims]} if self.claims else {})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def _header(self, k: int) -> str:
        at = ", ".join(f"{name}={number_text(value)}" for name, value in self.points[k].items())  # x=2, as written
        return f"point {k + 1} of {len(self.points)}: {at or '(no inputs)'}" if len(self.points) > 1 else \
            f"at {at or '(no inputs)'}"

    def table(self) -> str:
        """A plain-text table, one block per point, then the summary line."""
        out = self.program.output or "output"
        t = self.tolerances
        lines = [f"check of d{out}/dname: {self.source} vs the exact reference (float64's own error bound"
                 f" + rtol={t['rtol']:g}·|exact| + atol={t['atol']:g}) and a high-precision finite difference"]
        head = ("name", self.source, "exact", "finite diff", "rel. error", "verdict")
        for k in range(len(self.points)):
            cells = [(r.name, _num(r.backprop), _num(r.symbolic), _num(r.numeric), _err(r), r.verdict)
                     for r in self.rows if r.point == k]
            widths = [max(len(c[i]) for c in cells + [head]) for i in range(5)]
            lines += ["", self._header(k)]
            lines += ["  ".join(c.ljust(w) for c, w in zip(cell[:5], widths)) + "  " + cell[5]
                      for cell in [head] + cells]
            lines += [f"  {r.name}: {r.note}" for r in self.rows if r.point == k and r.note]
        verdict = "ok" if self.ok and self.verified else "MISMATCH" if not self.ok else "UNVERIFIED"
        lines += ["", f"{verdict}: " + (", ".join(f"{c} {v}" for v, c in self.summary.items())
                                        or "no gradients to check")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<CheckReport ok={self.ok} verified={self.verified} {self.summary}>"

    def _repr_html_(self) -> str:
        e = html.escape
        parts = ["<table class=\"symgrad-check\">", f"<thead><tr><th>point</th><th>name</th><th>{e(self.source)}</th>"
                 "<th>exact</th><th>finite diff</th><th>rel. error</th><th>verdict</th><th>note</th></tr></thead><tbody>"]
        for r in self.rows:
            parts.append(f"<tr><td>{r.point + 1}</td><td>{e(r.name)}</td><td>{_num(r.backprop)}</td>"
                         f"<td>{_num(r.symbolic)}</td><td>{_num(r.numeric)}</td><td>{e(_err(r))}</td>"
                         f"<td>{e(r.verdict)}</td><td>{e(r.note)}</td></tr>")
        verdict = "ok" if self.ok and self.verified else "MISMATCH" if not self.ok else "UNVERIFIED"
        summary = ", ".join(f"{c} {v}" for v, c in self.summary.items())
        parts.append(f"</tbody><caption>{verdict}: {e(summary)}</caption></table>")
        return "".join(parts)
