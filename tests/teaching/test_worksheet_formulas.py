"""Every formula a worksheet prints equals the value printed beside it, for every row, in every format.

A program per row uses ``e`` as a variable (``e = 2*a``), so an italic e is the variable and only
an upright ``\\mathrm{e}`` is Euler's number. Each worksheet is rendered as md, html, tex and ipynb;
every forward formula (``y = f(e, x)`` | value), every local derivative (``∂y/∂e = formula =
value``) and every closed form (against the final table's symbolic column) is read back from the rendered text (HTML: the LaTeX annotation of its MathML) and
evaluated by a small LaTeX evaluator (helpers/latex_eval.py) at the worksheet's own point. The
result must equal the printed value to its 6 printed digits. Points: an ordinary one inside each
row's domain, and each kink, tie and branch cut (at the tie of max, the printed rule must give ½,
PyTorch's slope). Seeded wrong templates fail the same check.
"""

from __future__ import annotations

import html
import json
import math
import re

import pytest

import symgrad as sg
from helpers.latex_eval import formula
from helpers.mathml_eval import formula as mathml_formula, to_latex as mathml_latex
from symgrad.language.printing import latex_name, mathml_name
from symgrad.rules.rule import inside
from symgrad.rules.table import RULES
from symgrad.teaching.sheets import render_worksheet
from symgrad.teaching.worksheet import build_worksheet

FORMATS = ("md", "html", "tex", "ipynb")


# A condition (a comparison, and, or, not) is never a statement on its own: it is only where's first
# argument, so its program is ``y = where(condition, x + e, x - e)``; the condition's operands are x and
# e. Both branches use x and e, so neither is pruned from the sheet whichever branch is taken.
_CONDITION = {"lt": "x < e", "le": "x <= e", "gt": "x > e", "ge": "x >= e", "eq": "x == e", "ne": "x != e",
              "and": "x < e and 0 < x", "or": "x < e or 0 < x", "not": "not x < e", "where": "x < e"}


def program(row) -> str:
    """A program whose last call is ``row`` (a condition: where's first argument), with the variable ``e``
    among its arguments."""
    if row.name in _CONDITION:
        return f"e = 2*a\ny = where({_CONDITION[row.name]}, x + e, x - e)"
    if row.kind == "infix" and row.name not in ("pow", "powc"):
        return f"e = 2*a\ny = x {row.symbol} e"
    return "e = 2*a\n" + {"neg": "y = -e", "powc": "y = e^3", "pow": "y = e^x", "clamp": "y = clamp(x, e, z)",
                          "logsumexp": "y = logsumexp(x, e, z)", "softplus_beta": "y = softplus(x, e, z)"}.get(
        row.name, f"y = {row.spelling}(e)" if row.arity == 1 else f"y = {row.spelling}(x, e)")


def point(row, args: tuple[float, ...]) -> dict[str, float]:
    """The program's inputs for the row's arguments ``args`` (e is the last argument, clamp's lo; e = 2a).
    A comparison's operands x and e are its arguments; a condition made of conditions (not, and, or,
    where's c) gets x and e that make x < e (and 0 < x) as true as its arguments are."""
    if row.name == "powc":
        return {"a": args[0] / 2}
    if row.name == "not":
        return {"x": 0.5, "a": (1.0 if args[0] else 0.25) / 2}
    if row.name in ("and", "or"):
        x = 0.5 if args[1] else -0.5
        return {"x": x, "a": (x + (0.5 if args[0] else -0.25)) / 2}
    if row.name == "where":
        return {"x": args[1], "a": (args[1] + (0.5 if args[0] else -0.25)) / 2}
    at = {"a": args[-1] / 2} if row.arity == 1 or row.name == "neg" else {"x": args[0], "a": args[1] / 2}
    return at | ({"z": 0.25} if row.name == "logsumexp" else {"z": args[2]} if row.name in ("clamp", "softplus_beta")
                 else {})


