"""sg.draw(..., style="torchviz") and `symgrad graph --style torchviz`: roles coloured (with a shape or
border too), constants written into their op, one cluster per statement or per nn layer.

Every expectation is written by hand from the program or the model, and read off the DOT text."""

import os
import re
import subprocess
import sys

import pytest

import symgrad as sg
from symgrad.nn import MLP
from symgrad.teaching.draw import render

TWO = "e = a*b + 2; L = e**2"
AT = {"a": 3.0, "b": -3.0}
INPUT, PARAMETER, OUTPUT = "shape=Mrecord", 'style="filled,dashed"', 'style="filled,bold"'


def nodes(source: str) -> dict[str, tuple[str, str, str | None]]:
    """node id -> (label, the rest of its attributes, the title of the cluster around it or None)."""
    found, cluster = {}, None
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("subgraph cluster_"):
            cluster = ""
        elif cluster == "" and line.startswith("label="):
            cluster = re.match(r'label="((?:[^"\\]|\\.)*)"', line).group(1)
        elif line == "}":
            cluster = None
        else:
            m = re.match(r'(\w+) \[label="((?:[^"\\]|\\.)*)"\s*(.*)\]$', line)
            if m:
                found[m.group(1)] = (m.group(2), m.group(3), cluster)
    return found


def records(source: str) -> dict[str, tuple[str, str | None]]:
    """A record's label -> (its attributes, its cluster); the legend's own nodes left out."""
    return {label: (attrs, cluster) for name, (label, attrs, cluster) in nodes(source).items()
            if label.startswith("{") and not name.startswith("legend")}


def ops(source: str) -> list[tuple[str, str | None]]:
    """(label, cluster) of every op node, sorted."""
    return sorted(((label, cluster) for name, (label, _, cluster) in nodes(source).items() if name.endswith("op")),
                  key=str)


def test_two_statements_are_two_clusters_with_roles_and_constants_inside_their_ops():
    source = sg.draw(TWO, AT, style="torchviz").source
    # by hand: e = 3·(-3) + 2 = -7, L = 49, dL/de = 2e = -14, dL/da = -14·b = 42, dL/db = -14·a = -42
    rec = records(source)
    a, b = rec["{ a | data 3.0000 | grad 42.0000 }"], rec["{ b | data -3.0000 | grad -42.0000 }"]
    assert INPUT in a[0] and INPUT in b[0] and a[1] is None and b[1] is None   # inputs: no statement owns them
    assert rec["{  | data -9.0000 | grad -14.0000 }"][1] == "e = a * b + 2"
    assert rec["{ e | data -7.0000 | grad -14.0000 }"][1] == "e = a * b + 2"
    last = rec["{ L | data 49.0000 | grad 1.0000 }"]
    assert OUTPUT in last[0] and "penwidth=3" in last[0] and last[1] == "L = e ** 2"
    # the literals 2 are no nodes: five records (a, b, a*b, e, L), and the ops carry them
    assert len(rec) == 5 and not any("data 2.0000" in label for label in rec)
    assert ops(source) == [("*", "e = a * b + 2"), ("** 2", "L = e ** 2"), ("+ 2", "e = a * b + 2")]
    assert source.count("subgraph cluster_") == 3     # two statements and the legend
    legend = {label: attrs for name, (label, attrs, _) in nodes(source).items() if name.startswith("legend")}
    assert set(legend) == {"input", "output"}          # a program has no parameters
    assert INPUT in legend["input"] and OUTPUT in legend["output"]


def test_a_constant_on_the_left_and_a_named_constant():
    source = sg.draw("y = 2 - pi*x", {"x": 1.0}, style="torchviz").source
    assert ops(source) == [("2 -", "y = 2 - pi * x"), ("pi *", "y = 2 - pi * x")]
    assert set(records(source)) == {"{ x | data 1.0000 | grad -3.1416 }", "{ y | data -1.1416 | grad 1.0000 }",
                                    "{  | data 3.1416 | grad -1.0000 }"}


def test_an_unnamed_output_statement_is_titled_by_its_formula():
    source = sg.draw("a*b + 2", {"a": 1.0, "b": 2.0}, style="torchviz").source
    assert ops(source) == [("*", "a * b + 2"), ("+ 2", "a * b + 2")]


def test_mlp_forward_pass_has_one_cluster_per_layer_found_from_the_model():
    net = MLP(2, [4, 4, 1], seed=0)
    net.layers[1].neurons[0].w[0].label = "x1"    # a misleading label: the layer comes from the model
    out = net([0.5, -1.0])
    out.backward()
    source = sg.draw(out, style="torchviz", model=net).source
    titles = ["layer 1: 4 neurons, tanh", "layer 2: 4 neurons, tanh", "layer 3: 1 neuron, linear"]
    rec = records(source)
    for li, (layer, title) in enumerate(zip(net.layers, titles)):
        params = [(attrs, cluster) for label, (attrs, cluster) in rec.items() if PARAMETER in attrs and cluster == title]
        assert len(params) == layer.nout * (layer.nin + 1)       # 12, 20, 5
        in_layer = sorted(label for label, cluster in ops(source) if cluster == title)
        assert in_layer == ["tanh"] * layer.nout * (layer.nonlin == "tanh") + ["Σwx+b"] * layer.nout
    assert sum(PARAMETER in attrs for attrs, _ in rec.values()) == len(net.parameters()) == 37
    relabelled = next(cluster for label, (attrs, cluster) in rec.items() if label.startswith("{ x1 ") and
                      PARAMETER in attrs)
    assert relabelled == titles[1]
    inputs = {label.split(" |")[0]: cluster for label, (attrs, cluster) in rec.items() if INPUT in attrs}
    assert inputs == {"{ x1": None, "{ x2": None}         # the sample, named by position, in no layer
    assert "{ w1_1_1 | data %.4f" % net.layers[0].neurons[0].w[0].data in source
    legend = {label: attrs for name, (label, attrs, _) in nodes(source).items() if name.startswith("legend")}
    assert set(legend) == {"input", "parameter", "output"} and PARAMETER in legend["parameter"]
    outputs = [cluster for attrs, cluster in rec.values() if OUTPUT in attrs]
    assert outputs == [titles[2]]


