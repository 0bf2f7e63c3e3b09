"""Configurable limits that keep hostile input fast and bounded."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ._errors import InputError

__all__ = ["Limits", "DEFAULT_LIMITS"]


@dataclass(frozen=True)
class Limits:
    """Bounds on what a program may be. Pass ``limits=Limits(...)`` to any entry point.

    ``max_depth`` counts nesting that SymPy keeps: a chain of ``+``/``-`` (or ``*``/``/``)
    is flat there, so ``x + x + … + x`` has depth 1 however long it is.
    """

    max_chars: int = 1_000_000
    max_depth: int = 200
    max_nodes: int = 500_000
    max_statements: int = 10_000
    max_name_length: int = 64
    max_literal_length: int = 64
    symbolic_budget: float = 5.0  # seconds for the SymPy stage of a check

    def with_(self, **changes: float) -> "Limits":
        known = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise InputError(f"unknown limit {key!r}", hint=f"known limits: {', '.join(sorted(known))}")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise InputError(f"limit {key} must be a positive number, got {value!r}")
        return replace(self, **changes)

    @classmethod
    def parse_option(cls, items: list[str], base: "Limits | None" = None) -> "Limits":
        """Read CLI ``--limit name=value`` items."""
        changes: dict[str, float] = {}
        for item in items:
            key, sep, raw = item.partition("=")
            try:
                value = float(raw) if key.strip() == "symbolic_budget" else int(raw)
            except ValueError:
                value = None
            if not sep or value is None:
                raise InputError(f"bad --limit {item!r}", hint="write --limit name=value, e.g. --limit max_depth=500")
            changes[key.strip()] = value
        return (base or cls()).with_(**changes)


DEFAULT_LIMITS = Limits()
