"""The derivative as a slope: the output along one input, with the tangent line at the point.

The curve is sampled with the engine (``symgrad.compile``'s batch evaluation), along the input
whose curve bends most away from its tangent, and only where the program is defined: the
plotted interval is the one around the point where every sample has a value.

Matplotlib's object API (no pyplot, no global state) writes SVG and PDF with a fixed hash salt
and no date, so the same worksheet is the same bytes on every run.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from ..base.errors import SymgradError

__all__ = ["Curve", "curve", "most_curved", "plot_svg", "plot_pdf"]

SAMPLES = 201


@dataclass(frozen=True)
class Curve:
    """The output sampled along one input near the point, and the tangent there."""
    name: str
    output: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    x0: float
    y0: float
    slope: float
    tangent: bool          # False on exercise sheets: the slope is the answer

    def limits(self) -> tuple[float, float]:
        finite = [y for y in self.ys if math.isfinite(y)] + [self.y0]
        low, high = min(finite), max(finite)
        pad = 0.1 * (high - low) or 1.0
        return low - pad, high + pad

    def tangent_at(self, x: float) -> float:
        return self.y0 + self.slope * (x - self.x0)


def _sample(result, name: str, f=None) -> tuple[list[float], list[float]]:
    """The output at SAMPLES points of [x0 - span, x0 + span], NaN where it is undefined."""
    import numpy as np
    from ..engine.codegen.compiled import compile
    f = f or compile(result.program)
    x0 = result.point[name]
    span = max(1.0, abs(x0))
    xs = np.linspace(x0 - span, x0 + span, SAMPLES)
    args = [xs if n == name else np.float64(result.point[n]) for n in f.inputs]
    try:
        with np.errstate(all="ignore"):
            ys = np.asarray(f.batch(*args, grads=False), dtype=float)
    except SymgradError:  # some sample is outside the domain: find which, one point at a time
        ys = np.array([_value_at(f, [float(x) if n == name else float(a) for n, a in zip(f.inputs, args)])
                       for x in xs])
    ys = np.where(np.isfinite(ys), ys, np.nan)
    return [float(x) for x in xs], [float(y) for y in np.broadcast_to(ys, xs.shape)]


def _value_at(f, args: list[float]) -> float:
    try:
        return f.value_and_grad(*args)[0]
    except SymgradError:
        return math.nan


def _in_domain(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """The run of defined samples around the middle (the point), cut where the curve shoots off."""
    mid = len(xs) // 2
    lo = hi = mid
    while lo > 0 and math.isfinite(ys[lo - 1]):
        lo -= 1
    while hi < len(xs) - 1 and math.isfinite(ys[hi + 1]):
        hi += 1
    if lo == 0 and hi == len(xs) - 1:
        return xs, ys
    # At a domain edge (log near 0) the curve dives: keep where it stays within 4x its central swing.
    y0 = ys[mid]
    q = max(1, (hi - lo) // 4)
    swing = max(abs(y - y0) for y in ys[max(lo, mid - q):min(hi, mid + q) + 1]) or 1.0
    while lo < mid and abs(ys[lo] - y0) > 4 * swing:
        lo += 1
    while hi > mid and abs(ys[hi] - y0) > 4 * swing:
        hi -= 1
    return xs[lo:hi + 1], ys[lo:hi + 1]


def curve(result, name: str, *, tangent: bool = True, compiled=None) -> Curve:
    xs, ys = _in_domain(*_sample(result, name, compiled))
    return Curve(name, result.program.output or "output", tuple(xs), tuple(ys), result.point[name],
                 result.value, result.grads[name], tangent)


def _bend(c: Curve) -> float:
    """How far the curve leaves its tangent, relative to the plotted width (0 for a line)."""
    dev = [abs(y - c.tangent_at(x)) for x, y in zip(c.xs, c.ys) if math.isfinite(y)]
    if not dev or len(c.xs) < 2:
        return 0.0
    return max(dev) / (c.xs[-1] - c.xs[0])


def most_curved(result) -> str:
    """The input along which the output bends most (so the tangent does not hide the curve);
    the first input on a tie (all linear)."""
    from ..engine.codegen.compiled import compile
    f = compile(result.program)  # once for every input
    best, best_bend = result.program.inputs[0], 0.0
    for name in result.program.inputs:
        bend = _bend(curve(result, name, compiled=f))
        if bend > best_bend * (1 + 1e-9) + 1e-12:
            best, best_bend = name, bend
    return best


def _figure(c: Curve, output: str):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(5.0, 3.2))
    ax = fig.add_subplot()
    ax.plot(c.xs, c.ys, color="#1f77b4", label=f"{output} as {c.name} varies")
    if c.tangent:
        ax.plot(c.xs, [c.tangent_at(x) for x in c.xs], "--", color="#d62728",
                label=f"tangent, slope d{output}/d{c.name} = {c.slope:.4g}")
    ax.plot([c.x0], [c.y0], "o", color="black")
    ax.set_xlim(c.xs[0], c.xs[-1])
    ax.set_ylim(*c.limits())
    ax.set_xlabel(c.name)
    ax.set_ylabel(output)
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _save(c: Curve, output: str | None, fmt: str) -> bytes:
    import matplotlib
    with matplotlib.rc_context({"svg.hashsalt": "symgrad", "svg.fonttype": "path", "font.size": 9,
                                "pdf.compression": 6}):
        fig = _figure(c, output or c.output)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else
                    {"CreationDate": None, "ModDate": None, "Producer": "symgrad"})
    return buf.getvalue()


def plot_svg(c: Curve, output: str | None = None) -> str:
    """An inline-ready SVG of the curve, axes labelled with the input and the output."""
    svg = _save(c, output, "svg").decode("utf-8")
    return svg[svg.find("<svg"):]


def plot_pdf(c: Curve, output: str | None = None) -> bytes:
    """The same plot as PDF, for ``\\includegraphics`` in the TeX worksheet."""
    return _save(c, output, "pdf")
