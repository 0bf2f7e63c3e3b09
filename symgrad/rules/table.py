"""The rule table: one row per primitive.

Every consumer reads a row: the engine (forward, local derivative), the symbolic checker
(``sympy``), the printers (``symbol``, ``latex``), worksheets (``title``, ``text``, ``dlatex``)
and generated code (``py``, ``np``, ``helpers``). The display columns (``latex``, ``dlatex``,
``title``, ``text``) are derived from ``sympy`` (``_rule_display``); a row gives one only where
it reads better for a learner (σ for sigmoid, sqrt's slope in its output), and tests prove
each override equal to the SymPy form (rules/test_latex.py, rules/test_display_text.py). Adding a function
means adding one row to ``_ROWS`` (or calling ``symgrad.register`` at run time). ``Rule`` and its checks live in
``_rule.py``; the stable numeric pieces in ``_stable.py``.

Each row declares its domain once (``domain``, ``why``): the engine raises the DomainError
from it, and generated code hands any failing call back to the engine. Forwards are
numerically stable; overflow is a NumericError. Every row is validated at import.
"""

from __future__ import annotations

import math
import operator

from . import stable as S
from .rule import Rule, RowError, validate
from .proofs import check_sympy

__all__ = ["Rule", "RowError", "RULES", "INTERNAL", "FUNCTIONS", "rule", "all_rows", "check_sympy", "validate"]

_ABS = {"abs": abs}
_MINMAX = {"min": min, "max": max}
_SIG = {"_sigmoid": S.sigmoid, "_sigmoid_np": S.sigmoid_np}


