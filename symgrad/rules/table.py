"""The rule table: one row per primitive, its mathematics and its domain.

The engine reads a row's forward and local derivative, the symbolic checker its ``sympy`` form,
the parser and printers its syntax (``kind``, ``symbol``, ``prec``). Each other concern is a
record of its own keyed by the row's name (``records``): generated code (``codegen.CODEGEN``),
display overrides (``overrides.DISPLAY``; the display is otherwise derived from ``sympy``) and
round-off counts (``rounding.ROUNDING``). Adding a function means one row in ``_ROWS`` and its
records (docs/adding-a-function.md is the checklist), or one call of ``symgrad.register`` at run
time. ``Rule`` and its checks live in ``rule``; the stable numeric pieces in ``stable``.

Each row declares its domain once (``domain``, ``why``): the engine raises the DomainError
from it, and generated code hands any failing call back to the engine. Forwards are
numerically stable; overflow is a NumericError. Every row is validated at import.
"""

from __future__ import annotations

import math
import operator

from . import piecewise as P
from . import stable as S
from .rule import Rule, RowError, validate
from .proofs import check_sympy
from .records import require

__all__ = ["Rule", "RowError", "RULES", "INTERNAL", "FUNCTIONS", "CONDITIONS", "COMPARISONS", "rule", "all_rows", "check_sympy", "validate"]

