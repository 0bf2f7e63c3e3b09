"""Benchmark: ``symgrad grade`` on a large class, and on the same class with bomb cells.

A class of N students (default 100,000; about 14 bytes a row, 1.4 MB) answers two blanks of
the lecture's sheet (L = (a*b + c)*f at a=2, b=-3, c=10, f=-2): a number (dL/da) and a formula
(dL/da as b*f), each right, wrong or blank. The bomb class is the same class with one cell
``b*f + ((3^-999)^999)^200*0`` (an exact number of millions of digits) and one nested-tanh
wrong answer. Each run is a fresh ``python -m symgrad grade`` process; its peak memory is the
child's own (``bench.own_peak_mb``: ``ru_maxrss`` would start at the parent's peak).

Run from the repo root:  python -m bench.grade_bench   (or --rows N)
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile

from bench import run_symgrad  # noqa: E402

LECTURE = "e = a*b; d = e + c; L = d*f"
POINT = ("a=2", "b=-3", "c=10", "f=-2")
NUMBERS = ("6", "-6", "6.0", "", "5.999", "six")
FORMULAS = ("b*f", "f", "b*f", "", "a*b", "f*b")
BOMBS = ("b*f + ((3^-999)^999)^200*0", "tanh(tanh(tanh(tanh(tanh(a*b+c)))))*f")


def write_class(path: str, rows: int, bombs: bool) -> int:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("id,final1.backprop,final1.closed_form\n")
        for k in range(rows):
            fh.write(f"s{k},{rng.choice(NUMBERS)},{rng.choice(FORMULAS)}\n")
        if bombs:
            for k, cell in enumerate(BOMBS):
                fh.write(f"bomb{k},6,\"{cell}\"\n")
    return os.path.getsize(path)


def run_one(*args: str, cwd: str) -> tuple[float, float, int]:
    """(seconds, its own peak MiB, exit code) of one ``symgrad`` process."""
    proc = run_symgrad(*args, cwd=cwd, env=dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep
                                                + os.environ.get("PYTHONPATH", "")))
    return proc.wall, proc.peak_mb, proc.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-m", "symgrad", "worksheet", LECTURE, "--at", *POINT,
                               "--exercise", "-o", "s.md"], cwd=tmp, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=os.getcwd()))
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
        size = write_class(os.path.join(tmp, "class.csv"), args.rows, bombs=False)
        write_class(os.path.join(tmp, "bombs.csv"), args.rows, bombs=True)
        small = write_class(os.path.join(tmp, "small.csv"), 30, bombs=False)
        write_class(os.path.join(tmp, "small-bombs.csv"), 30, bombs=True)
        print(f"python {sys.version.split()[0]}; class of {args.rows:,} rows ({size / 1e6:.2f} MB); "
              f"small class 30 rows ({small} bytes)")
        for name in ("small.csv", "small-bombs.csv", "class.csv", "bombs.csv"):
            seconds, peak, code = run_one("grade", "s-key.json", name, "--csv", "marks.csv", cwd=tmp)
            print(f"{name:<16} {seconds:7.2f} s  peak {peak:7.1f} MiB  exit {code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
