"""The verdict of one tensor gradient, element by element, on float64's own error bound.

For each element: ``exact`` is the reference ball E, ``envelope`` the ball F holding every value
float64 backprop may give (``gradcheck.tensor_balls``). float64's bound there is the distance from the
exact value to F's far edge, |mid F − mid E| + rad F + rad E. With the tolerance rtol·|E| + atol on
top, an element agrees when |given − E| is certainly within it, is a mismatch when certainly beyond
it, and is unverified otherwise. The float arithmetic of the judgement itself is rounded outward
(``SLACK``, one u per operation). Source of the bound's model: ``rules.rounding``.
"""

from __future__ import annotations

import math

import numpy as np

from ..rules.rounding import SLACK, U

__all__ = ["judge_tensor", "shape_row", "split"]


def split(balls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(midpoints as floats, radii as floats covering the midpoints' rounding)."""
    mid = np.asarray(np.frompyfunc(lambda b: float(b.mid()), 1, 1)(balls), dtype=np.float64).reshape(balls.shape)
    rad = np.asarray(np.frompyfunc(lambda b: float(b.rad()), 1, 1)(balls), dtype=np.float64).reshape(balls.shape)
    return mid, rad * SLACK + U * np.abs(mid)


def judge_tensor(row_type, name: str, given: np.ndarray, exact: np.ndarray, envelope: np.ndarray,
                 rtol: float, atol: float, ties: list[str], left: np.ndarray | None = None,
                 right: np.ndarray | None = None, mixed: np.ndarray | None = None):
    """The row of one gradient whose shape is right (see the module docstring). ``left``/``right``:
    the one-sided gradients where some element meets a kink exactly (``gradcheck.tensor_kinks``);
    ``mixed``: the elements whose kinks may move opposite ways, so ``left``/``right`` are not
    their one-sided slopes there (``tensor_kinks.mixed``): never agree, kink or mismatch."""
    e_mid, e_rad = split(exact)
    f_mid, f_rad = split(envelope)
    bound = (np.abs(f_mid - e_mid) + f_rad + e_rad) * SLACK
    allowed = (bound + rtol * (np.abs(e_mid) + e_rad) + atol) * SLACK
    kink = differ = np.zeros(exact.shape, dtype=bool)
    t_mid, t_rad = e_mid, e_rad
    if left is not None:
        l_mid, l_rad = split(left)
        r_mid, r_rad = split(right)
        differ = np.abs(l_mid - r_mid) * (1 - 2 * U) - l_rad - r_rad > allowed
        # differentiable at the kink where the sides agree: the gradient must be that slope
        t_mid, t_rad = np.where(differ, e_mid, r_mid), np.where(differ, e_rad, r_rad)
    with np.errstate(invalid="ignore", over="ignore"):
        dist = np.abs(given - t_mid)
        high = dist * (1 + 2 * U) + t_rad
        low = dist * (1 - 2 * U) - t_rad
    nan = ~np.isfinite(given)
    agree = (high <= allowed) & ~nan & ~differ
    mismatch = ((low > allowed) | nan) & ~differ
    if differ.any():        # between the one-sided slopes (as the scalar judge): a kink, else a mismatch
        lo = np.minimum(l_mid - l_rad, r_mid - r_rad) - allowed
        hi = np.maximum(l_mid + l_rad, r_mid + r_rad) + allowed
        inside = (given >= lo - 2 * U * np.abs(lo)) & (given <= hi + 2 * U * np.abs(hi)) & ~nan
        kink = differ & inside
        mismatch = mismatch | (differ & ~inside)
    if mixed is not None:
        agree, kink, mismatch = agree & ~mixed, kink & ~mixed, mismatch & (~mixed | nan)
    unsure = ~agree & ~mismatch & ~kink
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        over = np.where(allowed > 0, dist / np.where(allowed > 0, allowed, 1.0), np.where(dist > 0, np.inf, 0.0))
        excess = np.where(nan, np.inf, np.where(kink, 0.0, over))   # an exact 0 allows nothing: any miss is worst
    worst = tuple(int(i) for i in np.unravel_index(int(np.nanargmax(excess)), exact.shape)) if exact.size else None
    nonzero = np.abs(e_mid) > e_rad
    digits = None
    if np.any(nonzero):
        ratio = np.max(bound[nonzero] / np.abs(e_mid[nonzero]))
        digits = 17 if ratio <= 0 else max(0, min(17, int(math.floor(-math.log10(ratio)))))
    if mismatch.any():
        verdict = "mismatch"
    elif unsure.any() or ties:
        verdict = "unverified"
    else:
        verdict = "kink" if kink.any() else "agree"
    notes = []
    if mismatch.any():
        notes.append(f"{int(mismatch.sum())} of {exact.size} elements differ from the exact gradient by more than "
                     f"float64's bound; the worst is {list(worst)}")
    sides = {}
    read = differ if mixed is None else differ & ~mixed     # the kinks whose sides are these slopes
    if read.any():
        at = tuple(int(i) for i in np.argwhere(kink if kink.any() else read)[0])
        sides = {"left": float(l_mid[at]), "right": float(r_mid[at])}
        notes.append(f"{int(read.sum())} of {exact.size} elements are at a kink (not differentiable there: a "
                     f"value between the one-sided slopes is a kink, any other a mismatch); at {list(at)}: left "
                     f"slope {sides['left']:.6g}, right slope {sides['right']:.6g}, given {float(given[at]):.6g}")
        worst = at if verdict == "kink" else worst
    crossed = 0 if mixed is None else int((mixed & unsure).sum())
    if crossed:
        notes.append(f"{crossed} elements move kinks both ways (e.g. relu(x) − relu(−x)), so their one-sided "
                     "slopes are not read here: check it as a scalar program")
    if unsure.sum() > crossed:
        notes.append(f"{int(unsure.sum()) - crossed} elements could not be decided (the balls are too wide)")
    notes += list(dict.fromkeys(ties))   # one note per kind of tie, not one per element
    w = worst if worst is not None else ()
    return row_type(name, verdict, exact.shape, exact.shape, elements=exact.size, disagree=int(mismatch.sum()),
                    unverified=int(unsure.sum()), worst=worst if exact.size else None,
                    given=float(given[w]) if exact.size else None, exact=float(e_mid[w]) if exact.size else None,
                    error=float(dist[w]) if exact.size else None, tolerance=float(allowed[w]) if exact.size else None,
                    digits=digits, note="; ".join(notes), **sides)


def shape_row(row_type, name: str, given: np.ndarray, shape: tuple[int, ...]):
    """A gradient of the wrong shape: a mismatch naming both shapes (and the axes to sum, if any)."""
    got = tuple(np.shape(given))
    hint = ""
    if len(got) >= len(shape):
        lead = len(got) - len(shape)
        axes = list(range(lead)) + [lead + i for i, n in enumerate(shape) if n == 1 and got[lead + i] != 1]
        fits = all(n == 1 or n == got[lead + i] for i, n in enumerate(shape))
        if axes and fits:
            hint = f"; it broadcasts to that shape: sum over axis {', '.join(map(str, axes))}" + \
                (" with keepdim=True" if any(n == 1 for n in shape) else "")
    if not hint and sorted(got) == sorted(shape) and len(got) == 2:
        hint = "; the same sizes in the other order: a missing transpose?"
    return row_type(name, "mismatch", shape, got, elements=int(np.prod(shape)),
                    note=f"shape {got} given, but d/d{name} has shape {shape}{hint}")
