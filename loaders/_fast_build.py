"""The large-table reader's graph building: the same graph as ``build_graph``, leaner.

The small tables go through :func:`oretrace.graphmodel.build_graph`; the facility rows and
the supply rows are added from their code arrays, and identical supply attribute values (a
source list, a product id) are shared rather than copied per edge. Nodes and edges are
written into networkx's own dicts (``_node``, ``_succ``, ``_pred``) as ``add_node`` and
``add_edge`` would write them, in the same order (a graph laid out otherwise, or an edge
already there, goes through ``add_edge``): the result is an ordinary ``MultiDiGraph``.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator
from itertools import islice
from typing import Any, get_origin

import networkx as nx
import numpy as np
from oretrace.graphmodel import Records, build_graph
from oretrace.graphmodel.graph import _attrs, supply_key
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.loaders._cells import PARSERS
from oretrace.loaders._columns import IntArray, Table, stable_order
from oretrace.loaders._reader import Reader, Row

__all__ = ["build_graph_fast", "release_free_memory"]

#: Supply rows built at a time (their codes freed as the graph grows).
_BLOCK = 1 << 16
#: The tables read row by row (and built by ``build_graph``) on the large-table path.
_SMALL_TABLES = ("sources", "companies", "ownership", "technologies", "products", "bom")


def _node_attrs(t: Table) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, attributes) of each facility row, as ``build_graph`` stores them."""
    fields = RECORD_MODELS["facilities"].model_fields  # in the order build_graph stores them
    extras = [c for c in t.header if c not in PARSERS["facilities"]]
    names = [c for c in fields if c != "id"] + extras
    listed = {c for c, f in fields.items() if get_origin(f.annotation) is tuple}
    columns = {c: t.column(c) for c in names}
    kind = str(NodeKind.FACILITY)
    for i, fid in enumerate(t.column("id")):
        attrs: dict[str, Any] = {"kind": kind}
        for c in names:
            v = columns[c][i]
            if v is None and c in extras:  # a range column (capacity_lo …) on a point row
                continue
            attrs[c] = list(v) if c in listed else v
        yield fid, attrs


def build_graph_fast(reader: Reader, fac: Table, sup: Table, rules: list[Row]
                     ) -> nx.MultiDiGraph:
    """The graph of the checked tables; empties ``reader``'s rows and the two tables."""
    small = Records(name=reader.root.name,
                    **{t: [r.record for r in reader.rows[t]] for t in _SMALL_TABLES})
    G = build_graph(small)
    del small
    operates, uses = str(EdgeKind.OPERATES), str(EdgeKind.USES)
    succ, pred = _adjacency(G)
    for fid, attrs in _node_attrs(fac):
        if succ is None or fid in succ:
            G.add_node(fid, **attrs)
        else:  # a new node, as add_node makes it
            succ[fid], pred[fid], G._node[fid] = {}, {}, attrs
    for rule in rules:
        G.add_node(rule.record.id, kind=str(NodeKind.RULE),
                   **{k: v for k, v in _attrs(rule.record).items()
                      if k not in {"kind", "id"}})
    for fid in fac.column("id"):
        attrs = G.nodes[fid]
        if attrs["company"]:
            _put_edge(G, (succ, pred), attrs["company"], fid, operates, {
                "kind": operates, "sources": list(attrs["sources"]),
                "confidence": attrs["confidence"]})
        for tech in attrs["technologies"]:
            _put_edge(G, (succ, pred), fid, tech, uses, {
                "kind": uses, "sources": list(attrs["sources"]),
                "confidence": attrs["confidence"]})
    # the records are in the graph now: let them go before the big table is built
    for table in reader.rows.values():
        table.clear()
    fac.keep(np.zeros(0, dtype=np.int64))
    _add_supplies(G, sup)
    return G