# The row's arguments at each kink, tie, jump or branch cut (by hand: relu, abs, elu and leaky_relu bend
# at 0, max and min tie at x = e, hypot's cone has its tip at (0, 0), atan2(y, x) jumps across
# y = 0, x < 0; a comparison steps at u = v; clamp(x, lo, hi) bends at x = lo and at x = hi, hardtanh
# at ±1, relu6 at 0 and 6; sign steps at 0, floor and ceil at each integer, round at each integer + ½;
# huber(x, δ) and smooth_l1(x, β) switch pieces at |x| = δ (β), where value and slope still agree;
# softplus(x, β, threshold) jumps by ln(1 + e^(−threshold))/β at β·x = threshold: ln(1 + e^(−1)) = 0.31 at 1).
KINKS = {"relu": [(0.0,)], "abs": [(0.0,)], "elu": [(0.0, 1.5), (0.0, -0.5)], "leaky_relu": [(0.0, 0.1)],
         "max": [(0.75, 0.75), (-2.0, -2.0)], "min": [(0.75, 0.75)], "hypot": [(0.0, 0.0)],
         "atan2": [(0.0, -1.5)],
         **{name: [(0.75, 0.75), (-2.0, -2.0)] for name in ("lt", "le", "gt", "ge", "eq", "ne")},
         "clamp": [(-1.0, -1.0, 2.0), (2.0, -1.0, 2.0)], "hardtanh": [(1.0,), (-1.0,)], "relu6": [(0.0,), (6.0,)],
         "sign": [(0.0,)], "floor": [(2.0,), (-1.0,)], "ceil": [(2.0,), (-1.0,)], "round": [(2.5,), (-0.5,)],
         "huber": [(1.0, 1.0), (-1.0, 1.0)], "smooth_l1": [(1.0, 1.0), (-1.0, 1.0)],
         "softplus_beta": [(1.0, 1.0, 1.0), (0.5, 2.0, 1.0)]}
CASES = [pytest.param(row, [p for p in inside(row) if len(p) == row.arity][3], id=f"{name}-ordinary")
         for name, row in RULES.items()]
CASES += [pytest.param(RULES[name], p, id=f"{name}-kink{p}") for name, ps in KINKS.items() for p in ps]
# pow's exponent slope at base 0: u^v·ln u would read 0·(−∞); the slope taken (PyTorch's) is 0.
CASES += [pytest.param(RULES["pow"], (2.0, 0.0), id="pow-base0")]


def test_every_kinked_row_is_sheeted_at_its_kinks():
    assert {name for name, row in RULES.items() if row.kink} == set(KINKS)
    for name, points in KINKS.items():
        assert all(RULES[name].kinked(*p) for p in points), name


# --- reading a rendered worksheet back -------------------------------------------------------

_VALUE = r"-?[0-9.]+(?:e[-+][0-9]+)?|inf|-inf|nan"
_MD_LOCAL = re.compile(r"^- \$\\frac\{\\partial (.+?)\}\{\\partial (.+?)\}\$ = \$(.*?)\$(?: = (" + _VALUE + r"))?; so",
                       re.M)
_MD_FORWARD = re.compile(r"^\| \$(.+?)\$ \| [\w\\]+ \| \$(.+)\$ \| (" + _VALUE + r") \|$", re.M)
_TEX_LOCAL = re.compile(r"^\\item \$\\frac\{\\partial (.+?)\}\{\\partial (.+?)\}\$ = \$(.*?)\$"
                        r"(?: = \$(" + _VALUE + r")\$)?; so", re.M)
_TEX_FORWARD = re.compile(r"^\$(.+?)\$ & [\w\\{}]+ & \$(.+)\$ & \$(" + _VALUE + r")\$ \\\\$", re.M)
_HTML_MATH = r'(<math xmlns="http://www.w3.org/1998/Math/MathML"><semantics>.*?' \
             r'<annotation encoding="application/x-tex">.*?</annotation></semantics></math>)'
_HTML_NUMBER = r"<math>(?:<mn>([^<]*)</mn>|<mrow><mo>&#x2212;</mo><mn>([^<]*)</mn></mrow>)</math>"
_HTML_LOCAL = re.compile(r"^<li><math><mfrac>.*?</mfrac></math> = " + _HTML_MATH + r"(?: = " + _HTML_NUMBER + r")?;",
                         re.M)
