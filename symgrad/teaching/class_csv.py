"""A class's CSV in and out: reading answers as spreadsheets write them, and writing marks that
no spreadsheet runs as a formula.

In: UTF-8 (a BOM is fine), comma- or semicolon-delimited (``;`` when the header line has
semicolons and no comma, as spreadsheets write CSV where the decimal mark is a comma), with ``\\r\\n``, ``\\n`` or lone ``\\r`` ("CSV (Macintosh)") line
endings, read up to ``MAX_FILE_CHARS``. One cell over ``MAX_CELL_CHARS`` is cut there and
flagged, so only that cell is refused (``cell_too_long``). Rows are yielded one by one.

Out: ``spreadsheet_cell`` neutralises a cell a spreadsheet could run (OWASP's CSV injection
advice): line breaks are first normalised to ``\\n`` (so the cell is quoted, never split into a
new row), and the cell is read as a spreadsheet would, after Unicode's compatibility forms
(a full-width ＝ or ＋ is ``=``/``+``) and leading blanks; a cell that then starts with ``=``,
``+``, ``-``, ``@`` (or a tab, or a line break) gets a leading ``'``, unless it is a plain decimal
number such as ``-3`` or ``2.5e-3``. ``-nan``, ``-inf`` and ``+1_000`` are not plain numbers.
Control and format characters (ESC, BEL, NUL, the bidirectional U+202E) are written escaped
(``\\x1b``, ``\\u202e``), as ``base.errors.safe_line`` shows them on a terminal; ``\\n`` and tab stay.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import Any, Iterator

from ..base.errors import InputError, escape_text, safe_line

__all__ = ["read_answers", "spreadsheet_cell", "csv_text", "MAX_FILE_CHARS", "MAX_CELL_CHARS", "cell_too_long"]

MAX_FILE_CHARS = 20_000_000    # an answers CSV (about 100,000 students × 20 blanks)
MAX_CELL_CHARS = 131_072       # one cell (the csv module's own default field limit)
_TOO_LONG = "\x00symgrad: cell over the limit\x00"   # marks a cut cell; NUL cannot come from csv text
_FORMULA_START = ("=", "+", "-", "@", "\t", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def cell_too_long(cell: str) -> bool:
    return cell.startswith(_TOO_LONG)


def read_answers(answers: Any) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """CSV text, a path, or rows (dicts) → (header, iterator of (line number, cells)).

    Raises InputError for a file that cannot be read or is over ``MAX_FILE_CHARS``; a cell over
    ``MAX_CELL_CHARS`` comes back as a flagged stub (``cell_too_long``), never as an error.
    """
    if isinstance(answers, list):
        bad = next((k for k, r in enumerate(answers) if not isinstance(r, dict)), None)
        if bad is not None:
            raise InputError(f"the answers' row {bad + 1} is a {type(answers[bad]).__name__}, not a dict of "
                             "column to cell", hint="give rows as dicts ({'id': 'ann', 'final1.backprop': '6'}), "
                             "or the CSV text, or its path")
        header = list(dict.fromkeys(k for r in answers for k in r))
        return header, ((n, [str(r.get(h, "") or "") for h in header]) for n, r in enumerate(answers, start=2))
    text = answers
    if not (isinstance(answers, str) and ("\n" in answers or "\r" in answers)):
        try:
            with open(answers, encoding="utf-8-sig", newline="") as fh:
                text = fh.read(MAX_FILE_CHARS + 1)   # bounded: /dev/zero or a runaway file is refused
        except (OSError, UnicodeDecodeError, TypeError, ValueError) as err:
            raise InputError(f"cannot read the answers {escape_text(str(answers), 80)}: "
                             f"{getattr(err, 'strerror', None) or err}") from None
        if len(text) > MAX_FILE_CHARS:
            raise InputError(f"the answers {escape_text(str(answers), 80)} are over {MAX_FILE_CHARS:,} characters",
                             hint="grade the class in parts")
    rows = _rows(text, _delimiter(text))
    try:
        header = [h.strip() for h in next(rows, (1, []))[1]]
    except csv.Error as err:
        raise InputError(f"the answers are not a readable CSV: {err}") from None
    return header, rows


def _delimiter(text: str) -> str:
    """``;`` when the header line has semicolons and no comma (a spreadsheet set to a locale whose
    decimal mark is the comma writes ``id;dL/da`` and ``s1;2,5``), else ``,``."""
    first = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"), maxsplit=1)[0]
    return ";" if ";" in first and "," not in first else ","


def _rows(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    # newline="": the reader splits \r\n, \n and a lone \r alike, and keeps breaks inside quotes.
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, MAX_FILE_CHARS + 1))
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
        for cells in reader:
            if cells:
                yield reader.line_num, [c if len(c) <= MAX_CELL_CHARS else _TOO_LONG + c[:40] for c in cells]
    except csv.Error as err:
        raise InputError(f"the answers are not a readable CSV: {err}") from None
    finally:
        csv.field_size_limit(old)


def spreadsheet_cell(cell: Any) -> Any:
    """A cell as written to a CSV a teacher opens in a spreadsheet (see the module docstring)."""
    if not isinstance(cell, str):
        return cell
    text = _LINE_BREAKS.sub("\n", cell)
    if not text.isprintable():          # ESC, BEL, NUL, U+202E…: escaped as the terminal shows them
        text = "".join(c if c in "\n\t" else safe_line(c) for c in text)
    shown = unicodedata.normalize("NFKC", text).lstrip(" \u00a0\u3000")
    if shown[:1] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(shown):
        return "'" + text
    return text


def csv_text(rows: Any) -> str:
    """Rows of cells as CSV text (``\\n`` line ends), every cell through ``spreadsheet_cell``."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for row in rows:
        w.writerow([spreadsheet_cell(c) for c in row])
    return out.getvalue()
