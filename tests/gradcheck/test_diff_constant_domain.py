"""``diff`` refuses a program whose constant argument is out of its row's domain, as backprop and
the check do, instead of SymPy's answer for it (``sqrt(-1)`` is ``I``; huber(x, 0)'s form is 0).

By hand: huber and smooth_l1 need delta, beta > 0; sqrt needs x ≥ 0; log needs x > 0; a divisor
must not be 0. A where's untaken branch may fail (as in backprop), and a constant inside the
domain (huber(x, 1): slope x for |x| < 1, sign(x) beyond) is differentiated as before.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy

import symgrad as sg
from symgrad.base.errors import DomainError

BAD = [("smooth_l1(x, 0)", "smooth_l1 needs beta > 0", "1:1"),
       ("huber(x, 0)", "huber needs delta > 0", "1:1"),
       ("huber(x, -1)", "huber needs delta > 0", "1:1"),
       ("smooth_l1(x, -1)", "smooth_l1 needs beta > 0", "1:1"),
       ("sqrt(-1)*x", "sqrt needs a non-negative argument", "1:1"),
       ("x*log(-2)", "log needs a positive argument", "1:3"),
       ("a = 0 - 1\ny = x*sqrt(a)", "sqrt needs a non-negative argument", "2:7"),
       ("x/0", "the divisor must not be 0", "1:1")]


@pytest.mark.parametrize("program, why, at", BAD)
def test_a_constant_out_of_its_domain_is_a_located_domain_error(program, why, at):
    with pytest.raises(DomainError) as err:
        sg.diff(program, "x")
    assert why in str(err.value) and str(err.value).startswith(at) and err.value.hint


@pytest.mark.parametrize("program, why, at", BAD[:5])
def test_the_cli_says_one_error_line(program, why, at):
    out = subprocess.run([sys.executable, "-m", "symgrad", "diff", program, "--wrt", "x"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symgrad: error:") and why in lines[0]


def test_constants_inside_the_domain_and_untaken_branches_still_differentiate():
    x = sympy.Symbol("x", real=True)
    assert sympy.simplify(sg.diff("huber(x, 1)", "x").subs(x, sympy.Rational(1, 2)) - sympy.Rational(1, 2)) == 0
    assert sympy.simplify(sg.diff("x*sqrt(4)", "x") - 2) == 0
    assert sg.diff("where(x > 0, x, log(0))", "x").subs(x, 3) == 1
