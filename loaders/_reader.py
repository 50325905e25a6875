"""The reader machinery both loading paths share (row by row, and large tables).

A :class:`Reader` reads the tables of one dataset directory and gathers every problem as
``file:line:column: reason`` instead of raising. The row-by-row path
(:mod:`oretrace.loaders.files`) reads every table with it; the large-table path
(:mod:`oretrace.loaders.fast`) reads its two big tables column-wise and the rest with it.
Both read headers, rows, rules and pydantic's complaints through the functions here, so
they word every problem alike.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
from oretrace.graphmodel import LoadError, Problem
from oretrace.graphmodel.schema import RECORD_MODELS, column_name_problem
from oretrace.loaders._text import decode_text, read_file
from oretrace.loaders.rules_yaml import read_rules_file

__all__ = [
    "OPTIONAL_TABLES",
    "REQUIRED_COLUMNS",
    "TABLE_OF",
    "Reader",
    "Row",
    "bundled_path",
    "dataset_root",
    "read_header",
    "read_rules_of",
    "rows_of",
    "sorted_problems",
]

#: Columns every table's header must have (extra columns are kept as attributes).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "sources": ("id", "title", "publisher", "date", "url"),
    "companies": ("id", "name", "country", "state_owned", "listed_on", "sources", "confidence"),
    "ownership": ("owner", "owned", "share", "start", "end", "sources", "confidence"),
    "technologies": ("id", "name", "stage", "origin_country", "sources", "confidence"),
    "products": ("id", "name", "category", "elements", "unit", "unit_price_usd", "sources",
                 "confidence"),
    "bom": ("product", "input", "qty", "sources", "confidence"),
    "facilities": ("id", "name", "company", "country", "stage", "products", "capacity",
                   "capacity_unit", "status", "online_from", "online_until", "technologies",
                   "sources", "confidence"),
    "supplies": ("supplier", "buyer", "product", "share", "start", "end", "sources",
                 "confidence"),
}

#: Tables a dataset may leave out (read as empty). ``rules.yaml`` is optional too:
#: without it the bundled rules apply.
OPTIONAL_TABLES = frozenset({"companies", "ownership", "technologies"})

#: The table holding each kind of id a row may refer to.
TABLE_OF = {"company": "companies", "product": "products", "facility": "facilities",
            "technology": "technologies", "source": "sources"}


def bundled_path() -> Path:
    """Return the directory of the dataset shipped with oretrace.

    Returns
    -------
    pathlib.Path
        The installed directory holding the bundled CSV tables and ``rules.yaml``.

    Examples
    --------
    >>> (bundled_path() / "facilities.csv").is_file()
    True
    """
    return Path(str(resources.files("oretrace.loaders") / "bundled"))


def dataset_root(path: str | Path) -> Path:
    """``path`` as a dataset directory; :class:`LoadError` when it is not a directory."""
    root = Path(path)
    if not root.is_dir():
        raise LoadError(f"{root}: not a directory (a dataset is a directory of CSV files)")
    return root


class Row:
    """A validated record with where it came from."""

    __slots__ = ("record", "file", "line", "columns")

    def __init__(self, record: Any, file: str, line: int, columns: list[str]) -> None:
        self.record = record
        self.file = file
        self.line = line
        self.columns = columns

    def col(self, name: str) -> int:
        return self.columns.index(name) + 1 if name in self.columns else 0


class Reader:
    """Reads the tables of one directory, collecting problems instead of raising."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.rows: dict[str, list[Row]] = {}
        #: ids of rows that failed their own checks: references to them are not reported
        #: again as unknown (the row's own error says what is wrong).
        self.failed_ids: set[str] = set()
        #: tables that could not be read at all: references into them are not checked.
        self.unread: set[str] = set()

    def problem(self, file: str, line: int, column: int, reason: str, *,
                severity: str = "error") -> None:
        self.problems.append(Problem(file, line, column, reason, severity))

    def has_errors(self) -> bool:
        """Whether any problem found so far is an error (the dataset would not load)."""
        return any(p.severity == "error" for p in self.problems)

    def read_table(self, table: str) -> None:
        """Read ``<table>.csv`` row by row into ``rows[table]`` (checked by its model)."""
        model = RECORD_MODELS[table]
        fname = f"{table}.csv"
        self.rows[table] = []
        self.unread.add(table)
        raw = read_file(self.root, fname, self.problem, required=table not in OPTIONAL_TABLES)
        text = None if raw is None else decode_text(fname, raw, self.problem)
        if text is None:
            return
        if not text.strip():
            self.problem(fname, 1, 0, "file is empty; a header row is required")
            return
        reader = csv.reader(io.StringIO(text, newline=""))
        header = read_header(self, table, fname, reader)
        if header is None:
            return
        for start, cells in rows_of(self, table, fname, reader, len(header)):
            if not any(c.strip() for c in cells):
                continue
            data = dict(zip(header, cells, strict=True))
            try:
                record = model.model_validate(data)
            except pydantic.ValidationError as exc:
                self.invalid(fname, start, header, data, exc)
                continue
            self.rows[table].append(Row(record, fname, start, header))

    def invalid(self, fname: str, line: int, header: list[str], data: dict[str, str],
                exc: pydantic.ValidationError) -> None:
        """Report each complaint of the model about row ``data`` at its column."""
        if data.get("id"):
            self.failed_ids.add(data["id"].strip())
        for err in exc.errors():
            column = _column_of(err, header)
            name = header[column - 1] if column else ""
            prefix = f"{name}: " if name else ""
            self.problem(fname, line, column, prefix + _message(err, data.get(name)))

    def read_rules(self, path: Path) -> list[Row]:
        """Read rules.yaml strictly (:mod:`oretrace.loaders.rules_yaml`); waivers are checked
        against this dataset's products when its products table was read."""
        fname = path.name if path.parent == self.root else str(path)
        products = None
        if "products" in self.rows and "products" not in self.unread:
            products = {r.record.id for r in self.rows["products"]} | self.failed_ids
        rules, problems = read_rules_file(path, fname, products=products)
        self.problems.extend(problems)
        return [Row(rule, fname, line, []) for rule, line in rules]


