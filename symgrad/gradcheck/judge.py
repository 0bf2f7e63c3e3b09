"""From an exact reference and a float64 gradient to a verdict, one row at a time.

- ``agree``: |g − exact| ≤ float64's own error bound for this graph (``gradcheck.error_bound``) plus
  ``rtol``·|exact| + ``atol`` (defaults 1e-12 and 0: a 1% error is a mismatch at 1e-9 or
  1e-300 as at 1).
- ``mismatch``: farther than that; or no gradient where the exact one exists and float64
  could not have overflowed.
- ``kink``: the name meets a kink exactly and the function is not differentiable there (the
  one-sided slopes differ, or the output jumps: atan2 across its cut); the gradient is one of
  the slopes, between them, or the row's convention (relu'(0) = abs'(0) = 0, max's ½). If the
  output is continuous and the one-sided slopes are equal, the function is differentiable there
  and the gradient must equal that slope (``relu(x) - relu(-x)`` at 0: slope 1, so backprop's 0
  is a mismatch).
- ``undefined``: the exact gradient does not exist here and the gradient checked is absent too,
  or the exact program is undefined (x / sin(pi)) and float64's number is only rounding.
- ``unverified``: anything that cannot be decided (a ball still straddles a boundary at the
  highest precision, float64 overflowed along the way, a number where no exact one exists).

Where float64 rounds a kink's argument onto its kink (exactly 1e-17 but computed as 0; a tie
of max that exists only in float64), the gradient along float64's branches is ``kink``, with a
note; across it, the other side's slope is ``agree``, with a note. An ``agree`` where float64's
own error bound is as large as a nonzero gradient (no digit can be promised), or where no
finite bound exists, is ``unverified`` unless the value is the exact one rounded to float64
(within an ulp, or 2⁻¹⁰⁷⁴): any number would have passed. The exact column shows only a
resolved ball (``_as_float``).
"""

from __future__ import annotations

import math

from flint import arb

from .balls import DBL_MAX, known_sign, with_precision
from .error_bound import TINY
from ..base.errors import SymgradError
from .reference import Reference, resolved
from .sweep import SKIP, partials, reverse
from .report import UNDEFINED, UNVERIFIED, CheckRow

__all__ = ["judge_point", "float_values"]

ILL = 1e-9        # a gradient whose float64 bound exceeds this relative error is ill-conditioned


def float_values(ref: Reference) -> list[float] | None:
    """Every node's float64 value, as backprop computes it (None past a failing node)."""
    low = ref.lowered
    out: list = []
    names = {v: k for k, v in low.named.items() if low.kind[v] == "input"}
    for i, kind in enumerate(low.kind):
        if kind == "input":
            out.append(ref.point[names[i]])
        elif kind in ("literal", "pi"):
            out.append(low.literal[i])
        elif low.rule[i].name == "where":      # only the taken branch, as backprop
            c, a, b = low.kids[i]
            out.append(None if out[c] is None else out[a] if out[c] else out[b])
        elif any(out[k] is None for k in low.kids[i]):
            out.append(None)
        else:
            try:
                value = low.rule[i].forward(*[out[k] for k in low.kids[i]])
            except (SymgradError, ArithmeticError, ValueError):   # DomainError, NumericError, OverflowError
                value = None
            out.append(value if value is not None and math.isfinite(value) else None)
    named = [low.root, *low.named.values()]
    return None if any(out[i] is None for i in named if ref.sweep.values[i] is not None) else out


def _as_float(x: arb, error: float = 0.0) -> float | None:
    """The exact ball rounded to float64 (None beyond float64's range): its midpoint where the
    ball is resolved (``resolved``), 0 where every number in it rounds to 0, else NaN (the
    ball is not resolved: ``_row`` never shows it, nor judges by it)."""
    if not resolved(x):
        return 0.0 if float(abs(x).upper()) < TINY / 2 else math.nan
    value = float(x.mid())
    return value if abs(value) <= DBL_MAX else None


def _exactly(g: float, exact: arb) -> bool:
    """``g`` is the exact value rounded to float64 (within an ulp, or 2⁻¹⁰⁷⁴ below the normal range)."""
    return math.isfinite(g) and bool(abs(arb(g) - exact) <= max(2.0 ** -52 * float(abs(exact).upper()), TINY))


