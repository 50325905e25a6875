"""The two big tables (facilities, supplies) as integer codes, read and checked column-wise.

Each cell of a big table becomes one integer code per column, pointing at the column's
*distinct* texts (a million supply rows hold a few thousand distinct shares, dates and
source lists), so each distinct text is parsed and checked once (:mod:`oretrace.loaders._cells`).
A row holding a cell the plain parser does not accept is validated by its pydantic model,
exactly as the row-by-row reader does, with the same messages.

A *plain* file (no quotes, carriage returns or blank lines; as many commas on every line)
is cut into cells with numpy and each column's distinct texts found from its cells' bytes
as 64-bit words (:func:`read_plain`, no Python per cell); any other file is read by the
:mod:`csv` module, row by row. Both give the same table, line numbers included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from array import array
from collections.abc import Iterator
from enum import Enum
from itertools import count
from typing import Any, cast

import numpy as np
import pydantic
from oretrace.graphmodel.ranges import SEPARATOR
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.loaders import _text
from oretrace.loaders._cells import BAD, PARSERS
from oretrace.loaders._reader import OPTIONAL_TABLES, Reader, read_header, rows_of

__all__ = ["Bool", "IntArray", "Table", "dense", "first_met_codes", "read_big", "sorted_codes",
           "sorted_distinct", "stable_order", "validate_rows", "window_empty"]

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
        if text is None:
            return None
        empty = not text or text.isspace()
        del text
        if empty:
            reader.problem(fname, 1, 0, "file is empty; a header row is required")
            return None
        plain = read_plain(reader, table, fname, raw)
        del raw
        if plain is not NOT_PLAIN:
            return cast("Table | None", plain)
        handle.seek(0)  # read again as text, row by row: no second copy of the file
        with io.TextIOWrapper(handle, encoding="utf-8-sig", newline="") as lines:
            return _read_rows(reader, table, fname, csv.reader(lines))


def _read_rows(reader: Reader, table: str, fname: str, rows: Any) -> Table | None:
    """The rows of one big table (after its bytes were found to be text)."""
    header = read_header(reader, table, fname, rows)
    if header is None:
        return None
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
    lines = np.frombuffer(starts, dtype=np.int64).copy() if starts else \
        np.zeros(0, dtype=np.int64)
    del starts
    codes: list[IntArray] = []
    for j in range(len(header)):  # the counter's numbers as codes 0, 1, 2 ... per column
        ids = np.fromiter(seen[j].values(), dtype=np.int64, count=len(seen[j]))
        slot = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=np.int64)
        slot[ids] = np.arange(len(ids))
        codes.append(slot[np.frombuffer(sparse[j], dtype=np.int64)] if len(sparse[j])
                     else np.zeros(0, dtype=np.int64))
        sparse[j] = array("q")
    return table_of(table, header, lines, [list(s) for s in seen], codes)


def table_of(table: str, header: list[str], lines: IntArray, distinct: list[list[str]],
             codes: list[IntArray]) -> Table:
    """The :class:`Table` of rows read at ``lines``: ``distinct[j]`` holds column ``j``'s
    texts in the order first met, ``codes[j]`` each row's index into them. Rows
    whose cells are all blank are left out, as the row-by-row reader leaves them out."""
    out = Table(table, header)
    out.lines = lines
    n = len(lines)
    blank = np.ones(n, dtype=bool)
    for j, name in enumerate(header):
        texts = distinct[j]
        out.codes[name] = codes[j].astype(code_type(len(texts))) if n else \
            np.zeros(0, dtype=np.int32)
        out.raw[name] = texts
        if n:
            blank &= np.array([not t.strip() for t in texts], dtype=bool)[out.codes[name]]
    if n and blank.any():
        out.keep(np.flatnonzero(~blank))
    return out


#: What :func:`read_plain` returns for a file it leaves to the row-by-row csv reader.
NOT_PLAIN = object()


def read_plain(reader: Reader, table: str, fname: str, raw: bytes) -> Table | None | object:
    """Read a *plain* big table (``raw``, its bytes) in bulk, with numpy.

    Plain: no quote, carriage return or blank line anywhere, and every line after the
    header holds exactly one comma fewer than the header has columns. Then each line is
    one row of cells split at its commas, as the :mod:`csv` reader would read it (line
    numbers included), so the table is the row-by-row one. Anything else returns
    :data:`NOT_PLAIN`, with no problem reported: the csv reader reads it, row by row.
    """
    end = raw.find(b"\n")
    if end < 0 or b"\n\n" in raw or any(c in raw for c in (b'"', b"\r", b"\0")):
        return NOT_PLAIN
    mark = len(reader.problems)
    header = read_header(reader, table, fname, csv.reader(
        io.StringIO(raw[:end + 1].decode("utf-8-sig"), newline="")))
    if header is None:  # the row-by-row reader stops at the same header, as worded
        return None
    cells = _plain_cells(raw, end, len(header))
    columns = None if cells is None else [_factorize(raw, *c) for c in cells]
    if columns is None or any(c is None for c in columns):
        # not plain after all: forget the header, the csv reader reads the file
        del reader.problems[mark:]
        reader.unread.add(table)
        return NOT_PLAIN
    texts = [c[0] for c in columns if c is not None]
    codes = [c[1] for c in columns if c is not None]
    return table_of(table, header, np.arange(2, len(codes[0]) + 2, dtype=np.int64), texts, codes)


#: The low ``i`` bytes of a little-endian word (``i`` = 0 … 8).
_LOW_BYTES = np.array([(1 << 8 * i) - 1 for i in range(9)], dtype=np.uint64)
#: Cells of up to this many bytes are compared as words with numpy; longer ones in Python.
_WORD_CELLS = 64


def _plain_cells(raw: bytes, end: int, width: int
                 ) -> Iterator[tuple[IntArray, IntArray]] | None:
    """Where each cell of each column starts and ends in ``raw`` (the header ends at
    ``end``), when every line holds ``width - 1`` commas; else ``None``."""
    lines = raw.count(b"\n", end + 1) + (0 if raw.endswith(b"\n") else 1)
    if width < 2 or lines < 1 or len(raw) < 8 or \
            raw.count(b",", end + 1) != lines * (width - 1):
        return None
    data = np.frombuffer(raw, dtype=np.uint8)
    body = data[end + 1:]
    found = np.flatnonzero((body == ord(",")) | (body == ord("\n"))) + (end + 1)
    if not raw.endswith(b"\n"):
        found = np.append(found, len(raw))
    ends = found.reshape(lines, width)
    # as many commas and line breaks as needed: if each line ends at a line break, each
    # holds its commas exactly
    if not bool((data[ends[:-1, -1]] == ord("\n")).all()):
        return None

    def column(j: int) -> tuple[IntArray, IntArray]:
        if j:
            return ends[:, j - 1] + 1, ends[:, j].copy()
        return np.concatenate(([end + 1], ends[:-1, -1] + 1)), ends[:, 0].copy()
    return (column(j) for j in range(width))


def _factorize(raw: bytes, starts: IntArray, ends: IntArray
               ) -> tuple[list[str], IntArray] | None:
    """The distinct texts of the cells ``raw[starts[i]:ends[i]]`` in the order first met,
    and each cell's index into them; ``None`` for a cell the csv reader would refuse
    (longer than its field size limit) or, astronomically rarely, two texts alike by hash."""
    sizes = ends - starts
    top = int(sizes.max())
    if top > csv.field_size_limit():
        return None
    if top > _WORD_CELLS:
        index: dict[bytes, int] = {}
        codes = np.fromiter((index.setdefault(raw[a:b], len(index))
                             for a, b in zip(starts.tolist(), ends.tolist(), strict=True)),
                            dtype=np.int64, count=len(starts))
        return [t.decode() for t in index], codes
    # a cell as up to eight words, its bytes past its end zeroed (no NUL in the file: a
    # text is its words); one word is its own key, more are hashed into one and checked
    if top <= 8:
        codes, first = first_met_codes(_words(raw, starts) & _LOW_BYTES[sizes])
    else:
        cell = np.empty((len(starts), -(-top // 8)), dtype=np.uint64)
        for q in range(cell.shape[1]):
            cell[:, q] = _words(raw, starts + 8 * q) & _LOW_BYTES[np.clip(sizes - 8 * q, 0, 8)]
        key = cell[:, 0].copy()
        for q in range(1, cell.shape[1]):
            key = key * np.uint64(0x100000001B3) ^ cell[:, q]
        codes, first = first_met_codes(key)
        if not bool((cell == cell[first[codes]]).all()):
            return None
    return [raw[a:b].decode() for a, b in zip(starts[first].tolist(), ends[first].tolist(),
                                               strict=True)], codes


def _words(raw: bytes, at: IntArray) -> IntArray:
    """The eight bytes of ``raw`` from each of ``at`` (ascending) as a little-endian word
    (bytes past the end of ``raw`` are zero)."""
    last = len(raw) - 8
    words = np.ndarray((last + 1,), dtype="<u8", buffer=raw, strides=(1,))  # every offset
    tail = int(np.searchsorted(at, last, side="right"))  # these run past the end
    word: IntArray = words[at[:tail]] if tail == len(at) else \
        np.concatenate((words[at[:tail]], words[last] >> (
            np.minimum(at[tail:] - last, 7) * 8).astype(np.uint64)))
    return word


def first_met_codes(key: IntArray) -> tuple[IntArray, IntArray]:
    """Each of ``key``'s index into its distinct values in the order first met, and the
    position each is first met at."""
    key = key.astype(np.uint64, copy=False)  # (an int64 key wraps: the same distinct keys)
    heads = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))  # runs of one key
    distinct, inverse = sorted_codes(key[heads])
    first = np.full(len(distinct), len(key), dtype=np.int64)
    np.minimum.at(first, inverse, heads)
    order = np.argsort(first)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order] = np.arange(len(distinct))
    codes = np.repeat(rank[inverse], np.diff(np.append(heads, len(key))))
    return codes, first[order]


def stable_order(key: IntArray) -> IntArray:
    """``np.argsort(key, kind="stable")`` of non-negative integer keys, by one plain sort
    of each key packed with its position (ties in position order, as a stable sort),
    when both fit in 63 bits: several times faster at a million keys."""
    n = len(key)
    shift = max(1, (n - 1).bit_length())
    if n == 0 or int(key.min()) < 0 or int(key.max()).bit_length() + shift > 63:
        order: IntArray = np.argsort(key, kind="stable")
        return order
    packed = np.sort((key.astype(np.int64) << shift) | np.arange(n, dtype=np.int64))
    return packed & ((1 << shift) - 1)


def sorted_codes(key: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(key, return_inverse=True)``, by a sort of the keys (not of their
    positions) and a hash lookup: several times faster on a million keys."""
    distinct = sorted_distinct(key)
    return distinct, _index_in(distinct, key)


def sorted_distinct(values: IntArray) -> IntArray:
    """The distinct ``values``, sorted (``np.unique``, by one plain sort)."""
    ordered = np.sort(values)
    distinct: IntArray = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] \
        if len(ordered) else ordered
    return distinct


def _index_in(table: IntArray, keys: IntArray) -> IntArray:
    """The index of each of ``keys`` in ``table`` (sorted, distinct, holding every key):
    looked up by hash where one table entry alone has its hash, else by binary search."""
    if len(table) > 1 << 17:  # (a hash table larger than the caches: no faster)
        found_all: IntArray = np.searchsorted(table, keys)
        return found_all
    bits = max(4, int(len(table) * 8).bit_length())
    spread = np.uint64(0x9E3779B97F4A7C15)
    down = np.uint64(64 - bits)
    slot = (table.astype(np.uint64, copy=False) * spread) >> down
    alone = np.bincount(slot, minlength=1 << bits)[slot] == 1
    where = np.full(1 << bits, -1, dtype=np.int64)
    where[slot[alone]] = np.flatnonzero(alone)
    found: IntArray = where[(keys.astype(np.uint64, copy=False) * spread) >> down]
    shared = found < 0
    found[shared] = np.searchsorted(table, keys[shared])
    return found


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
