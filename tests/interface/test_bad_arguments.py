"""Abuse of every entry point gets a SymgradError (one escaped line on the CLI), fast."""

import os
import subprocess
import sys

import numpy as np
import pytest

import symgrad as sg
from symgrad.base.errors import safe_line
from helpers.threaded import run_threads

from helpers import ROOT  # noqa: E402
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def cli(*args, stdin=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True,
                          env=ENV, timeout=timeout, stdin=stdin)


def one_clean_line(stderr: str) -> str:
    assert stderr.endswith("\n") and stderr.count("\n") == 1, repr(stderr)
    assert all(c == "\n" or (" " <= c <= "~") or ord(c) > 0x7f for c in stderr), repr(stderr)
    assert "\x1b" not in stderr and "\r" not in stderr and "\u202e" not in stderr
    return stderr


# -- messages -------------------------------------------------------------------------------------
HOSTILE = "\x1b[2J\x1b[31mPWNED\nsecond line\r\u202e\ud800"


@pytest.mark.parametrize("args", [
    ["eval", "x*y", "--at", "x=1", "y=2", "\x1b[2J\x1b[31mPWNED=3"],          # an --at key
    ["eval", "x*y", "--at", "x=1", "y=\x1b[31m2\n"],                             # an --at value
    ["eval", "-f", "/nonexistent/\x1b[2J\nfile"],                                # a -f path
    ["eval", "x", "--at", "x=1", "--limit", "max_\x1b[2Jdepth=3"],               # a --limit key
    ["diff", "x*y", "--wrt", "\x1b[31mz\nsecond"],                                # --wrt
    ["grad", "x*y", "--at", "x\x1b\n=1", "y=2"],
    ["eval", "x\x1b[2J"],                                                        # program text
    ["train", "--loss-plot", "/nonexistent/\x1b[2J\n.png", "--steps", "1", "-q"],  # an output path
])
def test_cli_messages_are_one_escaped_line(args):
    proc = cli(*args)
    assert proc.returncode == 2
    line = one_clean_line(proc.stderr)
    assert line.startswith("symgrad: error: ")


def test_every_error_message_is_one_safe_line_even_when_code_forgets_to_quote():
    for cls in (sg.InputError, sg.ParseError, sg.LimitError):
        kw = {"limit": "max_chars", "value": 1} if cls is sg.LimitError else {}
        err = cls(f"bad {HOSTILE}", hint=f"hint {HOSTILE}", **kw)
        for text in (err.summary, err.message, err.hint):
            assert "\n" not in text and "\x1b" not in text and "\r" not in text and "\u202e" not in text
            text.encode("utf-8")  # no lone surrogate left: printing cannot fail
    assert safe_line("x … ≤ é") == "x … ≤ é"  # ordinary Unicode stays readable
    assert safe_line("a\nb") == "a\\x0ab"


def test_dict_keys_and_values_are_escaped():
    with pytest.raises(sg.InputError) as info:
        sg.backprop("x*y", {"x": 1, "y": 2, HOSTILE: 3})
    assert "\x1b" not in str(info.value) and "\\x1b" in info.value.summary
    with pytest.raises(sg.InputError) as info:
        sg.backprop("x", {"x": HOSTILE})
    assert "\n" not in info.value.summary and "\x1b" not in info.value.summary


@pytest.mark.parametrize("text", ["", "   ", "# only a comment", "\n\n# c\n", ";;", "\n; # x\n;"])
def test_empty_and_comment_only_programs_have_a_position(text):
    with pytest.raises(sg.ParseError) as info:
        sg.parse(text)
    err = info.value
    assert err.line is not None and err.column is not None and "empty" in err.message
    lines = text.split("\n")
    assert (err.line, err.column) == (len(lines), len(lines[-1]) + 1)


# -- bounded reading -----------------------------------------------------------------------------
def test_dev_zero_is_read_only_up_to_max_chars():
    proc = cli("eval", "-f", "/dev/zero", "--limit", "max_chars=1000", timeout=30)
    assert proc.returncode == 2 and "max_chars" in one_clean_line(proc.stderr)
    proc = cli("eval", "-f", "/dev/zero", timeout=30)  # default limit: 1 MB read, not all of /dev/zero
    assert proc.returncode == 2 and "max_chars" in proc.stderr


