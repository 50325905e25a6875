"""Exposure and where-used run natively on a Neo4j server, giving the in-memory answers.

:func:`exposed` and :func:`where_used` are the ``neo4j`` backend of
:func:`~oretrace.queries.exposure.find_exposed` and
:func:`~oretrace.queries.exposure.find_where_used` (:mod:`oretrace.queries._dispatch`):
given a :class:`~oretrace.queries._dispatch.Neo4jGraph` (a driver from
``oretrace.graphmodel.backends.neo4j.connect`` and a dataset name) where the graph goes,
those functions answer here and return the very
:class:`~oretrace.queries.exposure.Exposure` and :class:`~oretrace.queries.exposure.Dependant`
objects they return on the same data in memory, field by field::

    find_exposed(Neo4jGraph(driver, "oretrace"), "cn-processing", as_of="2026-06-01")

What runs in Cypher, on the server (every value is a parameter; labels and relationship
types are fixed constants, never data):

- the dataset's current version, read in the same read transaction as every other query
  of one answer, and read again at its end: when a push switched versions meanwhile (Neo4j
  reads committed data, not a snapshot, so the old version may have been half deleted
  under the reader), the answer is computed again on the new version
  (:mod:`oretrace.queries._native_store`);
- the predicate: its spec (:data:`oretrace.queries.predicates.Spec`, the data every engine
  reads) written as one Cypher condition on a facility
  (:mod:`oretrace.queries._native_predicates`);
- the platforms (or the products asked for), the facilities making them, and the supply
  graph upstream of them, found by a breadth-first search that returns each level's
  supplies (:mod:`oretrace.queries._native_chains`). Presence at a date is the rule of
  :func:`oretrace.graphmodel.is_active`, written as Cypher from its
  :class:`~oretrace.graphmodel.timeslice.Window` (:mod:`oretrace.queries._native_cypher`).
  Rows come back as one list per query, not streamed one by one (5-50 times cheaper).

What runs in Python, on what the server returned:

- the 50 % ownership fixed point of an ownership atom: the company/owns subgraph (small) is
  pulled and :func:`oretrace.queries.predicates.controlled_companies` reused; likewise a
  company's group in where-used;
- exposure (the upstream facilities matching the predicate), where-used (the node's
  facilities upstream of each product, over hops that carry what a product's makers must
  carry) and the witness paths: the pulled graph is shaped exactly as
  :func:`oretrace.queries.exposure.supply_graph` shapes the whole graph and handed to
  :func:`oretrace.queries.exposure.witness_paths`, so paths, their order and their
  confidence are those of the in-memory query.

Predicates run natively when they are data: the registered ones (``cn-processing``,
``cn-owned``, ``cn-technology``, ``cn-mining``, ``any``), names combined by the one grammar of
:func:`oretrace.queries.predicates.predicate`, and predicates built with ``located_in``,
``owned_by`` and ``uses_technology_from``; a custom test (a Python function) raises
:class:`oretrace.graphmodel.QueryError` (use the in-memory backend for it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    Confidence,
    QueryError,
    UnknownNodeError,
    weakest,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.backends.neo4j import DEFAULT_DATASET
from oretrace.graphmodel.vocab import NodeKind
from oretrace.queries._dispatch import Neo4jGraph
from oretrace.queries._exposure_paths import ancestors, upstream_among, witnesses
from oretrace.queries._exposure_yen import Hops
from oretrace.queries._native_chains import (
    chain_gaps,
    makers,
    targets,
    upstream_graph,
)
from oretrace.queries._native_cypher import (
    Q_IDS_OF_LABEL,
    Q_KINDS,
    Q_MAKERS_ANY_DATE,
    Q_OPERATED_ANY_DATE,
    Q_PRESENT_AMONG,
    Q_USERS,
)
from oretrace.queries._native_predicates import owners_graph, select as _select, spec_of
from oretrace.queries._native_store import Store, answer, floor_of
from oretrace.queries.exposure import (
    NO_CHAIN,
    Dependant,
    Exposure,
    _check_k,
    _path_sources,
)
from oretrace.queries.predicates import ANY_CN, Predicate, controlled_companies

__all__ = ["find_matching_native"]


@shared_docs
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
        A predicate built from ``located_in``, ``owned_by`` and ``uses_technology_from`` (the
        registered ones are), or a name in the grammar of
        :func:`oretrace.queries.predicates.predicate` (default ``any``).
    dataset : str
        The name the dataset was pushed under (default :data:`DEFAULT_DATASET`).
    %(as_of)s
    %(min_confidence)s

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
    oretrace.graphmodel.errors.QueryError: unknown predicate 'my-own'; choose from ...
    """
    _, spec = spec_of(predicate)
    return answer(driver, dataset, as_of, min_confidence, lambda store: _select(store, spec))


# --------------------------------------------------------------------------- queries


def exposed(G: Neo4jGraph, predicate: Predicate | str = ANY_CN, *,
            as_of: str | dt.date | None = None, k: int = 3,
            min_confidence: str | Confidence | None = None,
            products: str | Iterable[str] | None = None) -> list[Exposure]:
    """:func:`~oretrace.queries.exposure.find_exposed` on the server holding ``G``'s dataset:
    its ``neo4j`` backend (same options, same answer field by field)."""
    _check_k(k)
    name, spec = spec_of(predicate)
    return answer(G.driver, G.dataset, as_of, min_confidence,  # checks min_confidence first
                  lambda store: _exposed(store, name, _select(store, spec), k, products,
                                         floor_of(min_confidence)))


