"""Why a claimed tensor gradient is wrong, as a teacher would say it: pure array logic.

Given the claimed array and the exact gradient (both float64 arrays read from exact values),
``explain`` looks for the mistakes learners make in the backprop-ninja exercise (makemore part 4),
in this order:

- a shape that is the needed shape broadcast along some axes: the missing sum over those axes
  (``sum(…, 0, keepdim=True)``), the commonest mistake (``dbnvar_inv`` as (32, 64), not (1, 64));
- a shape reduced over the wrong axis: (32, 1) where (1, 64) is needed;
- a shape smaller than needed: a missing broadcast (a gradient must have its node's shape);
- the transpose of the gradient (a missing ``.T``);
- a constant factor: −1 (a sign), n, 1/n, n/(n−1) or (n−1)/n (Bessel's correction) for each named
  size, or any other constant;
- a missing chain-rule factor: claim × f = gradient for one of the caller's candidate arrays f
  (local derivatives on the path, e.g. 1 − h²);

and always the first elements where claim and gradient differ (index, claimed, exact) with their
count. A shape fix and a factor combine ("sum over dim 0, and then it is n times …").

This is diagnosis, not judgement: the verdict comes from the exact (ball) comparison in the tensor
claims judge. The tolerance ``RTOL`` is loose on purpose (a float64 sum of exact terms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

__all__ = ["Difference", "Explanation", "explain", "differences", "broadcast_axes", "RTOL", "SHOWN"]

RTOL = 1e-9          # relative to the summed magnitudes: float64 sums of exact terms meet it easily
SHOWN = 3            # differing elements quoted in a message


@dataclass(frozen=True)
class Difference:
    """One element where claim and gradient differ: its index (C order), both values."""
    index: tuple[int, ...]
    claimed: float
    exact: float

    def text(self) -> str:
        c, e = f"{self.claimed:.6g}", f"{self.exact:.6g}"
        if c == e:                         # close values: enough digits to see them differ
            c, e = f"{self.claimed:.15g}", f"{self.exact:.15g}"
        return f"[{', '.join(map(str, self.index))}] claimed {c}, exact {e}"


@dataclass(frozen=True)
class Explanation:
    """What is wrong. ``kinds`` name the findings in order: ``sum`` (missing sum over broadcast
    axes), ``axis`` (reduced over the wrong axis), ``broadcast`` (a missing broadcast), ``shape``
    (any other shape), ``transpose``, ``sign``, ``factor``, ``chain`` (missing chain-rule factor),
    ``elements`` (no pattern: the differing elements). ``axes`` is the axes to sum over, ``factor``
    the constant (claim = factor × gradient), ``differences`` the first differing elements of
    equal-shaped arrays (after the shape fix, if any), ``count`` how many of ``total`` differ."""
    kinds: tuple[str, ...]
    message: str
    axes: tuple[int, ...] = ()
    factor: float | None = None
    differences: tuple[Difference, ...] = ()
    count: int = 0
    total: int = 0
    details: dict = field(default_factory=dict)


def _shape(s: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def _close(a: np.ndarray, b: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """Elementwise a ≈ b, relative to max(|a|, |b|, scale) (scale: a sum's magnitude, or the
    array's own largest element, so an exact 0 against 1e-18 from a cancelling sum is equal)."""
    top = np.maximum(np.abs(a), np.abs(b))
    if scale is not None:
        top = np.maximum(top, scale)
    return np.abs(a - b) <= RTOL * top


def _all_close(a: np.ndarray, b: np.ndarray, scale: np.ndarray | None = None) -> bool:
    if a.shape != b.shape:
        return False
    size = max(float(np.max(np.abs(b), initial=0.0)), float(np.max(np.abs(a), initial=0.0)))
    floor = np.full(a.shape, 1e-6 * size) if scale is None else np.maximum(scale, 1e-6 * size)
    return bool(np.all(_close(a, b, floor)))


def broadcast_axes(small: tuple[int, ...], big: tuple[int, ...]) -> tuple[tuple[int, ...], bool] | None:
    """The axes of ``big`` along which ``small`` is broadcast to it (NumPy's rules), and whether
    the sum keeps them (``keepdim``: ``small`` has the same number of dims). None when ``small``
    does not broadcast to ``big`` or is ``big``."""
    if len(small) > len(big) or small == big:
        return None
    lead = len(big) - len(small)
    axes = list(range(lead))
    for k, (s, b) in enumerate(zip(small, big[lead:])):
        if s == b:
            continue
        if s != 1:
            return None
        axes.append(lead + k)
    if lead and any(s == 1 and b != 1 for s, b in zip(small, big[lead:])):
        return None        # mixed: leading dims dropped and others kept, not one sum call
    return tuple(axes), lead == 0


def _sum_call(axes: tuple[int, ...], keepdim: bool) -> str:
    dim = str(axes[0]) if len(axes) == 1 else "(" + ", ".join(map(str, axes)) + ")"
    return f"write (…).sum({dim}{', keepdim=True' if keepdim else ''})"


def _dims(axes: tuple[int, ...]) -> str:
    return ("dim " if len(axes) == 1 else "dims ") + ", ".join(map(str, axes))


def differences(claimed: np.ndarray, exact: np.ndarray, shown: int = SHOWN) -> tuple[tuple[Difference, ...], int]:
    """The first ``shown`` differing elements (C order) of two equal-shaped arrays, and how many differ."""
    size = float(np.max(np.abs(exact), initial=0.0))
    bad = ~_close(claimed, exact, np.full(exact.shape, 1e-6 * size))
    where = np.argwhere(bad)
    first = tuple(Difference(tuple(int(i) for i in idx), float(claimed[tuple(idx)]), float(exact[tuple(idx)]))
                  for idx in where[:shown])
    return first, int(bad.sum())


def _factor_names(sizes: Mapping[str, int]) -> list[tuple[Fraction, str, str]]:
    """Candidate constants: (value, how it reads, the advice) for −1, 2, 1/2 and each named size."""
    out = [(Fraction(-1), "−1", "the sign is wrong")]
    for name, n in sizes.items():
        n = int(n)
        if n < 2:
            continue
        out += [(Fraction(n), f"{name} = {n}", f"divide by {name} (a mean divides by its count)"),
                (Fraction(1, n), f"1/{name} = 1/{n}", f"multiply by {name}: it is divided by {name} once too often"),
                (Fraction(n, n - 1), f"{name}/({name}−1) = {n}/{n - 1}",
                 f"it divides by {name}−1 where {name} is needed"),
                (Fraction(n - 1, n), f"({name}−1)/{name} = {n - 1}/{n}",
                 f"it divides by {name} where the variance divides by {name}−1 (Bessel's correction)"),
                (Fraction(-n), f"−{name} = −{n}", f"the sign is wrong and it must be divided by {name}"),
                (Fraction(-1, n), f"−1/{name} = −1/{n}", f"the sign is wrong and it must be multiplied by {name}")]
    out += [(Fraction(2), "2", "divide by 2"), (Fraction(1, 2), "1/2", "multiply by 2")]
    return out


def _constant_ratio(claimed: np.ndarray, exact: np.ndarray) -> float | None:
    """k with claimed = k × exact at every element (exact zeros must be claimed zeros), else None."""
    size = float(np.max(np.abs(exact), initial=0.0))
    if size == 0.0 or claimed.shape != exact.shape:
        return None
    big = np.abs(exact) > 1e-3 * size
    k = float(np.median(claimed[big] / exact[big]))
    if k == 0.0 or not np.isfinite(k):
        return None
    return k if _all_close(claimed, k * exact) else None


def _factor_text(k: float, sizes: Mapping[str, int]) -> tuple[str, str, str]:
    """(kind, 'the claim is … × the gradient', advice) for claim = k × gradient."""
    for value, reads, advice in _factor_names(sizes):
        if abs(k - float(value)) <= 1e-9 * abs(float(value)):
            kind = "sign" if value == -1 else "factor"
            head = "the claim is −1 × the gradient" if value == -1 else f"the claim is {reads} × the gradient"
            return kind, head, advice
    shown = f"{k:.6g}" if f"{k:.6g}" not in ("1", "-1") else f"{k:.15g}"   # 1.0000001, never "1"
    return "factor", f"the claim is {shown} × the gradient everywhere (a constant factor)", f"divide by {shown}"


def _elements(claimed: np.ndarray, exact: np.ndarray) -> tuple[tuple[Difference, ...], int, str]:
    first, count = differences(claimed, exact)
    shown = "; ".join(d.text() for d in first)
    return first, count, f"{count} of {exact.size} elements differ, first {shown}" if count else ""


def explain(claimed: Any, exact: Any, *, name: str = "the gradient", node: str = "",
            sizes: Mapping[str, int] | None = None, factors: Mapping[str, Any] | None = None) -> Explanation:
    """Explain how ``claimed`` differs from ``exact`` (the true gradient, the node's shape).

    ``name`` is the gradient's name in messages (``dbnvar_inv``), ``node`` its node's (``bnvar_inv``);
    ``sizes`` names constants to recognise (``{"n": 32}``: the batch size); ``factors`` maps a
    description (``"1 − h²"``) to an array that may be a missing chain-rule factor. Arrays of any
    shape (a 0-d array is a scalar). Returns an Explanation whose ``message`` is one or two sentences.
    """
    c, e = np.asarray(claimed, dtype=float), np.asarray(exact, dtype=float)
    sizes, factors = dict(sizes or {}), dict(factors or {})
    of = f", the shape of {node}" if node else ""
    kinds: list[str] = []
    parts: list[str] = []
    axes: tuple[int, ...] = ()
    if c.shape != e.shape:
        head = f"{name} has shape {_shape(c.shape)} but needs {_shape(e.shape)}{of}"
        summed = broadcast_axes(e.shape, c.shape)
        grown = broadcast_axes(c.shape, e.shape)
        if c.size == e.size and _squeezed(c.shape) == _squeezed(e.shape):
            kinds.append("keepdim")
            parts.append(f"{head}: the same numbers with a dim of size 1 {'kept' if c.ndim > e.ndim else 'dropped'}: "
                         f"{'leave out keepdim=True' if c.ndim > e.ndim else 'keep the summed dim (keepdim=True)'}"
                         f" or reshape to {_shape(e.shape)}")
            c = c.reshape(e.shape)
            if _all_close(c, e):
                parts[-1] += ", which gives the gradient"
                return Explanation(tuple(kinds), "; ".join(p for p in parts if p), total=e.size)
        elif summed is not None:
            axes, keep = summed
            fixed = c.sum(axis=axes, keepdims=keep)
            scale = np.abs(c).sum(axis=axes, keepdims=keep)
            kinds.append("sum")
            where = f"{node} was broadcast along {_dims(axes)}" if node else f"broadcast along {_dims(axes)}"
            parts.append(f"{head}: sum over {_dims(axes)}{' with keepdim=True' if keep else ''} "
                         f"({_sum_call(axes, keep)}; {where})")
            if _all_close(fixed, e, scale):
                parts[-1] += ", which gives the gradient"
                return Explanation(tuple(kinds), "; ".join(p for p in parts if p), axes=axes, count=0, total=e.size)
            c = fixed
        elif grown is not None:
            kinds.append("broadcast")
            gaxes, _ = grown
            parts.append(f"{head}: a gradient has its node's shape; the claim must be broadcast along "
                         f"{_dims(gaxes)} (e.g. multiplied by ones of shape {_shape(e.shape)})")
            c = np.broadcast_to(c, e.shape)
            if _all_close(c, e):
                parts[-1] += ", which gives the gradient"
                return Explanation(tuple(kinds), "; ".join(p for p in parts if p), total=e.size)
        elif c.ndim == 2 and c.shape == e.shape[::-1]:
            kinds.append("transpose")
            parts.append(f"{head}: its transpose has the right shape; a transpose (.T) is missing")
            c = c.T
            if _all_close(c, e):
                parts[-1] += ", and the transpose is the gradient"
                return Explanation(tuple(kinds), "; ".join(p for p in parts if p), total=e.size)
        else:
            wrong = _wrong_axes(c.shape, e.shape)
            if wrong is not None:
                did, need = wrong
                kinds.append("axis")
                parts.append(f"{head}: it is reduced over {_dims(did)} where the sum must be over {_dims(need)}")
            else:
                kinds.append("shape")
                parts.append(f"{head}, and no sum, transpose or broadcast of it has that shape")
            return Explanation(tuple(kinds), "; ".join(p for p in parts if p), axes=wrong[1] if wrong else (), total=e.size)
    elif c.ndim == 2 and c.shape[0] == c.shape[1] > 1 and not _all_close(c, e) and _all_close(c.T, e):
        return Explanation(("transpose",), f"{name} is the transpose of the gradient: a transpose (.T) is missing",
                           total=e.size)
    first, count, text = _elements(c, e)
    found = dict(axes=axes, differences=first, count=count, total=e.size)
    k = _constant_ratio(c, e)
    if k is not None and not np.isclose(k, 1.0, rtol=1e-12, atol=0):
        kind, head, advice = _factor_text(k, sizes)
        kinds.append(kind)
        parts += [f"{'then ' if parts else ''}{head}: {advice}", text]
        return Explanation(tuple(kinds), "; ".join(p for p in parts if p), factor=k, **found)
    for what, f in factors.items():
        product = _times(c, np.asarray(f, dtype=float), e.shape)
        if product is not None and _all_close(product, e):
            kinds.append("chain")
            parts += [f"{'then ' if parts else ''}missing chain-rule factor {what}: "
                      f"the claim times it is the gradient", text]
            return Explanation(tuple(kinds), "; ".join(p for p in parts if p), **found)
    if text:
        kinds.append("elements")
        parts.append(("after that, " if parts else "") + text)
    return Explanation(tuple(kinds), "; ".join(p for p in parts if p), **found)


def _times(c: np.ndarray, f: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """claim × f, summed back to ``shape`` over the axes broadcasting stretched (a factor of a
    consumer's shape, as (32, 64) for a (1, 64) gain), or None when the shapes do not fit."""
    try:
        product = c * f
    except ValueError:
        return None
    if product.shape == shape:
        return product
    found = broadcast_axes(shape, product.shape)
    if found is None:
        return None
    return product.sum(axis=found[0], keepdims=found[1])


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def _wrong_axes(claimed: tuple[int, ...], needed: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(dims the claim was reduced over, dims the gradient needs summed) when both shapes are one
    full shape reduced over different dims with keepdim: (32, 1) against (1, 64); else None."""
    if len(claimed) != len(needed):
        return None
    did = tuple(d for d, (a, b) in enumerate(zip(claimed, needed)) if a == 1 and b > 1)
    need = tuple(d for d, (a, b) in enumerate(zip(claimed, needed)) if b == 1 and a > 1)
    rest_ok = all(a == b for d, (a, b) in enumerate(zip(claimed, needed)) if d not in did + need)
    return (did, need) if did and need and rest_ok else None
