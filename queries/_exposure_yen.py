"""Witness paths on arrays: networkx's Yen replayed exactly, without building its graph.

:func:`oretrace.queries._exposure_paths.witness_paths` asks, per confidence level, for the
first ``k`` paths ``nx.shortest_simple_paths`` (Yen's algorithm over networkx's
bidirectional breadth-first search) yields on a *layered* copy of the needed-supply graph:
node ``(facility, state)``, where ``state`` counts the waypoint sets met so far, and an
``origin`` feeding every start. Which of several equally short paths comes first depends
on the order the searches scan adjacency lists and on the sizes of their two fringes, so it
depends on nodes off the short paths too. This module replays those very searches, step by
step and in the same scan order, on integer arrays (:class:`Hops`, the graph in CSR form
in its own node and edge order): each breadth-first layer is scanned at once with numpy,
and a scan stops exactly where networkx's would (the first meeting node in scan order).
The layered graph is never built: its adjacency is read off the facility arrays, whose
orders are the ones the layered graph would get (successors in the graph's own order,
predecessors by node position, then state).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from oretrace.graphmodel import CONFIDENCE_ORDER
from scipy.sparse.csgraph import connected_components

__all__: list[str] = []

Int = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

#: The rank of a product node (documented: making a product carries no evidence of its own).
TOP = max(CONFIDENCE_ORDER.values())


@dataclass(eq=False)
class Hops:
    """A needed-supply graph as arrays: node ``i`` is ``names[i]`` (the graph's node order),
    ``node_rank`` its confidence order (products: the top); the hops as a CSR by supplier in
    the graph's successor order (``fwd_*``) and by buyer, suppliers in node order
    (``rev_*``), each with its confidence order. ``memo`` keeps per-level masks, and for
    arrays made of others with sinks added (their own sinks only entered from outside
    their components), ``"sinks added to"``: those others."""

    names: list[str]
    index: dict[str, int]
    node_rank: Int
    fwd_ptr: Int
    fwd_dst: Int
    fwd_rank: Int
    rev_ptr: Int
    rev_src: Int
    rev_rank: Int
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, names: list[str], node_rank: Int, src: Int, dst: Int, rank: Int) -> Hops:
        """From hops listed by supplier (ascending), each supplier's in successor order."""
        n = len(names)
        fwd_ptr = np.searchsorted(src, np.arange(n + 1)).astype(np.int64)
        by_buyer = np.argsort(dst, kind="stable")
        rev_ptr = np.searchsorted(dst[by_buyer], np.arange(n + 1)).astype(np.int64)
        hops = cls(names=names, index={x: i for i, x in enumerate(names)},
                   node_rank=node_rank, fwd_ptr=fwd_ptr, fwd_dst=dst, fwd_rank=rank,
                   rev_ptr=rev_ptr, rev_src=src[by_buyer], rev_rank=rank[by_buyer])
        hops.memo["rev_of_fwd"] = by_buyer  # the forward entry of each backward one
        return hops

    @classmethod
    def of(cls, H: nx.DiGraph) -> Hops:
        """The arrays of a needed-supply graph ``H`` (its adjacency dicts read once)."""
        names = list(H)
        index = {x: i for i, x in enumerate(names)}
        order = CONFIDENCE_ORDER
        node_rank = np.array([TOP if d.get("product") else order[d["confidence"]]
                              for d in H._node.values()], dtype=np.int64)
        src: list[int] = []
        dst: list[int] = []
        rank: list[int] = []
        for i, u in enumerate(names):
            out = H._succ[u]
            src += [i] * len(out)
            for v, d in out.items():
                dst.append(index[v])
                rank.append(order[d["confidence"]])
        return cls.build(names, node_rank, np.array(src, dtype=np.int64),
                         np.array(dst, dtype=np.int64), np.array(rank, dtype=np.int64))

    def level(self, floor: int) -> tuple[Bool, Bool, Bool]:
        """Nodes, forward hops and backward hops at least ``floor`` strong."""
        got: tuple[Bool, Bool, Bool] | None = self.memo.get(("level", floor))
        if got is None:
            got = self.memo["level", floor] = (self.node_rank >= floor, self.fwd_rank >= floor,
                                               self.rev_rank >= floor)
        return got

    def hop_rank(self, u: int, v: int) -> int:
        """The confidence order of the hop ``u -> v``."""
        lo, hi = int(self.fwd_ptr[u]), int(self.fwd_ptr[u + 1])
        at = lo + int(np.flatnonzero(self.fwd_dst[lo:hi] == v)[0])
        return int(self.fwd_rank[at])

    def sources_at(self, floor: int, inside: Bool | None = None) -> Bool:
        """Nodes (of ``inside``, default all at ``floor``) whose strongly connected
        component, over nodes of ``inside`` and hops at least ``floor`` strong, no such hop
        enters from another: where supply begins. Kept per level for all nodes."""
        if inside is not None:
            return self._sources(floor, inside)
        got: Bool | None = self.memo.get(("sources", floor))
        if got is None:
            parent: Hops | None = self.memo.get("sinks added to")
            if parent is None:
                got = self._sources(floor, self.level(floor)[0])
            else:  # sinks enter no component but their own
                got = np.zeros(len(self.names), dtype=bool)
                got[:len(parent.names)] = parent.sources_at(floor)
            self.memo["sources", floor] = got
        return got

    def _sources(self, floor: int, inside: Bool) -> Bool:
        n = len(self.names)
        src = np.repeat(np.arange(n), np.diff(self.fwd_ptr))
        dst = self.fwd_dst
        use = self.level(floor)[1] & inside[src] & inside[dst]
        src, dst = src[use], dst[use]
        hops = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        _, label = connected_components(hops, directed=True, connection="strong")
        entered = np.zeros(n, dtype=bool)
        entered[label[dst][label[src] != label[dst]]] = True
        sources: Bool = inside & ~entered[label]
        return sources


def gather(ptr: Int, nodes: Int) -> tuple[Int, Int]:
    """For CSR rows ``nodes`` in order: the row (position in ``nodes``) and entry of each of
    their entries, row after row."""
    first = ptr[nodes]
    counts = ptr[nodes + 1] - first
    row = np.repeat(np.arange(len(nodes)), counts)
    entry = np.arange(int(counts.sum())) + np.repeat(first - (np.cumsum(counts) - counts),
                                                     counts)
    return row, entry


def reach(ptr: Int, nbr: Int, hop_ok: Bool, node_ok: Bool, seeds: Int) -> Bool:
    """Nodes reached from ``seeds`` over CSR ``ptr``/``nbr`` through hops passing ``hop_ok``
    into nodes passing ``node_ok`` (the seeds only if reached again)."""
    seen = np.zeros(len(node_ok), dtype=bool)
    frontier = seeds
    while len(frontier):
        _, entry = gather(ptr, frontier)
        fresh = np.zeros(len(node_ok), dtype=bool)
        fresh[nbr[entry[hop_ok[entry]]]] = True
        fresh &= node_ok & ~seen
        seen |= fresh
        frontier = np.flatnonzero(fresh)
    return seen


@dataclass(eq=False)
class Layered:
    """The layered graph at one level, read off :class:`Hops`: node ``(i, s)`` is
    ``i * width + s``, ``origin`` the last id; ``keep`` the facilities it holds, ``step``
    the state each state moves to at each node, ``begin`` the starts in node order."""

    hops: Hops
    keep: Bool
    fwd_ok: Bool
    rev_ok: Bool
    step: Int
    begin: Int
    width: int
    starts: Bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.starts = np.zeros(len(self.hops.names), dtype=bool)
        self.starts[self.begin] = True

    @property
    def origin(self) -> int:
        return len(self.hops.names) * self.width

    def scratch(self) -> tuple[Int, Int, Int]:
        """Arrays over the layered node ids for a search: each side's "reached over" (all
        unset) and first-sight stamps (all far); a search leaves them so."""
        got: tuple[Int, Int, Int] | None = self.__dict__.get("_scratch")
        if got is None:
            size = self.origin + 1
            got = self.__dict__["_scratch"] = (np.full(size, _UNSET, dtype=np.int64),
                                               np.full(size, _UNSET, dtype=np.int64),
                                               np.full(size, _FAR, dtype=np.int64))
        return got

    def successors(self, fringe: Int) -> tuple[Int, Int]:
        """The hops ``(x, w)`` leaving ``fringe`` in scan order (origin only alone)."""
        if len(fringe) and fringe[0] == self.origin:
            w = self.begin * self.width + self.step[self.begin, 0]
            return np.full(len(w), self.origin, dtype=np.int64), w
        h, m = self.hops, self.width
        row, entry = gather(h.fwd_ptr, fringe // m)
        v = h.fwd_dst[entry]
        ok = self.fwd_ok[entry] & self.keep[v]
        row, v = row[ok], v[ok]
        return fringe[row], v * m + self.step[v, (fringe % m)[row]]

    def predecessors(self, fringe: Int) -> tuple[Int, Int]:
        """The hops ``(w, y)`` entering ``fringe`` in scan order: for each node the origin
        first (when it feeds it), then suppliers by position, each by state."""
        h, m = self.hops, self.width
        fringe = fringe[fringe != self.origin]
        v, t = fringe // m, fringe % m
        row, entry = gather(h.rev_ptr, v)
        u = h.rev_src[entry]
        ok = self.rev_ok[entry] & self.keep[u]
        row, u = row[ok], u[ok]
        edge, state = np.nonzero(self.step[v[row]] == t[row][:, None])
        fed = np.flatnonzero(self.starts[v] & (self.step[v, 0] == t))
        rows = np.concatenate([fed, row[edge]])
        order = np.argsort(rows, kind="stable")
        w = np.concatenate([np.full(len(fed), self.origin, dtype=np.int64),
                            u[edge] * m + state])[order]
        return w, fringe[rows[order]]


_UNSET = -2
_FAR = np.iinfo(np.int64).max


def _scan(found: Int, via: Int, mine: Int, other: Int, stamp: Int) -> tuple[Int, int | None]:
    """One breadth-first layer as networkx scans it: ``found[j]`` reached over ``via[j]``;
    each new node is recorded in ``mine`` (reached over) at its first sight, and the scan
    stops at the first node ``other`` (the other side) has seen. Returns the next fringe
    and the meeting node (``None`` when they did not meet). ``stamp`` is scratch space
    (all :data:`_FAR`, left so)."""
    hit = np.flatnonzero(other[found] != _UNSET)
    meet = None
    if len(hit):
        stop = int(hit[0])
        meet = int(found[stop])
        found, via = found[:stop + 1], via[:stop + 1]
    new = mine[found] == _UNSET
    found, via = found[new], via[new]
    at = np.arange(len(found))
    np.minimum.at(stamp, found, at)  # each node's first sight
    first = np.flatnonzero(stamp[found] == at)
    stamp[found] = _FAR
    found = found[first]
    mine[found] = via[first]
    return found, meet


def _search(g: Layered, source: int, target: int, banned: set[int], cut: set[tuple[int, int]]
            ) -> list[int] | None:
    """``networkx``'s ``_bidirectional_shortest_path`` from ``source`` to ``target`` on the
    layered graph, ignoring the nodes ``banned`` and the hops ``cut``: the same path."""
    if banned and (source in banned or target in banned):
        return None
    if source == target:
        return [source]
    size = g.origin + 1
    pred, succ, stamp = g.scratch()
    forward = np.array([source], dtype=np.int64)
    backward = np.array([target], dtype=np.int64)
    touched = [forward, backward]
    pred[source] = succ[target] = -1
    skip = _Skip(size, banned, cut)
    try:
        while len(forward) and len(backward):
            if len(forward) <= len(backward):
                x, w = g.successors(forward)
                keep = skip.allowed(x, w, w)
                forward, meet = _scan(w[keep], x[keep], pred, succ, stamp)
                touched.append(forward)
            else:
                w, y = g.predecessors(backward)
                keep = skip.allowed(w, y, w)
                backward, meet = _scan(w[keep], y[keep], succ, pred, stamp)
                touched.append(backward)
            if meet is not None:
                return _join(pred, succ, meet)
        return None
    finally:  # the scratch arrays back to unset, for the next search
        for nodes in touched:
            pred[nodes] = succ[nodes] = _UNSET


class _Skip:
    """The nodes and hops a search ignores, as masks over the layered node ids."""

    def __init__(self, size: int, banned: set[int], cut: set[tuple[int, int]]) -> None:
        self.size = size
        self.banned: Bool | None = None
        if banned:
            self.banned = np.zeros(size, dtype=bool)
            self.banned[list(banned)] = True
        self.tails: Bool | None = None
        self.codes = np.array(sorted(a * size + b for a, b in cut), dtype=np.int64)
        if cut:
            self.tails = np.zeros(size, dtype=bool)
            self.tails[[a for a, _ in cut]] = True

    def allowed(self, tail: Int, head: Int, new: Int) -> Bool:
        """Which hops ``tail -> head`` are neither cut nor lead to a banned ``new`` end."""
        ok = np.ones(len(new), dtype=bool) if self.banned is None else ~self.banned[new]
        if self.tails is not None:
            maybe = np.flatnonzero(self.tails[tail])
            if len(maybe):
                ok[maybe] &= ~np.isin(tail[maybe] * self.size + head[maybe], self.codes)
        return ok


def _join(pred: Int, succ: Int, meet: int) -> list[int]:
    """The path through ``meet``: back along ``pred`` to the source, on along ``succ``."""
    path: list[int] = []
    w = meet
    while w != -1:
        path.append(w)
        w = int(succ[w])
    w = int(pred[path[0]])
    head: list[int] = []
    while w != -1:
        head.append(w)
        w = int(pred[w])
    return head[::-1] + path


def k_shortest(g: Layered, goal: int, k: int) -> list[list[int]]:
    """The first ``k`` paths ``nx.shortest_simple_paths(layered, origin, goal)`` yields
    (Yen's algorithm as networkx writes it, on :func:`_search`), origin included."""
    source = g.origin
    first = _search(g, source, goal, set(), set())
    if first is None:
        return []
    out: list[list[int]] = []
    heap: list[tuple[int, int, list[int]]] = [(len(first), 0, first)]
    queued = {tuple(first)}
    counter = 1
    while heap:
        _, _, path = heapq.heappop(heap)
        queued.discard(tuple(path))
        out.append(path)
        if len(out) >= k:
            break
        banned: set[int] = set()
        cut: set[tuple[int, int]] = set()
        for i in range(1, len(path)):
            root = path[:i]
            for done in out:
                if done[:i] == root:
                    cut.add((done[i - 1], done[i]))
            spur = _search(g, root[-1], goal, banned, cut)
            if spur is not None:
                found = root[:-1] + spur
                if tuple(found) not in queued:
                    heapq.heappush(heap, (i + len(spur), counter, found))
                    queued.add(tuple(found))
                    counter += 1
            banned.add(root[-1])
    return out
