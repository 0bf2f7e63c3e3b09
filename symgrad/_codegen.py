"""Code generation for symgrad.compile: straight-line Python for the forward and reverse sweeps.

The program's Value graph is planned once, exactly as ``build_graph`` would build it (shared
names are one node, a constant exponent takes the ``powc`` row), and sorted by the same
depth-first order as the engine's ``topo_order``, so gradients accumulate in backprop's order
and agree with it bit for bit on scalars. Each node becomes one line built from its rule-table
row's ``py`` (or, for numpy arrays, ``np``) template, slopes inlined; a gradient that is just
another one (``d(a + b)/da = 1``) is that name, not a copy. User names never appear in the source.
Generated code sees an explicit namespace: ``math``, ``_np`` and the ``helpers`` of the rows.

Domain checks cost almost nothing: the generated code lets Python raise (math.log(0),
1/0, math.pow(-8, 1/3)) or lets a non-finite value appear, and one sum detects the latter
(inf and nan survive a sum): of the values some row could hide (an argument of a row that does
not ``propagate`` a non-finite argument, the output, and unread values) and of every leaf
gradient (a non-finite gradient always reaches a leaf). On any such sign the call is redone by ``backprop``, which raises
the located DomainError or NumericError, or, if the sum merely overflowed, gives the result.

Programs above ``STRAIGHT_LINE_NODES`` nodes run the same row templates as a tape instead:
compiling a million lines of Python takes CPython tens of seconds.
"""

from __future__ import annotations

import builtins
import math
import re
from typing import Any, Callable, Iterable, Mapping

from ._ast import Program
from ._backprop import lower
from ._rule import RowError, inside, outside
from ._rules import Rule, all_rows

__all__ = ["functions", "namespace", "check_templates", "RAISES", "STRAIGHT_LINE_NODES", "BATCH_CHUNK"]

STRAIGHT_LINE_NODES = 20_000
BATCH_CHUNK = 4096  # points per generated-function call in batch mode
_SUM_TERMS = 64  # terms per line of the check sum: long `a + b + …` chains recurse in CPython's compiler
RAISES = (ArithmeticError, ValueError, TypeError)


class _Node:
    """A node of the planned graph: its kids, its row (None for a leaf) or literal value."""

    __slots__ = ("_prev", "row", "index", "literal")

    def __init__(self, index: int, prev: tuple = (), row=None, literal: float | None = None) -> None:
        self.index, self._prev, self.row, self.literal = index, prev, row, literal


