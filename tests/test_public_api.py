"""The public API, pinned: ``symgrad.__all__``, ``symgrad.nn.__all__``, the CLI's commands with their
flags, and ``python -m symgrad --help``. A change here is a change users see: make it on purpose,
in this file and in the docs together."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import symgrad as sg
from helpers import ROOT

SYMGRAD = [
    "parse", "unparse", "to_latex", "Program", "Limits", "backprop", "Result", "TensorResult", "Value", "where",
    "Rule", "RULES", "hessian", "hvp", "jvp", "Hessian",
    "register", "RowError",
    "check", "diff", "CheckReport", "CheckRow",
    "draw", "worksheet", "Worksheet", "explore",
    "grade",
    "compile", "CompiledFunction", "CompiledResult", "nn",
    "SymgradError", "ParseError", "BindingError", "UnknownFunctionError", "UnboundNameError",
    "DuplicateAssignmentError", "MissingInputError", "InputError", "NumericError", "DomainError",
    "LimitError", "ShapeError", "CheckError", "RenderError", "ArityError",
]

NN = ["Module", "Neuron", "Layer", "MLP", "Expression", "mse", "sum_squares", "hinge", "cross_entropy", "l2",
      "accuracy", "SGD", "Adam", "AdamW", "Optimizer",
      "linear_schedule", "fit", "History", "StepRecord", "lecture_data", "make_moons", "plot_loss", "plot_boundary"]

PROGRAM = ["--file", "--limit", "--program-text", "-f"]  # every command that reads a PROGRAM
COMMANDS = {  # command -> (its options, its positional arguments); -h/--help everywhere
    "eval": (PROGRAM + ["--at", "--at-file", "--json"], ["program"]),
    "grad": (PROGRAM + ["--at", "--at-file", "--json"], ["program"]),
    "check": (PROGRAM + ["--at", "--at-file", "--atol", "--claim", "--claims", "--grads", "--json", "--random", "--rtol", "--seed"],
              ["program"]),
    "diff": (PROGRAM + ["--latex", "--wrt"], ["program"]),
    "hessian": (PROGRAM + ["--at", "--json"], ["program"]),
    "train": (["--boundary-plot", "--json", "--loss-plot", "--lr", "--quiet", "--seed", "--steps", "-q"], ["demo"]),
    "serve": (["--allow-host", "--host", "--limit", "--open", "--port", "--timeout", "--workers"], []),
    "grade": (["--atol", "--csv", "--json", "--rtol", "--seed", "--workers"], ["files"]),
    "graph": (PROGRAM + ["--at", "--format", "--output", "--style", "--view", "-o"], ["program"]),
    "worksheet": (PROGRAM + ["--at", "--at-file", "--count", "--curvature", "--exercise", "--format", "--mode",
                             "--output", "--plot", "--seed", "--tangent", "-o"],
                  ["program"]),
}


def test_symgrad_all_is_pinned_and_every_name_resolves():
    assert sg.__all__ == SYMGRAD
    for name in sg.__all__:
        assert getattr(sg, name) is not None, name
        assert name in dir(sg)


def test_symgrad_nn_all_is_pinned_and_every_name_resolves():
    assert sg.nn.__all__ == NN
    assert all(getattr(sg.nn, name) is not None for name in NN)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    from symgrad.interface.cli.main import build_parser
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_the_cli_commands_and_their_flags_are_pinned():
    commands = _subcommands()
    assert list(commands) == list(COMMANDS)
    for name, parser in commands.items():
        options = sorted(o for a in parser._actions for o in a.option_strings if o not in ("-h", "--help"))
        positionals = [a.dest for a in parser._actions if not a.option_strings]
        assert (options, positionals) == (sorted(COMMANDS[name][0]), COMMANDS[name][1]), name


def test_the_worksheet_formats_are_the_renderer_table():
    from symgrad.teaching.sheets import RENDERERS
    fmt = next(a for a in _subcommands()["worksheet"]._actions if "--format" in a.option_strings)
    assert tuple(fmt.choices) == tuple(RENDERERS)


def test_python_m_symgrad_help_lists_every_command():
    proc = subprocess.run([sys.executable, "-m", "symgrad", "--help"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("usage: symgrad")
    assert all(f"    {name}" in proc.stdout for name in COMMANDS)
    version = subprocess.run([sys.executable, "-m", "symgrad", "--version"], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert version.returncode == 0 and version.stdout.strip() == f"symgrad {sg.__version__}"
