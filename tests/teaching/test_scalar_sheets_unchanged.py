"""Scalar worksheets are byte-for-byte what they were before tensor programs came in: every format
(md, html, tex, ipynb), answer key and exercise sheet, of the lecture's expression, its neuron and a
program of several rows. The digests in scalar_sheets.sha256 were made by tests/helpers/scalar_sheets.py:
first on main at 7ef5a96 (the tree before tensors; the tensor work left them all unchanged), then again
after four deliberate changes, each diffed against 7ef5a96's sheets line by line: every blank prints
its id (``[step1.term1.local]``), the HTML's print and inline-fraction CSS with its local derivatives'
MathML read from the row's template, TeX's ``\\sloppy``, the Markdown sheet's header lines as paragraphs of their own, and the HTML's closed-form
box scrolling sideways only (``overflow-y: hidden`` and a padding: MathML reached below it, so Chromium
gave each closed form a vertical scroll bar). Regenerate only after such a review."""

from pathlib import Path

from helpers.scalar_sheets import digests

GOLDEN = Path(__file__).with_name("scalar_sheets.sha256")


def test_scalar_worksheets_are_byte_identical_to_before_tensors():
    before = dict(reversed(line.split()) for line in GOLDEN.read_text().splitlines())
    now = digests()
    assert set(now) == set(before)
    changed = sorted(k for k in now if now[k] != before[k])
    assert changed == [], f"these scalar worksheets changed: {changed}"
