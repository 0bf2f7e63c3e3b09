"""A claim and the truth at one point, from the check's exact references: the adapter between
the claims judge (``claims``) and ``reference``, and the comparison of two exact values.

``sample`` evaluates the claim (appended to the program as one more statement) and the truth
(``PartialTruth``: the reference's gradient; ``FormTruth``: a SymPy form such as a local
derivative) at a point; ``equal`` compares two arb balls relatively (``RTOL``) or exactly, at
every magnitude, and ``PartialTruth.compare`` recomputes the references at more bits where the
balls are too wide to tell (an exact 0 against 1e-45). No absolute floor decides equality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..language.ast import Program
from ..base.limits import Limits

__all__ = ["Sample", "sample", "equal", "close", "defined", "sympy_number", "Truth", "PartialTruth", "FormTruth",
           "UNKNOWN", "RTOL", "DIGITS"]

DIGITS = 50               # digits of the SymPy numbers the references are read into
# Claim and truth are both exact (balls far narrower than float64), so they must agree far past
# float64's last digit: |c − t| ≤ RTOL·max(|c|, |t|), relative at every magnitude.
RTOL = 1e-12
DBL_MAX = 1.7976931348623157e308

@dataclass
class Sample:
    """Claim and truth at one point. ``claimed``/``true`` are SymPy Floats, None where undefined;
    ``same`` is whether they are equal (None: not both defined, or not decided)."""
    at: dict[str, float]
    claimed: Any
    true: Any
    env: dict[str, Any]                      # the program's names here, as SymPy Floats
    same: bool | None


def sample(prog: Program, full: Program, fresh: str, at: Mapping[str, float], truth: "Truth",
            limits: Limits, *, given: bool) -> Sample | None:
    """Claim and truth at ``at`` from the check's exact references (``reference``). None for a
    point that is no evidence: outside the program's domain, or where a value is not known (a
    ball that straddles, the claim beyond float64's range only); at the given point these stay,
    with ``same`` None."""
    from .reference import reference
    ref = reference(full, at, limits=limits)
    env = {k: sympy_number(ref.values.get(k)) for k in prog.inputs + prog.intermediates}
    failure = ref.sweep.failure if ref.sweep is not None else None
    if not given and (None in env.values() or failure is not None and
                      (failure[0] == "undetermined" or "overflows" in failure[2])):
        return None
    cball = ref.values.get(fresh) if failure is None else None
    tball = truth.ball(env, at, limits)
    if tball is UNKNOWN:
        if not given:
            return None
        tball = None
    same = None
    if cball is not None and tball is not None:
        same = truth.compare(cball, tball, full, fresh, at, ref.bits, limits)
        if same is None and not given:
            return None
    return Sample(dict(at), sympy_number(cball), sympy_number(tball), env, same)


UNKNOWN = object()                          # a truth not known at this point (undetermined)


def sympy_number(ball: Any) -> Any:
    """An arb ball's midpoint as a SymPy Float (references are known to far better than float64)."""
    if ball is None or not ball.is_finite():
        return None
    import sympy as sp
    return sp.Float(ball.mid().str(DIGITS + 10, radius=False), DIGITS + 10)


def defined(value: Any) -> bool:
    """A finite real number within float64's range (as the references define a value)."""
    return bool(value is not None and value.is_Number and value.is_finite and value.is_real
                and abs(value) <= DBL_MAX)


def equal(c: Any, t: Any) -> bool | None:
    """Two arb balls: equal to ``RTOL`` relative (True), not (False), or not decided at their
    width (None). Relative at every magnitude: no absolute floor makes 1e-45 equal 2e-45 or 0."""
    if c.is_exact() and t.is_exact() and c == t:
        return True
    d = c - t
    top = max(abs(c).upper(), abs(t).upper())
    if d.abs_lower() > RTOL * top:
        return False
    bottom = max(c.abs_lower(), t.abs_lower())
    if d.abs_upper() <= RTOL * bottom:
        return True
    return None


def close(a: Any, b: Any) -> bool:
    """Two SymPy numbers equal to ``RTOL`` relative (for messages and local derivatives)."""
    return a == b or abs(a - b) <= RTOL * max(abs(a), abs(b))




class Truth:
    """What a claim is compared with: its value at a point, and its SymPy form for proofs."""

    def ball(self, env: Mapping[str, Any], point: Mapping[str, float], limits: Limits) -> Any:
        """An arb ball, None where undefined, or UNKNOWN."""
        raise NotImplementedError

    def compare(self, c, t, full, fresh, at, bits, limits) -> bool | None:
        return equal(c, t)

    def form(self) -> Any:
        """The truth in the program's names (intermediates as symbols), or None."""
        return None


class PartialTruth(Truth):
    def __init__(self, program: Program, name: str, limits: Limits) -> None:
        from .symbolic import Partials
        self.program, self.name = program, name
        self.partials = Partials(program, limits=limits)    # closed forms for proofs and messages only

    def ball(self, env, point, limits):
        """d(output)/d(name) from the exact reference (``Reference.grad_state`` says why not)."""
        from .reference import reference
        ref = reference(self.program, point, limits=limits)
        if not ref.defined:
            return None
        state = ref.grad_state.get(self.name)
        if state is not None:
            return None if state[0] == "undefined" else UNKNOWN
        return ref.grads.get(self.name)

    def compare(self, c, t, full, fresh, at, bits, limits):
        """``equal``, at more bits where the references' width leaves it undecided (an exact 0
        against 1e-45), up to ``Limits.max_reference_bits``."""
        from .dag import lowered
        from .reference import LOCK, precisions
        from .sweep import sweep
        found = equal(c, t)
        if found is not None:
            return found
        low_p, low_f = lowered(self.program), lowered(full)
        with LOCK:
            for more in precisions(limits):
                if more <= bits:
                    continue
                sp_, sf = sweep(low_p, at, more), sweep(low_f, at, more)
                if sp_.failure or sf.failure or sp_.state[low_p.named[self.name]] is not None:
                    return None
                found = equal(sf.values[low_f.named[fresh]], sp_.adjoint[low_p.named[self.name]])
                if found is not None:
                    return found
        return None

    def form(self):
        return self.partials.expr(self.name)


class FormTruth(Truth):
    """A truth given as a SymPy form over the program's names (a local derivative)."""

    def __init__(self, form: Any) -> None:
        self._form = form

    def ball(self, env, point, limits):
        from flint import arb
        from .symbolic import symbol
        if any(v is None for v in env.values()):
            return None
        value = self._form.xreplace({symbol(k): v for k, v in env.items()}).evalf(DIGITS)
        return arb(str(value)) if defined(value) else None

    def form(self):
        return self._form
