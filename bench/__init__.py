"""symgrad's benchmarks against its peers, measured in one run: ``python -m bench``.

Each ``bench/<topic>_bench.py`` has ``run(quick=False) -> str``, a markdown section. The
helpers here time callables the same way for every contender: medians and min–max of
several repeats, each the mean of many calls.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

__all__ = ["measure", "interleaved", "Timing", "table", "fmt", "verdict", "own_peak_mb", "run_symgrad", "Process",
           "load", "torch_or_none"]


def torch_or_none():
    """PyTorch on one CPU thread, as the peer column, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


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


def load() -> str:
    """The machine's load averages (1, 5, 15 min), as `uptime` prints them: figures beside it are
    from a shared machine."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def own_peak_mb() -> float:
    """This process's own peak RSS in MB: ``VmHWM`` on Linux. ``ru_maxrss`` (``resource`` or
    ``os.wait4`` alike) starts at the parent's peak when a child is exec'd, because the kernel carries
    the old address space's high-water mark over the exec; it is the fallback elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Process:
    """One finished child: wall s, CPU s (its own user + system, from ``os.wait4``), its own peak RSS in MB."""
    wall: float
    cpu: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


# Runs `python -m symgrad ARGS` and, at exit, writes its own peak RSS to the descriptor in BENCH_PEAK_FD.
_PROBE = ("import atexit, os, runpy, sys\n"
          "def _peak():\n"
          "    from bench import own_peak_mb\n"
          "    os.write(int(os.environ['BENCH_PEAK_FD']), repr(own_peak_mb()).encode())\n"
          "atexit.register(_peak)\n"
          "sys.argv = ['symgrad'] + sys.argv[1:]\n"
          "runpy.run_module('symgrad', run_name='__main__', alter_sys=True)\n")


def run_symgrad(*args: str, cwd: str | None = None, env: dict | None = None, stdin: str | None = None,
                probe: bool = True, timeout: float = 600) -> Process:
    """``python -m symgrad ARGS`` as a child process, its CPU from ``os.wait4`` (the child's own, not
    all children's) and, with ``probe``, its own peak RSS (``own_peak_mb``, written by the child at exit)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    read, write = os.pipe()
    env["BENCH_PEAK_FD"] = str(write)
    argv = [sys.executable, "-c", _PROBE, *args] if probe else [sys.executable, "-m", "symgrad", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, pass_fds=(write,), text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(write)
    outputs: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, f=f: outputs.__setitem__(k, f.read()))
               for k, f in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)  # reaps the child itself: Popen.wait would drop its rusage
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(timeout)
    peak = os.read(read, 64).decode() or "nan"
    os.close(read)
    return Process(wall, usage.ru_utime + usage.ru_stime, float(peak), proc.returncode, outputs.get("out", ""),
                   outputs.get("err", ""))