_ROWS = (
    Rule("add", 2, operator.add, lambda a, b, out: (1.0, 1.0),
         lambda sp, a, b: a + b, title="sum rule",
         kind="infix", symbol="+", prec=1, args=("u", "v"), propagates=True,
         py=("{0} + {1}", "1.0", "1.0"), np=("{0} + {1}", "1.0", "1.0"),
         rounding=(1, 0, 0)),
    Rule("sub", 2, operator.sub, lambda a, b, out: (1.0, -1.0),
         lambda sp, a, b: a - b, title="difference rule",
         kind="infix", symbol="-", prec=1, args=("u", "v"), propagates=True,
         py=("{0} - {1}", "1.0", "-1.0"), np=("{0} - {1}", "1.0", "-1.0"),
         rounding=(1, 0, 0)),
    Rule("mul", 2, operator.mul, lambda a, b, out: (b, a),
         lambda sp, a, b: a * b, title="product rule",
         kind="infix", symbol="*", prec=2, args=("u", "v"), propagates=True,
         py=("{0} * {1}", "{1}", "{0}"), np=("{0} * {1}", "{1}", "{0}"),
         rounding=(1, 0, 0)),
    Rule("div", 2, operator.truediv, lambda a, b, out: (1.0 / b, -out / b),
         lambda sp, a, b: a / b, title="quotient rule",
         kind="infix", symbol="/", prec=2, args=("u", "v"),
         domain=lambda a, b: b != 0.0, why="the divisor must not be 0",
         samples=((1.0, 0.0), (0.0, 0.0)),
         py=("{0} / {1}", "1.0 / {1}", "-{out} / {1}"), np=("{0} / {1}", "1.0 / {1}", "-{out} / {1}"),
         rounding=(1, 2, 0)),
    Rule("neg", 1, operator.neg, lambda a, out: (-1.0,),
         lambda sp, a: -a, title="negation rule",
         kind="prefix", symbol="-", prec=3, args=("u",), propagates=True,
         py=("-{0}", "-1.0"), np=("-{0}", "-1.0"),
         rounding=(0, 0, 0)),
    # Constant exponent (x^2, x^(1/3)): the exponent gets no gradient.
    Rule("powc", 2, math.pow, lambda x, p, out: (S.powc_dx(x, p), 0.0),
         lambda sp, a, b: a ** b, title="power rule", text="d(uⁿ)/du = n·uⁿ⁻¹ for a constant n",
         dlatex=(r"{1} \cdot {0}^{{{1} - 1}}", ""),
         kind="infix", symbol="**", prec=4, args=("u", "n"), constant=(1,),
         domain=lambda x, p: x > 0.0 or (x == 0.0 and p >= 0.0) or (x < 0.0 and float(p).is_integer()),
         why="a zero base needs a non-negative exponent, and a negative base an integer exponent",
         samples=((0.0, 2.0), (0.0, -1.0), (-8.0, 1 / 3), (-2.0, 3.0)), helpers={"_powc_dx": S.powc_dx,
                                                                                "_powc_dx_np": S.powc_dx_np},
         py=("math.pow({0}, {1})", "_powc_dx({0}, {1})", "0.0"),
         np=("_np.power({0}, {1})", "_powc_dx_np({0}, {1})", "0.0"),
         rounding=(4, 8, 2)),
    # Variable exponent (2^x, x^y): needs a positive base for d/dy = x^y·ln x.
    Rule("pow", 2, math.pow, S.pow_local,
         lambda sp, a, b: a ** b,
         title="general power rule", text="∂(u^v)/∂u = v·u^(v−1) and ∂(u^v)/∂v = u^v·ln u",
         dlatex=(r"{1} \cdot {0}^{{{1} - 1}}", ""),
         kind="infix", symbol="**", prec=4, args=("u", "v"),
         domain=lambda x, y: x > 0.0 or (x == 0.0 and y > 0.0),
         sympy_domain=lambda sp, x, y: sp.Or(x > 0, sp.And(sp.Eq(x, 0), y > 0)),
         samples=((-2.0, 3.0), (0.0, 0.0)),
         why="with a variable exponent the base must be positive (d/dy x**y = x**y·ln x), or 0 with a "
             "positive exponent; or make the exponent a constant",
         helpers={"_powc_dx_np": S.powc_dx_np},
         np=("_np.where(({0} > 0.0) | (({0} == 0.0) & ({1} > 0.0)), _np.power({0}, {1}), _np.nan)",
             "_powc_dx_np({0}, {1})", "_np.where({0} > 0.0, {out} * _np.log({0}), 0.0)"),
         rounding=(4, 8, 2)),
    Rule("exp", 1, math.exp, lambda x, out: (out,),
         lambda sp, x: sp.exp(x),
         py=("math.exp({0})", "{out}"), np=("_np.exp({0})", "{out}"),
         rounding=(4, 4, 0)),
    Rule("log", 1, math.log, lambda x, out: (1.0 / x,),
         lambda sp, x: sp.log(x),
         domain=lambda x: x > 0.0, why="log needs a positive argument", aliases=("ln",),
         py=("math.log({0})", "1.0 / {0}"), np=("_np.log({0})", "1.0 / {0}"),
         rounding=(4, 1, 0)),
    Rule("tanh", 1, math.tanh, lambda x, out: (S.tanh_slope(x),),
         lambda sp, x: sp.tanh(x),
         # tanh'(x) = 1/cosh(x)/cosh(x), inline (see _stable.tanh_slope); cosh overflows at |x| > 710,
         # which sends the scalar call to backprop (slope 0) and gives 1/inf = 0 in numpy.
         py=("math.tanh({0})", "1.0 / (_c := math.cosh({0})) / _c"),
         np=("_np.tanh({0})", "1.0 / _np.cosh({0}) / _np.cosh({0})"),
         rounding=(4, 16, 0)),
    Rule("sigmoid", 1, S.sigmoid, lambda x, out: (S.sigmoid_slope(x),),
         lambda sp, x: 1 / (1 + sp.exp(-x)), latex=r"\sigma\left({0}\right)",
         text="d(σ(x))/dx = σ(x)·(1 − σ(x))", dlatex=(r"{out} \cdot \left(1 - {out}\right)",),
         helpers={**_SIG, "_sigmoid_slope": S.sigmoid_slope, "_bell_np": S.bell_np},
         py=("_sigmoid({0})", "_sigmoid_slope({0})"), np=("_sigmoid_np({0})", "_bell_np({0}, 1.0)"),
         rounding=(8, 16, 0)),
    Rule("relu", 1, lambda x: x if x > 0.0 else 0.0, lambda x, out: (1.0 if x > 0.0 else 0.0,),
         lambda sp, x: sp.Piecewise((x, x > 0), (0, True)),
         text="d(relu(x))/dx = 1 if x > 0, else 0 (0 at the kink x = 0)", kink=lambda x: x == 0.0,
         py=("({0} if {0} > 0.0 else 0.0)", "(1.0 if {0} > 0.0 else 0.0)"),
         np=("_np.where({0} > 0.0, {0}, 0.0)", "_np.where({0} > 0.0, 1.0, 0.0)"),
         rounding=(0, 0, 0)),
    Rule("sin", 1, math.sin, lambda x, out: (math.cos(x),),
         lambda sp, x: sp.sin(x), title="sine rule",
         py=("math.sin({0})", "math.cos({0})"), np=("_np.sin({0})", "_np.cos({0})"),
         rounding=(4, 4, 0)),
    Rule("cos", 1, math.cos, lambda x, out: (-math.sin(x),),
         lambda sp, x: sp.cos(x), title="cosine rule",
         py=("math.cos({0})", "-math.sin({0})"), np=("_np.cos({0})", "-_np.sin({0})"),
         rounding=(4, 4, 0)),
    Rule("sqrt", 1, math.sqrt, lambda x, out: (0.5 * S.inv(out),),
         lambda sp, x: sp.sqrt(x),
         title="square-root rule", text="d(√x)/dx = 1/(2√x), infinite at x = 0", dlatex=(r"\frac{{1}}{{2 {out}}}",),
         domain=lambda x: x >= 0.0, why="sqrt needs a non-negative argument",
         py=("math.sqrt({0})", "0.5 / {out}"), np=("_np.sqrt({0})", "0.5 / {out}"),
         rounding=(1, 2, 0)),
    Rule("abs", 1, abs, lambda x, out: (S.sign(x),),
         lambda sp, x: sp.Abs(x), title="absolute-value rule", text="d|x|/dx = sign(x) (0 at the kink x = 0)",
         kink=lambda x: x == 0.0, helpers={"abs": abs, "_sign": S.sign},
         py=("abs({0})", "_sign({0})"), np=("_np.abs({0})", "_np.sign({0})"),
         rounding=(0, 0, 0)),
    Rule("softplus", 1, S.softplus, lambda x, out: (S.sigmoid(x),),
         lambda sp, x: sp.log(1 + sp.exp(x)),
         text="d(softplus(x))/dx = σ(x)", dlatex=(r"\sigma\left({0}\right)",),
         helpers={**_SIG, "_softplus": S.softplus},
         py=("_softplus({0})", "_sigmoid({0})"),
         np=("_np.maximum({0}, 0.0) + _np.log1p(_np.exp(-_np.abs({0})))", "_sigmoid_np({0})"),
         rounding=(8, 8, 0)),
    # --- trigonometric and hyperbolic ----------------------------------------------------
    # The slope 1 + out² computes no argument (rounding ka = 0): the default's 2 roundings of x
    # would let the check accept a 1e-9-wrong slope at x = 1e10 (tan'' · 2u · x is 3e-6 there).
    Rule("tan", 1, math.tan, lambda x, out: (1.0 + out * out,),
         lambda sp, x: sp.tan(x), title="tangent rule",
         py=("math.tan({0})", "1.0 + {out} * {out}"), np=("_np.tan({0})", "1.0 + {out} * {out}"),
         rounding=(4, 8, 0)),
    # 1/(1 + u²), and 1/u/u from |u| = 1e8 on (where 1 + u² rounds to u²): u² overflows past
    # 1.3e154 while the slope is representable (1e-312 at 1e156).
    Rule("atan", 1, math.atan, lambda x, out: (1.0 / (1.0 + x * x) if abs(x) < 1e8 else 1.0 / x / x,),
         lambda sp, x: sp.atan(x), title="arctangent rule", helpers=_ABS,
         py=("math.atan({0})", "(1.0 / (1.0 + {0} * {0}) if abs({0}) < 1e8 else 1.0 / {0} / {0})"),
         np=("_np.arctan({0})", "1.0 / _np.where(_np.abs({0}) < 1e8, 1.0 + {0} * {0}, {0}) "
                                "/ _np.where(_np.abs({0}) < 1e8, 1.0, {0})"),
         rounding=(4, 4, 0)),
    # 1/√((1 − u)(1 + u)), not 1/√(1 − u²): no cancellation near ±1; infinite at ±1.
    Rule("asin", 1, math.asin, lambda x, out: (S.inv(math.sqrt((1.0 - x) * (1.0 + x))),),
         lambda sp, x: sp.asin(x),
         title="arcsine rule", text="d(arcsin(x))/dx = 1/√(1 − x²), infinite at x = ±1",
         domain=lambda x: -1.0 <= x <= 1.0,
         why="arcsin needs an argument in [-1, 1]", samples=((0.999,), (-0.5,), (0.1,), (2.0,)),
         py=("math.asin({0})", "1.0 / math.sqrt((1.0 - {0}) * (1.0 + {0}))"),
         np=("_np.where(_np.abs({0}) <= 1.0, _np.arcsin({0}), _np.nan)", "1.0 / _np.sqrt((1.0 - {0}) * (1.0 + {0}))"),
         rounding=(4, 8, 0)),
    Rule("acos", 1, math.acos, lambda x, out: (-S.inv(math.sqrt((1.0 - x) * (1.0 + x))),),
         lambda sp, x: sp.acos(x),
         title="arccosine rule", text="d(arccos(x))/dx = −1/√(1 − x²), infinite at x = ±1",
         domain=lambda x: -1.0 <= x <= 1.0,
         why="arccos needs an argument in [-1, 1]", samples=((0.999,), (-0.5,), (0.1,), (2.0,)),
         py=("math.acos({0})", "-1.0 / math.sqrt((1.0 - {0}) * (1.0 + {0}))"),
         np=("_np.where(_np.abs({0}) <= 1.0, _np.arccos({0}), _np.nan)", "-1.0 / _np.sqrt((1.0 - {0}) * (1.0 + {0}))")),
    Rule("sinh", 1, math.sinh, lambda x, out: (math.cosh(x),),
         lambda sp, x: sp.sinh(x),
         py=("math.sinh({0})", "math.cosh({0})"), np=("_np.sinh({0})", "_np.cosh({0})")),
    Rule("cosh", 1, math.cosh, lambda x, out: (math.sinh(x),),
         lambda sp, x: sp.cosh(x),
         py=("math.cosh({0})", "math.sinh({0})"), np=("_np.cosh({0})", "_np.sinh({0})"),
         rounding=(4, 4, 0)),
    # 1/hypot(1, u), not 1/√(1 + u²): u² overflows for |u| > 1e154.
    Rule("asinh", 1, math.asinh, lambda x, out: (1.0 / math.hypot(1.0, x),),
         lambda sp, x: sp.asinh(x), title="area-sinh rule",
         py=("math.asinh({0})", "1.0 / math.hypot(1.0, {0})"), np=("_np.arcsinh({0})", "1.0 / _np.hypot(1.0, {0})")),
    Rule("atanh", 1, math.atanh, lambda x, out: (1.0 / ((1.0 - x) * (1.0 + x)),),
         lambda sp, x: sp.atanh(x), title="area-tanh rule",
         domain=lambda x: -1.0 < x < 1.0, why="artanh needs an argument in (-1, 1)",
         samples=((0.999,), (-0.5,), (0.1,), (1.0,)),
         py=("math.atanh({0})", "1.0 / ((1.0 - {0}) * (1.0 + {0}))"),
         np=("_np.where(_np.abs({0}) < 1.0, _np.arctanh({0}), _np.nan)", "1.0 / ((1.0 - {0}) * (1.0 + {0}))")),
    # --- exponentials and logarithms -------------------------------------------------------
    Rule("log2", 1, math.log2, lambda x, out: (1.0 / (x * S.LN2),),
         lambda sp, x: sp.log(x) / sp.log(2), latex=r"\log_{{2}}\left({0}\right)", title="base-2 log rule",
         domain=lambda x: x > 0.0, why="log2 needs a positive argument",
         py=("math.log2({0})", "1.0 / ({0} * 0.6931471805599453)"),
         np=("_np.log2({0})", "1.0 / ({0} * 0.6931471805599453)"),
         rounding=(4, 4, 0)),
    # 1/(u·ln 10) overflows u·ln 10 past 7.8e307 (the slope is 2.4e-309 at 1.8e308): 1/u/ln 10 there.
    Rule("log10", 1, math.log10, lambda x, out: (1.0 / (x * S.LN10) if x < 1e300 else 1.0 / x / S.LN10,),
         lambda sp, x: sp.log(x) / sp.log(10), latex=r"\log_{{10}}\left({0}\right)", title="base-10 log rule",
         domain=lambda x: x > 0.0, why="log10 needs a positive argument",
         py=("math.log10({0})", "(1.0 / ({0} * 2.302585092994046) if {0} < 1e300 else 1.0 / {0} / 2.302585092994046)"),
         np=("_np.log10({0})", "1.0 / ({0} * _np.where({0} < 1e300, 2.302585092994046, 1.0)) "
                               "/ _np.where({0} < 1e300, 1.0, 2.302585092994046)")),
    Rule("exp2", 1, math.exp2, lambda x, out: (out * S.LN2,),
         lambda sp, x: 2 ** x, title="base-2 exp rule",
         py=("math.exp2({0})", "{out} * 0.6931471805599453"), np=("_np.exp2({0})", "{out} * 0.6931471805599453"),
         rounding=(4, 8, 0)),
    Rule("expm1", 1, math.expm1, lambda x, out: (math.exp(x),),
         lambda sp, x: sp.exp(x) - 1,
         py=("math.expm1({0})", "math.exp({0})"), np=("_np.expm1({0})", "_np.exp({0})")),
    Rule("log1p", 1, math.log1p, lambda x, out: (1.0 / (1.0 + x),),
         lambda sp, x: sp.log(1 + x),
         domain=lambda x: x > -1.0, why="log1p needs an argument above -1",
         py=("math.log1p({0})", "1.0 / (1.0 + {0})"), np=("_np.log1p({0})", "1.0 / (1.0 + {0})"),
         rounding=(4, 4, 0)),
    # The real cube root; its slope 1/(3·out²) is infinite at 0 (a NumericError, as sqrt'(0)).
    Rule("cbrt", 1, math.cbrt, lambda x, out: (S.inv(3.0 * out * out),),
         lambda sp, x: sp.Piecewise((x ** sp.Rational(1, 3), x >= 0), (-(-x) ** sp.Rational(1, 3), True)),
         latex=r"\sqrt[3]{{{0}}}", title="cube-root rule", text="d(∛x)/dx = 1/(3·∛x²), infinite at x = 0",
         dlatex=(r"\frac{{1}}{{3 {out}^{{2}}}}",),
         helpers={"_cbrt_np": S.cbrt_np},
         py=("math.cbrt({0})", "1.0 / (3.0 * {out} * {out})"), np=("_cbrt_np({0})", "1.0 / (3.0 * {out} * {out})")),
    Rule("erf", 1, math.erf, lambda x, out: (S.TWO_OVER_SQRT_PI * S.gauss(x, 1.0),),
         lambda sp, x: sp.erf(x), title="error-function rule",
         helpers={"_erf_np": S.erf_np, "_gauss": S.gauss, "_gauss_np": S.gauss_np},
         py=("math.erf({0})", "1.1283791670955126 * _gauss({0}, 1.0)"),
         np=("_erf_np({0})", "1.1283791670955126 * _gauss_np({0}, 1.0)")),
    # --- activations (PyTorch's definitions and argument order) ------------------------------
    # gelu(x) = x·Φ(x), the exact erf form; Φ as erfc(−x/√2)/2 has no cancellation for x ≪ 0.
    Rule("gelu", 1, lambda x: x * S.normal_cdf(x),
         lambda x, out: (S.normal_cdf(x) + x * S.INV_SQRT_2PI * S.gauss(x, 0.5),),
         lambda sp, x: x / 2 * (1 + sp.erf(x / sp.sqrt(2))), text="d(x·Φ(x))/dx = Φ(x) + x·φ(x)",
         dlatex=(r"\Phi\left({0}\right) + {0} \cdot \frac{{\mathrm{{e}}^{{-{0}^{{2}}/2}}}}{{\sqrt{{2 \pi}}}}",),
         helpers={"_Phi": S.normal_cdf, "_Phi_np": S.normal_cdf_np, "_gauss": S.gauss, "_gauss_np": S.gauss_np},
         py=("{0} * _Phi({0})", "_Phi({0}) + {0} * 0.3989422804014327 * _gauss({0}, 0.5)"),
         np=("{0} * _Phi_np({0})", "_Phi_np({0}) + {0} * 0.3989422804014327 * _gauss_np({0}, 0.5)")),
    # silu(x) = x·σ(x); slope σ(x)·(1 + x·σ(−x)) has no 1 − σ cancellation. Below −708 both
    # multiply eˣ without rounding it into the subnormal range first (``_stable.silu``).
    Rule("silu", 1, S.silu, lambda x, out: (S.silu_slope(x),),
         lambda sp, x: x / (1 + sp.exp(-x)), text="d(x·σ(x))/dx = σ(x)·(1 + x·(1 − σ(x)))",
         dlatex=(r"\sigma\left({0}\right) \left(1 + {0} \left(1 - \sigma\left({0}\right)\right)\right)",),
         helpers={**_SIG, "_silu": S.silu, "_silu_slope": S.silu_slope, "_times_exp_np": S.times_exp_np},
         py=("_silu({0})", "_silu_slope({0})"),
         np=("_np.where({0} < -708.0, _times_exp_np({0}, {0}), {0} * _sigmoid_np({0}))",
             "_np.where({0} < -708.0, _times_exp_np(1.0 + {0} * _sigmoid_np(-{0}), {0}), "
             "_sigmoid_np({0}) * (1.0 + {0} * _sigmoid_np(-{0})))")),
    # elu(x, alpha) = x if x > 0 else alpha·(eˣ − 1); slope alpha·eˣ at the kink x = 0, as PyTorch;
    # alpha·eˣ without rounding eˣ into the subnormal range first (``_stable.times_exp``).
    Rule("elu", 2, lambda x, a: x if x > 0.0 else a * math.expm1(x),
         lambda x, a, out: (1.0, 0.0) if x > 0.0 else (S.times_exp(a, x), math.expm1(x)),
         lambda sp, x, a: sp.Piecewise((x, x > 0), (a * (sp.exp(x) - 1), True)),
         args=("x", "alpha"), kink=lambda x, a: x == 0.0,
         helpers={"_times_exp": S.times_exp, "_times_exp_np": S.times_exp_np},
         py=("({0} if {0} > 0.0 else {1} * math.expm1({0}))", "(1.0 if {0} > 0.0 else _times_exp({1}, {0}))",
             "(0.0 if {0} > 0.0 else math.expm1({0}))"),
         np=("_np.where({0} > 0.0, {0}, {1} * _np.expm1(_np.minimum({0}, 0.0)))",
             "_np.where({0} > 0.0, 1.0, _times_exp_np({1}, _np.minimum({0}, 0.0)))",
             "_np.where({0} > 0.0, 0.0, _np.expm1(_np.minimum({0}, 0.0)))")),
    # leaky_relu(x, negative_slope) = x if x > 0 else negative_slope·x; slope negative_slope at 0, as PyTorch.
    Rule("leaky_relu", 2, lambda x, a: x if x > 0.0 else a * x,
         lambda x, a, out: (1.0, 0.0) if x > 0.0 else (a, x),
         lambda sp, x, a: sp.Piecewise((x, x > 0), (a * x, True)), title="leaky-relu rule",
         args=("x", "negative_slope"), kink=lambda x, a: x == 0.0,
         py=("({0} if {0} > 0.0 else {1} * {0})", "(1.0 if {0} > 0.0 else {1})", "(0.0 if {0} > 0.0 else {0})"),
         np=("_np.where({0} > 0.0, {0}, {1} * {0})", "_np.where({0} > 0.0, 1.0, {1})",
             "_np.where({0} > 0.0, 0.0, {0})"),
         rounding=(1, 0, 0)),
    # softsign(x) = x/(1 + |x|); slope (1/(1 + |x|))², squared last so it does not overflow early.
    # The SymPy form is 1 − 1/(1 + x) (x ≥ 0), whose partial 1/(1 + x)² names x once: the partial of
    # x/(1 + |x|), 1/(1 + |x|) − x·sign(x)/(1 + |x|)², cancels, and in ball arithmetic that
    # cancellation (the dependency problem) widened the check's tolerance to 1e5× the slope at
    # x = 1e20 (a 2× wrong gradient was "unverified") and past it at 1e100 (it "agreed").
    Rule("softsign", 1, lambda x: x / (1.0 + abs(x)), lambda x, out: ((1.0 / (1.0 + abs(x))) ** 2,),
         lambda sp, x: sp.Piecewise((1 - 1 / (1 + x), x >= 0), (1 / (1 - x) - 1, True)),
         text="d(x/(1 + |x|))/dx = 1/(1 + |x|)²", dlatex=(r"\frac{{1}}{{\left(1 + \left|{0}\right|\right)^{{2}}}}",),
         helpers=_ABS,
         py=("{0} / (1.0 + abs({0}))", "(1.0 / (1.0 + abs({0}))) ** 2"),
         np=("{0} / (1.0 + _np.abs({0}))", "(1.0 / (1.0 + _np.abs({0}))) ** 2")),
    Rule("log_sigmoid", 1, S.log_sigmoid, lambda x, out: (S.sigmoid(-x),),
         lambda sp, x: -sp.log(1 + sp.exp(-x)),
         title="log-sigmoid rule", text="d(ln σ(x))/dx = 1 − σ(x) = σ(−x)", dlatex=(r"\sigma\left(-{0}\right)",),
         helpers={**_SIG, "_log_sigmoid": S.log_sigmoid},
         py=("_log_sigmoid({0})", "_sigmoid(-{0})"),
         np=("_np.minimum({0}, 0.0) - _np.log1p(_np.exp(-_np.abs({0})))", "_sigmoid_np(-{0})")),
    # --- several arguments ----------------------------------------------------------------
    # At a tie the gradient is split in halves, as torch.maximum/torch.minimum do.
    Rule("max", 2, max, lambda a, b, out: (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5),
         lambda sp, a, b: sp.Max(a, b),
         text="∂max(x, y)/∂x = 1 if x > y, 0 if x < y (½ at the tie)",
         dlatex=(r"\begin{{cases}} 1 & {0} > {1} \\ \frac{{1}}{{2}} & {0} = {1} \\ 0 & {0} < {1} \end{{cases}}",
          r"\begin{{cases}} 1 & {1} > {0} \\ \frac{{1}}{{2}} & {1} = {0} \\ 0 & {1} < {0} \end{{cases}}"),
         kink=lambda a, b: a == b, helpers=_MINMAX,
         py=("max({0}, {1})", "(1.0 if {0} > {1} else 0.0 if {0} < {1} else 0.5)",
             "(0.0 if {0} > {1} else 1.0 if {0} < {1} else 0.5)"),
         np=("_np.maximum({0}, {1})", "_np.where({0} > {1}, 1.0, _np.where({0} < {1}, 0.0, 0.5))",
             "_np.where({0} > {1}, 0.0, _np.where({0} < {1}, 1.0, 0.5))"),
         rounding=(0, 0, 0)),
    Rule("min", 2, min, lambda a, b, out: (1.0, 0.0) if a < b else (0.0, 1.0) if a > b else (0.5, 0.5),
         lambda sp, a, b: sp.Min(a, b),
         text="∂min(x, y)/∂x = 1 if x < y, 0 if x > y (½ at the tie)",
         dlatex=(r"\begin{{cases}} 1 & {0} < {1} \\ \frac{{1}}{{2}} & {0} = {1} \\ 0 & {0} > {1} \end{{cases}}",
          r"\begin{{cases}} 1 & {1} < {0} \\ \frac{{1}}{{2}} & {1} = {0} \\ 0 & {1} > {0} \end{{cases}}"),
         kink=lambda a, b: a == b, helpers=_MINMAX,
         py=("min({0}, {1})", "(1.0 if {0} < {1} else 0.0 if {0} > {1} else 0.5)",
             "(0.0 if {0} < {1} else 1.0 if {0} > {1} else 0.5)"),
         np=("_np.minimum({0}, {1})", "_np.where({0} < {1}, 1.0, _np.where({0} > {1}, 0.0, 0.5))",
             "_np.where({0} < {1}, 0.0, _np.where({0} > {1}, 1.0, 0.5))"),
         rounding=(0, 0, 0)),
    # atan2(y, x): slopes x/r² and −y/r² as (x/r)/r with r = hypot(x, y), which never overflows.
    # The angle jumps from π to −π across the negative x axis (a branch cut; ``kink`` marks it);
    # its slopes do not jump there, and the statement says so.
    Rule("atan2", 2, math.atan2,
         lambda y, x, out: ((x / math.hypot(x, y)) / math.hypot(x, y), (-y / math.hypot(x, y)) / math.hypot(x, y)),
         lambda sp, y, x: sp.atan2(y, x),
         text="∂(atan2(y, x))/∂y = x/(x² + y²) and ∂(atan2(y, x))/∂x = −y/(x² + y²) (at the branch cut "
              "y = 0, x < 0 the angle jumps by 2π but the slopes do not)",
         args=("y", "x"), domain=lambda y, x: y != 0.0 or x != 0.0, why="atan2(0, 0) has no derivative",
         kink=lambda y, x: y == 0.0 and x < 0.0, samples=((0.0, 0.0), (0.0, 2.0)),
         py=("math.atan2({0}, {1})", "({1} / math.hypot({0}, {1})) / math.hypot({0}, {1})",
             "(-{0} / math.hypot({0}, {1})) / math.hypot({0}, {1})"),
         np=("_np.where(({0} != 0.0) | ({1} != 0.0), _np.arctan2({0}, {1}), _np.nan)",
             "({1} / _np.hypot({0}, {1})) / _np.hypot({0}, {1})",
             "(-{0} / _np.hypot({0}, {1})) / _np.hypot({0}, {1})")),
    # hypot(x, y) = √(x² + y²) without overflow or underflow; slopes x/r and y/r. At (0, 0) it is
    # |·| in every direction: a kink, slopes 0 there (as abs'(0)).
    Rule("hypot", 2, math.hypot,
         lambda x, y, out: (x / out, y / out) if out else (0.0, 0.0),
         lambda sp, x, y: sp.sqrt(x ** 2 + y ** 2),
         dlatex=(r"\begin{{cases}} \frac{{{0}}}{{{out}}} & {out} > 0 \\ 0 & \text{{otherwise}} \end{{cases}}",
                 r"\begin{{cases}} \frac{{{1}}}{{{out}}} & {out} > 0 \\ 0 & \text{{otherwise}} \end{{cases}}"),
         kink=lambda x, y: x == 0.0 and y == 0.0,
         py=("math.hypot({0}, {1})", "({0} / {out} if {out} else 0.0)", "({1} / {out} if {out} else 0.0)"),
         np=("_np.hypot({0}, {1})", "_np.where({out} != 0.0, {0} / _np.where({out} != 0.0, {out}, 1.0), 0.0)",
             "_np.where({out} != 0.0, {1} / _np.where({out} != 0.0, {out}, 1.0), 0.0)"),
         rounding=(4, 4, 0)),
    # logsumexp(x1, x2, …) = m + ln Σ e^(xᵢ − m), m = max: stable; its slopes are the softmax.
    # The SymPy form is ln Σ e^(xᵢ) (balls have no overflow): n + 2 nodes, where the max-shifted
    # form has n² (the check refused 40 arguments) and partials full of Heaviside(xᵢ − Max(…)).
    Rule("logsumexp", 2, S.logsumexp, S.logsumexp_local,
         lambda sp, *xs: sp.log(sp.Add(*[sp.exp(x) for x in xs])),
         text="∂logsumexp(x₁, …, xₙ)/∂xᵢ = exp(xᵢ − logsumexp)",
         dlatex=(r"\mathrm{{e}}^{{{0} - {out}}}", r"\mathrm{{e}}^{{{1} - {out}}}"), args=("x1", "x2"), variadic=True,
         samples=((0.3, -1.2, 2.0), (700.0, 699.0, -5.0), (-0.5, 0.25, 1.5, -3.0))),
)

