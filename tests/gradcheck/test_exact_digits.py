"""Exact numbers built from a program's constants are bounded in digits (Limits.max_exact_digits),
predicted from the structure before SymPy builds them, the same in check, diff, worksheets,
claims and graded answers.

Golden sizes come from Python integers, not from symgrad: 3^9801 has len(str(3**9801)) digits.
"""

import os
import subprocess
import sys

import pytest
import sympy

import symgrad as sg
from symgrad.base.errors import LimitError
from symgrad.gradcheck.claims import judge_claims, judge_expression
from symgrad.gradcheck.symbolic import diff
from symgrad.teaching.worksheet import build_worksheet
from helpers import ROOT

BOMB = "y = x * ((3^-999)^999)^200"          # 95 million digits if built
DIFF_BOMB = "y = x * ((3^-99)^99)^99"        # 463,000 digits: past Python's 4,300-digit printing limit


class sys_digits:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(self.n)

    def __exit__(self, *exc):
        sys.set_int_max_str_digits(self.old)


def refused(call, line=1, column=11) -> LimitError:
    with pytest.raises(LimitError) as info:
        call()
    err = info.value
    assert err.limit == "max_exact_digits"
    assert "max_exact_digits" in str(err) and "digits" in err.message
    assert (err.line, err.column) == (line, column)   # at the first power past the bound (its span starts at the base)
    return err


def test_the_bound_is_a_documented_limit():
    assert sg.Limits().max_exact_digits == 4_000 < sys.get_int_max_str_digits()
    assert "max_exact_digits" in sg.Limits.__doc__


@pytest.mark.parametrize("program", [BOMB, DIFF_BOMB])
def test_diff_check_and_worksheet_refuse_a_power_tower_of_constants(program):
    refused(lambda: diff(program, "x"))
    refused(lambda: sg.check(program, {"x": 1.0}))
    refused(lambda: build_worksheet(program, {"x": 1.0}))


def test_a_named_constant_is_followed_through_intermediates():
    refused(lambda: diff("c = 3^-999\nd = c^999\ny = x*d^200", "x"), line=2, column=5)


def test_claims_and_graded_answers_refuse_it_too():
    program = sg.parse("y = w*x + b")
    refused(lambda: judge_claims(program, {"w": 2.0, "x": 3.0, "b": 1.0},
                                 {"w": "x + ((3^-999)^999)^200"}), column=7)
    form = diff(program, "b")
    refused(lambda: judge_expression(program, {"w": 2.0, "x": 3.0, "b": 1.0}, "b + ((3^-999)^999)^200*0",
                                     form, label="answer"), column=7)


def test_a_power_hidden_in_a_call_is_counted():
    # exp2(-19683) = 2^-19683 has 5,926 digits: len(str(2**19683)) == 5926
    with sys_digits(10_000):
        assert len(str(2 ** 19683)) == 5926
    refused(lambda: sg.check("y = x*exp2(-3^9)", {"x": 1.0}), column=7)


def test_under_the_bound_the_exact_value_is_kept():
    # (1/3)^1000 and 8^1000 = 2^3000: 478 and 904 digits, exact
    assert diff("y = x * (1/3)^1000", "x") == sympy.Rational(1, 3 ** 1000)
    assert diff("y = x * (1+1+1+1+1+1+1+1)^1000", "x") == sympy.Integer(2 ** 3000)
    ones = " + ".join(["1"] * 2000)   # a long sum stays small: its value says so
    assert diff(f"y = x * ({ones})^2", "x", limits=sg.Limits(max_exact_digits=10)) == 4_000_000


def test_the_bound_can_be_raised():
    # 3^-9801: len(str(3**9801)) = 4677 digits, over the default, under 5,000
    n = 3 ** 9801
    with sys_digits(10_000):
        assert len(str(n)) == 4677
    refused(lambda: diff("y = x * (3^-99)^99", "x"), column=10)
    got = diff("y = x * (3^-99)^99", "x", limits=sg.Limits(max_exact_digits=5_000))
    assert got == sympy.Rational(1, n)


@pytest.mark.parametrize("argv", [
    ["diff", DIFF_BOMB, "--wrt", "x"],
    ["check", BOMB, "--at", "x=1"],
    ["worksheet", BOMB, "--at", "x=1", "-o", "ws.md"],
])
def test_the_cli_prints_one_line_and_exits_2(argv, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "symgrad", *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("symgrad: error: 1:11: ") and proc.stderr.count("\n") == 1
    assert "max_exact_digits" in proc.stderr and "ValueError" not in proc.stderr
    assert not (tmp_path / "ws.md").exists()


def test_constants_folded_into_an_inputs_coefficient_are_counted():
    # x * (2^999)^14 factors: SymPy folds them into 2^13986, len(str(2**13986)) == 4211 digits;
    # (x*3^99)^99: SymPy distributes the power, 3^9801 has 4,677 digits (see above)
    with sys_digits(10_000):
        assert len(str(2 ** 13986)) == 4211
    chain = "y = x" + "*(2^999)" * 14
    refused(lambda: diff(chain, "x"), column=5)
    refused(lambda: diff("y = (x*3^99)^99", "x"), column=6)
    refused(lambda: sg.check("y = (x*3^9 + x*3^9)^999", {"x": 1.0}), column=6)  # like terms combine first
    refused(lambda: judge_expression(sg.parse("y = w*x"), {"w": 2.0, "x": 3.0}, "x + (w*3^99)^99*0",
                                     diff(sg.parse("y = w*x"), "w"), label="answer"), column=6)


def test_a_power_of_a_sum_or_a_call_is_not_expanded_so_it_is_not_refused():
    got = diff("y = (x + 30)^5000", "x")                 # d/dx (x+30)^5000 = 5000 (x+30)^4999
    x = next(iter(got.free_symbols))
    assert got == 5000 * (x + 30) ** 4999
    # a name used twice per level, 12 levels: 3*2^12 x, not 2^12 times the digits of 3
    program = "a0 = x*3\n" + "".join(f"a{k + 1} = a{k} + a{k}\n" for k in range(12)) + "y = a12"
    assert diff(program, "x") == 3 * 2 ** 12
    got = diff("y = tanh(3*x)^900", "x")                 # 2700 tanh(3x)^899 (1 - tanh(3x)^2)
    x = next(iter(got.free_symbols))
    assert got.subs(x, 0) == 0 and got.has(sympy.tanh(3 * x) ** 899)


def test_the_message_prints_the_programs_power_operator():
    assert "(3^-99)^99" in refused(lambda: diff(DIFF_BOMB, "x")).message
    assert "(3 ** -99) ** 99" in refused(lambda: diff("y = x * ((3**-99)**99)**99", "x")).message
