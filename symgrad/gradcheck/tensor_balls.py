"""Ball-arithmetic namespaces for the tensor rules: the exact reference and float64's error envelope.

The tensor rules (``rules.tensor_ops``) compute through an array namespace ``xp``. Two namespaces
here run them over numpy object arrays of python-flint ``arb`` balls:

- ``Exact``: every value and gradient as a ball around the exact real number (the elementwise
  rows through their SymPy forms and partials, ``gradcheck.row_forms``, as the scalar reference);
- ``Envelope``: the same computation, with each float64 rounding of the float64 backprop added to the
  balls by the one rounding model (``rules.rounding``): a correctly rounded + − × ÷ moves a result by
  at most u·|result| (+ 2⁻¹⁰⁷⁴ below the normal range); a row's forward and local derivative by their
  ``ROUNDING`` counts (its local's arguments widened by its argument count first); a sum or a matrix
  product of k terms, in any order numpy or BLAS picks, by γₖ·Σ|terms| with γₖ = k·u/(1 − k·u)
  (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1, §3.5). So an Envelope
  ball holds every value the float64 backprop of this program may return under that model, and the
  exact value too; the distance from the exact value to the envelope's far edge is float64's error
  bound, element by element.

A max over a dim picks the element with the largest midpoint; where another element's ball reaches
it, the pick is a tie the check reports as a kink (``ties``). A ball that straddles a row's domain
boundary raises ``Undetermined``; one certainly outside raises ``Undefined`` (``gradcheck.balls``).
"""

from __future__ import annotations

import operator
from fractions import Fraction

import numpy as np
from flint import arb, arb_mat

from .balls import Undefined, Undetermined
from .row_forms import bakeable, baked_positions, row_forms
from ..rules.rounding import ROUNDING, SLACK, TINY, U, Rounding, argument_error
from ..rules.table import RULES
from ..rules.tensor_elementwise import ARRAY_SAFE

__all__ = ["Exact", "Envelope", "Rounded", "to_arb", "upper"]

_DEFAULT = Rounding()


def upper(x: arb) -> float:
    """An upper bound on |x| as a float (rounded up through ``SLACK``)."""
    return float(abs(x).upper()) * SLACK


def _inflate(b: arb, r: float) -> arb:
    return b + arb(0, r) if r else b


class Rounded:
    """A ball that holds a float64 value: each + − × ÷ adds one rounding, u·|result| + 2⁻¹⁰⁷⁴."""
    __slots__ = ("b",)

    def __init__(self, b: arb) -> None:
        self.b = b

    @staticmethod
    def _round(b: arb) -> "Rounded":
        if b.is_zero():     # every operand pair's exact result is 0: representable, so returned exactly
            return Rounded(b)
        return Rounded(_inflate(b, U * upper(b) + TINY))

    def __add__(self, o): return Rounded._round(self.b + to_arb(o))
    def __radd__(self, o): return Rounded._round(to_arb(o) + self.b)
    def __sub__(self, o): return Rounded._round(self.b - to_arb(o))
    def __rsub__(self, o): return Rounded._round(to_arb(o) - self.b)
    def __mul__(self, o): return Rounded._round(self.b * to_arb(o))
    def __rmul__(self, o): return Rounded._round(to_arb(o) * self.b)
    def __truediv__(self, o): return Rounded._round(_divide(self.b, to_arb(o)))
    def __rtruediv__(self, o): return Rounded._round(_divide(to_arb(o), self.b))
    def __neg__(self): return Rounded(-self.b)
    def __pos__(self): return self

    def __repr__(self) -> str:
        return f"Rounded({self.b})"


def _divide(a: arb, b: arb) -> arb:
    if b == 0:
        raise Undefined("division by zero")
    if 0 in b:
        raise Undetermined("a divisor's ball holds 0")
    return a / b


def to_arb(x) -> arb:
    """A number, a ball or a Rounded ball as an arb (integers and floats exactly)."""
    if isinstance(x, arb):
        return x
    if isinstance(x, Rounded):
        return x.b
    if isinstance(x, (int, np.integer)):
        return arb(int(x))
    return arb(float(x))


_TO_ARB = np.frompyfunc(to_arb, 1, 1)
_UPPER = np.frompyfunc(upper, 1, 1)
_MID = np.frompyfunc(lambda b: float(b.mid()), 1, 1)


_UNROUND = np.frompyfunc(lambda r: r.b, 1, 1)
# Whether a ball may be nonzero. Where every term of a sum or product is exactly 0, so is float64's
# result: + − × ÷ of exact zeros round nothing and never underflow. An envelope widened there anyway
# would move a zero-initialised pre-activation ``X @ W + b`` off relu's kink, into "undetermined".
_SOME = np.frompyfunc(lambda b: not b.is_zero(), 1, 1)


