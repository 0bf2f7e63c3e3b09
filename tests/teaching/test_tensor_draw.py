"""Tensor graphs: a record per value with its shape, its data and grad (small tensors in full, large
ones as mean, std, min and max), an ellipse per operation; the DOT text is stable."""

import numpy as np

from symgrad.teaching.tensor_draw import DrawNode, tensor_digraph, tensor_label_value


def test_small_tensors_in_full_and_large_ones_summarised():
    assert tensor_label_value(np.array([[1.0, -2.5], [0.125, 3.0]])) == ["[1, -2.5]", "[0.125, 3]"]
    big = np.arange(64.0).reshape(8, 8)          # mean 31.5, std 18.47, min 0, max 63
    assert tensor_label_value(big) == ["mean 31.5, std 18.47", "min 0, max 63"]
    assert tensor_label_value(np.array([3, 1, 26])) == ["[3, 1, 26]"]


def test_records_name_shape_data_and_grad_and_escape_labels():
    x = np.ones((2, 2))
    nodes = [DrawNode("x", "", (), x, x * 0), DrawNode("y{", "sum", (0,), np.float64(6.0), np.float64(1.0))]
    dot = tensor_digraph(nodes).source
    assert 'n0 [label="{ x (2, 2) | data [1, 1]\\n[1, 1] | grad [0, 0]\\n[0, 0] }" shape=record]' in dot
    assert "y\\{ ()" in dot and 'n1op [label="sum"]' in dot and "n0 -> n1op" in dot
    assert tensor_digraph(nodes).source == dot
    assert "grad ?" in tensor_digraph(nodes, show_grad=False).source
    compact = tensor_digraph(nodes, compact=True, rankdir="TB").source
    assert "y\\{ () = sum" in compact and "n0 -> n1\n" in compact and "n1op" not in compact


def test_sg_draw_of_a_tensor_program_shows_shapes():
    import symgrad as sg
    dot = sg.draw("y = x @ W; L = sum(y)", {"x": np.ones((2, 3)), "W": np.ones((3, 4))}, format="dot").source
    assert "x (2, 3)" in dot and "W (3, 4)" in dot and "y (2, 4)" in dot and "L ()" in dot
    # by hand: dL/dx = ones(2, 4) @ Wᵀ = 4 everywhere, dL/dW = xᵀ @ ones(2, 4) = 2 everywhere
    assert 'label="matmul"' in dot and "grad mean 4, std 0" in dot and "grad mean 2, std 0" in dot
