"""Build the plain networkx graph from validated records, and read it back by name.

The graph is a ``networkx.MultiDiGraph``. Each node is keyed by its record's id and has a
``kind`` (facility, company, product, technology, rule) and the other fields of its record
as plain attributes (lists, dicts,
``datetime.date``). Each edge has a ``kind`` (supplies, requires, operates, owns, uses);
edge keys are the kind, except supplies edges, keyed ``supplies:<product>`` because one
facility may ship several products to the same buyer; a further date window of the same
link gets ``#2``, ``#3`` … appended to its key. ``G.graph["sources"]`` maps source
ids to source records.

Edges are kept lean, because a large graph holds millions of them: an edge does not store
fields whose value is ``None`` (an open ``start``/``end``, no ``substitute_for``), and a
supplies edge does not repeat its ends (``supplier``, ``buyer``) as attributes. Read
optional edge fields with ``.get``.

What a facility *needs* and who makes a product are the rules of
:mod:`oretrace.graphmodel._needs`; their names (:func:`needed_inputs`, :func:`makers_of` …)
are importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import Enum
from typing import Any

import networkx as nx
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._needs import (
    RequiresLine,
    bill_of_materials,
    facilities_making,
    facility_needs,
    makers_of,
    need_confidence,
    needed_inputs,
    supply_edges,
)
from oretrace.graphmodel.errors import UnknownNodeError
from oretrace.graphmodel.schema import (
    BomLine,
    Company,
    Facility,
    Ownership,
    Product,
    Rule,
    Source,
    Supply,
    Technology,
)
from oretrace.graphmodel.vocab import (
    Category,
    EdgeKind,
    NodeKind,
)

__all__ = [
    "Records",
    "RequiresLine",
    "bill_of_materials",
    "build_graph",
    "edges_of",
    "facilities_making",
    "facility_needs",
    "get_node",
    "makers_of",
    "need_confidence",
    "needed_inputs",
    "nodes_of",
    "platforms",
    "supply_edges",
    "supply_key",
]


class Records:
    """The validated records of one dataset, table by table.

    Parameters
    ----------
    sources : iterable of Source
        The bibliography: every ``sources`` id of the other tables names one of these.
    companies : iterable of Company
        Operators and owners.
    ownership : iterable of Ownership
        Who owns what share of which company (``owns`` edges).
    technologies : iterable of Technology
        Process know-how, with its stage and origin country.
    products : iterable of Product
        Materials, parts and platforms, with category, element fractions and price.
    bom : iterable of BomLine
        The bill of materials: how much of each input one unit of a product needs
        (``requires`` edges), substitute lines included.
    facilities : iterable of Facility
        Mines, plants, assembly lines and markets.
    supplies : iterable of Supply
        Who ships which product to whom, with its share and date window (``supplies`` edges).
    rules : iterable of Rule
        Export-control and procurement rules, as data.
    name : str
        The dataset's name (default ``"dataset"``); it becomes ``G.graph["name"]``.
    """

    def __init__(
        self,
        *,
        sources: Iterable[Source] = (),
        companies: Iterable[Company] = (),
        ownership: Iterable[Ownership] = (),
        technologies: Iterable[Technology] = (),
        products: Iterable[Product] = (),
        bom: Iterable[BomLine] = (),
        facilities: Iterable[Facility] = (),
        supplies: Iterable[Supply] = (),
        rules: Iterable[Rule] = (),
        name: str = "dataset",
    ) -> None:
        self.sources = list(sources)
        self.companies = list(companies)
        self.ownership = list(ownership)
        self.technologies = list(technologies)
        self.products = list(products)
        self.bom = list(bom)
        self.facilities = list(facilities)
        self.supplies = list(supplies)
        self.rules = list(rules)
        self.name = name


def _plain(value: Any) -> Any:
    """Turn tuples into lists and enums into strings, recursively: plain JSON-like data."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _attrs(record: Any) -> dict[str, Any]:
    return {k: _plain(v) for k, v in record.model_dump(mode="python").items()}


