"""Exposure: which products reach matching facilities (witness paths), where-used, trace.

Everything here reads the *needed-supply graph* (:func:`supply_graph`): a plain
``networkx.DiGraph`` over facilities with an edge ``u -> v`` when ``u`` supplies ``v`` a
product ``v`` needs (``oretrace.graphmodel.supply_edges``), plus an edge from each facility making a
target product to that product's node. It is facility-level: a facility's output is taken
to carry everything it receives, as the feasibility model of DESIGN §3 reads it.

Confidence of a hop ``u -> v``: the weakest of the supply edge and the bill-of-materials
line that makes its product needed (the strongest such pair when several products flow).
A witness path's confidence is the weakest over its facilities and hops; an answer's
``confidence`` is that of its strongest witness, which is exactly the highest
``min_confidence`` at which the answer still holds. Ties between equally short paths are
broken by the graph's own order (facilities in the order of ``G``), never by set order, so
a supply graph built on a part of the facilities gives the same paths as the whole one.

:func:`find_exposed` and :func:`find_where_used` take ``engine`` (see
:mod:`oretrace.queries.feasibility`): on large graphs the facilities upstream of each product (or
downstream of the node) are found on the compiled form
(:func:`oretrace.graphmodel.compiled.upstream_mask`,
:func:`~oretrace.graphmodel.compiled.where_used_mask`) and the needed-supply graph, with its witness
paths, is built on those facilities only. The compiled form reads the network at a date, not
above a confidence floor: with ``min_confidence`` the plain engine answers.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> from oretrace.queries.predicates import CN_TECHNOLOGY
>>> G = load_dataset(MINI)
>>> [e.paths for e in find_exposed(G, CN_TECHNOLOGY, as_of="2026-06-01")]
[[['cn-mine', 'cn-sep', 'jp-mag', 'us-comp', 'us-asm', 'missile']]]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any, Final, Literal

import networkx as nx
import numpy as np
import pandas as pd
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    QueryError,
    UnknownNodeError,
    compiled,
    is_active,
    need_confidence,
    nodes_of,
    parse_date,
    platforms,
    restrict,
    weakest,
)
from oretrace.graphmodel.vocab import Category, EdgeKind, NodeKind, Stage
from oretrace.queries.feasibility import (
    Engine,
    Need,
    SupplyNetwork,
    choose_engine,
    supplied_mask,
    supply_network,
)
from oretrace.queries.predicates import (
    ANY_CN,
    CN_OWNED,
    CN_PROCESSING,
    CN_TECHNOLOGY,
    Predicate,
    controlled_companies,
)
from oretrace.queries.predicates import predicate as named_predicate
from pydantic import BaseModel, Field

__all__ = [
    "NO_CHAIN",
    "ChainGap",
    "Dependant",
    "Exposure",
    "effective_stage",
    "find_broken_chains",
    "find_exposed",
    "find_where_used",
    "makers",
    "path_confidence",
    "resolve_products",
    "supply_graph",
    "trace",
    "witness_paths",
]

#: Confidence levels, strongest first.
_LEVELS: tuple[Confidence, ...] = tuple(
    sorted(Confidence, key=lambda c: -CONFIDENCE_ORDER[c]))

#: The stage a market node stands for, read from the category of what it pools.
_CATEGORY_STAGE: dict[str, str] = {
    Category.ORE: Stage.MINE, Category.CONCENTRATE: Stage.CONCENTRATION,
    Category.OXIDE: Stage.SEPARATION, Category.METAL: Stage.METAL,
    Category.ALLOY: Stage.ALLOY, Category.MAGNET: Stage.MAGNET,
    Category.SCRAP: Stage.RECYCLING, Category.COMPONENT: Stage.COMPONENT,
    Category.SUBSYSTEM: Stage.SUBSYSTEM, Category.PLATFORM: Stage.ASSEMBLY,
}


#: The status of a product that has no supply chain left at the confidence floor asked for.
NO_CHAIN: Final = "no_chain_at_level"


class ChainGap(BaseModel):
    """Where a chain breaks at a confidence floor.

    ``facility`` needs ``product`` and no supplier of it is supplied at that level;
    ``facility`` is ``None`` when no facility makes ``product`` at the date.
    """

    facility: str | None
    product: str


class Exposure(BaseModel):
    """A product whose needed supply reaches facilities matching a predicate.

    Under a confidence floor, a product that is not exposed *and* has no supply chain left
    at that level is listed too, with ``status`` ``no_chain_at_level``: "not exposed" is
    then not an answer the evidence at that level can give. Such an entry has no
    ``through`` or ``paths``; ``gaps`` says where its chains break, and ``confidence`` is
    the floor.
    """

    platform: str
    name: str | None
    predicate: str
    as_of: dt.date
    through: list[str]
    paths: list[list[str]]
    path_confidence: list[Confidence]
    confidence: Confidence
    sources: list[str]
    status: Literal["exposed", "no_chain_at_level"] = "exposed"
    gaps: list[ChainGap] = Field(default_factory=list)


class Dependant(BaseModel):
    """A product that depends on ``node`` (through the facilities in ``via``).

    Under a confidence floor, a product that does not depend on ``node`` at that level and
    has no supply chain left there is listed with ``status`` ``no_chain_at_level``, as in
    :class:`Exposure`.
    """

    node: str
    platform: str
    name: str | None
    as_of: dt.date
    via: list[str]
    paths: list[list[str]]
    path_confidence: list[Confidence]
    confidence: Confidence
    sources: list[str]
    status: Literal["depends", "no_chain_at_level"] = "depends"
    gaps: list[ChainGap] = Field(default_factory=list)


# --------------------------------------------------------------------------- the graph


def _rank(level: Any) -> int:
    return CONFIDENCE_ORDER.get(level, CONFIDENCE_ORDER[Confidence.DOCUMENTED])


def _needs(G: nx.MultiDiGraph, facility: str) -> dict[str, Confidence]:
    """Needed inputs of ``facility`` with the strongest confidence of a BOM line asking for each."""
    return {p: Confidence(level) for p, level in need_confidence(G, facility).items()}


def makers(G: nx.MultiDiGraph, product: str) -> list[str]:
    """Facilities making ``product``: the non-market ones, or the markets when there are none."""
    facilities = [n for n, d in G.nodes(data=True)
                  if d.get("kind") == NodeKind.FACILITY and product in d.get("products", ())]
    plants = [f for f in facilities if G.nodes[f].get("stage") != Stage.MARKET]
    return plants or facilities


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
    return _supply_graph(G, {t: makers(G, t) for t in targets})


def _supply_graph(G: nx.MultiDiGraph, targets: Mapping[str, Sequence[str]], *,
                  day: dt.date | None = None, keep: set[str] | None = None) -> nx.DiGraph:
    """:func:`supply_graph` with each target fed by the facilities given for it.

    With ``day`` and ``keep``, ``G`` is read as ``restrict(G, as_of=day)`` would show it,
    with only the facilities in ``keep`` (all active at ``day``): the subgraph of the whole
    needed-supply graph that they induce, nodes and edges added in the same order, built
    without view filters.
    """
    H = nx.DiGraph()
    for node, d in G.nodes(data=True):
        if d.get("kind") == NodeKind.FACILITY and (keep is None or node in keep):
            H.add_node(node, confidence=Confidence(d.get("confidence", Confidence.DOCUMENTED)),
                       sources=list(d.get("sources", [])))
    for buyer in list(H):
        needs = _needs(G, buyer)
        for supplier, _, d in G.in_edges(buyer, data=True):
            if d.get("kind") != EdgeKind.SUPPLIES or d.get("product") not in needs:
                continue
            if supplier not in H or (day is not None and not is_active(d, day)):
                continue
            level = weakest([d.get("confidence", Confidence.DOCUMENTED), needs[d["product"]]])
            if H.has_edge(supplier, buyer):
                hop = H.edges[supplier, buyer]
                hop["products"] = sorted(set(hop["products"]) | {d["product"]})
                hop["sources"] = sorted(set(hop["sources"]) | set(d.get("sources", [])))
                if _rank(level) > _rank(hop["confidence"]):
                    hop["confidence"] = level
            else:
                H.add_edge(supplier, buyer, products=[d["product"]], confidence=level,
                           sources=sorted(set(d.get("sources", []))))
    for target, facilities in targets.items():
        H.add_node(target, confidence=Confidence.DOCUMENTED, sources=[], product=True)
        for facility in facilities:
            if facility in H:
                H.add_edge(facility, target, products=[target],
                           confidence=Confidence.DOCUMENTED, sources=[])
    return H


def _dated_subgraph(G: nx.MultiDiGraph, day: dt.date, facilities: Iterable[str]
                    ) -> nx.MultiDiGraph:
    """``restrict(G, as_of=day)`` with only ``facilities`` among its facilities, built as a
    plain graph (reading it costs no view filters). Nodes keep ``G``'s order and each node's
    incoming edges theirs; attributes are shallow copies. The compiled engines read the
    facilities that matter on the compiled form and the details on this."""
    keep = set(facilities)
    S = nx.MultiDiGraph()
    S.graph.update(G.graph)
    S.add_nodes_from((n, d) for n, d in G.nodes(data=True)
                     if (n in keep if d.get("kind") == NodeKind.FACILITY else is_active(d, day)))
    pred = G.pred
    S.add_edges_from((u, v, key, d) for v in S for u, keyed in pred[v].items() if u in S
                     for key, d in keyed.items() if is_active(d, day))
    return S


def _makers_of(G: nx.MultiDiGraph, products: Iterable[str]) -> dict[str, list[str]]:
    """:func:`makers` of each product, in one pass over ``G``."""
    wanted: dict[str, tuple[list[str], list[str]]] = {p: ([], []) for p in products}
    for n, d in G.nodes(data=True):
        if d.get("kind") != NodeKind.FACILITY:
            continue
        market = d.get("stage") == Stage.MARKET
        for p in d.get("products", ()):
            if p in wanted:
                wanted[p][1 if market else 0].append(n)
    return {p: plants or pools for p, (plants, pools) in wanted.items()}


def resolve_products(G: nx.MultiDiGraph, products: str | Iterable[str] | None) -> list[str]:
    """Return the product ids asked for (default: every platform), checking each exists."""
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


# --------------------------------------------------------------------------- paths


def path_confidence(H: nx.DiGraph, path: Sequence[str]) -> Confidence:
    """The weakest confidence over the facilities and hops of ``path`` in ``H``."""
    levels = [H.nodes[n]["confidence"] for n in path if not H.nodes[n].get("product")]
    levels += [H.edges[u, v]["confidence"] for u, v in zip(path, path[1:], strict=False)]
    return weakest(levels)


def _path_sources(H: nx.DiGraph, paths: Iterable[Sequence[str]]) -> list[str]:
    out: set[str] = set()
    for path in paths:
        for n in path:
            out.update(H.nodes[n].get("sources", []))
        for u, v in zip(path, path[1:], strict=False):
            out.update(H.edges[u, v].get("sources", []))
    return sorted(out)


def _start_nodes(H: nx.DiGraph, nodes: set[str], edge_ok: Callable[[Any], bool]) -> set[str]:
    """Nodes of the source components of ``H`` restricted to ``nodes`` and the hops passing
    ``edge_ok``: where supply begins."""
    sub = nx.DiGraph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from((u, v) for v in nodes for u, d in H.pred[v].items()
                       if u in nodes and edge_ok(d))
    cond = nx.condensation(sub)
    return {m for c in cond if cond.in_degree(c) == 0 for m in cond.nodes[c]["members"]}


def _k_shortest_through(nodes: Sequence[str], edges: Iterable[tuple[str, str]],
                        starts: Sequence[str], waypoints: Sequence[set[str]], target: str,
                        k: int) -> list[list[str]]:
    """Up to ``k`` fewest-hop walks ``starts`` → ``target`` meeting each waypoint set in order.

    Built on a layered copy of the graph (``nodes``, ``edges``, added in the order given)
    whose layer counts the waypoint sets met so far, so ``nx.shortest_simple_paths`` (Yen)
    never enumerates the full path set.
    """
    m = len(waypoints)

    def advance(state: int, node: str) -> int:
        while state < m and node in waypoints[state]:
            state += 1
        return state

    layered = nx.DiGraph()
    origin = ("", -1)
    for s in starts:
        layered.add_edge(origin, (s, advance(0, s)))
    for u, v in edges:
        for state in range(m + 1):
            layered.add_edge((u, state), (v, advance(state, v)))
    goal = (target, m)
    if goal not in layered or not nx.has_path(layered, origin, goal):
        return []
    walks = nx.shortest_simple_paths(layered, origin, goal)
    return [[node for node, _ in walk[1:]] for walk in islice(walks, k)]


def _search(adjacency: Any, sources: Iterable[str], node_ok: Callable[[str], bool],
            edge_ok: Callable[[Any], bool]) -> set[str]:
    """Nodes reached from ``sources`` over ``adjacency`` (``H.succ`` or ``H.pred``) through
    nodes passing ``node_ok`` and hops passing ``edge_ok``; sources are not included unless
    reached again."""
    stack = list(sources)
    seen: set[str] = set()
    while stack:
        u = stack.pop()
        for v, d in adjacency[u].items():
            if v not in seen and node_ok(v) and edge_ok(d):
                seen.add(v)
                stack.append(v)
    return seen


def witness_paths(H: nx.DiGraph, target: str, waypoints: Sequence[set[str]], k: int, *,
                  starts: set[str] | None = None) -> list[tuple[list[str], Confidence]]:
    """Return up to ``k`` witness paths to ``target`` through ``waypoints``, strongest first.

    For each confidence level, strongest first, the graph keeps only facilities and hops at
    least that strong, and the fewest-hop paths from where supply begins there (a facility
    with no supplier left: usually a mine) to ``target`` are added. Without ``starts`` a
    path begins where supply begins; with ``starts`` it begins at one of them. The search
    reads only the facilities on some path from a beginning to ``target``, in ``H``'s node
    and edge order (ties between equally short paths follow it).
    """
    found: list[tuple[list[str], Confidence]] = []
    seen: set[tuple[str, ...]] = set()
    if target not in H:
        return found
    top = max(CONFIDENCE_ORDER.values())
    rank = {n: top if d.get("product") else CONFIDENCE_ORDER[d["confidence"]]
            for n, d in H.nodes(data=True)}
    position: dict[str, int] | None = None
    for level in _LEVELS:
        floor = CONFIDENCE_ORDER[level]
        if rank[target] < floor:
            continue

        def node_ok(n: str, f: int = floor) -> bool:
            return rank[n] >= f

        def edge_ok(d: Any, f: int = floor) -> bool:
            return bool(CONFIDENCE_ORDER[d["confidence"]] >= f)

        upstream = _search(H.pred, [target], node_ok, edge_ok) - {target}
        if starts is not None:
            begin = starts & upstream
            inside = upstream | {target}
            keep = begin | _search(H.succ, begin, inside.__contains__, edge_ok)
        else:
            begin = _start_nodes(H, upstream, edge_ok)
            keep = upstream | {target}
        if not begin:
            continue
        if position is None:
            position = {n: i for i, n in enumerate(H)}
        nodes = sorted(keep, key=position.__getitem__)
        edges = [(u, v) for u in nodes for v, d in H.succ[u].items() if v in keep and edge_ok(d)]
        ordered = sorted(begin, key=position.__getitem__)
        for path in _k_shortest_through(nodes, edges, ordered, waypoints, target,
                                        k + len(found)):
            key = tuple(path)
            if key in seen:
                continue
            seen.add(key)
            found.append((path, path_confidence(H, path)))
            if len(found) >= k:
                return found
    return found


# --------------------------------------------------------------------------- chains


def _floored(G: nx.MultiDiGraph, day: dt.date, floor: str | Confidence
             ) -> tuple[SupplyNetwork, list[bool]]:
    """The supply network of ``G`` at ``day`` read above a confidence floor, and which of
    its facilities are supplied there.

    A chain at a level is one whose every hop is at least that strong, a hop being as
    strong as the weakest of its link and the bill-of-materials line that makes its product
    needed (as in :func:`supply_graph`). Needs are those of the whole bill of materials: a
    weak line does not make a need vanish, it leaves the need unmet at the floor. So a
    facility is supplied above the floor when each of its needs is met by a supplied
    supplier over such a hop (the AND/OR of DESIGN §3,
    :func:`oretrace.queries.feasibility.supplied_mask`).
    """
    net = supply_network(G, as_of=day)
    least = CONFIDENCE_ORDER[floor]
    needs: list[tuple[Need, ...]] = []
    out: list[dict[tuple[int, int], None]] = [{} for _ in net.facilities]
    for i, (buyer, row) in enumerate(zip(net.facilities, net.needs, strict=True)):
        # read on G itself (a view filters every step): BOM lines have no dates
        lines = need_confidence(G, buyer) if row else {}
        kept: list[Need] = []
        for j, need in enumerate(row):
            strong = _rank(lines.get(need.product)) >= least
            sups = tuple((u, p) for u, p in need.suppliers
                         if strong and _link_rank(G, day, net.facilities[u], buyer, p) >= least)
            kept.append(replace(need, suppliers=sups))
            for u, _ in sups:
                out[u][(i, j)] = None
        needs.append(tuple(kept))
    floored = replace(net, needs=tuple(needs), out_links=tuple(tuple(o) for o in out))
    return floored, supplied_mask(floored)


def _link_rank(G: nx.MultiDiGraph, day: dt.date, supplier: str, buyer: str, product: str
               ) -> int:
    """The rank of the strongest supply link ``supplier -> buyer`` carrying ``product`` at
    ``day``."""
    return max((_rank(d.get("confidence")) for d in G.get_edge_data(supplier, buyer).values()
                if d.get("kind") == EdgeKind.SUPPLIES and d.get("product") == product
                and is_active(d, day)), default=-1)


def _gaps(net: SupplyNetwork, ok: Sequence[bool], product: str, makers: Sequence[str]
          ) -> list[ChainGap] | None:
    """``None`` when a maker of ``product`` is supplied (per ``ok``), else where its chains
    break: the needs left with no supplier, found by walking up from the makers through
    unsupplied facilities and their unmet needs only (a need another supplier meets is never
    blamed); sorted."""
    start = [net.index[f] for f in makers if f in net.index]
    if any(ok[i] for i in start):
        return None
    if not start:
        return [ChainGap(facility=None, product=product)]
    gaps: set[tuple[str, str]] = set()
    seen, stack = set(start), list(start)
    while stack:
        i = stack.pop()
        for need in net.needs[i]:
            if any(ok[u] for u, _ in need.suppliers):
                continue
            if not need.suppliers:
                gaps.add((net.facilities[i], need.product))
            for u, _ in need.suppliers:
                if u not in seen:
                    seen.add(u)
                    stack.append(u)
    return [ChainGap(facility=f, product=p) for f, p in sorted(gaps)]


def find_broken_chains(
    G: nx.MultiDiGraph,
    *,
    min_confidence: str | Confidence,
    as_of: str | dt.date | None = None,
    products: str | Iterable[str] | None = None,
) -> dict[str, list[ChainGap]]:
    """Return the products with no supply chain left at a confidence floor, with the breaks.

    A chain at a level has every hop at least that strong (link and bill-of-materials line
    alike); a weak line leaves its need unmet rather than gone. This is the check behind the
    ``no_chain_at_level`` entries of :func:`find_exposed` and :func:`find_where_used`, for
    any other answer read above a floor.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}
        The confidence floor.
    as_of : date or ISO str, optional
        The date to read the network at (default today).
    products : str or iterable of str, optional
        The products to test (default every platform).

    Returns
    -------
    dict of str to list of ChainGap
        Each product without a chain at that level, in the order asked, mapped to the needs
        left with no supplier on its failing chains (``facility`` ``None``: nothing makes
        the product at the date).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> find_broken_chains(load_dataset(MINI), min_confidence="estimated", as_of="2026-06-01")
    {'missile': [ChainGap(facility='us-asm', product='actuator')]}
    """
    day = parse_date(as_of)
    targets = resolve_products(G, products)
    restrict(G, min_confidence=min_confidence)  # the same QueryError for a bad level
    check = _ChainCheck(G, day, min_confidence, _makers_of(restrict(G, as_of=day), targets))
    found = {t: check.gaps(t) for t in targets}
    return {t: gaps for t, gaps in found.items() if gaps is not None}


class _ChainCheck:
    """Which products have no chain left above ``floor`` (``None``: no floor, no check)."""

    def __init__(self, G: nx.MultiDiGraph, day: dt.date, floor: str | Confidence | None,
                 makers: Mapping[str, Sequence[str]]) -> None:
        self.floor = None if floor is None else Confidence(floor)
        self.makers = makers
        self._net: tuple[SupplyNetwork, list[bool]] | None = None
        self._G, self._day = G, day

    def gaps(self, product: str) -> list[ChainGap] | None:
        """``None`` when ``product`` keeps a chain (or there is no floor), else its gaps."""
        if self.floor is None:
            return None
        if self._net is None:
            self._net = _floored(self._G, self._day, self.floor)
        return _gaps(*self._net, product, self.makers.get(product, ()))


# --------------------------------------------------------------------------- queries


def find_exposed(
    G: nx.MultiDiGraph,
    predicate: Predicate | str = ANY_CN,
    *,
    as_of: str | dt.date | None = None,
    k: int = 3,
    min_confidence: str | Confidence | None = None,
    products: str | Iterable[str] | None = None,
    engine: Engine = "auto",
) -> list[Exposure]:
    """Return every product whose needed supply reaches a facility matching ``predicate``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    predicate : Predicate or str
        What to look for: a :class:`oretrace.queries.predicates.Predicate` or its name
        (``cn-processing``, ``cn-owned``, ``cn-technology``, ``any``; ``a|b``, ``a&b``).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    k : int
        The most witness paths to return per product (default 3).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first. A product that is then
        not exposed and has no supply chain left at that level (no supply whose every hop
        is that strong, :func:`find_broken_chains`) is reported with ``status``
        ``no_chain_at_level`` rather than left out.
    products : str or list of str, optional
        The products to test (default every platform).
    engine : {"auto", "plain", "compiled"}
        ``plain``: networkx over the whole supply graph (the reference); ``compiled``:
        reachability on the compiled form, paths on the upstream facilities only (the same
        answer); ``auto`` (default): compiled on large graphs without ``min_confidence``.

    Returns
    -------
    list of Exposure
        One per exposed product: ``through`` (matching facilities upstream), ``paths``
        (start of supply → … → product, strongest first), their confidence, the exposure's
        ``confidence`` (its strongest path) and the sources the paths rest on. Under
        ``min_confidence``, also one per product with no chain left at that level
        (``status`` ``no_chain_at_level``, ``gaps`` where its chains break), in the order
        of the products.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> [(e.platform, e.through) for e in find_exposed(G, "cn-processing")]
    [('missile', ['cn-sep'])]
    >>> find_exposed(G, "cn-processing", products=["F-53"])
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.UnknownNodeError: no product with id 'F-53'
    """
    _check_k(k)
    pred = _as_predicate(predicate)
    day = parse_date(as_of)
    targets = resolve_products(G, products)
    V = restrict(G, as_of=day, min_confidence=min_confidence)
    use = choose_engine(G, engine, query="find_exposed",
                        unsupported=None if min_confidence is None else "min_confidence")
    matched = pred.select(V)
    if use == "compiled":
        cg = compiled.compile_graph(G, as_of=day)
        fed_by = _makers_of(V, targets)
        upstream_of: dict[str, set[str]] = {}
        for target in targets:
            mask = compiled.upstream_mask(cg, fed_by[target])
            upstream = {cg.facilities[i] for i in np.flatnonzero(mask).tolist()}
            if upstream & matched:
                upstream_of[target] = upstream
        H = _supply_graph(G, {t: fed_by[t] for t in upstream_of}, day=day,
                          keep=set().union(*upstream_of.values()))
    else:
        H = supply_graph(V, targets=targets)
        upstream_of = {t: nx.ancestors(H, t) for t in targets}
    check = _ChainCheck(G, day, min_confidence,
                        _makers_of(V, targets) if min_confidence is not None else {})
    out: list[Exposure] = []
    for target in targets:
        through = sorted(upstream_of.get(target, set()) & matched)
        if not through:
            gaps = check.gaps(target)
            if gaps is not None and check.floor is not None:
                out.append(Exposure(
                    platform=target, name=G.nodes[target].get("name"), predicate=pred.name,
                    as_of=day, through=[], paths=[], path_confidence=[], confidence=check.floor,
                    sources=[], status=NO_CHAIN, gaps=gaps))
            continue
        found = witness_paths(H, target, [set(through)], k)
        paths = [p for p, _ in found]
        out.append(Exposure(
            platform=target, name=G.nodes[target].get("name"), predicate=pred.name, as_of=day,
            through=through, paths=paths, path_confidence=[c for _, c in found],
            confidence=found[0][1] if found else weakest([H.nodes[t]["confidence"]
                                                          for t in through]),
            sources=_path_sources(H, paths)))
    return out


def _facilities_for(G: nx.MultiDiGraph, node: str) -> tuple[list[str], str | None]:
    """The facilities standing for ``node``, and the product their first hop must carry."""
    attrs = G.nodes.get(node)
    if attrs is None:
        raise UnknownNodeError(node, list(G.nodes), "node")
    kind = attrs.get("kind")
    if kind == NodeKind.FACILITY:
        return [node], None
    if kind == NodeKind.TECHNOLOGY:
        return sorted({u for u, _, d in G.in_edges(node, data=True)
                       if d.get("kind") == EdgeKind.USES}), None
    if kind == NodeKind.COMPANY:
        group = _controlled_by(G, node)
        return sorted(n for n, d in G.nodes(data=True)
                      if d.get("kind") == NodeKind.FACILITY and d.get("company") in group), None
    if kind == NodeKind.PRODUCT:
        return sorted(n for n, d in G.nodes(data=True)
                      if d.get("kind") == NodeKind.FACILITY
                      and node in d.get("products", ())), node
    raise QueryError(f"{node!r} is a {kind}; where-used reads facilities, companies, "
                     "technologies and products")


def _controlled_by(G: nx.MultiDiGraph, company: str) -> set[str]:
    """``company`` and the companies it controls under the 50 % affiliate reading."""
    probe = nx.MultiDiGraph()
    for n, d in G.nodes(data=True):
        if d.get("kind") == NodeKind.COMPANY:
            probe.add_node(n, kind=NodeKind.COMPANY, country="@" if n == company else None)
    for u, v, key, d in G.edges(keys=True, data=True):
        if d.get("kind") == EdgeKind.OWNS:
            probe.add_edge(u, v, key=key, kind=EdgeKind.OWNS, share=d.get("share", 0.0))
    return controlled_companies(probe, "@")


def find_where_used(
    G: nx.MultiDiGraph,
    node: str,
    *,
    as_of: str | dt.date | None = None,
    k: int = 3,
    min_confidence: str | Confidence | None = None,
    products: str | Iterable[str] | None = None,
    engine: Engine = "auto",
) -> list[Dependant]:
    """Return the platforms (or ``products``) whose needed supply depends on ``node``.

    ``node`` may be a facility; a company (the facilities it or its ≥ 50 %-controlled
    subsidiaries operate); a technology (the facilities running it); or a product (the
    facilities making it, whose first hop must carry that product). Paths run from
    ``node``'s facilities down to the platform, strongest first. ``engine`` as in
    :func:`find_exposed` (compiled: the facilities downstream of ``node``'s are found on the
    compiled form, and paths are sought among them only). Under ``min_confidence`` a product
    that does not depend on ``node`` at that level and has no supply chain left there is
    listed with ``status`` ``no_chain_at_level``, as in :func:`find_exposed`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    node : str
        The id of a facility, company, technology or product.
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    k : int
        The most witness paths to return per product (default 3).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first (default: keep all).
    products : str or iterable of str, optional
        The products to test (default every platform).
    engine : {"auto", "plain", "compiled"}
        ``plain``: networkx over the whole supply graph (the reference); ``compiled``:
        reachability on the compiled form, paths among the facilities found only (the same
        answer); ``auto`` (default): compiled on large graphs without ``min_confidence``.

    Returns
    -------
    list of Dependant
        One per dependent product: ``via`` (``node``'s facilities on its supply), ``paths``
        (from them down to the product, strongest first) with their confidence, the
        dependant's ``confidence`` (its strongest path), ``sources`` and ``status``.

    Raises
    ------
    UnknownNodeError
        When ``node`` or a product id names no such node; the message lists close matches.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> [(d.platform, d.via, d.paths) for d in find_where_used(G, "cn-sx", as_of="2026-01-01")]
    [('missile', ['cn-sep'], [['cn-sep', 'jp-mag', 'us-comp', 'us-asm', 'missile']])]
    """
    _check_k(k)
    day = parse_date(as_of)
    facilities, carried = _facilities_for(G, node)
    targets = resolve_products(G, products)
    V = restrict(G, as_of=day, min_confidence=min_confidence)
    use = choose_engine(G, engine, query="find_where_used",
                        unsupported=None if min_confidence is None else "min_confidence")
    if use == "compiled":
        cg = compiled.compile_graph(G, as_of=day)
        via = {f for f in facilities if f in cg.index}
        mask = compiled.where_used_mask(cg, via, product=carried)
        below = {cg.facilities[i] for i in np.flatnonzero(mask).tolist()}
        fed_by = _makers_of(V, targets)
        # a maker in ``via`` reaches the target only if its hop carries ``carried``
        reached = {t: fed_by[t] for t in targets if any(
            m in below and not (carried is not None and carried != t and m in via)
            for m in fed_by[t])}
        H = _supply_graph(G, reached, day=day, keep=below)
    else:
        H = supply_graph(V, targets=targets)
        via = {f for f in facilities if f in H}
    if carried is not None:  # a product: only hops carrying it leave its makers
        drop = [(u, v) for u, v, d in H.out_edges(via, data=True) if carried not in d["products"]]
        H.remove_edges_from(drop)
    check = _ChainCheck(G, day, min_confidence,
                        _makers_of(V, targets) if min_confidence is not None else {})
    out: list[Dependant] = []
    for target in targets:
        # compiled: a target not in H is not downstream of ``node`` at all
        upstream = nx.ancestors(H, target) & via if target in H else set()
        if not upstream:
            gaps = check.gaps(target)
            if gaps is not None and check.floor is not None:
                out.append(Dependant(
                    node=node, platform=target, name=G.nodes[target].get("name"), as_of=day,
                    via=[], paths=[], path_confidence=[], confidence=check.floor, sources=[],
                    status=NO_CHAIN, gaps=gaps))
            continue
        found = witness_paths(H, target, [upstream], k, starts=upstream)
        paths = [p for p, _ in found]
        out.append(Dependant(
            node=node, platform=target, name=G.nodes[target].get("name"), as_of=day,
            via=sorted(upstream), paths=paths, path_confidence=[c for _, c in found],
            confidence=found[0][1] if found else Confidence.ILLUSTRATIVE,
            sources=_path_sources(H, paths)))
    return out


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
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    product : str
        The product id (usually a platform).
    predicate : Predicate or str
        What ``match`` tests: a :class:`oretrace.queries.predicates.Predicate` or its name
        (default ``any``: cn-processing, cn-owned or cn-technology).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first (default: keep all).

    Returns
    -------
    pandas.DataFrame
        One row per needed link into the product's supply, with the columns listed below.

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
    H = supply_graph(V, targets=[target])
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
                share = None
                if buyer != target:
                    data = V.get_edge_data(facility, buyer) or {}
                    share = next((d.get("share") for d in data.values()
                                  if d.get("kind") == EdgeKind.SUPPLIES
                                  and d.get("product") == shipped), None)
                rows.append({
                    "stage": attrs.get("stage"), "facility": facility, "name": attrs.get("name"),
                    "country": attrs.get("country"), "company": attrs.get("company"),
                    "product": shipped, "buyer": buyer, "share": share,
                    "depth": depth.get(facility),
                    "confidence": weakest([hop["confidence"], H.nodes[facility]["confidence"]]),
                    "marks": [name for name, chosen in marks.items() if facility in chosen],
                    "match": facility in matched,
                    "sources": sorted(set(attrs.get("sources", [])) | set(hop["sources"])),
                    "_rank": _stage_rank(V, facility)})
    columns = ["stage", "facility", "name", "country", "company", "product", "buyer", "share",
               "depth", "confidence", "marks", "match", "sources"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows).sort_values(["_rank", "depth", "facility", "buyer", "product"],
                                           ascending=[True, False, True, True, True])
    return frame[columns].reset_index(drop=True)
