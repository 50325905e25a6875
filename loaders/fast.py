"""Fast loading of large datasets: columnar reading, checks over distinct values, lean building.

:func:`load_dataset` of :mod:`oretrace.loaders.files` sends a dataset here when its
``facilities.csv`` and ``supplies.csv`` together exceed :data:`FAST_MIN_BYTES`. The answer
is the same as the row-by-row path — the same graph, the same problems, each as
``file:line:column: reason`` with the same wording — only faster and leaner:

- the two big tables are read with :mod:`csv` into one integer code per cell, so each
  *distinct* cell text is parsed and checked once (a million supply rows hold a few
  thousand distinct shares, dates and source lists);
- a cell whose text is not in the plain form the parser knows (``0.25``, ``2027-01-01``,
  an exact vocabulary word, no stray spaces …) sends its row to the row's pydantic model,
  so every error message, and every value pydantic accepts in another form, is exactly the
  row-by-row one;
- the cross-table checks and the data-gap warnings run on the code arrays with numpy;
- the graph is built with garbage collection paused and frozen afterwards (``gc.freeze``:
  later collections skip the millions of graph objects), and identical supply attribute
  values (a source list, a product id) are shared rather than copied per edge.

The small tables (sources, companies, ownership, technologies, products, bill of
materials, rules) go through the row-by-row reader unchanged.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import gc
import io
import os
from array import array
from collections.abc import Callable, Iterator
from enum import Enum
from itertools import count
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pydantic
from oretrace.graphmodel import DatasetError, LoadError, Problem, Records, build_graph
from oretrace.graphmodel.graph import _attrs, supply_key
from oretrace.graphmodel.ranges import SEPARATOR
from oretrace.graphmodel.schema import RECORD_MODELS, parse_date, parse_id_list, parse_number
from oretrace.graphmodel.vocab import (
    COUNTRIES,
    Confidence,
    EdgeKind,
    FacilityStatus,
    NodeKind,
    Stage,
)
from oretrace.loaders._text import MAX_FILE_BYTES, decode_text, open_dataset_file
from oretrace.loaders._windows import first_excess, overlapping
from oretrace.loaders.files import (
    _NEVER_ONLINE,
    OPTIONAL_TABLES,
    REQUIRED_COLUMNS,
    _bundled_rules,
    _check_header,
    _cross_check,
    _message,
    _Reader,
    _Row,
    bundled_path,
)

__all__ = ["FAST_MIN_BYTES", "is_large", "load_dataset_fast", "validate_dataset_fast"]

#: ``facilities.csv`` + ``supplies.csv`` bytes from which loading takes the fast path.
FAST_MIN_BYTES = 4_000_000

_SMALL_TABLES = ("sources", "companies", "ownership", "technologies", "products", "bom")
_BIG_TABLES = ("facilities", "supplies")
_IntArray = np.ndarray[Any, np.dtype[Any]]
_Bool = np.ndarray[Any, np.dtype[np.bool_]]
_BAD = object()  # a cell the plain parser does not accept: the row goes to pydantic
_CHUNK = 1 << 13


def is_large(path: str | Path | None) -> bool:
    """Say whether the dataset at ``path`` is big enough for the fast path."""
    if path is None:
        return False
    root = Path(path)
    size = sum((root / f"{t}.csv").stat().st_size for t in _BIG_TABLES
               if (root / f"{t}.csv").is_file())
    return size >= FAST_MIN_BYTES


# --------------------------------------------------------------------------- cells


def _cell(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` (a cell reader of :mod:`oretrace.graphmodel.schema`), with ``_BAD`` for its
    errors."""
    def read(v: str) -> Any:
        try:
            return parse(v)
        except ValueError:
            return _BAD
    return read


def _req_str(v: str) -> Any:
    return v if v and v == v.strip() else _BAD


def _req_id(v: str) -> Any:
    return v if v and v == v.strip() else _BAD


def _opt_id(v: str) -> Any:
    if not v.strip():
        return None
    return v if v == v.strip() else _BAD


def _opt_str(v: str) -> Any:
    if v == "":
        return None
    return v if v == v.strip() else _BAD


def _country(v: str) -> Any:
    if v == "":
        return None
    return v if v in COUNTRIES else _BAD


def _choice(values: frozenset[str], blank: str | None = None) -> Callable[[str], Any]:
    def parse(v: str) -> Any:
        if v == "" and blank is not None:
            return blank
        return v if v in values else _BAD
    return parse


def _id_list(required: bool) -> Callable[[str], Any]:
    read = _cell(parse_id_list)

    def parse(v: str) -> Any:
        parts = read(v)
        return _BAD if required and not parts else parts
    return parse


