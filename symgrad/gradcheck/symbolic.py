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

These closed forms are for display (``diff``, worksheets): the check itself never builds
them (``gradcheck.reference`` chains each row's partials over the graph instead). Their cost is
bounded by structure, never by the clock: the substituted output's size is computed first,
and an output over ``Limits.max_closed_form_nodes`` (or nested deeper than
``Limits.max_closed_form_depth``, so SymPy's recursion never meets the interpreter's limit and
the bytes do not depend on ``sys.getrecursionlimit()``) or a term over ``MAX_TERM_NODES`` raises
``CheckError``, and a constant whose exact value could have more than ``Limits.max_exact_digits``
digits raises ``LimitError`` (``exact_size``), so SymPy is never handed an exponential tree or
a ten-billion-digit integer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

from ..language.tensor_syntax import scalar_only
from ..language.ast import Const, Expr, Num, Op, Program, Var, children, postorder
from ..base.errors import CheckError, InputError
from ..base.limits import DEFAULT_LIMITS, Limits
from ..language.parser import parse
from ..language.bounds import _FLAT
from ..rules.table import RULES
from .exact_size import bound_program, guard

__all__ = ["Partials", "diff", "display_form", "to_sympy_expr", "symbol"]

MAX_TERM_NODES = 5_000     # one term's size handed to SymPy's diff (its cost grows fast with size)
MAX_EXACT_EXPONENT = 1_000  # display_form does not simplify a power with a larger number exponent
DISPLAY_SIMPLIFY_OPS = 40  # simplify() only runs on derivatives at most this big (bounded cost)


def _levels(root: Expr) -> tuple[int, dict[str, int]]:
    """The expression's nesting (a leaf is 1) and, per name it reads, the deepest level of a read
    (the root is level 1), computed without recursion. A chain of + and − (or × and ÷) keeps one
    level, as SymPy flattens it (the parser counts depth the same way: ``language.bounds``)."""
    deepest, reads = 1, {}
    stack = [(root, 1)]
    while stack:
        node, at = stack.pop()
        deepest = max(deepest, at)
        if isinstance(node, Var):
            reads[node.name] = max(reads.get(node.name, 0), at)
        group = _FLAT.get(getattr(node, "rule", None))
        stack += [(kid, at if group and _FLAT.get(getattr(kid, "rule", None)) == group else at + 1)
                  for kid in children(node)]
    return deepest, reads


def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _number(value: float) -> sp.Expr:
    # Integral floats become exact integers, so x**2 differentiates to 2*x, not 2.0*x**1.0.
    if value.is_integer() and abs(value) < 2.0 ** 53:
        return sp.Integer(int(value))
    return sp.Float(value)


def to_sympy_expr(root: Expr, leaf: Callable[[str], sp.Expr], kids_of: Callable = children,
                  number: Callable[[Num], sp.Expr] = lambda node: _number(node.value),
                  limits: Limits | None = None) -> sp.Expr:
    """SymPy form of an AST expression, children first. ``leaf(name)`` gives a kept name's
    symbol and ``number(node)`` a literal's; a Var that ``kids_of`` expands (a substituted
    intermediate) passes its definition's value through. An operation on numbers whose exact
    result could have more than ``limits.max_exact_digits`` digits raises LimitError there."""
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
            if all(a.is_number for a in args):  # SymPy evaluates it exactly: bound its digits first
                guard(node.rule, args, limits, node)
            if node.rule not in RULES:
                scalar_only(node.rule, node, "a closed form")
            stack.append(RULES[node.rule].sympy(sp, *args))  # pow and powc share the builder
    return stack[0]


@dataclass
class _Shape:
    expr: sp.Expr                                  # in canonical symbols _0, _1, …
    derivs: dict[int, sp.Expr] = field(default_factory=dict)


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

    def __init__(self, program: Program, *, limits: Limits | None = None) -> None:
        self.program = program
        self.limits = limits or DEFAULT_LIMITS
        self.max_nodes = self.limits.max_closed_form_nodes
        self.max_depth = self.limits.max_closed_form_depth
        bound_program(program, self.limits)   # every exact constant it would build, before any is built
        self.index = {s.name: i for i, s in enumerate(program.statements) if s.name is not None}
        self.inputs = set(program.inputs)
        self.defs = {s.name: s.expr for s in program.statements if s.name is not None}
        self.shapes: dict[tuple, _Shape] = {}
        self._levels: dict[int, dict[str, list[_Term]]] = {}  # level -> name -> terms containing it
        self._all: dict[int, list[_Term]] = {}
        self._refs = []   # per statement: (nodes other than Vars, names read)
        self._depths = []  # per statement: (its nesting with names as leaves, {name read: its deepest level})
        for stmt in program.statements:
            nodes = [n for n in postorder(stmt.expr)]
            self._refs.append((sum(not isinstance(n, Var) for n in nodes),
                               [n.name for n in nodes if isinstance(n, Var)]))
            self._depths.append(_levels(stmt.expr))

    def sympy_step(self, fn: Callable, *args):
        """One SymPy call; its failures (RecursionError on very deep nesting) become CheckError."""
        try:
            return fn(*args)
        except RecursionError:
            raise CheckError("the expression is nested too deeply for SymPy",
                             hint="the check's exact reference still judges it; a closed form is not shown") from None

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

    def _depth(self, level: int) -> int:
        """Nesting of the output once every statement after ``level`` is substituted."""
        depth: dict[str, int] = {}
        for i, stmt in enumerate(self.program.statements):
            own, reads = self._depths[i]
            depth[stmt.name] = max([own] + [at + depth[r] - 1 for r, at in reads.items()
                                            if self.index.get(r, -1) > level])
        last = self.program.statements[-1]
        return depth[last.name] if last.name is None or self.index[last.name] > level else 1

    def terms(self, level: int) -> dict[str, list[_Term]]:
        """The substituted output's top-level sum at this level, as canonical terms,
        indexed by the names each term contains."""
        if level in self._levels:
            return self._levels[level]
        size = self._size(level)
        if size > self.max_nodes:
            raise CheckError(f"the closed form has {size} nodes (over max_closed_form_nodes={self.max_nodes})",
                             hint="reused intermediates make it grow exponentially; raise it with "
                             "--limit max_closed_form_nodes=N")
        depth = self._depth(level)
        if depth > self.max_depth:   # SymPy recurses per level: its limit, not the interpreter's, decides
            raise CheckError(f"the closed form is nested {depth} deep (over max_closed_form_depth={self.max_depth})",
                             hint="the check's exact reference still judges it; raise it with "
                             "--limit max_closed_form_depth=N")
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

    def _derivative(self, term: _Term, i: int, level: int) -> sp.Expr:
        """SymPy's diff of the term's canonical shape w.r.t. its i-th variable (cached)."""
        shape = self._shape(term, level)
        if i not in shape.derivs:
            shape.derivs[i] = self.sympy_step(sp.diff, shape.expr, _canon(i))
        return shape.derivs[i]

    def _shape(self, term: _Term, level: int) -> _Shape:
        """The term's canonical SymPy expression, built once per shape."""
        shape = self.shapes.get(term.key)
        if shape is None:
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
                to_sympy_expr, term.node, slot.__getitem__, self._kids_of(level), number, self.limits))
        return shape

    def pieces(self, name: str) -> list[tuple[_Term, sp.Expr]]:
        """(term, canonical derivative) per term containing name."""
        level = self.level(name)
        return [(term, self._derivative(term, term.names.index(name), level))
                for term in self.terms(level).get(name, ())]

    def expr(self, name: str) -> sp.Expr:
        """d(output)/d(name) in the program's own symbols."""
        parts = []
        for term, deriv in self.pieces(name):
            back = {_canon(j): symbol(n) for j, n in enumerate(term.names)}
            back.update({_param(k, v): _number(v) for k, v in enumerate(term.params)})
            parts.append(term.sign * self.sympy_step(deriv.xreplace, back))
        return sp.Add(*parts)