def test_endless_stdin_is_read_only_up_to_max_chars():
    yes = subprocess.Popen(["yes", "x + "], stdout=subprocess.PIPE)
    try:
        proc = cli("grad", "-", "--limit", "max_chars=5000", stdin=yes.stdout, timeout=30)
    finally:
        yes.kill()
        yes.wait()
    assert proc.returncode == 2 and "max_chars" in one_clean_line(proc.stderr)


def test_huge_file_is_not_read_whole(tmp_path, monkeypatch):
    import argparse

    from symgrad.interface.cli.io import read_program
    big = tmp_path / "big.txt"
    big.write_text("x+" * 600_000 + "x")
    reads = []

    real_open = open

    def spy_open(*a, **k):
        fh = real_open(*a, **k)
        real_read = fh.read

        class Spy:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                fh.close()

            def read(self, n=-1):
                reads.append(n)
                return real_read(n)
        return Spy()
    monkeypatch.setattr("builtins.open", spy_open)
    args = argparse.Namespace(program=None, program_text=None, file=str(big), limit=["max_chars=1000"])
    with pytest.raises(sg.LimitError):
        read_program(args)
    assert reads == [1001]


def test_file_that_is_not_utf8_is_an_input_error(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"x + \xff\xfe")
    proc = cli("eval", "-f", str(bad), "--at", "x=1")
    assert proc.returncode == 2 and "UTF-8" in one_clean_line(proc.stderr)


# -- types ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [[1, 2], "ab", 3.0, (("x", 1),)])
def test_backprop_values_must_be_a_mapping(values):
    with pytest.raises(sg.InputError, match="mapping"):
        sg.backprop("x", values)


@pytest.mark.parametrize("bad", [1j, True, np.complex64(1 + 1j), np.bool_(True), 1 + 0j])
def test_compiled_positional_path_rejects_complex_and_bool(bad):
    f = sg.compile("x*y")
    for call in (f.value_and_grad, f.value):
        with pytest.raises(sg.InputError, match="complex|bool"):
            call(bad, 2.0)
    with pytest.raises(sg.InputError, match="complex|bool"):
        f(x=bad, y=2.0)


def test_compiled_positional_path_still_takes_ints_and_numpy_floats():
    f = sg.compile("x*y")
    assert f.value_and_grad(2, 3.0) == (6.0, (3.0, 2.0))
    value, grads = f.value_and_grad(np.float64(2), np.int64(3))
    assert value == 6.0 and grads == (3.0, 2.0) and type(value) is float


@pytest.mark.parametrize("arrays,match", [
    (([10**400], [1.0]), "too large"),
    ((np.array([1 + 2j]), [1.0]), "complex"),
    (([1j, 2.0], [1.0]), "complex"),
    (([True, False], [1.0]), "bool"),
    ((["a"], [1.0]), "not numbers"),
    (([[1], [1, 2]], [1.0]), "not real numbers"),
    (([1.0, 2.0], [1.0, 2.0, 3.0]), "do not broadcast"),
])
def test_batch_rejects_what_it_cannot_use(arrays, match):
    f = sg.compile("x*y")
    with pytest.raises(sg.InputError, match=match):
        f.batch(*arrays)


def test_batch_broadcast_is_bounded_before_allocating():
    f = sg.compile("x*y")
    x = np.zeros((100_000, 1))
    y = np.zeros((1, 100_001))  # 1.6 MB of input, 10^10 points once broadcast
    with pytest.raises(sg.LimitError) as info:
        f.batch(x, y)
    assert info.value.limit == "max_batch_points"
    with pytest.raises(sg.LimitError):
        f(x=x, y=y)
    small = sg.compile("x*y", limits=sg.Limits(max_batch_points=10))
    with pytest.raises(sg.LimitError):
        small.batch(np.zeros(11), 1.0)
    value, _ = small.batch(np.arange(10.0), 2.0)
    assert list(value) == [2.0 * i for i in range(10)]


