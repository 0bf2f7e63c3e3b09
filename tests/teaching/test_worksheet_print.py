"""HTML worksheets read and print well in real headless Chromium (Debian's): an inline ∂u/∂v is
as large as its sentence, and printed to PDF no section heading is left at a page's foot with
its table on the next page. The PDF's text per page comes from poppler's pdftotext."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import sync_playwright

import symgrad as sg
from symgrad.teaching.renderers import SECTIONS

CHROMIUM = "/usr/bin/chromium"   # scripts/install-system-deps.sh installs it and poppler-utils
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update"]
# programs whose worksheets, before headings were kept with their tables, broke a page right
# after "2. Forward pass" and "3. Backward pass" on A4
PROGRAMS = [("y = exp(sin(x)*x) + log(x*x + 1)*x", {"x": 0.5}),
            ("h = tanh(a*w + b); y = relu(h*v + c); L = (y - t)^2",
             {"a": 1.0, "w": 0.5, "b": 0.1, "v": 2.0, "c": -0.3, "t": 1.0})]


@pytest.fixture(scope="module")
def page():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (scripts/install-system-deps.sh)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser.new_page(viewport={"width": 1200, "height": 900})
        browser.close()


def test_an_inline_fraction_is_as_large_as_its_sentence(page, tmp_path):
    path = tmp_path / "neuron.html"
    path.write_text(sg.worksheet("n = x1*w1 + x2*w2 + b; o = tanh(n)",
                                 {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
                                 format="html"), encoding="utf-8")
    page.goto(path.as_uri())
    sizes = page.evaluate("""() => [...document.querySelectorAll('li math:not([display=block]) mfrac')].map(f =>
        [parseFloat(getComputedStyle(f.querySelector('mi')).fontSize),
         parseFloat(getComputedStyle(f.closest('li')).fontSize)])""")
    assert sizes
    for part, sentence in sizes:
        assert part >= 0.95 * sentence and part >= 12, (part, sentence)


@pytest.mark.parametrize("exercise", [False, True], ids=["worksheet", "exercise"])
@pytest.mark.parametrize("k", range(len(PROGRAMS)))
def test_printed_no_page_ends_with_a_heading(page, tmp_path, k, exercise):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed (scripts/install-system-deps.sh)")
    program, point = PROGRAMS[k]
    path = tmp_path / "w.html"
    path.write_text(sg.worksheet(program, point, format="html", exercise=exercise), encoding="utf-8")
    page.goto(path.as_uri())
    page.pdf(path=str(tmp_path / "w.pdf"), format="A4")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "w.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = [[line.strip() for line in p.splitlines() if line.strip()] for p in text.split("\f")]
    assert len([p for p in pages if p]) > 1   # the test means something only across pages
    headings = tuple(f"{n}. {title}" for n in range(1, 10) for title in SECTIONS.values())
    for number, lines in enumerate(pages[:-1], start=1):
        if lines:
            assert not lines[-1].startswith(headings) and not re.search(r": \w+ rule$", lines[-1]), \
                f"page {number} ends with the heading {lines[-1]!r}"
