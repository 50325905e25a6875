"""Supply chains on the server: makers, and the supply graph behind the answers.

Both answers read the same part of the network: every facility upstream of the products
asked for, over ``SUPPLIES`` relationships that carry a needed input (``needed``, and
``_need``, the confidence of the bill-of-materials line that makes it needed, above the
floor), present at the date and above the floor, between facilities present at the date.
It is found by a breadth-first search on the server, one query per level that returns the
supplies into that level (so the search and the pull are one pass), and shaped in Python
exactly as :func:`oretrace.queries.exposure.supply_graph` shapes the whole graph: the
in-memory answers read nothing outside it (a product's ancestors; where-used's paths run
from its facilities down to the product, inside them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    Category,
    Confidence,
    UnknownNodeError,
    weakest,
)
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._exposure_graph import _add_hop, _makers_of
from oretrace.queries._native_cypher import (
    Q_BOM,
    Q_CHAIN,
    Q_IDS_OF_LABEL,
    Q_INTO,
    Q_KINDS,
    Q_MAKERS,
    Q_NODES,
    Q_PLATFORMS,
)
from oretrace.queries._native_store import Store
from oretrace.queries.exposure import ChainGap, _floored, _gaps

__all__ = ["chain_gaps", "makers", "reach", "targets", "upstream_graph"]


def targets(store: Store, products: str | Iterable[str] | None) -> list[tuple[str, Any]]:
    """``(id, name)`` of the products asked for (default every platform), each checked."""
    if products is None:
        wanted = store.ids(Q_PLATFORMS, platform=Category.PLATFORM.value)
    else:
        wanted = [products] if isinstance(products, str) else list(products)
    found = {r["id"]: r for r in store.read(Q_KINDS, ids=wanted)}
    for pid in wanted:
        if found.get(pid, {}).get("kind") != NodeKind.PRODUCT:
            raise UnknownNodeError(pid, store.ids(Q_IDS_OF_LABEL["product"]), "product")
    return [(pid, found[pid]["name"]) for pid in wanted]


def makers(store: Store, products: Sequence[str]) -> dict[str, list[str]]:
    """Facilities making each product at the date, picked by the in-memory rule
    (``oretrace.queries.exposure.makers``) among those the server finds listing it."""
    S = nx.MultiDiGraph()
    for row in store.read(Q_MAKERS, products=sorted(set(products))):  # in the graph's order
        S.add_node(row["id"], kind=NodeKind.FACILITY, stage=row["stage"],
                   products=row["products"] or [])
    return _makers_of(S, products)


def _search(store: Store, starts: Iterable[str]) -> tuple[set[str], list[dict[str, Any]]]:
    """``starts`` and every facility upstream of them along needed supplies, and the
    supplies into each one: a breadth-first search by levels, one query per level that
    sends each facility once."""
    seen = set(starts)
    frontier = sorted(seen)
    hops: list[dict[str, Any]] = []
    while frontier:
        rows = store.read(Q_INTO, frontier=frontier)
        hops += rows
        found = {r["u"] for r in rows}
        frontier = sorted(found - seen)
        seen |= found
    return seen, hops


def reach(store: Store, starts: Iterable[str]) -> set[str]:
    """``starts`` and every facility upstream of them along needed supplies."""
    return _search(store, starts)[0]


def _supply_graph(store: Store, facilities: set[str], hops: Iterable[dict[str, Any]],
                  fed_by: dict[str, list[str]]) -> nx.DiGraph:
    """The needed-supply graph on ``facilities`` (``hops`` between them) and the products of
    ``fed_by`` (each fed by its makers), shaped as ``supply_graph`` shapes it.

    Nodes and edges are added in the order ``supply_graph`` adds them on the whole graph
    (facilities in the graph's order, each one's supplies in its in-edge order, from the
    ``_seq`` and ``_in`` the push stored; then the products), so witness paths break ties
    alike.
    """
    H = nx.DiGraph()
    for row in sorted(store.read(Q_NODES, ids=sorted(facilities)), key=lambda r: r["seq"]):
        H.add_node(row["id"], confidence=Confidence(row["confidence"] or Confidence.DOCUMENTED),
                   sources=list(row["sources"] or []))
    into: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(hops, key=lambda r: r["place"]):
        if row["u"] in facilities and row["v"] in facilities:
            into.setdefault(row["v"], []).append(row)
    levels: dict[tuple[Any, Any], Confidence] = {}  # a few pairs: each computed once
    for buyer in list(H):
        for row in into.get(buyer, ()):
            pair = (row["confidence"] or Confidence.DOCUMENTED, row["need"])
            level = levels.get(pair)
            if level is None:
                level = levels[pair] = weakest(list(pair))
            _add_hop(H, row["u"], buyer, {"product": row["product"],
                                          "sources": row["sources"] or []}, level)
    for target, facilities_of in fed_by.items():
        H.add_node(target, confidence=Confidence.DOCUMENTED, sources=[], product=True)
        H.add_edges_from((f, target, {"products": [target], "sources": [],
                                      "confidence": Confidence.DOCUMENTED})
                         for f in facilities_of if f in H)
    return H


def upstream_graph(store: Store, fed_by: dict[str, list[str]]) -> nx.DiGraph:
    """The needed-supply graph on every facility upstream of the products of ``fed_by``
    (their makers included), with the products: the part of ``supply_graph`` that holds
    each product's ancestors, whole."""
    facilities, hops = _search(store, {f for makers in fed_by.values() for f in makers})
    return _supply_graph(store, facilities, hops, fed_by)


def chain_gaps(store: Store, target: str, product_makers: Sequence[str],
               floor: Confidence | None, upstream: set[str] | None = None
               ) -> list[ChainGap] | None:
    """``exposure``'s chain check above ``floor``, on the part of the graph it reads.

    Whether ``target`` keeps a chain above the floor depends only on the facilities
    upstream of its makers over hops at least that strong (``upstream``, which
    :func:`reach` finds at the floor) and on their needs: that part is pulled — facilities,
    their products' whole bill of materials, the supplies between them at the floor — and
    the in-memory check runs on it, so the answer is the in-memory one.
    """
    if floor is None:
        return None
    facilities = upstream if upstream is not None else reach(store, product_makers)
    S = nx.MultiDiGraph()
    rows = sorted(store.read(Q_CHAIN, ids=sorted(facilities)), key=lambda r: r["seq"])
    products = sorted({p for r in rows for p in r["products"] or []})
    S.add_nodes_from(products, kind=NodeKind.PRODUCT)
    for row in rows:
        S.add_node(row["id"], kind=NodeKind.FACILITY, stage=row["stage"],
                   products=list(row["products"] or []))
    for row in store.read(Q_BOM, products=products):
        if row["input"] not in S:
            S.add_node(row["input"], kind=NodeKind.PRODUCT)
        S.add_edge(row["product"], row["input"], kind=EdgeKind.REQUIRES, qty=1.0,
                   confidence=row["confidence"] or Confidence.DOCUMENTED)
    for row in store.read(Q_INTO, frontier=sorted(facilities)):
        if row["u"] in facilities:
            S.add_edge(row["u"], row["v"], kind=EdgeKind.SUPPLIES, product=row["product"],
                       confidence=row["confidence"] or Confidence.DOCUMENTED)
    return _gaps(*_floored(S, store.day, floor), target, product_makers)
