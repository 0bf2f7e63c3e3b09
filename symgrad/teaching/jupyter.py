"""Rich display in Jupyter, chosen with ``_repr_mimebundle_``.

Frontends (JupyterLab, classic Notebook, nbconvert) rank ``text/latex`` above
``image/svg+xml``, so offering both hides the picture. A Program offers its AST picture
when Graphviz can draw it and it is small enough, else its LaTeX; a Result its table, and
its graph below ``limits.max_display_nodes`` (above it: "graph not drawn (N nodes)").
Nothing here raises: without Graphviz the text forms are shown.

Program and Result live below this module (language and engine layers), so they do not import
it: their own ``_repr_mimebundle_`` asks ``base.display_hooks`` for the picture, and
``register_pictures`` (called by ``symgrad/__init__``) registers the two functions here.
"""

from __future__ import annotations

from typing import Any

from ..language.ast import Program
from ..engine.backprop import Result
from ..base.display_hooks import register_display
from ..base.errors import LimitError, SymgradError
from ..base.limits import DEFAULT_LIMITS

__all__ = ["program_bundle", "result_bundle", "program_latex", "result_html", "register_pictures"]


def _svg(dot: Any) -> str | None:
    from .draw import svg_text
    try:
        return svg_text(dot)
    except SymgradError:
        return None


def _limits_of(obj: Any) -> Any:
    return getattr(obj, "limits", None) or DEFAULT_LIMITS


def program_latex(program: Any) -> str:
    from ..language.printing import to_latex
    return r"$$\begin{gathered}" + to_latex(program) + r"\end{gathered}$$"


def program_bundle(program: Any) -> dict[str, str]:
    """One picture for a Program: the AST as SVG, or its LaTeX (too large, or no Graphviz)."""
    from ..language.ast import postorder
    from .draw import draw
    bundle = {"text/plain": repr(program)}
    size = sum(1 for _ in postorder(program))
    svg = None
    if size <= _limits_of(program).max_display_nodes:
        try:
            svg = _svg(draw(program, view="ast"))
        except SymgradError:
            svg = None
    if svg is not None:
        bundle["image/svg+xml"] = svg
    else:
        bundle["text/latex"] = program_latex(program)
    return bundle


def result_html(result: Any) -> str:
    """The value, a gradient table, and the graph (when Graphviz is there and it is small enough)."""
    from markupsafe import escape
    from .draw import draw
    from ..engine.value import topo_order
    from .worksheet_model import number
    out = result.program.output or "output"
    rows = "".join(f"<tr><td>{escape(name)}</td><td>{escape(number(grad, 10))}</td></tr>"
                   for name, grad in result.grads.items())
    n = len(topo_order(result.root))
    if n > _limits_of(result.program).max_display_nodes:
        picture = f"<p>graph not drawn ({n} nodes)</p>"
    else:
        try:
            picture = _svg(draw(result)) or ""
        except LimitError as err:    # small, but its edges cross too many ranks (max_graph_layout)
            picture = f"<p>graph not drawn ({n} nodes, {escape(err.limit)}={escape(str(err.value))})</p>"
    return (f"<div><p>{escape(out)} = {escape(number(result.value, 10))}</p>"
            f"<table><tr><th>name</th><th>d{escape(out)}/dname</th></tr>{rows}</table>{picture}</div>")


def result_bundle(result: Any) -> dict[str, str]:
    """A Result's bundle: the plain table, and the HTML table with its graph."""
    return {"text/plain": result.table(), "text/html": result_html(result)}


def register_pictures() -> None:
    """Program's and Result's ``_repr_mimebundle_`` draw with these functions from now on."""
    register_display(Program, program_bundle)  # one picture
    register_display(Result, result_bundle)  # table + graph