_HTML_FORWARD = re.compile(r"^<tr><td><math>.*?</math></td><td>\w+</td><td>" + _HTML_MATH + r"</td><td>"
                           + _HTML_NUMBER + r"</td></tr>$", re.M)


# Closed forms (d output / d name = SymPy's derivative) and the final table's symbolic column.
_CLOSED = {"md": re.compile(r"^\$\$\\frac\{\\partial .+?\}\{\\partial (.+?)\} = (.+)\$\$", re.M),
           "tex": re.compile(r"^\\begin\{dmath\*\}\\frac\{\\partial .+?\}\{\\partial (.+?)\} = (.+)\\end\{dmath\*\}$",
                             re.M),
           "html": re.compile(r'(<math display="block"><semantics>.*?<annotation encoding="application/x-tex">'
                              r"\\frac\{\\partial .+?\}\{\\partial (.+?)\} = .+?</annotation></semantics></math>)")}
_FINAL = {"md": re.compile(r"^\| \$(.+?)\$ \| (?:" + _VALUE + r") \| (" + _VALUE + r")? \| [^|]* \| [^|]+ \|$", re.M),
          "tex": re.compile(r"^\$(.+?)\$ & \$(?:" + _VALUE + r")\$ & (?:\$(" + _VALUE + r")\$)? & .* \\\\$", re.M),
          "html": re.compile(r"^<tr><td><math>(.+?)</math></td><td>" + _HTML_NUMBER + r"</td><td>(?:" + _HTML_NUMBER
                             + r")?</td>", re.M)}  # an empty symbolic cell: undefined there (a kink)


def _html_number(plain: str | None, negative: str | None) -> str | None:
    return plain if plain is not None else None if negative is None else "-" + negative


def printed(text: str, fmt: str) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    """([(local derivative's LaTeX, printed value or None for a plain number)], [(forward formula, value)])."""
    if fmt == "ipynb":
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        fmt = "md"
    text = text.replace(r"\vert ", "|")  # Markdown's | inside a table cell
    if fmt == "md":
        return ([(m[2], m[3] or None) for m in _MD_LOCAL.findall(text)],
                [(m[1], m[2]) for m in _MD_FORWARD.findall(text)])
    if fmt == "tex":
        return ([(m[2], m[3] or None) for m in _TEX_LOCAL.findall(text)],
                [(m[1], m[2]) for m in _TEX_FORWARD.findall(text)])
    return ([(m[0], _html_number(m[1] or None, m[2] or None)) for m in _HTML_LOCAL.findall(text)],
            [(m[0], _html_number(m[1] or None, m[2] or None)) for m in _HTML_FORWARD.findall(text)])


def closed_forms(text: str, fmt: str, ws) -> list[tuple[str, str]]:
    """[(closed form's LaTeX, or in HTML its whole <math> element; the symbolic column's printed value)]."""
    if fmt == "ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
        fmt = "md"
    text = text.replace(r"\vert ", "|")
    text = text[text.index("Final gradients"):].split("The nudge")[0]  # the final table, not the nudge's
    if fmt == "html":
        symbolic = {html.unescape(m[0]): _html_number(m[3] or None, m[4] or None) for m in _FINAL["html"].findall(text)}
        by_tex = {latex_name(r.name): symbolic.get(html.unescape(mathml_name(r.name))) for r in ws.final}
        return [(math, by_tex[html.unescape(name)]) for math, name in _CLOSED["html"].findall(text)]
    symbolic = {name: value or None for name, value in _FINAL[fmt].findall(text)}
    return [(latex, symbolic[name]) for name, latex in _CLOSED[fmt].findall(text)]


def _annotation(math: str) -> str:
    return html.unescape(re.search(r'<annotation encoding="application/x-tex">(.*?)</annotation>', math, re.S)[1])


