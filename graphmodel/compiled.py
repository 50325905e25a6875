"""The supply network as arrays, compiled once per graph and date, queried level by level.

The networkx graph stays the object users hold. For large graphs the queries compile, once
per graph and ``as_of``, an array form of its *needed-supply network* and run on it:

- ``facilities`` are the facilities active at the date (in the graph's node order, as
  :func:`oretrace.queries.feasibility.supply_network` lists them); each has its **needs** (the
  inputs
  it must receive, ``oretrace.graphmodel.needed_inputs``, sorted; with ``substitutions`` each need
  also accepts its substitutes) and each need its **links** (live supply edges carrying it);
- the facility graph (supplier → buyer over links) is condensed into strongly connected
  components (recycling loops) and ordered by **level** (longest path from the sources), so
  every link goes from a lower level to a higher one, or stays inside one component;
- facilities, needs and links are stored level by level in CSR order, so a query is one
  vectorised pass per level — a sparse matrix-vector product over that level's links and a
  few array operations. Levels holding loops iterate the pass to its fixed point.

Queries on the compiled form, each equal to the plain (networkx) implementation:

- :func:`supplied_mask` — AND/OR feasibility (least fixed point) under failures and denied
  links (``../shared/DESIGN.md`` §3), as :func:`oretrace.queries.feasibility.supplied_mask`;
- :func:`mass_shares` — the origin share of an element by mass with its low/high bounds,
  as ``oretrace.queries.content``'s mass shares (normalised over traced suppliers; loops solved);
- :func:`where_used_mask` and :func:`upstream_mask` — the facilities downstream of seeds,
  or upstream of targets, over needed links (descendants and ancestors in
  :func:`oretrace.queries.exposure.supply_graph`);
- :func:`substitutes_used` and :func:`need_gaps` — the substitutions a feasibility answer
  relies on and the data gaps at the date, worded as :func:`oretrace.queries.feasibility.simulate`;
- :func:`critical_sets` and :func:`single_points` — single points of failure by the §3
  recursion ``crit(v) = {g(v)} ∪ ⋃_inputs ⋂_suppliers crit(u)`` at the greatest fixed
  point on loops (exact, as :func:`oretrace.queries.chokepoints.critical_masks`), with sets held as
  machine words when there are few groups (countries) and as sparse sets otherwise, most
  intersections settled by array tests before any set is touched.

:data:`COMPILED_MIN_EDGES` is the graph size from which the queries switch to this form.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset(MINI)
>>> cg = compile_graph(G, as_of="2027-06-01")
>>> cg.facilities[:3], cg.n_levels
(('cn-mine', 'us-mine', 'cn-sep'), 5)
>>> ok = supplied_mask(cg, failed=["cn-sep"])
>>> platform_supplied(cg, ok)
{'missile': True}
>>> single_points(cg, supplied_mask(cg))["missile"]
['jp-mag', 'us-asm', 'us-comp']
"""

from __future__ import annotations

import datetime as dt
import warnings
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from oretrace.graphmodel.errors import QueryError, UnknownNodeError
from oretrace.graphmodel.timeslice import parse_date
from oretrace.graphmodel.vocab import Category, EdgeKind, FacilityStatus, NodeKind, Stage
from scipy.sparse.csgraph import breadth_first_order, connected_components

try:  # the C kernel behind ``csr_matrix @ vector``, without the per-call checks
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - older or newer scipy layouts
    _csr_matvec = None

__all__ = [
    "COMPILED_MIN_EDGES",
    "CompiledGraph",
    "compile_graph",
    "critical_sets",
    "group_labels",
    "mass_shares",
    "need_gaps",
    "platform_supplied",
    "single_points",
    "substitutes_used",
    "supplied_mask",
    "upstream_mask",
    "where_used_mask",
]

#: Number of graph edges from which queries use the compiled form.
COMPILED_MIN_EDGES = 50_000

_Int = np.ndarray[Any, np.dtype[Any]]  # integer arrays (int32 or int64)
_Float = np.ndarray[Any, np.dtype[Any]]
_Bool = np.ndarray[Any, np.dtype[np.bool_]]
_EPS = 1e-12
_NOT_YET = {FacilityStatus.PLANNED, FacilityStatus.CONSTRUCTION, FacilityStatus.UNCERTAIN}
#: Groups up to which critical sets are held as machine words rather than Python sets.
_WORD_GROUPS = 512


def _matvec(indptr: _Int, indices: _Int, data: _Float, x: _Float, n_rows: int) -> _Float:
    """``A @ x`` for the CSR rows ``indptr`` (starting at 0)."""
    y = np.zeros(n_rows)
    if n_rows == 0:
        return y
    if _csr_matvec is not None:
        _csr_matvec(n_rows, len(x), indptr, indices, data, x, y)
        return y
    return np.asarray(sp.csr_matrix((data, indices, indptr), shape=(n_rows, len(x))) @ x)


@dataclass(frozen=True)
class _Part:
    """Facilities at positions ``fa:fb``, their needs ``ra:rb`` and links ``la:lb``.

    ``need_ptr`` (links of each need, from 0) and ``sup`` (supplier *positions*) are the
    CSR of the part's need rows; ``with_needs`` are the facilities (from ``fa``) that need
    something and ``need_starts`` their first need (from ``ra``); ``single``: every facility
    of the part has exactly one need; ``all_need``: every facility needs something.
    """

    fa: int
    fb: int
    ra: int
    rb: int
    la: int
    lb: int
    need_ptr: _Int
    sup: _Int
    with_needs: _Int
    need_starts: _Int
    single: bool
    all_need: bool


@dataclass(frozen=True)
class _Level:
    """One level: facilities on no loop (one pass), then those on loops (iterated)."""

    flat: _Part
    loop: _Part | None

    @property
    def fa(self) -> int:
        return self.flat.fa

    @property
    def fb(self) -> int:
        return self.loop.fb if self.loop is not None else self.flat.fb

    @property
    def ra(self) -> int:
        return self.flat.ra

    @property
    def rb(self) -> int:
        return self.loop.rb if self.loop is not None else self.flat.rb

    @property
    def la(self) -> int:
        return self.flat.la

    @property
    def lb(self) -> int:
        return self.loop.lb if self.loop is not None else self.flat.lb

    @property
    def cyclic(self) -> bool:
        return self.loop is not None

    @property
    def parts(self) -> tuple[_Part, ...]:
        return (self.flat,) if self.loop is None else (self.flat, self.loop)


def _part(fa: int, fb: int, fac_need_ptr: _Int, need_link_ptr: _Int, sup_pos: _Int) -> _Part:
    ra, rb = int(fac_need_ptr[fa]), int(fac_need_ptr[fb])
    la, lb = int(need_link_ptr[ra]), int(need_link_ptr[rb])
    counts = np.diff(fac_need_ptr[fa:fb + 1])
    with_needs = np.flatnonzero(counts > 0)
    return _Part(fa=fa, fb=fb, ra=ra, rb=rb, la=la, lb=lb,
                 need_ptr=(need_link_ptr[ra:rb + 1] - la).astype(sup_pos.dtype),
                 sup=sup_pos[la:lb], with_needs=with_needs,
                 need_starts=(fac_need_ptr[fa:fb][with_needs] - ra),
                 single=bool(len(counts) and (counts == 1).all()),
                 all_need=bool(len(counts) and (counts > 0).all()))


