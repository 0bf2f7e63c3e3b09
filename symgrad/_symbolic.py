"""Program → SymPy, built from the AST with each row's ``sympy`` builder; partials by SymPy's diff.

Nothing here ever parses text: every SymPy object is built programmatically, with
``real=True`` symbols. The symbolic side is an oracle independent of backprop: the
partial d(output)/d(name) is SymPy's own ``diff`` of the output with the named
intermediates defined after ``name`` substituted (so ``name`` is held independent, as
backprop's grads mean). Structure makes it fast without making it less independent:

- the substituted output is split into its top-level sum, and only terms that contain
  the symbol are differentiated (linearity);
- each term is renamed to a canonical shape (its variables numbered by first
  appearance), so a shape that repeats, such as ``tanh(x_i*w_i + b_i)``, is built and
  differentiated by SymPy once, however many times it occurs;
- values come from a float evaluator of the SymPy tree (``_fasteval``), not ``evalf``.

Substitution can blow up (``f = e*e + e`` repeated): the substituted size is computed
first, and a level over ``MAX_LEVEL_NODES`` or a term over ``MAX_TERM_NODES`` is refused
with ``CheckError``, as is work past the deadline, so SymPy is never handed an
exponential tree and the clock is checked between SymPy steps.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import sympy as sp

from ._ast import Const, Expr, Num, Op, Program, Var, children, postorder
from ._errors import CheckError, InputError, SymgradError
from ._fasteval import SymbolicDomain, compile_expr
from ._limits import DEFAULT_LIMITS, Limits
from ._parser import parse
from ._rules import RULES

__all__ = ["Partials", "diff", "definitions", "display_form", "to_sympy_expr", "symbol"]

MAX_LEVEL_NODES = 200_000  # substituted output size walked in Python; past it rows are skipped
MAX_TERM_NODES = 5_000     # one term's size handed to SymPy's diff (its cost grows fast with size)
DISPLAY_SIMPLIFY_OPS = 40  # simplify() only runs on derivatives at most this big (bounded cost)


def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _number(value: float) -> sp.Expr:
    # Integral floats become exact integers, so x**2 differentiates to 2*x, not 2.0*x**1.0.
    if value.is_integer() and abs(value) < 2.0 ** 53:
        return sp.Integer(int(value))
    return sp.Float(value)


def to_sympy_expr(root: Expr, leaf: Callable[[str], sp.Expr], kids_of: Callable = children,
                  number: Callable[[Num], sp.Expr] = lambda node: _number(node.value)) -> sp.Expr:
    """SymPy form of an AST expression, children first. ``leaf(name)`` gives a kept name's
    symbol and ``number(node)`` a literal's; a Var that ``kids_of`` expands (a substituted
    intermediate) passes its definition's value through."""
    stack: list[sp.Expr] = []
    for node in postorder(root, kids_of):
        if isinstance(node, Num):
            stack.append(number(node))
        elif isinstance(node, Const):
            stack.append(getattr(sp, node.name))  # pi -> sympy.pi
        elif isinstance(node, Var):
            if not kids_of(node):
                stack.append(leaf(node.name))
        else:
            n = len(node.args)
            args, stack[-n:] = stack[-n:], []
            stack.append(RULES[node.rule].sympy(sp, *args))  # pow and powc share the builder
    return stack[0]


def definitions(program: "Program | str") -> dict[str, sp.Expr]:
    """Each named statement as SymPy, in terms of inputs and earlier names (for display)."""
    prog = parse(program)
    return {s.name: to_sympy_expr(s.expr, symbol) for s in prog.statements if s.name is not None}


@dataclass
class _Shape:
    expr: sp.Expr                                  # in canonical symbols _0, _1, …
    derivs: dict[int, sp.Expr] = field(default_factory=dict)
    compiled: dict[int, Callable] = field(default_factory=dict)   # float evaluators of derivs
    run: Callable | None = None                                    # float evaluator of expr


@dataclass(frozen=True)
class _Term:
    sign: int
    key: tuple
    names: tuple[str, ...]                         # the term's variables; names[i] is _i
    node: Expr
    size: int
    params: tuple[float, ...]                      # non-zero literals outside exponents: _pos{k}/_neg{k}
    fixed: frozenset                               # ids of the literals kept exact (in exponents)


_CANON: dict[str, sp.Symbol] = {}


