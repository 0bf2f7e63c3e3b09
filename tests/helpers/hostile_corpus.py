"""The adversarial corpus: hostile programs, each with the error it must raise.

Shared by tests/language/test_rejected_programs.py, the peak-RSS child process and scripts/fuzz.py
(as mutation seeds). A case's ``expected`` is the exact SymgradError subclass, or None
when the program is valid and must give a finite answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import symgrad as sg


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    expected: type | None
    point: dict | None = None          # None: every input at 1.0
    limits: dict = field(default_factory=dict)
    shows: str = ""                    # text the error message must contain (escaped characters)


def _chain(n: int, line: str) -> str:
    return "\n".join(line.format(i=i, j=i + 1) for i in range(n))


def _bomb(n: int) -> str:
    names = [f"s{i}" for i in range(n)]
    lines = [f"{names[0]} = x*y + y"] + [f"{b} = {a}*{a} + {a}" for a, b in zip(names, names[1:])]
    return "\n".join(lines)


# The guards against deep nesting must fire at any size: these cases raise the size limits.
_ROOMY = {"max_chars": 2_000_000, "max_tokens": 2_000_000, "max_nodes": 2_000_000}

CASES: list[Case] = [
    # --- code injection: nothing is ever evaluated as Python -----------------------------
    Case("import-system", "__import__('os').system('id')", sg.ParseError, shows="'_'"),
    Case("attribute", "x.__class__", sg.ParseError, shows="attribute access"),
    Case("attribute-of-call", "sigmoid(x).__globals__", sg.ParseError),
    Case("subscript", "x[0]", sg.ShapeError, shows="1 indices for a tensor of shape ()"),   # a number has no index
    Case("slice", "x[0:1]", sg.ParseError),
    Case("lambda", "lambda: 1", sg.ParseError),
    Case("lambda-arg", "lambda x: x", sg.ParseError),
    Case("string", "'abc'", sg.ParseError, shows="strings"),
    Case("double-string", '"x" + 1', sg.ParseError, shows="strings"),
    Case("f-string", 'f"{x}"', sg.ParseError),
    Case("eval-call", "eval(x)", sg.UnknownFunctionError),
    Case("exec-string", 'exec("print(1)")', sg.ParseError),
    Case("getattr", "getattr(x, y)", sg.UnknownFunctionError),
    Case("open", "open(x)", sg.UnknownFunctionError),
    Case("os-system", "os.system(x)", sg.UnknownFunctionError),
    Case("import-statement", "x = 1; import os", sg.ParseError),
    Case("dict", "{x: 1}", sg.ParseError),
    Case("conditional", "x if y else z", sg.ParseError),
    Case("builtins", "x; __builtins__", sg.ParseError),
    Case("backtick", "`id`", sg.ParseError),
    Case("matmul", "x @ y", sg.ShapeError, shows="both sides need a dim"),   # numbers multiply with *
    Case("modulo", "x % y", sg.ParseError),
    Case("comparison", "x == y", sg.ParseError),
    Case("walrus", "(y := x)", sg.ParseError),
    Case("semicolon-shell", "x; rm -rf /", sg.ParseError),
    Case("assign-function", "exp = x", sg.ParseError),
    # --- Unicode look-alikes and controls: shown escaped ---------------------------------
    Case("cyrillic-ha", "\u0445*2", sg.ParseError, shows="\\u0445"),
    Case("greek-alpha", "\u03b1*x", sg.ParseError, shows="\\u03b1"),
    Case("bidi-override", "x\u202e+1", sg.ParseError, shows="\\u202e"),
    Case("zero-width-joiner", "x\u200dy", sg.ParseError, shows="\\u200d"),
    Case("zero-width-space", "x +\u200b y", sg.ParseError, shows="\\u200b"),
    Case("nul", "x\x00", sg.ParseError, shows="\\x00"),
    Case("escape-sequence", "x\x1b[31m", sg.ParseError, shows="\\x1b"),
    Case("fullwidth-digit", "\uff11+x", sg.ParseError, shows="\\uff11"),
    Case("arabic-indic-digit", "\u0663+x", sg.ParseError, shows="\\u0663"),
    Case("nbsp", "x\u00a0+ 1", sg.ParseError, shows="\\xa0"),
    Case("unicode-minus", "x \u2212 y", sg.ParseError, shows="\\u2212"),
    Case("bom", "\ufeffx", sg.ParseError, shows="\\ufeff"),
    Case("line-separator", "x\u2028y", sg.ParseError, shows="\\u2028"),
    Case("emoji", "x * \U0001f600", sg.ParseError, shows="\\U0001f600"),
    Case("lone-surrogate", "x\ud800", sg.ParseError, shows="\\ud800"),
    Case("combining-mark", "x\u0301 + 1", sg.ParseError, shows="\\u0301"),
    # --- power towers and overflow ---------------------------------------------------------
    Case("tower", "9**9**9**9", sg.NumericError),
    Case("tower-caret", "9^9^9^9^9^9", sg.NumericError),
    Case("nested-tower", "((9**9)**9999)**9999", sg.NumericError),
    Case("huge-literal-value", "1e999*x", sg.NumericError, shows="1e999"),
    Case("overflowing-product", "1e308*10*x", sg.NumericError),
    Case("exp-tower", "exp(exp(exp(x)))", sg.NumericError, point={"x": 10}),
    Case("power-of-two", "2^1024", sg.NumericError),
    Case("input-to-huge-power", "x**1e308", sg.NumericError, point={"x": 2}),
    Case("inf-minus-inf", "x*1e308 - x*1e308", sg.NumericError, point={"x": 10}),
    Case("underflowed-divisor", "1/1e-400", sg.DomainError),
    Case("power-overflow", "x**300", sg.NumericError, point={"x": 1e2}),
    Case("gradient-overflow", "x**0.01", sg.NumericError, point={"x": 5e-324}, shows="overflows float64"),
    # --- giant literals, names and inputs --------------------------------------------------
    Case("long-name", "x" * 65, sg.LimitError, shows="max_name_length"),
    Case("long-assigned-name", "y" * 65 + " = x", sg.LimitError, shows="max_name_length"),
    Case("long-literal", "1" * 65, sg.LimitError, shows="max_literal_length"),
    Case("long-fraction", "0." + "3" * 70, sg.LimitError, shows="max_literal_length"),
    Case("huge-text", "x" + " " * 1_000_000, sg.LimitError, shows="max_chars"),
    Case("huge-comment", "x # " + "a" * 1_000_000, sg.LimitError, shows="max_chars"),
    Case("many-inputs", " + ".join(f"x{i}" for i in range(5_000)), None),
    Case("node-bomb", "+".join(["x"] * 1_000), sg.LimitError, limits={"max_nodes": 1_000}, shows="max_nodes"),
    Case("long-sum", "+".join(["x"] * 10_000), None),
    # --- deep nesting ----------------------------------------------------------------------
    Case("deep-parens", "(" * 20_000 + "x" + ")" * 20_000, None, limits=_ROOMY),
    Case("unbalanced-parens", "(" * 40_000 + "x", sg.ParseError, limits=_ROOMY),
    Case("deep-alternation", "(" * 300 + "x" + "+1)*2" * 300, sg.LimitError, shows="max_depth"),
    Case("deep-unary-minus", "-" * 40_000 + "x", sg.LimitError, shows="max_depth"),
    Case("deep-bracketed-minus", "-(" * 300 + "x" + ")" * 300, sg.LimitError, shows="max_depth"),
    Case("deep-power-chain", "x" + "**x" * 15_000, sg.LimitError, shows="max_depth"),
    Case("deep-calls", "tanh(" * 8_000 + "x" + ")" * 8_000, sg.LimitError, shows="max_depth"),
    # At the default max_chars: stopped while lexing, before the parser stacks a million tokens.
    Case("million-minus-signs", "-" * 999_990 + "x", sg.LimitError, limits=_ROOMY, shows="max_depth"),
    Case("million-plus-signs", "+" * 999_990 + "x", sg.LimitError, limits=_ROOMY, shows="max_depth"),
    Case("half-million-powers", "x" + "^x" * 499_990, sg.LimitError, limits=_ROOMY, shows="max_depth"),
    Case("max-size-calls", "exp(" * 199_000 + "x" + ")" * 199_000, sg.LimitError, limits=_ROOMY,
         shows="max_depth"),
    # --- size at the default limits: rejected while lexing, before a tree is built ------------
    Case("million-term-sum", "x" + "+x" * 499_999, sg.LimitError, shows="max_chars"),
    Case("dense-tokens", "x" + "+x" * 49_999, sg.LimitError, shows="max_tokens"),
    Case("default-node-bomb", "x" + "*x" * 30_000, sg.LimitError, limits={"max_tokens": 10**5}, shows="max_nodes"),
    Case("separator-flood", ";" * 99_990 + "x", sg.LimitError, shows="max_tokens"),
    Case("statement-flood", "a=1;" * 20_000 + "a", sg.LimitError, limits={"max_tokens": 10**5},
         shows="max_statements"),
    Case("paren-flood", "(" * 49_000 + "x" + ")" * 49_000, sg.LimitError, shows="max_tokens"),
    Case("depth-just-allowed", "-" * 199 + "x", None),
    Case("depth-over-by-one", "-" * 200 + "x", sg.LimitError, shows="max_depth"),
    # --- statement bombs -------------------------------------------------------------------
    Case("statement-bomb-overflows", _bomb(30), sg.NumericError),
    Case("statement-bomb-at-zero", _bomb(30), None, point={"x": 0.0, "y": 0.0}),
    Case("doubling-chain", "x0 = w\n" + _chain(60, "x{j} = x{i} + x{i}"), None),
    Case("too-many-statements", "\n".join(f"a{i} = x" for i in range(1_001)), sg.LimitError,
         limits={"max_statements": 1_000}, shows="max_statements"),
    Case("statements-at-default-limit", "\n".join(f"a{i}=x" for i in range(5_000)), None),
    Case("assigned-twice", "a = x\n" * 3 + "a", sg.DuplicateAssignmentError),
    Case("read-before-assign", "b = a + 1; a = x; b", sg.UnboundNameError),
    Case("empty", "", sg.ParseError),
    Case("only-separators", ";\n;\n" * 1_000, sg.ParseError),
    Case("only-comments", "# nothing\n" * 1_000, sg.ParseError),
    # --- numeric edges ---------------------------------------------------------------------
    Case("log-zero", "log(x)", sg.DomainError, point={"x": 0.0}),
    Case("log-negative", "log(x)", sg.DomainError, point={"x": -1.0}),
    Case("divide-by-zero", "1/x", sg.DomainError, point={"x": 0.0}),
    Case("divide-by-negative-zero", "x/y", sg.DomainError, point={"x": 1.0, "y": -0.0}),
    Case("cube-root-of-negative", "(-8)**(1/3)", sg.DomainError),
    Case("fractional-power-of-negative", "x**0.5", sg.DomainError, point={"x": -4.0}),
    Case("zero-to-negative", "0**-1", sg.DomainError),
    Case("zero-input-to-negative", "x**-2", sg.DomainError, point={"x": 0.0}),
    Case("sqrt-negative", "sqrt(x)", sg.DomainError, point={"x": -1.0}),
    Case("sqrt-derivative-at-zero", "sqrt(x)", sg.NumericError, point={"x": 0.0}, shows="sqrt(x)"),
    Case("half-power-at-zero", "x**0.5", sg.NumericError, point={"x": 0.0}),
    Case("x-to-x-at-zero", "x**x", sg.DomainError, point={"x": 0.0}),
    Case("negative-base-variable-exponent", "x**y", sg.DomainError, point={"x": -1.0, "y": 2.0}),
    Case("exp-overflow", "exp(x)", sg.NumericError, point={"x": 710.0}),
    Case("input-infinite", "x + 1", sg.InputError, point={"x": float("inf")}),
    Case("input-nan", "x + 1", sg.InputError, point={"x": float("nan")}),
    Case("input-huge-text", "x + 1", sg.InputError, point={"x": "1e999"}),
    Case("input-not-a-number", "x + 1", sg.InputError, point={"x": "__import__('os')"}),
    Case("input-missing", "x + y", sg.MissingInputError, point={"x": 1.0}),
    Case("input-unknown", "x + 1", sg.InputError, point={"x": 1.0, "__class__": 2.0}),
]

BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES), "case ids must be unique"


def run(case: Case):
    """Parse and backprop one case: the Result, or raise its SymgradError."""
    limits = sg.Limits().with_(**case.limits)
    program = sg.parse(case.source, limits=limits)
    point = case.point if case.point is not None else {name: 1.0 for name in program.inputs}
    return sg.backprop(program, point, limits=limits)


if __name__ == "__main__":  # the peak-RSS child: run every case, print ru_maxrss in KiB
    import resource
    for case in CASES:
        try:
            run(case)
        except sg.SymgradError:
            pass
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
