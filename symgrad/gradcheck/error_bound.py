"""How far can a float64 evaluation of this very graph be from the exact values? A running
error analysis, from the exact values (``gradcheck.reference``), for the check's tolerance.

Forward, node by node: the error of a node's float64 value is at most

    |F(args ± their errors) − F(args)|  +  k·u·|F(args)|  +  max(k, 1)·2⁻¹⁰⁷⁴

where the first term is the range of the row's SymPy form over balls as wide as the
arguments' errors (arb encloses it rigorously: first order where first order holds, the
whole range where it does not, as for ``exp(x*y)`` near 700 or ``sin(x*y)`` near 1e6), the
second the row's own rounding (its ``rules.rounding.Rounding`` record, the one model of it; u = 2⁻⁵³; k = 1 for the correctly rounded + − × ÷ √, more for
library functions and composite forwards), the third underflow, one 2⁻¹⁰⁷⁴ per rounding. A variadic row (``wsum``)
rounds each of its n terms: n·u·Σ|terms|.

Backward, from the output: backprop adds ``local × grad`` into each child. Its error is the
arriving gradient's error times |local|, plus |grad| times the local derivative's error (the
range of the row's partial over the argument error balls, widened by the rounding of
intermediate arguments, plus its own rounding: the second-derivative term), plus the
product's rounding; then the recursive summation of the n terms a child receives adds
(n − 1)·u·Σ|terms| (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §4.2).

The bound is an upper bound on float64's error only: it is not a tolerance for
arbitrarily computed gradients, and where it exceeds 1e-9 relative the check labels the
gradient ill-conditioned and says how many digits float64 can promise.
"""

from __future__ import annotations

import math

from flint import arb

from .balls import Undefined, Undetermined, with_precision
from ..rules.rounding import ROUNDING, TINY, U, argument_error, forward_error, local_error
from ..rules.table import COMPARISONS, CONDITIONS

__all__ = ["Bounds", "bounds", "U", "local_errors"]

SMALLEST_NORMAL = 2.0 ** -1022
_UP = 1.0 + 2.0 ** -40     # rounds a float bound up past the rounding of the bound itself
# Underflow (``rules.rounding.underflow``) matters only where a result is subnormal: gelu's slope
# Φ(x) + x·φ(x) at x = −38 is about 4e-313 and carries a few such losses.


class Bounds:
    """``value[i]``: bound on |float64 value − exact| of node i; ``grad[i]``: the same for
    backprop's gradient d(output)/d(node i). ``inf`` where no bound holds."""

    def __init__(self, value: list[float], grad: list[float]) -> None:
        self.value, self.grad = value, grad


def _upper(x: arb) -> float:
    return float(abs(x).upper()) * _UP


def _widen(x: arb, r: float) -> arb:
    return x + arb(0, r) if r else x


def _spread(form, args: list[arb], errors: list[float], exact: arb, union: bool, slopes=None) -> float:
    """Upper bound of |form(args ± errors) − exact|: the smaller of the form's range over the
    widened balls and the mean-value bound Σ sup|∂form/∂aⱼ|·eⱼ over them (``slopes``: the
    form's partials, or None). Both enclose it; the second has no dependency blow-up where a
    form divides two wide balls (log_sigmoid's e⁻ˣ/(1 + e⁻ˣ) at x = −1e10 widens to 2e-6
    directly, to 1e-4342944809 by the mean value). An argument the form does not read adds
    nothing, even with an infinite error (add's partial 1 next to an overflowing term)."""
    used = form.expr.free_symbols
    errors = [e if p in used else 0.0 for p, e in zip(form.params, errors)]
    if any(math.isinf(e) for e in errors):
        return math.inf
    if not any(errors):
        return 0.0
    widened = [_widen(a, e) for a, e in zip(args, errors)]
    try:
        direct = _upper(form.run(widened, union) - exact)
    except (Undefined, Undetermined):
        direct = math.inf
    if slopes is None or direct <= 2.0 ** -50 * _upper(exact):
        return direct
    try:
        mean = sum(_upper(d.run(widened, True)) * e for d, e in zip(slopes, errors) if e and d is not None)
    except (Undefined, Undetermined):
        return direct
    return min(direct, mean * _UP)


