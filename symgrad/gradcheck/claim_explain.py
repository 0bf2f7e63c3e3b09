"""Why a claimed derivative is wrong, in words: the missing chain-rule factor, or the first
factor (or term) of the claim that matches none of the true partial's. Used by ``gradcheck.claims``.

Formulas print in the program's notation (``language.printing.to_notation``, ``sympy_text``):
``∂(x^2)/∂x = 2*x`` where the program says ``x^2``, never ``∂(x ** 2.0)/∂x = 2.0*x**1.0``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..language.ast import Expr, Op, Program
from ..base.errors import NumericError, SymgradError
from ..language.printing import power_symbol, to_notation
from .sympy_printers import sympy_text

__all__ = ["missing_factor", "first_difference"]


def missing_factor(prog: Program, name: str, samples: list) -> str:
    """'missing chain-rule factor ∂u/∂v = …' when claim × ∂u/∂v = truth for one local derivative
    on a path from name to the output, at every sample where both are defined; else ''."""
    found = None
    for at, c, t, _ in samples:
        if c is None or t is None:
            continue
        edges = _edges(prog, at, name)
        hits = {key: text for key, d, text in edges
                if abs(float(c) * d - float(t)) <= 1e-9 * max(abs(float(t)), 1e-300)}
        found = hits if found is None else {k: v for k, v in found.items() if k in hits}
        if not found:
            return ""
    if not found:
        return ""
    return next(iter(found.values()))


def _edges(prog: Program, at: Mapping[str, float], name: str) -> list[tuple[tuple, float, str]]:
    """(key, ∂u/∂v here, its description) for each edge u ← v on a path from name to the output
    whose local derivative is not 0 or 1. Keys are positions in topological order."""
    from ..engine.backprop import build_graph
    from ..engine.value import topo_order
    try:
        graph = build_graph(prog, at)
    except NumericError:
        return []
    power = power_symbol(prog.source)
    start = graph.named[name]
    topo = topo_order(graph.root)
    reach = {id(start)}                       # ids: internal bookkeeping only
    for v in topo:
        if any(id(k) in reach for k in v._prev):
            reach.add(id(v))
    out = []
    for i in reversed(range(len(topo))):
        u = topo[i]
        if u._rule is None or id(u) not in reach:
            continue
        for arg, (v, d) in enumerate(zip(u._prev, u._rule.local(*[k.data for k in u._prev], u.data))):
            if id(v) in reach and d not in (0.0, 1.0):
                out.append(((i, arg), d, f"missing chain-rule factor ∂{_text_of(graph, u, power)}/"
                                         f"∂{_text_of(graph, v, power)} = {_local_text(u, arg, graph, power)} "
                                         f"(= {d:.6g} here): the claim is the "
                                         "derivative divided by it"))
    return out


def _text_of(graph: Any, value: Any, power: str) -> str:
    if value.label:
        return value.label
    node = graph.origin.get(id(value))
    text = to_notation(node, power) if node is not None else "?"
    return f"({text})" if len(text) <= 40 else "(…)"


def _local_text(u: Any, arg: int, graph: Any, power: str) -> str:
    import sympy as sp
    from .symbolic import _number
    texts = [_text_of(graph, k, power) for k in u._prev]
    slots = [sp.Symbol(text.strip("()") if k.label or text != "(…)" else f"u{j}", real=True)
             if k._rule is not None or k.label else _number(k.data) for j, (k, text) in enumerate(zip(u._prev, texts))]
    try:
        return sympy_text(sp.diff(u._rule.sympy(sp, *slots), slots[arg]), power)
    except (TypeError, ValueError, AttributeError):
        return "its local derivative"


def first_difference(claim: Expr, truth: Any, env: Mapping[str, Any], *, close: Callable[[Any, Any], bool],
                     defined: Callable[[Any], bool], power: str = "^") -> str:
    """The first factor (or term) of the claim that matches no factor (term) of the truth at
    this point, e.g. 'the factor w (= -3 here) is not in the derivative'. '' when none stands out.
    ``close`` and ``defined`` are the judge's own tests (``gradcheck.claims``), so both read numbers alike;
    ``power`` is the program's power operator (``power_symbol``)."""
    import sympy as sp
    from .symbolic import symbol, to_sympy_expr
    try:
        form = truth.form()
    except SymgradError:
        return ""
    if form is None:
        return ""
    values = {symbol(k): v for k, v in env.items() if v is not None}
    for rules, split, what in ((("mul", "div"), sp.Mul.make_args, "factor"), (("add", "sub"), sp.Add.make_args, "term")):
        pieces = _flatten(claim, rules)
        true_pieces = split(form)
        if len(pieces) < 2:
            continue
        known = [p.xreplace(values).evalf(30) for p in true_pieces]
        for piece in pieces:
            v = to_sympy_expr(piece, lambda n: values.get(symbol(n), symbol(n))).evalf(30)
            if not defined(v):
                continue
            if not any(defined(k) and close(v, k) for k in known):
                return (f"the {what} {to_notation(piece, power)} (= {float(v):.6g} here) does not appear in "
                        f"the derivative {sympy_text(form, power)}")
    return ""


def _flatten(expr: Expr, rules: tuple[str, ...]) -> list[Expr]:
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Op) and node.rule in rules:
            stack.extend(reversed(node.args))
        elif isinstance(node, Op) and node.rule == "neg":
            stack.append(node.args[0])
        else:
            out.append(node)
    return out
