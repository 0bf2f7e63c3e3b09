"""``Frac``: an upper bound on a rational that SymPy may build by combining a program's numbers
(summing like terms' coefficients, adding exponents), in digits and magnitude (``exact_size``).

Sources: for rationals ``a_i = p_i/q_i``, ``Σ a_i`` has a denominator dividing ``Π q_i`` and a
numerator of at most ``Π q_i · Σ |a_i|``; ``Π a_i`` has at most the summed digits; ``a^k`` (an
integer ``k``) ``|k|`` times the digits, and a root no more than ``a``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Frac", "ONE", "LOG2", "within"]

LOG2 = math.log10(2.0)


@dataclass(frozen=True)
class Frac:
    """An upper bound on a rational SymPy may build by combining numbers: ``num`` and ``den``
    digits (log10) and ``mag``, log10 of its largest absolute value, so that a sum of many small
    fractions (``1/9001 + 1/9007 + …``: its denominator is their product, its numerator nearly as
    long) is bounded by its denominators and its size, and ``1 + 1 + … + 1`` stays small."""
    num: float
    den: float
    mag: float

    @property
    def digits(self) -> float:          # the numerator has at most log10|value| + den digits
        return self.den + max(0.0, min(self.num, self.mag + self.den))

    def plus(self, other: "Frac", alike: bool = False) -> "Frac":
        """A sum: over the product of the denominators (over one of them, if the terms are alike)."""
        den = max(self.den, other.den) if alike else self.den + other.den
        hi, lo = max(self.mag, other.mag), min(self.mag, other.mag)
        mag = hi + math.log10(1.0 + 10.0 ** (lo - hi)) if lo > -math.inf else hi
        return Frac(max(self.num + other.den, other.num + self.den) + LOG2, den, mag)

    def times(self, other: "Frac") -> "Frac":
        return Frac(self.num + other.num, self.den + other.den, self.mag + other.mag)

    def power(self, e: float) -> "Frac":
        """Raised to an exact exponent ``e``: an integer's digits times ``|e|``; a root's no more."""
        k = max(1.0, abs(e))
        num, den, mag = (self.num, self.den, self.mag) if e >= 0 else (self.den, self.num, self.den)
        mag = mag if float(e).is_integer() else max(mag, 0.0)
        return Frac(_scale(k, num), _scale(k, den), _scale(k, mag))

    def widest(self, other: "Frac | None") -> "Frac":
        if other is None:
            return self
        return Frac(max(self.num, other.num), max(self.den, other.den), max(self.mag, other.mag))


ONE = Frac(0.0, 0.0, 0.0)


def _scale(k: float, digits: float) -> float:
    return 0.0 if digits == 0.0 else k * digits   # 1^inf is 1, not nan


def within(digits: float) -> Frac:
    """A rational of at most ``digits`` digits, split unknown between numerator and denominator."""
    return Frac(digits, digits, digits)
