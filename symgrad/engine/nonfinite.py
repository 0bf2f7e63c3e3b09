"""Why a backward pass gave a non-finite gradient: the node that broke it, and what happened.

``Value.backward()`` and ``backprop`` both raise the ``NumericError`` made here (``backprop``
then locates it in the source), so the two paths keep one promise: never a silent inf or NaN.
Two kinds, found from the output down:

- a local derivative that is not finite. Either the derivative itself is infinite there (sqrt'(0),
  asin'(1): "singular"), or it is finite but beyond float64 (log'(5e-324) = 2.0e323: "overflows").
  Which one is decided exactly, only on this error path: the row's SymPy form differentiated and
  evaluated at the node's arguments (floats are exact rationals).
- a chain-rule product that overflows: the first node with a finite grad and a non-finite child.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..base.errors import NumericError

__all__ = ["cause", "exact_slope"]


def exact_slope(rule: Any, args: Sequence[float], i: int) -> str | None:
    """∂rule/∂args[i] at ``args``, from the row's SymPy form (exact rationals in, 30 digits out),
    written to 4 digits (``2.024e+323``); None where the derivative itself is undefined or
    infinite (or SymPy cannot decide)."""
    try:
        import sympy as sp
        xs = sp.symbols(f"a0:{len(args)}", real=True)
        slope = sp.diff(rule.sympy(sp, *xs), xs[i]).subs({x: sp.Rational(a) for x, a in zip(xs, args)})
        value = sp.N(slope, 30)
        if not (value.is_real and value.is_finite):
            return None
        return str(sp.Float(value, 4))
    except Exception:  # noqa: BLE001 -- a SymPy gap only costs the precise wording
        return None


def cause(topo: Sequence[Any]) -> tuple[Any, NumericError]:
    """(node, error) for a pass that left a non-finite grad in ``topo`` (children before parents).
    The error is not yet located: callers add the source position or the node's arguments."""
    for node in reversed(topo):
        rule = node._rule
        if rule is None:
            continue
        args = [k.data for k in node._prev]
        slopes = rule.local(*args, node.data)
        for i, d in enumerate(slopes):
            if math.isfinite(d):
                continue
            exact = exact_slope(rule, args, i)
            if exact is not None:
                return node, NumericError(
                    f"a local derivative overflows float64 at this point (it is {exact})",
                    hint="the slope is finite but larger than about 1.8e308; rescale the inputs")
            return node, NumericError("a local derivative is not finite at this point",
                                      hint="the function has a singular derivative here (for example "
                                      "sqrt'(0) or x**0.5 at 0); move the point")
    for node in reversed(topo):
        if math.isfinite(node.grad) and any(not math.isfinite(k.grad) for k in node._prev):
            return node, NumericError("a gradient overflows float64 below this node",
                                      hint="the chain-rule product is larger than about 1.8e308; rescale the inputs")
    return topo[-1], NumericError("a gradient is not finite")
