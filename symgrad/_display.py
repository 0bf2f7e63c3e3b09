"""Rich display in Jupyter: Program as its AST picture and LaTeX, Result as a table and its graph.

Each function returns None when it cannot render (for example without Graphviz's ``dot``):
IPython then quietly shows the text form instead of a traceback.
"""

from __future__ import annotations

from markupsafe import escape

from ._errors import SymgradError

__all__ = ["program_svg", "program_latex", "result_html"]


def _svg(dot) -> str | None:
    from ._draw import svg_text
    try:
        return svg_text(dot)
    except SymgradError:
        return None


def program_svg(program) -> str | None:
    from ._draw import draw
    return _svg(draw(program, view="ast"))


def program_latex(program) -> str:
    from ._printing import to_latex
    return r"$$\begin{gathered}" + to_latex(program) + r"\end{gathered}$$"


def result_html(result) -> str:
    """The value, a gradient table, and the graph (when Graphviz is there)."""
    from ._draw import draw
    from ._worksheet import number
    out = result.program.output or "output"
    rows = "".join(f"<tr><td>{escape(name)}</td><td>{escape(number(grad, 10))}</td></tr>"
                   for name, grad in result.grads.items())
    svg = _svg(draw(result)) or ""
    return (f"<div><p>{escape(out)} = {escape(number(result.value, 10))}</p>"
            f"<table><tr><th>name</th><th>d{escape(out)}/dname</th></tr>{rows}</table>{svg}</div>")
