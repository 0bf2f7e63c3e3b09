"""Compiled gradients and batch evaluation against micrograd, hand-written Python,
sympy.lambdify and (when installed) torch — all in one run.

Run from the repository root:  python -m bench.compile_bench [--quick]
"""

from __future__ import annotations

import math
import sys

import numpy as np

from bench import interleaved, table, verdict
import symgrad

NEURON = "tanh(x1*w1 + x2*w2 + b)"
POINT = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def _hand(x1, w1, x2, w2, b):
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    d = 1.0 - o * o
    return o, (d * x1, d * w1, d * x2, d * w2, d)  # the lecture's gradients, by hand


def _micrograd_value():
    """micrograd 0.1.0's Value, with the lecture's tanh (the PyPI release has relu only)."""
    from micrograd.engine import Value

    if not hasattr(Value, "tanh"):
        def tanh(self):
            t = math.tanh(self.data)
            out = Value(t, (self,), "tanh")

            def _backward():
                self.grad += (1 - t ** 2) * out.grad
            out._backward = _backward
            return out
        Value.tanh = tanh
    return Value


def scalar(quick: bool) -> str:
    MValue = _micrograd_value()
    torch = _torch()
    repeat = 5 if quick else 9
    prog = symgrad.parse(NEURON)
    f = symgrad.compile(prog)
    args = tuple(POINT[n] for n in f.inputs)

    def micrograd():
        x1, w1, x2, w2, b = (MValue(v) for v in args)
        o = (x1 * w1 + x2 * w2 + b).tanh()
        o.backward()
        return o.data, x1.grad, w1.grad, x2.grad, w2.grad, b.grad

    contenders = [
        ("symgrad compiled `f.value_and_grad(*args)`", lambda: f.value_and_grad(*args)),
        ("symgrad compiled `f(**point)` (checked kwargs → dict)", lambda: f(**POINT)),
        ("symgrad.backprop (Value graph, parsed program)", lambda: symgrad.backprop(prog, POINT)),
        ("micrograd 0.1.0 + the lecture's tanh (build graph + backward)", micrograd),
        ("hand-written Python (value + gradients)", lambda: _hand(*args)),
    ]
    if torch is not None:
        def torch_scalar():
            ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in args]
            x1, w1, x2, w2, b = ts
            o = torch.tanh(x1 * w1 + x2 * w2 + b)
            o.backward()
            return o.item(), [t.grad.item() for t in ts]
        contenders.append(("torch scalar autograd (float64)", torch_scalar))
    timings = interleaved(dict(contenders), repeat=repeat)
    ours = timings[contenders[0][0]].median
    rows = [[name, t.cell(), f"{t.median / ours:.1f}×"] for name, t in timings.items()]
    hand = timings[contenders[4][0]].median
    scaled = ours / hand * 0.19e-6  # the quiet-machine figure for the hand-written code
    lines = [f"- `value_and_grad` within 1.5× of the hand-written Python, in the same run (medians): measured "
             f"**{ours / hand:.2f}×** — " + verdict(ours <= 1.5 * hand, "what the hand-written code lacks is every "
                                                       "guarantee: a class test per input (a float passes as it "
                                                       "is, an int is converted, a bool refused), one float sum "
                                                       "over the values a row could hide and the leaf gradients "
                                                       "with its finiteness test, and tanh's slope as 1/cosh² "
                                                       "(the hand-written 1 − o² loses digits as |o| → 1)"),
             f"- value + all gradients ≤ 1 µs per call (domain checks included): measured "
             f"**{ours * 1e6:.2f} µs** — " + verdict(ours <= 1e-6, "an absolute time on a loaded machine") +
             f"; that is {ours / hand:.1f}× the hand-written code, which the issue timed at 0.19 µs on a quiet "
             f"machine, i.e. about {scaled * 1e6:.2f} µs there"]
    if torch is not None:
        r = timings[contenders[-1][0]].median / ours
        lines.append(f"- ≥ 30× faster than torch scalar autograd: measured **{r:.0f}×** — " + verdict(r >= 30))
    else:
        lines.append("- ≥ 30× faster than torch scalar autograd: not measured, torch is not installed "
                     "(`pip install torch==2.13.0` adds it)")
    return "\n\n".join([
        "## Compiled gradients: the lecture neuron",
        f"`{NEURON}` at the lecture's point; every contender returns the value and all five gradients. "
        "Ratios are to symgrad's compiled call.",
        table(["contender", "time per call", "ratio"], rows),
        "Targets:\n\n" + "\n".join(lines),
    ])


