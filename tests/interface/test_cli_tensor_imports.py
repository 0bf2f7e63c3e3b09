"""`symgrad eval` loads numpy and the tensor engine only for tensors: a scalar program at scalar
values stays on the scalar engine (no numpy in the process), and a tensor program, an array value or
--at-file goes to the tensor engine. Expected outputs are hand arithmetic."""

import json
import os
import subprocess
import sys

from helpers import ROOT

PROBE = ("import sys, runpy\n"
         "sys.argv = ['symgrad'] + sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_module('symgrad', run_name='__main__')\n"
         "except SystemExit:\n"
         "    pass\n"
         "print('numpy' in sys.modules, 'symgrad.engine.tensor' in sys.modules)\n")


def run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stderr == "", proc.stderr
    return proc.stdout.splitlines()


def test_a_scalar_eval_loads_no_numpy_and_no_tensor_engine():
    assert run("eval", "e = a*b; L = e + c", "--at", "a=2", "b=-3", "c=10") == ["4.0", "False False"]
    assert run("eval", "x*2", "--at", "x=3", "--json")[-1] == "False False"


def test_a_tensor_program_or_an_at_file_takes_the_tensor_engine(tmp_path):
    assert run("eval", "L = sum(ones_like(x))", "--at", "x=3") == ["1.0", "True True"]
    point = tmp_path / "x.json"
    point.write_text(json.dumps({"x": [1.0, 2.0]}))
    assert run("eval", "x*2", "--at-file", str(point)) == ["[2.0, 4.0]", "True True"]
    assert run("eval", "sum(x)", "--at-file", str(point)) == ["3.0", "True True"]
