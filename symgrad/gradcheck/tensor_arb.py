"""An array namespace over arb balls (python-flint) for the tensor engine's walk (``engine.tensor``):
the same records and vjps as float64 backprop, every number an enclosure. Used by the tensor claims
(``tensor_exact``) for exact values and gradients.

- Elementwise rows run their SymPy forms on balls (``row_forms``: the value form and each partial,
  compiled once per row; a constant exponent baked in exactly, so x**2 differentiates to 2*x);
  ``+ − × ÷`` and negation are arb's own operations on object arrays.
- ``sum`` and ``matmul`` add and multiply balls (numpy's object loops); ``exp``/``log`` are arb's.
- ``argmax`` decides on the balls: a tie or an overlap that the balls cannot order is a ``kink``
  the caller reports (``Undetermined``), never a guess.

Every float64 or integer input becomes an exact ball (a double is a dyadic rational). Precision is
``BITS``, set under flint's process-wide lock (``balls.with_precision``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb

from ..base.errors import NumericError
from .balls import Undefined, Undetermined, with_precision

__all__ = ["BALLS", "BITS", "balls"]

BITS = 320          # the makemore network's balls stay under 1e-80 wide: far below float64's last digit


def _ball(x: Any) -> arb:
    if isinstance(x, arb):
        return x
    if isinstance(x, (int, np.integer)):
        return arb(int(x))
    return arb(float(x))          # a double is exact in arb


def balls(a: Any) -> np.ndarray:
    """``a`` as an object array of exact balls (integer data stays integer: indices, sizes)."""
    a = np.asarray(a)
    if a.dtype == object or a.dtype.kind in "iub":
        return a
    out = np.empty(a.shape, dtype=object)
    flat, src = out.reshape(-1), a.reshape(-1)
    for i in range(src.size):
        flat[i] = arb(float(src[i]))
    return out


def _objects(a: Any) -> np.ndarray:
    """Any array as balls, integers included (an argument of arithmetic)."""
    a = np.asarray(a)
    if a.dtype == object:
        return a
    out = np.empty(a.shape, dtype=object)
    flat, src = out.reshape(-1), a.reshape(-1)
    for i in range(src.size):
        flat[i] = _ball(src[i])
    return out


def _map(fn: Any, *args: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    parts = [np.broadcast_to(a, shape).reshape(-1) for a in args]
    out = np.empty(int(np.prod(shape, dtype=np.int64)), dtype=object)
    try:
        for i in range(out.size):
            out[i] = fn(*(p[i] for p in parts))
    except Undefined as err:
        raise NumericError(f"undefined at element {np.unravel_index(i, shape) if shape else ()}: {err}") from None
    return out.reshape(shape)


_FAST = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
         "neg": lambda a: -a}


def _positive(v: arb) -> arb:
    if not v > 0:
        raise Undefined("not certainly > 0")
    return v


def _nonzero(v: arb) -> arb:
    if not (v > 0 or v < 0):
        raise Undefined("division by a number not certainly nonzero")
    return v


def _power(v: arb, k: Fraction) -> arb:
    if k.denominator == 1:
        return v ** int(k) if k >= 0 else 1 / _nonzero(v) ** int(-k)
    return _positive(v) ** (arb(k.numerator) / k.denominator)


# The commonest rows, straight on arb (the row's SymPy form interpreted per element costs ~100x more);
# each is the row's own form and partials, proved equal to ``row_forms`` on balls by a test.
# value(args) and partials(args, out), the exponent of a power given as an exact Fraction.
_ROWS = {
    "div": (lambda a, b: a / _nonzero(b), lambda a, b, o: (1 / _nonzero(b), -o / b)),
    "tanh": (lambda x: x.tanh(), lambda x, o: (1 - o * o,)),
    "exp": (lambda x: x.exp(), lambda x, o: (o,)),
    "log": (lambda x: _positive(x).log(), lambda x, o: (1 / x,)),
}
_POWERS = ("powc",)          # a constant exponent: its partial is 0 (pow's exponent takes x**y·ln x)


class Balls:
    """The namespace the tensor records call (``sum``, ``matmul``, ``exp``, ``log``, ``argmax``,
    ``scatter_add``, ``apply``, ``local``), plus ``balls`` and ``precision``."""

    balls = staticmethod(balls)

    @staticmethod
    def precision() -> Any:
        return with_precision(BITS)

    @staticmethod
    def sum(x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = _objects(x)
        return np.asarray(np.sum(x, axis=axis, keepdims=keepdims, initial=arb(0)), dtype=object)

    @staticmethod
    def matmul(a: Any, b: Any) -> np.ndarray:
        return np.asarray(np.matmul(_objects(a), _objects(b)), dtype=object)

    @staticmethod
    def exp(x: Any) -> np.ndarray:
        return _map(lambda v: v.exp(), _objects(x))

    @staticmethod
    def log(x: Any) -> np.ndarray:
        def log(v: arb) -> arb:
            if not v > 0:
                raise Undefined("log of a number that is not certainly > 0")
            return v.log()
        return _map(log, _objects(x))

    @staticmethod
    def argmax(x: Any, axis: int) -> np.ndarray:
        """The maximal element along ``axis``, decided on the balls: Undetermined where the balls
        cannot order the largest against another (a tie: a kink of max)."""
        x = np.asarray(x)
        if x.dtype != object:
            return np.argmax(x, axis=axis)
        mids = np.vectorize(lambda v: float(v.mid()), otypes=[np.float64])(x) if x.size else x.astype(float)
        best = np.argmax(mids, axis=axis)
        moved = np.moveaxis(x, axis, -1)
        for index in np.ndindex(best.shape):
            line, k = moved[index], int(best[index])
            if any(j != k and not (line[k] > v) for j, v in enumerate(line)):
                raise Undetermined("a maximum the balls cannot decide (a tie)")
        return best

    @staticmethod
    def scatter_add(shape: tuple[int, ...], idx: tuple, g: Any) -> np.ndarray:
        out = np.empty(shape, dtype=object)
        out.fill(arb(0))
        np.add.at(out, idx, _objects(g))
        return out

    @staticmethod
    def apply(row: Any, *args: Any) -> np.ndarray:
        if row.name in _FAST and _whole(args):   # sizes and dims (n - 1, -1): exact in numpy, still integers
            return np.asarray(_FAST[row.name](*(np.asarray(a) for a in args)))
        if row.name in _FAST:
            return np.asarray(_FAST[row.name](*(_objects(a) for a in args)), dtype=object)
        if row.name in _ROWS:
            return _map(_ROWS[row.name][0], *(_objects(a) for a in args))
        k = _exponent(row, args)
        if k is not None:
            return _map(lambda v: _power(v, k), _objects(args[0]))
        forms, slots = _forms(row, args)
        return _map(lambda *v: forms.value.run(v), *slots)

    @staticmethod
    def local(row: Any, *args: Any, out: Any) -> tuple:
        shape = np.shape(out)
        if row.name in ("add", "sub", "neg"):
            ones = np.empty(shape, dtype=object)
            ones.fill(arb(1))
            return {"add": (ones, ones), "sub": (ones, -ones), "neg": (-ones,)}[row.name]
        if row.name == "mul":
            a, b = (_objects(x) for x in args)
            return np.broadcast_to(b, shape) * 1, np.broadcast_to(a, shape) * 1
        if row.name in _ROWS:
            both = _map(lambda *v: _ROWS[row.name][1](*v), *(_objects(a) for a in args), _objects(out))
            return tuple(np.asarray(np.broadcast_to(_part(both, j), shape)) for j in range(len(args)))
        k = _exponent(row, args)
        if k is not None:
            base = _map(lambda v: arb(k.numerator) / k.denominator * _power(v, k - 1), _objects(args[0]))
            zero = np.empty(shape, dtype=object)
            zero.fill(arb(0))
            return np.asarray(np.broadcast_to(base, shape)), zero
        forms, slots = _forms(row, args)
        parts = []
        for j, partial in enumerate(forms.partials):
            if partial is None:                              # a baked constant takes no gradient
                parts.append(np.broadcast_to(np.asarray(arb(0), dtype=object), shape))
                continue
            parts.append(np.asarray(np.broadcast_to(_map(lambda *v, p=partial: p.run(v), *slots), shape)))
        return tuple(parts)


def _part(both: np.ndarray, j: int) -> np.ndarray:
    out = np.empty(both.shape, dtype=object)
    flat, src = out.reshape(-1), both.reshape(-1)
    for i in range(src.size):
        flat[i] = src[i][j]
    return out


def _exponent(row: Any, args: tuple) -> Fraction | None:
    """The exact exponent of x ** k when k is a plain number (a literal such as 2 or -0.5)."""
    if row.name not in _POWERS or len(args) != 2:
        return None
    k = np.asarray(args[1])
    if k.ndim or k.dtype == object:
        return None
    return Fraction(float(k))


def _whole(args: tuple) -> bool:
    """Plain numbers, all whole and small: their + − × and negation are exact in float64."""
    for a in args:
        a = np.asarray(a)
        if a.dtype == object or a.size > 64 or not np.all(np.abs(a) < 2.0 ** 26) or not np.all(a == np.round(a)):
            return False
    return True


def _forms(row: Any, args: tuple) -> tuple[Any, list]:
    """The row's compiled forms (constant exponents baked in) and its arguments as balls."""
    from .row_forms import bakeable, baked_positions, row_forms
    baked = []
    positions = baked_positions(row, len(args))
    for i, a in enumerate(args):
        a = np.asarray(a)
        value = None
        if i in positions and a.ndim == 0 and a.dtype != object:
            value = Fraction(float(a))
            value = value if bakeable(value) else None
        baked.append(value)
    return row_forms(row, tuple(baked)), [_objects(a) for a in args]


BALLS = Balls()
