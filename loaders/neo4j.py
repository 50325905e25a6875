"""Read a dataset pushed to Neo4j back into the same networkx graph the files give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
from oretrace.graphmodel import LoadError
from oretrace.graphmodel.backends.neo4j import (
    DEFAULT_DATASET,
    Neo4jConfig,
    connect,
    decode_graph_attrs,
    decode_properties,
    read_transaction,
)

__all__ = ["load", "load_from_neo4j"]

_HEAD = (
    "MATCH (d:OretraceDataset {name: $dataset}) "
    "RETURN d.current AS version, d.graph AS graph, d.nodes AS nodes, "
    "d.relationships AS relationships, d.sources AS sources"
)
_NODES = (
    "MATCH (n:OretraceNode {dataset: $dataset, version: $version}) "
    "RETURN n.id AS id, properties(n) AS props"
)
_RELS = (
    "MATCH (a:OretraceNode {dataset: $dataset, version: $version})-[r]->"
    "(b:OretraceNode {dataset: $dataset, version: $version}) "
    "RETURN a.id AS u, b.id AS v, r._key AS k, properties(r) AS props"
)
_SOURCES = (
    "MATCH (s:OretraceSource {dataset: $dataset, version: $version}) "
    "RETURN s.id AS id, properties(s) AS props"
)
#: Reads tried before giving up when a push keeps switching the version under the reader.
ATTEMPTS = 5


@dataclass(frozen=True)
class _Snapshot:
    head: dict[str, Any] | None
    sources: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    still_current: bool


def _read(tx: Any, dataset: str) -> _Snapshot:
    """Everything of the current version of ``dataset``, in one transaction.

    Neo4j transactions read committed data, not a snapshot, so the version is read again
    at the end: while it is still ``current`` nothing can have deleted it (a push deletes
    only versions that are not current), and the rows read are that version whole.
    """
    head = tx.run(_HEAD, dataset=dataset).single()
    if head is None or head["version"] is None:
        return _Snapshot(None, [], [], [], True)
    version = head["version"]
    sources = tx.run(_SOURCES, dataset=dataset, version=version).data()
    nodes = tx.run(_NODES, dataset=dataset, version=version).data()
    edges = tx.run(_RELS, dataset=dataset, version=version).data()
    tail = tx.run(_HEAD, dataset=dataset).single()
    return _Snapshot(head.data(), sources, nodes, edges,
                     tail is not None and tail["version"] == version)


def load(driver: Any, *, dataset: str = DEFAULT_DATASET) -> nx.MultiDiGraph:
    """Return the current version of ``dataset`` as a graph equal to the one pushed.

    The version, its sources, nodes and relationships are read in one transaction and
    checked against the counts the push recorded; when a push switches versions during the
    read, the read starts again on the new version.

    Raises :class:`oretrace.graphmodel.LoadError` when nothing was pushed under that name, or when
    the version read does not hold what its push recorded.
    """
    for _ in range(ATTEMPTS):
        snap = read_transaction(driver, lambda tx: _read(tx, dataset))
        if snap.head is None:
            raise LoadError(f"no dataset {dataset!r} in Neo4j: push one first "
                            "(oretrace neo4j push)")
        if snap.still_current:
            _check_counts(snap, dataset)
            return _graph(snap)
    raise LoadError(f"dataset {dataset!r} in Neo4j changed version during each of "
                    f"{ATTEMPTS} reads (pushes in progress); try again")


def _check_counts(snap: _Snapshot, dataset: str) -> None:
    assert snap.head is not None
    got = {"nodes": len(snap.nodes), "relationships": len(snap.edges),
           "sources": len(snap.sources)}
    for what, n in got.items():
        recorded = snap.head.get(what)
        if recorded is not None and int(recorded) != n:
            raise LoadError(
                f"version {snap.head['version']} of dataset {dataset!r} in Neo4j holds {n} "
                f"{what} but its push recorded {recorded}: the data was changed outside "
                "oretrace; push the dataset again")


def _graph(snap: _Snapshot) -> nx.MultiDiGraph:
    assert snap.head is not None
    G = nx.MultiDiGraph()
    G.graph.update(decode_graph_attrs(snap.head["graph"]))
    G.graph["sources"] = {
        r["id"]: {"id": r["id"], **decode_properties(r["props"])}
        for r in sorted(snap.sources, key=lambda r: r["id"])}
    for r in sorted(snap.nodes, key=lambda r: r["props"].get("_seq", 0)):
        G.add_node(r["id"], **decode_properties(r["props"]))
    for r in sorted(snap.edges, key=lambda r: r["props"].get("_seq", 0)):
        G.add_edge(r["u"], r["v"], key=r["k"], **decode_properties(r["props"]))
    return G


def load_from_neo4j(uri: str | None = None, user: str | None = None,
                    password: str | None = None, database: str | None = None,
                    dataset: str = DEFAULT_DATASET) -> nx.MultiDiGraph:
    """Connect with explicit values or the ``NEO4J_*`` variables and :func:`load`."""
    config = Neo4jConfig.from_env(uri, user, password, database)
    with connect(config) as driver:
        return load(driver, dataset=dataset)