def _opt_amount(v: str) -> Any:
    """An optional non-negative number (a capacity); anything else goes to the model."""
    if not v.strip():
        return None
    x = parse_number(v)
    return x if x >= 0.0 else _BAD


def _fraction(v: str) -> Any:
    x = parse_number(v)
    return x if 0.0 <= x <= 1.0 else _BAD


def _opt_date(v: str) -> Any:
    return None if not v.strip() else parse_date(v)


_CONFIDENCE = _choice(frozenset(c.value for c in Confidence))

#: How each column of the big tables is read (a column not named here is an extra: raw text).
_PARSERS: dict[str, dict[str, Callable[[str], Any]]] = {
    "facilities": {
        "id": _req_id, "name": _req_str, "company": _opt_id, "country": _country,
        "stage": _choice(frozenset(s.value for s in Stage)), "products": _id_list(True),
        "capacity": _cell(_opt_amount), "capacity_unit": _opt_str,
        "status": _choice(frozenset(s.value for s in FacilityStatus),
                          blank=FacilityStatus.OPERATING.value),
        "online_from": _cell(_opt_date), "online_until": _cell(_opt_date),
        "technologies": _id_list(False),
        "sources": _id_list(True), "confidence": _CONFIDENCE,
    },
    "supplies": {
        "supplier": _req_id, "buyer": _req_id, "product": _req_id, "share": _cell(_fraction),
        "start": _cell(_opt_date), "end": _cell(_opt_date), "sources": _id_list(True),
        "confidence": _CONFIDENCE,
    },
}


# --------------------------------------------------------------------------- columns


class _Table:
    """One big table as integer codes: ``codes[c][i]`` indexes ``values[c]`` (parsed)."""

    def __init__(self, name: str, header: list[str]) -> None:
        self.name = name
        self.file = f"{name}.csv"
        self.header = header
        self.lines: _IntArray = np.zeros(0, dtype=np.int64)
        self.codes: dict[str, _IntArray] = {}
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

    def keep(self, rows: _IntArray) -> None:
        """Keep only ``rows`` (indices, ascending)."""
        self.lines = self.lines[rows]
        for c in self.codes:
            self.codes[c] = self.codes[c][rows]


def _code_type(distinct: int) -> type[np.integer[Any]]:
    """The smallest integer type holding ``distinct`` codes (and room for a few more)."""
    return np.int16 if distinct < 30_000 else np.int32


def _read_big(reader: _Reader, table: str) -> _Table | None:
    """Read one big table into codes, with the row-by-row reader's file and row problems."""
    fname = f"{table}.csv"
    reader.unread.add(table)  # until its header is read: references into it not checked
    handle = open_dataset_file(reader.root, fname, reader.problem,
                               required=table not in OPTIONAL_TABLES)
    if handle is None:
        return None
    with handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            reader.problem(fname, 0, 0, f"is more than the {MAX_FILE_BYTES:,} bytes a "
                                        "dataset file may have")
            return None
        text = decode_text(fname, raw, reader.problem)
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


def _read_rows(reader: _Reader, table: str, fname: str, rows: Any) -> _Table | None:
    """The rows of one big table (after its bytes were found to be text)."""
    try:
        header = [h.strip() for h in next(rows)]
    except csv.Error as exc:
        reader.problem(fname, 1, 0, f"unreadable header: {exc}")
        return None
    if not _check_header(reader, table, fname, header):
        return None
    reader.unread.discard(table)
    out = _Table(table, header)
    width = len(header)
    seen: list[dict[str, int]] = [{} for _ in header]
    counters = [count() for _ in header]
    sparse = [array("q") for _ in header]  # one growing buffer per column
    starts = array("q")
    line = 2
    chunk: list[list[str]] = []

    def flush() -> None:
        if not chunk:
            return
        for j, column in enumerate(zip(*chunk, strict=True)):
            sparse[j].extend(map(seen[j].setdefault, column, counters[j]))
        chunk.clear()

    while True:
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            reader.problem(fname, rows.line_num, 0, f"unreadable row: {exc}")
            reader.unread.add(table)
            break
        start, line = line, rows.line_num + 1
        if len(cells) != width:
            if not any(c.strip() for c in cells):
                continue
            reader.problem(fname, start, min(len(cells), width) + 1,
                           f"row has {len(cells)} cells but the header has {width}")
            continue
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
        dense = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=np.int64)
        dense[ids] = np.arange(len(ids))
        codes = dense[np.frombuffer(sparse[j], dtype=np.int64)].astype(_code_type(len(texts))) \
            if len(sparse[j]) else np.zeros(0, dtype=np.int32)
        sparse[j] = array("q")
        out.codes[name] = codes
        out.raw[name] = texts
        if n:
            blank &= np.array([not t.strip() for t in texts], dtype=bool)[codes]
    if n and blank.any():
        out.keep(np.flatnonzero(~blank))
    return out


