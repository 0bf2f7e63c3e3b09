"""The rule table: one row per primitive.

Every consumer reads a row: the engine (forward, local derivative), the symbolic checker
(``sympy``), the printers (``symbol``, ``latex``) and worksheets (``title``, ``text``,
``dlatex``). Adding a function means adding one row to ``RULES``.

Forward functions are numerically stable and raise ``DomainError``/``NumericError`` with
a reason; they never return a value outside float64 for finite input, except where a
plain ``*`` or ``+`` overflows to inf (callers that need finiteness check for it).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable

from ._errors import DomainError, NumericError

__all__ = ["Rule", "RULES", "INTERNAL", "FUNCTIONS", "rule"]


@dataclass(frozen=True, eq=False)
class Rule:
    name: str                                   # row key; the call name for kind="call"
    arity: int
    forward: Callable[..., float]               # (*inputs) -> output
    local: Callable[..., tuple[float, ...]]     # (*inputs, output) -> d output / d input_i
    sympy: Callable[..., Any]                   # (sympy module, *args) -> sympy.Expr
    latex: str                                  # str.format template over the arguments
    title: str                                  # worksheet rule name
    text: str                                   # worksheet rule statement
    dlatex: tuple[str, ...]                     # local derivative per argument; {0},{1} args, {out} output
    kind: str = "call"                          # "infix" | "prefix" | "call"
    symbol: str = ""                            # operator in text and graphs
    prec: int = 9                               # binding strength for printers
    kink: bool = False                          # not differentiable at argument 0; derivative 0 there by convention
    # Code generation (symgrad.compile): Python expressions for the forward, then the local
    # derivative per argument, over the atoms {0}, {1} and {out}. They may name ``math``, ``_np``
    # (numpy) and this module's helpers, and must raise (py) or give a non-finite value (np)
    # outside the domain. Empty: the generated code calls ``forward``/``local`` instead.
    py: tuple[str, ...] = ()                    # for float scalars
    np: tuple[str, ...] = ()                    # for numpy arrays (batch evaluation)
    # Optional fast path for the engine: accumulate(children, grad) adds each child's
    # d(output)/d(child)·grad to child.grad in place (same numbers as ``local``).
    accumulate: Callable[..., None] | None = None
    variadic: bool = False                      # takes ``arity`` or more arguments (see the row)

    def __repr__(self) -> str:
        return f"Rule({self.name!r})"

    def __str__(self) -> str:
        return self.symbol or self.name


# --- stable forwards -------------------------------------------------------------------

def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise DomainError(f"division by zero ({a!r} / {b!r})", hint="the divisor must not be 0")
    return a / b


def _powc(x: float, p: float) -> float:
    if x == 0.0 and p < 0.0:
        raise DomainError(f"0 ** {p!r} divides by zero", hint="a zero base needs a non-negative exponent")
    if x < 0.0 and not p.is_integer():
        raise DomainError(f"({x!r}) ** {p!r} is not a real number",
                          hint="a negative base needs an integer exponent")
    return _checked_pow(x, p)


def _pow(x: float, y: float) -> float:
    if x < 0.0:
        raise DomainError(f"({x!r}) ** y with a variable exponent y is not differentiable in y",
                          hint="the base must be positive (d/dy x**y = x**y·ln x); or make the exponent a constant")
    if x == 0.0 and y <= 0.0:
        raise DomainError(f"0 ** {y!r} with a variable exponent is undefined or not differentiable",
                          hint="with a variable exponent a zero base needs a positive exponent")
    return _checked_pow(x, y)


def _checked_pow(x: float, p: float) -> float:
    try:
        return math.pow(x, p)
    except OverflowError:
        raise NumericError(f"{x!r} ** {p!r} overflows float64") from None


def _pow_local(x: float, y: float, out: float) -> tuple[float, float]:
    return _powc_dx(x, y, out), (out * math.log(x) if x > 0.0 else 0.0)


def _powc_local(x: float, p: float, out: float) -> tuple[float, float]:
    return _powc_dx(x, p, out), 0.0


def _powc_dx(x: float, p: float, out: float) -> float:
    if x != 0.0:
        # p·x^(p-1), not p·out/x: x^p can underflow to 0 while the derivative is still
        # representable (x**2 at 1e-300 has slope 2e-300, but out is 0).
        try:
            return p * math.pow(x, p - 1.0)
        except OverflowError:
            return math.inf  # callers turn a non-finite gradient into a NumericError
    # At 0: p*0**(p-1) is 0 for p > 1 or p == 0, 1 for p == 1, infinite for 0 < p < 1.
    return 1.0 if p == 1.0 else 0.0 if (p > 1.0 or p == 0.0) else math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise NumericError(f"exp({x!r}) overflows float64", hint="exp overflows above about 709.78") from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise DomainError(f"log({x!r}) is undefined", hint="log needs a positive argument")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise DomainError(f"sqrt({x!r}) is not real", hint="sqrt needs a non-negative argument")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # never overflows for x < 0
    return z / (1.0 + z)


def _tanh_slope(x: float) -> float:
    # 1 - tanh² cancels to 0 once tanh rounds to ±1 (|x| > 19); 4σ(2x)σ(−2x) is the same
    # slope without the cancellation: tanh'(20) = 1.7e-17, not 0.
    return 4.0 * _sigmoid(2.0 * x) * _sigmoid(-2.0 * x)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _wsum(b: float, *wx: float) -> float:
    n = len(wx) >> 1
    return sum(map(operator.mul, wx[:n], wx[n:]), b)  # b + w1·x1 + w2·x2 + …, in that order


def _wsum_local(b: float, *wx_out: float) -> tuple[float, ...]:
    wx = wx_out[:-1]
    n = len(wx) >> 1
    return (1.0, *wx[n:], *wx[:n])


def _wsum_accumulate(kids: tuple, g: float) -> None:
    n = len(kids) >> 1
    kids[0].grad += g
    for i in range(1, n + 1):
        w, x = kids[i], kids[i + n]
        w.grad += x.data * g
        x.grad += w.data * g


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0  # abs'(0) = 0, as PyTorch


def _sigmoid_np(x):
    """_sigmoid for numpy arrays: the same two branches, so it never overflows."""
    import numpy as np
    z = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _bell_np(u, scale):
    """scale·σ(u)·σ(−u) for numpy arrays with one exp: it is even in u, so with z = e^(−|u|) it is
    scale·z/(1 + z)². tanh'(x) = _bell_np(2x, 4) and σ'(x) = _bell_np(x, 1), without cancellation."""
    import numpy as np
    z = np.exp(-np.abs(u))
    return scale * z / ((1.0 + z) * (1.0 + z))


# --- the table -------------------------------------------------------------------------

RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("add", 2, operator.add, lambda a, b, out: (1.0, 1.0),
         lambda sp, a, b: a + b, "{0} + {1}",
         "sum rule", "∂(u + v)/∂u = 1 and ∂(u + v)/∂v = 1", ("1", "1"),
         kind="infix", symbol="+", prec=1,
         py=("{0} + {1}", "1.0", "1.0"), np=("{0} + {1}", "1.0", "1.0")),
    Rule("sub", 2, operator.sub, lambda a, b, out: (1.0, -1.0),
         lambda sp, a, b: a - b, "{0} - {1}",
         "difference rule", "∂(u − v)/∂u = 1 and ∂(u − v)/∂v = −1", ("1", "-1"),
         kind="infix", symbol="-", prec=1,
         py=("{0} - {1}", "1.0", "-1.0"), np=("{0} - {1}", "1.0", "-1.0")),
    Rule("mul", 2, operator.mul, lambda a, b, out: (b, a),
         lambda sp, a, b: a * b, r"{0} \cdot {1}",
         "product rule", "∂(u·v)/∂u = v and ∂(u·v)/∂v = u", ("{1}", "{0}"),
         kind="infix", symbol="*", prec=2,
         py=("{0} * {1}", "{1}", "{0}"), np=("{0} * {1}", "{1}", "{0}")),
    Rule("div", 2, _div, lambda a, b, out: (1.0 / b, -out / b),
         lambda sp, a, b: a / b, r"\frac{{{0}}}{{{1}}}",
         "quotient rule", "∂(u/v)/∂u = 1/v and ∂(u/v)/∂v = −u/v²",
         (r"\frac{{1}}{{{1}}}", r"-\frac{{{0}}}{{{1}^{{2}}}}"),
         kind="infix", symbol="/", prec=2,
         py=("{0} / {1}", "1.0 / {1}", "-{out} / {1}"), np=("{0} / {1}", "1.0 / {1}", "-{out} / {1}")),
    Rule("neg", 1, operator.neg, lambda a, out: (-1.0,),
         lambda sp, a: -a, "-{0}",
         "negation rule", "d(−u)/du = −1", ("-1",),
         kind="prefix", symbol="-", prec=3,
         py=("-{0}", "-1.0"), np=("-{0}", "-1.0")),
    # Constant exponent (x^2, x^(1/3)): the exponent gets no gradient.
    Rule("powc", 2, _powc, _powc_local,
         lambda sp, a, b: a ** b, "{0}^{{{1}}}",
         "power rule", "d(uⁿ)/du = n·uⁿ⁻¹ for a constant n", (r"{1} \cdot {0}^{{{1} - 1}}", "0"),
         kind="infix", symbol="**", prec=4,
         py=("math.pow({0}, {1})", "_powc_dx({0}, {1}, {out})", "0.0"),
         np=("_np.power({0}, {1})", "_np.where({0} != 0.0, {1} * {out} / {0}, _powc_dx(0.0, {1}, 0.0))", "0.0")),
    # Variable exponent (2^x, x^y): needs a positive base for d/dy = x^y·ln x.
    Rule("pow", 2, _pow, _pow_local,
         lambda sp, a, b: a ** b, "{0}^{{{1}}}",
         "general power rule", "∂(u^v)/∂u = v·u^(v−1) and ∂(u^v)/∂v = u^v·ln u",
         (r"{1} \cdot {0}^{{{1} - 1}}", r"{out} \cdot \ln {0}"),
         kind="infix", symbol="**", prec=4,
         np=("_np.where(({0} > 0.0) | (({0} == 0.0) & ({1} > 0.0)), _np.power({0}, {1}), _np.nan)",
             "_np.where({0} != 0.0, {1} * {out} / {0}, _np.where({1} == 1.0, 1.0, "
             "_np.where(({1} > 1.0) | ({1} == 0.0), 0.0, _np.inf)))",
             "_np.where({0} > 0.0, {out} * _np.log({0}), 0.0)")),
    Rule("exp", 1, _exp, lambda x, out: (out,),
         lambda sp, x: sp.exp(x), r"e^{{{0}}}",
         "exp rule", "d(eᵘ)/du = eᵘ", ("{out}",),
         py=("math.exp({0})", "{out}"),
         np=("_np.exp({0})", "{out}")),
    Rule("log", 1, _log, lambda x, out: (1.0 / x,),
         lambda sp, x: sp.log(x), r"\ln\left({0}\right)",
         "log rule", "d(ln u)/du = 1/u", (r"\frac{{1}}{{{0}}}",),
         py=("math.log({0})", "1.0 / {0}"),
         np=("_np.log({0})", "1.0 / {0}")),
    Rule("tanh", 1, math.tanh, lambda x, out: (_tanh_slope(x),),
         lambda sp, x: sp.tanh(x), r"\tanh\left({0}\right)",
         "tanh rule", "d(tanh u)/du = 1 − tanh²(u)", ("1 - {out}^{{2}}",),
         py=("math.tanh({0})", "_tanh_slope({0})"),
         np=("_np.tanh({0})", "_bell_np(2.0 * {0}, 4.0)")),
    Rule("sigmoid", 1, _sigmoid, lambda x, out: (_sigmoid(x) * _sigmoid(-x),),
         lambda sp, x: 1 / (1 + sp.exp(-x)), r"\sigma\left({0}\right)",
         "sigmoid rule", "d(σ(u))/du = σ(u)·(1 − σ(u))", (r"{out} \cdot \left(1 - {out}\right)",),
         py=("_sigmoid({0})", "_sigmoid({0}) * _sigmoid(-{0})"),
         np=("_sigmoid_np({0})", "_bell_np({0}, 1.0)")),
    Rule("relu", 1, lambda x: x if x > 0.0 else 0.0, lambda x, out: (1.0 if x > 0.0 else 0.0,),
         lambda sp, x: sp.Piecewise((x, x > 0), (0, True)), r"\operatorname{{relu}}\left({0}\right)",
         "relu rule", "d(relu u)/du = 1 if u > 0, else 0 (0 at the kink u = 0)",
         (r"\begin{{cases}} 1 & {0} > 0 \\ 0 & \text{{otherwise}} \end{{cases}}",), kink=True,
         py=("({0} if {0} > 0.0 else 0.0)", "(1.0 if {0} > 0.0 else 0.0)"),
         np=("_np.where({0} > 0.0, {0}, 0.0)", "_np.where({0} > 0.0, 1.0, 0.0)")),
    Rule("sin", 1, math.sin, lambda x, out: (math.cos(x),),
         lambda sp, x: sp.sin(x), r"\sin\left({0}\right)",
         "sine rule", "d(sin u)/du = cos u", (r"\cos\left({0}\right)",),
         py=("math.sin({0})", "math.cos({0})"),
         np=("_np.sin({0})", "_np.cos({0})")),
    Rule("cos", 1, math.cos, lambda x, out: (-math.sin(x),),
         lambda sp, x: sp.cos(x), r"\cos\left({0}\right)",
         "cosine rule", "d(cos u)/du = −sin u", (r"-\sin\left({0}\right)",),
         py=("math.cos({0})", "-math.sin({0})"),
         np=("_np.cos({0})", "-_np.sin({0})")),
    Rule("sqrt", 1, _sqrt, lambda x, out: (0.5 / out if out else math.inf,),
         lambda sp, x: sp.sqrt(x), r"\sqrt{{{0}}}",
         "square-root rule", "d(√u)/du = 1/(2√u), infinite at u = 0", (r"\frac{{1}}{{2 {out}}}",),
         py=("math.sqrt({0})", "0.5 / {out}"),
         np=("_np.sqrt({0})", "0.5 / {out}")),
    Rule("abs", 1, abs, lambda x, out: (_sign(x),),
         lambda sp, x: sp.Abs(x), r"\left|{0}\right|",
         "absolute-value rule", "d|u|/du = sign(u) (0 at the kink u = 0)", (r"\operatorname{{sign}}\left({0}\right)",),
         kink=True, py=("abs({0})", "_sign({0})"),
         np=("_np.abs({0})", "_np.sign({0})")),
    Rule("softplus", 1, _softplus, lambda x, out: (_sigmoid(x),),
         lambda sp, x: sp.log(1 + sp.exp(x)), r"\operatorname{{softplus}}\left({0}\right)",
         "softplus rule", "d(softplus u)/du = σ(u)", (r"\sigma\left({0}\right)",),
         py=("_softplus({0})", "_sigmoid({0})"),
         np=("_np.maximum({0}, 0.0) + _np.log1p(_np.exp(-_np.abs({0})))", "_sigmoid_np({0})")),
)}

# Rows no call in the language produces, so they live outside RULES (the language's primitives).
# ``wsum`` is the fused neuron built by symgrad.nn: (b, w1, …, wn, x1, …, xn); its ``dlatex`` is
# for (b, wᵢ, xᵢ). ``id`` gives a bare alias (``d = e``) its own node, so that d(out)/dd holds d
# independent of e, as SymPy's partial does.
INTERNAL: dict[str, Rule] = {r.name: r for r in (
    Rule("wsum", 3, _wsum, _wsum_local,
         lambda sp, b, *wx: b + sp.Add(*[w * x for w, x in zip(wx[:len(wx) // 2], wx[len(wx) // 2:])]),
         r"{0} + \sum_{{i}} w_i x_i",
         "weighted-sum rule", "∂(b + Σ wᵢxᵢ)/∂b = 1, ∂/∂wᵢ = xᵢ and ∂/∂xᵢ = wᵢ", ("1", "x_i", "w_i"),
         kind="fused", symbol="Σwx+b", prec=1, accumulate=_wsum_accumulate, variadic=True),
    Rule("id", 1, lambda x: x, lambda x, out: (1.0,),
         lambda sp, x: x, "{0}",
         "naming rule", "a new name for a value: d(u)/du = 1", ("1",),
         kind="internal", symbol="=", py=("{0}", "1.0"), np=("{0}", "1.0")),
)}

FUNCTIONS: dict[str, Rule] = {name: r for name, r in RULES.items() if r.kind == "call"}


def rule(name: str) -> Rule:
    return RULES[name]
