"""Neo4j backend: connect, push a graph as one dataset version, and read versions back.

Storage layout (every statement is parameterised; labels and relationship types come only
from the fixed vocabulary below, never from data):

- every node is ``(:OretraceNode:<Kind> {dataset, version, id, kind, ...attributes})`` with a
  uniqueness constraint on ``(dataset, version, id)``; sources are ``(:OretraceSource)``;
- every edge is a relationship ``SUPPLIES | REQUIRES | OPERATES | OWNS | USES`` carrying its
  attributes and its multigraph key as ``_key``; supplies relationships also carry
  ``needed`` (the product is one the buyer needs), so native queries follow only those,
  and needed ones ``_need``: the confidence of the strongest bill-of-materials line that makes
  the product needed (``documented`` into a market), which a confidence floor reads, and
  ``_in``, the edge's place among its buyer's in-edges (native queries rebuild the
  in-memory supply graph in the same order);
- one ``(:OretraceDataset {name, current})`` node per dataset names the version readers see.

A push takes the dataset's push lock (one push at a time; a second one waits or stops with a
one-line error), removes leftovers of failed pushes, writes a *new* version in batches,
checks in the database that it holds every node and relationship, switches ``current`` to
it in one transaction, then deletes the old version in batches (relationships first).
Readers only ever see ``current`` and read it in one transaction, so a push that fails or is
killed at any step leaves a whole version readable (the previous one before the switch, the
new one after it); the next push removes the leftovers. Pushing the same graph twice leaves
the same graph. (:mod:`oretrace.graphmodel.backends._neo4j_versions` holds the lock, the counts and
the batched deletes.)

Attributes Neo4j cannot hold as properties are encoded: dicts and lists of dicts as JSON text
(their names listed in ``_json``), ``None`` values omitted (their names listed in ``_nulls``),
so that reading back gives exactly the attributes written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import networkx as nx
from oretrace.graphmodel.backends._neo4j_versions import (
    LOCK_CONSTRAINT,
    count_version,
    push_lock,
    remove_stale_versions,
)
from oretrace.graphmodel.errors import BackendAuthError, BackendError, BackendUnavailable
from oretrace.graphmodel.graph import need_confidence, needed_inputs
from oretrace.graphmodel.vocab import Confidence, EdgeKind, NodeKind

__all__ = [
    "DEFAULT_DATASET",
    "LAYOUT",
    "Neo4jConfig",
    "PushSummary",
    "check_server_version",
    "connect",
    "current_version",
    "decode_graph_attrs",
    "decode_properties",
    "encode_graph_attrs",
    "encode_properties",
    "push",
    "read_transaction",
    "run_read",
]

_T = TypeVar("_T")

# The driver logs each retry of a transaction ("Transaction failed and will be retried in
# 0.9s (...)") as a warning; with no handler configured, Python prints it on stderr, so a
# server that goes away mid-query gave several lines before oretrace's one-line error.
# A handler of our own keeps them off stderr (an application that configures logging still
# gets them).
logging.getLogger("neo4j").addHandler(logging.NullHandler())

DEFAULT_DATASET = "oretrace"
BATCH = 5_000

NODE_LABELS: dict[str, str] = {
    NodeKind.FACILITY: "Facility",
    NodeKind.COMPANY: "Company",
    NodeKind.PRODUCT: "Product",
    NodeKind.TECHNOLOGY: "Technology",
    NodeKind.RULE: "Rule",
}
REL_TYPES: dict[str, str] = {
    EdgeKind.SUPPLIES: "SUPPLIES",
    EdgeKind.REQUIRES: "REQUIRES",
    EdgeKind.OPERATES: "OPERATES",
    EdgeKind.OWNS: "OWNS",
    EdgeKind.USES: "USES",
}
RESERVED = frozenset({"dataset", "version", "id", "_json", "_nulls", "_key", "_seq", "needed",
                      "_need", "_in"})
#: Version of the storage layout, kept on the dataset node as ``layout`` (2: supplies carry
#: ``_need`` and ``_in``).
LAYOUT = 2


@dataclass(frozen=True)
class Neo4jConfig:
    """Where the server is, configured the Neo4j way (``NEO4J_*`` variables) or explicitly."""

    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str = ""
    database: str | None = None

    @classmethod
    def from_env(cls, uri: str | None = None, user: str | None = None,
                 password: str | None = None, database: str | None = None) -> Neo4jConfig:
        """Explicit values first, then ``NEO4J_URI``/``_USERNAME``/``_PASSWORD``/``_DATABASE``."""
        return cls(
            uri=uri or os.environ.get("NEO4J_URI") or cls.uri,
            user=user or os.environ.get("NEO4J_USERNAME") or cls.user,
            password=password or os.environ.get("NEO4J_PASSWORD") or "",
            database=database or os.environ.get("NEO4J_DATABASE") or None,
        )


def _translate(exc: Exception, config: Neo4jConfig) -> BackendError:
    """Turn a driver exception into a one-line oretrace error that says the fix."""
    from neo4j import exceptions as nex

    if isinstance(exc, nex.AuthError):
        return BackendAuthError(
            f"Neo4j at {config.uri} refused user {config.user!r}: check NEO4J_USERNAME and "
            "NEO4J_PASSWORD (or --neo4j-user / --neo4j-password)")
    if isinstance(exc, nex.ServiceUnavailable | OSError):
        return BackendUnavailable(
            f"cannot reach Neo4j at {config.uri}: start a server (python "
            "tools/neo4j-server/launch.py) or point NEO4J_URI at a running one")
    code = getattr(exc, "code", "") or ""
    if "DatabaseNotFound" in code:
        return BackendError(
            f"database {config.database!r} does not exist on {config.uri}: set NEO4J_DATABASE "
            "to an existing database (Community edition has only 'neo4j')")
    if isinstance(exc, nex.ConfigurationError | ValueError):
        return BackendError(f"bad Neo4j configuration for {config.uri!r}: {exc}")
    return BackendError(f"Neo4j at {config.uri} failed: {exc}")


def check_server_version(version: str, uri: str) -> None:
    """Raise :class:`BackendError` unless ``version`` is Neo4j 5 or later.

    Examples
    --------
    >>> check_server_version("5.26.30", "bolt://x")
    >>> check_server_version("4.4.9", "bolt://x")
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.BackendError: the server at bolt://x is Neo4j 4.4.9; oretrace needs
    ...
    """
    major = version.split(".")[0]
    if not major.isdigit() or int(major) < 5:
        raise BackendError(f"the server at {uri} is Neo4j {version}; oretrace needs "
                           "Neo4j 5.x or later")


@contextmanager
def connect(config: Neo4jConfig | None = None) -> Iterator[Any]:
    """Open a driver, check the server is reachable and is Neo4j 5.x, and close it after.

    Raises :class:`BackendUnavailable`, :class:`BackendAuthError` or :class:`BackendError`
    with a one-line fix instead of a driver traceback.
    """
    import neo4j
    from neo4j import exceptions as nex

    config = config or Neo4jConfig.from_env()
    try:
        driver = neo4j.GraphDatabase.driver(
            config.uri, auth=(config.user, config.password), connection_timeout=10,
            max_transaction_retry_time=5, notifications_min_severity="OFF")
    except (nex.Neo4jError, nex.DriverError, ValueError) as exc:
        raise _translate(exc, config) from exc
    try:
        try:
            driver.verify_connectivity()
            records, _, _ = driver.execute_query(
                "CALL dbms.components() YIELD name, versions RETURN versions[0] AS v",
                database_=config.database, routing_=neo4j.RoutingControl.READ)
        except (nex.Neo4jError, nex.DriverError, OSError) as exc:
            raise _translate(exc, config) from exc
        check_server_version(str(records[0]["v"]) if records else "unknown", config.uri)
        driver.oretrace_config = config  # type: ignore[attr-defined]
        yield driver
    finally:
        driver.close()


def run_read(driver: Any, query: str, **params: Any) -> list[dict[str, Any]]:
    """Run a parameterised read query; return records as dicts; translate errors."""
    import neo4j
    from neo4j import exceptions as nex

    config: Neo4jConfig = getattr(driver, "oretrace_config", Neo4jConfig())
    try:
        records, _, _ = driver.execute_query(query, parameters_=params,
                                             database_=config.database,
                                             routing_=neo4j.RoutingControl.READ)
    except (nex.Neo4jError, nex.DriverError, OSError) as exc:
        raise _translate(exc, config) from exc
    return [r.data() for r in records]


def read_transaction(driver: Any, work: Callable[[Any], _T]) -> _T:
    """Run ``work(tx)`` in one read transaction (retried whole on a transient error);
    translate errors."""
    import neo4j
    from neo4j import exceptions as nex

    config: Neo4jConfig = getattr(driver, "oretrace_config", Neo4jConfig())
    try:
        with driver.session(database=config.database,
                            default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(work)  # type: ignore[no-any-return]
    except (nex.Neo4jError, nex.DriverError, OSError) as exc:
        raise _translate(exc, config) from exc


# --------------------------------------------------------------------------- encoding


def encode_properties(attrs: dict[str, Any]) -> dict[str, Any]:
    """Return ``attrs`` as Neo4j properties (see module doc for the encoding)."""
    props: dict[str, Any] = {}
    as_json: list[str] = []
    nulls: list[str] = []
    for key, value in attrs.items():
        if key in RESERVED:
            raise BackendError(f"attribute name {key!r} is reserved by the Neo4j backend")
        if not key:
            raise BackendError("an attribute has an empty name (a column without a header?); "
                               "Neo4j cannot store it")
        if value is None:
            nulls.append(key)
        elif isinstance(value, dict) or (isinstance(value, list | tuple) and any(
                isinstance(v, dict | list | tuple | type(None)) for v in value)):
            props[key] = json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)
            as_json.append(key)
        elif isinstance(value, list | tuple) and len({type(v) for v in value}) > 1:
            props[key] = json.dumps(_jsonable(value), ensure_ascii=False)
            as_json.append(key)
        else:
            props[key] = list(value) if isinstance(value, tuple) else value
    props["_json"] = as_json
    props["_nulls"] = nulls
    return props


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _unjson(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return dt.date.fromisoformat(value["$date"])
        return {k: _unjson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    return value


def decode_properties(props: dict[str, Any]) -> dict[str, Any]:
    """Invert :func:`encode_properties` (also drops ``dataset``/``version``/``id``/``_key``)."""
    as_json = set(props.get("_json") or ())
    attrs: dict[str, Any] = {}
    for key, value in props.items():
        if key in RESERVED:
            continue
        if key in as_json:
            attrs[key] = _unjson(json.loads(value))
        elif hasattr(value, "to_native"):
            attrs[key] = value.to_native()
        else:
            attrs[key] = value
    for key in props.get("_nulls") or ():
        attrs[key] = None
    return attrs


# --------------------------------------------------------------------------- push


@dataclass(frozen=True)
class PushSummary:
    """What a push wrote."""

    dataset: str
    version: str
    nodes: int
    relationships: int
    sources: int
    removed_versions: int


_CONSTRAINTS = (
    "CREATE CONSTRAINT oretrace_node_key IF NOT EXISTS "
    "FOR (n:OretraceNode) REQUIRE (n.dataset, n.version, n.id) IS UNIQUE",
    "CREATE CONSTRAINT oretrace_source_key IF NOT EXISTS "
    "FOR (s:OretraceSource) REQUIRE (s.dataset, s.version, s.id) IS UNIQUE",
    "CREATE CONSTRAINT oretrace_dataset_name IF NOT EXISTS "
    "FOR (d:OretraceDataset) REQUIRE d.name IS UNIQUE",
    "CREATE INDEX oretrace_node_version IF NOT EXISTS "
    "FOR (n:OretraceNode) ON (n.dataset, n.version)",
    LOCK_CONSTRAINT,
)

_CREATE_NODES = {
    kind: (
        "UNWIND $rows AS row "
        f"CREATE (n:OretraceNode:{label} {{dataset: $dataset, version: $version, id: row.id}}) "
        "SET n += row.props "
        "RETURN row.id AS id, elementId(n) AS e"
    )
    for kind, label in NODE_LABELS.items()
}
_CREATE_SOURCES = (
    "UNWIND $rows AS row "
    "CREATE (s:OretraceSource {dataset: $dataset, version: $version, id: row.id}) "
    "SET s += row.props "
    "RETURN count(s) AS c"
)
# Nodes and relationships are CREATEd, not MERGEd: every push writes a fresh version, so
# nothing can exist yet (the constraints still refuse a duplicate), and MERGE on a
# relationship scans the node's relationships (quadratic on high-degree suppliers). A
# transaction that fails is rolled back whole before a retry. Each batch returns what it
# wrote, so a batch whose endpoints are missing stops the push instead of writing nothing.
# Endpoints are found by the element ids their CREATE returned (a direct lookup; the
# composite-index seek on (dataset, version, id) cost about twice as much per row).
_CREATE_RELS = {
    kind: (
        "UNWIND $rows AS row "
        "MATCH (a:OretraceNode) WHERE elementId(a) = row.a "
        "MATCH (b:OretraceNode) WHERE elementId(b) = row.b "
        f"CREATE (a)-[r:{rtype} {{_key: row.k}}]->(b) "
        "SET r += row.props "
        "RETURN count(r) AS c"
    )
    for kind, rtype in REL_TYPES.items()
}
_SWITCH = (
    "MERGE (d:OretraceDataset {name: $dataset}) "
    "SET d.previous = d.current, d.current = $version, d.pushed_at = datetime(), "
    "d.graph = $graph, d.nodes = $nodes, d.relationships = $rels, d.sources = $sources, "
    "d.layout = $layout"
)

def current_version(driver: Any, dataset: str = DEFAULT_DATASET) -> str | None:
    """Return the version readers of ``dataset`` see, or ``None`` if none was pushed."""
    rows = run_read(driver, "MATCH (d:OretraceDataset {name: $dataset}) RETURN d.current AS v",
                    dataset=dataset)
    return rows[0]["v"] if rows else None


def _batches(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def encode_graph_attrs(G: nx.MultiDiGraph) -> str:
    """Return the graph-level attributes (all but the sources table) as JSON text."""
    keep = {k: v for k, v in G.graph.items() if k != "sources"}
    return json.dumps(_jsonable(keep), ensure_ascii=False, sort_keys=True)


def decode_graph_attrs(text: str | None) -> dict[str, Any]:
    """Invert :func:`encode_graph_attrs`."""
    decoded: dict[str, Any] = _unjson(json.loads(text)) if text else {}
    return decoded


def push(
    driver: Any,
    G: nx.MultiDiGraph,
    *,
    dataset: str = DEFAULT_DATASET,
    batch_size: int = BATCH,
    progress: Callable[[int], None] | None = None,
    wait: float = 0.0,
) -> PushSummary:
    """Write ``G`` as a new version of ``dataset``, switch readers to it, drop the old one.

    ``progress`` is called with the number of rows written after each batch. When another
    push of ``dataset`` is in progress, wait up to ``wait`` seconds for it to end, then raise
    :class:`BackendError` (nothing written). The counts returned are counted in the
    database; a version that does not hold every node and relationship of ``G`` is never
    switched to.
    """
    from neo4j import exceptions as nex

    config: Neo4jConfig = getattr(driver, "oretrace_config", Neo4jConfig())
    version = uuid.uuid4().hex
    sources, nodes, rels = _rows(G)  # encoding errors come before any write
    want = (G.number_of_nodes(), sum(len(r) for r in rels.values()), len(sources))
    try:
        with driver.session(database=config.database) as session:
            for statement in _CONSTRAINTS:
                session.run(statement).consume()
            # A new constraint's index fills in the background: wait, or the first push's
            # lookups scan labels (measured: 30 s instead of 4 s for 23k relationships).
            session.run("CALL db.awaitIndexes(300)").consume()
        with push_lock(driver, config.database, dataset, version, wait=wait), \
                driver.session(database=config.database) as session:
            removed = remove_stale_versions(session, dataset, {version}, batch=batch_size)

            element: dict[str, str] = {}

            def write(query: str, rows: list[dict[str, Any]], what: str) -> None:
                for chunk in _batches(rows, batch_size):
                    if what == "nodes":
                        made = session.execute_write(
                            lambda tx, c=chunk: [tuple(r.values()) for r in tx.run(
                                query, rows=c, dataset=dataset, version=version)])
                        element.update(made)
                        done = len(made)
                    else:
                        if what == "relationships":
                            chunk = [{"a": element[r["u"]], "b": element[r["v"]], "k": r["k"],
                                      "props": r["props"]} for r in chunk]
                        done = session.execute_write(
                            lambda tx, c=chunk: tx.run(query, rows=c, dataset=dataset,
                                                       version=version).single()["c"])
                    if done != len(chunk):
                        raise BackendError(
                            f"Neo4j stored {done} of a batch of {len(chunk)} {what} of "
                            f"dataset {dataset!r}; the push stopped before switching, so "
                            "readers keep the previous version")
                    if progress is not None:
                        progress(len(chunk))

            write(_CREATE_SOURCES, sources, "sources")
            for kind, rows in nodes.items():
                write(_CREATE_NODES[kind], rows, "nodes")
            for kind, rows in rels.items():
                write(_CREATE_RELS[kind], rows, "relationships")
            got = count_version(session, dataset, version)
            if (got.nodes, got.relationships, got.sources) != want:
                raise BackendError(
                    f"the new version of dataset {dataset!r} holds {got.nodes} nodes, "
                    f"{got.relationships} relationships and {got.sources} sources instead of "
                    f"{want[0]}, {want[1]} and {want[2]}; readers keep the previous version")
            session.execute_write(lambda tx: tx.run(
                _SWITCH, dataset=dataset, version=version, graph=encode_graph_attrs(G),
                nodes=got.nodes, rels=got.relationships, sources=got.sources,
                layout=LAYOUT).consume())
            removed += remove_stale_versions(session, dataset, {version}, batch=batch_size)
    except (nex.Neo4jError, nex.DriverError, OSError) as exc:
        raise _translate(exc, config) from exc
    return PushSummary(dataset=dataset, version=version, nodes=got.nodes,
                       relationships=got.relationships, sources=got.sources,
                       removed_versions=removed)


_Rows = list[dict[str, Any]]


def _rows(G: nx.MultiDiGraph) -> tuple[_Rows, dict[str, _Rows], dict[str, _Rows]]:
    """The sources, nodes by kind and relationships by kind of ``G``, encoded for a push."""
    sources = [{"id": sid, "props": encode_properties(
                    {k: v for k, v in attrs.items() if k != "id"})}
               for sid, attrs in G.graph.get("sources", {}).items()]
    by_kind: dict[str, _Rows] = {k: [] for k in NODE_LABELS}
    for seq, (n, attrs) in enumerate(G.nodes(data=True)):
        kind = attrs.get("kind")
        if kind not in by_kind:
            raise BackendError(f"node {n!r} has kind {kind!r}; the Neo4j backend "
                               f"stores {', '.join(NODE_LABELS)}")
        by_kind[kind].append({"id": n, "props": encode_properties(attrs) | {"_seq": seq}})
    rels: dict[str, _Rows] = {k: [] for k in REL_TYPES}
    needs: dict[str, set[str]] = {}
    need_levels: dict[str, dict[str, str]] = {}
    in_place: dict[str, dict[tuple[str, str], int]] = {}
    for seq, (u, v, k, attrs) in enumerate(G.edges(keys=True, data=True)):
        kind = attrs.get("kind")
        if kind not in rels:
            raise BackendError(f"edge {u!r}->{v!r} has kind {kind!r}")
        props = encode_properties(attrs) | {"_seq": seq}
        if kind == EdgeKind.SUPPLIES:
            if v not in needs:
                needs[v] = needed_inputs(G, v)
                need_levels[v] = need_confidence(G, v)
                in_place[v] = {(a, key): i for i, (a, _, key)
                               in enumerate(G.in_edges(v, keys=True))}
            props["_in"] = in_place[v][u, k]
            props["needed"] = attrs.get("product") in needs[v]
            if props["needed"]:
                props["_need"] = need_levels[v].get(attrs["product"],
                                                    Confidence.DOCUMENTED.value)
        rels[kind].append({"u": u, "v": v, "k": k, "props": props})
    return sources, by_kind, rels
