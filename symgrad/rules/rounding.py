"""Round-off accounting: one ``Rounding`` record per row of the table, and the one model of
float64's error that the check (``gradcheck.error_bound``), the proofs of a row
(``proofs.check_rounding``, run by ``symgrad.register``) and the tests all use.

The model (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §2.2 and §3.1,
with gradual underflow): a row's float64 forward and local derivative, at float64 arguments x,
are within

    |forward(x) − f(x)|        ≤ kf·u·|f(x)|                                   + max(kf, 1)·2⁻¹⁰⁷⁴
    |local_i(x) − ∂f/∂x_i(x)|  ≤ kl·u·|∂f/∂x_i(x)| + Σ_j |∂²f/∂x_i∂x_j(x)|·ka·u·|x_j| + max(kl, 1)·2⁻¹⁰⁷⁴

with u = 2⁻⁵³ and (kf, kl, ka) the row's ``Rounding``: roundings of the forward, of the local
derivative, and of arguments computed inside the local derivative (pow's p − 1). A variadic row
(``wsum``, ``logsumexp``) takes |f| as n·f(|x_1|, …, |x_n|), its n terms' sizes. The second term
of the local bound is the first-order spread of the partial over arguments rounded ka times; the
check takes its range over balls instead (``argument_error`` widens them). Every row needs a
record (``records``); ``verify`` proves the counts at a point against exact references
(``exact``), and tests/rules/test_rounding.py at 80 points per row.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["Rounding", "ROUNDING", "U", "TINY", "SLACK", "underflow", "forward_error", "local_error",
           "argument_error", "verify"]

U = 2.0 ** -53            # float64's unit roundoff
TINY = 2.0 ** -1074       # float64's least subnormal: what underflow may lose per rounding
SLACK = 1.0 + 1e-9        # a bound computed in float64 is rounded itself


class Rounding(NamedTuple):
    """Float64 roundings of a row's implementation, in units u of the result."""
    forward: int = 8      # of the forward
    local: int = 16       # of the local derivative
    argument: int = 2     # of arguments computed inside the local derivative


def underflow(k: int) -> float:
    """Each of k roundings may lose 2⁻¹⁰⁷⁴ where a result is subnormal; at least one."""
    return max(k, 1) * TINY


def forward_error(r: Rounding, size: float) -> float:
    """Bound on |forward − f| for |f| (a variadic row: n·Σ|terms|) = ``size``."""
    return r.forward * U * size + underflow(r.forward)


def argument_error(r: Rounding, x: float) -> float:
    """How far an argument the local derivative computes from ``x`` may be rounded."""
    return r.argument * U * abs(x)


def local_error(r: Rounding, size: float, spread: float) -> float:
    """Bound on |local_i − ∂f/∂x_i| for |∂f/∂x_i| = ``size``, ``spread`` the partial's change over
    the arguments' ``argument_error``."""
    return r.local * U * size + spread + underflow(r.local)


