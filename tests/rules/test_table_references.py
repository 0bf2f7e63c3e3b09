"""Every row of the rule table against mpmath at 50 digits and against PyTorch float64.

The reference is each row's SymPy form, evaluated by SymPy's evalf (mpmath underneath) at 50
digits on the exact doubles, with its partials from ``sympy.diff``: an independent writing of
the mathematics, in exact arithmetic, against the row's float forward and local derivative.
Points: ordinary ones from the row's samples, and each argument made tiny or huge in turn.
Nothing here names a row: a new row is tested by being in the table.
"""

from __future__ import annotations

import math
import signal

import pytest
import sympy
from sympy.core.evalf import PrecisionExhausted

import symgrad as sg
from helpers.torch_names import torch_function
from symgrad.rules.rule import inside
from symgrad.rules.table import RULES

TINY = (1e-300, -1e-300, 3e-20, -3e-20, 5e-324)
HUGE = (1e300, -1e300, 1e10, -1e10, 700.0, -700.0, 30.0, -30.0)
REL = 1e-13  # a few ulp above what every row achieves; a wrong formula is off by far more


def points(row) -> list[tuple[float, ...]]:
    base = inside(row)
    ordinary = base[:: max(1, len(base) // 6)]
    extreme = [tuple(v if j == i else p[j] for j in range(len(p)))
               for p in ordinary[:2] for i in range(len(p)) for v in TINY + HUGE]
    return list(dict.fromkeys(ordinary + extreme))


def _reference(row, point):
    """(value, (partials…)) at 50 digits as complex-or-real sympy numbers; None where undefined."""
    syms = sympy.symbols(f"u0:{len(point)}", real=True)
    expr = row.sympy(sympy, *syms)
    subs = {s: sympy.Float(v, 400) for s, v in zip(syms, point)}  # the exact double, 400 digits: 1 + 5e-324 too
    fixed = expr.xreplace({syms[i]: subs[syms[i]] for i in row.constant})
    value = _evalf(expr, subs)
    slopes = [None if i in row.constant else _evalf(sympy.diff(fixed, s), subs)
              for i, s in enumerate(syms)]
    return value, slopes


EXTREME = sympy.Symbol("beyond_every_float_format")


class _Slow(Exception):
    pass


def _alarm(signum, frame):
    raise _Slow


def _evalf(expr, subs):
    """50 digits; EXTREME where the number's exponent itself overflows mpmath (|log10| ≫ 10^300:
    in float64 that is 0 or inf, e.g. the slope e^(−x²/2) at x = −1e300).

    1 + erf(z) at z = −495 cancels to 1e-106403, which evalf reaches only by raising its
    precision for minutes (or gives up: ``strict`` makes that an error); then the same expression is evaluated with erf(z) written as
    erfc(−z) − 1 and expanded, where the 1s cancel symbolically."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        return expr.xreplace(subs).evalf(50, strict=True)
    except OverflowError:
        return EXTREME
    except (_Slow, PrecisionExhausted):
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, old)
    try:
        return sympy.expand(expr.replace(sympy.erf, lambda z: sympy.erfc(-z) - 1)).xreplace(subs).evalf(50, strict=True)
    except OverflowError:
        return EXTREME
    except PrecisionExhausted:
        # sin(π·10^300) is exactly 0 and (πx·cos(πx) − sin(πx))/(πx²) at x = 1e-300 cancels 600 digits:
        # on exact rationals, with room for those digits, evalf resolves both (or SymPy simplifies)
        exact = {s: sympy.Rational(v) for s, v in subs.items()}
        return expr.xreplace(exact).evalf(50, strict=True, maxn=5000)


def _real(x) -> bool:
    return x is EXTREME or (x is not None and x.is_real is True and x.is_finite is True)


def _agree(got: float, ref) -> bool:
    if ref is EXTREME:
        return got == 0.0 or math.isinf(got)
    ref = float(ref)  # rounds the 50-digit reference to the nearest double (0 or inf beyond range)
    if math.isinf(ref):
        return math.isinf(got) or abs(got) > 1e307
    return got == ref or abs(got - ref) <= REL * abs(ref) or abs(got - ref) <= 1e-300


CASES = [pytest.param(row, p, id=f"{name}{p}") for name, row in RULES.items() for p in points(row)
         if not row.kinked(*p)]


@pytest.mark.parametrize("row, point", CASES)
def test_row_agrees_with_mpmath_at_50_digits(row, point):
    value, slopes = _reference(row, point)
    defined = _real(value) and all(s is None or _real(s) or s.is_infinite for s in slopes)
    try:
        out = row.forward(*point)
    except sg.DomainError as err:
        # Outside the declared domain: the mathematics must agree that something is undefined there.
        assert err.hint, "a DomainError says what the domain needs"
        assert not defined or any(s is not None and not _real(s) for s in slopes), \
            f"DomainError at {point}, but the value {value} and slopes {slopes} are real"
        return
    except sg.NumericError:
        assert value is EXTREME or abs(float(value)) > 1.7e308, f"NumericError at {point}, but the true value {value} fits"
        return
    assert _real(value), f"{point} is outside the domain ({value}), but forward gave {out!r}"
    assert _agree(out, value), (out, value)
    local = row.local(*point, out)
    for i, s in enumerate(slopes):
        if s is None:
            assert local[i] == 0.0  # a constant argument
        elif s is EXTREME or (_real(s) and abs(float(s)) < 1.7e308):
            assert _agree(local[i], s), (i, local[i], s)
        else:  # an infinite slope (sqrt'(0)): backprop turns it into a NumericError
            assert not math.isfinite(local[i]) or abs(local[i]) > 1e300, (i, local[i], s)


# --- PyTorch float64, where installed --------------------------------------------------------

def _torch_call(torch, row, fn, point):
    """(value, grads) from torch; arguments torch takes as Python floats (elu's alpha) get none."""
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    if row.variadic:
        out = fn(torch.stack(ts), dim=0)
    else:
        try:
            out = fn(*ts)
        except TypeError:
            out = fn(ts[0], *point[1:])
            ts = ts[:1]
    out.backward()
    return out.item(), [t.grad.item() if t.grad is not None else 0.0 for t in ts]


TORCH_CASES = [pytest.param(row, p, id=f"{name}{p}") for name, row in RULES.items() if row.kind == "call"
               for p in inside(row)[::3]]


@pytest.mark.parametrize("row, point", TORCH_CASES)
def test_row_agrees_with_pytorch_float64(row, point):
    torch = pytest.importorskip("torch")
    fn = torch_function(torch, row.name)
    value, grads = _torch_call(torch, row, fn, point)
    out = row.forward(*point)
    assert out == pytest.approx(value, rel=1e-14, abs=1e-300)
    local = row.local(*point, out)
    for i, g in enumerate(grads):
        assert local[i] == pytest.approx(g, rel=1e-13, abs=1e-300), (i, local[i], g)


@pytest.mark.parametrize("name", [n for n, r in RULES.items() if r.kink and r.kind == "call"])
def test_kink_slopes_follow_pytorch(name):
    # call rows (those with a PyTorch name): a comparison's value has no PyTorch gradient at all
    torch = pytest.importorskip("torch")
    row = RULES[name]
    grid = [(0.0,) * row.arity, (1.5,) * row.arity, (-2.0, 0.0, 1.0)[:row.arity], (0.0, -2.0, 1.0)[:row.arity],
            *row.samples]
    kinks = [p for p in grid if len(p) == row.arity and row.kinked(*p) and (row.domain is None or row.domain(*p))]
    assert kinks
    for p in kinks:
        value, grads = _torch_call(torch, row, torch_function(torch, name), p)
        out = row.forward(*p)
        assert out == value
        ours = list(row.local(*p, out)[:len(grads)])
        # PyTorch's convention where it has one; where it gives nan (no convention), ours is 0.
        assert ours == [g if math.isfinite(g) else 0.0 for g in grads], (p, grads)


# --- domains: one way of signalling per row -----------------------------------------------------

@pytest.mark.parametrize("name", [n for n, r in RULES.items() if r.domain is not None])
def test_each_domain_error_is_a_located_domain_error_with_a_reason(name):
    from symgrad.rules.rule import outside
    row = RULES[name]
    p = outside(row)[0]
    names = [f"a{i}" for i in range(len(p))]
    text = f"{row.spelling}({', '.join(names)})" if row.kind == "call" else \
        f"a0 {row.symbol} a1" if row.kind == "infix" else f"{row.symbol}a0"
    if name == "powc":
        text = f"a0 ** {p[1]!r}"
        names, p = names[:1], p[:1]
    with pytest.raises(sg.DomainError) as info:
        sg.backprop(text, dict(zip(names, p)))
    assert info.value.hint == row.why and info.value.line == 1
    f = sg.compile(text)
    with pytest.raises(sg.DomainError) as compiled:
        f(dict(zip(names, p)))
    assert str(compiled.value) == str(info.value)  # the compiled call hands it to backprop
