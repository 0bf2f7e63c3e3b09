"""SymPy trees evaluated on python-flint ``arb`` balls: rigorous enclosures at any precision.

One table, ``TABLE``, maps every SymPy class the rule table's forms (and their derivatives)
may contain to an arb operation. ``compile_form`` flattens a SymPy tree once, iteratively,
into instructions; a SymPy class missing from the table raises ``UnsupportedForm`` at
compile time, so a new rule row that the check cannot evaluate fails loudly when the check
layer loads, never as a silently skipped row.

Two outcomes besides a value, both decided on the balls, never guessed:

- ``Undefined``: certainly outside the domain (log of a certainly non-positive number,
  division by an exact 0, the real root of a certainly negative number, …);
- ``Undetermined``: the ball straddles a domain boundary or a branch condition, so this
  precision cannot tell. The caller raises the precision, then reports "undetermined".

``Piecewise``, ``And``, ``Or`` and ``ITE`` are lazy: only the branch that applies is evaluated.
With ``union=True`` (range evaluation over error balls) a Piecewise whose condition straddles
returns the union of the branches that may apply, a valid enclosure of the range.
"""

from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp
from flint import arb, ctx, fmpq, fmpz
from sympy.logic.boolalg import ITE, BooleanFalse, BooleanTrue

from ..base.errors import CheckError
from ..rules.exact import PRECISION_LOCK, known_sign
from ..rules.piecewise import integer_ball, step_class, stop_gradient_class

__all__ = ["Undefined", "Undetermined", "UnsupportedForm", "Form", "compile_form", "TABLE", "DBL_MAX",
           "exact", "known_sign"]

DBL_MAX = 1.7976931348623157e308


class Undefined(ArithmeticError):
    """Certainly outside the domain at this point (the reason is the message)."""


class Undetermined(ArithmeticError):
    """A ball straddles a domain boundary or a branch: this precision cannot decide."""


class UnsupportedForm(CheckError):
    """A SymPy class with no entry in ``TABLE``."""


def exact(x: arb) -> bool:
    return x.is_exact()


def _need(cond: bool | None, what: str) -> None:
    if not cond:
        raise Undetermined(what)


def _log(x: arb) -> arb:
    s = known_sign(x)
    if s == 1:
        return x.log()
    if s is not None:
        raise Undefined("log of a number that is not positive")
    raise Undetermined("log of a ball that contains 0")


def _log1p(t: arb) -> arb:     # log(1 + t), from the rewrite below: no cancellation for tiny t
    s = known_sign(t + 1)
    if s == 1:
        return t.log1p()
    if s is not None:
        raise Undefined("log of a number that is not positive")
    raise Undetermined("log of a ball that contains 0")


def _ipow(b: arb, n: int) -> arb:
    """b**n for an integer n >= 1 (flint gives nan for a ball around 0: enclose it by hand)."""
    if b.is_exact() or not b.contains(0):
        return b ** fmpz(n)
    top = abs(b).upper() ** fmpz(n)
    return arb(0).union(top) if n % 2 == 0 else (-top).union(top)


def _no_integer(e: arb) -> bool:
    """The ball holds no integer (float64's 1/3 is no integer either way: (-8)^(1/3) is undefined)."""
    lo, hi = e.lower(), e.upper()
    return bool(lo.floor() == hi.floor()) and bool(lo > lo.floor())


def _pow(b: arb, e: arb) -> arb:
    """Real powers as SymPy means them for real symbols (and as backprop's powc computes them)."""
    sb = known_sign(b)
    if exact(e) and e.is_integer():
        n = int(e.unique_fmpz())
        if n >= 0:
            return _ipow(b, n) if n else arb(1)          # 0**0 = 1, as math.pow
        if sb == 0:
            raise Undefined("division by zero (0 to a negative power)")
        if sb is None:
            raise Undetermined("a negative power of a ball that contains 0")
        return 1 / _ipow(b, -n)
    if sb == 1:
        return b ** e
    if sb == 0:
        se = known_sign(e)
        if se == 1:
            return arb(0)
        if se == -1 or se == 0:   # e is not an exact integer here, so se == 0 cannot happen
            raise Undefined("division by zero (0 to a negative power)")
        raise Undetermined("0 to a power whose sign is unknown")
    if sb == -1 and (exact(e) or _no_integer(e)):
        raise Undefined("a non-integer power of a negative number is not real")
    raise Undetermined("a power whose base or exponent straddles a boundary")


