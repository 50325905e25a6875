"""Content: how much of a product's rare-earth content is of an origin, by mass and by value.

**Element content.** One unit of a product holds ``kg_per_unit`` of each element: the
declared mass fractions of a product counted in kg (an oxide, a magnet), otherwise the sum
over its bill of materials of ``qty`` × the input's content (a component, a platform).

**Origin.** A facility is an *origin* when it sits in the origin country at a stage where
a rare-earth item is made: mined, concentrated, separated, reduced to metal, alloyed, made
into a magnet, recycled, or pooled in that country's market (``ORIGIN_STAGES``) — the
reading of "China-origin rare-earth items" in MOFCOM No. 61 and of a Chinese mine or
separation plant in DESIGN §3. Pass ``stages`` to narrow it (``{"mine"}``: mined there) or
any :class:`~oretrace.queries.predicates.Predicate` as ``origin``.

**Mass share** (DESIGN §3). For each element, the share of it leaving a facility that is of
origin is the supply-share-weighted mean of its suppliers' shares, inputs weighted by how
much of the element each brings, reset to 1 at an origin facility and 0 where the element
enters the network elsewhere (a non-origin mine). Recycling loops make this a sparse
linear system, solved exactly (``scipy.sparse.linalg.spsolve``), not cut.

**Unknown supply.** Supplier shares of one input that add up to less than 1 leave part of
it untraced. The headline ``share`` normalises over the known suppliers (the unknown rest
is taken to look like them); by mass, ``share_low`` counts the rest as not of origin and
``share_high`` as of origin, and ``coverage`` = 1 − (high − low) is the fraction of the
content whose origin is traced. An input with no supplier at all (a data gap) is left out of the
normalised share and counts fully in the bounds.

**Ranges** (DESIGN §7). Ranged figures (``lo..hi`` prices, quantities, supply shares) widen
``share_low``/``share_high`` by value and by mass to their exact extremes over the ranges
(:mod:`oretrace.queries.intervals` gives the argument); ``coverage`` stays the traced part
at the midpoints, and ``threshold_test`` reads a value-share line (``threshold``) as
``crosses``, ``clear`` or ``undecided``.

**Value share** (DESIGN §3, the quantity MOFCOM No. 61's 0.1 % test reads). The value of
the origin rare-earth *items* a unit holds over its unit price. An item counts once, at
the outermost tier where it is of origin (a Chinese magnet at the magnet's price, not again
for its oxides; Chinese oxide in a Japanese magnet at the oxide's price): ``qty`` per unit
× the item's price, rolled up through the bill of materials and normalised supply shares.
With one ``element``, only items containing it count (so element values do not add up).
A by-product a facility makes without a bill of materials (scrap) is valued at its price
× the facility's origin mass share; an origin item without a price is valued through its
inputs (a lower bound) and named in ``notes`` (when it is in the product's chain).

**Engines.** :func:`origin_share` takes ``engine`` (see :mod:`oretrace.queries.feasibility`). The
compiled engine computes the mass shares on the compiled form
(:func:`oretrace.graphmodel.compiled.mass_shares`, bounds included) and the value share, the
evidence and the notes the plain way on the facilities upstream of the product only (which
is all they depend on). It reads the network at a date, not above a confidence floor: with
``min_confidence`` the plain engine answers.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset(MINI)
>>> r = origin_share(G, "missile", as_of="2026-06-01")
>>> round(r.share, 6), round(r.kg_per_unit, 6)
(1.0, 0.534)
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, NamedTuple

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    QueryError,
    bill_of_materials,
    compiled,
    needed_inputs,
    parse_date,
    restrict,
    weakest,
)
from oretrace.graphmodel.ranges import range_of
from oretrace.graphmodel.schema import ELEMENTS
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage
from oretrace.queries.exposure import _dated_subgraph, _supply_graph, makers, resolve_products
from oretrace.queries.feasibility import Engine, choose_engine
from oretrace.queries.predicates import Predicate
from pydantic import BaseModel

__all__ = [
    "ORIGIN_STAGES",
    "RARE_EARTHS",
    "ContentShare",
    "ElementShare",
    "element_content",
    "find_element_content",
    "origin_facilities",
    "origin_share",
]

#: The rare-earth elements: scandium, yttrium and the fifteen lanthanides.
RARE_EARTHS: frozenset[str] = frozenset({
    "Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm",
    "Yb", "Lu"})

#: Stages at which a facility in a country makes a rare-earth item of that origin.
ORIGIN_STAGES: frozenset[str] = frozenset({
    Stage.MINE, Stage.CONCENTRATION, Stage.SEPARATION, Stage.METAL, Stage.ALLOY,
    Stage.MAGNET, Stage.RECYCLING, Stage.MARKET})

_EPS = 1e-12


class ElementShare(BaseModel):
    """One element of a product: kilograms per unit and the share of it of origin."""

    element: str
    kg_per_unit: float
    mass_share: float | None
    mass_share_low: float
    mass_share_high: float
    coverage: float
    origin_kg: float | None
    value_usd: float
    value_share: float | None


class RangedLine(BaseModel):
    """A bill-of-materials line whose quantity is a range (``lo..hi``), with what each end
    reads (columns ``low_reading`` and ``high_reading`` of ``bom.csv``)."""

    product: str
    input: str
    qty: float
    qty_low: float
    qty_high: float
    low_reading: str | None
    high_reading: str | None
    sources: list[str]
    confidence: Confidence


class ContentShare(BaseModel):
    """The share of a product's rare-earth content (or one element's) of an origin.

    ``kg_per_unit`` reads each ranged quantity at its midpoint; ``kg_per_unit_low`` and
    ``kg_per_unit_high`` read every one at its low or high end, and ``ranges`` lists the
    ranged lines that hold the elements, with the reading each end stands for.

    ``share_low`` / ``share_high`` bound ``share`` over the ranged figures (prices,
    quantities, supply shares) and, by mass, untraced supply too (``mass_share_low`` /
    ``mass_share_high``, ``value_share_low`` / ``value_share_high`` give both kinds);
    ``coverage`` reads the untraced part at the midpoints. With a ``threshold`` (MOFCOM
    No. 61's 0.1 % on the value share), ``threshold_test`` says ``crosses``, ``clear`` or
    ``undecided`` (the interval straddles it). ``ranged_figures`` names the figures the
    value and mass intervals read; ``bounds_exact`` is false when too many ranged quantities made
    the mass bounds a two-vertex reading (:mod:`oretrace.queries.intervals`).
    """

    product: str
    name: str | None
    origin: str
    by: Literal["mass", "value"]
    element: str | None
    as_of: dt.date
    share: float | None
    share_low: float | None
    share_high: float | None
    coverage: float | None
    kg_per_unit: float
    kg_per_unit_low: float
    kg_per_unit_high: float
    ranges: list[RangedLine]
    mass_share: float | None
    value_usd: float
    value_share: float | None
    unit_price_usd: float | None
    elements: list[ElementShare]
    makers: list[str]
    confidence: Confidence
    sources: list[str]
    notes: list[str]
    mass_share_low: float | None = None
    mass_share_high: float | None = None
    value_share_low: float | None = None
    value_share_high: float | None = None
    threshold: float | None = None
    threshold_test: Literal["crosses", "clear", "undecided"] | None = None
    ranged_figures: list[str] = []
    bounds_exact: bool = True


# --------------------------------------------------------------------------- content


def _content_table(G: nx.MultiDiGraph) -> dict[str, dict[str, float]]:
    """Element kilograms per unit of every product of ``G``."""
    table: dict[str, dict[str, float]] = {}
    visiting: set[str] = set()

    def content(product: str) -> dict[str, float]:
        if product in table:
            return table[product]
        if product in visiting:
            raise QueryError(f"the bill of materials of {product!r} contains itself")
        visiting.add(product)
        attrs = G.nodes[product]
        declared = attrs.get("elements") or {}
        if declared and attrs.get("unit") == "kg":
            out = {e: float(f) for e, f in declared.items()}
        else:
            out = {}
            for inp, qty in bill_of_materials(G, product).items():
                if inp not in G:
                    continue
                for e, kg in content(inp).items():
                    out[e] = out.get(e, 0.0) + qty * kg
        visiting.discard(product)
        table[product] = out
        return out

    for n, kind in G.nodes(data="kind"):
        if kind == NodeKind.PRODUCT:
            content(n)
    return table


def _is_opaque(G: nx.MultiDiGraph, product: str, memo: dict[str, bool]) -> bool:
    """Whether ``product`` declares no element fractions (counted in kg) and every input of
    its bill of materials is opaque too: its composition is unknown, not empty."""
    if product not in memo:
        attrs = G.nodes[product]
        memo[product] = False  # a loop through the bill of materials is not opaque
        declared = attrs.get("elements") if attrs.get("unit") == "kg" else None
        memo[product] = not declared and all(
            inp in G and _is_opaque(G, inp, memo) for inp in bill_of_materials(G, product))
    return memo[product]


def element_content(G: nx.MultiDiGraph, product: str) -> dict[str, float]:
    """Return the kilograms of each element in one unit of ``product``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    product : str
        The product id.

    Returns
    -------
    dict of str to float
        Element symbol to kilograms per unit of the product (per kg for a product counted in
        kg), every element held, rare earth or not; empty when none is known.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> element_content(load_dataset(MINI), "actuator")
    {'Nd': 0.1335}
    """
    (pid,) = resolve_products(G, [product])
    return dict(_content_table(G)[pid])


def find_element_content(
    G: nx.MultiDiGraph,
    *,
    products: str | Iterable[str] | None = None,
    rare_earths_only: bool = True,
    min_confidence: str | Confidence | None = None,
) -> pd.DataFrame:
    """Return kilograms of each element per unit of each platform (or of ``products``).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    products : str or iterable of str, optional
        The products (default every platform).
    rare_earths_only : bool
        Keep the rare earths only (:data:`RARE_EARTHS`; default ``True``).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop bill-of-materials lines weaker than this level first (default: keep all).

    Returns
    -------
    pandas.DataFrame
        Columns ``product``, ``name``, ``element`` and ``kg_per_unit``; one row per element
        held, products in the order asked, elements alphabetically.

    Raises
    ------
    UnknownNodeError
        When a product id names no product; the message lists close matches.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> find_element_content(load_dataset(MINI)).values.tolist()
    [['missile', 'Test missile', 'Nd', 0.534]]
    """
    targets = resolve_products(G, products)
    V = restrict(G, min_confidence=min_confidence)
    table = _content_table(V)
    rows = [{"product": p, "name": G.nodes[p].get("name"), "element": e, "kg_per_unit": kg}
            for p in targets for e, kg in sorted(table[p].items())
            if kg > 0 and (e in RARE_EARTHS or not rare_earths_only)]
    return pd.DataFrame(rows, columns=["product", "name", "element", "kg_per_unit"])


# --------------------------------------------------------------------------- origin


def origin_facilities(G: nx.MultiDiGraph, origin: str | Predicate = "CN", *,
                      stages: Iterable[str] | None = None) -> set[str]:
    """Return the facilities whose output is of ``origin`` (see the module docstring).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    origin : str or Predicate
        An ISO country code (default ``"CN"``), or a predicate selecting the origin
        facilities itself (``stages`` is then ignored).
    stages : iterable of str, optional
        The stages at which a facility in ``origin`` makes origin items (default
        :data:`ORIGIN_STAGES`).

    Returns
    -------
    set of str
        The ids of the origin facilities, at any date (pass a view from
        :func:`oretrace.at` for one date).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> sorted(origin_facilities(load_dataset(MINI), "CN"))
    ['cn-mine', 'cn-sep']
    >>> sorted(origin_facilities(load_dataset(MINI), "CN", stages={"mine"}))
    ['cn-mine']
    """
    if isinstance(origin, Predicate):
        return origin.select(G)
    wanted = ORIGIN_STAGES if stages is None else frozenset(stages)
    return {n for n, d in G.nodes(data=True)
            if d.get("kind") == NodeKind.FACILITY and d.get("country") == origin
            and d.get("stage") in wanted}


class _Network:
    """The pieces of a time-sliced graph the two share computations read."""

    def __init__(self, V: nx.MultiDiGraph, origins: set[str]) -> None:
        self.V = V
        self.origins = origins
        self.content = _content_table(V)
        self.facilities = [n for n, k in V.nodes(data="kind") if k == NodeKind.FACILITY]
        self.products: dict[str, list[str]] = {
            f: [q for q in V.nodes[f].get("products", ()) if q in V] for f in self.facilities}
        self.needs = {f: needed_inputs(V, f) for f in self.facilities}
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
        in an oxide). :func:`oretrace.graphmodel.compiled.mass_shares` applies the same rule.
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
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            x = np.asarray(spla.spsolve(M, b), dtype=float).reshape(n)
        except (RuntimeError, Warning) as exc:
            raise QueryError(f"{what}: a recycling loop gives back as much as it takes "
                             "(the shares around it reach 1); check its quantities") from exc
    if not np.all(np.isfinite(x)) or np.any(x < -1e-9):
        raise QueryError(f"{what}: a recycling loop gives back more than it takes; "
                         "check its quantities and shares")
    clipped: _Vector = np.clip(x, 0.0, None)
    return clipped


#: Per facility: (normalised share or ``None`` where untraced, low bound, high bound).
_Shares = Mapping[str, tuple[float | None, float, float]]


class _CompiledShares(Mapping[str, tuple[float | None, float, float]]):
    """The mass shares of :func:`oretrace.graphmodel.compiled.mass_shares`, read as
    :func:`_mass_shares`
    gives them (``nan`` → ``None``), by facility id."""

    def __init__(self, cg: compiled.CompiledGraph, est: _Vector, low: _Vector,
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
    solved = {name: _solve(n, r, c, v, b, f"origin share of {element}")
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


def _compiled_mass_shares(cg: compiled.CompiledGraph, origins: set[str],
                          elements: Iterable[str]) -> dict[str, _Shares]:
    """:func:`_mass_shares` of each element, on the compiled form."""
    origin_mask = np.zeros(len(cg.facilities), dtype=bool)
    origin_mask[cg.facility_index(origins)] = True
    out: dict[str, _Shares] = {}
    for e in elements:
        est, low, high = compiled.mass_shares(cg, origin_mask, e, bounds=True)
        assert low is not None and high is not None
        out[e] = _CompiledShares(cg, est, low, high)
    return out


class _Term(NamedTuple):
    """One input of a value key: ``weight`` = ``qty`` × ``share`` / the group's total share.

    ``line`` is the bill-of-materials line ``(product, input)`` giving ``qty`` (``None``:
    a market passing its product through, qty 1); ``group`` the ``(buyer, input)`` whose
    suppliers share the need, ``supplier`` and ``share`` this one's (``None``: the buyer
    makes the input itself)."""

    key: int
    qty: float
    line: tuple[str, str] | None
    group: tuple[str, str] | None
    supplier: str | None
    share: float


class _ValueSystem(NamedTuple):
    """The origin-value equations x = b + A x over (facility, product) keys (see
    :func:`_value_system`): ``order`` the keys that matter, ``priced`` the keys whose ``b``
    is an item's price (by product), ``terms`` the inputs of each key, ``totals`` each
    group's total share."""

    keys: list[tuple[str, str]]
    b: _Vector
    priced: dict[int, str]
    terms: dict[int, list[_Term]]
    totals: dict[tuple[str, str], float]
    order: list[int]