def _some(balls: np.ndarray) -> np.ndarray:
    return np.asarray(_SOME(balls), dtype=bool).reshape(np.shape(balls))


def _arbs(a) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == object and a.size:
        first = type(a.flat[0])
        if first is arb and all(type(x) is arb for x in a.flat):
            return a
        if first is Rounded and all(type(x) is Rounded for x in a.flat):
            return np.asarray(_UNROUND(a), dtype=object).reshape(a.shape)
    return np.asarray(_TO_ARB(a), dtype=object).reshape(a.shape)


def _zeros(shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(arb(0))
    return out


class Exact:
    """Exact values: object arrays of arb balls (the working precision is flint's, set by the caller)."""

    def __init__(self) -> None:
        self.ties: list[str] = []

    # what an element is in this namespace, and back
    def lift(self, a) -> np.ndarray:
        return _arbs(a)

    def wrap(self, balls: np.ndarray) -> np.ndarray:
        return balls

    def balls(self, a) -> np.ndarray:
        return _arbs(a)

    # --- the namespace the rules call ------------------------------------------------------------
    def sum(self, x, axis=None, keepdims=False):
        return np.asarray(np.sum(self.lift(x), axis=axis, keepdims=keepdims), dtype=object)

    def matmul(self, a, b):
        return self.wrap(_matmul(self.balls(a), self.balls(b)))

    def exp(self, x):
        return self.apply(RULES["exp"], x)

    def log(self, x):
        return self.apply(RULES["log"], x)

    def argmax(self, x, axis, shift: bool = False):
        """The index of the largest midpoint along ``axis``. Where another element's ball reaches
        the chosen one, the max's gradient has a kink: noted in ``ties``, unless the max is only
        ``shift``, subtracted for stability where it cancels exactly (softmax, logsumexp)."""
        mids = np.asarray(_MID(self.balls(x)), dtype=np.float64).reshape(np.shape(x))
        idx = np.argmax(mids, axis=axis)
        chosen = np.take_along_axis(self.balls(x), np.expand_dims(idx, axis), axis)
        gaps = chosen - self.balls(x)
        certain = np.asarray(np.frompyfunc(lambda d: d > 0, 1, 1)(gaps), dtype=bool)
        np.put_along_axis(certain, np.expand_dims(idx, axis), True, axis)
        if not certain.all() and self._tie_matters(shift, gaps[~certain]):
            self.ties.append("max: two elements tie (or their balls touch), so the max's gradient has a kink")
        return idx

    def _tie_matters(self, shift: bool, gaps: np.ndarray) -> bool:
        return not shift    # exactly, any element is as good a shift as another

    def scatter_add(self, shape, idx, g):
        out = self.wrap(_zeros(shape))
        np.add.at(out, idx, g)
        return out

    def apply(self, row, *args):
        """The row's exact value at every element (its SymPy form on balls)."""
        return self.wrap(_elementwise(row, [self.balls(a) for a in args], args))

    def local(self, row, *args, out):
        """The row's exact partials at every element."""
        return tuple(self.wrap(p) for p in _partials(row, [self.balls(a) for a in args], args))


class Envelope(Exact):
    """Float64's error envelope: balls that hold every value float64 backprop may compute."""

    def lift(self, a) -> np.ndarray:
        a = np.asarray(a)
        if a.dtype == object and a.size and isinstance(a.flat[0], Rounded):
            return a
        return self.wrap(_arbs(a))

    def wrap(self, balls: np.ndarray) -> np.ndarray:
        balls = np.asarray(balls, dtype=object)
        return np.asarray(np.frompyfunc(Rounded, 1, 1)(balls), dtype=object).reshape(balls.shape)

    def balls(self, a) -> np.ndarray:
        return _arbs(a)

    def _tie_matters(self, shift: bool, gaps: np.ndarray) -> bool:
        # float64 picks its own largest element: the same one where the tied values are equal
        # exactly (a zero-initialised layer's logits); where balls only touch, it may shift by another
        return not shift or not all(gap.is_zero() for gap in gaps.flat)

    def sum(self, x, axis=None, keepdims=False):
        b = self.balls(x)
        exact = np.asarray(np.sum(b, axis=axis, keepdims=keepdims), dtype=object)
        size = np.asarray(np.sum(np.asarray(_UPPER(b), dtype=np.float64).reshape(b.shape), axis=axis,
                                 keepdims=keepdims))
        k = b.size // max(exact.size, 1)
        some = np.any(_some(b), axis=axis, keepdims=keepdims)
        return self.wrap(_widen(exact, np.where(some, _gamma(k - 1) * size * SLACK + max(k - 1, 0) * TINY, 0.0)))

    def matmul(self, a, b):
        ba, bb = self.balls(a), self.balls(b)
        exact = _matmul(ba, bb)
        ua = np.asarray(_UPPER(ba), dtype=np.float64).reshape(ba.shape)
        ub = np.asarray(_UPPER(bb), dtype=np.float64).reshape(bb.shape)
        k = ba.shape[-1]
        size = np.asarray(np.matmul(ua, ub))
        some = np.matmul(_some(ba).astype(np.float64), _some(bb).astype(np.float64)) > 0
        return self.wrap(_widen(exact, np.where(some, _gamma(k) * size * SLACK * SLACK + k * TINY, 0.0)))

    def apply(self, row, *args):
        r = ROUNDING.get(row.name, _DEFAULT)
        exact = np.asarray(_elementwise(row, [self.balls(a) for a in args], args), dtype=object)
        size = np.asarray(_UPPER(exact), dtype=np.float64).reshape(exact.shape)
        radius = _rounding(r.forward, size)
        if row.raw in ARRAY_SAFE:   # one correctly rounded + − × ÷: an exact 0 (every operand pair's) stays exact
            radius = np.where(_some(exact), radius, 0.0)
        return self.wrap(_widen(exact, radius))

    def local(self, row, *args, out):
        r = ROUNDING.get(row.name, _DEFAULT)
        balls = [self.balls(a) for a in args]
        if r.argument:
            balls = [np.asarray(np.frompyfunc(lambda b: _inflate(b, argument_error(r, upper(b))), 1, 1)(x),
                                dtype=object).reshape(x.shape) for x in balls]
        out = []
        for p in _partials(row, balls, args):
            p = np.asarray(p, dtype=object)
            size = np.asarray(_UPPER(p), dtype=np.float64).reshape(p.shape)
            out.append(self.wrap(_widen(p, _rounding(r.local, size))))
        return tuple(out)


def _rounding(count: int, size: np.ndarray) -> np.ndarray:
    """The radius of ``count`` roundings of results of magnitude ``size``: none for an exact row
    (count 0: neg, abs, relu, clamp, a comparison compute their float64 result exactly), else
    count·u·size and the underflow of each rounding (``rules.rounding.forward_error``)."""
    return count * U * size + max(count, 1) * TINY if count else np.zeros_like(size)


def _gamma(k: int) -> float:
    return 0.0 if k <= 0 else k * U / (1 - k * U)


def _widen(balls: np.ndarray, radius) -> np.ndarray:
    radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), np.shape(balls))
    return np.asarray(np.frompyfunc(_inflate, 2, 1)(balls, radius), dtype=object).reshape(np.shape(balls))


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 2 and b.ndim == 2:      # flint's ball matrices: the same enclosure, ~7x faster
        product = arb_mat(a.tolist()) * arb_mat(b.tolist())
        return np.array(product.entries(), dtype=object).reshape(a.shape[0], b.shape[1])
    return np.asarray(np.matmul(a, b), dtype=object)


