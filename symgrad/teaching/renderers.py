"""Worksheet renderers: one class per format, each with its own jinja2 template and escaping.

``Renderer`` holds what the formats share (the template environment, the helpers with their
LaTeX spelling, picture files); ``MarkdownRenderer``, ``HtmlRenderer``, ``TexRenderer`` (with
TeX's escaping of a rule's Unicode text) and ``NotebookRenderer`` each override what their
format spells differently. Templates call the renderer's helpers (``f.text``, ``f.num``,
``f.math``, ``f.name``, ``f.partial``, ``f.grad``, ``f.graph``, ``f.plot``), so a template never
needs to know how its format escapes or spells math. Pictures: inline SVG in HTML; files beside
the .md (SVG) and the .tex (PDF, ``\\includegraphics``) when rendered with a path (``assets``);
notebook attachments in .ipynb. ``teaching.sheets`` picks the renderer for a format and writes the files.
"""

from __future__ import annotations

import base64
import functools
import re
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..base.files import stable_pdf
from ..language.printing import latex_name, mathml_name, mathml_number
from .worksheet_model import SECTIONS, Blank, Branch, Math, Worksheet, number

__all__ = ["Renderer", "MarkdownRenderer", "HtmlRenderer", "TexRenderer", "NotebookRenderer", "notebook_text"]

TEXT_PT = 14.0       # Graphviz's label font size
MIN_TEXT_PT = 7.0    # smallest printed label height we accept on paper
TEX_PAGE = (480.0, 600.0)   # A4 text block with 2 cm margins, in pt (room left for a caption)


class Renderer:
    """Formats a Worksheet. Subclasses set the template and the escaping of their format, and
    what the CLI, the explorer and the exercise writer need to know about it."""

    template = ""
    blank = "____"
    label = ""                # the format's name for people (the explorer's menu)
    media_type = ""           # its HTTP content type (the explorer's download)
    nbgrader_exercise = False  # an exercise sheet in this format is an nbgrader source notebook

    def __init__(self, assets: str | None = None) -> None:
        self.assets_stem = assets           # pictures go to files named from this stem
        self.files: dict[str, bytes] = {}   # file name -> bytes, filled while rendering

    def environment(self) -> jinja2.Environment:
        return jinja2.Environment(loader=jinja2.PackageLoader("symgrad.teaching", "templates"), autoescape=False,
                                  keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                                  undefined=jinja2.StrictUndefined)

    def render(self, ws: Worksheet) -> str:
        return _template(type(self), self.template).render(ws=ws, f=self, titles=SECTIONS)

    def heading(self, ws: Worksheet, key: str) -> str:
        """A numbered section title, the same number on a sheet and its key."""
        return self.text(f"{ws.section(key)}. {SECTIONS[key]}")

    def grad(self, name: str) -> str:
        """The gradient accumulated in a node, as micrograd spells it: ``a.grad``."""
        return self.inline(latex_name(name) + r".\mathrm{grad}")

    def asset(self, suffix: str, data: bytes) -> str:
        name = f"{self.assets_stem}-{suffix}"
        self.files[name] = data
        return name

    def num(self, x: float | Blank) -> str:
        return self.blank_of(x) if isinstance(x, Blank) else self.text(number(x))

    def blank_of(self, b: Blank, shown: str | None = None) -> str:
        """A blank (or, in the worked key, its answer) with its id beside it, as the answer key and
        the answers file name it."""
        if shown is None:
            shown = self.blank if b.answer is None else \
                self.math(b.answer) if isinstance(b.answer, Math) else self.num(b.answer)
        return shown + self.text(f" [{b.id}]")

    def factor(self, x: float | Blank) -> str:
        """A number inside a product, parenthesised when negative: 0.5 × (-3), not 0.5 × -3."""
        if isinstance(x, Blank) and x.answer is not None:
            return self.blank_of(x, self.factor(x.answer))
        shown = self.num(x)
        return shown if isinstance(x, Blank) or x >= 0 else self.text("(") + shown + self.text(")")

    def text(self, s: str) -> str:
        return s

    def math(self, m: Math | Blank) -> str:
        return self.blank_of(m) if isinstance(m, Blank) else self.inline(m.latex)

    def inline(self, latex: str) -> str:
        return f"${latex}$"

    def name(self, name: str) -> str:
        return self.inline(latex_name(name))

    def partial(self, top: str, bottom: str) -> str:
        return self.inline(rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}")

    def tangent(self, name: str) -> str:
        """A value's tangent in forward mode, d value/d input, dotted as Griewank writes it: ẋ."""
        return self.inline(rf"\dot{{{latex_name(name)}}}")

    def closed(self, ws: Worksheet, r: Any) -> str:
        return self.inline(closed_latex(ws, r))

    def branch(self, b: Branch) -> str:
        """Which branch a ``where`` took and why (``x > 0`` is true at ``x = 2``: the first branch
        passes through); at a switch point, that it is one and what the verdict weighs there."""
        t = self.text
        said = self.math(b.condition) + t(f" is {'true' if b.holds else 'false'}")
        if b.at is not None:
            said += t(" at ") + self.math(b.at)
        said += t(f": the {'first' if b.holds else 'second'} branch")
        if b.taken is not None:
            said += t(", ") + self.math(b.taken) + t(",")
        said += t(" is taken, a constant: no gradient flows past this node; the other gets no gradient." if b.constant
                  else " passes through; the other gets no gradient.")
        if b.ties:
            said += (t(" This is a switch point: the sides of ") + t(" and of ").join(self.math(m) for m in b.ties)
                     + t(" are equal here, so a move of the point can change the branch. The final gradients' "
                         "verdict weighs both sides: agree where the branches meet with equal slopes, kink where "
                         "their slopes differ, undefined at a jump."))
        return said


