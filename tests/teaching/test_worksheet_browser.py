"""The lecture neuron's HTML worksheet in real headless Chromium: rendered, offline, no errors."""

import io

import pytest
from PIL import Image

import symgrad as sg
from helpers.browser import load_page

NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


@pytest.fixture(scope="module")
def page_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "neuron.html"
    path.write_text(sg.worksheet(NEURON, POINT, format="html"), encoding="utf-8")
    return load_page(path, """() => {
            const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
            const graph = document.querySelector('#graph-figure svg');
            const plot = document.querySelector('#plot-figure svg');
            const frac = document.querySelector('td math mfrac, li math mfrac');
            const mi = document.querySelector('math mi');
            const texts = [...graph.querySelectorAll('text')].map(t => t.textContent);
            return {graph: box(graph), plot: box(plot), maths: document.querySelectorAll('math').length,
                    frac: box(frac), mi: box(mi), texts: texts, body: document.body.innerText,
                    graphTop: graph.getBoundingClientRect().top + window.scrollY};
        }""", before_shot=lambda page, facts: page.evaluate(f"window.scrollTo(0, {facts['graphTop']} - 10)"))


def test_no_network_and_no_console_errors(page_report):
    assert page_report["requests"] == [page_report["url"]]
    assert [m for m in page_report["console"] if m[0] in ("error", "warning")] == []
    assert page_report["errors"] == []


def test_graph_svg_is_rendered_with_the_lecture_numbers(page_report):
    facts = page_report["facts"]
    width, height = facts["graph"]
    assert width > 500 and height > 80
    assert "grad -1.5000" in facts["texts"] and "data 0.7071" in facts["texts"]  # dL/dx1 = -1.5, o = 0.7071
    assert facts["plot"][0] > 200 and facts["plot"][1] > 100


def test_mathml_is_rendered_not_shown_as_text(page_report):
    facts = page_report["facts"]
    assert facts["maths"] > 50
    frac_h, mi_h = facts["frac"][1], facts["mi"][1]
    assert frac_h > 1.5 * mi_h  # a fraction is laid out stacked: MathML is rendered
    body = facts["body"]
    assert "<math" not in body and "<mfrac" not in body and "\\frac" not in body and "$" not in body


def test_screenshot_shows_the_graph(page_report):
    image = Image.open(io.BytesIO(page_report["shot"])).convert("L")
    assert image.size == (1200, 900)
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # boxes, edges and numbers of the graph, not a blank page


# A box that scrolls sideways (a wide formula, graph or rule) must not also overflow downwards:
# Chromium then adds a vertical scroll bar to it (MathML's fractions and subscripts reach a few
# pixels below the line box), a bar beside every closed form.
OVERFLOW = """() => [...document.querySelectorAll('.closed, .rule, .figure, pre')].map(
    e => [e.className || e.tagName, e.scrollHeight, e.clientHeight])"""


def tensor_point():
    import numpy as np
    r = np.random.default_rng(1)
    return {"X": r.standard_normal((4, 3)), "W1": r.standard_normal((3, 5)) * 0.5, "b1": r.standard_normal(5) * 0.1,
            "W2": r.standard_normal((5, 3)) * 0.5, "b2": r.standard_normal(3) * 0.1, "Y": np.array([0, 2, 1, 2])}


@pytest.mark.parametrize("program, point", [
    (NEURON, POINT),
    ("hpre = X @ W1 + b1\nh = tanh(hpre)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, Y)", tensor_point()),
], ids=["scalar", "tensor"])
def test_no_box_scrolls_downwards(tmp_path, program, point):
    path = tmp_path / "sheet.html"
    path.write_text(sg.worksheet(program, point, format="html"), encoding="utf-8")
    boxes = load_page(path, OVERFLOW)["facts"]
    assert len(boxes) >= 3
    assert [b for b in boxes if b[1] > b[2]] == []