@dataclass(eq=False)
class CompiledGraph:
    """The needed-supply network of one graph at one date, as level-ordered arrays.

    Positions ``0..n-1`` order the facilities by level; ``order[k]`` is the facility index
    (into ``facilities``) at position ``k``. Needs are grouped by position (``fac_need_ptr``)
    and links by need (``need_link_ptr``); ``link_rank`` is 0 for a link carrying the needed
    product itself and ``k`` for one carrying its ``k``-th substitute. Build it with
    :func:`compile_graph`.
    """

    as_of: dt.date
    substitutions: bool
    facilities: tuple[str, ...]
    index: dict[str, int]
    products: tuple[str, ...]
    order: _Int
    position: _Int
    level_of: _Int
    cyclic: _Bool
    levels: tuple[_Level, ...]
    fac_need_ptr: _Int
    need_facility: _Int
    need_product: _Int
    need_link_ptr: _Int
    link_need: _Int
    link_supplier: _Int
    link_sup_pos: _Int
    link_product: _Int
    link_share: _Float
    link_rank: _Int
    link_direct: _Bool
    market: _Bool
    assemblies: dict[str, tuple[int, ...]]
    makers: dict[str, tuple[int, ...]]
    attrs: dict[str, list[Any]]
    content: dict[str, dict[str, float]]
    fac_products: list[tuple[int, ...]]
    bom: dict[int, dict[int, float]]
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def n_levels(self) -> int:
        """Number of levels (topological layers of the condensed facility graph)."""
        return len(self.levels)

    @property
    def n_links(self) -> int:
        """Number of live supply links carrying a needed input."""
        return len(self.link_need)

    def facility_index(self, ids: Iterable[str]) -> _Int:
        """Indices of facility ids; ids not active at the date are left out."""
        return np.array([self.index[f] for f in ids if f in self.index], dtype=np.int64)

    def link_mask(self, denied: Iterable[tuple[str, str, str]]) -> _Bool:
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
        candidates = np.flatnonzero(np.isin(_pair_keys(self.link_supplier, buyer, n),
                                            _pair_keys(pairs[:, 0], pairs[:, 1], n)))
        for li in candidates.tolist():
            if (int(self.link_supplier[li]), int(buyer[li]),
                    int(self.link_product[li])) in wanted:
                alive[li] = False
        return alive


# --------------------------------------------------------------------------- compile

_COMPILED: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[Any, CompiledGraph]] = \
    weakref.WeakKeyDictionary()


def _active(attrs: Mapping[str, Any], day: dt.date) -> bool:
    status = attrs.get("status")
    start, end = attrs.get("online_from"), attrs.get("online_until")
    if status == FacilityStatus.CLOSED and end is None:
        return False
    if status in _NOT_YET and start is None:
        return False
    return (start is None or start <= day) and (end is None or day < end)


def compile_graph(
    G: nx.MultiDiGraph,
    *,
    as_of: str | dt.date | None = None,
    substitutions: bool = False,
) -> CompiledGraph:
    """Return the array form of ``G``'s needed-supply network as of a date (cached).

    The result is cached per graph object, date, ``substitutions`` and the graph's node
    and edge counts; a graph changed in place without changing those counts must not be
    queried through the cache (compile a copy).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> len(cg.facilities), cg.n_links
    (6, 4)
    """
    day = parse_date(as_of)
    key = (day, bool(substitutions), G.number_of_nodes(), G.number_of_edges())
    try:
        per_graph = _COMPILED.setdefault(G, {})
    except TypeError:  # not weak-referenceable: no cache
        per_graph = {}
    if key not in per_graph:
        per_graph.clear()  # one date at a time per graph: bounded memory
        per_graph[key] = _compile(G, day, bool(substitutions))
    return per_graph[key]


