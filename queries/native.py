"""Exposure and where-used run natively on a Neo4j server, giving the in-memory answers.

:func:`find_exposed_native` and :func:`find_where_used_native` take a driver (from
``oretrace.graphmodel.backends.neo4j.connect``) and a dataset name instead of a graph, and return
the very :class:`~oretrace.queries.exposure.Exposure` and
:class:`~oretrace.queries.exposure.Dependant`
objects that :func:`~oretrace.queries.exposure.find_exposed` and
:func:`~oretrace.queries.exposure.find_where_used` return on the same data, field by field.

What runs in Cypher, on the server (every value is a parameter; labels and relationship
types are fixed constants of this module, never data):

- the dataset's current version, read in the same read transaction as every other query
  of one answer, and read again at its end: when a push switched versions meanwhile (Neo4j
  reads committed data, not a snapshot, so the old version may have been half deleted
  under the reader), the answer is computed again on the new version;
- the platforms (or the products asked for); the facilities
  making them;
- the selection of a predicate's location atoms (``cn-processing``, ``cn-mining``: country
  and stages as parameters) and technology atoms (``cn-technology``: the technology's
  origin country over ``USES`` relationships above the floor), and, for ``cn-owned``, the
  facilities operated by the controlled companies;
- reachability: upstream from a product's makers (exposure) and downstream from a node's
  facilities (where-used), as a quantified path pattern ``(...)+`` returning ``DISTINCT``
  nodes over ``SUPPLIES`` relationships that carry a needed input (``needed``, and ``_need``,
  the confidence of the bill-of-materials line that makes it needed, above the floor),
  active at ``as_of`` (``start`` inclusive, ``end`` exclusive), above ``min_confidence``,
  between facilities active at ``as_of`` (the rules of ``oretrace.graphmodel.is_active``). The
  planner
  runs it as a pruning breadth-first expand, so paths are never enumerated (Neo4j 5.26 then
  drops the ``DISTINCT`` across start nodes: results are deduplicated in Python). From many
  start facilities (a technology's or a product's makers) it runs level by level instead,
  one query per level;
- the subgraph behind one answer: the facilities upstream of that product and the needed
  supplies between them (never the whole graph).

What runs in Python, on what the server returned:

- the 50 % ownership fixed point of ``cn-owned``: the company/owns subgraph (small) is pulled
  and :func:`oretrace.queries.predicates.controlled_companies` reused; likewise a company's group in
  where-used; the set algebra of composite predicates (``a|b``, ``a&b``, ``~a``);
- the witness paths: the pulled subgraph is shaped exactly as
  :func:`oretrace.queries.exposure.supply_graph` shapes the whole graph, restricted to those
  facilities (same attributes; nodes in the graph's order and each facility's supplies in
  its in-edge order, from the ``_seq`` and ``_in`` the push stored), and handed to
  :func:`oretrace.queries.exposure.witness_paths`, which breaks ties by that order only, so paths,
  their order and their confidence are those of the in-memory query.

Predicates run natively by name: the registered ones (``cn-processing``, ``cn-owned``,
``cn-technology``, ``cn-mining``, ``any``) and their compositions; any other raises
:class:`oretrace.graphmodel.QueryError` (use the in-memory backend for custom predicates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    BackendError,
    Category,
    Confidence,
    FacilityStatus,
    LoadError,
    OretraceError,
    QueryError,
    UnknownNodeError,
    parse_date,
    restrict,
    weakest,
)
from oretrace.graphmodel.backends.neo4j import DEFAULT_DATASET, LAYOUT, read_transaction
from oretrace.graphmodel.vocab import PROCESSING_STAGES, EdgeKind, NodeKind, Stage
from oretrace.queries.exposure import (
    NO_CHAIN,
    ChainGap,
    Dependant,
    Exposure,
    _check_k,
    _floored,
    _gaps,
    _path_sources,
    witness_paths,
)
from oretrace.queries.predicates import ANY_CN, PREDICATES, Predicate, controlled_companies

__all__ = ["find_exposed_native", "find_matching_native", "find_where_used_native"]

_T = TypeVar("_T")

#: Reads tried before giving up when a push keeps switching the version under the query.
ATTEMPTS = 5

# --------------------------------------------------------------------------- Cypher

#: A facility exists at ``$day`` (``oretrace.graphmodel.is_active``), written for variable ``{v}``.
_ACTIVE = ("NOT ({v}.status = $closed AND {v}.online_until IS NULL) "
           "AND NOT ({v}.status IN $not_yet AND {v}.online_from IS NULL) "
           "AND ({v}.online_from IS NULL OR {v}.online_from <= $day) "
           "AND ({v}.online_until IS NULL OR $day < {v}.online_until)")
#: A relationship exists at ``$day`` and is at least as strong as ``$floor``.
_LINK = ("({r}.start IS NULL OR {r}.start <= $day) AND ({r}.end IS NULL OR $day < {r}.end) "
         "AND ({r}.confidence IS NULL OR coalesce($rank[{r}.confidence], 0) >= $floor)")
#: A supply carries an input its buyer needs, on a bill-of-materials line above the floor.
_NEED = "{r}.needed AND coalesce($rank[{r}._need], 0) >= $floor"
#: Where-used of a product: a supply leaving one of its makers must carry that product.
_CARRY = "($carried IS NULL OR NOT {a}.id IN $via OR {r}.product = $carried)"


def _active(v: str) -> str:
    return _ACTIVE.format(v=v)


def _hop(a: str, r: str) -> str:
    """A needed, present supply ``r`` from a present facility ``a``."""
    return " AND ".join([_NEED.format(r=r), _LINK.format(r=r), _active(a),
                         _CARRY.format(a=a, r=r)])


_FACILITIES = "(f:OretraceNode:Facility {dataset: $dataset, version: $version})"

_Q_DATASET = ("MATCH (d:OretraceDataset {name: $dataset}) "
              "RETURN d.current AS version, d.layout AS layout")
_Q_PLATFORMS = ("MATCH (p:OretraceNode:Product {dataset: $dataset, version: $version}) "
                "WHERE p.category = $platform RETURN p.id AS id ORDER BY p._seq")
_Q_KINDS = ("UNWIND $ids AS id MATCH (n:OretraceNode {dataset: $dataset, version: $version, "
            "id: id}) RETURN n.id AS id, n.kind AS kind, n.name AS name")
_Q_IDS_OF_LABEL = {
    "product": ("MATCH (n:OretraceNode:Product {dataset: $dataset, version: $version}) "
                "RETURN n.id AS id ORDER BY n._seq"),
    "node": ("MATCH (n:OretraceNode {dataset: $dataset, version: $version}) "
             "RETURN n.id AS id ORDER BY n._seq"),
}
_Q_ACTIVE = f"MATCH {_FACILITIES} WHERE {_active('f')} RETURN f.id AS id"
_Q_ACTIVE_AMONG = (f"MATCH {_FACILITIES} WHERE f.id IN $ids AND {_active('f')} "
                   "RETURN f.id AS id")
_Q_MAKERS = (f"MATCH {_FACILITIES} WHERE any(p IN f.products WHERE p IN $products) "
             f"AND {_active('f')} "
             "RETURN f.id AS id, f.stage AS stage, f.products AS products ORDER BY f._seq")
_Q_LOCATED = (f"MATCH {_FACILITIES} WHERE f.country = $country "
              f"AND ($stages IS NULL OR f.stage IN $stages) AND {_active('f')} "
              "RETURN f.id AS id")
_Q_TECHNOLOGY = (f"MATCH {_FACILITIES}-[u:USES]->(t:Technology) "
                 "WHERE t.origin_country = $country AND ($stages IS NULL OR t.stage IN $stages) "
                 f"AND {_LINK.format(r='u')} AND {_active('f')} RETURN DISTINCT f.id AS id")
_Q_OPERATED = (f"MATCH {_FACILITIES} WHERE f.company IN $companies AND {_active('f')} "
               "RETURN f.id AS id")
_Q_COMPANIES = ("MATCH (c:OretraceNode:Company {dataset: $dataset, version: $version}) "
                "RETURN c.id AS id, c.country AS country ORDER BY c._seq")
_Q_OWNS = ("MATCH (a:OretraceNode:Company {dataset: $dataset, version: $version})"
           f"-[o:OWNS]->(b:Company) WHERE $all_links OR ({_LINK.format(r='o')}) "
           "RETURN a.id AS u, b.id AS v, o.share AS share ORDER BY o._seq")
_Q_USERS = (f"MATCH {_FACILITIES}-[:USES]->(t:Technology {{id: $node}}) "
            "RETURN DISTINCT f.id AS id")
_Q_MAKERS_ANY_DATE = f"MATCH {_FACILITIES} WHERE $node IN f.products RETURN f.id AS id"
_Q_OPERATED_ANY_DATE = f"MATCH {_FACILITIES} WHERE f.company IN $companies RETURN f.id AS id"
_Q_UPSTREAM = ("MATCH (s:OretraceNode:Facility {dataset: $dataset, version: $version}) "
               "WHERE s.id IN $starts "
               f"MATCH (s) ((b)<-[r:SUPPLIES]-(a:Facility) WHERE {_hop('a', 'r')})+ (u) "
               "RETURN DISTINCT u.id AS id")
_Q_DOWNSTREAM = ("MATCH (s:OretraceNode:Facility {dataset: $dataset, version: $version}) "
                 "WHERE s.id IN $starts "
                 f"MATCH (s) ((a)-[r:SUPPLIES]->(b:Facility) WHERE {_hop('a', 'r')} "
                 f"AND {_active('b')})+ (u) RETURN DISTINCT u.id AS id")
_Q_STEP_UP = ("UNWIND $frontier AS id "
              "MATCH (b:OretraceNode:Facility {dataset: $dataset, version: $version, id: id})"
              f"<-[r:SUPPLIES]-(a:Facility) WHERE {_hop('a', 'r')} RETURN DISTINCT a.id AS id")
_Q_STEP_DOWN = ("UNWIND $frontier AS id "
                "MATCH (a:OretraceNode:Facility {dataset: $dataset, version: $version, id: id})"
                f"-[r:SUPPLIES]->(b:Facility) WHERE {_hop('a', 'r')} AND {_active('b')} "
                "RETURN DISTINCT b.id AS id")
#: Above this many start facilities, reachability runs level by level (one query per level)
#: instead of one quantified-path query, which expands from each start separately.
_QPP_STARTS = 16
_Q_NODES = (f"MATCH {_FACILITIES} WHERE f.id IN $ids RETURN f.id AS id, "
            "f.confidence AS confidence, f.sources AS sources, f._seq AS seq")
_Q_SUPPLIES = (f"MATCH {_FACILITIES} WHERE f.id IN $ids "
               "MATCH (f)<-[r:SUPPLIES]-(a:Facility) "
               f"WHERE {_NEED.format(r='r')} AND {_LINK.format(r='r')} AND {_active('a')} "
               "RETURN a.id AS u, f.id AS v, r.product AS product, r.confidence AS confidence, "
               "r._need AS need, r.sources AS sources, r._in AS place")

#: A chain's facilities, and the bill of materials of their products at any confidence
#: (a floor leaves a weak line's need unmet rather than gone: ``exposure._floored``).
_Q_CHAIN = (f"MATCH {_FACILITIES} WHERE f.id IN $ids "
            "RETURN f.id AS id, f.stage AS stage, f.products AS products, f._seq AS seq")
_Q_BOM = ("UNWIND $products AS pid "
          "MATCH (p:OretraceNode:Product {dataset: $dataset, version: $version, id: pid})"
          "-[r:REQUIRES]->(i:Product) WHERE r.substitute_for IS NULL "
          "RETURN p.id AS product, i.id AS input, r.confidence AS confidence")

_RANK = {str(level): rank for level, rank in CONFIDENCE_ORDER.items()}
_NOT_YET = [FacilityStatus.PLANNED.value, FacilityStatus.CONSTRUCTION.value,
            FacilityStatus.UNCERTAIN.value]


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class _Store:
    """One dataset version on the server, read in one read transaction ``tx``, as of a date
    above a confidence floor."""

    tx: Any
    dataset: str
    version: str
    day: dt.date
    floor: int

    def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        values = {"dataset": self.dataset, "version": self.version, "day": self.day,
                  "floor": self.floor, "rank": _RANK, "not_yet": _NOT_YET,
                  "closed": FacilityStatus.CLOSED.value, **params}
        return [r.data() for r in self.tx.run(query, values)]

    def ids(self, query: str, **params: Any) -> list[str]:
        return [r["id"] for r in self.read(query, **params)]


def _current(tx: Any, dataset: str) -> dict[str, Any] | None:
    row = tx.run(_Q_DATASET, dataset=dataset).single()
    return None if row is None or row["version"] is None else dict(row.data())


def _answer(driver: Any, dataset: str, as_of: str | dt.date | None,
            min_confidence: str | Confidence | None, work: Callable[[_Store], _T]) -> _T:
    """Check the options as the in-memory queries do, then run ``work`` on the dataset's
    current version in one read transaction.

    The version is read again at the end: while it is still current nothing can have
    deleted it (a push deletes only versions that are not current), so every row ``work``
    read is of that version, whole. When a push switched versions meanwhile, ``work`` runs
    again on the new one (also when it stopped with an error, such as a node the old
    version lacked).
    """
    day = parse_date(as_of)
    restrict(nx.MultiDiGraph(), min_confidence=min_confidence)  # the same QueryError
    floor = CONFIDENCE_ORDER[min_confidence] if min_confidence is not None else 0

    def attempt(tx: Any) -> tuple[bool, _T | None, OretraceError | None]:
        head = _current(tx, dataset)
        if head is None:
            raise LoadError(f"no dataset {dataset!r} in Neo4j: push one first "
                            "(oretrace neo4j push)")
        if (head["layout"] or 1) < LAYOUT:
            raise BackendError(f"dataset {dataset!r} was pushed by an older oretrace: push "
                               "it again (oretrace neo4j push) to query it natively")
        try:
            result, failed = work(_Store(tx, dataset, head["version"], day, floor)), None
        except OretraceError as exc:
            result, failed = None, exc
        tail = _current(tx, dataset)
        return tail is not None and tail["version"] == head["version"], result, failed

    for _ in range(ATTEMPTS):
        whole, result, failed = read_transaction(driver, attempt)
        if whole:
            if failed is not None:
                raise failed
            return cast(_T, result)
    raise LoadError(f"dataset {dataset!r} in Neo4j changed version during each of "
                    f"{ATTEMPTS} reads (pushes in progress); try again")


# --------------------------------------------------------------------------- predicates


def _atoms() -> dict[str, tuple[Any, ...]]:
    """The registered predicates as data: what their in-memory definitions test."""
    return {
        "cn-processing": ("located", "CN", sorted(PROCESSING_STAGES)),
        "cn-mining": ("located", "CN", [Stage.MINE.value, Stage.CONCENTRATION.value]),
        "cn-technology": ("technology", "CN", None),
        "cn-owned": ("owned", "CN", 0.5),
        "any": ("or", ("located", "CN", sorted(PROCESSING_STAGES)),
                ("or", ("owned", "CN", 0.5), ("technology", "CN", None))),
    }


def _parse(name: str) -> tuple[Any, ...]:
    """Read a predicate name the way ``oretrace.queries.predicates.predicate`` does (``|`` then
    ``&``)."""
    for op, word in (("|", "or"), ("&", "and")):
        if op in name:
            parts = [_parse(p) for p in name.split(op)]
            spec = parts[0]
            for part in parts[1:]:
                spec = (word, spec, part)
            return spec
    if name.startswith("~"):
        return ("not", _parse(name[1:]))
    atoms = _atoms()
    if name not in atoms:
        raise QueryError(f"predicate {name!r} has no native form; choose from "
                         f"{', '.join(atoms)} (combined with | or &), or use the networkx "
                         "backend")
    return atoms[name]


def _spec(predicate: Predicate | str) -> tuple[str, tuple[Any, ...]]:
    if isinstance(predicate, str):
        return predicate, _parse(predicate)
    name = predicate.name
    if name in PREDICATES and PREDICATES[name] is not predicate:
        raise QueryError(f"predicate {name!r} is not the registered one; a custom predicate "
                         "has no native form (use the networkx backend)")
    return name, _parse(name)


def _owners_graph(store: _Store, *, all_links: bool) -> nx.MultiDiGraph:
    """The company/owns subgraph (at the date and floor, or every link ever)."""
    probe = nx.MultiDiGraph()
    for row in store.read(_Q_COMPANIES):
        probe.add_node(row["id"], kind=NodeKind.COMPANY, country=row["country"])
    for row in store.read(_Q_OWNS, all_links=all_links):
        probe.add_edge(row["u"], row["v"], kind=EdgeKind.OWNS,
                       share=row["share"] if row["share"] is not None else 0.0)
    return probe


def _select(store: _Store, spec: tuple[Any, ...]) -> set[str]:
    kind = spec[0]
    if kind == "or":
        return _select(store, spec[1]) | _select(store, spec[2])
    if kind == "and":
        return _select(store, spec[1]) & _select(store, spec[2])
    if kind == "not":
        return set(store.ids(_Q_ACTIVE)) - _select(store, spec[1])
    if kind == "located":
        return set(store.ids(_Q_LOCATED, country=spec[1], stages=spec[2]))
    if kind == "technology":
        return set(store.ids(_Q_TECHNOLOGY, country=spec[1], stages=spec[2]))
    controlled = controlled_companies(_owners_graph(store, all_links=False), spec[1], spec[2])
    return set(store.ids(_Q_OPERATED, companies=sorted(controlled)))


def find_matching_native(
    driver: Any,
    predicate: Predicate | str = ANY_CN,
    *,
    dataset: str = DEFAULT_DATASET,
    as_of: str | dt.date | None = None,
    min_confidence: str | Confidence | None = None,
) -> set[str]:
    """Return the facilities of ``dataset`` matching ``predicate``, selected on the server.

    The same set as ``predicate.select(restrict(G, as_of=..., min_confidence=...))``.

    Parameters
    ----------
    driver : neo4j.Driver
        An open driver (:func:`oretrace.graphmodel.backends.neo4j.connect`).
    predicate : Predicate or str
        A registered predicate or its name, or a composition of them (``a|b``, ``a&b``;
        default ``any``).
    dataset : str
        The name the dataset was pushed under (default :data:`DEFAULT_DATASET`).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first (default: keep all).

    Returns
    -------
    set of str
        The ids of the matching facilities.

    Raises
    ------
    QueryError
        When an option is not one of its values, or a predicate has no native form.
    LoadError
        When the server holds no such dataset, or it changed while being read.
    BackendError
        When the server fails or the dataset was pushed by an older oretrace.

    Examples
    --------
    >>> find_matching_native(None, "cn-processing|my-own")
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.QueryError: predicate 'my-own' has no native form; choose from ...
    """
    _, spec = _spec(predicate)
    return _answer(driver, dataset, as_of, min_confidence, lambda store: _select(store, spec))


# --------------------------------------------------------------------------- subgraphs


def _targets(store: _Store, products: str | Iterable[str] | None) -> list[tuple[str, Any]]:
    """``(id, name)`` of the products asked for (default every platform), each checked."""
    if products is None:
        wanted = store.ids(_Q_PLATFORMS, platform=Category.PLATFORM.value)
    else:
        wanted = [products] if isinstance(products, str) else list(products)
    found = {r["id"]: r for r in store.read(_Q_KINDS, ids=wanted)}
    for pid in wanted:
        if found.get(pid, {}).get("kind") != NodeKind.PRODUCT:
            raise UnknownNodeError(pid, store.ids(_Q_IDS_OF_LABEL["product"]), "product")
    return [(pid, found[pid]["name"]) for pid in wanted]


def _makers(store: _Store, targets: Sequence[str]) -> dict[str, list[str]]:
    """Facilities making each target at the date, as ``oretrace.queries.exposure.makers`` picks
    them."""
    rows = store.read(_Q_MAKERS, products=sorted(set(targets)))
    out: dict[str, list[str]] = {}
    for target in targets:
        facilities = [r for r in rows if target in r["products"]]
        plants = [r["id"] for r in facilities if r["stage"] != Stage.MARKET]
        out[target] = plants or [r["id"] for r in facilities]
    return out


def _reach(store: _Store, starts: Iterable[str], *, upstream: bool, via: Sequence[str] = (),
           carried: str | None = None) -> set[str]:
    """``starts`` and every facility reachable from them along needed supplies.

    Up to :data:`_QPP_STARTS` starts, one quantified-path query (a pruning breadth-first
    expand per start); beyond, a breadth-first search by levels, one query per level, that
    sends each facility once.
    """
    seen = set(starts)
    frontier = sorted(seen)
    params: dict[str, Any] = {"via": list(via), "carried": carried}
    if len(frontier) <= _QPP_STARTS:
        query = _Q_UPSTREAM if upstream else _Q_DOWNSTREAM
        return seen | set(store.ids(query, starts=frontier, **params)) if frontier else seen
    step = _Q_STEP_UP if upstream else _Q_STEP_DOWN
    while frontier:
        found = set(store.ids(step, frontier=frontier, **params)) - seen
        seen |= found
        frontier = sorted(found)
    return seen


def _supply_subgraph(store: _Store, facilities: set[str], target: str,
                     makers: Sequence[str]) -> nx.DiGraph:
    """The needed-supply graph on ``facilities`` and ``target``, as ``supply_graph`` builds it.

    Nodes and edges are added in the order ``supply_graph`` adds them on the whole graph.
    """
    ids = sorted(facilities | set(makers))
    H = nx.DiGraph()
    for row in sorted(store.read(_Q_NODES, ids=ids), key=lambda r: r["seq"]):
        H.add_node(row["id"], confidence=Confidence(row["confidence"] or Confidence.DOCUMENTED),
                   sources=list(row["sources"] or []))
    into: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(store.read(_Q_SUPPLIES, ids=ids), key=lambda r: r["place"]):
        into.setdefault(row["v"], []).append(row)
    for buyer in list(H):
        for row in into.get(buyer, ()):
            supplier = row["u"]
            if supplier not in H:
                continue
            level = weakest([row["confidence"] or Confidence.DOCUMENTED, row["need"]])
            sources = row["sources"] or []
            if H.has_edge(supplier, buyer):
                hop = H.edges[supplier, buyer]
                hop["products"] = sorted(set(hop["products"]) | {row["product"]})
                hop["sources"] = sorted(set(hop["sources"]) | set(sources))
                if CONFIDENCE_ORDER[level] > CONFIDENCE_ORDER[hop["confidence"]]:
                    hop["confidence"] = level
            else:
                H.add_edge(supplier, buyer, products=[row["product"]], confidence=level,
                           sources=sorted(set(sources)))
    H.add_node(target, confidence=Confidence.DOCUMENTED, sources=[], product=True)
    for facility in makers:
        H.add_edge(facility, target, products=[target], confidence=Confidence.DOCUMENTED,
                   sources=[])
    return H


def _floor(min_confidence: str | Confidence | None) -> Confidence | None:
    """The confidence floor as a level, read once ``_answer`` has checked it."""
    return None if min_confidence is None else Confidence(min_confidence)


def _chain_gaps(store: _Store, target: str, makers: Sequence[str], floor: Confidence | None,
                upstream: set[str] | None = None) -> list[ChainGap] | None:
    """``exposure``'s chain check above ``floor``, on the part of the graph it reads.

    Whether ``target`` keeps a chain above the floor depends only on the facilities
    upstream of its makers over hops at least that strong (``upstream``, which
    :func:`_reach` finds at the floor) and on their needs: that part is pulled — facilities,
    their products' whole bill of materials, the supplies between them at the floor — and
    the in-memory check runs on it, so the answer is the in-memory one.
    """
    if floor is None:
        return None
    facilities = upstream if upstream is not None else _reach(store, makers, upstream=True)
    S = nx.MultiDiGraph()
    rows = sorted(store.read(_Q_CHAIN, ids=sorted(facilities)), key=lambda r: r["seq"])
    products = sorted({p for r in rows for p in r["products"] or []})
    S.add_nodes_from(products, kind=NodeKind.PRODUCT)
    for row in rows:
        S.add_node(row["id"], kind=NodeKind.FACILITY, stage=row["stage"],
                   products=list(row["products"] or []))
    for row in store.read(_Q_BOM, products=products):
        if row["input"] not in S:
            S.add_node(row["input"], kind=NodeKind.PRODUCT)
        S.add_edge(row["product"], row["input"], kind=EdgeKind.REQUIRES, qty=1.0,
                   confidence=row["confidence"] or Confidence.DOCUMENTED)
    for row in store.read(_Q_SUPPLIES, ids=sorted(facilities)):
        if row["u"] in facilities:
            S.add_edge(row["u"], row["v"], kind=EdgeKind.SUPPLIES, product=row["product"],
                       confidence=row["confidence"] or Confidence.DOCUMENTED)
    return _gaps(*_floored(S, store.day, floor), target, makers)


# --------------------------------------------------------------------------- queries


def find_exposed_native(
    driver: Any,
    predicate: Predicate | str = ANY_CN,
    *,
    dataset: str = DEFAULT_DATASET,
    as_of: str | dt.date | None = None,
    k: int = 3,
    min_confidence: str | Confidence | None = None,
    products: str | Iterable[str] | None = None,
) -> list[Exposure]:
    """Return :func:`oretrace.queries.exposure.find_exposed`'s answer, computed on a Neo4j server.

    Parameters
    ----------
    driver : neo4j.Driver
        An open driver (``oretrace.graphmodel.backends.neo4j.connect``).
    predicate : Predicate or str
        A registered predicate or its name, or a composition of them (``a|b``, ``a&b``).
    dataset : str
        The name the dataset was pushed under (default :data:`DEFAULT_DATASET`).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    k : int
        The most witness paths to return per product (default 3).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first (default: keep all).
    products : str or iterable of str, optional
        The products to test (default every platform).

    Returns
    -------
    list of Exposure
        Equal, field by field, to what ``find_exposed`` returns on the pushed graph.

    Examples
    --------
    >>> find_exposed_native(None, "cn-processing", k=0)
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.QueryError: the number of witness paths must be at least 1, not 0
    """
    _check_k(k)
    name, spec = _spec(predicate)
    return _answer(driver, dataset, as_of, min_confidence,  # checks min_confidence first
                   lambda store: _exposed(store, name, spec, k, products,
                                          _floor(min_confidence)))


def _exposed(store: _Store, name: str, spec: tuple[Any, ...], k: int,
             products: str | Iterable[str] | None, floor: Confidence | None
             ) -> list[Exposure]:
    targets = _targets(store, products)
    matched = _select(store, spec)
    makers = _makers(store, [t for t, _ in targets])
    out: list[Exposure] = []
    for target, label in targets:
        upstream = _reach(store, makers[target], upstream=True)
        through = sorted(upstream & matched)
        if not through:
            gaps = _chain_gaps(store, target, makers[target], floor, upstream)
            if gaps is not None and floor is not None:
                out.append(Exposure(
                    platform=target, name=label, predicate=name, as_of=store.day, through=[],
                    paths=[], path_confidence=[], confidence=floor, sources=[],
                    status=NO_CHAIN, gaps=gaps))
            continue
        H = _supply_subgraph(store, upstream, target, makers[target])
        found = witness_paths(H, target, [set(through)], k)
        paths = [p for p, _ in found]
        out.append(Exposure(
            platform=target, name=label, predicate=name, as_of=store.day, through=through,
            paths=paths, path_confidence=[c for _, c in found],
            confidence=found[0][1] if found else weakest([H.nodes[t]["confidence"]
                                                          for t in through]),
            sources=_path_sources(H, paths)))
    return out


def _facilities_for(store: _Store, node: str) -> tuple[list[str], str | None]:
    """As ``oretrace.queries.exposure``'s: the facilities standing for ``node`` (any date), and the
    product their first hop must carry."""
    rows = store.read(_Q_KINDS, ids=[node])
    if not rows:
        raise UnknownNodeError(node, store.ids(_Q_IDS_OF_LABEL["node"]), "node")
    kind = rows[0]["kind"]
    if kind == NodeKind.FACILITY:
        return [node], None
    if kind == NodeKind.TECHNOLOGY:
        return sorted(store.ids(_Q_USERS, node=node)), None
    if kind == NodeKind.COMPANY:
        probe = _owners_graph(store, all_links=True)
        for company, attrs in probe.nodes(data=True):
            attrs["country"] = "@" if company == node else None
        group = controlled_companies(probe, "@")
        return sorted(store.ids(_Q_OPERATED_ANY_DATE, companies=sorted(group))), None
    if kind == NodeKind.PRODUCT:
        return sorted(store.ids(_Q_MAKERS_ANY_DATE, node=node)), node
    raise QueryError(f"{node!r} is a {kind}; where-used reads facilities, companies, "
                     "technologies and products")


def find_where_used_native(
    driver: Any,
    node: str,
    *,
    dataset: str = DEFAULT_DATASET,
    as_of: str | dt.date | None = None,
    k: int = 3,
    min_confidence: str | Confidence | None = None,
    products: str | Iterable[str] | None = None,
) -> list[Dependant]:
    """Return :func:`oretrace.queries.exposure.find_where_used`'s answer, computed on Neo4j.

    Downstream reachability from ``node``'s facilities picks the platforms (or ``products``)
    that depend on it; for each, its upstream subgraph is pulled for the witness paths.

    Parameters
    ----------
    driver : neo4j.Driver
        An open driver (:func:`oretrace.graphmodel.backends.neo4j.connect`).
    node : str
        The id of a facility, company, technology or product.
    dataset : str
        The name the dataset was pushed under (default :data:`DEFAULT_DATASET`).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    k : int
        The most witness paths to return per product (default 3).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first (default: keep all).
    products : str or iterable of str, optional
        The products to test (default every platform).

    Returns
    -------
    list of Dependant
        Equal, field by field, to what ``find_where_used`` returns on the pushed graph.

    Raises
    ------
    QueryError
        When an option is not one of its values, or a predicate has no native form.
    LoadError
        When the server holds no such dataset, or it changed while being read.
    BackendError
        When the server fails or the dataset was pushed by an older oretrace.
    UnknownNodeError
        When ``node`` or a product id names no such node; the message lists close matches.

    Examples
    --------
    >>> find_where_used_native(None, "cn-sx", k=0)
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.QueryError: the number of witness paths must be at least 1, not 0
    """
    _check_k(k)
    return _answer(driver, dataset, as_of, min_confidence,  # checks min_confidence first
                   lambda store: _where_used(store, node, k, products,
                                             _floor(min_confidence)))


def _where_used(store: _Store, node: str, k: int, products: str | Iterable[str] | None,
                floor: Confidence | None) -> list[Dependant]:
    day = store.day
    facilities, carried = _facilities_for(store, node)
    targets = _targets(store, products)
    present = set(store.ids(_Q_ACTIVE_AMONG, ids=facilities))
    via = {f for f in facilities if f in present}
    makers = _makers(store, [t for t, _ in targets])
    reached = _reach(store, via, upstream=False, via=sorted(via), carried=carried)
    out: list[Dependant] = []
    for target, label in targets:
        # A maker's hop to the target is dropped when it must carry another product.
        starts = [m for m in makers[target]
                  if not (carried is not None and m in via and carried != target)]
        upstream: set[str] = set()
        if reached.intersection(starts):
            ancestors = _reach(store, starts, upstream=True, via=sorted(via), carried=carried)
            H = _supply_subgraph(store, ancestors, target, makers[target])
            if carried is not None:
                H.remove_edges_from([(u, v) for u, v, d in H.out_edges(via, data=True)
                                     if carried not in d["products"]])
            upstream = nx.ancestors(H, target) & via
        if not upstream:
            gaps = _chain_gaps(store, target, makers[target], floor)
            if gaps is not None and floor is not None:
                out.append(Dependant(
                    node=node, platform=target, name=label, as_of=day, via=[], paths=[],
                    path_confidence=[], confidence=floor, sources=[], status=NO_CHAIN,
                    gaps=gaps))
            continue
        found = witness_paths(H, target, [upstream], k, starts=upstream)
        paths = [p for p, _ in found]
        out.append(Dependant(
            node=node, platform=target, name=label, as_of=day, via=sorted(upstream),
            paths=paths, path_confidence=[c for _, c in found],
            confidence=found[0][1] if found else Confidence.ILLUSTRATIVE,
            sources=_path_sources(H, paths)))
    return out