def _within(x: arb, lo: float, hi: float, name: str, open_: bool = False) -> None:
    inside = (x > lo and x < hi) if open_ else (x >= lo and x <= hi)
    if inside:
        return
    outside = (x <= lo or x >= hi) if open_ else (x < lo or x > hi)
    if outside:
        raise Undefined(f"{name} is undefined there")
    raise Undetermined(f"{name}: the argument straddles the edge of its domain")


def _checked(fn: Callable[[arb], arb], lo: float, hi: float, name: str, open_: bool = False):
    def op(x: arb) -> arb:
        _within(x, lo, hi, name, open_)
        return fn(x)
    return op


def _tan(x: arb) -> arb:
    c = x.cos()
    if known_sign(c) == 0:
        raise Undefined("tan is undefined there")
    _need(known_sign(c) is not None, "tan: cos straddles 0")
    return x.sin() / c


def _sign(x: arb) -> arb:
    s = known_sign(x)
    _need(s is not None, "sign of a ball that contains 0")
    return arb(s)


def _step(name: str) -> Callable[[arb], arb]:
    def step(x: arb) -> arb:
        n = integer_ball(name, x)
        _need(n is not None, f"{name} of a ball that straddles an integer")
        return n
    return step


def _heaviside(x: arb, h0: arb | None = None) -> arb:
    s = known_sign(x)
    _need(s is not None, "Heaviside of a ball that contains 0")
    return arb(1) if s == 1 else arb(0) if s == -1 else (h0 if h0 is not None else arb(0.5))


def _dirac(x: arb, *order: arb) -> arb:
    s = known_sign(x)
    if s == 0:
        raise Undefined("the derivative is infinite at the jump")
    _need(s is not None, "DiracDelta of a ball that contains 0")
    return arb(0)


def _max(*xs: arb) -> arb:
    out = xs[0]
    for x in xs[1:]:
        out = (out + x + abs(out - x)) / 2
    return out


def _min(*xs: arb) -> arb:
    return -_max(*[-x for x in xs])


def _atan2(y: arb, x: arb) -> arb:
    sy, sx = known_sign(y), known_sign(x)
    if sy == 0 and sx == 0:
        raise Undefined("atan2(0, 0) is undefined")
    _need(sy not in (None,) or sx == 1, "atan2 near its branch cut")
    return arb.atan2(y, x)


def _add(*xs: arb) -> arb:
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _mul(*xs: arb) -> arb:
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _relation(test: Callable[[int], bool]):
    def op(a: arb, b: arb) -> bool:
        s = known_sign(a - b)
        if s is None:
            raise Undetermined("a branch condition straddles its boundary")
        return test(s)
    return op


def _number(node: sp.Basic) -> Callable[[], arb]:
    """A builder of the exact (or correctly enclosed) number at the current precision."""
    if isinstance(node, sp.Integer):
        value = fmpz(int(node))
        return lambda: arb(value)
    if isinstance(node, sp.Rational):
        value = fmpq(int(node.p), int(node.q))
        return lambda: arb(value)
    if isinstance(node, sp.Float):
        sign, man, exp, _ = node._mpf_
        value = arb(fmpz(-man if sign else man)) * arb(2) ** fmpz(exp) if man else arb(0)
        return lambda: value       # exact: a binary float is a dyadic rational
    raise UnsupportedForm(f"the check cannot evaluate the SymPy number {type(node).__name__}")


def _bad_number(what: str) -> Callable[[], arb]:
    def build() -> arb:
        raise Undefined(f"the expression is {what} here")
    return build


