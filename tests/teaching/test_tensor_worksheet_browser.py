"""The 2-layer MLP's tensor worksheet in real headless Chromium: rendered offline, no errors, its
matrices laid out as tables (MathML), the graph's boxes showing each tensor's shape."""

import io

import numpy as np
import pytest
from PIL import Image

import symgrad as sg
from helpers.browser import load_page

MLP = "hpre = X @ W1 + b1\nh = tanh(hpre)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, Y)"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    r = np.random.default_rng(1)
    point = {"X": r.standard_normal((4, 3)), "W1": r.standard_normal((3, 5)) * 0.5, "b1": r.standard_normal(5) * 0.1,
             "W2": r.standard_normal((5, 3)) * 0.5, "b2": r.standard_normal(3) * 0.1, "Y": np.array([0, 2, 1, 2])}
    path = tmp_path_factory.mktemp("tensor-browser") / "mlp.html"
    path.write_text(sg.worksheet(MLP, point, format="html"), encoding="utf-8")
    return load_page(path, """() => {
            const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
            const table = document.querySelector('td math mtable');
            const mi = document.querySelector('td math mi');
            const texts = [...document.querySelectorAll('#graph-figure svg text')].map(t => t.textContent);
            return {table: box(table), mi: box(mi), texts: texts, body: document.body.innerText,
                    width: document.documentElement.scrollWidth};
        }""", full_page=True)


def test_offline_and_without_errors(report):
    assert report["requests"] == [report["url"]]
    assert [m for m in report["console"] if m[0] in ("error", "warning")] == []
    assert report["errors"] == []


def test_matrices_are_laid_out_and_math_is_not_raw_text(report):
    facts = report["facts"]
    assert facts["table"][1] > 3 * facts["mi"][1]        # X's 4 rows stacked: MathML tables are rendered
    body = facts["body"]
    assert "<math" not in body and "\\begin" not in body and "$" not in body
    assert "(4, 5)" in body and "matrix product" in body


def test_graph_boxes_show_shapes_and_summaries(report):
    texts = report["facts"]["texts"]
    assert "hpre (4, 5) = add" in texts and "W1 (3, 5)" in texts     # a tall graph: the operation in its box
    assert any(t.startswith("data mean ") for t in texts) and any(t.startswith("grad [") for t in texts)


def test_the_page_fits_the_window_and_has_content(report):
    assert report["facts"]["width"] <= 1200
    image = Image.open(io.BytesIO(report["shot"])).convert("L")
    assert sum(image.histogram()[:128]) > 20_000
