"""Feasibility on the compiled form: :func:`oretrace.queries.feasibility.simulate`'s pieces.

AND/OR feasibility (the least fixed point) under failures and denied links (DESIGN §3),
the platforms supplied, the substitutions an answer relies on and the data gaps of the date,
each equal to its plain twin in :mod:`oretrace.queries.feasibility`.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> cg = compile_graph(load_dataset(MINI), as_of="2027-06-01")
>>> ok = supplied_mask(cg, failed=["cn-sep"])
>>> platform_supplied(cg, ok)
{'missile': True}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Unpack, cast

import networkx as nx
import numpy as np
from oretrace.queries._compiled_graph import CompiledGraph, compile_graph
from oretrace.queries._compiled_levels import Bool, Float, and_pass, sweep
from oretrace.queries._feasibility_policies import PolicyReport
from oretrace.queries._feasibility_scenario import ScenarioOptions, gap_lines, scenario_inputs

__all__ = [
    "compiled_scenario",
    "need_gaps",
    "platform_supplied",
    "substitutes_used",
    "supplied_mask",
]


def _positions(cg: CompiledGraph, chosen: Iterable[str | int] | Bool) -> Bool:
    """A mask by position of facilities given as ids, indices or a mask by index."""
    if isinstance(chosen, np.ndarray) and chosen.dtype == bool:
        return chosen[cg.order]
    mask = np.zeros(len(cg.facilities), dtype=bool)
    chosen = list(chosen)
    if all(type(f) is str for f in chosen):  # ids, the usual case: one lookup each
        index = cg.index
        mask[[index[f] for f in cast("list[str]", chosen) if f in index]] = True
    else:
        idx = [f if isinstance(f, int | np.integer) else cg.index.get(str(f)) for f in chosen]
        mask[[int(i) for i in idx if i is not None]] = True
    return mask[cg.order]


def supplied_mask(
    cg: CompiledGraph,
    *,
    failed: Iterable[str | int] | Bool = (),
    denied: Iterable[tuple[str, str, str]] = (),
    alive: Bool | None = None,
) -> Bool:
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
    x = sweep(cg.levels, len(cg.facilities), data, up, and_pass)
    return x[cg.position] > 0


def _ones(cg: CompiledGraph) -> Float:
    ones = cg.memo.get("ones")
    if ones is None:
        ones = cg.memo["ones"] = np.ones(cg.n_links)
    return ones


def platform_supplied(cg: CompiledGraph, supplied: Bool) -> dict[str, bool]:
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
    cg: CompiledGraph, supplied: Bool, *, alive: Bool | None = None,
) -> list[tuple[str, str, str, list[str]]]:
    """Needs of supplied facilities met only through a substitute, as ``(facility, needed
    product, substitute, its supplied suppliers)`` — ``oretrace.queries.feasibility``'s list: the
    substitute is the first option (in bill-of-materials order) a supplied supplier carries.
    """
    out: list[tuple[str, str, str, list[str]]] = []
    subs = cg.memo.get("substitute links")
    if subs is None:
        subs = cg.memo["substitute links"] = np.flatnonzero(cg.link_rank > 0)
    # needs a live substitute link from a supplied supplier could meet, looked at first
    live = supplied[cg.link_supplier[subs]]
    if alive is not None:
        live &= alive[subs]
    if not live.any():
        return out
    use = np.ones(cg.n_links, dtype=bool) if alive is None else alive
    ok = use & supplied[cg.link_supplier]
    m = len(cg.need_facility)
    direct = np.bincount(cg.link_need[ok & (cg.link_rank == 0)], minlength=m) > 0
    other = np.bincount(cg.link_need[subs[live]], minlength=m) > 0
    wanted = other & ~direct & supplied[cg.need_facility]
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
    got: list[str] | None = cg.memo.get("gaps")  # of the graph and date alone: once
    if got is None:
        m = len(cg.need_facility)
        count = np.bincount(cg.link_need, minlength=m)
        missing: list[tuple[str, str]] = []
        if (count == 0).any():
            for i, rows in enumerate(_needs_by_facility(cg)):
                missing += [(cg.facilities[i], cg.products[int(cg.need_product[r])])
                            for r in rows if count[r] == 0]
        got = cg.memo["gaps"] = gap_lines(missing, cg.assemblies, cg.as_of)
    return list(got)


def compiled_scenario(
    G: nx.MultiDiGraph, **scenario: Unpack[ScenarioOptions],
) -> tuple[CompiledGraph, list[str], PolicyReport | None, Bool | None]:
    """Return the compiled form of a scenario (its options as
    :func:`oretrace.queries.feasibility.simulate` takes them): the compiled graph, the
    facilities that fail (every id the specs name, sorted), the policy's report, and the
    live-link mask with the policy's denied links off (``None`` when none is denied). The
    compiled counterpart of :func:`oretrace.queries.feasibility.scenario_network`.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg, failed, report, alive = compiled_scenario(load_dataset(MINI),
    ...                                               fail=["country:CN"], as_of="2026-06-01")
    >>> failed, report, alive
    (['cn-mine', 'cn-sep'], None, None)
    """
    s = scenario_inputs(G, **scenario)
    cg = compile_graph(G, as_of=s.day, substitutions=s.substitutions)
    alive = cg.link_mask(s.denied) if s.denied else None
    return cg, s.failed, s.report, alive
