"""The ``symgrad`` command line. Errors print one line to stderr and exit 2."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Callable, NoReturn

from . import _check
from ._errors import InputError, LimitError, SymgradError, escape_text, quote, safe_line
from ._limits import Limits

__all__ = ["main"]


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
        point[name.strip()] = raw
    return point


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits.parse_option(args.limit or [])


def program_arguments(p: argparse.ArgumentParser, *, point: bool = True) -> None:
    p.add_argument("program", nargs="?", help="program text, or - to read stdin")
    p.add_argument("--program-text", help=argparse.SUPPRESS)  # a program that starts with '-', see main()
    p.add_argument("-f", "--file", help="read the program from FILE")
    if point:
        p.add_argument("--at", nargs="+", metavar="NAME=VALUE", help="input values, e.g. --at a=2 b=-3")
    p.add_argument("--limit", action="append", metavar="NAME=VALUE",
                   help="raise or lower a limit, e.g. --limit max_depth=500")


def dump_json(data: object) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))


def _cmd_eval(args: argparse.Namespace) -> int:
    from ._backprop import evaluate
    graph = evaluate(read_program(args), read_point(args.at), limits=limits_of(args))
    if args.json:
        dump_json({"output": graph.program.output, "value": graph.root.data})
    else:
        print(repr(graph.root.data))
    return 0


def _cmd_grad(args: argparse.Namespace) -> int:
    from ._backprop import backprop
    result = backprop(read_program(args), read_point(args.at), limits=limits_of(args))
    if args.json:
        dump_json(result.to_dict())
    else:
        print(result.table())
    return 0


def _setup_eval(p: argparse.ArgumentParser) -> None:
    program_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")


def _setup_train(p: argparse.ArgumentParser) -> None:
    from ._train_cli import setup_train
    setup_train(p)


def _run_train(args: argparse.Namespace) -> int:
    from ._train_cli import run_train
    return run_train(args)


def _setup_grade(p: argparse.ArgumentParser) -> None:
    from ._grading import setup_grade_command
    setup_grade_command(p)


def _run_grade(args: argparse.Namespace) -> int:
    from ._grading import run_grade_command
    return run_grade_command(args)


# name -> (help, setup, run). Each command's setup adds its arguments; run returns the exit code.
COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "eval": ("evaluate a program at a point", _setup_eval, _cmd_eval),
    "grad": ("value and every gradient by backprop", _setup_eval, _cmd_grad),
    "check": ("check every gradient: backprop vs SymPy vs finite differences",
              lambda p: _check.setup_check_command(p), lambda a: _check.run_check_command(a)),
    "diff": ("the symbolic partial derivative of the output (SymPy)",
             lambda p: _check.setup_diff_command(p), lambda a: _check.run_diff_command(a)),
    "train": ("train the lecture's MLP or micrograd's moons classifier", _setup_train, _run_train),
    "serve": ("explore backprop in the browser: a local web app (127.0.0.1 unless --host)",
              lambda p: __import__("symgrad._serve", fromlist=["_"]).setup_serve_command(p),
              lambda a: __import__("symgrad._serve", fromlist=["_"]).run_serve_command(a)),
    "grade": ("mark a class's answers (CSV) against exercise answer keys", _setup_grade, _run_grade),
}


def _register_see_commands() -> None:
    from ._draw import _cmd_graph, _setup_graph
    from ._exercises import _cmd_worksheet, _setup_worksheet
    COMMANDS["graph"] = ("draw the Value graph (or the AST) with Graphviz", _setup_graph, _cmd_graph)
    COMMANDS["worksheet"] = ("write a derivation worksheet (md, html, tex, ipynb), or exercise sheets",
                             _setup_worksheet, _cmd_worksheet)


_register_see_commands()


_LONG_OPTION = re.compile(r"--[A-Za-z][A-Za-z0-9-]*(=.*)?", re.DOTALL)


def _protect_leading_minus(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """A program such as "-x^2" is text, not an option: pass it as --program-text=…"""
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if not argv or sub is None or argv[0] not in sub.choices:
        return argv
    known = sub.choices[argv[0]]._option_string_actions
    if "--program-text" not in known:
        return argv
    out = argv[:1]
    for tok in argv[1:]:
        if tok.startswith("-") and tok not in ("-", "--") and tok.split("=", 1)[0] not in known \
                and tok[:2] not in known and not _LONG_OPTION.fullmatch(tok):
            tok = "--program-text=" + tok
        out.append(tok)
    return out


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = _Parser(prog="symgrad", description="Gradients you can trust and see.")
    parser.add_argument("--version", action="version", version=f"symgrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, setup, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        setup(p)
        p.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_protect_leading_minus(parser, argv))
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except SymgradError as err:
        print(f"symgrad: error: {safe_line(err.summary)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug in symgrad: still one line, but say so
        if os.environ.get("SYMGRAD_DEBUG"):
            raise
        print(f"symgrad: internal error: {type(err).__name__}: {escape_text(str(err), 200)} "
              "(please report it; set SYMGRAD_DEBUG=1 for a traceback)", file=sys.stderr)
        return 2
