"""Small datasets without scikit-learn: the lecture's four points, a seeded two-moons set, and the
seeded batch and parameters of the makemore "backprop ninja" network (``makemore_ninja``)."""

from __future__ import annotations

import math
import random

from ..base.errors import InputError
from ..base.validate import real_number, seed_rng, whole_number

__all__ = ["lecture_data", "make_moons", "makemore_ninja", "MAKEMORE_SIZES"]

# The lecture's sizes (makemore part 4): 27 characters, block size 3, embedding 10, hidden 64.
MAKEMORE_SIZES = {"vocab": 27, "block": 3, "embedding": 10, "hidden": 64}


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


def makemore_ninja(batch: int = 32, seed: int = 42) -> dict:
    """Inputs of ``examples/makemore_ninja.sg`` as numpy arrays: a seeded batch of ``batch`` random
    contexts ``Xb`` (batch, 3) and targets ``Yb`` (batch,) over 27 characters, and the parameters at
    the lecture's initial scales (Karpathy, "Building makemore Part 4: Becoming a Backprop Ninja"):
    C ~ N(0, 1) (27, 10); W1 ~ N(0, 1)·(5/3)/√30 (30, 64); b1 ~ 0.1·N(0, 1) (64,); W2 ~ 0.1·N(0, 1)
    (64, 27); b2 ~ 0.1·N(0, 1) (27,); bngain ~ 1 + 0.1·N(0, 1) and bnbias ~ 0.1·N(0, 1) (1, 64).
    The lecture draws these from torch's generator; here numpy's ``default_rng(seed)`` draws them."""
    import numpy as np
    batch = whole_number(batch, "batch", minimum=2, maximum=1_000_000)
    seed = whole_number(seed, "seed")
    vocab, block, emb, hidden = (MAKEMORE_SIZES[k] for k in ("vocab", "block", "embedding", "hidden"))
    rng = np.random.default_rng(seed)
    fan_in = emb * block
    return {"C": rng.standard_normal((vocab, emb)),
            "W1": rng.standard_normal((fan_in, hidden)) * (5 / 3) / fan_in ** 0.5,
            "b1": rng.standard_normal(hidden) * 0.1,
            "W2": rng.standard_normal((hidden, vocab)) * 0.1,
            "b2": rng.standard_normal(vocab) * 0.1,
            "bngain": rng.standard_normal((1, hidden)) * 0.1 + 1.0,
            "bnbias": rng.standard_normal((1, hidden)) * 0.1,
            "Xb": rng.integers(0, vocab, (batch, block)),
            "Yb": rng.integers(0, vocab, batch)}
