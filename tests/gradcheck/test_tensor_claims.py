"""Tensor claims: the lecture's manual backward pass of makemore part 4 ("Becoming a Backprop
Ninja", every line of exercise 1) is all `correct`, and each classic mistake of that exercise is
`wrong` with the explanation a teacher would give. The golden formulas are the lecture's own lines;
the mistakes are built from them by hand (a dropped sum, transpose, 1/n, Bessel's n−1, a sign, an
axis), so each expected explanation is known independently of symgrad."""

import numpy as np
import pytest

from helpers.ninja import NINJA, NINJA_CLAIMS, ninja_point
from symgrad.base.errors import InputError
from symgrad.gradcheck.tensor_claims import TensorClaims, judge_tensor_claims
from symgrad.interface.cli.check import claim_lines


@pytest.fixture(scope="module")
def ninja():
    return TensorClaims(NINJA.read_text(), ninja_point())


def test_the_lectures_manual_backward_pass_is_all_correct(ninja):
    claims = claim_lines(NINJA_CLAIMS.read_text(), "claims")
    assert len(claims) == 26          # every line of the lecture's exercise 1, and dbnmeani
    rows = [ninja.judge(k, v) for k, v in claims.items()]
    wrong = [(r.key, r.verdict, r.message) for r in rows if r.verdict != "correct"]
    assert wrong == []
    assert all(r.points == 2 for r in rows)       # the given point and the seeded second point
    # dlogit_maxes and db1 are exactly 0 (softmax rows sum to 1; batch norm removes b1): settled by the probe
    probed = {r.key for r in rows if "probe" in r.message}
    assert probed == {"dlogit_maxes", "db1"}


def test_missing_sum_over_the_broadcast_axis(ninja):
    row = ninja.judge("dbnvar_inv", "bndiff * dbnraw")
    assert row.verdict == "wrong" and row.kinds == ("sum",)
    assert row.shape == (32, 64) and row.needed == (1, 64)
    assert "dbnvar_inv has shape (32, 64) but needs (1, 64)" in row.message
    assert "sum over dim 0 with keepdim=True" in row.message and "which gives the gradient" in row.message


def test_missing_transpose(ninja):
    row = ninja.judge("dW2", "dlogits.T @ h")
    assert row.verdict == "wrong" and row.kinds == ("transpose",)
    assert "has shape (27, 64) but needs (64, 27)" in row.message and "transpose (.T) is missing" in row.message


def test_a_factor_of_n(ninja):
    row = ninja.judge("dlogprobs", "-one_hot(Yb, 27)")           # forgot the mean's 1/n
    assert row.verdict == "wrong" and row.kinds == ("factor",)
    assert "n = 32 × the gradient: divide by n" in row.message
    assert row.first[0].claimed == -1.0 and row.first[0].exact == -1 / 32


def test_n_instead_of_n_minus_one(ninja):
    row = ninja.judge("dbndiff2", "1.0 / n * ones_like(bndiff2) * dbnvar")
    assert row.verdict == "wrong" and row.kinds == ("factor",)
    assert "(n−1)/n = 31/32" in row.message and "Bessel's correction" in row.message


def test_a_sign(ninja):
    row = ninja.judge("dcounts_sum", "counts_sum**-2 * dcounts_sum_inv")
    assert row.verdict == "wrong" and row.kinds == ("sign",)
    assert "−1 × the gradient: the sign is wrong" in row.message


def test_a_wrong_axis(ninja):
    row = ninja.judge("db2", "dlogits.sum(1)")
    assert row.verdict == "wrong" and row.kinds == ("axis",)
    assert "db2 has shape (32,) but needs (27,)" in row.message
    assert "reduces over dim 1 where dim 0 gives the gradient" in row.message
    kept = ninja.judge("dcounts_sum_inv", "(counts * dprobs).sum(0, keepdim=True)")
    assert kept.verdict == "wrong" and "reduces over dim 0 where dim 1 gives the gradient" in kept.message


def test_a_shape_error(ninja):
    row = ninja.judge("dh", "dlogits @ W2")
    assert row.verdict == "wrong" and row.shape is None and row.kinds == ("shape",)
    assert "cannot be evaluated" in row.message and "(32, 27) @ (64, 27)" in row.message