def _answers(store: Store, asked: list[tuple[str, Any]], fed_by: dict[str, list[str]],
             H: nx.DiGraph, hops: Hops, hits: dict[str, set[str]], k: int,
             floor: Confidence | None, *, starts: bool,
             upstream_of: dict[str, set[str]] | None = None) -> dict[str, dict[str, Any]]:
    """The fields common to both answers, per product asked for, as the in-memory queries
    give them: witness paths on ``hops`` (the arrays of ``H``, built once for every
    product, as the in-memory queries share theirs: building them per product was a third
    of a native answer's time on 1M links) from the facilities ``hits`` (per product; from
    them when ``starts``, else from where supply begins) or, without any, the no-chain
    entry under a floor (others left out)."""
    out: dict[str, dict[str, Any]] = {}
    for target, label in asked:
        common = {"platform": target, "name": label, "as_of": store.day}
        reached = hits.get(target, set())
        if not reached:
            gaps = chain_gaps(store, target, fed_by[target], floor,
                              None if upstream_of is None else upstream_of[target])
            if gaps is not None and floor is not None:
                out[target] = {**common, "paths": [], "path_confidence": [],
                               "confidence": floor, "sources": [], "status": NO_CHAIN,
                               "gaps": gaps}
            continue
        found = witnesses(hops, target, [reached], k, starts=reached if starts else None
                          ) if target in hops.index else []
        paths = [p for p, _ in found]
        level = found[0][1] if found else Confidence.ILLUSTRATIVE if starts else weakest(
            [H.nodes[t]["confidence"] for t in reached])
        out[target] = {**common, "paths": paths, "path_confidence": [c for _, c in found],
                       "confidence": level, "sources": _path_sources(H, paths)}
    return out


def _exposed(store: Store, name: str, matched: set[str], k: int,
             products: str | Iterable[str] | None, floor: Confidence | None
             ) -> list[Exposure]:
    asked = targets(store, products)
    fed_by = makers(store, [t for t, _ in asked])
    H = upstream_graph(store, fed_by)
    hops = Hops.of(H)
    upstream_of = {t: ancestors(hops, t) for t, _ in asked}
    through = {t: up & matched for t, up in upstream_of.items()}
    return [Exposure(**fields, predicate=name,
                     through=sorted(through[t]) if "gaps" not in fields else [])
            for t, fields in _answers(store, asked, fed_by, H, hops, through, k, floor,
                                      starts=False, upstream_of=upstream_of).items()]


def _facilities_for(store: Store, node: str) -> tuple[list[str], str | None]:
    """As ``oretrace.queries.exposure``'s: the facilities standing for ``node`` (any date), and the
    product their first hop must carry."""
    rows = store.read(Q_KINDS, ids=[node])
    if not rows:
        raise UnknownNodeError(node, store.ids(Q_IDS_OF_LABEL["node"]), "node")
    kind = rows[0]["kind"]
    if kind == NodeKind.FACILITY:
        return [node], None
    if kind == NodeKind.TECHNOLOGY:
        return sorted(store.ids(Q_USERS, node=node)), None
    if kind == NodeKind.COMPANY:
        probe = owners_graph(store, all_links=True)
        for company, attrs in probe.nodes(data=True):
            attrs["country"] = "@" if company == node else None
        group = controlled_companies(probe, "@")
        return sorted(store.ids(Q_OPERATED_ANY_DATE, companies=sorted(group))), None
    if kind == NodeKind.PRODUCT:
        return sorted(store.ids(Q_MAKERS_ANY_DATE, node=node)), node
    raise QueryError(f"{node!r} is a {kind}; where-used reads facilities, companies, "
                     "technologies and products")


def where_used(G: Neo4jGraph, node: str, *, as_of: str | dt.date | None = None, k: int = 3,
               min_confidence: str | Confidence | None = None,
               products: str | Iterable[str] | None = None) -> list[Dependant]:
    """:func:`~oretrace.queries.exposure.find_where_used` on the server holding ``G``'s
    dataset: its ``neo4j`` backend (the supply graph upstream of the platforms, or
    ``products``, is pulled once; those whose needed supply reaches ``node``'s facilities
    depend on it)."""
    _check_k(k)
    return answer(G.driver, G.dataset, as_of, min_confidence,  # checks min_confidence first
                  lambda store: _where_used(store, node, k, products,
                                            floor_of(min_confidence)))


def _where_used(store: Store, node: str, k: int, products: str | Iterable[str] | None,
                floor: Confidence | None) -> list[Dependant]:
    facilities, carried = _facilities_for(store, node)
    asked = targets(store, products)
    present = set(store.ids(Q_PRESENT_AMONG, ids=facilities))
    via = {f for f in facilities if f in present}
    fed_by = makers(store, [t for t, _ in asked])
    H = upstream_graph(store, fed_by)
    if carried is not None:  # a product: only hops carrying it leave its makers
        H.remove_edges_from([(u, v) for u, v, d in H.out_edges(via, data=True)
                             if carried not in d["products"]])
    hops = Hops.of(H)
    upstream = upstream_among(hops, [t for t, _ in asked if t in hops.index], via)
    return [Dependant(**fields, node=node,
                      via=sorted(upstream[t]) if "gaps" not in fields else [])
            for t, fields in _answers(store, asked, fed_by, H, hops, upstream, k, floor,
                                      starts=True).items()]
