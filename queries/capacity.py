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
``unknown_capacity`` names them. Consumers without a capacity add no demand and are listed
in the note; a product none of whose consumers has a capacity is reported as not computable.
Each figure carries the sources of the capacities it rests on: the consumers' (demand) and
those of the suppliers whose capacity binds the answer (non-zero shadow price).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
from oretrace.graphmodel import weakest
from oretrace.graphmodel.vocab import EdgeKind, Stage
from oretrace.queries.feasibility import SupplyNetwork, scenario_network, supplied_mask
from pydantic import BaseModel
from scipy.optimize import linprog
from scipy.sparse import coo_array

__all__ = [
    "Shortfall",
    "build_rate",
    "find_shortfall",
    "flow_capacity",
    "unit_conversion",
]

_MASS = {"t": 1.0, "tonne": 1.0, "tonnes": 1.0, "tpa": 1.0, "mt": 1.0, "kt": 1000.0,
         "ktpa": 1000.0, "kg": 0.001}


def flow_capacity(attrs: Mapping[str, Any], product_unit: str | None) -> float | None:
    """Return a facility's capacity in flow units of a product, or ``None`` if unknown.

    Flow units are t/yr for products counted in kg and units/yr for products counted each.

    Examples
    --------
    >>> flow_capacity({"capacity": 10.5, "capacity_unit": "kt REO/yr"}, "kg")
    10500.0
    >>> flow_capacity({"capacity": 156, "capacity_unit": "aircraft/yr"}, "each")
    156.0
    >>> flow_capacity({"capacity": 156, "capacity_unit": "t/yr"}, "each") is None
    True
    """
    cap = attrs.get("capacity")
    if cap is None:
        return None
    unit = str(attrs.get("capacity_unit") or "").strip().lower()
    token = re.split(r"[\s/]+", unit)[0] if unit else ""
    if (product_unit or "kg") == "kg":
        if not token:
            return float(cap)
        factor = _MASS.get(token)
        return None if factor is None else float(cap) * factor
    return None if token in _MASS else float(cap)


def unit_conversion(output_unit: str | None, input_unit: str | None) -> float:
    """Flow units of input per flow unit of output, per bill-of-materials unit of ``qty``.

    ``qty`` is kg per kg or count per unit; flows are tonnes for kg products and units for
    counted ones, so kg of input per counted unit of output is 1/1000 t per unit.
    """
    out_kg = (output_unit or "kg") == "kg"
    in_kg = (input_unit or "kg") == "kg"
    if out_kg == in_kg:
        return 1.0
    return 0.001 if in_kg else 1000.0


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
    consumers: list[str]
    rests_on: list[str]
    unknown_capacity: list[str]
    sources: list[str]
    confidence: str
    note: str


# --------------------------------------------------------------------------- the LP


def _product_unit(G: nx.MultiDiGraph, product: str) -> str:
    return str(G.nodes[product].get("unit") or "kg") if product in G else "kg"


