"""Numerically stable pieces the rule rows are made of (floats, and numpy arrays where named ``_np``).

Each helper is named in the ``helpers`` of the rows whose templates call it, so generated code
sees exactly these names (see ``engine.codegen.build.namespace``). Formulas and why they are stable are
beside each one.
"""

from __future__ import annotations

import math
import operator

__all__ = ["powc_dx", "pow_local", "sigmoid", "sigmoid_slope", "tanh_slope", "softplus", "log_sigmoid", "wsum", "wsum_local",
           "wsum_accumulate", "sign", "inv", "sigmoid_np", "bell_np", "powc_dx_np", "erf_np",
           "cbrt_np", "vectorized", "logsumexp", "logsumexp_local", "two_prod", "gauss", "normal_cdf", "gauss_np",
           "normal_cdf_np", "times_exp", "times_exp_np", "silu", "silu_slope", "over_norm", "over_norm_np", "over_norm_sq",
           "over_norm_sq_np", "hypot_np", "SQRT_HALF", "INV_SQRT_2PI", "TWO_OVER_SQRT_PI", "LN2", "LN10"]

SQRT_HALF = 0.7071067811865476          # 1/√2
SQRT_HALF_LO = -4.833646656726457e-17   # 1/√2 − SQRT_HALF (mpmath, 50 digits)
INV_SQRT_2PI = 0.3989422804014327       # 1/√(2π)
TWO_OVER_SQRT_PI = 1.1283791670955126   # 2/√π
LN2 = 0.6931471805599453
LN10 = 2.302585092994046


def inv(x: float) -> float:
    """1/x, with 1/0 = inf: a slope that is infinite at one point (sqrt'(0)) is a NumericError
    raised by backprop, not a ZeroDivisionError."""
    return 1.0 / x if x else math.inf


def powc_dx(x: float, p: float) -> float:
    """d(x^p)/dx = p·x^(p-1), not p·out/x: x^p can underflow to 0 while the slope is still
    representable (x**2 at 1e-300 has slope 2e-300, but out is 0). A zero exponent has slope 0
    everywhere (x^0 = 1), even where x^(−1) overflows (x = 1e-310)."""
    if p == 0.0:
        return 0.0
    if x != 0.0:
        try:
            return p * math.pow(x, p - 1.0)
        except OverflowError:
            return math.inf  # callers turn a non-finite gradient into a NumericError
        except ValueError:   # (-8) ** (1/3 - 1): outside the domain, the forward raised already
            return math.nan
    # At 0: p*0**(p-1) is 0 for p > 1 or p == 0, 1 for p == 1, infinite for 0 < p < 1.
    return 1.0 if p == 1.0 else 0.0 if (p > 1.0 or p == 0.0) else math.inf


def powc_dx_np(x, p):
    """powc_dx for numpy arrays: p·x^(p-1) where x ≠ 0, the same limits at 0."""
    import numpy as np
    with np.errstate(all="ignore"):
        at0 = np.where(p == 1.0, 1.0, np.where((p > 1.0) | (p == 0.0), 0.0, np.inf))
        return np.where(p == 0.0, 0.0, np.where(x != 0.0, p * np.power(x, p - 1.0), at0))


def pow_local(x: float, y: float, out: float) -> tuple[float, float]:
    return powc_dx(x, y), (out * math.log(x) if x > 0.0 else 0.0)


def _scaled(a: float, b: float) -> tuple[float, float, int]:
    """(a·2⁻ᵉ, b·2⁻ᵉ, e) with max(|a|, |b|)·2⁻ᵉ in [½, 1): exact unless the smaller one falls below
    2⁻¹⁰²², where its share of a norm is below float64's resolution anyway."""
    e = math.frexp(max(abs(a), abs(b)))[1]
    return math.ldexp(a, -e), math.ldexp(b, -e), e


def over_norm(a: float, b: float) -> float:
    """a/√(a² + b²), hypot's slope ∂/∂a; 0 at (0, 0) (its kink, slope 0 as abs'(0)).

    Taken on a, b scaled by a power of two: hypot(5e-324, 5e-324) rounds to 5e-324, so a/r
    would be 1 where the slope is 1/√2."""
    if a == 0.0 and b == 0.0:
        return 0.0
    sa, sb, _ = _scaled(a, b)
    return sa / math.hypot(sa, sb)