def _baked(row, args) -> tuple:
    """Constant (0-d, float) exponents baked into the row's forms, as the scalar reference does."""
    spots = baked_positions(row, len(args))
    out = []
    for i, a in enumerate(args):
        a = np.asarray(a)
        value = Fraction(float(a)) if i in spots and a.ndim == 0 and a.dtype.kind in "iuf" else None
        out.append(value if bakeable(value) else None)
    if all(b is not None for b in out):
        return (None,) * len(args)
    return tuple(out)


def _elementwise(row, balls: list, raw: tuple) -> np.ndarray:
    if row.raw in ARRAY_SAFE and row.raw is not operator.truediv:
        return np.asarray(row.raw(*balls), dtype=object)
    forms = row_forms(row, _baked(row, raw))
    run = forms.value.run
    domain = forms.domain

    def one(*xs):
        xs = list(xs)
        if domain is not None and not domain.run(xs):
            raise Undefined(row.why or f"{row.name} is undefined here")
        return run(xs)
    shape = np.broadcast_shapes(*(np.shape(b) for b in balls))
    return np.asarray(np.frompyfunc(one, len(balls), 1)(*balls), dtype=object).reshape(shape)


def _partials(row, balls: list, raw: tuple) -> list:
    shape = np.broadcast_shapes(*(np.shape(b) for b in balls))
    if row.raw in ARRAY_SAFE:      # + − × ÷: the row's own local is the exact partial, on whole arrays
        out = _elementwise(row, balls, raw)
        return [np.asarray(np.broadcast_to(_arbs(d), shape), dtype=object) for d in row.local(*balls, out)]
    forms = row_forms(row, _baked(row, raw))
    out = []
    for form in forms.partials:
        if form is None:
            out.append(_zeros(shape))
            continue
        run = form.run
        out.append(np.asarray(np.frompyfunc(lambda *xs: run(list(xs)), len(balls), 1)(*balls),
                              dtype=object).reshape(shape))
    return out
