"""Messages a learner meets: ``where(x = 0, …)`` is a comparison written with =, ``Value.where``
called on the class is the module function, and the check says why huber(x, 0) is undefined in
the row's own words (delta > 0), as backprop does.

By hand: where(v > -1, 3v, v) at v = 2 is 6 with dv = 3; at v = −2 it is −2 with dv = 1.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import symgrad as sg
from symgrad.base.errors import ParseError


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True)


def test_an_equals_in_a_where_condition_says_to_compare_with_double_equals():
    with pytest.raises(ParseError) as err:
        sg.parse("where(x = 0, 1, 2)")
    assert "keyword" not in str(err.value)
    assert err.value.hint == "to compare, write == (a single = assigns a name)"
    assert (err.value.line, err.value.column) == (1, 9)         # the =
    out = _cli("grad", "where(x = 0, 1, 2)", "--at", "x=1")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert out.stderr.startswith("symgrad: error: 1:9:") and "write ==" in out.stderr


@pytest.mark.parametrize("v, value, grad", [(2.0, 6.0, 3.0), (-2.0, -2.0, 1.0)])
def test_value_where_on_the_class_is_the_module_function(v, value, grad):
    x = sg.Value(v)
    out = sg.Value.where(x > -1, x * 3, x)
    out.backward()
    assert (out.data, x.grad) == (value, grad)


def test_the_check_says_the_rows_why_for_huber_and_smooth_l1():
    for program, why in (("huber(x, 0)", "huber needs delta > 0"), ("smooth_l1(x, 0)", "smooth_l1 needs beta > 0")):
        report = sg.check(program, {"x": 1.0})
        assert report.rows[0].verdict == "undefined"
        assert why in report.rows[0].note and "Piecewise" not in report.rows[0].note, report.rows[0].note
        out = _cli("check", program, "--at", "x=1")
        assert why in out.stdout and "Piecewise" not in out.stdout
