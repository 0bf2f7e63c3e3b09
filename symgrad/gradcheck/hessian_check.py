"""The exact check of second derivatives: every Hessian entry against an exact reference.

For every pair of inputs (a, b), ∂²out/∂a∂b three ways, with the gradient check's verdicts:

- checked: symgrad's float64 Hessian (``engine.second_order``: forward-over-reverse), or the one
  given with ``hessian=``;
- exact: the same forward-over-reverse sweep (``engine.second_order.sweep``) run on arb balls over
  the exact reference's values, partials and adjoints (``gradcheck.reference``), with each row's
  second partials from its SymPy form (``row_forms.RowForms.second``);
- float64's error bound: the sweep run once more on balls that enclose what float64 computes:
  values and adjoints widened by their bounds (``gradcheck.error_bound``), first partials by
  ``local_errors``, second partials evaluated through the very operations the float code runs
  (``rules.second``), each widened by its rounding in the one model (``rules.rounding``), and every
  + and × of the sweep by one rounding. The bound is |that ball − exact|: computed, never guessed.

A kink: where a node sits exactly at its kink (``gradcheck.kinks.at_kink``, as the gradient check
finds them) and depends on a or b, the first derivative jumps there, so ∂²out/∂a∂b is no number
(relu''(0), abs''(0) = 2δ(0)): the entry's verdict is ``kink``, whatever number is checked. An
entry is ``unverified`` where the bound is not finite or no digit can be promised.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import sympy as sp
from flint import arb

from ..base.errors import InputError, NumericError
from ..base.validate import real_number
from ..engine.second_order import sweep, tape
from ..rules.second import Kink, Kit, require_all, second, roundings
from ..rules.rounding import TINY, U
from . import balls as B
from .error_bound import local_errors
from .judge import _compare
from .kinks import at_kink
from .reference import Reference
from .sweep import SKIP, _Bad
from .report import UNDEFINED, UNVERIFIED, CheckRow

__all__ = ["given_hessian", "hessian_rows", "BallKit"]

ILL = 1e-9

require_all()      # every row's second partials derive and compile, or the order-2 check fails to load, loudly


def _upper(x: arb) -> float:
    return float(abs(x).upper()) * (1.0 + 2.0 ** -40)


def _widen(x: arb, k: int) -> arb:
    """x as float64 may hold it after k roundings (Higham §2.2, with gradual underflow)."""
    if not k:
        return x
    return x + arb(0, k * U * _upper(x) + k * TINY)


def _sqrt(x: arb) -> arb:
    s = B.known_sign(x)
    if s == 1:
        return x.sqrt()
    if s == 0:
        return arb(0)
    raise (B.Undefined if s == -1 else B.Undetermined)("square root near 0")


def _less(strict: bool):
    def op(a: arb, b: arb) -> bool:
        s = B.known_sign(b - a)
        if s is None:
            raise B.Undetermined("a branch condition straddles its boundary")
        return s > 0 if strict else s >= 0
    return op


class BallKit(Kit):
    """The float operations of ``rules.second`` on arb balls, each widened by its roundings."""
    undecided = B.Undetermined
    const = staticmethod(arb)
    add = staticmethod(lambda a, b: _widen(a + b, 1))
    mul = staticmethod(lambda a, b: _widen(a * b, 1))
    div = staticmethod(lambda a, b: _widen(a / b, 1))
    sqrt = staticmethod(lambda a: _widen(_sqrt(a), 1))
    pow = staticmethod(lambda b, e: _widen(B._pow(b, e), roundings("pow")))
    abs = staticmethod(abs)
    sign = staticmethod(B._sign)
    heaviside = staticmethod(B._heaviside)
    dirac = staticmethod(B._dirac)
    max = staticmethod(B._max)
    min = staticmethod(B._min)
    less = staticmethod(_less(True))
    less_equal = staticmethod(_less(False))
    equal = staticmethod(lambda a, b: B.known_sign(a - b) == 0 if B.known_sign(a - b) is not None
                         else (_ for _ in ()).throw(B.Undetermined("an equality straddles")))
    union = staticmethod(lambda a, b: a.union(b))

    @staticmethod
    def fn(name: str):
        op = B.TABLE[getattr(sp, name)][1]
        k = roundings(name)
        return lambda *xs: _widen(op(*xs), k)


BALLS = BallKit()


def _ball(x: arb, error: float) -> arb:
    """``x`` widened by ``error``; an untaken branch's node (no value) stays as it is."""
    return x + arb(0, error) if error and isinstance(x, arb) else x


