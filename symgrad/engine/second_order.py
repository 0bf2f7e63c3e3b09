"""Second order and forward mode: ``hessian``, ``hvp`` (Hessian-vector product) and ``jvp``.

Forward-over-reverse (Pearlmutter, "Fast exact multiplication by the Hessian", Neural
Computation 6, 1994; Griewank & Walther, *Evaluating Derivatives*, 2nd ed., §5): a tangent ẋ is
pushed forward through the program's rows (ẋₙ = Σⱼ ∂fₙ/∂aⱼ·ẋₖⱼ, the JVP), then through the
backward pass: each child's adjoint tangent receives

    ġₖⱼ += ∂fₙ/∂aⱼ · ġₙ  +  gₙ · Σₘ ∂²fₙ/∂aⱼ∂aₘ · ẋₖₘ

so ġ at the inputs is H·ẋ. Each row's first partials are its ``local``; its second partials come
from its SymPy form (``rules.second``), never written by hand. One HVP costs a forward, a
backward and one tangent sweep each way; ``hessian`` reuses the values, partials and adjoints
for its n columns (n = number of inputs).

``sweep`` is written once over any arithmetic (``add``, ``mul``): float64 here; the check runs it
on exact arb balls for its reference, and on rounded balls for float64's error bound. A tangent
or adjoint tangent that is structurally zero (a node the seed does not reach) is None, in every
arithmetic alike, so the operations done are the same ones.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..base.errors import InputError, NumericError
from ..base.limits import Limits
from ..base.validate import real_number
from ..language.ast import Node, Program
from ..language.parser import parse
from ..rules.second import Kink, second
from ..rules.table import Rule
from .backprop import _TAKEN, _WHERE, _located, resolve_point
from .lower import has_where, lower

__all__ = ["Tape", "tape", "sweep", "hessian", "hvp", "jvp", "Hessian"]


@dataclass
class Tape:
    """A program at a point, flat: nodes in evaluation order (kids before parents), float64
    values, first partials and adjoints (d output/d node; None where it does not reach)."""
    program: Program
    point: dict[str, float]
    rule: list[Rule | None]
    kids: list[tuple[int, ...]]
    value: list[float]
    source: list[Node | None]
    named: dict[str, int]
    root: int
    local: list[tuple | None] = field(default_factory=list)
    adjoint: list[float | None] = field(default_factory=list)
    _second: dict = field(default_factory=dict, repr=False)

    def second(self, n: int) -> tuple:
        """Node n's second partials (its row's ``rules.second`` record), at its float64 arguments."""
        found = self._second.get(n)
        if found is None:
            args = tuple(self.value[k] for k in self.kids[n])
            row = self.rule[n]
            try:
                found = self._second[n] = second(row, len(args)).at(*args)
            except Kink as err:
                raise self.located(NumericError(f"{row.name} is at its kink: {err}",
                                                hint="the second derivative exists on each side only; "
                                                     "symgrad.check(..., order=2) gives the kink verdict"), n) from None
            except NumericError as err:
                raise self.located(err, n) from None
        return found

    def located(self, err: NumericError, n: int) -> NumericError:
        node = self.source[n]
        return _located(err, node, self.program) if node is not None else err


def tape(program: Program, point: Mapping[str, float]) -> Tape:
    """Values, first partials and adjoints of every node (the forward and the backward pass)."""
    t = Tape(program, dict(point), [], [], [], [], {}, -1)

    def add(row: Rule | None, kids: tuple, value: float, node: Node | None) -> int:
        t.rule.append(row)
        t.kids.append(kids)
        t.value.append(value)
        t.source.append(node)
        return len(t.value) - 1

    failed: dict[int, NumericError] = {}   # nodes that failed; only an untaken branch may read them
    excused: set[int] = set()
    lazy = has_where(program)

    def apply(row: Rule, kids: tuple, node: Node) -> int:
        if row is _WHERE:     # as backprop: one node whose only child is the taken branch
            if kids[0] in failed:
                raise failed[kids[0]]
            kids, untaken = ((kids[1],), kids[2]) if t.value[kids[0]] else ((kids[2],), kids[1])
            row = _TAKEN
            excused.add(untaken)
        bad = next((k for k in kids if k in failed), None)
        if bad is not None:
            return bad
        args = tuple(t.value[k] for k in kids)
        try:
            out = row.forward(*args)
            if not math.isfinite(out):
                raise _located(NumericError(f"the result {out} overflows float64"), node, program)
        except NumericError as err:
            error = err if err.line is not None else _located(err, node, program, row, args)
            if not lazy:
                raise error from None
            i = add(row, kids, math.nan, node)
            failed[i] = error
            return i
        return add(row, kids, out, node)

    t.root, t.named = lower(program, leaf=lambda name: add(None, (), point[name], None),
                            literal=lambda v, node: add(None, (), v, node), apply=apply)
    for i in (t.root, *t.named.values()):     # failed, and not only in an untaken branch
        if i in failed and (i == t.root or i not in excused):
            raise failed[i]
    n = len(t.value)
    t.local = [None] * n
    for i in range(n):
        if t.kids[i] and i not in failed:
            t.local[i] = t.rule[i].local(*[t.value[k] for k in t.kids[i]], t.value[i])
    t.adjoint = [None] * n
    t.adjoint[t.root] = 1.0
    for i in range(t.root, -1, -1):
        g = t.adjoint[i]
        if g is None or not t.kids[i] or t.local[i] is None:
            continue
        for k, d in zip(t.kids[i], t.local[i]):
            t.adjoint[k] = d * g if t.adjoint[k] is None else t.adjoint[k] + d * g
    return t


def sweep(kids: Sequence[tuple], local: Sequence, second_of: Callable[[int], Any], adjoint: Sequence,
          root: int, seeds: Mapping[int, Any], add: Callable = operator.add, mul: Callable = operator.mul,
          backward: bool = True) -> tuple[list, list]:
    """Forward-over-reverse over a flat graph, in any arithmetic: the tangents ẋ from ``seeds``
    ({node: tangent}) and, with ``backward``, the adjoint tangents ġ (ġ at an input is (H·ẋ) there).
    ``second_of(n)`` gives node n's second partials; ``adjoint[n]`` is None where n does not reach
    the root. A local partial None is no edge at all (where's condition and untaken branch).
    Returns (tangent, adjoint tangent), None where structurally zero."""
    n = root + 1
    tan: list = [None] * n
    for i in range(n):
        if i in seeds:
            tan[i] = seeds[i]
            continue
        if not kids[i] or local[i] is None:     # a leaf, or a failed node of an untaken branch
            continue
        acc = None
        for k, d in zip(kids[i], local[i]):
            if tan[k] is not None and d is not None:
                term = mul(d, tan[k])
                acc = term if acc is None else add(acc, term)
        tan[i] = acc
    dot: list = [None] * n
    if not backward:
        return tan, dot
    for i in range(root, -1, -1):
        ks = kids[i]
        if not ks or adjoint[i] is None or local[i] is None:
            continue
        gd = dot[i]
        active = [m for m, k in enumerate(ks) if tan[k] is not None and local[i][m] is not None]
        if gd is None and not active:
            continue
        h = second_of(i) if active else None
        for j, k in enumerate(ks):
            if local[i][j] is None:
                continue
            term = None if gd is None else mul(local[i][j], gd)
            s = None
            for m in active:
                if h[j][m] is not None:
                    t = mul(h[j][m], tan[ks[m]])
                    s = t if s is None else add(s, t)
            if s is not None:
                t = mul(adjoint[i], s)
                term = t if term is None else add(term, t)
            if term is not None:
                dot[k] = term if dot[k] is None else add(dot[k], term)
    return tan, dot


def _direction(prog: Program, v: Any, what: str = "v") -> dict[str, float]:
    """A direction over the inputs: a mapping name -> number (missing names 0), or a sequence in
    the order of ``program.inputs``."""
    names = prog.inputs
    if isinstance(v, Mapping):
        for key in v:
            if key not in names:
                raise InputError(f"{key!s:.40} in {what} is not an input of this program",
                                 hint=f"inputs are: {', '.join(names) or '(none)'}")
        return {name: real_number(v.get(name, 0.0), f"{what}[{name}]") for name in names}
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
        raise InputError(f"{what} must be a mapping of input name to number, or a sequence in the order "
                         f"of the inputs ({', '.join(names)}), got {type(v).__name__}")
    items = list(v)
    if len(items) != len(names):
        raise InputError(f"{what} has {len(items)} numbers, the program has {len(names)} inputs",
                         hint=f"give one per input, in the order {', '.join(names) or '(none)'}")
    return {name: real_number(x, f"{what}[{name}]") for name, x in zip(names, items)}


def _finite(t: Tape, x: float | None, what: str) -> float:
    if x is None:
        return 0.0
    if not math.isfinite(x):
        raise NumericError(f"{what} is {x}: it overflows float64",
                           hint="move the point; symgrad.check(..., order=2) tells whether the exact value is finite")
    return x + 0.0


def _start(program: Any, point: Any, kw: Mapping, limits: Limits | None) -> Tape:
    prog = parse(program, limits=limits)
    return tape(prog, resolve_point(prog, point, kw))


def _column(t: Tape, direction: Mapping[str, float], name: str = "the Hessian-vector product") -> dict[str, float]:
    seeds = {t.named[x]: d for x, d in direction.items() if d != 0.0}
    _, dot = sweep(t.kids, t.local, t.second, t.adjoint, t.root, seeds)
    return {x: _finite(t, dot[t.named[x]], f"{name} at {x}") for x in t.program.inputs}


def hvp(program: "Program | str", point: Mapping[str, Any] | None, v: Any, /, *,
        limits: Limits | None = None) -> dict[str, float]:
    """The Hessian of the output times ``v``: {input: (H·v)[input]}, float64, by forward-over-reverse.

    ``v`` maps input names to numbers (missing ones are 0) or lists them in the order of
    ``program.inputs``. Costs one forward, one backward and one tangent sweep each way. Raises
    ParseError, InputError for the point or ``v``, NumericError (located) where float64 fails,
    or at a kink whose second derivative is a Dirac delta (abs at 0).
    """
    t = _start(program, point, {}, limits)
    return _column(t, _direction(t.program, v))


def jvp(program: "Program | str", point: Mapping[str, Any] | None, v: Any, /, *,
        limits: Limits | None = None) -> tuple[float, float]:
    """Forward mode: (output, d output along ``v``) = (f(x), ∇f(x)·v), as ``torch.func.jvp``
    returns (primal out, tangent out). One forward sweep with a tangent, no backward pass.
    ``v`` as in ``hvp``."""
    t = _start(program, point, {}, limits)
    direction = _direction(t.program, v)
    seeds = {t.named[x]: d for x, d in direction.items()}
    tan, _ = sweep(t.kids, t.local, t.second, t.adjoint, t.root, seeds, backward=False)
    return t.value[t.root], _finite(t, tan[t.root], "the directional derivative")


class Hessian:
    """The Hessian of a program's output over its inputs at a point.

    ``names``: the inputs, in order; ``matrix[i][j]`` = ∂²out/∂names[i]∂names[j] (nested lists of
    float64; ``numpy.asarray(h)`` gives an n×n array); ``value`` and ``grad`` the output and its
    gradient there. Each column is one HVP (forward-over-reverse), so the matrix is computed,
    never symmetrised: ``h[x, y] == h[y, x]`` is a property the tests check.
    """

    def __init__(self, program: Program, point: dict[str, float], names: list[str],
                 matrix: list[list[float]], value: float, grad: dict[str, float]) -> None:
        self.program, self.point, self.names, self.matrix = program, point, names, matrix
        self.value, self.grad = value, grad

    def __getitem__(self, key: tuple[str, str]) -> float:
        a, b = key
        return self.matrix[self.names.index(a)][self.names.index(b)]

    def __array__(self, dtype: Any = None, copy: Any = None):
        import numpy as np
        return np.array(self.matrix, dtype=dtype or float)

    def to_dict(self) -> dict:
        return {"output": self.program.output, "value": self.value, "point": dict(self.point),
                "names": list(self.names), "hessian": [list(r) for r in self.matrix], "grad": dict(self.grad)}

    def table(self) -> str:
        """The matrix as a plain-text table, rows and columns named by the inputs."""
        out = self.program.output or "output"
        cells = [[repr(x) for x in row] for row in self.matrix]
        width = max([len(n) for n in self.names] + [len(c) for row in cells for c in row] + [1])
        first = max([len(n) for n in self.names] + [1])
        lines = [f"{out} = {self.value!r}", f"Hessian: d²{out}/d(row) d(column)", "",
                 " " * first + "  " + "  ".join(n.rjust(width) for n in self.names)]
        lines += [name.ljust(first) + "  " + "  ".join(c.rjust(width) for c in row)
                  for name, row in zip(self.names, cells)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<Hessian {len(self.names)}×{len(self.names)} over {', '.join(self.names)}>"

    def _repr_html_(self) -> str:
        import html
        e = html.escape
        head = "".join(f"<th>{e(n)}</th>" for n in self.names)
        body = "".join(f"<tr><th>{e(n)}</th>" + "".join(f"<td>{x!r}</td>" for x in row) + "</tr>"
                       for n, row in zip(self.names, self.matrix))
        return f"<table class=\"symgrad-hessian\"><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"


def hessian(program: "Program | str", point: Mapping[str, Any] | None = None, /, *,
            limits: Limits | None = None, **kw: Any) -> Hessian:
    """The Hessian of ``program``'s output over its inputs at a point (a mapping or keywords),
    as a ``Hessian``: n HVPs, one per input, sharing one forward and one backward pass.
    Raises as ``hvp``."""
    t = _start(program, point, kw, limits)
    names = list(t.program.inputs)
    columns = [_column(t, {x: 1.0}, f"the Hessian entry ({x}, ·)") for x in names]
    matrix = [[columns[j][a] for j in range(len(names))] for a in names]
    grad = {x: _finite(t, t.adjoint[t.named[x]], f"d/d{x}") for x in names}
    return Hessian(t.program, t.point, names, matrix, t.value[t.root], grad)

