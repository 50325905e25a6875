"""Time slicing and confidence filtering: read-only views of the graph as of a date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx
from oretrace.graphmodel.errors import QueryError
from oretrace.graphmodel.vocab import CONFIDENCE_ORDER, Confidence, FacilityStatus, NodeKind

__all__ = ["at", "is_active", "parse_date", "restrict", "today"]

#: Statuses under which a facility without a start date is taken not to run yet.
_NOT_YET = {FacilityStatus.PLANNED, FacilityStatus.CONSTRUCTION, FacilityStatus.UNCERTAIN}


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


def _in_window(as_of: dt.date, start: Any, end: Any) -> bool:
    return (start is None or start <= as_of) and (end is None or as_of < end)


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
    if attrs.get("kind") == NodeKind.FACILITY:
        status = attrs.get("status")
        start, end = attrs.get("online_from"), attrs.get("online_until")
        if status == FacilityStatus.CLOSED and end is None:
            return False
        if status in _NOT_YET and start is None:
            return False
        return _in_window(as_of, start, end)
    if "start" in attrs or "end" in attrs:
        return _in_window(as_of, attrs.get("start"), attrs.get("end"))
    return True


def _strong_enough(attrs: dict[str, Any], floor: int) -> bool:
    level = attrs.get("confidence")
    return level is None or CONFIDENCE_ORDER.get(level, 0) >= floor


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
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
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
    if min_confidence is not None and min_confidence not in CONFIDENCE_ORDER:
        raise QueryError(f"{min_confidence!r} is not a confidence level "
                         f"({', '.join(c.value for c in Confidence)})")
    floor = CONFIDENCE_ORDER[min_confidence] if min_confidence is not None else 0

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


def at(G: nx.MultiDiGraph, as_of: str | dt.date | None = None) -> nx.MultiDiGraph:
    """Return the view of ``G`` as of ``as_of`` (default today).

    Shorthand for :func:`restrict` with a date and no confidence floor.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.

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
