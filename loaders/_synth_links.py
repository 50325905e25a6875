"""Who supplies whom in the synthetic industrial base: each facility's needs, heavy-tailed
supplier draws, shares, supplier switches and planned links (part of
:mod:`oretrace.loaders.synth`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from oretrace.graphmodel.errors import QueryError
from oretrace.graphmodel.graph import RequiresLine, facility_needs
from oretrace.graphmodel.vocab import Stage
from oretrace.loaders._synth_facilities import Plants
from oretrace.loaders._synth_products import Catalogue

__all__ = ["SupplyLinks", "draw_links"]

_IntArray = np.ndarray[Any, np.dtype[np.int64]]
_FloatArray = np.ndarray[Any, np.dtype[np.float64]]
_Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class SupplyLinks:
    """The supply links of one draw.

    ``columns`` holds the ``supplies`` table column by column (text cells, sorted by need);
    ``link_need`` the need each drawn link serves, switches and planned links left out;
    ``needs`` the number of needs and ``dated`` the number of rows with a date.
    """

    columns: dict[str, _Array]
    link_need: _IntArray
    needs: int
    dated: int


@dataclass(frozen=True)
class _Needs:
    """Need ``i`` is facility ``buyer[i]`` taking product ``product[i]`` (catalogue positions)."""

    buyer: _IntArray
    product: _IntArray


def draw_links(rng: np.random.Generator, plants: Plants, cat: Catalogue, *, suppliers: float,
               single_sourced: float) -> SupplyLinks:
    """Draw the suppliers of every need, their shares, switches and planned links, in that
    order, and lay them out as the ``supplies`` table."""
    n = len(plants.stage)
    needs = _needs(plants, cat)
    n_needs = len(needs.buyer)
    makers_of, makers, weight = _makers(plants, len(cat.ids))
    link_need, link_sup = _draw_current(rng, plants, cat, needs, makers, weight,
                                        suppliers=suppliers, single_sourced=single_sourced)
    thousandths, coverage = _shares(rng, link_need, n_needs)
    sw, new_sup, dates = _draw_switches(rng, link_need, link_sup, needs, makers, n)
    # planned capacity: links from planned facilities start at their online date and take
    # up the part of the need that no current supplier covers
    room = coverage - np.bincount(link_need, weights=thousandths, minlength=n_needs)
    stride = n + 1
    have_pairs = np.concatenate([link_need * stride + link_sup, link_need[sw] * stride + new_sup])
    fut_need, fut_sup = _draw_planned_links(rng, plants, makers_of, needs, room, have_pairs)
    end = np.full(len(link_need), "", dtype=object)
    end[sw] = dates
    blank = np.full(len(sw) + len(fut_need), "", dtype=object)
    columns = _supplies_columns(
        plants, cat, needs,
        need=np.concatenate([link_need, link_need[sw], fut_need]),
        sup=np.concatenate([link_sup, new_sup, fut_sup]),
        share=np.concatenate([thousandths, thousandths[sw], room[fut_need].astype(np.int64)]),
        start=np.concatenate([np.full(len(link_need), "", dtype=object), dates,
                              plants.online_from[fut_sup]]),
        end=np.concatenate([end, blank]))
    return SupplyLinks(columns=columns, link_need=link_need, needs=n_needs,
                       dated=int(len(sw) * 2 + len(fut_need)))


def _needs(plants: Plants, cat: Catalogue) -> _Needs:
    """What each facility needs (:func:`oretrace.graphmodel.facility_needs`): the inputs of
    what it makes that it does not make itself, by catalogue position; a world market needs
    (pools) what it sells."""
    lines: dict[str, list[RequiresLine]] = {
        cat.ids[p]: [(cat.ids[q], None, "documented") for q in inputs]
        for p, inputs in cat.requires.items()}

    def lines_of(product: str) -> list[RequiresLine]:
        return lines.get(product, [])

    buyer: list[int] = []
    product: list[int] = []
    for i, made in enumerate(plants.made):
        stage = Stage.MARKET if plants.market[i] else plants.stage[i]
        needs = [cat.index[q] for q in facility_needs([cat.ids[p] for p in made], stage,
                                                      lines_of)]
        if not plants.market[i]:
            needs.sort()
        buyer.extend([i] * len(needs))
        product.extend(needs)
    return _Needs(np.array(buyer, dtype=np.int64), np.array(product, dtype=np.int64))


def _makers(plants: Plants, n_products: int
            ) -> tuple[list[list[int]], list[_IntArray], _FloatArray]:
    """The makers of each product, those of them that supply today (planned plants left out),
    and each facility's weight as a supplier (its capacity; zero when planned)."""
    makers_of: list[list[int]] = [[] for _ in range(n_products)]
    for i, made in enumerate(plants.made):
        for p in made:
            makers_of[p].append(i)
    weight = plants.capacity.astype(float).copy()
    weight[plants.planned] = 0.0
    makers = [np.array([m for m in ms if weight[m] > 0], dtype=np.int64) for ms in makers_of]
    return makers_of, makers, weight


