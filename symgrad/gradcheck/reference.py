"""Exact references: a program's values and gradients at a point, as arb balls.

``reference(program, point, *, limits) -> Reference`` is the check's oracle, and a small
internal API for other layers (grading evaluates a claimed formula as one more statement
appended to the program, then reads its value here).

How it works, in time linear in the program:

1. The program is lowered to a DAG (the same ``lower`` as the engine: one node per
   operation, a name read twice is one node).
2. Every node's value is computed with python-flint ``arb`` balls from its row's SymPy form
   (``gradcheck.row_forms``: differentiated once per row, cached). The program's own domain decides:
   a statement out of its domain (log of x <= 0, 1/0, sqrt of < 0, a variable power of a
   negative base, a value beyond float64's range) makes the point undefined, whatever a
   simplified closed form would say.
3. The chain rule runs over the DAG from the output, at the same precision, with each
   node's local partials from the row's SymPy partials. It shares nothing with backprop's
   reverse sweep but the graph's shape.
4. Precision starts at 200 bits and doubles, up to ``Limits.max_reference_bits``, until every
   value and gradient is known to far better than float64 (or a ball still straddles a
   boundary: the point, or a gradient, is then *undetermined*, never guessed).
5. Where a kink row (relu, abs; ``Rule.kink``) meets its kink exactly, both one-sided slopes
   come from forward-mode directional derivatives: the kink's partials are read just to the
   side the argument moves to, so the slope is exact, with no finite step.

Sources: interval arithmetic as in Johansson, "Arb: efficient arbitrary-precision midpoint-radius
interval arithmetic", IEEE Trans. Computers 66 (2017).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from flint import arb

from .balls import DBL_MAX, Undefined, Undetermined, known_sign, with_precision
from ..rules.exact import PRECISION_LOCK
from .kinks import at_kink
from ..language.ast import Program
from ..engine.backprop import resolve_point
from .row_forms import boundary, validate_rules
from ..base.limits import DEFAULT_LIMITS, Limits
from ..language.parser import parse
from .dag import Lowered, lowered
from .error_bound import Bounds, bounds
from ..rules.table import RULES, Rule

__all__ = ["Reference", "reference", "Lowered", "lowered", "at_kink", "LOCK", "resolved"]

LOCK = PRECISION_LOCK   # flint's precision is process-wide: one reference at a time
START_BITS = 200

validate_rules()           # a SymPy class the evaluator lacks fails here, when the check loads


def forward(low: Lowered, i: int, args: list[arb]) -> arb:
    """Node i's value from its arguments: the row's form, its domain, float64's range."""
    rule, forms = low.rule[i], low.forms_of(i)
    if forms.domain is not None and not forms.domain.run(args):   # narrower than the form's own
        raise Undefined(rule.why or f"{rule.name} is undefined here")
    try:
        value = forms.value.run(args)
    except Undefined:                    # the form has no value here: say what the row needs, as backprop
        if rule.why:
            raise Undefined(rule.why) from None
        raise
    if abs(value) > DBL_MAX:
        raise Undefined("the value overflows float64 (over 1.8e308)")
    if not abs(value) < DBL_MAX:
        raise Undetermined("the value is at the edge of float64's range")
    return value


class _Bad:
    """A local partial that is not a number here."""
    __slots__ = ("state", "reason")

    def __init__(self, state: str, reason: str) -> None:
        self.state, self.reason = state, reason


def partials(low: Lowered, i: int, args: list[arb]) -> list:
    """Node i's local partials at ``args``: arb balls, or _Bad. One-sided at an exact 0."""
    forms = low.forms_of(i)
    out = []
    for j, form in enumerate(forms.partials):
        if form is None:
            out.append(arb(0))   # a baked constant: no gradient flows to it
            continue
        try:
            out.append(form.run(args))
        except Undetermined as err:
            out.append(_Bad("undetermined", str(err)))
        except Undefined as err:
            out.append(_boundary(forms, j, args) or _Bad("undefined", str(err)))
    return out


def _boundary(forms, j: int, args: list[arb]) -> arb | None:
    signs = [known_sign(a) for a in args]
    zeros = tuple(k for k, s in enumerate(signs) if s == 0)
    if not zeros or None in signs:
        return None
    form = boundary(forms, j, zeros, tuple(signs))
    try:
        return form.run(args) if form is not None else None
    except (Undefined, Undetermined):
        return None


