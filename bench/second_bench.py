"""Second order: one Hessian-vector product against one gradient, and a full Hessian against n
HVPs (forward-over-reverse), beside torch.func.hessian and torch.autograd.functional.hvp (when
installed) on the same functions, in the same run.

Targets: hvp ≤ 4× one gradient (backprop); hessian of an n-input program ≤ n hvps.

Run from the repository root:  python -m bench.second_bench [--quick]
"""

from __future__ import annotations

import sys

from bench import fmt, interleaved, table, verdict, torch_or_none
import symgrad

WIDTHS = (2, 5, 10)


def program(n: int) -> tuple[str, list[str]]:
    """A neuron over n inputs and n weights, then a loss with a few more rows: 2n + 1 inputs."""
    xs, ws = [f"x{i}" for i in range(n)], [f"w{i}" for i in range(n)]
    total = " + ".join(f"{w}*{x}" for w, x in zip(ws, xs))
    return f"h = tanh({total} + b)\nL = (h - 1)**2 + sigmoid(h*x0) + log(1 + exp(w0*x1))", xs + ws + ["b"]


def _torch_fn(torch, n: int):
    def f(z):   # z = (x0..x{n-1}, w0..w{n-1}, b), in the program's input order
        x, w, b = z[:n], z[n:2 * n], z[2 * n]
        h = torch.tanh((w * x).sum() + b)
        return (h - 1) ** 2 + torch.sigmoid(h * x[0]) + torch.log(1 + torch.exp(w[0] * x[1]))
    return f


def run(quick: bool = False) -> str:
    torch = torch_or_none()
    repeat = 5 if quick else 9
    rows, ok_hvp, ok_hess = [], True, True
    for n in WIDTHS[:2] if quick else WIDTHS:
        text, names = program(n)
        prog = symgrad.parse(text)
        point = {k: 0.1 * (i + 1) * (-1) ** i for i, k in enumerate(names)}
        order = list(prog.inputs)
        v = [1.0] * len(order)
        fns = {"grad": lambda: symgrad.backprop(prog, point),
               "hvp": lambda: symgrad.hvp(prog, point, v),
               "hessian": lambda: symgrad.hessian(prog, point)}
        if torch is not None:
            f = _torch_fn(torch, n)
            z = torch.tensor([point[k] for k in names], dtype=torch.float64)
            vz = torch.ones_like(z)
            hess = torch.func.hessian(f)
            fns["torch.func.hessian"] = lambda: hess(z)
            fns["torch hvp"] = lambda: torch.autograd.functional.hvp(f, z, vz)
            # the same numbers: symgrad's Hessian against torch's (inputs in the same order)
            ours = symgrad.hessian(prog, point)
            theirs = hess(z).tolist()
            idx = [names.index(k) for k in order]
            worst = max(abs(ours.matrix[i][j] - theirs[idx[i]][idx[j]]) for i in range(len(order)) for j in range(len(order)))
            assert worst < 1e-12, worst
        t = interleaved(fns, repeat=repeat, budget=0.1 if quick else 0.3)
        k = len(order)
        r_hvp = t["hvp"].median / t["grad"].median
        r_hess = t["hessian"].median / (k * t["hvp"].median)
        ok_hvp &= r_hvp <= 4.0
        ok_hess &= r_hess <= 1.0
        rows.append([str(k), t["grad"].cell(), t["hvp"].cell(), f"{r_hvp:.2f}×", t["hessian"].cell(), f"{r_hess:.2f}",
                     t["torch hvp"].cell() if torch else "—", t["torch.func.hessian"].cell() if torch else "—"])
    return "\n\n".join([
        "## Second order: Hessian-vector products and Hessians",
        "The program: `h = tanh(Σ wᵢ·xᵢ + b); L = (h − 1)² + sigmoid(h·x0) + log(1 + exp(w0·x1))` with n inputs "
        "(`bench/second_bench.py`). symgrad's `hvp` is forward-over-reverse through the rows, each row's second "
        "partials derived from its SymPy form; `hessian` is n HVPs sharing one forward and backward pass. "
        "torch's columns are float64 on one CPU thread; its Hessian equals symgrad's to 1e-12 (asserted).",
        table(["inputs n", "grad (backprop)", "hvp", "hvp / grad", "hessian", "hessian / (n·hvp)",
               "torch.autograd.functional.hvp", "torch.func.hessian"], rows),
        f"Target hvp ≤ 4× one gradient: {verdict(ok_hvp)}. Target hessian ≤ n hvps: {verdict(ok_hess)}.",
    ])


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