def _representable(x: arb) -> bool:
    """The ball is one float64 number exactly."""
    if not x.is_exact():
        return False
    f = float(x.mid())
    return math.isfinite(f) and bool(arb(f) == x)


def _variadic_size(forms, args: list[arb]) -> float:
    """n·Σ|terms| of a variadic row, the scale of its n roundings: its form over |args|. Where
    that form overflows arb (logsumexp at 1e300: e^1e300), Σ|args| + n bounds it instead
    (|logsumexp| ≤ max|xᵢ| + ln n; wsum's form is linear and never overflows)."""
    try:
        return _upper(forms.value.run([abs(a) for a in args])) * len(args)
    except (Undefined, Undetermined):
        return (sum(_upper(a) for a in args) + len(args)) * len(args)


# Rows whose slope multiplies an intermediate that may underflow by one of their arguments:
# powc/pow's p·x^(p−1) (at 2, −1074 the intermediate 2⁻¹⁰⁷⁵ rounds to 0, then times −1074).
_UNDERFLOW_FACTOR = {"pow": 1, "powc": 1}


def _subnormal(rule, args: list[arb], out: arb, out_error: float, j: int, d: arb) -> float:
    """Absolute error gradual underflow puts in a row's local derivative j (Higham §2.1, with
    gradual underflow): a subnormal slope loses 2⁻¹⁰⁷⁴ per rounding, times any factor applied
    after it (x**y at 2, −1074: y·x^(y−1) rounds 2⁻¹⁰⁷⁵ to 0, then times −1074); and a slope that reads a subnormal value of its node (hypot's x/out at 1e-320)
    moves by as much as that value's error moves it, measured on the row's own float64 slope."""
    slope = _upper(d)
    extra = 0.0
    if slope < SMALLEST_NORMAL and rule.name in _UNDERFLOW_FACTOR:   # 2⁻¹⁰⁷⁴ per rounding, times the factor
        extra = min(slope, max(ROUNDING[rule.name].local, 1) * TINY * _upper(args[_UNDERFLOW_FACTOR[rule.name]]))
    fo = float(out.mid())
    if fo != 0.0 and abs(fo) < SMALLEST_NORMAL:
        floats = [float(a.mid()) for a in args]
        try:
            here = rule.local(*floats, fo)[j]
            moved = rule.local(*floats, math.nextafter(fo, math.inf))[j]
        except (ArithmeticError, ValueError):
            return math.inf
        if math.isfinite(here) and math.isfinite(moved):
            extra += abs(moved - here) * max(1.0, out_error / math.ulp(fo)) * _UP
    return extra


def _taken(low, sw, i: int) -> tuple[int, int]:
    """(condition, taken branch) of where node i (its local partial is 1 at the taken branch)."""
    c = low.kids[i][0]
    take = next(k for k, d in zip(low.kids[i], sw.local[i]) if isinstance(d, arb)) if sw.local else low.kids[i][1]
    return c, take


def _condition_error(low, sw, e: list[float], i: int) -> float:
    """0 where float64 decides condition i as the exact values do, else inf. A comparison: its
    sides' error ranges stay on one side of the tie (or both sides are exact); and, or, not:
    every operand decided so."""
    ks = low.kids[i]
    if low.rule[i].name in COMPARISONS.values():
        slack = e[ks[0]] + e[ks[1]]
        gap = abs(sw.values[ks[0]] - sw.values[ks[1]])
        return 0.0 if slack == 0.0 or bool(gap > slack * _UP) else math.inf
    return 0.0 if all(e[k] == 0.0 for k in ks) else math.inf


def _mul(a: float, b: float) -> float:
    return 0.0 if a == 0.0 or b == 0.0 else a * b   # a zero gradient carries no error, even an infinite one


