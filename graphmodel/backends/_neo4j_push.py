"""Writing one version of a dataset: sources, nodes, then relationships, in batches.

Where a push's time goes (a 128k-relationship synthetic network, warm server, 2 cores):
encoding the rows in Python took about a third as long as the server took to write them,
so relationships are encoded in a background thread while the server writes the previous
batch. Each relationship batch is of one type, sorted by supplier (consecutive creates on
the same node touch the same relationship chain), and its endpoints are found by the
element ids their nodes' CREATE returned (a direct lookup).

A relationship batch is sent as parallel lists (one per endpoint, key and property, read
by index in ``UNWIND range(...)``), not as a list of maps: on the 1,016,772-link synthetic
network (warm server, 1 GiB heap) the relationship transactions took 41-43 s instead of
53-61 s, the server reading the lists faster than the maps (measured with the statements
side by side; a transaction's commit, about 28-30 s of either, is the server writing ~10
properties per relationship and is unchanged).

Nodes and relationships are CREATEd, not MERGEd: every push writes a fresh version, so
nothing can exist yet (the constraints still refuse a duplicate), and MERGE on a
relationship scans the node's relationships (quadratic on high-degree suppliers). A
transaction that fails is rolled back whole before a retry. Each batch returns what it
wrote, so a batch whose endpoints are missing stops the push instead of writing nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
from oretrace.graphmodel.backends._neo4j_encoding import (
    NODE_LABELS,
    REL_TYPES,
    Row,
    node_rows,
    relationship_rows,
    source_rows,
)
from oretrace.graphmodel.errors import BackendError

__all__ = ["REL_BATCH", "write_version"]

#: Relationships per transaction (measured: 10,000 wrote about 20 % faster than 5,000; the
#: transaction stays far below the memory pool of a 1 GiB heap).
REL_BATCH = 10_000

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


def _create_rels(rtype: str, keys: Sequence[str]) -> str:
    """The statement creating a batch of ``rtype`` relationships whose properties are
    ``keys``, in that order: the endpoints' element ids in ``$a`` and ``$b``, the keys in
    ``$k`` and property ``keys[j]`` in ``$p<j>``, lists of one length read by index.

    The properties are written in the CREATE itself (an absent one is null, which CREATE
    leaves out): ``SET r += row.props`` made the planner put an Eager before the SET (the
    whole batch held in memory) and cost more server time per row. Property names enter the
    text only as quoted names; their values, and the parameter names, are never data.
    """
    props = "".join(f", {_name(key)}: $p{j}[i]" for j, key in enumerate(keys))
    return ("UNWIND range(0, size($a) - 1) AS i "
            "MATCH (a:OretraceNode) WHERE elementId(a) = $a[i] "
            "MATCH (b:OretraceNode) WHERE elementId(b) = $b[i] "
            f"CREATE (a)-[r:{rtype} {{_key: $k[i]{props}}}]->(b) "
            "RETURN count(r) AS c")


@dataclass(frozen=True)
class _Columns:
    """One batch of relationships of one kind as parallel lists, sorted by supplier: the
    endpoints' node ids, the keys, and one list per property name (``None`` where absent)."""

    kind: str
    u: list[Any]
    v: list[Any]
    k: list[Any]
    keys: list[str]
    props: list[list[Any]]


def _columns(kind: str, rows: list[Row]) -> _Columns:
    """``rows`` (of :func:`relationship_rows`) as :class:`_Columns`."""
    rows = sorted(rows, key=lambda r: str(r["u"]))  # a supplier's creates together
    keys = sorted({k for r in rows for k in r["props"]})
    return _Columns(kind, [r["u"] for r in rows], [r["v"] for r in rows],
                    [r["k"] for r in rows], keys,
                    [[r["props"].get(key) for r in rows] for key in keys])


def _name(key: str) -> str:
    """``key`` as a Cypher name (backticks doubled inside backticks: data stays data)."""
    return "`" + key.replace("`", "``") + "`"


_DONE = object()


