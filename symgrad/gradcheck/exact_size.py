"""The size, in decimal digits, of every exact number the symbolic side would build from a
program's constants, predicted from the structure before anything is built.

SymPy evaluates a power of two rationals exactly: ``(3^-999)^999`` is a 476,709-digit fraction
and ``((3^-999)^999)^200`` would have 95 million digits (minutes and gigabytes to build, and
Python refuses to print an integer of more than 4,300 digits). Bounding the exponent alone
does not help, since the base may already be huge. So every constant subexpression gets an
upper bound on its digits, in the order SymPy would build it, and one past
``Limits.max_exact_digits`` raises ``LimitError`` at that node.

The bounds (``log10`` sizes; ``size(p/q) = digits(p) + digits(q)``):

- a literal as SymPy takes it (``symbolic._number``): an integer below 2^53 is exact, with
  ``log10 |n|`` digits; any other literal is a ``Float`` (fixed precision, no growth); ``pi``
  stays a symbol;
- ``a ± b`` of rationals: denominator ``den(a) + den(b)``, numerator
  ``max(num(a) + den(b), num(b) + den(a)) + log10 2``; ``a·b``: the sums; ``a / b``: crossed;
- ``b^e`` with an exact exponent ``e``: ``max(1, |e|)`` times ``size(b)`` (for an integer
  ``e`` exactly the numerator's and denominator's digits times ``|e|``);
  an inexact exponent (a ``Float``, ``pi``) leaves the power unevaluated or a ``Float``;
- a call (``exp``, ``sin``, …) keeps its argument unevaluated, except where its SymPy form
  raises a number to the argument (``exp2(x) = 2^x``): ``|x|`` times that number's size more;
- where the float value is finite and non-zero, a rational's numerator has at most
  ``log10 |value| + den`` digits (this keeps ``1 + 1 + … + 1`` small);
- an expression that holds an input keeps its constants as folded coefficients: a product adds
  their digits (``x*2^999*2^999`` builds ``2^1998``), a sum takes the larger and a carry, and a
  power to an exact exponent ``e`` multiplies a product's coefficient by ``|e|``
  (``(x*3^999)^999`` builds ``3^998001``); a power or a product of sums is not expanded
  (``_symbolic_op``).

``bound_program`` walks a program (and optionally one more expression over its names, a claim
or an answer) without recursion; ``guard`` checks one SymPy operation on numbers about to be
built (``symbolic.to_sympy_expr``'s own belt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from ..base.errors import LimitError
from ..base.limits import DEFAULT_LIMITS, Limits
from ..language.ast import Const, Expr, Num, Op, Program, Var, postorder
from ..language.printing import power_symbol, to_notation
from ..rules.table import RULES

__all__ = ["Size", "bound_program", "guard", "sympy_digits"]

LOG2 = math.log10(2.0)
_EXACT_INT = 2.0 ** 53       # as symbolic._number: integral literals below this are sympy Integers


@dataclass(frozen=True)
class Size:
    """An upper bound on a constant's exact size: ``num`` and ``den`` digits (log10) of a
    rational, or, when ``rational`` is false, ``num`` digits of all the rationals inside it."""
    num: float
    den: float
    value: float                 # its float value (inf or nan where floats cannot say)
    rational: bool
    symbolic: bool = False       # it holds an input: ``num`` bounds the digits of its largest coefficient,
    outer: float = 0.0           # and ``outer`` those of the coefficient a power would raise

    @property
    def digits(self) -> float:
        return self.num + self.den


def _int_digits(n: int) -> float:
    n = abs(int(n))
    return 0.0 if n <= 1 else math.log10(n)  # math.log10 takes an int of any size


def _tight(num: float, den: float, value: float) -> float:
    if math.isfinite(value) and value != 0.0 and abs(value) >= 2.2250738585072014e-308:
        return min(num, math.log10(abs(value)) + den + 1e-9)
    return num


def _float(fn: Any, *xs: float) -> float:
    try:
        return float(fn(*xs))
    except OverflowError:
        return math.inf
    except (ArithmeticError, ValueError, TypeError):
        return math.nan


_GROWTH: dict[int, tuple[Any, float]] = {}    # id(row) -> (row, digits per unit of argument)


def _growth(rule: str) -> float:
    """Digits per unit of argument that a call's SymPy form adds: ``exp2(x) = 2^x`` adds
    log10 2 per unit of x; ``exp(x)`` (E stays a symbol) and most rows add nothing."""
    import sympy as sp
    row = RULES.get(rule)
    if row is None:
        return 0.0
    known = _GROWTH.get(id(row))
    if known is not None and known[0] is row:
        return known[1]
    u = sp.Symbol("_u", real=True)
    try:
        form = row.sympy(sp, *([u] * max(row.arity, 1)))
        grow = sum(sympy_digits(p.base) for p in form.atoms(sp.Pow) if p.base.is_number and p.exp.has(u))
    except Exception:  # a registered row's builder that takes no symbol: no growth is known
        grow = 0.0
    _GROWTH[id(row)] = (row, grow)
    return grow


def sympy_digits(expr: Any) -> float:
    """Digits of the rationals inside a SymPy number (numerators and denominators)."""
    import sympy as sp
    if isinstance(expr, sp.Rational):
        return _int_digits(expr.p) + _int_digits(expr.q)
    return sum(_int_digits(a.p) + _int_digits(a.q) for a in expr.atoms(sp.Rational))


def _literal(value: float) -> Size:
    if value.is_integer() and abs(value) < _EXACT_INT:
        return Size(_int_digits(int(value)), 0.0, value, True)
    return Size(0.0, 0.0, value, False)


_INPUT = Size(0.0, 0.0, math.nan, False, True)


def _symbolic_op(rule: str, args: list[Size], alike: bool = False) -> Size:
    """The bound for an operation on an expression that holds an input: ``num`` bounds its
    largest coefficient anywhere, ``outer`` the coefficient a power raises. SymPy multiplies a
    product's numbers into one coefficient and distributes an integer power over it
    (``(x*3^999)^999`` builds ``3^998001``), and a number over a sum; it keeps a product or a
    power of sums as it is (``(x + 30)^5000``, ``s*s``), and combines a sum's terms only when
    they are alike (``alike``: ``x*3^9 + x*3^9`` is ``2*3^9*x``)."""
    def outer(a: Size) -> float:
        return a.outer if a.symbolic else a.digits
    if rule in ("add", "sub"):     # like terms combine: one digit's carry at most
        top = max(outer(a) for a in args) + LOG2 if alike else 0.0
        return _symbolic(max(a.digits for a in args) + LOG2, top)
    if rule in ("mul", "div", "neg"):   # the numbers multiply; a number distributes over a sum
        numbers = sum(a.digits for a in args if not a.symbolic)
        top = sum(outer(a) for a in args)
        return _symbolic(max(a.num for a in args if a.symbolic) + numbers, top)
    if rule in ("pow", "powc"):
        base, e = args
        if not e.symbolic and e.rational and math.isfinite(e.value):
            times = max(1.0, abs(e.value))
            return _symbolic(max(base.digits, times * outer(base)) + e.digits, times * outer(base))
    # a call keeps its argument; its SymPy form may have a number of its own (gelu's 1/2)
    return _symbolic(sum(a.digits for a in args), sum(a.digits for a in args) + LOG2)


def _symbolic(num: float, outer: float) -> Size:
    return Size(max(num, outer), 0.0, math.nan, False, True, outer)


def _op(rule: str, args: list[Size], alike: bool = False) -> Size:
    """The bound for one operation on constants (the module docstring's rules), or on an
    expression that holds an input (``_symbolic_op``)."""
    if any(a.symbolic for a in args):
        return _symbolic_op(rule, args, alike)
    row = RULES.get(rule)
    value = _float(row.raw if row is not None else (lambda *a: math.nan), *[a.value for a in args])
    exact = all(a.rational for a in args)
    if rule in ("add", "sub") and exact:
        a, b = args
        den = a.den + b.den
        return Size(_tight(max(a.num + b.den, b.num + a.den) + LOG2, den, value), den, value, True)
    if rule in ("mul", "div") and exact:
        a, b = args if rule == "mul" else (args[0], Size(args[1].den, args[1].num, 0.0, True))
        den = a.den + b.den
        return Size(_tight(a.num + b.num, den, value), den, value, True)
    if rule == "neg":
        return Size(args[0].num, args[0].den, value, args[0].rational)
    if rule in ("pow", "powc"):
        base, e = args
        if not e.rational or base.digits == 0.0:
            return Size(base.digits + e.digits, 0.0, value, False)
        times = max(1.0, abs(e.value)) if not math.isnan(e.value) else math.inf
        if base.rational and math.isfinite(e.value) and e.value.is_integer():
            num, den = (base.num, base.den) if e.value >= 0 else (base.den, base.num)
            den = times * den
            return Size(_tight(times * num, den, value), den, value, True)
        return Size(times * base.digits + e.digits, 0.0, value, False)
    grow = _growth(rule)
    extra = 0.0
    if grow:
        biggest = max((abs(a.value) for a in args), default=0.0)
        extra = grow * biggest if not math.isnan(biggest) else math.inf
    return Size(sum(a.digits for a in args) + extra, 0.0, value, False)


def _refuse(node: Expr | None, digits: float, limits: Limits, power: str = "^") -> LimitError:
    text = to_notation(node, power) if node is not None else "a constant"
    text = text if len(text) <= 40 else text[:39] + "…"
    about = f"about {digits:,.0f} digits" if math.isfinite(digits) else "more digits than a float can count"
    span = getattr(node, "span", None)
    return LimitError(f"the exact value of {text} would have {about}", limit="max_exact_digits",
                      value=limits.max_exact_digits, line=span.line if span else None,
                      column=span.column if span else None,
                      hint="symbolic answers keep every digit of a constant; raise the limit with "
                           "symgrad.Limits(max_exact_digits=...) or --limit max_exact_digits=N")


def _alike(node: Op) -> bool:
    """A sum whose two terms are the same expression (``a + a``, ``x*3^9 + x*3^9``): SymPy combines
    them. Compared without recursion, stopping at the first difference."""
    if node.rule not in ("add", "sub") or len(node.args) != 2:
        return False
    stack = [(node.args[0], node.args[1])]
    while stack:
        a, b = stack.pop()
        if a is b:
            continue
        if type(a) is not type(b):
            return False
        if isinstance(a, Op):
            if a.rule != b.rule or len(a.args) != len(b.args):
                return False
            stack.extend(zip(a.args, b.args))
        elif a != b:                # a leaf: Num, Const or Var
            return False
    return True


def _walk(root: Expr, names: dict[str, Size | None], limits: Limits, power: str = "^") -> Size | None:
    sizes: dict[int, Size | None] = {}
    for node in postorder(root):
        if isinstance(node, Num):
            size = _literal(node.value)
        elif isinstance(node, Const):
            size = Size(0.0, 0.0, math.pi, False)
        elif isinstance(node, Var):
            size = names.get(node.name, _INPUT)
        elif isinstance(node, Op):
            kids = [sizes.pop(id(a)) for a in node.args]
            size = None if any(k is None for k in kids) else _op(node.rule, kids, _alike(node))
            if size is not None and not size.digits <= limits.max_exact_digits:
                raise _refuse(node, size.digits, limits, power)
        else:
            size = None
        sizes[id(node)] = size
    return sizes[id(root)]


def bound_program(program: Program, limits: Limits | None = None, extra: Iterable[Expr] = ()) -> None:
    """Raise LimitError (located, ``limit="max_exact_digits"``) at the first constant
    subexpression of ``program`` (named constants included, then each of ``extra``) whose exact
    value could have more than ``limits.max_exact_digits`` digits. Linear in the program's size."""
    limits = limits or DEFAULT_LIMITS
    names: dict[str, Size | None] = {}
    power = power_symbol(program.source)   # the message prints the program's own power operator
    for stmt in program.statements:
        size = _walk(stmt.expr, names, limits, power)
        if stmt.name is not None:
            names[stmt.name] = size
    for expr in extra:
        _walk(expr, names, limits, power)


def guard(rule: str, args: list, limits: Limits | None, node: Expr | None = None) -> None:
    """Before SymPy builds ``rule(*args)`` of SymPy numbers: raise LimitError if the result
    could have more than ``limits.max_exact_digits`` digits."""
    import sympy as sp
    limits = limits or DEFAULT_LIMITS
    sizes = []
    for a in args:
        rational = isinstance(a, sp.Rational)
        num, den = (_int_digits(a.p), _int_digits(a.q)) if rational else (sympy_digits(a), 0.0)
        value = _float(float, a) if (rational or isinstance(a, sp.Float)) else math.nan
        if not rational and isinstance(a, sp.Float):
            num = 0.0
        sizes.append(Size(num, den, value, rational))
    size = _op(rule, sizes)
    if not size.digits <= limits.max_exact_digits:
        raise _refuse(node, size.digits, limits)
