"""Inputs and environments that used to end in a raw Python exception: each is now one
``symgrad: error:`` line on stderr with exit 2 (or, for an ASCII terminal, escaped output)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import symgrad as sg

from helpers import ROOT

DEEP = "[" * 40_000 + "]" * 40_000


def _cli(*args, cwd, env=None, stdout=subprocess.PIPE, timeout=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {}))
    return subprocess.run([sys.executable, "-m", "symgrad", *args], env=env, cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)


def _one_error_line(proc, *words):
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("symgrad: error:") and proc.stderr.count("\n") == 1, proc.stderr
    assert "internal error" not in proc.stderr and all(w in proc.stderr for w in words), proc.stderr


@pytest.mark.parametrize("option", ["--claims", "--grads"])
def test_json_nested_forty_thousand_deep_is_one_error_line(tmp_path, option):
    (tmp_path / "deep.json").write_text(DEEP)
    _one_error_line(_cli("check", "y = x*w", "--at", "x=2", "w=3", option, "deep.json", cwd=tmp_path),
                    "nested too deeply")


def test_a_full_disk_on_stdout_is_one_error_line(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        _one_error_line(_cli("check", "y = tanh(x)", "--at", "x=1", cwd=tmp_path, stdout=full), "No space left")


@pytest.mark.parametrize("args", [("check", "y = tanh(x)*w", "--at", "x=1", "w=2"),
                                  ("worksheet", "y = tanh(x)*w", "--at", "x=1", "w=2")])
def test_an_ascii_terminal_gets_escaped_output(tmp_path, args):
    proc = _cli(*args, cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.isascii() and ("\\u" in proc.stdout or "\\x" in proc.stdout)   # · and − escaped
    assert _cli(*args, cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"}).stdout == proc.stdout  # same bytes


def test_draw_precision_and_worksheet_h_are_input_errors():
    with pytest.raises(sg.InputError, match="precision"):
        sg.draw("y = x*2", {"x": 1.0}, precision=-1)
    with pytest.raises(sg.InputError, match="h is text, not a real number"):
        sg.worksheet("y = x*2", {"x": 1.0}, h="a")


def test_a_loss_plot_in_a_missing_folder_fails_before_training(tmp_path):
    # Training shows a progress bar on stderr from its first step: there must be none, only the error.
    proc = _cli("train", "lecture", "--steps", "50", "--loss-plot", "/nonexistent/l.png", cwd=tmp_path)
    _one_error_line(proc, "/nonexistent", "no folder")
    assert proc.stdout == "" and "step" not in proc.stderr
