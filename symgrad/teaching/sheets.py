"""Worksheet files: the format table (``RENDERERS``), ``symgrad.worksheet`` and the writers.

``worksheet`` builds a ``Worksheet`` (``teaching.worksheet.build_worksheet``) and renders it as md, html,
tex or ipynb text with the format's renderer (``teaching.renderers``: one class per format);
``render_files`` gives every file of a worksheet saved at a path (the text and its pictures
beside it) and ``write_worksheet`` writes them, each atomically.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from ..base.errors import InputError
from ..base.files import output_set, write_atomic
from .renderers import HtmlRenderer, MarkdownRenderer, NotebookRenderer, Renderer, TexRenderer
from .worksheet_model import Worksheet

__all__ = ["worksheet", "RENDERERS", "FORMAT_NAMES", "SUFFIXES", "render_worksheet", "render_files",
           "write_worksheet", "MarkdownRenderer", "HtmlRenderer", "TexRenderer", "NotebookRenderer"]

# format (the file's suffix) -> its renderer. Every list of worksheet formats (the CLI's --format and
# its help, the explorer's menu and downloads, the exercise writer, the tests) is read from here.
RENDERERS: dict[str, type[Renderer]] = {
    "md": MarkdownRenderer, "html": HtmlRenderer, "tex": TexRenderer, "ipynb": NotebookRenderer,
}
FORMAT_NAMES = ", ".join(RENDERERS)                 # "md, html, tex, ipynb"
SUFFIXES = " ".join(f".{fmt}" for fmt in RENDERERS)  # ".md .html .tex .ipynb"


def _renderer(format: str, assets: str | None = None, ws: Any = None) -> Renderer:
    from .tensor_worksheet_model import TensorWorksheet
    try:
        cls = RENDERERS[format]
        if isinstance(ws, TensorWorksheet):   # a tensor program's sheet: the format's tensor renderer
            from .tensor_renderers import TENSOR_RENDERERS
            cls = TENSOR_RENDERERS[format]
    except KeyError:
        raise InputError(f"unknown worksheet format {format!r:.20}",
                         hint=f"use one of: {FORMAT_NAMES}") from None
    return cls(assets)


def render_worksheet(ws: Worksheet, format: str) -> str:
    """The worksheet as text; pictures inline where the format allows (see ``render_files``)."""
    return _renderer(format, None, ws).render(ws)


def render_files(ws: Worksheet, format: str, path: str) -> dict[str, bytes]:
    """Every file of a worksheet saved at ``path``: the text and its pictures beside it
    (``NAME-graph.svg`` for .md, ``NAME-graph.pdf`` and ``NAME-plot.pdf`` for .tex)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    renderer = _renderer(format, stem, ws)
    text = renderer.render(ws)
    folder = os.path.dirname(path)
    out = {os.path.join(folder, name): data for name, data in renderer.files.items()}
    out[path] = text.encode("utf-8")
    return out


def _write_files(ws: Worksheet, format: str, path: str) -> dict[str, bytes]:
    """``render_files``, written as one set (``base.files.output_set``); returns them (pictures first)."""
    files = render_files(ws, format, path)
    with output_set():                            # the text and its pictures: all or none
        for name, data in files.items():
            write_atomic(name, data)
    return files


def write_worksheet(ws: Worksheet, format: str, path: str) -> list[str]:
    """Write a worksheet and its pictures, each atomically; return the paths (pictures first)."""
    return list(_write_files(ws, format, path))


def worksheet(program: Any, values: Any = None, /, *, format: str = "md", exercise: bool = False,
              plot_input: str | None = None, path: str | None = None, **kw: Any) -> str:
    """A derivation worksheet for ``program`` at ``values`` as text in a format of ``RENDERERS``
    (md, html, tex or ipynb).

    ``exercise=True`` blanks the local derivatives, products and gradients (the answer key is
    the same call without it). With ``path`` the worksheet and its pictures are written there
    (a .md links its SVG files, a .tex includes its PDF files). Other keywords go to
    ``build_worksheet`` (``h``, ``title``, ``limits``, …).
    """
    from .worksheet import build_worksheet
    _renderer(format)  # an unknown format fails before any work
    if _is_tensor(program, values, kw):
        from .tensor_worksheet import build_tensor_worksheet
        ws = build_tensor_worksheet(program, values, exercise=exercise, **kw)
    else:
        ws = build_worksheet(program, values, exercise=exercise, plot_input=plot_input, **kw)
    if path is not None:
        return _write_files(ws, format, path)[path].decode("utf-8")
    return render_worksheet(ws, format)


def _is_tensor(program: Any, values: Any, kw: Mapping[str, Any]) -> bool:
    """A tensor program (``@``, an index, a reduction…) or a point with an array: a tensor sheet."""
    from ..base.errors import SymgradError
    from ..engine.point import is_tensor_program, is_tensor_value
    from ..language.parser import parse
    if isinstance(values, Mapping) and any(is_tensor_value(v) for v in values.values()):
        return True
    try:
        return is_tensor_program(parse(program))
    except (SymgradError, TypeError):   # build_worksheet reports a bad program (or a Result) itself
        return False
