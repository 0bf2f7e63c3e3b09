"""Code generation for symgrad.compile: straight-line Python for the forward and reverse sweeps.

The program's Value graph is planned once, exactly as ``build_graph`` would build it (shared
names are one node, a constant exponent takes the ``powc`` row), and its topological order
comes from the engine's ``topo_order``, so gradients accumulate in backprop's order and agree
with it bit for bit on scalars. Each node becomes one line built from its rule-table row's
``py`` (or, for numpy arrays, ``np``) template; user names never appear in the source.

Domain checks cost almost nothing: the generated code lets Python raise (math.log(0),
1/0, math.pow(-8, 1/3)) or lets a non-finite value appear, and one sum over every value and
every leaf gradient detects the latter (inf and nan survive a sum; a non-finite gradient
always reaches a leaf). On any such sign the call is redone by ``backprop``, which raises
the located DomainError or NumericError, or, if the sum merely overflowed, gives the result.

Programs above ``STRAIGHT_LINE_NODES`` nodes run the same row templates as a tape instead:
compiling a million lines of Python takes CPython tens of seconds.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, Callable, Mapping

from . import _rules
from ._ast import Program
from ._backprop import lower
from ._engine import topo_order
from ._rules import RULES

__all__ = ["functions", "RAISES", "STRAIGHT_LINE_NODES", "BATCH_CHUNK"]

STRAIGHT_LINE_NODES = 20_000
BATCH_CHUNK = 4096  # points per generated-function call in batch mode
_SUM_TERMS = 64  # terms per line of the check sum: long `a + b + …` chains recurse in CPython's compiler
RAISES = (ArithmeticError, ValueError, TypeError)


class _Node:
    """A node of the planned graph. ``_prev`` and ``grad`` let the engine's topo_order walk it
    (the sort keeps its visit marks in ``grad``)."""

    __slots__ = ("_prev", "grad", "row", "index", "literal")

    def __init__(self, index: int, prev: tuple = (), row=None, literal: float | None = None) -> None:
        self.index, self._prev, self.row, self.literal = index, prev, row, literal
        self.grad = 0.0


class _Plan:
    """The graph ``build_graph`` makes, without values: nodes in creation order."""

    def __init__(self, program: Program) -> None:
        self.nodes: list[_Node] = []
        root, named = lower(program, leaf=lambda name: self._new(), literal=lambda v, node: self._new(literal=v),
                            apply=lambda row, kids, node: self._new(kids, row))
        self.root: _Node = root
        self.inputs = [named[name] for name in program.inputs]
        self.names = program.inputs + program.intermediates
        self.targets = [named[name] for name in self.names]
        self.topo: list[_Node] = topo_order(root)
        self.reached = {n.index for n in self.topo}  # nodes the output depends on; others get grad 0

    def _new(self, prev: tuple = (), row=None, literal: float | None = None) -> _Node:
        node = _Node(len(self.nodes), prev, row, literal)
        self.nodes.append(node)
        return node

    def checked(self) -> tuple[list[_Node], list[_Node]]:
        """Values and gradients whose sum detects every non-finite value of a run."""
        values = [n for n in self.nodes if n.literal is None]
        leaves = [n for n in self.topo if not n._prev and n is not self.root]
        return values, leaves


# --- straight-line source ----------------------------------------------------------------

def _atom(node: _Node) -> str:
    if node.literal is not None:
        text = repr(float(node.literal))
        return f"({text})" if text.startswith("-") else text
    return f"_v{node.index}"


class _Emitter:
    """Writes the Python source of one program for one backend (``py`` or ``np``)."""

    def __init__(self, plan: _Plan, backend: str) -> None:
        self.plan, self.backend = plan, backend
        self.namespace: dict[str, Any] = {}

    def template(self, row) -> tuple[str, ...]:
        return getattr(row, self.backend)

    def forward(self) -> list[str]:
        lines = []
        for node in self.plan.nodes:
            if node.row is None:
                continue
            args = [_atom(k) for k in node._prev]
            tpl = self.template(node.row)
            expr = tpl[0].format(*args) if tpl else f"{self._fallback(node.row, 'forward')}({', '.join(args)})"
            lines.append(f"_v{node.index} = {expr}")
        return lines

    def reverse(self) -> list[str]:
        plan, lines, started = self.plan, [], set()
        for node in reversed(plan.topo):
            if node.row is None:
                continue
            g = "1.0" if node is plan.root else f"_g{node.index}"
            args = [_atom(k) for k in node._prev]
            out = _atom(node)
            tpl = self.template(node.row)
            if tpl:
                locals_ = [t.format(*args, out=out) for t in tpl[1:]]
            else:
                lines.append(f"_d = {self._fallback(node.row, 'local')}({', '.join(args + [out])})")
                locals_ = [f"_d[{i}]" for i in range(len(args))]
            for kid, d in zip(node._prev, locals_):
                term = (g if d == "1.0" else f"-{g}" if d == "-1.0" else
                        f"({d})" if g == "1.0" else f"({d}) * {g}")
                target = f"_g{kid.index}"
                lines.append(f"{target} = {target} + {term}" if kid.index in started else f"{target} = {term}")
                started.add(kid.index)
        return lines

    def grad_atom(self, node: _Node) -> str:
        if node is self.plan.root:
            return "1.0"
        return f"_g{node.index}" if node.index in self.plan.reached else "0.0"

    def check(self, with_grads: bool) -> list[str]:
        values, leaves = self.plan.checked()
        terms = [f"_v{n.index}" for n in values] + ([f"_g{n.index}" for n in leaves] if with_grads else [])
        if self.backend == "np":  # one fresh array, then in place: no temporaries
            return ["_s = _np.zeros(_n)"] + [f"_s += {t}" for t in terms]
        lines = ["_s = 0.0"]
        for i in range(0, len(terms), _SUM_TERMS):
            lines.append("_s = _s + " + " + ".join(terms[i:i + _SUM_TERMS]))
        return lines

    def _fallback(self, row, what: str) -> str:
        return _row_call(row, what, self.backend, self.namespace)

    def function(self, name: str, with_grads: bool, guarded: bool) -> str:
        """``name(_v0, …)`` → (value, (grads…), check sum); without grads, (value, check sum).

        ``guarded`` (scalars): take any arguments, convert them to float, check, and hand
        every doubtful call to ``_slow``; return (value, (grads…)) or the value alone.
        """
        plan = self.plan
        value = _atom(plan.root)
        grads = "".join(f"{self.grad_atom(n)}, " for n in plan.targets)
        result = f"{value}, ({grads})" if with_grads else value
        body = self.forward() + (self.reverse() if with_grads else []) + self.check(with_grads)
        if not guarded:
            params = "".join(f"_v{n.index}, " for n in plan.inputs)
            lines = [f"def {name}({params}_n):"] + ["    " + line for line in body + [f"return {result}, _s"]]
            return "\n".join(lines)
        params = "".join(f"_a{i}=_MISSING, " for i in range(len(plan.inputs)))
        args = "".join(f"_a{i}, " for i in range(len(plan.inputs)))
        # int -> float, str fails; a bool becomes nan, so the slow path rejects it (InputError)
        convert = [f"_v{n.index} = _a{i} * 1.0 if _a{i}.__class__ is not _bool else _NAN"
                   for i, n in enumerate(plan.inputs)]
        slow = f"return _slow(({args}*_extra,), {with_grads})"
        # `not _s - _s` is False for inf or nan, and raises for arrays (they go to the batch path);
        # a check sum that is not a float (complex, numpy scalars) goes to the exact path too.
        return "\n".join([f"def {name}({params}*_extra):", "    try:"]
                         + ["        " + line for line in convert + body
                            + ["_ok = _s.__class__ is _float and not _s - _s"]]
                         + ["    except _RAISES:", "        _ok = False", "    if _ok and not _extra:",
                            f"        return {result}", f"    {slow}"])


def _row_call(row, what: str, backend: str, namespace: dict[str, Any]) -> str:
    """A row without a template: its forward/local (vectorized for arrays), by namespace key."""
    key = f"_{what[0]}{list(RULES).index(row.name)}"
    if key not in namespace:
        fn = getattr(row, what)
        if backend == "np":
            import numpy as np
            fn = np.vectorize(fn, otypes=[float] * (1 if what == "forward" else row.arity))
        namespace[key] = fn
    return key


def _namespace(extra: Mapping[str, Any]) -> dict[str, Any]:
    import numpy
    ns = {k: v for k, v in vars(_rules).items() if not k.startswith("__")}
    ns.update(extra, _np=numpy, __name__="symgrad._generated", __builtins__={"abs": abs})
    return ns


def _build(source: str, namespace: dict[str, Any], names: tuple[str, ...]) -> tuple[Callable, ...]:
    # The only exec in symgrad: `source` was generated above from a validated Program; every
    # piece is a rule-table template, an `_`-prefixed local or a repr(float).
    code = builtins.compile(source, "<symgrad.compile>", "exec")
    exec(code, namespace)  # noqa: S102 -- generated source only, see above
    return tuple(namespace[n] for n in names)


# --- the tape: the same templates, interpreted (huge programs) ---------------------------

def _kernels(rows, backend: str) -> dict[str, tuple[Callable, Callable]]:
    lines, wanted = [], {}
    for i, row in enumerate(rows):
        tpl = getattr(row, backend)
        if not tpl:
            continue
        args = [f"_{j}" for j in range(row.arity)]
        sig = ", ".join(args)
        lines.append(f"def _f{i}({sig}):\n    return {tpl[0].format(*args)}")
        locs = ", ".join(t.format(*args, out="_out") for t in tpl[1:])
        lines.append(f"def _l{i}({sig}, _out):\n    return ({locs},)")
        wanted[row.name] = (f"_f{i}", f"_l{i}")
    fns = _build("\n".join(lines), _namespace({}), tuple(n for pair in wanted.values() for n in pair))
    kernels = {name: (fns[2 * i], fns[2 * i + 1]) for i, name in enumerate(wanted)}
    for row in rows:
        if row.name not in kernels:
            own: dict[str, Any] = {}
            kernels[row.name] = tuple(own[_row_call(row, what, backend, own)] for what in ("forward", "local"))
    return kernels


def _tape(plan: _Plan, backend: str) -> tuple[Callable, Callable]:
    kernels = _kernels({id(n.row): n.row for n in plan.nodes if n.row is not None}.values(), backend)
    n = len(plan.nodes)
    ops = [(k.index, kernels[k.row.name][0], [c.index for c in k._prev]) for k in plan.nodes if k.row is not None]
    back = [(k.index, kernels[k.row.name][1], [c.index for c in k._prev]) for k in reversed(plan.topo)
            if k.row is not None]
    inputs = [k.index for k in plan.inputs]
    literals = [(k.index, k.literal) for k in plan.nodes if k.literal is not None]
    values, leaves = plan.checked()
    vcheck, gcheck = [k.index for k in values], [k.index for k in leaves]
    reached = plan.reached
    targets = [k.index for k in plan.targets]
    root = plan.root.index

    def forward(args):
        v = [0.0] * n
        for i, a in zip(inputs, args):
            v[i] = a
        for i, x in literals:
            v[i] = x
        for i, f, kids in ops:
            v[i] = f(*[v[j] for j in kids])
        return v

    def value(*args):
        v = forward(args)
        s = 0.0
        for i in vcheck:
            s = s + v[i]
        return v[root], s

    def value_and_grad(*args):
        v = forward(args)
        g = [0.0] * n
        g[root] = 1.0
        for i, loc, kids in back:
            gi = g[i]
            for j, d in zip(kids, loc(*[v[j] for j in kids], v[i])):
                g[j] = g[j] + d * gi
        s = 0.0
        for i in vcheck:
            s = s + v[i]
        for i in gcheck:
            s = s + g[i]
        return v[root], tuple(g[i] if i in reached else 0.0 for i in targets), s

    return value, value_and_grad


def functions(program: Program, slow: Callable, missing: object):
    """(names, scalar source, (value, value_and_grad) for floats, the same for numpy chunks).

    The scalar functions hand every doubtful call to ``slow(args, with_grads)``; the numpy
    ones return the check sum last and take the chunk length after the arrays.
    """
    plan = _Plan(program)
    if len(plan.nodes) > STRAIGHT_LINE_NODES:
        scalar = tuple(_guarded(fn, grads, slow, len(plan.inputs))
                       for fn, grads in zip(_tape(plan, "py"), (False, True)))
        return plan.names, "", scalar, _tape(plan, "np")
    py = _Emitter(plan, "py")
    source = "\n\n".join([py.function("value", False, True), py.function("value_and_grad", True, True)])
    scalar = _build(source, _namespace({**py.namespace, "_slow": slow, "_MISSING": missing, "_RAISES": RAISES,
                                        "_NAN": math.nan, "_float": float, "_bool": bool}),
                    ("value", "value_and_grad"))
    np_ = _Emitter(plan, "np")
    np_source = "\n\n".join([np_.function("value", False, False), np_.function("value_and_grad", True, False)])
    return plan.names, source, scalar, _build(np_source, _namespace(np_.namespace), ("value", "value_and_grad"))


def _guarded(fn: Callable, with_grads: bool, slow: Callable, arity: int) -> Callable:
    """The tape's scalar entry: float inputs, and every doubtful call redone exactly."""
    def call(*args):
        try:
            out = fn(*[a * 1.0 if a.__class__ is not bool else math.nan for a in args]) if len(args) == arity else None
            ok = out is not None and out[-1].__class__ is float and not out[-1] - out[-1]  # arrays raise
        except RAISES:
            ok = False
        if not ok:
            return slow(args, with_grads)
        return out[:-1] if with_grads else out[0]
    return call
