"""The cross-table checks of the row-by-row reader, and its data-gap warnings.

They run on the rows a :class:`~oretrace.loaders._reader.Reader` kept: ids unique (and not
equal up to case), references known, shares of one whole at most 1 at every date, no
ownership or bill-of-materials cycle, date windows of one link apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx
from oretrace.graphmodel import is_active, needed_inputs
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.loaders._reader import TABLE_OF, Reader, Row
from oretrace.loaders._windows import first_excess, overlapping

__all__ = ["NEVER_ONLINE", "cross_check", "data_gaps"]

_NODE_TABLES = ("companies", "technologies", "products", "facilities")

#: The warning for a facility whose date window is empty.
NEVER_ONLINE = ("facility {id!r} exists at no date: online_until equals online_from "
                "({date}), and online_until is exclusive")


def cross_check(reader: Reader, rules: list[Row]) -> None:
    """Every check across rows and tables, on the rows ``reader`` kept."""
    rows = reader.rows
    sources, seen = _unique_ids(reader, rules)

    def ids(table: str) -> dict[str, Row]:
        return {r.record.id: r for r in rows.get(table, [])}

    companies, technologies = ids("companies"), ids("technologies")
    products, facilities = ids("products"), ids("facilities")
    ref = _references(reader)
    for table in RECORD_MODELS:
        if table == "sources":
            continue
        for row in rows[table]:
            for sid in row.record.sources:
                ref(row, "sources", sid, sources, "source")
    for rule in rules:
        for sid in rule.record.sources:
            if sid not in sources:
                reader.problem(rule.file, rule.line, 0,
                               f"rule {rule.record.id}: unknown source {sid!r}")
    by_owned: dict[str, list[Row]] = defaultdict(list)
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
            reader.problem(row.file, row.line, row.col("online_until"), NEVER_ONLINE.format(
                id=row.record.id, date=row.record.online_from), severity="warning")
    _check_bom(reader, ref, products)
    _check_supplies(reader, ref, products, facilities)


def _unique_ids(reader: Reader, rules: list[Row]) -> tuple[dict[str, Row], dict[str, Row]]:
    """Report repeated ids; return the first row of each source id and of each node id."""
    sources: dict[str, Row] = {}
    for row in reader.rows["sources"]:
        if row.record.id in sources:
            first = sources[row.record.id]
            reader.problem(row.file, row.line, row.col("id"),
                           f"duplicate source id {row.record.id!r} (first at line {first.line})")
        else:
            sources[row.record.id] = row
    seen: dict[str, Row] = {}
    for table in _NODE_TABLES:
        for row in reader.rows[table]:
            rid = row.record.id
            if rid in seen:
                first = seen[rid]
                reader.problem(row.file, row.line, row.col("id"),
                               f"duplicate id {rid!r} (already used at {first.file}:{first.line})")
            else:
                seen[rid] = row
    for rule in rules:
        if rule.record.id in seen:
            reader.problem(rule.file, rule.line, 0, f"duplicate id {rule.record.id!r} (rule)")
    _check_ids_differ_in_more_than_case(reader, sources.values())
    _check_ids_differ_in_more_than_case(reader, seen.values())
    return sources, seen


_Ref = Callable[[Row, str, "str | None", dict[str, Any], str], bool]


def _references(reader: Reader) -> _Ref:
    """A check of one reference: known, or reported as unknown (unless the row or table it
    names has its own error already); says whether it is known."""
    def ref(row: Row, column: str, value: str | None, known: dict[str, Any], what: str) -> bool:
        if value is None or value in known:
            return True
        if value in reader.failed_ids or TABLE_OF[what] in reader.unread:
            return False
        reader.problem(row.file, row.line, row.col(column), f"unknown {what} {value!r}")
        return False
    return ref


def _check_bom(reader: Reader, ref: _Ref, products: dict[str, Row]) -> None:
    bom_seen: dict[tuple[str, str, str | None], Row] = {}
    for row in reader.rows["bom"]:
        rec = row.record
        ref(row, "product", rec.product, products, "product")
        ref(row, "input", rec.input, products, "product")
        if rec.product == rec.input:
            reader.problem(row.file, row.line, row.col("input"),
                           f"product {rec.product!r} requires itself")
        key = (rec.product, rec.input, rec.substitute_for)
        if key in bom_seen:
            reader.problem(row.file, row.line, row.col("input"),
                           f"duplicate bill-of-materials line (first at line {bom_seen[key].line})")
        bom_seen[key] = row
    _check_no_cycles(reader, reader.rows["bom"], "product", "input",
                     "bill-of-materials cycle (a product requires itself)", dated=False)


def _check_supplies(reader: Reader, ref: _Ref, products: dict[str, Row],
                    facilities: dict[str, Row]) -> None:
    by_pair: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in reader.rows["supplies"]:
        rec = row.record
        ok = ref(row, "supplier", rec.supplier, facilities, "facility")
        ok &= ref(row, "buyer", rec.buyer, facilities, "facility")
        ok &= ref(row, "product", rec.product, products, "product")
        if ok and rec.product not in facilities[rec.supplier].record.products:
            reader.problem(row.file, row.line, row.col("product"),
                           f"supplier {rec.supplier!r} does not list product {rec.product!r}")
        by_pair[(rec.buyer, rec.product)].append(row)
    for (buyer, product), group in by_pair.items():
        _check_share_sum(reader, group, f"supplier shares of {product!r} into {buyer!r}")
    _check_windows_apart(reader, reader.rows["supplies"],
                         lambda r: (r.supplier, r.buyer, r.product), "supply link")
    _check_windows_apart(reader, reader.rows["ownership"], lambda r: (r.owner, r.owned),
                         "holding")


def _check_windows_apart(reader: Reader, rows: list[Row], link: Any, what: str) -> None:
    """Rows for the same link are date windows of it: they may not overlap."""
    groups: dict[Any, list[Row]] = defaultdict(list)
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


def _instants(rows: list[Row]) -> list[Any]:
    """The dates at which what is active can change: every start (``None``: always)."""
    return sorted({r.record.start for r in rows}, key=lambda d: (d is not None, d))


def _active(rows: list[Row], instant: Any) -> list[Row]:
    """The rows active at ``instant`` (``None``: before every start date)."""
    if instant is None:
        return [r for r in rows if r.record.start is None]
    return [r for r in rows
            if is_active({"start": r.record.start, "end": r.record.end}, instant)]


def _check_share_sum(reader: Reader, group: list[Row], what: str) -> None:
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


def _check_no_cycles(reader: Reader, rows: list[Row], tail: str, head: str, what: str, *,
                     dated: bool) -> None:
    """No cycle of ``tail -> head`` links (at any one date, when ``dated``).

    Each cycle is reported once, at the row that closes it (the last in the file), in the
    ``head`` column, naming the ids around it. Self-loops are the rows' own errors.
    """
    def ends(r: Row) -> tuple[str, str]:
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
            u, v = ends(r)
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


def _check_ids_differ_in_more_than_case(reader: Reader, rows: Iterable[Row]) -> None:
    """Two ids equal up to case (``CN-Mine``, ``cn-mine``) are an error at the later one."""
    first: dict[str, Row] = {}
    for row in rows:
        folded = row.record.id.casefold()
        other = first.setdefault(folded, row)
        if other is not row:
            reader.problem(row.file, row.line, row.col("id"),
                           f"id {row.record.id!r} differs from {other.record.id!r} "
                           f"({other.file}:{other.line}) only in case")


def data_gaps(reader: Reader, G: nx.MultiDiGraph) -> None:
    """Warnings: needed inputs nothing supplies; supplies of inputs the buyer does not need."""
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
