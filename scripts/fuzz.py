"""Fuzz symgrad with 100,000+ hostile inputs and record the counts (``make fuzz``).

Every input is parsed and backpropagated at 1.0 for every input name; a program that
parses must round-trip (parse(unparse(p)) == p); generated valid programs are also
compared with finite differences; every twentieth input also goes through the CLI.
Counts go to docs/fuzzing.md (a record of the last run, committed by hand).

    nice -n 10 python scripts/fuzz.py --inputs 100000 --seed 0 --workers 2 --out docs/fuzzing.md
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import multiprocessing
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hypothesis  # noqa: E402
import lark  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

import symgrad as sg  # noqa: E402
from symgrad.interface.cli.main import main as cli  # noqa: E402
from helpers.hostile_corpus import CASES  # noqa: E402
from helpers.strategies import (RandomSource, finite_difference_agrees, grammar_text, lark_programs,  # noqa: E402
                                mutated_text, point_for, valid_program)

# Share of the inputs per generator; from_lark is slow (~0.3 s a program), so it gets few.
MIX = {"grammar (bounded expansion of grammar/symgrad.lark)": 0.38,
       "mutations of valid programs": 0.38,
       "random Unicode text": 0.12,
       "valid programs vs finite differences": 0.12}
FROM_LARK = "hypothesis.extra.lark.from_lark"


class Tally:
    def __init__(self) -> None:
        self.inputs = collections.Counter()
        self.outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.crashes: list[tuple[str, str]] = []
        self.slowest = (0.0, "", "")
        self.round_trips = 0
        self.fd = collections.Counter()
        self.cli = collections.Counter()

    def run(self, kind: str, text: str, src: RandomSource | None = None, fd: bool = False,
            limits: sg.Limits | None = None) -> None:
        """Time what the input costs (parse + backprop); then verify the extras untimed."""
        self.inputs[kind] += 1
        program = None
        start = time.process_time()  # CPU seconds: the shared machine's load does not count
        try:
            program = sg.parse(text, limits=limits)
            sg.backprop(program, {name: 1.0 for name in program.inputs}, limits=limits)
            outcome = "ok"
        except sg.SymgradError as err:
            outcome = type(err).__name__
        except Exception as err:  # the finding this script exists for
            program, outcome = None, f"CRASH {type(err).__name__}"
            self.crashes.append((repr(text)[:300], f"{type(err).__name__}: {err}"[:300]))
        elapsed = time.process_time() - start
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, kind, repr(text)[:120])
        self.outcomes[kind][outcome] += 1
        if program is not None:
            again = sg.parse(sg.unparse(program))
            if again != program or again.inputs != program.inputs:
                self.crashes.append((repr(text)[:300], "round trip changed the program"))
            self.round_trips += 1
        if fd and program is not None and src is not None:
            point = point_for(src, program)
            try:
                at = sg.backprop(program, point)
                verdict = finite_difference_agrees(program, point, at)
                self.fd[{True: "agree", False: "DISAGREE", None: "not judged (kink or pole nearby)"}[verdict]] += 1
                if verdict is False:
                    self.crashes.append((repr(text)[:300], f"backprop disagrees with finite differences at {point}"))
            except sg.SymgradError as err:
                self.fd[f"outside the domain ({type(err).__name__})"] += 1
        if sum(self.inputs.values()) % 20 == 0 and limits is None:
            self.run_cli(text)

    def run_cli(self, text: str) -> None:
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = cli(["grad", " " + text, "--json"])
        message = err.getvalue()
        fine = code == 0 or (code == 2 and message.count("\n") == 1 and "internal error" not in message)
        self.cli["exit 0" if code == 0 else "exit 2, one line" if fine else f"BAD exit {code}"] += 1
        if not fine:
            self.crashes.append((repr(text)[:300], f"CLI: exit {code}: {message[:200]}"))


def fuzz(total: int, seed: int, lark_examples: int, with_corpus: bool = True) -> tuple[Tally, float]:
    tally = Tally()
    src = RandomSource(random.Random(seed))
    start = time.perf_counter()
    for case in CASES if with_corpus else ():
        tally.run("adversarial corpus (tests/helpers/hostile_corpus.py)", case.source,
                  limits=sg.Limits().with_(**case.limits) if case.limits else None)
    rest = total - len(CASES) * with_corpus - lark_examples
    for kind, share in MIX.items():
        for _ in range(round(rest * share) + 1):
            if kind.startswith("grammar"):
                tally.run(kind, grammar_text(src))
            elif kind.startswith("mutations"):
                tally.run(kind, mutated_text(src))
            elif kind.startswith("random"):
                tally.run(kind, "".join(src.char() for _ in range(src.integer(0, 40))))
            else:
                tally.run(kind, valid_program(src), src, fd=True)

    @settings(max_examples=lark_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(lark_programs())
    def from_lark_inputs(text):
        tally.run(FROM_LARK, text)

    from_lark_inputs()
    return tally, time.perf_counter() - start


def merge(tallies: list[Tally]) -> Tally:
    total = Tally()
    for t in tallies:
        total.inputs.update(t.inputs)
        for kind, counts in t.outcomes.items():
            total.outcomes[kind].update(counts)
        total.crashes += t.crashes
        total.slowest = max(total.slowest, t.slowest)
        total.round_trips += t.round_trips
        total.fd.update(t.fd)
        total.cli.update(t.cli)
    return total


def _worker(job: tuple[int, int, int, bool]) -> Tally:
    total, seed, lark_examples, with_corpus = job
    return fuzz(total, seed, lark_examples, with_corpus)[0]


def report(tally: Tally, seconds: float, seed: int, command: str) -> str:
    total = sum(tally.inputs.values())
    classes = collections.Counter()
    for counts in tally.outcomes.values():
        classes.update(counts)
    crashes = sum(n for name, n in classes.items() if name.startswith("CRASH"))
    lines = [
        "# Fuzzing record",
        "",
        "The last full run of `make fuzz` (scripts/fuzz.py). This file is a record, committed by",
        "hand after a run; CI runs the same properties with fewer examples (tests/language/test_fuzz.py).",
        "",
        f"- command: `{command}`",
        f"- seed {seed}; Python {platform.python_version()}, lark {lark.__version__}, "
        f"hypothesis {hypothesis.__version__}; {seconds / 60:.1f} min wall time under `nice` on a shared, "
        f"busy 2-core box",
        f"- **{total:,} inputs**; **{crashes} non-SymgradError exceptions**; "
        f"{len(tally.crashes)} findings of any kind (crashes, round-trip changes, gradient disagreements, bad CLI exits)",
        f"- slowest input (parse + backprop, CPU time): {tally.slowest[0] * 1000:.0f} ms ({tally.slowest[1]}): "
        f"`{tally.slowest[2]}`",
        f"- programs that parsed and were checked to round-trip (parse(unparse(p)) == p): {tally.round_trips:,}",
        "- CLI runs (`symgrad grad PROGRAM --json`, every twentieth input): "
        + ", ".join(f"{k}: {v:,}" for k, v in sorted(tally.cli.items())),
        "",
        "## Inputs by generator",
        "",
        "| generator | inputs | outcomes |",
        "|---|---:|---|",
    ]
    for kind, n in tally.inputs.items():
        outcomes = ", ".join(f"{name} {count:,}" for name, count in tally.outcomes[kind].most_common())
        lines.append(f"| {kind} | {n:,} | {outcomes} |")
    lines += ["", "## Outcomes over all inputs", "", "| outcome | count |", "|---|---:|"]
    lines += [f"| {name} | {count:,} |" for name, count in classes.most_common()]
    lines += ["", "## Valid programs against finite differences", "", "| verdict | count |", "|---|---:|"]
    lines += [f"| {name} | {count:,} |" for name, count in tally.fd.most_common()]
    if tally.crashes:
        lines += ["", "## Findings", ""] + [f"- `{text}`: {what}" for text, what in tally.crashes[:50]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from-lark", type=int, default=300, help="inputs from from_lark (slow)")
    parser.add_argument("--workers", type=int, default=2, help="processes (each niced like the parent)")
    parser.add_argument("--out", type=Path, help="write the record here (markdown)")
    args = parser.parse_args()
    start = time.perf_counter()
    n = args.workers  # seeds seed, seed+1, …: one generator stream per worker process
    jobs = [(args.inputs // n + (i < args.inputs % n), args.seed + i, args.from_lark // n, i == 0) for i in range(n)]
    with multiprocessing.Pool(n) as pool:
        tally = merge(pool.map(_worker, jobs))
    seconds = time.perf_counter() - start
    command = (f"make fuzz  (nice -n 10 python scripts/fuzz.py --inputs {args.inputs} --seed {args.seed} "
               f"--from-lark {args.from_lark} --workers {args.workers})")
    text = report(tally, seconds, args.seed, command)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 1 if tally.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