def given_hessian(names: Sequence[str], hessian: Any) -> list[list[float]]:
    """The user's Hessian: n×n numbers (nested sequences or an array) in the order of ``names``,
    or a ``Hessian``. NaN is kept (a mismatch), anything else not a real number is refused."""
    matrix = getattr(hessian, "matrix", hessian)
    if hasattr(matrix, "tolist"):
        matrix = matrix.tolist()
    n = len(names)
    if isinstance(matrix, (str, bytes)) or not hasattr(matrix, "__len__") or len(matrix) != n or any(
            isinstance(r, (str, bytes)) or not hasattr(r, "__len__") or len(r) != n for r in matrix):
        raise InputError(f"hessian must be {n}×{n} numbers, rows and columns in the order of the inputs "
                         f"({', '.join(names)})", hint="give nested lists or a numpy array")
    return [[x if isinstance(x, float) and not math.isfinite(x) else
             real_number(x, f"hessian[{a}][{b}]") for b, x in zip(names, row)] for a, row in zip(names, matrix)]


def _own(ref: Reference) -> list[list[float | None]]:
    """symgrad's float64 Hessian at the point (None where float64 gives no number)."""
    names = ref.program.inputs
    try:
        t = tape(ref.program, ref.point)
    except NumericError:
        return [[None] * len(names) for _ in names]
    cols = []
    for b in names:     # column by column: abs''(0) spoils only the columns that reach it
        try:
            _, dot = sweep(t.kids, t.local, t.second, t.adjoint, t.root, {t.named[b]: 1.0})
            cols.append([dot[t.named[a]] or 0.0 for a in names])
        except NumericError:
            cols.append([math.nan] * len(names))
    return [[cols[j][i] if math.isfinite(cols[j][i]) else None for j in range(len(names))] for i in range(len(names))]


def hessian_rows(ref: Reference, given: list[list[float | None]] | None, k: int, rtol: float, atol: float,
                 source: str) -> list[CheckRow]:
    """One CheckRow per Hessian entry, named "a,b", at point k (call under the reference's LOCK)."""
    names = ref.program.inputs
    checked = given if given is not None else _own(ref)
    rows: list[CheckRow] = []

    def row(a: int, b: int, verdict: str, note: str, exact: float | None = None, **more: Any) -> CheckRow:
        return CheckRow(name=f"{names[a]},{names[b]}", backprop=checked[a][b], symbolic=exact, numeric=None,
                        verdict=verdict, point=k, note=note, **more)

    if not ref.defined or ref.sweep is None or ref.sweep.failure is not None:
        why = ref.failure or "the exact reference is undetermined here"
        verdict = UNDEFINED if not ref.defined else UNVERIFIED
        return [row(a, b, verdict if checked[a][b] is None or verdict == UNVERIFIED else UNVERIFIED,
                    f"{'undefined' if not ref.defined else 'undetermined'}: {why}")
                for a in range(len(names)) for b in range(len(names))]
    low, sw, bd = ref.lowered, ref.sweep, ref.bounds
    reached = low.reached()
    seeds = {name: low.named[name] for name in names}
    with B.with_precision(sw.bits):
        exact, bound, dep, trouble = _columns(low, sw, bd, reached, [seeds[n] for n in names])
    kinks = set(sw.kinks)
    for a in range(len(names)):
        for b in range(len(names)):
            g = checked[a][b]
            near = [i for i in kinks if i in dep[a] or i in dep[b]]
            if near:
                i = near[0]
                if at_kink(low.rule[i], [sw.values[j] for j in low.kids[i]]) is not True:
                    rows.append(row(a, b, UNVERIFIED, f"cannot tell whether {low.where(i)} is exactly at its kink"))
                    continue
                rows.append(row(a, b, "kink", f"{low.where(i)} is exactly at its kink ({low.rule[i].name}): its "
                                f"slope jumps there, so the second derivative is not a number"))
                continue
            if trouble[b] is not None:
                rows.append(row(a, b, UNVERIFIED, trouble[b]))
                continue
            e, tol_f = exact[b][a], bound[b][a]
            ef = float(e.mid())
            if g is None:
                rows.append(row(a, b, "mismatch", f"{source} gives no number here", ef))
                continue
            tol = tol_f + rtol * _upper(e) + atol
            if not math.isfinite(tol_f):
                rows.append(row(a, b, UNVERIFIED, "float64's error bound is not finite here", ef))
                continue
            if not (e.is_exact() or float(e.rad()) <= max(tol_f / 64, 2.0 ** -60 * abs(ef))):
                rows.append(row(a, b, UNVERIFIED, f"the exact value is not resolved at {sw.bits} bits", ef))
                continue
            verdict, error, note = _compare(g, e, tol)
            if verdict == "agree" and tol_f >= ILL * abs(ef) and abs(g - ef) > math.ulp(ef) and tol_f > 0:
                digits = 0 if tol_f >= abs(ef) else int(math.floor(-math.log10(tol_f / abs(ef))))
                if digits == 0:
                    verdict, note = UNVERIFIED, "float64's own error bound is as large as the entry: no digit can be promised"
                else:
                    note = (note + "; " if note else "") + f"ill-conditioned: float64 promises {digits} digits here"
            rows.append(row(a, b, verdict, note, ef, error=error, tolerance=tol))
    return rows


