"""Exact numbers built from a program's constants are bounded in digits (Limits.max_exact_digits),
predicted from the structure before SymPy builds them, the same in check, diff, worksheets,
claims and graded answers.

Golden sizes come from Python integers, not from symgrad: 3^9801 has len(str(3**9801)) digits.
"""

import math
import os
import subprocess
import sys

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.base.errors import LimitError
from symgrad.gradcheck.claims import judge_claims, judge_expression
from symgrad.gradcheck.exact_size import bound_program
from symgrad.gradcheck.symbolic import diff, symbol, to_sympy_expr
from symgrad.teaching.worksheet import build_worksheet
from helpers import ROOT

BOMB = "y = x * ((3^-999)^999)^200"          # 95 million digits if built
DIFF_BOMB = "y = x * ((3^-99)^99)^99"        # 463,000 digits: past Python's 4,300-digit printing limit
PRIMES = list(sympy.primerange(1000, 30000))           # 1,009, 1,013, …: four- and five-digit primes
# (x/1009 + x/1013 + … 12 terms)^80: the sum collects into x·(Σ 1/p), whose 80th power SymPy
# distributes: (Σ 1/p)^80 has 5,638 digits (numerator and denominator), past the printing limit
COLLAPSE = "(" + " + ".join(f"x/{p}" for p in PRIMES[:12]) + ")^80"


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


@pytest.mark.parametrize("argv, where", [
    (["diff", DIFF_BOMB, "--wrt", "x"], "1:11"),
    (["check", BOMB, "--at", "x=1"], "1:11"),
    (["worksheet", BOMB, "--at", "x=1", "-o", "ws.md"], "1:11"),
    (["diff", f"y = {COLLAPSE}", "--wrt", "x"], "1:6"),                                  # like terms collected
    (["check", "y = w*x", "--at", "w=2", "x=3", "--claim", f"w={COLLAPSE}"], "1:2"),     # in a claim
])
def test_the_cli_prints_one_line_and_exits_2(argv, where, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "symgrad", *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"symgrad: error: {where}: ") and proc.stderr.count("\n") == 1
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


# --- like terms: SymPy collects them, and their coefficients' denominators multiply -------------------



def product_digits(primes) -> int:
    with sys_digits(0):
        return len(str(math.prod(primes)))


def like_terms(n: int, term: str = "x/{p}", join: str = " + ") -> str:
    return "y = " + join.join(term.format(p=p) for p in PRIMES[:n])


def test_a_sum_of_like_terms_is_bounded_by_its_collected_coefficient():
    # x/1009 + x/1013 + … (1,400 terms) is x·(Σ 1/p): its denominator, the product of the 1,400
    # primes, has product_digits(...) > 5,000 digits, past Python's 4,300-digit printing limit
    program = like_terms(1400)
    assert product_digits(PRIMES[:1400]) > 5_000
    err = refused(lambda: diff(program, "x"), column=5)
    assert "x / 1009 + x / 1013" in err.message
    refused(lambda: sg.check(program, {"x": 1.0}), column=5)


@pytest.mark.parametrize("term, join, column", [
    ("x^(1/{p})", " * ", 5),             # exponents of a common base add: x^(Σ 1/p)
    ("x^(z/{p})", " * ", 5),             # a symbolic exponent's coefficients collect: x^(z·Σ 1/p)
    ("pi/{p}", " + ", 5),                # pi stays a symbol: pi·Σ 1/p
    ("sqrt(x)/{p}", " + ", 5),
])
def test_like_terms_in_products_exponents_and_kept_numbers_are_counted(term, join, column):
    assert product_digits(PRIMES[:1200]) > 4_000
    refused(lambda: diff(like_terms(1200, term, join), "x"), column=column)


def test_a_sum_that_may_collapse_to_one_term_raises_its_coefficient():
    # x/1009 + x/1013 is 2022x/1022117 (7 digits over 7): its 600th power has 600·(digits) > 4,000
    with sys_digits(0):
        assert len(str(2022 ** 600)) + len(str(1022117 ** 600)) > 4_000
    refused(lambda: diff("y = (x/1009 + x/1013)^600", "x"), column=6)
    # x - x + 3^99 is the number 3^99: its 99th power is 3^9801 (4,677 digits, see above)
    refused(lambda: diff("y = x*(x - x + 3^99)^99", "x"), column=8)


