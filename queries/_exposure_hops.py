"""The needed-supply graph as arrays for the compiled engine, read once per graph and date.

:func:`oretrace.queries._exposure_graph.supply_graph` shapes the model's rules (who needs
what, at which confidence; what exists at a date) into a networkx graph. On large graphs
the compiled engine reads the same graph as :class:`~oretrace.queries._exposure_yen.Hops`
arrays instead: the hops between the facilities active at the date, each at the strongest
of its links' levels (a link's level: the weaker of the link and the need it meets), read
from the graph once and kept with the compiled form (its ``memo``, emptied with it). Per
call, the products asked about are added as sinks fed by their makers
(:func:`with_targets`); the few hops a witness path uses are read again for their products
and sources (:func:`hop_links`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, need_confidence, window_of
from oretrace.graphmodel.vocab import EdgeKind
from oretrace.queries._compiled_graph import CompiledGraph
from oretrace.queries._exposure_yen import TOP, Hops

__all__: list[str] = []

_MEMO_KEY = "oretrace.exposure.hops"


def base_hops(G: nx.MultiDiGraph, cg: CompiledGraph) -> Hops:
    """The hops between ``cg``'s facilities (``G`` read at ``cg.as_of``), kept in ``cg``."""
    got: Hops | None = cg.memo.get(_MEMO_KEY)
    if got is None:
        got = cg.memo[_MEMO_KEY] = _read(G, cg)
    return got


def _read(G: nx.MultiDiGraph, cg: CompiledGraph) -> Hops:
    """One pass over the supply links into each active facility, as ``_supply_graph``
    reads them (a supplies edge from an active facility carrying a product the buyer
    needs, existing at the date)."""
    index, nodes, pred = cg.index, G.nodes, G._pred
    window, day = window_of(EdgeKind.SUPPLIES), cg.as_of
    dated, holds = window.fields, window.holds
    supplies = EdgeKind.SUPPLIES.value
    rank = {str(c): r for c, r in CONFIDENCE_ORDER.items()}  # plain keys: faster
    documented = Confidence.DOCUMENTED.value
    needs_of: dict[tuple[Any, ...], dict[str, int]] = {}  # by what a facility makes
    src: list[int] = []
    dst: list[int] = []
    level: list[int] = []
    for j, buyer in enumerate(cg.facilities):
        attrs = nodes[buyer]
        key = (attrs.get("stage"), *attrs.get("products", ()))
        needs = needs_of.get(key)
        if needs is None:
            needs = needs_of[key] = {p: rank[c] for p, c in need_confidence(G, buyer).items()}
        if not needs:
            continue
        for supplier, keyed in pred[buyer].items():
            i = index.get(supplier)
            if i is None:
                continue
            best = -1
            for d in keyed.values():
                need = needs.get(d.get("product"))
                if need is None or d.get("kind") != supplies or not (
                        dated.isdisjoint(d) or holds(d, day)):
                    continue
                r = rank[d.get("confidence", documented)]
                if need < r:
                    r = need
                if r > best:
                    best = r
            if best >= 0:
                src.append(i)
                dst.append(j)
                level.append(best)
    sup, buy, lev = (np.array(a, dtype=np.int64) for a in (src, dst, level))
    by_supplier = np.lexsort((buy, sup))
    node_rank = np.array([rank[nodes[f].get("confidence", documented)]
                          for f in cg.facilities], dtype=np.int64)
    return Hops.build(list(cg.facilities), node_rank, sup[by_supplier], buy[by_supplier],
                      lev[by_supplier])


def with_targets(base: Hops, targets: Mapping[str, Sequence[str]],
                 cut: np.ndarray[Any, np.dtype[np.bool_]] | None = None) -> Hops:
    """``base`` with each target product added after the facilities, fed by those of its
    facilities in ``base`` (after their other buyers, in target order, as
    ``supply_graph`` adds them), less the forward hops marked in ``cut``.

    Without a cut, the last one made is kept in ``base.memo`` with the targets and makers
    it was made for: the exposure and where-used questions of one date about the same
    products (any predicate, most nodes) share it.
    """
    if cut is not None:
        return _with_targets(base, targets, cut)
    key = tuple((t, tuple(makers)) for t, makers in targets.items())
    kept: tuple[Any, Hops] | None = base.memo.get(_WITH_TARGETS)
    if kept is None or kept[0] != key:
        kept = base.memo[_WITH_TARGETS] = (key, _with_targets(base, targets, None))
    return kept[1]


