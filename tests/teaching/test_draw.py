"""symgrad.draw and `symgrad graph`: the lecture's draw_dot, deterministic and injection-proof."""

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

import symgrad as sg
from symgrad.teaching.draw import render

LECTURE = "e = a*b; d = e + c; L = d*f"
POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["{x|y}", "<b>x</b>", '"; n5 [label="x"]; "', "trailing\\", "\\N\\G", "a\nb", "}|{"]


def svg_nodes(svg: bytes) -> tuple[list[list[str]], int]:
    """(texts of each node group, number of edges) of a Graphviz SVG."""
    root = ET.fromstring(svg)
    nodes, edges = [], 0
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            nodes.append([t.text or "" for t in g.iter(SVG + "text")])
        elif g.get("class") == "edge":
            edges += 1
    return nodes, edges


def test_lecture_graph_has_the_lecture_numbers_in_records():
    dot = sg.draw(LECTURE, POINT)
    assert 'rankdir=LR' in dot.source
    # The lecture's published values: dL/da = 6, dL/db = -4, dL/df = 4, L = -8.
    assert 'n0 [label="{ a | data 2.0000 | grad 6.0000 }" shape=record]' in dot.source
    assert "{ b | data -3.0000 | grad -4.0000 }" in dot.source
    assert "{ L | data -8.0000 | grad 1.0000 }" in dot.source
    assert "0x" not in dot.source  # no id() anywhere


def test_value_result_and_program_give_the_same_dot():
    result = sg.backprop(LECTURE, POINT)
    assert sg.draw(result).source == sg.draw(LECTURE, POINT).source == sg.draw(result.root).source
    assert sg.draw(sg.parse(LECTURE), POINT).source == sg.draw(result).source


def test_real_svg_png_pdf():
    dot = sg.draw(LECTURE, POINT)
    nodes, edges = svg_nodes(render(dot, "svg"))
    assert len(nodes) == 7 + 3 and edges == 6 + 3  # 7 values, 3 ops
    assert ["a", "data 2.0000", "grad 6.0000"] in nodes
    png = render(dot, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 300 and height > 50
    assert render(dot, "pdf")[:5] == b"%PDF-"


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_keep_the_structure(label):
    x, w = sg.Value(2.0, label=label), sg.Value(-3.0, label="w")
    y = x * w
    y.label = label
    y.backward()
    nodes, edges = svg_nodes(render(sg.draw(y), "svg"))
    assert len(nodes) == 4 and edges == 3
    records = [n for n in nodes if len(n) == 3]
    assert len(records) == 3
    shown = label.replace("\n", "\\x0a")  # control characters are shown escaped
    assert [shown, "data 2.0000", "grad -3.0000"] in records
    assert [shown, "data -6.0000", "grad 1.0000"] in records


def test_ast_view():
    dot = sg.draw("e = a*b; L = e*e + c", view="ast")
    nodes, edges = svg_nodes(render(dot, "svg"))
    labels = sorted(t[0] for t in nodes)
    assert labels == sorted(["a", "b", "*", "e =", "e", "e", "*", "c", "+", "L ="])
    assert dot.source.count("style=dashed") == 2  # both reads of e link to its assignment


def test_missing_dot_keeps_dot_text_and_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    dot = sg.draw(LECTURE, POINT)
    assert render(dot, "dot").startswith(b"digraph values {")
    with pytest.raises(sg.RenderError) as err:
        render(dot, "svg")
    assert "apt-get install graphviz" in str(err.value) and "brew install graphviz" in str(err.value)


def test_bad_input_is_a_symgrad_error():
    with pytest.raises(sg.InputError):
        sg.draw(42)
    with pytest.raises(sg.InputError):
        render(sg.draw(LECTURE, POINT), "gif")
    with pytest.raises(sg.MissingInputError):
        sg.draw(LECTURE, {"a": 1})


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, env=env)


def test_cli_graph_formats_from_suffix(tmp_path):
    for suffix, magic in (("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("dot", b"digraph")):
        out = tmp_path / f"g.{suffix}"
        proc = run_cli("graph", LECTURE, "--at", "a=2", "b=-3", "c=10", "f=-2", "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes().startswith(magic)
    proc = run_cli("graph", LECTURE, "--at", "a=2", "-o", str(tmp_path / "g.svg"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "missing value" in proc.stderr
    proc = run_cli("graph", "x", "--at", "x=1", "-o", str(tmp_path / "g.gif"))
    assert proc.returncode == 2 and "suffix" in proc.stderr


def test_dot_is_byte_identical_across_hash_seeds():
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = run_cli("graph", "n = x1*w1 + x2*w2 + b; o = tanh(n) + n*n", "--at", "x1=2", "x2=0", "w1=-3",
                       "w2=1", "b=6.88", "--format", "dot", env=env)
        assert proc.returncode == 0, proc.stderr
        outs.add(proc.stdout)
    assert len(outs) == 1


def test_a_pdf_graph_is_the_same_bytes_every_time():
    # Cairo stamps the time into a PDF; symgrad fixes the stamp (same input, same bytes).
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    a = render(sg.draw("x*y", {"x": 1.0, "y": 2.0}), "pdf")
    time.sleep(1.1)  # the stamp has one-second resolution
    b = render(sg.draw("x*y", {"x": 1.0, "y": 2.0}), "pdf")
    assert a == b and a.startswith(b"%PDF") and b"D:19700101000000Z" in a


def test_graphviz_work_is_bounded_by_the_ranks_edges_cross():
    """y = x*exp(exp(exp(x))): 9 DOT nodes (x, then a record and an op node for each of the three
    exps and the product) on ranks 0..8 along the longest path; the edge x -> (*) goes from rank 0
    to rank 7 and crosses 6 ranks, every other edge crosses none: 9 + 6 = 15 layout cells."""
    program, at = "y = x*exp(exp(exp(x)))", {"x": 0.5}
    dot = sg.draw(program, at, limits=sg.Limits(max_graph_layout=15))
    assert all(f"{k}={v}" in dot.source for k, v in {"nslimit": 2, "nslimit1": 2, "mclimit": 1}.items())
    with pytest.raises(sg.LimitError) as err:
        sg.draw(program, at, limits=sg.Limits(max_graph_layout=14))
    assert err.value.limit == "max_graph_layout" and err.value.value == 14
    assert "15 layout cells" in str(err.value) and "node x feeds a node 7 ranks later" in str(err.value)
