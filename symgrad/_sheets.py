"""Worksheet renderers: one class per format, each with its own jinja2 template and escaping.

Templates call the renderer's helpers (``f.text``, ``f.num``, ``f.math``, ``f.name``,
``f.partial``), so a template never needs to know how its format escapes or spells math.
"""

from __future__ import annotations

import base64
import functools
import re
from typing import Any

import jinja2
import sympy
from markupsafe import Markup, escape

from ._printing import latex_name
from ._worksheet import Math, Worksheet, number

__all__ = ["worksheet", "RENDERERS", "render_worksheet", "MarkdownRenderer", "HtmlRenderer", "TexRenderer",
           "NotebookRenderer"]


class Renderer:
    """Formats a Worksheet. Subclasses set the template and the escaping of their format."""

    template = ""
    blank = "____"

    def environment(self) -> jinja2.Environment:
        return jinja2.Environment(loader=jinja2.PackageLoader("symgrad", "templates"), autoescape=False,
                                  keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                                  undefined=jinja2.StrictUndefined)

    def render(self, ws: Worksheet) -> str:
        return _template(type(self), self.template).render(ws=ws, f=self)

    def num(self, x: float | None) -> str:
        return self.blank if x is None else self.text(number(x))

    def factor(self, x: float | None) -> str:
        """A number inside a product, parenthesised when negative: 0.5 × (-3), not 0.5 × -3."""
        shown = self.num(x)
        return shown if x is None or x >= 0 else self.text("(") + shown + self.text(")")

    def text(self, s: str) -> str:
        return s

    def math(self, m: Math | None) -> str:
        return self.blank if m is None else self.inline(m.latex)

    def inline(self, latex: str) -> str:
        return f"${latex}$"

    def name(self, name: str) -> str:
        return self.inline(latex_name(name))

    def partial(self, top: str, bottom: str) -> str:
        return self.inline(rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}")


@functools.lru_cache(maxsize=None)
def _template(cls: type, name: str) -> jinja2.Template:
    return cls().environment().get_template(name)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$~])")


class MarkdownRenderer(Renderer):
    """GitHub-flavoured Markdown with ``$…$`` math; pictures as data-URI images."""

    template = "worksheet.md.j2"
    blank = r"\_\_\_\_"

    def text(self, s: str) -> str:
        return _MD_SPECIAL.sub(r"\\\1", s)

    def inline(self, latex: str) -> str:
        # '|' would split a table cell; '$' inside math would end it.
        return "$" + latex.replace("|", r"\vert ").replace("$", r"\$") + "$"

    def image(self, svg: str, alt: str) -> str:
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return f"![{self.text(alt)}](data:image/svg+xml;base64,{data})"


class HtmlRenderer(Renderer):
    """One self-contained page: inline SVG, Presentation MathML, no script, no network."""

    template = "worksheet.html.j2"

    def environment(self) -> jinja2.Environment:
        env = super().environment()
        env.autoescape = True
        return env

    @property
    def blank(self) -> Markup:  # type: ignore[override]
        return Markup('<span class="blank"></span>')

    def num(self, x: float | None) -> Markup:
        return self.blank if x is None else Markup("<math><mn>%s</mn></math>") % number(x)

    def text(self, s: str) -> Markup:
        return escape(s)

    def math(self, m: Math | None) -> Markup:
        return self.blank if m is None else Markup(m.mathml)  # SymPy's printer escapes its text

    def name(self, name: str) -> Markup:
        return Markup(f"<math>{_mathml_name(name)}</math>")

    def partial(self, top: str, bottom: str) -> Markup:
        return Markup(f"<math><mfrac><mrow><mo>&#x2202;</mo>{_mathml_name(top)}</mrow>"
                      f"<mrow><mo>&#x2202;</mo>{_mathml_name(bottom)}</mrow></mfrac></math>")

    def svg(self, svg: str | None) -> Markup:
        return Markup(svg or "")  # Graphviz and matplotlib escape every label they write


@functools.lru_cache(maxsize=4096)
def _mathml_name(name: str) -> str:
    """A symgrad name (grammar-checked, or a number) as MathML, the way SymPy prints it."""
    return sympy.mathml(sympy.Symbol(name), printer="presentation")


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "|": r"\textbar{}", "\n": r"\\"}
_TEX_UNICODE = {"∂": r"$\partial$", "·": r"$\cdot$", "²": r"$^{2}$", "¹": r"$^{1}$", "⁻": r"$^{-}$",
                "ⁿ": r"$^{n}$", "ᵘ": r"$^{u}$", "σ": r"$\sigma$", "−": r"$-$", "√": r"$\surd$",
                "×": r"$\times$", "…": r"\ldots{}", "≈": r"$\approx$"}


