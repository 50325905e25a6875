"""Ranged figures as intervals and as distributions: exact bounds, sampling, overlays.

A dataset cell written ``lo..hi`` keeps its midpoint in the field and its ends beside it
(:mod:`oretrace.graphmodel.ranges`). A **figure** is one such cell: a product's
``unit_price_usd``, a bill-of-materials line's ``qty``, a facility's ``capacity``, a supply
link's ``share`` or an ownership ``share``, named by a key ``("node", id, field)`` or
``("edge", u, v, key, field)``.

**Value-share interval** (:func:`value_share_bounds`, read by
:func:`oretrace.queries.content.origin_share`). The origin value per unit solves
``x = b + A x`` over (facility, product) keys: ``b`` holds origin items' prices, ``A`` the
weights ``qty × share / Σ shares of the group`` (DESIGN §3). The share is
``x(target) / price(target)``. Every entry of ``b`` and ``A`` is non-negative, so ``x`` rises
with every price and every quantity (``(I − A)⁻¹ = Σ Aᵏ`` rises with ``A``); the target's
own price ``P`` enters as ``a + X / P`` with ``X`` free of ``P``, so the share falls with it.
A supply share enters only its buyer's weighted mean ``Σ sᵤ xᵤ / Σ sᵤ`` of its suppliers'
values, which rises with every ``xᵤ``: the highest mean over the box of shares is at a
vertex where the suppliers of highest value take their high end and the others their low
end (a linear-fractional function over a box; the best threshold is found by trying each).
So the maximum sets prices and quantities high, the target's price low, and each group's
shares by that threshold given its suppliers' maxima, computed upstream first (one sweep
in topological order; with recycling loops, sweeps repeated to the fixed point); the
minimum mirrors it. Both are exact: every figure takes one value in each. A by-product
valued through its maker's mass share (scrap) is read at the midpoints.

**Mass-share interval** (:func:`mass_share_bounds`). ``share_low`` counts untraced supply as
not of origin and ``share_high`` as of origin (:mod:`oretrace.queries.content`). Here a supply
share is a fraction of the buyer's need, so the shares of one input add up to at most 1:
over ``{lo ≤ s ≤ hi, Σ s ≤ 1}``, ``low = Σ sᵤ xᵤ`` rises with each ``sᵤ`` (``xᵤ ≥ 0``) and
``high = Σ sᵤ xᵤ + (1 − Σ sᵤ)`` has slope ``xᵤ − 1 ≤ 0``, so both extremes take every share
at its low end, upstream bounds feeding downstream ones with non-negative weights; and the
normalised share ``Σ sᵤ xᵤ / Σ sᵤ`` lies between them at every such point. Quantities weigh
the inputs of each facility and the elements of the product (a ratio of two functions
affine in each quantity, so monotone in each), so the extremes are at a vertex of the ranged
lines holding the elements: all vertices are tried (at most ``2**MAX_VERTICES``; beyond,
the bounds are read at the all-low and all-high vertices and a note says they are not
exact). (The value share reads shares as weights, normalised: the box, without ``Σ ≤ 1``.)

**Sampling** (:func:`sample_content`, :func:`sample_shortfall`): each figure is drawn
uniformly within its range (the data gives no other distribution), from a stream seeded by
``seed`` and the figure's key: the same seed draws the same values of a figure in every
query and scenario (common random numbers). The value share is compiled once and evaluated
on all draws with numpy; the mass share and shortfalls re-read an overlay per draw.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset()
>>> [f.label for f in ranged_figures(G) if f.key[1] == "dy-oxide"]
['dy-oxide.unit_price_usd']
>>> lo, hi = value_share_bounds(G, "F-35", as_of="2026-06-01")
>>> lo < origin_share(G, "F-35", by="value", as_of="2026-06-01").share < hi
True
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import networkx as nx
import numpy as np
from oretrace.graphmodel import QueryError, parse_date, restrict
from oretrace.graphmodel.ranges import RANGED_FIELDS, range_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries.content import (
    RARE_EARTHS,
    _mass_shares,
    _Network,
    _value_system,
    _ValueSystem,
    origin_facilities,
    origin_share,
)
from oretrace.queries.exposure import makers, resolve_products
from oretrace.queries.predicates import Predicate
from pydantic import BaseModel

__all__ = [
    "MAX_VERTICES",
    "Distribution",
    "Figure",
    "FigureKey",
    "ContentIntervals",
    "MassBounds",
    "Test",
    "ValueModel",
    "content_intervals",
    "distribution",
    "draw",
    "has_ranges",
    "mass_share_bounds",
    "ranged_figures",
    "SampledContent",
    "SampledShortfall",
    "sample_content",
    "sample_shortfall",
    "shortfall_figures",
    "threshold_test",
    "value_model",
    "value_share_bounds",
    "with_figures",
]

#: A threshold test's answer (DESIGN §7).
Test = Literal["crosses", "clear", "undecided"]

#: ``("node", id, field)`` or ``("edge", u, v, key, field)``.
FigureKey = tuple[str, ...]
_Array = np.ndarray[Any, np.dtype[np.float64]]

#: Ranged quantity lines beyond which the mass-share bounds are not searched exhaustively.
MAX_VERTICES = 10

_EDGE_FIELDS = {EdgeKind.REQUIRES: "qty", EdgeKind.SUPPLIES: "share", EdgeKind.OWNS: "share"}


class Figure(BaseModel):
    """One ranged figure of the data: its key, a readable label, its ends and midpoint."""

    key: FigureKey
    label: str
    low: float
    mid: float
    high: float
    confidence: str | None


def _label(key: FigureKey, G: nx.MultiDiGraph) -> str:
    if key[0] == "node":
        return f"{key[1]}.{key[2]}"
    u, v, k, name = key[1:]
    d = G.edges[u, v, k]
    what = f":{d['product']}" if d.get("product") else ""
    arrow = ">" if d.get("kind") != EdgeKind.REQUIRES else "<-"
    if arrow == "<-":
        return f"{u}<-{v}.{name}"
    return f"{u}>{v}{what}.{name}"


def _figure(G: nx.MultiDiGraph, key: FigureKey) -> Figure | None:
    attrs = G.nodes[key[1]] if key[0] == "node" else G.edges[key[1], key[2], key[3]]
    ends = range_of(attrs, key[-1])
    if ends is None:
        return None
    return Figure(key=key, label=_label(key, G), low=ends[0], mid=float(attrs[key[-1]]),
                  high=ends[1], confidence=attrs.get("confidence"))


def ranged_figures(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None) -> list[Figure]:
    """Return every ranged figure of ``G`` (of the network as of ``as_of``, if given).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> len(ranged_figures(load_dataset(MINI)))
    0
    """
    V = G if as_of is None else restrict(G, as_of=parse_date(as_of))
    fields = {NodeKind.PRODUCT: RANGED_FIELDS["Product"],
              NodeKind.FACILITY: RANGED_FIELDS["Facility"]}
    keys: list[FigureKey] = [("node", n, f) for n, kind in V.nodes(data="kind")
                             for f in fields.get(kind, ())]
    keys += [("edge", u, v, k, _EDGE_FIELDS[d["kind"]])
             for u, v, k, d in V.edges(keys=True, data=True) if d.get("kind") in _EDGE_FIELDS]
    return [f for key in keys if (f := _figure(V, key)) is not None]


_NODE_ENDS = tuple(f"{f}_lo" for f in RANGED_FIELDS["Product"] + RANGED_FIELDS["Facility"])
_EDGE_ENDS = tuple(f"{f}_lo" for f in {*RANGED_FIELDS["BomLine"], *RANGED_FIELDS["Supply"],
                                      *RANGED_FIELDS["Ownership"]})


def has_ranges(G: nx.MultiDiGraph) -> bool:
    """Whether any figure of ``G`` is ranged (one pass over its attributes).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> has_ranges(load_dataset(MINI)), has_ranges(load_dataset())
    (False, True)
    """
    return any(k in d for _, d in G.nodes(data=True) for k in _NODE_ENDS) or any(
        k in d for _, _, d in G.edges(data=True) for k in _EDGE_ENDS)


def with_figures(G: nx.MultiDiGraph, values: Mapping[FigureKey, float]) -> nx.MultiDiGraph:
    """Return a copy of ``G`` with each figure in ``values`` set (``G`` is not changed).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> H = with_figures(G, {("node", "magnet", "unit_price_usd"): 80.0})
    >>> H.nodes["magnet"]["unit_price_usd"], G.nodes["magnet"]["unit_price_usd"]
    (80.0, 100.0)
    """
    H = G.copy()
    for key, value in values.items():
        attrs = H.nodes[key[1]] if key[0] == "node" else H.edges[key[1], key[2], key[3]]
        attrs[key[-1]] = float(value)
    return H


def draw(figures: Sequence[Figure], samples: int, seed: int) -> _Array:
    """Draw ``samples`` values of each figure, uniform within its range: one column each.

    A figure's column depends only on ``seed`` and its key, never on the other figures
    drawn (common random numbers across queries and scenarios).

    Examples
    --------
    >>> f = Figure(key=("node", "x", "unit_price_usd"), label="x", low=1, mid=2, high=3,
    ...            confidence=None)
    >>> a, b = draw([f], 4, seed=7), draw([f, f.model_copy(update={"key": ("node", "y", "p")})],
    ...                                   4, seed=7)
    >>> bool((a[:, 0] == b[:, 0]).all()) and bool(((a >= 1) & (a <= 3)).all())
    True
    """
    if samples < 1:
        raise QueryError(f"samples must be at least 1, not {samples}")
    out = np.empty((samples, len(figures)))
    for k, f in enumerate(figures):
        stream = zlib.crc32("\x1f".join(f.key).encode())
        out[:, k] = np.random.default_rng([seed, stream]).uniform(f.low, f.high, samples)
    return out


# --------------------------------------------------------------------------- value model

#: a weight's part: ("const", value) or ("fig", column)
_Spec = tuple[str, float]


class ValueModel:
    """The origin value share of one product, compiled from :func:`_value_system` with each
    ranged figure a column: evaluate it on many draws at once (:meth:`evaluate`), or bound
    it exactly (:meth:`bounds`; the module docstring gives the argument)."""

    def __init__(self, V: nx.MultiDiGraph, system: _ValueSystem, producers: list[str],
                 target: str) -> None:
        self.figures: list[Figure] = []
        self._columns: dict[FigureKey, int] = {}
        live = set(system.order)
        index = {key: i for i, key in enumerate(system.keys)}
        wanted = [index[(f, target)] for f in producers if (f, target) in index]
        self.wanted = [i for i in wanted if i in live]
        self.n_producers = len(producers)
        self.price = self._spec(V, ("node", target, "unit_price_usd"))
        dag = nx.DiGraph()
        dag.add_nodes_from(system.order)
        self.b: dict[int, _Spec] = {}
        self.terms: dict[int, list[tuple[int, _Spec, tuple[str, str] | None]]] = {}
        self.groups: dict[tuple[str, str], list[tuple[int, _Spec]]] = {}
        for i in system.order:
            q = system.priced.get(i)
            self.b[i] = (self._spec(V, ("node", q, "unit_price_usd")) if q is not None
                         else ("const", float(system.b[i])))
            row = []
            for t in system.terms.get(i, []):
                qty = ("const", t.qty)
                if t.line is not None:
                    qty = self._line(V, t.line, t.qty)
                if t.group is not None and t.group not in self.groups:
                    self.groups[t.group] = [
                        (s.key, self._share(V, s.supplier, t.group, s.share))
                        for s in system.terms[i] if s.group == t.group and s.supplier]
                if t.key in live:
                    row.append((t.key, qty, t.group))
                    dag.add_edge(t.key, i)
            self.terms[i] = row
        self.cyclic = not nx.is_directed_acyclic_graph(dag)
        self.order = (list(nx.topological_sort(dag)) if not self.cyclic else
                      [i for c in nx.topological_sort(nx.condensation(dag)) for i in
                       sorted(nx.condensation(dag).nodes[c]["members"])])

    def _spec(self, V: nx.MultiDiGraph, key: FigureKey, value: float | None = None) -> _Spec:
        """A column for ``key`` if it is ranged, else its value (``value`` or the field's)."""
        f = _figure(V, key)
        if f is None:
            if value is None:
                got = V.nodes[key[1]].get(key[2])
                value = float("nan") if got is None else float(got)
            return ("const", value)
        if key not in self._columns:
            self._columns[key] = len(self.figures)
            self.figures.append(f)
        return ("fig", float(self._columns[key]))

    def _line(self, V: nx.MultiDiGraph, line: tuple[str, str], qty: float) -> _Spec:
        edges = [k for _, w, k, d in V.out_edges(line[0], keys=True, data=True)
                 if w == line[1] and d.get("kind") == EdgeKind.REQUIRES
                 and d.get("substitute_for") is None]
        if len(edges) != 1:  # several lines for one input: their sum, read as a point
            return ("const", qty)
        return self._spec(V, ("edge", line[0], line[1], edges[0], "qty"), qty)

    def _share(self, V: nx.MultiDiGraph, u: str, group: tuple[str, str], s: float) -> _Spec:
        f, p = group
        edges = [k for _, w, k, d in V.out_edges(u, keys=True, data=True)
                 if w == f and d.get("kind") == EdgeKind.SUPPLIES and d.get("product") == p]
        if len(edges) != 1:
            return ("const", s)
        return self._spec(V, ("edge", u, f, edges[0], "share"), s)

    def midpoints(self) -> _Array:
        """One row: every figure at its midpoint (the point answer)."""
        return np.array([[f.mid for f in self.figures]])

    def evaluate(self, theta: _Array) -> _Array:
        """The value share for each row of ``theta`` (one column per figure)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))

        def v(spec: _Spec) -> Any:
            return theta[:, int(spec[1])] if spec[0] == "fig" else spec[1]

        shares: dict[tuple[tuple[str, str], int], Any] = {}
        for g, members in self.groups.items():
            total = sum((v(s) for _, s in members), np.zeros(theta.shape[0]))
            nil = total <= 0  # every share at 0 (an end, never a draw): split evenly
            for j, s in members:
                shares[(g, j)] = np.where(nil, 1.0 / len(members),
                                          v(s) / np.where(nil, 1.0, total))
        x: dict[int, Any] = {}
        for _ in range(10_000 if self.cyclic else 1):
            change = 0.0
            for i in self.order:
                new = v(self.b[i]) + sum(
                    (v(qty) * (1.0 if g is None else shares[(g, j)]) * x.get(j, 0.0)
                     for j, qty, g in self.terms[i]), 0.0)
                change = max(change, float(np.max(np.abs(new - x.get(i, 0.0)))))
                x[i] = new
            if change <= 1e-12:
                break
        value = sum((x[i] for i in self.wanted), np.zeros(theta.shape[0])) / self.n_producers
        out: _Array = np.asarray(value / v(self.price), dtype=float)
        return out

    def bounds(self) -> tuple[float, float]:
        """The exact (low, high) of the value share over the box of every figure's range."""
        return self._extreme(-1), self._extreme(+1)

    def _extreme(self, sign: int) -> float:
        end = {+1: "high", -1: "low"}
        point = [getattr(f, end[sign]) for f in self.figures]
        if self.price[0] == "fig":  # the share falls with the product's own price
            point[int(self.price[1])] = getattr(self.figures[int(self.price[1])],
                                                end[-sign])
        row = np.array([point])
        x: dict[int, float] = {}
        for _ in range(10_000 if self.cyclic else 1):
            change = 0.0
            chosen: dict[tuple[str, str], dict[int, float]] = {}
            for i in self.order:
                total = float(self._b(i, row))
                for j, qty, g in self.terms[i]:
                    weight = 1.0
                    if g is not None:
                        if g not in chosen:
                            chosen[g] = self._choose(g, x, sign)
                        weight = chosen[g][j]
                    total += float(self._v(qty, row)) * weight * x.get(j, 0.0)
                change = max(change, abs(total - x.get(i, 0.0)))
                x[i] = total
            if change <= 1e-12:
                break
        value = sum(x[i] for i in self.wanted) / self.n_producers
        return float(value / float(self._v(self.price, row)))

    def _b(self, i: int, row: _Array) -> float:
        return float(self._v(self.b[i], row))

    @staticmethod
    def _v(spec: _Spec, row: _Array) -> float:
        return float(row[0, int(spec[1])]) if spec[0] == "fig" else spec[1]

    def _choose(self, g: tuple[str, str], x: Mapping[int, float], sign: int
                ) -> dict[int, float]:
        """Normalised shares of group ``g`` making its weighted mean of ``x`` highest
        (``sign`` +1) or lowest (−1): a threshold vertex, each threshold tried."""
        members = [(j, self._end(s, -1), self._end(s, +1), sign * x.get(j, 0.0))
                   for j, s in self.groups[g]]
        members.sort(key=lambda m: -m[3])
        best: tuple[float, list[float]] | None = None
        for k in range(len(members) + 1):
            s = [hi if n < k else lo for n, (_, lo, hi, _) in enumerate(members)]
            total = sum(s)
            if total <= 0:
                continue
            mean = sum(w * m[3] for w, m in zip(s, members, strict=True)) / total
            if best is None or mean > best[0] + 1e-15:
                best = (mean, s)
        assert best is not None  # a group has a supplier with a positive share
        total = sum(best[1])
        return {m[0]: w / total for w, m in zip(best[1], members, strict=True)}

    def _end(self, spec: _Spec, sign: int) -> float:
        if spec[0] == "const":
            return spec[1]
        f = self.figures[int(spec[1])]
        return f.high if sign > 0 else f.low


def _resolve(G: nx.MultiDiGraph, product: str, origin: str | Predicate,
             as_of: str | dt.date | None, stages: Iterable[str] | None
             ) -> tuple[nx.MultiDiGraph, str, list[str], set[str]]:
    day = parse_date(as_of)
    (target,) = resolve_products(G, [product])
    V = restrict(G, as_of=day)
    producers = makers(V, target)
    if not producers:
        raise QueryError(f"no facility makes {target!r} as of {day}")
    return V, target, producers, origin_facilities(V, origin, stages=stages)


def value_model(G: nx.MultiDiGraph, product: str, *, origin: str | Predicate = "CN",
                element: str | Iterable[str] | None = None,
                as_of: str | dt.date | None = None, stages: Iterable[str] | None = None,
                categories: Iterable[str] | None = None) -> ValueModel:
    """Compile the origin value share of ``product`` (as :func:`origin_share` reads it).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> m = value_model(load_dataset(), "F-35", as_of="2026-06-01")
    >>> len(m.figures) > 0, m.evaluate(m.midpoints()).shape
    (True, (1,))
    """
    V, target, producers, origins = _resolve(G, product, origin, as_of, stages)
    return _compile(V, _Network(V, origins), target, producers, element,
                    None if categories is None else frozenset(categories))


def _compile(V: nx.MultiDiGraph, net: _Network, target: str, producers: list[str],
             element: str | Iterable[str] | None, kinds: frozenset[str] | None) -> ValueModel:
    held = net.content.get(target, {})
    chosen = (sorted(e for e, kg in held.items() if e in RARE_EARTHS and kg > 0)
              if element is None else sorted({element} if isinstance(element, str)
                                             else set(element)))
    mass = {e: _mass_shares(net, e) for e in chosen}
    system = _value_system(net, frozenset(chosen), kinds, mass, set(),
                           [(f, target) for f in producers])
    return ValueModel(V, system, producers, target)


def value_share_bounds(G: nx.MultiDiGraph, product: str, **options: Any) -> tuple[float, float]:
    """Return the exact (low, high) origin value share of ``product`` over every ranged
    figure (options as :func:`value_model`).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> lo, hi = value_share_bounds(load_dataset(MINI), "magnet", as_of="2026-06-01")
    >>> round(lo, 4), round(hi, 4)
    (0.2184, 0.2184)
    """
    return value_model(G, product, **options).bounds()


# --------------------------------------------------------------------------- mass bounds


class MassBounds(BaseModel):
    """Mass-share bounds over the ranges: the whole product's and each element's."""

    low: float | None
    high: float | None
    elements: dict[str, tuple[float, float]]
    exact: bool


def _share_figures(V: nx.MultiDiGraph) -> dict[FigureKey, float]:
    """Every ranged supply share of ``V`` at its low end."""
    return {f.key: f.low for f in ranged_figures(V) if f.key[0] == "edge"
            and V.edges[f.key[1], f.key[2], f.key[3]].get("kind") == EdgeKind.SUPPLIES}


def mass_share_bounds(V: nx.MultiDiGraph, target: str, producers: Sequence[str],
                      origins: set[str], elements: Sequence[str],
                      lines: Iterable[tuple[str, str]]) -> MassBounds | None:
    """The lowest ``share_low`` and highest ``share_high`` by mass of ``elements`` in
    ``target`` over the ranges (module docstring): ranged shares at their low end, each
    vertex of the ranged quantity ``lines`` tried. ``None`` when nothing is ranged.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = restrict(load_dataset(MINI), as_of=parse_date("2026-06-01"))
    >>> mass_share_bounds(G, "magnet", ["jp-mag"], {"cn-sep"}, ["Nd"], []) is None
    True
    """
    U = _upstream(V, producers)
    shares = _share_figures(U)
    qty: list[Figure] = []
    for product, inp in lines:
        keys = [("edge", product, inp, k, "qty") for _, w, k, d in
                V.out_edges(product, keys=True, data=True)
                if w == inp and d.get("kind") == EdgeKind.REQUIRES
                and d.get("substitute_for") is None]
        qty += [f for key in keys if (f := _figure(V, key)) is not None]
    if not shares and not qty:
        return None
    exact = len(qty) <= MAX_VERTICES
    vertices = (list(np.ndindex(*(2,) * len(qty))) if exact
                else [(0,) * len(qty), (1,) * len(qty)])
    low: float | None = None
    high: float | None = None
    per: dict[str, tuple[float, float]] = {}
    H = with_figures(U, shares)  # our copy: set in place below
    for vertex in vertices:
        for f, end in zip(qty, vertex, strict=True):
            H.edges[f.key[1], f.key[2], f.key[3]]["qty"] = (f.low, f.high)[end]
        net = _Network(H, origins)
        content = net.content[target]
        weighted_low = weighted_high = total = 0.0
        for e in elements:
            shares_e = _mass_shares(net, e)
            lo_e = sum(shares_e[f][1] for f in producers) / len(producers)
            hi_e = sum(shares_e[f][2] for f in producers) / len(producers)
            old = per.get(e, (lo_e, hi_e))
            per[e] = (min(old[0], lo_e), max(old[1], hi_e))
            kg = content.get(e, 0.0)
            weighted_low, weighted_high, total = (weighted_low + kg * lo_e,
                                                  weighted_high + kg * hi_e, total + kg)
        if total > 0:
            low = weighted_low / total if low is None else min(low, weighted_low / total)
            high = weighted_high / total if high is None else max(high, weighted_high / total)
    return MassBounds(low=low, high=high, elements=per, exact=exact)


def _upstream(V: nx.MultiDiGraph, producers: Sequence[str]) -> nx.MultiDiGraph:
    """The part of ``V`` a product's shares depend on: every node but the facilities that
    supply none of ``producers``, directly or not."""
    supplies = nx.subgraph_view(V, filter_edge=lambda u, v, k: V.edges[u, v, k].get("kind")
                                == EdgeKind.SUPPLIES)
    keep = set(producers).union(*(nx.ancestors(supplies, f) for f in producers))
    nodes = [n for n, kind in V.nodes(data="kind") if kind != NodeKind.FACILITY or n in keep]
    sub: nx.MultiDiGraph = V.subgraph(nodes)
    return sub


class ContentIntervals(BaseModel):
    """What :func:`oretrace.queries.content.origin_share` reads from the ranges."""

    value_low: float | None
    value_high: float | None
    mass: MassBounds | None
    figures: list[str]


def content_intervals(V: nx.MultiDiGraph, net: _Network, target: str, producers: list[str],
                      elements: Sequence[str], kinds: frozenset[str] | None,
                      mass: Mapping[str, Any], lines: Iterable[tuple[str, str]]
                      ) -> ContentIntervals:
    """The value- and mass-share intervals of ``target`` over the ranged figures.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> r = origin_share(load_dataset(), "F-35", by="value", as_of="2026-06-01")
    >>> r.share_low < r.share < r.share_high
    True
    """
    system = _value_system(net, frozenset(elements), kinds, mass, set(),
                           [(f, target) for f in producers])
    model = ValueModel(V, system, producers, target)
    value: tuple[float | None, float | None] = (None, None)
    if V.nodes[target].get("unit_price_usd"):
        value = model.bounds()
    bounds = mass_share_bounds(V, target, producers, net.origins, elements, lines)
    return ContentIntervals(value_low=value[0], value_high=value[1], mass=bounds,
                            figures=sorted(f.label for f in model.figures))


def threshold_test(low: float | None, high: float | None, threshold: float) -> Test | None:
    """``crosses`` when the whole interval reaches ``threshold`` (``≥``), ``clear`` when it
    stays below, ``undecided`` when it straddles it; ``None`` without a figure.

    Examples
    --------
    >>> threshold_test(0.002, 0.003, 0.001), threshold_test(0.0005, 0.002, 0.001)
    ('crosses', 'undecided')
    >>> threshold_test(0.0, 0.0009, 0.001)
    'clear'
    """
    if low is None or high is None:
        return None
    if low >= threshold:
        return "crosses"
    return "clear" if high < threshold else "undecided"


# --------------------------------------------------------------------------- sampling


class Distribution(BaseModel):
    """An answer drawn ``samples`` times: its point value (every figure at its midpoint),
    mean and 5th/50th/95th percentiles, and the figures drawn."""

    what: str
    samples: int
    seed: int
    point: float | None
    mean: float
    p5: float
    p50: float
    p95: float
    figures: list[str]


def distribution(what: str, values: _Array, *, seed: int, point: float | None,
                 figures: Iterable[str]) -> Distribution:
    """Summarise drawn ``values`` (percentiles by linear interpolation).

    Examples
    --------
    >>> d = distribution("x", np.arange(101.0), seed=0, point=50.0, figures=[])
    >>> d.p5, d.p50, d.p95, d.mean
    (5.0, 50.0, 95.0, 50.0)
    """
    v = np.asarray(values, dtype=float)
    p5, p50, p95 = (float(q) for q in np.percentile(v, [5, 50, 95]))
    return Distribution(what=what, samples=len(v), seed=seed, point=point,
                        mean=float(v.mean()), p5=p5, p50=p50, p95=p95, figures=list(figures))


class SampledContent(BaseModel):
    """:func:`sample_content`'s answer: the distribution, the exact interval, the draws."""

    product: str
    origin: str
    by: str
    low: float | None
    high: float | None
    distribution: Distribution
    values: list[float]


def sample_content(
    G: nx.MultiDiGraph,
    product: str,
    *,
    samples: int = 1000,
    seed: int = 0,
    by: str = "value",
    origin: str | Predicate = "CN",
    element: str | Iterable[str] | None = None,
    as_of: str | dt.date | None = None,
    stages: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
) -> SampledContent:
    """Draw every ranged figure ``samples`` times and return the distribution of the origin
    share of ``product`` by value (compiled once, evaluated on all draws with numpy) or by
    mass (re-read on an overlay per draw; ``progress`` wraps that loop, e.g. ``tqdm``).

    ``low`` / ``high`` are the exact interval of
    :func:`~oretrace.queries.content.origin_share` (by mass: untraced supply included);
    every draw lies inside it. ``G`` is not mutated.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> r = sample_content(load_dataset(), "F-35", samples=200, seed=1, as_of="2026-06-01")
    >>> r.low <= r.distribution.p5 <= r.distribution.p95 <= r.high
    True
    """
    if by not in ("mass", "value"):
        raise QueryError(f"by must be 'mass' or 'value', not {by!r}")
    exact = origin_share(G, product, origin=origin, element=element, by=by, as_of=as_of,
                         stages=stages, categories=categories)
    model = value_model(G, product, origin=origin, element=element, as_of=as_of,
                        stages=stages, categories=categories)
    if by == "value":
        figures = model.figures
        theta = draw(figures, samples, seed)
        values = model.evaluate(theta) if figures else np.full(samples, exact.share)
    else:
        V, target, _, _ = _resolve(G, product, origin, as_of, stages)
        figures = [f for f in ranged_figures(V) if f.key[-1] in ("share", "qty")]
        theta = draw(figures, samples, seed)
        steps = range(samples) if progress is None else progress(range(samples))
        values = np.array([origin_share(
            with_figures(V, {f.key: theta[n, k] for k, f in enumerate(figures)}), target,
            origin=origin, element=element, by="mass", as_of=as_of, stages=stages).share
            for n in steps], dtype=float)
    dist = distribution(f"{exact.origin}-origin {by} share of {exact.product}", values,
                        seed=seed, point=exact.share, figures=[f.label for f in figures])
    return SampledContent(product=exact.product, origin=exact.origin, by=by,
                          low=exact.share_low, high=exact.share_high, distribution=dist,
                          values=[float(v) for v in values])


class SampledShortfall(BaseModel):
    """:func:`sample_shortfall`'s answer for one product: the shortfall in the scenario and
    without it on the same draws (common random numbers), and their paired difference."""

    product: str
    platform: str | None
    unit: str
    low: float | None
    high: float | None
    shortfall: Distribution
    baseline: Distribution
    increase: Distribution
    values: list[float]
    baseline_values: list[float]


def shortfall_figures(G: nx.MultiDiGraph, as_of: str | dt.date | None = None) -> list[Figure]:
    """The ranged figures a shortfall reads: capacities and bill-of-materials quantities.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> "usar-stillwater.capacity" in [f.label for f in shortfall_figures(load_dataset())]
    True
    """
    return [f for f in ranged_figures(G, as_of=as_of) if f.key[-1] in ("capacity", "qty")]


def sample_shortfall(
    G: nx.MultiDiGraph,
    *,
    fail: Iterable[str] = (),
    as_of: str | dt.date | None = None,
    policy: Any = None,
    substitutions: bool = False,
    platform: str | None = None,
    products: Iterable[str] | None = None,
    samples: int = 200,
    seed: int = 0,
    progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
) -> list[SampledShortfall]:
    """Draw every ranged capacity and quantity ``samples`` times and return, per product
    of the chain of ``platform`` (default all platforms together), the distribution of the
    shortfall (unknown capacities read as nil) in the scenario and without it.

    The scenario's networks are built once; each draw re-solves the LPs with the drawn
    figures (:class:`oretrace.queries.capacity.Reading`), the scenario and the baseline on
    the same draws, so ``increase`` is a paired difference. ``low``/``high`` are
    :func:`~oretrace.queries.capacity.find_shortfall`'s exact ends. ``progress`` wraps the
    loop over draws (e.g. ``tqdm``).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> rows = sample_shortfall(load_dataset(DATA / "choke_andor"), fail=["country:CN"],
    ...                         products=["ore"], samples=5, seed=1)
    >>> [(r.product, r.shortfall.p50) for r in rows]
    [('ore', 500.0)]
    """
    from oretrace.queries.capacity import Reading, _Memo, _Scenario, find_shortfall

    plats = None if platform is None else [platform]
    wanted = None if products is None else list(products)
    scenario = _Scenario(G, fail=fail, as_of=as_of, policy=policy, substitutions=substitutions,
                         platforms=plats, per_platform=False)
    exact = {r.product: r for r in find_shortfall(
        G, fail=fail, as_of=as_of, policy=policy, substitutions=substitutions,
        platforms=plats, per_platform=False) if r.computable}
    figures = shortfall_figures(G, as_of)
    theta = draw(figures, samples, seed)
    # a product whose exact ends meet is the same on every draw: no LP per draw
    fixed = {p: [(r.shortfall_max or 0.0, r.baseline_shortfall_max or 0.0)] * samples
             for p, r in exact.items() if (wanted is None or p in wanted)
             and r.shortfall_min == r.shortfall_max
             and r.baseline_shortfall_min == r.baseline_shortfall_max}
    varying = [p for p in exact if p not in fixed and (wanted is None or p in wanted)]
    got: dict[str, list[tuple[float, float]]] = dict(fixed)
    steps = range(samples) if progress is None else progress(range(samples))
    for n in steps:
        if not varying:
            break
        memo = _Memo(Reading(drawn={f.key: float(theta[n, k]) for k, f in enumerate(figures)}))
        for r in scenario.rows((memo, memo, memo), varying):
            if r.computable and r.shortfall_max is not None:
                got.setdefault(r.product, []).append(
                    (r.shortfall_max, r.baseline_shortfall_max or 0.0))
    labels = [f.label for f in figures]
    out = []
    for product, pairs in sorted(got.items()):
        if len(pairs) != samples or product not in exact:
            continue  # computable on some draws only: no distribution
        values = np.array([a for a, _ in pairs])
        base = np.array([b for _, b in pairs])
        row = exact[product]
        point = row.shortfall_max if row.demand_min == row.demand_max else None
        out.append(SampledShortfall(
            product=product, platform=platform, unit=row.unit, low=row.shortfall_min,
            high=row.shortfall_max,
            shortfall=distribution(f"shortfall of {product}", values, seed=seed,
                                   point=point, figures=labels),
            baseline=distribution(f"shortfall of {product} without the scenario", base,
                                  seed=seed, point=None, figures=labels),
            increase=distribution(f"increase in the shortfall of {product}", values - base,
                                  seed=seed, point=None, figures=labels),
            values=values.tolist(), baseline_values=base.tolist()))
    return out