def _convention(rule: Rule, args: list[arb], local: list) -> list:
    """Backprop's slope at a kink where the row's partial is undefined (hypot at (0, 0): 0, as
    abs'(0)); the one-sided slopes decide the verdict there, this is only the convention."""
    floats = [float(a) for a in args]
    slopes = rule.local(*floats, rule.forward(*floats))
    return [arb(c) if isinstance(d, _Bad) else d for c, d in zip(slopes, local)]


@dataclass
class Sweep:
    """Everything known at one precision."""
    bits: int
    values: list[arb | None]
    local: list[list | None]                 # per op node: its partials
    adjoint: list[arb | None]                # d(output)/d(node), None if not a number
    state: list[tuple[str, str] | None]      # (undefined | undetermined, reason) where adjoint is None
    scale: list[float]                       # sum over paths of |products|: the roundoff scale
    kinks: list[int] = field(default_factory=list)   # op nodes exactly at their kink
    failure: tuple[str, int, str] | None = None      # (undefined | undetermined, node, reason)


def sweep(low: Lowered, point: Mapping[str, float], bits: int) -> Sweep:
    """Values, local partials and adjoints of every node at ``bits`` of precision.

    ``where`` reads only its taken branch: a node that fails (out of its domain, or undecidable)
    is not a number (None), and the failure is the point's only where something other than an
    untaken branch reads it, as in backprop (``engine.backprop.build_graph``)."""
    n = len(low.kind)
    values: list = [None] * n
    failed: dict[int, int] = {}          # node -> the node whose failure it carries
    excused: set[int] = set()            # failures only an untaken branch reads
    reasons: dict[int, tuple[str, str]] = {}
    with with_precision(bits):
        names = {v: k for k, v in low.named.items() if low.kind[v] == "input"}
        for i in range(n):
            kind = low.kind[i]
            if kind == "input":
                values[i] = arb(point[names[i]])
            elif kind == "literal":
                values[i] = arb(low.literal[i])
            elif kind == "pi":
                values[i] = arb.pi()
            elif low.rule[i] is _WHERE:
                c, take, drop = _branches(low, values, i)
                if c in failed:
                    return _failed(bits, values, failed[c], reasons)
                if drop in failed:
                    excused.add(failed[drop])
                if take in failed:
                    return _failed(bits, values, failed[take], reasons)
                values[i] = values[take]
            elif any(k in failed for k in low.kids[i]):
                failed[i] = next(failed[k] for k in low.kids[i] if k in failed)
            else:
                try:
                    values[i] = forward(low, i, [values[k] for k in low.kids[i]])
                    if values[i].contains(0) and not values[i].is_exact() and low.exactly_zero(i):
                        values[i] = arb(0)      # sin(π): exactly 0, which no ball can show
                except Undefined as err:
                    failed[i], reasons[i] = i, ("undefined", str(err))
                except Undetermined as err:
                    failed[i], reasons[i] = i, ("undetermined", str(err))
                if i in failed and not low.lazy:
                    return _failed(bits, values, i, reasons)
        for i in (low.root, *low.named.values()):
            if i in failed and (i == low.root or failed[i] not in excused):
                return _failed(bits, values, failed[i], reasons)
        local: list = [None] * n
        kinks = []
        live = _live(low, values)
        for i in range(n):
            if low.kind[i] == "op" and i not in failed:
                args = [values[k] for k in low.kids[i]]
                if low.rule[i] is _WHERE:
                    take = _branches(low, values, i)[1]
                    local[i] = [arb(1) if k == take else SKIP for k in low.kids[i]]
                    continue
                local[i] = partials(low, i, args)
                if i in live and low.rule[i].kink and at_kink(low.rule[i], args) is not False:
                    kinks.append(i)
                    if any(isinstance(d, _Bad) for d in local[i]) and at_kink(low.rule[i], args):
                        local[i] = _convention(low.rule[i], args, local[i])
        adjoint, state, scale = reverse(low, local)
    return Sweep(bits, values, local, adjoint, state, scale, kinks)


_WHERE = RULES["where"]
SKIP = object()    # where's edge to its condition and to its untaken branch: no gradient flows there


def _branches(low: Lowered, values: list, i: int) -> tuple[int, int, int]:
    """(condition, taken branch, untaken branch) of where node i; the condition is 1 or 0 exactly."""
    c, a, b = low.kids[i]
    if values[c] is None:
        return c, a, b
    return (c, a, b) if known_sign(values[c]) != 0 else (c, b, a)


def _failed(bits: int, values: list, i: int, reasons: dict) -> Sweep:
    kind, why = reasons[i]
    return Sweep(bits, values, [], [], [], [], failure=(kind, i, why))


