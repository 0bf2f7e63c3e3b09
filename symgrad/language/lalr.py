"""lark's LALR parser of the grammar, set up for speed; the parse it makes is lark's own.

Three things make ``symgrad.parse`` faster than a bare lark parse of the same text:

- the grammar's tables are loaded, not analysed (``language.tables``);
- lark's lexer and LALR loop run compiled, from the lark-cython plugin where it is installed
  (pure lark otherwise: same grammar, same tables, same callbacks, same errors);
- each reduction calls the transformer's method directly: lark's ``v_args(inline=True)`` reaches
  it through three Python calls, and a pass-through rule (``?sum: product``) through one more,
  where ``operator.itemgetter(0)`` does the same in C.

lark-cython's tokens are not ``str``: a callback reads a token's text as ``tok.value`` and its
place as ``tok.line``, ``tok.column``, ``tok.end_line``, ``tok.end_column``, which both kinds have.
"""

from __future__ import annotations

from operator import itemgetter
from pathlib import Path
from typing import Any, Callable

import lark

from .tables import lalr

__all__ = ["build", "compiled_available"]


def compiled_available() -> bool:
    """Whether lark-cython (lark's lexer and LALR loop compiled with Cython) is installed."""
    return _plugins() is not None


def build(grammar: Path, transformer: Any, lexer_callbacks: dict[str, Callable], *,
          compiled: bool = True) -> lark.Lark:
    """The LALR parser of ``grammar`` whose reductions call ``transformer``'s public methods with a
    rule's children as arguments (as ``v_args(inline=True)`` would). ``compiled`` uses lark-cython
    when it is installed."""
    plugins = _plugins() if compiled else None
    parser = lalr(grammar, transformer=_Reductions(transformer), lexer_callbacks=lexer_callbacks,
                  **({"_plugins": plugins} if plugins else {}))
    _tighten(parser._callbacks)  # the very dict the LALR loop reads (pure and compiled alike)
    return parser


def _plugins() -> dict | None:
    try:
        import lark_cython
    except ImportError:
        return None
    return lark_cython.plugins


class _Reductions:
    """What lark calls as it reduces a rule: the rule's children come as one list."""

    def __init__(self, transformer: Any):
        for name in dir(type(transformer)):
            if not name.startswith("_"):
                setattr(self, name, lambda children, method=getattr(transformer, name): method(*children))


def _tighten(callbacks: dict) -> None:
    """A pass-through rule's callback returns its one child: ``itemgetter(0)`` does that in C."""
    from lark.parse_tree_builder import ExpandSingleChild
    for rule, callback in callbacks.items():
        if isinstance(callback, ExpandSingleChild) and len(rule.expansion) == 1:
            callbacks[rule] = itemgetter(0)
