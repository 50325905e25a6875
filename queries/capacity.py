"""Capacity shortfall: tonnes per year of each product a platform's supply chain lacks.

Where capacities are known, the shortfall of product ``p`` in the chain of a platform (or of
all platforms together) is::

    demand  = Σ over consumers f of p in the chain, with known capacity,
              of f's need of p at full capacity  (bill-of-materials qty × capacity)
    supply  = the most of p (or its substitutes, by their bill-of-materials ratio) that the
              facilities still supplied in the scenario can deliver to those consumers:
              a linear programme (HiGHS) over the live supply links, each facility producing
              at most its capacity and needing its inputs in bill-of-materials proportion
              (Leontief), markets passing through what they receive
    shortfall = demand − supply

Capacities are read in the product's own unit: t/yr for products counted in kg (``t``,
``kt`` and ``kg`` capacity units are converted; a blank unit is taken as t/yr), units/yr for
products counted each. A facility's capacity bounds each product it lists. Suppliers are
taken to redirect capacity freely along their existing links into the chain (an optimistic
reading: other customers are not served first). A facility with unknown capacity is taken
once as producing nothing and once as unlimited, giving ``supply_min``/``supply_max`` and
``shortfall_max``/``shortfall_min``; the two agree when the unknowns do not matter, and
``unknown_capacity`` names them.

**Ranged figures** (``lo..hi`` capacities and quantities, DESIGN §7) widen the same two ends,
exactly: the shortfall rises with every consumer's capacity and every bill-of-materials
quantity (more demand; more input per unit made) and falls with every supplier's capacity
(a looser LP bound), and in one product's LP a facility is either a consumer (a sink) or a
supplier, never both. So ``shortfall_min`` reads consumers' capacities and quantities at their
low end and suppliers' capacities at their high end (unknown capacities unlimited),
``shortfall_max`` the reverse (unknown capacities nil); ``demand_min``/``demand_max`` are the
demands of those two readings and ``supply_max``/``supply_min`` their deliveries. ``demand``
reads the midpoints. A :class:`Reading` sets the ends (or drawn values, for sampling). With
``substitutions`` a substitute's ratio is a quotient of two quantities, so the ends are a
reading of the ranges, not proven extremes. Consumers without a capacity add no demand and
are listed in the note; a product none of whose consumers has a capacity is reported as not
computable. Each figure carries the sources of the capacities it rests on: the consumers'
(demand) and those of the suppliers whose capacity binds the answer (non-zero shadow price).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, Unpack

import networkx as nx
import numpy as np
from oretrace.graphmodel import weakest
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.graphmodel.ranges import range_of
from oretrace.queries._capacity_memo import (
    Reading,
    _Memo as _Memo,  # read by sampling and sensitivity
    _product_unit,
    flow_capacity,
    unit_conversion,
)
from oretrace.queries._capacity_warm import _value
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries._shortfall_arrays import _chain
from oretrace.queries._shortfall_facts import _scope_products
from oretrace.queries._shortfall_lp import _solve
from oretrace.queries.feasibility import SupplyNetwork, scenario_network, supplied_mask
from pydantic import BaseModel

__all__ = [
    "Reading",
    "Shortfall",
    "build_rate",
    "find_shortfall",
    "flow_capacity",
    "unit_conversion",
]


def build_rate(G: nx.MultiDiGraph, platform: str,
               assemblies: Sequence[str]) -> tuple[float | None, float | None]:
    """Return (units per year its assemblies can build, unit price in USD); ``None`` if unknown."""
    unit = G.nodes[platform].get("unit")
    caps = [flow_capacity(G.nodes[f], unit) for f in assemblies]
    rate = float(sum(c for c in caps if c is not None)) \
        if caps and all(c is not None for c in caps) else None
    price = G.nodes[platform].get("unit_price_usd")
    return rate, None if price is None else float(price)


class Shortfall(BaseModel):
    """The shortfall of one product in the chain of one platform (``None``: all platforms)."""

    product: str
    platform: str | None
    unit: str
    computable: bool
    demand: float | None
    supply_min: float | None
    supply_max: float | None
    shortfall_min: float | None
    shortfall_max: float | None
    baseline_shortfall_min: float | None
    baseline_shortfall_max: float | None
    demand_min: float | None = None
    demand_max: float | None = None
    consumers: list[str]
    rests_on: list[str]
    unknown_capacity: list[str]
    sources: list[str]
    confidence: str
    note: str


@shared_docs
@unpacked_keywords
def find_shortfall(
    G: nx.MultiDiGraph,
    *,
    platforms: Iterable[str] | None = None,
    per_platform: bool = True,
    **scenario: Unpack[ScenarioOptions],
) -> list[Shortfall]:
    """Return the shortfall of each product after the scenario (see the module docstring).

    Rows cover the chains of all platforms together and, with ``per_platform``, of each
    platform.

    Parameters
    ----------
    %(G)s
    platforms : iterable of str, optional
        The platforms whose chains are in scope (default every platform).
    per_platform : bool
        Add one row per product for each platform's own chain (default ``True``); off, only
        the all-platforms rows (``platform`` is ``None``).
    %(scenario_options)s

    Returns
    -------
    list of Shortfall
        One per product (and platform): ``unit`` (t/yr or units/yr), ``demand`` (with
        ``demand_min``/``demand_max`` under ranged figures), ``supply_min``/``supply_max``,
        ``shortfall_min``/``shortfall_max``,
        the same with nothing failed (``baseline_…``), the ``consumers``, the facilities of
        ``unknown_capacity``, the suppliers whose capacity binds (``rests_on``), sources,
        confidence and a note; ``computable`` is false when no consumer has a capacity.

    Raises
    ------
    UnknownNodeError
        A failure spec or a platform naming no node (close matches are listed).
    QueryError
        A failure spec, ``as_of`` or ``policy`` not among its values.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> rows = find_shortfall(load_dataset(), fail=["country:CN"], as_of="2026-11-24",
    ...                       per_platform=False)
    >>> all(r.platform is None for r in rows)
    True
    """
    chains = _Scenario(G, platforms=platforms, per_platform=per_platform, **scenario)
    # read over networkx's own dicts (its views cost more than the test on 400k links)
    ranged = any(range_of(d, "capacity") is not None for d in G._node.values()) or any(
        range_of(d, "qty") is not None for nbrs in G._adj.values() for keyed in nbrs.values()
        for d in keyed.values())
    mid = _Memo()
    memos = ((mid, _Memo(Reading(supply=1, demand=0, qty=0)),
              _Memo(Reading(supply=0, demand=1, qty=1))) if ranged else (mid, mid, mid))
    return chains.rows(memos)


#: Threads working the products' LPs (:meth:`_Scenario.rows`).
_WORKERS = min(4, os.cpu_count() or 1)


class _Scenario:
    """The scenario's and the baseline's networks and the chains in scope, built once; the
    shortfall rows under any reading of the ranged figures (:meth:`rows`)."""

    def __init__(self, G: nx.MultiDiGraph, *, platforms: Iterable[str] | None,
                 per_platform: bool, **scenario: Unpack[ScenarioOptions]) -> None:
        self.G = G
        self.substitutions = substitutions = scenario["substitutions"]
        self.net, failed, _ = scenario_network(G, **scenario)
        self.base, base_failed, _ = scenario_network(G, as_of=scenario["as_of"],
                                                     substitutions=substitutions)
        self.ok = supplied_mask(self.net, failed)
        self.base_ok = supplied_mask(self.base, base_failed)
        chosen = sorted(self.net.assemblies) if platforms is None else list(platforms)
        scopes: list[tuple[str | None, list[str]]] = [(None, chosen)]
        if per_platform:
            scopes += [(p, [p]) for p in chosen]
        self.down = frozenset(failed)
        self.scopes: list[tuple[str | None, frozenset[str], list[str]]] = []
        for platform, plats in scopes:
            chain = _chain(self.base, [i for p in plats for i in self.base.assemblies.get(p, ())])
            self.scopes.append((platform, frozenset(self.base.facilities[i] for i in chain),
                                _scope_products(self.base, chain)))
        self.union = self.scopes[0][1]  # every scope's chain is within the first one's

    def rows(self, memos: tuple[_Memo, _Memo, _Memo],
             products: Iterable[str] | None = None) -> list[Shortfall]:
        """The rows read with ``memos`` (midpoint, lowest- and highest-shortfall readings),
        of ``products`` only if given."""
        wanted = None if products is None else set(products)
        jobs = [(product, platform, names) for platform, names, scope in self.scopes
                for product in scope if wanted is None or product in wanted]
        by_product: dict[str, list[int]] = {}
        for k, job in enumerate(jobs):
            by_product.setdefault(job[0], []).append(k)

        def product_rows(product: str) -> dict[int, Shortfall]:
            got = {k: self._row(jobs[k][2], product, jobs[k][1], memos)
                   for k in by_product[product]}
            for memo in memos:  # then let go of its shared models
                for key in [key for key in list(memo.warm) if key[2] == product]:
                    memo.warm.pop(key, None)
            return got

        # Products apart share no LP: HiGHS lets go of the GIL while it solves, so one
        # product's solves overlap another's model building. Each product's rows are worked
        # in one thread, in one order, so the answers do not depend on the threads. The
        # products with most consumers (the longest to solve) are started first.
        order = sorted(by_product, key=lambda p: -len(memos[0].consumers_of(self.base, p)))
        out: dict[int, Shortfall] = {}
        if len(order) < 2 or _WORKERS < 2:
            for product in order:
                out.update(product_rows(product))
        else:
            with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
                for got in pool.map(product_rows, order):
                    out.update(got)
        return [out[k] for k in range(len(jobs))]

    def _exact(self, product: str) -> _Value:
        """The scenario's LPs of ``product``, solved as they stand (binding capacities too)."""
        def value(consumers: Mapping[int, float], unknown_as: float,
                  memo: _Memo) -> tuple[float, bool]:
            got = _solve(self.G, self.net, self.ok, product, consumers, unknown_as,
                         self.substitutions, memo)
            return got[0], bool(got[2])
        return value

    def _baseline(self, product: str) -> _Value:
        """The baseline's LPs of ``product``, values only (:mod:`._capacity_warm`)."""
        def value(consumers: Mapping[int, float], unknown_as: float,
                  memo: _Memo) -> tuple[float, bool]:
            union, _ = _consumers(self.base, self.union, product, frozenset(), memo)
            return _value(self.base, self.base_ok, product, consumers, unknown_as,
                          self.substitutions, memo, union)
        return value

    def _row(self, names: frozenset[str], product: str, platform: str | None,
             memos: tuple[_Memo, _Memo, _Memo]) -> Shortfall:
        G, net, memo = self.G, self.net, memos[0]
        unit = "units/yr" if _product_unit(G, product) == "each" else "t/yr"
        consumers, missing = _consumers(net, names, product, self.down, memo)
        if not consumers:
            return _not_computable(product, platform, unit, missing)
        span = _span(self._exact(product), net, names, product, self.down, memos)
        b_span = _span(self._baseline(product), self.base, names, product, frozenset(), memos)
        # the unknown capacities' reading alone (midpoints), for the note and the list
        lo, binding, unknown = _solve(G, net, self.ok, product, consumers, 0.0,
                                      self.substitutions, memo)
        hi = _solve(G, net, self.ok, product, consumers, np.inf, self.substitutions,
                    memo)[0] if unknown else lo
        cons = [net.facilities[i] for i in sorted(consumers)]
        rests = sorted(set(cons) | set(binding))
        note = []
        if missing:
            note.append(f"consumers without a capacity add no demand: {', '.join(missing)}")
        if unknown and abs(hi - lo) > 1e-6:
            note.append(f"unknown capacity at {', '.join(unknown)} gives the range")
        if span.demand_max - span.demand_min > 1e-9 or memos[1] is not memo and (
                abs(span.supply_most - min(hi, span.demand_min)) > 1e-6
                or abs(span.supply_least - lo) > 1e-6):
            note.append("ranged capacities or quantities widen the range")
        return Shortfall(
            product=product, platform=platform, unit=unit, computable=True,
            demand=_r(span.demand), demand_min=_r(span.demand_min),
            demand_max=_r(span.demand_max),
            supply_min=_r(max(0.0, span.supply_least)),
            supply_max=_r(max(0.0, span.supply_most)),
            shortfall_min=_r(max(0.0, span.demand_min - span.supply_most)),
            shortfall_max=_r(max(0.0, span.demand_max - span.supply_least)),
            baseline_shortfall_min=_r(max(0.0, b_span.demand_min - b_span.supply_most)),
            baseline_shortfall_max=_r(max(0.0, b_span.demand_max - b_span.supply_least)),
            consumers=cons, rests_on=rests,
            unknown_capacity=unknown if abs(hi - lo) > 1e-6 else [],
            sources=sorted({s for f in rests for s in G.nodes[f].get("sources", [])}),
            confidence=weakest([G.nodes[f].get("confidence", "documented")
                                for f in rests]).value,
            note="; ".join(note))