def batch(quick: bool) -> str:
    import sympy
    torch = _torch()
    n = 10 ** 5
    repeat = 3 if quick else 7
    rng = np.random.default_rng(0)
    f = symgrad.compile(NEURON)
    arrays = [rng.uniform(-2, 2, n) for _ in f.inputs]
    syms = sympy.symbols(" ".join(f.inputs))  # SymPy objects built in code, never from text
    x1, w1, x2, w2, b = syms
    expr = sympy.tanh(x1 * w1 + x2 * w2 + b)
    value_only = sympy.lambdify(syms, expr, "numpy")
    all_partials = sympy.lambdify(syms, [expr] + [expr.diff(s) for s in syms], "numpy")
    contenders = [
        ("symgrad compiled, value only `f.batch(*arrays, grads=False)`", lambda: f.batch(*arrays, grads=False)),
        ("symgrad compiled, value + gradients `f.batch(*arrays)`", lambda: f.batch(*arrays)),
        ("sympy.lambdify, value only", lambda: value_only(*arrays)),
        ("sympy.lambdify of the value and all 5 partials", lambda: all_partials(*arrays)),
    ]
    if torch is not None:
        tarrays = [torch.tensor(a) for a in arrays]

        def torch_batch():
            ts = [t.clone().requires_grad_(True) for t in tarrays]
            tx1, tw1, tx2, tw2, tb = ts
            o = torch.tanh(tx1 * tw1 + tx2 * tw2 + tb)
            o.sum().backward()
            return o.detach(), [t.grad for t in ts]
        contenders.append(("torch autograd, value + gradients (float64)", torch_batch))
    timings = interleaved(dict(contenders), repeat=repeat, budget=1.0)
    forward, grads = (timings[contenders[i][0]].median for i in (0, 1))
    rows = [[name, t.cell(), f"{t.median / forward:.2f}×"] for name, t in timings.items()]
    r = grads / forward
    lam = timings[contenders[3][0]].median / grads
    chunk = [a[:4096] for a in arrays]
    fns = f._runner.batch_fns  # the generated functions alone, on one chunk
    inner_t = interleaved({"forward": lambda: fns[0](*chunk, 4096), "gradients": lambda: fns[1](*chunk, 4096)},
                          repeat=repeat)
    inner = inner_t["gradients"].median / inner_t["forward"].median
    lines = [f"- gradients ≤ 3× the forward pass alone over 10^5 points: measured **{r:.2f}×** — "
             + verdict(r <= 3, "six result arrays (value and five gradients) are written instead of one; "
                       "fresh memory costs page faults on this machine") +
             f". The generated code alone, on one chunk of 4,096 points: {inner:.2f}×",
             f"- against sympy.lambdify of all partials: symgrad is **{lam:.2f}×** as fast (higher is better)"]
    if torch is not None:
        lines.append(f"- against torch autograd: symgrad is **{timings[contenders[4][0]].median / grads:.2f}×** "
                     "as fast (higher is better)")
    return "\n\n".join([
        "## Batch evaluation: the neuron over 10^5 points",
        "numpy arrays in, arrays out; domain checks included. Ratios are to symgrad's forward pass alone.",
        table(["contender", "time per batch", "ratio"], rows),
        "Targets:\n\n" + "\n".join(lines),
    ])


def run(quick: bool = False) -> str:
    return scalar(quick) + "\n\n" + batch(quick)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
