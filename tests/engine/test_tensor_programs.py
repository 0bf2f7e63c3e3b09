"""Tensor programs: the language's tensor forms, forward and backprop over numpy, shape errors, limits.

Golden gradients come from hand derivations written with numpy (dW = xᵀ·dY, db = Σ over the broadcast
axis, var's 2(x − x̄)/(N − correction)), never from symgrad's own output.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg

R = np.random.default_rng(3)


# --- the language: PyTorch's spellings read into one AST ----------------------------------------
@pytest.mark.parametrize("a,b", [
    ("x.sum(1, keepdim=True)", "sum(x, 1, keepdim=True)"),
    ("sum(x, 1, True)", "sum(x, dim=1, keepdims=True)"),
    ("sum(x, 1, keepdim)", "sum(x, 1, keepdim=True)"),       # the claims' bare flag
    ("x.max(1, keepdim=True).values", "max(x, dim=1, keepdim=True)"),
    ("torch.cat([a, b], 1)", "cat([a, b], dim=1)"),
    ("F.cross_entropy(l, Y)", "cross_entropy(l, Y)"),
    ("x.view(x.shape[0], -1)", "reshape(x, size(x, 0), -1)"),
    ("var(x, 0, unbiased=False)", "var(x, 0, correction=0)"),
    ("x.exp().log()", "log(exp(x))"),
    ("transpose(x, 0, 1)", "x.transpose(0, 1)"),
])
def test_spellings_give_one_ast(a, b):
    assert sg.parse(a) == sg.parse(b)
    assert sg.parse(a).inputs == sg.parse(b).inputs


@pytest.mark.parametrize("text", [
    "y = x.sum(1, keepdim=True) @ W.T", "L = -mean(lp[range(n), Y])", "m = max(x, dim=-1)",
    "v = var(h, 0, keepdim=True, correction=0)", "c = cat([a, b], 1)", "s = softmax(z, 1) @ (a + b).T",
    "e = C[X]\nf = e.view(e.shape[0], -1)", "q = -x[0] ** 2",
])
def test_tensor_programs_round_trip(text):
    program = sg.parse(text)
    assert sg.parse(sg.unparse(program)) == program


def test_two_argument_max_stays_the_scalar_row():
    """max(a, b) is elementwise (the scalar row); the reduction needs dim= or method syntax."""
    assert sg.parse("max(x, 1)").statements[0].expr.rule == "max"
    assert sg.parse("max(x, dim=1)").statements[0].expr.rule == "amax"
    assert sg.parse("x.max(1)").statements[0].expr.rule == "amax"
    result = sg.backprop("max(a, b) * 2", a=3.0, b=1.0)
    assert type(result) is sg.Result and result.grads == {"a": 2.0, "b": 0.0}
    # elementwise on arrays: relu by hand
    x = np.array([-1.0, 2.0, 0.5])
    r = sg.backprop("L = sum(max(x, 0) * w)", x=x, w=np.ones(3))
    np.testing.assert_array_equal(r.grads["x"], [0.0, 1.0, 1.0])


@pytest.mark.parametrize("text,message", [
    ("sum(x, 1, foo=True)", "unexpected keyword foo"),
    ("exp(x, keepdim=True)", "takes no keyword arguments"),
    ("y = [a, b] + c", "only cat's first argument"),
    ("sum(x, d)", "a dim is an integer literal"),
    ("sum(x, 1, keepdim=2)", "a flag is True or False"),
    ("x.foo", "unknown attribute .foo"),
    ("softmax(x)", "missing its argument dim"),
])
def test_malformed_tensor_calls_are_located_parse_errors(text, message):
    with pytest.raises(sg.ParseError) as info:
        sg.parse(text)
    assert message in str(info.value) and info.value.line == 1


# --- forward and backprop ------------------------------------------------------------------------
def test_linear_layer_gradients_match_the_matrix_rules():
    x, W, b = R.standard_normal((5, 3)), R.standard_normal((3, 4)), R.standard_normal(4)
    r = sg.backprop("y = x @ W + b; L = sum(y * y)", x=x, W=W, b=b)
    dy = 2 * (x @ W + b)
    np.testing.assert_allclose(r.grads["W"], x.T @ dy, rtol=1e-13)
    np.testing.assert_allclose(r.grads["x"], dy @ W.T, rtol=1e-13)
    np.testing.assert_allclose(r.grads["b"], dy.sum(0), rtol=1e-13)     # the broadcast axis summed
    assert r.grads["y"].shape == (5, 4) and isinstance(r, sg.TensorResult)


def test_var_with_and_without_bessels_correction():
    x = R.standard_normal((6, 2))
    for flag, ddof in (("True", 1), ("False", 0)):
        r = sg.backprop(f"L = sum(var(x, 0, unbiased={flag}))", x=x)
        assert r.value == pytest.approx(np.var(x, axis=0, ddof=ddof).sum(), rel=1e-14)
        np.testing.assert_allclose(r.grads["x"], 2 * (x - x.mean(0)) / (6 - ddof), rtol=1e-13)


def test_cross_entropy_is_pytorchs_mean_of_minus_log_softmax():
    logits, y = R.standard_normal((4, 5)), np.array([0, 3, 3, 1])
    r = sg.backprop("L = cross_entropy(logits, y)", logits=logits, y=y)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert r.value == pytest.approx(-np.log(p[range(4), y]).mean(), rel=1e-14)
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(r.grads["logits"], (p - onehot) / 4, rtol=1e-12, atol=1e-17)
    assert "y" not in r.grads                 # integer targets take no gradient


def test_embedding_lookup_scatters_and_adds_repeated_rows():
    C = R.standard_normal((4, 2))
    r = sg.backprop("L = sum(C[X])", C=C, X=np.array([[0, 0], [3, 0]]))
    np.testing.assert_array_equal(r.grads["C"], [[3, 3], [0, 0], [0, 0], [1, 1]])


def test_nested_lists_and_sizes_without_an_input():
    r = sg.backprop("n = x.shape[0]; L = sum(x * w) / n", x=[1.0, 2.0, 4.0], w=[3.0, 5.0, 7.0])
    np.testing.assert_array_equal(r.grads["w"], np.array([1.0, 2.0, 4.0]) / 3)
    assert r.values["n"] == 3 and "n" not in r.grads


def test_a_float_list_used_as_an_index_must_hold_whole_numbers():
    with pytest.raises(sg.InputError, match="whole numbers"):
        sg.backprop("L = sum(C[X])", C=np.ones((3, 2)), X=[0.5, 1.0])
    r = sg.backprop("L = sum(C[X])", C=np.ones((3, 2)), X=[2.0, 1.0])
    assert set(r.grads) == {"C", "L"}          # X is integer data: no gradient


def test_scalar_programs_at_scalar_points_keep_the_scalar_engine():
    r = sg.backprop("e = a*b; d = e + c; L = d*f", a=2, b=-3, c=10, f=-2)
    assert type(r) is sg.Result and r.grads["a"] == 6.0


# --- errors ------------------------------------------------------------------------------------
def test_broadcast_mismatch_names_the_operation_the_shapes_and_the_rule():
    with pytest.raises(sg.ShapeError) as info:
        sg.backprop("y = a + b\nL = sum(y)", a=np.ones((2, 3)), b=np.ones((3, 2)))
    text = str(info.value)
    assert "add" in text and "(2, 3)" in text and "(3, 2)" in text and "broadcast" in text
    assert info.value.line == 1 and info.value.column == 5


def test_matmul_inner_sizes():
    with pytest.raises(sg.ShapeError, match=r"inner sizes 3 and 2 differ"):
        sg.backprop("L = sum(a @ b)", a=np.ones((2, 3)), b=np.ones((2, 3)))


def test_index_out_of_range_and_cross_entropy_shapes():
    with pytest.raises(sg.ShapeError, match="out of range for dim 0 of size 3"):
        sg.backprop("L = sum(C[X])", C=np.ones((3, 2)), X=np.array([3]))
    with pytest.raises(sg.ShapeError, match=r"logits \(N, C\) with integer targets \(N,\)"):
        sg.backprop("L = cross_entropy(l, y)", l=np.ones((3, 4)), y=np.array([0, 1]))


def test_backprop_needs_one_number_out():
    with pytest.raises(sg.ShapeError, match="output has shape"):
        sg.backprop("y = x * 2", x=np.ones(3))


def test_domain_error_names_the_element():
    with pytest.raises(sg.DomainError) as info:
        sg.backprop("L = sum(log(x))", x=np.array([1.0, -2.0]))
    assert "[1]" in str(info.value)


def test_sizes_are_bounded_by_limits():
    with pytest.raises(sg.LimitError) as info:
        sg.backprop("L = sum(x)", x=np.ones((5, 5)), limits=sg.Limits(max_tensor_elements=10))
    assert info.value.limit == "max_tensor_elements"
    with pytest.raises(sg.LimitError):                  # an outer product bigger than its inputs
        sg.backprop("L = sum(a @ b)", a=np.ones((9, 1)), b=np.ones((1, 9)), limits=sg.Limits(max_tensor_elements=50))


def test_tensor_function_names_are_reserved_from_register():
    with pytest.raises(sg.InputError, match="already a function"):
        sg.register("softmax", lambda x: x, lambda x, out: (1.0,), sympy=lambda sp, x: x)


def test_scalar_only_features_refuse_a_tensor_program_clearly():
    with pytest.raises(sg.InputError, match="tensor operation"):
        sg.diff("L = sum(x)", "x")
    with pytest.raises(sg.InputError, match="tensor operation"):
        sg.compile("L = sum(x)")


def test_a_reduction_of_an_empty_tensor_says_so():
    # mean of no elements is 0/0 (PyTorch gives nan): a located NumericError naming the empty shape
    with pytest.raises(sg.NumericError, match=r"reduces an empty tensor of shape \(0,\).*at least one element"):
        sg.backprop("L = mean(x)", x=np.zeros((0,)))
