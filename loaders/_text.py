"""Reading one dataset file safely: a regular file inside the dataset, bounded, UTF-8 text.

Every way a file can fail to be a readable table becomes one located problem (the file
name, line and column 0 for the whole file), never an exception, a traceback or a hang:

- a missing file (when required); a link to nowhere;
- a link leading outside the dataset directory (a dataset is self-contained);
- a directory, named pipe, socket or device in place of the file (opened without
  blocking, so a pipe with no writer cannot hang the reader);
- a file the user may not read;
- a file larger than :data:`MAX_FILE_BYTES`;
- a NUL byte, or bytes that are not UTF-8 (located at the first one).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["MAX_FILE_BYTES", "decode_text", "open_dataset_file", "read_file"]

#: The largest dataset file read (1 GiB; a million supply rows take about 60 MB).
MAX_FILE_BYTES = 1 << 30

Report = Callable[[str, int, int, str], None]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def open_dataset_file(root: Path, fname: str, report: Report, *, required: bool,
                      path: Path | None = None) -> BinaryIO | None:
    """Open ``root/fname`` for reading in binary after checking it may be read.

    Returns ``None`` (having reported why, unless the file is merely absent and not
    ``required``) when it may not. ``path`` overrides ``root/fname`` (its name is still
    reported as ``fname``).
    """
    path = root / fname if path is None else path
    if not os.path.lexists(path):
        if required:
            report(fname, 0, 0, "required file is missing")
        return None
    try:
        if path.is_symlink():
            target = path.resolve()
            if not path.exists():
                report(fname, 0, 0, f"is a link to {str(target)!r}, which does not exist")
                return None
            if not target.is_relative_to(path.parent.resolve()):
                report(fname, 0, 0, f"is a link to {str(target)!r}, outside the dataset "
                                    "directory; copy the file into the dataset instead")
                return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        report(fname, 0, 0, f"cannot be read: {_reason(exc)}")
        return None
    try:
        mode, size = (info := os.fstat(fd)).st_mode, info.st_size
        kind = next((word for test, word in _KINDS if test(mode)), None)
        if kind is not None or not stat.S_ISREG(mode):
            what = f"is {kind}, not a regular file" if kind else "is not a regular file"
            report(fname, 0, 0, f"{what} (a dataset holds plain CSV and YAML files)")
        elif size > MAX_FILE_BYTES:
            report(fname, 0, 0, f"is {size:,} bytes, more than the {MAX_FILE_BYTES:,} "
                                "a dataset file may have")
        else:
            return os.fdopen(fd, "rb")
    except OSError as exc:
        report(fname, 0, 0, f"cannot be read: {_reason(exc)}")
    os.close(fd)
    return None


def read_file(root: Path, fname: str, report: Report, *, required: bool,
              path: Path | None = None) -> bytes | None:
    """The bytes of ``root/fname`` (see :func:`open_dataset_file`), at most the bound."""
    handle = open_dataset_file(root, fname, report, required=required, path=path)
    if handle is None:
        return None
    with handle:
        try:
            raw = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            report(fname, 0, 0, f"cannot be read: {_reason(exc)}")
            return None
    if len(raw) > MAX_FILE_BYTES:  # it grew while being read
        report(fname, 0, 0, f"is more than the {MAX_FILE_BYTES:,} bytes a dataset file may have")
        return None
    return raw


def decode_text(fname: str, raw: bytes, report: Report) -> str | None:
    """``raw`` as text, or ``None`` after reporting the first NUL or non-UTF-8 byte."""
    nul = raw.find(b"\0")
    if nul >= 0:
        line, column = _where(raw, nul)
        report(fname, line, column, "NUL byte (0x00) in the file; a dataset file is text")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _where(raw, exc.start)
        report(fname, line, column,
               f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 (save the file as UTF-8)")
        return None


def _where(raw: bytes, at: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of offset ``at``."""
    return raw.count(b"\n", 0, at) + 1, at - (raw.rfind(b"\n", 0, at) + 1) + 1


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)
