"""Benchmark: a 200-node program's HTML worksheet (graph included), and the graph against the lecture's draw_dot.

Run from the repo root:  python -m bench.worksheet_bench   (or --quick)
"""

from __future__ import annotations

import statistics
import sys
import time

LAYERS = 40  # h_k = tanh(h_{k-1}*w_k + b_k): 5 values per layer, 201 Value nodes in all
TARGET_SECONDS = 5.0
TARGET_GRAPH_RATIO = 1.5


def program_text(layers: int = LAYERS) -> str:
    return "\n".join(["h0 = x"] + [f"h{k} = tanh(h{k - 1}*w{k} + b{k})" for k in range(1, layers + 1)])


def point(program) -> dict[str, float]:
    return {name: 0.1 * ((i % 7) - 3) for i, name in enumerate(program.inputs)}


def lecture_draw_dot(root):
    """The lecture's draw_dot (shared/seeds), verbatim apart from formatting: ids from id()."""
    from graphviz import Digraph

    def trace(root):
        nodes, edges = set(), set()

        def build(v):
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)
        build(root)
        return nodes, edges

    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % ("", n.data, n.grad), shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def micrograd_graph(values: dict[str, float], layers: int = LAYERS):
    """The same shape in micrograd 0.1.0 (which has relu but no tanh): 201 nodes too."""
    from micrograd.engine import Value
    h = Value(values["x"])
    for k in range(1, layers + 1):
        h = (h * Value(values[f"w{k}"]) + Value(values[f"b{k}"])).relu()
    h.backward()
    return h


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run(quick: bool = False) -> str:
    import symgrad as sg
    from symgrad._draw import render
    from symgrad._engine import topo_order

    repeat = 1 if quick else 5
    prog = sg.parse(program_text())
    at = point(prog)
    result = sg.backprop(prog, at)
    nodes = len(topo_order(result.root))
    sg.worksheet(prog, at, format="html")  # warm imports and SymPy's caches
    rows = {
        "symgrad HTML worksheet (graph, check, plot)": timed(lambda: sg.worksheet(prog, at, format="html"), repeat),
        "symgrad HTML worksheet without the final table (symbolic=False)": timed(
            lambda: sg.worksheet(prog, at, format="html", symbolic=False), repeat),
        "symgrad draw → SVG": timed(lambda: render(sg.draw(result), "svg"), repeat),
    }
    peer = None
    try:
        mg = micrograd_graph(at)
        rows["lecture draw_dot on micrograd 0.1.0 → SVG (peer)"] = peer = timed(
            lambda: lecture_draw_dot(mg).pipe(format="svg"), repeat)
    except ImportError:
        pass
    lines = [f"## Worksheet: a {nodes}-node program as an HTML worksheet", "",
             f"Program: {LAYERS} layers of `h_k = tanh(h_(k-1)*w_k + b_k)`; {repeat} run(s) each, after one warm-up.",
             "", "| what | median s | min–max s |", "|---|---|---|"]
    for what, times in rows.items():
        lines.append(f"| {what} | {statistics.median(times):.3f} | {min(times):.3f}–{max(times):.3f} |")
    full = statistics.median(rows["symgrad HTML worksheet (graph, check, plot)"])
    lines += ["", "Targets:", "",
              f"- full HTML worksheet ≤ {TARGET_SECONDS:.0f} s: {full:.2f} s, "
              f"{'met' if full <= TARGET_SECONDS else 'missed'} (SymPy partials stop at a deterministic budget; "
              "the rest say `skipped (symbolic budget)`)."]
    if peer:
        ratio = statistics.median(rows["symgrad draw → SVG"]) / statistics.median(peer)
        lines.append(f"- graph rendering ≤ {TARGET_GRAPH_RATIO}× the lecture's draw_dot: {ratio:.2f}×, "
                     f"{'met' if ratio <= TARGET_GRAPH_RATIO else 'missed'} (both spend most of it in Graphviz's dot).")
    else:
        lines.append("- graph vs the lecture's draw_dot: not measured (micrograd==0.1.0 not installed; "
                     "see bench/requirements.txt).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
