"""Jupyter display via _repr_mimebundle_: one picture, bounded work, quiet text without Graphviz."""

import xml.etree.ElementTree as ET

import symgrad as sg

LECTURE = "e = a*b; d = e + c; L = d*f"


def test_program_offers_only_the_svg_so_frontends_show_the_picture():
    bundle = sg.parse(LECTURE)._repr_mimebundle_()
    assert ET.fromstring(bundle["image/svg+xml"]).tag.endswith("svg")
    assert "text/latex" not in bundle  # frontends rank latex above svg: offering both hides the picture


def test_result_bundle_has_the_table_and_the_graph():
    bundle = sg.backprop(LECTURE, a=2, b=-3, c=10, f=-2)._repr_mimebundle_()
    html = bundle["text/html"]
    assert "<td>a</td><td>6</td>" in html and "<td>b</td><td>-4</td>" in html  # the lecture's grads
    assert "<svg" in html and "grad 6.0000" in html
    assert bundle["text/plain"].startswith("L = -8.0")  # by hand: (2·(-3) + 10)·(-2)


def test_without_dot_the_display_falls_back_quietly(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    prog = sg.parse(LECTURE)
    bundle = prog._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert bundle["text/latex"] == r"$$\begin{gathered}e = a \cdot b \\ d = e + c \\ L = d \cdot f\end{gathered}$$"
    html = sg.backprop(prog, a=2, b=-3, c=10, f=-2)._repr_mimebundle_()["text/html"]
    assert "<svg" not in html and "<td>a</td><td>6</td>" in html


def test_display_over_max_display_nodes_shows_the_table_and_a_note(monkeypatch):
    import symgrad.teaching.draw as draw_module
    calls = []
    monkeypatch.setattr(draw_module, "svg_text", lambda dot: calls.append(dot) or "<svg/>")
    program = sg.parse(" + ".join(f"x{i}*w{i}" for i in range(200)))  # 200 inputs·2 + 200 products + sums
    point = {name: 1.0 for name in program.inputs}
    html = sg.backprop(program, point)._repr_mimebundle_()["text/html"]
    assert "graph not drawn (799 nodes)" in html and "<td>x0</td><td>1</td>" in html
    assert calls == []  # Graphviz never ran
    small = sg.backprop("x*w", x=1.0, w=2.0)._repr_mimebundle_()["text/html"]
    assert "graph not drawn" not in small and len(calls) == 1


def test_ipython_formatter_uses_the_bundle():
    from IPython.core.formatters import DisplayFormatter  # installed by the test extra
    data, _ = DisplayFormatter().format(sg.parse("y = x*x"))
    assert "image/svg+xml" in data and "text/latex" not in data and "text/plain" in data


def test_repr_and_the_jupyter_methods_are_written_in_the_classes():
    """A reader of ast.py and backprop.py sees the methods there; nothing attaches them at import time."""
    from symgrad.engine.backprop import Result
    from symgrad.language.ast import Node, Program
    assert Node.__dict__["__repr__"].__qualname__ == "Node.__repr__"
    assert Program.__dict__["__repr__"].__qualname__ == "Program.__repr__"
    assert Program.__dict__["_repr_mimebundle_"].__qualname__ == "Program._repr_mimebundle_"
    assert Result.__dict__["_repr_mimebundle_"].__qualname__ == "Result._repr_mimebundle_"
    prog = sg.parse("y = x * w")
    assert repr(prog) == "Program('y = x * w', inputs=('x', 'w'))" and repr(prog.statements[0].expr) == "Op('x * w')"
    assert prog._repr_mimebundle_()["text/plain"] == repr(prog)


def test_display_of_a_small_graph_whose_edges_cross_many_ranks_shows_a_note(monkeypatch):
    """60 statements reading x and y each: 239 nodes, under max_display_nodes, but the reads of x and y
    cross hundreds of ranks (max_graph_layout): a note, not minutes of Graphviz."""
    import symgrad.teaching.draw as draw_module
    calls = []
    monkeypatch.setattr(draw_module, "svg_text", lambda dot: calls.append(dot) or "<svg/>")
    program = "; ".join(["a0 = x*y"] + [f"a{i} = where(a{i-1} > 0.5, sin(a{i-1})*a{i-1} + y, exp(-a{i-1})*x)"
                                        for i in range(1, 60)])
    html = sg.backprop(program, x=0.7, y=0.3)._repr_mimebundle_()["text/html"]
    assert "graph not drawn (239 nodes, max_graph_layout=5000)" in html and calls == []
