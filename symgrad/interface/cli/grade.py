"""``symgrad grade KEY [KEY ...] ANSWERS``: arguments and output; the marking is ``teaching.grading.grade``."""

from __future__ import annotations

import os
from typing import Any

from ...teaching.answer_key import ATOL, RTOL
from .io import dump_json
from ...base.errors import InputError
from ...base.files import output_set, write_atomic
from ...teaching.grading import grade

__all__ = ["setup_grade_command", "run_grade_command"]


def setup_grade_command(p: Any) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="one or more answer keys (NAME-key.json), then the answers CSV")
    p.add_argument("--json", action="store_true", help="print the marks as JSON")
    p.add_argument("--csv", metavar="OUT", help="write one row per student to OUT and the per-blank "
                                                "feedback to OUT-feedback.csv")
    p.add_argument("--rtol", type=float, metavar="X", help=f"relative tolerance for numbers (default {RTOL:g}, "
                                                            "or the key's)")
    p.add_argument("--atol", type=float, metavar="X", help=f"absolute tolerance for numbers (default {ATOL:g})")
    p.add_argument("--seed", type=int, default=0, help="seed of the random points formulas are tested at")
    p.add_argument("--workers", type=int, metavar="N", help="processes that judge formula answers "
                   "(default: every core; 1 judges one at a time; the grades are the same)")


def run_grade_command(args: Any) -> int:
    """Exit 0 when the class is marked (bad cells included); errors that stop everything exit 2."""
    if len(args.files) < 2:
        raise InputError("give an answer key and the answers CSV", hint="symgrad grade sheet-key.json answers.csv")
    grades = grade(list(args.files[:-1]), args.files[-1], rtol=args.rtol, atol=args.atol, seed=args.seed,
                   workers=args.workers)
    if args.csv:
        stem, suffix = os.path.splitext(args.csv)
        with output_set(protect=args.files):     # both or neither; never over a key or the answers
            write_atomic(args.csv, grades.to_csv())
            write_atomic(f"{stem}-feedback{suffix or '.csv'}", grades.feedback_csv())
    if args.json:
        dump_json(grades.to_dict())
    else:
        print(grades.table())
    return 0