def _other_branch(ref: Reference, fl: list[float] | None) -> tuple[list | None, bool]:
    """Adjoints along float64's branches where float64 rounds a kink row's arguments onto its
    kink or across it, and whether some kink is landed on (then backprop takes the row's
    convention there, as at an exact kink: relu'(0) = abs'(0) = 0, max's ½ at a tie).
    One rule for every kink row: ``abs(x + 1e-17 - 1)`` at x = 1 and ``max(x + 0.1, y)`` at
    x = 0.2, y = 0.30000000000000004 both land on their kink in float64."""
    if fl is None:
        return None, False
    low, sw, b = ref.lowered, ref.sweep, ref.bounds
    local = list(sw.local)
    changed = onto = False
    with with_precision(sw.bits):
        for i, rule in enumerate(low.rule):
            if rule is None or not rule.kink or i in sw.kinks:
                continue
            kids = low.kids[i]
            floats = [fl[k] for k in kids]
            if not all(float(abs(sw.values[k] - arb(f)).upper()) <= b.value[k] for k, f in zip(kids, floats)):
                continue
            if rule.kinked(*floats) if callable(rule.kink) else floats[0] == 0.0:
                local[i] = [arb(c) for c in rule.local(*floats, rule.forward(*floats))]
                changed = onto = True
            elif not callable(rule.kink) and known_sign(sw.values[kids[0]]) != (1 if floats[0] > 0 else -1):
                local[i] = partials(low, i, [arb(f) for f in floats])
                changed = True
        for i, rule in enumerate(low.rule):      # a condition float64 decides the other way: its other branch
            if rule is not None and rule.name == "where" and fl[low.kids[i][0]] is not None:
                c, a, b = low.kids[i]
                take = a if fl[c] else b
                if isinstance(local[i][low.kids[i].index(take)], arb) or not _has_slopes(low, local, take):
                    continue
                local[i] = [arb(1) if k == take else SKIP for k in low.kids[i]]
                changed = True
        return (reverse(low, local)[0] if changed else None), onto


def _has_slopes(low, local: list, start: int) -> bool:
    """Every op node below ``start`` has its local partials (a branch the exact point did not take
    may hold nodes that are not numbers there)."""
    stack, seen = [start], set()
    while stack:
        i = stack.pop()
        if i in seen or low.kind[i] != "op":
            continue
        seen.add(i)
        if local[i] is None or any(not isinstance(d, arb) and d is not SKIP for d in local[i]):
            return False
        stack += [k for k, d in zip(low.kids[i], local[i]) if d is not SKIP]
    return True


def judge_point(ref: Reference, given: dict[str, float | None], k: int, rtol: float, atol: float,
                witness, source: str) -> list[CheckRow]:
    """One row per name in ``given`` (name -> the gradient checked, None if it failed)."""
    if not ref.defined or ref.failure:
        where = f"{ref.failure} at {ref.failure_node}"
        rows = []
        for name, g in given.items():
            if not ref.defined and g is None:
                rows.append(CheckRow(name, None, None, None, UNDEFINED, k, f"the program is undefined here: {where}"))
            elif not ref.defined:   # x / sin(pi): sin(π) is exactly 0, float64's sin(3.141592653589793) is not
                rows.append(CheckRow(name, g, None, None, UNDEFINED, k,
                                     f"the program is undefined here: {where}; {source}'s float64 value "
                                     "exists only through rounding"))
            else:
                rows.append(CheckRow(name, g, None, None, UNVERIFIED, k,
                                     f"cannot decide whether the program is defined here ({where}) even at "
                                     f"{ref.bits} bits"))
        return rows
    fl = float_values(ref)
    alternative, onto = _other_branch(ref, fl)
    # Backprop stops at the first gradient that does not exist or overflows (sqrt'(0)); then the
    # other rows get no number either, and that is explained, not a mismatch.
    blocked = next((f"{name}'s gradient {why}" for name, why in _missing_gradients(ref, given)), None) \
        or _singular_slope(ref)
    return [_row(ref, name, g, k, rtol, atol, witness, source, alternative, blocked, onto) for name, g in given.items()]


def _singular_slope(ref: Reference) -> str | None:
    """A local slope on the graph that is infinite or beyond float64's range (log' at 1e-320,
    cbrt' at 0): backprop stops there, even where the chain multiplies it by 0 later."""
    low, sw = ref.lowered, ref.sweep
    for i, local in enumerate(sw.local):
        for d in local or ():
            if isinstance(d, arb) and float(abs(d).lower()) > DBL_MAX or \
                    not isinstance(d, arb) and getattr(d, "state", "") == "undefined":
                return f"the local slope at {low.where(i)} is infinite or beyond float64's range"
    return None


