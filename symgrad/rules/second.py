"""Second local derivatives: the record of second order, derived from each row's SymPy form.

No row carries a hand-written second derivative. ``second(row, n)`` differentiates the row's
SymPy form twice (``sympy.diff``; one fraction, factored, where that is not much larger:
``compact``), on fresh symbols, once per row and number of arguments, and compiles each
∂²f/∂aᵢ∂aⱼ into a closure over floats (``Second.at``). The same compiler takes another
arithmetic (``Kit``): the check evaluates the very same operations on arb balls, each widened by
its float64 rounding, so that its error bound encloses what these floats can be.

The float arithmetic reads the one rounding model (``rounding``): + − × ÷ and √ round once (they
are correctly rounded, IEEE 754 §5.4); a library function (exp, sin, erf, …) is the row of that
name's own forward (``Rule.raw``) and rounds as that row's ``Rounding.forward`` says; a power
is ``math.pow``, the ``powc`` row's forward. A SymPy class with no float operation, or a function
with no row, raises ``RowError`` when the record is built: ``require_all`` builds every row's
record, and the check layer calls it when it loads (as it compiles the first derivatives).

Kinks: where a second derivative is a Dirac delta (abs'' = 2δ(x)) it is not a number at 0;
``Kink`` says so, and the check turns it into its kink verdict (``gradcheck.kinks``).
"""

from __future__ import annotations

import math
import operator
import threading
from typing import Any, Callable

from ..base.errors import NumericError
from .rounding import ROUNDING
from .rule import Rule, RowError

__all__ = ["Second", "second", "require_all", "Kink", "Kit", "FLOAT", "compile_expr", "compact",
           "FUNCTIONS", "MAX_SECOND_NODES", "roundings"]

MAX_SECOND_NODES = 4_000     # nodes of one second partial of one row (a few hundred at most today)
COMPACT_SYMBOLS = 3          # a row's own arguments (atan2, elu, pow: at most 2 read; 3 leaves room)
COMPACT_OPS = 60

# SymPy function -> the row whose forward computes it in float64 (and whose rounding counts apply).
FUNCTIONS = ("exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh",
             "acosh", "atanh", "erf", "atan2")


class Kink(ArithmeticError):
    """A second derivative that is not a number here (a Dirac delta at its jump)."""


def compact(expr: Any) -> Any:
    """One fraction, factored, where that is not much larger: float64 and ball arithmetic lose
    nothing to cancelling terms then (log_sigmoid's second derivative −e⁻ˣ/(1 + e⁻ˣ) +
    e⁻²ˣ/(1 + e⁻ˣ)² is −eˣ/(1 + eˣ)²). Only for forms of at most ``COMPACT_SYMBOLS`` symbols and
    ``COMPACT_OPS`` operations: factoring a variadic row's partial grows exponentially with them."""
    import sympy as sp
    if len(expr.free_symbols) > COMPACT_SYMBOLS or sp.count_ops(expr) > COMPACT_OPS:
        return expr
    try:
        factored = sp.factor(sp.together(expr))
    except (sp.PolynomialError, ValueError, TypeError):
        return expr
    return factored if sp.count_ops(factored) <= 2 * sp.count_ops(expr) + 4 else expr


class Kit:
    """An arithmetic the compiled forms run in. ``FLOAT`` is float64's; the check gives balls.

    ``const(c)`` a float constant; ``add``/``mul``/``div`` binary; ``sqrt``; ``pow(b, e)`` for a
    float exponent; ``fn(name)`` the function of that name; ``abs``, ``sign``, ``heaviside``,
    ``dirac``, ``max``, ``min``; ``less(a, b)``/``equal(a, b)`` decide a condition (raising
    ``undecided`` where they cannot); ``union(a, b)`` encloses two branches (None: no union)."""
    undecided: type = ()


def _float_call(name: str, f: Callable) -> Callable:
    def call(*xs: float) -> float:
        try:
            return f(*xs)
        except (ValueError, OverflowError, ZeroDivisionError):
            raise ArithmeticError(f"{name}{xs!r}") from None
    return call


def _float_pow(b: float, e: float) -> float:
    try:
        return math.pow(b, e)
    except (ValueError, OverflowError, ZeroDivisionError):
        raise ArithmeticError(f"{b!r} ** {e!r}") from None


def _dirac(x: float) -> float:
    if x == 0.0:
        raise Kink("the second derivative is a Dirac delta at the kink: not a number there")
    return 0.0


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ArithmeticError("division by 0")
    return a / b


