"""Load a dataset directory (CSV tables + rules.yaml) into a validated graph.

Every row of every file is checked; all problems are gathered and reported together as
``file:line:column: reason``; nothing is loaded when anything is wrong.
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import pydantic
from oretrace.graphmodel import (
    DatasetError,
    LoadError,
    Problem,
    Records,
    build_graph,
    needed_inputs,
)
from oretrace.graphmodel.schema import RECORD_MODELS, column_name_problem
from oretrace.loaders._text import decode_text, read_file
from oretrace.loaders._windows import first_excess, overlapping
from oretrace.loaders.rules_yaml import read_rules_file

__all__ = [
    "OPTIONAL_TABLES",
    "REQUIRED_COLUMNS",
    "bundled_path",
    "load_dataset",
    "read_records",
    "validate_dataset",
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


class _Row:
    """A validated record with where it came from."""

    __slots__ = ("record", "file", "line", "columns")

    def __init__(self, record: Any, file: str, line: int, columns: list[str]) -> None:
        self.record = record
        self.file = file
        self.line = line
        self.columns = columns

    def col(self, name: str) -> int:
        return self.columns.index(name) + 1 if name in self.columns else 0


class _Reader:
    """Reads the tables of one directory, collecting problems instead of raising."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.rows: dict[str, list[_Row]] = {}
        #: ids of rows that failed their own checks: references to them are not reported
        #: again as unknown (the row's own error says what is wrong).
        self.failed_ids: set[str] = set()
        #: tables that could not be read at all: references into them are not checked.
        self.unread: set[str] = set()

    def problem(self, file: str, line: int, column: int, reason: str, *,
                severity: str = "error") -> None:
        self.problems.append(Problem(file, line, column, reason, severity))

    # -- one CSV table ---------------------------------------------------------------

    def read_table(self, table: str) -> None:
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
        try:
            header = [h.strip() for h in next(reader)]
        except csv.Error as exc:
            self.problem(fname, 1, 0, f"unreadable header: {exc}")
            return
        if not _check_header(self, table, fname, header):
            return
        self.unread.discard(table)
        line = 2
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self.problem(fname, reader.line_num, 0, f"unreadable row: {exc}")
                self.unread.add(table)
                break
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                self.problem(fname, start, len(header) + 1,
                             f"row has {len(cells)} cells but the header has {len(header)}")
                continue
            if len(cells) < len(header):
                self.problem(fname, start, len(cells) + 1,
                             f"row has {len(cells)} cells but the header has {len(header)}")
                continue
            data = dict(zip(header, cells, strict=True))
            try:
                record = model.model_validate(data)
            except pydantic.ValidationError as exc:
                if data.get("id"):
                    self.failed_ids.add(data["id"].strip())
                for err in exc.errors():
                    column = self._column_of(err, header)
                    name = header[column - 1] if column else ""
                    prefix = f"{name}: " if name else ""
                    self.problem(fname, start, column, prefix + _message(err, data.get(name)))
                continue
            self.rows[table].append(_Row(record, fname, start, header))

    @staticmethod
    def _column_of(err: Any, header: list[str]) -> int:
        loc = err.get("loc") or ()
        if loc and loc[0] in header:
            return header.index(loc[0]) + 1
        message = str(err.get("msg", ""))
        for name in sorted(header, key=len, reverse=True):
            if name and name in message:
                return header.index(name) + 1
        return 0

    # -- rules.yaml ------------------------------------------------------------------

    def read_rules(self, path: Path) -> list[_Row]:
        """Read rules.yaml strictly (:mod:`oretrace.loaders.rules_yaml`); waivers are checked
        against this dataset's products when its products table was read."""
        fname = path.name if path.parent == self.root else str(path)
        products = None
        if "products" in self.rows and "products" not in self.unread:
            products = {r.record.id for r in self.rows["products"]} | self.failed_ids
        rules, problems = read_rules_file(path, fname, products=products)
        self.problems.extend(problems)
        return [_Row(rule, fname, line, []) for rule, line in rules]