# SymPy class -> (kind, payload). kind "num": payload(node) gives a builder of the constant;
# "op": payload(*arb) -> arb; "bool": payload(*arb) -> bool; "lazy": evaluated by Form itself.
TABLE: dict[type, tuple[str, Callable]] = {
    sp.Integer: ("num", _number), sp.Rational: ("num", _number), sp.Float: ("num", _number),
    type(sp.pi): ("num", lambda node: arb.pi), type(sp.E): ("num", lambda node: arb.const_e),
    type(sp.zoo): ("num", lambda node: _bad_number("infinite")),
    type(sp.oo): ("num", lambda node: _bad_number("infinite")),
    type(-sp.oo): ("num", lambda node: _bad_number("infinite")),
    type(sp.nan): ("num", lambda node: _bad_number("undefined (nan)")),
    sp.Add: ("op", _add), sp.Mul: ("op", _mul), sp.Pow: ("op", _pow),
    sp.exp: ("op", lambda x: x.exp()), sp.log: ("op", _log),
    sp.sin: ("op", lambda x: x.sin()), sp.cos: ("op", lambda x: x.cos()), sp.tan: ("op", _tan),
    sp.sinh: ("op", lambda x: x.sinh()), sp.cosh: ("op", lambda x: x.cosh()), sp.tanh: ("op", lambda x: x.tanh()),
    sp.asin: ("op", _checked(lambda x: x.asin(), -1, 1, "asin")),
    sp.acos: ("op", _checked(lambda x: x.acos(), -1, 1, "acos")),
    sp.atan: ("op", lambda x: x.atan()), sp.asinh: ("op", lambda x: x.asinh()),
    sp.acosh: ("op", _checked(lambda x: x.acosh(), 1, float("inf"), "acosh")),
    sp.atanh: ("op", _checked(lambda x: x.atanh(), -1, 1, "atanh", open_=True)),
    sp.erf: ("op", lambda x: x.erf()), sp.Abs: ("op", abs), sp.sign: ("op", _sign),
    sp.Heaviside: ("op", _heaviside), sp.DiracDelta: ("op", _dirac),
    sp.Max: ("op", _max), sp.Min: ("op", _min), sp.atan2: ("op", _atan2),
    sp.re: ("op", lambda x: x), sp.im: ("op", lambda x: arb(0)),   # every symbol is real
    sp.StrictGreaterThan: ("bool", _relation(lambda s: s > 0)), sp.GreaterThan: ("bool", _relation(lambda s: s >= 0)),
    sp.StrictLessThan: ("bool", _relation(lambda s: s < 0)), sp.LessThan: ("bool", _relation(lambda s: s <= 0)),
    sp.Equality: ("bool", _relation(lambda s: s == 0)), sp.Unequality: ("bool", _relation(lambda s: s != 0)),
    BooleanTrue: ("num", lambda node: lambda: True), BooleanFalse: ("num", lambda node: lambda: False),
    sp.Not: ("bool", lambda x: not x),
    sp.Piecewise: ("lazy", None), sp.And: ("lazy", None), sp.Or: ("lazy", None), ITE: ("lazy", None),
    stop_gradient_class(sp): ("op", lambda x: x),     # its value; its derivative is 0 by its form
    **{step_class(sp, name): ("op", _step(name)) for name in ("floor", "ceiling", "round")},
    sp.floor: ("op", _step("floor")), sp.ceiling: ("op", _step("ceiling")),
}

_ARG, _CONST, _LAZY, _LOG1P = "arg", "const", "lazy", "log1p"


def _entry(node: sp.Basic) -> tuple[str, Callable]:
    for cls in type(node).__mro__:
        if cls in TABLE:
            return TABLE[cls]
    raise UnsupportedForm(f"the check cannot evaluate the SymPy class {type(node).__name__} "
                          f"(in {str(node)[:60]}); add it to symgrad.gradcheck.balls.TABLE")


