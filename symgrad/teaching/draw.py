"""Graphviz pictures of a Value graph (as the lecture's ``draw_dot``) and of a Program's AST.

Node ids are topological indices (``n0``, ``n1``, …), never ``id()``, so the DOT text is the
same bytes on every run. Every label goes through ``record_escape``: a label can never
change the DOT structure, whatever a hand-made ``Value(label=…)`` holds.
"""

from __future__ import annotations

import difflib
from typing import Any, Mapping

import graphviz

from ..language.ast import Assign, Const, Num, Op, Program, Var, children, postorder
from ..engine.value import Value, topo_order
from ..base.errors import InputError, RenderError, escape_text
from ..base.files import stable_pdf
from ..base.validate import whole_number
from ..rules.table import RULES
from .dot_text import _new_digraph, _quote, bound_layout, check_graph_size, record_escape
from .draw_style import STYLES, program_roles, styled_digraph, value_roles

__all__ = ["draw", "render", "record_escape", "label_number", "FORMATS", "RANKDIRS", "STYLES"]

FORMATS = ("svg", "png", "pdf", "dot")
RANKDIRS = ("LR", "TB", "RL", "BT")
INSTALL_HINT = ("install Graphviz's `dot` program: apt-get install graphviz (Debian/Ubuntu), "
                "brew install graphviz (macOS), or see https://graphviz.org/download/")
def label_number(x: float, precision: int = 4) -> str:
    """A graph label's number: fixed ``precision`` decimals for ordinary sizes (``6.0000``, as the
    lecture's draw_dot), significant digits with an exponent below 1e-3 or from 1e6 on, so a
    tiny gradient is ``4.2500e-18`` (not a misleading ``0.0000``) and exp(700) is ``1.0142e+304``."""
    if x != 0.0 and (abs(x) < 1e-3 or abs(x) >= 1e6) and x == x and abs(x) != float("inf"):
        return f"{x:.{precision}e}"
    return f"{x:.{precision}f}"


_number = label_number


def _value_digraph(root: Value, *, precision: int = 4, show_grad: bool = True,
                   names: list[str] | None = None, rankdir: str = "LR", compact: bool = False,
                   limits: Any = None, topo: list[Value] | None = None, bound: bool = True) -> graphviz.Digraph:
    """The lecture's picture: a record ``{ label | data … | grad … }`` per value, a small op node.
    ``bound=False`` leaves ``bound_layout`` to the caller (a worksheet notes a graph over it).

    ``names`` (by topological index) replaces the labels, as a worksheet names t1, t2, ….
    ``compact`` stacks the three fields (a narrow box: the worksheet's layout for wide graphs).
    """
    dot = _new_digraph("values", rankdir)
    topo = topo if topo is not None else topo_order(root)
    check_graph_size(len(topo), limits)
    if compact:
        dot.attr(nodesep="0.15", ranksep="0.3")
        dot.attr("node", fontsize="14", margin="0.05,0.02")
    index = {id(node): i for i, node in enumerate(topo)}  # ids stay private: only indices are shown
    body = dot.body
    shape = "%s | data %s | grad %s" if compact else "{ %s | data %s | grad %s }"
    for i, node in enumerate(topo):
        grad = _number(node.grad, precision) if show_grad else "?"
        label = shape % (record_escape(names[i] if names else node.label), _number(node.data, precision),
                         record_escape(grad))
        body.append(f'\tn{i} [label="{label}" shape=record]\n')
        if node._op:
            body.append(f"\tn{i}op [label={_quote(node._op)}]\n")
            body.append(f"\tn{i}op -> n{i}\n")
    for i, node in enumerate(topo):
        for kid in node._prev:
            body.append(f"\tn{index[id(kid)]} -> n{i}op\n")
    return bound_layout(dot, limits) if bound else dot


def _ast_label(node: Any) -> str:
    if isinstance(node, Num):
        return repr(node.value)
    if isinstance(node, (Var, Const)):
        return node.name
    if isinstance(node, Op):
        return str(RULES[node.rule])
    return f"{node.name} =" if node.name is not None else "output"


