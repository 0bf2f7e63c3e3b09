"""Each rule row's SymPy form and its partial derivatives, differentiated once and cached.

SymPy sees one primitive at a time, on fresh symbols ``_a0, _a1, …``: never the program,
never the point, never ``simplify``. So its work is bounded by the size of a row's form,
which is checked against ``MAX_FORM_NODES``.

A constant argument that sits in an exponent of the row's form (the ``2`` of ``x**2``) is
baked in as an exact rational, when it is a small one: ``x**2`` must differentiate to
``2*x``, which is defined at 0, not to ``p*x**p/x``, which is not. The cache key is the row,
its arity and the baked constants.

At an exactly-zero argument where a partial's form is undefined (``b*a**b/a`` at ``a = 0``),
``boundary`` gives the one-sided value: the form with powers merged (``b*a**(b-1)``), or, for
the other arguments, the derivative of the form with the zero substituted first (``0**b`` is
0 for ``b > 0``, so its slope in ``b`` is 0). Both are cached per sign pattern.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from .balls import Form, UnsupportedForm
from ..base.errors import CheckError
from ..rules.table import INTERNAL, RULES, Rule
from ..rules.second import compact

__all__ = ["RowForms", "row_forms", "boundary", "baked_positions", "validate_rules", "bakeable"]

MAX_FORM_NODES = 2_000      # nodes of one row's form or partial; rows are a few dozen
MAX_BAKED_DENOMINATOR = 2 ** 16
MAX_BAKED_MAGNITUDE = 2 ** 53

_LOCK = threading.RLock()
_SYMBOLS: list[sp.Symbol] = []
_FORMS: dict[tuple, "RowForms"] = {}
_BAKED: dict[tuple, tuple[int, ...]] = {}
_BOUNDARY: dict[tuple, "Form | None"] = {}


def arg_symbols(n: int) -> tuple[sp.Symbol, ...]:
    while len(_SYMBOLS) < n:
        _SYMBOLS.append(sp.Symbol(f"_a{len(_SYMBOLS)}", real=True))
    return tuple(_SYMBOLS[:n])


def _size(expr: sp.Basic) -> int:
    count = 0
    for _ in sp.preorder_traversal(expr):
        count += 1
        if count > MAX_FORM_NODES:
            break
    return count


def _bounded(expr: sp.Basic, what: str) -> sp.Basic:
    if _size(expr) > MAX_FORM_NODES:
        raise CheckError(f"{what} has over {MAX_FORM_NODES} nodes", hint="a rule row's SymPy form must stay small")
    return expr


def bakeable(value: Fraction | None) -> bool:
    return value is not None and value.denominator <= MAX_BAKED_DENOMINATOR and abs(value) <= MAX_BAKED_MAGNITUDE


@dataclass
class RowForms:
    """A row's value form and one partial form per argument (None for a baked constant)."""
    rule: Rule
    key: tuple                          # the cache key: row, arity, baked constants
    params: tuple[sp.Symbol, ...]      # the symbols the forms take, one per argument
    value: Form
    partials: tuple[Form | None, ...]
    exprs: tuple[sp.Basic | None, ...]  # the partials as SymPy, for boundary fallbacks
    form: sp.Basic
    domain: Form | None = None          # the row's ``sympy_domain`` over ``params``, unbaked
    _second: dict = field(default_factory=dict, repr=False)

    def second(self, j: int) -> tuple[Form | None, ...] | None:
        """The partials of partial ``j`` (the error bound's mean-value form), built once; None
        when partial j is a baked constant or a second derivative is over ``MAX_FORM_NODES``."""
        with _LOCK:
            if j not in self._second:
                expr = self.exprs[j]
                try:
                    self._second[j] = None if expr is None else tuple(
                        Form(compact(_bounded(sp.diff(expr, p), f"a second partial of {self.rule.name}")), self.params)
                        for p in self.params)
                except CheckError:       # UnsupportedForm is one too
                    self._second[j] = None
            return self._second[j]


def baked_positions(rule: Rule, arity: int) -> tuple[int, ...]:
    """Arguments of the row that appear inside an exponent of its generic form."""
    key = (rule.name, arity)
    with _LOCK:
        if key not in _BAKED:
            params = arg_symbols(arity)
            form = rule.sympy(sp, *params)
            inside = set()
            for node in sp.preorder_traversal(form):
                if isinstance(node, sp.Pow):
                    inside |= node.exp.free_symbols
            _BAKED[key] = tuple(i for i, p in enumerate(params) if p in inside)
        return _BAKED[key]


def row_forms(rule: Rule, baked: tuple = ()) -> RowForms:
    """The forms of ``rule`` at this arity; ``baked[i]`` is a Fraction to bake in, or None."""
    key = (rule.name, len(baked), baked)
    with _LOCK:
        forms = _FORMS.get(key)
        if forms is None:
            forms = _FORMS[key] = _build(rule, baked)
        return forms


def _build(rule: Rule, baked: tuple) -> RowForms:
    params = arg_symbols(len(baked))
    args = [sp.Rational(b.numerator, b.denominator) if b is not None else p for p, b in zip(params, baked)]
    form = _bounded(rule.sympy(sp, *args), f"the SymPy form of {rule.name}")
    exprs = tuple(None if b is not None else _bounded(sp.diff(form, p), f"a partial of {rule.name}")
                  for p, b in zip(params, baked))
    domain = None if rule.sympy_domain is None else Form(rule.sympy_domain(sp, *params), params)
    partials = tuple(None if e is None else Form(e, params) for e in exprs)
    return RowForms(rule, (rule.name, len(baked), baked), params, Form(form, params), partials, exprs, form, domain)


def boundary(forms: RowForms, j: int, zeros: tuple[int, ...], signs: tuple[int, ...]) -> Form | None:
    """The j-th partial where the arguments ``zeros`` are exactly 0 (``signs``: each argument's
    sign at the point), or None when no fallback applies."""
    key = (forms.key, j, zeros, signs)
    with _LOCK:
        if key in _BOUNDARY:
            return _BOUNDARY[key]
        params = forms.params
        assumed = {p: sp.Symbol(f"_s{i}", **({"positive": True} if s > 0 else {"negative": True}))
                   for i, (p, s) in enumerate(zip(params, signs)) if s != 0 and i not in zeros}
        back = {v: k for k, v in assumed.items()}
        if j in zeros:
            expr = sp.powsimp(forms.exprs[j], force=True)
        else:
            at_zero = forms.form.xreplace(assumed).xreplace({params[i]: sp.Integer(0) for i in zeros})
            expr = sp.diff(at_zero, assumed.get(params[j], params[j])).xreplace(back)
        try:
            found = Form(_bounded(expr, "a boundary partial"), params)
        except UnsupportedForm:
            found = None
        _BOUNDARY[key] = found
        return found


def validate_rules() -> None:
    """Compile every row's form and partials: a SymPy class the evaluator lacks fails here,
    loudly, when the check layer loads. Variadic rows are checked at their least arity."""
    for rule in list(RULES.values()) + list(INTERNAL.values()):
        n = rule.arity
        row_forms(rule, (None,) * n)
