"""Small datasets without scikit-learn: the lecture's four points and a seeded two-moons set."""

from __future__ import annotations

import math
import random

from ..base.errors import InputError
from ..base.validate import real_number, seed_rng, whole_number

__all__ = ["lecture_data", "make_moons"]


def lecture_data() -> tuple[list[list[float]], list[float]]:
    """The lecture's four samples of three inputs and their targets (±1)."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    return xs, ys


def _linspace_pi(m: int) -> list[float]:
    return [math.pi * i / (m - 1) for i in range(m)] if m > 1 else [0.0] * m


def make_moons(n: int = 100, noise: float = 0.1, seed: "int | random.Random | None" = None
               ) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, as ``sklearn.datasets.make_moons``, with labels -1 and +1.

    The upper moon is labelled -1 and the lower +1 (sklearn's 0/1 mapped by ``2*y - 1``, as
    micrograd's demo does). Points are shuffled, then Gaussian noise of standard deviation
    ``noise`` is added to each coordinate. Same ``seed``, same points.
    """
    n = whole_number(n, "make_moons' n (points)", minimum=2, maximum=10_000_000)
    noise = real_number(noise, "noise")
    if noise < 0:
        raise InputError(f"noise must be >= 0, got {noise}")
    rng = seed_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    points = [([math.cos(t), math.sin(t)], -1.0) for t in _linspace_pi(n_out)]
    points += [([1.0 - math.cos(t), 0.5 - math.sin(t)], 1.0) for t in _linspace_pi(n_in)]
    rng.shuffle(points)
    xs = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for (x, y), _ in points]
    return xs, [label for _, label in points]
