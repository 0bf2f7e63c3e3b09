"""Program → Value graph → backprop, with every failure located in the source."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..language.ast import Node, Num, Op, Program
from .value import Value, backpropagate
from ..base.display_hooks import mimebundle
from ..base.errors import InputError, MissingInputError, NumericError, show_name
from ..base.limits import Limits
from ..base.validate import real_number
from .lower import has_where, lower
from .point import given_values, is_tensor_program, is_tensor_value
from .nonfinite import cause
from ..language.parser import parse
from ..language.printing import power_symbol, to_notation
from ..rules.table import INTERNAL, RULES, Rule

_WHERE, _TAKEN = RULES["where"], INTERNAL["taken"]

__all__ = ["Result", "backprop", "evaluate", "resolve_point", "build_graph", "Graph"]



def resolve_point(program: Program, values: Mapping[str, Any] | None, extra: Mapping[str, Any]) -> dict[str, float]:
    """Check the given input values against the program's inputs; name every problem."""
    given = given_values(program, values, extra)
    return {name: real_number(given[name], f"value for {name}", text=True, hint=f"write {name}=2.5")
            for name in program.inputs}


@dataclass
class Graph:
    """The Value graph of a program at a point, with the AST node behind each Value."""
    program: Program
    root: Value
    named: dict[str, Value]             # inputs and intermediates
    origin: dict[int, Node] = field(repr=False)  # id(Value) -> AST node; internal, never printed
    conditions: dict[int, Value] = field(default_factory=dict, repr=False)  # id(where's node) -> its condition


def _located(err: NumericError, node: Node, program: Program, row: Rule | None = None,
             args: tuple[float, ...] = ()) -> NumericError:
    """The error at ``node``, in the program's notation (``log(-1) is undefined in log(x - 2)``; the
    row's own spelling of its numbers, ``log(-1.0)``, is replaced when ``row`` and ``args`` are given)."""
    power = power_symbol(program.source)
    text = to_notation(node, power)
    text = text if len(text) <= 40 else text[:39] + "…"
    if row is not None and row.name in RULES and row.show(*args) in err.message:
        shown = to_notation(Op(row.name, tuple(Num(a) for a in args)), power)
        err = type(err)(err.message.replace(row.show(*args), shown, 1), hint=err.hint)
    span = getattr(node, "span", None)
    message = err.message if text in err.message else f"{err.message} in {text}"
    return type(err)(message, hint=err.hint,
                     line=span.line if span else None, column=span.column if span else None)


class Untaken:
    """A value that failed (a DomainError, an overflow) and that only an untaken branch of a
    ``where`` may read: the error is raised when something else reads it. Its gradient is 0."""
    __slots__ = ("error", "label", "excused")
    grad, data, _prev, _rule = 0.0, math.nan, (), None

    def __init__(self, error: NumericError) -> None:
        self.error, self.label, self.excused = error, "", False


def build_graph(program: Program, point: Mapping[str, float]) -> Graph:
    """Evaluate the program forward into Value nodes labelled with their names.

    ``where(c, a, b)`` becomes one node whose only child is the taken branch (row ``taken``):
    the other branch may fail (an untaken log(0) is no error) and gets no gradient, so never
    0·inf. A failure is raised where a node that is not an untaken branch reads it.
    """
    origin: dict[int, Node] = {}
    conditions: dict[int, Value] = {}

    def apply(row: Rule, kids: tuple, node: Node) -> Value:
        condition = None
        if row is _WHERE:
            if type(kids[0]) is Untaken:
                raise kids[0].error
            condition = kids[0]
            kids, untaken = ((kids[1],), kids[2]) if kids[0].data else ((kids[2],), kids[1])
            row = _TAKEN
            if type(untaken) is Untaken:
                untaken.excused = True
        failed = next((k for k in kids if type(k) is Untaken), None)
        if failed is not None:
            return failed
        args = tuple(k.data for k in kids)
        try:
            value = Value(row.forward(*args), kids, row)
            if not math.isfinite(value.data):
                raise _located(NumericError(f"the result {value.data} overflows float64"), node, program)
        except NumericError as err:
            error = err if err.line is not None else _located(err, node, program, row, args)
            if not lazy:
                raise error from None
            return Untaken(error)
        origin[id(value)] = node
        if condition is not None:           # the worksheet says which branch it took, and why
            conditions[id(value)] = condition
        return value

    lazy = has_where(program)
    root, named = lower(program, leaf=lambda name: Value(point[name], label=name), apply=apply,
                        literal=lambda v, node: Value(v, label=getattr(node, "name", "")))
    for value in (root, *named.values()):   # failed, and not only in an untaken branch
        if type(value) is Untaken and (value is root or not value.excused):
            raise value.error
    for name in program.intermediates:
        if not named[name].label:
            named[name].label = name
    return Graph(program, root, named, origin, conditions)