def test_a_missing_chain_rule_factor(ninja):
    row = ninja.judge("dhpreact", "dh")
    assert row.verdict == "wrong" and row.kinds == ("chain",)
    assert "missing chain-rule factor ∂h/∂hpreact = 1 - h^2" in row.message
    gain = ninja.judge("dbnraw", "dhpreact")
    assert gain.kinds == ("chain",) and "= bngain" in gain.message


def test_a_dropped_keepdim(ninja):
    row = ninja.judge("dbnmeani", "(-dbndiff).sum(0)")
    assert row.verdict == "wrong" and row.kinds == ("keepdim",)
    assert "keepdim=True" in row.message


def test_each_line_is_judged_with_the_exact_upstream_gradient(ninja):
    # a wrong dlogprobs does not make the (right) dprobs line wrong: dprobs reads the exact dlogprobs
    rows = [ninja.judge("dlogprobs", "-one_hot(Yb, 27)"), ninja.judge("dprobs", "(1.0 / probs) * dlogprobs")]
    assert [r.verdict for r in rows] == ["wrong", "correct"]


def test_grad_call_reads_a_gradient_as_dname_does(ninja):
    assert ninja.judge("W2", "h.T @ grad(logits)").verdict == "correct"


def test_differing_elements_are_named_with_both_values(ninja):
    row = ninja.judge("dprobs", "(1.0 / probs) * dlogprobs * 1.0000001")
    assert row.verdict == "wrong" and row.differing == 32     # only the 32 target elements are nonzero
    first = row.first[0]
    assert first.claimed == pytest.approx(first.exact * 1.0000001, rel=1e-12)
    assert f"[{first.index[0]}, {first.index[1]}]" in row.message


def test_unknown_names_and_nodes_are_input_errors_with_a_suggestion(ninja):
    with pytest.raises(InputError, match="did you mean dlogits"):
        ninja.judge("dh", "dlogit @ W2.T")
    with pytest.raises(InputError, match="no gradient"):
        ninja.judge("dXb", "Xb")                               # integer data takes no gradient


def test_right_at_the_point_only():
    # d(sum(x*x))/dx = 2x; x*x + x equals it where x is 0 or 1 only
    rows = judge_tensor_claims("y = x * x\nL = sum(y)", {"x": np.array([1.0, 1.0, 0.0])}, {"dx": "x * x + x"})
    assert rows[0].verdict == "correct here, wrong elsewhere"


def test_check_with_claims_puts_each_verdict_in_its_row():
    import symgrad as sg
    report = sg.check(NINJA.read_text(), ninja_point(), claims={"dW2": "h.T @ dlogits", "db2": "dlogits.sum(1)"})
    assert report.row("W2").verdict == "correct" and report.row("b2").verdict == "wrong"
    assert "reduces over dim 1 where dim 0" in report.row("b2").note
    assert report.row("W1").verdict == "agree" and report.exit_code == 1
    assert [c.key for c in report.claims] == ["dW2", "db2"]


def test_cli_check_reads_the_lectures_claims_file(tmp_path):
    import subprocess
    import sys
    point = tmp_path / "point.npz"
    np.savez(point, **ninja_point())
    proc = subprocess.run([sys.executable, "-m", "symgrad", "check", "-f", str(NINJA), "--at-file", str(point),
                           "--claims", str(NINJA_CLAIMS)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": correct: ") == 26
    bad = tmp_path / "bad.claims"
    bad.write_text("dW2 = dlogits.T @ h   # a missing transpose\n")
    proc = subprocess.run([sys.executable, "-m", "symgrad", "check", "-f", str(NINJA), "--at-file", str(point),
                           "--claims", str(bad)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "transpose (.T) is missing" in proc.stdout


def test_claim_lines_read_the_lectures_spelling_and_refuse_a_bad_line():
    assert claim_lines("# a comment\n\ndW2 = h.T @ dlogits  # trailing\n", "f") == {"dW2": "h.T @ dlogits"}
    with pytest.raises(InputError, match="line 2"):
        claim_lines("dW2 = h.T @ dlogits\ndW2 += x\n", "f")
    with pytest.raises(InputError, match="a second claim"):
        claim_lines("a = x\na = y\n", "f")