def _validate_rows(reader: _Reader, t: _Table) -> None:
    """Parse each distinct cell; send rows with an unusual cell to pydantic (exact messages).

    Afterwards ``t.values[c]`` holds the parsed value of each code, and rows pydantic
    rejects are dropped (their problems recorded); rows it accepts get codes of their own
    pointing at pydantic's values.
    """
    parsers = _PARSERS[t.name]
    ends = _add_range_columns(t)
    suspicious = np.zeros(len(t), dtype=bool)
    for name in t.header:
        parse = parsers.get(name)
        if parse is None:  # an extra column keeps its text, as pydantic does
            t.values[name] = list(t.raw[name])
            continue
        values = [parse(v) for v in t.raw[name]]
        bad = np.array([v is _BAD for v in values], dtype=bool)
        if bad.any():
            suspicious |= bad[t.codes[name]]
        t.values[name] = values
    # row-level invariants of the model (its model validators)
    if t.name == "supplies":
        as_supplier = {v: i for i, v in enumerate(t.raw["supplier"])}
        buyer = _dense(t.raw["buyer"], as_supplier)[t.codes["buyer"]]
        suspicious |= buyer == t.codes["supplier"]
        suspicious |= _window_reversed(t, "start", "end")
    else:
        suspicious |= _window_reversed(t, "online_from", "online_until")
    if suspicious.any():
        _validate_with_model(reader, t, np.flatnonzero(suspicious))
    # no row refers to an unparsed value any more (re-pointed or dropped): forget them
    for name in t.header:
        t.values[name] = [None if v is _BAD or (name in ends and v == "") else v
                          for v in t.values[name]]


def _add_range_columns(t: _Table) -> set[str]:
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


def _validate_with_model(reader: _Reader, t: _Table, rows: _IntArray) -> None:
    """Validate ``rows`` with the table's pydantic model, exactly as the row path does."""
    parsers = _PARSERS[t.name]
    model = RECORD_MODELS[t.name]
    drop: list[int] = []
    known: dict[str, dict[Any, int]] = {}
    for i in rows.tolist():
        data = {name: t.raw[name][t.codes[name][i]] for name in t.header}
        try:
            record = model.model_validate(data)
        except pydantic.ValidationError as exc:
            if data.get("id"):
                reader.failed_ids.add(data["id"].strip())
            for err in exc.errors():
                column = _Reader._column_of(err, t.header)
                name = t.header[column - 1] if column else ""
                prefix = f"{name}: " if name else ""
                reader.problem(t.file, int(t.lines[i]), column,
                               prefix + _message(err, data.get(name)))
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


def _code_for(t: _Table, name: str, value: Any, row: int,
              known: dict[str, dict[Any, int]]) -> _IntArray:
    """Point ``row`` of column ``name`` at ``value``: at the code of an equal value already
    there (so ``.9`` and ``0.9``, or two spellings of one date, group as one), else at a
    new code. Returns the column's code array (widened when the codes outgrow it)."""
    codes = t.codes[name]
    values = t.values[name]
    index = known.get(name)
    if index is None:
        index = known[name] = {}
        for c, v in enumerate(values):
            if v is not _BAD and _hashable(v):
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


def _ordinals(t: _Table, name: str) -> _IntArray:
    """Each row's date in column ``name`` as a day number (-1: none)."""
    return np.array([v.toordinal() if isinstance(v, dt.date) else -1
                     for v in t.values[name]], dtype=np.int64)[t.codes[name]]


def _window_reversed(t: _Table, first: str, last: str) -> _Bool:
    """Rows whose ``last`` date is before their ``first`` date."""
    lo, hi = _ordinals(t, first), _ordinals(t, last)
    return (lo >= 0) & (hi >= 0) & (hi < lo)


def _window_empty(t: _Table, first: str, last: str) -> _Bool:
    """Rows whose ``last`` date equals their ``first`` date (an empty window)."""
    lo, hi = _ordinals(t, first), _ordinals(t, last)
    empty: _Bool = (lo >= 0) & np.equal(hi, lo)
    return empty


# --------------------------------------------------------------------------- cross checks


def _ids_of(rows: list[_Row]) -> dict[str, _Row]:
    return {r.record.id: r for r in rows}