def _not_computable(product: str, platform: str | None, unit: str,
                    missing: list[str]) -> Shortfall:
    why = (f"no consumer of {product} in the chain has a known capacity "
           f"({', '.join(missing)})" if missing else
           f"no consumer of {product} in the chain is left in the scenario")
    return Shortfall(product=product, platform=platform, unit=unit, computable=False,
                     demand=None, supply_min=None, supply_max=None, shortfall_min=None,
                     shortfall_max=None, baseline_shortfall_min=None,
                     baseline_shortfall_max=None, consumers=[], rests_on=[],
                     unknown_capacity=[], sources=[], confidence="illustrative", note=why)


def _consumers(net: SupplyNetwork, names: frozenset[str], product: str,
               down: frozenset[int], memo: _Memo) -> tuple[dict[int, float], list[str]]:
    """Consumers of ``product`` among ``names`` not in ``down``, with their need at full
    capacity, and those whose capacity is unknown (by name); worked once per network, chain,
    product and failures (``memo``), as each row asks up to five times. Read only."""
    key = (id(net), names, product, down)
    got: tuple[dict[int, float], list[str]] | None = memo.chosen.get(key)
    if got is not None:
        return got
    known: dict[int, float] = {}
    missing: list[str] = []
    for f, i in memo.consumers_of(net, product):
        if f not in names or i in down:
            continue
        need = memo.need_at_capacity(net.view, f, product)
        if need is None:
            missing.append(f)
        else:
            known[i] = need
    memo.chosen[key] = known, missing
    return known, missing


