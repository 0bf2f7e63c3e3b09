"""Hand-written peers of the compiled lecture neuron, tanh(x1*w1 + x2*w2 + b): value and all five
gradients, each adding one of the generated code's guarantees to the one before.

``bare`` is the lecture's code. ``checked`` makes every check ``symgrad.compile``'s generated
``value_and_grad`` makes (read engine/codegen/emit.py): a class test per input (a float passes as
it is, anything else is converted, a bool refused), every failure handed to the slow path
(symgrad's backprop, which raises the located error), one float sum over the values that could
hide an overflow and over the gradients with its finiteness test, tanh's slope as 1/cosh² (1 − o²
loses its digits as |o| → 1), backprop's signed zeros, and a wrong number of arguments reported.
"""

from __future__ import annotations

import math

from symgrad.engine.codegen.compiled import _MISSING  # the slow path's "not given"

_float = float
_RAISES = (ArithmeticError, ValueError, TypeError)


def _to_float(a):
    return math.nan if a.__class__ is bool else float(a)  # nan sends a bool to the slow path


def bare(x1, w1, x2, w2, b):
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    d = 1.0 - o * o
    return o, (d * w1, d * x1, d * w2, d * x2, d)


def inputs(x1, w1, x2, w2, b):
    """+ a class test per input."""
    if not (x1.__class__ is _float and w1.__class__ is _float and x2.__class__ is _float
            and w2.__class__ is _float and b.__class__ is _float):
        x1, w1, x2, w2, b = _to_float(x1), _to_float(w1), _to_float(x2), _to_float(w2), _to_float(b)
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    d = 1.0 - o * o
    return o, (d * w1, d * x1, d * w2, d * x2, d)


def make(slow):
    """The peers that hand a failure to ``slow(args, with_grads)`` (symgrad's own slow path)."""

    def overflow(x1, w1, x2, w2, b):
        """+ failures and overflow (a finiteness test on one sum) sent to the slow path."""
        try:
            if not (x1.__class__ is _float and w1.__class__ is _float and x2.__class__ is _float
                    and w2.__class__ is _float and b.__class__ is _float):
                x1, w1, x2, w2, b = _to_float(x1), _to_float(w1), _to_float(x2), _to_float(w2), _to_float(b)
            z = x1 * w1 + x2 * w2 + b
            o = math.tanh(z)
            d = 1.0 - o * o
            g0, g1, g2, g3 = d * w1, d * x1, d * w2, d * x2
            s = z + o + g0 + g1 + g2 + g3 + d
            if not s - s:
                return o, (g0, g1, g2, g3, d)
        except _RAISES:
            pass
        return slow((x1, w1, x2, w2, b), True)

    def slope(x1, w1, x2, w2, b):
        """+ tanh's slope as 1/cosh²."""
        try:
            if not (x1.__class__ is _float and w1.__class__ is _float and x2.__class__ is _float
                    and w2.__class__ is _float and b.__class__ is _float):
                x1, w1, x2, w2, b = _to_float(x1), _to_float(w1), _to_float(x2), _to_float(w2), _to_float(b)
            z = x1 * w1 + x2 * w2 + b
            o = math.tanh(z)
            c = math.cosh(z)
            d = 1.0 / c / c
            g0, g1, g2, g3 = d * w1, d * x1, d * w2, d * x2
            s = z + o + g0 + g1 + g2 + g3 + d
            if not s - s:
                return o, (g0, g1, g2, g3, d)
        except _RAISES:
            pass
        return slow((x1, w1, x2, w2, b), True)

    def zeros(x1, w1, x2, w2, b):
        """+ backprop's signed zeros (−0.0 returned as 0.0)."""
        try:
            if not (x1.__class__ is _float and w1.__class__ is _float and x2.__class__ is _float
                    and w2.__class__ is _float and b.__class__ is _float):
                x1, w1, x2, w2, b = _to_float(x1), _to_float(w1), _to_float(x2), _to_float(w2), _to_float(b)
            z = x1 * w1 + x2 * w2 + b
            o = math.tanh(z)
            c = math.cosh(z)
            d = 1.0 / c / c
            g0, g1, g2, g3 = d * w1, d * x1, d * w2, d * x2
            s = z + o + g0 + g1 + g2 + g3 + d
            if not s - s:
                return o, (g0 or 0.0, g1 or 0.0, g2 or 0.0, g3 or 0.0, d or 0.0)
        except _RAISES:
            pass
        return slow((x1, w1, x2, w2, b), True)

    def checked(x1=_MISSING, w1=_MISSING, x2=_MISSING, w2=_MISSING, b=_MISSING, *extra):
        """+ a missing or extra argument reported (by the slow path), and a sum that is not a
        float (a row returning something else) sent there too: every check the generated code makes."""
        try:
            if not (x1.__class__ is _float and w1.__class__ is _float and x2.__class__ is _float
                    and w2.__class__ is _float and b.__class__ is _float):
                x1, w1, x2, w2, b = _to_float(x1), _to_float(w1), _to_float(x2), _to_float(w2), _to_float(b)
            z = x1 * w1 + x2 * w2 + b
            o = math.tanh(z)
            c = math.cosh(z)
            d = 1.0 / c / c
            g0, g1, g2, g3 = d * w1, d * x1, d * w2, d * x2
            s = z + o + g0 + g1 + g2 + g3 + d
            if s.__class__ is _float and not s - s and not extra:
                return o, (g0 or 0.0, g1 or 0.0, g2 or 0.0, g3 or 0.0, d or 0.0)
        except _RAISES:
            pass
        return slow((x1, w1, x2, w2, b, *extra), True)

    return {"overflow": overflow, "slope": slope, "zeros": zeros, "checked": checked}
