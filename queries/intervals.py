"""Ranged figures as intervals: the figures, overlays, exact bounds and threshold tests.

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

Sampling and the tornado read the same figures: :mod:`oretrace.queries.sampling`,
:mod:`oretrace.queries.sensitivity`.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset()
>>> [f.label for f in ranged_figures(G) if f.key[1] == "dy-oxide"]
['dy-oxide.unit_price_usd']
>>> from oretrace.queries.content import origin_share
>>> lo, hi = value_share_bounds(G, "F-35", as_of="2026-06-01")
>>> lo < origin_share(G, "F-35", by="value", as_of="2026-06-01").share < hi
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import networkx as nx
import numpy as np
from oretrace.graphmodel import QueryError, parse_date, restrict
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.ranges import RANGED_FIELDS, range_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._content_mass import _mass_shares, _Network
from oretrace.queries._content_value import _value_system, _ValueSystem
from oretrace.queries.content import RARE_EARTHS, origin_facilities
from oretrace.queries.exposure import makers, resolve_products
from oretrace.queries.predicates import Predicate
from pydantic import BaseModel

__all__ = [
    "MAX_VERTICES",
    "ContentIntervals",
    "Figure",
    "FigureKey",
    "MassBounds",
    "Test",
    "ValueModel",
    "content_intervals",
    "has_ranges",
    "mass_share_bounds",
    "ranged_figures",
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


@shared_docs
def ranged_figures(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None) -> list[Figure]:
    """Return every ranged figure of ``G`` (of the network as of ``as_of``, if given).

    Parameters
    ----------
    %(ranged_reading)s

    Returns
    -------
    list of Figure
        Each ranged price, capacity, quantity and share: its key, label, ends and midpoint.

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


@shared_docs
def has_ranges(G: nx.MultiDiGraph) -> bool:
    """Return whether any figure of ``G`` is ranged (one pass over its attributes).

    Parameters
    ----------
    %(G)s

    Returns
    -------
    bool
        True when a price, capacity, quantity or share holds ``lo..hi`` ends.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> has_ranges(load_dataset(MINI)), has_ranges(load_dataset())
    (False, True)
    """
    return any(k in d for _, d in G.nodes(data=True) for k in _NODE_ENDS) or any(
        k in d for _, _, d in G.edges(data=True) for k in _EDGE_ENDS)


@shared_docs
def with_figures(G: nx.MultiDiGraph, values: Mapping[FigureKey, float]) -> nx.MultiDiGraph:
    """Return a copy of ``G`` with each figure in ``values`` set to that point.

    The copy drops the range ends of the figures set, so it reads them as unranged figures;
    ``G`` is not changed.

    Parameters
    ----------
    %(G)s
    values : mapping of FigureKey to float
        The value of each figure, by key (``("node", id, field)`` or
        ``("edge", u, v, key, field)``).

    Returns
    -------
    networkx.MultiDiGraph
        The changed copy.

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
        attrs.pop(f"{key[-1]}_lo", None)
        attrs.pop(f"{key[-1]}_hi", None)
    return H


# --------------------------------------------------------------------------- value model

#: a weight's part: ("const", value) or ("fig", column)
_Spec = tuple[str, float]


class ValueModel:
    """The origin value share of one product, compiled with a column per ranged figure.

    Built from :func:`oretrace.queries.content._value_system`: evaluate it on many draws at
    once (:meth:`evaluate`), or bound it exactly (:meth:`bounds`; the module docstring gives
    the argument). :func:`value_model` builds one.

    Parameters
    ----------
    V : networkx.MultiDiGraph
        The network as of a date (not mutated).
    system : _ValueSystem
        The origin-value equations with their figures named.
    producers : list of str
        The facilities making the product (the answer is their mean).
    target : str
        The product.
    """

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

    @property
    def priced(self) -> bool:
        """Whether the product has a unit price (else there is no value share)."""
        return not (self.price[0] == "const" and np.isnan(self.price[1]))

    def midpoints(self) -> _Array:
        """Return one row: every figure at its midpoint (the point answer).

        Returns
        -------
        numpy.ndarray
            Shape ``(1, len(figures))``.
        """
        return np.array([[f.mid for f in self.figures]])

    def evaluate(self, theta: _Array) -> _Array:
        """Return the value share for each row of ``theta``.

        Parameters
        ----------
        theta : numpy.ndarray
            One row per draw, one column per figure of :attr:`figures`.

        Returns
        -------
        numpy.ndarray
            The value share of each row.
        """
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
        """Return the exact (low, high) value share over the box of every figure's range.

        Returns
        -------
        tuple of float
            The lowest and the highest value share.
        """
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


@shared_docs
def value_model(G: nx.MultiDiGraph, product: str, *, origin: str | Predicate = "CN",
                element: str | Iterable[str] | None = None,
                as_of: str | dt.date | None = None, stages: Iterable[str] | None = None,
                categories: Iterable[str] | None = None) -> ValueModel:
    """Compile the origin value share of ``product`` as :func:`origin_share` reads it.

    Parameters
    ----------
    %(value_share_reading)s

    Returns
    -------
    ValueModel
        The compiled share: :meth:`ValueModel.evaluate` on draws, :meth:`ValueModel.bounds`.

    Raises
    ------
    QueryError
        When the product has no unit price (no value share) or nothing makes it.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> m = value_model(load_dataset(), "F-35", as_of="2026-06-01")
    >>> len(m.figures) > 0, m.evaluate(m.midpoints()).shape
    (True, (1,))
    """
    V, target, producers, origins = _resolve(G, product, origin, as_of, stages)
    model = _compile(V, _Network(V, origins), target, producers, element,
                     None if categories is None else frozenset(categories))
    if not model.priced:
        raise QueryError(f"no unit price for {target!r}: no value share")
    return model


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


@shared_docs
def value_share_bounds(G: nx.MultiDiGraph, product: str, **options: Any) -> tuple[float, float]:
    """Return the exact (low, high) origin value share of ``product`` over every range.

    Parameters
    ----------
    %(G)s
    product : str
        A product id with a unit price.
    **options : Any
        The options of :func:`value_model` (``origin``, ``element``, ``as_of`` ...).

    Returns
    -------
    tuple of float
        The lowest and the highest value share over the box of ranged figures.

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
    """Mass-share bounds over the ranges, of the product and of each element.

    ``figures`` names the ranged figures read: supply shares upstream, quantity lines holding
    the elements.
    """

    low: float | None
    high: float | None
    elements: dict[str, tuple[float, float]]
    exact: bool
    figures: list[str] = []


