"""Exercise sheets for a class: seeded random in-domain points, a sheet and a key for each.

Also the ``symgrad worksheet`` command.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from typing import Any, Mapping

from ._errors import InputError, NumericError

__all__ = ["random_point", "write_sheets"]

TRIES = 200


def random_point(program: Any, rng: random.Random, fixed: Mapping[str, Any] | None = None) -> dict[str, float]:
    """A point where the program and its gradients are defined: inputs uniform in [-3, 3], one decimal.

    Points where evaluation or backprop fails (log of a negative, 1/0, a kink's infinite slope)
    are drawn again, up to a bound.
    """
    from ._backprop import backprop
    fixed = dict(fixed or {})
    for _ in range(TRIES):
        point = {name: fixed[name] if name in fixed else round(rng.uniform(-3.0, 3.0), 1)
                 for name in program.inputs}
        try:
            backprop(program, point)
        except NumericError:
            continue
        return point
    raise InputError(f"no point in the domain found in {TRIES} random tries",
                     hint="give the values with --at")


def write_sheets(program: Any, path: str, *, count: int, seed: int, fmt: str,
                 fixed: Mapping[str, Any] | None = None, progress: bool = True, limits: Any = None,
                 **kw: Any) -> list[str]:
    """Write ``count`` numbered exercise sheets and their answer keys next to ``path``; return the
    file names. Raises LimitError over ``limits.max_sheets``."""
    from tqdm import tqdm
    from ._limits import DEFAULT_LIMITS
    from ._errors import LimitError
    from ._answer_key import write_exercise
    from ._sheets import write_worksheet
    from ._worksheet import blanked, build_worksheet
    bound = (limits or DEFAULT_LIMITS).max_sheets
    if count > bound:
        raise LimitError(f"--count {count} asks for too many sheets", limit="max_sheets", value=bound)
    rng = random.Random(seed)
    stem, suffix = os.path.splitext(path)
    written = []
    width = len(str(count))
    for k in tqdm(range(1, count + 1), desc="worksheets", unit="sheet", disable=not progress, file=sys.stderr):
        point = random_point(program, rng, fixed)
        key = build_worksheet(program, point, sheet=k, seed=seed, limits=limits, **kw)
        name = f"{stem}-{k:0{width}d}"
        written += write_exercise(key, blanked(key), fmt, f"{name}{suffix}", write_worksheet, sheet=k, seed=seed)
        written += write_worksheet(key, fmt, f"{name}-key{suffix}")
    return written


def _setup_worksheet(p: argparse.ArgumentParser) -> None:
    from ._cli import program_arguments
    from ._sheets import RENDERERS
    program_arguments(p)
    p.add_argument("-o", "--output", help="output file; the format comes from its suffix (.md .html .tex .ipynb)")
    p.add_argument("--format", choices=tuple(RENDERERS), help="output format (default: from -o, else md)")
    p.add_argument("--exercise", action="store_true",
                   help="blank what a student fills in, and write the answer key to NAME-key.SUFFIX")
    p.add_argument("--count", type=int, help="write N exercise sheets with keys at seeded random points")
    p.add_argument("--seed", type=int, default=0, help="random seed for --count (default 0)")
    p.add_argument("--plot", metavar="INPUT", help="the input to plot the output along (default: the first)")


def _cmd_worksheet(args: argparse.Namespace) -> int:
    from ._cli import limits_of, read_point, read_program
    from ._parser import parse
    from ._answer_key import write_exercise
    from ._sheets import RENDERERS, render_worksheet, write_worksheet
    from ._worksheet import blanked, build_worksheet
    fmt = args.format
    if fmt is None and args.output:
        fmt = os.path.splitext(args.output)[1].lstrip(".").lower()
        if fmt not in RENDERERS:
            raise InputError(f"cannot tell the format from {args.output!r:.60}",
                             hint="use a suffix .md .html .tex .ipynb, or --format")
    fmt = fmt or "md"
    limits = limits_of(args)
    program = parse(read_program(args), limits=limits)
    if args.count is not None:
        if args.at:
            raise InputError("--count draws a random point for each sheet, so it takes no --at",
                             hint="drop --at, or write one sheet with --exercise --at …")
        if args.count < 1 or not args.output:
            raise InputError("--count needs N >= 1 and -o FILE", hint="write --count 30 --seed 1 -o sheet.html")
        for path in write_sheets(program, args.output, count=args.count, seed=args.seed, fmt=fmt,
                                 plot_input=args.plot, limits=limits):
            print(path)
        return 0
    key = build_worksheet(program, read_point(args.at), plot_input=args.plot, limits=limits,
                          sheet=1 if args.exercise else None)
    if not args.exercise:
        if args.output:
            for path in write_worksheet(key, fmt, args.output):
                print(path)
        else:
            sys.stdout.write(render_worksheet(key, fmt))
        return 0
    if not args.output:
        raise InputError("--exercise writes two files", hint="give -o sheet.html (the key goes to sheet-key.html)")
    stem, suffix = os.path.splitext(args.output)
    for path in (write_exercise(key, blanked(key), fmt, args.output, write_worksheet)
                 + write_worksheet(key, fmt, f"{stem}-key{suffix}")):
        print(path)
    return 0