# -- limits while lexing -------------------------------------------------------------------------
@pytest.mark.parametrize("text,limits,limit,column", [
    ("a=1;" * 10 + "a", {"max_statements": 3}, "max_statements", 16),   # the 4th ';' crosses it
    ("x" + "+x" * 10, {"max_nodes": 5}, "max_nodes", 6),                 # the 6th node: the third x
    ("x" + "+x" * 10, {"max_tokens": 7}, "max_tokens", 8),
    ("(" * 50 + "x" + ")" * 50, {"max_tokens": 30}, "max_tokens", 31),   # parentheses are tokens too
    ("where(x > 0 and y > 0 and z > 0, 1, 2)", {"max_tokens": 10}, "max_tokens", 27),  # keywords too: z
    ("x and y", {"max_nodes": 1}, "max_nodes", 3),                       # a name after a keyword's state
])
def test_size_limits_stop_the_lexer_before_a_tree_is_built(monkeypatch, text, limits, limit, column):
    import threading
    from symgrad.language import parser
    from symgrad.language.parser import ToAst
    built = []
    real_start = ToAst.start
    monkeypatch.setattr(ToAst, "start", lambda self, *s: built.append(1) or real_start(self, *s))
    monkeypatch.setattr(parser, "_local", threading.local())  # a parser built now calls the patched start
    with pytest.raises(sg.LimitError) as info:
        sg.parse(text, limits=sg.Limits(**limits))
    assert info.value.limit == limit and (info.value.line, info.value.column) == (1, column)
    assert not built  # rejected mid-stream: the parse never reached its end


def test_default_limits_reject_large_text_at_its_first_token_over():
    for text, limit in [("x" + "+x" * 499_999, "max_chars"), ("x" + "+x" * 49_999, "max_tokens"),
                        (";" * 99_990 + "x", "max_tokens")]:
        with pytest.raises(sg.LimitError) as info:
            sg.parse(text)
        assert info.value.limit == limit
    defaults = sg.Limits()
    assert (defaults.max_chars, defaults.max_tokens, defaults.max_nodes, defaults.max_statements) == (
        100_000, 20_000, 20_000, 5_000)


def test_limits_take_numpy_integers():
    limits = sg.Limits(max_depth=np.int64(300), max_tokens=np.int32(50))
    assert limits.max_depth == 300 and type(limits.max_depth) is int
    with pytest.raises(sg.LimitError):
        sg.parse("x" + "+x" * 30, limits=limits)
    with pytest.raises(sg.InputError):
        sg.Limits(max_depth=np.bool_(True))


def test_parse_backprop_and_compiled_calls_are_safe_from_many_threads():
    """docs/security.md's promise: these build their own state per call (or per thread)."""
    text = "e = a*b; d = e + c; L = tanh(d*f)"
    program = sg.parse(text)
    f = sg.compile(program)
    want = sg.backprop(program, a=0.2, b=-0.3, c=0.1, f=-2.0).grads
    errors, results = [], []

    def work():
        try:
            for _ in range(40):
                results.append(sg.backprop(sg.parse(text), a=0.2, b=-0.3, c=0.1, f=-2.0).grads)
                value, grads = f.value_and_grad(0.2, -0.3, 0.1, -2.0)
                results.append(dict(zip(f.names, grads)))
        except Exception as err:  # noqa: BLE001
            errors.append(err)
    run_threads(work, 8)
    assert errors == [] and len(results) == 8 * 80
    for got in results:
        assert all(got[k] == pytest.approx(want[k], rel=1e-15) for k in got)


@pytest.mark.parametrize("call", [
    lambda: sg.parse("x", limits={"max_depth": 3}),
    lambda: sg.backprop("x", x=1.0, limits="strict"),
    lambda: sg.compile("x", limits=3),
    lambda: sg.nn.MLP(2, [1], limits={"max_parameters": 3}),
])
def test_limits_of_the_wrong_type_are_input_errors(call):
    with pytest.raises(sg.InputError, match="Limits"):
        call()


def test_a_name_given_twice_on_the_command_line_is_an_error(capsys):
    from symgrad.interface.cli.main import main
    assert main(["grad", "x*2", "--at", "x=1", "x=2"]) == 2
    assert "given twice" in capsys.readouterr().err
    assert main(["check", "x*y", "--at", "x=1", "y=2", "--claim", "x=y", "--claim", "x=2"]) == 2
    assert "two claims" in capsys.readouterr().err
    assert main(["check", "x*2", "--at", "x=1", "--grads", "/nonexistent/grads.json"]) == 2
    assert "No such file" in capsys.readouterr().err
