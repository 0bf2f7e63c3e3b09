"""The derivative as a slope: the output along one input, with the tangent line at the point.

Matplotlib's object API (no pyplot, no global state) writes SVG with a fixed hash salt and no
date, so the same worksheet is the same bytes on every run.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from ._engine import Value
from ._errors import NumericError

__all__ = ["Curve", "curve", "plot_svg", "picture"]

SAMPLES = 201


def _curve(graph, node: Value, x0: float) -> tuple[list[float], list[float]]:
    from ._check import _Tape  # check's finite-difference tape: recomputes only what depends on node
    tape = _Tape(graph)
    at = tape.at[id(node)]
    cone = tape.cone(at)
    span = max(1.0, abs(x0))
    xs = [x0 - span + 2 * span * k / (SAMPLES - 1) for k in range(SAMPLES)]
    ys = []
    for x in xs:
        try:
            y = tape.output_with(at, x, cone)
        except NumericError:
            y = math.nan
        ys.append(y)
    return xs, ys


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
        finite = [y for y in self.ys if not math.isnan(y)] + [self.y0]
        low, high = min(finite), max(finite)
        pad = 0.1 * (high - low) or 1.0
        return low - pad, high + pad

    def tangent_at(self, x: float) -> float:
        return self.y0 + self.slope * (x - self.x0)


def curve(result, name: str, *, tangent: bool = True) -> Curve:
    x0 = result.point[name]
    xs, ys = _curve(result.graph, result.graph.named[name], x0)
    return Curve(name, result.program.output or "output", tuple(xs), tuple(ys), x0, result.value,
                 result.grads[name], tangent)


def plot_svg(c: Curve) -> str:
    """An inline-ready SVG of the curve, with the tangent of slope grad."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": "symgrad", "svg.fonttype": "path", "font.size": 9}):
        fig = Figure(figsize=(5.0, 3.2))
        ax = fig.add_subplot()
        ax.plot(c.xs, c.ys, color="#1f77b4", label=f"{c.output} as {c.name} varies")
        if c.tangent:
            ax.plot(c.xs, [c.tangent_at(x) for x in c.xs], "--", color="#d62728",
                    label=f"tangent, slope d{c.output}/d{c.name} = {c.slope:.4g}")
        ax.plot([c.x0], [c.y0], "o", color="black")
        ax.set_ylim(*c.limits())
        ax.set_xlabel(c.name)
        ax.set_ylabel(c.output)
        ax.legend(loc="best")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.find("<svg"):]


def picture(c: Curve, width: float = 120.0, height: float = 70.0) -> str:
    """The same plot as a LaTeX picture (\\qbezier segments): plain pdflatex, no extra package."""
    low, high = c.limits()
    x_lo, x_hi = c.xs[0], c.xs[-1]

    def point(x: float, y: float) -> str:
        return f"({(x - x_lo) / (x_hi - x_lo) * width:.2f},{(y - low) / (high - low) * height:.2f})"

    def polyline(ys: list[float]) -> list[str]:
        out = []
        for x1, y1, x2, y2 in zip(c.xs, ys, c.xs[1:], ys[1:]):
            if all(low <= y <= high for y in (y1, y2)):  # NaN fails too
                out.append(f"\\qbezier{point(x1, y1)}{point(x1, y1)}{point(x2, y2)}")
        return out

    lines = ["\\setlength{\\unitlength}{1mm}", f"\\begin{{picture}}({width:.0f},{height + 8:.0f})(0,-8)",
             f"\\put(0,0){{\\framebox({width:.0f},{height:.0f}){{}}}}"]
    lines += polyline(list(c.ys))
    if c.tangent:
        lines.append("\\linethickness{0.2pt}")
        lines += polyline([c.tangent_at(x) for x in c.xs])[::4]  # every fourth segment: a dashed line
    lines.append(f"\\put{point(c.x0, c.y0)}{{\\circle*{{1.5}}}}")
    lines.append(f"\\put(0,-5){{\\makebox(0,0)[l]{{${x_lo:.4g}$}}}}")
    lines.append(f"\\put({width:.0f},-5){{\\makebox(0,0)[r]{{${x_hi:.4g}$}}}}")
    lines.append(f"\\put(1,{height - 3:.0f}){{\\makebox(0,0)[l]{{\\small ${high:.4g}$}}}}")
    lines.append(f"\\put(1,3){{\\makebox(0,0)[l]{{\\small ${low:.4g}$}}}}")
    lines.append("\\end{picture}")
    return "\n".join(lines)
