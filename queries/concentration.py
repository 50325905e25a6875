"""Concentration: per stage and product, top country share, HHI and independent non-CN routes.

Shares are of the capacity (in the product's flow unit, t/yr for products counted in kg)
of the facilities active at the date, by the country they are located in; markets (stand-ins
for unknown links) are left out. Capacities stated on different bases (``t REO/yr``,
``t NdPr/yr``, ``t/yr HRE feed``) are not added: each row uses the basis holding the most
capacity (``basis``) and counts the facilities stated otherwise in ``other_basis``.
The row with product ``*`` sums each facility of the stage once (the published "China mines
≈70 %, separates ≈90 %, makes > 90 % of magnets" figures are stage-wide).
HHI is the sum of squared percentage shares (0–10 000).

``non_cn_routes`` counts the independent routes that stay when every facility located in
China fails: the fewest further facilities whose joint loss would leave no supplied
non-Chinese producer of the product at the stage (Menger's reading of "independent routes",
AND-aware: an integer programme, see :func:`oretrace.queries.chokepoints.solve_cut`). Zero means the
loss of China alone already leaves none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import networkx as nx
import pandas as pd
from oretrace.graphmodel import QueryError, weakest
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import Stage
from oretrace.queries.capacity import flow_capacity
from oretrace.queries.chokepoints import solve_cut
from oretrace.queries.feasibility import group_keys, supplied_mask, supply_network

__all__ = ["find_concentration"]

#: Row label of a whole stage (every product of it).
ALL_PRODUCTS = "*"

_COLUMNS = ["stage", "product", "unit", "facilities", "with_capacity", "other_basis", "basis",
            "total_capacity",
            "top_country", "top_share", "cn_share", "hhi", "shares", "non_cn_routes",
            "confidence", "sources"]


#: Node attributes by id.
Nodes = dict[str, dict[str, Any]]

_NOISE = frozenset({"yr", "year", "a", "pa", "per", "y"})
_TONNES = frozenset({"t", "kt", "kg", "tonne", "tonnes", "tpa", "mt", "ktpa"})


def _basis(unit: object) -> tuple[str, ...]:
    """A capacity unit reduced to what it counts: ``t NdPr/yr`` and ``t/yr NdPr`` agree."""
    tokens = [t for t in re.split(r"[\s/]+", str(unit or "t/yr").lower()) if t and t not in _NOISE]
    return tuple(sorted("t" if t in _TONNES else t for t in tokens))


def _shares(caps: dict[str, float]) -> dict[str, float]:
    total = sum(caps.values())
    if total <= 0:
        return {}
    return {c: v / total for c, v in sorted(caps.items(), key=lambda kv: (-kv[1], kv[0]))}


@shared_docs
def find_concentration(
    G: nx.MultiDiGraph,
    *,
    stage: str | None = None,
    product: str | None = None,
    as_of: str | dt.date | None = None,
    routes: bool = True,
) -> pd.DataFrame:
    """Return one row per stage and product (and per stage, product ``*``) with shares.

    The module docstring says how capacities are counted and what ``non_cn_routes`` means.

    Parameters
    ----------
    %(G)s
    stage : str, optional
        One stage (``mine``, ``separation``, ``magnet`` …; not ``market``); default every stage.
    product : str, optional
        One product id; default every product, plus a ``*`` row per stage.
    %(as_of)s
    routes : bool
        Count ``non_cn_routes`` (default ``True``); off, the column is ``None`` and no integer
        programme is solved.

    Returns
    -------
    pandas.DataFrame
        One row per stage and product, in stage order, with columns ``stage``, ``product``,
        ``unit`` (``t/yr``, ``units/yr`` or ``mixed``), ``facilities`` (count),
        ``with_capacity`` (those counted), ``other_basis`` (those stated on another basis),
        ``basis`` (the capacity unit counted), ``total_capacity``, ``top_country``,
        ``top_share`` and ``cn_share`` (fractions 0-1), ``hhi`` (0-10 000), ``shares``
        (country to share), ``non_cn_routes``, ``confidence`` (weakest of the facilities
        counted) and ``sources`` (theirs).

    Raises
    ------
    QueryError
        When ``stage`` is not a stage, or ``as_of`` not a date.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> table = find_concentration(load_dataset(), stage="mine", as_of="2026-11-24")
    >>> row = table[table["product"] == "*"].iloc[0]
    >>> str(row["top_country"]), bool(0.6 < row["cn_share"] < 0.8)
    ('CN', True)
    """
    stages = [s.value for s in Stage if s is not Stage.MARKET]
    if stage is not None and stage not in stages:
        raise QueryError(f"unknown stage {stage!r}; choose from {', '.join(stages)}")
    net = supply_network(G, as_of=as_of)
    # Every node's attributes read once: each lookup through the dated view tests the date.
    nodes: Nodes = dict(net.view.nodes(data=True))
    chinese = [i for i, f in enumerate(net.facilities) if nodes[f].get("country") == "CN"]
    ok_without_cn = supplied_mask(net, chinese) if routes else []
    # Markets are stand-ins, never cut (oretrace.queries.feasibility.group_keys): count real sites.
    keys = group_keys(net, "facility") if routes else []
    groups: dict[tuple[Any, str], list[str]] = {}  # (stage, product): facilities
    for f in net.facilities:
        d = nodes[f]
        s = d.get("stage")
        if s == Stage.MARKET or (stage is not None and s != stage):
            continue
        for p in d.get("products", ()):
            if product is None or p == product:
                groups.setdefault((s, p), []).append(f)
        if product is None:
            groups.setdefault((s, ALL_PRODUCTS), []).append(f)
    order = {s: i for i, s in enumerate(stages)}
    rows: list[dict[str, Any]] = []
    for (s, p), members in sorted(groups.items(),
                                  key=lambda kv: (order.get(kv[0][0], 99), kv[0][1] != "*",
                                                  kv[0][1])):
        row = _capacity_row(nodes, s, p, members)
        row["non_cn_routes"] = _routes(net, nodes, ok_without_cn, chinese, members, keys) \
            if routes else None
        rows.append(row)
    return pd.DataFrame(rows, columns=_COLUMNS)


def _capacity_row(nodes: Nodes, s: str, p: str, members: list[str]) -> dict[str, Any]:
    """The row of stage ``s`` and product ``p`` (``*``: all) over its facilities ``members``:
    their capacity on the basis holding the most, by country (routes not counted)."""
    unit_of = p if p != ALL_PRODUCTS else None
    by_basis: dict[tuple[str, ...], dict[str, float]] = {}
    counted: dict[tuple[str, ...], list[str]] = {}
    label: dict[tuple[str, ...], str] = {}
    units: set[str] = set()
    for f in members:
        d = nodes[f]
        pu = nodes[unit_of if unit_of else d["products"][0]].get("unit")
        units.add("units/yr" if pu == "each" else "t/yr")
        cap = flow_capacity(d, pu)
        if cap is None:
            continue
        key = _basis(d.get("capacity_unit"))
        label.setdefault(key, str(d.get("capacity_unit") or "t/yr"))
        counted.setdefault(key, []).append(f)
        country = d.get("country") or "(none)"
        by_basis.setdefault(key, {})
        by_basis[key][country] = by_basis[key].get(country, 0.0) + cap
    main = max(by_basis, key=lambda k: (sum(by_basis[k].values()), k), default=None)
    caps = by_basis.get(main, {}) if main is not None else {}
    known = counted.get(main, []) if main is not None else []
    shares = _shares(caps)
    top = next(iter(shares), None)
    return {
        "stage": s, "product": p, "unit": units.pop() if len(units) == 1 else "mixed",
        "facilities": len(members), "with_capacity": len(known),
        "other_basis": sum(len(v) for k, v in counted.items() if k != main),
        "basis": label.get(main, "") if main is not None else "",
        "total_capacity": round(sum(caps.values()), 3),
        "top_country": top, "top_share": round(shares[top], 4) if top else None,
        "cn_share": round(shares.get("CN", 0.0), 4) if shares else None,
        "hhi": round(sum((100 * v) ** 2 for v in shares.values()), 1) if shares else None,
        "shares": {c: round(v, 4) for c, v in shares.items()},
        "non_cn_routes": None,
        "confidence": weakest([nodes[f].get("confidence", "documented")
                               for f in known]).value if known else None,
        "sources": sorted({src for f in known for src in nodes[f].get("sources", [])}),
    }


def _routes(net: Any, nodes: Nodes, ok: list[bool], chinese: Iterable[int],
            members: list[str], keys: list[str | None]) -> int:
    """The fewest further facilities whose loss leaves no supplied non-Chinese member."""
    targets = [net.index[f] for f in members
               if nodes[f].get("country") != "CN" and ok[net.index[f]]]
    # A target that needs nothing (a mine) stops only when it fails itself: every cut holds
    # it, and the rest is a cut of the other targets with it failed. One target left that can
    # fail is stopped by its own loss, and no smaller cut than one exists. Both are exact, and
    # keep the integer programme off the many independent sources of a large fan-in.
    forced = [t for t in targets if not net.needs[t] and keys[t] is not None]
    rest = [t for t in targets if net.needs[t] or keys[t] is None]
    if not rest:
        return len(forced)
    if len(rest) == 1 and keys[rest[0]] is not None and not forced:
        return 1
    # Markets are stand-ins, never cut (oretrace.queries.feasibility.group_keys): count real
    # sites.
    sol = solve_cut(net, keys=keys, targets=rest, failed=[*chinese, *forced])
    return 0 if sol.cut is None else len(forced) + len(sol.cut)
