"""Render query results as a table, JSON or CSV on standard output, safely.

Every string that reaches the terminal or a file is data, never instructions:

- table cells and titles are literal text (:class:`rich.text.Text`), so ``[link=…]`` or
  ``[/x]`` in a name is printed as written, not read as Rich markup;
- control characters (C0 but newline and tab, DEL and C1: ESC, OSC, CSI, BEL, …) are replaced
  by U+FFFD in tables, CSV and messages, so no escape sequence of the data reaches a terminal;
  JSON keeps them, escaped (``\\u001b``), so the value survives a round trip;
- a CSV cell a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or
  carriage return; OWASP "CSV Injection") gets a leading ``'``, except a plain number such
  as ``-0.5``.

pandas, pydantic and rich are imported when output is written, not with this module, so
that ``oretrace --help`` starts fast.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oretrace.graphmodel.errors import OretraceError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Format", "OutputError", "check_writable", "clean", "echo", "emit",
           "neutralise_formula", "say", "to_frame", "to_jsonable", "writing"]


class Format(StrEnum):
    """Output formats of every command."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


#: Control characters replaced in tables, CSV and messages: C0 but tab and newline, DEL, C1.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: C1 controls, which ``json.dump(ensure_ascii=False)`` would write raw.
_C1 = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}
#: A cell that starts like a formula (OWASP: ``= + - @``, tab, carriage return).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A plain number, which a spreadsheet reads as a number however it starts.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class OutputError(OretraceError):
    """Raised when the command line cannot write an output file where it was asked to."""


def check_writable(path: Path, *, directory: bool = False) -> None:
    """Raise :class:`OutputError` unless ``path`` can be written (a file, or a ``directory``).

    Checked before a command computes anything: the nearest existing folder on the way
    must be a writable directory (missing folders below it are created later), and
    ``path`` itself, if it exists, a writable file (or device, such as ``/dev/null``) or,
    for a ``directory``, a directory. A disk that fills up while writing is still
    reported when it happens (:func:`writing`).
    """
    if path.exists():
        if directory != path.is_dir():
            raise OutputError(f"{path}: is {'not ' if directory else ''}a directory")
        if not os.access(path, os.W_OK):
            raise OutputError(f"{path}: cannot write here (permission denied)")
        return
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot create it in {parent} (permission denied)")


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a file system error while writing ``path`` into :class:`OutputError` naming it."""
    try:
        yield
    except OSError as exc:
        where = exc.filename if exc.filename is not None else path
        raise OutputError(f"{where}: cannot write: {exc.strerror or exc}") from exc


def clean(text: str) -> str:
    """Return ``text`` with every control character but tab and newline replaced by U+FFFD.

    Examples
    --------
    >>> clean("CN\\x1b]0;pwned\\x07mine")
    'CN�]0;pwned�mine'
    """
    return _CONTROL.sub("\ufffd", text)


def neutralise_formula(text: str) -> str:
    """Return a CSV cell a spreadsheet cannot run as a formula (OWASP: prefix ``'``).

    Examples
    --------
    >>> neutralise_formula("=HYPERLINK(1)"), neutralise_formula("-0.5")
    ("'=HYPERLINK(1)", '-0.5')
    """
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def say(message: str, *, err: bool = True) -> None:
    """Print a one-line message (data in it cleaned of control characters)."""
    print(clean(message), file=sys.stderr if err else sys.stdout)


def echo(message: str) -> None:
    """Print a line of a table view on standard output (control characters replaced)."""
    print(clean(message))


def _is_model(value: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def _is_frame(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def to_jsonable(value: Any) -> Any:
    """Return ``value`` as JSON-ready data (models dumped, dates ISO, frames as records)."""
    if _is_model(value):
        return value.model_dump(mode="json")
    if _is_frame(value):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v) for v in items]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


#: In tables, a list cell shows at most this many items, then "… +N more" (JSON and CSV
#: always carry every item).
TABLE_LIST_ITEMS = 6


def _cell(value: Any, sep: str = ";") -> Any:
    value = to_jsonable(value)
    if isinstance(value, list):
        items = [_flat(v) for v in value]
        if sep == "\n" and len(items) > TABLE_LIST_ITEMS:
            more = len(items) - (TABLE_LIST_ITEMS - 1)
            items = [*items[:TABLE_LIST_ITEMS - 1], f"… +{more} more"]
        return sep.join(items)
    if isinstance(value, dict):
        return sep.join(f"{k}={_flat(v)}" for k, v in value.items())
    return value


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return " > ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def to_frame(data: Any, *, sep: str = ";") -> pd.DataFrame:
    """Return a flat DataFrame of ``data`` (a frame, a model, a mapping or a list of them).

    List cells are joined with ``sep`` (``;`` for CSV; one item a line in tables); a list
    of lists, such as witness paths, becomes one ``a > b > c`` path per item.
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
    elif _is_model(data) or isinstance(data, Mapping):
        items = to_jsonable(data)
        if all(not isinstance(v, list | dict) for v in items.values()):
            frame = pd.DataFrame([items])
        else:
            frame = pd.DataFrame({"field": list(items), "value": list(items.values())})
    elif isinstance(data, Sequence) and not isinstance(data, str):
        frame = pd.DataFrame([to_jsonable(item) for item in data])
    else:
        frame = pd.DataFrame({"value": [to_jsonable(data)]})
    flat: pd.DataFrame = frame.apply(lambda col: col.map(lambda v: _cell(v, sep)))
    return flat


def _rows(data: Any, sep: str) -> tuple[list[str], list[list[Any]]]:
    """The columns and rows :func:`to_frame` would give, without importing pandas unless
    ``data`` is a frame (a table of plain records starts the command line faster)."""
    if type(data).__module__.startswith("pandas"):
        frame = to_frame(data, sep=sep)
        return [str(c) for c in frame.columns], [list(r) for r in frame.itertuples(index=False)]
    if _is_model(data) or isinstance(data, Mapping):
        items = to_jsonable(data)
        if all(not isinstance(v, list | dict) for v in items.values()):
            records = [items]
        else:
            records = [{"field": k, "value": v} for k, v in items.items()]
    elif isinstance(data, Sequence) and not isinstance(data, str):
        records = [to_jsonable(item) for item in data]
    else:
        records = [{"value": to_jsonable(data)}]
    columns = list(dict.fromkeys(k for r in records for k in r))
    return columns, [[_cell(r.get(c), sep) for c in columns] for r in records]


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_formula(clean(value))
    return value


def _json_text(data: Any) -> str:
    """JSON of ``data``; C0 controls escaped by :mod:`json`, C1 controls escaped here."""
    return json.dumps(to_jsonable(data), indent=2, ensure_ascii=False).translate(_C1)


def emit(data: Any, fmt: Format | str, *, title: str | None = None) -> None:
    """Write ``data`` to standard output in ``fmt``."""
    fmt = Format(fmt)
    if fmt is Format.JSON:
        sys.stdout.write(_json_text(data) + "\n")
        return
    if fmt is Format.CSV:
        frame = to_frame(data, sep=";")
        frame = frame.rename(columns=lambda c: _csv_cell(str(c)))
        frame = frame.apply(lambda col: col.map(_csv_cell))
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(width=max(Console().width, 120))
    table = Table(title=None if title is None else Text(clean(title)), show_lines=True)
    columns, rows = _rows(data, "\n")
    for column in columns:
        table.add_column(Text(clean(column)), overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if v is None or v != v else clean(str(v))) for v in row))
    console.print(table)
