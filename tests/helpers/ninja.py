"""The makemore part 4 network's point, as the lecture initialises it (seeded): batch n, 27 characters,
block size 3, embedding 10, hidden 64; Xb and Yb random integer data (the lecture's Karpathy-names
batch is replaced by seeded indices: the gradients' formulas do not depend on which names)."""

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
NINJA = ROOT / "examples" / "makemore_ninja.sg"
NINJA_CLAIMS = ROOT / "examples" / "makemore_ninja.claims"


def ninja_point(n: int = 32, seed: int = 42) -> dict:
    r = np.random.default_rng(seed)
    vocab, block, emb, hidden = 27, 3, 10, 64
    return {"C": r.standard_normal((vocab, emb)),
            "Xb": r.integers(0, vocab, (n, block)), "Yb": r.integers(0, vocab, n),
            "W1": r.standard_normal((emb * block, hidden)) * (5 / 3) / (emb * block) ** 0.5,
            "b1": r.standard_normal(hidden) * 0.1,
            "bngain": r.standard_normal((1, hidden)) * 0.1 + 1.0, "bnbias": r.standard_normal((1, hidden)) * 0.1,
            "W2": r.standard_normal((hidden, vocab)) * 0.1, "b2": r.standard_normal(vocab) * 0.1}