def _nonfinite_gradient(graph: Graph, topo: list[Value]) -> NumericError:
    """The node that broke the backward pass (``nonfinite.cause``), located in the source."""
    node, err = cause(topo)
    where = graph.origin.get(id(node))
    return _located(err, where, graph.program) if where is not None else err


@dataclass
class Result:
    """Value and gradients of a program at a point.

    ``grads`` maps every input and named intermediate to d(output)/d(name). In Jupyter a Result
    shows its table and its graph: the display hook ``teaching.jupyter.result_bundle``, which the
    teaching layer registers in ``base.display_hooks``.
    """
    program: Program
    point: dict[str, float]
    value: float
    grads: dict[str, float]
    root: Value = field(repr=False)
    graph: Graph = field(repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"output": self.program.output, "value": self.value, "point": dict(self.point),
                "grads": dict(self.grads)}

    def table(self) -> str:
        """A plain-text table: the value, then one row per gradient."""
        out = self.program.output or "output"
        rows = [(name, repr(g)) for name, g in self.grads.items()]
        width = max([len("name")] + [len(n) for n, _ in rows])
        lines = [f"{out} = {self.value!r}", "", f"{'name':<{width}}  d{out}/dname"]
        lines += [f"{n:<{width}}  {g}" for n, g in rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter: the table and the graph, drawn by the hook the teaching layer registers
        (``teaching.jupyter.result_bundle``, through ``base.display_hooks``); the table alone without it."""
        return mimebundle(self)


def _has_array(values: Mapping[str, Any] | None, kw: Mapping[str, Any]) -> bool:
    given = (*(values.values() if isinstance(values, Mapping) else ()), *kw.values())
    return any(is_tensor_value(v) for v in given)


def evaluate(program: "Program | str", values: Mapping[str, Any] | None = None, /, *,
             limits: Limits | None = None, **kw: Any) -> Graph:
    prog = parse(program, limits=limits)
    return build_graph(prog, resolve_point(prog, values, kw))


def backprop(program: "Program | str", values: Mapping[str, Any] | None = None, /, *,
             limits: Limits | None = None, **kw: Any) -> Result:
    """Evaluate ``program`` at the given inputs and backpropagate from its output.

    ``values`` is a mapping of input name to number; keyword arguments work too. A program with a
    tensor form (``@``, ``x[i]``, ``sum(x, 1)``, …), or a value that is an array or a list, runs on
    tensors (``engine.tensor``) and returns a ``TensorResult`` whose gradients are arrays.
    """
    program = parse(program, limits=limits)
    if is_tensor_program(program) or _has_array(values, kw):
        from .tensor import tensor_backprop      # numpy loads for tensor programs only
        return tensor_backprop(program, values, limits=limits, **kw)
    graph = evaluate(program, values, limits=limits, **kw)
    topo = backpropagate(graph.root)
    if not all(math.isfinite(node.grad) for node in topo):
        raise _nonfinite_gradient(graph, topo)
    prog = graph.program
    grads = {name: graph.named[name].grad for name in prog.inputs + prog.intermediates}
    point = {name: graph.named[name].data for name in prog.inputs}
    return Result(prog, point, graph.root.data, grads, graph.root, graph)