def _lines(G: nx.MultiDiGraph,
           product: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Bill of materials of ``product``: ``{input: qty}`` and ``{input: {substitute: qty}}``."""
    base: dict[str, float] = {}
    subs: dict[str, dict[str, float]] = {}
    if product not in G:
        return base, subs
    for _, inp, d in G.out_edges(product, data=True):
        if d.get("kind") != EdgeKind.REQUIRES:
            continue
        target = d.get("substitute_for")
        if target is None:
            base[inp] = base.get(inp, 0.0) + float(d["qty"])
        else:
            subs.setdefault(target, {})[inp] = float(d["qty"])
    return base, subs


class _Memo:
    """What one :func:`find_shortfall` call looks up again and again, computed once.

    Bill-of-materials lines and units per (graph, product), each consumer's need at full
    capacity, the consumers of each product in each network (in name order), and the LP
    answers per (network, product, consumers, reading of unknown capacities): the chains of
    all platforms and of each platform share most of their products and consumers.
    """

    def __init__(self) -> None:
        self._lines: dict[tuple[int, str], tuple[dict[str, float],
                                                 dict[str, dict[str, float]]]] = {}
        self._units: dict[tuple[int, str], str] = {}
        self._needs: dict[tuple[int, str, str], float | None] = {}
        self._consumers: dict[int, dict[str, list[tuple[str, int]]]] = {}
        self.solved: dict[tuple[Any, ...], tuple[float, list[str], list[str]]] = {}

    def lines(self, G: nx.MultiDiGraph,
              product: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        key = (id(G), product)
        if key not in self._lines:
            self._lines[key] = _lines(G, product)
        return self._lines[key]

    def unit(self, G: nx.MultiDiGraph, product: str) -> str:
        key = (id(G), product)
        if key not in self._units:
            self._units[key] = _product_unit(G, product)
        return self._units[key]

    def need_at_capacity(self, G: nx.MultiDiGraph, facility: str, product: str) -> float | None:
        key = (id(G), facility, product)
        if key not in self._needs:
            self._needs[key] = _needs_at_capacity(G, facility, product, self)
        return self._needs[key]

    def consumers_of(self, net: SupplyNetwork, product: str) -> list[tuple[str, int]]:
        """``(name, index)`` of the facilities (markets aside) that need ``product``, by name;
        one pass over the network's needs, the first time a network is asked."""
        table = self._consumers.get(id(net))
        if table is None:
            table = {}
            view = net.view
            for i, f in enumerate(net.facilities):
                if view.nodes[f].get("stage") == Stage.MARKET:
                    continue
                for p in {need.product for need in net.needs[i]}:
                    table.setdefault(p, []).append((f, i))
            for members in table.values():
                members.sort()
            self._consumers[id(net)] = table
        return table.get(product, [])


class _Model:
    """The supply side of one LP: facilities, links and constraints as sparse rows."""

    def __init__(self) -> None:
        self.cols: list[tuple[str, Any]] = []
        self.ub: list[float] = []
        self.rows: list[int] = []
        self.colidx: list[int] = []
        self.vals: list[float] = []
        self.nrow = 0
        self.rhs: dict[int, float] = {}
        self.cap_cols: dict[int, str] = {}

    def var(self, tag: tuple[str, Any], ub: float = np.inf) -> int:
        self.cols.append(tag)
        self.ub.append(ub)
        return len(self.cols) - 1

    def row(self, terms: Iterable[tuple[int, float]], rhs: float = 0.0) -> int:
        """Add ``Σ coef·var ≤ rhs``."""
        r = self.nrow
        self.rhs[r] = rhs
        for col, coef in terms:
            self.rows.append(r)
            self.colidx.append(col)
            self.vals.append(coef)
        self.nrow += 1
        return r


def _solve(G: nx.MultiDiGraph, net: SupplyNetwork, ok: Sequence[bool], product: str,
           consumers: Mapping[int, float], unknown_as: float,
           substitutions: bool, memo: _Memo) -> tuple[float, list[str], list[str]]:
    """Max deliverable of ``product`` to ``consumers`` (index → need); returns
    (supply, binding capacity facilities, unknown-capacity facilities in the region).
    Solved once per network, product, consumers and ``unknown_as`` (``memo``)."""
    key = (id(net), id(ok), product, tuple(sorted(consumers.items())), unknown_as,
           substitutions)
    if key not in memo.solved:
        memo.solved[key] = _solve_lp(net, ok, product, consumers, unknown_as, substitutions,
                                     memo)
    return memo.solved[key]


def _solve_lp(net: SupplyNetwork, ok: Sequence[bool], product: str,
              consumers: Mapping[int, float], unknown_as: float,
              substitutions: bool, memo: _Memo) -> tuple[float, list[str], list[str]]:
    view = net.view
    # region: supplied facilities upstream of the consumers (consumers are sinks only)
    region: set[int] = set()
    stack = [u for f in consumers for need in net.needs[f] for u, _ in need.suppliers
             if ok[u] and u not in consumers]
    while stack:
        i = stack.pop()
        if i in region:
            continue
        region.add(i)
        stack.extend(u for need in net.needs[i] for u, _ in need.suppliers
                     if ok[u] and u not in region and u not in consumers)
    m = _Model()
    x: dict[tuple[int, str], int] = {}
    unknown: list[str] = []
    for i in sorted(region):
        f = net.facilities[i]
        attrs = view.nodes[f]
        market = attrs.get("stage") == Stage.MARKET
        for r in attrs.get("products", ()):
            cap = flow_capacity(attrs, memo.unit(view, r))
            if cap is None and not market:
                cap = unknown_as
                if f not in unknown:
                    unknown.append(f)
            col = m.var(("x", (i, r)), np.inf if cap is None else cap)
            if cap is not None and np.isfinite(cap):
                m.cap_cols[col] = f
            x[(i, r)] = col
    # links: supplier in region, buyer in region or a consumer
    inflow: dict[tuple[int, str], list[int]] = {}
    outflow: dict[tuple[int, str], list[int]] = {}
    seen: set[tuple[int, int, str]] = set()
    for i in sorted(region | set(consumers)):
        for need in net.needs[i]:
            for u, carried in need.suppliers:
                if u in region and (u, carried) in x and (u, i, carried) not in seen:
                    seen.add((u, i, carried))
                    col = m.var(("y", (u, i, carried)))
                    inflow.setdefault((i, carried), []).append(col)
                    outflow.setdefault((u, carried), []).append(col)
    for (u, r), cols in outflow.items():
        m.row([(c, 1.0) for c in cols] + [(x[(u, r)], -1.0)])
    # production needs inputs (Leontief); markets pass through
    for i in sorted(region):
        f = net.facilities[i]
        attrs = view.nodes[f]
        made = set(attrs.get("products", ()))
        uses: dict[str, list[tuple[int, float]]] = {}
        if attrs.get("stage") == Stage.MARKET:
            for r in made:
                m.row([(x[(i, r)], 1.0)] + [(c, -1.0) for c in inflow.get((i, r), [])])
            continue
        for P in made:
            base, subs = memo.lines(view, P)
            for X, qx in base.items():
                if X in made:
                    continue
                options = {X: qx}
                if substitutions:
                    options.update({a: q for a, q in subs.get(X, {}).items() if a not in made})
                terms = [(x[(i, P)], 1.0)]
                for a, qa in options.items():
                    w = m.var(("w", (i, P, X, a)))
                    k = qa * unit_conversion(memo.unit(view, P), memo.unit(view, a))
                    terms.append((w, -1.0 / k))
                    uses.setdefault(a, []).append((w, 1.0))
                m.row(terms)
        for a, ws in uses.items():
            m.row(ws + [(c, -1.0) for c in inflow.get((i, a), [])])
    # sinks: each consumer takes at most its need (substitutes by their bom ratio)
    objective: dict[int, float] = {}
    for sink, amount in consumers.items():
        ratios = _sink_ratios(view, net.facilities[sink], product, substitutions, memo)
        terms = []
        for a, ratio in ratios.items():
            for col in inflow.get((sink, a), []):
                terms.append((col, ratio))
                objective[col] = objective.get(col, 0.0) - ratio
        if terms:
            m.row(terms, amount)
    n = len(m.cols)
    if not objective:
        return 0.0, [], sorted(unknown)
    cost = np.zeros(n)
    for col, coef in objective.items():
        cost[col] = coef
    A = coo_array((m.vals, (m.rows, m.colidx)), shape=(m.nrow, n)).tocsr()
    b = np.array([m.rhs[r] for r in range(m.nrow)])
    res = linprog(cost, A_ub=A, b_ub=b, bounds=[(0.0, ub) for ub in m.ub], method="highs")
    if res.status != 0:  # pragma: no cover - the LP is bounded and feasible (0 is feasible)
        raise RuntimeError(f"shortfall LP failed: {res.message}")
    binding = sorted({f for col, f in m.cap_cols.items()
                      if abs(float(res.upper.marginals[col])) > 1e-9})
    return float(-res.fun), binding, sorted(unknown)


def _sink_ratios(G: nx.MultiDiGraph, facility: str, product: str,
                 substitutions: bool, memo: _Memo) -> dict[str, float]:
    """``{input: units of product it stands for}`` at a consumer: 1 for the product itself."""
    ratios = {product: 1.0}
    if not substitutions:
        return ratios
    for P in G.nodes[facility].get("products", ()):
        base, subs = memo.lines(G, P)
        if product in base:
            for a, qa in subs.get(product, {}).items():
                ratios.setdefault(a, base[product] / qa)
    return ratios


def _needs_at_capacity(G: nx.MultiDiGraph, facility: str, product: str,
                       memo: _Memo) -> float | None:
    """The consumer's need of ``product`` at full capacity (flow units), ``None`` if unknown."""
    attrs = G.nodes[facility]
    total = 0.0
    for P in attrs.get("products", ()):
        base, _ = memo.lines(G, P)
        if product not in base:
            continue
        cap = flow_capacity(attrs, memo.unit(G, P))
        if cap is None:
            return None
        total += base[product] * unit_conversion(memo.unit(G, P), memo.unit(G, product)) * cap
    return total


def _chain(net: SupplyNetwork, assemblies: Iterable[int]) -> set[int]:
    """Every facility upstream of (or among) ``assemblies``, whatever is supplied."""
    seen: set[int] = set()
    stack = list(assemblies)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(u for need in net.needs[i] for u, _ in need.suppliers if u not in seen)
    return seen


def _scope_products(net: SupplyNetwork, chain: set[int]) -> list[str]:
    view = net.view
    out = {need.product for i in chain for need in net.needs[i]
           if view.nodes[net.facilities[i]].get("stage") != Stage.MARKET}
    return sorted(p for p in out if view.nodes.get(p, {}).get("category") != "platform")


def find_shortfall(
    G: nx.MultiDiGraph,
    *,
    fail: Iterable[str] = (),
    as_of: str | dt.date | None = None,
    policy: Any = None,
    substitutions: bool = False,
    platforms: Iterable[str] | None = None,
    per_platform: bool = True,
) -> list[Shortfall]:
    """Return the shortfall of each product, in the chains of all platforms together and
    (with ``per_platform``) of each platform, after the scenario (see the module docstring).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> rows = find_shortfall(load_dataset(), fail=["country:CN"], as_of="2026-11-24",
    ...                       per_platform=False)
    >>> all(r.platform is None for r in rows)
    True
    """
    net, failed, _ = scenario_network(G, fail=fail, as_of=as_of, policy=policy,
                                      substitutions=substitutions)
    base, base_failed, _ = scenario_network(G, as_of=as_of, substitutions=substitutions)
    ok, base_ok = supplied_mask(net, failed), supplied_mask(base, base_failed)
    chosen = sorted(net.assemblies) if platforms is None else list(platforms)
    scopes: list[tuple[str | None, list[str]]] = [(None, chosen)]
    if per_platform:
        scopes += [(p, [p]) for p in chosen]
    rows: list[Shortfall] = []
    memo = _Memo()
    down = frozenset(failed)
    for platform, plats in scopes:
        chain = _chain(base, [i for p in plats for i in base.assemblies.get(p, ())])
        names = {base.facilities[i] for i in chain}
        for product in _scope_products(base, chain):
            rows.append(_row(G, net, ok, base, base_ok, down, names, product, platform,
                             substitutions, memo))
    return rows


def _consumers(net: SupplyNetwork, names: set[str], product: str,
               down: frozenset[int], memo: _Memo) -> tuple[dict[int, float], list[str]]:
    """Consumers of ``product`` among ``names`` not in ``down``, with their need at full
    capacity, and those whose capacity is unknown (by name)."""
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
    return known, missing


def _row(G: nx.MultiDiGraph, net: SupplyNetwork, ok: Sequence[bool], base: SupplyNetwork,
         base_ok: Sequence[bool], down: frozenset[int], names: set[str], product: str,
         platform: str | None, substitutions: bool, memo: _Memo) -> Shortfall:
    unit = "units/yr" if _product_unit(G, product) == "each" else "t/yr"
    consumers, missing = _consumers(net, names, product, down, memo)
    base_consumers, _ = _consumers(base, names, product, frozenset(), memo)
    if not consumers:
        why = (f"no consumer of {product} in the chain has a known capacity "
               f"({', '.join(missing)})" if missing else
               f"no consumer of {product} in the chain is left in the scenario")
        return Shortfall(product=product, platform=platform, unit=unit, computable=False,
                         demand=None, supply_min=None, supply_max=None, shortfall_min=None,
                         shortfall_max=None, baseline_shortfall_min=None,
                         baseline_shortfall_max=None, consumers=[], rests_on=[],
                         unknown_capacity=[], sources=[], confidence="illustrative",
                         note=why)
    demand = sum(consumers.values())
    lo, binding, unknown = _solve(G, net, ok, product, consumers, 0.0, substitutions, memo)
    # with no unknown capacity in the region the two readings are one LP
    hi = _solve(G, net, ok, product, consumers, np.inf, substitutions, memo)[0] \
        if unknown else lo
    b_lo, _, b_unknown = _solve(G, base, base_ok, product, base_consumers, 0.0,
                                substitutions, memo)
    b_hi = _solve(G, base, base_ok, product, base_consumers, np.inf, substitutions,
                  memo)[0] if b_unknown else b_lo
    b_demand = sum(base_consumers.values())
    cons = [net.facilities[i] for i in sorted(consumers)]
    rests = sorted(set(cons) | set(binding))
    sources = sorted({s for f in rests for s in G.nodes[f].get("sources", [])})
    note = []
    if missing:
        note.append(f"consumers without a capacity add no demand: {', '.join(missing)}")
    if unknown and abs(hi - lo) > 1e-6:
        note.append(f"unknown capacity at {', '.join(unknown)} gives the range")
    return Shortfall(
        product=product, platform=platform, unit=unit, computable=True,
        demand=_r(demand), supply_min=_r(max(0.0, lo)), supply_max=_r(max(0.0, min(hi, demand))),
        shortfall_min=_r(max(0.0, demand - hi)), shortfall_max=_r(max(0.0, demand - lo)),
        baseline_shortfall_min=_r(max(0.0, b_demand - b_hi)),
        baseline_shortfall_max=_r(max(0.0, b_demand - b_lo)),
        consumers=cons, rests_on=rests,
        unknown_capacity=unknown if abs(hi - lo) > 1e-6 else [],
        sources=sources,
        confidence=weakest([G.nodes[f].get("confidence", "documented") for f in rests]).value,
        note="; ".join(note))


def _r(value: float) -> float:
    return float(round(value, 3)) + 0.0  # no "-0.0"
