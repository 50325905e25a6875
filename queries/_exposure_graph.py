"""The needed-supply graph the exposure queries read (see :mod:`oretrace.queries.exposure`).

Who makes a product, what a facility needs and what exists at a date are the model's rules
(:func:`oretrace.graphmodel.makers_of`, :func:`~oretrace.graphmodel.need_confidence`,
:func:`~oretrace.graphmodel.is_active` / :func:`~oretrace.graphmodel.restrict`): this
module only shapes them into one facility-level graph.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    QueryError,
    UnknownNodeError,
    is_active,
    need_confidence,
    nodes_of,
    platforms,
    weakest,
)
from oretrace.graphmodel.graph import makers_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage
from oretrace.queries.predicates import Predicate, predicate as named_predicate

__all__ = ["makers", "resolve_products", "supply_graph"]


def _rank(level: Any) -> int:
    """The order of a confidence level (a missing one counts as documented)."""
    return CONFIDENCE_ORDER.get(level, CONFIDENCE_ORDER[Confidence.DOCUMENTED])


def _makers_of(G: nx.MultiDiGraph, products: Iterable[str]) -> dict[str, list[str]]:
    """:func:`makers` of each product: :func:`oretrace.graphmodel.makers_of`, and for a
    product no plant makes, the markets pooling it (one more pass, only then)."""
    found = makers_of(G, products)
    bare = {p for p, plants in found.items() if not plants}
    if bare:
        for n, d in G.nodes(data=True):
            if d.get("kind") == NodeKind.FACILITY and d.get("stage") == Stage.MARKET:
                for p in dict.fromkeys(d.get("products", ())):
                    if p in bare:
                        found[p].append(n)
    return found


def makers(G: nx.MultiDiGraph, product: str) -> list[str]:
    """Return the facilities making ``product``: the plants, or the markets when none.

    The plants are :func:`oretrace.graphmodel.facilities_making` (the non-market facilities
    listing ``product``, in node order); a product no plant makes is made by the markets
    pooling it. ``G`` may be a dated view (not mutated).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> makers(load_dataset(MINI), "missile")
    ['us-asm']
    """
    return _makers_of(G, [product])[product]


def supply_graph(G: nx.MultiDiGraph, *, targets: Iterable[str] = ()) -> nx.DiGraph:
    """Return the facility-level needed-supply graph of ``G`` (see the module docstring).

    Nodes are the facilities of ``G`` (attributes ``confidence``, ``sources``) and the
    ``targets`` (product ids), each fed by the facilities making it (:func:`makers`). Edges
    carry ``products`` (what flows), ``confidence`` and ``sources``. Pass a time-sliced view
    (``oretrace.graphmodel.restrict``) to read it as of a date.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph or a view of it (not mutated).
    targets : iterable of str
        Product ids to add as sink nodes, each fed by its makers (default none).

    Returns
    -------
    networkx.DiGraph
        A new graph: supplier to buyer, one edge per facility pair with a needed link.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> H = supply_graph(load_dataset(MINI), targets=["missile"])
    >>> sorted(H.predecessors("jp-mag")), H.edges["us-asm", "missile"]["products"]
    (['cn-sep', 'us-sep'], ['missile'])
    """
    return _supply_graph(G, _makers_of(G, list(targets)))


def _supply_graph(G: nx.MultiDiGraph, targets: Mapping[str, Sequence[str]]) -> nx.DiGraph:
    """:func:`supply_graph` with each target fed by the facilities given for it (the
    compiled engine reads the same graph as arrays: :mod:`oretrace.queries._exposure_hops`).
    """
    H = nx.DiGraph()
    for node, d in G.nodes(data=True):
        if d.get("kind") == NodeKind.FACILITY:
            H.add_node(node, confidence=Confidence(d.get("confidence", Confidence.DOCUMENTED)),
                       sources=list(d.get("sources", [])))
    hop_level: dict[tuple[Any, Any], Confidence] = {}  # weakest of (link, need), computed once
    succ, pred = H._succ, H._pred  # filled straight, as add_edge would in this order
    needs_of: dict[tuple[Any, ...], dict[str, str]] = {}  # by what a facility makes, and how
    for buyer in list(H):
        attrs = G.nodes[buyer]
        key = (attrs.get("stage"), *attrs.get("products", ()))
        needs = needs_of.get(key)
        if needs is None:
            needs = needs_of[key] = need_confidence(G, buyer)
        for supplier, keyed in G._pred[buyer].items():  # a dict (or a view's filter)
            if supplier not in succ:
                continue
            for d in keyed.values():
                if d.get("kind") != EdgeKind.SUPPLIES or d.get("product") not in needs:
                    continue
                pair = (d.get("confidence", Confidence.DOCUMENTED), needs[d["product"]])
                level = hop_level.get(pair)
                if level is None:
                    level = hop_level[pair] = weakest(list(pair))
                hop = succ[supplier].get(buyer)
                if hop is None:
                    succ[supplier][buyer] = pred[buyer][supplier] = {
                        "products": [d["product"]], "confidence": level,
                        "sources": sorted(set(d.get("sources", [])))}
                else:
                    _merge_hop(hop, d, level)
    _add_targets(H, targets)
    return H


def _add_targets(H: nx.DiGraph, targets: Mapping[str, Sequence[str]]) -> None:
    """Add each target product to ``H`` as a sink fed by those of its facilities in ``H``
    (documented hops: making a product is not a link with evidence of its own)."""
    for target, facilities in targets.items():
        H.add_node(target, confidence=Confidence.DOCUMENTED, sources=[], product=True)
        for facility in facilities:
            if facility in H:
                H.add_edge(facility, target, products=[target],
                           confidence=Confidence.DOCUMENTED, sources=[])


def _add_hop(H: nx.DiGraph, supplier: str, buyer: str, link: Mapping[str, Any],
             level: Confidence) -> None:
    """Add the supply ``link`` to the hop ``supplier -> buyer`` of ``H`` at ``level``
    (see :func:`_merge_hop`)."""
    if H.has_edge(supplier, buyer):
        _merge_hop(H.edges[supplier, buyer], link, level)
    else:
        H.add_edge(supplier, buyer, products=[link["product"]], confidence=level,
                   sources=sorted(set(link.get("sources", []))))


def _merge_hop(hop: dict[str, Any], link: Mapping[str, Any], level: Confidence) -> None:
    """Add the supply ``link`` at ``level`` to a hop of the supply graph: the hop carries
    every product and source of its links, at the strongest link's level."""
    hop["products"] = sorted(set(hop["products"]) | {link["product"]})
    hop["sources"] = sorted(set(hop["sources"]) | set(link.get("sources", [])))
    if _rank(level) > _rank(hop["confidence"]):
        hop["confidence"] = level


