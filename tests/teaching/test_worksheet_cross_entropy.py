"""Softmax cross-entropy in a worksheet: the loss of one sample with target class 2,
L = logsumexp(z1, z2, z3) − z2, and its gradient softmax(z) − onehot(2) (the micrograd exercises'
and makemore's dlogits), in every format. Golden numbers from mpmath; the formula by hand."""

import mpmath
import pytest

import symgrad as sg
from symgrad.teaching.worksheet import build_worksheet

PROGRAM = "L = logsumexp(z1, z2, z3) - z2"
POINT = {"z1": 1.0, "z2": 2.0, "z3": 0.5}


def softmax_minus_onehot() -> dict[str, float]:
    with mpmath.workdps(50):
        z = [mpmath.mpf(POINT[n]) for n in ("z1", "z2", "z3")]
        total = sum(mpmath.exp(v) for v in z)
        p = [mpmath.exp(v) / total for v in z]
        return {"z1": float(p[0]), "z2": float(p[1] - 1), "z3": float(p[2])}


def test_the_final_gradients_are_softmax_minus_the_one_hot_target():
    ws = build_worksheet(PROGRAM, POINT)
    want = softmax_minus_onehot()
    rows = {r.name: r for r in ws.final}
    for name, g in want.items():
        assert rows[name].backprop == pytest.approx(g, rel=1e-15), name
        assert rows[name].verdict == "agree"
    assert sum(want.values()) == pytest.approx(0.0, abs=1e-15)      # softmax sums to 1, the one-hot to 1


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "ipynb"])
def test_every_format_shows_the_softmax_gradient(fmt):
    text = sg.worksheet(PROGRAM, POINT, format=fmt)
    if fmt == "html":                         # MathML: −0.37 is <mo>&#x2212;</mo><mn>0.37…</mn>
        text = text.replace("<mo>&#x2212;</mo><mn>", "-")
    assert "logsumexp" in text
    want = softmax_minus_onehot()
    for name in ("z1", "z2", "z3"):          # each gradient as the final table prints it (6 digits)
        assert f"{want[name]:.6g}" in text, name
    if fmt != "html":                         # HTML prints MathML; the LaTeX formats print the form
        # dL/dz2 = −1 + e^{z2}/(e^{z1} + e^{z2} + e^{z3}): the −1 is the one-hot target's
        assert "-1 + \\frac{\\mathrm{e}^{z_{2}}}{\\mathrm{e}^{z_{1}} + \\mathrm{e}^{z_{2}} + \\mathrm{e}^{z_{3}}}" \
            in text.replace("\\\\", "\\")
