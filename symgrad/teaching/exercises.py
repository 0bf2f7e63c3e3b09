"""Exercise sheets for a class: seeded random in-domain points, a sheet and a key for each.

The ``symgrad worksheet`` command that calls it is in ``interface.cli.render``.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any, Mapping

from ..base.errors import InputError, NumericError

__all__ = ["random_point", "write_sheets"]

TRIES = 200


def random_point(program: Any, rng: random.Random, fixed: Mapping[str, Any] | None = None) -> dict[str, float]:
    """A point where the program and its gradients are defined: inputs uniform in [-3, 3], one decimal.

    Points where evaluation or backprop fails (log of a negative, 1/0, a kink's infinite slope)
    are drawn again, up to a bound.
    """
    from ..engine.backprop import backprop
    fixed = dict(fixed or {})
    for _ in range(TRIES):
        point = {name: fixed[name] if name in fixed else round(rng.uniform(-3.0, 3.0), 1)
                 for name in program.inputs}
        try:
            backprop(program, point)
        except NumericError:
            continue
        return point
    raise InputError(f"no point in the domain found in {TRIES} random tries",
                     hint="give the values with --at")


def write_sheets(program: Any, path: str, *, count: int, seed: int, fmt: str,
                 fixed: Mapping[str, Any] | None = None, progress: bool = True, limits: Any = None,
                 **kw: Any) -> list[str]:
    """Write ``count`` numbered exercise sheets and their answer keys next to ``path``; return the
    file names, written as one set: all or none. Raises LimitError over ``limits.max_sheets``."""
    from tqdm import tqdm
    from ..base.limits import DEFAULT_LIMITS
    from ..base.errors import LimitError
    from ..base.files import output_set
    from .answer_key import write_exercise
    from .sheets import write_worksheet
    from .worksheet import answered, blanked, build_worksheet
    bound = (limits or DEFAULT_LIMITS).max_sheets
    if count > bound:
        raise LimitError(f"--count {count} asks for too many sheets", limit="max_sheets", value=bound)
    rng = random.Random(seed)
    stem, suffix = os.path.splitext(path)
    written = []
    width = len(str(count))
    with output_set():              # every sheet and key, all or none (staged on disk, not in memory)
        for k in tqdm(range(1, count + 1), desc="worksheets", unit="sheet", disable=not progress, file=sys.stderr):
            point = random_point(program, rng, fixed)
            key = build_worksheet(program, point, sheet=k, seed=seed, limits=limits, **kw)
            name = f"{stem}-{k:0{width}d}"
            written += write_exercise(key, blanked(key), fmt, f"{name}{suffix}", write_worksheet, sheet=k, seed=seed)
            written += write_worksheet(answered(key), fmt, f"{name}-key{suffix}")
    return written
