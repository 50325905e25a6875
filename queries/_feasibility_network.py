"""The supply network of one date, as :mod:`oretrace.queries.feasibility` reads it.

A facility's needs with their options (:func:`need_options`: the input itself, then its
substitutes), the facility graph of a date compiled for repeated runs
(:func:`supply_network`, cached on the graph), the AND/OR least fixed point
(:func:`supplied_mask`), the groups of each level (:func:`group_keys`) and the failure specs
(:func:`resolve_failures`). The public names are importable from
:mod:`oretrace.queries.feasibility`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    QueryError,
    UnknownNodeError,
    is_active,
    needed_inputs,
    nodes_of,
    parse_date,
    platforms,
    restrict,
)
from oretrace.graphmodel.graph import makers_of
from oretrace.graphmodel.timeslice import LINK_WINDOW
from oretrace.graphmodel.vocab import COUNTRIES, EdgeKind, NodeKind, Stage
from oretrace.queries._dispatch import graph_cache, kept_on
from oretrace.queries._vocab import LEVELS
from oretrace.queries.predicates import located_in

__all__ = [
    "Link",
    "Need",
    "SupplyNetwork",
    "check_level",
    "group_keys",
    "group_of",
    "need_options",
    "resolve_failures",
    "supplied_mask",
    "supply_network",
]

#: A supply link, as ``(supplier, buyer, product)``.
Link = tuple[str, str, str]

#: The key of the supply networks in the graph's cache (``__networkx_cache__``).
CACHE_KEY = "oretrace.supply_network"

@dataclass(frozen=True)
class Need:
    """One input a facility needs, with every live link that can meet it.

    ``product`` is the bill-of-materials input; ``suppliers`` holds ``(supplier index,
    product carried)`` for each live supply link carrying that product or, when
    substitutions are allowed, one of its substitutes.
    """

    product: str
    suppliers: tuple[tuple[int, str], ...]
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupplyNetwork:
    """The facility graph of one date, compiled for repeated feasibility runs.

    ``facilities`` are the facilities active at ``as_of``; ``needs[i]`` are the inputs
    facility ``i`` needs; ``out_links[u]`` lists ``(buyer index, need position)`` for every
    need that a link from ``u`` can meet; ``assemblies`` maps each platform of the graph to
    the indices of the active facilities making it. Links in ``denied`` are left out.
    """

    as_of: dt.date
    facilities: tuple[str, ...]
    index: Mapping[str, int]
    needs: tuple[tuple[Need, ...], ...]
    out_links: tuple[tuple[tuple[int, int], ...], ...]
    assemblies: Mapping[str, tuple[int, ...]]
    substitutions: bool
    denied: frozenset[Link]
    view: nx.MultiDiGraph

    def __len__(self) -> int:
        return len(self.facilities)


def need_options(G: nx.MultiDiGraph, facility: str, substitutions: bool) -> dict[str, list[str]]:
    """Return ``{needed input: [input, substitutes...]}`` for ``facility``.

    The needs are :func:`oretrace.graphmodel.needed_inputs`, sorted; with ``substitutions``
    each also accepts the inputs of the substitute lines (``substitute_for`` it) of the
    products the facility makes, in bill-of-materials order, less what it makes itself. A
    market passes its products through: no substitute applies. Every engine reads a
    facility's needs from here (the compiled form once per distinct recipe).
    """
    needs = {p: [p] for p in sorted(needed_inputs(G, facility))}
    attrs = G.nodes[facility]
    if not substitutions or attrs.get("stage") == Stage.MARKET:
        return needs
    made = set(attrs.get("products", ()))
    for product in attrs.get("products", ()):
        if product not in G:
            continue
        for _, inp, d in G.out_edges(product, data=True):
            target = d.get("substitute_for")
            if d.get("kind") == EdgeKind.REQUIRES and target in needs and inp not in made \
                    and inp not in needs[target]:
                needs[target].append(inp)
    return needs


def supply_network(
    G: nx.MultiDiGraph,
    *,
    as_of: str | dt.date | None = None,
    substitutions: bool = False,
    denied: Iterable[Link] = (),
) -> SupplyNetwork:
    """Compile the facility graph of ``G`` as of a date (links in ``denied`` removed).

    Cached on the graph (``G.__networkx_cache__``, which networkx empties when a node or an
    edge is added or removed) per date and options; a graph whose attributes are changed in
    place must not be asked again (ask a copy).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> net = supply_network(load_dataset(), as_of="2026-11-24")
    >>> all(len(net.assemblies[p]) >= 1 for p in ("F-35", "Tomahawk"))
    True
    """
    day = parse_date(as_of)
    denied_set = frozenset(denied)
    # Built once per graph, date and options: a scenario asks for the same network up to
    # five times (feasibility, baseline, shortfall), each a walk of every edge.
    key = (day, bool(substitutions), denied_set)
    per_graph = graph_cache(G, CACHE_KEY)
    if key not in per_graph:
        if len(per_graph) >= 4:  # a few dates and policies per graph: bounded memory
            per_graph.clear()
        per_graph[key] = _supply_network(G, day, substitutions, denied_set)
    network: SupplyNetwork = per_graph[key]
    return network


def _supply_network(G: nx.MultiDiGraph, day: dt.date, substitutions: bool,
                    denied_set: frozenset[Link]) -> SupplyNetwork:
    # One pass over G's own node and adjacency dicts (networkx's _node and _pred, read as
    # its views read them) with the view's own test (is_active) instead of reading through
    # the view at every step; the view is what the network keeps and what the rules read.
    view = restrict(G, as_of=day)
    nodes, pred = G._node, G._pred
    facilities = tuple(n for n, d in nodes.items()
                       if d.get("kind") == NodeKind.FACILITY and is_active(d, day))
    index = {f: i for i, f in enumerate(facilities)}
    # a supply link's date rule (is_active's for its kind), its undated links passed first
    undated, holds = LINK_WINDOW.fields.isdisjoint, LINK_WINDOW.holds
    supplies = EdgeKind.SUPPLIES
    needs: list[tuple[Need, ...]] = []
    out: list[dict[tuple[int, int], None]] = [{} for _ in facilities]  # ordered sets
    # a facility's alternatives depend only on what it makes and whether it is a market
    recipes: dict[tuple[tuple[str, ...], bool], dict[str, list[str]]] = {}
    for i, f in enumerate(facilities):
        attrs = nodes[f]
        key = (tuple(attrs.get("products", ())), attrs.get("stage") == Stage.MARKET)
        if key not in recipes:
            recipes[key] = need_options(view, f, substitutions)
        alts = recipes[key]
        carried: dict[str, list[tuple[int, str]]] = {}
        for u, keyed in pred[f].items():
            if u not in index:
                continue
            for d in keyed.values():
                if d.get("kind") != supplies or not (undated(d) or holds(d, day)) \
                        or denied_set and (u, f, d["product"]) in denied_set:
                    continue
                carried.setdefault(d["product"], []).append((index[u], d["product"]))
        row: list[Need] = []
        for j, (product, options) in enumerate(alts.items()):
            sups = tuple(s for option in options for s in sorted(carried.get(option, [])))
            row.append(Need(product=product, suppliers=sups, alternatives=tuple(options[1:])))
            for u_idx, _ in sups:
                out[u_idx][(i, j)] = None
        needs.append(tuple(row))
    # no date applies to a product: the graph's platforms are the view's, read without it
    assemblies = {p: tuple(index[f] for f in makers if f in index)
                  for p, makers in makers_of(G, platforms(G)).items()}
    return SupplyNetwork(as_of=day, facilities=facilities, index=index, needs=tuple(needs),
                         out_links=tuple(tuple(o) for o in out), assemblies=assemblies,
                         substitutions=substitutions, denied=denied_set, view=view)


def supplied_mask(net: SupplyNetwork, failed: Iterable[int] = ()) -> list[bool]:
    """Return, per facility index, whether it is supplied when ``failed`` facilities fail.

    The least fixed point from the facilities that need nothing, with one counter of unmet
    needs per facility: linear in the number of links.
    """
    n = len(net.facilities)
    down = [False] * n
    for i in failed:
        down[i] = True
    remaining = [len(needs) for needs in net.needs]
    met = [[False] * len(needs) for needs in net.needs]
    supplied = [False] * n
    stack = [i for i in range(n) if remaining[i] == 0 and not down[i]]
    for i in stack:
        supplied[i] = True
    while stack:
        u = stack.pop()
        for i, j in net.out_links[u]:
            if down[i] or met[i][j]:
                continue
            met[i][j] = True
            remaining[i] -= 1
            if remaining[i] == 0:
                supplied[i] = True
                stack.append(i)
    return supplied


def group_keys(net: SupplyNetwork, level: str) -> list[str | None]:
    """Return, per facility index, the key of its group at ``level`` (``None``: no group).

    ``facility``: its id; ``company``: its operating company; ``country``: its country code.
    A facility without an operator (or without a country) is a group of its own, keyed
    ``facility:<id>``. A market belongs to no group at any level (see the module docstring):
    its key is ``None``.
    """
    check_level(level)
    return [group_of(f, net.view.nodes[f], level) for f in net.facilities]


def check_level(level: str) -> None:
    """Refuse a level that is not one of :data:`oretrace.queries.feasibility.LEVELS`."""
    if level not in LEVELS:
        raise QueryError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")


def group_of(facility: str, attrs: Mapping[str, Any], level: str) -> str | None:
    """The key of the group of ``facility`` (with these attributes) at ``level``: the rule
    of :func:`group_keys`, which every backend reads."""
    if attrs.get("stage") == Stage.MARKET:
        return None
    if level == "facility":
        return facility
    return attrs.get(level) or f"facility:{facility}"


# --------------------------------------------------------------------------- failures


#: The key of :func:`resolve_failures`' answers in the graph's cache.
FAILURES_KEY = "oretrace.failures"


def resolve_failures(G: nx.MultiDiGraph, fail: Iterable[str]) -> dict[str, list[str]]:
    """Return ``{spec: [facility ids]}`` for failure specs ``ID``, ``facility:ID``,
    ``company:ID`` or ``country:CC``.

    A bare ``ID`` may name a facility or a company. Markets belong to no company or country:
    only ``ID`` or ``facility:ID`` fails one. Unknown ids raise
    :class:`oretrace.graphmodel.UnknownNodeError` (with close matches); an unknown country code or
    prefix raises :class:`oretrace.graphmodel.QueryError`.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> "cn-separation-pool" in resolve_failures(load_dataset(), ["country:CN"])["country:CN"]
    True
    """
    # Read at no date, so kept on the graph per spec (networkx empties the cache when a node
    # or edge is added or removed); a view is read again, as its graph may change under it.
    kept = kept_on(G, FAILURES_KEY)
    specs = list(fail)
    out: dict[str, list[str]] = {}
    todo = []
    for spec in specs:
        if spec in kept:
            out[spec] = list(kept[spec])
        else:
            todo.append(spec)
    if todo:
        for spec, ids in _resolve(G, todo).items():
            kept[spec] = tuple(ids)
            out[spec] = ids
    return {spec: out[spec] for spec in specs}


def _resolve(G: nx.MultiDiGraph, fail: Iterable[str]) -> dict[str, list[str]]:
    """:func:`resolve_failures` read from the graph."""
    facilities = nodes_of(G, NodeKind.FACILITY)
    out: dict[str, list[str]] = {}
    for spec in fail:
        prefix, sep, value = spec.partition(":")
        if not sep:
            prefix, value = "", spec
        prefix = prefix.strip().lower()
        value = value.strip()
        if prefix == "" and G.nodes.get(value, {}).get("kind") == NodeKind.COMPANY:
            prefix = "company"
        if prefix in ("", "facility"):
            kind = G.nodes.get(value, {}).get("kind")
            if kind != NodeKind.FACILITY:
                known = facilities + (nodes_of(G, NodeKind.COMPANY) if not prefix else [])
                what = "facility" if prefix else "facility or company"
                raise UnknownNodeError(value, known, what)
            out[spec] = [value]
        elif prefix == "company":
            if G.nodes.get(value, {}).get("kind") != NodeKind.COMPANY:
                raise UnknownNodeError(value, nodes_of(G, NodeKind.COMPANY), "company")
            out[spec] = [f for f in facilities if G.nodes[f].get("company") == value
                         and G.nodes[f].get("stage") != Stage.MARKET]
        elif prefix == "country":
            code = value.upper()
            if code not in COUNTRIES:
                raise QueryError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
            located = located_in(code).select(G)
            out[spec] = [f for f in facilities
                         if f in located and G.nodes[f].get("stage") != Stage.MARKET]
        else:
            raise QueryError(f"cannot read failure {spec!r}: use ID, facility:ID, company:ID "
                             "or country:CC")
    return out
