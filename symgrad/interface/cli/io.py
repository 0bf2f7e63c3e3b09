"""What every command shares: one-line argparse errors, reading PROGRAM / --at / --limit, JSON out.

The CLI's ground floor: ``main`` (the command table) and each command's module (``check``,
``render``, ``grade``, ``train``) import from here, never from each other, so the CLI has no import cycle.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import NoReturn

from ...base.errors import InputError, LimitError, escape_text, quote
from ...base.limits import Limits
from ...base.validate import json_value

__all__ = ["read_program", "read_point", "read_values", "read_arrays", "limits_of", "program_arguments", "dump_json"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2; argv text escaped and cut short
        message = escape_text(message, 200)
        self.exit(2, f"symgrad: error: {message} (see symgrad {self.prog.split()[-1]} --help)\n"
                  if " " in self.prog else f"symgrad: error: {message} (see symgrad --help)\n")


def _read_bounded(stream, limits: Limits) -> str:
    """At most ``max_chars + 1`` characters: enough to tell that a program is too long, never
    the whole of ``/dev/zero``, a huge file or an endless pipe."""
    text = stream.read(limits.max_chars + 1)
    if len(text) > limits.max_chars:
        raise LimitError(f"program is more than {limits.max_chars} characters long", limit="max_chars",
                         value=limits.max_chars)
    return text


def read_program(args: argparse.Namespace) -> str:
    """PROGRAM is text, '-' for stdin, or -f FILE. A file or stdin is read only up to
    ``max_chars`` (+1 character to detect the overflow)."""
    if getattr(args, "program_text", None) is not None:
        if args.program is not None:
            raise InputError("give one program, not two")
        args.program = args.program_text
    if args.file is not None and args.program is not None:
        raise InputError("give the program as text or with -f FILE, not both")
    limits = limits_of(args)
    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8") as fh:
                return _read_bounded(fh, limits)
        except UnicodeDecodeError as err:
            raise InputError(f"cannot read {quote(args.file, 80)}: not UTF-8 text (byte {err.start})",
                             hint="save the program as UTF-8") from None
        except OSError as err:
            raise InputError(f"cannot read {quote(args.file, 80)}: {err.strerror or type(err).__name__}") from None
    if args.program is None:
        raise InputError("no program given", hint="write symgrad grad 'x*y' --at x=2 y=3, or -f FILE, or - for stdin")
    if args.program == "-":
        try:
            return _read_bounded(sys.stdin, limits)
        except UnicodeDecodeError as err:
            raise InputError(f"cannot read stdin: not UTF-8 text (byte {err.start})") from None
    return args.program


def read_point(items: list[str] | None) -> dict[str, str]:
    point: dict[str, str] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"bad --at item {quote(item)}", hint="write --at a=2 b=-3")
        if name.strip() in point:
            raise InputError(f"{quote(name.strip())} is given twice", hint="give each name once: --at a=2 b=-3")
        point[name.strip()] = raw
    return point


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits.parse_option(args.limit or [])


def read_arrays(path: str, what: str, limits: Limits) -> dict:
    """A file of named values: ``.npz`` (numpy's, no pickles) or a JSON object of numbers and nested
    lists. Bounded by size before it is read (8 bytes an element of ``max_total_elements``)."""
    budget = 8 * limits.max_total_elements + 1_000_000
    try:
        size = os.path.getsize(path)
        if size > budget:
            raise InputError(f"{what} {path!r:.60} is {size} bytes, over {budget}",
                             hint="raise --limit max_total_elements=N, or give smaller arrays")
        if path.endswith(".npz"):
            import numpy as np
            with np.load(path, allow_pickle=False) as data:
                return {name: data[name] for name in data.files}
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as err:
        raise InputError(f"cannot read {what} {path!r:.60}: {err.strerror or 'unreadable'}",
                         hint="give a .npz file or a JSON object such as {\"x\": [1, 2]}") from None
    except (UnicodeDecodeError, ValueError, EOFError) as err:
        raise InputError(f"{what} {path!r:.60} is neither a .npz file nor JSON text ({type(err).__name__})",
                         hint="give a .npz file (numpy.savez) or a JSON object of arrays") from None
    data = json_value(text, f"{what} {path!r:.60}", hint="give a JSON object such as {\"x\": [1, 2]}")
    if not isinstance(data, dict):
        raise InputError(f"{what} {path!r:.60} must hold a JSON object of name: value")
    return data


def read_values(args: argparse.Namespace) -> dict:
    """``--at`` items and the ``--at-file`` arrays together; a name given in both is an error."""
    point: dict = dict(read_point(args.at))
    path = getattr(args, "at_file", None)
    if path:
        for name, value in read_arrays(path, "the --at-file", limits_of(args)).items():
            if name in point:
                raise InputError(f"{quote(name)} is given by --at and by --at-file", hint="give each name once")
            point[name] = value
    return point


def program_arguments(p: argparse.ArgumentParser, *, point: bool = True, at_file: bool = False) -> None:
    p.add_argument("program", nargs="?", help="program text, or - to read stdin")
    p.add_argument("--program-text", help=argparse.SUPPRESS)  # a program that starts with '-', see main()
    p.add_argument("-f", "--file", help="read the program from FILE")
    if point:
        p.add_argument("--at", nargs="+", action="extend", metavar="NAME=VALUE",
                       help="input values, e.g. --at a=2 b=-3 (or --at a=2 --at b=-3)")
    if at_file:
        p.add_argument("--at-file", metavar="FILE",
                       help="input arrays from a .npz file or a JSON object (tensor programs), with --at or alone")
    p.add_argument("--limit", action="append", metavar="NAME=VALUE",
                   help="raise or lower a limit, e.g. --limit max_depth=500")


def dump_json(data: object) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))
