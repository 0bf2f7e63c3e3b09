"""Seeded random points inside a program's domain, for ``check(random=N)`` and the claims judge."""

from __future__ import annotations

import random

from ..language.ast import Program
from ..engine.backprop import backprop
from ..base.errors import LimitError, NumericError
from ..base.limits import Limits

__all__ = ["random_points"]

_DRAWS_PER_POINT = 200  # attempts to find one in-domain random point


def random_points(prog: Program, n: int, seed: int, limits: Limits) -> list[dict[str, float]]:
    """``n`` seeded points where the program is defined, each input uniform in [-2, 2] (every
    other draw in [0.05, 2], so log, sqrt and x**y find some); at most ``limits.max_random_draws``
    draws in all (LimitError), ``_DRAWS_PER_POINT`` per point (NumericError)."""
    rng = random.Random(seed)
    points, draws = [], 0
    for _ in range(n):
        for attempt in range(_DRAWS_PER_POINT):
            draws += 1
            if draws > limits.max_random_draws:
                raise LimitError(f"over {limits.max_random_draws} random draws without finding {n} points "
                                 "inside the domain", limit="max_random_draws", value=limits.max_random_draws)
            lo = -2.0 if attempt % 2 == 0 else 0.05   # every other draw stays positive (log, sqrt, x**y)
            point = {name: round(rng.uniform(lo, 2.0), 6) for name in prog.inputs}
            try:
                backprop(prog, point)
            except NumericError:
                continue
            points.append(point)
            break
        else:
            raise NumericError(f"no point inside the domain found in {_DRAWS_PER_POINT} random draws",
                               hint="give a point with --at / values")
    return points