def _live(low: Lowered, values: list) -> set[int]:
    """Nodes the output's value reads: a where reads its condition and its taken branch."""
    seen, stack = {low.root}, [low.root]
    while stack:
        i = stack.pop()
        kids = low.kids[i]
        if low.rule[i] is _WHERE:
            kids = _branches(low, values, i)[:2]
        for k in kids:
            if k not in seen:
                seen.add(k)
                stack.append(k)
    return seen


def reverse(low: Lowered, local: list) -> tuple[list, list, list[float]]:
    """The chain rule from the output back over the DAG (reverse topological order)."""
    n = len(low.kind)
    adjoint: list = [None] * n
    state: list = [None] * n
    scale = [0.0] * n
    reached = [False] * n
    adjoint[low.root], scale[low.root], reached[low.root] = arb(1), 1.0, True
    for i in range(low.root, -1, -1):
        if not reached[i] or low.kind[i] != "op":
            continue
        g, bad = adjoint[i], state[i]
        for k, d in zip(low.kids[i], local[i]):
            if d is SKIP:
                continue
            if not reached[k]:
                reached[k], adjoint[k] = True, arb(0)
            contribution = None
            if bad is not None:        # the gradient arriving here is not a number
                nonzero = not isinstance(d, _Bad) and known_sign(d) not in (0, None)
                contribution = bad if nonzero else ("undetermined", bad[1])
            elif isinstance(d, _Bad):  # the local partial is not a number
                nonzero = known_sign(g) not in (0, None)
                contribution = (d.state if nonzero else "undetermined", d.reason)
            if contribution is None:
                if state[k] is None:
                    adjoint[k] = adjoint[k] + g * d
                    scale[k] += scale[i] * float(abs(d).upper())
                continue
            if state[k] is not None:   # two paths that are not numbers may cancel: cannot tell
                contribution = ("undetermined", contribution[1])
            state[k], adjoint[k] = contribution, None
    for i in range(n):
        if not reached[i]:
            adjoint[i] = arb(0)   # does not reach the output
    return adjoint, state, scale


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
                    if abs(gap) > scale:
                        limit[i] = side
                    elif not abs(gap) < scale * 4:
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


INFINITE_BITS = 1100       # an infinite one-sided slope is held as ±2^1100: beyond float64, shown as inf


def _infinite(low: Lowered, i: int, args: list, kids, tangent: dict, step: arb, local: list, bits: int) -> int:
    """The sign (±1; 0 if not) of node i's slope along the move where it node i's slope along the move grows without bound as the side
    nears the point: 2^bits times closer, the slope is more than 2^(bits/4) times larger."""
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


@dataclass
class Reference:
    """Exact values and gradients of a program at a point.

    ``defined`` is False when a statement is out of its domain (``failure`` says why and
    ``failure_node`` where); ``determined`` is False when a ball still straddles a boundary at
    ``max_reference_bits``. ``values[name]`` (inputs, intermediates and ``output``) and
    ``grads[name]`` (d output / d name, holding name independent) are arb balls; a gradient
    that is not a number is None, with ``grad_state[name]`` ("undefined" or "undetermined",
    reason). ``slopes[name]`` is (left, right) where the name meets a kink exactly.
    ``value_error[name]`` / ``grad_error[name]`` bound how far a float64 evaluation of this
    graph (backprop) can be from the exact value / gradient (``gradcheck.error_bound``).
    """
    program: Program
    point: dict[str, float]
    bits: int
    defined: bool
    determined: bool
    failure: str = ""
    failure_node: str = ""
    values: dict[str, arb] = field(default_factory=dict)
    grads: dict[str, arb | None] = field(default_factory=dict)
    grad_state: dict[str, tuple[str, str]] = field(default_factory=dict)
    slopes: dict[str, tuple[arb, arb] | None] = field(default_factory=dict)
    jumps: dict[str, tuple[arb | None, arb | None]] = field(default_factory=dict)   # (left, right) limit − value
    value_error: dict[str, float] = field(default_factory=dict)
    grad_error: dict[str, float] = field(default_factory=dict)
    bounds: Bounds | None = field(default=None, repr=False)
    sweep: Sweep | None = field(default=None, repr=False)
    lowered: Lowered | None = field(default=None, repr=False)

    @property
    def value(self) -> arb | None:
        return self.values.get("output")

    def float(self, name: str) -> float | None:
        """``values[name]`` rounded to float64 (None when not a number)."""
        v = self.values.get(name)
        return None if v is None else float(v.mid())


