"""Mass shares: the share of an element leaving each facility that is of origin, solved
exactly over recycling loops, on the networkx graph or read from the compiled form (see
:mod:`oretrace.queries.content`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from oretrace.graphmodel import bill_of_materials, needed_inputs
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage
from oretrace.queries._compiled_graph import CompiledGraph
from oretrace.queries._compiled_shares import (
    at_most_one,
    mass_shares as compiled_mass_shares,
    solve_shares,
)
from oretrace.queries._content_table import _content_table, _is_opaque

__all__: list[str] = []

_EPS = 1e-12


class _Network:
    """The pieces of a time-sliced graph the two share computations read."""

    def __init__(self, V: nx.MultiDiGraph, origins: set[str]) -> None:
        self.V = V
        self.origins = origins
        self.content = _content_table(V)
        self.facilities = [n for n, k in V.nodes(data="kind") if k == NodeKind.FACILITY]
        self.products: dict[str, list[str]] = {
            f: [q for q in V.nodes[f].get("products", ()) if q in V] for f in self.facilities}
        self.needs = {f: sorted(needed_inputs(V, f)) for f in self.facilities}
        #: suppliers[f][p] = [(supplier, share)], shares > 0 only
        self.suppliers: dict[str, dict[str, list[tuple[str, float]]]] = {}
        for f in self.facilities:
            by_input: dict[str, list[tuple[str, float]]] = {}
            for u, _, d in V.in_edges(f, data=True):
                if (d.get("kind") == EdgeKind.SUPPLIES and d.get("product") in self.needs[f]
                        and float(d.get("share", 0.0)) > 0):
                    by_input.setdefault(d["product"], []).append((u, float(d["share"])))
            self.suppliers[f] = by_input
        self.boms = {q: bill_of_materials(V, q) for q in {q for qs in self.products.values()
                                                          for q in qs}}
        self._opaque: dict[str, bool] = {}

    def is_market(self, f: str) -> bool:
        return bool(self.V.nodes[f].get("stage") == Stage.MARKET)

    def intake(self, f: str, element: str) -> dict[str, float]:
        """Kilograms of ``element`` each needed input brings (per unit of each product).

        An *opaque* input (a concentrate that declares no element fractions) carries the
        element its buyer makes and its other inputs do not explain: the rest is shared
        among the opaque inputs by quantity; a market, or a plant making only opaque
        products (a cracking plant), passes it through. So the origin of an element
        survives the steps before its first declared fraction (the mined origin of the Nd
        in an oxide). :func:`oretrace.queries._compiled_shares.mass_shares` applies the same rule.
        """
        weights: dict[str, float] = {}
        opaque: dict[str, float] = {}
        for p in self.needs[f]:
            kg = self.content.get(p, {}).get(element, 0.0)
            qty = 1.0 if self.is_market(f) else sum(
                self.boms[q].get(p, 0.0) for q in self.products[f])
            if kg > 0 and qty * kg > 0:
                weights[p] = qty * kg
            elif kg <= 0 and qty > 0 and self.opaque(p):
                opaque[p] = qty
        if not opaque:
            return weights
        if self.is_market(f):
            return {**weights, **opaque}
        made = sum(self.content.get(q, {}).get(element, 0.0)
                   for q in self.products[f] if not self.opaque(q))
        rest = made - sum(weights.values())
        if rest > _EPS:
            total = sum(opaque.values())
            return {**weights, **{p: rest * q / total for p, q in opaque.items()}}
        if not weights and all(self.opaque(q) for q in self.products[f]):
            return dict(opaque)
        return weights

    def opaque(self, product: str) -> bool:
        """A product with no element fractions of its own nor from any input (a concentrate)."""
        return product in self.V and _is_opaque(self.V, product, self._opaque)


_Vector = np.ndarray[Any, np.dtype[np.float64]]


def _solve(n: int, rows: list[int], cols: list[int], vals: list[float], b: _Vector,
           what: str) -> _Vector:
    """Solve (I − A) x = b for sparse A; raise QueryError when a loop returns all it takes."""
    if n == 0:
        return np.zeros(0)
    A = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
    M = (sp.identity(n, format="csc") - A).tocsc()
    return solve_shares(M, b, what)


#: Per facility: (normalised share or ``None`` where untraced, low bound, high bound).
_Shares = Mapping[str, tuple[float | None, float, float]]


class _CompiledShares(Mapping[str, tuple[float | None, float, float]]):
    """The mass shares of :func:`oretrace.queries._compiled_shares.mass_shares`, read as
    :func:`_mass_shares`
    gives them (``nan`` → ``None``), by facility id."""

    def __init__(self, cg: CompiledGraph, est: _Vector, low: _Vector,
                 high: _Vector) -> None:
        self.index = cg.index
        self.est, self.low, self.high = est, low, high

    def __getitem__(self, facility: str) -> tuple[float | None, float, float]:
        i = self.index[facility]
        est = float(self.est[i])
        return (None if np.isnan(est) else est), float(self.low[i]), float(self.high[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def _mass_shares(net: _Network, element: str
                 ) -> dict[str, tuple[float | None, float, float]]:
    """Per facility: (normalised share, low bound, high bound) of ``element`` of origin."""
    fixed: dict[str, float] = {}
    intake = {f: net.intake(f, element) for f in net.facilities}
    for f in net.facilities:
        if f in net.origins:
            fixed[f] = 1.0
        elif not intake[f]:
            fixed[f] = 0.0  # the element enters the network here, not of origin
    traced = set(fixed)
    changed = True
    while changed:
        changed = False
        for f in net.facilities:
            if f in traced:
                continue
            if any(u in traced for p in intake[f] for u, _ in net.suppliers[f].get(p, [])):
                traced.add(f)
                changed = True
    unknown = [f for f in net.facilities if f in traced and f not in fixed]
    index = {f: i for i, f in enumerate(unknown)}
    n = len(unknown)
    systems: dict[str, tuple[list[int], list[int], list[float], _Vector]] = {
        name: ([], [], [], np.zeros(n)) for name in ("est", "low", "high")}

    def add(name: str, i: int, u: str, w: float, untraced_value: float) -> None:
        rows, cols, vals, b = systems[name]
        if u in fixed:
            b[i] += w * fixed[u]
        elif u in traced:
            rows.append(i)
            cols.append(index[u])
            vals.append(w)
        else:
            b[i] += w * untraced_value

    for f in unknown:
        i = index[f]
        weights = intake[f]
        total = sum(weights.values())
        known = {p: sum(s for u, s in net.suppliers[f].get(p, []) if u in traced)
                 for p in weights}
        known_total = sum(w for p, w in weights.items() if known[p] > _EPS)
        for p, w in weights.items():
            supplied = net.suppliers[f].get(p, [])
            for u, s in supplied:
                add("low", i, u, w / total * s, 0.0)
                add("high", i, u, w / total * s, 1.0)
                if u in traced and known[p] > _EPS:
                    add("est", i, u, w / known_total * s / known[p], 0.0)
            missing = max(0.0, 1.0 - sum(s for _, s in supplied))
            systems["high"][3][i] += w / total * missing
    solved = {name: at_most_one(_solve(n, r, c, v, b, f"origin share of {element}"))
              for name, (r, c, v, b) in systems.items()}
    out: dict[str, tuple[float | None, float, float]] = {}
    for f in net.facilities:
        if f in fixed:
            out[f] = (fixed[f], fixed[f], fixed[f])
        elif f in index:
            i = index[f]
            out[f] = (float(solved["est"][i]), float(solved["low"][i]),
                      float(solved["high"][i]))
        else:
            out[f] = (None, 0.0, 1.0)
    return out


def _compiled_mass_shares(cg: CompiledGraph, origins: set[str],
                          elements: Iterable[str]) -> dict[str, _Shares]:
    """:func:`_mass_shares` of each element, on the compiled form."""
    origin_mask = np.zeros(len(cg.facilities), dtype=bool)
    origin_mask[cg.facility_index(origins)] = True
    out: dict[str, _Shares] = {}
    for e in elements:
        est, low, high = compiled_mass_shares(cg, origin_mask, e, bounds=True)
        assert low is not None and high is not None
        out[e] = _CompiledShares(cg, est, low, high)
    return out
