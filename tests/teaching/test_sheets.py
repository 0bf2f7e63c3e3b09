"""Worksheets a reader can use (and the bounds on drawing and worksheets): legible, typeset right, sheets and keys that match.

Artefacts (PDF pages as PNG, screenshots) go to pytest's tmp_path, never into the repository.
"""

import errno
import re
import shutil
import subprocess

import pytest

import symgrad as sg
from symgrad.interface.cli.main import main
from symgrad.language.printing import GREEK, latex_name, mathml_name, to_mathml, to_source
from helpers.threaded import run_threads

MLP = ("h1 = tanh(x1*w11 + x2*w12 + b1); h2 = tanh(x1*w21 + x2*w22 + b2); "
       "o = h1*v1 + h2*v2 + c; L = (o - y)**2")
MLP_AT = dict(x1=1, x2=-1, w11=0.5, w12=0.2, b1=0, w21=-0.3, w22=0.8, b2=0.1, v1=1, v2=-1, c=0.2, y=1)
LECTURE = "e = a*b; d = e + c; L = d*f"
LECTURE_AT = dict(a=2, b=-3, c=10, f=-2)
NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
NEURON_AT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
CAPITALS = [g.capitalize() for g in GREEK] + [g.upper() for g in GREEK] + ["Omicron", "omicron"]
SHAPES = ["x", "e", "x_", "x__2", "x1", "x_1", "x_a", "xa", "yhat", "xbar", "vabs", "w_out", "wout", "alpha",
          "alpha1", "alpha_1", "Beta1", "x1y", "xy1", "output", "t1", "d"] + CAPITALS


# --- one name printer -----------------------------------------------------------------------

def test_every_identifier_prints_distinct_in_latex_and_mathml():
    names = [n for n in dict.fromkeys(SHAPES) if n != "pi"]
    assert len({latex_name(n) for n in names}) == len(names)
    assert len({mathml_name(n) for n in names}) == len(names)
    own_glyph = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"}
    for n in CAPITALS:  # \Beta, \Alpha do not exist: a capital without its own glyph is one italic word
        assert latex_name(n) == ("\\" + n if n in own_glyph else r"\mathit{" + n + "}"), n
    assert latex_name("Beta") == r"\mathit{Beta}" and latex_name("Gamma") == r"\Gamma"
    assert latex_name("x1") == "x_{1}" and latex_name("x_1") == r"\mathit{x\_1}"
    assert latex_name("x__2") == r"\mathit{x\_\_2}" and latex_name("x_") == r"\mathit{x\_}"
    assert latex_name("yhat") == r"\mathit{yhat}" and "|" not in mathml_name("vabs")


def test_every_capitalised_greek_word_compiles_with_pdflatex(tmp_path):
    names = list(dict.fromkeys(SHAPES))
    body = "\n".join(f"${latex_name(n)}$\\par" for n in names)
    (tmp_path / "n.tex").write_text("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n"
                                    f"{body}\n\\end{{document}}\n")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "n.tex"], cwd=tmp_path, capture_output=True)
    assert run.returncode == 0, run.stdout.decode()[-800:]


def test_variable_e_and_eulers_number_differ_everywhere():
    prog = sg.parse("e = exp(2*n)")
    assert sg.to_latex(prog) == r"e = \mathrm{e}^{2 \cdot n}"
    assert '<mi mathvariant="normal">e</mi>' in to_mathml(prog) and "<mi>e</mi>" in to_mathml(prog)


def test_diff_latex_uses_the_name_printer(capsys):
    assert main(["diff", "e = exp(x); L = e*x__2 + log(e)", "--wrt", "x", "--latex"]) == 0
    out = capsys.readouterr().out
    assert r"\mathit{x\_\_2}" in out and r"\mathrm{e}^{x}" in out and "x^{2}" not in out


def test_mathml_keeps_program_order_and_uses_the_minus_sign():
    m = to_mathml(sg.parse("y = x1*w1 - c"))
    assert m.index("<mi>x</mi>") < m.index("<mi>w</mi>") and "<mo>&#x2212;</mo>" in m and "<mo>-</mo>" not in m
    assert to_source(sg.parse("L = (o - y)**2")) == "L = (o - y) ** 2"


