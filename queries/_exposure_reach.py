"""Who reaches whom for the exposure queries: the facilities standing for a where-used node,
and the compiled engine's reach (upstream of products, downstream of a node) with the
needed-supply graph's arrays (:mod:`oretrace.queries._exposure_hops`) the paths are read on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
from oretrace.graphmodel import QueryError, UnknownNodeError, is_active
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._compiled_graph import CompiledGraph, compile_graph
from oretrace.queries._compiled_reach import upstream_mask, where_used_mask
from oretrace.queries._exposure_graph import _makers_of
from oretrace.queries._exposure_hops import base_hops, hop_links, with_targets
from oretrace.queries._exposure_yen import Hops
from oretrace.queries.predicates import Predicate, controlled_companies

__all__: list[str] = []

#: The nodes existing at the compiled form's date, in its ``memo``.
_ALIVE = "oretrace.exposure.alive"


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


def _compiled_upstream(G: nx.MultiDiGraph, V: nx.MultiDiGraph, day: dt.date,
                       targets: Sequence[str], pred: Predicate
                       ) -> tuple[Hops, dict[str, set[str]], set[str]]:
    """The needed-supply graph's arrays with the ``targets`` upstream of which a facility
    matching ``pred`` lies, the matching facilities upstream of each such target (the
    compiled reach), and all the matching facilities."""
    cg = compile_graph(G, as_of=day)
    matched, matched_mask = _selected(G, cg, pred)
    fed_by = _makers(cg, V, targets)
    upstream_of: dict[str, set[str]] = {}
    for target in targets:
        hits = _upstream_of(cg, fed_by[target]) & matched_mask
        if hits.any():  # the upstream facilities that match are all the answer reads
            upstream_of[target] = _facility_ids(cg, hits)
    hops = with_targets(base_hops(G, cg), {t: fed_by[t] for t in upstream_of})
    return hops, upstream_of, matched


def _selected(G: nx.MultiDiGraph, cg: CompiledGraph, pred: Predicate
              ) -> tuple[set[str], np.ndarray[Any, np.dtype[np.bool_]]]:
    """The facilities ``pred`` matches at ``cg``'s date, and their mask over ``cg``'s
    facilities; for a predicate given as data, kept with ``cg`` (the last 8): a question
    asked again of the same date reads it."""

    def select() -> tuple[set[str], np.ndarray[Any, np.dtype[np.bool_]]]:
        matched = pred.select(_dated_view(G, cg))
        mask = np.zeros(len(cg.facilities), dtype=bool)
        mask[cg.facility_index(matched)] = True
        return matched, mask

    matched, mask = select() if pred.spec is None else _kept(
        cg, "oretrace.exposure.selected", 8, pred.spec, select)
    return set(matched), mask


def _upstream_of(cg: CompiledGraph, makers: Sequence[str]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``upstream_mask(cg, makers)``, kept with ``cg`` for the last 64 sets of makers
    (every platform's, for the next exposure question of the date)."""
    got: np.ndarray[Any, np.dtype[np.bool_]] = _kept(
        cg, "oretrace.exposure.upstream", 64, tuple(makers), lambda: upstream_mask(cg, makers))
    return got


def _kept(cg: CompiledGraph, name: str, most: int, key: Any, make: Callable[[], Any]) -> Any:
    """``make()``, kept in ``cg.memo[name]`` under ``key`` with at most ``most`` others
    (the oldest dropped first). What is kept is read, never changed, by its callers."""
    kept: dict[Any, Any] = cg.memo.setdefault(name, {})
    got = kept.get(key)
    if got is None:
        while len(kept) >= most:
            del kept[next(iter(kept))]
        got = kept[key] = make()
    return got


def _dated_view(G: nx.MultiDiGraph, cg: CompiledGraph) -> nx.MultiDiGraph:
    """``restrict(G, as_of=cg.as_of)`` with the nodes that exist at the date found once
    (:func:`oretrace.graphmodel.is_active`, kept with the compiled form): the view's node
    filter is then a set lookup, not the rule applied on every read of every node."""
    day = cg.as_of
    alive: frozenset[str] | None = cg.memo.get(_ALIVE)
    if alive is None:
        alive = cg.memo[_ALIVE] = frozenset(n for n, d in G.nodes(data=True)
                                            if is_active(d, day))
    edges = G.edges

    def keep_edge(u: str, v: str, key: Any) -> bool:
        return is_active(edges[u, v, key], day)

    view: nx.MultiDiGraph = nx.subgraph_view(G, filter_node=alive.__contains__,
                                             filter_edge=keep_edge)
    return view


def _compiled_downstream(G: nx.MultiDiGraph, V: nx.MultiDiGraph, day: dt.date,
                         targets: Sequence[str], facilities: Iterable[str],
                         carried: str | None) -> tuple[Hops, set[str]]:
    """The needed-supply graph's arrays with the ``targets`` downstream of ``facilities``
    (their hops leaving them kept only when carrying ``carried``, when given), and the
    facilities among ``facilities`` active at ``day`` (the compiled reach)."""
    cg = compile_graph(G, as_of=day)
    via = {f for f in facilities if f in cg.index}
    below = where_used_mask(cg, via, product=carried)
    fed_by = _makers(cg, V, targets)
    # a maker in ``via`` feeds the target only if that hop carries ``carried``
    reached = {t: [m for m in fed_by[t] if m in cg.index and below[cg.index[m]]
                   and not (carried is not None and carried != t and m in via)]
               for t in targets}
    base = base_hops(G, cg)
    cut = None
    if carried is not None:
        cut = np.zeros(len(base.fwd_dst), dtype=bool)
        for f in via:
            i = base.index[f]
            for at in range(int(base.fwd_ptr[i]), int(base.fwd_ptr[i + 1])):
                buyer = base.names[int(base.fwd_dst[at])]
                cut[at] = all(d["product"] != carried for d in hop_links(G, day, f, buyer))
    return with_targets(base, {t: m for t, m in reached.items() if m}, cut), via


def _makers(cg: CompiledGraph, V: nx.MultiDiGraph, targets: Sequence[str]
            ) -> dict[str, list[str]]:
    """``_makers_of(V, targets)``: the compiled form keeps each platform's active plants
    (the same rule on the same facilities, in node order); the others are read on ``V``."""
    found = {t: [cg.facilities[i] for i in cg.assemblies.get(t, ())] for t in targets}
    bare = [t for t, plants in found.items() if not plants]
    if bare:
        found.update(_makers_of(V, bare))
    return found


def _facility_ids(cg: CompiledGraph, mask: np.ndarray) -> set[str]:
    """The facility ids where ``mask`` (one entry per compiled facility) is set."""
    return {cg.facilities[i] for i in np.flatnonzero(mask).tolist()}
