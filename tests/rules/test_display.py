"""The display columns derived from a row's SymPy form (symgrad/rules/display.py).

tests/rules/test_latex.py proves every template (derived and overridden) numerically against
SymPy at 30 digits. Here: the derived statements against hand derivations, the overrides are
not redundant, SymPy stays out of ``import symgrad`` and ``symgrad graph``, and a row registered
with no display columns at all gets derived ones that render in every format.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import string
import subprocess
import sys

import pytest

import symgrad as sg
from helpers.registry import unregister
from symgrad.rules.table import INTERNAL, RULES

from helpers import ROOT  # noqa: E402
ROWS = [*RULES.values(), *INTERNAL.values()]


@pytest.mark.parametrize("name, text", [
    # by hand: tanh' = 1 − tanh², (u/v)' by the quotient rule, atan2's partials x/r², −y/r²
    ("tanh", "d(tanh(x))/dx = 1 − tanh²(x)"),
    ("div", "∂(u/v)/∂u = 1/v and ∂(u/v)/∂v = −u/v²"),
    ("exp2", "d(2ˣ)/dx = 2ˣ·ln 2"),
    ("mul", "∂(u·v)/∂u = v and ∂(u·v)/∂v = u"),
    ("asinh", "d(arsinh(x))/dx = 1/√(x² + 1)"),
    ("erf", "d(erf(x))/dx = 2·exp(−x²)/√π"),
    ("log2", "d(log2(x))/dx = 1/(x·ln 2)"),
    ("atan2", "∂(atan2(y, x))/∂y = x/(x² + y²) and ∂(atan2(y, x))/∂x = −y/(x² + y²)"
              " (at a kink, the slope PyTorch takes)"),  # the row says "branch cut" instead (an override)
    ("hypot", "∂(hypot(x, y))/∂x = x/√(x² + y²) and ∂(hypot(x, y))/∂y = y/√(x² + y²)"
              " (at a kink, the slope PyTorch takes)"),
    ("elu", "∂(elu(x, α))/∂x = 1 if x > 0, else α·eˣ and ∂(elu(x, α))/∂α = 0 if x > 0, else eˣ − 1"
            " (at a kink, the slope PyTorch takes)"),
])
def test_derived_statements_read_as_a_hand_derivation(name, text):
    assert RULES[name].derived().text == text
    if "text" not in RULES[name].overrides():
        assert RULES[name].text == text


@pytest.mark.parametrize("name, latex, dlatex", [
    ("tanh", r"\tanh\left({0}\right)", ("1 - {out}^{{2}}",)),  # the form reappears: written as the output
    ("exp", r"\mathrm{{e}}^{{{0}}}", ("{out}",)),  # Euler's number upright: an italic e is a variable
    ("expm1", r"\operatorname{{expm1}}\left({0}\right)", (r"\mathrm{{e}}^{{{0}}}",)),
    ("log", r"\ln\left({0}\right)", (r"\frac{{1}}{{{0}}}",)),
    ("atan", r"\arctan\left({0}\right)", (r"\frac{{1}}{{{0}^{{2}} + 1}}",)),
    ("softplus", r"\operatorname{{softplus}}\left({0}\right)", None),  # a composite form: the call as written
    ("leaky_relu", r"\operatorname{{leaky\_relu}}\left({0}, {1}\right)", None),
    ("powc", "{0}^{{{1}}}", (None, "0")),  # a constant argument has slope 0
])
def test_derived_templates(name, latex, dlatex):
    derived = RULES[name].derived()
    assert derived.latex == latex
    for got, want in zip(derived.dlatex, dlatex or ()):
        assert want is None or got == want


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_shown_columns_are_complete_and_leak_no_placeholder(row):
    assert len(row.dlatex) == row.arity and row.title and row.text
    fields = {str(i) for i in range(row.arity)} | {"out"}
    for template in (row.latex, *row.dlatex):
        assert {f for _, f, _, _ in string.Formatter().parse(template) if f is not None} <= fields, template
        filled = template.format(*[f"a{i}" for i in range(row.arity)], out="OUT")
        assert "\x00" not in filled and "\x01" not in filled and filled.count("{") == filled.count("}"), template
    # exp(…) is the printer's own notation only where the exponent has no superscript form
    # (2·exp(−x²)/√π): exp of a bare letter would be SymPy's str leaking, where eˣ is printed
    assert not re.search(r"\*\*|Heaviside|Max\(|Min\(|\bsqrt\(|\bexp\([a-zα-ω]\)|\x00", row.text), row.text


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_every_override_differs_from_the_derived_one(row):
    """An override the derivation reproduces is dead weight: the row should not carry it."""
    given, derived = row.overrides(), row.derived()
    assert given.get("title") != f"{row.name} rule"
    for column in ("latex", "text"):
        assert column not in given or given[column] != getattr(derived, column), column
    for mine, theirs in zip(given.get("dlatex", ()), derived.dlatex):
        assert not mine or mine != theirs, mine


def _fresh_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True).stdout


def test_sympy_is_imported_only_when_a_derived_column_is_read():
    out = _fresh_python(
        "import sys, symgrad\n"
        "from symgrad.rules.table import RULES\n"
        "print('sympy' in sys.modules, RULES['tanh'].title, RULES['sin'].title)\n"
        "symgrad.backprop('y = tanh(x) * sin(x)', x=0.5)\n"
        "print('sympy' in sys.modules, RULES['tanh'].dlatex[0])\n"
        "print('sympy' in sys.modules)\n")
    assert out.splitlines() == ["False tanh rule sine rule", "False 1 - {out}^{{2}}", "True"]


def test_graph_command_does_not_import_sympy(tmp_path):
    out = _fresh_python(
        "import sys\n"
        "from symgrad.interface.cli.main import main\n"
        f"main(['graph', 'y = tanh(x*w) + atan(x)/hypot(x, w) + relu(w)', '--at', 'x=1', 'w=2', "
        f"'-o', {str(tmp_path / 'g.dot')!r}])\n"
        "print('sympy' in sys.modules)\n")
    assert out.strip().splitlines()[-1] == "False"
    assert "atan" in (tmp_path / "g.dot").read_text()


# --- a row registered without any display column ------------------------------------------

def _forward(x):
    a = abs(x)
    return math.log1p(2.0 * math.sinh(0.5 * a) ** 2) if a < 20.0 else a + math.log1p(math.exp(-2.0 * a)) - math.log(2.0)


@pytest.fixture
def logcosh():
    row = sg.register("logcosh", _forward, lambda x, out: (math.tanh(x),), sympy=lambda sp, x: sp.log(sp.cosh(x)))
    yield row
    unregister("logcosh")


def test_a_registered_row_gets_derived_display(logcosh, tmp_path):
    assert logcosh.overrides() == {}
    assert logcosh.title == "logcosh rule"
    assert logcosh.latex == r"\operatorname{{logcosh}}\left({0}\right)"  # ln(cosh(x)) is not one function of x
    # d/dx ln(cosh x) = sinh x / cosh x, by the chain rule
    assert logcosh.dlatex == (r"\frac{{\sinh\left({0}\right)}}{{\cosh\left({0}\right)}}",)
    assert logcosh.text == "d(logcosh(x))/dx = sinh(x)/cosh(x)"

    program, point = "h = logcosh(x*w); L = h + x", {"x": 0.5, "w": -1.5}
    from symgrad.teaching.jupyter import program_latex  # Program's LaTeX repr (Jupyter, when no Graphviz)
    assert r"h = \operatorname{logcosh}\left(x \cdot w\right)" in program_latex(sg.parse(program))
    for fmt in ("md", "tex"):
        sheet = sg.worksheet(program, point, format=fmt)
        assert "logcosh rule" in sheet and r"\frac{\sinh\left(" in sheet and "{0}" not in sheet, fmt
    html = sg.worksheet(program, point, format="html")
    assert "logcosh rule" in html and "d(logcosh(x))/dx = sinh(x)/cosh(x)" in html
    cells = json.loads(sg.worksheet(program, point, format="ipynb"))["cells"]
    assert any("logcosh rule" in "".join(c["source"]) for c in cells)
    if shutil.which("pdflatex"):
        (tmp_path / "w.tex").write_text(sg.worksheet(program, point, format="tex"), encoding="utf-8")
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "w.tex"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout[-3000:]


def test_a_registered_override_is_kept_and_an_empty_slot_is_derived():
    row = sg.register("hyp", lambda x, y: math.hypot(x, y), lambda x, y, out: (x / out, y / out),
                      sympy=lambda sp, x, y: sp.sqrt(x ** 2 + y ** 2), dlatex=(r"\frac{{{0}}}{{{out}}}", ""),
                      title="hypotenuse rule", kink=lambda x, y: x == 0.0 and y == 0.0)
    try:
        assert row.title == "hypotenuse rule"
        assert row.dlatex == (r"\frac{{{0}}}{{{out}}}", r"\frac{{{1}}}{{\sqrt{{{0}^{{2}} + {1}^{{2}}}}}}")
        assert row.text.endswith("(at a kink, the slope PyTorch takes)")
    finally:
        unregister("hyp")


def test_a_composite_form_prints_as_the_call_the_program_wrote():
    # hypot's old hand template \sqrt{{0}^2 + {1}^2} printed hypot(a + b, c) as √(a + b² + c²)
    assert sg.to_latex(sg.parse("y = hypot(a + b, c)")) == r"y = \operatorname{hypot}\left(a + b, c\right)"
    assert sg.to_latex(sg.parse("y = atan(a*b)")) == r"y = \arctan\left(a \cdot b\right)"
