"""The language: statements, precedence, numbers, names, round trips, and error messages."""

import pytest

import symgrad as sg
from symgrad.language.ast import Assign, Const, Num, Op, Var


def expr(text):
    return sg.parse(text).statements[-1].expr


@pytest.mark.parametrize("text, value", [
    ("2^3^2", 512.0), ("2**3**2", 512.0), ("-2^2", -4.0), ("(-2)^2", 4.0), ("2^-1", 0.5),
    ("1 - 2 - 3", -4.0), ("8 / 4 / 2", 1.0), ("2 + 3 * 4", 14.0), ("-3 * -2", 6.0), ("--3", 3.0),
    ("+3", 3.0), ("2 * 3 ^ 2", 18.0), ("-2 ^ -2", -0.25), ("2^-2^2", 2.0 ** -4.0),
    (".5 + 3. + 1e-3 + 2.5E+4 + 1E2", 0.5 + 3.0 + 1e-3 + 2.5e4 + 100.0),
    ("pi", 3.141592653589793), ("exp(1)", 2.718281828459045), ("7 / 2", 3.5),
])
def test_precedence_and_numbers(text, value):
    assert sg.backprop(text).value == value


def test_power_binds_tighter_than_unary_minus():
    assert expr("-x^2") == Op("neg", (Op("pow", (Var("x"), Num(2.0))),))
    assert expr("2^3^2") == Op("pow", (Num(2.0), Op("pow", (Num(3.0), Num(2.0)))))


def test_statements_newlines_semicolons_and_comments():
    text = "# a comment line\n\ne = a*b  # product\n;; d = e + c\r\nL = d*f;\n"
    prog = sg.parse(text)
    assert [s.name for s in prog.statements] == ["e", "d", "L"]
    assert prog.inputs == ("a", "b", "c", "f")
    assert isinstance(prog.statements[0], Assign)


def test_inputs_in_first_appearance_order():
    assert sg.parse("z*y + x*z + w").inputs == ("z", "y", "x", "w")
    assert sg.parse("t = b + a; u = t*c + a").inputs == ("b", "a", "c")


def test_e_is_a_variable_and_pi_a_constant():
    prog = sg.parse("e*pi")
    assert prog.inputs == ("e",)
    assert expr("pi") == Const("pi")


def test_named_intermediates_are_shared_nodes():
    # A 60-line doubling program is a 60-node DAG, not an exponential tree.
    lines = ["a1 = x + x"] + [f"a{i} = a{i-1} + a{i-1}" for i in range(2, 61)]
    res = sg.backprop("\n".join(lines), x=1.0)
    assert res.grads["x"] == 2.0 ** 60
    assert res.value == 2.0 ** 60
    from symgrad.engine.value import topo_order
    assert len(topo_order(res.root)) == 61


def test_a_plus_a_keeps_both_edges():
    res = sg.backprop("b = a + a", a=3.0)
    assert res.grads["a"] == 2.0
    assert len(res.root._prev) == 2 and res.root._prev[0] is res.root._prev[1]


@pytest.mark.parametrize("text", [
    "e = a*b; d = e + c; L = d*f",
    "tanh(x1*w1 + x2*w2 + b)",
    "-x^2 + 2^3^2 - (a - b) - -c",
    "y = 2**-x * (x + 1) / (x - 1) / (x*x)",
    "(a + b) + (c + d)", "a - (b - c)", "a / (b / c)", "(a^b)^c", "(-a)^b", "-(-a)", "a^-b^c",
    "z = sigmoid(relu(x) - abs(y)) + softplus(sin(x)*cos(y)) + sqrt(exp(log(x)))",
    "1e-300 * x + 123456789.125 * y + 0.1 + 1e+300",
])
def test_unparse_round_trip(text):
    prog = sg.parse(text)
    again = sg.parse(sg.unparse(prog))
    assert again == prog
    assert hash(again) == hash(prog)


def test_equality_ignores_spans_but_not_structure():
    assert sg.parse("x+y") == sg.parse("  x +\ty")
    assert sg.parse("x+y") != sg.parse("y+x")
    assert sg.parse("(a+b)+c") != sg.parse("a+(b+c)")
    assert sg.parse("x*2") != sg.parse("x*3")


def test_spans_point_into_the_source():
    prog = sg.parse("a = 1\nb = a +  tanh(x)")
    call = prog.statements[1].expr.args[1]
    assert (call.span.line, call.span.column) == (2, 10)


def test_deep_structures_do_not_recurse():
    n = 100_000
    big = "x" + "+x" * n
    roomy = sg.Limits(max_chars=10**6, max_tokens=10**6, max_nodes=10**6)  # beyond the defaults
    prog = sg.parse(big, limits=roomy)  # a 100,000-term sum is flat for the depth limit
    assert sg.parse(sg.unparse(prog), limits=roomy) == prog
    assert len(repr(prog)) < 200
    assert sg.backprop(prog, x=1.0).grads["x"] == n + 1
    nested = "(" * n + "x" + ")" * n
    assert sg.parse(nested, limits=roomy) == sg.parse("x")


