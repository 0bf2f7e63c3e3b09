"""Generated-code templates: one ``Codegen`` record per row of the table, keyed by its name.

``symgrad.compile`` (``engine/codegen``) writes each operation of a program from its row's
templates: Python expressions for the forward, then the local derivative per argument, over
the atoms ``{0}``, ``{1}``, … and ``{out}`` (the output). They may name ``math``, ``_np``
(numpy) and the names in ``helpers``. Outside the row's domain they raise (``py``) or give a
non-finite value (``np``), which sends the call to backprop for the located DomainError.
An empty template tuple makes the generated code call the row's ``forward``/``local`` instead
(a variadic row always does). ``engine/codegen/templates.check_templates`` proves every
template equal to its row at the sample points; every row needs a record (``records``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from . import stable as S
from . import piecewise as P

__all__ = ["Codegen", "CODEGEN", "templates"]


@dataclass(frozen=True)
class Codegen:
    """A row's generated code: ``py`` for float scalars, ``np`` for numpy arrays (batch
    evaluation), each (forward, slope per argument) or () to call the row; ``helpers``: the
    names the templates use beyond ``math`` and ``_np``."""
    py: tuple[str, ...] = ()
    np: tuple[str, ...] = ()
    helpers: Mapping[str, Any] = field(default_factory=dict)


def templates(row: Any, backend: str) -> tuple[str, ...]:
    """The row's templates for ``backend`` ("py" or "np"); () to call the row."""
    return getattr(CODEGEN[row.name], backend)


_ABS = {"abs": abs}
_MINMAX = {"min": min, "max": max}
_SIG = {"_sigmoid": S.sigmoid, "_sigmoid_np": S.sigmoid_np}
_NORM = {"_over_norm": S.over_norm, "_over_norm_np": S.over_norm_np,
         "_over_norm_sq": S.over_norm_sq, "_over_norm_sq_np": S.over_norm_sq_np, "_hypot_np": S.hypot_np}

