"""Writing output files so that a failure loses nothing, and a set of files lands whole.

``write_atomic`` writes one file; ``output_set`` collects several (a sheet, its key and its
pictures; ``--count N`` sheets; marks and feedback) and writes them as a set, all or none:

- each file is first written, flushed and synced into a temporary folder beside its target,
  so a full disk or a failed render changes nothing ("nothing was changed" is true);
- then, holding an exclusive lock on each target folder (``flock``; so two runs writing the
  same names never mix their files), every file is renamed over its target. Should a rename
  fail, the files already replaced get their old contents back (hard-linked aside first).

A target that exists and is not a regular file (``/dev/null``, a pipe, a folder) is refused, as
is a target that is one of the run's own input files (``protect``): an output never replaces a
device node or the answers it was made from.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import shutil
import stat
import tempfile
from typing import Iterable, Iterator

from .errors import RenderError, escape_text

__all__ = ["write_atomic", "output_set", "OutputSet", "check_output", "stable_pdf"]

_CURRENT: contextvars.ContextVar["OutputSet | None"] = contextvars.ContextVar("symgrad_output_set", default=None)
_NOTHING_CHANGED = "check the path, its permissions and the free disk space; nothing was changed"


def _error(target: str, why: str, hint: str = _NOTHING_CHANGED) -> RenderError:
    return RenderError(f"cannot write {escape_text(target)}: {escape_text(why)}", hint=hint)


class OutputSet:
    """Files staged to be written together (see the module docstring). Use ``output_set()``."""

    def __init__(self, protect: Iterable[str | os.PathLike] = ()) -> None:
        self.protect = [os.fspath(p) for p in protect]
        self.staged: dict[str, str] = {}          # absolute target -> staged temporary file
        self.folders: dict[str, str] = {}         # target folder -> its temporary folder

    def check(self, target: str) -> None:
        """Refuse a target that is a device, pipe or folder, or one of the inputs."""
        try:
            st = os.stat(target)
        except FileNotFoundError:
            return
        except OSError as err:
            raise _error(target, err.strerror or str(err)) from None
        if not stat.S_ISREG(st.st_mode):
            raise _error(target, "it is not a regular file (a device, pipe or folder)",
                         hint="give a file name; nothing was changed")
        for path in self.protect:
            with contextlib.suppress(OSError):
                if os.path.samefile(path, target):
                    raise _error(target, "it is an input of this command",
                                 hint="write to another file; nothing was changed")

    def write(self, path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8") -> None:
        target = os.path.abspath(os.fspath(path))
        self.check(target)
        payload = data.encode(encoding) if isinstance(data, str) else data
        folder = os.path.dirname(target)
        try:
            if folder not in self.folders:
                self.folders[folder] = tempfile.mkdtemp(prefix=".symgrad-", dir=folder)
            fd, tmp = tempfile.mkstemp(prefix="f", dir=self.folders[folder])
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as err:
            raise _error(os.fspath(path), err.strerror or str(err)) from None
        self.staged[target] = tmp

    def commit(self) -> None:
        with contextlib.ExitStack() as locks:
            for folder in sorted(self.folders):
                locks.enter_context(_locked(folder))
            for target in self.staged:           # again under the lock: a device may have appeared
                self.check(target)
            done: list[tuple[str, str | None]] = []   # (target, its old file; None: there was none)
            try:
                for target, tmp in self.staged.items():
                    backup = None
                    if os.path.exists(target):
                        os.chmod(tmp, os.stat(target).st_mode & 0o7777)
                        backup = tmp + ".old"
                        try:
                            os.link(target, backup)
                        except OSError:                  # no hard links here: copy the old file aside
                            shutil.copy2(target, backup)
                    else:
                        umask = os.umask(0)
                        os.umask(umask)
                        os.chmod(tmp, 0o666 & ~umask)
                    os.replace(tmp, target)
                    done.append((target, backup))
            except OSError as err:
                for target, backup in reversed(done):
                    with contextlib.suppress(OSError):
                        os.replace(backup, target) if backup else os.unlink(target)
                raise _error(target, err.strerror or str(err)) from None

    def discard(self) -> None:
        for tmpdir in self.folders.values():
            shutil.rmtree(tmpdir, ignore_errors=True)


@contextlib.contextmanager
def _locked(folder: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:                          # no flock (Windows): renames only
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def output_set(protect: Iterable[str | os.PathLike] = ()) -> Iterator[OutputSet]:
    """Every ``write_atomic`` inside the ``with`` block joins one set, written all or none when
    the block ends without an error (and discarded when it raises). Nested sets join the outer
    one. ``protect``: input files no output may replace. Raises ``RenderError``."""
    outer = _CURRENT.get()
    if outer is not None:
        outer.protect += [os.fspath(p) for p in protect]
        yield outer
        return
    files = OutputSet(protect)
    token = _CURRENT.set(files)
    try:
        yield files
        files.commit()
    finally:
        _CURRENT.reset(token)
        files.discard()


def check_output(path: str | os.PathLike, protect: Iterable[str | os.PathLike] = ()) -> None:
    """Fail now, before long work, if ``path`` cannot be an output: its folder is missing or
    is not a folder, or it is a device, pipe, folder or input (``RenderError``)."""
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise _error(os.fspath(path), f"there is no folder {folder}",
                     hint="create the folder first, or give another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _error(os.fspath(path), f"the folder {folder} is not writable", hint="give another path")
    OutputSet(protect).check(target)


def write_atomic(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8",
                 protect: Iterable[str | os.PathLike] = ()) -> None:
    """Replace ``path`` with ``data`` atomically (a temporary file beside it + ``os.replace``);
    inside ``output_set()`` the file joins that set instead.

    Raises ``RenderError`` naming the (escaped) path when the write fails, when ``path`` is a
    device, pipe or folder, or when it is one of the ``protect``ed inputs; the old file, if any,
    is unchanged and no temporary file is left behind.
    """
    with output_set(protect) as files:
        files.write(path, data, encoding=encoding)


# Cairo stamps a PDF with the time it was made; a fixed stamp of the same length keeps the
# byte offsets of the PDF's cross-reference table valid (same input, same bytes).
_PDF_DATE = re.compile(rb"(/CreationDate \()D:\d{14}Z\)")


def stable_pdf(pdf: bytes) -> bytes:
    """Graphviz's PDF with its creation time fixed (1970-01-01), so a PDF is reproducible."""
    return _PDF_DATE.sub(rb"\1D:19700101000000Z)", pdf)
