"""The reference workload (makemore part 4's network, batch 32) against references outside symgrad:
the lecture's manual backward pass computed in mpmath at 50 digits (always), and PyTorch float64's
autograd on the lecture's forward, one tensor per intermediate (where torch is installed).

For every element of every gradient (the 26 named inputs and intermediates): the check's exact
reference (an arb ball) holds mpmath's value; symgrad's float64 backprop is within float64's own
error bound of mpmath's value (the bound the check judges with: |mid F − mid E| + rad F + rad E, from
the exact ball E and float64's envelope F); and PyTorch's gradients are `agree` under that bound.
The mpmath formulas are the lecture's lines (hand-derived), not symgrad's rules.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpmath import mp, mpf

import symgrad as sg
from helpers import ROOT
from helpers.makemore_values import NAMES
from symgrad.base.limits import DEFAULT_LIMITS
from symgrad.engine.tensor_point import tensor_point
from symgrad.gradcheck.tensor_check import exact_gradients
from symgrad.gradcheck.tensor_verdict import split
from symgrad.language.parser import parse
from symgrad.nn.datasets import makemore_ninja

PROGRAM = (ROOT / "examples" / "makemore_ninja.sg").read_text(encoding="utf-8")
EPS = mpf("1e-5")       # the program's literal 1e-5, read as the decimal it spells


def _mp(a: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda x: mpf(float(x)), otypes=[object])(a)


def lecture_gradients(p: dict) -> dict[str, np.ndarray]:
    """The lecture's forward and its manual backward ("exercise 1"), elementwise in mpmath."""
    ones = np.vectorize(lambda _: mpf(1), otypes=[object])
    tanh, exp, log = (np.vectorize(f, otypes=[object]) for f in (mp.tanh, mp.exp, mp.log))
    C, W1, b1, W2, b2 = (_mp(p[k]) for k in ("C", "W1", "b1", "W2", "b2"))
    bngain, bnbias = _mp(p["bngain"]), _mp(p["bnbias"])
    Xb, Yb = p["Xb"], p["Yb"]
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.reshape(n, -1)
    hprebn = embcat.dot(W1) + b1
    bnmeani = hprebn.sum(0, keepdims=True) / n
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = bndiff2.sum(0, keepdims=True) / (n - 1)
    bnvar_inv = np.vectorize(lambda v: (v + EPS) ** mpf(-0.5), otypes=[object])(bnvar)
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = tanh(hpreact)
    logits = h.dot(W2) + b2
    best = np.array([max(range(logits.shape[1]), key=lambda j: logits[i, j]) for i in range(n)])
    logit_maxes = logits[range(n), best].reshape(n, 1)
    norm_logits = logits - logit_maxes
    counts = exp(norm_logits)
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = 1 / counts_sum
    probs = counts * counts_sum_inv
    logprobs = log(probs)
    G: dict[str, np.ndarray] = {}
    G["logprobs"] = np.zeros(logprobs.shape, dtype=object) * mpf(0)
    G["logprobs"][range(n), Yb] = -mpf(1) / n
    G["probs"] = G["logprobs"] / probs
    G["counts_sum_inv"] = (counts * G["probs"]).sum(1, keepdims=True)
    G["counts_sum"] = -counts_sum ** -2 * G["counts_sum_inv"]
    G["counts"] = counts_sum_inv * G["probs"] + ones(counts) * G["counts_sum"]
    G["norm_logits"] = counts * G["counts"]
    G["logit_maxes"] = -G["norm_logits"].sum(1, keepdims=True)
    hot = np.zeros(logits.shape, dtype=object) * mpf(0)
    hot[range(n), best] = mpf(1)
    G["logits"] = G["norm_logits"] + hot * G["logit_maxes"]
    G["h"] = G["logits"].dot(W2.T)
    G["W2"] = h.T.dot(G["logits"])
    G["b2"] = G["logits"].sum(0)
    G["hpreact"] = (1 - h ** 2) * G["h"]
    G["bngain"] = (bnraw * G["hpreact"]).sum(0, keepdims=True)
    G["bnraw"] = bngain * G["hpreact"]
    G["bnbias"] = G["hpreact"].sum(0, keepdims=True)
    G["bnvar_inv"] = (bndiff * G["bnraw"]).sum(0, keepdims=True)
    G["bnvar"] = np.vectorize(lambda v: mpf(-0.5) * (v + EPS) ** mpf(-1.5), otypes=[object])(bnvar) * G["bnvar_inv"]
    G["bndiff2"] = ones(bndiff2) * G["bnvar"] / (n - 1)
    G["bndiff"] = bnvar_inv * G["bnraw"] + 2 * bndiff * G["bndiff2"]
    G["bnmeani"] = -G["bndiff"].sum(0, keepdims=True)
    G["hprebn"] = G["bndiff"] + ones(hprebn) * G["bnmeani"] / n
    G["embcat"] = G["hprebn"].dot(W1.T)
    G["W1"] = embcat.T.dot(G["hprebn"])
    G["b1"] = G["hprebn"].sum(0)
    G["emb"] = G["embcat"].reshape(emb.shape)
    G["C"] = np.zeros(C.shape, dtype=object) * mpf(0)
    for k in range(n):
        for j in range(Xb.shape[1]):
            G["C"][Xb[k, j]] += G["emb"][k, j]
    return G