RULES: dict[str, Rule] = {r.name: r for r in _ROWS}

# Rows no call in the language produces, so they live outside RULES (the language's primitives).
# ``wsum`` is the fused neuron built by symgrad.nn: (b, w1, …, wn, x1, …, xn); its ``dlatex`` is
# for (b, wᵢ, xᵢ). ``id`` gives a bare alias (``d = e``) its own node, so that d(out)/dd holds d
# independent of e, as SymPy's partial does.
INTERNAL: dict[str, Rule] = {r.name: r for r in (
    Rule("wsum", 3, S.wsum, S.wsum_local,
         lambda sp, b, *wx: b + sp.Add(*[w * x for w, x in zip(wx[:len(wx) // 2], wx[len(wx) // 2:])]),
         latex=r"{0} + \sum_{{i}} w_i x_i",
         title="weighted-sum rule", text="∂(b + Σ wᵢxᵢ)/∂b = 1, ∂/∂wᵢ = xᵢ and ∂/∂xᵢ = wᵢ",
         dlatex=("", "x_i", "w_i"),
         kind="fused", symbol="Σwx+b", prec=1, accumulate=S.wsum_accumulate, variadic=True,
         args=("b", "w", "x"), propagates=True, samples=((0.3, -1.2, 0.7, 2.0, -0.4),),
         rounding=(1, 0, 0)),
    Rule("id", 1, lambda x: x, lambda x, out: (1.0,),
         lambda sp, x: x, title="naming rule", text="a new name for a value: d(x)/dx = 1",
         kind="internal", symbol="=", py=("{0}", "1.0"), np=("{0}", "1.0"), propagates=True,
         rounding=(0, 0, 0)),
)}

# Call names in the language: each row's name and its aliases (the parser reads this by reference).
FUNCTIONS: dict[str, Rule] = {}


def _add(row: Rule) -> None:
    """Put a validated row in the table (in place: RULES and FUNCTIONS are shared by reference)."""
    RULES[row.name] = row
    if row.kind == "call":
        for name in (row.name, *row.aliases):
            FUNCTIONS[name] = row


for _row in (*_ROWS, *INTERNAL.values()):
    validate(_row)
for _row in _ROWS:
    _add(_row)


def all_rows() -> list[Rule]:
    """Every row, the language's and the internal ones."""
    return [*RULES.values(), *INTERNAL.values()]


def rule(name: str) -> Rule:
    return RULES[name]
