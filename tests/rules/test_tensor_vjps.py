"""Every tensor vjp against high-precision finite differences of its own forward, element by element.

The forward runs in mpmath at 50 digits over object arrays (its own small namespace below, with the
elementwise functions from mpmath, not from symgrad); for a random cotangent G the scalar
Σ G ⊙ forward(X) is differenced centrally at step 1e-20 in every element of every argument (error
~1e-40), and compared with the float64 vjp to 1e-11 of the cotangent's scale. Small random shapes,
broadcasting included: a vjp that forgets a broadcast sum, a transpose or a factor fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpmath import mp, mpf

from symgrad.rules.table import RULES
from symgrad.rules.tensor_table import FLOAT64, TENSOR_OPS, elementwise

mp.dps = 50
_MPF = np.frompyfunc(lambda x: mpf(float(x)) if not isinstance(x, type(mpf(0))) else x, 1, 1)
_MP_ROWS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a / b, "neg": lambda a: -a, "tanh": mp.tanh, "exp": mp.exp, "log": mp.log,
            "powc": lambda a, p: a ** p, "sigmoid": lambda a: 1 / (1 + mp.exp(-a))}


def mpf_array(a) -> np.ndarray:
    a = np.asarray(a)
    return np.asarray(_MPF(a), dtype=object).reshape(a.shape)


class MP:
    """The namespace the rules compute in, in mpmath (independent elementwise functions)."""

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return np.asarray(np.sum(x, axis=axis, keepdims=keepdims), dtype=object)

    @staticmethod
    def matmul(a, b):
        return np.asarray(np.matmul(a, b), dtype=object)

    @staticmethod
    def exp(x):
        return np.asarray(np.frompyfunc(mp.exp, 1, 1)(x), dtype=object)

    @staticmethod
    def log(x):
        return np.asarray(np.frompyfunc(mp.log, 1, 1)(x), dtype=object)

    @staticmethod
    def argmax(x, axis, shift=False):
        return np.argmax(np.asarray(np.frompyfunc(float, 1, 1)(x), dtype=float).reshape(np.shape(x)), axis=axis)

    @staticmethod
    def scatter_add(shape, idx, g):
        out = mpf_array(np.zeros(shape))
        np.add.at(out, idx, g)
        return out

    @staticmethod
    def apply(row, *args):
        args = [a if np.asarray(a).dtype == object else mpf_array(a) for a in args]
        return np.asarray(np.frompyfunc(_MP_ROWS[row.name], len(args), 1)(*args), dtype=object)


def record(name):
    return elementwise(RULES[name]) if name in RULES else TENSOR_OPS[name]


R = np.random.default_rng(7)
I = np.asarray  # integer data (dims, flags, indices)


def cases():
    x34, x45 = R.standard_normal((3, 4)), R.standard_normal((4, 5))
    x234, pos = R.standard_normal((2, 3, 4)), R.uniform(0.5, 2.0, (3, 4))
    yield "matmul", [x34, x45]
    yield "matmul", [R.standard_normal(4), x45]
    yield "matmul", [x34, R.standard_normal(4)]
    yield "matmul", [x234, x45]
    yield "transpose", [x34]
    yield "transpose", [x234, I(0), I(2)]
    yield "reshape", [x34, I(2), I(-1)]
    yield "cat", [x34, R.standard_normal((3, 2)), I(1)]
    yield "cat", [x34, R.standard_normal((1, 4)), I(0)]
    yield "index", [R.standard_normal((5, 3)), I([[0, 4], [2, 2]])]          # C[X]: a repeated row adds
    yield "index", [x45, I([0, 1, 2, 3]), I([4, 0, 0, 2])]                   # logprobs[range(n), Y]
    for op in ("sum", "mean", "amax", "amin", "logsumexp_dim"):
        yield op, [x34]
        yield op, [x34, I(0), I(1)]
        yield op, [x234, I(-1), I(0)]
    yield "var", [x34, I(1)]
    yield "var", [x34, I(1), I(0), I(1)]     # Bessel's correction, keepdim
    yield "var", [x34, I(0), I(1), I(0)]     # correction 0
    yield "softmax", [x34, I(1)]
    yield "softmax", [x234, I(0)]
    yield "log_softmax", [x34, I(-1)]
    yield "cross_entropy", [x45, I([1, 0, 4, 4])]
    yield "cross_entropy", [R.standard_normal(5), I(3)]
    yield "add", [R.standard_normal((3, 1)), R.standard_normal(4)]          # broadcast both ways
    yield "mul", [x34, R.standard_normal((1, 4))]
    yield "sub", [np.asarray(0.7), x34]
    yield "div", [x34, pos]
    yield "neg", [x34]
    yield "tanh", [x34]
    yield "exp", [x34]
    yield "log", [pos]
    yield "sigmoid", [x234]
    yield "powc", [pos, np.asarray(-0.5)]


CASES = list(cases())


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_vjp_matches_finite_differences_of_the_forward(name, args):
    rec = record(name)
    n = len(args)
    out = np.asarray(rec.forward(FLOAT64, *args))
    g = R.standard_normal(out.shape)
    grads = rec.vjp(FLOAT64, g, out, *args)
    g_mp = mpf_array(g)
    h = mpf("1e-20")

    def objective(mp_args):
        return np.sum(g_mp * np.asarray(rec.forward(MP, *mp_args), dtype=object))

    checked = 0
    for i, a in enumerate(args):
        if not rec.takes_grad(i, n) or np.asarray(a).dtype.kind != "f":
            continue
        if name in RULES and i in RULES[name].constant:     # powc's exponent: a constant by construction
            assert grads[i] is None
            continue
        assert grads[i] is not None and np.shape(grads[i]) == np.shape(a), (name, i, np.shape(grads[i]))
        base = [mpf_array(b) if np.asarray(b).dtype.kind == "f" else b for b in args]
        for k in np.ndindex(np.shape(a)):
            up, down = [b.copy() if isinstance(b, np.ndarray) else b for b in base], \
                [b.copy() if isinstance(b, np.ndarray) else b for b in base]
            up[i][k] += h
            down[i][k] -= h
            fd = (objective(up) - objective(down)) / (2 * h)
            scale = float(np.sum(np.abs(g))) + 1.0
            assert abs(float(fd) - float(np.asarray(grads[i])[k])) <= 1e-11 * scale, (name, i, k, fd, grads[i][k])
            checked += 1
    assert checked


def test_integer_arguments_take_no_gradient():
    x = R.standard_normal((4, 5))
    out = TENSOR_OPS["index"].forward(FLOAT64, x, I([0, 1]), I([2, 3]))
    grads = TENSOR_OPS["index"].vjp(FLOAT64, np.ones_like(out), out, x, I([0, 1]), I([2, 3]))
    assert grads[1] is None and grads[2] is None
    assert grads[0][0, 2] == 1.0 and grads[0][1, 3] == 1.0 and grads[0].sum() == 2.0
