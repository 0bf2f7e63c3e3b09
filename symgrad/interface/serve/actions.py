"""What the explorer computes, as plain JSON-ready dicts, from symgrad's public API (imported from the
modules that define it: nothing inside symgrad imports the package, docs/architecture.md).

Every function here is synchronous and CPU-bound: the app runs them on worker threads,
never on the event loop. The two reads of symgrad internals (the Value graph's node order,
and the worksheet's backward steps) are isolated in ``graph_numbers`` and ``backward_steps``
so that a change of those internals is fixed in one place each.
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import math
import os
import re
import threading
import zipfile
from typing import Any, Mapping

from ...language.ast import Program
from ...engine.backprop import Result, backprop
from ...engine.codegen.compiled import CompiledFunction, compile as compile_program
from ...teaching.draw import draw
from ...base.errors import LimitError, RenderError, SymgradError
from ...base.limits import Limits
from ...language.parser import parse

__all__ = ["WEB_LIMITS", "analyse", "recompute", "backward_steps", "check", "worksheet", "graph", "formats", "worksheet_types"]

# docs/security.md: behind a web form, Limits(max_chars=10_000, max_nodes=10_000). Graphs
# and worksheets of more than a few hundred nodes are unreadable in a page anyway. The SymPy
# stage is bounded by structure (Limits.max_closed_form_nodes, max_closed_form_depth).
WEB_LIMITS = Limits(max_chars=10_000, max_nodes=10_000, max_graph_nodes=300, max_worksheet_nodes=300)
DEFAULT_VALUE = 1.0          # an input the page has no value for yet
PROBES = 41                  # samples per slider when finding its domain
MAX_PROBED_INPUTS = 32       # inputs past this get an unprobed range
GRAPH_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def worksheet_types() -> dict[str, str]:
    """Worksheet format -> its content type, from the renderer table (``teaching.sheets.RENDERERS``)."""
    from ...teaching.sheets import RENDERERS
    return {fmt: renderer.media_type for fmt, renderer in RENDERERS.items()}


def formats() -> dict[str, list[dict[str, str]]]:
    """What the page offers: every worksheet format with its menu label, and the graph formats."""
    from ...teaching.sheets import RENDERERS
    return {"worksheet": [{"format": fmt, "label": renderer.label} for fmt, renderer in RENDERERS.items()],
            "graph": [{"format": fmt, "label": fmt.upper()} for fmt in GRAPH_TYPES]}


# --- the two adapters over internals -----------------------------------------------------

def graph_numbers(result: Result) -> list[tuple[float, float]]:
    """(data, grad) of every node of ``result``'s Value graph, in the order ``draw`` numbers
    them (``n0``, ``n1``, …: the engine's topological order)."""
    from ...engine.value import topo_order
    return [(node.data, node.grad) for node in topo_order(result.root)]


def backward_steps(program: Program, point: Mapping[str, float], limits: Limits) -> dict:
    """The backward pass step by step, as the worksheet shows it: for each op node in reverse
    topological order, its rule, and per child the local derivative, the upstream grad and
    their chain-rule product. Read from the worksheet's data model
    (``symgrad.teaching.worksheet.build_worksheet``: ``Worksheet.nodes`` / ``.steps`` / ``Term``)."""
    from ...teaching.worksheet import build_worksheet
    ws = build_worksheet(program, point, graph=False, symbolic=False, limits=limits)
    names = [row.name for row in ws.nodes]          # topological order, as draw's n0, n1, …
    index = {name: i for i, name in enumerate(names)}
    steps = []
    for step in ws.steps:
        terms = [{"child": t.child, "child_index": index[t.child],
                  "local_latex": t.local.latex if t.local else "", "local_mathml": t.local.mathml if t.local else "",
                  "local": _num(t.local_value), "upstream": _num(t.upstream), "product": _num(t.product),
                  "note": t.note} for t in step.terms]
        steps.append({"node": step.node, "index": index[step.node], "rule": step.rule.title,
                      "rule_text": step.rule.text, "grad": _num(step.grad), "terms": terms})
    return {"names": names, "output": ws.output, "steps": steps}


# --- helpers -------------------------------------------------------------------------------

def _num(x: Any) -> float | None:
    """A JSON-safe number: None for a missing or non-finite value."""
    if x is None or isinstance(x, bool):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _text(x: float) -> str:
    return f"{x:.4f}"  # as draw writes data and grad (precision 4)


def lenient_point(program: Program, point: Mapping[str, Any] | None) -> dict[str, Any]:
    """The point for a program just typed: values of names that are no longer inputs are
    dropped (the user edited the program), and new inputs start at 1.0. Every other
    endpoint takes the point as given, so a missing or unknown name is the library's error."""
    point = point or {}
    return {name: point.get(name, DEFAULT_VALUE) for name in program.inputs}


def _parse(text: str, limits: Limits) -> Program:
    return parse(text, limits=limits)


def _check_graph_size(count: int, limits: Limits) -> None:
    if count > limits.max_graph_nodes:
        raise LimitError(f"the graph has {count} nodes; the explorer draws at most {limits.max_graph_nodes}",
                            limit="max_graph_nodes", value=limits.max_graph_nodes)


class _CompiledCache:
    """Parsed and compiled recent programs, by text and limits (a slider recomputes one
    program many times: it is parsed and compiled once)."""

    def __init__(self, size: int = 64) -> None:
        self.size, self.lock, self.items = size, threading.Lock(), collections.OrderedDict()

    def has(self, text: str, limits: Limits) -> bool:
        """Whether the program is parsed and compiled here already (a recompute is then float work only)."""
        with self.lock:
            return (text, limits) in self.items

    def get(self, text: str, limits: Limits) -> tuple[Program, CompiledFunction]:
        key = (text, limits)
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        program = _parse(text, limits)
        entry = (program, compile_program(program))
        with self.lock:
            self.items[key] = entry
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return entry


COMPILED = _CompiledCache()


def _numbers(program: Program, text: str, point: dict[str, Any], limits: Limits) -> dict:
    """Value and every grad through ``symgrad.compile``; every node's numbers from backprop."""
    fast = COMPILED.get(text, limits)[1](point)
    result = backprop(program, point, limits=limits)
    nodes = graph_numbers(result)
    _check_graph_size(len(nodes), limits)
    return {"output": program.output, "value": fast.value, "point": dict(result.point),
            "grads": {k: _num(v) for k, v in fast.grads.items()},
            "curvature": _curvature(program, result.point),
            "nodes": [{"data": _text(d), "grad": _text(g)} for d, g in nodes]}


MAX_CURVED_INPUTS = 16   # the nudge's curvature costs one Hessian-vector product per input


def _curvature(program: Program, point: dict[str, float]) -> dict | None:
    """d²out/d(input)² for each input (the Hessian's diagonal), for the nudge's second-order
    prediction grad·step + ½·curvature·step²; None where float64 has none (a kink of abs) or the
    program has over ``MAX_CURVED_INPUTS`` inputs."""
    from ...engine.second_order import hessian
    if len(program.inputs) > MAX_CURVED_INPUTS:
        return None
    try:
        h = hessian(program, point)
    except SymgradError:
        return None
    return {name: _num(h.matrix[i][i]) for i, name in enumerate(h.names)}


# --- the endpoints' work ---------------------------------------------------------------------

def slider_range(fn: CompiledFunction, point: dict[str, float], name: str, probe: bool) -> dict:
    """A slider around the input's value: ±max(2, 2|v|), a round step, narrowed to the
    stretch of samples around the value where the program is defined (so an input under
    log or sqrt gets a positive range)."""
    v = point[name]
    half = max(2.0, 2.0 * abs(v))
    step = 10.0 ** math.floor(math.log10(2 * half / 200))
    lo, hi = math.floor((v - half) / step) * step, math.ceil((v + half) / step) * step
    if probe:
        xs = [lo + (hi - lo) * k / (PROBES - 1) for k in range(PROBES)]
        ok = []
        for x in xs:
            try:
                value = fn({**point, name: x}).value
                ok.append(math.isfinite(value))
            except SymgradError:
                ok.append(False)
        below = [x for x, good in zip(xs, ok) if x < v and not good]
        above = [x for x, good in zip(xs, ok) if x > v and not good]
        if below:  # first defined sample above the last undefined one, on the step grid
            lo = min(v, math.ceil((below[-1] + (hi - lo) / (PROBES - 1)) / step) * step)
        if above:
            hi = max(v, math.floor((above[0] - (hi - lo) / (PROBES - 1)) / step) * step)
    r = lambda x: float(f"{x:.12g}")  # noqa: E731  (no 0.30000000000000004 on the page)
    return {"min": r(lo), "max": r(hi), "step": r(step)}


def analyse(text: str, point: Mapping[str, Any] | None, limits: Limits) -> dict:
    """Parse, evaluate, draw: everything the page shows for a new program."""
    program, fn = COMPILED.get(text, limits)
    numbers = _numbers(program, text, lenient_point(program, point), limits)
    ranges = {name: slider_range(fn, numbers["point"], name, i < MAX_PROBED_INPUTS)
              for i, name in enumerate(program.inputs)}
    svg = graph_svg(draw(program, numbers["point"], limits=limits).pipe(format="svg").decode("utf-8"))
    inputs = [{"name": n, "value": numbers["point"][n], **ranges[n]} for n in program.inputs]
    return {**numbers, "inputs": inputs, "intermediates": list(program.intermediates), "svg": svg}


def recompute(text: str, point: Mapping[str, Any] | None, limits: Limits) -> dict:
    """Value and grads at a new point (the slider); the page updates the graph in place."""
    program = COMPILED.get(text, limits)[0]
    return _numbers(program, text, dict(point or {}), limits)


def steps(text: str, point: Mapping[str, Any] | None, limits: Limits) -> dict:
    program = _parse(text, limits)
    _check_graph_size(len(graph_numbers(backprop(program, point, limits=limits))), limits)
    return backward_steps(program, point or {}, limits)


def check(text: str, point: Mapping[str, Any] | None, limits: Limits) -> dict:
    """The three-way check; a verdict is passed on as the check's own string."""
    program = _parse(text, limits)
    from ...gradcheck.check import check as check_gradients  # SymPy loads on first use
    report = check_gradients(program, dict(point or {}), limits=limits)
    rows = [{"name": r.name, "backprop": _num(r.backprop), "symbolic": _num(r.symbolic),
             "numeric": _num(r.numeric), "verdict": str(r.verdict), "note": str(getattr(r, "note", "") or "")}
            for r in report.rows]
    return {"ok": bool(report.ok), "rows": rows}


def worksheet(text: str, point: Mapping[str, Any] | None, fmt: str, limits: Limits) -> tuple[bytes, str]:
    """The worksheet download and its file name, by the same code path as ``symgrad worksheet
    PROGRAM --at … -o worksheet.FMT``: HTML and ipynb are one file; Markdown and TeX link their
    pictures, so they come as a zip of every file the command writes (same bytes, fixed dates)."""
    from ...teaching.sheets import render_files
    from ...teaching.worksheet import build_worksheet
    program = _parse(text, limits)
    name = f"worksheet.{fmt}"
    files = render_files(build_worksheet(program, dict(point or {}), limits=limits), fmt, name)
    if len(files) == 1:
        return files[name], name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))  # same input, same bytes
            info.external_attr = 0o644 << 16
            bundle.writestr(info, files[path], zipfile.ZIP_DEFLATED)
    return buffer.getvalue(), f"worksheet-{fmt}.zip"