def _emit_per_code(reader: _Reader, t: _Table, column: str, codes: _IntArray,
                   problems: dict[int, list[str]]) -> None:
    """For every row whose ``column`` code is a key of ``problems``, add its messages."""
    if not problems:
        return
    wanted = np.array(sorted(problems), dtype=np.int64)
    col = t.col(column)
    for i in np.flatnonzero(np.isin(codes, wanted)).tolist():
        for reason in problems[int(codes[i])]:
            reader.problem(t.file, int(t.lines[i]), col, reason)


_TABLE_OF = {"company": "companies", "product": "products", "facility": "facilities",
             "technology": "technologies", "source": "sources"}


def _unknown_refs(reader: _Reader, t: _Table, column: str, known: set[str] | dict[str, Any],
                  what: str, listed: bool = False) -> dict[int, list[str]]:
    """Per code of ``column``: the unknown references it makes, as the row path words them
    (not reported: ids of rows that failed their own checks, ids into an unread table)."""
    out: dict[int, list[str]] = {}
    if _TABLE_OF[what] in reader.unread:
        return out
    values = t.values[column]
    for code in np.unique(t.codes[column]).tolist():
        value = values[code]
        items = value if listed else ([] if value is None else [value])
        bad = [f"unknown {what} {v!r}" for v in items
               if v not in known and v not in reader.failed_ids]
        if bad:
            out[code] = bad
    return out


def _unresolved(t: _Table, column: str, known: set[str] | dict[str, Any]) -> _Bool:
    """Rows whose ``column`` names something not in ``known`` (reported or not)."""
    values = t.values[column]
    bad = np.array([v is not None and v not in known for v in values], dtype=bool)
    return bad[t.codes[column]] if len(values) else np.zeros(len(t), dtype=bool)


def _dense(values: list[Any], index: dict[Any, int], missing: int = -1) -> _IntArray:
    return np.array([index.get(v, missing) for v in values], dtype=np.int64)


def _cross_check_big(reader: _Reader, fac: _Table | None, sup: _Table | None,
                     rules: list[_Row]) -> None:
    """The cross-table checks of the row-by-row reader, for the two big tables."""
    rows = reader.rows
    sources = _ids_of(rows["sources"])
    seen: dict[str, _Row] = {}
    for table in ("companies", "technologies", "products"):
        for row in rows[table]:
            seen.setdefault(row.record.id, row)
    companies = _ids_of(rows["companies"])
    technologies = _ids_of(rows["technologies"])
    products = _ids_of(rows["products"])
    last_products: dict[str, tuple[str, ...]] = {}
    if fac is not None:
        # duplicate ids: against the earlier tables, then within facilities
        first_row: dict[str, int] = {}
        folded: dict[str, tuple[str, str, int]] = {}
        for row in seen.values():
            folded.setdefault(row.record.id.casefold(), (row.record.id, row.file, row.line))
        id_col = fac.col("id")
        for i, rid in enumerate(fac.column("id")):
            if rid in seen:
                first = seen[rid]
                reader.problem(fac.file, int(fac.lines[i]), id_col,
                               f"duplicate id {rid!r} (already used at "
                               f"{first.file}:{first.line})")
            elif rid in first_row:
                reader.problem(fac.file, int(fac.lines[i]), id_col,
                               f"duplicate id {rid!r} (already used at "
                               f"{fac.file}:{first_row[rid]})")
            else:
                first_row[rid] = int(fac.lines[i])
                other = folded.setdefault(rid.casefold(), (rid, fac.file, first_row[rid]))
                if other[0] != rid:
                    reader.problem(fac.file, int(fac.lines[i]), id_col,
                                   f"id {rid!r} differs from {other[0]!r} "
                                   f"({other[1]}:{other[2]}) only in case")
        for rule in rules:
            if rule.record.id in first_row and rule.record.id not in seen:
                reader.problem(rule.file, rule.line, 0,
                               f"duplicate id {rule.record.id!r} (rule)")
        last_products = dict(zip(fac.column("id"), fac.column("products"), strict=True))
        _emit_per_code(reader, fac, "sources", fac.codes["sources"],
                       _unknown_refs(reader, fac, "sources", sources, "source", listed=True))
        _emit_per_code(reader, fac, "company", fac.codes["company"],
                       _unknown_refs(reader, fac, "company", companies, "company"))
        _emit_per_code(reader, fac, "products", fac.codes["products"],
                       _unknown_refs(reader, fac, "products", products, "product",
                                     listed=True))
        _emit_per_code(reader, fac, "technologies", fac.codes["technologies"],
                       _unknown_refs(reader, fac, "technologies", technologies, "technology",
                                     listed=True))
        col = fac.col("online_until")
        for i in np.flatnonzero(_window_empty(fac, "online_from", "online_until")).tolist():
            reader.problem(fac.file, int(fac.lines[i]), col, _NEVER_ONLINE.format(
                id=fac.values["id"][fac.codes["id"][i]],
                date=fac.values["online_from"][fac.codes["online_from"][i]]),
                severity="warning")
    if sup is None:
        return
    facilities = set(last_products)
    _emit_per_code(reader, sup, "sources", sup.codes["sources"],
                   _unknown_refs(reader, sup, "sources", sources, "source", listed=True))
    for column, known, what in (("supplier", facilities, "facility"),
                                ("buyer", facilities, "facility"),
                                ("product", products, "product")):
        _emit_per_code(reader, sup, column, sup.codes[column],
                       _unknown_refs(reader, sup, column, known, what))
    ok = ~(_unresolved(sup, "supplier", facilities) | _unresolved(sup, "buyer", facilities)
           | _unresolved(sup, "product", products))
    # the supplier must list the product: compare (facility, product) keys
    fac_index = {f: i for i, f in enumerate(sorted(facilities))}
    prod_index = {p: i for i, p in enumerate(products)}
    width = len(prod_index) + 1
    listed = np.array(sorted({fac_index[f] * width + prod_index[p]
                              for f, plist in last_products.items() for p in plist
                              if p in prod_index}), dtype=np.int64)
    s_fac = _dense(sup.values["supplier"], fac_index)[sup.codes["supplier"]]
    s_prod = _dense(sup.values["product"], prod_index)[sup.codes["product"]]
    keys = s_fac * width + s_prod
    at = np.minimum(np.searchsorted(listed, keys), max(len(listed) - 1, 0))
    lists = (listed[at] == keys) if len(listed) else np.zeros(len(keys), dtype=bool)
    prod_col = sup.col("product")
    for i in np.flatnonzero(ok & ~lists).tolist():
        supplier = sup.values["supplier"][sup.codes["supplier"][i]]
        product = sup.values["product"][sup.codes["product"][i]]
        reader.problem(sup.file, int(sup.lines[i]), prod_col,
                       f"supplier {supplier!r} does not list product {product!r}")
    _check_share_sums(reader, sup)
    _check_windows_apart(reader, sup)


