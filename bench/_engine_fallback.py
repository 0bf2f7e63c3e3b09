"""Engine targets, measured here only while bench/engine_bench.py (the engine's own
benchmark) is absent: memory per node, a 10^6-node chain, and freeing without the cyclic GC.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

from bench import table, verdict
from symgrad import Value

N_SUM = 100_000


def _bytes_per_node(cls) -> float:
    leaves = [cls(float(i)) for i in range(N_SUM)]
    gc.collect()
    tracemalloc.start()
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / (N_SUM - 1)


def _chain_seconds(n: int) -> float:
    start = time.perf_counter()
    x = Value(0.5)
    v = x
    for _ in range(n // 2):
        v = v * 0.999999 + x  # two op nodes per step
    v.backward()
    return time.perf_counter() - start


def _garbage_after_drop(cls) -> int:
    gc.collect()
    gc.disable()
    try:
        x = cls(1.0)
        v = x
        for _ in range(400):  # micrograd's recursive topo sort limits the depth
            v = v * 1.0 + x
        v.backward()
        del v, x
        return gc.collect()
    finally:
        gc.enable()


def run(quick: bool = False) -> str:
    from micrograd.engine import Value as MValue
    ours, theirs = _bytes_per_node(Value), _bytes_per_node(MValue)
    small = min(_chain_seconds(100_000) for _ in range(2 if quick else 3))
    big = _chain_seconds(1_000_000)
    g_ours, g_theirs = _garbage_after_drop(Value), _garbage_after_drop(MValue)
    rows = [
        ["peak bytes per interior node (100,000-node sum)", f"{ours:.0f}", f"{theirs:.0f}"],
        ["chain forward + backward, 10^5 op nodes", f"{small:.3g} s", "(recursive backward: no)"],
        ["chain forward + backward, 10^6 op nodes", f"{big:.3g} s", "(recursive backward: no)"],
        ["objects the cyclic GC frees after a dropped graph of 400 steps", str(g_ours), str(g_theirs)],
    ]
    return "\n\n".join([
        "## Engine memory and speed",
        "Measured by the benchmark runner because bench/engine_bench.py is not present.",
        table(["measure", "symgrad.Value", "micrograd 0.1.0"], rows),
        "Targets:\n\n" + "\n".join([
            f"- ≤ 200 bytes per interior node: measured **{ours:.0f}** (micrograd {theirs:.0f}) — "
            + verdict(ours <= 200),
            f"- 10^6 vs 10^5 chain within 12×: measured **{big / small:.1f}×** — " + verdict(big / small <= 12),
            f"- freed by reference counting alone (gc.collect() finds nothing): found **{g_ours}** — "
            + verdict(g_ours == 0),
        ]),
    ])