def resolved(x: arb) -> bool:
    """Known far better than float64 can tell: exact, or to 2⁻⁶⁰ relative."""
    return x.is_exact() or float(x.rad()) <= 2.0 ** -60 * float(abs(x.mid()))


def narrow(x: arb, error: float, last: bool = True) -> bool:
    """Resolved, or (at the last precision only) to 1/64 of the error float64 may make here,
    so that a 0 no ball can prove (``x*(sin(y)^2 + cos(y)^2 - 1)``) settles. Before the last
    precision a ball that is merely narrow next to a huge error bound (``x*s + x*q - x*s`` at
    s = 1e100: 5 ± 6e39 next to 1e85) is refined, never shown as if resolved."""
    return resolved(x) or (last and float(x.rad()) <= error / 64)


def _settled(low: Lowered, sw: Sweep, b: Bounds | None, last: bool) -> bool:
    if sw.failure is not None:
        return sw.failure[0] == "undefined"
    if any(s is not None and s[0] == "undetermined" for s in sw.state):
        return False
    named = list(low.named.values()) + [low.root]
    # an intermediate only an untaken branch reads has no value (None): nothing to settle
    return all(sw.values[i] is None or narrow(sw.values[i], b.value[i], last) for i in named) and \
        all(sw.adjoint[i] is None or narrow(sw.adjoint[i], b.grad[i], last) for i in named)


def precisions(limits: Limits):
    bits = START_BITS
    while bits < limits.max_reference_bits:
        yield bits
        bits *= 2
    yield limits.max_reference_bits


def reference(program: "Program | str", point: Mapping[str, float] | None = None, *,
              limits: Limits | None = None, **kw: float) -> Reference:
    """The exact values and gradients of ``program`` at ``point`` (see ``Reference``).

    Raises ParseError/LimitError for the program and InputError for the point, like backprop.
    """
    limits = limits or DEFAULT_LIMITS
    prog = parse(program, limits=limits)
    at = resolve_point(prog, point, kw)
    low = lowered(prog)
    with LOCK:
        for bits in precisions(limits):
            sw = sweep(low, at, bits)
            b = bounds(low, sw) if sw.failure is None else None
            if _settled(low, sw, b, bits >= limits.max_reference_bits):
                break
        return _package(low, sw, b, at)


def _package(low: Lowered, sw: Sweep, b: Bounds | None, at: dict[str, float]) -> Reference:
    prog = low.program
    names = prog.inputs + prog.intermediates
    if sw.failure is not None:
        kind, i, why = sw.failure
        return Reference(prog, at, sw.bits, kind != "undefined", False, why, low.where(i),
                         {name: sw.values[low.named[name]] for name in names
                          if sw.values[low.named[name]] is not None}, sweep=sw, lowered=low)
    ref = Reference(prog, at, sw.bits, True, True, sweep=sw, lowered=low, bounds=b)
    ref.values = {name: sw.values[low.named[name]] for name in names}
    ref.values["output"] = sw.values[low.root]
    ref.value_error = {name: b.value[low.named[name]] for name in names}
    ref.value_error["output"] = b.value[low.root]
    ref.grad_error = {name: b.grad[low.named[name]] for name in names}
    upstream = _upstream(low, sw.kinks)
    with with_precision(sw.bits):
        for name in names:
            i = low.named[name]
            ref.grads[name] = sw.adjoint[i]
            if sw.state[i] is not None:
                ref.grad_state[name] = sw.state[i]
                ref.grads[name] = None
            elif sw.adjoint[i] is not None and not narrow(sw.adjoint[i], b.grad[i]):
                ref.grad_state[name] = ("undetermined", "the gradient is not known to float64's precision "
                                        f"at {sw.bits} bits")
            if i in upstream:
                try:
                    (left, left_jump), (right, right_jump) = directional(low, sw, i, -1), directional(low, sw, i, 1)
                    ref.slopes[name] = (-left, right)
                    if left_jump is not None or right_jump is not None:
                        ref.jumps[name] = (left_jump, right_jump)
                except (Undefined, Undetermined) as err:
                    ref.slopes[name] = None
                    ref.grad_state[name] = ("undetermined", f"a one-sided slope at a kink: {err}")
    ref.determined = not any(s[0] == "undetermined" for s in ref.grad_state.values())
    return ref


def _upstream(low: Lowered, kinks: list[int]) -> set[int]:
    """Nodes whose change reaches a node that sits exactly at its kink."""
    seen: set[int] = set()
    stack = list(kinks)
    while stack:
        for k in low.kids[stack.pop()]:
            if k not in seen:
                seen.add(k)
                stack.append(k)
    return seen

