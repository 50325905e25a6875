"""How a graph is stored in Neo4j: property encoding and the rows a push or an import writes.

Attributes Neo4j cannot hold as properties are encoded: dicts and lists of dicts or of mixed
types as JSON text (their names listed in ``_json``), ``None`` values omitted (their names
listed in ``_nulls``); either list is left out when empty. Reading back
(:func:`decode_properties`) gives exactly the attributes written. Rows come out in the
graph's own order (``_seq``), supplies carrying ``needed``, ``_need`` and ``_in`` (see
:mod:`oretrace.graphmodel.backends.neo4j`), so a push and the bulk importer's files
(:mod:`oretrace.graphmodel.backends._neo4j_import`) store the same properties.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import networkx as nx
from oretrace.graphmodel.backends._neo4j_versions import LOCK_CONSTRAINT
from oretrace.graphmodel.errors import BackendError
from oretrace.graphmodel.graph import need_confidence, needed_inputs
from oretrace.graphmodel.vocab import Confidence, EdgeKind, NodeKind

__all__ = ["DEFAULT_DATASET", "EMPTY", "LAYOUT", "NODE_LABELS", "REL_TYPES", "RESERVED", "Row",
           "SCHEMA", "decode_graph_attrs", "decode_properties", "encode_graph_attrs",
           "encode_properties", "node_rows", "relationship_rows", "source_rows"]

DEFAULT_DATASET = "oretrace"
#: Version of the storage layout, kept on the dataset node as ``layout`` (2: supplies carry
#: ``_need`` and ``_in``).
LAYOUT = 2
#: The constraints and indexes a version is read and written through.
SCHEMA = (
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
#: Names of the empty-list attributes of an element, where its store cannot hold an empty
#: list (the bulk importer's files); a push stores the empty lists themselves.
EMPTY = "_empty"
RESERVED = frozenset({"dataset", "version", "id", "_json", "_nulls", "_key", "_seq", "needed",
                      "_need", "_in", EMPTY})

Row = dict[str, Any]
# Values stored as they are: the common case, checked by exact type (an enum or another
# subclass takes the general path below).
_PLAIN = frozenset({str, int, float, bool, dt.date})


def _check_name(key: str) -> None:
    if key in RESERVED:
        raise BackendError(f"attribute name {key!r} is reserved by the Neo4j backend")
    if not key:
        raise BackendError("an attribute has an empty name (a column without a header?); "
                           "Neo4j cannot store it")


def encode_properties(attrs: dict[str, Any]) -> dict[str, Any]:
    """Return ``attrs`` as Neo4j properties (see the module doc for the encoding).

    Examples
    --------
    >>> encode_properties({"share": 0.5, "note": None, "terms": {"a": 1}})
    {'share': 0.5, 'terms': '{"a": 1}', '_json': ['terms'], '_nulls': ['note']}
    """
    props: dict[str, Any] = {}
    as_json: list[str] = []
    nulls: list[str] = []
    for key, value in attrs.items():
        if key in RESERVED or not key:
            _check_name(key)
        kind = type(value)
        if kind in _PLAIN or (kind is list and all(type(v) is str for v in value)):
            props[key] = value
        elif value is None:
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
    if as_json:
        props["_json"] = as_json
    if nulls:
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
    """Invert :func:`encode_properties` (also drops ``dataset``/``version``/``id``/``_key``).

    Examples
    --------
    >>> decode_properties({"id": "f", "share": 0.5, "terms": '{"a": 1}', "_json": ["terms"],
    ...                    "_nulls": ["note"], "_empty": ["technologies"]})
    {'share': 0.5, 'terms': {'a': 1}, 'note': None, 'technologies': []}
    """
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
    for key in props.get(EMPTY) or ():
        attrs[key] = []
    return attrs


def encode_graph_attrs(G: nx.MultiDiGraph) -> str:
    """Return the graph-level attributes (all but the sources table) as JSON text.

    Examples
    --------
    >>> G = nx.MultiDiGraph(name="mini", sources={"s": {}})
    >>> encode_graph_attrs(G)
    '{"name": "mini"}'
    """
    keep = {k: v for k, v in G.graph.items() if k != "sources"}
    return json.dumps(_jsonable(keep), ensure_ascii=False, sort_keys=True)


def decode_graph_attrs(text: str | None) -> dict[str, Any]:
    """Invert :func:`encode_graph_attrs`.

    Examples
    --------
    >>> decode_graph_attrs('{"as_of": {"$date": "2025-01-01"}}')
    {'as_of': datetime.date(2025, 1, 1)}
    """
    decoded: dict[str, Any] = _unjson(json.loads(text)) if text else {}
    return decoded


# --------------------------------------------------------------------------- rows


def source_rows(G: nx.MultiDiGraph) -> list[Row]:
    """The sources table of ``G``, as ``{"id", "props"}`` rows."""
    return [{"id": sid, "props": encode_properties({k: v for k, v in attrs.items()
                                                    if k != "id"})}
            for sid, attrs in G.graph.get("sources", {}).items()]


def node_rows(G: nx.MultiDiGraph) -> dict[str, list[Row]]:
    """The nodes of ``G`` by kind, as ``{"id", "props"}`` rows (``props`` with ``_seq``)."""
    by_kind: dict[str, list[Row]] = {k: [] for k in NODE_LABELS}
    for seq, (n, attrs) in enumerate(G.nodes(data=True)):
        kind = attrs.get("kind")
        if kind not in by_kind:
            raise BackendError(f"node {n!r} has kind {kind!r}; the Neo4j backend "
                               f"stores {', '.join(NODE_LABELS)}")
        props = encode_properties(attrs)
        props["_seq"] = seq
        by_kind[kind].append({"id": n, "props": props})
    return by_kind


def relationship_rows(G: nx.MultiDiGraph) -> Iterator[tuple[str, Row]]:
    """``(kind, {"u", "v", "k", "props"})`` for each edge of ``G``, in the graph's order.

    A generator, so that a push can send the first rows while the next are encoded.
    """
    needs: dict[str, set[str]] = {}
    need_levels: dict[str, dict[str, str]] = {}
    in_place: dict[str, dict[tuple[str, Any], int]] = {}
    supplies = EdgeKind.SUPPLIES.value
    for seq, (u, v, k, attrs) in enumerate(G.edges(keys=True, data=True)):
        kind = attrs.get("kind")
        if kind not in REL_TYPES:
            raise BackendError(f"edge {u!r}->{v!r} has kind {kind!r}")
        props = encode_properties(attrs)
        props["_seq"] = seq
        if kind == supplies:
            if v not in needs:
                needs[v] = needed_inputs(G, v)
                need_levels[v] = need_confidence(G, v)
                in_place[v] = {(a, key): i for i, (a, _, key)
                               in enumerate(G.in_edges(v, keys=True))}
            props["_in"] = in_place[v][u, k]
            needed = attrs.get("product") in needs[v]
            props["needed"] = needed
            if needed:
                props["_need"] = need_levels[v].get(attrs["product"],
                                                    Confidence.DOCUMENTED.value)
        yield kind, {"u": u, "v": v, "k": k, "props": props}
