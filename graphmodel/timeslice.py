"""Time slicing and confidence filtering: read-only views of the graph as of a date."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import networkx as nx
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.errors import QueryError
from oretrace.graphmodel.vocab import CONFIDENCE_ORDER, Confidence, FacilityStatus, NodeKind

__all__ = ["FACILITY_WINDOW", "LINK_WINDOW", "Window", "at", "confidence_level", "is_active",
           "parse_date", "restrict", "today", "window_of"]


@dataclass(frozen=True)
class Window:
    """When a node or edge exists: the rule :func:`is_active` applies, stated as data.

    It exists from its ``start`` field (inclusive) to its ``end`` field (exclusive), an
    empty field leaving that side open; while its ``status`` is one of ``needs_end`` it
    exists only once ``end`` is set, and while it is one of ``needs_start`` only once
    ``start`` is set. Engines that cannot call Python (Cypher) state the same rule from
    these fields.

    Examples
    --------
    >>> FACILITY_WINDOW.start, FACILITY_WINDOW.end, "closed" in FACILITY_WINDOW.needs_end
    ('online_from', 'online_until', True)
    """

    start: str
    end: str
    status: str = "status"
    needs_end: frozenset[str] = frozenset()
    needs_start: frozenset[str] = frozenset()

    @functools.cached_property
    def fields(self) -> frozenset[str]:
        """The attributes this rule reads: something holding none of them always exists.

        Engines walking many attribute dicts test this first (``fields.isdisjoint(attrs)``)
        and apply :meth:`holds` only to the dated ones, as :meth:`holds` itself does.

        Examples
        --------
        >>> sorted(LINK_WINDOW.fields), LINK_WINDOW.fields.isdisjoint({"share": 0.5})
        (['end', 'start'], True)
        """
        status = {self.status} if self.needs_end or self.needs_start else set()
        return frozenset({self.start, self.end} | status)

    def holds(self, attrs: dict[str, Any], as_of: dt.date) -> bool:
        """Say whether something with these attributes exists at ``as_of`` by this rule.

        Parameters
        ----------
        attrs : dict
            The attributes of a node or edge.
        as_of : datetime.date
            The date asked about.

        Returns
        -------
        bool
            ``True`` when it exists at ``as_of``.

        Examples
        --------
        >>> import datetime as dt
        >>> LINK_WINDOW.holds({"end": dt.date(2026, 1, 1)}, dt.date(2026, 1, 1))
        False
        """
        if self.fields.isdisjoint(attrs):
            return True
        start, end = attrs.get(self.start), attrs.get(self.end)
        status = attrs.get(self.status) if self.needs_end or self.needs_start else None
        if isinstance(status, str) and ((status in self.needs_end and end is None) or (
                status in self.needs_start and start is None)):
            return False
        return (start is None or start <= as_of) and (end is None or as_of < end)

    def holds_each(self, many: Sequence[dict[str, Any]], as_of: dt.date) -> list[bool]:
        """Say, for each of many attribute dicts, whether it exists at ``as_of`` (:meth:`holds`).

        Dated links share few distinct windows: the values of :attr:`fields` are read in
        bulk and :meth:`holds` is asked once per distinct tuple of them (once per dict when
        a value cannot be hashed).

        Parameters
        ----------
        many : sequence of dict
            Node or edge attribute dicts.
        as_of : datetime.date
            The day asked about.

        Returns
        -------
        list of bool
            :meth:`holds` of each dict, in order.

        Examples
        --------
        >>> import datetime as dt
        >>> later = {"start": dt.date(2027, 1, 1)}
        >>> LINK_WINDOW.holds_each([later, {"share": 0.5}, later], dt.date(2026, 6, 1))
        [False, True, False]
        """
        names = sorted(self.fields)
        keys = list(zip(*(map(dict.get, many, repeat(name)) for name in names), strict=True))
        try:
            distinct = dict.fromkeys(keys)
        except TypeError:  # a value that cannot be hashed
            return [self.holds(attrs, as_of) for attrs in many]
        verdict = {key: self.holds(dict(zip(names, key, strict=True)), as_of)
                   for key in distinct}
        return list(map(verdict.__getitem__, keys))


#: A facility runs from ``online_from`` to ``online_until``; closed or suspended with no
#: date it stopped, or planned, under construction or uncertain with no start date, it does
#: not exist.
FACILITY_WINDOW = Window(
    "online_from", "online_until",
    needs_end=frozenset({FacilityStatus.CLOSED, FacilityStatus.SUSPENDED}),
    needs_start=frozenset({FacilityStatus.PLANNED, FacilityStatus.CONSTRUCTION,
                           FacilityStatus.UNCERTAIN}))
#: Supply and ownership links (and anything else dated) exist from ``start`` to ``end``.
LINK_WINDOW = Window("start", "end")


def window_of(kind: str | None) -> Window:
    """Return the rule by which a node or edge of ``kind`` exists in time.

    Parameters
    ----------
    kind : str or None
        The ``kind`` attribute of a node or edge.

    Returns
    -------
    Window
        :data:`FACILITY_WINDOW` for facilities, :data:`LINK_WINDOW` for everything else
        (undated things always exist).

    Examples
    --------
    >>> window_of("supplies") is LINK_WINDOW
    True
    """
    return FACILITY_WINDOW if kind == NodeKind.FACILITY else LINK_WINDOW


def today() -> dt.date:
    """Return today's date (the default ``as_of`` of every query).

    Returns
    -------
    datetime.date
        The local date of the machine running the query.

    Examples
    --------
    >>> today() > parse_date("2025-01-01")
    True
    """
    return dt.date.today()


def parse_date(value: str | dt.date | None) -> dt.date:
    """Return ``value`` as a date; ``None`` means today.

    Parameters
    ----------
    value : date, datetime, ISO str or None
        A date, a datetime (its date is kept), a string ``YYYY-MM-DD``, or ``None`` for today.

    Returns
    -------
    datetime.date
        The date.

    Raises
    ------
    QueryError
        When a string is not an ISO date.

    Examples
    --------
    >>> parse_date("2027-01-01")
    datetime.date(2027, 1, 1)
    """
    if value is None:
        return today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise QueryError(f"{value!r} is not a date in ISO form (YYYY-MM-DD)") from exc


def is_active(attrs: dict[str, Any], as_of: dt.date) -> bool:
    """Say whether a node or edge with these attributes exists at ``as_of``.

    Facilities exist from ``online_from`` (inclusive) to ``online_until`` (exclusive);
    a facility that is closed, or planned with no start date, does not exist. Supply and
    ownership edges exist from ``start`` to ``end``. Everything else always exists.

    Parameters
    ----------
    attrs : dict
        The attributes of a node or edge of the oretrace graph.
    as_of : datetime.date
        The date asked about.

    Returns
    -------
    bool
        ``True`` when the node or edge exists at ``as_of``.

    Examples
    --------
    >>> import datetime as dt
    >>> is_active({"kind": "facility", "status": "planned",
    ...            "online_from": dt.date(2028, 1, 1)}, dt.date(2027, 6, 1))
    False
    """
    return window_of(attrs.get("kind")).holds(attrs, as_of)


def _strong_enough(attrs: dict[str, Any], floor: int) -> bool:
    level = attrs.get("confidence")
    return level is None or CONFIDENCE_ORDER.get(level, 0) >= floor



def confidence_level(value: str | Confidence) -> Confidence:
    """Return ``value`` as a confidence level.

    Raises
    ------
    QueryError
        When ``value`` is not one, naming the levels.

    Examples
    --------
    >>> confidence_level("reported") is Confidence.REPORTED
    True
    """
    if value not in CONFIDENCE_ORDER:
        raise QueryError(f"{value!r} is not a confidence level "
                         f"({', '.join(c.value for c in Confidence)})")
    return Confidence(value)


@shared_docs
def restrict(
    G: nx.MultiDiGraph,
    *,
    as_of: str | dt.date | None = None,
    min_confidence: str | Confidence | None = None,
) -> nx.MultiDiGraph:
    """Return a read-only view of ``G`` as of a date and/or above a confidence floor.

    Nodes and edges outside their date window are absent from the view, and so are edges
    weaker than ``min_confidence`` (nodes stay: the floor is about links, so an analyst sees
    what survives on, say, documented links only); edges to absent nodes go with them.
    Rules and products are never dropped by date (rules carry their own windows).

    Parameters
    ----------
    %(G)s
    as_of : date or ISO str, optional
        The date to read the network at; ``None`` (the default) keeps every date window.
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop links weaker than this level; ``None`` (the default) keeps them all.

    Returns
    -------
    networkx.MultiDiGraph
        A read-only view sharing ``G``'s attribute dicts (copy it with ``.copy()`` to change it).

    Raises
    ------
    QueryError
        When ``as_of`` is not a date or ``min_confidence`` not a confidence level.

    Examples
    --------
    In the mini dataset every link is illustrative: above ``reported`` none is left, while
    the nodes stay.

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> V = restrict(G, min_confidence="reported")
    >>> V.number_of_edges(), V.number_of_nodes() == G.number_of_nodes()
    (0, True)
    """
    day = parse_date(as_of) if as_of is not None else None
    floor = CONFIDENCE_ORDER[confidence_level(min_confidence)] if min_confidence is not None \
        else 0

    def keep_node(n: str) -> bool:
        attrs = G.nodes[n]
        return day is None or is_active(attrs, day)

    def keep_edge(u: str, v: str, k: str) -> bool:
        attrs = G.edges[u, v, k]
        if day is not None and not is_active(attrs, day):
            return False
        return _strong_enough(attrs, floor)

    view: nx.MultiDiGraph = nx.subgraph_view(G, filter_node=keep_node, filter_edge=keep_edge)
    return view


@shared_docs
def at(G: nx.MultiDiGraph, as_of: str | dt.date | None = None) -> nx.MultiDiGraph:
    """Return the view of ``G`` as of ``as_of`` (default today).

    Shorthand for :func:`restrict` with a date and no confidence floor.

    Parameters
    ----------
    %(G)s
    %(as_of)s

    Returns
    -------
    networkx.MultiDiGraph
        A read-only view of ``G`` at that date.

    Examples
    --------
    The US separator comes online on 2027-01-01:

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> "us-sep" in at(G, "2026-06-01"), "us-sep" in at(G, "2027-06-01")
    (False, True)
    """
    return restrict(G, as_of=parse_date(as_of))