def over_norm_sq(a: float, b: float) -> float:
    """a/(a² + b²), atan2's slopes (∂/∂y = x/r², ∂/∂x = −y/r²); nan at (0, 0), outside its domain.

    (a/r)/r on a, b scaled by 2⁻ᵉ, then scaled back by 2⁻ᵉ once: r neither underflows nor
    overflows, and a slope that is representable (1/(2·1.8e308) = 2.8e-309) is rounded once.
    Beyond float64 (atan2 at 5e-324) it is ±inf, which backprop reports as a NumericError."""
    if a == 0.0 and b == 0.0:
        return math.nan
    sa, sb, e = _scaled(a, b)
    r = math.hypot(sa, sb)
    try:
        return math.ldexp((sa / r) / r, -e)
    except OverflowError:
        return math.copysign(math.inf, a)


def sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # never overflows for x < 0
    return z / (1.0 + z)


def times_exp(c: float, x: float) -> float:
    """c·eˣ. Below x = −708 eˣ is subnormal (relative error up to 1 at −745) or 0, and c·eˣ would
    carry that error (elu's slope α·eˣ with α = 1e300 at x = −745: 4.9e-24 for 2.8e-24); there it
    is (c·h)·h with h = e^(x/2), normal, so the only rounding into the subnormal range is the last."""
    if x < -708.0:
        h = math.exp(0.5 * x)
        return (c * h) * h
    return c * math.exp(x)


def silu(x: float) -> float:
    """x·σ(x); below −708 σ(x) = eˣ exactly (1 + eˣ rounds to 1), taken as ``times_exp``."""
    return times_exp(x, x) if x < -708.0 else x * sigmoid(x)


def silu_slope(x: float) -> float:
    """σ(x)·(1 + x·σ(−x)), no 1 − σ cancellation; below −708 as ``times_exp`` (see ``silu``)."""
    k = 1.0 + x * sigmoid(-x)
    return times_exp(k, x) if x < -708.0 else sigmoid(x) * k


def tanh_slope(x: float) -> float:
    """tanh'(x) = 1/cosh²(x), computed as 1/c/c: no cancellation (1 − tanh² is 0 once tanh rounds
    to ±1, at |x| > 19, while tanh'(20) = 1.7e-17), and c² would overflow at |x| > 355 while the
    slope is representable to |x| ≈ 372. Where cosh overflows (|x| > 710) the slope rounds to 0."""
    try:
        c = math.cosh(x)
    except OverflowError:
        return 0.0
    return 1.0 / c / c


def sigmoid_slope(x: float) -> float:
    """σ'(x) = σ(x)·σ(−x) = z/(1 + z)² with z = e^(−|x|): one exp, no cancellation."""
    z = math.exp(-abs(x))
    return z / ((1.0 + z) * (1.0 + z))


def softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def log_sigmoid(x: float) -> float:
    """log σ(x) = min(x, 0) − log(1 + e^(−|x|)): no overflow, no log of 0."""
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


def wsum(b: float, *wx: float) -> float:
    n = len(wx) >> 1
    return sum(map(operator.mul, wx[:n], wx[n:]), b)  # b + w1·x1 + w2·x2 + …, in that order


def wsum_local(b: float, *wx_out: float) -> tuple[float, ...]:
    wx = wx_out[:-1]
    n = len(wx) >> 1
    return (1.0, *wx[n:], *wx[:n])


def wsum_accumulate(kids: tuple, g: float) -> None:
    n = len(kids) >> 1
    kids[0].grad += g
    for i in range(1, n + 1):
        w, x = kids[i], kids[i + n]
        w.grad += x.data * g
        x.grad += w.data * g


def logsumexp(*xs: float) -> float:
    """m + log Σ e^(xᵢ − m) with m = max xᵢ: every exponent is ≤ 0, so nothing overflows."""
    m = max(xs)
    return m + math.log(sum([math.exp(x - m) for x in xs]))


def logsumexp_local(*xs_out: float) -> tuple[float, ...]:
    """∂/∂xᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m), the softmax, with m = max xⱼ: every exponent is ≤ 0.

    Not e^(xᵢ − out): out's own rounding, u·|out|, would come back as a relative error of the
    slope, 1e-14 at out = 700. fsum rounds the sum once, so a slope is within a few ulp at any
    arity (the row's ``rules.rounding.Rounding`` record)."""
    xs = xs_out[:-1]
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    total = math.fsum(e)
    return tuple([t / total for t in e])


