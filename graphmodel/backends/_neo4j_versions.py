"""Versions of a Neo4j dataset: one push at a time, counted in the database, deleted in batches.

- **One push at a time.** A push holds a write lock on the dataset's ``(:OretraceLock)``
  node in a transaction it keeps open until it is done. The server releases that lock when
  the transaction ends, and also when the pushing process dies and its connection drops, so
  a killed push never blocks the next one. A second push first *probes* the lock in a
  transaction with a short server-side timeout: if the probe times out, another push is
  alive and the second one waits (up to ``wait`` seconds) or stops with a one-line error
  naming the push in progress. Nothing of either push is touched.
- **Cleanup scoped to dead versions.** Under the lock, every version of the dataset other
  than ``current`` (and the one being written) is a leftover of a push that failed or was
  killed, and is removed; the version readers see never is.
- **Counts from the database.** The numbers a push reports, and the ones a reader checks
  its result against, are counted in the database, not in Python.
- **Deletes in batches.** A version is deleted relationships first, then nodes, each in
  transactions of at most ``batch`` rows, so the transaction memory stays bounded however
  dense the suppliers are. A delete interrupted half-way leaves a partial *old* version,
  which nobody reads and the next push finishes removing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from oretrace.graphmodel.errors import BackendError

__all__ = ["VersionCounts", "count_version", "delete_version", "push_lock",
           "remove_stale_versions"]

#: Seconds a probe of the push lock waits before it concludes another push holds it.
LOCK_PROBE_SECONDS = 2.0

LOCK_CONSTRAINT = ("CREATE CONSTRAINT oretrace_lock_dataset IF NOT EXISTS "
                   "FOR (l:OretraceLock) REQUIRE l.dataset IS UNIQUE")
_ENSURE_LOCK = "MERGE (l:OretraceLock {dataset: $dataset})"
_TAKE_LOCK = ("MATCH (l:OretraceLock {dataset: $dataset}) "
              "SET l.holder = $version, l.since = datetime()")
_PROBE_LOCK = "MATCH (l:OretraceLock {dataset: $dataset}) SET l.probe = $version"
_MARK = ("MERGE (d:OretraceDataset {name: $dataset}) "
         "SET d.pushing = $version, d.pushing_since = toString(datetime())")
_UNMARK = ("MATCH (d:OretraceDataset {name: $dataset}) WHERE d.pushing = $version "
           "REMOVE d.pushing, d.pushing_since")
_PUSHING = ("MATCH (d:OretraceDataset {name: $dataset}) "
            "RETURN d.pushing AS version, d.pushing_since AS since")
_CURRENT = "MATCH (d:OretraceDataset {name: $dataset}) RETURN d.current AS v"
_VERSIONS = (
    "MATCH (n:OretraceNode {dataset: $dataset}) RETURN DISTINCT n.version AS version "
    "UNION "
    "MATCH (n:OretraceSource {dataset: $dataset}) RETURN DISTINCT n.version AS version"
)
_DELETE_RELS = (
    "MATCH (:OretraceNode {dataset: $dataset, version: $version})-[r]->() "
    "WITH r LIMIT $batch DELETE r RETURN count(*) AS c"
)
_DELETE_NODES = (
    "MATCH (n:OretraceNode {dataset: $dataset, version: $version}) "
    "WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS c"
)
_DELETE_SOURCES = (
    "MATCH (n:OretraceSource {dataset: $dataset, version: $version}) "
    "WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS c"
)
_COUNT_NODES = (
    "MATCH (n:OretraceNode {dataset: $dataset, version: $version}) "
    "RETURN count(n) AS nodes, sum(COUNT { (n)-->() }) AS relationships"
)
_COUNT_SOURCES = (
    "MATCH (s:OretraceSource {dataset: $dataset, version: $version}) RETURN count(s) AS c"
)


def _is_lock_wait_timeout(exc: Exception) -> bool:
    """Whether ``exc`` is the server ending a transaction that waited for a lock too long."""
    code = getattr(exc, "code", "") or ""
    return any(word in code for word in ("TransactionTimedOut", "LockClientStopped",
                                         "LockAcquisitionTimeout", "Terminated"))


def _lock_is_free(session: Any, dataset: str, version: str) -> bool:
    """Probe the push lock: ``True`` when it could be taken right away (the probe's write is
    rolled back), ``False`` when another transaction holds it."""
    from neo4j import exceptions as nex

    tx = session.begin_transaction(timeout=LOCK_PROBE_SECONDS)
    try:
        tx.run(_PROBE_LOCK, dataset=dataset, version=version).consume()
    except nex.Neo4jError as exc:
        if _is_lock_wait_timeout(exc):
            return False
        raise
    finally:
        tx.close()  # rolls back
    return True


def _busy_message(session: Any, dataset: str, wait: float) -> str:
    row = session.run(_PUSHING, dataset=dataset).single()
    who = ""
    if row is not None and row["version"]:
        who = f" (version {row['version']}, started {row['since']})"
    after = f" after waiting {wait:g} s" if wait > 0 else ""
    return (f"another push of dataset {dataset!r} is in progress{who}{after}; nothing was "
            "written: wait for it to finish and push again")


@contextmanager
def push_lock(driver: Any, database: str | None, dataset: str, version: str, *,
              wait: float = 0.0,
              sleep: Callable[[float], None] = time.sleep) -> Iterator[None]:
    """Hold the push lock of ``dataset`` for the ``with`` block.

    Waits up to ``wait`` seconds for a push in progress to end, then raises
    :class:`BackendError` naming it. The lock is released when the block ends, however it
    ends, and by the server if this process dies.
    """
    session = driver.session(database=database)
    tx = None
    try:
        session.execute_write(lambda t: t.run(_ENSURE_LOCK, dataset=dataset).consume())
        start = time.monotonic()
        while not _lock_is_free(session, dataset, version):
            waited = time.monotonic() - start
            if waited >= wait:
                raise BackendError(_busy_message(session, dataset, wait))
            sleep(min(1.0, max(0.0, wait - waited)))
        # A push that got in between the probe and here makes this wait for it: harmless.
        tx = session.begin_transaction()
        tx.run(_TAKE_LOCK, dataset=dataset, version=version).consume()
        with driver.session(database=database) as other:
            other.execute_write(lambda t: t.run(_MARK, dataset=dataset,
                                                version=version).consume())
        try:
            yield
        finally:
            with contextlib.suppress(Exception), driver.session(database=database) as other:
                other.execute_write(lambda t: t.run(_UNMARK, dataset=dataset,
                                                    version=version).consume())
    finally:
        if tx is not None:
            with contextlib.suppress(Exception):  # a dropped connection released it anyway
                tx.close()
        session.close()


def current_of(session: Any, dataset: str) -> str | None:
    """The version readers of ``dataset`` see, read in ``session``."""
    row = session.run(_CURRENT, dataset=dataset).single()
    return None if row is None else row["v"]


def remove_stale_versions(session: Any, dataset: str, keep: set[str], *, batch: int) -> int:
    """Delete every version of ``dataset`` except ``current`` and ``keep``; return how many.

    Call it holding the push lock: then no other push is writing, and every other version
    is a leftover.
    """
    current = current_of(session, dataset)
    spared = keep | ({current} if current else set())
    stale = [r["version"] for r in session.run(_VERSIONS, dataset=dataset)
             if r["version"] not in spared]
    for version in stale:
        delete_version(session, dataset, version, batch=batch)
    return len(stale)


def delete_version(session: Any, dataset: str, version: str, *, batch: int) -> None:
    """Delete one version: relationships first, then nodes and sources, ``batch`` rows per
    transaction (each committed, so memory stays bounded and progress survives a kill)."""
    for query in (_DELETE_RELS, _DELETE_NODES, _DELETE_SOURCES):
        while True:
            done = session.execute_write(
                lambda tx, q=query: tx.run(q, dataset=dataset, version=version,
                                           batch=batch).single()["c"])
            if done == 0:
                break


@dataclass(frozen=True)
class VersionCounts:
    """What one version holds, counted in the database."""

    nodes: int
    relationships: int
    sources: int


def count_version(session: Any, dataset: str, version: str) -> VersionCounts:
    """Count the nodes, relationships and sources of one version in the database."""
    row = session.run(_COUNT_NODES, dataset=dataset, version=version).single()
    sources = session.run(_COUNT_SOURCES, dataset=dataset, version=version).single()
    return VersionCounts(nodes=int(row["nodes"]), relationships=int(row["relationships"] or 0),
                         sources=int(sources["c"]))
