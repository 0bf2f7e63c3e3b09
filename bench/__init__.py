"""symgrad's benchmarks against its peers, measured in one run: ``python -m bench``.

Each ``bench/<topic>_bench.py`` has ``run(quick=False) -> str``, a markdown section. The
helpers here time callables the same way for every contender: medians and min–max of
several repeats, each the mean of many calls.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["measure", "interleaved", "Timing", "table", "fmt", "verdict"]


class Timing:
    """Seconds per call: median, min and max over the repeats."""

    def __init__(self, samples: list[float]) -> None:
        self.samples = samples
        self.median = statistics.median(samples)
        self.min, self.max = min(samples), max(samples)

    def cell(self) -> str:
        return f"{fmt(self.median)} ({fmt(self.min)}–{fmt(self.max)})"


def measure(fn: Callable[[], object], *, number: int = 0, repeat: int = 7, budget: float = 0.2) -> Timing:
    """Time ``fn()``: ``repeat`` samples of ``number`` calls (chosen to take ``budget`` s)."""
    fn()  # warm up (caches, lazy imports)
    if not number:
        number, elapsed = 1, 0.0
        while number < 1 << 22:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            elapsed = time.perf_counter() - start
            if elapsed >= 0.02:
                break
            number *= 2
        number = max(1, round(number * (budget / repeat) / max(elapsed, 1e-9)))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return Timing(samples)


def interleaved(fns: dict[str, Callable[[], object]], *, repeat: int = 7, budget: float = 0.2) -> dict[str, Timing]:
    """Time several callables round-robin, so that all of them see the same machine load."""
    numbers = {name: max(1, round(budget / repeat / measure(fn, number=1, repeat=3).median))
               for name, fn in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / numbers[name])
    return {name: Timing(s) for name, s in samples.items()}


def fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool, why: str = "") -> str:
    return "**met**" if ok else f"**missed**{': ' + why if why else ''}"