#: The most delivered to some consumers with unknown capacities read as a value, under a
#: memo's reading; and whether an unknown capacity is in the LP's region.
_Value = Callable[[Mapping[int, float], float, _Memo], tuple[float, bool]]


class _Span(NamedTuple):
    demand: float
    demand_min: float
    demand_max: float
    supply_least: float  # delivered in the highest-shortfall reading
    supply_most: float  # delivered in the lowest-shortfall reading


def _span(value: _Value, net: SupplyNetwork, names: frozenset[str], product: str,
          down: frozenset[int], memos: tuple[_Memo, _Memo, _Memo]) -> _Span:
    """Demand and deliveries of ``product`` at the midpoints and in the two extreme readings
    (module docstring); unknown capacities read as nil and as unlimited."""
    mid, low, high = memos
    consumers, _ = _consumers(net, names, product, down, mid)
    demand = sum(consumers.values())
    lo, unknown = value(consumers, 0.0, mid)
    # with no unknown capacity in the region the two readings are one LP
    hi = value(consumers, np.inf, mid)[0] if unknown else lo
    if low is mid and high is mid:
        return _Span(demand, demand, demand, lo, min(hi, demand))
    c_low, _ = _consumers(net, names, product, down, low)
    c_high, _ = _consumers(net, names, product, down, high)
    most = value(c_low, np.inf if unknown else 0.0, low)[0]
    least = value(c_high, 0.0, high)[0]
    d_min, d_max = sum(c_low.values()), sum(c_high.values())
    return _Span(demand, d_min, d_max, least, min(most, d_min))


def _r(value: float) -> float:
    return float(round(value, 3)) + 0.0  # no "-0.0"
