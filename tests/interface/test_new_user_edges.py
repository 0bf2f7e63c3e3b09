"""What a new user hit, one test each: the CLI's --grads, train's step numbers, the parser's
hint for sech, draw's keywords, the nbgrader hint, the LaTeX key's title."""

from __future__ import annotations

import json
import re

import pytest

import symgrad as sg
from symgrad.interface.cli.main import main


def test_grads_nan_on_the_command_line_is_judged_as_from_json(capsys):
    assert main(["check", "z = x*y", "--at", "x=2", "y=3", "--grads", "x=nan", "y=2"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^x\s+nan\s.*mismatch", out, re.M)


def test_grads_that_are_no_number_get_a_cli_hint(capsys):
    assert main(["check", "z = x*y", "--at", "x=2", "y=3", "--grads", "x=abc"]) == 2
    err = capsys.readouterr().err
    assert "--grads x=2.5" in err and "grads[x]" not in err


def test_grads_for_some_inputs_name_the_rows_not_checked(capsys):
    assert main(["check", "z = x*y", "--at", "x=2", "y=3", "--grads", "x=3"]) == 0
    assert "not checked (no --grads value): y" in capsys.readouterr().out
    assert main(["check", "z = x*y", "--at", "x=2", "y=3", "--grads", "x=3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["not_given"] == ["y"]


def test_train_counts_steps_from_1_in_text_and_json(capsys):
    assert main(["train", "lecture", "--steps", "10", "-q"]) == 0
    text = [int(n) for n in re.findall(r"^step\s+(\d+)", capsys.readouterr().out, re.M)]
    assert main(["train", "lecture", "--steps", "10", "-q", "--json"]) == 0
    steps = [r["step"] for r in json.loads(capsys.readouterr().out)["history"]]
    assert steps == list(range(1, 11))
    assert text[0] == 1 and text[-1] == 10 and set(text) <= set(steps)


def test_sech_gets_a_rewrite_not_a_multiplication_hint():
    with pytest.raises(sg.UnknownFunctionError) as err:
        sg.parse("y = sech(x)")
    assert "1/cosh(x)" in err.value.hint and "sech*(" not in err.value.hint
    with pytest.raises(sg.UnknownFunctionError) as err:   # a name of no function still gets the product hint
        sg.parse("y = k(x)")
    assert "k*(...)" in err.value.hint


def test_an_unknown_draw_keyword_is_named_as_a_keyword():
    with pytest.raises(sg.InputError) as err:
        sg.draw("y = x*2", x=1.0, precison=3)
    assert "unknown keyword precison for draw" in err.value.message
    assert "not an input of this program" not in err.value.message.replace("nor an input of this program", "")
    assert err.value.hint == "did you mean precision?"
    assert sg.draw("y = x*2", x=1.0, precision=2).source.count("data 1.00 ") == 1   # inputs still work


def test_nbgrader_hint_is_never_the_readme_answer(tmp_path, monkeypatch):
    from symgrad.teaching.nbgrader import FORMAT_EXAMPLE
    monkeypatch.chdir(tmp_path)
    assert main(["worksheet", "e = a*b; d = e + c; L = d*f", "--at", "a=2", "b=-3", "c=10", "f=-2",
                 "--format", "ipynb", "--exercise", "-o", "sheet.ipynb"]) == 0
    notebook = (tmp_path / "sheet.ipynb").read_text(encoding="utf-8")
    hints = re.findall(r"such as [`\\\\\"]*([^`\\\\\"]+)", notebook)
    assert len(hints) >= 2 and set(hints) == {FORMAT_EXAMPLE}
    for answer in ("b*f", "a*f", "f", "a*b + c"):   # dL/da, dL/db, dL/dc, dL/df by hand
        assert answer not in hints


def test_latex_answer_key_title_has_a_real_dash(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["worksheet", "e = a*b; L = e*f", "--at", "a=2", "b=-3", "f=4", "--exercise",
                 "-o", "s.tex"]) == 0
    key = (tmp_path / "s-key.tex").read_text(encoding="utf-8")
    title = next(line for line in key.splitlines() if line.startswith("\\title"))
    assert "[U+2014]" not in key and "Answer key --- sheet" in title


def test_markdown_exercise_sheet_header_lines_are_paragraphs_of_their_own(tmp_path, monkeypatch):
    """Markdown joins lines with no blank line between them into one paragraph."""
    monkeypatch.chdir(tmp_path)
    assert main(["worksheet", "e = a*b; L = e*f", "--at", "a=2", "b=-3", "f=4", "--exercise", "-o", "s.md"]) == 0
    paragraphs = [p.strip() for p in (tmp_path / "s.md").read_text(encoding="utf-8").split("\n\n")]
    assert "Sheet 1" in paragraphs and "Program:" in paragraphs
    exercise = next(p for p in paragraphs if p.startswith("*Exercise:*"))
    assert "\n" not in exercise


def test_claim_feedback_echoes_the_users_own_text():
    """The user typed o^2 and 3: the feedback says o^2 and 3, not o ** 2.0 or 3.0."""
    from symgrad.gradcheck.claims import judge_claims
    point = {"x": 2.0, "w": 0.5, "b": -1.0}
    [row] = judge_claims("o = tanh(x*w + b)", point, {"w": "3*(1 - o^2)*x"})
    assert row.verdict == "wrong" and "the factor 3 " in row.message and "3.0" not in row.message
    [row] = judge_claims("o = tanh(x*w + b)", point, {"w": "o^2*x"})
    assert "the factor o^2 " in row.message and "**" not in row.message and "2.0" not in row.message


def test_symbolic_budget_is_described_one_way():
    """It is gone (work is bounded by structure, never a clock): no page describes it as a limit."""
    from helpers import ROOT
    assert not hasattr(sg.Limits(), "symbolic_budget")
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    mentions = [(p.name, line) for p in pages for line in p.read_text(encoding="utf-8").splitlines()
                if "symbolic_budget" in line]
    assert mentions and all("gone" in line for _, line in mentions), mentions


def test_json_on_an_error_is_empty_stdout_and_one_line_as_documented(capsys):
    from helpers import ROOT
    assert main(["check", "y = ", "--at", "x=1", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("symgrad: error: ")
    doc = " ".join((ROOT / "docs" / "check.md").read_text(encoding="utf-8").split())
    assert "stdout is empty and stderr has one line" in doc
    assert "always valid JSON" not in doc


def test_units_of_error_and_tolerance_are_documented_and_hold(capsys):
    """y = x² at x = 3: dy/dx = 6 by hand; a claimed 6.6 is 10 % off (relative error 0.1)."""
    from helpers import ROOT
    doc = " ".join((ROOT / "docs" / "check.md").read_text(encoding="utf-8").split())
    assert "`error` is **relative**" in doc and "`tolerance` is **absolute**" in doc
    assert main(["check", "y = x*x", "--at", "x=3", "--grads", "x=6.6", "y=1", "--json"]) == 1
    row = next(r for r in json.loads(capsys.readouterr().out)["rows"] if r["name"] == "x")
    assert row["error"] == pytest.approx(0.1, rel=1e-12)
    assert 0 < row["tolerance"] < 1e-9 * 6   # absolute: a few ulps of 6, not a fraction
