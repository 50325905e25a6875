"""The supply network as arrays, compiled once per graph and date, queried level by level.

The networkx graph stays the object users hold. For large graphs the queries compile, once
per graph and ``as_of``, an array form of its *needed-supply network* and run on it:

- ``facilities`` are the facilities active at the date (``oretrace.graphmodel.is_active``, in
  the graph's node order, as :func:`oretrace.queries.feasibility.supply_network` lists them);
  each has its **needs** and each need its options
  (:func:`oretrace.queries.feasibility.need_options`: ``needed_inputs``, with
  ``substitutions`` their substitutes too) and each need its **links** (live supply edges
  carrying an option);
- the facility graph (supplier → buyer over links) is condensed into strongly connected
  components (recycling loops) and ordered by **level** (longest path from the sources), so
  every link goes from a lower level to a higher one, or stays inside one component;
- facilities, needs and links are stored level by level in CSR order, so a query is one
  vectorised pass per level (:mod:`oretrace.queries._compiled_levels`). Levels holding
  loops iterate the pass to their fixed point.

The queries on the compiled form sit beside their plain twins, each equal to it:
feasibility (:mod:`oretrace.queries._compiled_feasibility`), reach
(:mod:`oretrace.queries._compiled_reach`), origin shares by mass
(:mod:`oretrace.queries._compiled_shares`) and single points of failure
(:mod:`oretrace.queries._compiled_critical`). ``backend="auto"`` uses them from
:data:`oretrace.queries._dispatch.COMPILED_MIN_EDGES` graph edges.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> cg = compile_graph(load_dataset(MINI), as_of="2027-06-01")
>>> cg.facilities[:3], cg.n_levels
(('cn-mine', 'us-mine', 'cn-sep'), 5)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import eq
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from oretrace.graphmodel import (
    bill_of_materials,
    is_active,
    parse_date,
    platforms,
    window_of,
)
from oretrace.graphmodel.graph import makers_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage
from oretrace.queries._compiled_levels import (
    Bool,
    Float,
    Int,
    Level,
    index_dtype,
    longest_path_levels,
    make_part,
    pair_keys,
)
from oretrace.queries._dispatch import graph_cache
from oretrace.queries._feasibility_network import need_options
from scipy.sparse.csgraph import connected_components

__all__ = ["CACHE_KEY", "CompiledGraph", "compile_graph"]

#: The key of the compiled forms in the graph's cache (``__networkx_cache__``).
CACHE_KEY = "oretrace.compiled"


@dataclass(eq=False)
class CompiledGraph:
    """The needed-supply network of one graph at one date, as level-ordered arrays.

    Positions ``0..n-1`` order the facilities by level; ``order[k]`` is the facility index
    (into ``facilities``) at position ``k``. Needs are grouped by position (``fac_need_ptr``)
    and links by need (``need_link_ptr``); ``link_rank`` is 0 for a link carrying the needed
    product itself and ``k`` for one carrying its ``k``-th substitute. ``memo`` holds what
    the queries derive from it once (matrices, roll-ups). Build it with
    :func:`compile_graph`.
    """

    as_of: dt.date
    substitutions: bool
    facilities: tuple[str, ...]
    index: dict[str, int]
    products: tuple[str, ...]
    order: Int
    position: Int
    level_of: Int
    cyclic: Bool
    levels: tuple[Level, ...]
    fac_need_ptr: Int
    need_facility: Int
    need_product: Int
    need_link_ptr: Int
    link_need: Int
    link_supplier: Int
    link_sup_pos: Int
    link_product: Int
    link_share: Float
    link_rank: Int
    link_direct: Bool
    market: Bool
    assemblies: dict[str, tuple[int, ...]]
    attrs: dict[str, list[Any]]
    content: dict[str, dict[str, float]]
    fac_products: list[tuple[int, ...]]
    bom: dict[int, dict[int, float]]
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def n_levels(self) -> int:
        """Number of levels (topological layers of the condensed facility graph)."""
        return len(self.levels)

    @property
    def n_links(self) -> int:
        """Number of live supply links carrying a needed input."""
        return len(self.link_need)

    def facility_index(self, ids: Iterable[str]) -> Int:
        """Indices of facility ids; ids not active at the date are left out."""
        return np.array([self.index[f] for f in ids if f in self.index], dtype=np.int64)

    def link_mask(self, denied: Iterable[tuple[str, str, str]]) -> Bool:
        """Live links, less those named ``(supplier, buyer, product carried)`` in ``denied``."""
        alive = np.ones(self.n_links, dtype=bool)
        code = {p: i for i, p in enumerate(self.products)}
        wanted = {(self.index[u], self.index[v], code[p]) for u, v, p in denied
                  if u in self.index and v in self.index and p in code}
        if not wanted:
            return alive
        n = len(self.facilities)
        buyer = self.need_facility[self.link_need]
        pairs = np.array(sorted({(u, v) for u, v, _ in wanted}), dtype=np.int64)
        candidates = np.flatnonzero(np.isin(pair_keys(self.link_supplier, buyer, n),
                                            pair_keys(pairs[:, 0], pairs[:, 1], n)))
        for li in candidates.tolist():
            if (int(self.link_supplier[li]), int(buyer[li]),
                    int(self.link_product[li])) in wanted:
                alive[li] = False
        return alive


def compile_graph(
    G: nx.MultiDiGraph,
    *,
    as_of: str | dt.date | None = None,
    substitutions: bool = False,
) -> CompiledGraph:
    """Return the array form of ``G``'s needed-supply network as of a date (cached).

    The result is cached on the graph, in ``G.__networkx_cache__`` under :data:`CACHE_KEY`,
    per date and ``substitutions`` (one at a time: bounded memory). networkx empties that
    cache when a node or an edge is added or removed; a graph whose attributes are changed
    in place must not be queried through the cache (compile a copy).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> len(cg.facilities), cg.n_links
    (6, 4)
    """
    day = parse_date(as_of)
    key = (day, bool(substitutions))
    per_graph = graph_cache(G, CACHE_KEY)
    if key not in per_graph:
        per_graph.clear()  # one date at a time per graph: bounded memory
        per_graph[key] = _compile(G, day, bool(substitutions))
    compiled: CompiledGraph = per_graph[key]
    return compiled


#: One recipe, shared by the facilities with the same products and stage: its needs, each
#: ``(needed product code, (option codes...))``.
_Recipe = list[tuple[int, tuple[int, ...]]]


@dataclass
class _Facts:
    """What the compile step reads of the graph's nodes, before any link."""

    facilities: list[str]
    products: list[str]
    index: dict[str, int]
    pcode: dict[str, int]
    bom: dict[int, dict[int, float]]
    market: Bool
    fac_products: list[tuple[int, ...]]
    attrs: dict[str, list[Any]]
    recipes: list[_Recipe]
    recipe_of: Int