def _check_windows_apart(reader: _Reader, sup: _Table) -> None:
    """Rows of one supply link are date windows of it: they may not overlap."""
    if len(sup) == 0:
        return
    n_b, n_p = len(sup.values["buyer"]) + 1, len(sup.values["product"]) + 1
    link = (sup.codes["supplier"].astype(np.int64) * n_b + sup.codes["buyer"]) * n_p + \
        sup.codes["product"]
    order = np.argsort(link, kind="stable")
    sorted_link = link[order]
    repeated = np.zeros(len(link), dtype=bool)
    repeated[1:] = sorted_link[1:] == sorted_link[:-1]
    repeated[:-1] |= repeated[1:]
    if not repeated.any():
        return
    starts, ends = sup.values["start"], sup.values["end"]
    col = sup.col("start")
    groups: dict[int, list[int]] = {}
    for i in order[repeated].tolist():
        groups.setdefault(int(link[i]), []).append(i)
    for members in groups.values():
        members.sort()  # file order
        windows = [(starts[sup.codes["start"][i]], ends[sup.codes["end"][i]]) for i in members]
        for a, b in overlapping(windows):
            reader.problem(sup.file, int(sup.lines[members[a]]), col,
                           f"same supply link as line {int(sup.lines[members[b]])} with an "
                           "overlapping date window; give each row its own start and end")


def _check_share_sums(reader: _Reader, sup: _Table) -> None:
    """Shares of one buyer's need of one product add up to at most 1 at every date."""
    n = len(sup)
    if n == 0:
        return
    buyer, product = sup.codes["buyer"], sup.codes["product"]
    group_key = buyer.astype(np.int64) * (len(sup.values["product"]) + 1) + product
    groups, group = np.unique(group_key, return_inverse=True)
    share = np.array([np.nan if v is None else v for v in sup.values["share"]],
                     dtype=float)[sup.codes["share"]]
    has_start = np.array([v is not None for v in sup.values["start"]], dtype=bool)[
        sup.codes["start"]]
    dated = np.zeros(len(groups), dtype=bool)
    dated[group[has_start]] = True
    total = np.bincount(group, weights=share, minlength=len(groups))
    share_col = sup.col("share")
    # groups without start dates: the only instant is "always", every row is active;
    # a total near the limit is summed again exactly, as the row-by-row reader sums it
    near = ~dated & (total > 1.0 - 1e-6)
    if not near.any() and not dated.any():
        return
    order = np.argsort(group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(groups)))])
    starts, ends = sup.values["start"], sup.values["end"]
    for g in np.flatnonzero(dated | near).tolist():
        members = order[bounds[g]:bounds[g + 1]].tolist()
        excess = first_excess(
            [(starts[sup.codes["start"][i]], ends[sup.codes["end"][i]]) for i in members],
            [float(share[i]) for i in members])
        if excess is not None:
            instant, value, active = excess
            last = max((members[a] for a in active), key=lambda i: int(sup.lines[i]))
            _share_problem(reader, sup, last, share_col, value, instant)