_ROWS = (
    Rule("add", 2, operator.add, lambda a, b, out: (1.0, 1.0),
         lambda sp, a, b: a + b,
         kind="infix", symbol="+", prec=1, args=("u", "v"), propagates=True),
    Rule("sub", 2, operator.sub, lambda a, b, out: (1.0, -1.0),
         lambda sp, a, b: a - b,
         kind="infix", symbol="-", prec=1, args=("u", "v"), propagates=True),
    Rule("mul", 2, operator.mul, lambda a, b, out: (b, a),
         lambda sp, a, b: a * b,
         kind="infix", symbol="*", prec=2, args=("u", "v"), propagates=True),
    Rule("div", 2, operator.truediv, lambda a, b, out: (1.0 / b, -out / b),
         lambda sp, a, b: a / b,
         kind="infix", symbol="/", prec=2, args=("u", "v"),
         domain=lambda a, b: b != 0.0, why="the divisor must not be 0",
         samples=((1.0, 0.0), (0.0, 0.0))),
    Rule("neg", 1, operator.neg, lambda a, out: (-1.0,),
         lambda sp, a: -a,
         kind="prefix", symbol="-", prec=3, args=("u",), propagates=True),
    # Constant exponent (x^2, x^(1/3)): the exponent gets no gradient.
    Rule("powc", 2, math.pow, lambda x, p, out: (S.powc_dx(x, p), 0.0),
         lambda sp, a, b: a ** b,
         kind="infix", symbol="**", prec=4, args=("u", "n"), constant=(1,),
         domain=lambda x, p: x > 0.0 or (x == 0.0 and p >= 0.0) or (x < 0.0 and float(p).is_integer()),
         why="a zero base needs a non-negative exponent, and a negative base an integer exponent",
         samples=((0.0, 2.0), (0.0, -1.0), (-8.0, 1 / 3), (-2.0, 3.0))),
    # Variable exponent (2^x, x^y): needs a positive base for d/dy = x^y·ln x.
    Rule("pow", 2, math.pow, S.pow_local,
         lambda sp, a, b: a ** b,
         kind="infix", symbol="**", prec=4, args=("u", "v"),
         domain=lambda x, y: x > 0.0 or (x == 0.0 and y > 0.0),
         sympy_domain=lambda sp, x, y: sp.Or(x > 0, sp.And(sp.Eq(x, 0), y > 0)),
         samples=((-2.0, 3.0), (0.0, 0.0)),
         why="with a variable exponent the base must be positive (d/dy x**y = x**y·ln x), or 0 with a "
             "positive exponent; or make the exponent a constant"),
    Rule("exp", 1, math.exp, lambda x, out: (out,),
         lambda sp, x: sp.exp(x)),
    Rule("log", 1, math.log, lambda x, out: (1.0 / x,),
         lambda sp, x: sp.log(x),
         domain=lambda x: x > 0.0, why="log needs a positive argument", aliases=("ln",)),
    Rule("tanh", 1, math.tanh, lambda x, out: (S.tanh_slope(x),),
         lambda sp, x: sp.tanh(x),
         # tanh'(x) = 1/cosh(x)/cosh(x), inline (see _stable.tanh_slope); cosh overflows at |x| > 710,
         # which sends the scalar call to backprop (slope 0) and gives 1/inf = 0 in numpy.
         ),
    Rule("sigmoid", 1, S.sigmoid, lambda x, out: (S.sigmoid_slope(x),),
         lambda sp, x: 1 / (1 + sp.exp(-x))),
    Rule("relu", 1, lambda x: x if x > 0.0 else 0.0, lambda x, out: (1.0 if x > 0.0 else 0.0,),
         lambda sp, x: sp.Piecewise((x, x > 0), (0, True)),
         kink=lambda x: x == 0.0),
    Rule("sin", 1, math.sin, lambda x, out: (math.cos(x),),
         lambda sp, x: sp.sin(x)),
    Rule("cos", 1, math.cos, lambda x, out: (-math.sin(x),),
         lambda sp, x: sp.cos(x)),
    Rule("sqrt", 1, math.sqrt, lambda x, out: (0.5 * S.inv(out),),
         lambda sp, x: sp.sqrt(x),
         domain=lambda x: x >= 0.0, why="sqrt needs a non-negative argument"),
    Rule("abs", 1, abs, lambda x, out: (S.sign(x),),
         lambda sp, x: sp.Abs(x),
         kink=lambda x: x == 0.0),
    Rule("softplus", 1, S.softplus, lambda x, out: (S.sigmoid(x),),
         lambda sp, x: sp.log(1 + sp.exp(x))),
    # --- trigonometric and hyperbolic ----------------------------------------------------
    # The slope 1 + out² computes no argument (rounding ka = 0): the default's 2 roundings of x
    # would let the check accept a 1e-9-wrong slope at x = 1e10 (tan'' · 2u · x is 3e-6 there).
    Rule("tan", 1, math.tan, lambda x, out: (1.0 + out * out,),
         lambda sp, x: sp.tan(x)),
    # 1/(1 + u²), and 1/u/u from |u| = 1e8 on (where 1 + u² rounds to u²): u² overflows past
    # 1.3e154 while the slope is representable (1e-312 at 1e156).
    Rule("atan", 1, math.atan, lambda x, out: (1.0 / (1.0 + x * x) if abs(x) < 1e8 else 1.0 / x / x,),
         lambda sp, x: sp.atan(x)),
    # 1/√((1 − u)(1 + u)), not 1/√(1 − u²): no cancellation near ±1; infinite at ±1.
    Rule("asin", 1, math.asin, lambda x, out: (S.inv(math.sqrt((1.0 - x) * (1.0 + x))),),
         lambda sp, x: sp.asin(x),
         domain=lambda x: -1.0 <= x <= 1.0,
         why="arcsin needs an argument in [-1, 1]", samples=((0.999,), (-0.5,), (0.1,), (2.0,))),
    Rule("acos", 1, math.acos, lambda x, out: (-S.inv(math.sqrt((1.0 - x) * (1.0 + x))),),
         lambda sp, x: sp.acos(x),
         domain=lambda x: -1.0 <= x <= 1.0,
         why="arccos needs an argument in [-1, 1]", samples=((0.999,), (-0.5,), (0.1,), (2.0,))),
    Rule("sinh", 1, math.sinh, lambda x, out: (math.cosh(x),),
         lambda sp, x: sp.sinh(x)),
    Rule("cosh", 1, math.cosh, lambda x, out: (math.sinh(x),),
         lambda sp, x: sp.cosh(x)),
    # 1/hypot(1, u), not 1/√(1 + u²): u² overflows for |u| > 1e154.
    Rule("asinh", 1, math.asinh, lambda x, out: (1.0 / math.hypot(1.0, x),),
         lambda sp, x: sp.asinh(x)),
    Rule("atanh", 1, math.atanh, lambda x, out: (1.0 / ((1.0 - x) * (1.0 + x)),),
         lambda sp, x: sp.atanh(x),
         domain=lambda x: -1.0 < x < 1.0, why="artanh needs an argument in (-1, 1)",
         samples=((0.999,), (-0.5,), (0.1,), (1.0,))),
    # --- exponentials and logarithms -------------------------------------------------------
    Rule("log2", 1, math.log2, lambda x, out: (1.0 / (x * S.LN2),),
         lambda sp, x: sp.log(x) / sp.log(2),
         domain=lambda x: x > 0.0, why="log2 needs a positive argument"),
    # 1/(u·ln 10) overflows u·ln 10 past 7.8e307 (the slope is 2.4e-309 at 1.8e308): 1/u/ln 10 there.
    Rule("log10", 1, math.log10, lambda x, out: (1.0 / (x * S.LN10) if x < 1e300 else 1.0 / x / S.LN10,),
         lambda sp, x: sp.log(x) / sp.log(10),
         domain=lambda x: x > 0.0, why="log10 needs a positive argument"),
    Rule("exp2", 1, math.exp2, lambda x, out: (out * S.LN2,),
         lambda sp, x: 2 ** x),
    Rule("expm1", 1, math.expm1, lambda x, out: (math.exp(x),),
         lambda sp, x: sp.exp(x) - 1),
    Rule("log1p", 1, math.log1p, lambda x, out: (1.0 / (1.0 + x),),
         lambda sp, x: sp.log(1 + x),
         domain=lambda x: x > -1.0, why="log1p needs an argument above -1"),
    # The real cube root; its slope 1/(3·out²) is infinite at 0 (a NumericError, as sqrt'(0)).
    Rule("cbrt", 1, math.cbrt, lambda x, out: (S.inv(3.0 * out * out),),
         lambda sp, x: sp.Piecewise((x ** sp.Rational(1, 3), x >= 0), (-(-x) ** sp.Rational(1, 3), True))),
    Rule("erf", 1, math.erf, lambda x, out: (S.TWO_OVER_SQRT_PI * S.gauss(x, 1.0),),
         lambda sp, x: sp.erf(x)),
    # --- activations (PyTorch's definitions and argument order) ------------------------------
    # gelu(x) = x·Φ(x), the exact erf form; Φ as erfc(−x/√2)/2 has no cancellation for x ≪ 0.
    Rule("gelu", 1, lambda x: x * S.normal_cdf(x),
         lambda x, out: (S.normal_cdf(x) + x * S.INV_SQRT_2PI * S.gauss(x, 0.5),),
         lambda sp, x: x / 2 * (1 + sp.erf(x / sp.sqrt(2)))),
    # silu(x) = x·σ(x); slope σ(x)·(1 + x·σ(−x)) has no 1 − σ cancellation. Below −708 both
    # multiply eˣ without rounding it into the subnormal range first (``_stable.silu``).
    Rule("silu", 1, S.silu, lambda x, out: (S.silu_slope(x),),
         lambda sp, x: x / (1 + sp.exp(-x))),
    # elu(x, alpha) = x if x > 0 else alpha·(eˣ − 1); slope alpha·eˣ at the kink x = 0, as PyTorch;
    # alpha·eˣ without rounding eˣ into the subnormal range first (``_stable.times_exp``).
    Rule("elu", 2, lambda x, a: x if x > 0.0 else a * math.expm1(x),
         lambda x, a, out: (1.0, 0.0) if x > 0.0 else (S.times_exp(a, x), math.expm1(x)),
         lambda sp, x, a: sp.Piecewise((x, x > 0), (a * (sp.exp(x) - 1), True)),
         args=("x", "alpha"), kink=lambda x, a: x == 0.0),
    # leaky_relu(x, negative_slope) = x if x > 0 else negative_slope·x; slope negative_slope at 0, as PyTorch.
    Rule("leaky_relu", 2, lambda x, a: x if x > 0.0 else a * x,
         lambda x, a, out: (1.0, 0.0) if x > 0.0 else (a, x),
         lambda sp, x, a: sp.Piecewise((x, x > 0), (a * x, True)),
         args=("x", "negative_slope"), kink=lambda x, a: x == 0.0),
    # softsign(x) = x/(1 + |x|); slope (1/(1 + |x|))², squared last so it does not overflow early.
    # The SymPy form is 1 − 1/(1 + x) (x ≥ 0), whose partial 1/(1 + x)² names x once: the partial of
    # x/(1 + |x|), 1/(1 + |x|) − x·sign(x)/(1 + |x|)², cancels, and in ball arithmetic that
    # cancellation (the dependency problem) widened the check's tolerance to 1e5× the slope at
    # x = 1e20 (a 2× wrong gradient was "unverified") and past it at 1e100 (it "agreed").
    Rule("softsign", 1, lambda x: x / (1.0 + abs(x)), lambda x, out: ((1.0 / (1.0 + abs(x))) ** 2,),
         lambda sp, x: sp.Piecewise((1 - 1 / (1 + x), x >= 0), (1 / (1 - x) - 1, True))),
    Rule("log_sigmoid", 1, S.log_sigmoid, lambda x, out: (S.sigmoid(-x),),
         lambda sp, x: -sp.log(1 + sp.exp(-x))),
    # logit(x) = ln(x/(1 − x)), the inverse of sigmoid. As ln1p((2x − 1)/(1 − x)) from x = 1/4 on, where
    # 2x − 1 and 1 − x are exact: no cancellation of ln x − ln(1 − x) near x = 1/2 (2.4 ulp at most).
    Rule("logit", 1, lambda x: math.log(x / (1.0 - x)) if x < 0.25 else math.log1p((2.0 * x - 1.0) / (1.0 - x)),
         lambda x, out: (1.0 / (x * (1.0 - x)),),
         lambda sp, x: sp.log(x / (1 - x)),
         domain=lambda x: 0.0 < x < 1.0, why="logit needs an argument in (0, 1)",
         samples=((0.1,), (0.5,), (0.999,), (0.001,), (0.0,), (1.0,), (2.0,))),
    # --- several arguments ----------------------------------------------------------------
    # At a tie the gradient is split in halves, as torch.maximum/torch.minimum do.
    Rule("max", 2, max, lambda a, b, out: (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5),
         lambda sp, a, b: sp.Max(a, b),
         kink=lambda a, b: a == b),
    Rule("min", 2, min, lambda a, b, out: (1.0, 0.0) if a < b else (0.0, 1.0) if a > b else (0.5, 0.5),
         lambda sp, a, b: sp.Min(a, b),
         kink=lambda a, b: a == b),
    # atan2(y, x): slopes x/r² and −y/r² (stable.over_norm_sq: scaled, so r never under/overflows).
    # The angle jumps from π to −π across the negative x axis (a branch cut; ``kink`` marks it);
    # its slopes do not jump there, and the statement says so.
    Rule("atan2", 2, math.atan2,
         lambda y, x, out: (S.over_norm_sq(x, y), -S.over_norm_sq(y, x)),
         lambda sp, y, x: sp.atan2(y, x),
         args=("y", "x"), domain=lambda y, x: y != 0.0 or x != 0.0, why="atan2(0, 0) has no derivative",
         kink=lambda y, x: y == 0.0 and x < 0.0, samples=((0.0, 0.0), (0.0, 2.0))),
    # hypot(x, y) = √(x² + y²) without overflow or underflow; slopes x/r and y/r (scaled, as
    # stable.over_norm: r is subnormal near 5e-324). At (0, 0) it is
    # |·| in every direction: a kink, slopes 0 there (as abs'(0)).
    Rule("hypot", 2, math.hypot,
         lambda x, y, out: (S.over_norm(x, y), S.over_norm(y, x)),
         lambda sp, x, y: sp.sqrt(x ** 2 + y ** 2),
         kink=lambda x, y: x == 0.0 and y == 0.0),
    # logsumexp(x1, x2, …) = m + ln Σ e^(xᵢ − m), m = max: stable; its slopes are the softmax.
    # The SymPy form is ln Σ e^(xᵢ) (balls have no overflow): n + 2 nodes, where the max-shifted
    # form has n² (the check refused 40 arguments) and partials full of Heaviside(xᵢ − Max(…)).
    Rule("logsumexp", 2, S.logsumexp, S.logsumexp_local,
         lambda sp, *xs: sp.log(sp.Add(*[sp.exp(x) for x in xs])),
         args=("x1", "x2"), variadic=True,
         samples=((0.3, -1.2, 2.0), (700.0, 699.0, -5.0), (-0.5, 0.25, 1.5, -3.0))),
    # --- piecewise: conditions, where, and the rows engineers' losses are made of -----------
    # A condition is 1.0 (true) or 0.0 (false), slope 0, usable only as where's first argument (the
    # parser checks); a comparison jumps where its sides tie (its ``kink``), so the check reads the
    # one-sided values there. Python's precedence: or < and < not < comparison < sum.
    *(Rule(name, 2, (lambda f: lambda a, b: 1.0 if f(a, b) else 0.0)(fn), lambda a, b, out: (0.0, 0.0),
           (lambda r: lambda sp, a, b: P.indicator(sp, getattr(sp, r)(a, b)))(relation),
           kind="infix", symbol=symbol, prec=0, args=("u", "v"), kink=lambda a, b: a == b)
      for name, symbol, fn, relation in (
          ("lt", "<", operator.lt, "Lt"), ("le", "<=", operator.le, "Le"), ("gt", ">", operator.gt, "Gt"),
          ("ge", ">=", operator.ge, "Ge"), ("eq", "==", operator.eq, "Eq"), ("ne", "!=", operator.ne, "Ne"))),
    Rule("or", 2, lambda p, q: 1.0 if p or q else 0.0, lambda p, q, out: (0.0, 0.0),
         lambda sp, p, q: P.indicator(sp, sp.Or(P.truth(sp, p), P.truth(sp, q))),
         kind="infix", symbol="or", prec=-3, args=("p", "q")),
    Rule("and", 2, lambda p, q: 1.0 if p and q else 0.0, lambda p, q, out: (0.0, 0.0),
         lambda sp, p, q: P.indicator(sp, sp.And(P.truth(sp, p), P.truth(sp, q))),
         kind="infix", symbol="and", prec=-2, args=("p", "q")),
    Rule("not", 1, lambda p: 0.0 if p else 1.0, lambda p, out: (0.0,),
         lambda sp, p: P.indicator(sp, sp.Not(P.truth(sp, p))),
         kind="prefix", symbol="not ", prec=-1, args=("p",)),
    # where(condition, x, y): x where the condition holds, else y. Only the taken branch is
    # evaluated and differentiated (``engine.backprop``, the check): an untaken log(0) is no error.
    Rule("where", 3, lambda c, a, b: a if c else b,
         lambda c, a, b, out: (0.0, 1.0, 0.0) if c else (0.0, 0.0, 1.0),
         P.where_form, args=("condition", "x", "y"), constant=(0,), propagates=True,
         samples=((1.0, 0.5, -2.0), (0.0, 0.5, -2.0), (1.0, 3.0, 1.0))),
    # clamp(x, lo, hi) = min(max(x, lo), hi); slopes as torch.clamp: x's is 1 on [lo, hi] (bounds
    # included), lo's 1 below lo, hi's 1 above hi.
    # lo > hi gives hi everywhere, as torch.clamp.
    Rule("clamp", 3, lambda x, lo, hi: min(max(x, lo), hi), P.clamp_local,
         lambda sp, x, lo, hi: sp.Min(sp.Max(x, lo), hi),
         args=("x", "lo", "hi"),
         kink=lambda x, lo, hi: x == lo or x == hi,
         samples=((0.3, -1.0, 1.0), (-2.0, -1.0, 1.0), (2.5, -1.0, 1.0), (0.5, 1.0, -1.0))),
    Rule("sign", 1, S.sign, lambda x, out: (0.0,),
         lambda sp, x: sp.sign(x),
         kink=lambda x: x == 0.0),
    # hardtanh and relu6 as PyTorch: slope 1 strictly inside, 0 at and beyond the bounds.
    Rule("hardtanh", 1, lambda x: min(max(x, -1.0), 1.0), lambda x, out: (1.0 if -1.0 < x < 1.0 else 0.0,),
         lambda sp, x: sp.Min(sp.Max(x, -1), 1),
         kink=lambda x: x == -1.0 or x == 1.0, samples=((-1.0,), (1.0,))),
    Rule("relu6", 1, lambda x: min(max(x, 0.0), 6.0), lambda x, out: (1.0 if 0.0 < x < 6.0 else 0.0,),
         lambda sp, x: sp.Min(sp.Max(x, 0), 6),
         kink=lambda x: x == 0.0 or x == 6.0),
    # huber(x, delta) = x²/2 for |x| < delta, else delta·(|x| − delta/2) (PyTorch's huber_loss of the
    # residual x): continuous with equal slopes at |x| = delta, so no kink there.
    Rule("huber", 2, lambda x, d: 0.5 * x * x if abs(x) < d else d * (abs(x) - 0.5 * d),
         lambda x, d, out: (x, 0.0) if abs(x) < d else (d * S.sign(x), abs(x) - d),
         lambda sp, x, d: sp.Piecewise((x ** 2 / 2, sp.Abs(x) < d), (d * (sp.Abs(x) - d / 2), d > 0)),
         args=("x", "delta"), domain=lambda x, d: d > 0.0, why="huber needs delta > 0",
         kink=lambda x, d: x == d or -x == d,     # a switch; the check finds equal slopes there
         samples=((0.3, 1.0), (2.0, 1.0), (-2.0, 1.0), (0.5, 0.0))),
    # smooth_l1(x, beta) = x²/(2·beta) for |x| < beta, else |x| − beta/2 (PyTorch's smooth_l1_loss of x).
    Rule("smooth_l1", 2, lambda x, b: 0.5 * x * x / b if abs(x) < b else abs(x) - 0.5 * b,
         lambda x, b, out: (x / b, -0.5 * (x / b) ** 2) if abs(x) < b else (S.sign(x), -0.5),
         lambda sp, x, b: sp.Piecewise((x ** 2 / (2 * b), sp.Abs(x) < b), (sp.Abs(x) - b / 2, b > 0)),
         args=("x", "beta"), domain=lambda x, b: b > 0.0, why="smooth_l1 needs beta > 0 (beta = 0 is abs)",
         kink=lambda x, b: x == b or -x == b,     # a switch; the check finds equal slopes there
         samples=((0.3, 1.0), (2.0, 1.0), (-2.0, 1.0), (0.5, 0.0))),
    # softplus(x, beta, threshold) = ln(1 + e^(beta·x))/beta, and x where beta·x > threshold (PyTorch's
    # softplus; its branch test is beta·x > threshold, so at the switch the log branch is taken and
    # the value jumps by ln(1 + e^(−threshold))/beta). A call softplus(x, beta) takes threshold = 20;
    # softplus(x) is the row above, with no threshold. ``piecewise.softplus_beta``: beta·x's rounding is
    # carried (Dekker's product), so the log branch is a few ulp where e^(beta·x) is tiny, too.
    Rule("softplus_beta", 3, P.softplus_beta, P.softplus_beta_local,
         lambda sp, x, b, t: sp.Piecewise((sp.log(1 + sp.exp(b * x)) / b, sp.And(b > 0, b * x <= t)), (x, b > 0)),
         args=("x", "beta", "threshold"), overloads="softplus", defaults=(20.0,),
         domain=lambda x, b, t: b > 0.0, why="softplus needs beta > 0 (PyTorch's beta scales x inside the log)",
         kink=lambda x, b, t: b * x == t,     # the switch: a jump, the check finds no derivative there
         samples=((0.3, 1.0, 20.0), (25.0, 1.0, 20.0), (-3.0, 0.5, 20.0), (4.0, 2.0, 5.0), (1.0, 0.0, 20.0),
                  (20.0, 1.0, 20.0))),
    # stop_gradient(x) (alias detach): the value passes, the gradient is 0 (its SymPy form differentiates to 0).
    Rule("stop_gradient", 1, lambda x: x, lambda x, out: (0.0,),
         lambda sp, x: P.stop_gradient_class(sp)(x),
         aliases=("detach",), constant=(0,)),
    # floor, ceil and round (half to even, as torch.round): slope 0, a jump at each integer (at
    # each integer + ½ for round), where the check finds no derivative.
    Rule("floor", 1, P.floor, lambda x, out: (0.0,), lambda sp, x: P.step_class(sp, "floor")(x),
         kink=P.on_integer),
    Rule("ceil", 1, P.ceil, lambda x, out: (0.0,), lambda sp, x: P.step_class(sp, "ceiling")(x),
         kink=P.on_integer),
    Rule("round", 1, P.round_half_even, lambda x, out: (0.0,), lambda sp, x: P.step_class(sp, "round")(x),
         kink=P.on_half_integer),
    # acosh: slope 1/(√(x − 1)·√(x + 1)), infinite at 1; two roots, as (x − 1)(x + 1) overflows above 1.3e154.
    Rule("acosh", 1, math.acosh, lambda x, out: (S.inv(math.sqrt(x - 1.0) * math.sqrt(x + 1.0)),),
         lambda sp, x: sp.acosh(x),
         domain=lambda x: x >= 1.0, why="arcosh needs an argument >= 1",
         samples=((1.001,), (1.25,), (2.0,), (0.5,))),
    Rule("sec", 1, lambda x: 1.0 / math.cos(x), lambda x, out: (out * math.tan(x),),
         lambda sp, x: 1 / sp.cos(x)),
    Rule("csc", 1, lambda x: 1.0 / math.sin(x), lambda x, out: (-out / math.tan(x),),
         lambda sp, x: 1 / sp.sin(x),
         domain=lambda x: x != 0.0, why="csc needs sin(x) != 0", samples=((0.0,),)),
    Rule("cot", 1, lambda x: 1.0 / math.tan(x), lambda x, out: (P.cot_slope(x),),
         lambda sp, x: sp.cos(x) / sp.sin(x),
         domain=lambda x: x != 0.0, why="cot needs sin(x) != 0", samples=((0.0,),)),
    # PyTorch's normalised sinc(x) = sin(πx)/(πx), 1 at 0 (``piecewise.sinc``).
    Rule("sinc", 1, P.sinc, lambda x, out: (P.sinc_slope(x),),
         lambda sp, x: sp.Piecewise((sp.sin(sp.pi * x) / (sp.pi * x), sp.Ne(x, 0)), (1, True)),
         samples=((0.0,), (0.05,), (2.5,))),
)