def test_number_terms_beside_an_input_collect():
    refused(lambda: diff("y = x + " + " + ".join(f"1/{p}" for p in PRIMES[:1200]), "x"), column=5)


def test_a_sum_of_terms_that_are_never_alike_stays_a_sum_under_powers_and_products():
    # v = x*y + y is never one term, so v*v + v, repeated, builds no number (the check's own
    # statement bomb); (x/1009 + z/1013)^50 keeps its coefficients as they are
    program = "\n".join(["v0 = x*y + y"] + [f"v{k} = v{k - 1}*v{k - 1} + v{k - 1}" for k in range(1, 26)])
    bound_program(sg.parse(program), sg.Limits(max_exact_digits=10))
    bound_program(sg.parse("y = (x/1009 + z/1013)^50"), sg.Limits(max_exact_digits=20))
    # but terms that may cancel leave one that a power raises: z - z leaves x*3^99
    refused(lambda: diff("y = (x*3^99 + z - z)^99", "x"), column=6)


def test_ordinary_sums_of_like_terms_are_not_refused():
    xs = " + ".join(["x"] * 2000)                                  # 2000x
    assert diff(f"y = {xs}", "x") == 2000
    ones = " + ".join(["1"] * 2000)
    assert diff(f"y = x*({ones})", "x") == 2000
    got = diff("y = " + " + ".join(f"x/{p}" for p in PRIMES[:40]), "x")
    assert got == sum(sympy.Rational(1, p) for p in PRIMES[:40])
    got = diff("y = (x + 30)^5000", "x")                          # a sum that cannot collapse is not raised
    assert got == 5000 * (next(iter(got.free_symbols)) + 30) ** 4999


def built_digits(expr) -> float:
    """The digits of the largest rational SymPy built in ``expr`` (numerator and denominator)."""
    return max([0.0] + [_log10(a.p) + _log10(a.q) for a in expr.atoms(sympy.Rational)])


def _log10(n) -> float:
    return 0.0 if abs(n) <= 1 else math.log10(abs(n))


TERMS = ["{x}/{p}", "{x}*{q}/{p}", "{x}^(1/{p})", "{x}^({q}/{p})", "pi/{p}", "{q}/{p}", "sqrt({x})/{p}",
         "{x}*{q}^3", "({x}/{p})^3", "{p}^{x}", "tanh({x})/{p}", "{x}^({x}/{p})", "({x}/{p} + w*{q})^2",
         "({x}/{p} - {x}/{p} + {q}^9)"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(TERMS), st.sampled_from(["x", "w", "x*w"]), st.integers(0, 30),
                          st.integers(1, 9)), min_size=1, max_size=12),
       st.sampled_from([" + ", " - ", " * "]), st.integers(1, 4))
def test_the_predicted_bound_is_never_below_what_sympy_builds(terms, join, power):
    body = join.join(t.format(x=v, p=PRIMES[i], q=q) for t, v, i, q in terms)
    text = f"y = ({body})^{power}"
    program = sg.parse(text)
    loose = sg.Limits(max_exact_digits=10 ** 9)
    built = to_sympy_expr(program.statements[-1].expr, symbol, limits=loose)
    digits = built_digits(built)
    if digits >= 1:      # a bound below what SymPy built must refuse
        with pytest.raises(LimitError):
            bound_program(program, sg.Limits(max_exact_digits=math.floor(digits) - 0.5 if digits > 1 else 0.5))




def test_the_collapsing_sum_is_past_the_bound():
    s = sum(sympy.Rational(1, p) for p in PRIMES[:12]) ** 80
    with sys_digits(0):
        assert len(str(s.p)) + len(str(s.q)) > 4_300


def test_worksheets_claims_and_graded_answers_refuse_collected_like_terms():
    refused(lambda: build_worksheet(f"y = {COLLAPSE}", {"x": 1.0}), column=6)
    program = sg.parse("y = w*x + b")
    at = {"w": 2.0, "x": 3.0, "b": 1.0}
    refused(lambda: judge_claims(program, at, {"w": COLLAPSE}), column=2)
    refused(lambda: judge_expression(program, at, f"b + {COLLAPSE}*0", diff(program, "b"), label="answer"), column=6)

