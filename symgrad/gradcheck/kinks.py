"""Is a kink row (relu, abs, max's tie, atan2's cut, hypot at 0; ``Rule.kink``) exactly at its
kink, on arb balls? Decided exactly on exact balls, never on their float64 roundings."""

from __future__ import annotations

from flint import arb

from .balls import known_sign
from ..rules.table import Rule

__all__ = ["at_kink"]


class _Possibly:
    """An arb ball in a kink predicate, read as "may be": ``u == 0.0`` is True when the ball
    contains 0. The predicates (relu's ``x == 0.0``, max's ``a == b``, atan2's ``y == 0.0 and
    x < 0.0``, softplus's ``b * x == t``) use only ==, the orderings, negation and products (a ball
    encloses the product's every value) joined by ``and`` (``or`` of such: any may be),
    so True means "may be at the
    kink" and False "certainly not"."""
    __slots__ = ("x",)

    def __init__(self, x: arb) -> None:
        self.x = x

    @staticmethod
    def _ball(other) -> arb:
        return other.x if isinstance(other, _Possibly) else arb(other)

    def __eq__(self, other) -> bool:
        return self.x.overlaps(self._ball(other))

    def __lt__(self, other) -> bool:
        return not bool(self.x >= self._ball(other))

    def __gt__(self, other) -> bool:
        return not bool(self.x <= self._ball(other))

    def __le__(self, other) -> bool:
        return not bool(self.x > self._ball(other))

    def __ge__(self, other) -> bool:
        return not bool(self.x < self._ball(other))

    def __neg__(self) -> "_Possibly":
        return _Possibly(-self.x)

    def __mul__(self, other) -> "_Possibly":      # softplus's switch beta·x == threshold
        return _Possibly(self.x * self._ball(other))

    __rmul__ = __mul__

    __hash__ = None


def at_kink(rule: Rule, args: list[arb]) -> bool | None:
    """Is this kink row exactly at its kink? ``Rule.kink`` is True (kink where the first
    argument is 0) or a predicate over the arguments, evaluated exactly on exact balls (never
    on their float64 roundings: 0.2 + 0.1 is no tie with 0.30000000000000004). None: cannot
    tell here."""
    if not rule.kink:
        return False
    if callable(rule.kink):
        if all(a.is_exact() for a in args):
            return bool(rule.kink(*args))
        return None if rule.kink(*[_Possibly(a) for a in args]) else False
    sign = known_sign(args[0])
    return None if sign is None else sign == 0
