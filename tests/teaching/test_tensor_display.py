"""Tensors on a page: summaries and full printing (hand-computed numbers), and the backward rules
in matrix notation (the textbook vjps: Y = A B gives dA = dY Bᵀ and dB = Aᵀ dY; a broadcast bias
gets dY summed over the broadcast dim)."""

import numpy as np

from symgrad.rules.table import RULES
from symgrad.teaching.tensor_display import is_small, matrix_latex, matrix_mathml, matrix_text, shape_text, summary
from symgrad.teaching.tensor_rules import Arg, matrix_rule


def test_summary_of_floats_and_of_an_index_tensor():
    a = np.array([[1.0, 2.0], [3.0, 6.0]])      # mean 3, std sqrt(3.5) = 1.8708
    assert summary(a) == "mean 3, std 1.871, min 1, max 6"
    assert summary(np.array([3, 0, 26])) == "integers 0 … 26"
    assert summary(np.zeros((0, 3))) == "empty"


def test_small_tensors_print_in_full_and_large_ones_do_not():
    assert is_small(np.zeros((3, 4))) and is_small(np.float64(2.0)) and is_small(np.zeros(4))
    assert not is_small(np.zeros((32, 64))) and not is_small(np.zeros((2, 5))) and not is_small(np.zeros((2, 2, 2)))
    m = np.array([[1.0, -0.5], [0.25, 2.0]])
    assert matrix_latex(m) == r"\left[\begin{smallmatrix}1 & -0.5 \\ 0.25 & 2\end{smallmatrix}\right]"
    assert matrix_text(m) == "[[1, -0.5], [0.25, 2]]"
    assert matrix_text(np.array([1.5, 2.0])) == "[1.5, 2]"
    assert matrix_latex(np.float64(-0.0)) == "0"
    assert "<mtable" in matrix_mathml(m) and "&#x2212;" in matrix_mathml(m)
    assert shape_text((27,)) == "(27,)" and shape_text(()) == "()" and shape_text((32, 64)) == "(32, 64)"


def test_matmul_rule_is_dY_Wt_and_Xt_dY():
    lines = matrix_rule("matmul", "logits", [Arg("h", (32, 64)), Arg("W2", (64, 27))], (32, 27))
    assert [l.child for l in lines] == ["h", "W2"]
    assert lines[0].latex == r"\mathrm{d}h \mathrel{+}= \mathrm{d}\mathit{logits}\,W_{2}^{\top}"
    assert lines[1].latex == r"\mathrm{d}W_{2} \mathrel{+}= h^{\top}\,\mathrm{d}\mathit{logits}"
    assert "&#x22A4;" in lines[0].mathml


def test_broadcast_add_sums_over_the_broadcast_dim_only_for_the_bias():
    lines = matrix_rule("add", "hprebn", [Arg("t1", (32, 64)), Arg("b1", (64,))], (32, 64))
    assert lines[0].latex == r"\mathrm{d}t_{1} \mathrel{+}= \mathrm{d}\mathit{hprebn}"
    assert lines[1].latex == r"\mathrm{d}b_{1} \mathrel{+}= \sum_{\text{dim 0}} \mathrm{d}\mathit{hprebn}"


def test_elementwise_row_uses_its_own_local_derivative():
    lines = matrix_rule("tanh", "h", [Arg("hpreact", (32, 64))], (32, 64), RULES["tanh"])
    assert lines[0].latex == r"\mathrm{d}\mathit{hpreact} \mathrel{+}= \mathrm{d}h \odot \left(1 - h^{2}\right)"


def test_mean_divides_by_the_count_and_cross_entropy_is_softmax_minus_onehot_over_n():
    mean = matrix_rule("mean", "m", [Arg("x", (32, 64)), Arg(None, (), 0), Arg(None, (), 1)], (1, 64))
    assert "/ 32" in mean[0].latex and "copied along dim 0" in mean[0].latex
    ce = matrix_rule("cross_entropy", "loss", [Arg("logits", (32, 27)), Arg("Yb", (32,))], ())
    assert r"\operatorname{softmax}\left(\mathit{logits}\right) - \operatorname{onehot}" in ce[0].latex
    assert ce[0].latex.endswith("/ 32")


def test_bessel_corrected_variance_divides_by_n_minus_one():
    v = matrix_rule("var", "v", [Arg("x", (32, 64)), Arg(None, (), 1), Arg(None, (), 0), Arg(None, (), 1)], (1, 64))
    assert v[0].latex.endswith("/ 31")
