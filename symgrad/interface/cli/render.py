"""``symgrad graph`` and ``symgrad worksheet``: arguments, formats from the file suffix, writing;
the work is ``teaching.draw`` and ``teaching.worksheet``/``teaching.sheets``/``teaching.exercises``."""

from __future__ import annotations

import argparse
import os
import sys

from .io import limits_of, program_arguments, read_point, read_program, read_values
from ...teaching.draw import FORMATS, STYLES, draw, render
from ...base.errors import InputError
from ...base.files import output_set, write_atomic

__all__ = ["setup_graph", "run_graph", "setup_worksheet", "run_worksheet"]


def setup_graph(p: argparse.ArgumentParser) -> None:
    program_arguments(p)
    p.add_argument("-o", "--output", help="output file; the format comes from its suffix (.svg .png .pdf .dot)")
    p.add_argument("--format", choices=FORMATS, help="output format (default: from -o, else dot to stdout)")
    p.add_argument("--view", choices=("values", "ast"), default="values", help="values (default) or ast")
    p.add_argument("--style", choices=STYLES, default="micrograd",
                   help="micrograd (default: the lecture's draw_dot) or torchviz (inputs and output coloured, "
                        "constants inside their op, one cluster per statement)")


def run_graph(args: argparse.Namespace) -> int:
    fmt = args.format
    if fmt is None and args.output:
        fmt = os.path.splitext(args.output)[1].lstrip(".").lower() or None
        if fmt not in FORMATS:
            raise InputError(f"cannot tell the format from {args.output!r:.60}",
                             hint="use a suffix .svg .png .pdf .dot, or --format")
    fmt = fmt or "dot"
    values = read_point(args.at) if args.view == "values" else None
    if args.style != "micrograd" and args.view == "ast":
        raise InputError(f"--style {args.style} draws the Value graph", hint="drop --view ast")
    data = render(draw(read_program(args), values, view=args.view, limits=limits_of(args), style=args.style), fmt)
    if args.output:
        write_atomic(args.output, data, protect=_inputs(args))  # a failed write keeps the old file
    elif fmt == "dot" or fmt == "svg":
        sys.stdout.write(data.decode("utf-8"))
    else:
        raise InputError(f"{fmt} is binary", hint=f"write it to a file with -o graph.{fmt}")
    return 0


def setup_worksheet(p: argparse.ArgumentParser) -> None:
    from ...teaching.sheets import RENDERERS, SUFFIXES
    program_arguments(p, at_file=True)
    p.add_argument("-o", "--output", help=f"output file; the format comes from its suffix ({SUFFIXES})")
    p.add_argument("--format", choices=tuple(RENDERERS), help="output format (default: from -o, else md)")
    p.add_argument("--exercise", action="store_true",
                   help="blank what a student fills in, and write the answer key to NAME-key.SUFFIX")
    p.add_argument("--count", type=int, help="write N exercise sheets with keys at seeded random points")
    p.add_argument("--seed", type=int, default=0, help="random seed for --count (default 0)")
    p.add_argument("--plot", metavar="INPUT", help="the input to plot the output along (default: the first)")
    p.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                   help="forward: add the forward-mode section (the tangent table along --tangent)")
    p.add_argument("--tangent", metavar="INPUT", help="the input forward mode seeds (default: the first)")
    p.add_argument("--curvature", action="store_true",
                   help="add the second-order prediction (grad·h + ½·hᵀHh) to the nudge")


def run_worksheet(args: argparse.Namespace) -> int:
    from ...language.parser import parse
    from ...teaching.sheets import RENDERERS, SUFFIXES
    fmt = args.format
    if fmt is None and args.output:
        fmt = os.path.splitext(args.output)[1].lstrip(".").lower()
        if fmt not in RENDERERS:
            raise InputError(f"cannot tell the format from {args.output!r:.60}",
                             hint=f"use a suffix {SUFFIXES}, or --format")
    fmt = fmt or "md"
    limits = limits_of(args)
    program = parse(read_program(args), limits=limits)
    with output_set(protect=_inputs(args)):       # every file of the run, all or none
        written = _write_worksheets(args, program, fmt, limits)
    for path in written:                          # named once they are all in place
        print(path)
    return 0