@pytest.mark.parametrize("text, exc, fragment", [
    ("2x", sg.ParseError, "write 2*x"),
    ("3(x+1)", sg.ParseError, "write 3*(…)"),
    ("tahn(x)", sg.UnknownFunctionError, "did you mean tanh?"),
    ("x +", sg.ParseError, "end of the input"),
    ("a = b = c", sg.ParseError, "1:7"),
    ("x y", sg.ParseError, "operator is missing"),
    ("a = 1; a = 2", sg.DuplicateAssignmentError, "assigned twice"),
    ("d = e + 1; e = 2", sg.UnboundNameError, "read before it is assigned"),
    ("x = x + 1", sg.UnboundNameError, "read before it is assigned"),
    ("x*y; z", sg.ParseError, "never used"),
    ("tanh(x, y)", sg.ParseError, "takes 1 argument"),
    ("pi = 3", sg.ParseError, "constant"),
    ("", sg.ParseError, "empty"),
    ("# only a comment\n", sg.ParseError, "empty"),
    ("_x + 1", sg.ParseError, "no leading underscore"),
    ("\u0445 + 1", sg.ParseError, "\\u0445"),
    ("x\u200d + 1", sg.ParseError, "\\u200d"),
    ("x + \x00", sg.ParseError, "\\x00"),
    ("\uff12 * x", sg.ParseError, "ASCII 0-9"),
])
def test_parse_errors_are_clear(text, exc, fragment):
    with pytest.raises(exc) as info:
        sg.parse(text)
    err = info.value
    assert isinstance(err, sg.ParseError) and isinstance(err, sg.SymgradError)
    assert fragment in str(err)
    assert "__ANON" not in str(err) and "Token(" not in str(err)
    assert "\n" not in err.summary


def test_parse_error_has_caret_excerpt_and_expected_names():
    with pytest.raises(sg.ParseError) as info:
        sg.parse("a = 2 * (x + )")
    err = info.value
    assert (err.line, err.column) == (1, 14)
    assert err.details.splitlines() == ["  a = 2 * (x + )", "               ^"]
    assert "a name" in err.expected and "a number" in err.expected


def test_excerpt_escapes_and_truncates():
    text = "x + " * 150 + "\u202e"
    with pytest.raises(sg.ParseError) as info:
        sg.parse(text)
    lines = info.value.details.splitlines()
    assert len(lines[0]) < 100 and "\\u202e" in lines[0]
    assert lines[1].index("^") == lines[0].index("\\u202e")


@pytest.mark.parametrize("text, word, line, column", [
    ("and = 3", "and", 1, 1), ("or = 1", "or", 1, 1), ("not = 2", "not", 1, 1),
    ("y = 3 + and", "and", 1, 9), ("y = x; or = y", "or", 1, 8), ("f = 1\n  not = 2", "not", 2, 3),
    ("y = or * 2", "or", 1, 5), ("and(x)", "and", 1, 1), ("sum(x, and=1)", "and", 1, 8), ("x.not", "not", 1, 3),
])
def test_keywords_are_no_names(text, word, line, column):
    # and, or, not are the grammar's keywords: never a variable, wherever the lexer would read a name.
    with pytest.raises(sg.ParseError) as info:
        sg.parse(text)
    err = info.value
    assert (err.line, err.column) == (line, column)
    assert f"`{word}` is a keyword; rename the variable" in str(err)


def test_names_that_start_with_a_keyword_are_names():
    program = sg.parse("android = 1; order = android + notes; y = order * andx")
    assert program.inputs == ("notes", "andx")
    assert sg.parse("where(not x > 0 and x < 2 or x == 1, x, 0)").inputs == ("x",)


def test_not_before_a_number_says_it_takes_conditions():
    with pytest.raises(sg.ParseError, match="not takes conditions"):
        sg.parse("y = not + 1")


@pytest.mark.parametrize("text, shown", [
    ("softplus(x)", "softplus(x)"), ("softplus(x, b)", "softplus(x, b)"), ("softplus(x, 2)", "softplus(x, 2.0)"),
    ("softplus(x, b, t)", "softplus(x, b, t)"), ("softplus(x, 2, 20)", "softplus(x, 2.0)"),
    ("softplus(x, 2, 5)", "softplus(x, 2.0, 5.0)"),
])
def test_softplus_calls_print_as_written_and_round_trip(text, shown):
    # softplus(x, beta) is softplus(x, beta, 20): the printers leave a default threshold out
    prog = sg.parse(text)
    assert sg.unparse(prog) == shown and sg.parse(shown) == prog
    assert "softplus_beta" not in sg.to_latex(prog) and r"\operatorname{softplus}" in sg.to_latex(prog)


def test_softplus_two_argument_call_fills_threshold_20():
    two, three = expr("softplus(x, b)"), expr("softplus(x, b, 20)")
    assert two == three and two.rule == "softplus_beta" and two.args[2] == Num(20.0)


@pytest.mark.parametrize("text", ["softplus()", "softplus(x, b, t, u)"])
def test_softplus_arity_errors_name_every_call(text):
    with pytest.raises(sg.ArityError) as info:
        sg.parse(text)
    assert "softplus() takes 1, 2 or 3 arguments" in str(info.value)
    assert "softplus(x), softplus(x, beta) or softplus(x, beta, threshold)" in str(info.value)
