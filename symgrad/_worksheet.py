"""The Worksheet: everything a derivation worksheet shows, computed once, format-free.

Renderers (``symgrad._sheets``) only format what is here. Exercise mode keeps the same
shape with the student's cells set to ``None`` (a blank), so a sheet and its answer key
come from one model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import sympy

from ._backprop import Result, backprop
from ._engine import Value, topo_order
from ._errors import InputError, NumericError
from ._printing import latex_name, unparse
from ._rules import Rule

__all__ = ["Worksheet", "Math", "build_worksheet", "blanked"]


@dataclass(frozen=True)
class Math:
    """One formula in two spellings: LaTeX (Markdown, TeX) and Presentation MathML (HTML)."""
    latex: str
    mathml: str


@dataclass(frozen=True)
class NodeRow:
    """One value of the graph, in topological order."""
    name: str
    tex: str                      # the name in LaTeX
    kind: str                     # "input" | "constant" | "op"
    rule: Rule | None
    formula: Math | None          # the node's formula in its children's names
    value: float
    grad: float | None
    uses: int                     # how many times other nodes read it


@dataclass(frozen=True)
class Term:
    """One chain-rule product: dL/dchild += dL/dnode × dnode/dchild."""
    child: str
    child_tex: str
    local: Math | None            # the symbolic local derivative (None = blank)
    local_value: float | None
    upstream: float | None        # dL/dnode
    product: float | None
    note: str                     # accumulation note, or ""


@dataclass(frozen=True)
class Step:
    """The backward step at one op node."""
    node: str
    node_tex: str
    rule: Rule
    grad: float | None
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class FinalRow:
    name: str
    tex: str
    backprop: float | None
    closed_form: Math | None
    symbolic: float | None
    numeric: float | None
    verdict: str


@dataclass(frozen=True)
class Nudge:
    h: float
    inputs: tuple[tuple[str, float, float, float], ...]   # name, value, grad, nudged value
    before: float
    predicted: float
    after: float


@dataclass(frozen=True)
class Worksheet:
    """A worksheet's content in DESIGN order: program and point, graph, forward rows, backward steps,
    final table, nudge, plot. ``None`` in a student's cell is a blank (``exercise=True``)."""
    title: str
    source: str
    program_tex: str
    output: str
    output_tex: str
    point: tuple[tuple[str, float], ...]
    value: float
    nodes: tuple[NodeRow, ...]
    steps: tuple[Step, ...]
    final: tuple[FinalRow, ...]
    nudge: Nudge | None
    plot_input: str
    curve: Any                     # symgrad._plot.Curve, or None without inputs
    plot_svg: str
    graph_svg: str | None          # None when Graphviz is missing
    graph_dot: str
    exercise: bool = False
    notes: tuple[str, ...] = field(default=())
    result: Result | None = field(default=None, repr=False, compare=False)  # to redraw a blanked sheet


def number(x: float | None, digits: int = 6) -> str:
    """A short, stable spelling of a float: 6 significant digits, no '-0'."""
    if x is None:
        return ""
    text = f"{x:.{digits}g}"
    return "0" if text in ("-0", "0") else text


def _sym_atom(name: str, node: Value, kind: str) -> Any:
    if kind == "constant":
        v = node.data
        if node.label == "pi":
            return sympy.pi
        return sympy.Integer(int(v)) if v.is_integer() and abs(v) < 1e15 else sympy.Float(repr(v))
    return sympy.Symbol(name, real=True)


def _mathml(expr: Any) -> str:
    body = sympy.mathml(expr, printer="presentation")
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def _names(topo: list[Value], taken: set[str]) -> list[str]:
    """Each node's display name: its label, its number for a constant, else t1, t2, …"""
    names, k = [], 0
    for node in topo:
        if node.label:
            names.append(node.label)
        elif node._op is None:
            names.append(number(node.data))
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


