"""What a facility needs and who makes a product: the model's rules, written once.

What a facility *needs* (the inputs the queries follow):

- an ordinary facility needs the bill-of-materials inputs of every product it lists
  (substitute lines excluded), less the products it makes itself;
- a ``market`` facility needs each product it lists (it passes them through).

A supply edge *carries a needed input* when its product is one the buyer needs. The rule is
:func:`facility_needs`, on plain data; :func:`needed_inputs` and :func:`need_confidence`
read it on the graph, and the loaders and engines call it with their own tables. The
makers of a product are the non-market facilities listing it (:func:`makers_of`). The
public names are importable from :mod:`oretrace.graphmodel.graph`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import networkx as nx
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import CONFIDENCE_ORDER, Confidence, EdgeKind, NodeKind, Stage

__all__ = [
    "RequiresLine",
    "bill_of_materials",
    "facilities_making",
    "facility_needs",
    "makers_of",
    "need_confidence",
    "needed_inputs",
    "supply_edges",
]


@shared_docs
def bill_of_materials(
    G: nx.MultiDiGraph, product: str, *, substitutes: bool = False
) -> dict[str, float]:
    """Return ``{input: qty}`` for one unit of ``product``.

    Substitute lines (``substitute_for`` set) are left out unless ``substitutes`` is true.

    Parameters
    ----------
    %(G)s
    product : str
        The product whose inputs are listed.
    substitutes : bool
        Include the substitute lines (alternative inputs); default ``False``.

    Returns
    -------
    dict of str to float
        Input product id to quantity per unit of ``product`` (kg per kg, or count per unit);
        several lines for one input are added up. Empty for a product with no inputs.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> bill_of_materials(G, "magnet")
    {'oxide': 0.312}
    """
    bom: dict[str, float] = {}
    for _, inp, data in G.out_edges(product, data=True):
        if data.get("kind") != EdgeKind.REQUIRES:
            continue
        if data.get("substitute_for") is not None and not substitutes:
            continue
        bom[inp] = bom.get(inp, 0.0) + float(data["qty"])
    return bom


#: One bill-of-materials line as the needs rule reads it: ``(input, substitute_for,
#: confidence)``; ``substitute_for`` is ``None`` on an ordinary line.
RequiresLine = tuple[str, str | None, str]


def facility_needs(
    products: Iterable[str],
    stage: str | None,
    lines_of: Callable[[str], Iterable[RequiresLine]],
    *,
    substitutes: bool = False,
) -> dict[str, str]:
    """Return what a facility making ``products`` at ``stage`` needs: the rule, on plain data.

    The one definition of a facility's needs (see the module doc), each with the confidence
    of its need: the strongest of the bill-of-materials lines asking for it (a market's
    pass-through needs rest on no line and count as documented). :func:`needed_inputs` and
    :func:`need_confidence` read it on the graph; a reader of tables (the large-table
    loader) calls it with its own ``lines_of``.

    Parameters
    ----------
    products : iterable of str
        The product ids the facility lists.
    stage : str or None
        The facility's stage; ``market`` passes its products through.
    lines_of : callable
        ``lines_of(product)`` gives the bill-of-materials lines of ``product`` as
        :data:`RequiresLine` tuples (none for an unknown product).
    substitutes : bool
        Count the inputs of substitute lines as needs too; default ``False``.

    Returns
    -------
    dict of str to str
        Needed input product id to the confidence level of its need, in the order first
        asked for.

    Examples
    --------
    >>> bom = {"magnet": [("oxide", None, "reported"), ("oxide", None, "documented"),
    ...                   ("ce-oxide", "oxide", "estimated"), ("magnet", None, "reported")]}
    >>> lines = lambda product: bom.get(product, ())
    >>> facility_needs(["magnet"], "magnet", lines)
    {'oxide': 'documented'}
    >>> facility_needs(["magnet"], "magnet", lines, substitutes=True)
    {'oxide': 'documented', 'ce-oxide': 'estimated'}
    >>> facility_needs(["magnet"], "market", lines)
    {'magnet': 'documented'}
    """
    made = dict.fromkeys(products)
    if stage == Stage.MARKET:
        return dict.fromkeys(made, Confidence.DOCUMENTED.value)
    levels: dict[str, str] = {}
    for product in made:
        for inp, substitute_for, level in lines_of(product):
            if inp in made or (substitute_for is not None and not substitutes):
                continue
            if inp not in levels or (CONFIDENCE_ORDER.get(level, 0)
                                     > CONFIDENCE_ORDER.get(levels[inp], 0)):
                levels[inp] = level
    return levels


def _lines_in(G: nx.MultiDiGraph) -> Callable[[str], list[RequiresLine]]:
    """:func:`facility_needs`' ``lines_of`` on the graph: the ``requires`` edges of a product."""
    documented = Confidence.DOCUMENTED.value

    def lines_of(product: str) -> list[RequiresLine]:
        if product not in G:
            return []
        return [(inp, d.get("substitute_for"), str(d.get("confidence", documented)))
                for inp, keyed in G.succ[product].items() for d in keyed.values()
                if d.get("kind") == EdgeKind.REQUIRES]
    return lines_of


