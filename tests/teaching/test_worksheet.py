"""Derivation worksheets: content, formats, exercise sheets, determinism."""

import math
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
import sympy

import symgrad as sg
from symgrad.teaching.sheets import RENDERERS
from symgrad.teaching.worksheet import blanked, build_worksheet
from symgrad.teaching.worksheet_model import Blank

LECTURE = "e = a*b; d = e + c; L = d*f"
LECTURE_POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
NEURON_POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
FORMATS = tuple(RENDERERS)


def test_lecture_backward_pass_has_rules_locals_and_products():
    ws = build_worksheet(LECTURE, LECTURE_POINT)
    assert [s.node for s in ws.steps] == ["L", "d", "e"]  # reverse topological order
    assert [s.rule.title for s in ws.steps] == ["product rule", "sum rule", "product rule"]
    terms = {(s.node, t.child): t for s in ws.steps for t in s.terms}
    # The lecture's numbers: dL/dd = f = -2, dL/dc = dL/de = -2, dL/da = -2 * b = 6, dL/db = -2 * a = -4.
    assert (terms["L", "d"].local.latex, terms["L", "d"].local_value, terms["L", "d"].product) == ("f", -2.0, -2.0)
    assert (terms["e", "a"].local.latex, terms["e", "a"].upstream, terms["e", "a"].product) == ("b", -2.0, 6.0)
    assert terms["e", "b"].product == -4.0 and terms["d", "c"].product == -2.0
    md = sg.worksheet(LECTURE, LECTURE_POINT, format="md")
    assert r"$a.\mathrm{grad}$ += (-2) × (-3) = 6" in md  # accumulated grad, distinct from ∂e/∂a
    assert "product rule" in md and "∂(u·v)/∂u = v" in md


def test_forward_table_and_final_table_agree_with_sympy_and_the_lecture():
    ws = build_worksheet(NEURON, NEURON_POINT)
    values = {n.name: n.value for n in ws.nodes}
    assert math.isclose(values["o"], 1 / math.sqrt(2), rel_tol=1e-12)
    assert [n.formula.latex for n in ws.nodes if n.name == "o"] == [r"\tanh\left(n\right)"]
    final = {r.name: r for r in ws.final}
    lecture = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "n": 0.5, "o": 1.0}
    for name, grad in lecture.items():
        row = final[name]
        assert math.isclose(row.backprop, grad, abs_tol=1e-9)
        assert math.isclose(row.symbolic, grad, abs_tol=1e-9)
        assert math.isclose(row.numeric, grad, abs_tol=1e-5)
        assert row.verdict == "agree"
    # The closed form is SymPy's own derivative.
    x1, w1, x2, w2, b = sympy.symbols("x1 w1 x2 w2 b", real=True)
    expected = sympy.diff(sympy.tanh(x1 * w1 + x2 * w2 + b), x1)
    assert final["x1"].closed_form.latex == sympy.latex(expected)


def test_accumulation_note_where_a_node_is_used_twice():
    ws = build_worksheet("b = a + a; c = b*a", {"a": 3.0})
    notes = [t.note for s in ws.steps for t in s.terms if t.child == "a"]
    assert len(notes) == 3 and "used 3 times" in notes[0] and notes[1:] == ["", ""]  # explained once
    assert [t.local.latex for s in ws.steps for t in s.terms if s.node == "b"] == ["1", "1"]  # 1 per use, not 2
    a = sympy.Symbol("a", real=True)
    final = {r.name: r for r in ws.final}
    assert final["a"].backprop == final["a"].symbolic == float(sympy.diff(2 * a * a, a).subs(a, 3))
    assert "a is used 3 times, so a.grad is the sum of its 3 contributions" in sg.worksheet("b = a + a; c = b*a", {"a": 3.0}, format="html")


def test_nudge_moves_the_output_as_predicted():
    ws = build_worksheet(NEURON, NEURON_POINT, h=1e-4)
    n = ws.nudge
    predicted, actual = n.predicted - n.before, n.after - n.before
    assert predicted > 0 and math.isclose(actual, predicted, rel_tol=1e-2)
    for name, value, grad, new in n.inputs:
        assert new == value + 1e-4 * grad


def test_plot_is_an_svg_with_the_tangent():
    ws = build_worksheet(NEURON, NEURON_POINT, plot_input="b")
    assert ws.plot_svg.startswith("<svg") and "<!-- tangent, slope do/db = 0.5 -->" in ws.plot_svg
    assert math.isclose(ws.curve.slope, 0.5, rel_tol=1e-12) and ws.curve.name == "b" and len(ws.curve.xs) == 201
    with pytest.raises(sg.InputError):
        build_worksheet(NEURON, NEURON_POINT, plot_input="n")


