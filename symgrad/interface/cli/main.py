"""The ``symgrad`` command line. Errors print one line to stderr and exit 2."""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
from typing import Callable

import importlib

from .io import _Parser, dump_json, limits_of, program_arguments, read_program, read_values
from ...base.errors import SymgradError, escape_text, safe_line
from ...base.version import __version__

__all__ = ["main"]


def _cmd_eval(args: argparse.Namespace) -> int:
    from ...engine.backprop import evaluate
    from ...engine.point import is_tensor_program, is_tensor_value
    from ...language.parser import parse
    limits = limits_of(args)
    program, values = parse(read_program(args), limits=limits), read_values(args)
    if args.at_file or is_tensor_program(program) or any(is_tensor_value(v) for v in values.values()):
        from ...engine.tensor import tensor_value      # numpy and the tensor engine load for tensors only
        value = tensor_value(program, values, limits=limits)
        if value is not None:     # its output, a number or nested lists
            if args.json:
                dump_json({"output": value[0], "value": value[1]})
            else:
                print(repr(value[1]) if isinstance(value[1], float) else json.dumps(value[1]))
            return 0
    graph = evaluate(program, values, limits=limits)
    if args.json:
        dump_json({"output": graph.program.output, "value": graph.root.data})
    else:
        print(repr(graph.root.data))
    return 0


def _cmd_grad(args: argparse.Namespace) -> int:
    from ...engine.backprop import backprop
    result = backprop(read_program(args), read_values(args), limits=limits_of(args))
    if args.json:
        dump_json(result.to_dict())
    else:
        print(result.table())
    return 0


def _setup_eval(p: argparse.ArgumentParser) -> None:
    program_arguments(p, at_file=True)
    p.add_argument("--json", action="store_true", help="print JSON")


def _later(module: str, name: str) -> Callable:
    """``module.name``, imported when called: each command loads only what it needs
    (``eval`` and ``grad`` never load SymPy, numpy, jinja2, matplotlib or Graphviz)."""
    def call(arg):
        return getattr(importlib.import_module(module, __package__), name)(arg)
    call.__qualname__ = call.__name__ = name
    return call


# name -> (help, setup, run). Each command's setup adds its arguments; run returns the exit code.
# The handlers live in the interface layer (this folder's check, render, grade and train modules,
# and ..serve), which imports the library; nothing in the library imports the CLI.
COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "eval": ("evaluate a program at a point", _setup_eval, _cmd_eval),
    "grad": ("value and every gradient by backprop", _setup_eval, _cmd_grad),
    "check": ("check every gradient: backprop vs SymPy vs finite differences",
              _later(".check", "setup_check_command"), _later(".check", "run_check_command")),
    "diff": ("the symbolic partial derivative of the output (SymPy)",
             _later(".check", "setup_diff_command"), _later(".check", "run_diff_command")),
    "hessian": ("the Hessian of the output over the inputs at a point (forward-over-reverse)",
                _later(".check", "setup_hessian_command"), _later(".check", "run_hessian_command")),
    "train": ("train the lecture's MLP or micrograd's moons classifier",
              _later(".train", "setup_train"), _later(".train", "run_train")),
    "serve": ("explore backprop in the browser: a local web app (127.0.0.1 unless --host)",
              _later("..serve", "setup_serve_command"), _later("..serve", "run_serve_command")),
    "grade": ("mark a class's answers (CSV) against exercise answer keys",
              _later(".grade", "setup_grade_command"), _later(".grade", "run_grade_command")),
    "graph": ("draw the Value graph (or the AST) with Graphviz", _later(".render", "setup_graph"),
              _later(".render", "run_graph")),
    "worksheet": ("write a derivation worksheet (in every format of --format), or exercise sheets",
                  _later(".render", "setup_worksheet"), _later(".render", "run_worksheet")),
}


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


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; given ``argv``, only the command it names gets its arguments
    (the others' setup would import their modules, and ``symgrad --help`` needs their help lines only)."""
    chosen = argv[0] if argv else None
    parser = _Parser(prog="symgrad", description="Gradients you can trust and see.")
    parser.add_argument("--version", action="version", version=f"symgrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, setup, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if argv is None or name == chosen:
            setup(p)
            p.set_defaults(run=run)
    return parser


_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})


def _escape_what_the_terminal_cannot_encode() -> None:
    """With PYTHONIOENCODING=ascii (or a Latin-1 terminal), ∂ and − print as \\u2202 and \\u2212
    instead of failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        try:
            "\u2202\u2212\u00b7".encode(stream.encoding or "ascii")
        except (UnicodeEncodeError, LookupError):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (AttributeError, ValueError):
                pass


def _drop_stdout() -> None:
    """After a failed write, what is left in stdout's buffer cannot be written either: point the
    real stdout at /dev/null so that Python's flush at exit adds no second error."""
    if sys.stdout is sys.__stdout__:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(_protect_leading_minus(parser, argv))
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    _escape_what_the_terminal_cannot_encode()
    try:
        code = args.run(args)
        sys.stdout.flush()          # a full disk (> /dev/full) shows here, not after exit
        return code
    except SymgradError as err:
        print(f"symgrad: error: {safe_line(err.summary)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug in symgrad: still one line, but say so
        if isinstance(err, OSError) and err.errno in _OUTPUT_ERRNOS:
            _drop_stdout()
            print(f"symgrad: error: cannot write the output: {escape_text(err.strerror or str(err), 80)}; "
                  "nothing more was written", file=sys.stderr)
            return 2
        if os.environ.get("SYMGRAD_DEBUG"):
            raise
        print(f"symgrad: internal error: {type(err).__name__}: {escape_text(str(err), 200)} "
              "(please report it; set SYMGRAD_DEBUG=1 for a traceback)", file=sys.stderr)
        return 2
