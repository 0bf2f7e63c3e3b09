"""Training plots with matplotlib: the loss curve and a 2-D decision boundary (PNG or SVG).

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global backend change),
and saved without dates or random ids, so the same run writes the same bytes.
"""

from __future__ import annotations

import io
import os
from typing import Sequence

from ..base.errors import InputError, RenderError, quote
from ..base.files import write_atomic

__all__ = ["plot_loss", "plot_boundary", "FORMATS"]

FORMATS = ("png", "svg")


def _format(path: "str | os.PathLike") -> str:
    fmt = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(f"cannot tell the plot format of {quote(os.fspath(path), 60)}",
                         hint="end the file name in .png or .svg")
    return fmt


def _figure():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise RenderError("plots need matplotlib", hint="pip install matplotlib") from None
    return matplotlib, Figure(figsize=(6.4, 4.8), dpi=100)


def _save(matplotlib, fig, path: "str | os.PathLike", fmt: str) -> None:
    """Render to memory, then replace ``path`` atomically: a failed write keeps the old file."""
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "symgrad", "svg.fonttype": "path"}):
        fig.savefig(buffer, format=fmt, metadata=metadata)
    write_atomic(path, buffer.getvalue())


def plot_loss(history, path: "str | os.PathLike", *, title: str = "training") -> None:
    """Loss (log scale) and accuracy per step, from a ``fit`` History."""
    fmt = _format(path)
    matplotlib, fig = _figure()
    ax = fig.subplots()
    steps = [r.step for r in history.records]
    ax.plot(steps, history.losses, color="tab:blue", label="loss")
    if all(v > 0 for v in history.losses):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss", color="tab:blue")
    ax.set_title(title)
    acc = ax.twinx()
    acc.plot(steps, [100 * a for a in history.accuracies], color="tab:orange", label="accuracy")
    acc.set_ylabel("accuracy (%)", color="tab:orange")
    acc.set_ylim(-2, 102)
    fig.tight_layout()
    _save(matplotlib, fig, path, fmt)


def plot_boundary(model, xs: Sequence[Sequence[float]], ys: Sequence[float], path: "str | os.PathLike", *,
                  step: float = 0.05, title: str = "decision boundary") -> None:
    """The sign of ``model.predict`` over a grid around two-input samples, with the samples on top."""
    if any(len(x) != 2 for x in xs):
        raise InputError("a decision boundary needs samples with two inputs",
                         hint="the moons demo has two inputs; the lecture demo has three")
    fmt = _format(path)
    matplotlib, fig = _figure()
    import numpy as np
    x0 = [x[0] for x in xs]
    x1 = [x[1] for x in xs]
    gx = np.arange(min(x0) - 0.5, max(x0) + 0.5, step)
    gy = np.arange(min(x1) - 0.5, max(x1) + 0.5, step)
    zz = np.array([[model.predict([float(a), float(b)]) for a in gx] for b in gy])
    ax = fig.subplots()
    ax.contourf(gx, gy, zz > 0, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(gx, gy, zz, levels=[0.0], colors="black", linewidths=1)
    for label, color in ((-1.0, "tab:red"), (1.0, "tab:blue")):
        pts = [(a, b) for a, b, y in zip(x0, x1, ys) if (y > 0) == (label > 0)]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, c=color, edgecolors="black",
                   linewidths=0.5, label=f"y = {label:+.0f}")
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_title(title)
    ax.legend(loc="upper right")
    fig.tight_layout()
    _save(matplotlib, fig, path, fmt)
