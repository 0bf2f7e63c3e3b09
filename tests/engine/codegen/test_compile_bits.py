"""symgrad.compile gives backprop's exact bits, signed zeros included, for every row; a batch
does too except where numpy's own function is used (named here, and in docs/architecture.md)."""

import math
import random
import struct

import numpy as np
import pytest

import symgrad as sg
from symgrad.rules.table import RULES

# Rows whose numpy template calls numpy's own tanh/cosh or hypot (numpy's libm and CPython's math
# may round an ulp apart), or squares (numpy's ** 2 multiplies, CPython's calls pow): a batch may
# differ from backprop there, by at most 2 ulp.
NUMPY_ULP_ROWS = {"tanh": 2, "asinh": 2, "softsign": 2}
# an argument a row names "condition" (where's) is written as one: condition != 0
PROGRAMS = [(f"{r.spelling}({', '.join(a + ' != 0' if a == 'condition' else a for a in r.args)})", r.name, r.args)
            for r in RULES.values() if r.kind == "call"] + [
    ("x + y", "add", ("x", "y")), ("x - y", "sub", ("x", "y")), ("x * y", "mul", ("x", "y")),
    ("x / y", "div", ("x", "y")), ("-x", "neg", ("x",)), ("x ^ 3", "powc", ("x",)), ("x ^ y", "pow", ("x", "y")),
]


def points(n_args: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    def one() -> float:
        kind = rng.randrange(4)
        if kind == 0:
            return rng.uniform(-3, 3)
        if kind == 1:
            return rng.uniform(0.01, 0.99)
        if kind == 2:
            return rng.choice([0.0, -0.0, -1e-300, 1e-300, -1.0])
        return 10 ** rng.uniform(-300, 300) * rng.choice([1, -1])
    return [[one() for _ in range(n_args)] for _ in range(120)]


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


@pytest.mark.parametrize("program, row, args", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_compile_and_batch_give_backprops_bits(program, row, args):
    f = sg.compile(program)
    checked = 0
    for p in points(len(args), seed=len(program)):
        try:
            res = sg.backprop(program, dict(zip(args, p)))
        except sg.SymgradError:
            continue
        checked += 1
        want = [res.value] + [res.grads[n] for n in f.names]
        value, grads = f.value_and_grad(*p)
        assert [bits(v) for v in [value, *grads]] == [bits(v) for v in want], (p, [value, *grads], want)
        bv, bg = f.batch(*[np.array([x]) for x in p])
        got = [float(bv[0])] + [float(g[0]) for g in bg]
        if row in NUMPY_ULP_ROWS:
            for g, w in zip(got, want):
                assert g == w or abs(g - w) <= NUMPY_ULP_ROWS[row] * math.ulp(w), (p, got, want)
        else:
            assert [bits(v) for v in got] == [bits(v) for v in want], (p, got, want)
    assert checked >= 10


@pytest.mark.parametrize("program", ["max(x, y)", "min(x, y)", "elu(x, y)", "relu(x)*y", "abs(x)*y"])
@pytest.mark.parametrize("x, y", [(-0.0, 0.0), (0.0, -0.0), (-0.0, -2.0), (0.0, -2.0), (-1e-300, -5e-3)])
def test_signed_zeros_at_ties_and_kinks(program, x, y):
    # Python's max/min keep the first of equal arguments (max(-0.0, 0.0) is -0.0); numpy's
    # maximum/minimum keep the second. A batch must follow backprop's rows.
    res = sg.backprop(program, x=x, y=y)
    want = [res.value, res.grads["x"], res.grads["y"]]
    f = sg.compile(program)
    value, grads = f.value_and_grad(x, y)
    bv, bg = f.batch(np.array([x]), np.array([y]))
    assert [bits(v) for v in [value, *grads]] == [bits(v) for v in want]
    assert [bits(float(v[0])) for v in [bv, *bg]] == [bits(v) for v in want]