#: Fields a supplies edge does not store: they are its two ends.
_SUPPLY_ENDS = frozenset({"supplier", "buyer"})


def _edge_attrs(record: Any, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The attributes of an edge record: no ``None`` values, no fields in ``skip``."""
    return {k: v for k, v in _attrs(record).items() if v is not None and k not in skip}


def _put_edge(G: nx.MultiDiGraph, u: str, v: str, key: str, attrs: dict[str, Any],
              windows: dict[tuple[str, str, str], int]) -> None:
    """Add edge ``(u, v, key)``; a further row with the same key (another date window of
    the same link) is kept beside it under ``key#2``, ``key#3`` … (``windows`` counts them,
    so that many windows of one link cost no search)."""
    n = windows[(u, v, key)] = windows.get((u, v, key), 0) + 1
    unique = key if n == 1 else f"{key}#{n}"
    while G.has_edge(u, v, unique):  # only if the graph held the key before this build
        n = windows[(u, v, key)] = n + 1
        unique = f"{key}#{n}"
    G.add_edge(u, v, key=unique, **attrs)


def supply_key(product: str, n: int = 1) -> str:
    """Return the edge key of the ``n``-th supplies edge (date window) carrying ``product``.

    Parameters
    ----------
    product : str
        The product id the supplies edge carries.
    n : int
        Which date window of the same link: 1 (the default) for the first, 2 for the next ….

    Returns
    -------
    str
        ``supplies:<product>``, with ``#n`` appended from the second window on.

    Examples
    --------
    >>> supply_key("ndpr-oxide"), supply_key("ndpr-oxide", 2)
    ('supplies:ndpr-oxide', 'supplies:ndpr-oxide#2')
    """
    key = f"{EdgeKind.SUPPLIES}:{product}"
    return key if n == 1 else f"{key}#{n}"


def build_graph(records: Records) -> nx.MultiDiGraph:
    """Build the graph from validated records (references are assumed checked).

    Parameters
    ----------
    records : Records
        The dataset's validated records; ids they reference must exist (the loaders check).

    Returns
    -------
    networkx.MultiDiGraph
        A new graph: one node per record keyed by its id, one edge per link (see the module
        docstring for keys and attributes), the source records in ``G.graph["sources"]``.

    Examples
    --------
    >>> G = build_graph(Records(
    ...     sources=[Source(id="s", title="A source")],
    ...     products=[Product(id="ore", name="Ore", category="ore", unit="kg",
    ...                       sources=["s"], confidence="documented")],
    ...     facilities=[Facility(id="m", name="Mine", stage="mine", products=["ore"],
    ...                          sources=["s"], confidence="documented")]))
    >>> G.nodes["m"]["kind"], G.nodes["m"]["stage"]
    ('facility', 'mine')
    """
    G = nx.MultiDiGraph(name=records.name)
    G.graph["sources"] = {s.id: _attrs(s) for s in records.sources}
    windows: dict[tuple[str, str, str], int] = {}

    node_tables: list[tuple[NodeKind, list[Any]]] = [
        (NodeKind.COMPANY, records.companies),
        (NodeKind.TECHNOLOGY, records.technologies),
        (NodeKind.PRODUCT, records.products),
        (NodeKind.FACILITY, records.facilities),
        (NodeKind.RULE, records.rules),
    ]
    for kind, table in node_tables:
        for record in table:
            G.add_node(record.id, kind=str(kind), **{k: v for k, v in _attrs(record).items()
                                                      if k not in {"kind", "id"}})

    for own in records.ownership:
        _put_edge(G, own.owner, own.owned, str(EdgeKind.OWNS),
                  {"kind": str(EdgeKind.OWNS), **_edge_attrs(own)}, windows)
    for line in records.bom:
        key = str(EdgeKind.REQUIRES) if line.substitute_for is None else \
            f"{EdgeKind.REQUIRES}:alt:{line.substitute_for}"
        _put_edge(G, line.product, line.input, key,
                  {"kind": str(EdgeKind.REQUIRES), **_edge_attrs(line)}, windows)
    for fac in records.facilities:
        if fac.company:
            G.add_edge(fac.company, fac.id, key=str(EdgeKind.OPERATES), kind=str(EdgeKind.OPERATES),
                       sources=list(fac.sources), confidence=str(fac.confidence))
        for tech in fac.technologies:
            G.add_edge(fac.id, tech, key=str(EdgeKind.USES), kind=str(EdgeKind.USES),
                       sources=list(fac.sources), confidence=str(fac.confidence))
    for sup in records.supplies:
        _put_edge(G, sup.supplier, sup.buyer, supply_key(sup.product),
                  {"kind": str(EdgeKind.SUPPLIES), **_edge_attrs(sup, _SUPPLY_ENDS)}, windows)
    return G


# --------------------------------------------------------------------------- reading


@shared_docs
def nodes_of(G: nx.MultiDiGraph, kind: str) -> list[str]:
    """Return the ids of all nodes of ``kind``, in insertion order.

    Parameters
    ----------
    %(G)s
    kind : str
        A node kind: ``facility``, ``company``, ``product``, ``technology`` or ``rule``.

    Returns
    -------
    list of str
        The node ids of that kind (empty when there are none).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> nodes_of(G, "company")
    ['cn-co', 'us-co']
    """
    return [n for n, k in G.nodes(data="kind") if k == kind]


@shared_docs
def get_node(G: nx.MultiDiGraph, node: str, kind: str | None = None) -> dict[str, Any]:
    """Return the attributes of ``node``; raise :class:`UnknownNodeError` with suggestions.

    Parameters
    ----------
    %(G)s
    node : str
        The node id.
    kind : str, optional
        The kind the node must have (``facility``, ``product`` …); any kind when ``None``.

    Returns
    -------
    dict
        A copy of the node's attributes (changing it leaves the graph alone).

    Raises
    ------
    UnknownNodeError
        When no node has this id, or it is of another kind; the message lists close matches.

    Examples
    --------
    >>> get_node(nx.MultiDiGraph(), "F-53")
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.UnknownNodeError: no node with id 'F-53'
    """
    attrs = G.nodes.get(node)
    if attrs is None or (kind is not None and attrs.get("kind") != kind):
        known = nodes_of(G, kind) if kind else list(G.nodes)
        raise UnknownNodeError(node, known, kind or "node")
    return dict(attrs)


@shared_docs
def edges_of(G: nx.MultiDiGraph, kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(u, v, attrs)`` for every edge of ``kind``.

    Parameters
    ----------
    %(G)s
    kind : str
        Which edges: one of ``supplies``, ``requires``, ``operates``, ``owns`` and ``uses``
        (:class:`~oretrace.graphmodel.vocab.EdgeKind`).

    Yields
    ------
    tuple of (str, str, dict)
        The edge's tail, head and attributes (the graph's own dict: do not change it).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> [(u, v, d["share"]) for u, v, d in edges_of(G, "owns")]
    [('cn-co', 'us-co', 0.1)]
    """
    for u, v, data in G.edges(data=True):
        if data.get("kind") == kind:
            yield u, v, data


@shared_docs
def platforms(G: nx.MultiDiGraph) -> list[str]:
    """Return the ids of the end products (products of category ``platform``).

    Parameters
    ----------
    %(G)s

    Returns
    -------
    list of str
        The platform ids, in insertion order (all of them: no date applies to a product).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> platforms(G)
    ['missile']
    """
    product, platform = NodeKind.PRODUCT.value, Category.PLATFORM.value  # plain str compares
    return [n for n, d in G.nodes(data=True)
            if d.get("kind") == product and d.get("category") == platform]
