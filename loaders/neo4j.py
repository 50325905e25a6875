"""Read a dataset pushed to Neo4j back into the same networkx graph the files give."""

from __future__ import annotations

from typing import Any

import networkx as nx
from oretrace.graphmodel import LoadError
from oretrace.graphmodel.backends.neo4j import (
    DEFAULT_DATASET,
    Neo4jConfig,
    connect,
    current_version,
    decode_graph_attrs,
    decode_properties,
    run_read,
)

__all__ = ["load", "load_from_neo4j"]

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
_META = "MATCH (d:OretraceDataset {name: $dataset}) RETURN d.graph AS graph"


def load(driver: Any, *, dataset: str = DEFAULT_DATASET) -> nx.MultiDiGraph:
    """Return the current version of ``dataset`` as a graph equal to the one pushed.

    Raises :class:`oretrace.graphmodel.LoadError` when nothing was pushed under that name.
    """
    version = current_version(driver, dataset)
    if version is None:
        raise LoadError(f"no dataset {dataset!r} in Neo4j: push one first "
                        "(oretrace neo4j push)")
    meta = run_read(driver, _META, dataset=dataset)
    G = nx.MultiDiGraph()
    G.graph.update(decode_graph_attrs(meta[0]["graph"] if meta else None))
    G.graph["sources"] = {
        r["id"]: {"id": r["id"], **decode_properties(r["props"])}
        for r in sorted(run_read(driver, _SOURCES, dataset=dataset, version=version),
                        key=lambda r: r["id"])}
    rows = run_read(driver, _NODES, dataset=dataset, version=version)
    for r in sorted(rows, key=lambda r: r["props"].get("_seq", 0)):
        G.add_node(r["id"], **decode_properties(r["props"]))
    edges = run_read(driver, _RELS, dataset=dataset, version=version)
    for r in sorted(edges, key=lambda r: r["props"].get("_seq", 0)):
        G.add_edge(r["u"], r["v"], key=r["k"], **decode_properties(r["props"]))
    return G


def load_from_neo4j(uri: str | None = None, user: str | None = None,
                    password: str | None = None, database: str | None = None,
                    dataset: str = DEFAULT_DATASET) -> nx.MultiDiGraph:
    """Connect with explicit values or the ``NEO4J_*`` variables and :func:`load`."""
    config = Neo4jConfig.from_env(uri, user, password, database)
    with connect(config) as driver:
        return load(driver, dataset=dataset)
