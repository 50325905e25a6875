"""Deciding links of the ``supplied`` and ``exposed`` questions (:mod:`oretrace.queries.deciding`).

``supplied`` without a policy: the link-critical recursion (every candidate link drawn as a
facility of its own, :func:`link_network`, then
:func:`oretrace.queries.chokepoints.critical_masks`). ``exposed``: dominators of the platform
on the needed-supply graph with each candidate hop drawn as a node of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import networkx as nx
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, weakest
from oretrace.queries._cut import _region as facilities_upstream
from oretrace.queries._deciding_base import (
    Answer,
    Found,
    Link,
    Links,
    below,
    weakest_of,
    without_link,
)
from oretrace.queries.chokepoints import critical_masks
from oretrace.queries.exposure import witness_paths
from oretrace.queries.feasibility import (
    Need,
    Policy,
    SupplyNetwork,
    scenario_network,
    supplied_mask,
)

__all__ = ["exposed", "is_supplied", "link_network", "supplied"]


def _rebuild(net: SupplyNetwork, names: tuple[str, ...],
             needs: tuple[tuple[Need, ...], ...]) -> SupplyNetwork:
    """A network like ``net`` with these facilities and needs (the out-links recounted)."""
    out: list[dict[tuple[int, int], None]] = [{} for _ in needs]  # ordered sets
    for i, row in enumerate(needs):
        for j, need in enumerate(row):
            for u, _ in need.suppliers:
                out[u][(i, j)] = None
    return SupplyNetwork(
        as_of=net.as_of, facilities=names, index={f: i for i, f in enumerate(names)},
        needs=needs, out_links=tuple(tuple(o) for o in out), assemblies=net.assemblies,
        substitutions=net.substitutions, denied=net.denied, view=net.view)


def link_network(net: SupplyNetwork, links: Iterable[Link] | None = None
                 ) -> tuple[SupplyNetwork, list[Link]]:
    """``net`` with each of ``links`` (default: every link of ``net``) drawn as a facility of
    its own between its supplier and its buyer (one need: the product, from the supplier);
    the new facilities follow the old ones, in the order of the returned links. Failing
    such a facility is taking its link out."""
    wanted = None if links is None else set(links)
    n = len(net.facilities)
    drawn: dict[Link, int] = {}
    rows: list[tuple[Need, ...]] = []
    extra: list[tuple[Need, ...]] = []
    for i, needs in enumerate(net.needs):
        row = []
        for need in needs:
            sups = []
            for u, q in need.suppliers:
                link = (net.facilities[u], net.facilities[i], q)
                if wanted is not None and link not in wanted:
                    sups.append((u, q))
                    continue
                if link not in drawn:
                    drawn[link] = n + len(drawn)
                    extra.append((Need(product=q, suppliers=((u, q),)),))
                sups.append((drawn[link], q))
            row.append(Need(product=need.product, suppliers=tuple(sups),
                            alternatives=need.alternatives))
        rows.append(tuple(row))
    order = list(drawn)
    names = net.facilities + tuple(f"{u}>{v}:{q}" for u, v, q in order)
    return _rebuild(net, names, tuple(rows + extra)), order


def _by_recursion(net: SupplyNetwork, failed: Iterable[int], platform: str,
                  candidates: Iterable[Link]) -> tuple[bool, set[Link]]:
    """The answer and its deciding links among ``candidates``, by the link-critical
    recursion (module docstring)."""
    derived, order = link_network(net, candidates)
    ok = supplied_mask(derived, failed)
    live = [a for a in net.assemblies.get(platform, ()) if ok[a]]
    if not live:
        return False, set()
    groups = [-1] * len(net.facilities) + list(range(len(order)))
    crit = critical_masks(derived, groups, len(order), ok)
    mask = (1 << len(order)) - 1
    for a in live:
        mask &= crit[a]
    return True, {order[b] for b in range(len(order)) if mask >> b & 1}


def _supply_floor(net: SupplyNetwork, failed: Iterable[int], platform: str, links: Links
                  ) -> Confidence:
    """The strongest level at which ``platform`` is still supplied on links at least that
    strong (illustrative when it is not supplied at all): the weaker links are drawn as
    facilities of their own (:func:`link_network`) and fail."""
    derived, order = link_network(net, links)
    down = list(failed)
    for level in (Confidence.DOCUMENTED, Confidence.REPORTED, Confidence.ESTIMATED):
        weak = [len(net.facilities) + b for b, k in enumerate(order)
                if CONFIDENCE_ORDER[links[k][0]] < CONFIDENCE_ORDER[level]]
        ok = supplied_mask(derived, down + weak)
        if any(ok[a] for a in net.assemblies.get(platform, ())):
            return level
    return Confidence.ILLUSTRATIVE


def _net_region(net: SupplyNetwork, platform: str) -> set[Link]:
    """The links feeding ``platform``'s assemblies, directly or upstream, in ``net``."""
    f = net.facilities
    up = facilities_upstream(net, [True] * len(f), net.assemblies.get(platform, ()))
    return {(f[u], f[i], q) for i in up for need in net.needs[i] for u, q in need.suppliers}