def _right_of_equals(math: str) -> str:
    """The displayed formula of ``∂y/∂x = formula`` (a closed form's MathML), as a <math> element."""
    import xml.etree.ElementTree as ET
    from helpers.mathml_eval import _entities
    row = ET.fromstring(_entities(math))[0][0]  # math > semantics > mrow
    kids = list(row)
    at = next(k for k, kid in enumerate(kids) if kid.tag.endswith("mo") and kid.text == "=")
    new = ET.Element("mrow")
    new.extend(kids[at + 1:])
    return "<math>" + ET.tostring(new, encoding="unicode") + "</math>"


def _evaluations(shown: str, fmt: str, names: dict[str, float], closed: bool = False) -> list[tuple[str, float]]:
    """(what was read, its value): the LaTeX; in HTML the MathML the reader sees and its LaTeX annotation."""
    if fmt != "html":
        return [(shown, formula(shown, names))]
    visible = _right_of_equals(shown) if closed else shown
    annotation = _annotation(shown).split(" = ", 1)[1] if closed else _annotation(shown)
    return [(mathml_latex(visible), mathml_formula(visible, names)), (annotation, formula(annotation, names))]


def assert_sheet_reads_right(ws, fmt: str) -> None:
    """Every printed formula of the rendered sheet, evaluated at the sheet's point, is its printed value
    (in HTML both the MathML shown and its LaTeX annotation)."""
    text = render_worksheet(ws, fmt)
    names = {latex_name(n.name): n.value for n in ws.nodes if n.kind != "constant"}
    locals_, forward = printed(text, fmt)
    terms = [t for s in ws.steps for t in s.terms]
    assert len(locals_) == len(terms) and len(forward) == sum(n.kind == "op" for n in ws.nodes), (fmt, text)
    for shown, value in locals_ + forward:
        if value is None:  # a local derivative that is a plain number is its own value
            for latex, _ in _evaluations(shown, fmt, names):
                assert re.fullmatch(r"-? ?[0-9.]+", latex.strip()), (fmt, latex)
            continue
        for latex, got in _evaluations(shown, fmt, names):
            assert got == pytest.approx(float(value), rel=6e-6, abs=1e-12), (fmt, latex, value, got)
    shown_forms = closed_forms(text, fmt, ws)
    assert len(shown_forms) == sum(r.closed_form is not None for r in ws.final), (fmt, text)
    for shown, value in shown_forms:
        if value is None:  # no symbolic value is printed (undefined at a kink): nothing to compare
            continue
        for latex, got in _evaluations(shown, fmt, names, closed=True):
            assert got == pytest.approx(float(value), rel=6e-6, abs=1e-12), (fmt, latex, value)


@pytest.mark.parametrize("row, args", CASES)
def test_every_printed_formula_equals_its_printed_value(row, args):
    ws = build_worksheet(sg.parse(program(row)), point(row, args), graph=False)
    assert "e" in {n.name for n in ws.nodes}
    for fmt in FORMATS:
        assert_sheet_reads_right(ws, fmt)


def test_the_tie_of_max_prints_one_half_and_elus_euler_number_is_upright():
    """The issue's two sheets, by hand: at x = e the split slope is ½; ∂elu(x, e)/∂e = eˣ − 1 =
    e^-0.4 − 1 = −0.32968 (not the variable e = 1.5 to the power −0.4, minus 1)."""
    tie = build_worksheet(sg.parse("e = 2*a\ny = max(x, e)"), {"x": 0.75, "a": 0.375}, graph=False)
    md = render_worksheet(tie, "md")
    assert r"\frac{1}{2} & x = e" in md and "= 0.5; so" in md
    elu = build_worksheet(sg.parse("e = 2*a\ny = elu(x, e)"), {"x": -0.4, "a": 0.75}, graph=False)
    (term,) = [t for t in elu.steps[0].terms if t.child == "e"]
    assert term.local_value == pytest.approx(math.expm1(-0.4))
    assert r"\mathrm{e}^{x} - 1" in term.local.latex and "e^{x}" not in term.local.latex.replace(r"\mathrm{e}^", "")


# --- seeded wrong templates fail the check ------------------------------------------------------

