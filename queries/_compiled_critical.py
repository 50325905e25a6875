"""Single points of failure on the compiled form: the §3 critical sets, loops exact.

``crit(v) = {g(v)} ∪ ⋃_inputs ⋂_suppliers crit(u)`` at the greatest fixed point on loops
(exact, as :func:`oretrace.queries.chokepoints.critical_masks`, the plain twin), with sets
held as machine words when there are few groups (countries) and as sparse sets otherwise,
most intersections settled by array tests before any set is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from typing import Any, Protocol, TypeVar

import numpy as np
from oretrace.graphmodel.errors import UnknownNodeError
from oretrace.queries._compiled_graph import CompiledGraph
from oretrace.queries._compiled_levels import Bool, Int, Part
from oretrace.queries._feasibility_network import check_level, group_of

__all__ = ["critical_sets", "group_labels", "settle", "single_points"]

#: Groups up to which critical sets are held as machine words rather than Python sets.
_WORD_GROUPS = 512
#: The set holding just one group (empty for ``-1``, no group), shared between facilities.
_Single = Callable[[int], frozenset[int]]
_V = TypeVar("_V")


class _Slots(Protocol[_V]):
    """Values by facility index (a list or a dict)."""

    def __getitem__(self, i: int, /) -> _V: ...

    def __setitem__(self, i: int, value: _V, /) -> None: ...


def settle(members: Sequence[int], state: _Slots[_V], compute: Callable[[int], _V]) -> None:
    """Recompute each member's value from the others' in turn until none changes: the fixed
    point the iteration from ``state`` reaches (on a loop's members, from "everything" down
    to the greatest one). Shared by both engines' critical sets."""
    changed = True
    while changed:
        changed = False
        for i in members:
            new = compute(i)
            if new != state[i]:
                state[i] = new
                changed = True


def group_labels(cg: CompiledGraph, level: str) -> list[str | None]:
    """Per facility index, its group at ``level`` (facility, company or country).

    A facility without an operator (or a country) is a group of its own, keyed
    ``facility:<id>``; a market (a pool standing in for unknown links, not a site that can
    be lost) is in no group: ``None`` (as :func:`oretrace.queries.feasibility.group_keys`).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> from oretrace.queries._compiled_graph import compile_graph
    >>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
    >>> group_labels(cg, "company")[:4]
    ['cn-co', 'us-co', 'cn-co', 'facility:jp-mag']
    """
    check_level(level)
    stages, values = cg.attrs["stage"], cg.attrs.get(level, [None] * len(cg.facilities))
    return [group_of(f, {"stage": s, level: v}, level)
            for f, s, v in zip(cg.facilities, stages, values, strict=True)]


def critical_sets(
    cg: CompiledGraph,
    supplied: Bool,
    groups: Sequence[int] | Int,
    n_groups: int,
    *,
    alive: Bool | None = None,
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
    >>> from oretrace.queries._compiled_feasibility import supplied_mask
    >>> from oretrace.queries._compiled_graph import compile_graph
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


def _critical_words(cg: CompiledGraph, supplied: Bool, g: Int, n_groups: int,
                    use: Bool) -> list[frozenset[int] | None]:
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


def _critical_sparse(cg: CompiledGraph, supplied: Bool, g: Int,
                     use: Bool) -> list[frozenset[int] | None]:
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


def _critical_flat(cg: CompiledGraph, part: Part, rows: Int, live: Bool, supplied: Bool,
                   g: Int, use: Bool, crit: list[frozenset[int] | None], simple: Bool,
                   single: _Single, crit_of: Callable[[int], Any]) -> None:
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
        parts = [s for j in range(lo, hi) if has_set[j] and (s := need_sets[j]) is not None]
        own = single(int(g[i]))
        union = own.union(*parts)
        if union == own:
            simple[i] = True
        else:
            crit[i] = union


def _critical_loop(cg: CompiledGraph, part: Part, supplied: Bool, g: Int, use: Bool,
                   crit: list[frozenset[int] | None], simple: Bool,
                   single: _Single) -> None:
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

    settle(members, state, compute)
    for i in members:
        v = state[i]
        if v is not None and v == single(int(g[i])):
            simple[i] = True
        else:
            crit[i] = v


def single_points(
    cg: CompiledGraph,
    supplied: Bool,
    *,
    level: str = "facility",
    platforms: Iterable[str] | None = None,
    alive: Bool | None = None,
) -> dict[str, list[str] | None]:
    """Return, per platform, the groups whose loss alone stops it (sorted), or ``None``
    when the platform is not supplied.

    A platform stops when every facility assembling it that is supplied stops: its set is
    the intersection of theirs.

    Examples
    --------
    Once us-sep runs (2027), oxide comes from China or the US: neither country alone stops
    the missile, and neither chain's mine or separator does.

    >>> from oretrace.queries._compiled_graph import compile_graph
    >>> from oretrace.queries._compiled_feasibility import supplied_mask
    >>> from oretrace.loaders import load_dataset
    >>> later = compile_graph(load_dataset(MINI), as_of="2027-06-01")
    >>> ok = supplied_mask(later)
    >>> single_points(later, ok)["missile"], single_points(later, ok, level="country")
    (['jp-mag', 'us-asm', 'us-comp'], {'missile': ['JP', 'US']})
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