def _value_system(net: _Network, elements: frozenset[str], categories: frozenset[str] | None,
                  mass: Mapping[str, _Shares], notes: set[str],
                  wanted: Iterable[tuple[str, str]]) -> _ValueSystem:
    """The equations of :func:`_value_in`, with each weight's figures named (so ranged
    figures can be bounded and sampled, :mod:`oretrace.queries.intervals`)."""

    def is_item(q: str) -> bool:
        if categories is not None and net.V.nodes[q].get("category") not in categories:
            return False
        return any(net.content.get(q, {}).get(e, 0.0) > 0 for e in elements)

    def price(q: str) -> float | None:
        value = net.V.nodes[q].get("unit_price_usd")
        return None if value is None else float(value)

    keys = [(f, q) for f in net.facilities for q in net.products[f]]
    index = {key: i for i, key in enumerate(keys)}
    b = np.zeros(len(keys))
    priced: dict[int, str] = {}
    terms: dict[int, list[_Term]] = {}
    totals: dict[tuple[str, str], float] = {}
    pending: dict[int, str] = {}
    for (f, q), i in index.items():
        if f in net.origins and is_item(q):
            p_q = price(q)
            if p_q is not None:
                b[i] = p_q
                priced[i] = q
                continue
            pending[i] = (f"no unit price for {q!r}: its origin value is counted through its "
                          "inputs (a lower bound)")
        inputs = {q: 1.0} if net.is_market(f) else net.boms.get(q, {})
        if not inputs:
            if net.needs[f] and is_item(q) and f not in net.origins:
                p_q = price(q)
                content = net.content.get(q, {})
                kg = {e: content.get(e, 0.0) for e in elements if content.get(e, 0.0) > 0}
                shares = [(mass[e][f][0], w) for e, w in kg.items()
                          if e in mass and mass[e][f][0] is not None]
                if p_q is not None and shares:
                    total = sum(w for _, w in shares)
                    b[i] = p_q * sum(float(s or 0.0) * w for s, w in shares) / total
            continue
        row: list[_Term] = []
        for p, qty in inputs.items():
            line = None if net.is_market(f) else (q, p)
            if not net.is_market(f) and p in net.products[f]:
                row.append(_Term(index[(f, p)], qty, line, None, None, 1.0))
                continue
            supplied = [(u, s) for u, s in net.suppliers[f].get(p, []) if (u, p) in index]
            totals[(f, p)] = sum(s for _, s in supplied)
            row += [_Term(index[(u, p)], qty, line, (f, p), u, s) for u, s in supplied]
        terms[i] = row
    # What the wanted keys hold: the keys they depend on, transitively.
    held = {index[key] for key in wanted if key in index}
    stack = list(held)
    while stack:
        i = stack.pop()
        for t in terms.get(i, []):
            if t.key not in held:
                held.add(t.key)
                stack.append(t.key)
    notes.update(text for i, text in pending.items() if i in held)
    # Only nodes that can reach a priced origin item carry value (the least fixed point).
    feeds: dict[int, list[int]] = {}
    for i, row in terms.items():
        if i not in held:
            continue
        for t in row:
            feeds.setdefault(t.key, []).append(i)
    live = {i for i in held if b[i] > 0}
    stack = list(live)
    while stack:
        j = stack.pop()
        for i in feeds.get(j, []):
            if i not in live:
                live.add(i)
                stack.append(i)
    return _ValueSystem(keys, b, priced, terms, totals, sorted(live))


