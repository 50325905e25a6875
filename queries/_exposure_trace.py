"""Trace: a product's whole upstream supply tree, one row per needed link, by stage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx
import pandas as pd
from oretrace.graphmodel import Confidence, parse_date, restrict, weakest
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import Category, EdgeKind, Stage
from oretrace.queries._exposure_graph import _as_predicate, resolve_products, supply_graph
from oretrace.queries.predicates import (
    ANY_CN,
    CN_OWNED,
    CN_PROCESSING,
    CN_TECHNOLOGY,
    Predicate,
)

__all__ = ["effective_stage", "trace"]

_COLUMNS = ["stage", "facility", "name", "country", "company", "product", "buyer", "share",
            "depth", "confidence", "marks", "match", "sources"]

#: The stage a market node stands for, read from the category of what it pools.
_CATEGORY_STAGE: dict[str, str] = {
    Category.ORE: Stage.MINE, Category.CONCENTRATE: Stage.CONCENTRATION,
    Category.OXIDE: Stage.SEPARATION, Category.METAL: Stage.METAL,
    Category.ALLOY: Stage.ALLOY, Category.MAGNET: Stage.MAGNET,
    Category.SCRAP: Stage.RECYCLING, Category.COMPONENT: Stage.COMPONENT,
    Category.SUBSYSTEM: Stage.SUBSYSTEM, Category.PLATFORM: Stage.ASSEMBLY,
}


def effective_stage(G: nx.MultiDiGraph, facility: str) -> str:
    """Return ``facility``'s stage; a market stands for the stage of what it pools.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("oxide", kind="product", category="oxide")
    >>> G.add_node("cn-pool", kind="facility", stage="market", products=["oxide"])
    >>> effective_stage(G, "cn-pool")
    'separation'
    """
    attrs = G.nodes[facility]
    stage = str(attrs.get("stage"))
    if stage == Stage.MARKET:
        for product in attrs.get("products", ()):
            category = G.nodes.get(product, {}).get("category")
            if category in _CATEGORY_STAGE:
                return str(_CATEGORY_STAGE[category])
    return stage


def _stage_rank(G: nx.MultiDiGraph, facility: str) -> int:
    order = {s.value: i for i, s in enumerate(Stage)}
    return order.get(effective_stage(G, facility), len(order))


@shared_docs
def trace(
    G: nx.MultiDiGraph,
    product: str,
    *,
    predicate: Predicate | str = ANY_CN,
    as_of: str | dt.date | None = None,
    min_confidence: str | Confidence | None = None,
) -> pd.DataFrame:
    """Return ``product``'s whole upstream supply tree, one row per needed link, by stage.

    Columns: ``stage``, ``facility``, ``name``, ``country``, ``company``, ``product`` (what
    it ships), ``buyer``, ``share``, ``depth`` (hops to the product), ``confidence``,
    ``marks`` (which of cn-processing, cn-owned, cn-technology it matches), ``match``
    (whether it matches ``predicate``) and ``sources``. Rows run upstream first (mines,
    then separation … assembly; a market sorts with the stage of what it pools).

    Parameters
    ----------
    %(G)s
    product : str
        The product id (usually a platform).
    predicate : Predicate or str
        What ``match`` tests: a :class:`oretrace.queries.predicates.Predicate` or its name
        (default ``any``: cn-processing, cn-owned or cn-technology).
    %(as_of)s
    %(min_confidence)s

    Returns
    -------
    pandas.DataFrame
        One row per needed link into the product's supply, with the columns listed above.

    Raises
    ------
    UnknownNodeError
        When ``product`` names no product; the message lists close matches.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> tree = trace(load_dataset(MINI), "missile", as_of="2026-01-01")
    >>> tree[["facility", "buyer", "match"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['cn-mine', 'cn-sep', True], ['cn-sep', 'jp-mag', True], ['jp-mag', 'us-comp', False],
     ['us-comp', 'us-asm', False], ['us-asm', 'missile', False]]
    """
    pred = _as_predicate(predicate)
    day = parse_date(as_of)
    (target,) = resolve_products(G, [product])
    V = restrict(G, as_of=day, min_confidence=min_confidence)
    rows = _rows(V, supply_graph(V, targets=[target]), target, pred)
    if not rows:
        return pd.DataFrame(columns=_COLUMNS)
    frame = pd.DataFrame(rows).sort_values(["_rank", "depth", "facility", "buyer", "product"],
                                           ascending=[True, False, True, True, True])
    return frame[_COLUMNS].reset_index(drop=True)


def _rows(V: nx.MultiDiGraph, H: nx.DiGraph, target: str, pred: Predicate
          ) -> list[dict[str, Any]]:
    """The rows of :func:`trace` (unsorted, each with its stage's ``_rank``)."""
    upstream = nx.ancestors(H, target)
    depth = nx.single_target_shortest_path_length(H, target)
    marks = {p.name: p.select(V) for p in (CN_PROCESSING, CN_OWNED, CN_TECHNOLOGY)}
    matched = pred.select(V)
    rows: list[dict[str, Any]] = []
    for facility in upstream:
        attrs = V.nodes[facility]
        for _, buyer, hop in H.out_edges(facility, data=True):
            if buyer != target and buyer not in upstream:
                continue
            for shipped in hop["products"]:
                rows.append({
                    "stage": attrs.get("stage"), "facility": facility, "name": attrs.get("name"),
                    "country": attrs.get("country"), "company": attrs.get("company"),
                    "product": shipped, "buyer": buyer,
                    "share": None if buyer == target else _share(V, facility, buyer, shipped),
                    "depth": depth.get(facility),
                    "confidence": weakest([hop["confidence"], H.nodes[facility]["confidence"]]),
                    "marks": [name for name, chosen in marks.items() if facility in chosen],
                    "match": facility in matched,
                    "sources": sorted(set(attrs.get("sources", [])) | set(hop["sources"])),
                    "_rank": _stage_rank(V, facility)})
    return rows


def _share(V: nx.MultiDiGraph, supplier: str, buyer: str, product: str) -> Any:
    """The share of the first supply link ``supplier -> buyer`` carrying ``product``."""
    data = V.get_edge_data(supplier, buyer) or {}
    return next((d.get("share") for d in data.values()
                 if d.get("kind") == EdgeKind.SUPPLIES and d.get("product") == product), None)
