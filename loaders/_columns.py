"""The two big tables (facilities, supplies) as integer codes, read and checked column-wise.

Each cell of a big table becomes one integer code per column, pointing at the column's
*distinct* texts (a million supply rows hold a few thousand distinct shares, dates and
source lists), so each distinct text is parsed and checked once (:mod:`oretrace.loaders._cells`).
A row holding a cell the plain parser does not accept is validated by its pydantic model,
exactly as the row-by-row reader does, with the same messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from array import array
from enum import Enum
from itertools import count
from typing import Any

import numpy as np
import pydantic
from oretrace.graphmodel.ranges import SEPARATOR
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.loaders import _text
from oretrace.loaders._cells import BAD, PARSERS
from oretrace.loaders._reader import OPTIONAL_TABLES, Reader, read_header, rows_of

__all__ = ["Bool", "IntArray", "Table", "dense", "read_big", "validate_rows", "window_empty"]

IntArray = np.ndarray[Any, np.dtype[Any]]
Bool = np.ndarray[Any, np.dtype[np.bool_]]
_CHUNK = 1 << 13


class Table:
    """One big table as integer codes: ``codes[c][i]`` indexes ``values[c]`` (parsed)."""

    def __init__(self, name: str, header: list[str]) -> None:
        self.name = name
        self.file = f"{name}.csv"
        self.header = header
        self.lines: IntArray = np.zeros(0, dtype=np.int64)
        self.codes: dict[str, IntArray] = {}
        self.raw: dict[str, list[str]] = {}
        self.values: dict[str, list[Any]] = {}

    def __len__(self) -> int:
        return len(self.lines)

    def col(self, name: str) -> int:
        return self.header.index(name) + 1 if name in self.header else 0

    def column(self, name: str) -> list[Any]:
        """The parsed value of ``name`` in every row."""
        values = self.values[name]
        return [values[c] for c in self.codes[name].tolist()]

    def keep(self, rows: IntArray) -> None:
        """Keep only ``rows`` (indices, ascending)."""
        self.lines = self.lines[rows]
        for c in self.codes:
            self.codes[c] = self.codes[c][rows]


def code_type(distinct: int) -> type[np.integer[Any]]:
    """The smallest integer type holding ``distinct`` codes (and room for a few more)."""
    return np.int16 if distinct < 30_000 else np.int32


def read_big(reader: Reader, table: str) -> Table | None:
    """Read one big table into codes, with the row-by-row reader's file and row problems."""
    fname = f"{table}.csv"
    reader.unread.add(table)  # until its header is read: references into it not checked
    handle = _text.open_dataset_file(reader.root, fname, reader.problem,
                               required=table not in OPTIONAL_TABLES)
    if handle is None:
        return None
    with handle:
        limit = _text.MAX_FILE_BYTES
        raw = handle.read(limit + 1)
        if len(raw) > limit:
            reader.problem(fname, 0, 0, f"is more than the {limit:,} bytes a "
                                        "dataset file may have")
            return None
        text = _text.decode_text(fname, raw, reader.problem)
        del raw
        if text is None:
            return None
        empty = not text or text.isspace()
        del text
        if empty:
            reader.problem(fname, 1, 0, "file is empty; a header row is required")
            return None
        handle.seek(0)  # read again as text, row by row: no second copy of the file
        with io.TextIOWrapper(handle, encoding="utf-8-sig", newline="") as lines:
            return _read_rows(reader, table, fname, csv.reader(lines))


def _read_rows(reader: Reader, table: str, fname: str, rows: Any) -> Table | None:
    """The rows of one big table (after its bytes were found to be text)."""
    header = read_header(reader, table, fname, rows)
    if header is None:
        return None
    out = Table(table, header)
    seen: list[dict[str, int]] = [{} for _ in header]
    counters = [count() for _ in header]
    sparse = [array("q") for _ in header]  # one growing buffer per column
    starts = array("q")
    chunk: list[list[str]] = []

    def flush() -> None:
        if not chunk:
            return
        for j, column in enumerate(zip(*chunk, strict=True)):
            sparse[j].extend(map(seen[j].setdefault, column, counters[j]))
        chunk.clear()

    for start, cells in rows_of(reader, table, fname, rows, len(header)):
        chunk.append(cells)
        starts.append(start)
        if len(chunk) >= _CHUNK:
            flush()
    flush()
    out.lines = np.frombuffer(starts, dtype=np.int64).copy() if starts else \
        np.zeros(0, dtype=np.int64)
    del starts
    n = len(out.lines)
    blank = np.ones(n, dtype=bool)
    for j, name in enumerate(header):
        texts = list(seen[j])
        ids = np.fromiter(seen[j].values(), dtype=np.int64, count=len(texts))
        slot = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=np.int64)
        slot[ids] = np.arange(len(ids))
        codes = slot[np.frombuffer(sparse[j], dtype=np.int64)].astype(code_type(len(texts))) \
            if len(sparse[j]) else np.zeros(0, dtype=np.int32)
        sparse[j] = array("q")
        out.codes[name] = codes
        out.raw[name] = texts
        if n:
            blank &= np.array([not t.strip() for t in texts], dtype=bool)[codes]
    if n and blank.any():
        out.keep(np.flatnonzero(~blank))
    return out