def test_exercise_blanks_answers_and_the_key_has_them():
    sheet = build_worksheet(LECTURE, LECTURE_POINT, exercise=True)
    assert sheet.exercise and sheet.nudge.predicted == Blank("nudge.predicted") and not sheet.curve.tangent
    assert sheet.nudge.inputs[0][2] == Blank("nudge.input1.grad")
    assert all(isinstance(t.local, Blank) and isinstance(t.product, Blank) for s in sheet.steps for t in s.terms)
    assert all(isinstance(r.backprop, Blank) for r in sheet.final)
    assert "grad ?" in sheet.graph_svg and "grad 6.0000" not in sheet.graph_svg
    assert "tangent" not in sheet.plot_svg  # the slope is an answer
    md = sg.worksheet(LECTURE, LECTURE_POINT, format="md", exercise=True)
    assert (r"+= \_\_\_\_ \[step1.term1.upstream\] × \_\_\_\_ \[step1.term1.local\_value\] = "
            r"\_\_\_\_ \[step1.term1.product\]") in md and "= 6" not in md
    assert "= 6" in sg.worksheet(LECTURE, LECTURE_POINT, format="md")


def test_formats_escape_hostile_text():
    title = '<script>alert(1)</script> {x|y} \\ $ % & # _ ^ ~ "'
    html = sg.worksheet(LECTURE, LECTURE_POINT, format="html", title=title)
    assert "<script" not in html and "&lt;script&gt;" in html
    md = sg.worksheet(LECTURE, LECTURE_POINT, format="md", title=title)
    assert md.splitlines()[0] == r'# \<script\>alert(1)\</script\> {x\|y} \\ \$ % & \# \_ ^ \~ "'
    tex = sg.worksheet(LECTURE, LECTURE_POINT, format="tex", title=title)
    assert r"\textless{}script\textgreater{}alert(1)\textless{}/script\textgreater{} \{x\textbar{}y\}" in tex
    with pytest.raises(sg.InputError):
        sg.worksheet(LECTURE, LECTURE_POINT, format="docx")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="scripts/install-system-deps.sh installs pdflatex")
@pytest.mark.parametrize("program, point, kw", [
    (NEURON, NEURON_POINT, {}),
    (NEURON, NEURON_POINT, {"exercise": True}),
    ("q = a/b - relu(a) + abs(b)^2 + sqrt(exp(a)) + log(sigmoid(b)); r = q*q + pi",
     {"a": 0.5, "b": -1.5}, {"title": "Odd {x|y} \\ $ % & # _ ^ ~ < > σ × ∞"}),
    ("y = 2*3", {}, {"exercise": True}),  # no inputs, a step with constants only
])
def test_tex_compiles_with_pdflatex(tmp_path, program, point, kw):
    (tmp_path / "w.tex").write_text(sg.worksheet(program, point, format="tex", **kw), encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "w.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "w.pdf").read_bytes()[:5] == b"%PDF-"


def test_notebook_validates_and_its_code_cells_recompute_the_numbers():
    text = sg.worksheet(NEURON, NEURON_POINT, format="ipynb")
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 3
    namespace: dict = {}
    for source in code:
        exec(compile(source, "<cell>", "exec"), namespace)  # test code runs the generated notebook
    assert math.isclose(namespace["result"].grads["x1"], -1.5, rel_tol=1e-12)
    assert any("$x_{1}.\\mathrm{grad}$" in c.source for c in nb.cells if c.cell_type == "markdown")
    sheet = nbformat.reads(sg.worksheet(NEURON, NEURON_POINT, format="ipynb", exercise=True), as_version=4)
    nbformat.validate(sheet)
    assert "result.table()" not in "".join(c.source for c in sheet.cells)  # no answers printed
    student: dict = {}
    for cell in sheet.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<cell>", "exec"), student)
    assert math.isclose(student["result"].value, 1 / math.sqrt(2), rel_tol=1e-12)



def test_worksheet_without_graphviz_still_renders_with_a_note(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    html = sg.worksheet(LECTURE, LECTURE_POINT, format="html")
    assert "The graph is not drawn" in html and "apt-get install graphviz" in html


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, env=env)


WRITE_ALL = """
import sys, symgrad as sg
point = {point!r}
for fmt in {formats!r}:
    with open(sys.argv[1] + "." + fmt, "w", encoding="utf-8", newline="\\n") as fh:
        fh.write(sg.worksheet({program!r}, point, format=fmt))
        fh.write(sg.worksheet({program!r}, point, format=fmt, exercise=True))
"""


def test_byte_identical_across_hash_seeds(tmp_path):
    script = WRITE_ALL.format(point=NEURON_POINT, formats=FORMATS, program=NEURON + "; y = o*n + n")
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / seed)], env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    for fmt in FORMATS:
        first, second = (tmp_path / f"0.{fmt}").read_bytes(), (tmp_path / f"12345.{fmt}").read_bytes()
        assert len(first) > 5000 and first == second, fmt


