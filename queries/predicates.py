"""Predicates that mark facilities: Chinese processing, Chinese ownership, Chinese technology.

A :class:`Predicate` selects a set of facility ids from a graph (usually a time-sliced view,
so ownership and facilities are read as of a date). Predicates compose with ``|``, ``&`` and
``~`` into new predicates.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset()
>>> "cn-separation-pool" in CN_PROCESSING.select(G)
True
>>> (CN_PROCESSING | CN_TECHNOLOGY).name
'cn-processing|cn-technology'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
from oretrace.graphmodel import QueryError
from oretrace.graphmodel.vocab import PROCESSING_STAGES, EdgeKind, NodeKind, Stage

__all__ = [
    "ANY_CN",
    "CN_MINING",
    "CN_OWNED",
    "CN_PROCESSING",
    "CN_TECHNOLOGY",
    "PREDICATES",
    "Predicate",
    "controlled_companies",
    "located_in",
    "owned_by",
    "predicate",
    "uses_technology_from",
]


@dataclass(frozen=True)
class Predicate:
    """A named test of facilities; ``select(G)`` returns the facility ids that match."""

    name: str
    _select: Callable[[nx.MultiDiGraph], set[str]]

    def select(self, G: nx.MultiDiGraph) -> set[str]:
        """Return the ids of the facilities of ``G`` that match.

        Parameters
        ----------
        G : networkx.MultiDiGraph
            The oretrace graph, or a view of it as of a date (ownership and technology use are
            read as they stand in it; not mutated).

        Returns
        -------
        set of str
            The ids of the matching facilities.

        Examples
        --------
        >>> from oretrace.loaders import load_dataset
        >>> sorted(CN_PROCESSING.select(load_dataset(MINI)))
        ['cn-sep']
        """
        return self._select(G)

    def __or__(self, other: Predicate) -> Predicate:
        return Predicate(f"{self.name}|{other.name}", lambda G: self.select(G) | other.select(G))

    def __and__(self, other: Predicate) -> Predicate:
        return Predicate(f"{self.name}&{other.name}", lambda G: self.select(G) & other.select(G))

    def __invert__(self) -> Predicate:
        return Predicate(f"~{self.name}", lambda G: _facilities(G) - self.select(G))


def _facilities(G: nx.MultiDiGraph) -> set[str]:
    return {n for n, k in G.nodes(data="kind") if k == NodeKind.FACILITY}


def located_in(country: str, stages: frozenset[str] | None = None, *,
               name: str | None = None) -> Predicate:
    """Return the predicate matching facilities in ``country`` at one of ``stages``.

    Markets count per their own stage: a market node is matched only when ``stages`` is
    ``None`` or includes ``market``.

    Parameters
    ----------
    country : str
        An ISO 3166-1 alpha-2 country code, e.g. ``"CN"``.
    stages : frozenset of str, optional
        The stages that count (``separation``, ``magnet`` …); ``None`` (the default): any.
    name : str, optional
        The predicate's name, as results and the CLI show it (default derived from the
        arguments).

    Returns
    -------
    Predicate
        Named ``in-<country>`` or ``in-<country>-<stage>+<stage>…`` unless ``name`` is given.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> sorted(located_in("CN").select(G))
    ['cn-mine', 'cn-sep']
    >>> sorted(located_in("CN", frozenset({"separation"})).select(G))
    ['cn-sep']
    """
    def select(G: nx.MultiDiGraph) -> set[str]:
        return {n for n, d in G.nodes(data=True)
                if d.get("kind") == NodeKind.FACILITY and d.get("country") == country
                and (stages is None or d.get("stage") in stages)}
    label = name or (f"in-{country.lower()}" if stages is None
                     else f"in-{country.lower()}-{'+'.join(sorted(stages))}")
    return Predicate(label, select)


def controlled_companies(G: nx.MultiDiGraph, country: str, threshold: float = 0.5) -> set[str]:
    """Return the companies that count as entities of ``country``.

    A company is an entity of ``country`` when it is registered there, or when entities of
    ``country`` together hold at least ``threshold`` of it (the 50 % affiliate reading of
    MOFCOM No. 61 §II and the US affiliates rule): holdings of all such entities add up,
    and a company that is itself controlled counts with its whole holding, not pro rata.
    Solved as a least fixed point over the ``owns`` edges present in ``G``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph, or a view of it as of a date (ownership is read as it stands).
    country : str
        An ISO 3166-1 alpha-2 country code, e.g. ``"CN"``.
    threshold : float
        The combined share (0-1) of ``country``'s entities from which a company counts as one
        of them (default 0.5).

    Returns
    -------
    set of str
        The ids of the companies that count as entities of ``country``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", kind="company", country="CN")
    >>> G.add_node("b", kind="company", country="SG")
    >>> G.add_node("c", kind="company", country="US")
    >>> _ = G.add_edge("a", "b", key="owns", kind="owns", share=0.5)
    >>> _ = G.add_edge("b", "c", key="owns", kind="owns", share=0.5)
    >>> sorted(controlled_companies(G, "CN"))
    ['a', 'b', 'c']
    """
    companies = {n for n, k in G.nodes(data="kind") if k == NodeKind.COMPANY}
    controlled = {c for c in companies if G.nodes[c].get("country") == country}
    holders: dict[str, list[tuple[str, float]]] = {}
    for u, v, d in G.edges(data=True):
        if d.get("kind") == EdgeKind.OWNS and v in companies:
            holders.setdefault(v, []).append((u, float(d.get("share", 0.0))))
    changed = True
    while changed:
        changed = False
        for company, owners in holders.items():
            if company in controlled:
                continue
            held = sum(share for owner, share in owners if owner in controlled)
            if held >= threshold - 1e-12:
                controlled.add(company)
                changed = True
    return controlled


def owned_by(country: str, threshold: float = 0.5, *, name: str | None = None) -> Predicate:
    """Return the predicate matching facilities whose operator is an entity of ``country``.

    An operator is an entity of ``country`` as :func:`controlled_companies` reads it.
    A facility with no operator but located in ``country`` does not match: ownership is
    about companies; use :func:`located_in` for location.

    Parameters
    ----------
    country : str
        An ISO 3166-1 alpha-2 country code, e.g. ``"CN"``.
    threshold : float
        The combined share (0-1) of ``country``'s entities from which an operator counts as
        one of them (default 0.5).
    name : str, optional
        The predicate's name, as results and the CLI show it (default derived from the
        arguments).

    Returns
    -------
    Predicate
        Named ``<country>-owned`` unless ``name`` is given.

    Examples
    --------
    In the mini dataset Chinese Co holds 10 % of US Co, well under half:

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> sorted(owned_by("CN").select(G))
    ['cn-mine', 'cn-sep']
    >>> sorted(owned_by("CN", threshold=0.1).select(G))
    ['cn-mine', 'cn-sep', 'us-asm', 'us-comp', 'us-mine', 'us-sep']
    """
    def select(G: nx.MultiDiGraph) -> set[str]:
        controlled = controlled_companies(G, country, threshold)
        return {n for n, d in G.nodes(data=True)
                if d.get("kind") == NodeKind.FACILITY and d.get("company") in controlled}
    return Predicate(name or f"{country.lower()}-owned", select)


def uses_technology_from(country: str, stages: frozenset[str] | None = None, *,
                         name: str | None = None) -> Predicate:
    """Return the predicate matching facilities that run a technology from ``country``.

    Parameters
    ----------
    country : str
        An ISO 3166-1 alpha-2 country code, e.g. ``"CN"``.
    stages : frozenset of str, optional
        The technology stages that count (``separation``, ``sintering`` …); ``None`` (the
        default): any.
    name : str, optional
        The predicate's name, as results and the CLI show it (default derived from the
        arguments).

    Returns
    -------
    Predicate
        Named ``<country>-technology`` unless ``name`` is given.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> sorted(uses_technology_from("CN").select(G))
    ['cn-sep']
    """
    def select(G: nx.MultiDiGraph) -> set[str]:
        out = set()
        for u, v, d in G.edges(data=True):
            if d.get("kind") != EdgeKind.USES:
                continue
            tech = G.nodes[v]
            if tech.get("origin_country") == country and (
                    stages is None or tech.get("stage") in stages):
                out.add(u)
        return out
    return Predicate(name or f"{country.lower()}-technology", select)


#: A facility located in China at a processing stage (separation, metal, alloy, magnet,
#: recycling). Mines and markets count per their own stage: they are not processing.
CN_PROCESSING = located_in("CN", PROCESSING_STAGES, name="cn-processing")
#: A facility whose operator is a Chinese entity under the 50 % affiliate reading.
CN_OWNED = owned_by("CN", name="cn-owned")
#: A facility that runs a technology of Chinese origin.
CN_TECHNOLOGY = uses_technology_from("CN", name="cn-technology")
#: Any of the three.
ANY_CN = Predicate("any", (CN_PROCESSING | CN_OWNED | CN_TECHNOLOGY).select)
#: A Chinese mine (mining is not processing, but origin rules read it).
CN_MINING = located_in("CN", frozenset({Stage.MINE, Stage.CONCENTRATION}), name="cn-mining")

#: Predicates by the names the CLI accepts.
PREDICATES: dict[str, Predicate] = {
    p.name: p for p in (CN_PROCESSING, CN_OWNED, CN_TECHNOLOGY, ANY_CN, CN_MINING)
}


def predicate(name: str) -> Predicate:
    """Return the predicate called ``name``; combine names with ``|`` or ``&``.

    Parameters
    ----------
    name : str
        A name of :data:`PREDICATES` (``cn-processing``, ``cn-owned``, ``cn-technology``,
        ``cn-mining``, ``any``), or several joined by ``|`` (any of them) or ``&`` (all of
        them); ``|`` binds looser than ``&``.

    Returns
    -------
    Predicate
        The named predicate, or their combination.

    Raises
    ------
    QueryError
        When a name is not one of :data:`PREDICATES`.

    Examples
    --------
    >>> predicate("cn-processing|cn-owned").name
    'cn-processing|cn-owned'
    """
    if "|" in name:
        parts = [predicate(p) for p in name.split("|")]
        out = parts[0]
        for p in parts[1:]:
            out = out | p
        return out
    if "&" in name:
        parts = [predicate(p) for p in name.split("&")]
        out = parts[0]
        for p in parts[1:]:
            out = out & p
        return out
    if name not in PREDICATES:
        raise QueryError(f"unknown predicate {name!r}; choose from {', '.join(PREDICATES)}")
    return PREDICATES[name]
