"""Benchmark: the exact check of a tensor program, on makemore part 4's network ("backprop ninja").

``examples/makemore_ninja.sg`` at the lecture's sizes (27 characters, block 3, embedding 10, hidden 64)
on a seeded batch (``symgrad.nn.datasets.makemore_ninja``), in one run:

- ``sg.check`` with exact references for every element of every gradient (27 gradients, 23,000+
  elements at batch 32), at batch 32 and 128: the target is under 10 s at batch 32 and at most 4.5×
  the time for 4× the batch;
- beside it, on the same point: symgrad's numpy backprop (``sg.backprop``), PyTorch float64's
  forward + backward (where installed), and a float64 central finite-difference check of every
  parameter element (2 numpy forwards each: what people run without an exact reference).

Times are CPU seconds of this process (``time.process_time``), medians of the repeats with min–max,
so other work on the shared machine does not distort them.

    python -m bench.tensor_bench [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import symgrad as sg
from symgrad.nn.datasets import makemore_ninja

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = (ROOT / "examples" / "makemore_ninja.sg").read_text(encoding="utf-8")
PARAMS = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")


def _cpu(fn, repeat: int, wall: list[float] | None = None) -> list[float]:
    """CPU seconds of each repeat (and, into ``wall``, wall-clock seconds: they grow with the load)."""
    fn()                                           # warm: SymPy forms, lazy imports
    out = []
    for _ in range(repeat):
        start, start_wall = time.process_time(), time.perf_counter()
        fn()
        out.append(time.process_time() - start)
        if wall is not None:
            wall.append(time.perf_counter() - start_wall)
    return out


def _cell(samples: list[float]) -> str:
    return f"{statistics.median(samples):.3g} s ({min(samples):.3g}–{max(samples):.3g})"


def numpy_loss(p: dict) -> float:
    """The lecture's forward in plain numpy (the finite differences' function)."""
    n = p["Xb"].shape[0]
    emb = p["C"][p["Xb"]].reshape(n, -1)
    hprebn = emb @ p["W1"] + p["b1"]
    bndiff = hprebn - hprebn.mean(0, keepdims=True)
    bnvar = (bndiff ** 2).sum(0, keepdims=True) / (n - 1)
    h = np.tanh(p["bngain"] * bndiff * (bnvar + 1e-5) ** -0.5 + p["bnbias"])
    logits = h @ p["W2"] + p["b2"]
    z = logits - logits.max(1, keepdims=True)
    logprobs = z - np.log(np.exp(z).sum(1, keepdims=True))
    return float(-logprobs[range(n), p["Yb"]].mean())


def finite_differences(p: dict) -> dict[str, np.ndarray]:
    """Central differences in float64, step 1e-6·max(1, |x|), of every parameter element."""
    out = {}
    for name in PARAMS:
        grad = np.empty_like(p[name])
        for k in np.ndindex(p[name].shape):
            x = p[name][k]
            h = 1e-6 * max(1.0, abs(x))
            p[name][k] = x + h
            up = numpy_loss(p)
            p[name][k] = x - h
            down = numpy_loss(p)
            p[name][k] = x
            grad[k] = (up - down) / (2 * h)
        out[name] = grad
    return out


def _torch_step(p: dict):
    import torch
    T = {k: torch.tensor(v) if v.dtype.kind in "iu" else torch.tensor(v, dtype=torch.float64) for k, v in p.items()}

    def step():
        P = {k: T[k].clone().requires_grad_(T[k].is_floating_point()) for k in T}
        n = P["Xb"].shape[0]
        emb = P["C"][P["Xb"]].view(n, -1)
        hprebn = emb @ P["W1"] + P["b1"]
        bndiff = hprebn - 1 / n * hprebn.sum(0, keepdim=True)
        bnvar = 1 / (n - 1) * (bndiff ** 2).sum(0, keepdim=True)
        h = torch.tanh(P["bngain"] * bndiff * (bnvar + 1e-5) ** -0.5 + P["bnbias"])
        torch.nn.functional.cross_entropy(h @ P["W2"] + P["b2"], P["Yb"]).backward()
    return step


def run(quick: bool = False) -> str:
    repeat = 3            # a ratio of single runs on a shared machine is noise: medians of 3, quick or not
    small, large = makemore_ninja(32, seed=42), makemore_ninja(128, seed=42)
    load = os.getloadavg()
    wall32: list[float] = []
    wall128: list[float] = []
    check32 = _cpu(lambda: sg.check(PROGRAM, small), repeat, wall32)
    check128 = _cpu(lambda: sg.check(PROGRAM, large), repeat, wall128)
    report = sg.check(PROGRAM, small)
    elements = sum(r.elements for r in report.rows)
    backprop = _cpu(lambda: sg.backprop(PROGRAM, small), 5 if quick else 21)
    fd_point = {k: np.array(v, copy=True) for k, v in small.items()}
    fd = _cpu(lambda: finite_differences(fd_point), 1)
    exact = sg.backprop(PROGRAM, small).grads
    fd_grads = finite_differences(fd_point)
    fd_error = max(float(np.max(np.abs(fd_grads[k] - exact[k])) / np.max(np.abs(exact[k])))
                   for k in PARAMS if np.max(np.abs(exact[k])) > 1e-12)
    try:
        torch_times = _cpu(_torch_step(small), 5 if quick else 21)
        torch_cell = _cell(torch_times)
    except ImportError:
        torch_times, torch_cell = None, "not installed"
    ratio = statistics.median(check128) / statistics.median(check32)
    lines = [
        "## Tensor check: makemore part 4 (\"backprop ninja\")",
        "",
        f"`examples/makemore_ninja.sg`, 27 gradients ({elements:,} elements at batch 32), every element judged "
        "against its exact reference on float64's own bound. CPU seconds, median (min–max) of "
        f"{repeat} run(s); `{report.summary}` at batch 32.",
        "",
        "| what | batch 32 | batch 128 | target |",
        "|---|---|---|---|",
        f"| `sg.check`, exact reference for every element | {_cell(check32)} | {_cell(check128)} | < 10 s at 32; "
        f"×4 batch ≤ ×4.5: **{ratio:.2f}×** ({'met' if ratio <= 4.5 and statistics.median(check32) < 10 else 'missed'}) |",
        f"| the same, wall-clock seconds | {_cell(wall32)} | {_cell(wall128)} | (load average {load[0]:.2f} "
        f"at the start, {os.getloadavg()[0]:.2f} at the end, on {os.cpu_count()} cores) |",
        f"| symgrad numpy backprop (`sg.backprop`) | {_cell(backprop)} | | |",
        f"| PyTorch float64 forward + backward | {torch_cell} | | |",
        f"| float64 finite-difference check of the {sum(small[k].size for k in PARAMS):,} parameter elements "
        f"| {_cell(fd)} | | max error {fd_error:.1e} of the largest gradient |",
        "",
        f"The finite differences cost {statistics.median(fd) / statistics.median(backprop):.0f}× backprop and "
        f"agree to about {-np.log10(fd_error):.0f} digits, with no verdict; the exact check costs",
        "a constant number of ball-arithmetic passes over the same rules (exact, and float64's error",
        "envelope), so its time grows linearly with the batch.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
