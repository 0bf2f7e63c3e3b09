"""Tensor programs: a forward pass over numpy arrays and backprop with each operation's vjp.

micrograd's engine one level up. ``lower`` walks the program as for scalars; each operation becomes a
``TNode`` holding its value (an array) and its record (``rules.tensor_ops.TensorOp``; a scalar row acts
elementwise through ``rules.tensor_elementwise``). ``backward`` runs the records' vjps in reverse
order, so every input and named intermediate gets d(output)/d(name) with its own shape. The arithmetic
goes through an array namespace ``xp`` (float64 numpy here; the check passes its ball namespaces),
so the exact reference runs this same walk and these same rules.

Every failure is located: a ShapeError names the operation, both shapes and the rule that failed
(NumPy's broadcasting, matmul's inner sizes, an index's range); a LimitError guards the sizes. In a
program with a ``where``, an element that fails (a DomainError, an overflow) is an error only if the
output reads it through taken branches, and an untaken element's gradient is exactly 0
(``engine.tensor_live``), as for scalars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..base.errors import LimitError, NumericError, ShapeError, SymgradError
from ..base.limits import DEFAULT_LIMITS, Limits
from ..language.ast import Node, Op, Program, postorder
from ..language.parser import parse
from ..language.printing import to_notation
from ..rules.rule import Rule
from ..rules.tensor_table import FLOAT64, TENSOR_OPS, TensorOp, elementwise
from .lower import has_where, lower
from .point import is_tensor_program, is_tensor_value
from .tensor_live import ELEMENT_ERRORS, evaluate_elements, inherited, live_error, mark_live, masked_vjp
from .tensor_point import tensor_point
from .tensor_shapes import check_arguments

__all__ = ["TNode", "TensorGraph", "TensorResult", "forward", "backward", "tensor_backprop", "tensor_value",
           "located"]


@dataclass(eq=False)
class TNode:
    """One tensor value of the graph: its array, the record that made it and its arguments."""
    value: Any
    op: TensorOp | None = None
    kids: tuple = ()
    source: Node | None = field(default=None, repr=False)
    grad: Any = None
    label: str = ""
    row: Rule | None = field(default=None, repr=False)     # the scalar row of an elementwise operation
    bad: Any = field(default=None, repr=False)             # elements that failed (their own or read), or None
    errors: list = field(default_factory=list, repr=False)  # [(element, its own failure)]; see tensor_live
    live: Any = field(default=None, repr=False)            # elements the output reads (programs with where)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))

    @property
    def differentiable(self) -> bool:
        """Float data takes a gradient; integer data (indices, sizes, ranges) does not."""
        return np.asarray(self.value).dtype.kind in "fO"


@dataclass
class TensorGraph:
    program: Program
    root: TNode
    named: dict[str, TNode]          # inputs and intermediates
    tape: list[TNode]                # operations in evaluation order


def located(err: SymgradError, node: Node | None, program: Program) -> SymgradError:
    """The error at ``node``, with the program's text of it and its line and column."""
    if node is None:
        return err
    text = to_notation(node)
    text = text if len(text) <= 40 else text[:39] + "…"
    span = getattr(node, "span", None)
    message = err.message if text in err.message else f"{err.message} in {text}"
    extra = {"limit": err.limit, "value": err.value} if isinstance(err, LimitError) else {}
    return type(err)(message, hint=err.hint, line=span.line if span else None,
                     column=span.column if span else None, **extra)


def _other(rule: str) -> TensorOp:
    if rule == "shape":
        raise ShapeError("x.shape is read with an index", hint="write x.shape[0] for the first size")
    return TENSOR_OPS[rule]


