"""Property-based fuzzing, CI-sized (`make fuzz` runs 100,000+ inputs; see docs/fuzzing.md).

Properties: only SymgradError escapes; every input finishes well under a second;
parse(unparse(p)) == p; valid programs at random in-domain points agree with finite
differences."""

from __future__ import annotations

import contextlib
import io
import time

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.interface.cli.main import main
from helpers.strategies import (DrawSource, finite_difference_agrees, grammar_programs, lark_programs,
                                mutated_programs, point_for, valid_programs)

CI = settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])


def survives(text: str) -> sg.Program | None:
    """Parse and backprop at 1.0 everywhere: only SymgradError may escape, and fast."""
    start = time.process_time()  # CPU time: the shared machine's load does not count
    program = None
    try:
        program = sg.parse(text)
        sg.backprop(program, {name: 1.0 for name in program.inputs})
    except sg.SymgradError as err:
        assert err.summary and "\n" not in err.summary
    elapsed = time.process_time() - start
    assert elapsed < 1.0, f"{elapsed:.2f} s for {text[:80]!r}"
    return program


def round_trips(program: sg.Program) -> None:
    again = sg.parse(sg.unparse(program))
    assert again == program
    assert again.inputs == program.inputs
    assert sg.unparse(again) == sg.unparse(program)


def survives_and_round_trips(text: str) -> None:
    program = survives(text)
    if program is not None:
        round_trips(program)


@settings(CI, max_examples=15)  # from_lark retries unbounded expansions: ~0.3 s per program
@given(lark_programs())
def test_from_lark_programs_only_raise_symgrad_errors(text):
    survives_and_round_trips(text)


@CI
@given(grammar_programs)
def test_grammar_programs_only_raise_symgrad_errors(text):
    survives_and_round_trips(text)


@CI
@given(mutated_programs)
def test_mutated_programs_only_raise_symgrad_errors(text):
    survives_and_round_trips(text)


@CI
@given(st.text(max_size=80))
def test_arbitrary_text_only_raises_symgrad_errors(text):
    survives(text)


@settings(CI, max_examples=100)
@given(st.one_of(grammar_programs, mutated_programs), st.sampled_from(["eval", "grad"]))
def test_cli_never_crashes(text, command):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main([command, " " + text, "--json"])
    assert code in (0, 2)
    if code == 2:
        assert err.getvalue().startswith("symgrad: error: ") and err.getvalue().count("\n") == 1
        assert "internal error" not in err.getvalue()


@CI
@given(valid_programs, st.data())
def test_valid_programs_agree_with_finite_differences(text, data):
    program = sg.parse(text)
    round_trips(program)
    point = point_for(DrawSource(data.draw), program)
    try:
        result = sg.backprop(program, point)
    except (sg.DomainError, sg.NumericError):
        assume(False)  # outside the domain here: the corpus covers those errors
    verdict = finite_difference_agrees(program, point, result)
    assume(verdict is not None)
    assert verdict, (text, point, result.grads)
