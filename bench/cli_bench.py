"""The CLI as a process: ``symgrad eval`` and ``symgrad grad`` against the bare interpreter.

Each contender is a fresh ``python`` process, run round-robin so that all see the same load; its
CPU is its own user + system time from ``os.wait4`` (the machine's load does not count, though a
busy machine still slows every process a little) and its peak RSS its own (``bench.own_peak_mb``).
Bytecode is compiled once before measuring, as an installed package's is.
Target: at most 0.25 s of CPU for ``eval`` and ``grad``, importing neither SymPy, numpy,
matplotlib nor jinja2 (``tests/interface/test_cli_imports.py`` pins what they import).

Run from the repository root:  python -m bench.cli_bench [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load, run_symgrad, table, verdict  # noqa: E402

TARGET_CPU = 0.25
PROGRAM = "e = a*b; d = e + c; L = tanh(d*f)"
AT = ["--at", "a=2", "b=-3", "c=10", "f=-2"]
CONTENDERS = {
    "`python -c pass` (the interpreter alone)": ["-c", "pass"],
    "`symgrad --version`": ["--version"],
    "`symgrad eval`": ["eval", PROGRAM, *AT],
    "`symgrad grad`": ["grad", PROGRAM, *AT],
}


def _run(args: list[str], env: dict):
    if args[:1] == ["-c"]:  # the interpreter itself, without symgrad
        import subprocess
        import time
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, float("nan")
    proc = run_symgrad(*args, env=env, probe=False)
    assert proc.returncode == 0, proc.stderr
    return proc.wall, proc.cpu, float("nan")


def measure(quick: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for args in CONTENDERS.values():  # compile the bytecode once
        _run(args, env)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in CONTENDERS}
    before = load()
    for _ in range(5 if quick else 15):
        for name, args in CONTENDERS.items():
            samples[name].append(_run(args, env)[:2])
    peaks = {name: run_symgrad(*args, env=env).peak_mb for name, args in CONTENDERS.items() if args[:1] != ["-c"]}
    return {"samples": samples, "peaks": peaks, "load": (before, load())}


def run(quick: bool = False) -> str:
    data = measure(quick)
    cpu = {name: statistics.median(c for _, c in s) for name, s in data["samples"].items()}
    wall = {name: statistics.median(w for w, _ in s) for name, s in data["samples"].items()}
    base = next(iter(CONTENDERS))
    rows = [[name, f"{cpu[name]:.3f}", f"{min(c for _, c in data['samples'][name]):.3f}",
             f"{cpu[name] / cpu[base]:.2f}×", f"{wall[name]:.3f}",
             f"{data['peaks'][name]:.0f}" if name in data["peaks"] else "–"] for name in CONTENDERS]
    worst = max(cpu[name] for name in CONTENDERS if "eval" in name or "grad" in name)
    return "\n\n".join([
        "## The CLI as a process",
        f"`python -m bench.cli_bench{' --quick' if quick else ''}`: each command is a fresh process "
        f"(`{PROGRAM}` at a=2, b=-3, c=10, f=-2), the contenders run round-robin, "
        f"{len(next(iter(data['samples'].values())))} times each. CPU is the child's own user + system time "
        "(`os.wait4`); the ratio divides by the bare interpreter's. Machine load: "
        f"{data['load'][0]} before, {data['load'][1]} after.",
        table(["process", "CPU s (median)", "CPU s (min)", "× interpreter", "wall s (median)", "peak RSS MB"], rows),
        f"Target: `symgrad eval` and `symgrad grad` at most {TARGET_CPU} s of CPU: worst median **{worst:.3f} s** — "
        + verdict(worst <= TARGET_CPU, "the machine's load inflates CPU time too; see the interpreter's own row"),
    ])


def main() -> int:
    print(run(quick="--quick" in sys.argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
