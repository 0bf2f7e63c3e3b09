"""The exact check of tensor programs, on the reference workload: makemore part 4's network.

References: the arb balls of the check itself; an independent scalar lowering of the network through
symgrad's Value engine (tests/helpers/makemore_values.py, always run); PyTorch float64 where it is
installed (skipped otherwise; the Value lowering is its twin).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import symgrad as sg
from helpers import ROOT
from helpers.makemore_values import NAMES, scalar_gradients
from symgrad.nn.datasets import makemore_ninja

PROGRAM = (ROOT / "examples" / "makemore_ninja.sg").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def point():
    return makemore_ninja(batch=32, seed=42)


@pytest.fixture(scope="module")
def report(point):
    return sg.check(PROGRAM, point)


def test_every_element_of_every_gradient_agrees(report):
    assert isinstance(report, sg.CheckReport) and report.ok and report.verified
    names = {r.name for r in report.rows}
    assert names == set(NAMES) | {"loss"}              # every float input and named intermediate
    for row in report.rows:
        assert row.verdict == "agree" and row.disagree == 0 and row.unverified == 0
        assert row.elements == int(np.prod(row.shape))
    assert report.row("bnvar_inv").shape == (1, 64) and report.row("emb").shape == (32, 3, 10)


def test_digits_float64_can_promise_are_reported(report):
    row = report.row("W2")
    assert row.digits is not None and 3 <= row.digits <= 16
    assert report.row("b1").digits is None      # its exact gradient is 0 (batch norm removes b1)


def test_scalar_lowering_agrees_with_the_exact_check():
    """An independent backprop (Value graph, element by element) is within float64's bound, and
    so is the tensor engine's; the two differ only by rounding."""
    point = makemore_ninja(batch=8, seed=5)
    mine = scalar_gradients(point)
    rep = sg.check(PROGRAM, point, grads=mine)
    assert rep.ok and rep.verified and len(rep.rows) == len(NAMES)
    ours = sg.backprop(PROGRAM, point).grads
    for name in NAMES:
        np.testing.assert_allclose(ours[name], mine[name], rtol=1e-9, atol=1e-14)


def test_matches_pytorch_float64(point):
    torch = pytest.importorskip("torch")
    T = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k not in ("Xb", "Yb")) if k not in ("Xb", "Yb")
         else torch.tensor(v) for k, v in point.items()}
    n = T["Xb"].shape[0]
    emb = T["C"][T["Xb"]]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ T["W1"] + T["b1"]
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bnvar = 1 / (n - 1) * (bndiff ** 2).sum(0, keepdim=True)
    bnraw = bndiff * (bnvar + 1e-5) ** -0.5
    h = torch.tanh(T["bngain"] * bnraw + T["bnbias"])
    logits = h @ T["W2"] + T["b2"]
    loss = torch.nn.functional.cross_entropy(logits, T["Yb"])
    loss.backward()
    given = {k: T[k].grad.numpy() for k in ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")}
    rep = sg.check(PROGRAM, point, grads=given)
    assert rep.ok and rep.verified
    assert sg.backprop(PROGRAM, point).value == pytest.approx(loss.item(), rel=1e-14)


def test_one_element_perturbed_is_a_mismatch_that_names_it(point):
    grads = dict(sg.backprop(PROGRAM, point).grads)
    w1 = grads["W1"].copy()
    w1[7, 41] *= 1 + 1e-9
    rep = sg.check(PROGRAM, point, grads={"W1": w1, "W2": grads["W2"]})
    row = rep.row("W1")
    assert row.verdict == "mismatch" and row.disagree == 1 and row.worst == (7, 41)
    assert row.given == w1[7, 41] and row.exact == pytest.approx(grads["W1"][7, 41], rel=1e-12)
    assert "[7, 41]" in row.note and rep.row("W2").verdict == "agree"
    assert not rep.ok and rep.exit_code == 1


def test_a_gradient_of_the_wrong_shape_is_a_clear_verdict(point):
    grads = sg.backprop(PROGRAM, point).grads
    wrong = np.broadcast_to(grads["bnvar_inv"], (32, 64)) / 32      # the missing broadcast sum
    rep = sg.check(PROGRAM, point, grads={"bnvar_inv": wrong, "W2": grads["W2"].T})
    row = rep.row("bnvar_inv")
    assert row.verdict == "mismatch" and row.given_shape == (32, 64) and row.shape == (1, 64)
    assert "(32, 64)" in row.note and "(1, 64)" in row.note and "sum over axis 0 with keepdim=True" in row.note
    assert "transpose" in rep.row("W2").note
    assert "(32, 64) ≠ (1, 64)" in rep.table()


def test_outside_the_domain_is_undefined():
    rep = sg.check("L = sum(log(x))", x=np.array([1.0, 0.0]))
    assert {r.verdict for r in rep.rows} == {"undefined"}


def test_a_tie_in_max_is_not_called_agree():
    rep = sg.check("L = sum(max(x, dim=1))", x=np.array([[1.0, 1.0], [0.0, 2.0]]))
    assert rep.row("x").verdict == "unverified" and "tie" in rep.row("x").note


def test_grads_for_integer_data_is_refused(point):
    with pytest.raises(sg.InputError, match="integer data"):
        sg.check(PROGRAM, point, grads={"Xb": np.zeros((32, 3))})


def test_cli_check_reads_arrays_from_a_file(tmp_path, point):
    npz = tmp_path / "point.npz"
    np.savez(npz, **point)
    small = tmp_path / "point.json"
    small.write_text(json.dumps({"x": [[1.0, 2.0], [3.0, 4.0]], "w": [0.5, -1.0]}))
    env = {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "symgrad", "check", "-f", str(ROOT / "examples" / "makemore_ninja.sg"),
                           "--at-file", str(npz), "--json"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["ok"] and len(out["rows"]) == 27 and out["points"][0]["W1"] == [30, 64]
    done = subprocess.run([sys.executable, "-m", "symgrad", "grad", "L = sum(x @ w)", "--at-file", str(small), "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert json.loads(done.stdout)["grads"]["w"] == [4.0, 6.0]