def _facts(G: nx.MultiDiGraph, day: dt.date, substitutions: bool) -> _Facts:
    """The active facilities, the products, the bill of materials and each facility's needs
    (the graphmodel rules, read once per distinct recipe)."""
    facilities: list[str] = []
    dicts: list[dict[str, Any]] = []
    products: list[str] = []
    for n, d in G.nodes(data=True):
        kind = d.get("kind")
        if kind == NodeKind.FACILITY and is_active(d, day):
            facilities.append(n)
            dicts.append(d)
        elif kind == NodeKind.PRODUCT:
            products.append(n)
    pcode = {p: i for i, p in enumerate(products)}
    bom: dict[int, dict[int, float]] = {}
    for p in products:
        line = {pcode[i]: qty for i, qty in bill_of_materials(G, p).items() if i in pcode}
        if line:
            bom[pcode[p]] = line
    attrs: dict[str, list[Any]] = {name: [d.get(name) for d in dicts]
                                   for name in ("stage", "country", "company")}
    is_market = [stage == Stage.MARKET for stage in attrs["stage"]]
    # (products listed, market) -> (recipe id, product codes listed)
    seen: dict[tuple[tuple[str, ...], bool], tuple[int, tuple[int, ...]]] = {}
    recipes: list[_Recipe] = []
    recipe_of = np.zeros(len(facilities), dtype=np.int64)
    fac_products: list[tuple[int, ...]] = []
    for i, (f, d, market) in enumerate(zip(facilities, dicts, is_market, strict=True)):
        key = (tuple(d.get("products", ())), market)
        known = seen.get(key)
        if known is None:
            # a need for a product that is not a product node still has to be met: code -1,
            # no link carries it
            recipes.append([(pcode.get(p, -1), tuple(pcode[o] for o in opts if o in pcode))
                            for p, opts in need_options(G, f, substitutions).items()])
            known = seen[key] = (len(recipes) - 1,
                                 tuple(pcode[p] for p in key[0] if p in pcode))
        recipe_of[i] = known[0]
        fac_products.append(known[1])
    return _Facts(facilities=facilities, products=products,
                  index={f: i for i, f in enumerate(facilities)}, pcode=pcode, bom=bom,
                  market=np.array(is_market, dtype=bool),
                  fac_products=fac_products, attrs=attrs, recipes=recipes,
                  recipe_of=recipe_of)