def _needs(G: nx.MultiDiGraph, facility: str, substitutes: bool) -> dict[str, str]:
    attrs = G.nodes[facility]
    return facility_needs(attrs.get("products", ()), attrs.get("stage"), _lines_in(G),
                          substitutes=substitutes)


@shared_docs
def needed_inputs(G: nx.MultiDiGraph, facility: str, *, substitutes: bool = False) -> set[str]:
    """Return the products ``facility`` must receive from suppliers (see the module doc).

    With ``substitutes`` the alternative inputs of substitute lines are included too.

    Parameters
    ----------
    %(G)s
    facility : str
        The facility id; its products and stage decide its needs.
    substitutes : bool
        Count the inputs of substitute lines as needs too; default ``False``.

    Returns
    -------
    set of str
        The product ids the facility needs from suppliers: empty for a mine, the listed
        products for a market.

    Examples
    --------
    The magnet plant needs oxide; a mine needs nothing:

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> needed_inputs(G, "jp-mag"), needed_inputs(G, "cn-mine")
    ({'oxide'}, set())
    """
    return set(_needs(G, facility, substitutes))


@shared_docs
def need_confidence(G: nx.MultiDiGraph, facility: str) -> dict[str, str]:
    """Return the needed inputs of ``facility``, each with the confidence of its need.

    The needs are those of :func:`needed_inputs`, each at the strongest confidence of the
    bill-of-materials lines asking for it (:func:`facility_needs`): a confidence floor above
    a line drops the line and with it the need.

    Parameters
    ----------
    %(G)s
    facility : str
        The facility id, as for :func:`needed_inputs`.

    Returns
    -------
    dict of str to str
        Needed input product id to a confidence level (``documented``, ``reported``,
        ``estimated`` or ``illustrative``).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> need_confidence(load_dataset(MINI), "jp-mag")
    {'oxide': 'illustrative'}
    """
    return _needs(G, facility, False)


@shared_docs
def facilities_making(G: nx.MultiDiGraph, product: str) -> list[str]:
    """Return the non-market facilities that list ``product`` among their products.

    :func:`makers_of` asked about one product (the rule of who makes what is written there).

    Parameters
    ----------
    %(G)s
    product : str
        The product looked for in each facility's list of products.

    Returns
    -------
    list of str
        The ids of the facilities making it, markets excluded, at any date (slice the graph
        with :func:`oretrace.graphmodel.at` first for the ones active at a date).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> facilities_making(load_dataset(MINI), "oxide")
    ['cn-sep', 'us-sep']
    """
    return makers_of(G, [product])[product]


@shared_docs
def makers_of(G: nx.MultiDiGraph, products: Iterable[str]) -> dict[str, list[str]]:
    """Return :func:`facilities_making` of each of ``products``, in one pass over the nodes.

    Parameters
    ----------
    %(G)s
    products : iterable of str
        The product ids.

    Returns
    -------
    dict of str to list of str
        Each product id to the ids of the non-market facilities listing it, in node order.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> makers_of(load_dataset(MINI), ["oxide", "nothing"])
    {'oxide': ['cn-sep', 'us-sep'], 'nothing': []}
    """
    found: dict[str, list[str]] = {p: [] for p in products}
    for n, d in G.nodes(data=True):
        if d.get("kind") == NodeKind.FACILITY and d.get("stage") != Stage.MARKET:
            for p in dict.fromkeys(d.get("products", ())):
                if p in found:
                    found[p].append(n)
    return found


@shared_docs
def supply_edges(
    G: nx.MultiDiGraph, buyer: str, *, needed_only: bool = True
) -> list[tuple[str, str, dict[str, Any]]]:
    """Return ``(supplier, product, attrs)`` for the supplies into ``buyer``.

    With ``needed_only`` (the default) only edges carrying a needed input are returned.

    Parameters
    ----------
    %(G)s
    buyer : str
        The buying facility's id.
    needed_only : bool
        Keep only edges carrying an input the buyer needs (default ``True``).

    Returns
    -------
    list of tuple of (str, str, dict)
        The supplier id, the product id and the edge's attributes (the graph's own dict: do
        not change it), one per supplies edge.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> [(supplier, product) for supplier, product, _ in supply_edges(G, "jp-mag")]
    [('cn-sep', 'oxide'), ('us-sep', 'oxide')]
    """
    needs: Mapping[str, Any] | set[str] = needed_inputs(G, buyer) if needed_only else set()
    out = []
    for supplier, _, data in G.in_edges(buyer, data=True):
        if data.get("kind") != EdgeKind.SUPPLIES:
            continue
        if needed_only and data["product"] not in needs:
            continue
        out.append((supplier, data["product"], data))
    return out