def _canon(i: int, kind: str = "") -> sp.Symbol:
    """The i-th canonical variable (``_3``), or parameter standing for a positive (``_pos3``)
    or negative (``_neg3``) literal, whose sign SymPy keeps reasoning with. User names
    never start with _."""
    name = f"_{kind}{i}"
    if name not in _CANON:
        sign = {"": {}, "pos": {"positive": True}, "neg": {"negative": True}}[kind]
        _CANON[name] = sp.Symbol(name, real=True, **sign)
    return _CANON[name]


def _param(k: int, value: float) -> sp.Symbol:
    return _canon(k, "pos" if value > 0 else "neg")


class Partials:
    """SymPy partials of a program's output w.r.t. any input or named intermediate."""

    def __init__(self, program: Program, deadline: float | None = None) -> None:
        self.program = program
        self.deadline = deadline
        self.index = {s.name: i for i, s in enumerate(program.statements) if s.name is not None}
        self.inputs = set(program.inputs)
        self.defs = {s.name: s.expr for s in program.statements if s.name is not None}
        self.shapes: dict[tuple, _Shape] = {}
        self._levels: dict[int, dict[str, list[_Term]]] = {}  # level -> name -> terms containing it
        self._all: dict[int, list[_Term]] = {}
        self._refs = []   # per statement: (nodes other than Vars, names read)
        for stmt in program.statements:
            nodes = [n for n in postorder(stmt.expr)]
            self._refs.append((sum(not isinstance(n, Var) for n in nodes),
                               [n.name for n in nodes if isinstance(n, Var)]))

    def tick(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise CheckError("the symbolic stage ran over its time budget", hint=_RAISE_BUDGET)

    def sympy_step(self, fn: Callable, *args):
        """One SymPy call, bounded by the deadline (see ``bounded``)."""
        self.tick()
        return bounded(fn, *args, deadline=self.deadline)

    def level(self, name: str) -> int:
        """Statements after this index are substituted when differentiating w.r.t. name."""
        if name in self.index:
            return self.index[name]
        if name in self.inputs:
            return -1
        raise InputError(f"{name!s:.40} is not an input or a named intermediate of this program",
                         hint=f"names are: {', '.join(self.program.inputs + self.program.intermediates)}")

    def _kids_of(self, level: int) -> Callable:
        def kids(node):
            if isinstance(node, Var):
                i = self.index.get(node.name, -1)
                return (self.defs[node.name],) if i > level else ()
            return children(node)
        return kids

    def _root(self) -> Expr:
        last = self.program.statements[-1]
        return last.expr if last.name is None else Var(last.name)

    def _size(self, level: int) -> int:
        """Nodes in the output once every statement after ``level`` is substituted."""
        size: dict[str, int] = {}
        for i, stmt in enumerate(self.program.statements):
            base, reads = self._refs[i]
            size[stmt.name] = base + sum(size[r] if self.index.get(r, -1) > level else 1 for r in reads)
        last = self.program.statements[-1]
        return size[last.name] if last.name is None or self.index[last.name] > level else 1

    def terms(self, level: int) -> dict[str, list[_Term]]:
        """The substituted output's top-level sum at this level, as canonical terms,
        indexed by the names each term contains."""
        if level in self._levels:
            return self._levels[level]
        self.tick()
        size = self._size(level)
        if size > MAX_LEVEL_NODES:
            raise CheckError(f"the substituted output has {size} nodes (over {MAX_LEVEL_NODES})",
                             hint="reused intermediates make it grow exponentially")
        kids_of = self._kids_of(level)
        found: dict[str, list[_Term]] = {}
        every = self._all[level] = []
        stack: list[tuple[Expr, int]] = [(self._root(), 1)]
        while stack:
            node, sign = stack.pop()
            if isinstance(node, Op) and node.rule in ("add", "sub"):
                stack += [(node.args[1], -sign if node.rule == "sub" else sign), (node.args[0], sign)]
            elif isinstance(node, Op) and node.rule == "neg":
                stack.append((node.args[0], -sign))
            elif isinstance(node, Var) and kids_of(node):
                stack.append((kids_of(node)[0], sign))
            else:
                term = self._term(node, sign, kids_of)
                every.append(term)
                for name in term.names:
                    found.setdefault(name, []).append(term)
        self._levels[level] = found
        return found

    @staticmethod
    def _term(node: Expr, sign: int, kids_of: Callable) -> _Term:
        """The term's key: its shape with variables numbered by first appearance, and
        literals as signed parameters, so ``3*x*y`` and ``2.5*u*v`` share one SymPy
        derivative. Literals in an exponent, and 0, stay exact: x**2 must differentiate to
        2*x, not p*x**p/x, which is undefined at 0."""
        fixed = frozenset(id(m) for n in postorder(node, kids_of) if isinstance(n, Op) and n.rule == "pow"
                          for m in postorder(n.args[1], kids_of) if isinstance(m, Num))  # ids: internal only
        names: dict[str, int] = {}
        params: list[float] = []
        key = []
        for n in postorder(node, kids_of):
            if isinstance(n, Var):
                if not kids_of(n):
                    key.append(("v", names.setdefault(n.name, len(names))))
            elif isinstance(n, Num):
                exact = id(n) in fixed or n.value == 0.0
                key.append(("n", repr(n.value)) if exact else ("p", n.value > 0))
                params += [] if exact else [n.value]
            else:
                key.append((type(n).__name__, getattr(n, "rule", getattr(n, "name", ""))))
        return _Term(sign, tuple(key), tuple(names), node, len(key), tuple(params), fixed)

    def _derivative(self, term: _Term, i: int, level: int) -> tuple[sp.Expr, Callable]:
        """SymPy's diff of the term's canonical shape w.r.t. its i-th variable (cached)."""
        shape = self._shape(term, level)
        if i not in shape.derivs:
            self.tick()
            shape.derivs[i] = self.sympy_step(sp.diff, shape.expr, _canon(i))
            shape.compiled[i] = self.sympy_step(compile_expr, shape.derivs[i])
        return shape.derivs[i], shape.compiled[i]

    def _shape(self, term: _Term, level: int) -> _Shape:
        """The term's canonical SymPy expression, built once per shape."""
        shape = self.shapes.get(term.key)
        if shape is None:
            self.tick()
            if term.size > MAX_TERM_NODES:
                raise CheckError(f"a term of the substituted output has {term.size} nodes "
                                 f"(over {MAX_TERM_NODES})", hint="reused intermediates make it grow exponentially")
            slot = {name: _canon(j) for j, name in enumerate(term.names)}
            count = iter(range(len(term.params)))

            def number(node: Num) -> sp.Expr:
                if id(node) in term.fixed or node.value == 0.0:
                    return _number(node.value)
                return _param(next(count), node.value)
            shape = self.shapes[term.key] = _Shape(self.sympy_step(
                to_sympy_expr, term.node, slot.__getitem__, self._kids_of(level), number))
        return shape

    def pieces(self, name: str) -> list[tuple[_Term, sp.Expr, Callable]]:
        """(term, canonical derivative, its float evaluator) per term containing name."""
        level = self.level(name)
        return [(term, *self._derivative(term, term.names.index(name), level))
                for term in self.terms(level).get(name, ())]

    def expr(self, name: str) -> sp.Expr:
        """d(output)/d(name) in the program's own symbols."""
        parts = []
        for term, deriv, _ in self.pieces(name):
            self.tick()
            back = {_canon(j): symbol(n) for j, n in enumerate(term.names)}
            back.update({_param(k, v): _number(v) for k, v in enumerate(term.params)})
            parts.append(term.sign * self.sympy_step(deriv.xreplace, back))
        return sp.Add(*parts)

    def value(self, name: str, values: Mapping[str, float]) -> float:
        """d(output)/d(name) at the point; ``values`` holds inputs and intermediates.

        Raises SymbolicDomain when the derivative is undefined there, CheckError past the budget.
        """
        return sum(term.sign * run(_env(term, values)) for term, _, run in self.pieces(name))

    def precise_value(self, name: str, values: Mapping[str, float], digits: int = 50) -> float:
        """``value`` to ``digits`` guaranteed digits, so a tiny partial is not lost to float64
        cancellation such as 1 − tanh²(20). The point's floats go in as exact rationals (a Float
        would make tanh(Float) evaluate at once, at fixed precision); SymPy then raises its
        working precision as far as it needs, up to 2000 digits, or says it cannot (CheckError)."""
        total = sp.Integer(0)
        for term, deriv, _ in self.pieces(name):
            env = {k: sp.Rational(v) for k, v in _env(term, values).items()}
            env.update({f: sp.Rational(f) for f in deriv.atoms(sp.Float)})  # literals kept as Floats
            try:
                piece = self.sympy_step(lambda: deriv.xreplace(env).evalf(digits, strict=True, maxn=2000))
            except CheckError as err:
                raise CheckError(f"no {digits}-digit value: {err.message}") from None
            if not (piece.is_real and piece.is_finite):
                raise SymbolicDomain(f"the derivative is {piece} here")
            total += term.sign * piece
        return float(total)

    def output_value(self, point: Mapping[str, float]) -> float:
        """The output itself from SymPy's side, at a point of the inputs. It raises
        SymbolicDomain where the output is undefined, so a derivative read off one term of
        a sum is not mistaken for a defined gradient."""
        total = 0.0
        self.terms(-1)
        for term in self._all[-1]:
            shape = self._shape(term, -1)
            if shape.run is None:
                self.tick()
                shape.run = self.sympy_step(compile_expr, shape.expr)
            total += term.sign * shape.run(_env(term, point))
        return total


def _env(term: _Term, values: Mapping[str, float]) -> dict[sp.Symbol, float]:
    env = {_canon(j): values[n] for j, n in enumerate(term.names)}
    env.update({_param(k, v): v for k, v in enumerate(term.params)})
    return env


def diff(program: "Program | str", name: str, *, simplify: bool = False,
         limits: Limits | None = None) -> sp.Expr:
    """SymPy's derivative of the program's output w.r.t. ``name`` (an input or a named
    intermediate, held independent as backprop's grads are).

    Named intermediates defined after ``name`` are substituted; earlier ones stay as
    symbols. ``simplify=True`` returns the display form (see ``display_form``). Raises
    CheckError when the symbolic stage is over ``limits.symbolic_budget``.
    """
    limits = limits or DEFAULT_LIMITS
    prog = parse(program, limits=limits)
    if not isinstance(name, str):
        raise InputError(f"the name to differentiate by is text, got {type(name).__name__}")
    partials = Partials(prog, time.monotonic() + limits.symbolic_budget)
    expr = partials.expr(name)
    if simplify:
        try:
            return partials.sympy_step(display_form, expr)
        except CheckError:
            return expr       # simplifying is optional: out of budget, show the derivative as it is
    return expr


def display_form(expr: sp.Expr) -> sp.Expr:
    """A tidier equivalent for display, at bounded cost: small expressions are simplified,
    large ones are returned as they are."""
    if sp.count_ops(expr) > DISPLAY_SIMPLIFY_OPS:
        return expr
    simpler = sp.simplify(expr)
    return simpler if sp.count_ops(simpler) <= sp.count_ops(expr) else expr


class _Stopped(Exception):
    """Raised inside a SymPy step that ran past the deadline."""


def _quiet_stops(previous: Callable) -> Callable:
    """The stop can land in a callback the worker runs (a weakref's, a __del__), where Python
    would print it as "Exception ignored". It is ours and expected: drop it, pass the rest on."""
    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, _Stopped):
            previous(unraisable)
    return hook