def read_header(reader: Reader, table: str, fname: str, rows: Any) -> list[str] | None:
    """Read the header row of ``table`` from the csv reader ``rows``; ``None`` (problems
    reported) when its rows cannot be read."""
    try:
        header = [h.strip() for h in next(rows)]
    except csv.Error as exc:
        reader.problem(fname, 1, 0, f"unreadable header: {exc}")
        return None
    if not _check_header(reader, table, fname, header):
        return None
    reader.unread.discard(table)
    return header


def rows_of(reader: Reader, table: str, fname: str, rows: Any, width: int
            ) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of each row after the header with ``width`` cells.

    A row of another width is reported (unless all its cells are blank) and skipped; an
    unreadable row ends the table, which then counts as unread.
    """
    line = 2
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            reader.problem(fname, rows.line_num, 0, f"unreadable row: {exc}")
            reader.unread.add(table)
            return
        start, line = line, rows.line_num + 1
        if len(cells) != width:
            if any(c.strip() for c in cells):
                reader.problem(fname, start, min(len(cells), width) + 1,
                               f"row has {len(cells)} cells but the header has {width}")
            continue
        yield start, cells


def _column_of(err: Any, header: list[str]) -> int:
    loc = err.get("loc") or ()
    if loc and loc[0] in header:
        return header.index(loc[0]) + 1
    message = str(err.get("msg", ""))
    for name in sorted(header, key=len, reverse=True):
        if name and name in message:
            return header.index(name) + 1
    return 0


def _check_header(reader: Reader, table: str, fname: str, header: list[str]) -> bool:
    """Report what is wrong with ``table``'s header; say whether its rows can be read.

    Missing required columns and repeated names stop the table; an empty or reserved
    name (an extra column called ``kind``) is an error too, but the rows are still checked.
    """
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in header]
    for name in missing:
        reader.problem(fname, 1, 0, f"missing required column {name!r}")
    duplicated = {h for h in header if h and header.count(h) > 1}
    for name in sorted(duplicated):
        reader.problem(fname, 1, header.index(name) + 1, f"column {name!r} appears twice")
    for i, name in enumerate(header):
        reason = column_name_problem(table, name)
        if reason:
            reader.problem(fname, 1, i + 1, reason)
    return not (missing or duplicated)


def _message(err: Any, value: Any) -> str:
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if err.get("type") in {"enum", "literal_error"}:
        return f"{value!r} is not allowed: {msg[0].lower()}{msg[1:]}"
    if err.get("type", "").startswith(("float", "date", "bool", "int")):
        return f"{value!r}: {msg[0].lower()}{msg[1:]}"
    return msg


def read_rules_of(reader: Reader, root: Path) -> list[Row]:
    """The rules of the dataset at ``root``: its ``rules.yaml``, else the bundled rules
    (with the bundled sources they cite that the dataset lacks)."""
    rules_file = root / "rules.yaml"
    if os.path.lexists(rules_file):
        return reader.read_rules(rules_file)
    if root.resolve() == bundled_path().resolve() or \
            not (bundled_path() / "rules.yaml").exists():
        return []
    bundled = Reader(bundled_path())
    bundled.read_table("sources")
    rows = bundled.read_rules(bundled_path() / "rules.yaml")
    have = {r.record.id for r in reader.rows["sources"]}
    cited = {s for r in rows for s in r.record.sources}
    reader.rows["sources"].extend(r for r in bundled.rows["sources"]
                                  if r.record.id in cited and r.record.id not in have)
    return rows


def sorted_problems(reader: Reader) -> list[Problem]:
    """Every problem ``reader`` found, by file, line and column."""
    return sorted(reader.problems, key=lambda q: (q.file, q.line, q.column))
