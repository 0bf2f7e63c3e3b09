"""`symgrad check` and `symgrad diff`, run in-process through symgrad.interface.cli.main.main."""

import dataclasses
import json
import subprocess
import sys

import pytest
import sympy as sp

from symgrad.interface.cli.main import main
from symgrad.rules.table import RULES


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit:      # argparse's own usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def test_check_agree_exits_0(capsys):
    code, out, err = run(capsys, "check", "e = a*b; d = e + c; L = d*f", "--at", "a=2", "b=-3", "c=10", "f=-2")
    assert code == 0 and err == ""
    assert out.strip().endswith("ok: 7 agree")


def test_check_json(capsys):
    code, out, _ = run(capsys, "check", "tanh(x)*y", "--random", "3", "--seed", "5", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and len(data["points"]) == 3
    assert {r["verdict"] for r in data["rows"]} == {"agree"}


def test_check_mismatch_exits_1(capsys, monkeypatch):
    bad = dataclasses.replace(RULES["tanh"], local=lambda x, out: (1.0 - out,))
    monkeypatch.setitem(RULES, "tanh", bad)
    code, out, _ = run(capsys, "check", "tanh(x)*y", "--at", "x=0.5", "y=2")
    assert code == 1
    assert "mismatch" in out and "MISMATCH" in out


@pytest.mark.parametrize("argv", [
    ["check", "x*", "--at", "x=1"],                     # parse error
    ["check", "x*y", "--at", "x=1"],                     # missing input
    ["check", "x*y", "--at", "x=1", "y=2", "--random", "2"],
    ["check", "x", "--at", "x=1", "--rtol=-1"],
    ["check", "x*y", "--at", "x=1", "y=2", "--grads", "z=1"],           # not a name of the program
    ["check", "x*y", "--at", "x=1", "y=2", "--grads", "/nonexistent/grads.json"],
    ["check", "x", "--random", "5000"],                                # over max_random_points
    ["diff", "x*y", "--wrt", "z"],
])
def test_errors_exit_2_with_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("symgrad: error: ") and err.count("\n") == 1


def test_overflow_is_reported_not_raised(capsys):
    code, out, err = run(capsys, "check", "exp(exp(exp(exp(exp(exp(x))))))", "--at", "x=1")
    assert code == 0 and err == ""
    assert "undefined" in out and "overflow" in out


def test_diff_prints_sympy_and_latex(capsys):
    code, out, _ = run(capsys, "diff", "e = a*b; d = e + c; L = d*f", "--wrt", "a")
    assert code == 0 and out.strip() == "b*f"
    code, out, _ = run(capsys, "diff", "sigmoid(x)", "--wrt", "x", "--latex")
    x = sp.Symbol("x", real=True)
    assert code == 0
    assert out.strip() == sp.latex(sp.simplify(sp.diff(1 / (1 + sp.exp(-x)), x)))


def test_check_runs_as_a_module(tmp_path):
    prog = tmp_path / "p.sg"
    prog.write_text("t = x*x\nout = log(t + 1)\n")
    proc = subprocess.run([sys.executable, "-m", "symgrad", "check", "-f", str(prog), "--at", "x=0.7"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "ok: 3 agree" in proc.stdout