def _put_edge(G: nx.MultiDiGraph, adjacency: tuple[Any, Any], u: str, v: str, key: str,
              data: dict[str, Any]) -> None:
    """``G.add_edge(u, v, key=key, **data)``, written into the adjacency dicts (``succ,
    pred`` of :func:`_adjacency`) when both ends are nodes already (no per-call overhead)."""
    succ, pred = adjacency
    if succ is None or u not in succ or v not in succ:
        G.add_edge(u, v, key=key, **data)
        return
    keydict = succ[u].get(v)
    if keydict is None:
        succ[u][v] = pred[v][u] = {key: data}
    elif key in keydict:
        keydict[key].update(data)
    else:
        keydict[key] = data


def _add_supplies(G: nx.MultiDiGraph, t: Table) -> None:
    """Add one supplies edge per row (a further date window of a link gets ``key#2`` …).

    Values shared by many rows — ids, source lists, dates, shares — are one object each.
    The rows go in blocks, each one's codes freed once built (the graph grows as the table
    shrinks); a block's attribute dicts are made together, then put in networkx's own
    adjacency dicts (:func:`_adjacency`) in bulk, in the order ``add_edge`` row by row
    would put them.
    """
    extras = [c for c in t.header if c not in PARSERS["supplies"]]
    node = {n: n for n in G}  # one string object per node id: reuse the graph's own keys
    values = {c: _objects([node.get(v, v) for v in t.values[c]] if c in ("supplier", "buyer")
                          else [list(v) for v in t.values[c]] if c == "sources"
                          else t.values[c]) for c in ("supplier", "buyer", "product", "share",
                                                      "start", "end", "sources", "confidence",
                                                      *extras)}
    keys = _objects([supply_key(p) for p in t.values["product"]])
    succ, pred = _adjacency(G)
    if succ is not None and _linked(succ, values["supplier"].tolist(), values["buyer"].tolist()):
        succ = pred = None  # facility to facility edges already there: row by row
    # a link's first row makes its key dict; a further row (product or window) joins it
    pair = t.codes["supplier"].astype(np.int64) * len(values["buyer"]) + t.codes["buyer"]
    order = stable_order(pair)
    pair = pair[order]
    first = np.zeros(len(t), dtype=bool)
    first[order[np.concatenate(([True], pair[1:] != pair[:-1]))]] = True
    del pair, order
    windows: dict[tuple[str, str, str], int] = {}  # the last n of a link's key#n
    step = _BLOCK
    blocks = [({c: t.codes[c][lo:lo + step].copy() for c in t.codes}, first[lo:lo + step])
              for lo in range(0, len(t), step)]
    t.codes.clear()
    t.lines = np.zeros(0, dtype=np.int64)
    del first
    while blocks:
        block, starts_link = blocks.pop(0)
        linked, ks = _edge_attrs(block, values, keys, extras)
        if succ is None:
            _add_edges(G, block, values, ks, [kd[k] for kd, k in zip(linked, ks, strict=True)])
        else:
            _add_links(succ, pred, block, starts_link, values, linked)
            for i in np.flatnonzero(~starts_link).tolist():
                u, v = (values[c][block[c][i]] for c in ("supplier", "buyer"))
                key = ks[i]
                data, keydict = linked[i][key], succ[u][v]
                if key in keydict:  # another date window of the same link: key#2 ...
                    n = windows[(u, v, key)] = windows.get((u, v, key), 1) + 1
                    key = supply_key(data["product"], n)
                keydict[key] = data
        del block, linked
        release_free_memory()  # the block's lists: the heap's holes back, for the graph
    if succ is not None and hasattr(nx, "_clear_cache"):
        nx._clear_cache(G)


def _linked(succ: dict[str, dict[str, Any]], suppliers: list[str], buyers: list[str]
            ) -> bool:
    """Whether any of ``suppliers`` already has an edge to one of ``buyers`` (not so when
    the checks passed: a facility id is no other node's)."""
    targets = set(buyers)
    return any(not targets.isdisjoint(succ.get(u, ())) for u in set(suppliers))


