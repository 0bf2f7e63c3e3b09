"""The validators every entry point shares: the user's value as the type symgrad needs, or an
``InputError`` that names the argument and says what it must be."""

from __future__ import annotations

import json
import math
import numbers
import random as _random
import re

from .errors import InputError, escape_text, quote

__all__ = ["whole_number", "real_number", "check_seed", "seed_rng", "json_value", "json_loads", "NumberTooLong",
           "MAX_JSON_DIGITS"]

MAX_JSON_DIGITS = 4300    # Python's own limit on converting a decimal string to an int


def whole_number(n: object, what: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """``n`` as an int: any ``numbers.Integral`` (numpy's too), not a bool or a float."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or type(n).__name__ in ("bool_", "bool"):
        raise InputError(f"{what} must be a whole number, got {type(n).__name__} {escape_text(repr(n), 40)}")
    value = int(n)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InputError(f"{what} must be {bound}, got {value}")
    return value


_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def real_number(x: object, what: str, *, text: bool = False, hint: str = "give a real number such as 2.5") -> float:
    """``x`` as a finite float: any real number (numpy's too), not a bool or complex. Text is
    refused, except with ``text=True`` a number written as text (``"2.5"``, ``" -1e3"``: what
    ``--at x=2.5`` and a web form give). Every InputError names ``what``, shows what was given
    (its type and a quoted, shortened repr) and carries ``hint``."""
    kind = getattr(getattr(x, "dtype", None), "kind", "")  # numpy's scalars and 0-d arrays
    if isinstance(x, str) and text:
        if not _NUMBER.fullmatch(x.strip()):
            raise InputError(f"{what} is not a number: {quote(x)}", hint=hint)
        x = x.strip()
    elif isinstance(x, (str, bytes)):
        raise InputError(f"{what} is text, not a real number: {_shown(x)}", hint=hint)
    elif isinstance(x, bool) or kind == "b" or type(x).__name__ == "bool_":
        raise InputError(f"{what} is a bool, not a real number: {_shown(x)}", hint=hint)
    elif isinstance(x, complex) or kind == "c" or "complex" in type(x).__name__:
        raise InputError(f"{what} is complex, not a real number: {_shown(x)}", hint=hint)
    try:
        value = float(x)  # type: ignore[arg-type]
    except OverflowError:
        raise InputError(f"{what} is too large for float64", hint=hint) from None
    except (TypeError, ValueError):
        raise InputError(f"{what} is not a real number: {_shown(x)}", hint=hint) from None
    if not math.isfinite(value):
        raise InputError(f"{what} is {value}, not a finite number", hint=hint)
    return value


def _shown(x: object) -> str:
    """``str 'abc'``: the type and a shortened repr, for a message (a repr that fails is left out)."""
    try:
        return f"{type(x).__name__} {escape_text(repr(x), 40)}"
    except Exception:  # e.g. an int past Python's 4300-digit str limit
        return type(x).__name__


def check_seed(seed: object, what: str = "seed") -> "int | None":
    """A seed is None or a whole number (numpy's too); anything else is an InputError."""
    if seed is None:
        return None
    return whole_number(seed, what, minimum=-(2 ** 63), maximum=2 ** 64 - 1)


def seed_rng(seed: "object") -> _random.Random:
    """A ``random.Random`` from a seed (None, a whole number) or the generator itself."""
    if isinstance(seed, _random.Random):
        return seed
    if seed is not None and not isinstance(seed, numbers.Integral):
        raise InputError(f"seed must be an int or a random.Random, got {type(seed).__name__}")
    return _random.Random(check_seed(seed))


class NumberTooLong(ValueError):
    """A JSON whole number over ``MAX_JSON_DIGITS`` digits; ``path`` names it (``point.x``)."""

    def __init__(self, path: str, digits: int) -> None:
        super().__init__(f"the number at {path} is too long ({digits:,} digits; at most {MAX_JSON_DIGITS:,})")
        self.path, self.digits = path, digits


class _LongInt(str):
    """A whole number's text past the limit, kept until its place in the document is known."""


def json_loads(text: "str | bytes") -> object:
    """``json.loads``, but a whole number over ``MAX_JSON_DIGITS`` digits (which Python's int
    conversion refuses with a bare ValueError) is a NumberTooLong naming where it is."""
    long: list[_LongInt] = []

    def parse_int(digits: str) -> "int | _LongInt":
        if len(digits) - digits.startswith("-") <= MAX_JSON_DIGITS:
            return int(digits)
        long.append(_LongInt(digits))
        return long[-1]

    data = json.loads(text, parse_int=parse_int)
    if not long:                                      # the usual case: no second walk
        return data
    stack: list[tuple[object, str]] = [(data, "")]
    while stack:                                      # iterative: a document may nest deeply
        node, path = stack.pop()
        if isinstance(node, _LongInt):
            raise NumberTooLong(path or "the top level", len(node) - node.startswith("-"))
        if isinstance(node, dict):
            stack += [(v, f"{path}.{k}" if path else str(k)) for k, v in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(v, f"{path}[{i}]") for i, v in reversed(list(enumerate(node)))]
    return data


def json_value(text: str, what: str, hint: str | None = None) -> object:
    """``text`` parsed as JSON, or an InputError naming ``what``: bad JSON says where; JSON
    nested too deep for Python's parser (``[[[[…`` 40,000 deep) is refused, not a RecursionError;
    a whole number too long to read says where it is."""
    try:
        return json_loads(text)
    except NumberTooLong as err:
        raise InputError(f"{what}: {escape_text(str(err), 120)}", hint=hint) from None
    except json.JSONDecodeError as err:
        raise InputError(f"{what} is not JSON: {err.msg} at line {err.lineno}", hint=hint) from None
    except RecursionError:
        raise InputError(f"{what} is JSON nested too deeply to read", hint=hint) from None
