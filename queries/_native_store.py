"""One dataset version on a Neo4j server, read whole in one read transaction."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    BackendError,
    Confidence,
    LoadError,
    OretraceError,
    parse_date,
    restrict,
)
from oretrace.graphmodel.backends.neo4j import LAYOUT, read_transaction
from oretrace.queries._native_cypher import PARAMS, Q_DATASET

__all__ = ["ATTEMPTS", "Store", "answer", "floor_of"]

_T = TypeVar("_T")

#: Reads tried before giving up when a push keeps switching the version under the query.
ATTEMPTS = 5


@dataclass(frozen=True)
class Store:
    """One dataset version on the server, read in one read transaction ``tx``, as of a date
    above a confidence floor."""

    tx: Any
    dataset: str
    version: str
    day: dt.date
    floor: int

    def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """The rows of ``query``, run with the store's parameters and ``params``.

        They come back as one record holding the list of rows (:func:`_columnar`): streaming
        them record by record cost 5-50 times as much (measured on 50,000 rows).
        """
        values = {**PARAMS, "dataset": self.dataset, "version": self.version, "day": self.day,
                  "floor": self.floor, **params}
        text, columns = _columnar(query)
        record = self.tx.run(text, values).single()
        rows = record[0] if record is not None else []
        if len(columns) == 1:
            return [{columns[0]: value} for value in rows]
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def ids(self, query: str, **params: Any) -> list[str]:
        """The ``id`` column of :meth:`read`."""
        return [r["id"] for r in self.read(query, **params)]


@functools.cache
def _columnar(query: str) -> tuple[str, tuple[str, ...]]:
    """``query`` returning its rows as one list (of values, or of lists of values), in order,
    and the names of its columns (every column of the native queries is named ``AS x``)."""
    columns = tuple(re.findall(r"\bAS (\w+)", query[query.rindex(" RETURN "):]))
    row = columns[0] if len(columns) == 1 else f"[{', '.join(columns)}]"
    return f"CALL {{ {query} }} RETURN collect({row}) AS rows", columns


def _current(tx: Any, dataset: str) -> dict[str, Any] | None:
    row = tx.run(Q_DATASET, dataset=dataset).single()
    return None if row is None or row["version"] is None else dict(row.data())


def floor_of(min_confidence: str | Confidence | None) -> Confidence | None:
    """The confidence floor as a level, read once :func:`answer` has checked it."""
    return None if min_confidence is None else Confidence(min_confidence)


def answer(driver: Any, dataset: str, as_of: str | dt.date | None,
           min_confidence: str | Confidence | None, work: Callable[[Store], _T]) -> _T:
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
            result, failed = work(Store(tx, dataset, head["version"], day, floor)), None
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