def _check_header(reader: _Reader, table: str, fname: str, header: list[str]) -> bool:
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


# --------------------------------------------------------------------------- cross checks

_NODE_TABLES = ("companies", "technologies", "products", "facilities")
_NEVER_ONLINE = ("facility {id!r} exists at no date: online_until equals online_from "
                 "({date}), and online_until is exclusive")


def _cross_check(reader: _Reader, rules: list[_Row]) -> None:
    rows = reader.rows
    p = reader.problem

    def ids(table: str) -> dict[str, _Row]:
        return {r.record.id: r for r in rows.get(table, [])}

    sources: dict[str, _Row] = {}
    for row in rows["sources"]:
        if row.record.id in sources:
            first = sources[row.record.id]
            p(row.file, row.line, row.col("id"),
              f"duplicate source id {row.record.id!r} (first at line {first.line})")
        else:
            sources[row.record.id] = row

    seen: dict[str, _Row] = {}
    for table in _NODE_TABLES:
        for row in rows[table]:
            rid = row.record.id
            if rid in seen:
                first = seen[rid]
                p(row.file, row.line, row.col("id"),
                  f"duplicate id {rid!r} (already used at {first.file}:{first.line})")
            else:
                seen[rid] = row
    for rule in rules:
        if rule.record.id in seen:
            p(rule.file, rule.line, 0, f"duplicate id {rule.record.id!r} (rule)")
    _check_ids_differ_in_more_than_case(reader, sources.values())
    _check_ids_differ_in_more_than_case(reader, seen.values())

    companies, technologies = ids("companies"), ids("technologies")
    products, facilities = ids("products"), ids("facilities")

    table_of = {"company": "companies", "product": "products", "facility": "facilities",
                "technology": "technologies", "source": "sources"}

    def ref(row: _Row, column: str, value: str | None, known: dict[str, Any], what: str) -> bool:
        if value is None or value in known:
            return True
        if value in reader.failed_ids or table_of[what] in reader.unread:
            return False  # the referenced row or file has its own error already
        p(row.file, row.line, row.col(column), f"unknown {what} {value!r}")
        return False

    for table in RECORD_MODELS:
        if table == "sources":
            continue
        for row in rows[table]:
            for sid in row.record.sources:
                ref(row, "sources", sid, sources, "source")
    for rule in rules:
        for sid in rule.record.sources:
            if sid not in sources:
                p(rule.file, rule.line, 0, f"rule {rule.record.id}: unknown source {sid!r}")

    by_owned: dict[str, list[_Row]] = defaultdict(list)
    for row in rows["ownership"]:
        ref(row, "owner", row.record.owner, companies, "company")
        ref(row, "owned", row.record.owned, companies, "company")
        by_owned[row.record.owned].append(row)
    for owned, group in by_owned.items():
        _check_share_sum(reader, group, f"owners' shares of {owned!r}")
    _check_no_cycles(reader, rows["ownership"], "owner", "owned", "ownership cycle",
                     dated=True)
    for row in rows["facilities"]:
        ref(row, "company", row.record.company, companies, "company")
        for pid in row.record.products:
            ref(row, "products", pid, products, "product")
        for tid in row.record.technologies:
            ref(row, "technologies", tid, technologies, "technology")
        if row.record.online_from is not None and \
                row.record.online_from == row.record.online_until:
            p(row.file, row.line, row.col("online_until"), _NEVER_ONLINE.format(
                id=row.record.id, date=row.record.online_from), severity="warning")

    bom_seen: dict[tuple[str, str, str | None], _Row] = {}
    for row in rows["bom"]:
        rec = row.record
        ref(row, "product", rec.product, products, "product")
        ref(row, "input", rec.input, products, "product")
        if rec.product == rec.input:
            p(row.file, row.line, row.col("input"), f"product {rec.product!r} requires itself")
        key = (rec.product, rec.input, rec.substitute_for)
        if key in bom_seen:
            p(row.file, row.line, row.col("input"),
              f"duplicate bill-of-materials line (first at line {bom_seen[key].line})")
        bom_seen[key] = row
    _check_no_cycles(reader, rows["bom"], "product", "input",
                     "bill-of-materials cycle (a product requires itself)", dated=False)

    by_pair: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for row in rows["supplies"]:
        rec = row.record
        ok = ref(row, "supplier", rec.supplier, facilities, "facility")
        ok &= ref(row, "buyer", rec.buyer, facilities, "facility")
        ok &= ref(row, "product", rec.product, products, "product")
        if ok and rec.product not in facilities[rec.supplier].record.products:
            p(row.file, row.line, row.col("product"),
              f"supplier {rec.supplier!r} does not list product {rec.product!r}")
        by_pair[(rec.buyer, rec.product)].append(row)
    for (buyer, product), group in by_pair.items():
        _check_share_sum(reader, group, f"supplier shares of {product!r} into {buyer!r}")
    _check_windows_apart(reader, rows["supplies"],
                         lambda r: (r.supplier, r.buyer, r.product), "supply link")
    _check_windows_apart(reader, rows["ownership"], lambda r: (r.owner, r.owned), "holding")


