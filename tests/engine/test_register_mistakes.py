"""``symgrad.register`` with mistakes a new user makes: each one a symgrad error, the table unchanged.

Before: a non-ASCII name ("fé") was registered although the grammar cannot call it; an argument
named "1a" ended in arity hints ("write cube(1a)"); a misspelt option raised Python's raw TypeError.
A bad ``rounding=`` or a ``sympy_domain=`` that disagrees with the domain is a RowError too.
"""

from __future__ import annotations

import pytest

import symgrad as sg
from symgrad.rules import table


def _call(name, **kw):
    return sg.register(name, lambda x: 2.0 * x, lambda x, out: (2.0,), sympy=lambda sp, x: 2 * x, **kw)


@pytest.mark.parametrize("name, kw", [
    ("fé", {}),
    ("twice", {"args": ("1a",)}),
    ("twice", {"args": ("x é",)}),
    ("twice", {"rounding": (1, 1)}),                     # not three counts
    ("twice", {"sympy_domain": lambda sp, x: x > 0}),    # disagrees with the (absent) domain at x < 0
    ("twice", {"domian": lambda x: x > 0}),
])
def test_bad_registration_is_a_symgrad_error_and_changes_nothing(name, kw):
    before = (dict(table.RULES), dict(table.FUNCTIONS))
    with pytest.raises(sg.SymgradError) as err:
        _call(name, **kw)
    assert "\n" not in err.value.summary
    assert (dict(table.RULES), dict(table.FUNCTIONS)) == before
    assert not hasattr(sg.Value, name)
