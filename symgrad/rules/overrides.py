"""Display overrides: one ``Display`` record per row of the table, keyed by its name.

A row's display (the LaTeX of the function and of its local derivatives, the worksheet's title
and statement) is derived from its SymPy form (``display``). A record overrides a column only
where it reads better for a learner (σ for sigmoid, sqrt's slope in its output); an empty
``Display()`` derives them all. Tests prove each override equal to the SymPy form
(tests/rules/test_latex.py, tests/rules/test_display_text.py); every row needs a record (``records``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Display", "DISPLAY"]


@dataclass(frozen=True)
class Display:
    """Overrides of a row's display; an empty column is derived from the SymPy form.

    ``latex``: a ``str.format`` template over the arguments {0}, {1}, …; ``dlatex``: the local
    derivative per argument (may use {out}, the output; an empty one is derived); ``title``: the
    worksheet's rule name (default "<name> rule"); ``text``: the worksheet's rule statement in
    unicode, which the answer checker parses (the mini-language of ``teaching``)."""
    latex: str = ""
    dlatex: tuple[str, ...] = ()
    title: str = ""
    text: str = ""


DISPLAY: dict[str, Display] = {
    "add": Display(title="sum rule"),
    "sub": Display(title="difference rule"),
    "mul": Display(title="product rule"),
    "div": Display(title="quotient rule"),
    "neg": Display(title="negation rule"),
    "powc": Display(dlatex=(r"{1} \cdot {0}^{{{1} - 1}}", ""), title="power rule",
                    text="d(uⁿ)/du = n·uⁿ⁻¹ for a constant n"),
    "pow": Display(dlatex=(r"{1} \cdot {0}^{{{1} - 1}}",  # u = 0: u^v·ln u is 0·(−∞); the slope taken is 0
                           r"\begin{{cases}} {out} \cdot \ln\left({0}\right) & {0} > 0 \\ 0 & \text{{otherwise}} "
                           r"\end{{cases}}"), title="general power rule",
                   text="∂(u^v)/∂u = v·u^(v−1) and ∂(u^v)/∂v = u^v·ln u (0 at u = 0, as PyTorch)"),
    "exp": Display(),
    "log": Display(),
    "tanh": Display(),
    "sigmoid": Display(latex=r"\sigma\left({0}\right)", dlatex=(r"{out} \cdot \left(1 - {out}\right)",),
                       text="d(σ(x))/dx = σ(x)·(1 − σ(x))"),
    "relu": Display(text="d(relu(x))/dx = 1 if x > 0, else 0 (0 at the kink x = 0)"),
    "sin": Display(title="sine rule"),
    "cos": Display(title="cosine rule"),
    "sqrt": Display(dlatex=(r"\frac{{1}}{{2 {out}}}",), title="square-root rule",
                    text="d(√x)/dx = 1/(2√x), infinite at x = 0"),
    "abs": Display(title="absolute-value rule", text="d|x|/dx = sign(x) (0 at the kink x = 0)"),
    "softplus": Display(dlatex=(r"\sigma\left({0}\right)",), text="d(softplus(x))/dx = σ(x)"),
    "tan": Display(title="tangent rule"),
    "atan": Display(title="arctangent rule"),
    "asin": Display(title="arcsine rule", text="d(arcsin(x))/dx = 1/√(1 − x²), infinite at x = ±1"),
    "acos": Display(title="arccosine rule", text="d(arccos(x))/dx = −1/√(1 − x²), infinite at x = ±1"),
    "sinh": Display(),
    "cosh": Display(),
    "asinh": Display(title="area-sinh rule"),
    "atanh": Display(title="area-tanh rule"),
    "log2": Display(latex=r"\log_{{2}}\left({0}\right)", title="base-2 log rule"),
    "log10": Display(latex=r"\log_{{10}}\left({0}\right)", title="base-10 log rule"),
    "exp2": Display(title="base-2 exp rule"),
    "expm1": Display(),
    "log1p": Display(),
    "cbrt": Display(latex=r"\sqrt[3]{{{0}}}", dlatex=(r"\frac{{1}}{{3 {out}^{{2}}}}",), title="cube-root rule",
                    text="d(∛x)/dx = 1/(3·∛x²), infinite at x = 0"),
    "erf": Display(title="error-function rule"),
    "gelu": Display(dlatex=(r"\Phi\left({0}\right) + {0} \cdot \frac{{\mathrm{{e}}^{{-{0}^{{2}}/2}}}}{{\sqrt{{2 \pi}}}}",),
                    text="d(x·Φ(x))/dx = Φ(x) + x·φ(x)"),
    "silu": Display(dlatex=(r"\sigma\left({0}\right) \left(1 + {0} \left(1 - \sigma\left({0}\right)\right)\right)",),
                    text="d(x·σ(x))/dx = σ(x)·(1 + x·(1 − σ(x)))"),
    "elu": Display(),
    "leaky_relu": Display(title="leaky-relu rule"),
    "softsign": Display(dlatex=(r"\frac{{1}}{{\left(1 + \left|{0}\right|\right)^{{2}}}}",),
                        text="d(x/(1 + |x|))/dx = 1/(1 + |x|)²"),
    "log_sigmoid": Display(dlatex=(r"\sigma\left(-{0}\right)",), title="log-sigmoid rule",
                           text="d(ln σ(x))/dx = 1 − σ(x) = σ(−x)"),
    "logit": Display(dlatex=(r"\frac{{1}}{{{0} \left(1 - {0}\right)}}",), text="d(logit(x))/dx = 1/(x·(1 − x))"),
    "max": Display(dlatex=(r"\begin{{cases}} 1 & {0} > {1} \\ \frac{{1}}{{2}} & {0} = {1} \\ 0 & {0} < {1} \end{{cases}}",
                    r"\begin{{cases}} 1 & {1} > {0} \\ \frac{{1}}{{2}} & {1} = {0} \\ 0 & {1} < {0} \end{{cases}}"),
                   text="∂max(x, y)/∂x = 1 if x > y, 0 if x < y (½ at the tie)"),
    "min": Display(dlatex=(r"\begin{{cases}} 1 & {0} < {1} \\ \frac{{1}}{{2}} & {0} = {1} \\ 0 & {0} > {1} \end{{cases}}",
                    r"\begin{{cases}} 1 & {1} < {0} \\ \frac{{1}}{{2}} & {1} = {0} \\ 0 & {1} > {0} \end{{cases}}"),
                   text="∂min(x, y)/∂x = 1 if x < y, 0 if x > y (½ at the tie)"),
    "atan2": Display(text="∂(atan2(y, x))/∂y = x/(x² + y²) and ∂(atan2(y, x))/∂x = −y/(x² + y²) (at the branch cut "
                          "y = 0, x < 0 the angle jumps by 2π but the slopes do not)"),
    "hypot": Display(dlatex=(r"\begin{{cases}} \frac{{{0}}}{{{out}}} & {out} > 0 \\ 0 & \text{{otherwise}} \end{{cases}}",
                             r"\begin{{cases}} \frac{{{1}}}{{{out}}} & {out} > 0 \\ 0 & \text{{otherwise}} \end{{cases}}")),
    "logsumexp": Display(dlatex=(r"\mathrm{{e}}^{{{0} - {out}}}", r"\mathrm{{e}}^{{{1} - {out}}}"),
                         text="∂logsumexp(x₁, …, xₙ)/∂xᵢ = exp(xᵢ − logsumexp)"),
    # a comparison steps from 0 to 1 at u = v (a jump, not a kink: its slope is 0 on both sides)
    **{name: Display(latex=f"{{0}} {tex} {{1}}", title="comparison",
                     text=f"∂(1 if u {sym} v, else 0)/∂u = 0 and ∂(1 if u {sym} v, else 0)/∂v = 0 (a jump at u = v)")
       for name, tex, sym in (("lt", "<", "<"), ("le", r"\le", "≤"), ("gt", ">", ">"), ("ge", r"\ge", "≥"),
                              ("eq", "=", "="), ("ne", r"\ne", "≠"))},
    "and": Display(latex=r"{0} \land {1}", title="condition"),
    "or": Display(latex=r"{0} \lor {1}", title="condition"),
    "not": Display(latex=r"\lnot {0}", title="condition"),
    "where": Display(latex=r"\begin{{cases}} {1} & \text{{if }} {0} \\ {2} & \text{{otherwise}} \end{{cases}}",
                     title="piecewise rule",
                     text="∂(where(c, x, y))/∂x = 1 if |condition| > 0, else 0; "
                          "∂(where(c, x, y))/∂y = 0 if |condition| > 0, else 1"),
    # as torch.clamp and torch.nn.functional.hardtanh/relu6 (rules/piecewise.py, rules/table.py): clamp
    # passes x's gradient at a bound, hardtanh and relu6 do not
    "clamp": Display(dlatex=(r"\begin{{cases}} 1 & {1} \le {0} \land {0} \le {2} \\ 0 & \text{{otherwise}} \end{{cases}}",
                             r"\begin{{cases}} 1 & {0} < {1} \land {1} \le {2} \\ 0 & \text{{otherwise}} \end{{cases}}",
                             r"\begin{{cases}} 1 & {0} > {2} \lor {1} > {2} \\ 0 & \text{{otherwise}} \end{{cases}}"),
                     text="∂(clamp(x, lo, hi))/∂x = 1 if lo ≤ x ≤ hi, else 0; ∂(clamp(x, lo, hi))/∂lo = 1 if x < lo ≤ hi, "
                          "else 0; ∂(clamp(x, lo, hi))/∂hi = 1 if hi < x, 1 if hi < lo, else 0 "
                          "(at a kink, a bound, the slope PyTorch takes)"),
    "sign": Display(dlatex=("0",), text="d(sign(x))/dx = 0 (a jump at x = 0)"),
    "hardtanh": Display(dlatex=(r"\begin{{cases}} 1 & \left|{{{0}}}\right| < 1 \\ 0 & \text{{otherwise}} \end{{cases}}",),
                        text="d(hardtanh(x))/dx = 1 if |x| < 1, else 0 (at a kink, a bound, the slope PyTorch takes)"),
    "relu6": Display(dlatex=(r"\begin{{cases}} 1 & 0 < {0} \land {0} < 6 \\ 0 & \text{{otherwise}} \end{{cases}}",),
                     text="d(relu6(x))/dx = 1 if 0 < x < 6, else 0 (at a kink, a bound, the slope PyTorch takes)"),
    "huber": Display(text="∂(huber(x, δ))/∂x = x if |x| < δ, else δ·sign(x); "
                          "∂(huber(x, δ))/∂δ = 0 if |x| < δ, else |x| − δ"),
    "smooth_l1": Display(title="smooth-L1 rule",
                         text="∂(smooth_l1(x, β))/∂x = x/β if |x| < β, else sign(x); "
                              "∂(smooth_l1(x, β))/∂β = −x²/(2·β²) if |x| < β, else −½"),
    "softplus_beta": Display(title="softplus rule (β, threshold)", dlatex=("", "", "0"),
                             text="∂(softplus(x, β, threshold))/∂x = 1 if β·x > threshold, else σ(β·x); "
                                  "∂(softplus(x, β, threshold))/∂β = 0 if β·x > threshold, "
                                  "else (x·σ(β·x) − ln(1 + exp(β·x))/β)/β; "
                                  "∂(softplus(x, β, threshold))/∂threshold = 0 (a jump at β·x = threshold)"),
    "stop_gradient": Display(title="stop-gradient rule",
                             text="the value passes, the gradient stops: d(stop_gradient(x))/dx = 0"),
    "floor": Display(text="d(floor(x))/dx = 0 (a jump at each integer)"),
    "ceil": Display(text="d(ceil(x))/dx = 0 (a jump at each integer)"),
    "round": Display(text="d(round(x))/dx = 0 (a jump at each integer + ½, where halves round to even)"),
    "acosh": Display(title="area-cosh rule"),
    "sec": Display(title="secant rule"),
    "csc": Display(title="cosecant rule"),
    "cot": Display(title="cotangent rule"),
    "sinc": Display(text="d(sinc(x))/dx = (cos(π·x) − sin(π·x)/(π·x))/x if |x| > 0, else 0"),
    "wsum": Display(latex=r"{0} + \sum_{{i}} w_i x_i", dlatex=("", "x_i", "w_i"), title="weighted-sum rule",
                    text="∂(b + Σ wᵢxᵢ)/∂b = 1, ∂/∂wᵢ = xᵢ and ∂/∂xᵢ = wᵢ"),
    "id": Display(title="naming rule", text="a new name for a value: d(x)/dx = 1"),
    "taken": Display(title="piecewise rule", text="a where passes its gradient to the branch it took, unchanged "
                     "(local derivative 1)"),
}
