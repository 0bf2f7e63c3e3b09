"""Graphviz pictures of a Value graph (as the lecture's ``draw_dot``) and of a Program's AST.

Node ids are topological indices (``n0``, ``n1``, …), never ``id()``, so the DOT text is the
same bytes on every run. Every label goes through ``record_escape``: a label can never
change the DOT structure, whatever a hand-made ``Value(label=…)`` holds.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any, Mapping

import graphviz

from ._ast import Assign, Const, Num, Op, Program, Var, children, postorder
from ._engine import Value, topo_order
from ._errors import InputError, RenderError, escape_char
from ._rules import RULES

__all__ = ["draw", "render", "record_escape", "FORMATS"]

FORMATS = ("svg", "png", "pdf", "dot")
INSTALL_HINT = ("install Graphviz's `dot` program: apt-get install graphviz (Debian/Ubuntu), "
                "brew install graphviz (macOS), or see https://graphviz.org/download/")
_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def record_escape(text: str) -> str:
    """Escape text for a record label inside a DOT double-quoted string.

    ``\\ { } | < > "`` get a backslash; control characters are shown escaped, so neither a
    newline nor a record field separator can come from a label.
    """
    shown = "".join(ch if ch >= " " and ch != "\x7f" else escape_char(ch) for ch in str(text))
    return _RECORD_SPECIAL.sub(r"\\\1", shown)


def _quote(text: str) -> str:
    """A DOT double-quoted string for a plain (non-record) label."""
    return '"' + record_escape(text) + '"'


def _number(x: float, precision: int) -> str:
    return f"{x:.{precision}f}"


def _new_digraph(name: str) -> graphviz.Digraph:
    dot = graphviz.Digraph(name, format="svg")
    dot.attr(rankdir="LR")
    return dot


def _value_digraph(root: Value, *, precision: int = 4, show_grad: bool = True,
                   names: list[str] | None = None) -> graphviz.Digraph:
    """The lecture's picture: a record ``{ label | data … | grad … }`` per value, a small op node.

    ``names`` (by topological index) replaces the labels, as a worksheet names t1, t2, ….
    """
    dot = _new_digraph("values")
    topo = topo_order(root)
    index = {id(node): i for i, node in enumerate(topo)}  # ids stay private: only indices are shown
    body = dot.body
    for i, node in enumerate(topo):
        grad = _number(node.grad, precision) if show_grad else "?"
        label = "{ %s | data %s | grad %s }" % (record_escape(names[i] if names else node.label), _number(node.data, precision),
                                                 record_escape(grad))
        body.append(f'\tn{i} [label="{label}" shape=record]\n')
        if node._op is not None:
            body.append(f"\tn{i}op [label={_quote(str(node._op))}]\n")
            body.append(f"\tn{i}op -> n{i}\n")
    for i, node in enumerate(topo):
        for kid in node._prev:
            body.append(f"\tn{index[id(kid)]} -> n{i}op\n")
    return dot


def _ast_label(node: Any) -> str:
    if isinstance(node, Num):
        return repr(node.value)
    if isinstance(node, (Var, Const)):
        return node.name
    if isinstance(node, Op):
        return str(RULES[node.rule])
    return f"{node.name} =" if node.name is not None else "output"


def _ast_digraph(program: Program) -> graphviz.Digraph:
    """The AST, statement by statement; a name read links back to its assignment (dashed)."""
    dot = _new_digraph("ast")
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


def draw(obj: Any, values: Mapping[str, Any] | None = None, /, *, view: str = "values",
         precision: int = 4, show_grad: bool = True, limits: Any = None, **kw: Any) -> graphviz.Digraph:
    """A graphviz.Digraph of a Value, a Result, or a program (text or Program) at a point.

    ``view="values"`` draws the Value graph (``label | data | grad``); ``view="ast"`` draws the
    program's syntax tree (no values needed). A Value is drawn with the grads it holds now.
    """
    from ._backprop import Result, backprop
    from ._parser import parse
    if view not in ("values", "ast"):
        raise InputError(f"unknown view {view!r:.40}", hint="use view='values' or view='ast'")
    if isinstance(obj, Value):
        if view == "ast":
            raise InputError("a Value has no AST", hint="draw a program with view='ast'")
        return _value_digraph(obj, precision=precision, show_grad=show_grad)
    if isinstance(obj, Result):
        obj = obj if view == "values" else obj.program
        if view == "values":
            return _value_digraph(obj.root, precision=precision, show_grad=show_grad)
    if not isinstance(obj, (Program, str)):
        raise InputError(f"cannot draw a {type(obj).__name__}", hint="give a Value, a Result, or a program")
    if view == "ast":
        return _ast_digraph(parse(obj, limits=limits))
    result = backprop(obj, values, limits=limits, **kw)
    return _value_digraph(result.root, precision=precision, show_grad=show_grad)


def render(dot: graphviz.Digraph, format: str = "svg") -> bytes:
    """Bytes of the picture in ``format`` (svg, png, pdf, or dot for the DOT text itself)."""
    if format not in FORMATS:
        raise InputError(f"unknown graph format {format!r:.20}", hint=f"use one of: {', '.join(FORMATS)}")
    if format == "dot":
        return dot.source.encode("utf-8")
    try:
        return dot.pipe(format=format)
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


# --- CLI: symgrad graph PROGRAM --at … -o g.svg ----------------------------------------------

def _setup_graph(p: argparse.ArgumentParser) -> None:
    from ._cli import program_arguments
    program_arguments(p)
    p.add_argument("-o", "--output", help="output file; the format comes from its suffix (.svg .png .pdf .dot)")
    p.add_argument("--format", choices=FORMATS, help="output format (default: from -o, else dot to stdout)")
    p.add_argument("--view", choices=("values", "ast"), default="values", help="values (default) or ast")


def _cmd_graph(args: argparse.Namespace) -> int:
    import sys
    from ._cli import limits_of, read_point, read_program
    fmt = args.format
    if fmt is None and args.output:
        fmt = os.path.splitext(args.output)[1].lstrip(".").lower() or None
        if fmt not in FORMATS:
            raise InputError(f"cannot tell the format from {args.output!r:.60}",
                             hint="use a suffix .svg .png .pdf .dot, or --format")
    fmt = fmt or "dot"
    values = read_point(args.at) if args.view == "values" else None
    data = render(draw(read_program(args), values, view=args.view, limits=limits_of(args)), fmt)
    if args.output:
        try:
            with open(args.output, "wb") as fh:
                fh.write(data)
        except OSError as err:
            raise InputError(f"cannot write {args.output}: {err.strerror or err}") from None
    elif fmt == "dot" or fmt == "svg":
        sys.stdout.write(data.decode("utf-8"))
    else:
        raise InputError(f"{fmt} is binary", hint=f"write it to a file with -o graph.{fmt}")
    return 0