def _share_figures(V: nx.MultiDiGraph) -> dict[FigureKey, float]:
    """Every ranged supply share of ``V`` at its low end."""
    return {f.key: f.low for f in ranged_figures(V) if f.key[0] == "edge"
            and V.edges[f.key[1], f.key[2], f.key[3]].get("kind") == EdgeKind.SUPPLIES}


def mass_share_bounds(V: nx.MultiDiGraph, target: str, producers: Sequence[str],
                      origins: set[str], elements: Sequence[str],
                      lines: Iterable[tuple[str, str]]) -> MassBounds | None:
    """Return the mass-share bounds of ``elements`` in ``target`` over the ranges.

    The lowest ``share_low`` and highest ``share_high`` (module docstring): ranged shares at
    their low end, each vertex of the ranged quantity ``lines`` tried.

    Parameters
    ----------
    V : networkx.MultiDiGraph
        The network as of a date (not mutated).
    target : str
        The product.
    producers : sequence of str
        The facilities making it (the answer is their mean).
    origins : set of str
        The origin facilities.
    elements : sequence of str
        The elements counted.
    lines : iterable of tuple of str
        The ranged bill-of-materials lines ``(product, input)`` holding the elements.

    Returns
    -------
    MassBounds or None
        The bounds, per element too; ``None`` when no share nor quantity is ranged.

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
    labels = [_label(key, U) for key in shares] + [f.label for f in qty]
    return MassBounds(low=low, high=high, elements=per, exact=exact, figures=labels)


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
    """Return the value- and mass-share intervals of ``target`` over the ranged figures.

    Parameters
    ----------
    V : networkx.MultiDiGraph
        The network as of a date (not mutated).
    net : _Network
        Its reading by :mod:`oretrace.queries.content` (origins, contents, suppliers).
    target : str
        The product.
    producers : list of str
        The facilities making it.
    elements : sequence of str
        The elements counted.
    kinds : frozenset of str or None
        The product categories of the origin items counted by value (``None``: all).
    mass : mapping
        The mass shares per element (as :func:`oretrace.queries.content.origin_share` has them).
    lines : iterable of tuple of str
        The ranged bill-of-materials lines holding the elements.

    Returns
    -------
    ContentIntervals
        The value interval (``None`` ends without a price), the mass bounds and the figures.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> from oretrace.queries.content import origin_share
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
                            figures=sorted({f.label for f in model.figures}
                                           | set([] if bounds is None else bounds.figures)))


def threshold_test(low: float | None, high: float | None, threshold: float) -> Test | None:
    """Return how an interval reads against a line: crosses, clear or undecided.

    ``crosses`` when the whole interval reaches ``threshold`` (``≥``), ``clear`` when it stays
    below, ``undecided`` when it straddles it.

    Parameters
    ----------
    low : float or None
        The low end of the interval (``None``: no figure).
    high : float or None
        The high end.
    threshold : float
        The line (MOFCOM No. 61: 0.001 of the value).

    Returns
    -------
    {"crosses", "clear", "undecided"} or None
        The reading; ``None`` without a figure.

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
