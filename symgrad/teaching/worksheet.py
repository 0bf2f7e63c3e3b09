"""Building a Worksheet (``teaching.worksheet_model``): everything a derivation worksheet shows, computed once, format-free.

Renderers (``symgrad.teaching.sheets``) only format what is here. Exercise mode keeps the same
shape with the student's cells set to ``None`` (a blank), so a sheet and its answer key
come from one model.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any, Mapping

from ..language.ast import Num, Op, Var
from ..engine.backprop import Result, backprop
from ..engine.value import Value
from ..base.errors import InputError, LimitError, NumericError
from ..base.limits import DEFAULT_LIMITS
from ..base.validate import real_number
from ..language.printing import latex_name, power_symbol, to_latex, to_mathml, to_notation
from ..rules.table import RULES, Rule
from .worksheet_model import SECTIONS, Blank, FinalRow, Math, NodeRow, Nudge, Step, Term, Worksheet, number  # noqa: F401

__all__ = ["Worksheet", "Math", "NodeRow", "Term", "Step", "FinalRow", "Nudge", "build_worksheet", "blanked", "answered",
           "SECTIONS"]


def _names(topo: list[Value], taken: set[str], root_name: str) -> list[str]:
    """Each node's display name: its label, its number for a constant, the output's name for the
    root, else t1, t2, … (skipping the program's own names)."""
    names, k = [], 0
    for i, node in enumerate(topo):
        if node.label:
            names.append(node.label)
        elif node._rule is None:
            names.append(number(node.data))
        elif i == len(topo) - 1:
            names.append(root_name)
        else:
            k += 1
            while f"t{k}" in taken:
                k += 1
            names.append(f"t{k}")
    return names


def _tex_of(name: str, kind: str) -> str:
    if kind == "constant":
        return name if not name.startswith("-") else f"\\left({name}\\right)"
    return latex_name(name)


def _output_name(prog: Any) -> str:
    """The output's one name on the whole sheet: the program's, else "output" (made unique)."""
    if prog.output:
        return prog.output
    taken = set(prog.inputs) | set(prog.intermediates)
    name, k = "output", 0
    while name in taken:
        k += 1
        name = f"output{k}"
    return name


def _leaf(name: str, kind: str, node: Value) -> Any:
    return Num(node.data) if kind == "constant" else Var(name)


def _formula(row: Rule, kids: list[Any]) -> Math:
    """One operation over its children's names, printed by the project's printers."""
    if row.name in RULES:
        op = Op(row.name, tuple(kids))
        return Math(to_latex(op), to_mathml(op))
    only = kids[0]  # an internal row (a bare alias d = e): the formula is the child itself
    return Math(to_latex(only), to_mathml(only))


def build_worksheet(program: Any, values: Mapping[str, Any] | None = None, *, exercise: bool = False,
                    plot_input: str | None = None, h: float = 0.001, title: str | None = None,
                    graph: bool = True, symbolic: bool = True, limits: Any = None,
                    sheet: int | None = None, seed: int | None = None,
                    forward_mode: "bool | str" = False, curvature: bool = False) -> Worksheet:
    """Compute every number and formula of a worksheet (the answer key; see ``blanked``).

    The final table comes from ``symgrad.check`` and the closed forms from ``symgrad.diff``;
    ``symbolic=False`` leaves the closed forms out. ``forward_mode`` adds the forward-mode section
    (``teaching.forward_mode``) along an input: True for the first, or its name; ``curvature`` adds the
    second-order prediction to the nudge (one Hessian-vector product). Raises LimitError over
    ``limits.max_worksheet_nodes`` graph nodes or (symbolic) ``limits.max_exact_digits`` digits, InputError for a ``plot_input`` that is no input.
    """
    from .branches import branch_of
    from .closed_form import final_rows
    from ..engine.value import topo_order
    from .slope_plot import curve, most_curved

    limits = limits or DEFAULT_LIMITS
    if real_number(h, "h") <= 0:
        raise InputError(f"h must be a step > 0, got {h!r:.40}", hint="the default h=0.001 nudges each input a little")
    result = program if isinstance(program, Result) else backprop(program, values, limits=limits)
    prog = result.program
    if symbolic:  # its check and closed forms build the constants exactly: refuse a bomb up front
        from ..gradcheck.exact_size import bound_program
        bound_program(prog, limits)
    topo = topo_order(result.root)
    if len(topo) > limits.max_worksheet_nodes:
        raise LimitError(f"the worksheet would show {len(topo)} graph nodes, too many for a sheet",
                         limit="max_worksheet_nodes", value=limits.max_worksheet_nodes)
    if plot_input and plot_input not in prog.inputs:
        raise InputError(f"cannot plot along {plot_input!r:.40}: not an input",
                         hint=f"inputs are: {', '.join(prog.inputs)}")
    index = {id(n): i for i, n in enumerate(topo)}
    out = _output_name(prog)
    names = _names(topo, set(prog.inputs) | set(prog.intermediates) | {out}, out)
    kinds = ["op" if n._rule is not None else "input" if n.label in prog.inputs else "constant" for n in topo]
    uses = [0] * len(topo)
    for node in topo:
        for kid in node._prev:
            uses[index[id(kid)]] += 1
    leaves = [_leaf(nm, k, n) for nm, k, n in zip(names, kinds, topo)]
    texs = [_tex_of(nm, k) for nm, k in zip(names, kinds)]

    nodes = []
    for i, node in enumerate(topo):
        row = node._rule
        formula = _formula(row, [leaves[index[id(k)]] for k in node._prev]) if row is not None else None
        nodes.append(NodeRow(names[i], texs[i], kinds[i], row, formula, node.data, node.grad, uses[i]))

    steps, seen = [], [0] * len(topo)
    for i in reversed(range(len(topo))):
        node, row = topo[i], topo[i]._rule
        if row is None:
            continue
        kid_ids = [index[id(k)] for k in node._prev]
        locals_ = row.local(*[k.data for k in node._prev], node.data)
        terms = []
        for arg, (j, d) in enumerate(zip(kid_ids, locals_)):
            if kinds[j] == "constant":
                continue
            seen[j] += 1
            note = (f"{names[j]} is used {uses[j]} times, so {names[j]}.grad is the sum of its {uses[j]} "
                    f"contributions: each one adds with +=" if uses[j] > 1 and seen[j] == 1 else "")
            local = _local_math(row, arg, kid_ids, leaves, texs, i)
            terms.append(Term(names[j], texs[j], local, d, _is_number(local.latex), node.grad, node.grad * d, note))
        steps.append(Step(names[i], texs[i], row, node.grad, tuple(terms), branch_of(result.graph, node, prog.inputs)))

    dot, graph_svg, notes = _layout(result.root, names, topo, limits, graph)
    plot_input = plot_input or (most_curved(result) if prog.inputs else "")
    line = curve(result, plot_input) if plot_input else None
    nudge = _nudge(result, h, curvature)
    tangents = None
    if forward_mode:
        from .forward_mode import forward_mode as tangent_table
        wrt = forward_mode if isinstance(forward_mode, str) else (prog.inputs[0] if prog.inputs else "")
        if wrt not in prog.inputs:
            raise InputError(f"forward mode needs an input to seed, got {wrt!r:.40}",
                             hint=f"inputs are: {', '.join(prog.inputs) or '(none)'}")
        tangents = tangent_table(topo, names, texs, kinds, index, result, wrt,
                                 lambda row, arg, kid_ids, i: _local_math(row, arg, kid_ids, leaves, texs, i))
    sections = tuple(k for k in SECTIONS if (k != "nudge" or nudge) and (k != "plot" or line)
                     and (k != "tangent" or tangents))
    sheet_ = Worksheet(
        title=title or (f"Answer key — sheet {sheet}" if sheet is not None else f"Backpropagation worksheet: {out}"),
        source=to_notation(prog, power_symbol(prog.source)),  # the program's notation: x^2 where it writes ^
        program_tex=to_latex(prog), program_mathml=to_mathml(prog), output=out,
        output_tex=latex_name(out), point=tuple(result.point.items()), value=result.value, nodes=tuple(nodes),
        steps=tuple(steps), final=tuple(final_rows(result, limits=limits, symbolic=symbolic)), nudge=nudge,
        plot_input=plot_input, curve=line, graph_dot=dot.source, graph_svg=graph_svg, sections=sections,
        sheet=sheet, seed=seed, exercise=False, notes=tuple(notes), result=result, forward_mode=tangents,
    )
    return blanked(sheet_) if exercise else sheet_


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _is_number(latex: str) -> bool:
    return bool(_NUMBER.fullmatch(latex.strip()))


def _sym_atom(leaf: Any) -> Any:
    import sympy
    if isinstance(leaf, Num):
        v = leaf.value
        return sympy.Integer(int(v)) if v.is_integer() and abs(v) < 1e15 else sympy.Float(repr(v))
    return sympy.Symbol(leaf.name, real=True)


def _local_math(row: Rule, arg: int, kid_ids: list[int], leaves: list, texs: list[str], i: int) -> Math:
    """∂node/∂argument as the row's template prints it, in LaTeX and in MathML (the same formula:
    at a kink or a tie the template's cases are what the value beside it follows)."""
    from ..language.printing import template_latex
    from .template_mathml import template_mathml
    template = row.dlatex_for(arg, len(kid_ids))
    latex = template_latex(template).format(*[texs[j] for j in kid_ids], out=texs[i])
    mml = [_mml_of(leaves[j]) for j in kid_ids]
    try:
        body = template_mathml(template, mml, _mml_of(leaves[i]))
        return Math(latex, f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>')
    except (ValueError, KeyError, IndexError):  # a registered row's template outside the rows' small LaTeX
        return Math(latex, _sympy_local_mathml(row, arg, kid_ids, leaves, i))


def _mml_of(leaf: Any) -> str:
    """A leaf's MathML as a template argument: a name, or a number (a negative one in parentheses)."""
    mml = to_mathml(leaf).split(">", 1)[1].rsplit("</math>", 1)[0]
    return f"<mrow><mo>(</mo>{mml}<mo>)</mo></mrow>" if isinstance(leaf, Num) and leaf.value < 0 else mml


def _sympy_local_mathml(row: Rule, arg: int, kid_ids: list[int], leaves: list, i: int) -> str:
    import sympy
    from .closed_form import sympy_mathml
    # Fresh symbols per argument position, so a + a gives 1 per use, not 2.
    slots = [sympy.Symbol(f"_u{k}", real=True) for k in range(len(kid_ids))]
    out_expr = row.sympy(sympy, *slots)
    out_sym = sympy.Symbol(leaves[i].name, real=True) if isinstance(leaves[i], Var) else out_expr
    d = sympy.diff(out_expr, slots[arg]).xreplace({out_expr: out_sym})  # tanh' = 1 - o², as the rule says
    d = d.xreplace({slot: _sym_atom(leaves[j]) for slot, j in zip(slots, kid_ids)})
    return sympy_mathml(d)


PAGE_PT = 720.0  # wider than this (in Graphviz points) and left-to-right text would get too small


def _layout(root: Value, names: list[str], topo: list[Value], limits: Any, graph: bool,
            show_grad: bool = True) -> tuple[Any, str | None, list[str]]:
    """The graph's DOT and SVG: left to right when that fits a page, else top to bottom, packed."""
    from .draw import _value_digraph
    from .dot_text import bound_layout
    dot = _value_digraph(root, names=names, topo=topo, limits=limits, show_grad=show_grad, bound=False)
    if not graph:
        return dot, None, []
    try:
        bound_layout(dot, limits)
    except LimitError as err:   # the sheet without its picture, which would take Graphviz minutes
        return dot, None, [f"The graph is not drawn: {err.summary}"]
    svg, notes = _graph_svg(dot)
    if svg is not None and _svg_width(svg) > PAGE_PT:
        dot = _value_digraph(root, names=names, topo=topo, limits=limits, show_grad=show_grad, rankdir="TB")
        dot.attr(nodesep="0.15", ranksep="0.2")
        dot.attr("node", margin="0.06,0.03", height="0.3")
        svg, notes = _graph_svg(dot)
    return dot, svg, notes


def _svg_width(svg: str) -> float:
    m = re.search(r'<svg width="([0-9.]+)pt"', svg)
    return float(m.group(1)) if m else 0.0


def _nudge(result: Result, h: float, curvature: bool = False) -> Nudge | None:
    """Step every input by h·grad: the output should rise by about h·Σ grad², and with
    ``curvature`` by h·Σ grad² + ½·h²·gᵀHg (Taylor to second order; H·g is one HVP)."""
    from ..engine.backprop import build_graph
    inputs = result.program.inputs
    if not inputs:
        return None
    rows = tuple((name, result.point[name], result.grads[name], result.point[name] + h * result.grads[name])
                 for name in inputs)
    try:
        after = build_graph(result.program, {name: new for name, _, _, new in rows}).root.data
    except NumericError:
        return None
    predicted = result.value + h * sum(g * g for _, _, g, _ in rows)
    if not (math.isfinite(after) and math.isfinite(predicted)):
        return None
    curved = None
    if curvature:
        from ..engine.second_order import hvp
        try:
            hg = hvp(result.program, result.point, {n: result.grads[n] for n in inputs})
            curved = predicted + 0.5 * h * h * sum(result.grads[n] * hg[n] for n in inputs)
        except NumericError:
            curved = None           # no second derivative here (abs at 0): the sheet says so
    return Nudge(h, rows, result.value, predicted, after, curved)


def _graph_svg(dot: Any) -> tuple[str | None, list[str]]:
    from .draw import svg_text
    from ..base.errors import RenderError
    try:
        return svg_text(dot), []
    except RenderError as err:
        return None, [f"The graph is not drawn: {err.summary}"]


def _marked(ws: Worksheet, mark: Any) -> tuple[tuple[Step, ...], Nudge | None]:
    """The steps and the nudge with each blank of an exercise sheet as ``mark(id, answer)``."""
    steps = tuple(replace(s, grad=mark(f"step{i}.grad", s.grad), terms=tuple(
        replace(t, **{f: mark(f"step{i}.term{j}.{f}", getattr(t, f))
                      for f in ("local", "local_value", "upstream", "product")})
        for j, t in enumerate(s.terms, 1))) for i, s in enumerate(ws.steps, 1))
    nudge = replace(ws.nudge, inputs=tuple((n, v, mark(f"nudge.input{k}.grad", g), mark(f"nudge.input{k}.nudged", x))
                                           for k, (n, v, g, x) in enumerate(ws.nudge.inputs, 1)),
                    predicted=mark("nudge.predicted", ws.nudge.predicted),
                    after=mark("nudge.after", ws.nudge.after)) if ws.nudge else None
    return steps, nudge


def answered(ws: Worksheet) -> Worksheet:
    """The worked answer key of an exercise sheet: the full worksheet, each answer marked with the
    id its blank has on the sheet (a ``Blank`` holding the answer), as NAME-key.json names it."""
    steps, nudge = _marked(ws, Blank)
    final = tuple(replace(r, backprop=r.backprop if r.backprop is None else Blank(f"final{i}.backprop", r.backprop),
                          closed_form_note=r.closed_form_note if r.closed_form is None else
                          "; ".join(filter(None, (f"[final{i}.closed_form]", r.closed_form_note))))
                  for i, r in enumerate(ws.final, 1))
    from .forward_mode import marked_forward_mode
    return replace(ws, steps=steps, final=final, nudge=nudge, forward_mode=marked_forward_mode(ws.forward_mode, Blank))


def blanked(ws: Worksheet) -> Worksheet:
    """The exercise sheet: local derivatives, products, gradients and the nudge become blanks
    (``Blank``, each with the id the sheet prints and the key uses).

    The graph is redrawn without grads and the plot without its tangent: both give answers away.
    Sections keep their numbers; a numbered sheet's title says "Exercise sheet N".
    """
    steps, nudge = _marked(ws, lambda bid, answer: Blank(bid))
    nudge = replace(nudge, curved=None) if nudge else None   # the curvature's prediction would give answers away
    nodes = tuple(replace(n, grad=None) for n in ws.nodes)   # the graph says "grad ?": the steps ask for them
    final = tuple(FinalRow(r.name, r.tex, None if r.backprop is None else Blank(f"final{i}.backprop"),
                           None if r.closed_form is None else Blank(f"final{i}.closed_form"), "", None, None, "")
                  for i, r in enumerate(ws.final, 1))
    graph_svg = ws.graph_svg
    dot = ws.graph_dot
    if ws.result is not None:
        from ..engine.value import topo_order
        topo = topo_order(ws.result.root)
        d, graph_svg, _ = _layout(ws.result.root, [n.name for n in ws.nodes], topo, None,
                                  ws.graph_svg is not None, show_grad=False)
        dot = d.source
    title = (f"Exercise sheet {ws.sheet}" if ws.sheet is not None
             else ws.title.replace("worksheet", "exercise sheet"))
    from .forward_mode import marked_forward_mode
    return replace(ws, title=title, nodes=nodes, steps=steps, final=final, nudge=nudge, exercise=True,
                   forward_mode=marked_forward_mode(ws.forward_mode, lambda bid, answer: Blank(bid)),
                   graph_svg=graph_svg, graph_dot=dot,
                   curve=replace(ws.curve, tangent=False) if ws.curve else None)
