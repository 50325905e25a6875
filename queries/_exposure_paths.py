"""Witness paths: the fewest-hop supply paths to a product, strongest confidence first.

They read the needed-supply graph of :mod:`oretrace.queries._exposure_graph`. A path's
confidence is the weakest over its facilities and hops; ties between equally short paths
follow the graph's own order (facilities in the order of ``G``), never set order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
import numpy.typing as npt
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, weakest
from oretrace.queries._exposure_yen import Bool, Hops, Layered, k_shortest, reach

__all__ = ["ancestors", "path_confidence", "upstream_among", "weakest_of", "witness_paths",
           "witnesses"]

#: Confidence levels, strongest first.
_LEVELS: tuple[Confidence, ...] = tuple(
    sorted(Confidence, key=lambda c: -CONFIDENCE_ORDER[c]))
_BY_RANK: dict[int, Confidence] = {CONFIDENCE_ORDER[c]: c for c in Confidence}


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


def witness_paths(H: nx.DiGraph, target: str, waypoints: Sequence[set[str]], k: int, *,
                  starts: set[str] | None = None) -> list[tuple[list[str], Confidence]]:
    """Return up to ``k`` witness paths to ``target`` through ``waypoints``, strongest first.

    For each confidence level, strongest first, the graph keeps only facilities and hops at
    least that strong, and the fewest-hop paths from where supply begins there (a facility
    with no supplier left: usually a mine) to ``target`` are added. Without ``starts`` a
    path begins where supply begins; with ``starts`` it begins at one of them. The search
    reads only the facilities on some path from a beginning to ``target``, in ``H``'s node
    and edge order (ties between equally short paths follow it): the paths
    ``nx.shortest_simple_paths`` yields on a layered copy of that part of ``H`` whose layer
    counts the waypoint sets met so far, found on arrays
    (:mod:`oretrace.queries._exposure_yen`) without building the copy.
    """
    if target not in H:
        return []
    return witnesses(Hops.of(H), target, waypoints, k, starts=starts)


def witnesses(hops: Hops, target: str, waypoints: Sequence[set[str]], k: int, *,
              starts: set[str] | None = None) -> list[tuple[list[str], Confidence]]:
    """:func:`witness_paths` on the arrays of ``H`` (``target`` one of its nodes)."""
    found: list[tuple[list[str], Confidence]] = []
    seen: set[tuple[str, ...]] = set()
    t = hops.index[target]
    width = len(waypoints) + 1
    step = _steps(hops, waypoints)
    chosen = None if starts is None else _mask(hops, starts)
    starts_key = None if starts is None else frozenset(starts)
    sink = hops.fwd_ptr[t + 1] == hops.fwd_ptr[t]
    for level in _LEVELS:
        floor = CONFIDENCE_ORDER[level]
        if hops.node_rank[t] < floor:
            continue
        node_ok, fwd_ok, rev_ok = hops.level(floor)
        inside = node_ok if chosen is None else _below(hops, floor, chosen, starts_key)
        if not inside.any():  # no start this strong: no path begins
            continue
        upstream = _upstream(hops, floor, t) & inside  # a new array: the memo's is kept
        upstream[t] = False
        keep = upstream.copy()
        keep[t] = True
        if chosen is not None:
            begin = chosen & upstream
        else:
            begin = hops.sources_at(floor, None if sink else upstream) & upstream
        if not begin.any():
            continue
        g = Layered(hops, keep, fwd_ok, rev_ok, step, np.flatnonzero(begin), width)
        for walk in k_shortest(g, t * width + width - 1, k + len(found)):
            path = [hops.names[x // width] for x in walk[1:]]
            key = tuple(path)
            if key in seen:
                continue
            seen.add(key)
            found.append((path, _confidence(hops, [x // width for x in walk[1:]])))
            if len(found) >= k:
                return found
    return found


def _upstream(hops: Hops, floor: int, t: int) -> Bool:
    """The nodes at least ``floor`` strong with a path to node ``t`` over hops that strong
    (``t`` itself only on a loop), kept in ``hops.memo`` per level and node: every question
    of the same date about ``t`` reads it, whatever it starts from."""
    got: Bool | None = hops.memo.get(("upstream", floor, t))
    if got is None:
        node_ok, _, rev_ok = hops.level(floor)
        got = hops.memo["upstream", floor, t] = reach(hops.rev_ptr, hops.rev_src, rev_ok,
                                                      node_ok, np.array([t]))
    return got


def _below(hops: Hops, floor: int, chosen: Bool, key: frozenset[str] | None) -> Bool:
    """The nodes at least ``floor`` strong that are ``chosen`` or reached from them over
    hops that strong (kept in ``hops.memo`` per level for the last set of starts: every
    product asked shares it).

    With starts, the facilities a witness path may use are those upstream of the target
    that a start reaches: a node upstream of the target and reached from a start is
    reached over nodes that are upstream too, so these are the target's upstream nodes
    among the ones returned here, and the starts among them are where the paths begin.
    """
    kept: tuple[frozenset[str] | None, dict[int, Bool]] | None = hops.memo.get("below")
    if kept is None or kept[0] != key:  # one set of starts kept: the memo stays small
        kept = hops.memo["below"] = (key, {})
    got = kept[1].get(floor)
    if got is None:
        node_ok, fwd_ok, _ = hops.level(floor)
        seeds = np.flatnonzero(chosen & node_ok)
        got = kept[1][floor] = node_ok & (
            chosen | reach(hops.fwd_ptr, hops.fwd_dst, fwd_ok, node_ok, seeds))
    return got


def ancestors(hops: Hops, node: str) -> set[str]:
    """The nodes with a path to ``node`` (``nx.ancestors`` on the arrays)."""
    everything = np.ones(len(hops.names), dtype=bool)
    found = reach(hops.rev_ptr, hops.rev_src, np.ones(len(hops.rev_src), dtype=bool),
                  everything, np.array([hops.index[node]]))
    found[hops.index[node]] = False
    return {hops.names[i] for i in np.flatnonzero(found).tolist()}


def upstream_among(hops: Hops, targets: Iterable[str], among: set[str]
                   ) -> dict[str, set[str]]:
    """For each of ``targets`` (nodes of ``hops``), the nodes of ``among`` with a path to it:
    ``ancestors(hops, t) & among``, read from whichever side is smaller (a walk down from
    each of ``among``, or up from each target)."""
    targets = list(targets)
    if len(among) >= len(targets):
        return {t: ancestors(hops, t) & among for t in targets}
    out: dict[str, set[str]] = {t: set() for t in targets}
    every = np.ones(len(hops.fwd_dst), dtype=bool)
    anywhere = np.ones(len(hops.names), dtype=bool)
    for node in among:
        if node not in hops.index:
            continue
        below = reach(hops.fwd_ptr, hops.fwd_dst, every, anywhere,
                      np.array([hops.index[node]]))
        for t in targets:
            if t != node and below[hops.index[t]]:
                out[t].add(node)
    return out


def weakest_of(hops: Hops, nodes: Iterable[str]) -> Confidence:
    """The weakest confidence of ``nodes`` (facilities of ``hops``)."""
    return _BY_RANK[min(int(hops.node_rank[hops.index[n]]) for n in nodes)]


def _mask(hops: Hops, nodes: set[str]) -> npt.NDArray[np.bool_]:
    """Which nodes of ``hops`` are in ``nodes``."""
    mask = np.zeros(len(hops.names), dtype=bool)
    mask[[hops.index[n] for n in nodes if n in hops.index]] = True
    return mask


def _steps(hops: Hops, waypoints: Sequence[set[str]]) -> npt.NDArray[np.int64]:
    """Per node and state (waypoint sets met so far), the state after the node: it meets
    the next sets while it belongs to them."""
    m = len(waypoints)
    step = np.empty((len(hops.names), m + 1), dtype=np.int64)
    step[:, m] = m
    for state in range(m - 1, -1, -1):
        step[:, state] = np.where(_mask(hops, waypoints[state]), step[:, state + 1], state)
    return step


def _confidence(hops: Hops, path: Sequence[int]) -> Confidence:
    """:func:`path_confidence` on the arrays (products rank at the top)."""
    ranks = [int(hops.node_rank[i]) for i in path]
    ranks += [hops.hop_rank(u, v) for u, v in zip(path, path[1:], strict=False)]
    return _BY_RANK[min(ranks)]
