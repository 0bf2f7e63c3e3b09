"""Exact references: a program's values and gradients at a point, as arb balls.

``reference(program, point, *, limits) -> Reference`` is the check's oracle, and a small
internal API for other layers (grading evaluates a claimed formula as one more statement
appended to the program, then reads its value here).

How it works, in time linear in the program:

1. The program is lowered to a DAG (the same ``lower`` as the engine: one node per
   operation, a name read twice is one node).
2. Every node's value is computed with python-flint ``arb`` balls from its row's SymPy form
   (``gradcheck.sweep``; the forms from ``gradcheck.row_forms``, differentiated once per row). The program's own domain decides:
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
   come from forward-mode directional derivatives (``gradcheck.one_sided``): the kink's partials are read just to the
   side the argument moves to, so the slope is exact, with no finite step.

Sources: interval arithmetic as in Johansson, "Arb: efficient arbitrary-precision midpoint-radius
interval arithmetic", IEEE Trans. Computers 66 (2017).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from flint import arb

from .balls import Undefined, Undetermined, with_precision
from ..rules.exact import PRECISION_LOCK
from .kinks import at_kink
from ..language.ast import Program
from ..engine.backprop import resolve_point
from ..base.limits import DEFAULT_LIMITS, Limits
from ..language.parser import parse
from .dag import Lowered, lowered
from .error_bound import Bounds, bounds
from .one_sided import directional
from .sweep import Sweep, sweep

__all__ = ["Reference", "reference", "Lowered", "lowered", "at_kink", "LOCK", "resolved"]

LOCK = PRECISION_LOCK   # flint's precision is process-wide: one reference at a time
START_BITS = 200


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
    return all(sw.unread(i) or narrow(sw.values[i], b.value[i], last) for i in named) and \
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

