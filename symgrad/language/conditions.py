"""Conditions are not numbers: the parser's checks that a comparison, ``and``, ``or`` or ``not``
is used only as ``where``'s first argument (or inside another condition), and that ``where``'s
first argument is one. Each misuse is a ParseError at the offending node, with the fix.
"""

from __future__ import annotations

from .ast import Op
from ..base.errors import ParseError
from ..rules.table import CONDITIONS

__all__ = ["is_condition", "check_operands", "check_statement"]

_EXAMPLE = "where(x > 0, x, 0)"


def is_condition(node) -> bool:
    """Is ``node`` a condition (a comparison, and, or, not)?"""
    return type(node) is Op and node.rule in CONDITIONS


def _text(node) -> str:
    from .printing import unparse
    text = unparse(node)
    return text if len(text) <= 40 else text[:39] + "…"


def _at(node, message: str, source: str, hint: str) -> ParseError:
    span = getattr(node, "span", None)
    return ParseError(message, source=source, line=span.line if span else None,
                      column=span.column if span else None, hint=hint)


def check_operands(rule: str, args: tuple, source: str) -> None:
    """Raise a ParseError where a condition stands for a number, or a number for a condition."""
    wants_conditions = rule in ("and", "or", "not")
    for i, arg in enumerate(args):
        condition = is_condition(arg)
        if rule == "where" and i == 0:
            if not condition:
                raise _at(arg, f"where needs a condition first, got the number {_text(arg)}", source,
                          f"compare it, e.g. where({_text(arg)} != 0, …)")
        elif wants_conditions and not condition:
            word = rule if rule != "not" else "not"
            raise _at(arg, f"{word} takes conditions; {_text(arg)} is a number", source,
                      f"compare it, e.g. {_text(arg)} != 0")
        elif not wants_conditions and condition:
            what = "a comparison does not chain" if rule in CONDITIONS else "a condition is not a number"
            hint = ("write a < b and b < c" if rule in CONDITIONS else
                    f"use a condition only as where's first argument: {_EXAMPLE}")
            raise _at(arg, f"{what}: {_text(arg)}", source, hint)


def check_statement(expr, source: str) -> None:
    """A statement's value is a number: a condition there is an error."""
    if is_condition(expr):
        raise _at(expr, f"a condition is not a number: {_text(expr)}", source,
                  f"use it as where's first argument, e.g. {_EXAMPLE}; to compare, write ==")