class Form:
    """A SymPy expression in the symbols ``params``, compiled for arb evaluation.

    ``run(args)`` evaluates it with ``params[i]`` bound to ``args[i]`` (arb balls) at the
    current ``flint.ctx.prec``. Raises Undefined or Undetermined; nothing else escapes.
    """

    def __init__(self, expr: sp.Basic, params: Sequence[sp.Symbol]) -> None:
        self.expr = expr
        self.params = tuple(params)
        at = {p: i for i, p in enumerate(self.params)}
        slot: dict = {}
        code: list[tuple] = []
        stack = [(expr, False)]
        while stack:                     # postorder over the DAG, children first
            node, ready = stack.pop()
            if node in slot:
                continue
            if node.is_Symbol:
                if node not in at:
                    raise UnsupportedForm(f"the form has a free symbol {node} the check does not bind")
                code.append((_ARG, at[node]))
            else:
                kind, payload = _entry(node)
                if kind == "num":
                    code.append((_CONST, payload(node)))
                elif kind == "lazy":
                    code.append((_LAZY, _lazy(node, self.params)))
                elif isinstance(node, sp.log) and isinstance(node.args[0], sp.Add) and 1 in node.args[0].args:
                    rest = sp.Add(*[a for a in node.args[0].args if a != 1], evaluate=False) \
                        if len(node.args[0].args) > 2 else [a for a in node.args[0].args if a != 1][0]
                    if not ready:
                        stack += [(node, True), (rest, False)]
                        continue
                    code.append((_LOG1P, (slot[rest],)))
                elif not ready:
                    stack.append((node, True))
                    stack += [(a, False) for a in reversed(node.args) if a not in slot]
                    continue
                else:
                    code.append((payload, tuple(slot[a] for a in node.args)))
            slot[node] = len(code) - 1
        self.code = code

    def run(self, args: Sequence[arb], union: bool = False) -> arb:
        vals: list = []
        for op, arg in self.code:
            if op is _ARG:
                vals.append(args[arg])
            elif op is _CONST:
                vals.append(arg())
            elif op is _LAZY:
                vals.append(arg(args, union))
            else:
                x = (_log1p if op is _LOG1P else op)(*[vals[i] for i in arg])
                if isinstance(x, arb) and not x.is_finite():
                    raise Undetermined("a ball grew without bound (an argument beyond what arb can enclose)")
                vals.append(x)
        return vals[-1]


def _lazy(node: sp.Basic, params: tuple) -> Callable:
    """Evaluator for Piecewise / And / Or / ITE: sub-forms run only when needed."""
    if isinstance(node, sp.Piecewise):
        pairs = [(Form(c, params), Form(e, params)) for e, c in node.args]

        def piecewise(args, union):
            found = None
            for cond, branch in pairs:
                try:
                    take = cond.run(args)
                except Undetermined:
                    if not union:
                        raise
                    value = branch.run(args, union)
                    found = value if found is None else found.union(value)
                    continue
                if take:
                    value = branch.run(args, union)
                    return value if found is None else found.union(value)
            if found is None:
                raise Undefined("no branch of a Piecewise applies here")
            return found
        return piecewise
    if isinstance(node, ITE):
        cond, then, other = (Form(a, params) for a in node.args)
        return lambda args, union: (then if cond.run(args) else other).run(args, union)
    parts = [Form(a, params) for a in node.args]
    want = isinstance(node, sp.Or)      # Or: any True decides; And: any False decides

    def logic(args, union):
        unknown = False
        for part in parts:
            try:
                if bool(part.run(args)) == want:
                    return want
            except Undetermined:
                unknown = True
        if unknown:
            raise Undetermined("a branch condition straddles its boundary")
        return not want
    return logic


def compile_form(expr: sp.Basic, params: Sequence[sp.Symbol]) -> Form:
    return Form(expr, params)


class with_precision:
    """Context manager setting flint's working precision, under the one lock every setter holds
    (``rules.exact.PRECISION_LOCK``, reentrant): the precision is process-wide."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __enter__(self) -> None:
        PRECISION_LOCK.acquire()
        self.old = ctx.prec
        ctx.prec = self.bits

    def __exit__(self, *exc) -> None:
        ctx.prec = self.old
        PRECISION_LOCK.release()
