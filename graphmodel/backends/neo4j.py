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
so that reading back gives exactly the attributes written
(:mod:`oretrace.graphmodel.backends._neo4j_encoding`; the batches are written by
:mod:`oretrace.graphmodel.backends._neo4j_push`). A version can also be loaded through
Neo4j's bulk importer (:mod:`oretrace.graphmodel.backends._neo4j_import`) with the same
properties.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import networkx as nx
from oretrace.graphmodel.backends._neo4j_encoding import (
    DEFAULT_DATASET,
    LAYOUT,
    NODE_LABELS,
    REL_TYPES,
    RESERVED,
    SCHEMA,
    decode_graph_attrs,
    decode_properties,
    encode_graph_attrs,
    encode_properties,
)
from oretrace.graphmodel.backends._neo4j_push import REL_BATCH, write_version
from oretrace.graphmodel.backends._neo4j_versions import (
    count_version,
    push_lock,
    remove_stale_versions,
)
from oretrace.graphmodel.errors import BackendAuthError, BackendError, BackendUnavailable

__all__ = [
    "DEFAULT_DATASET",
    "LAYOUT",
    "ImportFiles",
    "NODE_LABELS",
    "REL_TYPES",
    "RESERVED",
    "SCHEMA",
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
    "write_import_files",
]

_T = TypeVar("_T")

# The driver logs each retry of a transaction ("Transaction failed and will be retried in
# 0.9s (...)") as a warning; with no handler configured, Python prints it on stderr, so a
# server that goes away mid-query gave several lines before oretrace's one-line error.
# A handler of our own keeps them off stderr (an application that configures logging still
# gets them).
logging.getLogger("neo4j").addHandler(logging.NullHandler())

BATCH = 5_000



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


def push(
    driver: Any,
    G: nx.MultiDiGraph,
    *,
    dataset: str = DEFAULT_DATASET,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    wait: float = 0.0,
) -> PushSummary:
    """Write ``G`` as a new version of ``dataset``, switch readers to it, drop the old one.

    ``batch_size`` is the rows per transaction (default 5,000 nodes or deleted rows and
    10,000 relationships). ``progress`` is called with the number of rows written after
    each batch. When another push of ``dataset`` is in progress, wait up to ``wait``
    seconds for it to end, then raise :class:`BackendError` (nothing written). The counts
    returned are counted in the database; a version that does not hold every node and
    relationship of ``G`` is never switched to (an edge Neo4j cannot store stops the push
    before the switch; the next push removes what it wrote).
    """
    from neo4j import exceptions as nex

    config: Neo4jConfig = getattr(driver, "oretrace_config", Neo4jConfig())
    version = uuid.uuid4().hex
    batch = batch_size or BATCH
    want = (G.number_of_nodes(), G.number_of_edges(), len(G.graph.get("sources", {})))
    try:
        with driver.session(database=config.database) as session:
            for statement in SCHEMA:
                session.run(statement).consume()
            # A new constraint's index fills in the background: wait, or the first push's
            # lookups scan labels (measured: 30 s instead of 4 s for 23k relationships).
            session.run("CALL db.awaitIndexes(300)").consume()
        with push_lock(driver, config.database, dataset, version, wait=wait), \
                driver.session(database=config.database) as session:
            removed = remove_stale_versions(session, dataset, {version}, batch=batch)
            write_version(session, G, dataset, version, batch_size=batch,
                          rel_batch=batch_size or REL_BATCH, progress=progress)
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
            removed += remove_stale_versions(session, dataset, {version}, batch=batch)
    except (nex.Neo4jError, nex.DriverError, OSError) as exc:
        raise _translate(exc, config) from exc
    return PushSummary(dataset=dataset, version=version, nodes=got.nodes,
                       relationships=got.relationships, sources=got.sources,
                       removed_versions=removed)


# The bulk importer's files are written from the same rows (it reads the names above).
from oretrace.graphmodel.backends._neo4j_import import (  # noqa: E402
    ImportFiles,
    write_import_files,
)