def _columns(low, sw, bd, reached: list[bool], inputs: list[int]):
    """Exact Hessian columns, float64's bound on each entry, which nodes each input reaches, and
    per column a reason it cannot be judged (or None)."""
    n = len(low.kind)
    exact_adj = [sw.adjoint[i] if reached[i] else None for i in range(n)]
    ball_val = [_ball(sw.values[i], bd.value[i]) for i in range(n)]
    ball_adj = [_ball(sw.adjoint[i], bd.grad[i]) if reached[i] and sw.adjoint[i] is not None else None
                for i in range(n)]
    ball_local: list = [None] * n
    exact_h: dict[int, Any] = {}
    ball_h: dict[int, Any] = {}

    def switch(i: int) -> bool:     # a where node: its taken branch passes through, slope 1, curvature 0
        return any(d is SKIP for d in sw.local[i])

    def exact_second(i: int):
        if i not in exact_h and switch(i):
            exact_h[i] = [[None] * len(low.kids[i]) for _ in low.kids[i]]
        if i not in exact_h:
            forms = low.forms_of(i)
            args = [sw.values[k] for k in low.kids[i]]
            if i in sw.kinks:                    # judged by the kink rule, never through this number
                exact_h[i] = [[arb(0)] * len(args) for _ in args]
            else:
                mat = []
                for j in range(len(args)):
                    sec = forms.second(j)
                    if sec is None and forms.partials[j] is not None:
                        raise B.Undetermined(f"a second partial of {low.rule[i].name} is too large to evaluate")
                    mat.append([arb(0) if sec is None or f is None else f.run(args) for f in (sec or [None] * len(args))])
                exact_h[i] = mat
        return exact_h[i]

    def ball_second(i: int):
        if i not in ball_h and switch(i):
            ball_h[i] = [[None] * len(low.kids[i]) for _ in low.kids[i]]
        if i not in ball_h:
            args = tuple(ball_val[k] for k in low.kids[i])
            if i in sw.kinks:
                ball_h[i] = [[arb(0)] * len(args) for _ in args]
            else:
                compiled = second(low.rule[i], len(args)).compiled(BALLS)
                ball_h[i] = [[None if f is None else f(args) for f in line] for line in compiled]
        return ball_h[i]

    for i in range(n):
        if low.kind[i] == "op" and sw.local[i] is not None and switch(i):
            ball_local[i] = [None if d is SKIP else d for d in sw.local[i]]   # the taken branch: exactly 1
        elif low.kind[i] == "op" and sw.local[i] is not None:     # None: an untaken branch's node
            errs = local_errors(low, sw, bd.value, i)
            ball_local[i] = [None if d is SKIP else d if isinstance(d, _Bad) else _ball(d, err)
                             for d, err in zip(sw.local[i], errs)]
    exact_local = [None if not ds else [None if d is SKIP else d for d in ds] for ds in sw.local]
    exact, bound, dep, trouble = [], [], [], []
    for start in inputs:
        try:
            if any(isinstance(d, _Bad) for i in range(n) if sw.local[i] for d in sw.local[i]) or \
                    any(s is not None for s in sw.state):
                raise B.Undetermined("a first partial is not a number here")
            tan, dot = sweep(low.kids, exact_local, exact_second, exact_adj, low.root, {start: arb(1)})
            dep.append({i for i, t in enumerate(tan) if t is not None})
            col = [dot[j] if dot[j] is not None else arb(0) for j in inputs]
            try:
                _, bdot = sweep(low.kids, ball_local, ball_second, ball_adj, low.root, {start: arb(1)},
                                add=BALLS.add, mul=BALLS.mul)
                bounds = [_upper(bdot[j] - e) if bdot[j] is not None else 0.0 for j, e in zip(inputs, col)]
                bounds = [b if math.isfinite(b) else math.inf for b in bounds]
            except (B.Undefined, B.Undetermined, Kink, ArithmeticError):
                bounds = [math.inf] * len(inputs)
            exact.append(col)
            bound.append(bounds)
            trouble.append(None)
        except (B.Undefined, B.Undetermined) as err:
            tan, _ = sweep(low.kids, [[arb(0)] * len(low.kids[i]) for i in range(n)], lambda i: None,
                           exact_adj, low.root, {start: arb(1)}, backward=False)
            dep.append({i for i, t in enumerate(tan) if t is not None})
            exact.append([arb(0)] * len(inputs))
            bound.append([math.inf] * len(inputs))
            trouble.append(f"the exact second derivative is not a number here: {err}")
    return exact, bound, dep, trouble
