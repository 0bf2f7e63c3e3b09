"""The worksheet's forward-mode section: the lecture's neuron, tangents by hand (Karpathy's
micrograd lecture: o = tanh(n), n = x1·w1 + x2·w2 + b, do/dn = 0.5 at the lecture's point)."""

import json
import math

import pytest

import symgrad as sg
from symgrad.teaching.sheets import RENDERERS, render_worksheet
from symgrad.teaching.worksheet import blanked, build_worksheet
from symgrad.teaching.worksheet_model import Blank

NEURON = "n = x1*w1 + x2*w2 + b\no = tanh(n)"
POINT = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}


def test_tangent_table_along_w1_matches_the_hand_derivation():
    ws = build_worksheet(NEURON, POINT, forward_mode="w1", graph=False, symbolic=False)
    fm = ws.forward_mode
    tangents = {r.node: r.tangent for r in fm.rows}
    # ṫ1 = x1·ẇ1 = 2; ṫ2 = 0; n = t1 + t2 + b: 2; o = tanh(n): (1 − o²)·2 = 0.5·2 = 1
    assert tangents["t1"] == 2.0 and tangents["t2"] == 0.0 and tangents["n"] == 2.0
    assert fm.output_tangent == pytest.approx(2.0 * (1 - 0.7071067811865476 ** 2), rel=1e-12)
    assert fm.reverse == sg.backprop(NEURON, POINT).grads["w1"]
    assert fm.output_tangent == sg.jvp(NEURON, POINT, {"w1": 1.0})[1]
    for r in fm.rows:
        for t in r.terms:
            assert t.product == t.local_value * t.tangent
    assert fm.inputs == 5
    assert ws.sections[:5] == ("graph", "forward", "backward", "tangent", "final")


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_every_format_shows_the_section_and_the_sweep_counts(fmt):
    ws = build_worksheet(NEURON, POINT, forward_mode=True, graph=False, symbolic=False)
    text = render_worksheet(ws, fmt)
    body = "".join("".join(c["source"]) for c in json.loads(text)["cells"]) if fmt == "ipynb" else text
    assert "Forward mode" in body and "one per input" in body
    plain = render_worksheet(build_worksheet(NEURON, POINT, graph=False, symbolic=False), fmt)
    assert "Forward mode" not in plain


def test_the_exercise_sheet_blanks_the_tangents():
    ws = blanked(build_worksheet(NEURON, POINT, forward_mode="x1", graph=False, symbolic=False))
    assert all(isinstance(r.tangent, Blank) and r.tangent.answer is None and
               all(isinstance(t.product, Blank) for t in r.terms) for r in ws.forward_mode.rows)


def test_bad_forward_mode_input_is_named(capsys):
    with pytest.raises(sg.InputError, match="forward mode"):
        build_worksheet(NEURON, POINT, forward_mode="z", graph=False, symbolic=False)
    from symgrad.interface.cli.main import main
    assert main(["worksheet", "L = x*y", "--at", "x=1", "y=2", "--tangent", "x"]) == 2
    assert "--mode forward" in capsys.readouterr().err


def test_nudge_with_curvature_matches_taylor_by_hand():
    # L = x³ at x = 1, h = 0.001: step s = h·3 = 0.003; first order 1 + 3s, second adds ½·6·s²
    ws = build_worksheet("L = x**3", {"x": 1.0}, curvature=True, graph=False, symbolic=False)
    s = 0.001 * 3.0
    assert ws.nudge.predicted == pytest.approx(1 + 3 * s, rel=1e-15)
    assert ws.nudge.curved == pytest.approx(1 + 3 * s + 3 * s * s, rel=1e-15)
    assert ws.nudge.after == pytest.approx((1 + s) ** 3, rel=1e-15)
    assert abs(ws.nudge.curved - ws.nudge.after) < abs(ws.nudge.predicted - ws.nudge.after)
    for fmt in RENDERERS:
        assert "With curvature" in render_worksheet(ws, fmt)
    plain = build_worksheet("L = x**3", {"x": 1.0}, graph=False, symbolic=False)
    assert plain.nudge.curved is None and "With curvature" not in render_worksheet(plain, "md")
    assert blanked(ws).nudge.curved is None


def test_explorer_numbers_carry_the_hessian_diagonal():
    from symgrad.base.limits import DEFAULT_LIMITS
    from symgrad.interface.serve.actions import recompute
    data = recompute("L = x**3*y", {"x": 2.0, "y": 0.5}, DEFAULT_LIMITS)
    assert data["curvature"] == {"x": 6 * 2.0 * 0.5, "y": 0.0}
    assert recompute("L = abs(x)", {"x": 0.0}, DEFAULT_LIMITS)["curvature"] is None   # abs''(0): no number