def _topo(root: _Node, count: int) -> list[_Node]:
    """Children before parents, by the engine's depth-first order (``_engine.topo_order``), so the
    reverse sweep adds gradients in backprop's order. Iterative; visits kept by index."""
    state = [0] * count  # 0 new, 1 expanded, 2 emitted
    order: list[_Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        seen = state[node.index]
        if seen == 0:
            state[node.index] = 1
            stack.append(node)
            stack.extend(k for k in reversed(node._prev) if state[k.index] == 0)
        elif seen == 1:
            state[node.index] = 2
            order.append(node)
    return order


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
        self.topo: list[_Node] = _topo(root, len(self.nodes))
        self.reached = {n.index for n in self.topo}  # nodes the output depends on; others get grad 0

    def _new(self, prev: tuple = (), row=None, literal: float | None = None) -> _Node:
        node = _Node(len(self.nodes), prev, row, literal)
        self.nodes.append(node)
        return node

    def checked(self) -> tuple[list[_Node], list[_Node]]:
        """Values and gradients whose sum detects every non-finite value of a run: the values a
        consumer could hide (an argument of a row that does not propagate non-finite numbers),
        the output, values nothing reads, and every leaf gradient."""
        hidden = {self.root.index}
        read = set()
        for node in self.nodes:
            for kid in node._prev:
                read.add(kid.index)
                if not node.row.propagates:
                    hidden.add(kid.index)
        values = [n for n in self.nodes if n.literal is None and (n.index in hidden or n.index not in read)]
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
        self.grads: dict[int, str] = {}

    def template(self, row) -> tuple[str, ...]:
        return getattr(row, self.backend)

    def forward(self) -> list[str]:
        lines = []
        for node in self.plan.nodes:
            if node.row is None:
                continue
            args = [_atom(k) for k in node._prev]
            tpl = self.template(node.row)
            expr = tpl[0].format(*args) if tpl else f"{self._fallback(node.row, 'forward', len(args))}({', '.join(args)})"
            lines.append(f"_v{node.index} = {expr}")
        return lines

    def reverse(self) -> list[str]:
        """The reverse sweep. ``self.grads`` maps a node to the expression of its finished
        gradient: a first contribution that is just another gradient (or ±1) is that name,
        so no line copies it (``_g7 = _g8``)."""
        plan, lines, grads = self.plan, [], self.grads
        grads[plan.root.index] = "1.0"
        for node in reversed(plan.topo):
            if node.row is None:
                continue
            g = grads[node.index]
            args = [_atom(k) for k in node._prev]
            out = _atom(node)
            tpl = self.template(node.row)
            if tpl:
                locals_ = [t.format(*args, out=out) for t in tpl[1:]]
            else:
                lines.append(f"_d = {self._fallback(node.row, 'local', len(args))}({', '.join(args + [out])})")
                locals_ = [f"_d[{i}]" for i in range(len(args))]
            for kid, d in zip(node._prev, locals_):
                term = _product(d, g)
                target = f"_g{kid.index}"
                if kid.index in grads:
                    lines.append(f"{target} = {grads[kid.index]} + {term}")
                elif _ALIAS.fullmatch(term):
                    grads[kid.index] = term
                    continue
                else:
                    lines.append(f"{target} = {term}")
                grads[kid.index] = target
        return lines

    def grad_atom(self, node: _Node) -> str:
        if node is self.plan.root:
            return "1.0"
        return self.grads.get(node.index, "0.0") if node.index in self.plan.reached else "0.0"

    def check(self, with_grads: bool) -> list[str]:
        values, leaves = self.plan.checked()
        terms = [f"_v{n.index}" for n in values]
        if with_grads:
            atoms = [self.grad_atom(n).lstrip("-") for n in leaves]  # an alias may repeat or be a sign
            terms += [a for a in dict.fromkeys(atoms) if a not in ("1.0", "0.0")]
        if self.backend == "np":  # one fresh array, then in place: no temporaries
            return ["_s = _np.zeros(_n)"] + [f"_s += {t}" for t in terms]
        lines = [f"_s = {' + '.join(terms[:_SUM_TERMS]) or '0.0'}"]
        for i in range(_SUM_TERMS, len(terms), _SUM_TERMS):
            lines.append("_s = _s + " + " + ".join(terms[i:i + _SUM_TERMS]))
        return lines

    def _fallback(self, row, what: str, n: int) -> str:
        return _row_call(row, what, self.backend, self.namespace, n)

    def function(self, name: str, with_grads: bool, guarded: bool) -> str:
        """``name(_v0, …)`` → (value, (grads…), check sum); without grads, (value, check sum).

        ``guarded`` (scalars): take any arguments, convert them to float, check, and hand
        every doubtful call to ``_slow``; return (value, (grads…)) or the value alone.
        """
        plan = self.plan
        self.grads = {}
        body = self.forward() + (self.reverse() if with_grads else []) + self.check(with_grads)
        value = _atom(plan.root)
        grads = "".join(f"{self.grad_atom(n)}, " for n in plan.targets)
        result = f"{value}, ({grads})" if with_grads else value
        if not guarded:
            params = "".join(f"_v{n.index}, " for n in plan.inputs)
            lines = [f"def {name}({params}_n):"] + ["    " + line for line in body + [f"return {result}, _s"]]
            return "\n".join(lines)
        params = "".join(f"_a{i}=_MISSING, " for i in range(len(plan.inputs)))
        args = "".join(f"_a{i}, " for i in range(len(plan.inputs)))
        # A float passes as it is (one class test); anything else goes through _to_float: int ->
        # float, str fails, a bool becomes nan so the slow path rejects it (InputError).
        convert = [f"_v{n.index} = _a{i} if _a{i}.__class__ is _float else _to_float(_a{i})"
                   for i, n in enumerate(plan.inputs)]
        # `not _s - _s` is False for inf or nan, and raises for arrays (they go to the batch path);
        # a check sum that is not a float (complex, numpy scalars) goes to the exact path too.
        return "\n".join([f"def {name}({params}*_extra):", "    try:"]
                         + ["        " + line for line in convert + body]
                         + ["        if _s.__class__ is _float and not _s - _s and not _extra:",
                            f"            return {result}", "    except _RAISES:", "        pass",
                            f"    return _slow(({args}*_extra,), {with_grads})"])


_ALIAS = re.compile(r"-?(?:_g[0-9]+|1\.0)")  # a gradient that needs no line of its own


def _product(d: str, g: str) -> str:
    """The term ``d · g`` of a chain-rule sum, simplified for slopes ±1 and a gradient of ±1."""
    if d == "1.0":
        return g
    if d == "-1.0":
        return g[1:] if g.startswith("-") else f"-{g}"
    if g == "1.0":
        return f"({d})"
    if g == "-1.0":
        return f"-({d})"
    return f"({d}) * {g}"


def _row_call(row: Rule, what: str, backend: str, namespace: dict[str, Any], n: int) -> str:
    """A row without a template: its forward/local (vectorized for arrays) for ``n`` arguments, by key."""
    key = f"_{what[0]}_{row.name}_{n}"
    if key not in namespace:
        fn = getattr(row, what)
        if backend == "np":
            import numpy as np
            fn = np.vectorize(fn, otypes=[float] * (1 if what == "forward" else n))
        namespace[key] = fn
    return key


def namespace(rows: Iterable[Rule], extra: Mapping[str, Any] = {}) -> dict[str, Any]:
    """What generated code sees: ``math``, ``_np`` (numpy, if imported) and every name the rows'
    templates use (their ``helpers``), no other builtins. Two rows giving one name two meanings
    is a RowError."""
    ns: dict[str, Any] = {"math": math}
    for row in rows:
        for name, obj in row.helpers.items():
            if ns.setdefault(name, obj) is not obj:
                raise RowError(f"rule row {row.name!r}: helper {name!r} already means {ns[name]!r}",
                               hint="give the helper another name")
    ns.update(extra, __name__="symgrad._generated", __builtins__={})
    return ns


def _np_namespace(extra: Mapping[str, Any] = {}, *, checked: bool = True) -> dict[str, Any]:
    """The namespace of numpy code; the first one checks every row's ``np`` templates."""
    import numpy
    if checked and not _np_checked:
        _np_checked.append(True)
        for row in all_rows():
            check_templates(row, "np")
    return namespace(all_rows(), {"_np": numpy, **extra})


_np_checked: list[bool] = []


def _build(source: str, namespace: dict[str, Any], names: tuple[str, ...]) -> tuple[Callable, ...]:
    # The only exec in symgrad: `source` was generated above from a validated Program; every
    # piece is a rule-table template, an `_`-prefixed local or a repr(float).
    code = builtins.compile(source, "<symgrad.compile>", "exec")
    exec(code, namespace)  # noqa: S102 -- generated source only, see above
    return tuple(namespace[n] for n in names)


# --- the tape: the same templates, interpreted (huge programs) ---------------------------

def _kernels(calls: Iterable[tuple[Rule, int]], backend: str,
             ns: dict[str, Any] | None = None) -> dict[tuple[str, int], tuple[Callable, Callable]]:
    """(forward, local) functions per (row, number of arguments), from the rows' templates."""
    lines, wanted, calls = [], {}, list(dict.fromkeys(calls))
    for i, (row, n) in enumerate(calls):
        tpl = getattr(row, backend)
        if not tpl:
            continue
        args = [f"_{j}" for j in range(n)]
        sig = ", ".join(args)
        lines.append(f"def _f{i}({sig}):\n    return {tpl[0].format(*args)}")
        locs = ", ".join(t.format(*args, out="_out") for t in tpl[1:])
        lines.append(f"def _l{i}({sig}, _out):\n    return ({locs},)")
        wanted[row.name, n] = (f"_f{i}", f"_l{i}")
    if ns is None:
        ns = _np_namespace() if backend == "np" else namespace(all_rows())
    fns = _build("\n".join(lines), ns, tuple(name for pair in wanted.values() for name in pair))
    kernels = {key: (fns[2 * i], fns[2 * i + 1]) for i, key in enumerate(wanted)}
    for row, n in calls:
        if (row.name, n) not in kernels:
            own: dict[str, Any] = {}
            kernels[row.name, n] = tuple(own[_row_call(row, what, backend, own, n)] for what in ("forward", "local"))
    return kernels


def _tape(plan: _Plan, backend: str) -> tuple[Callable, Callable]:
    kernels = _kernels([(k.row, len(k._prev)) for k in plan.nodes if k.row is not None], backend)
    n = len(plan.nodes)
    ops = [(k.index, kernels[k.row.name, len(k._prev)][0], [c.index for c in k._prev])
           for k in plan.nodes if k.row is not None]
    back = [(k.index, kernels[k.row.name, len(k._prev)][1], [c.index for c in k._prev])
            for k in reversed(plan.topo) if k.row is not None]
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
    scalar = _build(source, namespace(all_rows(), {**py.namespace, "_slow": slow, "_MISSING": missing,
                                                   "_RAISES": RAISES, "_float": float,
                                                   "_to_float": _to_float}), ("value", "value_and_grad"))
    np_ = _Emitter(plan, "np")
    np_source = "\n\n".join([np_.function("value", False, False), np_.function("value_and_grad", True, False)])
    return plan.names, source, scalar, _build(np_source, _np_namespace(np_.namespace), ("value", "value_and_grad"))


def _to_float(a: Any) -> Any:
    """A non-float input as generated code takes it: int -> float; a bool -> nan, so that the
    exact path rejects it; anything else as ``a * 1.0`` gives it (or raises)."""
    return a * 1.0 if a.__class__ is not bool else math.nan


def _guarded(fn: Callable, with_grads: bool, slow: Callable, arity: int) -> Callable:
    """The tape's scalar entry: float inputs, and every doubtful call redone exactly."""
    def call(*args):
        try:
            out = fn(*[_to_float(a) for a in args]) if len(args) == arity else None
            ok = out is not None and out[-1].__class__ is float and not out[-1] - out[-1]  # arrays raise
        except RAISES:
            ok = False
        if not ok:
            return slow(args, with_grads)
        return out[:-1] if with_grads else out[0]
    return call


# --- the templates agree with the row ------------------------------------------------------

def _template_namespace(row: Rule, backend: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if backend == "np":
        import numpy
        extra["_np"] = numpy
    return namespace([*all_rows(), row], extra)


def check_templates(row: Rule, backend: str) -> None:
    """A row's ``py`` or ``np`` templates compile, equal its forward and local at the sample points
    inside the domain (to 1e-9), and fail (raise, or give a non-finite number) outside it.

    Raises RowError. Runs for every row's ``py`` at import, for ``np`` on the first batch
    compile, and for both in ``symgrad.register``.
    """
    if not getattr(row, backend):
        return
    try:
        fwd, loc = _kernels([(row, row.arity)], backend, _template_namespace(row, backend))[row.name, row.arity]
    except Exception as err:  # noqa: BLE001 -- a template that does not compile is a row bug
        raise RowError(f"rule row {row.name!r}: its {backend} templates do not compile: {err}") from None
    if backend == "np":
        import numpy as np

        def wrap(v: float):
            return np.array([v])
    else:
        wrap = float

    def run(p):
        args = [wrap(v) for v in p]
        out = fwd(*args)
        return out, loc(*args, out)

    def finite(p) -> bool:
        try:
            out, slopes = run(p)
        except RAISES:
            return False
        return all(math.isfinite(float(v[0] if getattr(v, 'shape', ()) else v)) for v in (out, *slopes))

    import contextlib
    quiet = contextlib.nullcontext()
    if backend == "np":
        import numpy as np
        quiet = np.errstate(all="ignore")
    with quiet:
        for p in inside(row):
            if len(p) != row.arity:
                continue
            want = row.forward(*p)
            want_d = row.local(*p, want)
            try:
                out, slopes = run(p)
            except Exception as err:  # noqa: BLE001
                raise RowError(f"rule row {row.name!r}: its {backend} templates fail at {p}: "
                               f"{type(err).__name__}: {err}") from None
            for what, got, ref in [("forward", out, want), *[(f"slope {i}", d, w) for i, (d, w)
                                                              in enumerate(zip(slopes, want_d))]]:
                got = float(got[0] if hasattr(got, "shape") and got.shape else got)
                if not (got == ref or abs(got - ref) <= 1e-9 * max(abs(ref), 1e-300)):
                    raise RowError(f"rule row {row.name!r}: its {backend} {what} at {p} is {got!r}, "
                                   f"the row's is {ref!r}")
        for p in outside(row):
            if len(p) == row.arity and finite(p):
                raise RowError(f"rule row {row.name!r}: its {backend} templates give finite numbers at "
                               f"{p}, outside the domain ({row.why})")


for _row in all_rows():
    check_templates(_row, "py")
