"""Broken chains: which products keep no supply chain above a confidence floor, and where
their chains break (DESIGN §7).

A chain at a level is one whose every hop is at least that strong, a hop being as strong as
the weakest of its link and the bill-of-materials line that makes its product needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Final

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    is_active,
    need_confidence,
    parse_date,
    restrict,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import EdgeKind
from oretrace.queries._exposure_graph import _makers_of, _rank, resolve_products
from oretrace.queries.feasibility import Need, SupplyNetwork, supplied_mask, supply_network
from pydantic import BaseModel

__all__ = ["NO_CHAIN", "ChainGap", "find_broken_chains"]

#: The status of a product that has no supply chain left at the confidence floor asked for.
NO_CHAIN: Final = "no_chain_at_level"


class ChainGap(BaseModel):
    """Where a chain breaks at a confidence floor.

    ``facility`` needs ``product`` and no supplier of it is supplied at that level;
    ``facility`` is ``None`` when no facility makes ``product`` at the date.
    """

    facility: str | None
    product: str


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


@shared_docs
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
    %(G)s
    min_confidence : {"documented", "reported", "estimated", "illustrative"}
        The confidence floor.
    %(as_of)s
    %(products)s

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
