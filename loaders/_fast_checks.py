"""The cross-table checks and data-gap warnings of the large-table reader, on code arrays.

The same checks as :mod:`oretrace.loaders._checks` (the row-by-row reader's), worded the
same, run over the distinct values of each column and with numpy over the rows; the small
tables' rows are checked by the row-by-row checks themselves. What a facility needs is
:func:`oretrace.graphmodel.facility_needs`, read once per distinct (products, stage) pair.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from oretrace.graphmodel.graph import RequiresLine, facility_needs
from oretrace.loaders._checks import NEVER_ONLINE
from oretrace.loaders._columns import (
    Bool,
    IntArray,
    Table,
    dense,
    first_met_codes,
    sorted_codes,
    sorted_distinct,
    stable_order,
    window_empty,
)
from oretrace.loaders._reader import TABLE_OF, Reader, Row
from oretrace.loaders._windows import _LIMIT, _slack, first_excess, overlapping

__all__ = ["cross_check_big", "data_gaps_big"]


def _ids_of(rows: list[Row]) -> dict[str, Row]:
    return {r.record.id: r for r in rows}


def _emit_per_code(reader: Reader, t: Table, column: str, codes: IntArray,
                   problems: dict[int, list[str]]) -> None:
    """For every row whose ``column`` code is a key of ``problems``, add its messages."""
    if not problems:
        return
    wanted = np.array(sorted(problems), dtype=np.int64)
    col = t.col(column)
    for i in np.flatnonzero(np.isin(codes, wanted)).tolist():
        for reason in problems[int(codes[i])]:
            reader.problem(t.file, int(t.lines[i]), col, reason)


def _unknown_refs(reader: Reader, t: Table, column: str, known: set[str] | dict[str, Any],
                  what: str, listed: bool = False) -> dict[int, list[str]]:
    """Per code of ``column``: the unknown references it makes, as the row path words them
    (not reported: ids of rows that failed their own checks, ids into an unread table)."""
    out: dict[int, list[str]] = {}
    if TABLE_OF[what] in reader.unread:
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


def _unresolved(t: Table, column: str, known: set[str] | dict[str, Any]) -> Bool:
    """Rows whose ``column`` names something not in ``known`` (reported or not)."""
    values = t.values[column]
    bad = np.array([v is not None and v not in known for v in values], dtype=bool)
    return bad[t.codes[column]] if len(values) else np.zeros(len(t), dtype=bool)


def cross_check_big(reader: Reader, fac: Table | None, sup: Table | None,
                    rules: list[Row]) -> None:
    """The cross-table checks of the row-by-row reader, for the two big tables."""
    rows = reader.rows
    sources = _ids_of(rows["sources"])
    products = _ids_of(rows["products"])
    last_products: dict[str, tuple[str, ...]] = {}
    if fac is not None:
        _check_facility_ids(reader, fac, rules)
        last_products = dict(zip(fac.column("id"), fac.column("products"), strict=True))
        for column, known, what in (("sources", sources, "source"),
                                    ("company", _ids_of(rows["companies"]), "company"),
                                    ("products", products, "product"),
                                    ("technologies", _ids_of(rows["technologies"]),
                                     "technology")):
            _emit_per_code(reader, fac, column, fac.codes[column],
                           _unknown_refs(reader, fac, column, known, what,
                                         listed=column in {"sources", "products",
                                                           "technologies"}))
        col = fac.col("online_until")
        for i in np.flatnonzero(window_empty(fac, "online_from", "online_until")).tolist():
            reader.problem(fac.file, int(fac.lines[i]), col, NEVER_ONLINE.format(
                id=fac.values["id"][fac.codes["id"][i]],
                date=fac.values["online_from"][fac.codes["online_from"][i]]),
                severity="warning")
    if sup is None:
        return
    facilities = set(last_products)
    _emit_per_code(reader, sup, "sources", sup.codes["sources"],
                   _unknown_refs(reader, sup, "sources", sources, "source", listed=True))
    for column, ids, what in (("supplier", facilities, "facility"),
                              ("buyer", facilities, "facility"),
                              ("product", set(products), "product")):
        _emit_per_code(reader, sup, column, sup.codes[column],
                       _unknown_refs(reader, sup, column, ids, what))
    _check_suppliers_list(reader, sup, last_products, products)
    _check_share_sums(reader, sup)
    _check_windows_apart(reader, sup)


def _check_facility_ids(reader: Reader, fac: Table, rules: list[Row]) -> None:
    """Duplicate ids: against the earlier tables, then within facilities (and rules)."""
    seen: dict[str, Row] = {}
    for table in ("companies", "technologies", "products"):
        for row in reader.rows[table]:
            seen.setdefault(row.record.id, row)
    first_row: dict[str, int] = {}
    folded: dict[str, tuple[str, str, int]] = {}
    for row in seen.values():
        folded.setdefault(row.record.id.casefold(), (row.record.id, row.file, row.line))
    id_col = fac.col("id")
    for i, rid in enumerate(fac.column("id")):
        if rid in seen:
            first = seen[rid]
            reader.problem(fac.file, int(fac.lines[i]), id_col,
                           f"duplicate id {rid!r} (already used at {first.file}:{first.line})")
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
            reader.problem(rule.file, rule.line, 0, f"duplicate id {rule.record.id!r} (rule)")


def _check_suppliers_list(reader: Reader, sup: Table, last_products: dict[str, tuple[str, ...]],
                          products: dict[str, Row]) -> None:
    """A supplier must list the product it ships (rows whose ends are all known)."""
    facilities = set(last_products)
    ok = ~(_unresolved(sup, "supplier", facilities) | _unresolved(sup, "buyer", facilities)
           | _unresolved(sup, "product", products))
    fac_index = {f: i for i, f in enumerate(sorted(facilities))}
    prod_index = {p: i for i, p in enumerate(products)}
    width = len(prod_index) + 1
    listed = np.array(sorted({fac_index[f] * width + prod_index[p]
                              for f, plist in last_products.items() for p in plist
                              if p in prod_index}), dtype=np.int64)
    s_fac = dense(sup.values["supplier"], fac_index)[sup.codes["supplier"]]
    s_prod = dense(sup.values["product"], prod_index)[sup.codes["product"]]
    prod_col = sup.col("product")
    for i in np.flatnonzero(ok & ~_among(s_fac * width + s_prod, listed)).tolist():
        supplier = sup.values["supplier"][sup.codes["supplier"][i]]
        product = sup.values["product"][sup.codes["product"][i]]
        reader.problem(sup.file, int(sup.lines[i]), prod_col,
                       f"supplier {supplier!r} does not list product {product!r}")


def _among(keys: IntArray, table: IntArray) -> Bool:
    """Whether each of ``keys`` is in ``table`` (integers): by a lookup table over their
    span when it is no larger than a few times the keys, else by binary search."""
    if not len(table) or not len(keys):
        return np.zeros(len(keys), dtype=bool)
    lo, hi = min(int(keys.min()), int(table.min())), max(int(keys.max()), int(table.max()))
    if hi - lo <= 8 * (len(keys) + len(table)):
        found: Bool = np.isin(keys, table, kind="table")
        return found
    table = sorted_distinct(table)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    found = table[at] == keys
    return found


def _check_windows_apart(reader: Reader, sup: Table) -> None:
    """Rows of one supply link are date windows of it: they may not overlap."""
    if len(sup) == 0:
        return
    n_b, n_p = len(sup.values["buyer"]) + 1, len(sup.values["product"]) + 1
    link = (sup.codes["supplier"].astype(np.int64) * n_b + sup.codes["buyer"]) * n_p + \
        sup.codes["product"]
    order = stable_order(link)
    sorted_link = link[order]
    repeated = np.zeros(len(link), dtype=bool)
    repeated[1:] = sorted_link[1:] == sorted_link[:-1]
    repeated[:-1] |= repeated[1:]
    if not repeated.any():
        return
    col = sup.col("start")
    groups: dict[int, list[int]] = {}
    for i in order[repeated].tolist():
        groups.setdefault(int(link[i]), []).append(i)
    window = _windows_of(sup)
    for members in groups.values():
        members.sort()  # file order
        windows = [window[i] for i in members]
        for a, b in overlapping(windows):
            reader.problem(sup.file, int(sup.lines[members[a]]), col,
                           f"same supply link as line {int(sup.lines[members[b]])} with an "
                           "overlapping date window; give each row its own start and end")


def _windows_of(sup: Table) -> list[tuple[Any, Any]]:
    """Each supply row's (start, end), one tuple per distinct window."""
    n_end = len(sup.values["end"])
    pair = sup.codes["start"].astype(np.int64) * n_end + sup.codes["end"]
    codes, first = first_met_codes(pair)
    starts, ends = sup.values["start"], sup.values["end"]
    windows = np.fromiter(((starts[k // n_end], ends[k % n_end]) for k in pair[first].tolist()),
                          dtype=object, count=len(first))
    return list(windows[codes].tolist())


def _check_share_sums(reader: Reader, sup: Table) -> None:
    """Shares of one buyer's need of one product add up to at most 1 at every date."""
    n = len(sup)
    if n == 0:
        return
    buyer, product = sup.codes["buyer"], sup.codes["product"]
    group_key = buyer.astype(np.int64) * (len(sup.values["product"]) + 1) + product
    groups, group = sorted_codes(group_key)
    share = np.array([np.nan if v is None else v for v in sup.values["share"]],
                     dtype=float)[sup.codes["share"]]
    has_start = np.array([v is not None for v in sup.values["start"]], dtype=bool)[
        sup.codes["start"]]
    dated = np.zeros(len(groups), dtype=bool)
    dated[group[has_start]] = True
    total = np.bincount(group, weights=share, minlength=len(groups))
    share_col = sup.col("share")
    # first_excess's own float screen, read off these totals: summed in another order, a
    # total is within _slack of first_excess's float sum, so a total clear of its screen
    # by twice that means first_excess finds nothing (dated: all shares at most 1 - slack;
    # undated, every row active "always": at most the limit - slack); others are swept
    # and, near the limit, summed exactly, as the row-by-row reader does
    sizes, size = np.unique(np.bincount(group, minlength=len(groups)), return_inverse=True)
    twice = 2 * np.array([_slack(k) for k in sizes.tolist()])[size]
    clear = np.where(dated, total <= 1.0 - twice, total <= float(_LIMIT) - twice)
    near = ~dated & ~clear
    dated &= ~clear
    if not near.any() and not dated.any():
        return
    order = stable_order(group)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(groups)))])
    window, shares = _windows_of(sup), share.tolist()
    for g in np.flatnonzero(dated | near).tolist():
        members = order[bounds[g]:bounds[g + 1]].tolist()
        excess = first_excess([window[i] for i in members], [shares[i] for i in members])
        if excess is not None:
            instant, value, active = excess
            last = max((members[a] for a in active), key=lambda i: int(sup.lines[i]))
            _share_problem(reader, sup, last, share_col, value, instant)