def validate_rows(reader: Reader, t: Table) -> None:
    """Parse each distinct cell; send rows with an unusual cell to pydantic (exact messages).

    Afterwards ``t.values[c]`` holds the parsed value of each code, and rows pydantic
    rejects are dropped (their problems recorded); rows it accepts get codes of their own
    pointing at pydantic's values.
    """
    parsers = PARSERS[t.name]
    ends = _add_range_columns(t)
    suspicious = np.zeros(len(t), dtype=bool)
    for name in t.header:
        parse = parsers.get(name)
        if parse is None:  # an extra column keeps its text, as pydantic does
            t.values[name] = list(t.raw[name])
            continue
        values = [parse(v) for v in t.raw[name]]
        bad = np.array([v is BAD for v in values], dtype=bool)
        if bad.any():
            suspicious |= bad[t.codes[name]]
        t.values[name] = values
    # row-level invariants of the model (its model validators)
    if t.name == "supplies":
        as_supplier = {v: i for i, v in enumerate(t.raw["supplier"])}
        buyer = dense(t.raw["buyer"], as_supplier)[t.codes["buyer"]]
        suspicious |= buyer == t.codes["supplier"]
        suspicious |= _window_reversed(t, "start", "end")
    else:
        suspicious |= _window_reversed(t, "online_from", "online_until")
    if suspicious.any():
        _validate_with_model(reader, t, np.flatnonzero(suspicious))
    # no row refers to an unparsed value any more (re-pointed or dropped): forget them
    for name in t.header:
        t.values[name] = [None if v is BAD or (name in ends and v == "") else v
                          for v in t.values[name]]


def _add_range_columns(t: Table) -> set[str]:
    """A column holding ``lo..hi`` cells (:mod:`oretrace.graphmodel.ranges`) gets ``<name>_lo`` and
    ``<name>_hi`` columns beside it, filled by the model from the rows it validates (the
    plain parser sends every ranged cell there): the ends land on the graph as extras."""
    added: set[str] = set()
    for name in ("capacity", "share"):
        if name in t.raw and any(SEPARATOR in v for v in t.raw[name]):
            for end in (f"{name}_lo", f"{name}_hi"):
                if end not in t.header:
                    t.header.append(end)
                    t.raw[end] = [""]
                    t.codes[end] = np.zeros(len(t), dtype=np.int32)
                    added.add(end)
    return added


def _validate_with_model(reader: Reader, t: Table, rows: IntArray) -> None:
    """Validate ``rows`` with the table's pydantic model, exactly as the row path does."""
    parsers = PARSERS[t.name]
    model = RECORD_MODELS[t.name]
    drop: list[int] = []
    known: dict[str, dict[Any, int]] = {}
    for i in rows.tolist():
        data = {name: t.raw[name][t.codes[name][i]] for name in t.header}
        try:
            record = model.model_validate(data)
        except pydantic.ValidationError as exc:
            reader.invalid(t.file, int(t.lines[i]), t.header, data, exc)
            drop.append(i)
            continue
        dumped = record.model_dump(mode="python")
        for name in t.header:
            value = dumped.get(name)
            if name in parsers and isinstance(value, Enum):  # enums as plain text
                value = value.value
            t.codes[name] = _code_for(t, name, value, i, known)
    if drop:
        t.keep(np.setdiff1d(np.arange(len(t)), np.array(drop, dtype=np.int64)))


def _code_for(t: Table, name: str, value: Any, row: int,
              known: dict[str, dict[Any, int]]) -> IntArray:
    """Point ``row`` of column ``name`` at ``value``: at the code of an equal value already
    there (so ``.9`` and ``0.9``, or two spellings of one date, group as one), else at a
    new code. Returns the column's code array (widened when the codes outgrow it)."""
    codes = t.codes[name]
    values = t.values[name]
    index = known.get(name)
    if index is None:
        index = known[name] = {}
        for c, v in enumerate(values):
            if v is not BAD and _hashable(v):
                index.setdefault(v, c)
    code = index.get(value) if _hashable(value) else None
    if code is None:
        values.append(value)
        code = len(values) - 1
        if _hashable(value):
            index[value] = code
        if code > np.iinfo(codes.dtype).max:
            codes = codes.astype(np.int64)
    codes[row] = code
    return codes


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _ordinals(t: Table, name: str) -> IntArray:
    """Each row's date in column ``name`` as a day number (-1: none)."""
    return np.array([v.toordinal() if isinstance(v, dt.date) else -1
                     for v in t.values[name]], dtype=np.int64)[t.codes[name]]


def _window_reversed(t: Table, first: str, last: str) -> Bool:
    """Rows whose ``last`` date is before their ``first`` date."""
    lo, hi = _ordinals(t, first), _ordinals(t, last)
    return (lo >= 0) & (hi >= 0) & (hi < lo)


def window_empty(t: Table, first: str, last: str) -> Bool:
    """Rows whose ``last`` date equals their ``first`` date (an empty window)."""
    lo, hi = _ordinals(t, first), _ordinals(t, last)
    empty: Bool = (lo >= 0) & np.equal(hi, lo)
    return empty

def dense(values: list[Any], index: dict[Any, int], missing: int = -1) -> IntArray:
    """``index[v]`` of each of ``values`` (``missing`` for one not in ``index``)."""
    return np.array([index.get(v, missing) for v in values], dtype=np.int64)