def test_a_loss_after_the_model_stays_outside_the_layers_and_folds_its_constants():
    net = MLP(2, [3, 1], seed=1)
    loss = (net([1.0, 2.0]) - 1.0) ** 2
    loss.backward()
    source = sg.draw(loss, style="torchviz", model=net).source
    assert ("- 1", None) in ops(source) and ("** 2", None) in ops(source)
    # records by hand: 13 parameters, 2 inputs, 3 sums + 3 tanh, 1 sum, out - 1, its square; no 1.0 nor 2
    rec = records(source)
    assert len(rec) == 13 + 2 + 6 + 1 + 2
    assert [cluster for attrs, cluster in rec.values() if OUTPUT in attrs] == [None]


def test_the_default_style_is_the_lecture_picture():
    lecture, point = "e = a*b; d = e + c; L = d*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
    plain = sg.draw(lecture, point).source
    assert plain == sg.draw(lecture, point, style="micrograd").source
    assert "cluster" not in plain and "fillcolor" not in plain


def test_a_program_drawn_from_its_result_or_its_root():
    result = sg.backprop(TWO, AT)
    assert sg.draw(result, style="torchviz").source == sg.draw(TWO, AT, style="torchviz").source
    bare = sg.draw(result.root, style="torchviz").source     # a Value alone: labelled leaves are inputs
    assert INPUT in records(bare)["{ a | data 3.0000 | grad 42.0000 }"][0]
    assert [label for label, _ in ops(bare)] == ["*", "** 2", "+ 2"]


def test_bad_style_and_model_are_input_errors_naming_the_choices():
    with pytest.raises(sg.InputError) as err:
        sg.draw(TWO, AT, style="pytorch")
    assert "micrograd" in str(err.value) + str(err.value.hint) and "torchviz" in str(err.value.hint)
    net = MLP(2, [1], seed=0)
    with pytest.raises(sg.InputError, match="style='torchviz'"):
        sg.draw(net([1.0, 2.0]), model=net)
    with pytest.raises(sg.InputError, match="MLP, Layer or Neuron"):
        sg.draw(net([1.0, 2.0]), style="torchviz", model=42)


def test_the_styled_picture_renders():
    svg = render(sg.draw(TWO, AT, style="torchviz"), "svg").decode()
    assert "e = a * b + 2" in svg and "L = e ** 2" in svg and "legend" in svg


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True)


def test_cli_style_flag():
    proc = run_cli("graph", TWO, "--at", "a=3", "b=-3", "--style", "torchviz")
    assert proc.returncode == 0, proc.stderr
    assert ops(proc.stdout) == [("*", "e = a * b + 2"), ("** 2", "L = e ** 2"), ("+ 2", "e = a * b + 2")]
    proc = run_cli("graph", TWO, "--at", "a=3", "b=-3", "--style", "pytorch")
    assert proc.returncode == 2 and "micrograd" in proc.stderr and "torchviz" in proc.stderr
    proc = run_cli("graph", TWO, "--view", "ast", "--style", "torchviz")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--view ast" in proc.stderr


def test_the_dot_text_is_the_same_bytes_under_any_hash_seed():
    outs = set()
    for seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-m", "symgrad", "graph", "n = x1*w1 + x2*w2 + b; o = tanh(n) + 2*n",
                               "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88", "--style", "torchviz"],
                              capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED=seed))
        assert proc.returncode == 0, proc.stderr
        outs.add(proc.stdout)
    assert len(outs) == 1


@pytest.mark.parametrize("label", ["{x|y}", '"; n5 [label="x"]; "', "a\nb", "}|{", "<b>"])
def test_hostile_labels_keep_the_styled_structure(label):
    x = sg.Value(2.0, label=label)
    y = (x * 3).tanh()
    y.label = label
    y.backward()
    svg = render(sg.draw(y, style="torchviz"), "svg").decode()
    # by hand: records x, x*3, y; ops "* 3", "tanh"; legend input and output; edges x->*, *->rec, rec->tanh, tanh->y
    assert svg.count('class="node"') == 3 + 2 + 2 and svg.count('class="edge"') == 4


def test_a_tensor_program_has_no_torchviz_style_yet():
    import numpy as np
    with pytest.raises(sg.InputError, match="scalar programs"):
        sg.draw("y = sum(x * x)", {"x": np.array([1.0, 2.0])}, style="torchviz")
