"""Undo ``symgrad.register`` between tests: the row leaves the shared tables, its records and ``Value``."""

from symgrad.engine.register import _LOCK
from symgrad.engine.value import Value
from symgrad.rules import records, table


def unregister(name: str) -> None:
    """Remove a row ``register`` added: from RULES, its records, FUNCTIONS (its aliases too) and Value."""
    with _LOCK:
        row = table.RULES.pop(name)
        records.remove(name)
        for call in (name, *row.aliases):
            table.FUNCTIONS.pop(call, None)
            if getattr(getattr(Value, call, None), "_row", None) is row:
                delattr(Value, call)