def _compile(G: nx.MultiDiGraph, day: dt.date, substitutions: bool) -> CompiledGraph:
    node_attrs = G.nodes
    facilities: list[str] = []
    products: list[str] = []
    platforms: list[str] = []
    for n, d in G.nodes(data=True):
        kind = d.get("kind")
        if kind == NodeKind.FACILITY:
            if _active(d, day):
                facilities.append(n)
        elif kind == NodeKind.PRODUCT:
            products.append(n)
            if d.get("category") == Category.PLATFORM:
                platforms.append(n)
    index = {f: i for i, f in enumerate(facilities)}
    pcode = {p: i for i, p in enumerate(products)}
    n = len(facilities)

    # bill of materials: non-substitute lines, and substitutes per replaced input
    bom: dict[int, dict[int, float]] = {}
    alts: dict[int, list[tuple[str, int]]] = {}  # product -> [(replaced input, substitute)]
    for p in products:
        q = pcode[p]
        for _, inp, d in G.out_edges(p, data=True):
            if d.get("kind") != EdgeKind.REQUIRES or inp not in pcode:
                continue
            target = d.get("substitute_for")
            if target is None:
                line = bom.setdefault(q, {})
                line[pcode[inp]] = line.get(pcode[inp], 0.0) + float(d["qty"])
            else:
                alts.setdefault(q, []).append((str(target), pcode[inp]))

    # needs per distinct (products, market) pair
    market = np.zeros(n, dtype=bool)
    fac_products: list[tuple[int, ...]] = []
    attrs: dict[str, list[Any]] = {"stage": [], "country": [], "company": []}
    need_cache: dict[tuple[tuple[str, ...], bool], list[tuple[int, tuple[int, ...]]]] = {}
    fac_needs: list[list[tuple[int, tuple[int, ...]]]] = []
    for i, f in enumerate(facilities):
        d = node_attrs[f]
        listed = tuple(d.get("products", ()))
        is_market = d.get("stage") == Stage.MARKET
        market[i] = is_market
        for name in attrs:
            attrs[name].append(d.get(name))
        fac_products.append(tuple(pcode[p] for p in listed if p in pcode))
        key = (listed, is_market)
        if key not in need_cache:
            need_cache[key] = _needs_of(listed, is_market, pcode, products, bom, alts,
                                        substitutions)
        fac_needs.append(need_cache[key])

    # links: every live supplies edge into an active facility carrying one of its options
    # (facility, carried) -> [(need row, rank of the carried product among its options)]
    option_of: dict[tuple[int, int], list[tuple[int, int]]] = {}
    need_rows: list[tuple[int, int]] = []  # (facility, needed product), by facility
    for i, needs in enumerate(fac_needs):
        for needed, options in needs:
            r = len(need_rows)
            need_rows.append((i, needed))
            for rank, o in enumerate(options):
                option_of.setdefault((i, o), []).append((r, rank))
    l_need: list[int] = []
    l_sup: list[int] = []
    l_prod: list[int] = []
    l_share: list[float] = []
    l_rank: list[int] = []
    for u, v, d in G.edges(data=True):
        if d.get("kind") != EdgeKind.SUPPLIES:
            continue
        vi = index.get(v)
        ui = index.get(u)
        if vi is None or ui is None:
            continue
        start, end = d.get("start"), d.get("end")
        if (start is not None and day < start) or (end is not None and day >= end):
            continue
        carried = pcode.get(d.get("product"), -1)
        rows = option_of.get((vi, carried))
        if rows is None:
            continue
        share = float(d.get("share", 0.0))
        for r, rank in rows:
            l_need.append(r)
            l_sup.append(ui)
            l_prod.append(carried)
            l_share.append(share)
            l_rank.append(rank)
    del option_of

    link_need = np.array(l_need, dtype=np.int64)
    link_sup = np.array(l_sup, dtype=np.int64)
    need_fac = np.array([r[0] for r in need_rows], dtype=np.int64)
    need_prod = np.array([r[1] for r in need_rows], dtype=np.int64)

    # levels: condense loops, then longest path from the sources
    buyers = need_fac[link_need] if len(link_need) else np.zeros(0, dtype=np.int64)
    adj = sp.csr_matrix((np.ones(len(link_sup)), (link_sup, buyers)), shape=(n, n))
    n_comp, comp = connected_components(adj, directed=True, connection="strong")
    comp_size = np.bincount(comp, minlength=n_comp)
    self_loop = np.zeros(n_comp, dtype=bool)
    self_loop[comp[link_sup[link_sup == buyers]]] = True
    cyclic_comp = (comp_size > 1) | self_loop
    level_comp = _longest_path_levels(n_comp, comp[link_sup], comp[buyers])
    level_of = level_comp[comp]
    cyclic = cyclic_comp[comp]

    order = np.lexsort((np.arange(n), cyclic, level_of)).astype(np.int64)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    # needs by position, then product; links by need
    need_pos = position[need_fac]
    need_order = np.lexsort((need_prod, need_pos)) if len(need_rows) else np.zeros(0, np.int64)
    new_need = np.empty(len(need_order), dtype=np.int64)
    new_need[need_order] = np.arange(len(need_order))
    need_fac, need_prod = need_fac[need_order], need_prod[need_order]
    link_need = new_need[link_need] if len(link_need) else link_need
    link_order = np.lexsort((link_sup, link_need)) if len(link_need) else np.zeros(0, np.int64)
    link_need, link_sup = link_need[link_order], link_sup[link_order]
    link_prod = np.array(l_prod, dtype=np.int64)[link_order]
    link_share = np.array(l_share, dtype=float)[link_order]
    link_rank = np.array(l_rank, dtype=np.int64)[link_order]
    link_direct = link_prod == need_prod[link_need] if len(link_need) else \
        np.zeros(0, dtype=bool)
    del l_need, l_sup, l_prod, l_share, l_rank

    fac_need_ptr = np.searchsorted(position[need_fac], np.arange(n + 1)).astype(np.int64)
    need_link_ptr = np.searchsorted(link_need, np.arange(len(need_fac) + 1)).astype(np.int64)

    sup_pos = position[link_sup].astype(_index_dtype(max(n, len(link_sup))))
    levels: list[_Level] = []
    n_levels = int(level_of.max()) + 1 if n else 0
    by_pos = level_of[order] * 2 + cyclic[order]
    ptr = np.searchsorted(by_pos, np.arange(2 * n_levels + 1))
    for L in range(n_levels):
        fa, fc, fb = int(ptr[2 * L]), int(ptr[2 * L + 1]), int(ptr[2 * L + 2])
        flat = _part(fa, fc, fac_need_ptr, need_link_ptr, sup_pos)
        loop = _part(fc, fb, fac_need_ptr, need_link_ptr, sup_pos) if fb > fc else None
        levels.append(_Level(flat=flat, loop=loop))

    assemblies: dict[str, tuple[int, ...]] = {}
    makers: dict[str, tuple[int, ...]] = {}
    making: dict[int, list[int]] = {}
    for i, prods in enumerate(fac_products):
        for q in prods:
            making.setdefault(q, []).append(i)
    for p in platforms:
        q = pcode[p]
        plants = tuple(i for i in making.get(q, []) if not market[i])
        assemblies[p] = plants
        makers[p] = plants or tuple(making.get(q, []))

    content = {p: dict(node_attrs[p].get("elements") or {}) for p in products}
    units = {p: node_attrs[p].get("unit") for p in products}
    return CompiledGraph(
        as_of=day, substitutions=substitutions, facilities=tuple(facilities), index=index,
        products=tuple(products), order=order, position=position, level_of=level_of,
        cyclic=cyclic, levels=tuple(levels), fac_need_ptr=fac_need_ptr,
        need_facility=need_fac, need_product=need_prod, need_link_ptr=need_link_ptr,
        link_need=link_need, link_supplier=link_sup, link_sup_pos=sup_pos,
        link_product=link_prod,
        link_share=link_share, link_rank=link_rank, link_direct=link_direct, market=market,
        assemblies=assemblies, makers=makers, attrs=attrs,
        content={p: c if units[p] == "kg" else {} for p, c in content.items()},
        fac_products=fac_products, bom=bom)


def _needs_of(listed: tuple[str, ...], is_market: bool, pcode: Mapping[str, int],
              products: Sequence[str], bom: Mapping[int, Mapping[int, float]],
              alts: Mapping[int, list[tuple[str, int]]], substitutions: bool
              ) -> list[tuple[int, tuple[int, ...]]]:
    """``[(needed product, (options...))]`` sorted by product id, as
    ``oretrace.graphmodel.needed_inputs`` with the substitutes of
    ``oretrace.queries.feasibility``."""
    made = set(listed)
    if is_market:
        names = sorted(made)
    else:
        wanted: set[str] = set()
        for p in listed:
            if p in pcode:
                wanted.update(products[i] for i in bom.get(pcode[p], {}))
        names = sorted(wanted - made)
    options: dict[str, list[str]] = {p: [p] for p in names}
    if substitutions and not is_market:
        for p in listed:
            if p not in pcode:
                continue
            for target, inp in alts.get(pcode[p], []):
                name = products[inp]
                if target in options and name not in made and name not in options[target]:
                    options[target].append(name)
    # a need for a product that is not a product node still has to be met: no link carries it
    return [(pcode.get(p, -1), tuple(pcode[o] for o in opts if o in pcode))
            for p, opts in options.items()]


def _pair_keys(a: _Int, b: _Int, n: int) -> _Int:
    """One int64 key ``a * n + b`` per pair of ids in ``0..n-1``, ordered as the pairs.

    The ids may come as int32 (``connected_components`` returns int32 labels): multiplied
    in that width the key wraps once ``n**2`` passes ``2**31`` (about 46,341 ids), and the
    pairs then collide and mis-sort. The arithmetic is done in int64, which holds every key
    up to ``n`` of about three billion.
    """
    if n * n >= 2**63:
        raise QueryError(f"{n} ids are too many to key pairs of them in 64 bits")
    return np.asarray(a, dtype=np.int64) * np.int64(n) + np.asarray(b, dtype=np.int64)


def _index_dtype(largest: int) -> type[np.signedinteger[Any]]:
    """int32 for CSR indices up to ``largest`` where they fit, else int64 (scipy's kernels
    take either, as long as ``indptr`` and ``indices`` share one)."""
    return np.int32 if largest < 2**31 - 1 else np.int64