def closed_latex(ws: Worksheet, r: Any) -> str:
    """A final row's closed form as one LaTeX equation: d(output)/d(name) = formula."""
    return rf"\frac{{\partial {ws.output_tex}}}{{\partial {r.tex}}} = {r.closed_form.latex}"


@functools.lru_cache(maxsize=None)
def _template(cls: type, name: str) -> jinja2.Template:
    return cls().environment().get_template(name)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$~])")


class MarkdownRenderer(Renderer):
    """GitHub-flavoured Markdown with ``$…$`` math; pictures as data-URI images."""

    template = "worksheet.md.j2"
    blank = r"\_\_\_\_"
    label, media_type = "Markdown", "text/markdown; charset=utf-8"

    def text(self, s: str) -> str:
        return _MD_SPECIAL.sub(r"\\\1", s)

    def inline(self, latex: str) -> str:
        # '|' would split a table cell; '$' inside math would end it.
        return "$" + latex.replace("|", r"\vert ").replace("$", r"\$") + "$"

    def image(self, svg: str, alt: str, suffix: str) -> str:
        """A picture file beside the .md, linked (GitHub shows it); a data URI without a path."""
        if self.assets_stem is None:
            data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
            return f"![{self.text(alt)}](data:image/svg+xml;base64,{data})"
        return f"![{self.text(alt)}]({self.asset(suffix, svg.encode('utf-8'))})"

    def graph(self, ws: Worksheet) -> str:
        return self.image(ws.graph_svg, "computation graph", "graph.svg") if ws.graph_svg else ""

    def plot(self, ws: Worksheet) -> str:
        from .slope_plot import plot_svg
        return self.image(plot_svg(ws.curve, ws.output), f"{ws.output} along {ws.plot_input}", "plot.svg")

    def closed(self, ws: Worksheet, r: Any) -> str:
        return "$$" + closed_latex(ws, r) + "$$"


