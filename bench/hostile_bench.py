"""Hostile input at the default limits: the slowest input and the largest peak RSS.

Every input of the adversarial corpus (tests/helpers/hostile_corpus.py) and of a seeded fuzz corpus
(the generators of tests/helpers/strategies.py that scripts/fuzz.py drives) is parsed and
backpropagated at 1.0 under ``symgrad.Limits()`` (each case's own limits are ignored: the
question is what the defaults allow). Each corpus case runs in a fresh child process and reports
its own peak RSS; the fuzz inputs share one child, whose peak bounds them all. The peak is the
child's ``VmHWM`` (Linux's high-water mark of its own address space): ``ru_maxrss``, from
``resource`` or ``os.wait4`` alike, starts at the parent's peak when the child is exec'd (the kernel
carries the old address space's high-water mark over), so it reported the bench process's size for
every case. Time is CPU seconds of the child (the shared machine's load does not count) and wall
seconds beside it. Targets: under 1 s and under 300 MB for every input.

Run from the repository root:  python -m bench.hostile_bench [--quick]
"""

from __future__ import annotations

import multiprocessing
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (str(ROOT), str(ROOT / "tests")):
    if extra not in sys.path:
        sys.path.insert(0, extra)

from bench import load, own_peak_mb, table, verdict  # noqa: E402

TIME_TARGET, RSS_TARGET_MB = 1.0, 300.0


def _one(text: str) -> tuple[float, float, str]:
    """(CPU s, wall s, outcome) of parse + backprop at the default limits."""
    import symgrad as sg
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        program = sg.parse(text)
        sg.backprop(program, {name: 1.0 for name in program.inputs})
        outcome = "ok"
    except sg.SymgradError as err:
        outcome = type(err).__name__ + (f" ({err.limit})" if isinstance(err, sg.LimitError) else "")
    except Exception as err:  # noqa: BLE001 -- a finding: reported, never hidden
        outcome = f"CRASH {type(err).__name__}"
    return time.process_time() - cpu, time.perf_counter() - wall, outcome


def _child(texts: list[str], conn) -> None:
    import symgrad  # noqa: F401 -- imported before measuring, as any caller has
    results = [_one(text) for text in texts]
    conn.send((results, own_peak_mb()))
    conn.close()


def _in_child(texts: list[str]) -> tuple[list[tuple[float, float, str]], float]:
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: its peak RSS is its own
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(texts, child))
    proc.start()
    child.close()
    results = parent.recv()
    proc.join()
    return results


def fuzz_corpus(count: int, seed: int = 0) -> list[tuple[str, str]]:
    from helpers.strategies import RandomSource, grammar_text, mutated_text, valid_program
    src = RandomSource(random.Random(seed))
    kinds = [("grammar", grammar_text), ("mutation", mutated_text), ("valid", valid_program),
             ("unicode", lambda s: "".join(s.char() for _ in range(s.integer(0, 40))))]
    return [(kind, make(src)) for i in range(count) for kind, make in [kinds[i % len(kinds)]]]


def measure_all(quick: bool = False) -> dict:
    from helpers.hostile_corpus import CASES
    rows = []
    for case in CASES:
        (result,), rss = _in_child([case.source])
        rows.append(("corpus", case.id, len(case.source), *result, rss))
    fuzz = fuzz_corpus(1_000 if quick else 10_000)
    results, rss = _in_child([text for _, text in fuzz])
    for (kind, text), result in zip(fuzz, results):
        rows.append((f"fuzz: {kind}", repr(text)[:40], len(text), *result, rss))
    return {"rows": rows, "fuzz_rss": rss, "fuzz_count": len(fuzz), "corpus_count": len(CASES)}


def run(quick: bool = False) -> str:
    data = measure_all(quick)
    rows = data["rows"]
    slowest = sorted(rows, key=lambda r: -r[3])[:5]
    largest = max((r for r in rows if r[0] == "corpus"), key=lambda r: r[6])
    worst_cpu, worst_rss = slowest[0][3], max(r[6] for r in rows)
    crashes = [r for r in rows if r[5].startswith("CRASH")]
    cell = lambda r: [r[0], f"`{r[1]}`", f"{r[2]:,}", r[5], f"{r[3]:.3f}", f"{r[4]:.3f}", f"{r[6]:.0f}"]  # noqa: E731
    head = ["corpus", "input", "chars", "outcome", "CPU s", "wall s", "peak RSS MB"]
    return "\n\n".join([
        "## Hostile input at the default limits",
        f"`python -m bench.hostile_bench{' --quick' if quick else ''}`: the {data['corpus_count']} cases of "
        f"tests/helpers/hostile_corpus.py (each in a fresh process) and {data['fuzz_count']:,} seeded fuzz inputs "
        "(tests/helpers/strategies.py's generators, as scripts/fuzz.py drives them; one process), each parsed "
        "and backpropagated at 1.0 under `symgrad.Limits()`. Peak RSS is each child's own high-water mark "
        "(`VmHWM`: interpreter and symgrad included; `ru_maxrss` would start at the bench process's peak, "
        "carried over the exec). Machine at the end: " + load() + ".",
        "Slowest inputs:",
        table(head, [cell(r) for r in slowest]),
        "Largest peak RSS (corpus, per case):",
        table(head, [cell(largest)]) + f"\n\nThe fuzz process peaked at {data['fuzz_rss']:.0f} MB over all its inputs.",
        "Targets:\n\n" + "\n".join([
            f"- every input answered in under {TIME_TARGET:.0f} s (CPU): worst **{worst_cpu:.3f} s** — "
            + verdict(worst_cpu < TIME_TARGET),
            f"- peak RSS under {RSS_TARGET_MB:.0f} MB: worst **{worst_rss:.0f} MB** — " + verdict(worst_rss < RSS_TARGET_MB),
            f"- no raw Python exception: **{len(crashes)}** — " + verdict(not crashes),
        ]),
    ])


def main() -> int:
    print(run(quick="--quick" in sys.argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
