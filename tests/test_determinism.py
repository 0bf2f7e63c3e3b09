"""Same input, same bytes: CLI and library output across PYTHONHASHSEED values, and output
text escaped for its format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import symgrad as sg
from symgrad.teaching.sheets import RENDERERS

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "n = x1*w1 + x2*w2 + b\ne = exp(2*n)\no = (e - 1)/(e + 1)\nL = o*o + relu(w_out) + z9"
AT = ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432", "w_out=0.5", "z9=-1"]
SEEDS = ("0", "1", "random")

# Each command line, run once per hash seed in a fresh interpreter.
COMMANDS = [
    ["grad", PROGRAM, "--json", "--at", *AT],
    ["grad", PROGRAM, "--at", *AT],
    ["eval", PROGRAM, "--json", "--at", *AT],
    ["grad", "log(x)", "--at", "x=0"],                       # an error: stderr must match too
    ["grad", "\u0445 + y\u202e", "--at", "y=1"],
]


def _run(args: list[str], seed: str, cwd: Path) -> tuple[int, bytes, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, env=env, cwd=cwd,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=["grad-json", "grad-table", "eval-json", "error", "unicode-error"])
def test_cli_output_is_byte_identical_across_hash_seeds(args, tmp_path):
    runs = {seed: _run(args, seed, tmp_path) for seed in SEEDS}
    assert len(set(runs.values())) == 1, runs
    code, out, err = runs["0"]
    assert out or err
    assert err.isascii() and out.isascii()  # non-ASCII user text is escaped, JSON is ensure_ascii


def test_json_output_is_valid_and_ordered(tmp_path):
    code, out, _ = _run(COMMANDS[0], "0", tmp_path)
    data = json.loads(out)
    assert code == 0
    # Inputs in first-appearance order, then intermediates in program order.
    assert list(data["grads"]) == ["x1", "w1", "x2", "w2", "b", "w_out", "z9", "n", "e", "o", "L"]
    assert list(data["point"]) == ["x1", "w1", "x2", "w2", "b", "w_out", "z9"]


def test_library_output_is_deterministic_in_process():
    first = sg.backprop(PROGRAM, dict(a.split("=") for a in AT))
    texts = {(sg.unparse(first.program), sg.to_latex(first.program), json.dumps(first.to_dict()), first.table())
             for _ in range(3)}
    assert len(texts) == 1


def test_latex_escapes_underscores_in_names():
    tex = sg.to_latex(sg.parse("a_b_c + w_out + x1"))
    assert r"\mathit{a\_b\_c}" in tex and r"w_{\mathit{out}}" in tex and "x_{1}" in tex  # one name printer for every format
    assert tex.count("_") == tex.count("_{") + tex.count(r"\_")  # every _ opens a group or is escaped


_RENDER = """
import hashlib, symgrad as sg
from symgrad.teaching.sheets import RENDERERS
p = "n = x1*w1 + x2*w2 + b; o = tanh(n); L = o*o + relu(a_b) + abs(w_2)"
pt = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432, "a_b": -1.0, "w_2": 0.5}
outs = [sg.draw(p, pt).source, sg.draw(p, view="ast").source] + [sg.worksheet(p, pt, format=f) for f in RENDERERS]
for text in outs:
    assert not any(ord(c) < 32 and c not in "\\n\\t" for c in text)  # no raw control characters
    print(hashlib.sha256(text.encode()).hexdigest())
"""


def test_graph_and_worksheet_output_is_byte_identical_across_hash_seeds(tmp_path):
    digests = set()
    for seed in ("0", "1", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, "-c", _RENDER], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert len(proc.stdout.split()) == 2 + len(RENDERERS)  # two graphs, a worksheet per format
        digests.add(proc.stdout)
    assert len(digests) == 1
