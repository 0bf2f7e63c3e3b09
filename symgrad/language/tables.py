"""The grammar's LALR tables, stored beside it: a process loads them instead of analysing the grammar.

Lark's analysis of ``grammar/symgrad.lark`` (terminals, rules, LALR states) costs about as much CPU
as the rest of ``symgrad eval`` together; loading its result costs a tenth of that. The stored file,
``grammar/symgrad.tables.json``, is lark's own serialisation (``Lark.memo_serialize``) keyed by a
hash of the grammar text and lark's version. A file that is missing, unreadable or for another
grammar or lark is ignored and the grammar is analysed as before, so the tables can only make the
first parse faster, never different. Regenerate them after a grammar change::

    python -m symgrad.language.tables

(``tests/language/test_tables.py`` fails, naming that command, while they are stale.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import lark

__all__ = ["grammar_path", "lalr", "tables_path", "key", "serialize", "write"]

_OPTIONS = {"parser": "lalr"}  # the analysis options; the transformer and callbacks are given at load


def grammar_path() -> Path:
    """grammar/symgrad.lark: inside the installed package, or beside it in a checkout."""
    package = Path(__file__).resolve().parents[1]  # symgrad/
    for candidate in (package / "grammar" / "symgrad.lark", package.parent / "grammar" / "symgrad.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("symgrad's grammar file symgrad.lark is missing from the installation")


def tables_path(grammar: Path) -> Path:
    return grammar.with_name(grammar.stem + ".tables.json")


def key(grammar_text: str) -> str:
    """What the tables depend on: the grammar's text, lark's version and the analysis options."""
    what = json.dumps([grammar_text, lark.__version__, _OPTIONS], sort_keys=True)
    return hashlib.sha256(what.encode("utf-8")).hexdigest()


def lalr(grammar: Path, **runtime: Any) -> lark.Lark:
    """The LALR parser of the grammar at ``grammar``, from its stored tables when they match.
    ``runtime`` holds the options lark accepts at load time (transformer, lexer_callbacks, _plugins)."""
    text = grammar.read_text(encoding="utf-8")
    try:
        stored = json.loads(tables_path(grammar).read_text(encoding="utf-8"), object_hook=_decode)
        if stored["key"] == key(text):
            return lark.Lark._load_from_dict(stored["data"], stored["memo"], **runtime)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no usable tables: analyse the grammar
    return lark.Lark(text, **_OPTIONS, **runtime)


def serialize(grammar_text: str) -> dict:
    """The tables of ``grammar_text`` as JSON-ready data (dicts with int keys kept as item lists)."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    data, memo = lark.Lark(grammar_text, **_OPTIONS).memo_serialize([TerminalDef, Rule])
    return _encode({"key": key(grammar_text), "data": data, "memo": memo})


def write(grammar: Path) -> Path:
    """Store the tables of the grammar at ``grammar`` beside it; returns the file written."""
    out = tables_path(grammar)
    text = json.dumps(serialize(grammar.read_text(encoding="utf-8")), sort_keys=True, separators=(",", ":"))
    out.write_text(text + "\n", encoding="utf-8")
    return out


# JSON keys are strings: a dict with any other key (lark's state and memo numbers) is stored as
# {"__items__": [[key, value], ...]}; tuples become lists, which lark's deserialisers accept.
def _encode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj: dict) -> Any:
    if "__items__" in obj and len(obj) == 1:
        return {(tuple(k) if isinstance(k, list) else k): v for k, v in obj["__items__"]}
    return obj


if __name__ == "__main__":
    print(f"wrote {write(grammar_path())}")
