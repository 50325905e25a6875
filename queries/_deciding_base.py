"""Deciding links (:mod:`oretrace.queries.deciding`): the answers, the links and the region.

A link is ``(supplier, buyer, product)``: every dated row of the same three active at the
date, as strong as the strongest of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    UnknownNodeError,
    is_active,
    parse_date,
    platforms,
    restrict,
    weakest,
)
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._exposure_graph import _dated_subgraph
from pydantic import BaseModel, Field

__all__ = ["Answer", "ComplianceAnswer", "Link", "Links", "live_links", "without_link"]

#: A supply link, as ``(supplier, buyer, product)``.
Link = tuple[str, str, str]
#: The live links of a date: link → (confidence, sources).
Links = Mapping[Link, tuple[Confidence, list[str]]]


class ComplianceAnswer(BaseModel):
    """The compliance answer of a platform, summed up (what a deciding link may change)."""

    licensed: int = Field(description="shipments needing a licence (denied ones included), "
                                      "under rules that apply at the date")
    denied: int = Field(description="shipments that would be denied")
    supplied: bool
    supplied_if_denied_stop: bool
    supplied_if_licences_refused: bool
    procurement: dict[str, str] = Field(description="procurement rule → verdict")

    def __str__(self) -> str:
        def yn(x: bool) -> str:
            return "yes" if x else "no"
        text = (f"licensed {self.licensed}, denied {self.denied}, supplied {yn(self.supplied)}, "
                f"if denied stop {yn(self.supplied_if_denied_stop)}, "
                f"if licences refused {yn(self.supplied_if_licences_refused)}")
        return text + "".join(f", {r} {v}" for r, v in sorted(self.procurement.items()))


#: An answer: supplied / exposed (a yes or no), or a compliance summary.
Answer = bool | ComplianceAnswer

#: What a question's helper returns: the answer, its confidence, the answer without each
#: deciding link, the method, the assumptions, and the links asked about.
Found = tuple[Answer, Confidence, dict[Link, Answer], str, list[str], set[Link]]


def live_links(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None
               ) -> dict[Link, tuple[Confidence, list[str]]]:
    """Return every supply link active at the date, with its confidence and sources.

    Rows of the same supplier, buyer and product active at the date are one link, as
    strong as the strongest of them.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not mutated).
    as_of : date or ISO str, optional
        The date (default today).

    Returns
    -------
    dict
        ``(supplier, buyer, product)`` → ``(confidence, sources)``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> links = live_links(load_dataset(MINI), as_of="2026-06-01")
    >>> links[("cn-sep", "jp-mag", "oxide")]
    (<Confidence.ILLUSTRATIVE: 'illustrative'>, ['hand'])
    """
    return links_at(restrict(G, as_of=parse_date(as_of)))


def links_at(V: nx.MultiDiGraph) -> dict[Link, tuple[Confidence, list[str]]]:
    """:func:`live_links` of a graph already read at its date."""
    out: dict[Link, tuple[Confidence, list[str]]] = {}
    for u, v, d in V.edges(data=True):
        if d.get("kind") != EdgeKind.SUPPLIES:
            continue
        key = (u, v, str(d["product"]))
        level = Confidence(d.get("confidence", Confidence.DOCUMENTED))
        sources = list(d.get("sources", []))
        if key in out:
            old, cited = out[key]
            level = old if CONFIDENCE_ORDER[old] >= CONFIDENCE_ORDER[level] else level
            sources = sorted(set(cited) | set(sources))
        out[key] = (level, sorted(set(sources)))
    return out


def without_link(G: nx.MultiDiGraph, link: Link, *, as_of: str | dt.date | None = None
                 ) -> nx.MultiDiGraph:
    """Return a copy of ``G`` without one supply link (its rows active at the date).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not touched).
    link : tuple of str
        ``(supplier, buyer, product)``.
    as_of : date or ISO str, optional
        The date (default today): rows of the link active then are removed.

    Returns
    -------
    networkx.MultiDiGraph
        The copy.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> H = without_link(G, ("cn-sep", "jp-mag", "oxide"), as_of="2026-06-01")
    >>> G.number_of_edges() - H.number_of_edges()
    1
    """
    day = parse_date(as_of)
    u, v, product = link
    H = G.copy()
    drop = [(u, v, k) for k, d in (G.get_edge_data(u, v) or {}).items()
            if d.get("kind") == EdgeKind.SUPPLIES and d.get("product") == product
            and is_active(d, day)]
    H.remove_edges_from(drop)
    return H


def dated(G: nx.MultiDiGraph, day: dt.date, facilities: Iterable[str] | None = None
          ) -> nx.MultiDiGraph:
    """``restrict(G, as_of=day)`` built as a plain graph (read many times, it costs no view
    filters), with only ``facilities`` among its facilities (default: all active then)."""
    keep = [n for n, d in G.nodes(data=True) if d.get("kind") == NodeKind.FACILITY
            and is_active(d, day)] if facilities is None else facilities
    return _dated_subgraph(G, day, keep)


def platform_of(G: nx.MultiDiGraph, platform: str) -> str:
    """``platform``, checked to be one."""
    known = platforms(G)
    if platform not in known:
        raise UnknownNodeError(platform, known, "platform")
    return platform




def region(V: nx.MultiDiGraph, H: nx.DiGraph, platform: str, *, end_uses: bool
           ) -> tuple[set[Link], set[str]]:
    """The links on ``platform``'s needed supply (hops into its upstream facilities) and
    those facilities; with ``end_uses``, also those upstream of platforms with an end user or
    destination that ``platform`` lacks (they may change a shared shipment's end uses)."""
    def use(p: str) -> tuple[str, frozenset[str]]:
        d = V.nodes[p]
        return str(d.get("end_user") or "unknown"), frozenset(d.get("delivered_to") or ())

    mine = use(platform)
    roots = [platform]
    if end_uses:
        roots += [q for q in platforms(V) if q != platform and q in H
                  and (use(q)[0] != mine[0] or not use(q)[1] <= mine[1])]
    upstream: set[str] = set()
    for root in roots:
        if root in H:
            upstream |= nx.ancestors(H, root)
    return {(u, v, q) for u, v, d in H.edges(data=True) if v in upstream
            for q in d["products"]}, upstream


def below(region: Iterable[Link], links: Links, floor: Confidence) -> set[Link]:
    """The links of ``region`` weaker than ``floor``."""
    return {k for k in region
            if k in links and CONFIDENCE_ORDER[links[k][0]] < CONFIDENCE_ORDER[floor]}


def weakest_of(region: Iterable[Link], links: Links) -> Confidence:
    """The weakest confidence among the live links of ``region``."""
    return weakest([links[k][0] for k in region if k in links])
