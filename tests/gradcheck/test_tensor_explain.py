"""The diagnosis of a wrong tensor gradient, on hand-made arrays (no language, no engine): each
mistake of the backprop-ninja exercise is built by hand from a known gradient, and the explanation
must name it."""

import numpy as np
import pytest

from symgrad.gradcheck.tensor_explain import broadcast_axes, differences, explain

RNG = np.random.default_rng(7)
G = RNG.standard_normal((4, 3))          # a (4, 3) upstream gradient
ROW = G.sum(axis=0, keepdims=True)       # the gradient of a (1, 3) node broadcast along dim 0


def test_missing_sum_over_the_broadcast_axis_names_the_axis_and_keepdim():
    ex = explain(G, ROW, name="dbnvar_inv", node="bnvar_inv")
    assert ex.kinds == ("sum",)
    assert ex.axes == (0,)
    assert "dbnvar_inv has shape (4, 3) but needs (1, 3), the shape of bnvar_inv" in ex.message
    assert "sum over dim 0 with keepdim=True" in ex.message
    assert "which gives the gradient" in ex.message


def test_missing_sum_without_keepdim_for_a_bias_vector():
    ex = explain(G, G.sum(axis=0), name="db", node="b")
    assert ex.kinds == ("sum",) and ex.axes == (0,)
    assert "keepdim" not in ex.message and "needs (3,)" in ex.message


def test_a_sum_that_cancels_to_zero_is_still_recognised():
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    d = p - np.array([[0, 1, 0], [1, 0, 0]])          # rows sum to exactly 0 mathematically
    ex = explain(d, d.sum(axis=1, keepdims=True))
    assert ex.kinds == ("sum",) and ex.axes == (1,)


def test_missing_sum_then_a_factor_of_n():
    ex = explain(4 * G, ROW, sizes={"n": 4})
    assert ex.kinds == ("sum", "factor")
    assert "n = 4 × the gradient" in ex.message and "divide by n" in ex.message


def test_missing_transpose_of_a_rectangular_matrix():
    ex = explain(G.T, G, name="dW2", node="W2")
    assert ex.kinds == ("transpose",)
    assert "has shape (3, 4) but needs (4, 3)" in ex.message and ".T" in ex.message
    assert "the transpose is the gradient" in ex.message


def test_missing_transpose_of_a_square_matrix():
    S = RNG.standard_normal((3, 3))
    ex = explain(S.T, S)
    assert ex.kinds == ("transpose",)


@pytest.mark.parametrize("k, sizes, words", [
    (32.0, {"n": 32}, "n = 32 × the gradient: divide by n"),
    (1 / 32, {"n": 32}, "1/n = 1/32 × the gradient"),
    (32 / 31, {"n": 32}, "n/(n−1) = 32/31"),
    (31 / 32, {"n": 32}, "Bessel's correction"),
    (-1.0, {"n": 32}, "−1 × the gradient: the sign is wrong"),
    (-32.0, {"n": 32}, "−n = −32"),
    (2.0, {}, "2 × the gradient"),
    (3.5, {}, "3.5 × the gradient everywhere (a constant factor)"),
])
def test_constant_factors_are_named(k, sizes, words):
    ex = explain(k * G, G, sizes=sizes)
    assert ex.factor == pytest.approx(k, rel=1e-12)
    assert words in ex.message
    assert ex.kinds == (("sign",) if k == -1 else ("factor",))


def test_a_factor_with_exact_zeros_in_the_gradient():
    onehot = np.zeros((3, 5))
    onehot[[0, 1, 2], [4, 0, 2]] = 1.0
    exact = -onehot / 3                                # dlogprobs: −1/n at the targets
    ex = explain(-onehot, exact, sizes={"n": 3})
    assert ex.kinds == ("factor",) and "n = 3" in ex.message


def test_sum_over_the_wrong_axis_with_keepdim():
    ex = explain(G.sum(axis=1, keepdims=True), ROW, name="dbnvar_inv")
    assert ex.kinds == ("axis",)
    assert "has shape (4, 1) but needs (1, 3)" in ex.message
    assert "reduced over dim 1 where the sum must be over dim 0" in ex.message


def test_missing_broadcast_of_a_row():
    full = np.broadcast_to(ROW, G.shape)
    ex = explain(ROW, full, name="dhprebn", node="hprebn")
    assert ex.kinds == ("broadcast",) and "broadcast along dim 0" in ex.message


def test_missing_chain_rule_factor_from_the_candidates():
    h = np.tanh(RNG.standard_normal((4, 3)))
    ex = explain(G, G * (1 - h ** 2), name="dhpreact", factors={"(1 − h²)": 1 - h ** 2, "h": h})
    assert ex.kinds == ("chain",)
    assert "missing chain-rule factor (1 − h²)" in ex.message


def test_elements_that_differ_are_listed_first_in_c_order_with_their_count():
    wrong = G.copy()
    wrong[1, 2] += 1.0
    wrong[3, 0] *= 1.5
    ex = explain(wrong, G)
    assert ex.kinds == ("elements",)
    assert ex.count == 2 and ex.total == 12
    assert [d.index for d in ex.differences] == [(1, 2), (3, 0)]
    assert ex.differences[0].claimed == wrong[1, 2] and ex.differences[0].exact == G[1, 2]
    assert "2 of 12 elements differ, first [1, 2]" in ex.message


def test_an_unrelated_shape_says_so():
    ex = explain(np.zeros((5, 7)), G)
    assert ex.kinds == ("shape",) and "has shape (5, 7) but needs (4, 3)" in ex.message


def test_broadcast_axes_follows_numpys_rules():
    assert broadcast_axes((1, 3), (4, 3)) == ((0,), True)
    assert broadcast_axes((3,), (4, 3)) == ((0,), False)
    assert broadcast_axes((4, 1), (4, 3)) == ((1,), True)
    assert broadcast_axes((), (4, 3)) == ((0, 1), False)
    assert broadcast_axes((2, 3), (4, 3)) is None
    assert broadcast_axes((4, 3), (4, 3)) is None


def test_differences_of_equal_arrays_are_none():
    assert differences(G, G.copy()) == ((), 0)