def bounds(low, sw) -> Bounds:
    """Error bounds for every node of a settled sweep (``gradcheck.sweep.Sweep``)."""
    n = len(low.kind)
    e = [0.0] * n
    with with_precision(sw.bits):
        for i in range(n):
            kind = low.kind[i]
            v = sw.values[i]
            if kind == "pi":
                e[i] = _upper(v - arb(low.literal[i]))     # π rounded to float64
            elif kind == "op" and (v is None or low.rule[i].name == "where"):
                # not a number (only an untaken branch reads it); where: its taken branch's error,
                # unless float64 may decide its condition the other way (then no bound holds)
                c, take = _taken(low, sw, i) if v is not None else (i, i)
                e[i] = e[take] if v is not None and e[c] == 0.0 else math.inf
            elif kind == "op" and low.rule[i].name in CONDITIONS:
                e[i] = _condition_error(low, sw, e, i)
            elif kind == "op":
                rule = low.rule[i]
                forms = low.forms_of(i)
                counts = ROUNDING[rule.name]
                args = [sw.values[k] for k in low.kids[i]]
                spread = _spread(forms.value, args, [e[k] for k in low.kids[i]], v, True, forms.partials)
                size = _variadic_size(forms, args) if rule.variadic else _upper(v)
                if counts.forward <= 1 and not rule.variadic and not any(e[k] for k in low.kids[i]) \
                        and _representable(v):
                    e[i] = 0.0   # a correctly rounded operation on exact floats whose result is a float: exact (x*1.0)
                else:
                    e[i] = (spread + forward_error(counts, size)) * _UP
        grad = _backward(low, sw, e)
    return Bounds(e, grad)


def local_errors(low, sw, e: list[float], i: int) -> list[float]:
    """Bound on |float64 local partial − exact| for each argument j of op node i (its row's
    ``local`` at float64 arguments within ``e`` of the exact ones): the partial's spread over the
    argument errors, its own rounding, gradual underflow. 0 for a baked constant, inf where the
    exact partial is not a number. Read by the backward bound and by the Hessian's."""
    rule = low.rule[i]
    counts = ROUNDING[rule.name]
    forms = low.forms_of(i)
    args = [sw.values[k] for k in low.kids[i]]
    widened = [e[k] + argument_error(counts, _upper(a)) for k, a in zip(low.kids[i], args)]
    kink = i in sw.kinks or bool(rule.kink)
    out = []
    for j, d in enumerate(sw.local[i]):
        form = forms.partials[j]
        if form is None:
            out.append(0.0)
            continue
        if not isinstance(d, arb):
            out.append(math.inf)
            continue
        # A kink row is judged on its exact branch: taking the other branch where float64
        # rounds its argument across the kink is accepted separately (see _check).
        spread = 0.0 if kink else _spread(form, args, widened, d, True, forms.second(j))
        if spread == math.inf and not any(e[k2] for k2 in low.kids[i]):
            spread = 0.0   # exact float64 arguments at a boundary (x**y at x = 0): no spread
        out.append(local_error(counts, _upper(d), spread) + _subnormal(rule, args, sw.values[i], e[i], j, d))
    return out


def _backward(low, sw, e: list[float]) -> list[float]:
    n = len(low.kind)
    err = [0.0] * n
    total = [0.0] * n       # u·Σ |terms| a node's gradient sums (scaled by u: never overflows first)
    count = [0] * n
    final = [math.inf] * n
    final[low.root] = 0.0
    for i in range(low.root, -1, -1):
        if i != low.root:
            summed = (count[i] - 1) * total[i] if count[i] > 1 else 0.0
            final[i] = (err[i] + summed) * _UP if count[i] else 0.0
        g = sw.adjoint[i]
        if low.kind[i] != "op" or g is None:
            if g is None and low.kind[i] == "op":
                for k in low.kids[i]:
                    err[k] = math.inf
            continue
        gm, ge = _upper(g), final[i]
        if gm == 0.0 and ge == 0.0:
            continue
        rule = low.rule[i]
        if rule.name == "where":      # the gradient passes to the taken branch unchanged
            take = _taken(low, sw, i)[1]
            err[take] += ge
            total[take] += U * gm
            count[take] += 1
            continue
        deltas = local_errors(low, sw, e, i)
        for j, (k, d) in enumerate(zip(low.kids[i], sw.local[i])):
            if low.forms_of(i).partials[j] is None:
                continue
            if not isinstance(d, arb):
                err[k] = math.inf
                continue
            dm, delta = _upper(d), deltas[j]
            term = _mul(ge, dm) + _mul(gm + ge, delta) + U * gm * dm + TINY
            err[k] += term
            total[k] += U * gm * dm + U * term
            count[k] += 1
    for i in range(n):
        if i != low.root and final[i] == math.inf and count[i] == 0:
            final[i] = 0.0            # does not reach the output: backprop gives exactly 0
    return final
