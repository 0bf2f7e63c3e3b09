"""Compiled functions run code generated from the AST: names that are Python
keywords, builtins or module names must stay plain data there."""

from __future__ import annotations

import pytest

import symgrad as sg

CASES = [
    ("lambda = x*2; lambda + 1", {"x": 1.0}),
    ("None = x; def = None*2; def", {"x": 3.0}),
    ("math = x; exp(math)*math", {"x": 1.0}),
    ("y = exp(x) + math + np", {"x": 1.0, "math": 2.0, "np": 0.5}),
    ("True + False * import", {"True": 1.0, "False": 2.0, "import": -1.0}),
    ("print + exec + eval + open + os + sys", {n: 1.0 for n in ("print", "exec", "eval", "open", "os", "sys")}),
    ("grad + out + self + value", {"grad": 1.0, "out": 2.0, "self": 3.0, "value": 4.0}),
]


@pytest.mark.parametrize("text, point", CASES, ids=[c[0][:20] for c in CASES])
def test_compiled_matches_backprop_for_hostile_names(text, point):
    expected = sg.backprop(text, point)
    got = sg.compile(text)(**point)
    assert got.value == expected.value
    assert got.grads == expected.grads