def _dated_subgraph(G: nx.MultiDiGraph, day: dt.date, facilities: Iterable[str]
                    ) -> nx.MultiDiGraph:
    """``restrict(G, as_of=day)`` with only ``facilities`` among its facilities, copied
    into a plain graph (reading it costs no view filters). What exists at ``day`` is
    :func:`oretrace.graphmodel.is_active`, the rule ``restrict`` filters by, applied to
    each node and edge once here rather than through the view's filters (several times
    slower on large graphs). Nodes keep ``G``'s order and each node's incoming edges
    theirs; attributes are shallow copies. The compiled engines read the facilities that
    matter on the compiled form and the details on this."""
    keep = set(facilities)
    S = nx.MultiDiGraph()
    S.graph.update(G.graph)
    S.add_nodes_from((n, d) for n, d in G.nodes(data=True)
                     if (n in keep if d.get("kind") == NodeKind.FACILITY else is_active(d, day)))
    pred = G._pred
    S.add_edges_from((u, v, key, d) for v in S for u, keyed in pred[v].items() if u in S
                     for key, d in keyed.items() if is_active(d, day))
    return S


def resolve_products(G: nx.MultiDiGraph, products: str | Iterable[str] | None) -> list[str]:
    """Return the product ids asked for (default: every platform), checking each exists.

    ``products`` is one product id, several, or ``None`` for every platform; the ids come
    back in the order asked. A product id that names no product raises
    :class:`~oretrace.graphmodel.UnknownNodeError`, whose message lists close matches.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> resolve_products(load_dataset(MINI), None)
    ['missile']
    """
    if products is None:
        return platforms(G)
    wanted = [products] if isinstance(products, str) else list(products)
    known = nodes_of(G, NodeKind.PRODUCT)
    for pid in wanted:
        if G.nodes.get(pid, {}).get("kind") != NodeKind.PRODUCT:
            raise UnknownNodeError(pid, known, "product")
    return wanted


def _as_predicate(value: Predicate | str) -> Predicate:
    return named_predicate(value) if isinstance(value, str) else value


def _check_k(k: int) -> None:
    if k < 1:
        raise QueryError(f"the number of witness paths must be at least 1, not {k}")