def graph(text: str, point: Mapping[str, Any] | None, fmt: str, limits: Limits) -> bytes:
    """The graph as ``symgrad graph PROGRAM --at … -o g.svg`` draws it."""
    program = _parse(text, limits)
    _check_graph_size(len(graph_numbers(backprop(program, point, limits=limits))), limits)
    return draw(program, point, limits=limits).pipe(format=fmt)


# --- one call, as a worker runs it ------------------------------------------------------------

ACTIONS = ("analyse", "recompute", "steps", "check", "worksheet", "graph")


def error_payload(err: SymgradError) -> tuple[int, dict]:
    """413 for a limit, 500 for a missing renderer, 422 for anything a program or point can
    get wrong; the JSON body with the one-line message (and line, column, caret, hint)."""
    status = 413 if isinstance(err, LimitError) else 500 if isinstance(err, RenderError) else 422
    return status, {"error": type(err).__name__, "message": one_line(err.summary), "reason": one_line(err.message),
                    "line": err.line, "column": err.column, "details": err.details, "hint": err.hint or ""}


def one_line(text: Any) -> str:
    return " ".join(str(text).split())[:500]


def perform(action: str, *args: Any) -> tuple:
    """Run one action; ``("ok", result)`` or ``("error", status, body)``. Errors travel as
    plain data, so a worker process returns them as safely as a thread."""
    if action not in ACTIONS:
        raise ValueError(action)
    try:
        return ("ok", globals()[action](*args))
    except SymgradError as err:
        return ("error", *error_payload(err))
    except MemoryError:  # over the worker's memory cap: the pool answers 503 and replaces the worker
        raise
    except Exception:  # a bug: the log gets the traceback, the user one line
        logging.getLogger("symgrad.serve").exception("internal error in %s", action)
        return ("error", 500, {"error": "InternalError", "message": "internal error; the server log has the details"})


