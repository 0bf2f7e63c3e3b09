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
  a form that raises its arguments (``huber``'s ``x^2/2``) raises their coefficients too;
- where the float value is finite and non-zero, a rational's numerator has at most
  ``log10 |value| + den`` digits (this keeps ``1 + 1 + … + 1`` small);
- SymPy collects like terms, and may find any two terms alike: ``x/9001 + x/9007 + …`` is
  ``x·(1/9001 + 1/9007 + …)``, whose denominator is the product of all of them. So an expression
  that holds an input (or a number SymPy keeps, ``pi``, ``2^(1/3)``) carries bounds (``Frac``:
  digits and magnitude) on the coefficient its terms collect into (denominators add, magnitudes
  add up, so ``x + x + … + x`` stays small), on its number term, on the exponents a product adds
  (``x^(1/9001) * x^(1/9007)``), and on the numeric bases it multiplies (``2^x*3^x = 6^x``). A
  product multiplies coefficients, and a number distributes over a sum; a power to an exact
  exponent ``e`` raises the coefficient (``(x*3^999)^999`` builds ``3^998001``), but a power or a
  product of sums is not expanded (``_product``, ``_power``), unless the sum may collapse to one
  term or to a number (``x - x + 3^99``). Terms are alike only if their fingerprints (their
  structure with numbers erased) are; a sum of terms none alike and none that can vanish
  (``x*y + y``) stays a sum, so ``v*v + v`` repeated builds no number.

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
from .exact_frac import LOG2, ONE, Frac, within

__all__ = ["Frac", "Size", "bound_program", "guard", "sympy_digits"]

_EXACT_INT = 2.0 ** 53       # as symbolic._number: integral literals below this are sympy Integers


@dataclass(frozen=True)
class Size:
    """An upper bound on a constant's exact size: ``num`` and ``den`` digits (log10) of a
    rational, or, when ``rational`` is false, ``num`` digits of all the rationals inside it.

    ``symbolic``: it holds an input, or is a number SymPy keeps unevaluated (``2^(1/3)``, ``pi``,
    ``tanh(3)``); ``num`` bounds every rational inside it, and the rest bound the numbers that
    SymPy's collection of like terms could build from it: ``coef``, the coefficient of its terms
    (summed over all of them, as ``x/9001 + x/9007`` is ``18008 x/81072007``); ``const``, the
    number it is or could become (a sum's number term; ``x - x + 30`` is 30); ``expo``, the
    exponents a product adds (``x^(1/9001) * x^(1/9007)``); ``base``, the numeric bases a
    product multiplies (``2^x * 3^x`` is ``6^x``); ``firm``: it can never become a number."""
    num: float
    den: float
    value: float                 # its float value (inf or nan where floats cannot say)
    rational: bool
    symbolic: bool = False
    coef: Frac = ONE
    const: Frac | None = None
    expo: Frac = ONE
    base: float = 0.0
    firm: bool = True
    terms: frozenset | None = None   # fingerprints of its terms, numbers erased (alike terms share one); None: too many
    bases: frozenset = frozenset()   # as a factor: fingerprints of its bases
    kept: bool = False               # a sum that can never collect into one term or a number (see ``_sum``)

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


def _mag(size: Size) -> float:
    """log10 of the largest absolute value of a number (its float value where it is finite)."""
    if math.isfinite(size.value) and abs(size.value) >= 2.2250738585072014e-308:
        return min(size.num, math.log10(abs(size.value)) + 1e-9)
    return size.num if size.value != 0.0 or not math.isfinite(size.value) else -307.0


def _float(fn: Any, *xs: float) -> float:
    try:
        return float(fn(*xs))
    except OverflowError:
        return math.inf
    except (ArithmeticError, ValueError, TypeError):
        return math.nan


_FORMS: dict[int, tuple[Any, float, float, float]] = {}  # id(row) -> (row, growth, power, own digits)


def _form(rule: str) -> tuple[float, float, float]:
    """What a call's SymPy form does to its arguments: the digits per unit of argument it adds
    (``exp2(x) = 2^x`` adds log10 2 per unit of x; ``exp(x)``, E being a symbol, adds none), the
    largest integer power it raises them to (``huber``'s ``x^2/2``: 2), and its own numbers' digits."""
    import sympy as sp
    row = RULES.get(rule)
    if row is None:
        return 0.0, 1.0, 0.0
    known = _FORMS.get(id(row))
    if known is not None and known[0] is row:
        return known[1:]
    u = sp.Symbol("_u", real=True)
    try:
        form = row.sympy(sp, *([u] * max(row.arity, 1)))
        pows = form.atoms(sp.Pow)
        grow = sum(sympy_digits(p.base) for p in pows if p.base.is_number and p.exp.has(u))
        power = max([1.0] + [abs(float(p.exp)) for p in pows if p.base.has(u) and p.exp.is_Rational])
        own = sympy_digits(form.subs(u, 1)) if form.is_number is False else 0.0
    except Exception:  # a registered row's builder that takes no symbol: its arguments as they are
        grow, power, own = 0.0, 1.0, 0.0
    _FORMS[id(row)] = (row, grow, power, own)
    return grow, power, own


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


_MAX_TERMS = 64       # term fingerprints followed per sum; past this any two terms may be alike
_NUMBER = frozenset({hash("number")})   # every unevaluated number is taken to be alike


def _shape(bases: frozenset) -> dict:
    """One term with these bases (a product, a power, a call, an input)."""
    return {"terms": frozenset({hash(bases)}), "bases": bases}


def _input(name: str) -> Size:
    return Size(0.0, 0.0, math.nan, False, True, **_shape(frozenset({hash(("input", name))})))


def _opaque(digits: float, value: float, coef: Frac | None = None, expo: Frac = ONE, base: float = 0.0) -> Size:
    """A number SymPy keeps unevaluated (or may reduce to a rational: ``sqrt(4)``) with ``digits``
    digits inside, and ``coef`` bounding the rational it may reduce to or have as a coefficient."""
    coef = coef or within(digits)
    return Size(max(digits, coef.digits), 0.0, value, False, True, coef, coef, expo, base, False, **_shape(_NUMBER))


def _plain(a: Size) -> bool:
    return not a.symbolic


def _as_frac(a: Size) -> Frac:
    """A plain number (a rational, or a Float, which has no digits to grow) as a Frac."""
    if a.rational:
        return Frac(a.num, a.den, _mag(a))
    return Frac(0.0, 0.0, -math.inf)


def _outer(a: Size) -> Frac:
    """The coefficient a power or a product would raise or multiply: its terms' coefficient, or
    the number it could become."""
    if _plain(a):
        return _as_frac(a)
    if a.kept:         # it stays a sum: a power or a product keeps it whole
        return ONE
    return a.coef if a.firm or a.const is None else a.coef.widest(a.const)


def _nonzero(a: Size) -> bool:
    """A plain number that is surely not zero: a Float, or a rational of under 10 digits whose float
    value is at least half the least non-zero one, ``1/q`` (float rounding is far below that)."""
    if math.isnan(a.value) or a.value == 0.0:
        return False
    return not a.rational or (a.digits < 10.0 and abs(a.value) >= 0.5 * 10.0 ** -a.den)


def _struct(num: float, coef: Frac, const: Frac | None, expo: Frac, base: float, firm: bool,
            value: float = math.nan, shape: dict | None = None, collected: bool = True) -> Size:
    """A Size for an expression with an input; ``collected``: its coefficient is built here."""
    extra = [coef.digits if collected else 0.0, expo.digits, base] + ([const.digits] if const is not None else [])
    return Size(max([num] + extra), 0.0, value, False, True, coef, const, expo, base, firm, **(shape or {}))


def _sum(args: list[Size], alike: bool, value: float) -> Size:
    """``a ± b`` with an input or an unevaluated number: every term's coefficient may collect
    into one (SymPy sums the coefficients of like terms), and the number terms into one."""
    coef: Frac | None = None
    const: Frac | None = None
    for a in args:
        if _plain(a):
            part, into = _as_frac(a), "const"
        else:
            part, into = a.coef, "coef"
            if a.const is not None:
                const = a.const if const is None else const.plus(a.const, alike)
        if into == "coef":
            coef = part if coef is None else coef.plus(part, alike)
        else:
            const = part if const is None else const.plus(part, alike)
    symbolic = [a for a in args if not _plain(a)]
    # Terms are alike only if their fingerprints (numbers erased) are equal. With no two alike and
    # none that can vanish, it stays a sum of two or more terms (x*y + y): "kept".
    terms: frozenset | None = frozenset()
    distinct = firm = True      # no two terms alike (so no coefficient is collected), none vanishes
    for a in symbolic:
        if terms is None or a.terms is None or (terms & a.terms):
            distinct = False
        firm = firm and (a.firm or a.kept)
        terms = None if terms is None or a.terms is None else terms | a.terms
    if terms is not None and len(terms) > _MAX_TERMS:
        terms, distinct = None, False
    kept = distinct and firm and terms is not None and len(terms) >= 2
    shape = {"terms": terms, "bases": frozenset({hash(("sum", terms))}), "kept": kept}
    firm = kept or (len(symbolic) == 1 and symbolic[0].firm)   # x + 30 stays a sum
    expo = symbolic[0].expo.widest(symbolic[-1].expo)
    return _struct(max(a.num for a in args), coef or ONE, const, expo, max(a.base for a in args), firm, value, shape,
                   collected=not distinct)


def _product(args: list[Size], value: float) -> Size:
    """``a·b``: the coefficients multiply, exponents of a common base add, numeric bases multiply
    (``2^x*3^x = 6^x``); a number distributes over a sum (``2*(x + 1) = 2x + 2``)."""
    coef, expo, base, firm = ONE, None, 0.0, True
    const_parts, symbolic = [], [a for a in args if not _plain(a)]
    for a in args:
        coef = coef.times(_outer(a))
        if _plain(a):
            firm = firm and _nonzero(a)
        else:
            expo = a.expo if expo is None else expo.plus(a.expo)
            base += a.base
            firm = firm and a.firm
    const = None
    if len(symbolic) == 1:     # c*(x*y + k) = c*x*y + c*k: a number distributes, the sum stays one
        only = symbolic[0]
        coef = only.coef
        const = only.const
        for a in args:
            if _plain(a):
                coef = coef.times(_as_frac(a))
                const = const.times(_as_frac(a)) if const is not None else None
        shape = {"terms": only.terms, "bases": only.bases, "kept": only.kept and firm}
    else:
        shape = _shape(frozenset().union(*(a.bases for a in symbolic)))
    if not firm:
        const = coef.widest(const)
    return _struct(max(a.num for a in args), coef, const, expo or ONE, base, firm or shape.get("kept", False), value, shape)


def _power(b: Size, e: Size, value: float) -> Size:
    """``b^e`` where either holds an input or is unevaluated. An exact exponent distributes over a
    product's coefficient (``(x*3^999)^999`` builds ``3^998001``) and multiplies its exponents; a
    power of a sum is not expanded, unless the sum may collapse to one term or a number."""
    if _plain(e) and e.rational:    # b holds an input
        times = e.value if not math.isnan(e.value) else math.inf
        coef = _outer(b).power(times)
        shape = ({"terms": b.terms, "bases": b.bases, "kept": b.kept} if times == 1.0 else _shape(b.bases))
        return _struct(max(b.num, e.digits), coef, None if b.firm else coef, b.expo.times(_as_frac(e)),
                       b.base, b.firm, value, shape)
    # an exponent with an input (or unevaluated): kept as it is, unless it can become a number k,
    # which raises the base's coefficient to at most |k|
    firm = (b.firm or _plain(b)) and e.firm
    k = 0.0 if e.firm else 10.0 ** min(_outer(e).mag, 308.0)
    coef = ONE if e.firm else _outer(b).power(max(1.0, k))
    expo = e.coef.widest(e.const) if not _plain(e) else _as_frac(e)
    base = b.digits if _plain(b) else b.base
    return _struct(max(b.digits, e.digits), coef, None if firm else coef, expo, base, firm, value,
                   _shape(_NUMBER if _plain(b) else b.bases))


def _call(rule: str, args: list[Size], value: float) -> Size:
    """A call keeps its arguments, but its SymPy form may combine and raise them (``huber``'s
    ``x^2/2``) or raise a number to them (``exp2(x) = 2^x``)."""
    grow, power, own = _form(rule)
    coef = Frac(own, own, own)    # the form's numbers times its arguments' coefficients, raised
    for a in args:
        coef = coef.times(_outer(a).power(power))
        if not grow:
            continue
        if _plain(a):    # 2^k for the number k an argument is or may become
            k = abs(a.value) if not math.isnan(a.value) else math.inf
            up, down = (grow * k, 0.0) if a.value >= 0 else (0.0, grow * k)
        else:
            up = down = 0.0 if a.firm else grow * 10.0 ** min(_outer(a).mag, 308.0)
        coef = coef.times(Frac(up, down, up))
    num = max([coef.digits] + [a.num + a.den for a in args])
    if all(_plain(a) for a in args):
        return _opaque(num, value, coef)
    firm = all(a.firm or a.kept for a in args if not _plain(a))
    called = frozenset({hash((rule, tuple(hash(a.terms) if not _plain(a) else None for a in args)))})
    return Size(num, 0.0, value, False, True, coef, None if firm else coef, ONE, 0.0, firm, **_shape(called))


def _op(rule: str, args: list[Size], alike: bool = False) -> Size:
    """The bound for one operation on constants (the module docstring's rules), or on an
    expression that holds an input or an unevaluated number (``_sum``, ``_product``, ``_power``)."""
    row = RULES.get(rule)
    value = _float(row.raw if row is not None else (lambda *a: math.nan), *[a.value for a in args])
    if any(a.symbolic for a in args):
        if rule in ("add", "sub"):
            return _sum(args, alike, value)
        if rule in ("mul", "neg"):
            return _product(args, value)
        if rule == "div":
            return _product([args[0], _op("powc", [args[1], _literal(-1.0)])], value)
        if rule in ("pow", "powc"):
            return _power(args[0], args[1], value)
        return _call(rule, args, value)
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
        if not e.rational:    # a Float exponent: a Float
            return Size(base.digits + e.digits, 0.0, value, False)
        times = max(1.0, abs(e.value)) if not math.isnan(e.value) else math.inf
        if base.rational and math.isfinite(e.value) and e.value.is_integer():
            num, den = (base.num, base.den) if e.value >= 0 else (base.den, base.num)
            den = times * den
            return Size(_tight(times * num, den, value), den, value, True)
        if base.rational:     # a root SymPy keeps (2^(1/3)); exponents of a common base add
            return _opaque(times * base.digits + e.digits, value, _as_frac(base).power(e.value),
                           Frac(e.num, e.den, e.num + base.digits), base.digits)
        return Size(times * base.digits + e.digits, 0.0, value, False)
    if rule in ("add", "sub", "mul", "div"):  # with a Float: a Float (no digits grow)
        return Size(sum(a.digits for a in args), 0.0, value, False)
    return _call(rule, args, value)


def _refuse(node: Expr | None, digits: float, limits: Limits, power: str = "^", symbolic: bool = False) -> LimitError:
    text = to_notation(node, power) if node is not None else "a constant"
    text = text if len(text) <= 40 else text[:39] + "…"
    about = f"about {digits:,.0f} digits" if math.isfinite(digits) else "more digits than a float can count"
    span = getattr(node, "span", None)
    what = (f"a number SymPy builds in {text} from its constants (like terms collected)" if symbolic
            else f"the exact value of {text}")
    return LimitError(f"{what} would have {about}", limit="max_exact_digits",
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
            size = _opaque(0.0, math.pi)      # SymPy keeps pi a symbol
        elif isinstance(node, Var):
            size = names[node.name] if node.name in names else _input(node.name)
        elif isinstance(node, Op):
            kids = [sizes.pop(id(a)) for a in node.args]
            size = None if any(k is None for k in kids) else _op(node.rule, kids, _alike(node))
            if size is not None and not size.digits <= limits.max_exact_digits:
                raise _refuse(node, size.digits, limits, power, size.symbolic)
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
        value = _float(float, a)
        if isinstance(a, sp.Rational):
            sizes.append(Size(_int_digits(a.p), _int_digits(a.q), value, True))
        elif isinstance(a, sp.Float):
            sizes.append(Size(0.0, 0.0, value, False))
        else:                        # unevaluated (sqrt(2)/9001): its numbers may still collect
            sizes.append(_opaque(sympy_digits(a), value))
    size = _op(rule, sizes)
    if not size.digits <= limits.max_exact_digits:
        raise _refuse(node, size.digits, limits, symbolic=size.symbolic)