def _inputs(args: argparse.Namespace) -> list[str]:
    return [args.file] if getattr(args, "file", None) else []


def _write_worksheets(args: argparse.Namespace, program, fmt: str, limits) -> list[str]:
    from ...teaching.answer_key import write_exercise
    from ...teaching.sheets import write_worksheet
    from ...teaching.exercises import write_sheets
    from ...teaching.worksheet import answered, blanked, build_worksheet
    from ...engine.point import is_tensor_program, is_tensor_value
    values = read_values(args)
    if is_tensor_program(program) or any(is_tensor_value(v) for v in values.values()):
        return _write_tensor_worksheet(args, program, values, fmt, limits)
    if args.count is not None:
        if args.at:
            raise InputError("--count draws a random point for each sheet, so it takes no --at",
                             hint="drop --at, or write one sheet with --exercise --at …")
        if args.count < 1 or not args.output:
            raise InputError("--count needs N >= 1 and -o FILE", hint="write --count 30 --seed 1 -o sheet.html")
        return write_sheets(program, args.output, count=args.count, seed=args.seed, fmt=fmt,
                            plot_input=args.plot, limits=limits)
    if args.tangent and args.mode != "forward":
        raise InputError("--tangent goes with --mode forward", hint="write --mode forward --tangent x")
    key = build_worksheet(program, read_point(args.at), plot_input=args.plot, limits=limits,
                          sheet=1 if args.exercise else None,
                          forward_mode=(args.tangent or True) if args.mode == "forward" else False,
                          curvature=args.curvature)
    if not args.exercise:
        return _key_alone(args, key, fmt)
    _needs_output(args, "sheet-key.html")
    stem, suffix = os.path.splitext(args.output)
    return (write_exercise(key, blanked(key), fmt, args.output, write_worksheet)
            + write_worksheet(answered(key), fmt, f"{stem}-key{suffix}"))


def _key_alone(args: argparse.Namespace, key, fmt: str) -> list[str]:
    """The worksheet itself (no --exercise): to -o, or to stdout."""
    from ...teaching.sheets import render_worksheet, write_worksheet
    if args.output:
        return write_worksheet(key, fmt, args.output)
    sys.stdout.write(render_worksheet(key, fmt))
    return []


def _needs_output(args: argparse.Namespace, key_file: str) -> None:
    if not args.output:
        raise InputError("--exercise writes two files", hint=f"give -o sheet.html (the key goes to {key_file})")


def _write_tensor_worksheet(args: argparse.Namespace, program, values: dict, fmt: str, limits) -> list[str]:
    """A tensor program's worksheet (``teaching.tensor_worksheet``); with --exercise its exercise sheet,
    ``NAME-key.json`` (``teaching.tensor_exercises``) and the worked sheet ``NAME-key.SUFFIX``."""
    from ...teaching.sheets import write_worksheet
    from ...teaching.tensor_exercises import write_tensor_exercise
    from ...teaching.tensor_worksheet import build_tensor_worksheet, tape_of, tensor_blanked
    if args.count is not None:
        raise InputError("--count draws random scalar points; a tensor program's sheet takes its arrays",
                         hint="write one sheet with --exercise --at-file point.npz")
    key = build_tensor_worksheet(program, values, limits=limits, sheet=1 if args.exercise else None)
    if not args.exercise:
        return _key_alone(args, key, fmt)
    _needs_output(args, "sheet-key.json")
    stem, suffix = os.path.splitext(args.output)
    blank = tensor_blanked(key, tape_of(key.result)[0])
    return write_tensor_exercise(key, blank, fmt, args.output) + write_worksheet(key, fmt, f"{stem}-key{suffix}")
