"""Benchmark: ``symgrad grade`` on a large class, and on the same class with bomb cells.

A class of N students (default 100,000; about 14 bytes a row, 1.4 MB) answers two blanks of
the lecture's sheet (L = (a*b + c)*f at a=2, b=-3, c=10, f=-2): a number (dL/da) and a formula
(dL/da as b*f), each right, wrong or blank. The bomb class is the same class with one cell
``b*f + ((3^-999)^999)^200*0`` (an exact number of millions of digits) and one nested-tanh
wrong answer. Each run is a fresh ``python -m symgrad grade`` process; its peak memory is the
child's ``ru_maxrss``.

The course run (``--course``) is the classroom's scale: 10,000 students × 20 blanks of the
lecture's sheet, 7 of them formulas (a third), answers drawn from the usual right and wrong
ones, 1 formula cell in 100 a student's own (``f*k``, ``d + k``): about 700 distinct claims.
It reports ``symgrad grade`` on every core (the pool), on one process (distinct claims judged
once, one at a time), and one student at a time (a fresh ``sg.grade`` per student, timed on
a sample and scaled to the class), and checks that the sample's grades are the same.

Run from the repo root:  python -m bench.grade_bench   (or --rows N; --course [--students N])
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

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


def run(*args: str, cwd: str) -> tuple[float, float, int]:
    """(seconds, peak MiB, exit code) of one ``symgrad`` process."""
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = ("import resource, sys, runpy; sys.argv = ['symgrad'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('symgrad', run_name='__main__')\n"
            "finally:\n    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    peak = int(proc.stderr.strip().splitlines()[-1]) / 1024 if proc.stderr.strip() else float("nan")
    return seconds, peak, proc.returncode


COURSE_WRONG = ("f", "b", "a", "d", "1", "-1", "f*b", "", "a*f", "c")
COURSE_NUMBERS = ("6", "-6", "2", "-2", "1", "0", "4", "", "6,0", "4.0001")


def write_course(path: str, students: int, key: dict) -> tuple[list[str], list[dict]]:
    """The course CSV; returns its header and the rows of the first 40 students (the sample)."""
    import csv
    formulas = [b["id"] for b in key["blanks"] if b["kind"] == "formula"][:7]
    numbers = [b["id"] for b in key["blanks"] if b["kind"] == "number"][:13]
    header = ["id"] + formulas + numbers
    rng = random.Random(25)
    sample = []
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k in range(students):
            row = {"id": f"s{k}"}
            for b in formulas:
                row[b] = rng.choice((f"f*{k}", f"b*{k} + 0*a", f"d + {k}")) if rng.random() < 0.01 \
                    else rng.choice(COURSE_WRONG)
            for b in numbers:
                row[b] = rng.choice(COURSE_NUMBERS)
            w.writerow([row[h] for h in header])
            if k < 40:
                sample.append(row)
    return header, sample


def course(students: int) -> int:
    import json
    import symgrad as sg
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-m", "symgrad", "worksheet", LECTURE, "--at", *POINT,
                               "--exercise", "-o", "s.md"], cwd=tmp, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=os.getcwd()))
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
        key = json.load(open(os.path.join(tmp, "s-key.json"), encoding="utf-8"))
        header, sample = write_course(os.path.join(tmp, "course.csv"), students, key)
        print(f"python {sys.version.split()[0]}; {os.cpu_count()} cores; course of {students:,} students x "
              f"{len(header) - 1} blanks (7 formulas)")
        times = {}
        for workers in (os.cpu_count() or 1, 1):
            seconds, peak, code = run("grade", "s-key.json", "course.csv", "--json", "--workers", str(workers),
                                      cwd=tmp)
            times[workers] = seconds
            print(f"symgrad grade --workers {workers:<3}        {seconds:7.2f} s  peak {peak:7.1f} MiB  exit {code}")
        whole = sg.grade(key, os.path.join(tmp, "course.csv"))
        sg.grade(key, sample[:1], workers=1)   # imports and the key's parse, outside the timing
        t = time.perf_counter()
        alone = [sg.grade(key, [row], workers=1) for row in sample]
        per_student = (time.perf_counter() - t) / len(sample)
        same = all(a.students[0].to_dict() == w.to_dict() for a, w in zip(alone, whole.students))
        print(f"one student at a time (sg.grade each)  {per_student * students:7.1f} s  "
              f"(measured {per_student * 1000:.0f} ms a student on {len(sample)}, scaled to {students:,})")
        print(f"same grades as one at a time on the sample: {same}; speed-up {per_student * students / times[os.cpu_count() or 1]:.0f}x")
        return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--course", action="store_true", help="the 10,000-student, 20-blank course")
    ap.add_argument("--students", type=int, default=10_000)
    args = ap.parse_args(argv)
    if args.course:
        return course(args.students)
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
            seconds, peak, code = run("grade", "s-key.json", name, "--csv", "marks.csv", cwd=tmp)
            print(f"{name:<16} {seconds:7.2f} s  peak {peak:7.1f} MiB  exit {code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
