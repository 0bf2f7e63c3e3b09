"""The ball namespace of the tensor claims: each row it computes straight on arb (div, tanh, exp,
log, a constant power) gives the same balls as the row's own SymPy form and partials (``row_forms``,
the check's source of truth), and ties of max are refused, not guessed."""

from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from symgrad.gradcheck.balls import Undetermined
from symgrad.gradcheck.row_forms import row_forms
from symgrad.gradcheck.tensor_arb import BALLS, balls
from symgrad.rules.table import RULES

R = np.random.default_rng(3)


def _close(a, b):
    return all(abs(x - y) < 1e-60 * (1 + abs(y)) for x, y in zip(np.ravel(a), np.ravel(b)))


@pytest.mark.parametrize("name", ["div", "tanh", "exp", "log"])
def test_fast_rows_equal_the_rows_sympy_forms(name):
    row = RULES[name]
    args = [balls(np.abs(R.standard_normal(6)) + 0.1) for _ in range(row.arity)]
    with BALLS.precision():
        value = BALLS.apply(row, *args)
        local = BALLS.local(row, *args, out=value)
        forms = row_forms(row, (None,) * row.arity)
        for i in range(6):
            point = [a[i] for a in args]
            assert _close([value[i]], [forms.value.run(point)])
            for j, partial in enumerate(forms.partials):
                assert _close([local[j][i]], [partial.run(point)])


@pytest.mark.parametrize("k", [2.0, 3.0, -1.0, -2.0, -0.5, -1.5])
def test_constant_powers_equal_the_rows_sympy_form(k):
    row = RULES["powc"]
    x = balls(np.abs(R.standard_normal(5)) + 0.2)
    with BALLS.precision():
        value = BALLS.apply(row, x, np.asarray(k))
        slope = BALLS.local(row, x, np.asarray(k), out=value)[0]
        forms = row_forms(row, (None, Fraction(k)))
        for i in range(5):
            assert _close([value[i]], [forms.value.run([x[i], arb(k)])])
            assert _close([slope[i]], [forms.partials[0].run([x[i], arb(k)])])


def test_a_tie_of_max_is_undetermined():
    x = balls(np.array([[1.0, 2.0, 2.0]]))
    with pytest.raises(Undetermined):
        BALLS.argmax(x, 1)
    assert BALLS.argmax(balls(np.array([[1.0, 3.0, 2.0]])), 1).tolist() == [1]