class TexRenderer(Renderer):
    """A LaTeX article that compiles with pdflatex from texlive-latex-base/recommended."""

    template = "worksheet.tex.j2"
    blank = r"\underline{\hspace{1.5cm}}"

    def environment(self) -> jinja2.Environment:
        env = super().environment()
        # LaTeX is full of { } and %: use delimiters that cannot clash with it.
        env.block_start_string, env.block_end_string = "((*", "*))"
        env.variable_start_string, env.variable_end_string = "(((", ")))"
        env.comment_start_string, env.comment_end_string = "((=", "=))"
        return env

    def text(self, s: str) -> str:
        out = []
        for ch in s:
            if ch in _TEX_SPECIAL:
                out.append(_TEX_SPECIAL[ch])
            elif ch in _TEX_UNICODE:
                out.append(_TEX_UNICODE[ch])
            elif " " <= ch <= "~":
                out.append(ch)
            else:
                out.append(rf"\texttt{{[U+{ord(ch):04X}]}}")
        return "".join(out)

    def num(self, x: float | None) -> str:
        return self.blank if x is None else f"${number(x)}$"

    def math(self, m: Math | None) -> str:
        return self.blank if m is None else f"${m.latex}$"

    def plot(self, ws: Worksheet) -> str:
        from ._plot import picture
        return picture(ws.curve)

    def graph(self, ws: Worksheet, width: float = 170.0, height: float = 120.0) -> str:
        """The graph as a LaTeX picture, laid out by Graphviz (``dot -Tplain``); "" without dot."""
        import graphviz
        try:
            plain = graphviz.Source(ws.graph_dot).pipe(format="plain").decode("utf-8")
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError):
            return ""
        rows = [line.split() for line in plain.splitlines()]
        gw, gh = float(rows[0][2]), float(rows[0][3])
        unit = min(width / gw, height / gh)  # mm per inch of layout
        names = {f"n{i}": n for i, n in enumerate(ws.nodes)}
        out = [rf"\setlength{{\unitlength}}{{{unit:.4f}mm}}", rf"\begin{{picture}}({gw:.3f},{gh:.3f})"]
        for row in rows:
            if row[0] == "node":
                x, y, w, h = (float(v) for v in row[2:6])
                node = names.get(row[1])
                if node is None:  # an op node: its symbol
                    op = names[row[1][:-2]].rule
                    text = self.text(op.symbol or op.name)
                    out.append(rf"\put({x:.3f},{y:.3f}){{\circle{{{h:.3f}}}}}")
                else:
                    grad = "?" if node.grad is None else number(node.grad, 4)
                    text = rf"{self.name(node.name)} \enspace {number(node.value, 4)} \enspace {grad}"
                    out.append(rf"\put({x - w / 2:.3f},{y - h / 2:.3f}){{\framebox({w:.3f},{h:.3f}){{}}}}")
                out.append(rf"\put({x:.3f},{y:.3f}){{\makebox(0,0){{\tiny {text}}}}}")
            elif row[0] == "edge":
                n = int(row[3])
                pts = [(float(row[4 + 2 * k]), float(row[5 + 2 * k])) for k in range(n)]
                for k in range(0, n - 3, 3):  # each cubic piece drawn as one quadratic
                    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts[k:k + 4]
                    out.append(rf"\qbezier({x0:.3f},{y0:.3f})({(x1 + x2) / 2:.3f},{(y1 + y2) / 2:.3f})"
                               rf"({x3:.3f},{y3:.3f})")
                out.append(rf"\put({pts[-1][0]:.3f},{pts[-1][1]:.3f}){{\circle*{{{0.06:.3f}}}}}")  # the head
        out.append(r"\end{picture}")
        return "\n".join(out)


class NotebookRenderer(Renderer):
    """A Jupyter notebook: the Markdown worksheet in cells, and code cells that recompute it."""

    def render(self, ws: Worksheet) -> str:
        import nbformat
        from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
        markdown = MarkdownRenderer().render(ws)
        sections = re.split(r"\n(?=## )", markdown)
        point = ", ".join(f"{k!r}: {v!r}" for k, v in ws.point)
        cells = [new_markdown_cell(sections[0]),
                 new_code_cell("import symgrad as sg\n\n"
                               f"program = sg.parse({ws.source!r})\n"
                               f"point = {{{point}}}\n"
                               "result = sg.backprop(program, point)\n" +
                               ("print(result.value)  # the grads are yours to find" if ws.exercise
                                else "print(result.table())"))]
        cells += [new_markdown_cell(s) for s in sections[1:]]
        if not ws.exercise:
            expected = ", ".join(f"{n.name!r}: {n.grad!r}" for n in ws.nodes if n.kind != "constant")
            cells.append(new_code_cell(
                "# The worksheet's numbers, recomputed by symgrad: backprop gives the same grads.\n"
                f"worksheet_value = {ws.value!r}\n"
                f"worksheet_grads = {{{expected}}}\n"
                "assert result.value == worksheet_value\n"
                "assert all(result.grads[k] == v for k, v in worksheet_grads.items() if k in result.grads)\n"
                "result.grads"))
        cells.append(new_code_cell(("sg.draw(result, show_grad=False)" if ws.exercise else "sg.draw(result)") +
                                   "  # needs Graphviz's dot to display"))
        for i, cell in enumerate(cells):
            cell["id"] = f"cell-{i}"  # nbformat's default ids are random; ours keep the bytes stable
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                "language": "python"}})
        nbformat.validate(nb)
        return nbformat.writes(nb)


RENDERERS: dict[str, type[Renderer]] = {
    "md": MarkdownRenderer, "html": HtmlRenderer, "tex": TexRenderer, "ipynb": NotebookRenderer,
}


def render_worksheet(ws: Worksheet, format: str) -> str:
    from ._errors import InputError
    try:
        renderer = RENDERERS[format]
    except KeyError:
        raise InputError(f"unknown worksheet format {format!r:.20}",
                         hint=f"use one of: {', '.join(RENDERERS)}") from None
    return renderer().render(ws)


def worksheet(program: Any, values: Any = None, /, *, format: str = "md", exercise: bool = False,
              plot_input: str | None = None, **kw: Any) -> str:
    """A derivation worksheet for ``program`` at ``values`` as md, html, tex or ipynb text.

    ``exercise=True`` blanks the local derivatives, products and gradients (the answer key is
    the same call without it). Other keywords go to ``build_worksheet`` (``h``, ``title``, …).
    """
    from ._worksheet import build_worksheet
    if format not in RENDERERS:
        render_worksheet(None, format)  # raises the clear error
    ws = build_worksheet(program, values, exercise=exercise, plot_input=plot_input, **kw)
    return render_worksheet(ws, format)
