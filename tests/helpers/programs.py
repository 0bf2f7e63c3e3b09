"""Random programs over the rule table (every row and operator, nesting and reuse), from a seed.

Used by tests/gradcheck/test_corpus.py (the three-way corpus) and tests/gradcheck/test_detection.py.
Nothing here names a row: each row's arguments are derived from the row itself (``guard``), so a
new row is in the corpus by being in the table.
"""

import itertools
import math
import random

from symgrad.rules.rule import inside
from symgrad.rules.table import RULES

_RADII = (1.0, 0.5, 0.25, 0.1)
_STEPS = 9   # probes per argument across a box, plus its 0 and ±1 (where domains end)


def _box_is_safe(row, center, radius) -> bool:
    """The row is defined, finite and with moderate slopes on a grid over the box ``center ±
    radius`` (constant arguments fixed), and at 0 and ±1 inside it (where domains end). A kink
    may cross the box (relu's, max's tie: both sides are exercised); the center is off it."""
    if row.kinked(*center):
        return False
    axes = []
    for i, c in enumerate(center):
        if i in row.constant:
            axes.append((c,))
            continue
        lo, hi = c - radius, c + radius
        grid = [lo + (hi - lo) * k / (_STEPS - 1) for k in range(_STEPS)]
        axes.append(tuple(grid) + tuple(v for v in (0.0, 1.0, -1.0) if lo <= v <= hi))
    for p in itertools.product(*axes):
        if row.domain is not None and not row.domain(*p):
            return False
        if row.kinked(*p):
            continue
        try:
            out = row.forward(*p)
            slopes = row.local(*p, out)
        except Exception:  # noqa: BLE001 -- a failure at a probe: not a safe box
            return False
        if not all(math.isfinite(v) and abs(v) < 1e6 for v in (out, *slopes)):
            return False
    return True


def guard(row) -> tuple[tuple[float, ...], float]:
    """(center, radius): a box inside the row's domain, with moderate values and slopes; each argument of the row in a program is center_i + radius·tanh(…) (a constant
    argument is center_i itself). Centers: the row's sample points, nearest the origin first."""
    n = row.arity + (1 if row.variadic else 0)
    points = [p for p in inside(row) if len(p) == row.arity]
    if row.variadic:
        points = [p + (p[-1] + 0.35,) for p in points]
    for center in sorted(points, key=lambda p: (max(map(abs, p)), p)):
        for radius in _RADII:
            if _box_is_safe(row, center, radius) and len(center) == n:
                return center, radius
    raise AssertionError(f"no box inside the domain of {row.name} among its sample points: give it samples=")


OPS = sorted(RULES)   # every row of the language; powc is a pow with a constant exponent


class Generator:
    """Random programs over the rule table. Each row's arguments are squashed into a box inside
    its domain (``guard``), so every program is defined at every point and nests without overflow."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def leaf(self, names: list[str]) -> str:
        if self.rng.random() < 0.2:
            return self.rng.choice(["2", "0.5", "3", "1.5", "pi"])
        return self.rng.choice(names)

    def expr(self, names: list[str], depth: int, op: str | None = None) -> str:
        if depth == 0:
            return self.leaf(names)
        row = RULES[op or self.rng.choice(OPS)]
        center, radius = guard(row)
        args = [f"({c!r})" if i in row.constant else f"({c!r} + {radius!r}*tanh({self.expr(names, depth - 1)}))"
                for i, c in enumerate(center)]
        if row.kind == "infix":
            return f"({args[0]} {row.symbol} {args[1]})"
        if row.kind == "prefix":
            return f"({row.symbol}{args[0]})"
        return f"{row.name}({', '.join(args)})"

    def program(self, i: int) -> str:
        inputs = [f"x{k}" for k in range(self.rng.randint(1, 3))]
        first = OPS[i % len(OPS)]                   # cycle through every row
        if i % 3 == 0:
            return self.expr(inputs, self.rng.randint(1, 3), first)
        # Reuse: named intermediates read several times, and by later statements.
        lines, names = [], list(inputs)
        for k in range(self.rng.randint(1, 3)):
            name = f"t{k}"
            lines.append(f"{name} = {self.expr(names, self.rng.randint(1, 2), first if k == 0 else None)}")
            names.append(name)
        last = names[-1]
        lines.append(f"out = {last}*{self.rng.choice(names)} + {self.expr(names, 1)} - {last}")
        return "\n".join(lines)


def programs(n: int, seed: int = 20261130) -> list[str]:
    """``n`` generated programs, each with an input (a draw whose leaves all came out constant is
    drawn again); used by the detection test and ``bench/check_bench.py``."""
    import symgrad as sg
    gen, out = Generator(seed), []
    for i in range(n):
        text = gen.program(i)
        while not sg.parse(text).inputs:
            text = gen.program(i)
        out.append(text)
    return out