def _value_in(net: _Network, elements: frozenset[str], categories: frozenset[str] | None,
              mass: Mapping[str, _Shares], notes: set[str],
              wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Per (facility, product) among ``wanted`` and what they hold: dollars of origin items
    containing ``elements`` in one unit (notes only for items they hold)."""
    system = _value_system(net, elements, categories, mass, notes, wanted)
    order, totals = system.order, system.totals
    local = {i: n for n, i in enumerate(order)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i in order:
        for t in system.terms.get(i, []):
            if t.key in local:
                rows.append(local[i])
                cols.append(local[t.key])
                vals.append(t.qty if t.group is None else t.qty * t.share / totals[t.group])
    x = _solve(len(order), rows, cols, vals, system.b[order], "origin value")
    return {system.keys[i]: float(x[local[i]]) for i in order}


def origin_share(
    G: nx.MultiDiGraph,
    product: str,
    *,
    origin: str | Predicate = "CN",
    element: str | Iterable[str] | None = None,
    by: str = "mass",
    as_of: str | dt.date | None = None,
    min_confidence: str | Confidence | None = None,
    stages: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    engine: Engine = "auto",
    threshold: float | None = None,
) -> ContentShare:
    """Return the share of ``product``'s rare-earth content (or ``element``'s) of ``origin``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    product : str
        A product id (a platform, a component, a magnet …).
    origin : str or Predicate
        An ISO country code (default ``"CN"``) or a predicate selecting origin facilities.
    element : str or iterable of str, optional
        One element (e.g. ``"Dy"``) or several; default all rare earths the product holds.
        With several, the value share counts items containing any of them.
    by : {"mass", "value"}
        Which share ``share`` reports; both are computed.
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first (default: keep all).
    stages : iterable of str, optional
        The stages at which a facility in ``origin`` makes origin items
        (default ``ORIGIN_STAGES``).
    categories : iterable of str, optional
        Count only origin items of these product categories in the value share (a rule's
        scope, e.g. ``["oxide", "metal", "alloy", "magnet"]``).
    engine : {"auto", "plain", "compiled"}
        ``plain``: the networkx implementation (the reference); ``compiled``: mass shares
        on the compiled form, the rest on the upstream facilities (the same answer, see the
        module docstring); ``auto`` (default): compiled on large graphs without
        ``min_confidence``.
    threshold : float, optional
        A value-share threshold to test (``0.001``: MOFCOM No. 61's 0.1 %): the answer's
        ``threshold_test`` is ``crosses``, ``clear`` or ``undecided`` over the ranges.

    Returns
    -------
    ContentShare
        The headline ``share``, bounds and ``coverage`` (see the module docstring), the
        value of origin items per unit, kilograms per unit, a per-element breakdown, the
        facilities making the product (averaged with equal weights when several), the
        confidence and sources of the upstream links carrying the content, and notes.

    Examples
    --------
    The worked example of DESIGN §3: a magnet (100 $/kg) of 0.30 kg Nd oxide (70 $/kg,
    40 % Chinese) and 0.06 kg Dy oxide (300 $/kg, all Chinese):
    ``tests/test_content.py`` builds it; 0.30·0.4·70 + 0.06·300 = 26.4 $ per kg.

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> r = origin_share(G, "magnet", by="value", as_of="2026-06-01")
    >>> round(r.value_usd, 4), round(r.share, 4)
    (21.84, 0.2184)
    """
    if by not in ("mass", "value"):
        raise QueryError(f"by must be 'mass' or 'value', not {by!r}")
    asked = None if element is None else sorted(
        {element} if isinstance(element, str) else set(element))
    for symbol in asked or []:
        if symbol not in ELEMENTS:
            raise QueryError(f"{symbol!r} is not a chemical element symbol")
    kinds = None if categories is None else frozenset(categories)
    day = parse_date(as_of)
    (target,) = resolve_products(G, [product])
    V = restrict(G, as_of=day, min_confidence=min_confidence)
    use = choose_engine(G, engine, query="origin_share",
                        unsupported=None if min_confidence is None else "min_confidence")
    origins = origin_facilities(V, origin, stages=stages)
    producers = makers(V, target)
    if not producers:
        raise QueryError(f"no facility makes {target!r} as of {day}")
    cg = compiled.compile_graph(G, as_of=day) if use == "compiled" else None
    if cg is not None:  # the upstream facilities are all the answer depends on
        up = compiled.upstream_mask(cg, producers)
        V = _dated_subgraph(G, day, [cg.facilities[i] for i in np.flatnonzero(up).tolist()])
    net = _Network(V, origins)
    content = net.content[target]
    chosen = asked if asked is not None else sorted(
        e for e, kg in content.items() if e in RARE_EARTHS and kg > 0)
    notes: set[str] = set()
    mass: dict[str, _Shares] = (_compiled_mass_shares(cg, origins, chosen) if cg is not None
                                else {e: _mass_shares(net, e) for e in chosen})

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    def value_of(elements: frozenset[str]) -> float:
        wanted = [(f, target) for f in producers]
        per = _value_in(net, elements, kinds, mass, notes, wanted)
        return sum(per.get(key, 0.0) for key in wanted) / len(producers)

    price = V.nodes[target].get("unit_price_usd")
    if price is None:
        notes.add(f"no unit price for {target!r}: no value share")
    rows: list[ElementShare] = []
    for e in chosen:
        est = mean([s for f in producers if (s := mass[e][f][0]) is not None])
        low_e = mean([mass[e][f][1] for f in producers]) or 0.0
        high_e = mean([mass[e][f][2] for f in producers]) or 0.0
        kg = content.get(e, 0.0)
        value = value_of(frozenset({e}))
        rows.append(ElementShare(
            element=e, kg_per_unit=kg, mass_share=est, mass_share_low=low_e,
            mass_share_high=high_e, coverage=1.0 - (high_e - low_e),
            origin_kg=None if est is None else kg * est, value_usd=value,
            value_share=value / float(price) if price else None))
    total_kg = sum(r.kg_per_unit for r in rows)
    known_kg = sum(r.kg_per_unit for r in rows if r.mass_share is not None)
    mass_share = (sum(r.kg_per_unit * (r.mass_share or 0.0) for r in rows) / known_kg
                  if known_kg > 0 else None)
    low = sum(r.kg_per_unit * r.mass_share_low for r in rows) / total_kg if total_kg else None
    high = sum(r.kg_per_unit * r.mass_share_high for r in rows) / total_kg if total_kg else None
    value_usd = (rows[0].value_usd if len(rows) == 1 and asked is not None
                 else value_of(frozenset(chosen)) if chosen else 0.0)
    value_share = value_usd / float(price) if price else None
    if total_kg == 0:
        notes.add(f"{target!r} holds no {'rare earths' if asked is None else '+'.join(asked)} "
                  "according to its bill of materials")
    confidence, sources = _evidence(V, target, producers, frozenset(chosen), net.content)
    bounds = _content_bounds(V, target, frozenset(chosen))
    share = mass_share if by == "mass" else value_share
    coverage = None if low is None or high is None else 1.0 - (high - low)
    extra = _interval_fields(_intervals(G, V, net, target, producers, chosen, kinds, mass,
                                        bounds[2], value_share), (low, high), rows, notes,
                             threshold)
    share_low, share_high = extra[f"{by}_share_low"], extra[f"{by}_share_high"]
    return ContentShare(
        **extra, product=target, name=G.nodes[target].get("name"),
        origin=origin.name if isinstance(origin, Predicate) else origin, by=by,
        element=None if asked is None else "+".join(asked), as_of=day, share=share,
        share_low=share_low, share_high=share_high, coverage=coverage,
        kg_per_unit=total_kg, kg_per_unit_low=bounds[0], kg_per_unit_high=bounds[1],
        ranges=bounds[2], mass_share=mass_share, value_usd=value_usd,
        value_share=value_share, unit_price_usd=None if price is None else float(price),
        elements=rows, makers=sorted(producers), confidence=confidence, sources=sources,
        notes=sorted(notes))


def _interval_fields(ranged: _Ranged, untraced: tuple[float | None, float | None],
                     rows: list[ElementShare], notes: set[str], threshold: float | None
                     ) -> dict[str, Any]:
    """The interval fields of :class:`ContentShare` (widening the element ``rows`` and
    adding to ``notes`` in place); ``untraced`` the mass bounds at the midpoints."""
    low, high = untraced
    if ranged.mass is not None:
        low, high = ranged.mass.low, ranged.mass.high
        for r in rows:
            r.mass_share_low, r.mass_share_high = ranged.mass.elements.get(
                r.element, (r.mass_share_low, r.mass_share_high))
    if not ranged.exact:
        notes.add("too many ranged quantities to try every combination: the mass bounds "
                  "read them all low and all high (not exact)")
    test = None
    if threshold is not None:
        from oretrace.queries.intervals import threshold_test  # it imports this module

        test = threshold_test(ranged.value_low, ranged.value_high, threshold)
    return {"mass_share_low": low, "mass_share_high": high,
            "value_share_low": ranged.value_low, "value_share_high": ranged.value_high,
            "threshold": threshold, "threshold_test": test, "ranged_figures": ranged.figures,
            "bounds_exact": ranged.exact}


class _Ranged(NamedTuple):
    value_low: float | None
    value_high: float | None
    mass: Any  # oretrace.queries.intervals.MassBounds | None
    figures: list[str]
    exact: bool


def _intervals(G: nx.MultiDiGraph, V: nx.MultiDiGraph, net: _Network, target: str,
               producers: list[str], chosen: list[str], kinds: frozenset[str] | None,
               mass: Mapping[str, _Shares], lines: list[RangedLine],
               point: float | None) -> _Ranged:
    """The value- and mass-share intervals over the ranged figures
    (:func:`oretrace.queries.intervals.content_intervals`, which argues they are exact);
    a graph without any ranged figure gives the point (no second pass)."""
    from oretrace.queries.intervals import content_intervals, has_ranges  # it imports us

    if not has_ranges(G):
        return _Ranged(point, point, None, [], True)

    got = content_intervals(V, net, target, producers, chosen, kinds, mass,
                            [(r.product, r.input) for r in lines])
    return _Ranged(got.value_low, got.value_high, got.mass, got.figures,
                   got.mass is None or got.mass.exact)


def _content_bounds(G: nx.MultiDiGraph, target: str, elements: frozenset[str]
                    ) -> tuple[float, float, list[RangedLine]]:
    """Kilograms of ``elements`` in one unit of ``target`` with every ranged quantity at its
    low end, and at its high end; and the ranged lines that hold any of them."""
    memo: dict[tuple[str, int], float] = {}
    lines: dict[tuple[str, str], RangedLine] = {}

    def kg(product: str, end: int) -> float:
        key = (product, end)
        if key not in memo:
            memo[key] = 0.0  # a loop contributes nothing more (content raises on loops)
            attrs = G.nodes[product]
            declared = attrs.get("elements") or {}
            if declared and attrs.get("unit") == "kg":
                memo[key] = sum(float(f) for e, f in declared.items() if e in elements)
            else:
                total = 0.0
                for _, inp, d in G.out_edges(product, data=True):
                    if d.get("kind") != EdgeKind.REQUIRES or d.get("substitute_for") is not None:
                        continue
                    ends = range_of(d, "qty")
                    qty = float(d["qty"]) if ends is None else ends[end]
                    held = kg(inp, end)
                    total += qty * held
                    if ends is not None and held > 0:
                        lines[(product, inp)] = RangedLine(
                            product=product, input=inp, qty=float(d["qty"]), qty_low=ends[0],
                            qty_high=ends[1], low_reading=d.get("low_reading"),
                            high_reading=d.get("high_reading"), sources=list(d["sources"]),
                            confidence=d["confidence"])
                memo[key] = total
        return memo[key]

    return kg(target, 0), kg(target, 1), [lines[k] for k in sorted(lines)]


def _evidence(V: nx.MultiDiGraph, target: str, producers: list[str], elements: frozenset[str],
              content: dict[str, dict[str, float]]) -> tuple[Confidence, list[str]]:
    """Weakest confidence and sources of the upstream facilities and hops carrying ``elements``."""
    H = _supply_graph(V, {target: producers})
    upstream = nx.ancestors(H, target) | {target}
    levels: list[str] = []
    sources: set[str] = set()
    for u, v, d in H.edges(data=True):
        if u not in upstream or v not in upstream:
            continue
        if v != target and not any(content.get(p, {}).get(e, 0.0) > 0
                                   for p in d["products"] for e in elements):
            continue
        levels += [d["confidence"], H.nodes[u]["confidence"]]
        sources.update(d["sources"])
        sources.update(H.nodes[u]["sources"])
    return weakest([lv for lv in levels if lv in CONFIDENCE_ORDER]), sorted(sources)