class HtmlRenderer(Renderer):
    """One self-contained page: inline SVG, Presentation MathML, no script, no network."""

    template = "worksheet.html.j2"
    label, media_type = "HTML", "text/html; charset=utf-8"

    def environment(self) -> jinja2.Environment:
        env = super().environment()
        env.autoescape = True
        return env

    @property
    def blank(self) -> Markup:  # type: ignore[override]
        return Markup('<span class="blank"></span>')

    def num(self, x: float | Blank) -> Markup:
        return self.blank_of(x) if isinstance(x, Blank) else Markup(f"<math>{mathml_number(number(x))}</math>")  # U+2212 minus

    def text(self, s: str) -> Markup:
        return escape(s)

    def math(self, m: Math | Blank) -> Markup:
        """The MathML, with the LaTeX the other formats print as its annotation (copied, read aloud)."""
        if isinstance(m, Blank):
            return self.blank_of(m)
        head, body = m.mathml.split(">", 1)  # SymPy's and symgrad's printers escape their text
        return Markup(f"{head}><semantics><mrow>{body.rsplit('</math>', 1)[0]}</mrow>"
                      f'<annotation encoding="application/x-tex">{escape(m.latex)}</annotation></semantics></math>')

    def name(self, name: str) -> Markup:
        return Markup(f"<math>{mathml_name(name)}</math>")

    def grad(self, name: str) -> Markup:
        return Markup(f'<math><mrow>{mathml_name(name)}<mo lspace="0" rspace="0">.</mo><mi>grad</mi></mrow></math>')

    def tangent(self, name: str) -> Markup:
        return Markup(f'<math><mover accent="true">{mathml_name(name)}<mo>&#x2D9;</mo></mover></math>')

    def partial(self, top: str, bottom: str) -> Markup:
        return Markup(f"<math><mfrac><mrow><mo>&#x2202;</mo>{mathml_name(top)}</mrow>"
                      f"<mrow><mo>&#x2202;</mo>{mathml_name(bottom)}</mrow></mfrac></math>")

    def closed(self, ws: Worksheet, r: Any) -> Markup:
        body = r.closed_form.mathml.split(">", 1)[1].rsplit("</math>", 1)[0]
        return Markup(f'<math display="block"><semantics><mrow><mfrac><mrow><mo>&#x2202;</mo>{mathml_name(ws.output)}'
                      f"</mrow><mrow><mo>&#x2202;</mo>{mathml_name(r.name)}</mrow></mfrac><mo>=</mo>{body}</mrow>"
                      f'<annotation encoding="application/x-tex">{escape(closed_latex(ws, r))}</annotation>'
                      "</semantics></math>")

    def program(self, ws: Worksheet) -> Markup:
        return Markup(ws.program_mathml)

    def graph(self, ws: Worksheet) -> Markup:
        """The Graphviz SVG, scaled to the page but never below 10 px text: a wider graph scrolls."""
        svg = ws.graph_svg or ""
        m = re.search(r'<svg width="([0-9.]+)pt"', svg)
        if not m:
            return Markup(svg)
        min_px = float(m.group(1)) * 4 / 3 * (10.5 / (TEXT_PT * 4 / 3))  # 10.5 px text at the smallest
        return Markup(svg.replace("<svg ", f'<svg style="min-width:{min_px:.0f}px" ', 1))

    def plot(self, ws: Worksheet) -> Markup:
        from .slope_plot import plot_svg
        return Markup(plot_svg(ws.curve, ws.output))  # matplotlib escapes every label it writes


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "|": r"\textbar{}", "\n": r"\\"}
_TEX_UNICODE = {"∂": r"$\partial$", "·": r"$\cdot$", "²": r"$^{2}$", "¹": r"$^{1}$", "⁻": r"$^{-}$",
                "ⁿ": r"$^{n}$", "ᵘ": r"$^{u}$", "σ": r"$\sigma$", "−": r"$-$", "√": r"$\surd$",
                "×": r"$\times$", "…": r"\ldots{}", "≈": r"$\approx$", "±": r"$\pm$", "½": r"$\frac{1}{2}$",
                "∛": r"$\sqrt[3]{\vphantom{u}}$", "—": "---", "–": "--", "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$"}


_LATIN_LOOKALIKE = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I", "Kappa": "K",
                    "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T", "Chi": "X"}
_TEX_GREEK_CAPITALS = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"}


def _tex_char(ch: str) -> str:
    """A character of a rule's worksheet text in pdflatex: Greek letters, super- and subscripts
    and compatibility forms by their Unicode names, so a new row's text needs no table entry."""
    import unicodedata
    name = unicodedata.name(ch, "")
    greek = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", name)
    if greek:
        word = greek.group(2).capitalize()
        if greek.group(1) == "SMALL":
            return "$o$" if word == "Omicron" else rf"$\{word.lower()}$"
        return rf"$\{word}$" if word in _TEX_GREEK_CAPITALS else rf"$\mathrm{{{_LATIN_LOOKALIKE.get(word, word)}}}$"
    plain = unicodedata.normalize("NFKC", ch)
    if plain != ch and all(" " <= c <= "~" or c in _TEX_UNICODE for c in plain):
        body = "".join(_TEX_UNICODE.get(c, c) for c in plain)
        return f"$^{{{body}}}$" if "SUPERSCRIPT" in name or "MODIFIER LETTER" in name else \
            f"$_{{{body}}}$" if "SUBSCRIPT" in name else body
    return rf"\texttt{{[U+{ord(ch):04X}]}}"  # shown, never dropped: a test keeps rule texts free of these