def test_cli_exercise_and_class_sets(tmp_path):
    proc = run_cli("worksheet", LECTURE, "--at", "a=2", "b=-3", "c=10", "f=-2", "-o", str(tmp_path / "w.html"),
                   "--exercise")
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"w.html", "w-key.html", "w-key.json"}  # the key as JSON too, for grading
    assert 'class="blank"' in (tmp_path / "w.html").read_text() and 'class="blank"' not in (tmp_path / "w-key.html").read_text()
    runs = []
    for run in ("one", "two"):
        (tmp_path / run).mkdir()
        proc = run_cli("worksheet", "y = log(x) * sqrt(z) / w", "--count", "3", "--seed", "7",
                       "-o", str(tmp_path / run / "s.md"))
        assert proc.returncode == 0, proc.stderr
        assert "100%" in proc.stderr  # the progress bar
        runs.append({p.name: p.read_bytes() for p in (tmp_path / run).iterdir() if p.suffix in (".md", ".json")})
    assert sorted(runs[0]) == ["s-1-key.json", "s-1-key.md", "s-1.md", "s-2-key.json", "s-2-key.md", "s-2.md",
                               "s-3-key.json", "s-3-key.md", "s-3.md"]
    assert runs[0] == runs[1]  # the seed fixes the points
    assert runs[0]["s-1.md"] != runs[0]["s-2.md"]
    proc = run_cli("worksheet", "x", "--at", "x=1", "-o", str(tmp_path / "w.docx"))
    assert proc.returncode == 2 and "suffix" in proc.stderr and proc.stderr.count("\n") == 1


def test_random_points_stay_in_the_domain():
    import random
    from symgrad.teaching.exercises import random_point
    program = sg.parse("y = log(x) + sqrt(z) + 1/w")
    rng = random.Random(3)
    for _ in range(20):
        p = random_point(program, rng)
        assert p["x"] > 0 and p["z"] >= 0 and p["w"] != 0
    with pytest.raises(sg.InputError):
        random_point(sg.parse("y = log(x) + log(-x)"), rng)


def test_tex_includes_graphvizs_own_pdf(tmp_path):
    tex = sg.worksheet(LECTURE, LECTURE_POINT, format="tex", path=str(tmp_path / "w.tex"))
    assert r"\includegraphics[width=" in tex and "{w-graph.pdf}" in tex and "{w-plot.pdf}" in tex
    assert (tmp_path / "w-graph.pdf").read_bytes().startswith(b"%PDF")
    key = build_worksheet(LECTURE, LECTURE_POINT)
    assert "a | data 2.0000 | grad 6.0000" in key.graph_dot  # the lecture's label, now typeset by Graphviz
    assert "a | data 2.0000 | grad ? " in blanked(key).graph_dot


def test_a_program_too_deep_for_sympy_still_gets_its_final_table():
    program = "\n".join(["h0 = x"] + [f"h{k} = tanh(h{k - 1}*w{k} + b{k})" for k in range(1, 41)])
    point = {name: 0.1 * ((i % 7) - 3) for i, name in enumerate(sg.parse(program).inputs)}
    ws = build_worksheet(program, point, graph=False)
    assert len(ws.final) == 81 + 41
    for row in ws.final:
        assert row.numeric is not None and math.isclose(row.backprop, row.numeric, rel_tol=1e-3, abs_tol=1e-5)
        assert row.verdict == "agree" or row.verdict.startswith("skipped")


def test_a_sheet_whose_graph_crosses_too_many_ranks_is_written_without_its_picture():
    """60 statements each reading x and y: 239 nodes, within max_worksheet_nodes, but each read of x
    and y crosses up to 470 ranks (max_graph_layout): the sheet says why its graph is not drawn."""
    program = "; ".join(["a0 = x*y"] + [f"a{i} = where(a{i-1} > 0.5, sin(a{i-1})*a{i-1} + y, exp(-a{i-1})*x)"
                                        for i in range(1, 60)])
    ws = build_worksheet(program, {"x": 0.7, "y": 0.3}, symbolic=False)
    assert ws.graph_svg is None and len(ws.nodes) == 239
    assert any(n.startswith("The graph is not drawn") and "max_graph_layout=5000" in n for n in ws.notes)
