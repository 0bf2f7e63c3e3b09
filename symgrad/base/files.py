"""Writing output files so that a failure loses nothing.

``write_atomic`` writes to a temporary file in the target's directory, flushes it to disk,
then renames it over the target. A failed write (full disk, permissions, a signal) leaves
the old file untouched and no partial file behind, and raises ``OutputError``.
"""

from __future__ import annotations

import os
import re
import tempfile

from .errors import RenderError, escape_text

__all__ = ["write_atomic", "stable_pdf"]


def write_atomic(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` atomically (same-directory temporary file + ``os.replace``).

    Raises ``RenderError`` naming the (escaped) path when the write fails; the old file, if
    any, is unchanged and the temporary file is removed.
    """
    target = os.fspath(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    directory = os.path.dirname(os.path.abspath(target))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".symgrad-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        raise RenderError(f"cannot write {escape_text(target)!s}: {escape_text(err.strerror or str(err))}",
                          hint="check the path, its permissions and the free disk space; "
                               "nothing was changed") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# Cairo stamps a PDF with the time it was made; a fixed stamp of the same length keeps the
# byte offsets of the PDF's cross-reference table valid (same input, same bytes).
_PDF_DATE = re.compile(rb"(/CreationDate \()D:\d{14}Z\)")


def stable_pdf(pdf: bytes) -> bytes:
    """Graphviz's PDF with its creation time fixed (1970-01-01), so a PDF is reproducible."""
    return _PDF_DATE.sub(rb"\1D:19700101000000Z)", pdf)