def _longest_path_levels(n: int, src: _Int, dst: _Int) -> _Int:
    """Level of each node of a DAG given by edges ``src -> dst`` (self edges ignored)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if len(src):
        pairs = np.unique(_pair_keys(src, dst, n))
        src, dst = pairs // n, pairs % n
    indeg = np.bincount(dst, minlength=n)
    ptr = np.searchsorted(src, np.arange(n + 1))
    level = np.zeros(n, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    while len(frontier):
        level[frontier] = depth
        lo, hi = ptr[frontier], ptr[frontier + 1]
        sizes = hi - lo
        if sizes.sum() == 0:
            break
        idx = np.repeat(lo - np.cumsum(np.concatenate([[0], sizes[:-1]])), sizes) + \
            np.arange(sizes.sum())
        targets = dst[idx]
        indeg -= np.bincount(targets, minlength=n)
        frontier = np.unique(targets[indeg[targets] == 0])
        depth += 1
    return level


# --------------------------------------------------------------------------- feasibility


def _positions(cg: CompiledGraph, chosen: Iterable[str | int] | _Bool) -> _Bool:
    """A mask by position of facilities given as ids, indices or a mask by index."""
    if isinstance(chosen, np.ndarray) and chosen.dtype == bool:
        return chosen[cg.order]
    mask = np.zeros(len(cg.facilities), dtype=bool)
    idx = [f if isinstance(f, int | np.integer) else cg.index.get(str(f)) for f in chosen]
    mask[[int(i) for i in idx if i is not None]] = True
    return mask[cg.order]


def _or_pass(part: _Part, data: _Float, x: _Float, own: _Bool) -> _Bool:
    """Facilities of ``part`` that are ``own`` or have a need met by a hit supplier."""
    hit = _matvec(part.need_ptr, part.sup, data[part.la:part.lb], x, part.rb - part.ra) > 0
    new = own[part.fa:part.fb].copy()
    if part.single:
        new |= hit
    elif part.all_need:
        new |= np.logical_or.reduceat(hit, part.need_starts)
    elif len(part.with_needs):
        new[part.with_needs] |= np.logical_or.reduceat(hit, part.need_starts)
    return new


def _and_pass(part: _Part, data: _Float, x: _Float, up: _Bool) -> _Bool:
    """Facilities of ``part`` that are ``up`` and have every need met by a supplier in ``x``."""
    met = _matvec(part.need_ptr, part.sup, data[part.la:part.lb], x, part.rb - part.ra) > 0
    new = up[part.fa:part.fb].copy()
    if part.single:
        new &= met
    elif part.all_need:
        new &= np.logical_and.reduceat(met, part.need_starts)
    elif len(part.with_needs):
        new[part.with_needs] &= np.logical_and.reduceat(met, part.need_starts)
    return new


def _sweep(cg: CompiledGraph, data: _Float, own: _Bool, step: Any) -> _Float:
    """Run ``step`` level by level from ``own`` (by position); loops to their fixed point."""
    x = np.zeros(len(cg.facilities))
    for lv in cg.levels:
        flat = lv.flat
        if flat.fb > flat.fa:
            x[flat.fa:flat.fb] = step(flat, data, x, own)
        loop = lv.loop
        if loop is not None:
            while True:
                new = step(loop, data, x, own)
                if np.array_equal(new, x[loop.fa:loop.fb] > 0):
                    break
                x[loop.fa:loop.fb] = new
    return x


def supplied_mask(
    cg: CompiledGraph,
    *,
    failed: Iterable[str | int] | _Bool = (),
    denied: Iterable[tuple[str, str, str]] = (),
    alive: _Bool | None = None,
) -> _Bool:
    """Return, per facility index, whether it is supplied (the least fixed point).

    A facility is supplied when it has not failed and each of its needs has a live link
    from a supplied supplier (DESIGN §3). ``failed`` holds facility ids or indices (or a
    mask by index); ``denied`` names links ``(supplier, buyer, product carried)`` to drop,
    or ``alive`` gives the link mask directly (see :meth:`CompiledGraph.link_mask`).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> dict(zip(cg.facilities, supplied_mask(cg, failed=["cn-mine"]).tolist()))["us-asm"]
    False
    """
    up = ~_positions(cg, failed)
    if alive is None:
        denied = list(denied)
        alive = cg.link_mask(denied) if denied else None
    data = alive.astype(float) if alive is not None else _ones(cg)
    x = _sweep(cg, data, up, _and_pass)
    return x[cg.position] > 0


def _ones(cg: CompiledGraph) -> _Float:
    ones = cg._cache.get("ones")
    if ones is None:
        ones = cg._cache["ones"] = np.ones(cg.n_links)
    return ones


def platform_supplied(cg: CompiledGraph, supplied: _Bool) -> dict[str, bool]:
    """Whether each platform is supplied: any facility assembling it is.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> platform_supplied(cg, supplied_mask(cg, failed=["jp-mag"]))
    {'missile': False}
    """
    return {p: bool(any(supplied[i] for i in idx)) for p, idx in cg.assemblies.items()}


def _needs_by_facility(cg: CompiledGraph) -> list[list[int]]:
    """Need rows of each facility index, in the order of their product ids."""
    out: list[list[int]] = []
    for i in range(len(cg.facilities)):
        k = int(cg.position[i])
        rows = range(int(cg.fac_need_ptr[k]), int(cg.fac_need_ptr[k + 1]))
        out.append(sorted(rows, key=lambda r: cg.products[int(cg.need_product[r])]
                          if cg.need_product[r] >= 0 else ""))
    return out


def substitutes_used(
    cg: CompiledGraph, supplied: _Bool, *, alive: _Bool | None = None,
) -> list[tuple[str, str, str, list[str]]]:
    """Needs of supplied facilities met only through a substitute, as ``(facility, needed
    product, substitute, its supplied suppliers)`` — ``oretrace.queries.feasibility``'s list: the
    substitute is the first option (in bill-of-materials order) a supplied supplier carries.
    """
    use = np.ones(cg.n_links, dtype=bool) if alive is None else alive
    ok = use & supplied[cg.link_supplier]
    m = len(cg.need_facility)
    direct = np.bincount(cg.link_need[ok & (cg.link_rank == 0)], minlength=m) > 0
    other = np.bincount(cg.link_need[ok & (cg.link_rank > 0)], minlength=m) > 0
    wanted = other & ~direct & supplied[cg.need_facility]
    out: list[tuple[str, str, str, list[str]]] = []
    if not wanted.any():
        return out
    for i, rows in enumerate(_needs_by_facility(cg)):
        for r in rows:
            if not wanted[r]:
                continue
            lo, hi = int(cg.need_link_ptr[r]), int(cg.need_link_ptr[r + 1])
            live = [li for li in range(lo, hi) if ok[li]]
            first = min(live, key=lambda li: (int(cg.link_rank[li]), int(cg.link_supplier[li])))
            code = int(cg.link_product[first])
            out.append((cg.facilities[i], cg.products[int(cg.need_product[r])],
                        cg.products[code],
                        sorted({cg.facilities[int(cg.link_supplier[li])] for li in live
                                if cg.link_product[li] == code})))
    return out


def need_gaps(cg: CompiledGraph) -> list[str]:
    """Needs no live link carries at the date (failures and policies aside), and platforms
    nothing assembles — ``oretrace.queries.feasibility``'s data gaps, worded the same.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> need_gaps(compile_graph(load_dataset(MINI), as_of="2026-06-01"))
    []
    """
    m = len(cg.need_facility)
    count = np.bincount(cg.link_need, minlength=m)
    gaps: list[str] = []
    if (count == 0).any():
        for i, rows in enumerate(_needs_by_facility(cg)):
            gaps += [f"{cg.facilities[i]} needs {cg.products[int(cg.need_product[r])]} but "
                     f"nothing supplies it on {cg.as_of}" for r in rows if count[r] == 0]
    gaps += [f"platform {p}: no facility assembles it on {cg.as_of}"
             for p, idx in cg.assemblies.items() if not idx]
    return gaps


def upstream_mask(cg: CompiledGraph, targets: Iterable[str]) -> _Bool:
    """Return, per facility index, whether it is one of ``targets`` or upstream of one over
    links carrying an input the buyer needs (``nx.ancestors`` in the needed-supply graph).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> [f for f, m in zip(cg.facilities, upstream_mask(cg, ["jp-mag"])) if m]
    ['cn-mine', 'cn-sep', 'jp-mag']
    """
    reverse = cg._cache.get("reverse")
    if reverse is None:
        direct = np.flatnonzero(cg.link_direct)
        n = len(cg.facilities)
        reverse = cg._cache["reverse"] = sp.csr_matrix(
            (np.ones(len(direct)), (cg.need_facility[cg.link_need[direct]],
                                    cg.link_supplier[direct])), shape=(n + 1, n + 1))
    n = len(cg.facilities)
    start = cg.facility_index(targets)
    seeds = sp.csr_matrix((np.ones(len(start)), (np.full(len(start), n), start)),
                          shape=(n + 1, n + 1))
    reached = breadth_first_order(reverse + seeds, n, directed=True,
                                  return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[reached] = True
    return mask[:n]


# --------------------------------------------------------------------------- where used


def where_used_mask(
    cg: CompiledGraph,
    seeds: Iterable[str],
    *,
    product: str | None = None,
) -> _Bool:
    """Return, per facility index, whether it is a seed or downstream of one.

    Downstream follows links carrying an input the buyer needs (substitutes not counted),
    as :func:`oretrace.queries.exposure.supply_graph`. With ``product``, links leaving a seed count
    only when they carry that product (``find_where_used`` of a product).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> [f for f, m in zip(cg.facilities, where_used_mask(cg, ["cn-sep"])) if m]
    ['cn-sep', 'jp-mag', 'us-comp', 'us-asm']
    """
    seed = np.zeros(len(cg.facilities), dtype=bool)
    seed[cg.facility_index(seeds)] = True
    use = cg.link_direct.copy()
    if product is not None:
        code = cg.products.index(product) if product in cg.products else -1
        use &= ~seed[cg.link_supplier] | (cg.link_product == code)
    x = _sweep(cg, use.astype(float), seed[cg.order], _or_pass)
    return x[cg.position] > 0


# --------------------------------------------------------------------------- mass shares


def _content_kg(cg: CompiledGraph, element: str) -> _Float:
    """Kilograms of ``element`` per unit of each product (``oretrace.queries.content`` rules)."""
    cached = cg._cache.get(("content", element))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    out = np.full(len(cg.products), np.nan)
    visiting: set[int] = set()

    def kg(q: int) -> float:
        if not np.isnan(out[q]):
            return float(out[q])
        if q in visiting:
            raise QueryError(f"the bill of materials of {cg.products[q]!r} contains itself")
        visiting.add(q)
        declared = cg.content[cg.products[q]]
        if declared:
            value = float(declared.get(element, 0.0))
        else:
            value = sum(qty * kg(inp) for inp, qty in cg.bom.get(q, {}).items())
        visiting.discard(q)
        out[q] = value
        return value

    for q in range(len(cg.products)):
        kg(q)
    cg._cache[("content", element)] = out
    return out


@dataclass(frozen=True)
class _Rollup:
    """The origin-independent parts of one element's mass roll-up."""

    weight: _Float  # per need: kg of the element it brings per unit made
    has_intake: _Bool  # per facility
    links: _Int  # weighted links (direct, share > 0, need weight > 0)
    total: _Float  # per facility: sum of need weights
    missing: _Float  # per facility: weight of uncovered shares / total (high bound)
    traced0: _Bool  # traced from the no-intake facilities alone
    all_traced: bool  # every supplier of a weighted link is in traced0
    est: _Float  # per link: the normalised coefficient when every supplier is traced
    low: _Float  # per link: w/total x share


