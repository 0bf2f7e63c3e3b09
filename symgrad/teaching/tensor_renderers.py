"""Tensor worksheet renderers: one class per format, each the scalar format's renderer
(``teaching.renderers``: its escaping, math and pictures) with the tensor template and the helpers a
tensor sheet needs: ``f.shown`` (a small tensor in full, a large one summarised), ``f.shape`` and
``f.line`` (a backward rule line in matrix notation). ``TENSOR_RENDERERS`` maps a format to its class.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

from .renderers import HtmlRenderer, MarkdownRenderer, NotebookRenderer, TexRenderer, _attached, notebook_text
from .tensor_display import shape_text
from .tensor_worksheet_model import TENSOR_SECTIONS, Shown, TensorWorksheet
from .worksheet_model import Math

__all__ = ["TensorMarkdownRenderer", "TensorHtmlRenderer", "TensorTexRenderer", "TensorNotebookRenderer",
           "TENSOR_RENDERERS"]


class _Tensor:
    """What every tensor format adds to its scalar renderer."""

    def render(self, ws: TensorWorksheet) -> str:  # type: ignore[override]
        from .renderers import _template
        return _template(type(self), self.template).render(ws=ws, f=self, titles=TENSOR_SECTIONS)

    def heading(self, ws: Any, key: str) -> str:
        return self.text(f"{ws.section(key)}. {TENSOR_SECTIONS[key]}")

    def shape(self, shape: tuple[int, ...]) -> str:
        return self.text(shape_text(shape))

    def shown(self, s: Shown | None) -> str:
        """A tensor: in full when small, else 'shape: mean …, std …' (a blank when None)."""
        if s is None:
            return self.blank
        if s.full is not None:
            return self.math(s.full)
        return self.text(f"{s.summary}")

    def line(self, m: Math | None) -> str:
        return self.math(m)

    def tex_name(self, name: str) -> str:
        """A name in LaTeX (for a formula the template writes around it)."""
        from ..language.printing import latex_name
        return latex_name(name)


class TensorMarkdownRenderer(_Tensor, MarkdownRenderer):
    template = "tensor_worksheet.md.j2"


class TensorHtmlRenderer(_Tensor, HtmlRenderer):
    template = "tensor_worksheet.html.j2"

    def shown(self, s: Shown | None) -> Markup:
        if s is None:
            return self.blank
        if s.full is not None:
            return self.math(s.full)
        return Markup('<span class="summary">') + escape(s.summary) + Markup("</span>")


class TensorTexRenderer(_Tensor, TexRenderer):
    template = "tensor_worksheet.tex.j2"

    def heading(self, ws: Any, key: str) -> str:
        return rf"\section*{{{ws.section(key)}. {TENSOR_SECTIONS[key]}}}"

    def text(self, s: str) -> str:
        """TexRenderer's escaping, with the rule titles' ⊙ and ′ spelled in TeX."""
        out, part = [], []
        for ch in s:
            if ch in _TEX_MORE:
                out += [super().text("".join(part)), _TEX_MORE[ch]]
                part = []
            else:
                part.append(ch)
        return "".join(out) + super().text("".join(part))

    def line(self, m: Math | None) -> str:
        return self.blank if m is None else f"${m.latex}$"

    def name(self, name: str) -> str:
        """A name, shrunk to its table column when wider (``counts_sum_inv`` in a narrow column)."""
        return rf"\fitcell{{{super().name(name)}}}"

    def shown(self, s: Shown | None) -> str:
        """A matrix in full gets 2 pt above and below: the brackets of two in adjacent table rows
        would touch (a bracket reaches past its rows)."""
        out = super().shown(s)
        return rf"\padded{{{out}}}" if s is not None and s.full is not None and len(s.shape) > 0 else out


# Matrix-notation characters of the rule titles, spelled for pdflatex (after TexRenderer's escaping).
_TEX_MORE = {"⊙": r"$\odot$", "′": "'"}


class TensorNotebookRenderer(_Tensor, NotebookRenderer):
    """The Markdown sheet in cells, and a code cell that recomputes it with ``symgrad``."""

    def render(self, ws: TensorWorksheet) -> str:  # type: ignore[override]
        from nbformat.v4 import new_code_cell, new_markdown_cell
        md = TensorMarkdownRenderer(assets="attachment")
        sections = re.split(r"\n(?=## )", md.render(ws))
        cells = [_attached(new_markdown_cell(sections[0]), md.files), new_code_cell(_recompute(ws))]
        cells += [_attached(new_markdown_cell(s), md.files) for s in sections[1:]]
        for i, cell in enumerate(cells):
            cell["id"] = f"cell-{i}"
        return notebook_text(cells)


MAX_NOTEBOOK_ELEMENTS = 5_000   # a point larger than this is not written into a code cell


def _recompute(ws: TensorWorksheet) -> str:
    """A code cell that recomputes the sheet: the point's arrays (when not too large) and backprop."""
    import numpy as np
    head = "import numpy as np\nimport symgrad as sg\n\n" + f"program = sg.parse({ws.source!r})\n"
    point = ws.result.point if ws.result is not None else {}
    if not point or sum(np.size(v) for v in point.values()) > MAX_NOTEBOOK_ELEMENTS:
        return head + "# point = {name: array, ...}: the sheet's values (too many to write here)\n"
    lines = [f"    {k!r}: np.array({np.asarray(v).tolist()!r})," for k, v in point.items()]
    return (head + "point = {\n" + "\n".join(lines) + "\n}\n" +
            ("result = sg.backprop(program, point)\nprint(result.value)  # the gradients are yours to find"
             if ws.exercise else "result = sg.backprop(program, point)\nprint(result.table())"))


TENSOR_RENDERERS = {"md": TensorMarkdownRenderer, "html": TensorHtmlRenderer, "tex": TensorTexRenderer,
                    "ipynb": TensorNotebookRenderer}
