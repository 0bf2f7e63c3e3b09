"""Building a tensor worksheet (``teaching.tensor_worksheet_model``) from a tensor program's tape:
the forward table with shapes, the backward pass per operation with its rule in matrix notation
(``teaching.tensor_rules``), the final table from the exact tensor check, and the graph
(``teaching.tensor_draw``). Computed once, format-free; ``tensor_blanked`` makes the exercise sheet.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np

from ..language.printing import latex_name
from .tensor_display import is_small, matrix_latex, matrix_mathml, summary
from .tensor_rules import RULE_TITLES, Arg, matrix_rule
from .tensor_worksheet_model import TENSOR_SECTIONS, Shown, TensorFinal, TensorNode, TensorStep, TensorWorksheet
from .tensor_tape import TapeNode, tape_of
from .worksheet_model import Math

__all__ = ["TapeNode", "shown", "build_from_tape", "tensor_blanked", "tape_of", "build_tensor_worksheet"]


def shown(a: Any) -> Shown:
    """A tensor for the page: in full when small (``tensor_display.is_small``), else summarised."""
    a = np.asarray(a)
    full = Math(matrix_latex(a), f"<math>{matrix_mathml(a)}</math>") if is_small(a) else None
    return Shown(tuple(a.shape), full, summary(a))


def _title(node: TapeNode) -> str:
    if node.op in RULE_TITLES:
        return RULE_TITLES[node.op]
    if node.row is not None:
        return f"{node.op} on every element: dX = dY ⊙ {node.op}′(X), summed over broadcast axes"
    return node.surface or node.op


def _steps(tape: Sequence[TapeNode]) -> list[TensorStep]:
    steps = []
    for node in reversed(tape):
        if not node.op:
            continue
        args = [Arg(tape[k].name, tuple(np.shape(tape[k].value))) if k is not None and tape[k].grad is not None
                else Arg(None, tuple(np.shape(tape[k].value)), label=tape[k].name) if k is not None
                else Arg(None, tuple(np.shape(d)) if d is not None else (), _plain(d))
                for k, d in zip(node.kids, node.data)]
        lines = matrix_rule(node.op, node.name, args, tuple(np.shape(node.value)), node.row)
        if not lines:
            continue
        shapes = {a.name: a.shape for a in args if a.name}
        steps.append(TensorStep(node.name, latex_name(node.name), _title(node), tuple(np.shape(node.value)),
                                tuple((l.child, shapes[l.child], Math(l.latex, f"<math>{l.mathml}</math>"))
                                      for l in lines),
                                tuple(None if l.source is None else l.source if l.sign > 0 else f"-({l.source})"
                                      for l in lines)))
    return steps


def _plain(d: Any) -> Any:
    if d is None:
        return None
    a = np.asarray(d)
    return a.item() if a.ndim == 0 else None


def build_from_tape(tape: Sequence[TapeNode], *, source: str, program_tex: str, program_mathml: str,
                    output: str, inputs: Sequence[str], final: Sequence[TensorFinal], graph: bool = True,
                    title: str | None = None, sheet: int | None = None, seed: int | None = None,
                    limits: Any = None, result: Any = None) -> TensorWorksheet:
    """The worksheet of a tensor program whose values and gradients are ``tape`` (the output last)."""
    from .tensor_draw import DrawNode, tensor_digraph
    nodes = tuple(TensorNode(n.name, latex_name(n.name), "op" if n.op else "input" if n.grad is not None else "data",
                             n.surface or n.op, n.formula, shown(n.value),
                             shown(n.grad) if n.grad is not None else None)
                  for n in tape)
    draw = _draw_nodes(tape)
    dot, svg, notes = _graph(draw, graph, limits)
    by_name = {n.name: n for n in tape}
    return TensorWorksheet(
        title=title or (f"Answer key — sheet {sheet}" if sheet is not None else f"Tensor backpropagation worksheet: {output}"),
        source=source, program_tex=program_tex, program_mathml=program_mathml, output=output,
        output_tex=latex_name(output), point=tuple((k, shown(by_name[k].value)) for k in inputs if k in by_name),
        value=shown(tape[-1].value), nodes=nodes, steps=tuple(_steps(tape)), final=tuple(final),
        graph_dot=dot, graph_svg=svg, sections=tuple(TENSOR_SECTIONS), sheet=sheet, seed=seed,
        notes=tuple(notes), result=result)


def _draw_nodes(tape: Sequence[TapeNode]) -> list:
    from .tensor_draw import tape_nodes
    return tape_nodes(tape)


def _graph(draw: list, graph: bool, limits: Any, show_grad: bool = True) -> tuple[str, str | None, list[str]]:
    from .tensor_draw import tensor_digraph
    from .worksheet import _graph_svg, _svg_width, PAGE_PT
    dot = tensor_digraph(draw, show_grad=show_grad, limits=limits)
    if not graph:
        return dot.source, None, []
    svg, notes = _graph_svg(dot)
    if svg is not None and _svg_width(svg) > PAGE_PT:
        dot = tensor_digraph(draw, show_grad=show_grad, limits=limits, rankdir="TB", compact=True)
        dot.attr(nodesep="0.15", ranksep="0.25")
        svg, notes = _graph_svg(dot)
    return dot.source, svg, notes


def tensor_blanked(ws: TensorWorksheet, tape: Sequence[TapeNode] | None = None) -> TensorWorksheet:
    """The exercise sheet: every gradient line and gradient becomes a blank; the graph is redrawn
    without grads (they give answers away)."""
    steps = tuple(replace(s, lines=tuple((c, shape, None) for c, shape, _ in s.lines), sources=())
                  for s in ws.steps)
    nodes = tuple(replace(n, grad=None) for n in ws.nodes)
    final = tuple(replace(r, grad=None, verdict="", detail="") for r in ws.final)
    dot, svg = ws.graph_dot, ws.graph_svg
    if tape is not None:
        dot, svg, _ = _graph(_draw_nodes(tape), ws.graph_svg is not None, None, show_grad=False)
    title = f"Exercise sheet {ws.sheet}" if ws.sheet is not None else ws.title.replace("worksheet", "exercise sheet")
    return replace(ws, title=title, steps=steps, nodes=nodes, final=final, exercise=True, graph_dot=dot,
                   graph_svg=svg, asked=asked_gradients(ws))


def asked_gradients(ws: TensorWorksheet) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The gradients an exercise asks for, as the backprop-ninja exercise does: every name of the
    program that takes one (named intermediates from the output back, then the inputs)."""
    prog = ws.result.program if ws.result is not None else None
    names = [n for n in ws.nodes if n.grad is not None or n.kind in ("op", "input")]
    by_name = {n.name: n for n in names}
    order = ([m for m in reversed(prog.intermediates)] + list(prog.inputs)) if prog is not None else \
        [n.name for n in reversed(names)]
    return tuple((m, by_name[m].value.shape) for m in order
                 if m in by_name and m != ws.output and (ws.result is None or m in ws.result.grads))


