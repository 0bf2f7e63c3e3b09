"""The records of a row, one per concern beyond its mathematics (as JAX keeps one registry per
transformation, keyed by the primitive): where each lives, what an empty one means, and the
check that a row has them all.

A row (``rule.Rule``, in ``table``) holds the mathematics and the domain. Its other concerns:

- ``codegen``: ``Codegen(py=…, np=…, helpers=…)`` in symgrad/rules/codegen.py, read by ``symgrad.compile``;
- ``display``: ``Display(latex=…, dlatex=…, title=…, text=…)`` in symgrad/rules/overrides.py, read
  by the printers and worksheets (an empty one derives everything from the SymPy form);
- ``rounding``: ``Rounding(forward, local, argument)`` in symgrad/rules/rounding.py, read by the
  check's error bound.

``require`` runs for every row at import and in ``symgrad.register``: a missing or malformed record
is a RowError naming the row, the record and the file to add it in. docs/adding-a-function.md is
the checklist. ``options`` gives ``symgrad.register`` its keyword arguments, from these records'
fields and the row's.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

from .codegen import CODEGEN, Codegen
from .overrides import DISPLAY, Display
from .rounding import ROUNDING, Rounding
from .rule import Rule, RowError

__all__ = ["Concern", "CONCERNS", "require", "options", "add", "remove", "missing"]


class Concern(NamedTuple):
    name: str            # the record's name, and register's keyword for a record kept whole
    table: dict          # its registry, keyed by the row's name
    record: type         # its record type
    where: str           # the file to add a built-in row's record in
    example: str         # what to write there


CONCERNS = (
    Concern("codegen", CODEGEN, Codegen, "symgrad/rules/codegen.py",
            '"{name}": Codegen(py=(forward, slope per argument), np=(…), helpers={{…}}), '
            'or Codegen() for generated code that calls the row'),
    Concern("display", DISPLAY, Display, "symgrad/rules/overrides.py",
            '"{name}": Display(), or the overrides that read better than the ones derived from the SymPy form'),
    Concern("rounding", ROUNDING, Rounding, "symgrad/rules/rounding.py",
            '"{name}": Rounding(forward, local, argument), the float64 roundings of its implementation'),
)


def missing(name: str) -> list[Concern]:
    """The concerns with no record for the row ``name``."""
    return [c for c in CONCERNS if name not in c.table]


def require(row: Rule) -> None:
    """Every record of ``row`` exists and is well formed; RowError naming what to add and where."""
    for c in missing(row.name):
        raise RowError(f"rule row {row.name!r} has no {c.name} record",
                       hint=f"add {c.example.format(name=row.name)} to the {c.record.__name__.upper()} table "
                            f"in {c.where} (see docs/adding-a-function.md)")
    r = ROUNDING[row.name]
    if not (isinstance(r, tuple) and len(r) == 3 and all(type(k) is int and 0 <= k <= 10**6 for k in r)):
        raise _bad(row, f"rounding must be three counts (forward, local, argument) as non-negative ints, got {r!r:.60}")
    code = CODEGEN[row.name]
    for col in ("py", "np"):
        tpl = getattr(code, col)
        if tpl and len(tpl) != row.arity + 1:
            raise _bad(row, f"{col} needs the forward and one slope per argument ({row.arity + 1} templates)")
        if tpl and row.variadic:
            raise _bad(row, f"a variadic row has no {col} templates (generated code calls its forward)")


def _bad(row: Rule, message: str) -> RowError:
    return RowError(f"rule row {row.name!r}: {message}", hint="fix its record (see docs/adding-a-function.md) "
                    "or the arguments of symgrad.register")


def options() -> dict[str, tuple[str, Any]]:
    """``symgrad.register``'s keyword options: {name: (concern, default)}, from the row's fields
    (those not marked built-in) and each record's fields (a NamedTuple record is one option)."""
    out: dict[str, tuple[str, Any]] = {}
    for f in dataclasses.fields(Rule):
        if f.init and f.metadata.get("register", True) and f.name not in ("name", "arity", "forward", "local"):
            out[f.name] = ("row", f.default if f.default is not dataclasses.MISSING else None)
    for c in CONCERNS:
        if dataclasses.is_dataclass(c.record):
            for f in dataclasses.fields(c.record):
                default = f.default_factory() if f.default is dataclasses.MISSING else f.default
                out[f.name] = (c.name, default)
        else:
            out[c.name] = (c.name, c.record())
    return out


def add(name: str, given: dict[str, Any]) -> None:
    """Put the records of a new row ``name`` from register's ``given`` options (missing ones
    take their defaults). The caller checks the row, then keeps them or ``remove``s them."""
    for c in CONCERNS:
        if dataclasses.is_dataclass(c.record):
            fields = {f.name for f in dataclasses.fields(c.record)}
            c.table[name] = c.record(**{k: v for k, v in given.items() if k in fields})
        else:
            value = given.get(c.name, c.record())
            c.table[name] = c.record(*value) if isinstance(value, (tuple, list)) and len(value) == 3 else value


def remove(name: str) -> None:
    """Take a row's records out of every registry (a refused or unregistered row)."""
    for c in CONCERNS:
        c.table.pop(name, None)