RULES: dict[str, Rule] = {r.name: r for r in _ROWS}

# Rows no call in the language produces, so they live outside RULES (the language's primitives).
# ``wsum`` is the fused neuron built by symgrad.nn: (b, w1, …, wn, x1, …, xn); its ``dlatex`` is
# for (b, wᵢ, xᵢ). ``id`` gives a bare alias (``d = e``) its own node, so that d(out)/dd holds d
# independent of e, as SymPy's partial does.
INTERNAL: dict[str, Rule] = {r.name: r for r in (
    Rule("wsum", 3, S.wsum, S.wsum_local,
         lambda sp, b, *wx: b + sp.Add(*[w * x for w, x in zip(wx[:len(wx) // 2], wx[len(wx) // 2:])]),
         kind="fused", symbol="Σwx+b", prec=1, accumulate=S.wsum_accumulate, variadic=True,
         args=("b", "w", "x"), propagates=True, samples=((0.3, -1.2, 0.7, 2.0, -0.4),)),
    Rule("id", 1, lambda x: x, lambda x, out: (1.0,),
         lambda sp, x: x,
         kind="internal", symbol="=", propagates=True),
    # where's node in a Value graph: the taken branch is its only child (no gradient, and no
    # 0·inf, ever reaches the other branch or the condition).
    Rule("taken", 1, lambda x: x, lambda x, out: (1.0,),
         lambda sp, x: x,
         kind="internal", symbol="where", propagates=True),
)}

# Rows whose value is a condition (1.0 true, 0.0 false), usable only as where's first argument.
CONDITIONS = frozenset({"lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not"})
COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}

# Call names in the language: each row's name and its aliases (the parser reads this by reference).
FUNCTIONS: dict[str, Rule] = {}
# Rows that answer another row's call name with other numbers of arguments, by that name
# (``softplus``: ``softplus_beta`` takes softplus(x, beta) and softplus(x, beta, threshold)).
OVERLOADS: dict[str, tuple[Rule, ...]] = {}


def _add(row: Rule) -> None:
    """Put a validated row in the table (in place: RULES, FUNCTIONS and OVERLOADS are shared by reference)."""
    RULES[row.name] = row
    if row.kind == "call" and row.overloads:
        OVERLOADS[row.overloads] = (*OVERLOADS.get(row.overloads, ()), row)
    elif row.kind == "call":
        for name in (row.name, *row.aliases):
            FUNCTIONS[name] = row


def calls(name: str) -> tuple[Rule, ...]:
    """The rows a call spelled ``name`` may mean: its row, then its overloads (none if unknown)."""
    row = FUNCTIONS.get(name)
    return () if row is None else (row, *OVERLOADS.get(row.name, ()))


for _row in (*_ROWS, *INTERNAL.values()):
    require(_row)
    validate(_row)
for _row in _ROWS:
    _add(_row)


def all_rows() -> list[Rule]:
    """Every row, the language's and the internal ones."""
    return [*RULES.values(), *INTERNAL.values()]


def rule(name: str) -> Rule:
    return RULES[name]
