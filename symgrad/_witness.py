"""The finite-difference witness: a second, independent line of evidence, at high precision.

A central difference (f(x + h) − f(x − h)) / 2h of the program itself, recomputed with arb
balls at the reference's precision, with h = 2^(−bits/4)·max(|x|, 2⁻³⁰). At 200 bits the
step is about 1e-15 relative, so the truncation error (h²·f''') is about 1e-30 and rounding
(2⁻²⁰⁰/h) is negligible: ``sin(1000000*x)`` is resolved, which a float64 step of 1e-6 cannot.

The step never straddles a kink or a branch: the program is first evaluated on the whole
ball [x − h, x + h]; if a branch condition (relu's ``u > 0``) cannot be decided on it, the
witness is not taken (``relu(x)`` at 1e-7 has h ≈ 1e-22, far from the kink, so it is).
The witness never decides a verdict against the exact reference: the check only notes a
disagreement.
"""

from __future__ import annotations

from flint import arb

from ._arb import Undefined, Undetermined, with_precision
from ._fdtape import LinearTape
from ._reference import Reference, forward

__all__ = ["Witness"]


class Witness:
    """Finite differences of a settled reference, one name at a time."""

    def __init__(self, ref: Reference) -> None:
        low, sw = ref.lowered, ref.sweep
        self.ref = ref
        n = low.root + 1
        self.tape = LinearTape([low.rule[i].name if low.kind[i] == "op" else None for i in range(n)],
                               low.kids[:n], list(sw.values[:n]),
                               [(lambda *a, i=i: forward(low, i, list(a))) if low.kind[i] == "op" else None
                                for i in range(n)],
                               set(low.named.values()))

    def slope(self, name: str) -> tuple[float | None, str]:
        """The central difference for ``name`` as a float, or None and why not."""
        low, sw = self.ref.lowered, self.ref.sweep
        start = low.named[name]
        if start > low.root:
            return 0.0, ""
        cone = self.tape.cone(start)
        if low.root not in cone and start != low.root:
            return 0.0, ""          # does not reach the output
        with with_precision(sw.bits):
            x = sw.values[start]
            scale = max(float(abs(x.mid())), 2.0 ** -30)
            h = arb(2) ** (-(sw.bits // 4)) * arb(scale)
            try:
                self.tape.output_with(start, x + arb(0, float(h.upper())), cone, low.root)
                up = self.tape.output_with(start, x + h, cone, low.root)
                down = self.tape.output_with(start, x - h, cone, low.root)
            except Undetermined:
                return None, "not taken (the step would cross a kink, a branch or the edge of the domain)"
            except Undefined:
                return None, "not taken (the step leaves the domain)"
            fd = (up - down) / (2 * h)
        value = float(fd.mid())
        if abs(value) > 1.7976931348623157e308:
            return None, "beyond float64's range"
        return value, ""