def forward(program: Program, point: Mapping[str, Any], *, xp: Any = FLOAT64,
            limits: Limits | None = None) -> TensorGraph:
    """Evaluate the program over arrays: one TNode per operation, in evaluation order."""
    limits = limits or program.limits or DEFAULT_LIMITS
    tape: list[TNode] = []
    total = [sum(int(np.size(v)) for v in point.values())]

    def apply(record: "TensorOp | Rule", kids: tuple, node: Node) -> TNode:
        row = record if isinstance(record, Rule) else None
        record = elementwise(record) if row is not None else record
        args = tuple(k.value for k in kids)
        bad, errors = None, []
        try:
            args = check_arguments(record, args, limits)
            if lazy and row is not None:
                value, bad, errors = _elements(record, row, kids, args, xp)
            else:
                with np.errstate(all="ignore"):       # overflow is checked below, on the values
                    value = record.forward(xp, *args)
                if lazy and any(k.bad is not None for k in kids):   # read a failed element: when in doubt, all
                    bad = np.ones(np.shape(value), dtype=bool)
        except (ShapeError, NumericError) as err:
            raise located(err, node, program) from None
        except (ValueError, IndexError, TypeError) as err:   # a shape the checks above did not foresee
            shapes = " and ".join(str(tuple(np.shape(a))) for a in args)
            raise located(ShapeError(f"{record.surface}: the shapes {shapes} do not fit ({err})"),
                          node, program) from None
        value = np.asarray(value)
        if value.size > limits.max_tensor_elements:
            raise located(LimitError(f"{record.surface} makes {value.size} elements", limit="max_tensor_elements",
                                     value=limits.max_tensor_elements), node, program)
        total[0] += value.size
        if total[0] > limits.max_total_elements:
            raise located(LimitError(f"the program's values pass {limits.max_total_elements} elements",
                                     limit="max_total_elements", value=limits.max_total_elements), node, program)
        if lazy and row is not None and value.dtype.kind == "f":    # an element that overflows, lazily
            over = ~np.isfinite(value) & (True if bad is None else ~bad)
            errors += [(i, NumericError(f"the result overflows float64 at element {list(i)}",
                                        hint="scale the inputs down"))
                       for i in (tuple(int(k) for k in e) for e in np.argwhere(over))]
            bad = over if bad is None else bad | over
        elif value.dtype.kind == "f" and bad is None and not np.all(np.isfinite(value)):
            where = [int(i) for i in np.argwhere(~np.isfinite(value))[0]]
            empty = [tuple(np.shape(a)) for a in args if np.size(a) == 0]
            why = (f"is not a number at element {where}: it reduces an empty tensor of shape {empty[0]} (0/0)"
                   if empty and np.isnan(value).any() else f"overflows float64 at element {where}")
            raise located(NumericError(f"the result {why}", hint="give every tensor at least one element" if empty
                                       else "scale the inputs down"), node, program)
        out = TNode(value, record, kids, node, row=row, bad=bad if bad is not None and bad.any() else None,
                    errors=sorted(errors, key=lambda e: e[0]))
        tape.append(out)
        return out

    def literal(v: float, node: Node) -> TNode:
        return TNode(np.asarray(v, dtype=np.float64), source=node, label=getattr(node, "name", ""))

    lazy = has_where(program)
    root, named = lower(program, leaf=lambda name: TNode(point[name], label=name), literal=literal,
                        apply=apply, other=_located_other(program))
    if lazy:
        mark_live(tape, root, named)
        failed = live_error(tape)
        if failed is not None:
            node, err = failed
            raise (located(err, node.source, program) if isinstance(err, SymgradError) else err) from None
    for name in program.intermediates:
        named[name].label = named[name].label or name
    return TensorGraph(program, root, named, tape)


