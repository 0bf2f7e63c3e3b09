"""The derivative as a slope: the output along one input, with the tangent line at the point.

Matplotlib's object API (no pyplot, no global state) writes SVG with a fixed hash salt and no
date, so the same worksheet is the same bytes on every run.
"""

from __future__ import annotations

import io
import math

from ._engine import Value
from ._errors import NumericError

__all__ = ["plot_svg"]

SAMPLES = 201


def _curve(topo: list[Value], at: int, x0: float) -> tuple[list[float], list[float]]:
    from ._worksheet import forward
    span = max(1.0, abs(x0))
    xs = [x0 - span + 2 * span * k / (SAMPLES - 1) for k in range(SAMPLES)]
    ys = []
    for x in xs:
        try:
            y = forward(topo, {at: x})
        except (NumericError, OverflowError, ValueError, ZeroDivisionError):
            y = math.nan
        ys.append(y if math.isfinite(y) else math.nan)
    return xs, ys


def plot_svg(result, topo: list[Value], name: str) -> str:
    """An inline-ready SVG: output vs ``name`` near the point, and the tangent of slope grad."""
    import matplotlib
    from matplotlib.figure import Figure

    at = next(i for i, n in enumerate(topo) if n._op is None and n.label == name)
    x0, y0, slope = result.point[name], result.value, result.grads[name]
    xs, ys = _curve(topo, at, x0)
    finite = [y for y in ys if not math.isnan(y)] + [y0]
    low, high = min(finite), max(finite)
    pad = 0.1 * (high - low) or 1.0
    out = result.program.output or "output"
    with matplotlib.rc_context({"svg.hashsalt": "symgrad", "svg.fonttype": "path", "font.size": 9}):
        fig = Figure(figsize=(5.0, 3.2))
        ax = fig.add_subplot()
        ax.plot(xs, ys, color="#1f77b4", label=f"{out} as {name} varies")
        ax.plot(xs, [y0 + slope * (x - x0) for x in xs], "--", color="#d62728",
                label=f"tangent, slope d{out}/d{name} = {slope:.4g}")
        ax.plot([x0], [y0], "o", color="black")
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlabel(name)
        ax.set_ylabel(out)
        ax.legend(loc="best")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.find("<svg"):]