def _ast_digraph(program: Program, rankdir: str = "LR") -> graphviz.Digraph:
    """The AST, statement by statement; a name read links back to its assignment (dashed)."""
    dot = _new_digraph("ast", rankdir)
    body = dot.body
    assigned: dict[str, int] = {}
    next_id = 0
    for stmt in program.statements:
        number: dict[int, int] = {}  # id(AST node) -> node number; ids are never shown
        for node in postorder(stmt):
            number[id(node)] = next_id
            shape = "box" if isinstance(node, Assign) else "ellipse"
            body.append(f"\ta{next_id} [label={_quote(_ast_label(node))} shape={shape}]\n")
            for kid in children(node):
                body.append(f"\ta{number[id(kid)]} -> a{next_id}\n")
            if isinstance(node, Var) and node.name in assigned:
                body.append(f"\ta{assigned[node.name]} -> a{next_id} [style=dashed]\n")
            next_id += 1
        if stmt.name is not None:
            assigned[stmt.name] = next_id - 1
    return dot


MAX_PRECISION = 17   # decimals a label shows: float64 has at most 17 significant digits
_DRAW_KEYWORDS = ("view", "precision", "show_grad", "limits", "rankdir", "format", "style", "model")


def draw(obj: Any, values: Mapping[str, Any] | None = None, /, *, view: str = "values",
         precision: int = 4, show_grad: bool = True, limits: Any = None, rankdir: str = "LR",
         format: str = "svg", style: str = "micrograd", model: Any = None, **kw: Any) -> graphviz.Digraph:
    """A graphviz.Digraph of a Value, a Result, or a program (text or Program) at a point.

    ``view="values"`` draws the Value graph (``label | data | grad``); ``view="ast"`` draws the
    program's syntax tree (no values needed). A Value is drawn with the grads it holds now.
    ``rankdir`` (LR, TB, RL, BT) and ``format`` (svg, png, pdf, dot) are micrograd's
    ``draw_dot`` keywords. Other keywords are input values of a program given as text or
    Program; for a Value or Result they raise InputError, as a typo (``show_grads``) would.
    ``style="torchviz"`` colours inputs, parameters and the output (a legend names them), writes
    constants into the op that reads them, and draws one cluster per statement, or per layer of
    ``model`` (a symgrad.nn MLP, Layer or Neuron whose parameters the Value graph reads): see
    ``teaching.draw_style``. The default ``style="micrograd"`` is the lecture's draw_dot.
    Raises LimitError over ``limits.max_graph_nodes`` or ``limits.max_graph_layout``; InputError for an unknown style, or a
    ``model`` with the micrograd style.
    """
    from ..engine.backprop import Result, backprop
    from ..language.parser import parse
    if view not in ("values", "ast"):
        raise InputError(f"unknown view {view!r:.40}", hint="use view='values' or view='ast'")
    if rankdir not in RANKDIRS:
        raise InputError(f"unknown rankdir {rankdir!r:.20}", hint=f"use one of: {', '.join(RANKDIRS)}")
    if format not in FORMATS:
        raise InputError(f"unknown graph format {format!r:.20}", hint=f"use one of: {', '.join(FORMATS)}")
    if style not in STYLES:
        raise InputError(f"unknown style {style!r:.30}", hint=f"use one of: {', '.join(STYLES)}")
    if model is not None and style != "torchviz":
        raise InputError("model= marks the layers of style='torchviz'", hint="add style='torchviz'")
    if kw and isinstance(obj, (Value, Result)):
        raise InputError(f"unknown keyword {escape_text(next(iter(kw)), 40)} for drawing a {type(obj).__name__}",
                         hint=f"draw takes: {', '.join(_DRAW_KEYWORDS)}")
    precision = whole_number(precision, "precision", minimum=0, maximum=MAX_PRECISION)
    looks = {"precision": precision, "show_grad": show_grad, "limits": limits, "rankdir": rankdir}
    if isinstance(obj, Value):
        if view == "ast":
            raise InputError("a Value has no AST", hint="draw a program with view='ast'")
        if style == "torchviz":
            return _formatted(_styled(obj, None, model, **looks), format)
        return _formatted(_value_digraph(obj, **looks), format)
    if isinstance(obj, Result):
        if view == "values":
            return _formatted(_styled_result(obj, model, style, looks), format)
        obj = obj.program
    if not isinstance(obj, (Program, str)):
        raise InputError(f"cannot draw a {type(obj).__name__}", hint="give a Value, a Result, or a program")
    if view == "ast":
        program = parse(obj, limits=limits)
        check_graph_size(sum(1 for _ in postorder(program)), limits)
        return _formatted(bound_layout(_ast_digraph(program, rankdir), limits), format)
    if kw:   # a misspelt keyword of draw is not an input value: say so before backprop would
        program = parse(obj, limits=limits)
        stray = next((k for k in kw if k not in program.inputs and k not in program.intermediates), None)
        if stray is not None:
            close = difflib.get_close_matches(stray, _DRAW_KEYWORDS, n=1)
            raise InputError(f"unknown keyword {escape_text(stray, 40)} for draw: neither a keyword of draw nor an "
                             "input of this program", hint=f"did you mean {close[0]}?" if close else
                             f"draw takes: {', '.join(_DRAW_KEYWORDS)}; inputs are: {', '.join(program.inputs)}")
        obj = program
    result = backprop(obj, values, limits=limits, **kw)
    if not isinstance(result, Result):       # a tensor program: shape and summaries on each node
        from .tensor_draw import result_digraph
        if style != "micrograd":
            raise InputError(f"style={style!r} draws scalar programs", hint="draw a tensor program without style")
        return _formatted(result_digraph(result, show_grad=show_grad, rankdir=rankdir, limits=limits), format)
    return _formatted(_styled_result(result, model, style, looks), format)