def _add_links(succ: dict[str, Any], pred: dict[str, Any], block: dict[str, IntArray],
               starts_link: Any, values: dict[str, Any], linked: list[dict[str, Any]]
               ) -> None:
    """Put the key dict of each link starting in ``block`` (``starts_link``) into the
    successors of its supplier and the predecessors of its buyer, in file order."""
    rows = np.flatnonzero(starts_link)
    keydicts = _objects(linked)[rows]
    for end, other, adjacency in (("supplier", "buyer", succ), ("buyer", "supplier", pred)):
        codes = block[end][rows]
        order = stable_order(codes)  # file order within each node
        codes = codes[order]
        heads = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
        ends = values[end][codes[heads]].tolist()
        pairs = zip(values[other][block[other][rows][order]].tolist(),
                    keydicts[order].tolist(), strict=True)
        for n, size in zip(ends, np.diff(np.append(heads, len(codes))).tolist(), strict=True):
            adjacency[n].update(islice(pairs, size))


def _add_edges(G: nx.MultiDiGraph, block: dict[str, IntArray], values: dict[str, Any],
               keys: list[str], edges: list[dict[str, Any]]) -> None:
    """The rows of ``block`` by ``add_edge`` (a graph not laid out as :func:`_adjacency`
    expects)."""
    us, vs = (values[c][block[c]].tolist() for c in ("supplier", "buyer"))
    for u, v, key, data in zip(us, vs, keys, edges, strict=True):
        n, unique = 1, key
        while G.has_edge(u, v, unique):
            n += 1
            unique = supply_key(data["product"], n)
        G.add_edge(u, v, key=unique, **data)


def release_free_memory() -> None:
    """Give the C heap's free memory back to the system.

    Freed blocks on the C library's heap are not reused by Python's small-object allocator
    (where the graph lives); without this the peak holds both (about 50 MB at a million
    links). glibc only; elsewhere nothing happens.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _objects(values: list[Any]) -> Any:
    """``values`` as a numpy object array (one reference each: tuples stay whole)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _edge_attrs(block: dict[str, Any], values: dict[str, Any], keys: Any, extras: list[str]
                ) -> tuple[list[dict[str, Any]], list[str]]:
    """A key dict ``{key: attributes}`` for each row of ``block`` (its attributes in
    ``build_graph``'s order, no ``None`` on an edge: a missing date or extra is left out),
    and each row's key."""
    kind = str(EdgeKind.SUPPLIES)
    ks = keys[block["product"]].tolist()
    linked = [{k: {"kind": kind, "sources": so, "confidence": co, "product": p, "share": s}}
              for k, so, co, p, s in zip(ks, *(values[c][block[c]].tolist() for c in
                                                ("sources", "confidence", "product", "share")),
                                         strict=True)]
    for c in ("start", "end", *extras):
        given = np.array([v is not None for v in values[c]], dtype=bool)[block[c]]
        for i, v in zip(np.flatnonzero(given).tolist(), values[c][block[c][given]].tolist(),
                        strict=True):
            linked[i][ks[i]][c] = v
    return linked, ks


def _adjacency(G: nx.MultiDiGraph) -> tuple[Any, Any]:
    """networkx's own successor and predecessor dicts, when laid out as expected.

    Writing into them skips ``add_edge``'s per-call overhead (a third of the load time at a
    million edges); any other layout falls back to ``add_edge``.
    """
    succ = getattr(G, "_succ", None)
    pred = getattr(G, "_pred", None)
    plain = (type(G) is nx.MultiDiGraph and isinstance(succ, dict) and isinstance(pred, dict)
             and G._adj is succ and G.edge_key_dict_factory is dict
             and G.edge_attr_dict_factory is dict and G.adjlist_inner_dict_factory is dict
             and G.node_attr_dict_factory is dict and isinstance(G._node, dict))
    return (succ, pred) if plain else (None, None)


# --------------------------------------------------------------------------- public API