def build_worksheet(program: Any, values: Mapping[str, Any] | None = None, *, exercise: bool = False,
                    plot_input: str | None = None, h: float = 0.001, title: str | None = None,
                    graph: bool = True, symbolic: bool = True, limits: Any = None) -> Worksheet:
    """Compute every number and formula of a worksheet (the answer key; see ``blanked``).

    The final table comes from ``symgrad.check``; ``symbolic=False`` leaves it out.
    """
    from ._draw import _value_digraph
    from ._plot import curve, plot_svg
    from ._closed_form import final_rows

    result = program if isinstance(program, Result) else backprop(program, values, limits=limits)
    prog = result.program
    topo = topo_order(result.root)
    index = {id(n): i for i, n in enumerate(topo)}
    taken = set(prog.inputs) | set(prog.intermediates)
    names = _names(topo, taken)
    kinds = ["op" if n._op is not None else "input" if n.label in prog.inputs else "constant" for n in topo]
    uses = [0] * len(topo)
    for node in topo:
        for kid in node._prev:
            uses[index[id(kid)]] += 1
    atoms = [_sym_atom(nm, n, k) for nm, n, k in zip(names, topo, kinds)]
    texs = [_tex_of(nm, k) for nm, k in zip(names, kinds)]

    nodes, steps = [], []
    for i, node in enumerate(topo):
        row = node._op
        formula = None
        if row is not None:
            kid_ids = [index[id(k)] for k in node._prev]
            with sympy.evaluate(False):
                expr = row.sympy(sympy, *[atoms[j] for j in kid_ids])
            formula = Math(row.latex_for(len(kid_ids)).format(*[texs[j] for j in kid_ids]), _mathml(expr))
        nodes.append(NodeRow(names[i], texs[i], kinds[i], row, formula, node.data,
                             node.grad, uses[i]))

    out = prog.output or "output"
    seen = [0] * len(topo)
    for i in reversed(range(len(topo))):
        node, row = topo[i], topo[i]._op
        if row is None:
            continue
        kid_ids = [index[id(k)] for k in node._prev]
        locals_ = row.local(*[k.data for k in node._prev], node.data)
        terms = []
        for arg, (j, d) in enumerate(zip(kid_ids, locals_)):
            if kinds[j] == "constant":
                continue
            seen[j] += 1
            note = (f"{names[j]} is used {uses[j]} times: this is contribution {seen[j]} of {uses[j]}, "
                    f"and d{out}/d{names[j]} is their sum" if uses[j] > 1 else "")
            terms.append(Term(names[j], texs[j], _local_math(row, arg, kid_ids, atoms, texs, i), d,
                              node.grad, node.grad * d, note))
        steps.append(Step(names[i], texs[i], row, node.grad, tuple(terms)))

    dot = _value_digraph(result.root, names=names)
    graph_svg, notes = _graph_svg(dot) if graph else (None, [])
    plot_input = plot_input or prog.inputs[0] if prog.inputs else ""
    if plot_input and plot_input not in prog.inputs:
        raise InputError(f"cannot plot along {plot_input!r:.40}: not an input",
                         hint=f"inputs are: {', '.join(prog.inputs)}")
    line = curve(result, plot_input) if plot_input else None
    sheet = Worksheet(
        title=title or f"Backpropagation worksheet: {out}",
        source=unparse(prog), program_tex=_program_tex(prog), output=out, output_tex=latex_name(out),
        point=tuple(result.point.items()), value=result.value, nodes=tuple(nodes), steps=tuple(steps),
        final=tuple(final_rows(result, limits=limits) if symbolic else ()), nudge=_nudge(result, h),
        plot_input=plot_input, curve=line, plot_svg=plot_svg(line) if line else "",
        graph_svg=graph_svg, graph_dot=dot.source, exercise=False, notes=tuple(notes), result=result,
    )
    return blanked(sheet) if exercise else sheet


def _program_tex(prog: Any) -> str:
    from ._printing import to_latex
    return to_latex(prog)


def _local_math(row: Rule, arg: int, kid_ids: list[int], atoms: list, texs: list[str], i: int) -> Math:
    """d node / d argument, symbolically: LaTeX from the rule's template, MathML from SymPy."""
    latex = row.dlatex_for(arg, len(kid_ids)).format(*[texs[j] for j in kid_ids], out=texs[i])
    # Fresh symbols per argument position, so a + a gives 1 per use, not 2.
    slots = [sympy.Symbol(f"_u{k}", real=True) for k in range(len(kid_ids))]
    out_expr = row.sympy(sympy, *slots)
    d = sympy.diff(out_expr, slots[arg]).xreplace({out_expr: atoms[i]})  # tanh' = 1 - o², as the rule says
    d = d.xreplace({slot: atoms[j] for slot, j in zip(slots, kid_ids)})
    return Math(latex, _mathml(d))


def _nudge(result: Result, h: float) -> Nudge | None:
    """Step every input by h·grad: the output should rise by about h·Σ grad²."""
    from ._backprop import build_graph
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
    return Nudge(h, rows, result.value, predicted, after)


def _graph_svg(dot: Any) -> tuple[str | None, list[str]]:
    from ._draw import svg_text
    from ._errors import RenderError
    try:
        return svg_text(dot), []
    except RenderError as err:
        return None, [f"The graph is not drawn: {err.summary}"]


def blanked(ws: Worksheet) -> Worksheet:
    """The exercise sheet: local derivatives, products and final grads become blanks.

    The graph is redrawn without grads and the plot without its tangent: both give answers away.
    """
    from ._draw import _value_digraph
    from ._plot import plot_svg
    steps = tuple(replace(s, grad=None, terms=tuple(replace(t, local=None, local_value=None, upstream=None,
                                                            product=None) for t in s.terms))
                  for s in ws.steps)
    nodes = tuple(replace(n, grad=None) for n in ws.nodes)
    final = tuple(FinalRow(r.name, r.tex, None, None, None, None, "") for r in ws.final)
    return replace(ws, title=ws.title.replace("worksheet", "exercise sheet"), nodes=nodes, steps=steps,
                   final=final, nudge=None, exercise=True,
                   graph_svg=_graph_svg(_value_digraph(
                       ws.result.root, show_grad=False, names=[n.name for n in ws.nodes]))[0] if ws.graph_svg else None,
                   curve=replace(ws.curve, tangent=False) if ws.curve else None,
                   plot_svg=plot_svg(replace(ws.curve, tangent=False)) if ws.curve else "")
