"""Jupyter display: rich when Graphviz is there, quiet text when it is not."""

import xml.etree.ElementTree as ET


import symgrad as sg

LECTURE = "e = a*b; d = e + c; L = d*f"


def test_program_shows_its_ast_and_latex():
    prog = sg.parse(LECTURE)
    svg = prog._repr_svg_()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert prog._repr_latex_() == r"$$\begin{gathered}e = a \cdot b \\ d = e + c \\ L = d \cdot f\end{gathered}$$"


def test_result_html_has_the_table_and_the_graph():
    html = sg.backprop(LECTURE, a=2, b=-3, c=10, f=-2)._repr_html_()
    assert "<td>a</td><td>6</td>" in html and "<td>b</td><td>-4</td>" in html  # the lecture's grads
    assert "<svg" in html and "grad 6.0000" in html


def test_without_dot_the_display_falls_back_quietly(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    prog = sg.parse(LECTURE)
    assert prog._repr_svg_() is None  # IPython then shows the text repr
    html = sg.backprop(prog, a=2, b=-3, c=10, f=-2)._repr_html_()
    assert "<svg" not in html and "<td>a</td><td>6</td>" in html


def test_ipython_formatter_uses_them():
    from IPython.core.formatters import DisplayFormatter  # installed by the test extra
    data, _ = DisplayFormatter().format(sg.parse("y = x*x"))
    assert "image/svg+xml" in data and "text/latex" in data and "text/plain" in data
