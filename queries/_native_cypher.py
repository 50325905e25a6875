"""The Cypher of the native queries: the model's rules written as Cypher conditions.

Every value is a parameter. What is written into the text is only: labels and relationship
types of the storage layout (:mod:`oretrace.graphmodel.backends.neo4j`), variable names of
this module, and property names taken from the model's own rules (the date windows of
:mod:`oretrace.graphmodel.timeslice`), each checked to be a plain identifier.
"""

from __future__ import annotations

import re

from oretrace.graphmodel import CONFIDENCE_ORDER, BackendError
from oretrace.graphmodel.timeslice import FACILITY_WINDOW, LINK_WINDOW, Window

__all__ = [
    "FACILITIES",
    "PARAMS",
    "Q_BOM",
    "Q_CHAIN",
    "Q_COMPANIES",
    "Q_DATASET",
    "Q_IDS_OF_LABEL",
    "Q_INTO",
    "Q_KINDS",
    "Q_MAKERS",
    "Q_MAKERS_ANY_DATE",
    "Q_NODES",
    "Q_OPERATED_ANY_DATE",
    "Q_OWNS",
    "Q_PLATFORMS",
    "Q_PRESENT_AMONG",
    "Q_USERS",
    "active",
    "strong",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name(text: str) -> str:
    """``text``, checked to be a plain identifier before it is written into Cypher."""
    if not _IDENTIFIER.fullmatch(text):
        raise BackendError(f"{text!r} cannot be written into a Cypher query")
    return text


def _statuses(field: str) -> str:
    """The parameter holding the statuses under which ``field`` must be set."""
    return f"needs_{_name(field)}"


def active(v: str, window: Window = FACILITY_WINDOW) -> str:
    """The condition that ``v`` exists at ``$day``, by ``window``.

    The rule is :func:`oretrace.graphmodel.is_active`'s, read from its
    :class:`~oretrace.graphmodel.timeslice.Window` (fields and statuses), not restated here;
    an absent status is no status (``NULL IN list`` falls to ``ELSE true``).
    """
    v = _name(v)
    start, end, status = (f"{v}.{_name(f)}" for f in (window.start, window.end, window.status))
    # CASE, not NOT (a AND b): the planner splits the latter into a union of two scans
    parts = [f"CASE WHEN {status} IN ${_statuses(field)} THEN {prop} IS NOT NULL ELSE true END"
             for statuses, field, prop in ((window.needs_end, window.end, end),
                                           (window.needs_start, window.start, start))
             if statuses]
    parts += [f"({start} IS NULL OR {start} <= $day)", f"({end} IS NULL OR $day < {end})"]
    return " AND ".join(parts)


def strong(r: str) -> str:
    """The condition that link ``r`` is at least as strong as ``$floor`` (``restrict``'s)."""
    r = _name(r)
    return f"({r}.confidence IS NULL OR coalesce($rank[{r}.confidence], 0) >= $floor)"


def _window_params(*windows: Window) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for window in windows:
        for statuses, field in ((window.needs_end, window.end),
                                (window.needs_start, window.start)):
            if statuses:
                out[_statuses(field)] = sorted(str(s) for s in statuses)
    return out


#: The parameters every native query may read besides its own (the dataset's are added
#: per store): confidence ranks and the statuses of the date windows.
PARAMS: dict[str, object] = {
    "rank": {str(level): rank for level, rank in CONFIDENCE_ORDER.items()},
    **_window_params(FACILITY_WINDOW, LINK_WINDOW),
}


def _link(r: str) -> str:
    """Link ``r`` exists at ``$day`` and is at least as strong as ``$floor``."""
    return f"{active(r, LINK_WINDOW)} AND {strong(r)}"


#: A supply carries an input its buyer needs, on a bill-of-materials line above the floor.
_NEED = "{r}.needed AND coalesce($rank[{r}._need], 0) >= $floor"
def _hop(a: str, r: str) -> str:
    """A needed, present supply ``r`` from a present facility ``a``."""
    return " AND ".join([_NEED.format(r=r), _link(r), active(a)])


FACILITIES = "(f:OretraceNode:Facility {dataset: $dataset, version: $version})"
_VERSION = "{dataset: $dataset, version: $version}"

Q_DATASET = ("MATCH (d:OretraceDataset {name: $dataset}) "
             "RETURN d.current AS version, d.layout AS layout")
Q_PLATFORMS = (f"MATCH (p:OretraceNode:Product {_VERSION}) "
               "WHERE p.category = $platform RETURN p.id AS id ORDER BY p._seq")
Q_KINDS = ("UNWIND $ids AS id MATCH (n:OretraceNode {dataset: $dataset, version: $version, "
           "id: id}) RETURN n.id AS id, n.kind AS kind, n.name AS name")
Q_IDS_OF_LABEL = {
    "product": f"MATCH (n:OretraceNode:Product {_VERSION}) RETURN n.id AS id ORDER BY n._seq",
    "node": f"MATCH (n:OretraceNode {_VERSION}) RETURN n.id AS id ORDER BY n._seq",
}
Q_PRESENT_AMONG = (f"MATCH {FACILITIES} WHERE f.id IN $ids AND {active('f')} "
                   "RETURN f.id AS id")
Q_MAKERS = (f"MATCH {FACILITIES} WHERE any(p IN f.products WHERE p IN $products) "
            f"AND {active('f')} "
            "RETURN f.id AS id, f.stage AS stage, f.products AS products ORDER BY f._seq")
Q_COMPANIES = (f"MATCH (c:OretraceNode:Company {_VERSION}) "
               "RETURN c.id AS id, c.country AS country ORDER BY c._seq")
Q_OWNS = (f"MATCH (a:OretraceNode:Company {_VERSION})-[o:OWNS]->(b:Company) "
          f"WHERE $all_links OR ({_link('o')}) "
          "RETURN a.id AS u, b.id AS v, o.share AS share ORDER BY o._seq")
Q_USERS = (f"MATCH {FACILITIES}-[:USES]->(t:Technology {{id: $node}}) "
           "RETURN DISTINCT f.id AS id")
Q_MAKERS_ANY_DATE = f"MATCH {FACILITIES} WHERE $node IN f.products RETURN f.id AS id"
Q_OPERATED_ANY_DATE = f"MATCH {FACILITIES} WHERE f.company IN $companies RETURN f.id AS id"
#: The needed, present supplies into the ``$frontier`` facilities (one level of an upstream
#: search, and the hops of the graph it spans).
Q_INTO = ("UNWIND $frontier AS id "
          "MATCH (b:OretraceNode:Facility {dataset: $dataset, version: $version, id: id})"
          f"<-[r:SUPPLIES]-(a:Facility) WHERE {_hop('a', 'r')} "
          "RETURN a.id AS u, b.id AS v, r.product AS product, r.confidence AS confidence, "
          "r._need AS need, r.sources AS sources, r._in AS place")
Q_NODES = (f"MATCH {FACILITIES} WHERE f.id IN $ids RETURN f.id AS id, "
           "f.confidence AS confidence, f.sources AS sources, f._seq AS seq")
#: A chain's facilities, and the bill of materials of their products at any confidence
#: (a floor leaves a weak line's need unmet rather than gone: ``exposure._floored``).
Q_CHAIN = (f"MATCH {FACILITIES} WHERE f.id IN $ids "
           "RETURN f.id AS id, f.stage AS stage, f.products AS products, f._seq AS seq")
Q_BOM = ("UNWIND $products AS pid "
         "MATCH (p:OretraceNode:Product {dataset: $dataset, version: $version, id: pid})"
         "-[r:REQUIRES]->(i:Product) WHERE r.substitute_for IS NULL "
         "RETURN p.id AS product, i.id AS input, r.confidence AS confidence")