_SPLIT = 134217729.0                    # 2**27 + 1: Veltkamp's splitter for float64


def two_prod(a: float, b: float) -> tuple[float, float]:
    """(p, e) with p = fl(a·b) and p + e = a·b exactly (Dekker 1971; valid for |a|, |b| < 1e150)."""
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    t = _SPLIT * b
    bh = t - (t - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def gauss(x: float, scale: float) -> float:
    """exp(−scale·x²) for scale 1 or ½. exp(−x·x) alone loses x²·u relative (x·x's rounding,
    amplified by exp): 1e-13 at x = 30. Here x² = s + e exactly, and exp(−k(s + e)) =
    exp(−ks)·(1 − ke) to within (ke)², a few ulp at any x."""
    if not abs(x) < 40.0:            # exp(−x²/2) underflows to 0 past 38.6; inf/nan pass through
        return math.exp(-scale * x * x)
    s, e = two_prod(x, x)
    return math.exp(-scale * s) * (1.0 - scale * e)


def normal_cdf(x: float) -> float:
    """Φ(x) = erfc(−x/√2)/2, with no cancellation for x ≪ 0. The rounding δ of z = −x/√2 would cost
    2z²·δ relative (1e-13 at x = −30); erfc(z + δ) = erfc(z) − δ·(2/√π)·e^(−z²) corrects it."""
    z = -SQRT_HALF * x
    if not abs(x) < 40.0:            # Φ is 0 or 1 to float64 there (erfc(28) underflows)
        return 0.5 * math.erfc(z)
    p, e = two_prod(-x, SQRT_HALF)   # p == z
    d = e - x * SQRT_HALF_LO         # exact −x/√2 minus z, to within u·|d|
    return 0.5 * (math.erfc(z) - d * TWO_OVER_SQRT_PI * math.exp(-z * z))


def sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0  # abs'(0) = 0, as PyTorch


def sigmoid_np(x):
    """sigmoid for numpy arrays: the same two branches, so it never overflows."""
    import numpy as np
    z = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def bell_np(u, scale):
    """scale·z/(1 + z)² with z = e^(−|u|), for numpy arrays: tanh'(x) = bell_np(2x, 4) and
    σ'(x) = bell_np(x, 1), the same formula as ``tanh_slope``, without cancellation."""
    import numpy as np
    z = np.exp(-np.abs(u))
    return scale * z / ((1.0 + z) * (1.0 + z))


def vectorized(fn):
    """``fn`` (float -> float) over a numpy array, elementwise: the scalar bits, so batch equals backprop."""
    def apply(x):
        import numpy as np
        return np.asarray(np.frompyfunc(fn, 1, 1)(x), dtype=float)
    apply.__name__ = fn.__name__ + "_np"
    apply.__doc__ = f"``{fn.__name__}`` over a numpy array, elementwise: the same bits as the scalar code."
    return apply


erf_np = vectorized(math.erf)
cbrt_np = vectorized(math.cbrt)  # numpy's cbrt differs from libm's by an ulp, which the slope 1/(3·out²) doubles
normal_cdf_np = vectorized(normal_cdf)  # the scalar bits, so batch equals backprop


def _vectorized2(fn):
    def apply(a, b):
        import numpy as np
        return np.asarray(np.frompyfunc(fn, 2, 1)(a, b), dtype=float)
    apply.__name__ = fn.__name__ + "_np"
    apply.__doc__ = f"``{fn.__name__}`` over numpy arrays, elementwise: the scalar bits, so batch equals backprop."
    return apply


over_norm_np = _vectorized2(over_norm)
hypot_np = _vectorized2(math.hypot)  # numpy's hypot differs from math.hypot by an ulp at times
over_norm_sq_np = _vectorized2(over_norm_sq)


def times_exp_np(c, x):
    """``times_exp`` for numpy arrays: the same two branches."""
    import numpy as np
    h = np.exp(0.5 * x)
    return np.where(x < -708.0, (c * h) * h, c * np.exp(x))


def gauss_np(x, scale):
    """``gauss`` over a numpy array, elementwise (the scalar bits)."""
    import numpy as np
    return np.asarray(np.frompyfunc(lambda v: gauss(v, scale), 1, 1)(x), dtype=float)
