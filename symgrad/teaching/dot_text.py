"""The DOT text every graph shares: escaped labels, a new digraph, the size bounds. Used by the Value
and AST pictures (``teaching.draw``) and the tensor graph (``teaching.tensor_draw``)."""

from __future__ import annotations

import re
from typing import Any

import graphviz

from ..base.errors import LimitError, escape_char
from ..base.limits import DEFAULT_LIMITS

__all__ = ["record_escape", "check_graph_size", "bound_layout", "LAYOUT_ATTRS"]

_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def record_escape(text: str) -> str:
    """Escape text for a record label inside a DOT double-quoted string.

    ``\\ { } | < > "`` get a backslash; control characters are shown escaped, so neither a
    newline nor a record field separator can come from a label.
    """
    shown = "".join(escape_char(ch) if ch < " " or ch == "\x7f" or "\ud800" <= ch <= "\udfff" else ch
                    for ch in str(text))  # a lone surrogate cannot be encoded: shown as \udxxx
    return _RECORD_SPECIAL.sub(r"\\\1", shown)


def _quote(text: str) -> str:
    """A DOT double-quoted string for a plain (non-record) label."""
    return '"' + record_escape(text) + '"'


def _new_digraph(name: str, rankdir: str = "LR") -> graphviz.Digraph:
    dot = graphviz.Digraph(name, format="svg")
    dot.attr(rankdir=rankdir)
    return dot


def check_graph_size(n: int, limits: Any = None) -> None:
    """Graphviz's layout grows faster than linearly: refuse a graph over ``max_graph_nodes``."""
    bound = (limits or DEFAULT_LIMITS).max_graph_nodes
    if n > bound:
        raise LimitError(f"the graph has {n} nodes, too many for Graphviz to lay out quickly",
                         limit="max_graph_nodes", value=bound)


# dot's coordinate solver (network simplex) stops after nslimit·nodes iterations per phase,
# nslimit1 for ranking; mclimit scales the crossing-minimisation passes (Graphviz's attrs docs)
LAYOUT_ATTRS = {"nslimit": "2", "nslimit1": "2", "mclimit": "1"}
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)", re.M)


def bound_layout(dot: graphviz.Digraph, limits: Any = None) -> graphviz.Digraph:
    """Bound Graphviz's work on ``dot`` by the graph's structure, not its node count alone.

    dot puts each node on a rank and a virtual node wherever an edge crosses a rank, then solves
    for an x per node, real or virtual: an input read by every statement of a long program
    crosses hundreds of ranks at each read. dot's ranking makes the total span least (network
    simplex); any valid ranking's total bounds it from above, so the cells counted here are the
    nodes plus the ranks edges cross in the better of two rankings, each node as early as its
    inputs allow or as late as its readers allow. Over ``max_graph_layout`` cells: LimitError
    naming the edge that crosses most. Within it, ``LAYOUT_ATTRS`` caps dot's iterations.
    Returns ``dot``.
    """
    edges = _EDGE.findall("".join(dot.body))
    early, late = _rankings(edges)
    cells, rank = min((len(early) + sum(max(r[h] - r[t] - 1, 0) for t, h in edges), i, r)
                      for i, r in enumerate((early, late)))[::2]
    bound = (limits or DEFAULT_LIMITS).max_graph_layout
    if cells > bound:
        span, tail = max((rank[h] - rank[t], t) for t, h in edges)
        raise LimitError(f"the graph needs {cells} layout cells, too many for Graphviz to lay out quickly: its "
                         f"edges cross many ranks ({_node_name(dot, tail)} feeds a node {span} ranks later)",
                         limit="max_graph_layout", value=bound,
                         hint="draw a shorter program, name fewer long-lived inputs, or raise it with "
                              "symgrad.Limits(max_graph_layout=...) or the CLI option --limit max_graph_layout=N "
                              "(Graphviz then takes longer)")
    dot.attr(**LAYOUT_ATTRS)
    return dot


def _rankings(edges: list[tuple[str, str]]) -> tuple[dict[str, int], dict[str, int]]:
    """Two valid rankings (every edge goes at least one rank down): each node one past its
    latest tail (Kahn's order), and each node one before its earliest head (in reverse)."""
    kids: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for tail, head in edges:
        kids.setdefault(tail, []).append(head)
        waiting[head] = waiting.get(head, 0) + 1
        waiting.setdefault(tail, 0)
    early = {node: 0 for node, n in waiting.items() if n == 0}
    ready, order = list(early), []
    while ready:
        node = ready.pop()
        order.append(node)
        for head in kids.get(node, ()):
            early[head] = max(early.get(head, 0), early[node] + 1)
            waiting[head] -= 1
            if waiting[head] == 0:
                ready.append(head)
    late = dict(early)
    for node in reversed(order):
        if node in kids:
            late[node] = min(late[head] for head in kids[node]) - 1
    return early, late


def _node_name(dot: graphviz.Digraph, node: str) -> str:
    """The node's first label field (``x`` of ``{ x | data … }``), else its DOT id."""
    for line in dot.body:
        m = re.match(rf'\s*{node} \[label="\{{? ?([^|"]*)', line)
        if m and m.group(1).strip():
            return f"node {m.group(1).strip()[:40]}"
    return f"node {node}"