ROUNDING: dict[str, Rounding] = {
    "add": Rounding(1, 0, 0),
    "sub": Rounding(1, 0, 0),
    "mul": Rounding(1, 0, 0),
    "div": Rounding(1, 2, 0),
    "neg": Rounding(0, 0, 0),
    "powc": Rounding(4, 8, 2),
    "pow": Rounding(4, 8, 2),
    "exp": Rounding(4, 4, 0),
    "log": Rounding(4, 1, 0),
    "tanh": Rounding(4, 16, 0),
    "sigmoid": Rounding(8, 16, 0),
    "relu": Rounding(0, 0, 0),
    "sin": Rounding(4, 4, 0),
    "cos": Rounding(4, 4, 0),
    "sqrt": Rounding(1, 2, 0),
    "abs": Rounding(0, 0, 0),
    "softplus": Rounding(8, 8, 0),
    "tan": Rounding(4, 8, 0),
    "atan": Rounding(4, 4, 0),
    "asin": Rounding(4, 8, 0),
    "acos": Rounding(4, 8, 0),
    "sinh": Rounding(8, 16, 2),
    "cosh": Rounding(4, 4, 0),
    "asinh": Rounding(8, 16, 2),
    "atanh": Rounding(8, 8, 0),
    "log2": Rounding(4, 4, 0),
    "log10": Rounding(8, 16, 2),
    "exp2": Rounding(4, 8, 0),
    "expm1": Rounding(8, 16, 2),
    "log1p": Rounding(4, 4, 0),
    "cbrt": Rounding(8, 16, 2),
    "erf": Rounding(8, 16, 2),
    "gelu": Rounding(8, 16, 2),
    "silu": Rounding(8, 16, 2),
    "elu": Rounding(8, 16, 2),
    "leaky_relu": Rounding(1, 0, 0),
    "softsign": Rounding(8, 16, 2),
    "log_sigmoid": Rounding(8, 16, 2),
    "logit": Rounding(4, 4, 0),
    "max": Rounding(0, 0, 0),
    "min": Rounding(0, 0, 0),
    "atan2": Rounding(8, 16, 2),
    "hypot": Rounding(4, 4, 0),
    "logsumexp": Rounding(8, 16, 2),
    **{name: Rounding(0, 0, 0) for name in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not", "where")},
    "clamp": Rounding(0, 0, 0),
    "sign": Rounding(0, 0, 0),
    "hardtanh": Rounding(0, 0, 0),
    "relu6": Rounding(0, 0, 0),
    "huber": Rounding(4, 1, 0),
    "smooth_l1": Rounding(4, 4, 0),
    "softplus_beta": Rounding(8, 16, 0),
    "stop_gradient": Rounding(0, 0, 0),
    "floor": Rounding(0, 0, 0),
    "ceil": Rounding(0, 0, 0),
    "round": Rounding(0, 0, 0),
    "acosh": Rounding(8, 8, 2),
    "sec": Rounding(4, 8, 2),
    "csc": Rounding(4, 8, 2),
    "cot": Rounding(4, 8, 2),
    "sinc": Rounding(8, 16, 2),
    "wsum": Rounding(1, 0, 0),
    "id": Rounding(0, 0, 0),
    "taken": Rounding(0, 0, 0),
}


@lru_cache(maxsize=256)
def _forms(row: Any, n: int) -> tuple:
    import sympy as sp
    syms = sp.symbols(f"u0:{n}", real=True)
    expr = row.sympy(sp, *syms)
    # powsimp: x**y·y/x is y·x**(y−1), which is finite at x = 0
    firsts = [sp.powsimp(sp.diff(expr, s), force=True) for s in syms]
    seconds = [[sp.diff(d, s) for s in syms] for d in firsts]
    return syms, expr, firsts, seconds


def verify(row: Any, point: tuple[float, ...], counts: Rounding | None = None) -> str | None:
    """None if ``row``'s rounding counts (its record, or ``counts``) hold at ``point`` (inside its
    domain, off its kinks), else what is wrong and what to declare. Imports SymPy."""
    from .exact import exact

    r = counts if counts is not None else ROUNDING[row.name]
    n = len(point)
    syms, expr, firsts, seconds = _forms(row, n)
    f = exact(expr, syms, point)
    out = row.forward(*point)
    size = float(abs(f).upper()) if f is not None else math.nan
    if row.variadic:
        size = n * float(exact(expr, syms, [abs(v) for v in point]).upper())
    gap = float(abs(f - out).upper()) if f is not None else 0.0
    if gap > forward_error(r, size) * SLACK:
        return (f"forward{point} is {gap / (U * max(size, TINY)):.0f} ulp from the exact value, over rounding[0] = "
                f"{r.forward}: declare rounding= with a larger first count, or compute it more accurately")
    slopes = row.local(*point, out)
    for i in range(n):
        if i in row.constant:
            continue
        d = exact(firsts[i], syms, point)
        if d is None:
            continue   # 0·ln 0 (d/dy x**y at x = 0): a boundary the check settles by a limit
        spread = 0.0
        for j in range(n) if r.argument else ():
            # an integer constant argument is baked into the check's form: no spread over it
            if point[j] and not (j in row.constant and float(point[j]).is_integer()):
                dd = exact(seconds[i][j], syms, point, digits=5)
                term = float(abs(dd).upper()) * argument_error(r, point[j]) if dd is not None else math.inf
                spread += term if math.isfinite(term) else 0.0
        size = float(abs(d).upper())
        gap = float(abs(d - slopes[i]).upper())
        if gap > local_error(r, size, spread) * SLACK:
            return (f"local{point}[{i}] is {gap / (U * max(size, TINY)):.0f} ulp from the exact partial, over "
                    f"rounding[1:] = {(r.local, r.argument)}: declare rounding= with a larger second count, "
                    "or compute it more accurately")
    return None