# --- graph labels and draw -------------------------------------------------------------------

def test_graph_labels_use_an_exponent_only_where_needed():
    assert "grad 4.2484e-18" in sg.draw("y = sigmoid(x)", {"x": 40.0}).source  # σ'(40) = e^-40/(1+e^-40)^2
    big = sg.draw("y = exp(x)", {"x": 700.0}).source
    assert "data 1.0142e+304" in big and len(max(big.splitlines(), key=len)) < 120
    assert "grad 6.0000" in sg.draw(sg.backprop(LECTURE, LECTURE_AT)).source  # the lecture's a.grad


def test_draw_rejects_unknown_keywords_and_accepts_micrograds():
    result = sg.backprop(LECTURE, LECTURE_AT)
    for obj in (result, result.root):
        with pytest.raises(sg.InputError, match="show_grads"):
            sg.draw(obj, show_grads=False)
    assert "rankdir=TB" in sg.draw(result, rankdir="TB").source
    assert sg.draw(result, format="png").format == "png"
    assert "rankdir=TB" in sg.draw(LECTURE, LECTURE_AT, rankdir="TB").source  # not read as an input
    with pytest.raises(sg.InputError, match="rankdir"):
        sg.draw(result, rankdir="sideways")


def test_draw_from_threads_always_gives_the_full_dot():
    result = sg.backprop(MLP, MLP_AT)
    want = sg.draw(result).source
    outs, errors = [], []

    def work():
        try:
            for _ in range(50):
                outs.append(sg.draw(result).source)
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)
    run_threads(work, 8)
    assert not errors and len(outs) == 400 and all(o == want for o in outs)
    assert [v.grad for v in (result.root,)] == [1.0]  # drawing changed no grad


def test_a_lone_surrogate_label_renders_escaped():
    v = sg.Value(1.0, label="bad\ud800")
    dot = sg.draw(v)
    assert "\\ud800" in dot.source
    if shutil.which("dot"):
        assert b"<svg" in dot.pipe(format="svg")


def test_graph_layout_is_bounded_by_max_graph_nodes():
    program = " + ".join(f"x{i}*w{i}" for i in range(1250))  # 5,000 products' worth of nodes
    point = {f"{p}{i}": 1.0 for i in range(1250) for p in "xw"}
    with pytest.raises(sg.LimitError, match="max_graph_nodes"):
        sg.draw(program, point)
    with pytest.raises(sg.LimitError, match="max_worksheet_nodes"):
        sg.worksheet(program, point)