sys.unraisablehook = _quiet_stops(sys.unraisablehook)


_RAISE_BUDGET = "raise it with Limits(symbolic_budget=...) or --limit symbolic_budget=S"


def bounded(fn: Callable, *args, deadline: float | None):
    """``fn(*args)`` for a SymPy step that must not outlive the deadline.

    SymPy has no timeout, so the step runs in a daemon thread and we wait at most until
    the deadline. A step that overruns is stopped (an exception is raised inside the
    thread at its next bytecode; SymPy is pure Python) and reported as CheckError, so a
    check never hangs and leaves no work running behind it.
    SymPy's own failures (RecursionError on very deep nesting) become CheckError too.
    """
    box: dict = {}

    def work() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as err:  # handed to the caller below
            box["error"] = err

    if deadline is None:
        work()
    else:
        worker = threading.Thread(target=work, name="symgrad-sympy", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_Stopped))
            raise CheckError("SymPy did not finish within the symbolic time budget", hint=_RAISE_BUDGET)
    err = box.get("error")
    if err is None:
        return box["value"]
    if isinstance(err, SymgradError):
        raise err
    if isinstance(err, RecursionError):
        raise CheckError("the expression is nested too deeply for SymPy",
                         hint="check a smaller piece, or compare backprop with finite differences") from None
    raise CheckError(f"SymPy failed on this expression ({type(err).__name__}: {str(err)[:80]})") from None
