"""Tensor exercise sheets and their answer keys: the backprop-ninja exercise for any tensor program.

The sheet (``tensor_worksheet.tensor_blanked``) asks for each gradient of the program's names
(``dlogits``, ``dW2``, …) as a formula in the language; its key (``tensor_answer_key``) is the scalar
keys' JSON (``answer_key.KEY_FORMAT``) with ``"tensor": true``, the point as nested lists, and one
formula blank per gradient: ``{"id": "dW2", "derivative": {"of": "tensor", "name": "W2"}}`` with the
sheet's own answer in the language (``answer``, composed from the backward rules) and in LaTeX.
``grade`` marks each cell with the tensor claims judge (``gradcheck.tensor_claims.TensorClaims``):
judged with the exact upstream gradients, so one wrong line costs one mark, and the feedback is the
judge's explanation (the missing sum and its axis, a transpose, a factor n, …).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from .answer_key import ATOL, KEY_FORMAT, KEY_VERSION, RTOL
from .tensor_worksheet_model import TensorWorksheet

__all__ = ["tensor_answer_key", "tensor_key_json", "answers_of", "write_tensor_exercise"]


def answers_of(ws: TensorWorksheet) -> dict[str, str | None]:
    """Each node's gradient as one formula in the language, composed from the backward lines:
    dX = the sum of its consumers' contributions, with the gradient of an unnamed operation (t1)
    replaced by its own formula, so an answer reads only program names. None where a line has no
    spelling in the language (a slice of cat, a scatter)."""
    parts: dict[str, list[str | None]] = {}
    for step in ws.steps:
        for (child, _, _), source in zip(step.lines, step.sources or (None,) * len(step.lines)):
            parts.setdefault(child, []).append(source)
    named = set(ws.result.program.inputs) | set(ws.result.program.intermediates) if ws.result is not None else set()
    done: dict[str, str | None] = {}
    for node in reversed(ws.nodes):            # consumers before their arguments
        pieces = parts.get(node.name)
        if not pieces:
            continue
        if any(p is None for p in pieces):
            done[node.name] = None
            continue
        text = " + ".join(pieces).replace("+ -(", "- (")
        for other, formula in done.items():
            if other not in named and re.search(rf"\bd{re.escape(other)}\b", text):
                if formula is None:
                    text = None
                    break
                text = re.sub(rf"\bd{re.escape(other)}\b", f"({formula})", text)
        done[node.name] = text
    return done


def tensor_answer_key(ws: TensorWorksheet, *, sheet: int | None = None, seed: int | None = None,
                      rtol: float = RTOL, atol: float = ATOL) -> dict:
    """The answer key of a tensor exercise sheet as a JSON-ready dict (see the module docstring)."""
    result = ws.result
    answers = answers_of(ws)
    lines: dict[str, list[str]] = {}
    for step in ws.steps:
        for child, _, line in step.lines:
            if line is not None:
                lines.setdefault(child, []).append(line.latex)
    asked = ws.asked or _asked(ws)
    blanks = [{"id": f"d{name}", "where": f"gradient of {name}", "kind": "formula", "shape": list(shape),
               "latex": r" \\ ".join(lines.get(name, [])), "answer": answers.get(name),
               "derivative": {"of": "tensor", "name": name}} for name, shape in asked]
    point = {k: np.asarray(v).tolist() for k, v in result.point.items()}
    return {"format": KEY_FORMAT, "version": KEY_VERSION, "tensor": True,
            "sheet": ws.sheet if sheet is None else sheet, "seed": ws.seed if seed is None else seed,
            "program": ws.source, "graph_program": ws.source, "output": ws.output, "point": point,
            "tolerance": {"rtol": rtol, "atol": atol}, "blanks": blanks}


def _asked(ws: TensorWorksheet) -> tuple:
    from .tensor_worksheet import asked_gradients
    return asked_gradients(ws)


def tensor_key_json(ws: TensorWorksheet, **kw: Any) -> str:
    """``tensor_answer_key`` as JSON text: same worksheet, same bytes."""
    return json.dumps(tensor_answer_key(ws, **kw), indent=2, allow_nan=False) + "\n"


def write_tensor_exercise(full: TensorWorksheet, blank: TensorWorksheet, fmt: str, path: str) -> list[str]:
    """Write the exercise sheet at ``path`` and ``STEM-key.json`` beside it, as one set; return the paths."""
    import os
    from ..base.files import output_set, write_atomic
    from .sheets import write_worksheet
    with output_set():
        written = list(write_worksheet(blank, fmt, path))
        key_path = f"{os.path.splitext(path)[0]}-key.json"
        write_atomic(key_path, tensor_key_json(full))
    return written + [key_path]
