"""Witness paths: the fewest-hop supply paths to a product, strongest confidence first.

They read the needed-supply graph of :mod:`oretrace.queries._exposure_graph`. A path's
confidence is the weakest over its facilities and hops; ties between equally short paths
follow the graph's own order (facilities in the order of ``G``), never set order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, weakest
from scipy.sparse.csgraph import connected_components

__all__ = ["path_confidence", "witness_paths"]

#: Confidence levels, strongest first.
_LEVELS: tuple[Confidence, ...] = tuple(
    sorted(Confidence, key=lambda c: -CONFIDENCE_ORDER[c]))


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
    ``edge_ok``: where supply begins (the strongly connected components no hop enters from
    another one, found on a sparse matrix)."""
    order = list(nodes)
    index = {n: i for i, n in enumerate(order)}
    rows: list[int] = []
    cols: list[int] = []
    for v in order:
        for u, d in H._pred[v].items():
            if u in index and edge_ok(d):
                rows.append(index[u])
                cols.append(index[v])
    n = len(order)
    hops = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    count, label = connected_components(hops, directed=True, connection="strong")
    entered = np.zeros(count, dtype=bool)
    src, dst = label[np.asarray(rows, dtype=np.int64)], label[np.asarray(cols, dtype=np.int64)]
    entered[dst[src != dst]] = True
    return {order[i] for i in np.flatnonzero(~entered[label]).tolist()}


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

    layers: dict[str, tuple[list[tuple[str, int]], list[int]]] = {}

    def layer(n: str) -> tuple[list[tuple[str, int]], list[int]]:
        """``n``'s nodes of the layered graph, and the layer each state steps to at ``n``."""
        got = layers.get(n)
        if got is None:
            got = layers[n] = ([(n, state) for state in range(m + 1)],
                               [advance(state, n) for state in range(m + 1)])
        return got

    origin = ("", -1)
    hops = [(origin, layer(s)[0][layer(s)[1][0]]) for s in starts]
    for u, v in edges:
        at_u, (at_v, step) = layer(u)[0], layer(v)
        hops += [(at_u[state], at_v[step[state]]) for state in range(m + 1)]
    layered = _digraph(hops)
    goal = (target, m)
    if goal not in layered or not nx.has_path(layered, origin, goal):
        return []
    walks = nx.shortest_simple_paths(layered, origin, goal)
    return [[node for node, _ in walk[1:]] for walk in islice(walks, k)]


def _digraph(hops: list[tuple[Any, Any]]) -> nx.DiGraph:
    """``nx.DiGraph(hops)`` built straight into its adjacency dicts: the same nodes, edges
    and orders as adding the hops one by one (so searches on it break ties alike), without
    the per-edge checks that dominate on large graphs."""
    D = nx.DiGraph()
    succ, pred, node = D._succ, D._pred, D._node
    for u, v in hops:
        if u not in succ:
            succ[u], pred[u], node[u] = {}, {}, {}
        if v not in succ:
            succ[v], pred[v], node[v] = {}, {}, {}
        out = succ[u]
        if v not in out:  # adding an edge again changes no order
            out[v] = pred[v][u] = {}
    return D


def _search(adjacency: Any, sources: Iterable[str], node_ok: Callable[[str], bool],
            edge_ok: Callable[[Any], bool]) -> set[str]:
    """Nodes reached from ``sources`` over ``adjacency`` (``H._succ`` or ``H._pred``) through
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
    and edge order (ties between equally short paths follow it). It reads ``H``'s adjacency
    dicts, not their views: on large graphs the views' iteration dominates.
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

        upstream = _search(H._pred, [target], node_ok, edge_ok) - {target}
        if starts is not None:
            begin = starts & upstream
            inside = upstream | {target}
            keep = begin | _search(H._succ, begin, inside.__contains__, edge_ok)
        else:
            begin = _start_nodes(H, upstream, edge_ok)
            keep = upstream | {target}
        if not begin:
            continue
        if position is None:
            position = {n: i for i, n in enumerate(H)}
        nodes = sorted(keep, key=position.__getitem__)
        edges = [(u, v) for u in nodes for v, d in H._succ[u].items() if v in keep and edge_ok(d)]
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