class TexRenderer(Renderer):
    """A LaTeX article that compiles with pdflatex from texlive-latex-base/recommended."""

    template = "worksheet.tex.j2"
    blank = r"\underline{\hspace{1.5cm}}"
    label, media_type = "LaTeX", "application/x-tex; charset=utf-8"

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
                out.append(_tex_char(ch))
        return "".join(out)

    def num(self, x: float | Blank) -> str:
        return self.blank_of(x) if isinstance(x, Blank) else f"${number(x)}$"

    def heading(self, ws: Worksheet, key: str) -> str:
        return rf"\section*{{{ws.section(key)}. {SECTIONS[key]}}}"

    def closed(self, ws: Worksheet, r: Any) -> str:
        """A display formula that breqn breaks across lines, so nothing runs into the margin."""
        return rf"\begin{{dmath*}}{closed_latex(ws, r)}\end{{dmath*}}"

    def plot(self, ws: Worksheet) -> str:
        from .slope_plot import plot_pdf
        if self.assets_stem is None:
            return r"\emph{(The plot is written beside the .tex file when the worksheet is saved to a file.)}"
        name = self.asset("plot.pdf", plot_pdf(ws.curve, ws.output))
        return rf"\includegraphics[width=0.8\textwidth]{{{name}}}"

    def graph(self, ws: Worksheet) -> str:
        """Graphviz's own PDF, scaled to the page (turned sideways when that is larger), or a note."""
        import graphviz
        if ws.graph_svg is None:
            return ""
        if self.assets_stem is None:
            return r"\emph{(The graph is written beside the .tex file when the worksheet is saved to a file.)}"
        m = re.search(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', ws.graph_svg)
        w, h = (float(v) for v in m.groups()) if m else (TEX_PAGE[0], TEX_PAGE[1])
        try:
            pdf = stable_pdf(graphviz.Source(ws.graph_dot).pipe(format="pdf"))
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError):
            return r"\emph{The graph is not drawn: Graphviz's dot program was not found.}"
        name = self.asset("graph.pdf", pdf)
        upright = min(1.0, TEX_PAGE[0] / w, TEX_PAGE[1] / h)
        sideways = min(1.0, TEX_PAGE[1] / w, TEX_PAGE[0] / h)
        scale = max(upright, sideways)
        picture = rf"\includegraphics[width={w * scale:.1f}pt]{{{name}}}"
        if sideways > upright:
            picture = rf"\rotatebox{{90}}{{{picture}}}"
        if TEXT_PT * scale < MIN_TEXT_PT:
            picture += (rf"\\ \emph{{The graph has {len(ws.nodes)} values: its labels print "
                        rf"{TEXT_PT * scale:.1f} pt high. The HTML worksheet shows it larger.}}")
        return picture


class NotebookRenderer(Renderer):
    """A Jupyter notebook: the Markdown worksheet in cells (pictures as cell attachments), and code
    cells that recompute it. It runs without Graphviz: the last cell shows the Result, whose
    display draws the graph only when it can. Its exercise sheets are nbgrader source notebooks
    (``teaching.nbgrader``)."""

    label, media_type = "Jupyter notebook", "application/x-ipynb+json"
    nbgrader_exercise = True

    def render(self, ws: Worksheet) -> str:
        from nbformat.v4 import new_code_cell, new_markdown_cell
        md = MarkdownRenderer(assets="attachment")
        sections = re.split(r"\n(?=## )", md.render(ws))
        point = ", ".join(f"{k!r}: {v!r}" for k, v in ws.point)
        cells = [_attached(new_markdown_cell(sections[0]), md.files),
                 new_code_cell("import symgrad as sg\n\n"
                               f"program = sg.parse({ws.source!r})\n"
                               f"point = {{{point}}}\n"
                               "result = sg.backprop(program, point)\n" +
                               ("print(result.value)  # the grads are yours to find" if ws.exercise
                                else "print(result.table())"))]
        cells += [_attached(new_markdown_cell(s), md.files) for s in sections[1:]]
        if not ws.exercise:
            expected = ", ".join(f"{n.name!r}: {n.grad!r}" for n in ws.nodes if n.kind != "constant")
            cells.append(new_code_cell(
                "# The worksheet's numbers, recomputed by symgrad: backprop gives the same grads.\n"
                f"worksheet_value = {ws.value!r}\n"
                f"worksheet_grads = {{{expected}}}\n"
                "assert result.value == worksheet_value\n"
                "assert all(result.grads[k] == v for k, v in worksheet_grads.items() if k in result.grads)"))
        # Displays that degrade without Graphviz (text instead of a picture), so the notebook always runs.
        cells.append(new_code_cell("program  # the program's syntax tree" if ws.exercise else
                                   "result  # the table, and the graph when Graphviz is installed"))
        for i, cell in enumerate(cells):
            cell["id"] = f"cell-{i}"  # nbformat's default ids are random; ours keep the bytes stable
        return notebook_text(cells)


def notebook_text(cells: list) -> str:
    """A Python 3 notebook of ``cells``, validated, as nbformat 4 JSON text."""
    import nbformat
    from nbformat.v4 import new_notebook
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb)


def _attached(cell: Any, files: dict[str, bytes]) -> Any:
    """Turn ``](attachment-graph.svg)`` links into notebook attachments (``attachment:graph.svg``)."""
    used = {}
    for name, data in files.items():
        link = f"]({name})"
        if link in cell.source:
            short = name.split("-", 1)[1]
            cell.source = cell.source.replace(link, f"](attachment:{short})")
            used[short] = {"image/svg+xml": base64.b64encode(data).decode("ascii")}
    if used:
        cell["attachments"] = used
    return cell