def test_graph_cli_write_failure_keeps_the_old_file(tmp_path, monkeypatch, capsys):
    import os
    target = tmp_path / "g.dot"
    target.write_text("old")
    real = os.fdopen

    def full(fd, *a, **k):
        fh = real(fd, *a, **k)
        def write(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        fh.write = write
        return fh
    monkeypatch.setattr(os, "fdopen", full)
    assert main(["graph", "x*y", "--at", "x=1", "y=2", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert target.read_text() == "old" and err.count("\n") == 1 and "No space left" in err
    assert main(["worksheet", "x*y", "--at", "x=1", "y=2", "-o", str(tmp_path / "w.html")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]  # no partial file


# --- sheets and keys -------------------------------------------------------------------------

def test_sheets_and_keys_match(tmp_path, capsys):
    out = tmp_path / "s.html"
    assert main(["worksheet", "x*y + sin(x)", "--count", "2", "--seed", "7", "-o", str(out)]) == 0
    sheet, key = (tmp_path / "s-2.html").read_text(), (tmp_path / "s-2-key.html").read_text()
    assert "<h1>Exercise sheet 2</h1>" in sheet and "<h1>Answer key — sheet 2</h1>" in key
    assert "Sheet 2 · seed 7" in sheet and "Sheet 2 · seed 7" in key
    heads = lambda t: re.findall(r"<h2 id=\"\w+\">(\d+\. [^<]+)</h2>", t)  # noqa: E731
    assert heads(sheet) == heads(key) == ["1. The graph", "2. Forward pass", "3. Backward pass",
                                          "4. Final gradients", "5. The nudge", "6. The derivative as a slope"]
    assert "SymPy value" not in sheet and "finite difference" not in sheet and "<th>gradient</th>" in sheet
    assert main(["worksheet", "x*y", "--count", "2", "--at", "x=1", "-o", str(out)]) == 2
    assert "--at" in capsys.readouterr().err
    assert main(["worksheet", "x*y", "--count", "5", "--limit", "max_sheets=3", "-o", str(out)]) == 2
    assert "max_sheets" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_section_numbers_are_the_same_on_sheet_and_key(fmt):
    key = sg.worksheet(NEURON, NEURON_AT, format=fmt)
    sheet = sg.worksheet(NEURON, NEURON_AT, format=fmt, exercise=True)
    pattern = r"## (\d+\. .+)" if fmt == "md" else r"\\section\*\{(\d+\. [^}]+)\}"
    assert re.findall(pattern, key) == re.findall(pattern, sheet) and len(re.findall(pattern, key)) == 6


def test_backward_pass_of_a_plus_a_explains_once_without_redundancy():
    md = sg.worksheet("b = a + a", {"a": 2.0}, format="md")
    assert "= 1 = 1" not in md.replace("$", "")
    assert md.count("*Accumulation:*") == 1 and md.count(r"a.\mathrm{grad}") >= 2


def test_unnamed_output_has_one_name_everywhere():
    md = sg.worksheet("tanh(x*w)", {"x": 1.0, "w": 0.5}, format="md")
    assert r"\mathit{output}" in md and "t_{2}" not in md and "$output$" not in md


def test_plot_picks_the_curved_input_and_stays_in_the_domain():
    from symgrad.teaching.worksheet import build_worksheet
    assert build_worksheet("y = a*x + exp(b)", dict(a=1, x=2, b=0.5)).plot_input == "b"
    c = build_worksheet("log(x)*sqrt(z)", dict(x=0.9, z=2.0), plot_input="x").curve
    assert min(c.xs) > 0 and min(c.ys) > -10
    tex = sg.worksheet(NEURON, NEURON_AT, format="tex")
    assert "every fourth segment" not in tex


def test_markdown_links_picture_files(tmp_path):
    path = tmp_path / "n.md"
    text = sg.worksheet(NEURON, NEURON_AT, format="md", path=str(path))
    assert "data:image" not in text and "](n-graph.svg)" in text and "](n-plot.svg)" in text
    assert (tmp_path / "n-graph.svg").read_text().lstrip().startswith("<svg")


# --- artefacts: pdflatex, pages as PNG, Chromium ------------------------------------------------

@pytest.mark.parametrize("name,program,point", [("mlp", MLP, MLP_AT), ("neuron", NEURON, NEURON_AT),
                                                ("lecture", LECTURE, LECTURE_AT)])
def test_tex_compiles_without_overfull_boxes(tmp_path, name, program, point):
    for exercise in (False, True):
        stem = f"{name}{'-sheet' if exercise else ''}"
        sg.worksheet(program, point, format="tex", exercise=exercise, path=str(tmp_path / f"{stem}.tex"))
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", f"{stem}.tex"], cwd=tmp_path,
                             capture_output=True, timeout=120)
        log = (tmp_path / f"{stem}.log").read_text(errors="replace")
        assert run.returncode == 0, log[-1500:]
        over = [float(x) for x in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide", log)]
        assert all(x <= 1.0 for x in over), over
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "60", "-png", f"{stem}.pdf", stem], cwd=tmp_path, check=True)
            assert list(tmp_path.glob(f"{stem}-*.png"))


def test_html_labels_are_legible_and_nothing_is_wider_than_the_page(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    facts = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        for name, program, point in (("mlp", MLP, MLP_AT), ("neuron", NEURON, NEURON_AT),
                                     ("lecture", LECTURE, LECTURE_AT)):
            path = tmp_path / f"{name}.html"
            sg.worksheet(program, point, format="html", path=str(path))
            page.goto(path.as_uri())
            facts.append((name, page.evaluate("""() => {
                // rendered font size in CSS px: the label's font-size times the SVG's scale on screen
                const sizes = [...document.querySelectorAll('#graph-figure svg text')].map(
                    t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a);
                const width = document.documentElement.clientWidth;
                const wide = [...document.querySelectorAll('body *')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.right > width + 0.5 && !e.closest('.figure, .closed, pre');
                }).map(e => e.tagName);
                return {sizes, wide, scroll: document.documentElement.scrollWidth, width};
            }""")))
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        browser.close()
    for name, f in facts:
        assert f["sizes"] and min(f["sizes"]) >= 10, (name, min(f["sizes"]))
        assert not f["wide"] and f["scroll"] <= f["width"], (name, f)


def test_notebook_executes_without_graphviz(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    import os
    import sys
    nb = nbformat.reads(sg.worksheet(NEURON, NEURON_AT, format="ipynb"), as_version=4)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", str(bin_dir))  # no `dot` on the PATH
    monkeypatch.setenv("PYTHONPATH", os.getcwd())
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    last = nb.cells[-1].outputs
    assert any("text/html" in o.get("data", {}) for o in last)
    assert all(o.get("output_type") != "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_names_print_as_themselves_in_every_format_and_column():
    program, point = "y = x__2*yhat + e*Beta + x_*x", {"x__2": 2.0, "yhat": 1.0, "e": 0.5, "Beta": 3.0,
                                                          "x_": 1.5, "x": 2.0}
    html = sg.worksheet(program, point, format="html")
    assert '<mi mathvariant="italic">x__2</mi>' in html and '<mi mathvariant="italic">yhat</mi>' in html
    assert "<msup><mi>x</mi><mn>2</mn></msup>" not in html and "&#x302;" not in html  # no x², no ŷ
    md = sg.worksheet(program, point, format="md")
    for tex in (r"\mathit{x\_\_2}", r"\mathit{yhat}", r"\mathit{Beta}", r"\mathit{x\_}"):
        assert tex in md
    assert r"\Beta" not in md and r"\hat" not in md and r"\bar" not in md


def test_html_negatives_use_the_minus_sign():
    html = sg.worksheet("y = x*w - 3", {"x": -2.0, "w": 1.5}, format="html")
    assert "<mn>-" not in html and "<mo>-</mo>" not in html and "<mo>&#x2212;</mo><mn>2</mn>" in html


def test_every_rule_text_typesets_in_tex_without_a_placeholder():
    # A row's worksheet text may use any Greek letter, sub- or superscript: TeX gets a command
    # for each (gelu's Φ and φ, cbrt's ∛, max's ½), never a "[U+…]" placeholder.
    from symgrad.rules.table import INTERNAL, RULES
    from symgrad.teaching.sheets import TexRenderer
    tex = TexRenderer.__new__(TexRenderer)
    for row in [*RULES.values(), *INTERNAL.values()]:
        assert "[U+" not in tex.text(row.title) + tex.text(row.text), row.name
    assert tex.text("ΦφΑ") == r"$\Phi$$\phi$$\mathrm{A}$"
    sheet = sg.worksheet("y = gelu(x)*cbrt(z) + max(x, z)", {"x": 0.5, "z": 2.0}, format="tex")
    assert "[U+" not in sheet and r"$\Phi$" in sheet


def test_a_long_closed_form_says_intermediates_only_when_it_uses_them():
    from symgrad.teaching.closed_form import closed_form
    _, note = closed_form(sg.parse("y = logsumexp(x, z, q)*tanh(x*z + q*x + z*q*x) + sin(x*z*q)"), "x")
    assert note == ""   # no named intermediate to write it with: shown whole, without the note
    mlp = ("h1 = tanh(x1*w11 + x2*w12 + b1); h2 = tanh(x1*w21 + x2*w22 + b2); o = h1*v1 + h2*v2 + c; "
           "L = (o - y)**2")
    form, note = closed_form(sg.parse(mlp), "w11")
    assert note == "in terms of the program's named intermediates"
    assert {s.name for s in form.free_symbols} == {"h1", "o", "v1", "x1", "y"}