def _missing_gradients(ref: Reference, given: dict[str, float | None]):
    for name in given:
        state = ref.grad_state.get(name)
        if state is not None and state[0] == "undefined":
            yield name, f"does not exist here ({state[1]})"
        elif state is None and name in ref.grads and _as_float(ref.grads[name], 0.0) is None:
            yield name, "is beyond float64's range"


def _row(ref: Reference, name: str, g: float | None, k: int, rtol: float, atol: float, witness, source: str,
         alternative, blocked: str | None = None, onto: bool = False) -> CheckRow:
    low, sw = ref.lowered, ref.sweep
    i = low.named[name]
    bound = ref.grad_error[name]
    state = ref.grad_state.get(name)
    slopes = ref.slopes.get(name)
    exact = ref.grads.get(name)
    fd, fd_note = (None, "") if slopes is not None or exact is None else witness.slope(name)
    base = dict(name=name, backprop=g, numeric=fd, point=k)
    with with_precision(sw.bits):
        if state is not None:
            kind, why = state
            if kind == "undefined":
                if g is None:
                    return CheckRow(**base, symbolic=None, verdict=UNDEFINED, note=f"the gradient does not exist here: {why}")
                return CheckRow(**base, symbolic=None, verdict=UNVERIFIED,
                                note=f"the exact gradient does not exist here ({why}), but {source} gives a number")
            return CheckRow(**base, symbolic=None, verdict=UNVERIFIED, note=f"undetermined: {why}")
        tol = bound + atol + rtol * float(abs(exact).upper())
        symbolic = _as_float(exact, bound)
        if symbolic is not None and math.isnan(symbolic):
            return CheckRow(**base, symbolic=None, verdict=UNVERIFIED,
                            note=f"the exact gradient is not resolved at {sw.bits} bits (its ball "
                            f"{exact.str(3, radius=True)} is wider than float64 can tell apart)")
        if symbolic is None:
            return CheckRow(**base, symbolic=None, verdict=UNVERIFIED if g is None else "mismatch",
                            note="the exact gradient is beyond float64's range")
        if slopes is not None and not (g is None and blocked is not None):
            return _kink_row(base, exact, slopes, g, tol, bound, source, ref.jumps.get(name), sw.bits)
        if g is None:
            if not bound < DBL_MAX or not math.isfinite(bound):
                return CheckRow(**base, symbolic=symbolic, verdict=UNVERIFIED, tolerance=None,
                                note=f"{source} fails where float64 can overflow on the way; the exact gradient "
                                f"is {symbolic:.6g}")
            if blocked is not None:
                return CheckRow(**base, symbolic=symbolic, verdict=UNVERIFIED,
                                note=f"{source} gives no number at this point because {blocked}; the exact "
                                f"gradient here is {symbolic:.6g}")
            return CheckRow(**base, symbolic=symbolic, verdict="mismatch", note=f"{source} gives no number here")
        if not (tol < DBL_MAX):
            # No finite bound (an error range overflows, or arb cannot enclose it): only the
            # exact value itself, rounded to float64, can be verified; never a nearby number.
            why = ("float64's own error bound is not finite here (an intermediate's error range "
                   "overflows or cannot be enclosed)")
            if _exactly(g, exact):
                return CheckRow(**base, symbolic=symbolic, verdict="agree", error=_compare(g, exact, 0.0)[1],
                                note=f"{why}; {source}'s value is the exact gradient rounded to float64")
            return CheckRow(**base, symbolic=symbolic, verdict=UNVERIFIED, error=_compare(g, exact, 0.0)[1],
                            note=f"{why}, so only the exact gradient {symbolic:.6g} itself could be verified")
        verdict, error, note = _compare(g, exact, tol)
        if verdict == "mismatch" and alternative is not None and alternative[i] is not None \
                and _compare(g, alternative[i], tol)[0] == "agree":
            verdict, note = ("kink", "float64 rounds a kink's argument onto the kink, where backprop takes the "
                             "row's convention; this is the slope along float64's branches") if onto else \
                ("agree", "float64 rounds a kink's argument across the kink; this is its branch's slope")
        digits = _digits(bound, exact)
        if digits == 0 and verdict == "agree" and not exact.contains(0) and not _exactly(g, exact):
            # float64's own error here is as large as the gradient: any number would pass, so none is verified.
            verdict = UNVERIFIED
            note = ("ill-conditioned: float64 can promise no digit of this gradient (its own error bound "
                    f"{bound:.3g} is as large as the exact {symbolic:.6g}), so no float64 value can be verified")
        elif digits is not None and verdict == "agree":
            note = f"ill-conditioned: float64 can promise {digits} digits here" + (f"; {note}" if note else "")
        if fd_note:
            note = (note + "; " if note else "") + f"finite difference: {fd_note}"
        elif fd is not None and abs(fd - symbolic) > 1e-6 * abs(symbolic) + tol:
            note = (note + "; " if note else "") + (f"the finite-difference witness reads {fd:.6g} (it never "
                                                    "decides against the exact reference)")
        return CheckRow(**base, symbolic=symbolic, verdict=verdict, note=note, error=error,
                        tolerance=tol, digits=digits)


