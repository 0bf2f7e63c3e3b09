"""One error taxonomy: everything a user can cause is a SymgradError."""

from __future__ import annotations

import unicodedata

__all__ = [
    "SymgradError",
    "ParseError",
    "BindingError",
    "UnknownFunctionError",
    "UnboundNameError",
    "DuplicateAssignmentError",
    "ArityError",
    "MissingInputError",
    "InputError",
    "NumericError",
    "DomainError",
    "LimitError",
    "ShapeError",
    "CheckError",
    "RenderError",
]


def escape_char(ch: str) -> str:
    """Show a character so that it cannot hide: controls and non-ASCII are escaped."""
    if " " <= ch <= "~":
        return ch
    code = ord(ch)
    esc = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return esc


def escape_text(text: str, limit: int = 60) -> str:
    """``text`` (cut to ``limit`` characters) with everything but printable ASCII escaped."""
    text = str(text)
    out = "".join(escape_char(c) for c in text[:limit])
    return out + ("…" if len(text) > limit else "")


def quote(text: object, limit: int = 40) -> str:
    """A user-supplied fragment for a message: quoted, cut short, printable ASCII only."""
    return f"'{escape_text(str(text), limit)}'"


def show_name(name: object, limit: int = 40) -> str:
    """A name as given: bare when it is a plain ASCII identifier, else ``quote``d."""
    text = str(name)
    if len(text) <= limit and text.isascii() and text.isidentifier():
        return text
    return quote(text, limit)


# Characters that must never reach a terminal or a one-line message raw: controls (ESC, CR,
# LF…), format characters (bidi overrides, zero-width), line/paragraph separators, lone
# surrogates (they cannot even be encoded), private-use and unassigned code points.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def safe_line(text: str) -> str:
    """``text`` as one printable line: unsafe characters escaped, the rest kept as it is.

    Every ``SymgradError`` message and hint goes through this, so a fragment that some code
    path forgot to ``quote`` still cannot inject escape sequences, split the CLI's one line,
    or make printing fail (``UnicodeEncodeError`` on a lone surrogate). Renderers use it for
    Value labels too.
    """
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(escape_char(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text)


def describe_char(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"'{escape_char(ch)}'" + (f" ({name})" if name and not (" " <= ch <= "~") else "")


class SymgradError(Exception):
    """Base of every error symgrad raises for bad input.

    ``str(err)`` is one line (what the CLI prints); ``err.details`` may hold a caret excerpt.
    """

    def __init__(self, message: str, *, hint: str | None = None, line: int | None = None,
                 column: int | None = None, details: str = "") -> None:
        self.message = safe_line(message)
        self.hint = None if hint is None else safe_line(hint)
        self.line = line
        self.column = column
        self.details = details
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line is not None else ""
        hint = f"; {self.hint}" if self.hint else ""
        return safe_line(f"{where}{self.message}{hint}")  # safe even if .message was reassigned

    def __str__(self) -> str:
        return self.summary + (f"\n{self.details}" if self.details else "")


class ParseError(SymgradError):
    """Text the grammar rejects. Carries line, column, a caret excerpt and what was expected."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None,
                 column: int | None = None, expected: tuple[str, ...] = (), hint: str | None = None) -> None:
        self.expected = expected
        self.source = source
        details = caret_excerpt(source, line, column) if source and line is not None else ""
        super().__init__(message, hint=hint, line=line, column=column, details=details)


class BindingError(SymgradError):
    """A problem with names: unknown function, unbound or missing input, double assignment."""


class UnknownFunctionError(ParseError, BindingError):
    pass


class UnboundNameError(ParseError, BindingError):
    pass


class DuplicateAssignmentError(ParseError, BindingError):
    pass


class ArityError(ParseError, BindingError):
    """A function called with the wrong number of arguments; the message names them (from its rule row)."""


class MissingInputError(BindingError):
    def __init__(self, message: str, *, missing: tuple[str, ...] = (), hint: str | None = None) -> None:
        self.missing = missing
        super().__init__(message, hint=hint)


class InputError(SymgradError, ValueError):
    """A value given for an input (or an option) that symgrad cannot use."""


class NumericError(SymgradError, ArithmeticError):
    """Overflow or a non-finite value during evaluation."""


class DomainError(NumericError):
    """An operation applied outside its domain: log(0), 1/0, (-8)^(1/3), 0^-1."""


class LimitError(SymgradError):
    """Input over a configured limit. ``limit`` names the Limits field, ``value`` its setting."""

    def __init__(self, message: str, *, limit: str, value: float, **kw) -> None:
        self.limit = limit
        self.value = value
        hint = kw.pop("hint", None) or (
            f"raise it with symgrad.Limits({limit}=...) or the CLI option --limit {limit}=N")
        super().__init__(f"{message} (limit {limit}={value})", hint=hint, **kw)


class ShapeError(SymgradError, ValueError):
    """Tensor shapes that do not fit an operation: names the operation, both shapes and the rule
    (NumPy's broadcasting, matmul's inner sizes, an index's range) that failed, at its position."""


class CheckError(SymgradError):
    """The symbolic stage could not finish (over its budget, or SymPy failed)."""


class RenderError(SymgradError):
    """An output could not be rendered (for example Graphviz's `dot` is missing)."""


def caret_excerpt(source: str, line: int | None, column: int | None, width: int = 60) -> str:
    """The source line with a caret under the column; escaped and truncated around it."""
    if line is None or column is None:
        return ""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    start = max(0, column - 1 - width // 2)
    piece = text[start:start + width]
    shown = "".join(escape_char(c) for c in piece)
    caret_at = len("".join(escape_char(c) for c in piece[:column - 1 - start]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + caret_at)}^"