CODEGEN: dict[str, Codegen] = {
    "add": Codegen(py=("{0} + {1}", "1.0", "1.0"), np=("{0} + {1}", "1.0", "1.0")),
    "sub": Codegen(py=("{0} - {1}", "1.0", "-1.0"), np=("{0} - {1}", "1.0", "-1.0")),
    "mul": Codegen(py=("{0} * {1}", "{1}", "{0}"), np=("{0} * {1}", "{1}", "{0}")),
    "div": Codegen(py=("{0} / {1}", "1.0 / {1}", "-{out} / {1}"), np=("{0} / {1}", "1.0 / {1}", "-{out} / {1}")),
    "neg": Codegen(py=("-{0}", "-1.0"), np=("-{0}", "-1.0")),
    "powc": Codegen(py=("math.pow({0}, {1})", "_powc_dx({0}, {1})", "0.0"),
                    np=("_np.power({0}, {1})", "_powc_dx_np({0}, {1})", "0.0"),
                    helpers={"_powc_dx": S.powc_dx,
                            "_powc_dx_np": S.powc_dx_np}),
    "pow": Codegen(np=("_np.where(({0} > 0.0) | (({0} == 0.0) & ({1} > 0.0)), _np.power({0}, {1}), _np.nan)",
                       "_powc_dx_np({0}, {1})", "_np.where({0} > 0.0, {out} * _np.log({0}), 0.0)"),
                   helpers={"_powc_dx_np": S.powc_dx_np}),
    "exp": Codegen(py=("math.exp({0})", "{out}"), np=("_np.exp({0})", "{out}")),
    "log": Codegen(py=("math.log({0})", "1.0 / {0}"), np=("_np.log({0})", "1.0 / {0}")),
    "tanh": Codegen(py=("math.tanh({0})", "1.0 / (_c := math.cosh({0})) / _c"),
                    np=("_np.tanh({0})", "1.0 / _np.cosh({0}) / _np.cosh({0})")),
    "sigmoid": Codegen(py=("_sigmoid({0})", "_sigmoid_slope({0})"), np=("_sigmoid_np({0})", "_bell_np({0}, 1.0)"),
                       helpers={**_SIG, "_sigmoid_slope": S.sigmoid_slope, "_bell_np": S.bell_np}),
    "relu": Codegen(py=("({0} if {0} > 0.0 else 0.0)", "(1.0 if {0} > 0.0 else 0.0)"),
                    np=("_np.where({0} > 0.0, {0}, 0.0)", "_np.where({0} > 0.0, 1.0, 0.0)")),
    "sin": Codegen(py=("math.sin({0})", "math.cos({0})"), np=("_np.sin({0})", "_np.cos({0})")),
    "cos": Codegen(py=("math.cos({0})", "-math.sin({0})"), np=("_np.cos({0})", "-_np.sin({0})")),
    "sqrt": Codegen(py=("math.sqrt({0})", "0.5 / {out}"), np=("_np.sqrt({0})", "0.5 / {out}")),
    "abs": Codegen(py=("abs({0})", "_sign({0})"), np=("_np.abs({0})", "_np.sign({0})"),
                   helpers={"abs": abs, "_sign": S.sign}),
    "softplus": Codegen(py=("_softplus({0})", "_sigmoid({0})"),
                        np=("_np.maximum({0}, 0.0) + _np.log1p(_np.exp(-_np.abs({0})))", "_sigmoid_np({0})"),
                        helpers={**_SIG, "_softplus": S.softplus}),
    "tan": Codegen(py=("math.tan({0})", "1.0 + {out} * {out}"), np=("_np.tan({0})", "1.0 + {out} * {out}")),
    "atan": Codegen(py=("math.atan({0})", "(1.0 / (1.0 + {0} * {0}) if abs({0}) < 1e8 else 1.0 / {0} / {0})"),
                    np=("_np.arctan({0})", "1.0 / _np.where(_np.abs({0}) < 1e8, 1.0 + {0} * {0}, {0}) "
                                           "/ _np.where(_np.abs({0}) < 1e8, 1.0, {0})"), helpers=_ABS),
    "asin": Codegen(py=("math.asin({0})", "1.0 / math.sqrt((1.0 - {0}) * (1.0 + {0}))"),
                    np=("_np.where(_np.abs({0}) <= 1.0, _np.arcsin({0}), _np.nan)", "1.0 / _np.sqrt((1.0 - {0}) * (1.0 + {0}))")),
    "acos": Codegen(py=("math.acos({0})", "-1.0 / math.sqrt((1.0 - {0}) * (1.0 + {0}))"),
                    np=("_np.where(_np.abs({0}) <= 1.0, _np.arccos({0}), _np.nan)", "-1.0 / _np.sqrt((1.0 - {0}) * (1.0 + {0}))")),
    "sinh": Codegen(py=("math.sinh({0})", "math.cosh({0})"), np=("_np.sinh({0})", "_np.cosh({0})")),
    "cosh": Codegen(py=("math.cosh({0})", "math.sinh({0})"), np=("_np.cosh({0})", "_np.sinh({0})")),
    "asinh": Codegen(py=("math.asinh({0})", "1.0 / math.hypot(1.0, {0})"),
                     np=("_np.arcsinh({0})", "1.0 / _np.hypot(1.0, {0})")),
    "atanh": Codegen(py=("math.atanh({0})", "1.0 / ((1.0 - {0}) * (1.0 + {0}))"),
                     np=("_np.where(_np.abs({0}) < 1.0, _np.arctanh({0}), _np.nan)", "1.0 / ((1.0 - {0}) * (1.0 + {0}))")),
    "log2": Codegen(py=("math.log2({0})", "1.0 / ({0} * 0.6931471805599453)"),
                    np=("_np.log2({0})", "1.0 / ({0} * 0.6931471805599453)")),
    "log10": Codegen(py=("math.log10({0})", "(1.0 / ({0} * 2.302585092994046) if {0} < 1e300 else 1.0 / {0} / 2.302585092994046)"),
                     np=("_np.log10({0})", "1.0 / ({0} * _np.where({0} < 1e300, 2.302585092994046, 1.0)) "
                                           "/ _np.where({0} < 1e300, 1.0, 2.302585092994046)")),
    "exp2": Codegen(py=("math.exp2({0})", "{out} * 0.6931471805599453"),
                    np=("_np.exp2({0})", "{out} * 0.6931471805599453")),
    "expm1": Codegen(py=("math.expm1({0})", "math.exp({0})"), np=("_np.expm1({0})", "_np.exp({0})")),
    "log1p": Codegen(py=("math.log1p({0})", "1.0 / (1.0 + {0})"), np=("_np.log1p({0})", "1.0 / (1.0 + {0})")),
    "cbrt": Codegen(py=("math.cbrt({0})", "1.0 / (3.0 * {out} * {out})"),
                    np=("_cbrt_np({0})", "1.0 / (3.0 * {out} * {out})"), helpers={"_cbrt_np": S.cbrt_np}),
    "erf": Codegen(py=("math.erf({0})", "1.1283791670955126 * _gauss({0}, 1.0)"),
                   np=("_erf_np({0})", "1.1283791670955126 * _gauss_np({0}, 1.0)"),
                   helpers={"_erf_np": S.erf_np, "_gauss": S.gauss, "_gauss_np": S.gauss_np}),
    "gelu": Codegen(py=("{0} * _Phi({0})", "_Phi({0}) + {0} * 0.3989422804014327 * _gauss({0}, 0.5)"),
                    np=("{0} * _Phi_np({0})", "_Phi_np({0}) + {0} * 0.3989422804014327 * _gauss_np({0}, 0.5)"),
                    helpers={"_Phi": S.normal_cdf, "_Phi_np": S.normal_cdf_np, "_gauss": S.gauss, "_gauss_np": S.gauss_np}),
    "silu": Codegen(py=("_silu({0})", "_silu_slope({0})"),
                    np=("_np.where({0} < -708.0, _times_exp_np({0}, {0}), {0} * _sigmoid_np({0}))",
                        "_np.where({0} < -708.0, _times_exp_np(1.0 + {0} * _sigmoid_np(-{0}), {0}), "
                        "_sigmoid_np({0}) * (1.0 + {0} * _sigmoid_np(-{0})))"),
                    helpers={**_SIG, "_silu": S.silu, "_silu_slope": S.silu_slope, "_times_exp_np": S.times_exp_np}),
    "elu": Codegen(py=("({0} if {0} > 0.0 else {1} * math.expm1({0}))", "(1.0 if {0} > 0.0 else _times_exp({1}, {0}))",
                       "(0.0 if {0} > 0.0 else math.expm1({0}))"),
                   np=("_np.where({0} > 0.0, {0}, {1} * _np.expm1(_np.where({0} > 0.0, 0.0, {0})))",
                       "_np.where({0} > 0.0, 1.0, _times_exp_np({1}, _np.where({0} > 0.0, 0.0, {0})))",
                       "_np.where({0} > 0.0, 0.0, _np.expm1(_np.where({0} > 0.0, 0.0, {0})))"),
                   helpers={"_times_exp": S.times_exp, "_times_exp_np": S.times_exp_np}),
    "leaky_relu": Codegen(py=("({0} if {0} > 0.0 else {1} * {0})", "(1.0 if {0} > 0.0 else {1})", "(0.0 if {0} > 0.0 else {0})"),
                          np=("_np.where({0} > 0.0, {0}, {1} * {0})", "_np.where({0} > 0.0, 1.0, {1})",
                              "_np.where({0} > 0.0, 0.0, {0})")),
    "softsign": Codegen(py=("{0} / (1.0 + abs({0}))", "(1.0 / (1.0 + abs({0}))) ** 2"),
                        np=("{0} / (1.0 + _np.abs({0}))", "(1.0 / (1.0 + _np.abs({0}))) ** 2"), helpers=_ABS),
    "log_sigmoid": Codegen(py=("_log_sigmoid({0})", "_sigmoid(-{0})"),
                           np=("_np.minimum({0}, 0.0) - _np.log1p(_np.exp(-_np.abs({0})))", "_sigmoid_np(-{0})"),
                           helpers={**_SIG, "_log_sigmoid": S.log_sigmoid}),
    "logit": Codegen(py=("(math.log({0} / (1.0 - {0})) if {0} < 0.25 else math.log1p((2.0 * {0} - 1.0) / (1.0 - {0})))",
                         "1.0 / ({0} * (1.0 - {0}))"),
                     np=("_np.where({0} < 0.25, _np.log({0} / (1.0 - {0})), _np.log1p((2.0 * {0} - 1.0) / (1.0 - {0})))",
                         "1.0 / ({0} * (1.0 - {0}))")),
    "max": Codegen(py=("max({0}, {1})", "(1.0 if {0} > {1} else 0.0 if {0} < {1} else 0.5)",
                       "(0.0 if {0} > {1} else 1.0 if {0} < {1} else 0.5)"),
                   np=("_np.where({1} > {0}, {1}, {0})", "_np.where({0} > {1}, 1.0, _np.where({0} < {1}, 0.0, 0.5))",
                       "_np.where({0} > {1}, 0.0, _np.where({0} < {1}, 1.0, 0.5))"), helpers=_MINMAX),
    "min": Codegen(py=("min({0}, {1})", "(1.0 if {0} < {1} else 0.0 if {0} > {1} else 0.5)",
                       "(0.0 if {0} < {1} else 1.0 if {0} > {1} else 0.5)"),
                   np=("_np.where({1} < {0}, {1}, {0})", "_np.where({0} < {1}, 1.0, _np.where({0} > {1}, 0.0, 0.5))",
                       "_np.where({0} < {1}, 0.0, _np.where({0} > {1}, 1.0, 0.5))"), helpers=_MINMAX),
    "atan2": Codegen(py=("math.atan2({0}, {1})", "_over_norm_sq({1}, {0})", "-_over_norm_sq({0}, {1})"),
                     np=("_np.where(({0} != 0.0) | ({1} != 0.0), _np.arctan2({0}, {1}), _np.nan)",
                         "_over_norm_sq_np({1}, {0})", "-_over_norm_sq_np({0}, {1})"), helpers=_NORM),
    "hypot": Codegen(py=("math.hypot({0}, {1})", "_over_norm({0}, {1})", "_over_norm({1}, {0})"),
                     np=("_hypot_np({0}, {1})", "_over_norm_np({0}, {1})", "_over_norm_np({1}, {0})"), helpers=_NORM),
    "logsumexp": Codegen(),
    **{name: Codegen(py=(f"(1.0 if {{0}} {op} {{1}} else 0.0)", "0.0", "0.0"),
                     np=(f"_np.where({{0}} {op} {{1}}, 1.0, 0.0)", "0.0", "0.0"))
       for name, op in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="), ("eq", "=="), ("ne", "!="))},
    "and": Codegen(py=("(1.0 if {0} and {1} else 0.0)", "0.0", "0.0"),
                   np=("_np.where(({0} != 0.0) & ({1} != 0.0), 1.0, 0.0)", "0.0", "0.0")),
    "or": Codegen(py=("(1.0 if {0} or {1} else 0.0)", "0.0", "0.0"),
                  np=("_np.where(({0} != 0.0) | ({1} != 0.0), 1.0, 0.0)", "0.0", "0.0")),
    "not": Codegen(py=("(0.0 if {0} else 1.0)", "0.0"), np=("_np.where({0} != 0.0, 0.0, 1.0)", "0.0")),
    # Both branches are computed here; where the untaken one fails (or its slope is not finite)
    # the point is redone by backprop, which evaluates only the taken branch.
    "where": Codegen(py=("({1} if {0} else {2})", "0.0", "(1.0 if {0} else 0.0)", "(0.0 if {0} else 1.0)"),
                     np=("_np.where({0} != 0.0, {1}, {2})", "0.0", "_np.where({0} != 0.0, 1.0, 0.0)",
                         "_np.where({0} != 0.0, 0.0, 1.0)")),
    "clamp": Codegen(),
    "sign": Codegen(py=("_sign({0})", "0.0"), np=("_np.sign({0})", "0.0"), helpers={"_sign": S.sign}),
    "hardtanh": Codegen(py=("min(max({0}, -1.0), 1.0)", "(1.0 if -1.0 < {0} < 1.0 else 0.0)"),
                        np=("_np.clip({0}, -1.0, 1.0)", "_np.where(({0} > -1.0) & ({0} < 1.0), 1.0, 0.0)"),
                        helpers=_MINMAX),
    "relu6": Codegen(py=("min(max({0}, 0.0), 6.0)", "(1.0 if 0.0 < {0} < 6.0 else 0.0)"),
                     np=("_np.clip({0}, 0.0, 6.0)", "_np.where(({0} > 0.0) & ({0} < 6.0), 1.0, 0.0)"),
                     helpers=_MINMAX),
    "huber": Codegen(),
    "smooth_l1": Codegen(),
    "softplus_beta": Codegen(),
    "stop_gradient": Codegen(py=("{0}", "0.0"), np=("{0}", "0.0")),
    "acosh": Codegen(py=("math.acosh({0})", "1.0 / (math.sqrt({0} - 1.0) * math.sqrt({0} + 1.0))"),
                     np=("_np.where({0} >= 1.0, _np.arccosh({0}), _np.nan)",
                         "1.0 / (_np.sqrt({0} - 1.0) * _np.sqrt({0} + 1.0))")),
    "sec": Codegen(py=("1.0 / math.cos({0})", "{out} * math.tan({0})"), np=("1.0 / _np.cos({0})", "{out} * _np.tan({0})")),
    "csc": Codegen(py=("1.0 / math.sin({0})", "-{out} / math.tan({0})"),
                   np=("1.0 / _np.sin({0})", "-{out} / _np.tan({0})")),
    "cot": Codegen(py=("1.0 / math.tan({0})", "_cot_slope({0})"),
                   np=("1.0 / _np.tan({0})", "-((1.0 / _np.sin({0})) * (1.0 / _np.sin({0})))"),
                   helpers={"_cot_slope": P.cot_slope}),
    "sinc": Codegen(py=("_sinc({0})", "_sinc_slope({0})"), np=("_sinc_np({0})", "_sinc_slope_np({0})"),
                    helpers={"_sinc": P.sinc, "_sinc_slope": P.sinc_slope, "_sinc_np": S.vectorized(P.sinc),
                             "_sinc_slope_np": S.vectorized(P.sinc_slope)}),
    "floor": Codegen(py=("_floor({0})", "0.0"), np=("_np.floor({0})", "0.0"), helpers={"_floor": P.floor}),
    "ceil": Codegen(py=("_ceil({0})", "0.0"), np=("_np.ceil({0})", "0.0"), helpers={"_ceil": P.ceil}),
    "round": Codegen(py=("_round({0})", "0.0"), np=("_np.round({0})", "0.0"), helpers={"_round": P.round_half_even}),
    "wsum": Codegen(),
    "id": Codegen(py=("{0}", "1.0"), np=("{0}", "1.0")),
    "taken": Codegen(py=("{0}", "1.0"), np=("{0}", "1.0")),
}
