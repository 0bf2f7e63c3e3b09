"""What every command shares: one-line argparse errors, reading PROGRAM / --at / --limit, JSON out.

The CLI's ground floor: ``main`` (the command table) and each command's module (``check``,
``render``, ``grade``, ``train``) import from here, never from each other, so the CLI has no import cycle.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn

from ...base.errors import InputError, LimitError, escape_text, quote
from ...base.limits import Limits

__all__ = ["read_program", "read_point", "limits_of", "program_arguments", "dump_json"]


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


def program_arguments(p: argparse.ArgumentParser, *, point: bool = True) -> None:
    p.add_argument("program", nargs="?", help="program text, or - to read stdin")
    p.add_argument("--program-text", help=argparse.SUPPRESS)  # a program that starts with '-', see main()
    p.add_argument("-f", "--file", help="read the program from FILE")
    if point:
        p.add_argument("--at", nargs="+", action="extend", metavar="NAME=VALUE",
                       help="input values, e.g. --at a=2 b=-3 (or --at a=2 --at b=-3)")
    p.add_argument("--limit", action="append", metavar="NAME=VALUE",
                   help="raise or lower a limit, e.g. --limit max_depth=500")


def dump_json(data: object) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))