def _elements(record: TensorOp, row: Rule, kids: tuple, args: tuple, xp: Any) -> tuple:
    """(value, failed elements or None, [(element, failure)]) of an elementwise row in a program
    with a where: whole arrays when nothing fails, else element by element (``tensor_live``)."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    read = inherited(row, kids, shape)
    if read is None:
        try:
            with np.errstate(all="ignore"):
                return record.forward(xp, *args), None, []
        except ELEMENT_ERRORS:
            pass
    value, errors = evaluate_elements(record, row, xp, args, shape, read)
    bad = np.zeros(shape, dtype=bool) if read is None else read.copy()
    for index, _ in errors:
        bad[index] = True
    return value, bad, errors


def _located_other(program: Program):
    def other(rule: str) -> TensorOp:
        try:
            return _other(rule)
        except ShapeError as err:
            node = next((n for s in program.statements for n in _ops(s.expr) if n.rule == "shape"), None)
            raise located(err, node, program) from None
    return other


def _ops(expr):
    return (n for n in postorder(expr) if isinstance(n, Op))


def backward(graph: TensorGraph, *, xp: Any = FLOAT64, seed: Any = None, overrides: Any = None) -> None:
    """Reverse-mode over the tape: each record's vjp, gradients summed where a value is used twice.
    ``overrides`` ({id(node): array}) replaces those nodes' gradients when reached (a claim's probe)."""
    root = graph.root
    if np.size(root.value) != 1:
        raise located(ShapeError(f"backprop starts from one number; the output has shape {root.shape}",
                                 hint="reduce it first, e.g. L = sum(y) or L = mean(y)"),
                      graph.program.statements[-1].expr, graph.program)
    root.grad = np.ones(root.shape) if seed is None else seed
    for node in reversed(graph.tape):
        if overrides and id(node) in overrides:
            node.grad = overrides[id(node)]
        if node.grad is None or node.live is not None and not node.live.any():
            continue
        n = len(node.kids)
        try:
            with np.errstate(all="ignore"):
                if node.row is not None and node.live is not None and not node.live.all():
                    grads = masked_vjp(node, xp)    # 0 where the output reads no element: never 0·inf
                else:
                    grads = node.op.vjp(xp, node.grad, node.value, *(k.value for k in node.kids))
        except (ValueError, IndexError, TypeError) as err:
            raise located(ShapeError(f"{node.op.surface}: its gradient does not fit ({err})"),
                          node.source, graph.program) from None
        for i, (kid, g) in enumerate(zip(node.kids, grads)):
            if g is None or not kid.differentiable or not node.op.takes_grad(i, n):
                continue
            g = np.asarray(g)
            kid.grad = g if kid.grad is None else kid.grad + g


@dataclass
class TensorResult:
    """Value and gradients of a tensor program at a point (``symgrad.backprop`` on arrays).

    ``grads`` maps every float input and named intermediate to d(output)/d(name), an array of the
    name's own shape; ``values`` holds every named value; integer data (indices, sizes) has no gradient.
    """
    program: Program
    point: dict[str, np.ndarray]
    value: float
    grads: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    graph: TensorGraph = field(repr=False, compare=False)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(np.shape(v)) for name, v in self.values.items()}

    def to_dict(self) -> dict:
        return {"output": self.program.output, "value": self.value,
                "point": {k: np.asarray(v).tolist() for k, v in self.point.items()},
                "grads": {k: np.asarray(v).tolist() for k, v in self.grads.items()}}

    def table(self) -> str:
        """A plain-text table: the value, then each gradient's shape and its largest magnitude."""
        out = self.program.output or "output"
        rows = [(name, str(tuple(np.shape(g))), repr(float(np.max(np.abs(g)))) if np.size(g) else "-")
                for name, g in self.grads.items()]
        w = max([4] + [len(n) for n, _, _ in rows])
        s = max([5] + [len(r[1]) for r in rows])
        lines = [f"{out} = {self.value!r}", "", f"{'name':<{w}}  {'shape':<{s}}  max|d{out}/dname|"]
        lines += [f"{n:<{w}}  {sh:<{s}}  {m}" for n, sh, m in rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def tensor_value(program: "Program | str", values: Mapping[str, Any] | None, *,
                 limits: Limits | None = None) -> tuple[str | None, Any] | None:
    """(output name, value as a float or nested lists) of a tensor program, or None for a scalar one
    (neither a tensor form nor an array among the values): what ``symgrad eval`` prints."""
    prog = parse(program, limits=limits)
    if not is_tensor_program(prog) and not any(is_tensor_value(v) for v in (values or {}).values()):
        return None
    limits = limits or prog.limits or DEFAULT_LIMITS
    graph = forward(prog, tensor_point(prog, values, {}, limits), limits=limits)
    value = np.asarray(graph.root.value)
    return prog.output, (float(value) if value.ndim == 0 and value.dtype.kind == "f" else value.tolist())


def tensor_backprop(program: "Program | str", values: Mapping[str, Any] | None = None, /, *,
                    limits: Limits | None = None, **kw: Any) -> TensorResult:
    """Forward and backprop of a tensor program in float64 (what ``symgrad.backprop`` runs when the
    program uses a tensor form or a value is an array)."""
    prog = parse(program, limits=limits)
    limits = limits or prog.limits or DEFAULT_LIMITS
    point = tensor_point(prog, values, kw, limits)
    graph = forward(prog, point, limits=limits)
    backward(graph)
    grads, values_out = {}, {}
    for name in prog.inputs + prog.intermediates:
        node = graph.named[name]
        values_out[name] = node.value
        if node.differentiable:
            g = np.zeros(node.shape) if node.grad is None else np.asarray(node.grad, dtype=np.float64)
            if not np.all(np.isfinite(g)):
                raise located(NumericError(f"the gradient of {name} is not finite"), node.source, prog)
            grads[name] = g
    value = graph.root.value
    value = float(value.reshape(())) if np.size(value) == 1 and value.dtype.kind == "f" else value
    return TensorResult(prog, point, value, grads, values_out, graph)

