"""The large-table reader's graph building: the same graph as ``build_graph``, leaner.

The small tables go through :func:`oretrace.graphmodel.build_graph`; the facility rows and
the supply rows are added from their code arrays, and identical supply attribute values (a
source list, a product id) are shared rather than copied per edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_origin

import networkx as nx
import numpy as np
from oretrace.graphmodel import Records, build_graph
from oretrace.graphmodel.graph import _attrs, supply_key
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.loaders._cells import PARSERS
from oretrace.loaders._columns import Table
from oretrace.loaders._reader import Reader, Row

__all__ = ["build_graph_fast"]

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
    for fid, attrs in _node_attrs(fac):
        G.add_node(fid, **attrs)
    for rule in rules:
        G.add_node(rule.record.id, kind=str(NodeKind.RULE),
                   **{k: v for k, v in _attrs(rule.record).items()
                      if k not in {"kind", "id"}})
    for fid in fac.column("id"):
        attrs = G.nodes[fid]
        if attrs["company"]:
            G.add_edge(attrs["company"], fid, key=operates, kind=operates,
                       sources=list(attrs["sources"]), confidence=attrs["confidence"])
        for tech in attrs["technologies"]:
            G.add_edge(fid, tech, key=uses, kind=uses, sources=list(attrs["sources"]),
                       confidence=attrs["confidence"])
    # the records are in the graph now: let them go before the big table is built
    for table in reader.rows.values():
        table.clear()
    fac.keep(np.zeros(0, dtype=np.int64))
    _add_supplies(G, sup)
    return G


def _add_supplies(G: nx.MultiDiGraph, t: Table) -> None:
    """Add one supplies edge per row (a further date window of a link gets ``key#2`` …).

    Values shared by many rows — ids, source lists, dates, shares — are one object each.
    """
    kind = str(EdgeKind.SUPPLIES)
    extras = [c for c in t.header if c not in PARSERS["supplies"]]
    supplier = t.values["supplier"]
    buyer = t.values["buyer"]
    product = t.values["product"]
    keys = [supply_key(p) for p in product]
    sources = [list(v) for v in t.values["sources"]]
    share, start, end = t.values["share"], t.values["start"], t.values["end"]
    confidence = t.values["confidence"]
    # one string object per node id: reuse the graph's own keys
    node = {n: n for n in G}
    supplier = [node.get(s, s) for s in supplier]
    buyer = [node.get(b, b) for b in buyer]
    names = ("supplier", "buyer", "product", "share", "start", "end", "sources", "confidence")
    extra_cols = [(c, t.values[c]) for c in extras]
    succ, pred = _adjacency(G)
    windows: dict[tuple[str, str, str], int] = {}  # the last n of a link's key#n
    # the codes in blocks, each freed once built: the graph grows as the table shrinks
    step = 1 << 16
    blocks = [{c: t.codes[c][lo:lo + step].copy() for c in t.codes}
              for lo in range(0, len(t), step)]
    t.codes.clear()
    t.lines = np.zeros(0, dtype=np.int64)
    while blocks:
        block = blocks.pop(0)
        columns = [block[c].tolist() for c in names]
        extra_codes = [block[c].tolist() for c, _ in extra_cols]
        del block
        for i, (a, b, p, s, st, en, so, co) in enumerate(zip(*columns, strict=True)):
            data: dict[str, Any] = {"kind": kind, "sources": sources[so],
                                    "confidence": confidence[co], "product": product[p],
                                    "share": share[s]}
            if start[st] is not None:
                data["start"] = start[st]
            if end[en] is not None:
                data["end"] = end[en]
            for (c, values), codes in zip(extra_cols, extra_codes, strict=True):
                if values[codes[i]] is not None:  # as build_graph: no None on an edge
                    data[c] = values[codes[i]]
            u, v, key = supplier[a], buyer[b], keys[p]
            if succ is None:
                n, unique = 1, key
                while G.has_edge(u, v, unique):
                    n += 1
                    unique = supply_key(product[p], n)
                G.add_edge(u, v, key=unique, **data)
                continue
            out = succ[u]
            keydict = out.get(v)
            if keydict is None:
                out[v] = pred[v][u] = {key: data}
            elif key in keydict:  # another date window of the same link: key#2, key#3 ...
                n = windows[(u, v, key)] = windows.get((u, v, key), 1) + 1
                keydict[supply_key(product[p], n)] = data
            else:
                keydict[key] = data
    if succ is not None and hasattr(nx, "_clear_cache"):
        nx._clear_cache(G)


def _adjacency(G: nx.MultiDiGraph) -> tuple[Any, Any]:
    """networkx's own successor and predecessor dicts, when laid out as expected.

    Writing into them skips ``add_edge``'s per-call overhead (a third of the load time at a
    million edges); any other layout falls back to ``add_edge``.
    """
    succ = getattr(G, "_succ", None)
    pred = getattr(G, "_pred", None)
    plain = (type(G) is nx.MultiDiGraph and isinstance(succ, dict) and isinstance(pred, dict)
             and G._adj is succ and G.edge_key_dict_factory is dict
             and G.edge_attr_dict_factory is dict)
    return (succ, pred) if plain else (None, None)


# --------------------------------------------------------------------------- public API
