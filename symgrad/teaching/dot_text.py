"""The DOT text every graph shares: escaped labels, a new digraph, the size bound. Used by the Value
and AST pictures (``teaching.draw``) and the tensor graph (``teaching.tensor_draw``)."""

from __future__ import annotations

import re
from typing import Any

import graphviz

from ..base.errors import LimitError, escape_char
from ..base.limits import DEFAULT_LIMITS

__all__ = ["record_escape", "check_graph_size"]

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