def _draw_current(rng: np.random.Generator, plants: Plants, cat: Catalogue, needs: _Needs,
                  makers: list[_IntArray], weight: _FloatArray, *, suppliers: float,
                  single_sourced: float) -> tuple[_IntArray, _IntArray]:
    """Draw how many suppliers each need has (one for a ``single_sourced`` share, else
    ``1 + geometric``), then who they are, then close the recycling loops.

    Returns ``(need, supplier)`` of each link, sorted by need. Raises :class:`QueryError`
    when a needed product has no maker.
    """
    market = plants.market
    n_needs = len(needs.buyer)
    # a market pools what the plants make: its own needs are drawn among non-market makers
    pooled = [np.array([m for m in ms if not market[m]], dtype=np.int64) for ms in makers]
    draw_product = np.where(market[needs.buyer], needs.product + len(makers), needs.product)
    pools = makers + pooled
    mk_count = np.array([len(m) for m in pools])
    single = rng.random(n_needs) < single_sourced
    k = np.where(single, 1, 1 + rng.geometric(1.0 / max(suppliers - 1.0, 1.0), n_needs))
    k = np.minimum(np.minimum(k, 200), mk_count[draw_product])
    if np.any(k < 1):
        missing = sorted({cat.ids[p] for p in needs.product[k < 1]})
        raise QueryError(f"nothing makes {', '.join(missing)}; ask for more facilities")
    link_need, link_sup = _draw_suppliers(rng, needs.buyer, draw_product, k, pools, weight)
    _close_recycling_loops(link_need, link_sup, needs, cat.index["recycled-ndfeb-alloy"],
                           cat.index["magnet-swarf"])
    return link_need, link_sup


def _segments(owner: _IntArray, size: int) -> _IntArray:
    """CSR pointer of ``owner`` (sorted) over ``size`` owners."""
    return np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=size))]).astype(np.int64)


def _draw_suppliers(rng: np.random.Generator, need_buyer: _IntArray, need_product: _IntArray,
                    k: _IntArray, makers_of: list[_IntArray], weight: _FloatArray
                    ) -> tuple[_IntArray, _IntArray]:
    """Draw ``k[i]`` distinct suppliers for need ``i`` among the makers of its product
    (never the buyer itself).

    Makers are drawn in proportion to ``weight`` (heavy-tailed), with replacement, and
    duplicates are redrawn a few rounds; a need keeps at least one supplier.
    Returns ``(need index, supplier)`` sorted by need then draw order.
    """
    n_products = len(makers_of)
    flat = np.concatenate([m for m in makers_of]) if n_products else np.zeros(0, np.int64)
    offsets = np.concatenate([[0], np.cumsum([len(m) for m in makers_of])])
    cdf = np.empty(len(flat))
    for p, m in enumerate(makers_of):
        if len(m):
            w = np.cumsum(weight[m])
            cdf[offsets[p]:offsets[p + 1]] = p + w / w[-1]
            cdf[offsets[p + 1] - 1] = p + 1.0
    have: list[tuple[_IntArray, _IntArray]] = []
    want = k.copy()
    need_ids = np.arange(len(k))
    got = np.zeros(len(k), dtype=np.int64)
    stride = len(weight) + 1
    seen = np.sort(np.arange(len(k)) * stride + need_buyer)  # no self-supply
    for _ in range(8):
        todo = need_ids[want > got]
        if len(todo) == 0:
            break
        rep = np.repeat(todo, (want - got)[todo])
        u = rng.random(len(rep))
        pos = np.searchsorted(cdf, need_product[rep] + u, side="right")
        pos = np.minimum(pos, offsets[need_product[rep] + 1] - 1)
        sup = flat[pos]
        keys = rep * stride + sup
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        fresh = np.ones(len(keys), dtype=bool)
        fresh[1:] = sorted_keys[1:] != sorted_keys[:-1]
        at = np.minimum(np.searchsorted(seen, sorted_keys), len(seen) - 1)
        fresh &= seen[at] != sorted_keys
        chosen = np.sort(order[fresh])
        seen = np.sort(np.concatenate([seen, keys[chosen]]))
        have.append((rep[chosen], sup[chosen]))
        got += np.bincount(rep[chosen], minlength=len(k))
    need = np.concatenate([h[0] for h in have])
    sup = np.concatenate([h[1] for h in have])
    order = np.lexsort((np.arange(len(need)), need))
    return need[order], sup[order]


def _close_recycling_loops(link_need: _IntArray, link_sup: _IntArray, needs: _Needs,
                           recycled: int, swarf: int) -> None:
    """Make each recycled-content magnet plant sell swarf to a recycler it buys from.

    The recycler's last-drawn swarf supplier is replaced by the magnet plant (same share),
    when the recycler has at least two swarf suppliers, so each loop keeps a way in.
    Edits ``link_sup`` in place.
    """
    ptr = _segments(link_need, len(needs.buyer))
    swarf_need = {int(needs.buyer[nd]): int(nd) for nd in np.flatnonzero(needs.product == swarf)}
    for nd in np.flatnonzero(needs.product == recycled):
        plant = int(needs.buyer[nd])
        lo, hi = ptr[nd], ptr[nd + 1]
        if hi == lo:
            continue
        theirs = swarf_need.get(int(link_sup[lo]))
        if theirs is None:
            continue
        a, b = ptr[theirs], ptr[theirs + 1]
        if b - a >= 2 and plant not in link_sup[a:b]:
            link_sup[b - 1] = plant