def warm() -> None:
    """A worker process's initializer: lower its CPU priority (slider recomputes in the
    server process come first), then import and exercise SymPy, jinja2, matplotlib and
    Graphviz once, so the first user does not wait for them."""
    if hasattr(os, "nice"):  # a slider in the server process comes first
        os.nice(10)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_BATCH"):  # CPU-bound: never preempt a wakeup
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    point = {"x": 1.0, "y": 2.0}
    for action, extra in (("analyse", ()), ("steps", ()), ("check", ()), ("worksheet", ("md",))):
        perform(action, "z = x*y", point, *extra, WEB_LIMITS)


# --- the page's SVG: stable ids so numbers update in place -----------------------------------

_NODE = re.compile(r'<g id="node\d+" class="node">\n<title>(n\d+(?:op)?)</title>(.*?)</g>', re.DOTALL)
_TEXT = re.compile(r"<text ([^>]*)>([^<]*)</text>")


def graph_svg(svg: str) -> str:
    """Graphviz's SVG for inline use: no XML prolog or comments; each node group gets
    ``id="sg-nK"`` and its texts ``sg-nK-label``, ``sg-nK-data``, ``sg-nK-grad`` (``sg-nKop``
    for an op), by the DOT node name, which is the node's topological index."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.DOTALL)

    def node(m: re.Match) -> str:
        name, body = m.group(1), m.group(2)

        def text(t: re.Match) -> str:
            content = t.group(2)
            part = ("data" if content.startswith("data ") else "grad" if content.startswith("grad ")
                    else "label") if not name.endswith("op") else "op"
            return f'<text id="sg-{name}-{part}" {t.group(1)}>{content}</text>'

        return f'<g id="sg-{name}" class="node" data-node="{name}">\n<title>{name}</title>{_TEXT.sub(text, body)}</g>'

    return _NODE.sub(node, svg)
