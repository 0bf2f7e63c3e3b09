"""Undo ``symgrad.register`` between tests: the row leaves the shared tables and ``Value``."""

from symgrad.engine.register import _LOCK
from symgrad.engine.value import Value
from symgrad.rules import table


def unregister(name: str) -> None:
    """Remove a row ``register`` added: from RULES, from FUNCTIONS (its aliases too) and from Value."""
    with _LOCK:
        row = table.RULES.pop(name)
        for call in (name, *row.aliases):
            table.FUNCTIONS.pop(call, None)
            if getattr(getattr(Value, call, None), "_row", None) is row:
                delattr(Value, call)
