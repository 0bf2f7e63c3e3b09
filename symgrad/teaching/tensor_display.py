"""Tensors on a page: small ones in full, large ones summarised (shape, mean, std, min, max).

Used by the graph (``teaching.draw``: one summary line per node) and the tensor worksheet's
printers. A tensor is "small" when it has at most ``FULL_ELEMENTS`` elements and its rows at most
``FULL_COLUMNS`` numbers, so it fits a table cell; a 0-d tensor is a number. Numbers are spelled by
``worksheet_model.number`` (six significant digits, no "-0"), so a sheet reads the same in every format.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..language.printing import mathml_number
from .worksheet_model import number

__all__ = ["FULL_ELEMENTS", "FULL_COLUMNS", "is_small", "shape_text", "summary", "short_number",
           "matrix_latex", "matrix_mathml", "matrix_text"]

FULL_ELEMENTS = 12
FULL_COLUMNS = 4


def is_small(a: Any) -> bool:
    """Printed in full: at most FULL_ELEMENTS elements, rows of at most FULL_COLUMNS, at most 2 dims."""
    a = np.asarray(a)
    return a.ndim <= 2 and a.size <= FULL_ELEMENTS and (a.ndim < 1 or a.shape[-1] <= FULL_COLUMNS)


def shape_text(shape: tuple[int, ...]) -> str:
    """PyTorch's spelling of a shape: (32, 64), (27,), () for a scalar."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def short_number(x: float) -> str:
    """Four significant digits, for summaries (a sheet's own numbers use ``number``)."""
    return number(float(x), 4)


def summary(a: Any) -> str:
    """One line: 'mean 0.0123, std 0.981, min −2.31, max 2.84' (floats) or the integer range
    (an index tensor: 'integers 0 … 26'). Empty tensors say so."""
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.dtype.kind in "iub":
        return f"integers {int(a.min())} … {int(a.max())}"
    f = a.astype(float)
    return (f"mean {short_number(f.mean())}, std {short_number(f.std())}, "
            f"min {short_number(f.min())}, max {short_number(f.max())}")


def _rows(a: np.ndarray) -> list[list[str]]:
    """Each element's spelling: a scalar with six significant digits (``number``), a matrix's
    elements with four (``short_number``: it must fit a table cell)."""
    if a.ndim == 0:
        return [[number(float(a)) if a.dtype.kind == "f" else str(int(a))]]
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    spell = short_number if a.dtype.kind == "f" else (lambda v: str(int(v)))
    return [[spell(v) for v in row] for row in rows]


def matrix_latex(a: Any) -> str:
    """A small tensor in LaTeX: a number, or a bracketed smallmatrix (amsmath; a vector as one row),
    narrow enough for a table cell."""
    a = np.asarray(a)
    rows = _rows(a)
    if a.ndim == 0:
        return rows[0][0]
    return r"\left[\begin{smallmatrix}" + r" \\ ".join(" & ".join(r) for r in rows) + r"\end{smallmatrix}\right]"


def matrix_mathml(a: Any) -> str:
    """The same as Presentation MathML (an mtable in brackets), without the <math> wrapper."""
    a = np.asarray(a)
    rows = _rows(a)
    if a.ndim == 0:
        return mathml_number(rows[0][0])
    body = "".join("<mtr>" + "".join(f"<mtd>{mathml_number(v)}</mtd>" for v in r) + "</mtr>" for r in rows)
    return f'<mrow><mo>[</mo><mtable columnspacing="0.6em">{body}</mtable><mo>]</mo></mrow>'


def matrix_text(a: Any) -> str:
    """Plain text, NumPy-like: [[1, 2], [3, 4]]."""
    a = np.asarray(a)
    rows = _rows(a)
    if a.ndim == 0:
        return rows[0][0]
    inner = ["[" + ", ".join(r) + "]" for r in rows]
    return inner[0] if a.ndim == 1 else "[" + ", ".join(inner) + "]"