def _sheet(source: str, at: dict[str, float]):
    return build_worksheet(sg.parse(source), at, graph=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_tie_rule_that_gives_0_fails(monkeypatch, fmt):
    row = RULES["max"]  # the old template: "1 for x > y, 0 otherwise" reads 0 at the tie, where the slope is ½
    monkeypatch.setitem(row.__dict__, "dlatex", (r"\begin{{cases}} 1 & {0} > {1} \\ 0 & \text{{otherwise}} \end{{cases}}",
                                                 r"\begin{{cases}} 1 & {1} > {0} \\ 0 & \text{{otherwise}} \end{{cases}}"))
    ws = _sheet("e = 2*a\ny = max(x, e)", {"x": 0.75, "a": 0.375})
    with pytest.raises(AssertionError):
        assert_sheet_reads_right(ws, fmt)
    assert_sheet_reads_right(_sheet("e = 2*a\ny = max(x, e)", {"x": 0.8, "a": 0.375}), fmt)  # right off the tie


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_italic_euler_number_fails(monkeypatch, fmt):
    """elu's ∂/∂α as it printed before: e^{x} after a cases line break, which no printer made upright."""
    import symgrad.language.printing as printing
    row = RULES["elu"]
    derived = row.dlatex
    monkeypatch.setitem(row.__dict__, "dlatex", (derived[0], derived[1].replace(r"\mathrm{{e}}", "e")))
    monkeypatch.setattr(printing, "template_latex", lambda template: template)
    with pytest.raises(AssertionError):
        assert_sheet_reads_right(_sheet("e = 2*a\ny = elu(x, e)", {"x": -0.4, "a": 0.75}), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_derivative_fails(monkeypatch, fmt):
    row = RULES["tanh"]  # 1 + tanh² instead of 1 − tanh²
    monkeypatch.setitem(row.__dict__, "dlatex", ("1 + {out}^{{2}}",))
    with pytest.raises(AssertionError):
        assert_sheet_reads_right(_sheet("e = 2*a\ny = tanh(e)", {"a": 0.3}), fmt)


# --- each row's footnote fits the row -------------------------------------------------------------

def _classify(row, args: tuple[float, ...]) -> str:
    """What happens at a kink point, numerically: the value steps between flat pieces or between pieces
    of other slopes (a jump: a comparison, sign, floor, softplus's threshold), the value jumps between
    sheets of the same slopes (a branch cut: atan2's), two equal arguments
    trade places (a tie), only the slope turns (a kink), or neither value nor slope turns (smooth: the
    pieces meet with equal slopes, as huber's at |x| = δ; nothing to footnote)."""
    h = 1e-7

    def slope(i: int, side: float) -> float:  # a one-sided difference quotient, a step away from the point
        near, far = list(args), list(args)
        near[i] += side * h
        far[i] += side * 2 * h
        return side * (row.forward(*far) - row.forward(*near)) / h

    for i in range(row.arity):
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        at = row.forward(*args)  # eq's value steps at the point itself, equal on either side
        if max(abs(row.forward(*up) - at), abs(row.forward(*down) - at)) > 1e-3:
            flat = all(abs(slope(j, side)) < 1e-6 for j in range(row.arity) for side in (1.0, -1.0))
            same = all(abs(slope(j, 1.0) - slope(j, -1.0)) < 1e-6 for j in range(row.arity))
            return "branch cut" if same and not flat else "jump"
    symmetric = row.arity == 2 and all(row.forward(u, v) == row.forward(v, u) for u, v in ((0.3, 1.7), (-1.2, 0.4)))
    if symmetric and all(row.kinked(t, t) for t in (-1.0, 0.5, 2.0)):  # every point with equal arguments
        return "tie"  # (huber also bends at x = δ, but its two arguments do not trade places)
    if any(abs(slope(i, 1.0) - slope(i, -1.0)) > 1e-3 for i in range(row.arity)):
        return "kink"
    return "smooth"


NOTES = ("kink", "tie", "jump", "branch cut")


@pytest.mark.parametrize("row", RULES.values(), ids=lambda r: r.name)
def test_each_rows_footnote_fits_the_row(row):
    said = {note for note in NOTES if re.search(rf"\b{note}\b", row.text)}  # "jumps by 2π" is atan2's cut
    if not row.kink:
        assert not said, row.text
        return
    assert said == {_classify(row, p) for p in KINKS[row.name]} - {"smooth"}, row.text


def test_only_huber_and_smooth_l1_switch_pieces_smoothly():
    """The rows whose kink points need no footnote are exactly those whose pieces meet with equal value
    and slope (by hand: huber's x and δ·sign(x) agree at |x| = δ, smooth_l1's x/β and sign(x) at |x| = β)."""
    smooth = {name for name, points in KINKS.items() if {_classify(RULES[name], p) for p in points} == {"smooth"}}
    assert smooth == {"huber", "smooth_l1"}
    assert {_classify(RULES[name], p) for name in ("lt", "eq", "sign", "floor", "round") for p in KINKS[name]} == {"jump"}
    assert {_classify(RULES[name], p) for name in ("clamp", "hardtanh", "relu6") for p in KINKS[name]} == {"kink"}


# --- the HTML's MathML reads as the LaTeX does --------------------------------------------------------

@pytest.mark.parametrize("source, at", [("e = 2*a\ny = max(x, e)", {"x": 0.75, "a": 0.375}),
                                        ("e = 2*a\ny = elu(x, e)", {"x": -0.4, "a": 0.75}),
                                        ("e = 2*a\ny = relu(e) + log(x)", {"x": 2.0, "a": 0.0})])
def test_html_math_is_well_formed_with_cases_an_upright_e_and_ln(source, at):
    """A piecewise slope is a brace of cases with "otherwise" (it printed as piecewise((1, x > 0),
    (0, True))), Euler's number is an upright e (the variable e stays italic), log is ln, and the
    tie of max reads ½ at x = e."""
    import xml.etree.ElementTree as ET
    page = render_worksheet(_sheet(source, at), "html")
    maths = re.findall(r"<math[ >].*?</math>", page, re.S)
    for m in maths:
        ET.fromstring(re.sub(r"&[A-Za-z]+;", "", m))  # XML: a relation's < is escaped
    text = "".join(maths)
    assert "piecewise" not in text and "<mi>True</mi>" not in text and "&ExponentialE;" not in text
    assert "<mi>log</mi>" not in text and "<mtext>otherwise</mtext>" in text
    if "elu(x, e)" in source:
        assert '<msup><mi mathvariant="normal">e</mi><mi>x</mi></msup>' in text
    if "max" in source:
        assert "<mtd><mfrac><mn>1</mn><mn>2</mn></mfrac></mtd>" in text and "<mo>=</mo><mi>e</mi>" in text


def test_html_shows_the_rows_template_not_sympys_derivative(monkeypatch):
    """At hypot's kink the template's cases read 0, as the value beside it; SymPy's x/√(x² + e²), which
    the HTML used to show, reads 0/0 there. Seeded back, the displayed MathML fails the check."""
    import symgrad.teaching.template_mathml as template_mathml
    kink = {"x": 0.0, "a": 0.0}
    assert_sheet_reads_right(_sheet("e = 2*a\ny = hypot(x, e)", kink), "html")

    def sympys(*_args):
        raise ValueError("seeded: SymPy's derivative instead of the template")
    monkeypatch.setattr(template_mathml, "template_mathml", sympys)
    with pytest.raises(AssertionError):
        assert_sheet_reads_right(_sheet("e = 2*a\ny = hypot(x, e)", kink), "html")


def test_html_shows_a_cube_root_as_a_root_of_index_3():
    """cbrt's forward formula displayed as √e (a square root) beside e^(1/3)."""
    page = render_worksheet(_sheet("e = 2*a\ny = cbrt(e)", {"a": 0.3}), "html")
    assert "<mroot><mrow><mi>e</mi></mrow><mn>3</mn></mroot>" in page and "<msqrt><mi>e</mi></msqrt>" not in page
