"""The command line: eval and grad, program sources, JSON, and one-line errors with exit 2."""

import json
import subprocess
import sys

import pytest

from symgrad.interface.cli.main import main

L = "e = a*b; d = e + c; L = d*f"
AT = ["--at", "a=2", "b=-3", "c=10", "f=-2"]


def run(*args, stdin=None):
    proc = subprocess.run([sys.executable, "-m", "symgrad", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def test_eval(capsys):
    assert main(["eval", L, *AT]) == 0
    assert capsys.readouterr().out == "-8.0\n"


def test_grad_table(capsys):
    assert main(["grad", L, *AT]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "L = -8.0"
    rows = dict(line.split() for line in out[3:])
    assert rows == {"a": "6.0", "b": "-4.0", "c": "-2.0", "f": "4.0", "e": "-2.0", "d": "-2.0", "L": "1.0"}


def test_at_may_be_repeated_as_in_argparse_append(capsys):
    # --at a=2 --at b=-3 ... is the same point as one --at with every item (it used to keep only the last)
    split = [x for item in AT[1:] for x in ("--at", item)]
    assert main(["grad", L, *split, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["grads"]["a"] == 6.0


def test_grad_json(capsys):
    assert main(["grad", L, *AT, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == -8.0
    assert data["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}


def test_program_from_file_and_stdin(tmp_path, capsys):
    path = tmp_path / "prog.sg"
    path.write_text("e = a*b\nd = e + c\nL = d*f\n")
    assert main(["eval", "-f", str(path), *AT]) == 0
    assert capsys.readouterr().out == "-8.0\n"
    code, out, err = run("grad", "-", "--at", "x=3", "--json", stdin="y = x*x\n")
    assert code == 0 and json.loads(out)["grads"] == {"x": 6.0, "y": 1.0}


@pytest.mark.parametrize("args, fragment", [
    (["grad", "2x", "--at", "x=1"], "1:2: unexpected name 'x'; write 2*x"),
    (["grad", "log(x)", "--at", "x=0"], "log"),
    (["grad", "x*y", "--at", "x=1"], "missing value for y"),
    (["grad", "x", "--at", "x"], "bad --at item"),
    (["grad", "x", "--at", "x=one"], "not a number"),
    (["grad", "-f", "/nonexistent/prog.sg"], "cannot read"),
    (["grad"], "no program given"),
    (["grad", "x", "--at", "x=1", "--limit", "max_chars=0"], "positive"),
    (["grad", "x" * 100, "--at", "x=1"], "max_name_length"),
    (["frobnicate"], "invalid choice"),
    (["grad", "--bogus"], "unrecognized arguments"),
])
def test_errors_are_one_line_exit_2(args, fragment):
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symgrad: error: ")
    assert fragment in err
    assert "Traceback" not in err


def test_limit_option_raises_a_limit():
    deep = "-" * 250 + "x"
    assert run("eval", deep, "--at", "x=1")[0] == 2
    code, out, _ = run("eval", deep, "--at", "x=1", "--limit", "max_depth=300")
    assert code == 0 and out == "1.0\n"


def switching_chain(n: int) -> str:
    return "; ".join(["a0 = x*y"] + [f"a{i} = where(a{i-1} > 0.5, sin(a{i-1})*a{i-1} + y, exp(-a{i-1})*x)"
                                     for i in range(1, n)])


def test_graph_of_a_program_whose_inputs_cross_many_ranks_is_refused_by_its_layout(tmp_path):
    """60 statements of 239 values pass max_graph_nodes, but x and y are read by every statement:
    each read crosses up to 470 ranks, which took dot minutes; refused by structure, one line."""
    out = tmp_path / "g.svg"
    code, _, err = run("graph", switching_chain(60), "--at", "x=0.7", "y=0.3", "-o", str(out))
    assert code == 2 and err.count("\n") == 1 and err.startswith("symgrad: error:")
    assert "max_graph_layout=5000" in err and "layout cells" in err and "ranks later" in err
    assert not out.exists()
