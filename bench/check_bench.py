"""Benchmark: ``symgrad check`` (exact references) — linear cost, warm medians, detection power.

All in one run (``python -m bench.check_bench``; ``run(quick=True)`` for CI):

- growth with program size, 50 → 400 AST nodes, for chains of named statements, deep
  compositions (one expression nested ``n/2`` deep) and wide sums;
- the N=100 neuron sum ``tanh(x0*w0 + b0) + …`` against a 300-node deep program;
- the median program of a seeded generated corpus (the generator of tests/gradcheck/test_corpus.py),
  warm (each row's SymPy forms cached), with the count of verdicts over the corpus;
- ``symgrad check 'x^10000000000' --at x=0.5`` as a process: wall time and peak memory;
- the detection grid: relative errors 1e-2 … 1e-10 injected into exact gradients of
  magnitude 1e-300 … 1e300 through ``grads=``.

Times are medians of several runs, in CPU milliseconds of this process (``time.process_time``),
so other work on a shared machine does not distort them; the process run is timed in wall and
CPU seconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import mpmath

import symgrad
from bench import run_symgrad

ROOT = Path(__file__).resolve().parent.parent
LIMITS = symgrad.Limits(max_depth=2_000)
SIZES = (50, 100, 200, 400)


def neuron_sum(n: int) -> tuple[str, dict[str, float]]:
    text = " + ".join(f"tanh(x{i}*w{i} + b{i})" for i in range(n))
    return text, {f"{v}{i}": round(0.37 * ((i * 7 + j) % 11) / 11 - 0.2, 6) for i in range(n) for j, v in enumerate("xwb")}


def shapes(nodes: int) -> dict[str, tuple[str, dict[str, float]]]:
    """Programs of about ``nodes`` AST nodes."""
    chain = "x0 = x" + "".join(f"; x{i} = tanh(x{i - 1})*0.9 + 0.1*x{i - 1}" for i in range(1, nodes // 7 + 1))
    deep = "x"
    for i in range(nodes // 4):
        deep = f"sin({deep})*0.5" if i % 2 else f"tanh({deep} + y)"
    wide = " + ".join(f"x{i}*x{i}" for i in range(nodes // 4))
    return {"chain of statements": (chain, {"x": 0.5}), "deep composition": (deep, {"x": 0.5, "y": 0.25}),
            "wide sum": (wide, {f"x{i}": 0.01 * i for i in range(nodes // 4)})}


def size(text: str) -> int:
    from symgrad.language.ast import postorder
    return sum(1 for s in symgrad.parse(text, limits=LIMITS).statements for _ in postorder(s.expr))


def timed(text: str, at: dict, repeat: int) -> float:
    text = symgrad.parse(text, limits=LIMITS)                 # parsing is bench/parse_bench.py's subject
    symgrad.check(text, at, limits=LIMITS)                    # warm: forms cached
    times = []
    for _ in range(repeat):
        start = time.process_time()       # CPU time: the machine is shared, wall time is noise
        symgrad.check(text, at, limits=LIMITS)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1e3


def corpus(n: int) -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.programs import programs   # the generator the detection test uses
    return programs(n)


def big_power() -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and its own peak MB of one ``symgrad check`` process."""
    proc = run_symgrad("check", "x^10000000000", "--at", "x=0.5", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.wall, proc.cpu, proc.peak_mb


def grid() -> list[str]:
    mpmath.mp.dps = 60
    errors = (1e-2, 1e-4, 1e-6, 1e-8, 1e-9, 1e-10)
    lines = ["| gradient | " + " | ".join(f"{e:g}" for e in errors) + " |", "|---" * (len(errors) + 1) + "|"]
    for k in (-300, -200, -100, -50, -9, 0, 9, 50, 100, 200, 300):
        exact = mpmath.mpf(float(f"1e{k}")) * 0.7 * (1 - mpmath.tanh(mpmath.mpf(0.7) * 0.4) ** 2)
        cells = []
        for error in errors:
            (row,) = symgrad.check(f"tanh(x*w)*1e{k}", x=0.7, w=0.4, grads={"w": float(exact * (1 + error))}).rows
            cells.append("caught" if row.verdict == "mismatch" else row.verdict)
        lines.append(f"| {float(exact):.2e} | " + " | ".join(cells) + " |")
    return lines


def run(quick: bool = False) -> str:
    repeat = 3 if quick else 9
    rows, per_node = [], {}
    for nodes in SIZES:
        for kind, (text, at) in shapes(nodes).items():
            ms = timed(text, at, repeat)
            n = size(text)
            per_node.setdefault(kind, []).append((n, ms))
            rows.append(f"| {kind} | {n} | {ms:.1f} | {ms / n * 1e3:.0f} |")
    text, at = neuron_sum(100)
    neuron = timed(text, at, repeat)
    deep300 = [(n, ms) for n, ms in per_node["deep composition"] if n >= 300][0]
    programs = corpus(100 if quick else 500)
    times, verdicts = [], {}
    for i, prog in enumerate(programs):
        symgrad.check(prog, random=1, seed=i)
        start = time.process_time()
        report = symgrad.check(prog, random=1, seed=i)
        times.append(time.process_time() - start)
        for v, c in report.summary.items():
            verdicts[v] = verdicts.get(v, 0) + c
    median = statistics.median(times) * 1e3
    wall, cpu, rss = big_power()
    growth = "; ".join(f"{kind}: {ms[-1][1] / ms[0][1]:.1f}× the time for {ms[-1][0] / ms[0][0]:.1f}× the nodes"
                       for kind, ms in per_node.items())
    lines = [
        "## Gradient check (`symgrad check`, exact references)",
        "",
        "Warm (each row's SymPy partials cached, as after the first check of a session), on the parsed "
        f"program (parsing is measured in the parsing section). CPU milliseconds (the machine is shared, so wall "
        f"time is mostly other people's work), median of {repeat} runs.",
        "",
        "| program | AST nodes | ms | µs per node |",
        "|---|---|---|---|",
        *rows,
        "",
        f"- Growth from the smallest to the largest size: {growth} (linear: the same ratio).",
        f"- N=100 neuron sum (300 gradients): {neuron:.1f} ms; the deep composition of {deep300[0]} nodes: "
        f"{deep300[1]:.1f} ms, **{deep300[1] / neuron:.2f}×** the neuron sum (target ≤ 5×).",
        f"- Generated corpus, {len(programs)} programs at a seeded random point: median **{median:.1f} ms** "
        f"warm (target ≤ 20 ms); verdicts {verdicts}.",
        f"- `symgrad check 'x^10000000000' --at x=0.5` as a process: {wall:.2f} s wall ({cpu:.2f} s CPU, "
        f"most of it importing SymPy), peak {rss:.0f} MB "
        "(targets < 2 s, < 300 MB; the old check took 77 s and 4 GB).",
        "",
        "Detection grid (`grads=` the exact dw of `tanh(x*w)*C` times 1 + error; 'caught' = mismatch):",
        "",
        *grid(),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