def _batched(G: nx.MultiDiGraph, size: int) -> Iterator[_Columns]:
    """Relationships of ``G`` in batches of one kind, at most ``size`` each, as columns."""
    pending: dict[str, list[Row]] = {}
    for kind, row in relationship_rows(G):
        rows = pending.setdefault(kind, [])
        rows.append(row)
        if len(rows) >= size:
            yield _columns(kind, pending.pop(kind))
    for kind, rows in pending.items():
        yield _columns(kind, rows)


class _Background:
    """Run the iterator ``items`` in a thread from now on, up to ``ahead`` items ahead of
    the consumer; an exception raised by ``items`` is raised again to the consumer.
    ``close()`` stops the thread (a consumer that stops early must call it)."""

    def __init__(self, items: Iterator[Any], ahead: int = 3) -> None:
        self._box: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(items,),
                                        name="oretrace-neo4j-encode", daemon=True)
        self._thread.start()

    def _put(self, item: tuple[Any, BaseException | None]) -> bool:
        while not self._stop.is_set():
            try:
                self._box.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if not self._put((item, None)):
                    return
            self._put((_DONE, None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((_DONE, exc))

    def __iter__(self) -> Iterator[Any]:
        while True:
            item, exc = self._box.get()
            if item is _DONE:
                if exc is not None:
                    raise exc
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _check(done: int, wanted: int, what: str, dataset: str) -> None:
    if done != wanted:
        raise BackendError(
            f"Neo4j stored {done} of a batch of {wanted} {what} of dataset {dataset!r}; the "
            "push stopped before switching, so readers keep the previous version")


def write_version(session: Any, G: nx.MultiDiGraph, dataset: str, version: str, *,
                  batch_size: int, rel_batch: int = REL_BATCH,
                  progress: Callable[[int], None] | None = None) -> None:
    """Write every source, node and relationship of ``G`` as ``version`` of ``dataset``.

    Raises :class:`BackendError` when a batch stores fewer rows than it was sent (nothing
    is switched: the caller leaves readers on the previous version).
    """
    params = {"dataset": dataset, "version": version}

    def step(n: int) -> None:
        if progress is not None:
            progress(n)

    sources = source_rows(G)
    nodes = node_rows(G)
    rels = _Background(_batched(G, rel_batch))  # encoding starts while nodes are written
    try:
        element = _write_nodes(session, sources, nodes, params, batch_size, step)
        for batch in rels:
            sent = {"a": [element[u] for u in batch.u], "b": [element[v] for v in batch.v],
                    "k": batch.k, **{f"p{j}": values for j, values in enumerate(batch.props)}}
            query = _create_rels(REL_TYPES[batch.kind], batch.keys)
            done = session.execute_write(lambda tx, c=sent, q=query: tx.run(
                q, c, **params).single()["c"])
            _check(done, len(batch.u), "relationships", dataset)
            step(len(batch.u))
    finally:
        rels.close()


def _write_nodes(session: Any, sources: list[Row], nodes: dict[str, list[Row]],
                 params: dict[str, str], batch_size: int,
                 step: Callable[[int], None]) -> dict[Any, str]:
    """Write the sources and nodes; return the element id of each node id."""
    dataset = params["dataset"]
    for i in range(0, len(sources), batch_size):
        chunk = sources[i:i + batch_size]
        done = session.execute_write(lambda tx, c=chunk: tx.run(
            _CREATE_SOURCES, rows=c, **params).single()["c"])
        _check(done, len(chunk), "sources", dataset)
        step(len(chunk))
    element: dict[Any, str] = {}
    for kind, rows in nodes.items():
        for i in range(0, len(rows), batch_size):
            chunk = rows[i:i + batch_size]
            made = session.execute_write(lambda tx, c=chunk, q=_CREATE_NODES[kind]: [
                (r["id"], r["e"]) for r in tx.run(q, rows=c, **params)])
            element.update(made)
            _check(len(made), len(chunk), "nodes", dataset)
            step(len(chunk))
    return element
