"""One-sided derivatives at a kink or a switch, by forward mode: ``directional`` moves one node
just to one side of the point and reads every kink on the way on the side its arguments move to
(exact, with no finite step), and reports the output's slope and its jump (one-sided limit minus
value) there. The check reads ``kink`` (continuous, two slopes) and ``undefined`` (a jump) from it.
"""

from __future__ import annotations

from flint import arb

from .balls import Undefined, Undetermined, known_sign, with_precision
from .dag import Lowered
from .kinks import at_kink
from .sweep import SKIP, Sweep, _Bad, _WHERE, forward, partials

__all__ = ["directional", "INFINITE_BITS"]


def _span_bits(bits: int, args: list[arb]) -> int:
    """Enough precision to move the smallest argument without losing it next to the largest."""
    sizes = [float(abs(a).lower()) for a in args if float(abs(a).lower()) > 0] or [1.0]
    span = max(1.0, max(sizes)) / min(1.0, min(sizes))
    return bits + 2 * int(span).bit_length() if span < float("inf") else bits + 4200


def directional(low: Lowered, sw: Sweep, start: int, direction: int) -> tuple[arb, arb | None]:
    """d(output) as node ``start`` moves by ``direction``·h, h → 0+, and the output's jump
    (its one-sided limit minus its value; None where it is continuous): forward mode, with each
    node at its kink read just to the side its arguments move to (exact, no finite step).

    The side is a move of 2^(-2·bits) (times the arguments' size) in the tangent's direction,
    computed at 3·bits + 64 bits so that it is never lost to rounding (a tie at 1 as at 0). A
    kink row's value there is compared with its value at the point: a jump (atan2 across its
    branch cut, 2π; a comparison whose sides tie) is carried forward as a one-sided value, and
    the nodes after it read their partials there, so a jump that later cancels (cos of the
    angle) leaves the output continuous. A ``where`` reads the branch its condition takes on
    that side; a node with no value or no slope at the point (sin(x)/x at 0, sqrt'(0)) is read
    on the side too. A slope that grows without bound as the side nears the point (sqrt at 0+)
    is infinite: ±2^INFINITE_BITS, beyond float64 (shown as inf).
    """
    tangent: dict[int, arb] = {start: arb(direction)}
    limit: dict[int, arb] = {}            # one-sided values that differ from the value (a jump)
    dead: dict[int, Exception] = {}       # no value on this side: only an untaken branch may read it
    kinks = set(sw.kinks)
    hi = 3 * sw.bits + 64
    moved_point: list[dict] = []

    def side_values() -> dict[int, "arb | Exception"]:
        if not moved_point:
            moved_point.append(_moved(low, sw, start, direction))
        return moved_point[0]

    for i in range(start + 1, low.root + 1):
        kids = low.kids[i]
        if low.kind[i] != "op" or not any(k in tangent or k in limit or k in dead for k in kids):
            continue
        if low.rule[i] is _WHERE:
            c, a, b = kids
            if c in dead:
                raise dead[c]
            take = a if known_sign(limit.get(c, sw.values[c])) != 0 else b
            if take in dead:
                raise dead[take]
            if take not in limit and sw.values[take] is None:
                raise Undetermined("a branch taken beside the point has no value at it")
            side = limit.get(take, sw.values[take])
            tangent[i] = tangent.get(take, arb(0))
            if sw.values[i] is None:
                limit[i] = side
            elif take in limit or c in limit:   # the branch moves, or the condition switches branch
                # Two branches meeting at a switch are separate computations, each with its ball's
                # own radius (deep ones far above 2^-bits): a gap the balls leave below
                # 2^-(bits/2), far under float64's resolution, is no jump float64 could show.
                gap, size = side - sw.values[i], max(arb(1), abs(side).upper(), key=float)
                if abs(gap) > arb(2) ** (-sw.bits) * size:
                    limit[i] = side
                elif not abs(gap) < arb(2) ** (-(sw.bits // 2)) * size:
                    raise Undetermined("cannot tell whether the value is continuous at the switch")
            continue
        if any(k in dead for k in kids):
            dead[i] = next(dead[k] for k in kids if k in dead)
            continue
        local = sw.local[i]
        if i in kinks or any(k in limit for k in kids) or local is None or any(isinstance(d, _Bad) for d in local):
            with with_precision(_span_bits(hi, [limit.get(k, sw.values[k]) for k in kids])):
                args = [limit.get(k, sw.values[k]) for k in kids]
                if any(a is None for a in args):
                    raise Undetermined("an argument has no value at the point")
                biggest = max((abs(tangent[k]).upper() for k in kids if k in tangent), key=float, default=arb(0))
                sizes = [abs(a).lower() for a in args if abs(a).lower() > 0]
                small = min([arb(1)] + sizes, key=float)     # the step stays far below every argument
                step = arb(2) ** (-2 * sw.bits) * small / biggest if float(biggest) > 0 else arb(0)
                moved = [a + step * tangent[k] if k in tangent else a for k, a in zip(kids, args)]
                higher_order = i in kinks and at_kink(low.rule[i], moved) is not False
                if higher_order:
                    # to first order the arguments do not leave the kink (x³ > 0, x² + x > x at 0):
                    # read them where the point truly moves, higher orders included
                    moved = [_value(side_values(), k) if k in tangent or k in limit else a
                             for k, a in zip(kids, args)]
                try:
                    side = forward(low, i, moved)
                except (Undefined, Undetermined) as err:
                    dead[i] = Undetermined(str(err))
                    continue
                local = partials(low, i, moved)
                steep = _infinite(low, i, args, kids, tangent, step, local, sw.bits)
                if steep:
                    tangent[i] = arb(2) ** INFINITE_BITS * steep
                    if sw.values[i] is not None and i not in limit:
                        continue
                    limit.setdefault(i, side)
                    continue
                scale = arb(2) ** (-sw.bits) * max(arb(1), abs(side).upper(), key=float)
                if sw.values[i] is None:
                    limit[i] = side
                else:
                    gap = side - sw.values[i]
                    small_jump = None if abs(gap) > scale or gap.contains(0) or higher_order else \
                        _small_jump(low, i, args, kids, tangent, step, sw, gap, i in kinks)
                    if abs(gap) > scale:
                        limit[i] = side
                    elif small_jump is not None:
                        limit[i] = small_jump
                    # as at a switch above: the point's value, a ball of its own (ln(1 + e) at
                    # softplus's threshold, not an exact 0 as relu's), may leave a gap of its radius
                    elif not abs(gap) < arb(2) ** (-(sw.bits // 2)) * max(arb(1), abs(side).upper(), key=float):
                        raise Undetermined("cannot tell whether the value is continuous at the kink")
        total = arb(0)
        for k, d in zip(kids, local):
            if k in tangent and d is not SKIP:
                if isinstance(d, _Bad):
                    raise (Undefined if d.state == "undefined" else Undetermined)(d.reason)
                total += d * tangent[k]
        tangent[i] = total
    if low.root in dead:
        raise dead[low.root]
    jump = limit[low.root] - sw.values[low.root] if low.root in limit else None
    return tangent.get(low.root, arb(0)), jump


def _small_jump(low: Lowered, i: int, args: list, kids, tangent: dict, step: arb, sw: Sweep, gap: arb,
                kink: bool) -> arb | None:
    """The one-sided limit of node i where a gap below 2^-bits of the value's size is a jump
    (floor(1e200·x) at 1: 1 next to 1e200), else None. A node at its kink: moved 2^bits times
    closer, a continuous value's gap shrinks (by 2^-bits where it has a slope, 2^(-bits/3) for a
    cube root), a jump's stays. A node that only carries an argument's jump (x·floor(1e300·x)):
    its value at the arguments' one-sided limits, unmoved, differs from its value."""
    with with_precision(_span_bits(3 * sw.bits + 64 + sw.bits, args)):
        nearer = [a + step * arb(2) ** (-sw.bits) * tangent[k] if kink and k in tangent else a
                  for k, a in zip(kids, args)]
        try:
            there = forward(low, i, nearer)
        except (Undefined, Undetermined):
            return None
        again = there - sw.values[i]
        return there if (abs(again) > abs(gap) / 2 if kink else not again.contains(0)) else None


def _value(values: dict, k: int) -> arb:
    found = values[k]
    if isinstance(found, Exception):
        raise Undetermined(f"beside the point: {found}")
    return found


def _moved(low: Lowered, sw: Sweep, start: int, direction: int) -> dict[int, "arb | Exception"]:
    """Every value that node ``start`` reaches, evaluated exactly at the point moved by
    ``direction``·2^(-2·bits) along it (times its size, if below 1): the side a kink is read on
    where the first-order move leaves its arguments at the kink. The precision (5·bits + 64)
    keeps a second- or third-order move (2^(-4·bits), 2^(-6·bits) next to 1) in sight; a ball
    still straddling a condition is an error here, and the one-sided slope then undetermined."""
    bits = 5 * sw.bits + 64
    out: dict[int, arb | Exception] = {}
    with with_precision(bits):
        x = sw.values[start]
        size = min(arb(1), abs(x).lower(), key=float) if float(abs(x).lower()) > 0 else arb(1)
        out[start] = x + direction * arb(2) ** (-2 * sw.bits) * size
        for i in range(start + 1, low.root + 1):
            kids = low.kids[i]
            if low.kind[i] != "op" or not any(k in out for k in kids):
                continue
            args = [out.get(k, sw.values[k]) for k in kids]
            if low.rule[i] is _WHERE:
                c = args[0]
                if isinstance(c, Exception) or c is None or known_sign(c) is None:
                    out[i] = Undetermined("the condition cannot be decided beside the point")
                    continue
                out[i] = args[1] if known_sign(c) != 0 else args[2]
                continue
            bad = next((a for a in args if isinstance(a, Exception) or a is None), False)
            if bad is not False:
                out[i] = bad if bad is not None else Undetermined("an argument has no value at the point")
                continue
            try:
                out[i] = forward(low, i, args)
            except (Undefined, Undetermined) as err:
                out[i] = err
    return out


INFINITE_BITS = 1100       # an infinite one-sided slope is held as ±2^1100: beyond float64, shown as inf


def _infinite(low: Lowered, i: int, args: list, kids, tangent: dict, step: arb, local: list, bits: int) -> int:
    """The sign (±1; 0 if not) of node i's slope along the move where that slope grows without
    bound as the side nears the point: 2^bits times closer, the slope is more than 2^(bits/4) times larger."""
    if not float(step) > 0:
        return 0
    near = [a + step * arb(2) ** (-bits) * tangent[k] if k in tangent else a for k, a in zip(kids, args)]
    closer = partials(low, i, near)
    if any(not isinstance(d, arb) for k, d in zip(kids * 2, local + closer) if k in tangent):
        return 0
    here = sum((d * tangent[k] for k, d in zip(kids, local) if k in tangent), arb(0))
    there = sum((d * tangent[k] for k, d in zip(kids, closer) if k in tangent), arb(0))
    grown = float(abs(there).lower())
    if grown > 1 and grown > float(abs(here).upper()) * 2.0 ** (bits // 4) and known_sign(there) in (1, -1):
        return known_sign(there)
    return 0