def _styled_result(result: Any, model: Any, style: str, looks: dict) -> graphviz.Digraph:
    if style == "torchviz":
        return _styled(result.root, None if model is not None else result.graph, model, **looks)
    return _value_digraph(result.root, **looks)


def _styled(root: Value, graph: Any, model: Any, *, precision: int, show_grad: bool, limits: Any,
            rankdir: str) -> graphviz.Digraph:
    """The torchviz style: statement clusters from a program's ``graph``, else layers of ``model``."""
    topo = topo_order(root)
    check_graph_size(len(topo), limits)
    marks = program_roles(graph) if graph is not None else value_roles(root, topo, model)
    return bound_layout(styled_digraph(topo, marks, number=_number, precision=precision,
                                       show_grad=show_grad, rankdir=rankdir), limits)


def _formatted(dot: graphviz.Digraph, format: str) -> graphviz.Digraph:
    if format != "dot":
        dot.format = format
    return dot


def render(dot: graphviz.Digraph, format: str = "svg") -> bytes:
    """Bytes of the picture in ``format`` (svg, png, pdf, or dot for the DOT text itself)."""
    if format not in FORMATS:
        raise InputError(f"unknown graph format {format!r:.20}", hint=f"use one of: {', '.join(FORMATS)}")
    if format == "dot":
        return dot.source.encode("utf-8")
    try:
        data = dot.pipe(format=format)
        return stable_pdf(data) if format == "pdf" else data
    except graphviz.ExecutableNotFound:
        raise RenderError(f"cannot render {format}: Graphviz's `dot` program was not found",
                          hint=INSTALL_HINT + "; DOT text works without it (format dot)") from None
    except (graphviz.CalledProcessError, OSError) as err:
        raise RenderError(f"Graphviz failed to render {format}: {str(err)[:200]}") from None


def svg_text(dot: graphviz.Digraph) -> str:
    """The SVG as text without the XML prologue, ready to inline in HTML."""
    svg = render(dot, "svg").decode("utf-8")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