def _shares(rng: np.random.Generator, need: _IntArray, n_needs: int
            ) -> tuple[_IntArray, _IntArray]:
    """Supplier shares in thousandths per link (adding up to ≤ coverage ≤ 1 per need),
    and each need's coverage in thousandths."""
    k = np.bincount(need, minlength=n_needs)
    coverage = np.where(rng.random(n_needs) < 0.8, 1000,
                        rng.integers(600, 1000, n_needs)).astype(np.int64)
    raw = rng.exponential(1.0, len(need)) + 0.1
    total = np.bincount(need, weights=raw, minlength=n_needs)
    room = np.maximum(coverage - k, 0)
    thousandths = np.floor(raw / total[need] * room[need]).astype(np.int64) + 1
    return thousandths, coverage


def _draw_switches(rng: np.random.Generator, link_need: _IntArray, link_sup: _IntArray,
                   needs: _Needs, makers: list[_IntArray], n: int
                   ) -> tuple[_IntArray, _IntArray, _Array]:
    """About 2 % of the links end at a date in 2022–2025 and another maker takes over their
    share from then: one switch per (need, new supplier), never to the buyer itself or to a
    current supplier of the need.

    Returns the switched links, their new suppliers and the dates (ISO text).
    """
    switch = rng.random(len(link_need)) < 0.02
    sw = np.flatnonzero(switch)
    p_sw = needs.product[link_need[sw]]
    new_sup = np.array([makers[p][int(rng.integers(0, len(makers[p])))] if len(makers[p]) else -1
                        for p in p_sw], dtype=np.int64)
    stride = n + 1
    taken = np.sort(link_need * stride + link_sup)
    wanted = link_need[sw] * stride + new_sup
    at = np.minimum(np.searchsorted(taken, wanted), len(taken) - 1)
    ok = (new_sup >= 0) & (new_sup != needs.buyer[link_need[sw]]) & (taken[at] != wanted)
    first_time = np.zeros(len(sw), dtype=bool)  # one switch per (need, new supplier)
    first_time[np.unique(wanted, return_index=True)[1]] = True
    ok &= first_time
    sw, new_sup = sw[ok], new_sup[ok]
    days = rng.integers(0, 365 * 4, len(sw))
    dates = np.array([(dt.date(2022, 1, 1) + dt.timedelta(days=int(d))).isoformat()
                      for d in days], dtype=object)
    return sw, new_sup, dates


def _draw_planned_links(rng: np.random.Generator, plants: Plants, makers_of: list[list[int]],
                        needs: _Needs, room: _Array, have_pairs: _IntArray
                        ) -> tuple[_IntArray, _IntArray]:
    """About 30 % of the needs with uncovered ``room`` that a planned plant could serve get a
    link from one of those plants, drawn uniformly.

    A planned link never repeats a (need, supplier) pair of ``have_pairs`` (a link or a
    switch): two open-ended rows of one link would overlap in time.
    """
    planned = plants.planned
    cand = np.flatnonzero((room >= 1) & np.isin(needs.product, np.unique(
        [p for i in np.flatnonzero(planned) for p in plants.made[i]])))
    fut_need: list[int] = []
    fut_sup: list[int] = []
    for nd in cand[rng.random(len(cand)) < 0.3]:
        options = [i for i in makers_of[needs.product[nd]] if planned[i]]
        if options:
            fut_need.append(int(nd))
            fut_sup.append(options[int(rng.integers(0, len(options)))])
    fut_need_a = np.array(fut_need, dtype=np.int64)
    fut_sup_a = np.array(fut_sup, dtype=np.int64)
    fresh = ~np.isin(fut_need_a * (len(planned) + 1) + fut_sup_a, have_pairs)
    return fut_need_a[fresh], fut_sup_a[fresh]


def _supplies_columns(plants: Plants, cat: Catalogue, needs: _Needs, *, need: _IntArray,
                      sup: _IntArray, share: _IntArray, start: _Array, end: _Array
                      ) -> dict[str, _Array]:
    """The ``supplies`` table's columns, rows sorted by need (stably). A link from a world
    market rests on the IEA's figures (``estimated``); the others are ``illustrative``."""
    order = np.lexsort((np.arange(len(need)), need))
    need, sup, share, start, end = need[order], sup[order], share[order], start[order], end[order]
    share_text = np.array([f"{t / 1000:g}" for t in range(1001)], dtype=object)
    is_market_sup = plants.market[sup]
    return {
        "supplier": plants.ids[sup], "buyer": plants.ids[needs.buyer[need]],
        "product": np.array(cat.ids, dtype=object)[needs.product[need]],
        "share": share_text[share], "start": start, "end": end,
        "sources": np.where(is_market_sup, "SYN;IEA25", "SYN"),
        "confidence": np.where(is_market_sup, "estimated", "illustrative"),
    }