def _check_windows_apart(reader: _Reader, rows: list[_Row], link: Any, what: str) -> None:
    """Rows for the same link are date windows of it: they may not overlap."""
    groups: dict[Any, list[_Row]] = defaultdict(list)
    for row in rows:
        groups[link(row.record)].append(row)
    for group in groups.values():
        if len(group) < 2:
            continue
        for i, j in overlapping([(r.record.start, r.record.end) for r in group]):
            row = group[i]
            reader.problem(row.file, row.line, row.col("start"),
                           f"same {what} as line {group[j].line} with an overlapping date "
                           "window; give each row its own start and end")


def _instants(rows: list[_Row]) -> list[Any]:
    """The dates at which what is active can change: every start (``None``: always)."""
    return sorted({r.record.start for r in rows}, key=lambda d: (d is not None, d))


def _active(rows: list[_Row], instant: Any) -> list[_Row]:
    return [r for r in rows
            if (r.record.start is None or (instant is not None and r.record.start <= instant))
            and (r.record.end is None or instant is None or instant < r.record.end)]


def _check_share_sum(reader: _Reader, group: list[_Row], what: str) -> None:
    """Shares of one whole (a buyer's need of a product, a company's equity) add up to at
    most 1 at every date; reported once, at the last row active when it first exceeds 1."""
    excess = first_excess([(r.record.start, r.record.end) for r in group],
                          [r.record.share for r in group])
    if excess is not None:
        instant, total, active = excess
        last = max((group[i] for i in active), key=lambda r: r.line)
        when = f" from {instant}" if instant else ""
        reader.problem(last.file, last.line, last.col("share"),
                       f"{what} add up to {total:.4g}{when}, above 1")


def _check_no_cycles(reader: _Reader, rows: list[_Row], tail: str, head: str, what: str, *,
                     dated: bool) -> None:
    """No cycle of ``tail -> head`` links (at any one date, when ``dated``).

    Each cycle is reported once, at the row that closes it (the last in the file), in the
    ``head`` column, naming the ids around it. Self-loops are the rows' own errors.
    """
    def ends(r: _Row) -> tuple[str, str]:
        return getattr(r.record, tail), getattr(r.record, head)

    # a cycle at some date is a cycle of all the rows: keep only rows inside one (usually none)
    union = nx.DiGraph([ends(r) for r in rows])
    looped = {n: i for i, c in enumerate(nx.strongly_connected_components(union)) if len(c) > 1
              for n in c}
    rows = [r for r in rows
            if ends(r)[0] in looped and looped[ends(r)[0]] == looped.get(ends(r)[1])]
    reported: set[frozenset[int]] = set()
    for instant in _instants(rows) if dated else [None]:
        active = _active(rows, instant) if dated else rows
        G = nx.DiGraph()
        for r in active:
            u, v = getattr(r.record, tail), getattr(r.record, head)
            if u != v:
                G.add_edge(u, v, row=r)
        for component in nx.strongly_connected_components(G):
            if len(component) < 2:
                continue
            cycle = nx.find_cycle(G.subgraph(component))
            members = [G.edges[u, v]["row"] for u, v in cycle]
            lines = frozenset(r.line for r in members)
            if lines in reported:
                continue
            reported.add(lines)
            last = max(members, key=lambda r: r.line)
            at = members.index(last)  # start the path at the row that closes the cycle
            hops = cycle[at:] + cycle[:at]
            path = " -> ".join([hops[0][0], *(v for _, v in hops)])
            when = f" from {instant}" if instant else ""
            reader.problem(last.file, last.line, last.col(head), f"{what}: {path}{when}")


