"""Output files: never over a device node or an input, and a set of files lands all or none."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
import time

import pytest

import symgrad as sg
from symgrad.base import files
from symgrad.base.files import output_set, write_atomic

from helpers import ROOT


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "symgrad", *args], env=env, cwd=cwd, capture_output=True, text=True)


def _one_error_line(proc):
    assert proc.returncode == 2 and proc.stderr.startswith("symgrad: error:") and proc.stderr.count("\n") == 1, \
        proc.stderr


def test_a_device_node_or_a_pipe_is_never_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(sg.RenderError, match="not a regular file"):
        write_atomic(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    before = os.stat("/dev/null")
    for args in (("graph", "y = x*2", "--at", "x=1", "--format", "dot", "-o", "/dev/null"),
                 ("worksheet", "y = x*2", "--at", "x=1", "--format", "md", "-o", "/dev/null")):
        _one_error_line(_cli(*args, cwd=tmp_path))
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_an_input_file_is_never_an_output(tmp_path):
    (tmp_path / "s.md").write_text("")
    assert _cli("worksheet", "e = a*b; L = e + c", "--at", "a=2", "b=-3", "c=1", "--exercise", "-o", "s.md",
                cwd=tmp_path).returncode == 0
    answers = "id,final1.backprop\nann,-3\n"
    (tmp_path / "answers.csv").write_text(answers)
    for out in ("answers.csv", "s-key.json"):
        _one_error_line(_cli("grade", "s-key.json", "answers.csv", "--csv", out, cwd=tmp_path))
    assert (tmp_path / "answers.csv").read_text() == answers
    assert not (tmp_path / "answers-feedback.csv").exists()
    (tmp_path / "p.md").write_text("y = x*2")
    _one_error_line(_cli("worksheet", "-f", "p.md", "--at", "x=1", "-o", "p.md", cwd=tmp_path))
    assert (tmp_path / "p.md").read_text() == "y = x*2"


def test_a_full_disk_leaves_nothing_of_a_set(tmp_path, monkeypatch):
    from symgrad.language.parser import parse
    from symgrad.teaching.exercises import write_sheets
    (tmp_path / "s-1.md").write_text("old")
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 12:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)
    monkeypatch.setattr(files.os, "fsync", fsync)
    with pytest.raises(sg.RenderError, match="nothing was changed"):
        write_sheets(parse("y = log(x) * sqrt(z)"), str(tmp_path / "s.md"), count=5, seed=0, fmt="md",
                     progress=False)
    assert sorted(os.listdir(tmp_path)) == ["s-1.md"] and (tmp_path / "s-1.md").read_text() == "old"


def test_concurrent_writers_never_mix_files_of_different_runs(tmp_path, monkeypatch):
    real = os.replace

    def slow_replace(a, b):          # widen the window between one run's two renames
        real(a, b)
        time.sleep(0.002)
    monkeypatch.setattr(files.os, "replace", slow_replace)

    def run(tag):
        with output_set():
            for name in ("same.md", "same-graph.svg", "same-plot.svg"):
                write_atomic(tmp_path / name, tag)
    for _ in range(12):
        threads = [threading.Thread(target=run, args=(f"run{k}",)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        texts = {(tmp_path / n).read_text() for n in ("same.md", "same-graph.svg", "same-plot.svg")}
        assert len(texts) == 1, texts
    assert sorted(os.listdir(tmp_path)) == ["same-graph.svg", "same-plot.svg", "same.md"]


def test_a_failed_set_leaves_the_old_files(tmp_path):
    (tmp_path / "a.txt").write_text("old a")
    with pytest.raises(RuntimeError):
        with output_set():
            write_atomic(tmp_path / "a.txt", "new a")
            write_atomic(tmp_path / "b.txt", "new b")
            raise RuntimeError("the render failed")
    assert os.listdir(tmp_path) == ["a.txt"] and (tmp_path / "a.txt").read_text() == "old a"
