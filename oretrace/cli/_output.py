"""Render query results as a table, JSON or CSV on standard output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from enum import Enum, StrEnum
from typing import Any

import pandas as pd
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

__all__ = ["Format", "emit", "to_frame", "to_jsonable"]


class Format(StrEnum):
    """Output formats of every command."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def to_jsonable(value: Any) -> Any:
    """Return ``value`` as JSON-ready data (models dumped, dates ISO, frames as records)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, pd.DataFrame):
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
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, BaseModel | Mapping):
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


def emit(data: Any, fmt: Format | str, *, title: str | None = None) -> None:
    """Write ``data`` to standard output in ``fmt``."""
    fmt = Format(fmt)
    if fmt is Format.JSON:
        json.dump(to_jsonable(data), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    frame = to_frame(data, sep="\n" if fmt is Format.TABLE else ";")
    if fmt is Format.CSV:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    console = Console(width=max(Console().width, 120))
    table = Table(title=title, show_lines=True)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None or v != v else str(v) for v in row))
    console.print(table)
