"""The finite-difference witness: a second, independent line of evidence, at high precision.

A central difference (f(x + h) - f(x - h)) / 2h of the program itself, recomputed with arb
balls at the reference's precision, with h = 2^(-bits/2)·|x| (2^(-bits/2 - 30) at x = 0). At 200 bits the
step is about 1e-30 relative, so the truncation error (h² times the third derivative) and the
rounding (2^-200/h) are both about 1e-30 relative: ``sin(1000000*x)`` is resolved, which a
float64 step of 1e-6 cannot.

The step never straddles a kink or a branch: the program is first evaluated on the whole
ball [x - h, x + h]; if a branch condition (relu's ``u > 0``) cannot be decided on it, or a
kink row's argument (abs's) may be 0 in it, the witness is not taken (``relu(x)`` at 1e-7 has
h of about 1e-37, far from the kink, so it is).

The witness never decides a verdict against the exact reference: the check only notes a
disagreement. Its work is bounded by structure: all witnesses of one point together
recompute at most ``WORK_PER_NODE`` × (program size) nodes at high precision, names nearest
the output first (a long chain of named statements would otherwise cost its length squared).
Past that bound a row gets the old float64 central difference (step 1e-6·max(1, |x|)) on the
same graph, about 30× cheaper, and its note says so; past ``FLOAT_WORK_PER_NODE`` × (size)
float64 evaluations, the witness is not taken.
"""

from __future__ import annotations

import math

from flint import arb

from .balls import DBL_MAX, Undefined, Undetermined, with_precision
from ..engine.fd_tape import LinearTape
from .kinks import at_kink
from .reference import Reference
from .sweep import forward

__all__ = ["Witness"]

WORK_PER_NODE = 8          # high-precision node evaluations per program node
FLOAT_WORK_PER_NODE = 256  # float64 node evaluations per program node, once those are spent
FLOAT_STEP = 1e-6


class Witness:
    """Finite differences of a settled reference, one name at a time."""

    def __init__(self, ref: Reference) -> None:
        low, sw = ref.lowered, ref.sweep
        self.ref = ref
        n = low.root + 1
        self.tape = LinearTape([low.rule[i].name if low.kind[i] == "op" else None for i in range(n)],
                               low.kids[:n], list(sw.values[:n]),
                               [(lambda *a, i=i: self._forward(i, list(a))) if low.kind[i] == "op" else None
                                for i in range(n)],
                               set(low.named.values()))
        self.guard = False      # True on the ball pass: a kink inside the step stops the witness
        self.budget = WORK_PER_NODE * n
        self.floats = None      # the float64 tape, built when the budget runs out
        self.float_budget = FLOAT_WORK_PER_NODE * n
        self.found: dict[str, tuple[float | None, str]] = {}
        for name in reversed(ref.program.inputs + ref.program.intermediates):   # nearest the output first
            self.found[name] = self._slope(name)

    def _forward(self, i: int, args: list):
        low = self.ref.lowered
        if self.guard and low.rule[i].kink and at_kink(low.rule[i], args) is not False:
            raise Undetermined("a kink inside the step")
        return forward(low, i, args)

    def slope(self, name: str) -> tuple[float | None, str]:
        """The central difference for ``name`` as a float, or None and why not."""
        return self.found[name]

    def _float_slope(self, start: int) -> tuple[float | None, str]:
        from ..base.errors import NumericError
        from .judge import float_values
        low = self.ref.lowered
        if self.floats is None:
            values = float_values(self.ref)
            if values is None:
                return None, "not taken (float64 fails at this point)"
            n = low.root + 1
            self.floats = LinearTape([low.rule[i].name if low.kind[i] == "op" else None for i in range(n)],
                                     low.kids[:n], values[:n],
                                     [low.rule[i].forward if low.kind[i] == "op" else None for i in range(n)],
                                     set(low.named.values()))
        x = self.floats.data[start]
        step = FLOAT_STEP * max(1.0, abs(x))
        cone = self.floats.cone(start, self.float_budget / 2)
        if cone is None:
            self.float_budget = 0
            return None, "not taken (its work bound, linear in the program, is spent)"
        self.float_budget -= 2 * len(cone) + 1
        try:
            fd = (self.floats.output_with(start, x + step, cone, low.root)
                  - self.floats.output_with(start, x - step, cone, low.root)) / (2 * step)
        except (ArithmeticError, NumericError):
            return None, "not taken (a float64 step leaves the domain)"
        note = "float64 step 1e-6 (the high-precision witness's work bound is spent)"
        return (fd, note) if abs(fd) <= DBL_MAX else (None, "beyond float64's range")

    def _slope(self, name: str) -> tuple[float | None, str]:
        low, sw = self.ref.lowered, self.ref.sweep
        start = low.named[name]
        if start > low.root:
            return 0.0, ""
        cone = self.tape.cone(start, self.budget / 3)
        if cone is None:
            self.budget = 0
            return self._float_slope(start)
        self.budget -= 3 * len(cone) + 1
        if low.root not in cone and start != low.root:
            return 0.0, ""          # does not reach the output
        if sw.unread(start):
            return None, "no value here: only an untaken branch of a where reads it"
        with with_precision(sw.bits):
            x = sw.values[start]
            size = float(abs(x.mid()))
            h = arb(2) ** (-(sw.bits // 2)) * arb(size if size > 0 else 2.0 ** -30)   # relative: 1e-320 too
            try:
                self.guard = True
                self.tape.output_with(start, x + arb(0, float(h.upper())), cone, low.root)
                self.guard = False
                up = self.tape.output_with(start, x + h, cone, low.root)
                down = self.tape.output_with(start, x - h, cone, low.root)
            except Undetermined:
                return None, "not taken (the step would cross a kink, a branch or the edge of the domain)"
            except Undefined:
                return None, "not taken (the step leaves the domain)"
            finally:
                self.guard = False
            fd = (up - down) / (2 * h)
        return _digits_it_has(fd)


def _digits_it_has(fd: arb) -> tuple[float | None, str]:
    """The difference quotient rounded to the digits its ball has (``k*cosh(x) + c`` at
    x = 710.4: the output's rounding, 1e248, over a step of 1e-29, leaves no digit of d/dc)."""
    mid, rad = float(fd.mid()), float(fd.rad())
    if abs(mid) > DBL_MAX:
        return None, "beyond float64's range"
    if rad == 0.0 or rad <= 2.0 ** -60 * abs(mid):
        return mid, ""
    if rad < abs(mid) / 10:
        digits = int(math.floor(-math.log10(rad / abs(mid))))
        return float(f"{mid:.{digits}g}"), f"known to {digits} digits"
    if float(abs(fd).upper()) < 2.0 ** -1075:
        return 0.0, ""
    if fd.contains(0) and rad < 2.0 ** -64:   # an exact zero, seen through the witness's own rounding
        return 0.0, f"0 to within ±{rad:.0e}"
    return None, "no digit at this precision (the output's rounding swamps the step)"