class _Float(Kit):
    undecided = ()
    const = staticmethod(float)
    add = staticmethod(operator.add)
    mul = staticmethod(operator.mul)
    div = staticmethod(_div)
    sqrt = staticmethod(_float_call("sqrt", math.sqrt))
    pow = staticmethod(_float_pow)
    abs = staticmethod(abs)
    sign = staticmethod(lambda x: float((x > 0) - (x < 0)))
    heaviside = staticmethod(lambda x, h0=0.5: 1.0 if x > 0 else 0.0 if x < 0 else h0)
    dirac = staticmethod(_dirac)
    max = staticmethod(max)
    min = staticmethod(min)
    less = staticmethod(operator.lt)
    less_equal = staticmethod(operator.le)
    equal = staticmethod(operator.eq)
    union = None

    @staticmethod
    def fn(name: str) -> Callable:
        from .table import RULES
        if name not in RULES:
            raise RowError(f"SymPy's {name} has no row, so second derivatives cannot evaluate it in float64",
                           hint="add the row (docs/adding-a-function.md) or write the form without it")
        return _float_call(name, RULES[name].raw)


FLOAT = _Float()


def compile_expr(expr: Any, params: tuple, kit: Kit) -> Callable[[tuple], Any]:
    """``expr`` (SymPy, in the symbols ``params``) as a closure ``f(args)`` in ``kit``'s arithmetic.
    Sums and products fold left, one rounding each, as float64 evaluates them. Raises RowError
    for a class with no operation here. Recursion is bounded by ``MAX_SECOND_NODES``."""
    import sympy as sp
    from sympy.logic.boolalg import BooleanFalse, BooleanTrue
    at = {p: i for i, p in enumerate(params)}

    def build(e: Any) -> Callable:
        if e.is_Symbol:
            if e not in at:
                raise RowError(f"a second derivative has the free symbol {e}")
            i = at[e]
            return lambda a: a[i]
        if isinstance(e, (BooleanTrue, BooleanFalse)):
            v = bool(e)
            return lambda a: v
        if e.is_Number or e in (sp.pi, sp.E):
            if not e.is_finite:
                raise RowError("a second derivative is infinite or undefined in its SymPy form")
            c = kit.const(float(e))
            return lambda a: c
        if isinstance(e, (sp.Add, sp.Mul)):
            op = kit.add if isinstance(e, sp.Add) else kit.mul
            parts = [build(x) for x in e.args]

            def fold(a, parts=parts, op=op):
                acc = parts[0](a)
                for p in parts[1:]:
                    acc = op(acc, p(a))
                return acc
            return fold
        if isinstance(e, sp.Pow):
            base, ex = build(e.base), e.exp
            if ex == -1:
                one = kit.const(1.0)
                return lambda a: kit.div(one, base(a))
            if ex == sp.Rational(1, 2):
                return lambda a: kit.sqrt(base(a))
            if ex == 2:
                return lambda a: (lambda b: kit.mul(b, b))(base(a))
            power = build(ex)
            return lambda a: kit.pow(base(a), power(a))
        if isinstance(e, sp.Piecewise):
            pairs = [(build(c), build(x)) for x, c in e.args]

            def piecewise(a):
                found = None
                for cond, branch in pairs:
                    try:
                        take = cond(a)
                    except kit.undecided:
                        if kit.union is None:
                            raise
                        v = branch(a)
                        found = v if found is None else kit.union(found, v)
                        continue
                    if take:
                        v = branch(a)
                        return v if found is None else kit.union(found, v)
                if found is None:
                    raise ArithmeticError("no branch of a Piecewise applies here")
                return found
            return piecewise
        if isinstance(e, (sp.And, sp.Or)):
            parts, want = [build(x) for x in e.args], isinstance(e, sp.Or)
            return lambda a: want if any(bool(p(a)) == want for p in parts) else not want
        if isinstance(e, sp.Not):
            inner = build(e.args[0])
            return lambda a: not inner(a)
        if isinstance(e, sp.core.relational.Relational):
            lhs, rhs = build(e.lhs), build(e.rhs)
            rel = {"<": lambda x, y: kit.less(x, y), ">": lambda x, y: kit.less(y, x),
                   "<=": lambda x, y: kit.less_equal(x, y), ">=": lambda x, y: kit.less_equal(y, x),
                   "==": lambda x, y: kit.equal(x, y), "!=": lambda x, y: not kit.equal(x, y)}.get(e.rel_op)
            if rel is None:
                raise RowError(f"a second derivative has the relation {e.rel_op}")
            return lambda a: rel(lhs(a), rhs(a))
        name = type(e).__name__
        simple = {"Abs": kit.abs, "sign": kit.sign, "DiracDelta": kit.dirac, "Heaviside": kit.heaviside,
                  "Max": kit.max, "Min": kit.min}
        if name in simple or name in FUNCTIONS:
            f = simple[name] if name in simple else kit.fn(name)
            # δ's derivatives (sign'' = 2δ'(x)) are, as δ, 0 away from its point and no number at it
            args = [build(x) for x in (e.args[:1] if name == "DiracDelta" else e.args)]
            if len(args) == 1:
                only = args[0]
                return lambda a: f(only(a))
            return lambda a: f(*[x(a) for x in args])
        raise RowError(f"a second derivative uses SymPy's {name}, which has no float64 operation here",
                       hint="write the row's SymPy form with the classes in symgrad.rules.proofs.SYMPY_CLASSES")

    return build(expr)