def _check_ids_differ_in_more_than_case(reader: _Reader, rows: Iterable[_Row]) -> None:
    """Two ids equal up to case (``CN-Mine``, ``cn-mine``) are an error at the later one."""
    first: dict[str, _Row] = {}
    for row in rows:
        folded = row.record.id.casefold()
        other = first.setdefault(folded, row)
        if other is not row:
            reader.problem(row.file, row.line, row.col("id"),
                           f"id {row.record.id!r} differs from {other.record.id!r} "
                           f"({other.file}:{other.line}) only in case")


def _data_gaps(reader: _Reader, G: nx.MultiDiGraph) -> None:
    rows = {r.record.id: r for r in reader.rows["facilities"]}
    for fid, row in rows.items():
        needs = needed_inputs(G, fid)
        supplied = {d["product"] for _, _, d in G.in_edges(fid, data=True)
                    if d.get("kind") == "supplies"}
        for product in sorted(needs - supplied):
            reader.problem(row.file, row.line, row.col("products"),
                           f"data gap: facility {fid!r} needs {product!r} but nothing supplies it",
                           severity="warning")
    for r in reader.rows["supplies"]:
        rec = r.record
        if rec.buyer in G and rec.product not in needed_inputs(G, rec.buyer, substitutes=True):
            reader.problem(r.file, r.line, r.col("product"),
                           f"buyer {rec.buyer!r} does not need {rec.product!r} "
                           "(no bill-of-materials line asks for it)", severity="warning")


# --------------------------------------------------------------------------- public API


def _read(path: str | Path | None) -> tuple[Records, list[Problem]]:
    root = Path(path) if path is not None else bundled_path()
    if not root.is_dir():
        raise LoadError(f"{root}: not a directory (a dataset is a directory of CSV files)")
    reader, rules = _read_tables(root)
    _cross_check(reader, rules)
    records = Records(name=root.name, rules=[r.record for r in rules],
                      **{t: [r.record for r in reader.rows[t]] for t in RECORD_MODELS})
    if not any(p.severity == "error" for p in reader.problems):
        _data_gaps(reader, build_graph(records))
    return records, sorted(reader.problems, key=lambda q: (q.file, q.line, q.column))


def _read_tables(root: Path) -> tuple[_Reader, list[_Row]]:
    """The rows of every table and the rules of the dataset at ``root``, checked row by row
    (an overlay, with a ``dataset.yaml`` manifest, merged over the dataset it extends)."""
    from oretrace.loaders.overlay import MANIFEST, read_overlay
    if (root / MANIFEST).is_file():
        return read_overlay(root)
    reader = _Reader(root)
    for table in RECORD_MODELS:
        reader.read_table(table)
    rules_file = root / "rules.yaml"
    rules: list[_Row] = []
    if os.path.lexists(rules_file):
        rules = reader.read_rules(rules_file)
    elif root.resolve() != bundled_path().resolve():
        rules = _bundled_rules(reader)
    return reader, rules


def _bundled_rules(reader: _Reader) -> list[_Row]:
    """The bundled rules, with the bundled sources they cite that the dataset lacks."""
    bundled = _Reader(bundled_path())
    if not (bundled_path() / "rules.yaml").exists():
        return []
    bundled.read_table("sources")
    rows = bundled.read_rules(bundled_path() / "rules.yaml")
    have = {r.record.id for r in reader.rows["sources"]}
    cited = {s for r in rows for s in r.record.sources}
    reader.rows["sources"].extend(r for r in bundled.rows["sources"]
                                  if r.record.id in cited and r.record.id not in have)
    return rows


