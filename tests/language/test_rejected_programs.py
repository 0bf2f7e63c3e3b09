"""The adversarial corpus: every hostile program gets its exact SymgradError, fast, with
nothing executed, nothing written, and bounded memory."""

from __future__ import annotations

import builtins
import math
import os
import subprocess
import sys
import unicodedata

import pytest

import symgrad as sg
from symgrad.interface.cli.main import main
from helpers.hostile_corpus import BY_ID, CASES, run

from helpers import ROOT  # noqa: E402


def test_corpus_is_large_enough():
    assert len(CASES) >= 50
    assert sum(case.expected is not None for case in CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_gives_its_error(case):
    if case.expected is None:
        result = run(case)
        assert math.isfinite(result.value)
        assert all(math.isfinite(g) for g in result.grads.values())
        return
    with pytest.raises(sg.SymgradError) as info:
        run(case)
    err = info.value
    assert type(err) is case.expected, f"{case.id}: {type(err).__name__}: {err}"
    assert case.shows in err.summary
    shown = str(err)
    # No character of the hostile text reaches the message raw unless it is printable ASCII.
    raw = {ch for ch in case.source if not " " <= ch <= "~"} - {"\n"}
    assert not raw & set(shown), repr(shown)
    assert all(unicodedata.category(ch)[0] != "C" for ch in shown.replace("\n", "")), repr(shown)
    if isinstance(err, sg.LimitError):
        assert err.limit in err.summary and f"--limit {err.limit}=" in err.summary
        assert getattr(sg.Limits(), err.limit) == err.value or case.limits.get(err.limit) == err.value


def test_doubling_chain_gradient_is_exactly_two_to_the_sixty():
    result = run(BY_ID["doubling-chain"])
    assert result.grads["w"] == 2.0 ** 60
    assert result.value == 2.0 ** 60
    assert len(result.graph.named) == 62  # a 62-node DAG, not a 2^60-node tree


def test_statement_bomb_stays_a_dag():
    # 30 statements whose expanded tree has ~2^30 leaves: backprop walks the DAG.
    result = run(BY_ID["statement-bomb-at-zero"])
    # d/dy at 0: s0 = x*y + y gives ds0/dy = x + 1 = 1; s(k+1) = sk^2 + sk gives 2*sk + 1 = 1.
    assert result.grads["y"] == 1.0 and result.grads["x"] == 0.0


def _cli_args(case):
    point = case.point if case.point is not None else None
    args = ["grad", case.source]
    if point is None:
        try:
            point = {n: 1.0 for n in sg.parse(case.source, limits=sg.Limits().with_(**case.limits)).inputs}
        except sg.SymgradError:
            point = {}
    if point:
        args += ["--at"] + [f"{k}={v!r}" if not isinstance(v, str) else f"{k}={v}" for k, v in point.items()]
    for key, value in case.limits.items():
        args += ["--limit", f"{key}={value}"]
    return args


CLI_CASES = [c for c in CASES if c.expected not in (sg.MissingInputError,) and c.id != "input-unknown"]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_prints_one_line_and_exits_2(case, capsys):
    code = main(_cli_args(case))
    out, err = capsys.readouterr()
    if case.expected is None:
        assert code == 0 and not err
        return
    assert code == 2
    assert out == ""
    assert err.startswith("symgrad: error: ") and err.count("\n") == 1, err
    assert "internal error" not in err
    assert all(unicodedata.category(ch)[0] != "C" for ch in err.rstrip("\n")), repr(err)


@pytest.mark.parametrize("extra", ["y\u202e\n" * 3_000, "\u202e\x1b[2J"], ids=["long", "controls"])
def test_cli_argument_errors_are_one_escaped_short_line(capsys, extra):
    with pytest.raises(SystemExit) as info:
        main(["grad", "x", extra, "--at", "x=1"])  # a second program: argparse rejects it
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.count("\n") == 1 and len(err) < 1_000  # 200 characters at most, each escaped
    assert "\u202e" not in err and "\x1b" not in err and "\\u202e" in err


def test_cli_subprocess_hostile_stdin(tmp_path):
    # A real process: NUL and a bidi override on stdin, one escaped line on stderr, exit 2.
    proc = subprocess.run([sys.executable, "-m", "symgrad", "grad", "-", "--at", "x=1"],
                          input="x\u202e + 1\x00".encode(), capture_output=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr.decode().count("\n") == 1 and b"\\u202e" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def _forbid(name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} was called with {args!r:.80}")
    return fail


def test_canary_no_code_runs_and_nothing_is_written(monkeypatch, tmp_path, capsys):
    run(BY_ID["depth-just-allowed"])  # build the parser before the traps are set
    main(["grad", "x", "--at", "x=1"])
    capsys.readouterr()
    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            raise AssertionError(f"open({file!r}, {mode!r}) would write")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    for name in ("eval", "exec", "compile", "breakpoint"):
        monkeypatch.setattr(builtins, name, _forbid(f"builtins.{name}"))
    monkeypatch.setattr(builtins, "open", read_only_open)
    for name in ("system", "popen", "execv", "execve", "execvp", "spawnv", "fork", "remove", "unlink",
                 "rename", "mkdir"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _forbid(f"os.{name}"))
    for name in ("Popen", "run", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, name, _forbid(f"subprocess.{name}"))
    outcomes = []
    for case in CASES:
        try:
            run(case)
            outcomes.append(None)
        except sg.SymgradError as err:
            outcomes.append(type(err))
        if len(case.source) < 1_000:  # the large ones cost time and prove nothing new here
            main(_cli_args(case) if case in CLI_CASES else ["grad", case.source])
    capsys.readouterr()
    monkeypatch.undo()
    assert outcomes == [c.expected for c in CASES]
    assert sorted(os.listdir(tmp_path)) == before


_MEASURE = """
import resource, subprocess, sys
subprocess.run([sys.executable, sys.argv[1]], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def test_peak_rss_under_300_mb_on_every_case(tmp_path):
    # The whole corpus in one fresh process; its peak RSS bounds every single case. A small
    # launcher starts it: Linux carries ru_maxrss across fork+exec, so a child forked
    # straight from this (large) pytest process would report pytest's size.
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(ROOT / "tests" / "helpers" / "hostile_corpus.py")], capture_output=True,
                          text=True, cwd=tmp_path, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    peak_mib = int(proc.stdout.split()[-1]) / 1024  # Linux reports KiB
    assert peak_mib < 300, f"peak RSS {peak_mib:.0f} MiB"


def test_programs_are_held_to_the_limits_of_the_call():
    from symgrad.language.ast import Assign, Op, Program, Var
    deep = Var("x")
    for _ in range(5_000):
        deep = Op("neg", (deep,))
    hand_built = Program((Assign(None, deep),), inputs=("x",))
    with pytest.raises(sg.LimitError) as info:
        sg.backprop(hand_built, {"x": 1.0}, limits=sg.Limits())
    assert info.value.limit == "max_depth"
    loose = sg.parse("-" * 300 + "x", limits=sg.Limits(max_depth=400))
    assert sg.backprop(loose, {"x": 1.0}).value == 1.0  # keeps the limits it was parsed under
    with pytest.raises(sg.LimitError):
        sg.backprop(loose, {"x": 1.0}, limits=sg.Limits(max_depth=250))
