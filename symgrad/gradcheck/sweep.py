"""One exact sweep of a lowered program at a fixed precision: every node's value, local
partials and adjoint as arb balls (``reference`` repeats it at rising precision until it settles).

- ``forward``: a node's value from its row's SymPy form (``gradcheck.row_forms``), its domain and
  float64's range: out of the domain is ``Undefined``, a ball that straddles a boundary
  ``Undetermined``.
- ``partials``: its local partials, one-sided at an exact 0 where the form is undefined there.
- ``sweep``: values forward, then ``reverse``, the chain rule from the output. ``where`` reads only
  its taken branch (``SKIP`` marks the edges no gradient flows through), as backprop does.

Sources: interval arithmetic as in Johansson, "Arb: efficient arbitrary-precision midpoint-radius
interval arithmetic", IEEE Trans. Computers 66 (2017).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from flint import arb

from .balls import DBL_MAX, Undefined, Undetermined, known_sign, with_precision
from .dag import Lowered
from .kinks import at_kink
from .row_forms import boundary, validate_rules
from ..rules.table import RULES, Rule

__all__ = ["Sweep", "sweep", "forward", "partials", "reverse", "SKIP"]

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
    values: list[arb | None]                 # None: see ``unread``
    local: list[list | None]                 # per op node: its partials
    adjoint: list[arb | None]                # d(output)/d(node), None if not a number
    state: list[tuple[str, str] | None]      # (undefined | undetermined, reason) where adjoint is None
    scale: list[float]                       # sum over paths of |products|: the roundoff scale
    kinks: list[int] = field(default_factory=list)   # op nodes exactly at their kink
    failure: tuple[str, int, str] | None = None      # (undefined | undetermined, node, reason)

    def unread(self, i: int) -> bool:
        """Node i has no value, and needs none: only an untaken branch of a where reads it (its
        failure, out of its domain or undecidable, was excused), so nothing there is judged."""
        return self.values[i] is None


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
