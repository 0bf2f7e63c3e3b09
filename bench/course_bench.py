"""Benchmark: grading a course at scale beside grading one student at a time.

10,000 students × 20 blanks of the lecture's sheet (L = (a*b + c)*f at a=2, b=-3, c=10, f=-2),
7 of them formulas (a third), answers drawn from the usual right and wrong ones, 1 formula cell
in 100 a student's own (``f*k``, ``d + k``): about 700 distinct claims. It times a fresh
``python -m symgrad grade`` process on every core (the pool) and on one process (distinct
claims judged once, one at a time), and one student at a time (a fresh ``sg.grade`` per student,
timed on a sample of 40 and scaled to the class), and checks the sample's grades are the same.
Wall time moves with the machine's load; the CPU seconds (the grade process and its workers)
say how much work was done.

    python -m bench --only course -o /tmp/course.md     (--quick: 1,000 students)
    python -m bench.course_bench [--students N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

from .grade_bench import LECTURE, POINT

WRONG = ("f", "b", "a", "d", "1", "-1", "f*b", "", "a*f", "c")
NUMBERS = ("6", "-6", "2", "-2", "1", "0", "4", "", "6,0", "4.0001")
SAMPLE = 40


def write_course(path: str, students: int, key: dict) -> tuple[list[str], list[dict]]:
    """The course CSV; returns its header and the rows of the first ``SAMPLE`` students."""
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
                    else rng.choice(WRONG)
            for b in numbers:
                row[b] = rng.choice(NUMBERS)
            w.writerow([row[h] for h in header])
            if k < SAMPLE:
                sample.append(row)
    return header, sample


def grade_process(workers: int, cwd: str) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the process and its workers, exit code, feedback CSV) of one ``symgrad grade``."""
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "symgrad", "grade", "s-key.json", "course.csv", "--csv",
                           "marks.csv", "--workers", str(workers)], cwd=cwd, env=env, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    with open(os.path.join(cwd, "marks-feedback.csv"), encoding="utf-8", newline="") as fh:
        return wall, cpu, proc.returncode, fh.read()


def measure(students: int) -> dict:
    import symgrad as sg
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-m", "symgrad", "worksheet", LECTURE, "--at", *POINT,
                               "--exercise", "-o", "s.md"], cwd=tmp, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=os.getcwd()))
        if proc.returncode:
            raise RuntimeError(proc.stderr)
        with open(os.path.join(tmp, "s-key.json"), encoding="utf-8") as fh:
            key = json.load(fh)
        header, sample = write_course(os.path.join(tmp, "course.csv"), students, key)
        cores = os.cpu_count() or 1
        runs = {w: grade_process(w, tmp) for w in dict.fromkeys((cores, 1))}
        sg.grade(key, sample[:1], workers=1)   # imports and the key's parse, outside the timing
        t, cpu = time.perf_counter(), time.process_time()
        alone = [sg.grade(key, [row], workers=1) for row in sample]
        per_wall = (time.perf_counter() - t) / len(sample)
        per_cpu = (time.process_time() - cpu) / len(sample)
        # the same feedback, byte for byte: the pool, one process, and one student at a time
        feedback = {text for *_, text in runs.values()}
        one_by_one = "".join(a.feedback_csv().split("\n", 1)[1] for a in alone)
        same = len(feedback) == 1 and feedback.pop().split("\n", 1)[1].startswith(one_by_one)
        return {"students": students, "blanks": len(header) - 1, "cores": cores,
                "runs": {w: r[:3] for w, r in runs.items()}, "same": same,
                "alone": (per_wall * students, per_cpu * students, per_wall), "load": os.getloadavg()[0]}


def table(m: dict) -> str:
    lines = [f"| way | wall s | CPU s |", "|---|---:|---:|"]
    for w, (wall, cpu, code) in m["runs"].items():
        lines.append(f"| `symgrad grade --workers {w}` (whole course){'' if code == 0 else f' exit {code}'} "
                     f"| {wall:.1f} | {cpu:.1f} |")
    wall, cpu, per = m["alone"]
    lines.append(f"| one student at a time (`sg.grade` each; {per * 1000:.0f} ms a student on {SAMPLE}, scaled) "
                 f"| {wall:.1f} | {cpu:.1f} |")
    return "\n".join(lines)


def run(quick: bool = False) -> str:
    m = measure(1_000 if quick else 10_000)
    best = min(wall for wall, _, _ in m["runs"].values())
    return "\n\n".join([
        "## Grading a course",
        f"{m['students']:,} students × {m['blanks']} blanks (7 formulas) of the lecture's sheet on "
        f"{m['cores']} cores (load {m['load']:.1f} at the end).",
        table(m),
        f"Same feedback CSV on every core and on one, and the same as one student at a time on the "
        f"first {SAMPLE}: {m['same']}. "
        f"Speed-up of the course over one at a time: {m['alone'][0] / best:.0f}x (wall).",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=10_000)
    args = ap.parse_args(argv)
    m = measure(args.students)
    print(table(m))
    print(f"same grades as one at a time on the sample: {m['same']}")
    return 0 if m["same"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