def _share_problem(reader: _Reader, sup: _Table, i: int, column: int, total: float,
                   instant: dt.date | None) -> None:
    product = sup.values["product"][sup.codes["product"][i]]
    buyer = sup.values["buyer"][sup.codes["buyer"][i]]
    when = f" from {instant}" if instant else ""
    reader.problem(sup.file, int(sup.lines[i]), column,
                   f"supplier shares of {product!r} into {buyer!r} add up to "
                   f"{total:.4g}{when}, above 1")


# --------------------------------------------------------------------------- data gaps


def _needs_by_products(reader: _Reader, fac: _Table, *, substitutes: bool
                       ) -> tuple[list[frozenset[str]], _IntArray]:
    """What each facility needs (``oretrace.graphmodel.needed_inputs``, with or without the inputs
    of
    substitute lines), as one set per distinct (products, market) pair, and the pair index
    of each facility row."""
    bom: dict[str, set[str]] = {}
    for row in reader.rows["bom"]:
        if substitutes or row.record.substitute_for is None:
            bom.setdefault(row.record.product, set()).add(row.record.input)
    products = {r.record.id for r in reader.rows["products"]}
    market = np.array([v == Stage.MARKET for v in fac.values["stage"]], dtype=bool)
    pair = fac.codes["products"] * 2 + market[fac.codes["stage"]]
    kinds, index = np.unique(pair, return_inverse=True)
    needs: list[frozenset[str]] = []
    for k in kinds.tolist():
        made = set(fac.values["products"][k // 2])
        if k % 2:
            needs.append(frozenset(made))
            continue
        wanted: set[str] = set()
        for p in made:
            if p in products:
                wanted |= bom.get(p, set())
        needs.append(frozenset(wanted - made))
    return needs, index.astype(np.int64)


def _data_gaps_big(reader: _Reader, fac: _Table, sup: _Table) -> None:
    """Warnings: needed inputs nothing supplies; supplies of inputs the buyer does not need."""
    needs, which = _needs_by_products(reader, fac, substitutes=False)
    takes, _ = _needs_by_products(reader, fac, substitutes=True)
    ids = fac.values["id"]
    fac_ids = [ids[c] for c in fac.codes["id"].tolist()]
    row_of = {f: i for i, f in enumerate(fac_ids)}  # last row of an id, as the row path
    products = sorted({p for s in takes for p in s} | set(sup.values["product"]))
    p_index = {p: i for i, p in enumerate(products)}
    width = len(products) + 1
    f_index = {f: i for i, f in enumerate(row_of)}
    s_buyer = _dense(sup.values["buyer"], f_index)[sup.codes["buyer"]]
    s_prod = _dense(sup.values["product"], p_index)[sup.codes["product"]]
    supplied = np.unique(s_buyer * width + s_prod)
    prod_col = fac.col("products")
    need_keys: list[int] = []
    for f, i in row_of.items():
        base = f_index[f] * width
        need_keys.extend(base + p_index[p] for p in takes[which[i]])
        wanted = needs[which[i]]
        if not wanted:
            continue
        keys = np.array([base + p_index[p] for p in sorted(wanted)], dtype=np.int64)
        at = np.minimum(np.searchsorted(supplied, keys), max(len(supplied) - 1, 0))
        gap = supplied[at] != keys if len(supplied) else np.ones(len(keys), dtype=bool)
        if gap.any():
            for p in np.array(sorted(wanted), dtype=object)[gap].tolist():
                reader.problem(fac.file, int(fac.lines[i]), prod_col,
                               f"data gap: facility {f!r} needs {p!r} but nothing supplies it",
                               severity="warning")
    needed = np.unique(np.array(need_keys, dtype=np.int64))
    keys = s_buyer * width + s_prod
    at = np.minimum(np.searchsorted(needed, keys), max(len(needed) - 1, 0))
    ok = (needed[at] == keys) if len(needed) else np.zeros(len(keys), dtype=bool)
    col = sup.col("product")
    for i in np.flatnonzero(~ok).tolist():
        buyer = sup.values["buyer"][sup.codes["buyer"][i]]
        product = sup.values["product"][sup.codes["product"][i]]
        reader.problem(sup.file, int(sup.lines[i]), col,
                       f"buyer {buyer!r} does not need {product!r} "
                       "(no bill-of-materials line asks for it)", severity="warning")


# --------------------------------------------------------------------------- graph


def _node_attrs(t: _Table) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, attributes) of each facility row, as ``build_graph`` stores them."""
    order = ["sources", "confidence", *[c for c in REQUIRED_COLUMNS["facilities"]
                                        if c not in {"sources", "confidence"}]]
    extras = [c for c in t.header if c not in _PARSERS["facilities"]]
    names = [c for c in order if c != "id"] + extras
    listed = {"sources", "products", "technologies"}
    columns = {c: t.column(c) for c in names}
    kind = str(NodeKind.FACILITY)
    for i, fid in enumerate(t.column("id")):
        attrs: dict[str, Any] = {"kind": kind}
        for c in names:
            v = columns[c][i]
            if v is None and c in extras:  # a range column (capacity_lo …) on a point row
                continue
            attrs[c] = list(v) if c in listed else v
        yield fid, attrs


def _build(reader: _Reader, fac: _Table, sup: _Table, rules: list[_Row]) -> nx.MultiDiGraph:
    small = Records(name=reader.root.name,
                    **{t: [r.record for r in reader.rows[t]] for t in _SMALL_TABLES})
    G = build_graph(small)
    del small
    operates, uses = str(EdgeKind.OPERATES), str(EdgeKind.USES)
    for fid, attrs in _node_attrs(fac):
        G.add_node(fid, **attrs)
    for rule in rules:
        G.add_node(rule.record.id, kind=str(NodeKind.RULE),
                   **{k: v for k, v in _attrs(rule.record).items()
                      if k not in {"kind", "id"}})
    for fid in fac.column("id"):
        attrs = G.nodes[fid]
        if attrs["company"]:
            G.add_edge(attrs["company"], fid, key=operates, kind=operates,
                       sources=list(attrs["sources"]), confidence=attrs["confidence"])
        for tech in attrs["technologies"]:
            G.add_edge(fid, tech, key=uses, kind=uses, sources=list(attrs["sources"]),
                       confidence=attrs["confidence"])
    # the records are in the graph now: let them go before the big table is built
    for table in reader.rows.values():
        table.clear()
    fac.keep(np.zeros(0, dtype=np.int64))
    _add_supplies(G, sup)
    return G


def _add_supplies(G: nx.MultiDiGraph, t: _Table) -> None:
    """Add one supplies edge per row (a further date window of a link gets ``key#2`` …).

    Values shared by many rows — ids, source lists, dates, shares — are one object each.
    """
    kind = str(EdgeKind.SUPPLIES)
    extras = [c for c in t.header if c not in _PARSERS["supplies"]]
    supplier = t.values["supplier"]
    buyer = t.values["buyer"]
    product = t.values["product"]
    keys = [supply_key(p) for p in product]
    sources = [list(v) for v in t.values["sources"]]
    share, start, end = t.values["share"], t.values["start"], t.values["end"]
    confidence = t.values["confidence"]
    # one string object per node id: reuse the graph's own keys
    node = {n: n for n in G}
    supplier = [node.get(s, s) for s in supplier]
    buyer = [node.get(b, b) for b in buyer]
    names = ("supplier", "buyer", "product", "share", "start", "end", "sources", "confidence")
    extra_cols = [(c, t.values[c]) for c in extras]
    succ, pred = _adjacency(G)
    windows: dict[tuple[str, str, str], int] = {}  # the last n of a link's key#n
    # the codes in blocks, each freed once built: the graph grows as the table shrinks
    step = 1 << 16
    blocks = [{c: t.codes[c][lo:lo + step].copy() for c in t.codes}
              for lo in range(0, len(t), step)]
    t.codes.clear()
    t.lines = np.zeros(0, dtype=np.int64)
    while blocks:
        block = blocks.pop(0)
        columns = [block[c].tolist() for c in names]
        extra_codes = [block[c].tolist() for c, _ in extra_cols]
        del block
        for i, (a, b, p, s, st, en, so, co) in enumerate(zip(*columns, strict=True)):
            data: dict[str, Any] = {"kind": kind, "sources": sources[so],
                                    "confidence": confidence[co], "product": product[p],
                                    "share": share[s]}
            if start[st] is not None:
                data["start"] = start[st]
            if end[en] is not None:
                data["end"] = end[en]
            for (c, values), codes in zip(extra_cols, extra_codes, strict=True):
                if values[codes[i]] is not None:  # as build_graph: no None on an edge
                    data[c] = values[codes[i]]
            u, v, key = supplier[a], buyer[b], keys[p]
            if succ is None:
                n, unique = 1, key
                while G.has_edge(u, v, unique):
                    n += 1
                    unique = f"{key}#{n}"
                G.add_edge(u, v, key=unique, **data)
                continue
            out = succ[u]
            keydict = out.get(v)
            if keydict is None:
                out[v] = pred[v][u] = {key: data}
            elif key in keydict:  # another date window of the same link: key#2, key#3 ...
                n = windows[(u, v, key)] = windows.get((u, v, key), 1) + 1
                keydict[f"{key}#{n}"] = data
            else:
                keydict[key] = data
    if succ is not None and hasattr(nx, "_clear_cache"):
        nx._clear_cache(G)


def _adjacency(G: nx.MultiDiGraph) -> tuple[Any, Any]:
    """networkx's own successor and predecessor dicts, when laid out as expected.

    Writing into them skips ``add_edge``'s per-call overhead (a third of the load time at a
    million edges); any other layout falls back to ``add_edge``.
    """
    succ = getattr(G, "_succ", None)
    pred = getattr(G, "_pred", None)
    plain = (type(G) is nx.MultiDiGraph and isinstance(succ, dict) and isinstance(pred, dict)
             and G._adj is succ and G.edge_key_dict_factory is dict
             and G.edge_attr_dict_factory is dict)
    return (succ, pred) if plain else (None, None)


# --------------------------------------------------------------------------- public API


def _read_fast(path: str | Path, *, build: bool = True
               ) -> tuple[nx.MultiDiGraph | None, list[Problem]]:
    root = Path(path)
    if not root.is_dir():
        raise LoadError(f"{root}: not a directory (a dataset is a directory of CSV files)")
    reader = _Reader(root)
    big: dict[str, _Table | None] = {}
    for table in RECORD_MODELS:
        if table in _BIG_TABLES:
            big[table] = _read_big(reader, table)
        else:
            reader.read_table(table)
    for table in _BIG_TABLES:
        reader.rows[table] = []
    fac, sup = big["facilities"], big["supplies"]
    for t in (fac, sup):
        if t is not None:
            _validate_rows(reader, t)
    rules_file = root / "rules.yaml"
    rules: list[_Row] = []
    if os.path.lexists(rules_file):
        rules = reader.read_rules(rules_file)
    elif root.resolve() != bundled_path().resolve():
        rules = _bundled_rules(reader)

    def failed() -> bool:
        return any(p.severity == "error" for p in reader.problems)

    G = None
    _cross_check(reader, rules)  # the small tables (the big ones' rows are not there)
    _cross_check_big(reader, fac, sup, rules)
    if not failed() and fac is not None and sup is not None:
        _data_gaps_big(reader, fac, sup)
        if build:
            _release_free_memory()
            G = _build(reader, fac, sup, rules)
    problems = sorted(reader.problems, key=lambda q: (q.file, q.line, q.column))
    return (None if failed() else G), problems


def _release_free_memory() -> None:
    """Give the C heap's free memory back to the system before the graph is built.

    The checks leave freed blocks on the C library's heap, which Python's small-object
    allocator (where the graph lives) does not reuse; without this the peak holds both
    (about 50 MB at a million links). glibc only; elsewhere nothing happens.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def validate_dataset_fast(path: str | Path) -> list[Problem]:
    """Return every problem of the dataset at ``path`` (as ``validate_dataset``, faster).

    Examples
    --------
    >>> [str(p) for p in validate_dataset_fast(MINI)]
    []
    """
    was = gc.isenabled()
    gc.disable()
    try:
        return _read_fast(path, build=False)[1]
    finally:
        if was:
            gc.enable()


def load_dataset_fast(path: str | Path) -> nx.MultiDiGraph:
    """Load the dataset at ``path`` as ``load_dataset`` does, by the fast path.

    Raises :class:`oretrace.graphmodel.DatasetError` listing every bad row when anything is wrong.
    Garbage collection is paused while loading; afterwards every object alive is frozen
    (``gc.freeze()``), so later collections skip the graph.

    Examples
    --------
    >>> G = load_dataset_fast(MINI)
    >>> G.edges["cn-sep", "jp-mag", "supplies:oxide"]["share"]
    0.6
    """
    was = gc.isenabled()
    gc.disable()
    try:
        G, problems = _read_fast(path)
        if G is None:
            raise DatasetError(problems)
        G.graph["dataset"] = str(Path(path).resolve())
        G.graph["warnings"] = [str(p) for p in problems]
    finally:
        gc.freeze()
        if was:
            gc.enable()
    return G
