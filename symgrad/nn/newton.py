"""A second-order training step for small models: Newton's direction by conjugate gradients on
Hessian-vector products (truncated Newton, "Hessian-free" optimisation).

The model's loss is written as a symgrad program over its parameters (``MLP.expression``); one
forward and one backward pass give the loss's gradient g; conjugate gradients then solve
(H + λI)·d = −g using only products H·v (``engine.second_order``: forward-over-reverse, each
costing a tangent sweep each way on the same tape), never the n×n Hessian. CG stops early at a
direction of non-positive curvature (vᵀ(H + λI)v ≤ 0, where a tanh network's Hessian is
indefinite) and keeps the direction found so far, or −g if there is none.

Sources: Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.1 (line-search Newton-CG);
Martens, "Deep learning via Hessian-free optimization", ICML 2010; Pearlmutter, Neural Computation 6 (1994).
"""

from __future__ import annotations

import math

from ..base.errors import InputError, NumericError
from ..engine.second_order import sweep, tape

__all__ = ["newton_direction"]


def newton_direction(model, xs, ys, *, loss: str, alpha: float, damping: float, cg_steps: int) -> dict:
    """{parameter Value: step} for one Newton-CG step of ``model``'s ``loss`` over (xs, ys)."""
    if not hasattr(model, "expression") or loss not in ("sum_squares", "mse"):
        raise InputError("a Newton step needs an MLP and a smooth loss (sum_squares or mse)",
                         hint="hinge's Hessian is 0 almost everywhere: train it with method='sgd'")
    expr = model.expression(xs, ys, loss=loss, alpha=alpha)
    prog = expr.program
    t = tape(prog, expr.point)
    names = [n for n in prog.inputs if n in expr.parameters]
    g = [t.adjoint[t.named[n]] or 0.0 for n in names]

    def hv(v: list[float]) -> list[float]:
        _, dot = sweep(t.kids, t.local, t.second, t.adjoint, t.root,
                       {t.named[n]: x for n, x in zip(names, v) if x != 0.0})
        return [(dot[t.named[n]] or 0.0) + damping * x for n, x in zip(names, v)]

    # conjugate gradients on (H + λI) d = −g, from d = 0 (Nocedal & Wright, Algorithm 7.1)
    d = [0.0] * len(names)
    r = list(g)                        # residual (H + λI)d + g
    p = [-x for x in r]
    rr = sum(x * x for x in r)
    tol = 1e-10 * math.sqrt(rr)       # solved to float64's taste; cg_steps bounds the work
    for k in range(cg_steps):
        if math.sqrt(rr) <= tol:
            break
        hp = hv(p)
        curvature = sum(a * b for a, b in zip(p, hp))
        if not curvature > 0:          # negative curvature (or NaN): stop with what we have
            if k == 0:
                d = [-x for x in g]
            break
        step = rr / curvature
        d = [a + step * b for a, b in zip(d, p)]
        r = [a + step * b for a, b in zip(r, hp)]
        new = sum(x * x for x in r)
        p = [-a + (new / rr) * b for a, b in zip(r, p)]
        rr = new
    if not all(math.isfinite(x) for x in d):
        raise NumericError("the Newton direction is not finite", hint="raise damping")
    return {expr.parameters[n]: x for n, x in zip(names, d)}