def read_records(path: str | Path | None = None) -> tuple[Records, list[Problem]]:
    """Read and check a dataset; return its records and every problem found.

    The records are only complete when no problem has severity ``"error"``.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A dataset directory: one CSV file per table and a ``rules.yaml`` (without one, the
        bundled rules apply), or an overlay directory with a ``dataset.yaml`` manifest merged
        over the dataset it extends. ``None`` (the default) reads the bundled dataset.

    Returns
    -------
    records : Records
        The rows that passed their checks, table by table.
    problems : list of Problem
        Every error and warning found, sorted by file, line and column; empty when the
        dataset is clean.

    Raises
    ------
    LoadError
        When ``path`` is not a directory.

    Examples
    --------
    >>> records, problems = read_records(MINI)
    >>> len(records.facilities), problems
    (7, [])
    """
    return _read(path)


def validate_dataset(path: str | Path | None = None) -> list[Problem]:
    """Return every problem (errors and warnings) of the dataset at ``path``.

    A large dataset (from :data:`oretrace.loaders.fast.FAST_MIN_BYTES` bytes of tables) is
    read column-wise, with the same answer.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A dataset directory: one CSV file per table and a ``rules.yaml`` (without one, the
        bundled rules apply), or an overlay directory with a ``dataset.yaml`` manifest merged
        over the dataset it extends. ``None`` (the default) reads the bundled dataset.

    Returns
    -------
    list of Problem
        Every error (``severity="error"``: the dataset would not load) and warning (a data
        gap: it loads, and says so), as ``file:line:column: reason`` when printed; empty when
        the dataset is clean.

    Raises
    ------
    LoadError
        When ``path`` is not a directory.

    Examples
    --------
    >>> [str(p) for p in validate_dataset() if p.severity == "error"]
    []
    """
    # same answer, read column-wise (oretrace.loaders.fast)
    if path is not None and _is_large(path):
        from oretrace.loaders.fast import validate_dataset_fast
        return validate_dataset_fast(path)
    return _read(path)[1]


def _is_large(path: str | Path) -> bool:
    from oretrace.loaders.fast import is_large
    from oretrace.loaders.overlay import MANIFEST
    return Path(path).is_dir() and not (Path(path) / MANIFEST).exists() and is_large(path)


def load_dataset(path: str | Path | None = None) -> nx.MultiDiGraph:
    """Load the dataset at ``path`` (default: the bundled one) as a validated graph.

    Every row is checked first and nothing loads when anything is wrong; warnings (data gaps)
    are kept in ``G.graph["warnings"]``. A large dataset is read column-wise
    (:mod:`oretrace.loaders.fast`) into the same graph.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A dataset directory: one CSV file per table and a ``rules.yaml`` (without one, the
        bundled rules apply), or an overlay directory with a ``dataset.yaml`` manifest merged
        over the dataset it extends. ``None`` (the default) reads the bundled dataset.

    Returns
    -------
    networkx.MultiDiGraph
        The oretrace graph (see :func:`oretrace.graphmodel.build_graph`), with
        ``G.graph["dataset"]`` (the resolved directory, or ``"bundled"``) and
        ``G.graph["warnings"]`` (one line per warning).

    Raises
    ------
    DatasetError
        When any row is invalid: ``.problems`` lists every one; nothing is loaded.
    LoadError
        When ``path`` is not a directory or cannot be read.

    Examples
    --------
    >>> G = load_dataset()
    >>> G.nodes["F-35"]["category"]
    'platform'
    """
    if path is not None and _is_large(path):  # same graph, read column-wise (oretrace.loaders.fast)
        from oretrace.loaders.fast import load_dataset_fast
        return load_dataset_fast(path)
    records, problems = _read(path)
    if any(p.severity == "error" for p in problems):
        raise DatasetError(problems)
    G = build_graph(records)
    G.graph["dataset"] = str(Path(path).resolve()) if path is not None else "bundled"
    G.graph["warnings"] = [str(p) for p in problems]
    return G