def build_tensor_worksheet(program: Any, values: Any = None, *, exercise: bool = False, title: str | None = None,
                           graph: bool = True, limits: Any = None, sheet: int | None = None,
                           seed: int | None = None, check: bool = True) -> TensorWorksheet:
    """Every number and formula of a tensor worksheet (the answer key; ``exercise=True`` blanks it).
    The final table is the exact tensor check's (``symgrad.check``) when ``check``."""
    from ..engine.tensor import tensor_backprop
    from ..language.printing import to_latex, to_mathml, to_source
    result = tensor_backprop(program, values, limits=limits)
    tape, inputs = tape_of(result)
    final = _final(result, limits) if check else \
        [TensorFinal(n.name, latex_name(n.name), tuple(np.shape(n.grad)), shown(n.grad), "", "")
         for n in tape if not n.op and n.grad is not None]
    prog = result.program
    ws = build_from_tape(tape, source=to_source(prog), program_tex=to_latex(prog), program_mathml=to_mathml(prog),
                         output=prog.output or "output", inputs=inputs, final=final, graph=graph, title=title,
                         sheet=sheet, seed=seed, limits=limits, result=result)
    return tensor_blanked(ws, tape) if exercise else ws


def _final(result: Any, limits: Any) -> list[TensorFinal]:
    """One row per float input: backprop's gradient and the exact check's verdict on it."""
    from ..base.errors import SymgradError
    from ..gradcheck.check import check
    try:
        report = check(result.program, result.point, limits=limits)
    except SymgradError as err:         # no exact check for this program: the gradients, unjudged
        return [TensorFinal(name, latex_name(name), tuple(np.shape(g)), shown(g), "not checked", err.summary)
                for name, g in result.grads.items() if name in result.program.inputs]
    rows = []
    for r in report.rows:
        if r.name not in result.program.inputs:
            continue
        g = result.grads[r.name]
        rows.append(TensorFinal(r.name, latex_name(r.name), tuple(np.shape(g)), shown(g), r.verdict,
                                getattr(r, "note", "") or ""))
    return rows
