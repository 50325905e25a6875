"""Evidence and intervals of an origin share: the confidence and sources of the links
carrying the content, and the share's bounds over the ranged figures (see
:mod:`oretrace.queries.content`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import networkx as nx
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, weakest
from oretrace.queries._content_mass import _Network, _Shares
from oretrace.queries._content_table import RangedLine
from oretrace.queries._exposure_graph import _supply_graph

if TYPE_CHECKING:
    from oretrace.queries.content import ElementShare

__all__: list[str] = []


class _Ranged(NamedTuple):
    value_low: float | None
    value_high: float | None
    mass: Any  # oretrace.queries.intervals.MassBounds | None
    figures: list[str]
    exact: bool


def _intervals(G: nx.MultiDiGraph, V: nx.MultiDiGraph, net: _Network, target: str,
               producers: list[str], chosen: list[str], kinds: frozenset[str] | None,
               mass: Mapping[str, _Shares], lines: list[RangedLine],
               point: float | None) -> _Ranged:
    """The value- and mass-share intervals over the ranged figures
    (:func:`oretrace.queries.intervals.content_intervals`, which argues they are exact);
    a graph without any ranged figure gives the point (no second pass)."""
    from oretrace.queries.intervals import content_intervals, has_ranges  # it imports content

    if not has_ranges(G):
        return _Ranged(point, point, None, [], True)

    got = content_intervals(V, net, target, producers, chosen, kinds, mass,
                            [(r.product, r.input) for r in lines])
    return _Ranged(got.value_low, got.value_high, got.mass, got.figures,
                   got.mass is None or got.mass.exact)


def _evidence(V: nx.MultiDiGraph, target: str, producers: list[str], elements: frozenset[str],
              content: dict[str, dict[str, float]]) -> tuple[Confidence, list[str]]:
    """Weakest confidence and sources of the upstream facilities and hops carrying ``elements``."""
    H = _supply_graph(V, {target: producers})
    upstream = nx.ancestors(H, target) | {target}
    levels: list[str] = []
    sources: set[str] = set()
    for u, v, d in H.edges(data=True):
        if u not in upstream or v not in upstream:
            continue
        if v != target and not any(content.get(p, {}).get(e, 0.0) > 0
                                   for p in d["products"] for e in elements):
            continue
        levels += [d["confidence"], H.nodes[u]["confidence"]]
        sources.update(d["sources"])
        sources.update(H.nodes[u]["sources"])
    return weakest([lv for lv in levels if lv in CONFIDENCE_ORDER]), sorted(sources)


def _interval_fields(ranged: _Ranged, untraced: tuple[float | None, float | None],
                     rows: list[ElementShare], notes: set[str], threshold: float | None
                     ) -> dict[str, Any]:
    """The interval fields of :class:`ContentShare` (widening the element ``rows`` and
    adding to ``notes`` in place); ``untraced`` the mass bounds at the midpoints."""
    low, high = untraced
    if ranged.mass is not None:
        low, high = ranged.mass.low, ranged.mass.high
        for r in rows:
            r.mass_share_low, r.mass_share_high = ranged.mass.elements.get(
                r.element, (r.mass_share_low, r.mass_share_high))
    if not ranged.exact:
        notes.add("too many ranged quantities to try every combination: the mass bounds "
                  "read them all low and all high (not exact)")
    test = None
    if threshold is not None:
        from oretrace.queries.intervals import threshold_test  # it imports this module

        test = threshold_test(ranged.value_low, ranged.value_high, threshold)
    return {"mass_share_low": low, "mass_share_high": high,
            "value_share_low": ranged.value_low, "value_share_high": ranged.value_high,
            "threshold": threshold, "threshold_test": test, "ranged_figures": ranged.figures,
            "bounds_exact": ranged.exact}