def _rollup(cg: CompiledGraph, element: str) -> _Rollup:
    cached = cg._cache.get(("rollup", element))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    kg = _content_kg(cg, element)
    n = len(cg.facilities)
    m = len(cg.need_facility)
    qty = np.zeros(m)
    for r in range(m):
        f = int(cg.need_facility[r])
        p = int(cg.need_product[r])
        if p < 0:
            continue
        if cg.market[f]:
            qty[r] = 1.0
        else:
            qty[r] = sum(cg.bom.get(q, {}).get(p, 0.0) for q in cg.fac_products[f])
    pk = np.where(cg.need_product >= 0, kg[np.maximum(cg.need_product, 0)], 0.0)
    pk = np.where(pk > 0, pk, 0.0)
    weight = np.where(qty * pk > 0, qty * pk, 0.0)
    weight = _opaque_weights(cg, kg, qty, pk, weight)
    total = np.bincount(cg.need_facility, weights=weight, minlength=n)
    has_intake = total > 0
    w_link = weight[cg.link_need]
    links = np.flatnonzero(cg.link_direct & (cg.link_share > 0) & (w_link > 0))
    share_sum = np.bincount(cg.link_need[links], weights=cg.link_share[links], minlength=m)
    fac_of_need = cg.need_facility
    missing = np.bincount(fac_of_need, weights=weight * np.maximum(0.0, 1.0 - share_sum),
                          minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        missing = np.where(total > 0, missing / np.where(total > 0, total, 1.0), 0.0)
    traced0 = _traced(cg, ~has_intake, links)
    suppliers = np.unique(cg.link_supplier[links])
    all_traced = bool(traced0[suppliers].all())
    est, low = _coefficients(cg, weight, total, links, traced0 if all_traced else
                             np.ones(n, dtype=bool))
    out = _Rollup(weight=weight, has_intake=has_intake, links=links, total=total,
                  missing=missing, traced0=traced0, all_traced=all_traced,
                  est=est, low=low)
    cg._cache[("rollup", element)] = out
    return out


def _opaque_products(cg: CompiledGraph) -> _Bool:
    """Per product code: no element fractions of its own nor from any input (a concentrate;
    ``oretrace.queries.content``'s opaque products)."""
    cached = cg._cache.get("opaque")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    memo: dict[int, bool] = {}

    def opaque(q: int) -> bool:
        if q not in memo:
            memo[q] = False  # a loop through the bill of materials is not opaque
            memo[q] = not cg.content[cg.products[q]] and all(
                opaque(i) for i in cg.bom.get(q, {}))
        return memo[q]

    out = np.array([opaque(q) for q in range(len(cg.products))], dtype=bool)
    cg._cache["opaque"] = out
    return out


def _opaque_weights(cg: CompiledGraph, kg: _Float, qty: _Float, pk: _Float,
                    weight: _Float) -> _Float:
    """Need weights with the opaque inputs' share of the element (``oretrace.queries.content``'s
    ``intake``): the rest of what the buyer makes, by quantity; passed through by a market
    or a plant making only opaque products."""
    op = _opaque_products(cg)
    n = len(cg.facilities)
    prod = np.maximum(cg.need_product, 0)
    is_op = (cg.need_product >= 0) & op[prod] & (pk <= 0) & (qty > 0)
    if not is_op.any():
        return weight
    made = np.array([sum(float(kg[q]) for q in cg.fac_products[f] if not op[q])
                     for f in range(n)])
    only_op = np.array([all(op[q] for q in cg.fac_products[f]) for f in range(n)])
    known = np.bincount(cg.need_facility, weights=weight, minlength=n)
    op_qty = np.bincount(cg.need_facility, weights=np.where(is_op, qty, 0.0), minlength=n)
    fac = cg.need_facility
    rest = made - known
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(rest[fac] > 1e-12, rest[fac] * qty / np.where(op_qty[fac] > 0,
                                                                       op_qty[fac], 1.0),
                         np.where(only_op[fac] & (known[fac] <= 0), qty, 0.0))
    share = np.where(cg.market[fac], qty, share)
    out: _Float = np.where(is_op, share, weight)
    return out


def _coefficients(cg: CompiledGraph, weight: _Float, total: _Float, links: _Int,
                  traced: _Bool) -> tuple[_Float, _Float]:
    """Per link coefficients of the normalised (``est``) and bound (``low``) systems."""
    n_links = cg.n_links
    m = len(cg.need_facility)
    n = len(cg.facilities)
    need = cg.link_need[links]
    share = cg.link_share[links]
    t = traced[cg.link_supplier[links]]
    known = np.bincount(need, weights=share * t, minlength=m)
    ok_need = known > _EPS
    known_total = np.bincount(cg.need_facility, weights=weight * ok_need, minlength=n)
    fac = cg.need_facility[need]
    est = np.zeros(n_links)
    low = np.zeros(n_links)
    with np.errstate(divide="ignore", invalid="ignore"):
        use = t & ok_need[need] & (known_total[fac] > 0)
        est[links[use]] = (weight[need[use]] / known_total[fac[use]]
                           * share[use] / known[need[use]])
        has = total[fac] > 0
        low[links[has]] = weight[need[has]] / total[fac[has]] * share[has]
    return est, low


def _traced(cg: CompiledGraph, fixed: _Bool, links: _Int) -> _Bool:
    """Facilities (by index) reachable from ``fixed`` ones over ``links`` (least fixed point)."""
    data = np.zeros(cg.n_links)
    data[links] = 1.0
    x = _sweep(cg, data, fixed[cg.order], _or_pass)
    return x[cg.position] > 0


_Csr = tuple[_Int, _Int, _Float]


@dataclass(frozen=True)
class _PartRows:
    """A part's facility rows over supplier positions; for a loop part, split in the
    columns outside the part (``ext``) and inside it (``inner``, local columns)."""

    ext: _Csr
    inner: _Csr | None


def _csr_rows(rows: _Int, cols: _Int, data: _Float, n_rows: int) -> _Csr:
    index = _index_dtype(max(n_rows, len(rows), int(cols.max()) + 1 if len(cols) else 0))
    indptr = np.searchsorted(rows, np.arange(n_rows + 1)).astype(index)
    return indptr, cols.astype(index), np.ascontiguousarray(data, dtype=float)


def _facility_rows(cg: CompiledGraph, coef: _Float, key: Any
                   ) -> list[tuple[_PartRows, _PartRows | None]]:
    """Per level: the facility-row matrices of ``coef`` (per link; zeros dropped)."""
    cached = cg._cache.get(key) if key is not None else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    buyer_pos = cg.position[cg.need_facility[cg.link_need]]

    def rows_of(part: _Part, split: bool) -> _PartRows:
        sl = slice(part.la, part.lb)
        c = coef[sl]
        keep = np.flatnonzero(c != 0)
        rows = buyer_pos[sl][keep] - part.fa
        cols = cg.link_sup_pos[sl][keep].astype(np.int64)
        vals = c[keep]
        k = part.fb - part.fa
        if not split:
            return _PartRows(ext=_csr_rows(rows, cols, vals, k), inner=None)
        inside = (cols >= part.fa) & (cols < part.fb)
        return _PartRows(ext=_csr_rows(rows[~inside], cols[~inside], vals[~inside], k),
                         inner=_csr_rows(rows[inside], cols[inside] - part.fa, vals[inside], k))

    out = [(rows_of(lv.flat, False), None if lv.loop is None else rows_of(lv.loop, True))
           for lv in cg.levels]
    if key is not None:
        cg._cache[key] = out
    return out


#: Sweeps of a loop before it is solved directly instead.
_LOOP_SWEEPS = 200


def _solve_levels(cg: CompiledGraph, mats: list[tuple[_PartRows, _PartRows | None]],
                  x0: _Float, solve: _Bool, extra: _Float | None, what: str) -> _Float:
    """``x = A x (+ extra)`` where ``solve`` (by position), ``x0`` elsewhere; level by
    level, each loop to its solution."""
    x = x0.copy()
    for lv, (flat, loop) in zip(cg.levels, mats, strict=True):
        f = lv.flat
        if f.fb > f.fa:
            sv = solve[f.fa:f.fb]
            if sv.any():
                y = _matvec(*flat.ext, x, f.fb - f.fa)
                if extra is not None:
                    y += extra[f.fa:f.fb]
                x[f.fa:f.fb] = np.where(sv, y, x[f.fa:f.fb])
        if lv.loop is not None and loop is not None:
            c = lv.loop
            sv = solve[c.fa:c.fb]
            if sv.any():
                x[c.fa:c.fb] = _solve_loop(loop, x, c, sv, extra, what)
    return x


def _solve_loop(rows: _PartRows, x: _Float, c: _Part, sv: _Bool, extra: _Float | None,
                what: str) -> _Float:
    """Solve ``x_c = rhs + A_cc x_c`` on the loop's ``sv`` rows: sweeps, exact if slow."""
    assert rows.inner is not None
    k = c.fb - c.fa
    rhs = _matvec(*rows.ext, x, k)
    if extra is not None:
        rhs += extra[c.fa:c.fb]
    xc = np.where(sv, 0.0, x[c.fa:c.fb])
    for _ in range(_LOOP_SWEEPS):
        new = np.where(sv, rhs + _matvec(*rows.inner, xc, k), xc)
        if np.all(np.abs(new[sv] - xc[sv]) <= 1e-16):
            return new
        xc = new
    # slow or singular: solve directly (and say so when it cannot be solved)
    indptr, indices, data = rows.inner
    A = sp.csr_matrix((data, indices, indptr), shape=(k, k))
    idx = np.flatnonzero(sv)
    A_s = A[idx]
    M = A_s[:, idx].tocsc()
    b = rhs[idx] + A_s[:, np.flatnonzero(~sv)] @ xc[~sv]
    system = (sp.identity(len(idx), format="csc") - M).tocsc()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            sol = np.asarray(spla.spsolve(system, b), dtype=float).reshape(len(idx))
        except (RuntimeError, Warning) as exc:
            raise QueryError(f"{what}: a recycling loop gives back as much as it takes "
                             "(the shares around it reach 1); check its quantities") from exc
    if not np.all(np.isfinite(sol)) or np.any(sol < -1e-9):
        raise QueryError(f"{what}: a recycling loop gives back more than it takes; "
                         "check its quantities and shares")
    xc = xc.copy()
    xc[idx] = np.clip(sol, 0.0, None)
    return xc


def mass_shares(
    cg: CompiledGraph,
    origins: Iterable[str] | _Bool,
    element: str,
    *,
    bounds: bool = False,
) -> tuple[_Float, _Float | None, _Float | None]:
    """Return, per facility index, the share of ``element`` leaving it that is of origin.

    ``origins`` are the origin facilities (share 1): ids, or a mask by facility index. A
    facility into which the element comes from no supplier has share 0 (it enters there);
    elsewhere the share is the mean of its suppliers' shares weighted by supply share and
    by the kilograms of the element each input brings, over the suppliers traced back to an
    origin or an entry point (DESIGN §3; ``oretrace.queries.content``). Facilities not traced get
    ``nan``. With ``bounds``, also the low and high bounds (untraced or uncovered supply
    counted as not of origin, or as of origin); otherwise ``None`` for both.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2027-06-01")
    >>> est, _, _ = mass_shares(cg, ["cn-mine", "cn-sep"], "Nd")
    >>> round(float(est[cg.index["jp-mag"]]), 6)
    0.6
    """
    n = len(cg.facilities)
    r = _rollup(cg, element)
    if isinstance(origins, np.ndarray) and origins.dtype == bool:
        origin = origins
    else:
        origin = np.zeros(n, dtype=bool)
        origin[cg.facility_index(origins)] = True
    fixed = origin | ~r.has_intake
    what = f"origin share of {element}"
    if r.all_traced:
        traced = r.traced0 | origin
        est_coef = r.est
        est_key: Any = ("est", element)
    else:
        traced = _traced(cg, fixed, r.links)
        est_coef, _ = _coefficients(cg, r.weight, r.total, r.links, traced)
        est_key = None
    o, fx, tr = origin[cg.order], fixed[cg.order], traced[cg.order]
    solve = tr & ~fx
    value = o.astype(float)
    est = _solve_levels(cg, _facility_rows(cg, est_coef, est_key),
                        np.where(fx | solve, value, np.nan), solve, None, what)
    if not bounds:
        return est[cg.position], None, None
    mats = _facility_rows(cg, r.low, ("low", element))
    low = _solve_levels(cg, mats, np.where(fx | solve, value, 0.0), solve, None, what)
    high = _solve_levels(cg, mats, np.where(fx | solve, value, 1.0), solve,
                         r.missing[cg.order], what)
    return est[cg.position], low[cg.position], high[cg.position]


# --------------------------------------------------------------------------- chokepoints


def group_labels(cg: CompiledGraph, level: str) -> list[str | None]:
    """Per facility index, its group at ``level`` (facility, company or country).

    A facility without an operator (or a country) is a group of its own, keyed
    ``facility:<id>``; a market (a pool standing in for unknown links, not a site that can
    be lost) is in no group: ``None`` (as :func:`oretrace.queries.feasibility.group_keys`).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> group_labels(cg, "company")[:4]
    ['cn-co', 'us-co', 'cn-co', 'facility:jp-mag']
    """
    if level not in ("facility", "company", "country"):
        raise QueryError(f"unknown level {level!r}; choose from facility, company, country")
    if level == "facility":
        return [None if m else f for f, m in zip(cg.facilities, cg.market, strict=True)]
    values = cg.attrs[level]
    return [None if m else (v or f"facility:{f}")
            for v, f, m in zip(values, cg.facilities, cg.market, strict=True)]


def critical_sets(
    cg: CompiledGraph,
    supplied: _Bool,
    groups: Sequence[int] | _Int,
    n_groups: int,
    *,
    alive: _Bool | None = None,
) -> list[frozenset[int] | None]:
    """Return, per facility index, the groups whose loss alone stops it (``None``: all,
    for a facility not supplied).

    ``crit(v) = {g(v)} ∪ ⋃_needs ⋂_links crit(u)`` over the live links, a supplier not
    supplied counting as "all"; a facility of group ``-1`` (a market) has no ``{g(v)}``
    term. Loops take the greatest fixed point, which is exact under the least-fixed-point
    feasibility (``oretrace.queries.chokepoints``).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> crit = critical_sets(cg, supplied_mask(cg), range(6), 6)
    >>> sorted(cg.facilities[g] for g in crit[cg.index["us-comp"]])
    ['cn-mine', 'cn-sep', 'jp-mag', 'us-comp']
    """
    g = np.asarray(groups, dtype=np.int64)
    use = np.ones(cg.n_links, dtype=bool) if alive is None else alive
    if n_groups <= _WORD_GROUPS:
        return _critical_words(cg, supplied, g, n_groups, use)
    return _critical_sparse(cg, supplied, g, use)


def _critical_words(cg: CompiledGraph, supplied: _Bool, g: _Int, n_groups: int,
                    use: _Bool) -> list[frozenset[int] | None]:
    """Critical sets as bit words: one uint64 per 64 groups per facility."""
    words = (n_groups + 63) // 64
    full = np.full(words, np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    n = len(cg.facilities)
    crit = np.tile(full, (n, 1))
    own = np.zeros((n, words), dtype=np.uint64)
    has = np.flatnonzero(g >= 0)
    own[has, g[has] // 64] = np.left_shift(np.uint64(1), (g[has] % 64).astype(np.uint64))
    for part in (p for lv in cg.levels for p in lv.parts):
        rows = cg.order[part.fa:part.fb]
        live = supplied[rows]
        if not live.any():
            continue
        sl = slice(part.la, part.lb)
        ok = use[sl]
        sup = cg.link_supplier[sl]
        need_local = cg.link_need[sl] - part.ra
        starts = np.flatnonzero(np.diff(need_local, prepend=-1) != 0)
        is_loop = bool(cg.cyclic[rows].any())
        while True:
            vals = crit[sup]
            vals[~ok] = full
            per_need = np.tile(full, (part.rb - part.ra, 1))
            if len(sup):
                per_need[need_local[starts]] = np.bitwise_and.reduceat(vals, starts, axis=0)
            new = own[rows]
            if len(part.with_needs):
                new[part.with_needs] |= np.bitwise_or.reduceat(per_need, part.need_starts,
                                                                axis=0)
            new[~live] = full
            if not is_loop or np.array_equal(new, crit[rows]):
                crit[rows] = new
                break
            crit[rows] = new
    out: list[frozenset[int] | None] = []
    bits = np.unpackbits(crit.view(np.uint8), axis=1, bitorder="little")[:, :n_groups]
    for i in range(n):
        out.append(frozenset(np.flatnonzero(bits[i]).tolist()) if supplied[i] else None)
    return out


def _critical_sparse(cg: CompiledGraph, supplied: _Bool, g: _Int,
                     use: _Bool) -> list[frozenset[int] | None]:
    """Critical sets as Python sets, most needs settled by array tests first.

    ``simple[i]``: crit(i) is just {g(i)}. A need with two supplied suppliers whose sets are
    simple and of different groups has an empty intersection: no set is built for it.
    """
    n = len(cg.facilities)
    crit: list[frozenset[int] | None] = [None] * n
    simple = np.zeros(n, dtype=bool)
    singles: dict[int, frozenset[int]] = {}

    def single(x: int) -> frozenset[int]:
        s = singles.get(x)
        if s is None:
            s = singles[x] = frozenset((x,)) if x >= 0 else frozenset()
        return s

    def crit_of(u: int) -> frozenset[int] | None:
        return single(int(g[u])) if simple[u] else crit[u]

    for lv in cg.levels:
        part = lv.flat
        rows = cg.order[part.fa:part.fb]
        live = supplied[rows]
        if live.any():
            _critical_flat(cg, part, rows, live, supplied, g, use, crit, simple, single, crit_of)
        if lv.loop is not None and supplied[cg.order[lv.loop.fa:lv.loop.fb]].any():
            _critical_loop(cg, lv.loop, supplied, g, use, crit, simple, single)
    return [crit_of(i) if supplied[i] else None for i in range(n)]


def _critical_flat(cg: CompiledGraph, part: _Part, rows: _Int, live: _Bool, supplied: _Bool,
                   g: _Int, use: _Bool, crit: list[frozenset[int] | None], simple: _Bool,
                   single: Any, crit_of: Any) -> None:
    """Critical sets of a part on no loop: array tests first, sets only where needed."""
    sl = slice(part.la, part.lb)
    sup = cg.link_supplier[sl]
    need = cg.link_need[sl]
    keep = use[sl] & supplied[sup] & supplied[cg.need_facility[need]]
    sup, need = sup[keep], need[keep]
    m = part.rb - part.ra
    nl = need - part.ra
    count = np.bincount(nl, minlength=m)
    simple_sup = simple[sup]
    big = np.iinfo(np.int64).max
    gmin = np.full(m, big, dtype=np.int64)
    gmax = np.full(m, -1, dtype=np.int64)
    grouped = simple_sup & (g[sup] >= 0)
    np.minimum.at(gmin, nl, np.where(grouped, g[sup], big))
    np.maximum.at(gmax, nl, np.where(grouped, g[sup], -1))
    empty = (count >= 2) & (gmax >= 0) & (gmin < big) & (gmin != gmax)
    # a supplier in no group whose set is empty empties the intersection
    empty |= np.bincount(nl[simple_sup & (g[sup] < 0)], minlength=m) > 0
    starts = np.searchsorted(nl, np.arange(m + 1))
    need_sets: list[frozenset[int] | None] = [None] * m
    for j in np.flatnonzero(~empty & (count > 0)).tolist():
        members = sup[starts[j]:starts[j + 1]].tolist()
        if len(members) == 1:
            need_sets[j] = crit_of(members[0])
            continue
        sets = sorted((crit_of(u) for u in members), key=len)
        need_sets[j] = reduce(frozenset.intersection, sets[1:], sets[0])
    has_set = np.array([x is not None and len(x) > 0 for x in need_sets], dtype=bool)
    need_fac_pos = cg.position[cg.need_facility[part.ra:part.rb]] - part.fa
    busy = np.bincount(need_fac_pos[has_set], minlength=part.fb - part.fa) > 0
    simple[rows[live & ~busy]] = True
    for k in np.flatnonzero(live & busy).tolist():
        i = int(rows[k])
        lo = int(cg.fac_need_ptr[part.fa + k]) - part.ra
        hi = int(cg.fac_need_ptr[part.fa + k + 1]) - part.ra
        parts = [need_sets[j] for j in range(lo, hi) if has_set[j]]
        own = single(int(g[i]))
        union = own.union(*parts)
        if union == own:
            simple[i] = True
        else:
            crit[i] = union


def _critical_loop(cg: CompiledGraph, part: _Part, supplied: _Bool, g: _Int, use: _Bool,
                   crit: list[frozenset[int] | None], simple: _Bool,
                   single: Any) -> None:
    """Greatest fixed point over facilities on loops: start from "all", iterate down."""
    ALL = None
    rows = cg.order[part.fa:part.fb]
    members = [int(i) for i in rows if supplied[i]]
    state: dict[int, frozenset[int] | None] = {i: ALL for i in members}

    def value(u: int) -> frozenset[int] | None:
        if not supplied[u]:
            return ALL
        if u in state:
            return state[u]
        return single(int(g[u])) if simple[u] else crit[u]

    def compute(i: int) -> frozenset[int] | None:
        out = set(single(int(g[i])))
        pos = int(cg.position[i])
        for r in range(int(cg.fac_need_ptr[pos]), int(cg.fac_need_ptr[pos + 1])):
            common: frozenset[int] | None = ALL
            for li in range(int(cg.need_link_ptr[r]), int(cg.need_link_ptr[r + 1])):
                if not use[li]:
                    continue
                v = value(int(cg.link_supplier[li]))
                if v is ALL:
                    continue
                common = v if common is ALL else common & v
            if common is ALL:
                return ALL
            out |= common
        return frozenset(out)

    changed = True
    while changed:
        changed = False
        for i in members:
            new = compute(i)
            if new != state[i]:
                state[i] = new
                changed = True
    for i in members:
        v = state[i]
        if v is not None and v == single(int(g[i])):
            simple[i] = True
        else:
            crit[i] = v


def single_points(
    cg: CompiledGraph,
    supplied: _Bool,
    *,
    level: str = "facility",
    platforms: Iterable[str] | None = None,
    alive: _Bool | None = None,
) -> dict[str, list[str] | None]:
    """Return, per platform, the groups whose loss alone stops it (sorted), or ``None``
    when the platform is not supplied.

    A platform stops when every facility assembling it that is supplied stops: its set is
    the intersection of theirs.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> single_points(cg, supplied_mask(cg), level="country")
    {'missile': ['CN', 'JP', 'US']}
    """
    labels = group_labels(cg, level)
    names = sorted({k for k in labels if k is not None})
    where = {k: i for i, k in enumerate(names)}
    groups = np.array([-1 if k is None else where[k] for k in labels], dtype=np.int64)
    chosen = list(cg.assemblies) if platforms is None else list(platforms)
    for p in chosen:
        if p not in cg.assemblies:
            raise UnknownNodeError(p, list(cg.assemblies), "platform")
    crit = critical_sets(cg, supplied, groups, len(names), alive=alive)
    out: dict[str, list[str] | None] = {}
    for p in chosen:
        live = [crit[i] for i in cg.assemblies[p] if supplied[i]]
        if not live:
            out[p] = None
            continue
        common = reduce(lambda a, b: a & b, live[1:], live[0])
        out[p] = sorted(names[x] for x in common)
    return out