class Second:
    """The second partials of one row at ``n`` arguments: ``exprs[i][j]`` = ∂²f/∂aᵢ∂aⱼ (SymPy, in
    ``params``; None for a constant argument, whose tangent is 0 by construction), and ``at``."""

    def __init__(self, row: Rule, n: int) -> None:
        import sympy as sp
        self.row, self.n = row, n
        self.params = tuple(sp.Symbol(f"_h{i}", real=True) for i in range(n))
        form = row.sympy(sp, *self.params)
        firsts = [sp.diff(form, p) for p in self.params]
        exprs: list[list] = []
        for i in range(n):
            line = []
            for j in range(n):
                if i in row.constant or j in row.constant:
                    line.append(None)
                elif j < i:
                    line.append(exprs[j][i])      # the same SymPy object: symmetry is tested, not assumed
                    continue                        # (the derivative is taken in both orders by the proofs)
                else:
                    e = sp.diff(firsts[i], self.params[j])
                    if sum(1 for _ in sp.preorder_traversal(e)) > MAX_SECOND_NODES:
                        raise RowError(f"rule row {row.name!r}: a second partial has over {MAX_SECOND_NODES} nodes")
                    line.append(sp.powsimp(compact(e), force=True))   # x**p·p/x² is p·x**(p−2): finite at 0
            exprs.append(line)
        self.exprs = tuple(tuple(line) for line in exprs)
        self._compiled: dict[int, tuple] = {}
        self.float = self.compiled(FLOAT)

    def compiled(self, kit: Kit) -> tuple:
        """The partials compiled in ``kit``'s arithmetic (None for a constant argument), once per kit."""
        key = id(kit)
        if key not in self._compiled:
            self._compiled[key] = (kit, tuple(tuple(None if e is None else compile_expr(e, self.params, kit)
                                                    for e in line) for line in self.exprs))
        return self._compiled[key][1]

    def at(self, *args: float) -> tuple[tuple[float, ...], ...]:
        """∂²f/∂aᵢ∂aⱼ at float64 ``args`` (0.0 where an argument is a constant). Raises Kink
        where one is a Dirac delta at its jump, NumericError where float64 cannot give it."""
        out = []
        for line in self.float:
            row = []
            for f in line:
                if f is None:
                    row.append(0.0)
                    continue
                try:
                    v = f(args)
                except Kink:
                    raise
                except ArithmeticError:
                    v = math.nan
                if not math.isfinite(v):
                    raise NumericError(f"the second derivative of {self.row.name} at "
                                       f"{', '.join(repr(float(a)) for a in args)} is not a finite float64 "
                                       "(its formula overflows or divides by 0 there)",
                                       hint="move the point, or check it exactly: symgrad.check(..., order=2)")
                row.append(float(v))
            out.append(tuple(row))
        return tuple(out)


_LOCK = threading.RLock()
_MADE: dict[tuple, Second] = {}


def second(row: Rule, n: int | None = None) -> Second:
    """The second-order record of ``row`` at ``n`` arguments (default its arity), derived once."""
    n = row.arity if n is None else n
    key = (row.name, n, id(row))
    with _LOCK:
        found = _MADE.get(key)
        if found is None:
            found = _MADE[key] = Second(row, n)
        return found


def require_all() -> None:
    """Derive and compile every row's second partials (variadic rows at their least arity):
    a row whose second derivatives cannot be evaluated fails here, loudly, naming it."""
    from .table import all_rows
    for row in all_rows():
        try:
            second(row)
        except RowError as err:
            raise RowError(f"rule row {row.name!r}: {err.message}", hint=err.hint) from None


def roundings(name: str) -> int:
    """Float64 roundings of one operation of a compiled form: 1 for + − × ÷ √ (correctly rounded),
    the row's ``Rounding.forward`` for a function, the ``powc`` row's for a power."""
    return 1 if name in ("add", "mul", "div", "sqrt") else ROUNDING["powc" if name == "pow" else name].forward