def _share_problem(reader: Reader, sup: Table, i: int, column: int, total: float,
                   instant: dt.date | None) -> None:
    product = sup.values["product"][sup.codes["product"][i]]
    buyer = sup.values["buyer"][sup.codes["buyer"][i]]
    when = f" from {instant}" if instant else ""
    reader.problem(sup.file, int(sup.lines[i]), column,
                   f"supplier shares of {product!r} into {buyer!r} add up to "
                   f"{total:.4g}{when}, above 1")


# --------------------------------------------------------------------------- data gaps


def _needs_by_kind(reader: Reader, fac: Table, *, substitutes: bool
                   ) -> tuple[list[frozenset[str]], IntArray]:
    """What each facility needs (:func:`oretrace.graphmodel.facility_needs`, with or without
    the inputs of substitute lines), as one set per distinct (products, stage) pair, and the
    pair index of each facility row."""
    lines: dict[str, list[RequiresLine]] = {}
    for row in reader.rows["bom"]:
        rec = row.record
        lines.setdefault(rec.product, []).append(
            (rec.input, rec.substitute_for, str(rec.confidence)))
    products = {r.record.id for r in reader.rows["products"]}

    def lines_of(product: str) -> list[RequiresLine]:
        return lines.get(product, []) if product in products else []

    made, stages = fac.values["products"], fac.values["stage"]
    pair = fac.codes["products"].astype(np.int64) * len(stages) + fac.codes["stage"]
    kinds, index = sorted_codes(pair)
    needs = [frozenset(facility_needs(made[k // len(stages)], stages[k % len(stages)],
                                      lines_of, substitutes=substitutes))
             for k in kinds.tolist()]
    return needs, index.astype(np.int64)


def data_gaps_big(reader: Reader, fac: Table, sup: Table) -> None:
    """Warnings: needed inputs nothing supplies; supplies of inputs the buyer does not need."""
    needs, which = _needs_by_kind(reader, fac, substitutes=False)
    takes, _ = _needs_by_kind(reader, fac, substitutes=True)
    ids = fac.values["id"]
    row_of = {f: i for i, f in enumerate(ids[c] for c in fac.codes["id"].tolist())}
    facilities = list(row_of)  # the last row of each id, as the row path
    rows = np.fromiter(row_of.values(), dtype=np.int64, count=len(row_of))
    products = sorted({p for s in takes for p in s} | set(sup.values["product"]))
    p_index = {p: i for i, p in enumerate(products)}
    width = len(products) + 1
    f_index = {f: i for i, f in enumerate(facilities)}
    link = dense(sup.values["buyer"], f_index)[sup.codes["buyer"]] * width + \
        dense(sup.values["product"], p_index)[sup.codes["product"]]
    kinds = which[rows]
    wanted, owner = _need_keys(needs, kinds, p_index, width)
    prod_col = fac.col("products")
    for k in np.flatnonzero(~_among(wanted, link)).tolist():
        f, p = facilities[owner[k]], products[int(wanted[k]) % width]
        reader.problem(fac.file, int(fac.lines[rows[owner[k]]]), prod_col,
                       f"data gap: facility {f!r} needs {p!r} but nothing supplies it",
                       severity="warning")
    ok = _among(link, _need_keys(takes, kinds, p_index, width)[0])
    col = sup.col("product")
    for i in np.flatnonzero(~ok).tolist():
        buyer = sup.values["buyer"][sup.codes["buyer"][i]]
        product = sup.values["product"][sup.codes["product"][i]]
        reader.problem(sup.file, int(sup.lines[i]), col,
                       f"buyer {buyer!r} does not need {product!r} "
                       "(no bill-of-materials line asks for it)", severity="warning")


def _need_keys(needs: list[frozenset[str]], kinds: IntArray, p_index: dict[str, int],
               width: int) -> tuple[IntArray, IntArray]:
    """``facility * width + product`` for each need of each facility (facility ``j`` of
    kind ``kinds[j]``, its needs by product id), and the facility of each key."""
    per_kind = [np.array(sorted(p_index[p] for p in s), dtype=np.int64) for s in needs]
    counts = np.array([len(a) for a in per_kind], dtype=np.int64)[kinds]
    owner = np.repeat(np.arange(len(kinds), dtype=np.int64), counts)
    if not len(owner):
        return owner, owner
    return owner * width + np.concatenate([per_kind[k] for k in kinds.tolist()]), owner
