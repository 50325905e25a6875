"""What is in the graph: counts, platforms, and one node with its sources and neighbours."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import networkx as nx
from oretrace.graphmodel import facilities_making, get_node, platforms
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import EdgeKind
from pydantic import BaseModel

if TYPE_CHECKING:  # pandas loads when a table is built, not when the CLI starts
    import pandas as pd

__all__ = ["Neighbour", "NodeReport", "count_rows", "describe_node", "list_platforms",
           "summarize"]

_COUNT_COLUMNS = ("element", "kind", "group", "confidence")


def count_rows(G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Return :func:`summarize`'s rows as plain records, without pandas.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A dataset's graph.

    Returns
    -------
    list of dict
        One record per (element, kind, group, confidence) with its ``count``, sorted.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("m", kind="facility", stage="mine", confidence="documented")
    >>> G.add_node("s", kind="facility", stage="mine", confidence="documented")
    >>> count_rows(G)
    [{'element': 'node', 'kind': 'facility', 'group': 'mine', 'confidence': 'documented', \
'count': 2}]
    """
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for _, d in G.nodes(data=True):
        group = d.get("stage") or d.get("category") or d.get("authority") or ""
        counts["node", d.get("kind"), group, d.get("confidence") or ""] += 1
    for _, _, d in G.edges(data=True):
        counts["edge", d.get("kind"), "", d.get("confidence") or ""] += 1
    return [dict(zip(_COUNT_COLUMNS, key, strict=True)) | {"count": n}
            for key, n in sorted(counts.items())]


def summarize(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Return counts of nodes and edges by kind, group (stage or category) and confidence.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph to count (not mutated): every date, or one date's view from
        :func:`oretrace.at`.

    Returns
    -------
    pandas.DataFrame
        One row per ``element`` (``node`` or ``edge``), ``kind``, ``group`` (a node's stage,
        category or authority; empty for an edge) and ``confidence``, with its ``count``;
        sorted. Every
        date is counted: slice ``G`` with :func:`oretrace.at` first for one date.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> table = summarize(load_dataset())
    >>> platforms = table.query("kind == 'product' and group == 'platform'")
    >>> int(platforms["count"].sum()) >= 8
    True
    """
    import pandas as pd

    return pd.DataFrame(count_rows(G), columns=[*_COUNT_COLUMNS, "count"])


@shared_docs
def list_platforms(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Return one row per platform: id, name, unit price, assembling facilities, sources.

    Parameters
    ----------
    %(G)s

    Returns
    -------
    pandas.DataFrame
        Columns ``platform`` (id), ``name``, ``unit_price_usd`` (``None`` when unknown),
        ``assembly`` (the ids of the facilities making it), ``confidence`` and ``sources``
        (source ids), one row per platform in the graph's order.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> list_platforms(load_dataset(MINI))[["platform", "assembly"]].to_dict("records")
    [{'platform': 'missile', 'assembly': ['us-asm']}]
    """
    import pandas as pd

    rows = []
    for pid in platforms(G):
        d = G.nodes[pid]
        assembly = facilities_making(G, pid)
        rows.append({"platform": pid, "name": d.get("name"),
                     "unit_price_usd": d.get("unit_price_usd"),
                     "assembly": assembly, "confidence": d.get("confidence"),
                     "sources": d.get("sources", [])})
    return pd.DataFrame(rows, columns=["platform", "name", "unit_price_usd", "assembly",
                                       "confidence", "sources"])


class Neighbour(BaseModel):
    """An edge at a node: direction, kind, the node at the other end, and the edge's data."""

    direction: str
    kind: str
    node: str
    name: str | None
    attributes: dict[str, Any]


class NodeReport(BaseModel):
    """A node with its attributes, resolved sources and neighbours."""

    id: str
    kind: str
    attributes: dict[str, Any]
    sources: list[dict[str, Any]]
    neighbours: list[Neighbour]


@shared_docs
def describe_node(G: nx.MultiDiGraph, node: str) -> NodeReport:
    """Return ``node`` with its sources resolved and its edges listed.

    Parameters
    ----------
    %(G)s
    node : str
        The id of a node of any kind.

    Returns
    -------
    NodeReport
        The node's ``kind`` and ``attributes``, its ``sources`` as records (title, publisher,
        date …; an id missing from the bibliography reads "(unknown source)") and its
        ``neighbours``: every edge in and out, sorted by direction, edge kind and node.

    Raises
    ------
    UnknownNodeError
        When no node has this id; the message lists close matches.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> report = describe_node(load_dataset(MINI), "jp-mag")
    >>> report.kind, [(n.direction, n.kind, n.node) for n in report.neighbours]
    ('facility', [('in', 'supplies', 'cn-sep'), ('in', 'supplies', 'us-sep'),
                  ('out', 'supplies', 'us-comp')])
    """
    attrs = get_node(G, node)
    table = G.graph.get("sources", {})
    sources = [table.get(s, {"id": s, "title": "(unknown source)"})
               for s in attrs.get("sources", [])]
    neighbours: list[Neighbour] = []
    skip = {"kind", "sources", "confidence"}
    for u, _, d in G.in_edges(node, data=True):
        neighbours.append(Neighbour(direction="in", kind=d["kind"], node=u,
                                    name=G.nodes[u].get("name"),
                                    attributes={k: v for k, v in d.items() if k not in skip}
                                    | {"confidence": d.get("confidence")}))
    for _, v, d in G.out_edges(node, data=True):
        neighbours.append(Neighbour(direction="out", kind=d["kind"], node=v,
                                    name=G.nodes[v].get("name"),
                                    attributes={k: v2 for k, v2 in d.items() if k not in skip}
                                    | {"confidence": d.get("confidence")}))
    order = {k.value: i for i, k in enumerate(EdgeKind)}
    neighbours.sort(key=lambda n: (n.direction, order.get(n.kind, 9), n.node))
    return NodeReport(id=node, kind=attrs.pop("kind"),
                      attributes={k: v for k, v in attrs.items() if k != "sources"},
                      sources=sources, neighbours=neighbours)
