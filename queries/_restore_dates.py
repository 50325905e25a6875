"""By when (:mod:`oretrace.queries.restore`): the dates on which the data changes."""

from __future__ import annotations

import datetime as dt

import networkx as nx
from oretrace.graphmodel.rules import Rule, rule_from_node
from oretrace.graphmodel.vocab import NodeKind

__all__ = ["change_dates"]

_DAY = dt.timedelta(days=1)


def _rule_dates(rule: Rule) -> set[dt.date]:
    """The days on which a rule's status can change (inclusive ends give the day after)."""
    out = {rule.effective}
    if rule.until is not None:
        out.add(rule.until)
    if rule.known_until is not None:
        out.add(rule.known_until + _DAY)
    for clause in rule.clauses:
        out |= {d for d in (clause.effective, clause.until) if d is not None}
    for event in rule.status:
        out.add(event.date)
        if event.until is not None:
            out.add(event.until + _DAY)
    for waiver in rule.waivers:
        out.add(waiver.through + _DAY)
        if waiver.start is not None:
            out.add(waiver.start)
    return out


def change_dates(G: nx.MultiDiGraph) -> list[dt.date]:
    """Return, sorted, the dates on which the data of ``G`` changes.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not mutated).

    Returns
    -------
    list of datetime.date
        Every date attribute of a facility, company or edge (``online_from``,
        ``online_until``, a supply or ownership link's ``start`` and ``end``, a dated
        technology use), and each rule's ``effective``, ``until``, clause windows, status
        events, the day after a suspension's or a waiver's last day and the day after
        ``known_until`` (when its status becomes assumed). Between two of these dates every
        query answers the same.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> [str(d) for d in change_dates(load_dataset(DATA / "choke_time"))]
    ['2027-06-01', '2028-01-01']
    """
    out: set[dt.date] = set()
    for n, attrs in G.nodes(data=True):
        if attrs.get("kind") == NodeKind.RULE:
            out |= _rule_dates(rule_from_node(attrs, n))
            continue
        out |= {v for v in attrs.values() if isinstance(v, dt.date)}
    for _, _, attrs in G.edges(data=True):
        out |= {v for v in attrs.values() if isinstance(v, dt.date)}
    return sorted(out)