#: The key, in a base's ``memo``, of the last arrays made from it with targets added.
_WITH_TARGETS = "with targets"


def _with_targets(base: Hops, targets: Mapping[str, Sequence[str]],
                  cut: np.ndarray[Any, np.dtype[np.bool_]] | None) -> Hops:
    n, names = len(base.names), list(targets)
    size = n + len(names)
    index = dict(base.index)
    index.update({t: n + k for k, t in enumerate(names)})
    feeds = [(base.index[f], n + k) for k, t in enumerate(names) for f in targets[t]
             if f in base.index]
    feeds.sort()  # by maker, each maker's targets in order: rows stay contiguous
    maker = np.array([m for m, _ in feeds], dtype=np.int64).reshape(-1)
    sink = np.array([t for _, t in feeds], dtype=np.int64).reshape(-1)
    fwd_keep = np.ones(len(base.fwd_dst), dtype=bool) if cut is None else ~cut
    rev_keep = fwd_keep[base.memo["rev_of_fwd"]]
    supplier = np.repeat(np.arange(n), np.diff(base.fwd_ptr))[fwd_keep]
    ends = np.cumsum(np.bincount(supplier, minlength=n))
    fwd_dst = np.insert(base.fwd_dst[fwd_keep], ends[maker], sink)
    fwd_rank = np.insert(base.fwd_rank[fwd_keep], ends[maker], TOP)
    buyer = np.repeat(np.arange(n), np.diff(base.rev_ptr))[rev_keep]
    by_sink = np.lexsort((maker, sink))
    out = np.bincount(np.concatenate([supplier, maker]), minlength=size)
    into = np.bincount(np.concatenate([buyer, sink]), minlength=size)
    hops = Hops(names=base.names + names, index=index,
                node_rank=np.concatenate([base.node_rank,
                                          np.full(len(names), TOP, dtype=np.int64)]),
                fwd_ptr=np.concatenate([[0], np.cumsum(out)]).astype(np.int64),
                fwd_dst=fwd_dst, fwd_rank=fwd_rank,
                rev_ptr=np.concatenate([[0], np.cumsum(into)]).astype(np.int64),
                rev_src=np.concatenate([base.rev_src[rev_keep], maker[by_sink]]),
                rev_rank=np.concatenate([base.rev_rank[rev_keep],
                                         np.full(len(feeds), TOP, dtype=np.int64)]))
    hops.memo["facilities"] = n
    if cut is None:
        hops.memo["sinks added to"] = base
    return hops


def hop_links(G: nx.MultiDiGraph, day: dt.date, supplier: str, buyer: str
              ) -> Iterator[dict[str, Any]]:
    """The links making up the hop ``supplier -> buyer`` of the needed-supply graph."""
    needs = need_confidence(G, buyer)
    window = window_of(EdgeKind.SUPPLIES)
    for d in G._succ[supplier].get(buyer, {}).values():
        if d.get("kind") == EdgeKind.SUPPLIES and d.get("product") in needs and window.holds(
                d, day):
            yield d


def path_sources(G: nx.MultiDiGraph, day: dt.date, hops: Hops,
                 paths: Iterable[Sequence[str]]) -> list[str]:
    """``_path_sources`` on the arrays: the sources of the paths' facilities and links."""
    out: set[str] = set()
    n = hops.memo["facilities"]
    for path in paths:
        for x in path:
            if hops.index[x] < n:
                out.update(G.nodes[x].get("sources", []))
        for u, v in zip(path, path[1:], strict=False):
            if hops.index[v] < n:
                for d in hop_links(G, day, u, v):
                    out.update(d.get("sources", []))
    return sorted(out)
