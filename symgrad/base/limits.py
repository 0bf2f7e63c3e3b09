"""Configurable limits that keep hostile input fast and bounded."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields, replace

from .errors import InputError, quote
from .validate import whole_number

__all__ = ["Limits", "DEFAULT_LIMITS", "check_random_points"]


@dataclass(frozen=True)
class Limits:
    """Bounds on what a program may be. Pass ``limits=Limits(...)`` to any entry point,
    or ``--limit name=value`` on the command line. Going over one raises ``LimitError``,
    whose ``limit`` names the field and whose message says how to raise it.

    - ``max_chars``: characters of program text (checked before parsing).
    - ``max_depth``: expression nesting, checked without recursion. It counts nesting that
      SymPy keeps: a chain of ``+``/``-`` (or ``*``/``/``) is flat there, so
      ``x + x + … + x`` has depth 1 however long it is. Parentheses add no depth.
    - ``max_nodes``: AST nodes (numbers, names, operations, calls).
    - ``max_statements``: statements (assignments plus the final expression).
    - ``max_name_length`` / ``max_literal_length``: characters in one name / one number.
    - ``max_closed_form_depth``: nesting of a SymPy closed form built for display (``diff``,
      worksheets), counted on the program once its intermediates are substituted; deeper
      ones raise ``CheckError``, so SymPy's recursion never meets the interpreter's limit and
      the answer is the same at any ``sys.getrecursionlimit()``.
    - ``max_random_points``: points of ``check(random=N)`` / ``--random N``.
    - ``max_graph_nodes``: nodes Graphviz is asked to lay out (``draw``, ``graph``, worksheets).
    - ``max_graph_layout``: cells of Graphviz's layout: nodes plus the ranks each edge crosses
      (an input read by every statement of a long program crosses many); see
      ``teaching.dot_text.bound_layout``.
    - ``max_display_nodes``: nodes a Jupyter display draws automatically; above it, a table
      and "graph not drawn (N nodes)".
    - ``max_worksheet_nodes``: graph nodes in one worksheet.
    - ``max_sheets``: exercise sheets one call writes (``--count``).
    - ``max_batch_points``: points in one ``CompiledFunction.batch`` call, after broadcasting.
    - ``max_parameters``: parameters of one ``symgrad.nn`` module.
    - ``max_reference_bits``: the highest precision (bits) of the check's exact reference; it
      starts at 200 bits and doubles up to this, then reports what is still unknown as
      undetermined.
    - ``max_closed_form_nodes``: nodes of a SymPy closed form built for display (``diff``,
      worksheets); larger ones raise ``CheckError``.
    - ``max_random_draws``: draws ``check(random=N)`` may make in all to find N in-domain points.

    The check's work is bounded by structure (the size of each row's SymPy form,
    ``max_reference_bits``, ``max_closed_form_nodes``, ``max_closed_form_depth``), never by the
    clock, so its verdict does not depend on load.

    - ``max_exact_digits``: decimal digits of any exact number the symbolic side builds from
      the program's constants (numerator and denominator together), predicted from the
      structure before it is built: ``((3^-999)^999)^200`` would have 95 million digits. The
      default stays under Python's 4,300-digit limit for printing an integer.

    - ``max_tokens``: tokens of program text (names, numbers, operators, parentheses, commas,
      separators; not comments or blanks), counted while lexing.

    - ``max_tensor_elements``: elements of one tensor (an input bound at the point, or any value a
      tensor program computes); ``max_total_elements``: elements of all a tensor program's values.

    ``max_chars``, ``max_tokens``, ``max_nodes`` and ``max_statements`` are all checked while
    the text is lexed, so input over one is rejected before any tree is built. The defaults
    answer any input in under 1 s: lark's LALR parse costs 3–14 µs a token on the shared
    2-core box (bench/hostile_bench.py measures the worst case). A larger program needs
    larger limits, e.g. ``Limits(max_chars=10**6, max_tokens=10**6, max_nodes=10**6)``
    (docs/security.md).
    """

    max_chars: int = 100_000
    max_depth: int = 200
    max_nodes: int = 20_000
    max_statements: int = 5_000
    max_name_length: int = 64
    max_literal_length: int = 64
    max_closed_form_depth: int = 80
    max_random_points: int = 1_000
    max_graph_nodes: int = 2_000
    max_graph_layout: int = 5_000
    max_display_nodes: int = 500
    max_worksheet_nodes: int = 400
    max_sheets: int = 1_000
    max_batch_points: int = 10_000_000
    max_parameters: int = 1_000_000
    max_reference_bits: int = 6_400
    max_closed_form_nodes: int = 20_000
    max_random_draws: int = 20_000
    max_tokens: int = 20_000
    max_exact_digits: int = 4_000
    max_tensor_elements: int = 1_000_000
    max_total_elements: int = 20_000_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                value = int(value)  # numpy integers too
            object.__setattr__(self, f.name, value)
            if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
                    or value <= 0):
                raise InputError(f"limit {f.name} must be a positive finite number, got {quote(repr(value))}")

    def with_(self, **changes: float) -> "Limits":
        known = {f.name for f in fields(self)}
        for key in changes:
            if key not in known:
                raise InputError(f"unknown limit {quote(key)}", hint=f"known limits: {', '.join(sorted(known))}")
        return replace(self, **changes)

    def allows(self, other: "Limits") -> bool:
        """True when every bound here is at least as loose as ``other``'s."""
        return all(getattr(self, f.name) >= getattr(other, f.name) for f in fields(self))

    @classmethod
    def parse_option(cls, items: list[str], base: "Limits | None" = None) -> "Limits":
        """Read CLI ``--limit name=value`` items."""
        changes: dict[str, float] = {}
        for item in items:
            key, sep, raw = item.partition("=")
            try:
                value = int(raw)
            except ValueError:
                value = None
            if not sep or value is None:
                raise InputError(f"bad --limit {quote(item)}",
                                 hint="write --limit name=value, e.g. --limit max_depth=500")
            changes[key.strip()] = value
        return (base or cls()).with_(**changes)


def _checked_init(init):
    """Limits(nosuch=1) names the unknown limit in an InputError, not a bare TypeError."""
    def __init__(self, *args, **changes):
        known = [f.name for f in fields(Limits)]
        unknown = [key for key in changes if key not in known]
        if unknown or len(args) > len(known):
            raise InputError(f"unknown limit {unknown[0] if unknown else 'argument'}"[:80],
                             hint=f"known limits: {', '.join(sorted(known))}")
        init(self, *args, **changes)
    __init__.__doc__ = init.__doc__
    return __init__


Limits.__init__ = _checked_init(Limits.__init__)
DEFAULT_LIMITS = Limits()


def check_random_points(count: object, limits: "Limits | None" = None, what: str = "random") -> int:
    """``check(random=N)``/``--random N``: a whole number from 1 to ``max_random_points``."""
    n = whole_number(count, what, minimum=1)
    cap = (limits or DEFAULT_LIMITS).max_random_points
    if n > cap:
        from .errors import LimitError
        raise LimitError(f"{what}={n} points asked for", limit="max_random_points", value=cap)
    return n