def is_supplied(G: nx.MultiDiGraph, platform: str, day: dt.date, fail: Sequence[str],
                policy: str | Policy | None, substitutions: bool) -> bool:
    """Whether ``platform`` is supplied in the scenario (as :func:`simulate` says)."""
    net, failed, _ = scenario_network(G, fail=fail, as_of=day, policy=policy,
                                      substitutions=substitutions)
    ok = supplied_mask(net, failed)
    return any(ok[a] for a in net.assemblies.get(platform, ()))


def supplied(G: nx.MultiDiGraph, target: str, day: dt.date, specs: list[str],
             policy: str | Policy | None, substitutions: bool, region: set[Link],
             links: Links, floor: Confidence) -> Found:
    """The ``supplied`` question (module docstring of :mod:`oretrace.queries.deciding`)."""
    full, failed, _ = scenario_network(G, fail=specs, as_of=day, substitutions=substitutions)
    region = region | _net_region(full, target)  # substitute inputs are not in the hops
    asked = below(region, links, floor)
    net, failed, report = scenario_network(G, fail=specs, as_of=day, policy=policy,
                                           substitutions=substitutions)
    assumptions = [] if report is None else [f"policy {report.name}: {report.note}"]
    if policy is None:
        before, found = _by_recursion(net, failed, target, asked)
        after: dict[Link, Answer] = {k: False for k in found}
        method = "link-critical recursion (the single-points recursion over links): exact"
    else:
        ok = supplied_mask(net, failed)
        before = any(ok[a] for a in net.assemblies.get(target, ()))
        after = {}
        for link in sorted(asked):  # a link may carry what made another one denied
            now = is_supplied(without_link(G, link, as_of=day), target, day, specs, policy,
                              substitutions)
            if now != before:
                after[link] = now
        method = ("brute force: each candidate link removed and the policy read again on the "
                  "graph without it: exact")
    level = _supply_floor(net, failed, target, links) if before else weakest_of(region, links)
    return before, level, after, method, assumptions, asked


def _by_dominators(H: nx.DiGraph, matched: set[str], platform: str, candidates: set[Link]
                   ) -> set[Link]:
    """The deciding links among ``candidates`` of ``platform``'s exposure to the ``matched``
    facilities upstream of it: the hops carried by one link alone that dominate the
    platform from them (module docstring)."""
    upstream = nx.ancestors(H, platform)
    if not matched:
        return set()
    source = ("", "source")
    F = nx.DiGraph()
    F.add_edges_from((source, m) for m in sorted(matched))
    hops: dict[tuple[str, str, str], Link] = {}
    for u, v, d in H.edges(data=True):
        if u not in upstream or (v not in upstream and v != platform):
            continue
        link = (u, v, d["products"][0])
        if len(d["products"]) == 1 and link in candidates:
            hop = ("hop", u, v)
            hops[hop] = link
            F.add_edge(u, hop)
            F.add_edge(hop, v)
        else:
            F.add_edge(u, v)
    idom = nx.immediate_dominators(F, source)
    found: set[Link] = set()
    node: object = platform
    while node != source:
        node = idom[node]
        if node in hops:
            found.add(hops[node])
    return found


def exposed(H: nx.DiGraph, matched: set[str], target: str, region: set[Link], links: Links,
            floor: Confidence) -> Found:
    """The ``exposed`` question (module docstring of :mod:`oretrace.queries.deciding`)."""
    asked = below(region, links, floor)
    found = _by_dominators(H, matched, target, asked)
    # find_exposed's confidence: that of its strongest witness path
    paths = witness_paths(H, target, [matched], 1) if matched else []
    level = (paths[0][1] if paths else weakest([H.nodes[m]["confidence"] for m in matched])
             ) if matched else weakest_of(region, links)
    return (bool(matched), level, {k: False for k in found},
            "dominators of the platform on the needed-supply graph: exact", [], asked)