def _ranges(starts: Int, counts: Int) -> Int:
    """``starts[0]..starts[0]+counts[0]-1``, then the same for each next pair, end to end."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(np.asarray(starts, dtype=np.int64) - (np.cumsum(counts) - counts),
                     counts) + np.arange(total, dtype=np.int64)


@dataclass
class _Options:
    """Each recipe's need rows, and the *slots* of the products its links may carry.

    A slot is one (recipe, carried product): the need rows (offsets in the recipe) that
    product meets and its rank among each one's options. ``table[r]`` maps a product id to
    its slot in recipe ``r``; the arrays are flat over the recipes (``row_ptr``: each
    recipe's rows in ``need_code``; ``slot_ptr``: each slot's entries).
    """

    table: list[dict[str, int]]
    row_ptr: Int
    need_code: Int
    slot_ptr: Int
    slot_product: Int
    entry_row: Int
    entry_rank: Int


def _options(facts: _Facts) -> _Options:
    table: list[dict[str, int]] = []
    row_ptr, slot_ptr = [0], [0]
    need_code: list[int] = []
    slot_product: list[int] = []
    entry_row: list[int] = []
    entry_rank: list[int] = []
    for recipe in facts.recipes:
        # carried product -> [(need row in the recipe, rank among its options)]
        met: dict[int, list[tuple[int, int]]] = {}
        for r, (needed, options) in enumerate(recipe):
            need_code.append(needed)
            for rank, o in enumerate(options):
                met.setdefault(o, []).append((r, rank))
        row_ptr.append(len(need_code))
        slots: dict[str, int] = {}
        for o, entries in met.items():
            slots[facts.products[o]] = len(slot_product)
            slot_product.append(o)
            entry_row.extend(r for r, _ in entries)
            entry_rank.extend(rank for _, rank in entries)
            slot_ptr.append(len(entry_row))
        table.append(slots)

    def ints(xs: list[int]) -> Int:
        return np.array(xs, dtype=np.int64)

    return _Options(table=table, row_ptr=ints(row_ptr), need_code=ints(need_code),
                    slot_ptr=ints(slot_ptr), slot_product=ints(slot_product),
                    entry_row=ints(entry_row), entry_rank=ints(entry_rank))


def _candidates(G: nx.MultiDiGraph, facts: _Facts, opts: _Options
                ) -> tuple[list[dict[str, Any]], Int, Int, Int]:
    """Every edge from an active facility into one with needs whose product fills one of
    them: its attributes, buyer, supplier and slot. Walked in bulk (C-level ``map`` over
    the graph's own dicts), buyer by buyer; edges between one pair stay in key order."""
    index, recipe_of = facts.index, facts.recipe_of
    buyers: list[int] = []
    tables: list[dict[str, int]] = []
    groups: list[Any] = []  # per buyer, its predecessors {supplier: {key: attrs}}
    pred = G._pred
    if type(pred) is not dict:  # a view's filtered mappings (whose len() may count more)
        pred = {v: {u: dict(keyed) for u, keyed in preds.items()} for v, preds in pred.items()}
    for v, preds in pred.items():
        vi = index.get(v)
        if vi is not None and opts.table[recipe_of[vi]]:
            buyers.append(vi)
            tables.append(opts.table[recipe_of[vi]])
            groups.append(preds)
    n_pairs = np.fromiter(map(len, groups), np.int64, len(groups))
    sup_pair = np.fromiter(map(index.get, chain.from_iterable(groups), repeat(-1)), np.int64,
                           int(n_pairs.sum()))
    keyed = list(chain.from_iterable(map(dict.values, groups)))  # per pair {key: attrs}
    per_pair = np.fromiter(map(len, keyed), np.int64, len(keyed))
    attrs: list[dict[str, Any]] = list(chain.from_iterable(map(dict.values, keyed)))
    ends = np.concatenate([[0], np.cumsum(per_pair)])[np.cumsum(n_pairs)]
    per_buyer = np.diff(np.concatenate([[0], ends])).tolist()
    slot = np.fromiter(map(dict.get, chain.from_iterable(map(repeat, tables, per_buyer)),
                           map(dict.get, attrs, repeat("product")), repeat(-1)),
                       np.int64, len(attrs))
    sup = np.repeat(sup_pair, per_pair)
    keep = (slot >= 0) & (sup >= 0)
    return (list(compress(attrs, keep.tolist())), np.repeat(np.array(buyers, np.int64),
            per_buyer)[keep], sup[keep], slot[keep])


@dataclass
class _Links:
    """Need rows ``(facility, needed product)`` by facility, and the links meeting them."""

    need_facility: Int
    need_product: Int
    need: Int
    supplier: Int
    product: Int
    share: Float
    rank: Int


def _links(G: nx.MultiDiGraph, day: dt.date, facts: _Facts) -> _Links:
    """Every live supplies edge into an active facility carrying one of its options."""
    opts = _options(facts)
    rows = opts.row_ptr[facts.recipe_of + 1] - opts.row_ptr[facts.recipe_of]
    row_base = np.cumsum(rows) - rows
    need_facility = np.repeat(np.arange(len(facts.facilities), dtype=np.int64), rows)
    need_product = opts.need_code[_ranges(opts.row_ptr[facts.recipe_of], rows)]

    attrs, buyer, sup, slot = _candidates(G, facts, opts)
    supplies = np.fromiter(map(eq, map(dict.get, attrs, repeat("kind")),
                               repeat(EdgeKind.SUPPLIES)), bool, len(attrs))
    window = window_of(EdgeKind.SUPPLIES)
    live = supplies & np.fromiter(map(window.fields.isdisjoint, attrs), bool, len(attrs))
    dated = np.flatnonzero(supplies & ~live)
    live[dated] = window.holds_each([attrs[e] for e in dated.tolist()], day)
    share = np.fromiter(map(float, map(dict.get, compress(attrs, live.tolist()),
                                       repeat("share"), repeat(0.0))),
                        float, int(live.sum()))
    buyer, sup, slot = buyer[live], sup[live], slot[live]
    counts = opts.slot_ptr[slot + 1] - opts.slot_ptr[slot]
    entries = _ranges(opts.slot_ptr[slot], counts)
    return _Links(need_facility=need_facility, need_product=need_product,
                  need=np.repeat(row_base[buyer], counts) + opts.entry_row[entries],
                  supplier=np.repeat(sup, counts),
                  product=np.repeat(opts.slot_product[slot], counts),
                  share=np.repeat(share, counts), rank=opts.entry_rank[entries])


def _components(n: int, link_sup: Int, buyers: Int) -> tuple[Int, Bool]:
    """Level (longest path over the condensed loops) and on-a-loop flag of each facility."""
    adj = sp.csr_matrix((np.ones(len(link_sup)), (link_sup, buyers)), shape=(n, n))
    n_comp, comp = connected_components(adj, directed=True, connection="strong")
    comp_size = np.bincount(comp, minlength=n_comp)
    self_loop = np.zeros(n_comp, dtype=bool)
    self_loop[comp[link_sup[link_sup == buyers]]] = True
    cyclic_comp = (comp_size > 1) | self_loop
    level_comp = longest_path_levels(n_comp, comp[link_sup], comp[buyers])
    return level_comp[comp], cyclic_comp[comp]


def _levels(n: int, level_of: Int, cyclic: Bool, order: Int, fac_need_ptr: Int,
            need_link_ptr: Int, sup_pos: Int) -> list[Level]:
    """The parts of each level: facilities on no loop, then those on loops."""
    levels: list[Level] = []
    n_levels = int(level_of.max()) + 1 if n else 0
    by_pos = level_of[order] * 2 + cyclic[order]
    ptr = np.searchsorted(by_pos, np.arange(2 * n_levels + 1))
    for L in range(n_levels):
        fa, fc, fb = int(ptr[2 * L]), int(ptr[2 * L + 1]), int(ptr[2 * L + 2])
        flat = make_part(fa, fc, fac_need_ptr, need_link_ptr, sup_pos)
        loop = make_part(fc, fb, fac_need_ptr, need_link_ptr, sup_pos) if fb > fc else None
        levels.append(Level(flat=flat, loop=loop))
    return levels


def _compile(G: nx.MultiDiGraph, day: dt.date, substitutions: bool) -> CompiledGraph:
    facts = _facts(G, day, substitutions)
    raw = _links(G, day, facts)
    n = len(facts.facilities)
    link_need, link_sup = raw.need, raw.supplier
    need_fac, need_prod = raw.need_facility, raw.need_product

    # levels: condense loops, then longest path from the sources
    buyers = need_fac[link_need] if len(link_need) else np.zeros(0, dtype=np.int64)
    level_of, cyclic = _components(n, link_sup, buyers)
    order = np.lexsort((np.arange(n), cyclic, level_of)).astype(np.int64)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    # needs by position, then product; links by need
    need_pos = position[need_fac]
    need_order = np.lexsort((need_prod, need_pos)) if len(need_fac) else np.zeros(0, np.int64)
    new_need = np.empty(len(need_order), dtype=np.int64)
    new_need[need_order] = np.arange(len(need_order))
    need_fac, need_prod = need_fac[need_order], need_prod[need_order]
    link_need = new_need[link_need] if len(link_need) else link_need
    # by need, then supplier; edges of one pair in key order (a stable sort)
    link_order = np.argsort(pair_keys(link_need, link_sup, n), kind="stable")
    link_need, link_sup = link_need[link_order], link_sup[link_order]
    link_prod = raw.product[link_order]
    link_direct = link_prod == need_prod[link_need] if len(link_need) else \
        np.zeros(0, dtype=bool)

    fac_need_ptr = np.searchsorted(position[need_fac], np.arange(n + 1)).astype(np.int64)
    need_link_ptr = np.searchsorted(link_need, np.arange(len(need_fac) + 1)).astype(np.int64)
    sup_pos = position[link_sup].astype(index_dtype(max(n, len(link_sup))))
    levels = _levels(n, level_of, cyclic, order, fac_need_ptr, need_link_ptr, sup_pos)

    index = facts.index
    assemblies = {p: tuple(index[f] for f in plants if f in index)
                  for p, plants in makers_of(G, platforms(G)).items()}
    node_attrs = G.nodes
    content = {p: dict(node_attrs[p].get("elements") or {})
               if node_attrs[p].get("unit") == "kg" else {} for p in facts.products}
    return CompiledGraph(
        as_of=day, substitutions=substitutions, facilities=tuple(facts.facilities),
        index=index, products=tuple(facts.products), order=order, position=position,
        level_of=level_of, cyclic=cyclic, levels=tuple(levels), fac_need_ptr=fac_need_ptr,
        need_facility=need_fac, need_product=need_prod, need_link_ptr=need_link_ptr,
        link_need=link_need, link_supplier=link_sup, link_sup_pos=sup_pos,
        link_product=link_prod, link_share=raw.share[link_order],
        link_rank=raw.rank[link_order], link_direct=link_direct,
        market=facts.market, assemblies=assemblies, attrs=facts.attrs, content=content,
        fac_products=facts.fac_products, bom=facts.bom)