def diff(program: "Program | str", name: str, *more: str, simplify: bool = False,
         limits: Limits | None = None) -> sp.Expr:
    """SymPy's derivative of the program's output w.r.t. ``name`` (an input or a named
    intermediate, held independent as backprop's grads are); with ``more`` names, the mixed
    partial ∂ⁿout/∂name∂more[0]…, as ``sympy.diff(f, x, y)`` (the later names must be inputs).

    Named intermediates defined after ``name`` are substituted; earlier ones stay as
    symbols. ``simplify=True`` returns the display form (see ``display_form``). Raises
    CheckError when the closed form is over ``limits.max_closed_form_nodes`` (or a term over
    ``MAX_TERM_NODES``), or too deep for SymPy; InputError for a later name that is not an input;
    DomainError for a constant argument out of its row's domain (``constant_domain``).
    """
    limits = limits or DEFAULT_LIMITS
    prog = parse(program, limits=limits)
    for n in (name, *more):
        if not isinstance(n, str):
            raise InputError(f"the name to differentiate by is text, got {type(n).__name__}")
    if more and name not in prog.inputs:
        raise InputError(f"a mixed partial is taken over inputs, and {name!s:.40} is not one",
                         hint=f"inputs are: {', '.join(prog.inputs) or '(none)'}")
    for n in more:
        if n not in prog.inputs:
            raise InputError(f"{n!s:.40} is not an input of this program: a mixed partial is taken over inputs",
                             hint=f"inputs are: {', '.join(prog.inputs) or '(none)'}")
    from .constant_domain import check_constant_arguments
    check_constant_arguments(prog)      # sqrt(-1), huber(x, 0): undefined, as backprop says, not I or 0
    partials = Partials(prog, limits=limits)
    expr = partials.expr(name)
    for n in more:      # built from the AST's symbols, never from text
        expr = partials.sympy_step(sp.diff, expr, symbol(n))
        if sp.count_ops(expr) > limits.max_closed_form_nodes:
            raise CheckError(f"the mixed partial has over {limits.max_closed_form_nodes} operations",
                             hint="raise Limits.max_closed_form_nodes, or use symgrad.hessian for numbers")
    if simplify:
        try:
            return partials.sympy_step(display_form, expr)
        except CheckError:
            return expr       # simplifying is optional: too deep for SymPy, show the derivative as it is
    return expr


def display_form(expr: sp.Expr) -> sp.Expr:
    """A tidier equivalent for display, at bounded cost: small expressions are simplified,
    large ones, and ones with large exact exponents, are returned as they are."""
    if sp.count_ops(expr) > DISPLAY_SIMPLIFY_OPS or any(
            abs(p.exp) > MAX_EXACT_EXPONENT for p in expr.atoms(sp.Pow) if p.exp.is_number):
        return expr
    simpler = sp.simplify(expr)
    return simpler if sp.count_ops(simpler) <= sp.count_ops(expr) else expr
