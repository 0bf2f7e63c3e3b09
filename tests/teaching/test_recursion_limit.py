"""Same input, same bytes, whatever the interpreter's recursion limit: the closed-form stage is
bounded by the program's structure (Limits.max_closed_form_depth), never by a RecursionError."""

from __future__ import annotations

import os
import subprocess
import sys

# The deep worksheet of bench/worksheet_bench.py: 40 layers of tanh(h*w + b).
SCRIPT = r"""
import hashlib, sys
sys.setrecursionlimit(int(sys.argv[1]))
import symgrad as sg
text = "\n".join(["h0 = x"] + [f"h{k} = tanh(h{k - 1}*w{k} + b{k})" for k in range(1, 41)])
prog = sg.parse(text)
at = {name: 0.1 * ((i % 7) - 3) for i, name in enumerate(prog.inputs)}
out = [sg.worksheet(prog, at, format="md"), sg.check(prog, at).to_json()]
for name in ("x", "w40", "h39"):
    try:
        out.append(str(sg.diff(prog, name)))
    except sg.SymgradError as err:
        out.append(type(err).__name__ + ": " + str(err))
print("\n".join(hashlib.sha256(o.encode()).hexdigest() + " " + str(len(o)) for o in out))
print(out[2][:200])
"""


def test_worksheet_check_and_diff_bytes_do_not_depend_on_the_recursion_limit():
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, str(limit)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for limit in (1000, 10_000)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    low, high = (out for out, _ in outs)
    assert low == high
    assert "max_closed_form_depth" in low          # d/dx is 121 levels deep: refused by structure, at both