@pytest.fixture(scope="module")
def point():
    return makemore_ninja(batch=32, seed=42)


@pytest.fixture(scope="module")
def lecture(point):
    with mp.workdps(50):
        return lecture_gradients(point)


@pytest.fixture(scope="module")
def sides(point):
    prog = parse(PROGRAM)
    return exact_gradients(prog, tensor_point(prog, point, {}, DEFAULT_LIMITS), DEFAULT_LIMITS)


def test_the_lecture_in_mpmath_gives_every_gradient(lecture):
    assert set(lecture) == set(NAMES)


def test_the_exact_reference_holds_mpmaths_value_for_every_element(lecture, sides):
    assert sides.state is None and not sides.ties
    for name in NAMES:
        e_mid, e_rad = split(sides.exact[name])
        ref = lecture[name]
        assert e_mid.shape == ref.shape, name
        scale = max(float(abs(x)) for x in ref.flat)
        gap = np.vectorize(lambda m, r: float(abs(mpf(m) - r)), otypes=[float])(e_mid, ref)
        # the ball's midpoint is its value rounded to float64; mpmath's own error is ~1e-50 of the scale
        assert np.all(gap <= e_rad + 2.0 ** -52 * np.abs(e_mid) + 1e-40 * scale), name


def test_backprop_is_within_float64s_bound_of_mpmath_for_every_element(point, lecture, sides):
    grads = sg.backprop(PROGRAM, point).grads
    for name in NAMES:
        e_mid, e_rad = split(sides.exact[name])
        f_mid, f_rad = split(sides.envelope[name])
        bound = np.abs(f_mid - e_mid) + f_rad + e_rad
        err = np.vectorize(lambda g, r: float(abs(mpf(float(g)) - r)), otypes=[float])(grads[name], lecture[name])
        scale = max(float(abs(x)) for x in lecture[name].flat)
        assert np.all(err <= bound * (1 + 1e-9) + 1e-40 * scale), (name, float(np.max(err - bound)))
        if name not in ("b1", "logit_maxes"):     # exactly 0: batch norm removes b1, softmax rows sum to 1
            assert np.all(bound <= 1e-8 * scale), name   # and the bound is no blanket: 8 digits of the largest


def test_mpmaths_gradients_rounded_to_float64_agree(point, lecture):
    rounded = {k: np.vectorize(float, otypes=[float])(v) for k, v in lecture.items()}
    rep = sg.check(PROGRAM, point, grads=rounded)
    assert rep.ok and rep.verified and {r.name for r in rep.rows} == set(NAMES)


def test_pytorch_float64_gradients_of_every_intermediate_agree(point, lecture):
    torch = pytest.importorskip("torch")
    T = {k: torch.tensor(v) if v.dtype.kind in "iu" else torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in point.items()}
    n = T["Xb"].shape[0]
    V = dict(T)
    V["emb"] = T["C"][T["Xb"]]
    V["embcat"] = V["emb"].view(n, -1)
    V["hprebn"] = V["embcat"] @ T["W1"] + T["b1"]
    V["bnmeani"] = 1 / n * V["hprebn"].sum(0, keepdim=True)
    V["bndiff"] = V["hprebn"] - V["bnmeani"]
    V["bndiff2"] = V["bndiff"] ** 2
    V["bnvar"] = 1 / (n - 1) * V["bndiff2"].sum(0, keepdim=True)
    V["bnvar_inv"] = (V["bnvar"] + 1e-5) ** -0.5
    V["bnraw"] = V["bndiff"] * V["bnvar_inv"]
    V["hpreact"] = T["bngain"] * V["bnraw"] + T["bnbias"]
    V["h"] = torch.tanh(V["hpreact"])
    V["logits"] = V["h"] @ T["W2"] + T["b2"]
    V["logit_maxes"] = V["logits"].max(1, keepdim=True).values
    V["norm_logits"] = V["logits"] - V["logit_maxes"]
    V["counts"] = V["norm_logits"].exp()
    V["counts_sum"] = V["counts"].sum(1, keepdims=True)
    V["counts_sum_inv"] = V["counts_sum"] ** -1
    V["probs"] = V["counts"] * V["counts_sum_inv"]
    V["logprobs"] = V["probs"].log()
    loss = -V["logprobs"][range(n), T["Yb"]].mean()
    for name in NAMES:
        V[name].retain_grad()
    loss.backward()
    given = {name: V[name].grad.numpy() for name in NAMES}
    rep = sg.check(PROGRAM, point, grads=given)
    assert rep.ok and rep.verified and len(rep.rows) == len(NAMES), rep.table()
    assert sg.backprop(PROGRAM, point).value == pytest.approx(loss.item(), rel=1e-14)
    ref = {k: np.vectorize(float, otypes=[float])(v) for k, v in lecture.items()}
    scale = max(float(np.max(np.abs(r))) for r in ref.values())
    for name in NAMES:     # torch and mpmath: the same numbers (db1 and dlogit_maxes are 0 up to cancellation)
        np.testing.assert_allclose(given[name], ref[name], rtol=1e-9, atol=1e-14 * scale, err_msg=name)