def _compare(g: float, exact: arb, tol: float) -> tuple[str, float | None, str]:
    if not math.isfinite(g):
        return "mismatch", None, "not a finite number"
    diff = abs(arb(g) - exact)
    size = float(abs(exact).lower())
    error = float(diff.mid()) / size if size > 0 else float(diff.mid())
    if diff.upper() <= tol:
        return "agree", error, ""
    if diff.lower() > tol:
        return "mismatch", error, ""
    return "agree", error, "within the tolerance to the reference's last bits"


def _digits(bound: float, exact: arb) -> int | None:
    size = float(abs(exact.mid()))
    if size == 0 or bound <= ILL * size:
        return None
    return max(0, int(math.floor(-math.log10(bound / size)))) if bound < size else 0


def _kink_row(base: dict, exact: arb, slopes: tuple, g: float | None, tol: float, bound: float,
              source: str, jumps: tuple | None = None, bits: int = 0) -> CheckRow:
    left, right = slopes
    lf, rf = float(left.mid()), float(right.mid())
    base = dict(base, left=lf, right=rf)
    gap = right - left
    if jumps is not None:   # a jump: no derivative exists, whatever the slopes (one rule for cuts and switches)
        jump = "not continuous here: the output jumps by " + " and ".join(
            f"{float(j.mid()):.6g} on the {side}" for side, j in zip(("left", "right"), jumps) if j is not None)
        return CheckRow(**base, symbolic=None, verdict=UNDEFINED, tolerance=tol,
                        note=f"{jump}, so there is no derivative (one-sided slopes {lf:.6g} and {rf:.6g}; "
                             f"{source} gives {'no number' if g is None else format(g, '.6g')})")
    if math.isinf(lf) and math.isinf(rf):
        return CheckRow(**base, symbolic=None, verdict=UNDEFINED, tolerance=tol,
                        note=f"the slope is infinite on both sides ({lf:.6g}, {rf:.6g}), so there is no derivative")
    # equal to within the side's move (slopes are read 2^(-2·bits) beside the point: an O(2^(-2·bits))
    # difference is the move's, far below 2^(-bits))
    same = max(tol, 2.0 ** -60 * float(abs(right).upper()), 2.0 ** -bits * max(1.0, abs(lf), abs(rf)) if bits else 0.0)
    if not (math.isinf(lf) or math.isinf(rf)) and (gap.contains(0) and float(gap.rad()) <= same or
                                                    bits and float(abs(gap).upper()) <= same):
        # Differentiable here: both sides have the same slope, and the gradient must equal it.
        if g is None:
            return CheckRow(**base, symbolic=rf, verdict="mismatch", note=f"{source} gives no number here")
        verdict, error, _ = _compare(g, right, tol + float(abs(right).upper()) * 2.0 ** -60)
        note = f"differentiable at the kink: both one-sided slopes are {rf:.6g}"
        if verdict == "mismatch":
            note += f"; {source}'s {g:.6g} is a convention artefact (a kink rule's derivative at 0)"
        return CheckRow(**base, symbolic=rf, verdict=verdict, note=note, error=error, tolerance=tol)
    convention = float(exact.mid())
    note = f"not differentiable here: left slope {lf:.6g}, right slope {rf:.6g}; {source} gives " \
           f"{'no number' if g is None else format(g, '.6g')}, the convention gives {convention:.6g}"
    if g is None:
        return CheckRow(**base, symbolic=convention, verdict=UNVERIFIED, note=note)
    lo, hi = min(lf, rf), max(lf, rf)
    fits = lo - tol <= g <= hi + tol or _compare(g, exact, tol)[0] == "agree"
    return CheckRow(**base, symbolic=convention, verdict="kink" if fits else "mismatch", note=note, tolerance=tol)
