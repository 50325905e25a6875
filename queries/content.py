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

**Backends.** :func:`origin_share` takes ``backend`` (:mod:`oretrace.queries._dispatch`): the
compiled form computes the mass shares on the compiled graph (bounds included) and the
value share, the evidence and the notes the networkx way on the facilities upstream of the
product only (which is all they depend on). It reads the network at a date, not above a
confidence floor: with ``min_confidence`` the networkx reference answers.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict, Unpack, cast

import networkx as nx
import numpy as np
import pandas as pd
from oretrace.graphmodel import (
    Confidence,
    QueryError,
    parse_date,
    restrict,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import Default, group_defaults
from oretrace.graphmodel.schema import ELEMENTS
from oretrace.graphmodel.vocab import NodeKind, Stage
from oretrace.queries._compiled_graph import compile_graph
from oretrace.queries._compiled_reach import upstream_mask
from oretrace.queries._content_evidence import _evidence, _interval_fields, _intervals
from oretrace.queries._content_mass import _compiled_mass_shares, _mass_shares, _Network, _Shares
from oretrace.queries._content_table import RangedLine, _content_bounds, _content_table
from oretrace.queries._content_value import _value_in
from oretrace.queries._dispatch import dispatchable
from oretrace.queries._exposure_graph import _dated_subgraph, makers, resolve_products
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


@shared_docs
def element_content(G: nx.MultiDiGraph, product: str) -> dict[str, float]:
    """Return the kilograms of each element in one unit of ``product``.

    Parameters
    ----------
    %(G)s
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


@shared_docs
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
    %(G)s
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
        For a product id that names no product (the message lists close matches).

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


@shared_docs
def origin_facilities(G: nx.MultiDiGraph, origin: str | Predicate = "CN", *,
                      stages: Iterable[str] | None = None) -> set[str]:
    """Return the facilities whose output is of ``origin`` (see the module docstring).

    Parameters
    ----------
    %(G)s
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


# --------------------------------------------------------------------------- origin share


class ContentOptions(TypedDict, total=False):
    """What content is counted, as keywords with their defaults (Chinese origin, every rare
    earth the product holds, today, every stage, every category): the content queries take
    them as ``**content`` (:mod:`oretrace.graphmodel._keywords`); documented once as the
    ``content_options`` bundle of :mod:`oretrace.graphmodel._docs`."""

    origin: Annotated[str | Predicate, Default("CN")]
    element: Annotated[str | Iterable[str] | None, Default(None)]
    as_of: Annotated[str | dt.date | None, Default(None)]
    stages: Annotated[Iterable[str] | None, Default(None)]
    categories: Annotated[Iterable[str] | None, Default(None)]


#: Each content option's default.
CONTENT_DEFAULTS: dict[str, Any] = group_defaults(ContentOptions)


@dataclass(frozen=True)
class _Query:
    """What one :func:`origin_share` call asks, read and checked once."""

    target: str
    day: dt.date
    origin: str | Predicate
    stages: Iterable[str] | None
    asked: list[str] | None
    kinds: frozenset[str] | None
    by: str

    @classmethod
    def read(cls, G: nx.MultiDiGraph, product: str, *, by: str = "mass",
             **content: Unpack[ContentOptions]) -> _Query:
        """Check the options (every reader of content options reads them here)."""
        if by not in ("mass", "value"):
            raise QueryError(f"by must be 'mass' or 'value', not {by!r}")
        c: ContentOptions = {**CONTENT_DEFAULTS, **content}  # type: ignore[typeddict-item]
        element, categories = c["element"], c["categories"]
        asked = None if element is None else sorted(
            {element} if isinstance(element, str) else set(element))
        for symbol in asked or []:
            if symbol not in ELEMENTS:
                raise QueryError(f"{symbol!r} is not a chemical element symbol")
        kinds = None if categories is None else frozenset(categories)
        day = parse_date(c["as_of"])
        (target,) = resolve_products(G, [product])
        return cls(target, day, c["origin"], c["stages"], asked, kinds, by)

    def sources(self, V: nx.MultiDiGraph) -> tuple[set[str], list[str]]:
        """The origin facilities of ``V`` and the facilities making the product there."""
        origins = origin_facilities(V, self.origin, stages=self.stages)
        producers = makers(V, self.target)
        if not producers:
            raise QueryError(f"no facility makes {self.target!r} as of {self.day}")
        return origins, producers

    def elements(self, net: _Network) -> list[str]:
        """The elements asked for, or the rare earths the product holds."""
        return self.asked if self.asked is not None else sorted(
            e for e, kg in net.content[self.target].items() if e in RARE_EARTHS and kg > 0)


@dispatchable()
@shared_docs
def origin_share(
    G: nx.MultiDiGraph,
    product: str,
    *,
    by: str = "mass",
    min_confidence: str | Confidence | None = None,
    threshold: float | None = None,
    **content: Unpack[ContentOptions],
) -> ContentShare:
    """Return the share of ``product``'s rare-earth content (or ``element``'s) of ``origin``.

    Parameters
    ----------
    %(G)s
    product : str
        A product id (a platform, a component, a magnet …).
    by : {"mass", "value"}
        Which share ``share`` reports; both are computed. With several elements, the value
        share counts items containing any of them.
    %(min_confidence)s
    threshold : float, optional
        A value-share threshold to test (``0.001``: MOFCOM No. 61's 0.1 %): the answer's
        ``threshold_test`` is ``crosses``, ``clear`` or ``undecided`` over the ranges.
    %(content_options)s
    %(backend)s

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
    q = _Query.read(G, product, by=by, **content)
    V = restrict(G, as_of=q.day, min_confidence=min_confidence)
    origins, producers = q.sources(V)
    net = _Network(V, origins)
    chosen = q.elements(net)
    return _answer(G, q, net, producers, chosen, {e: _mass_shares(net, e) for e in chosen},
                   threshold)


def _origin_share_compiled(G: nx.MultiDiGraph, product: str, *, threshold: float | None = None,
                           min_confidence: None = None, **asked: Any) -> ContentShare:
    """:func:`origin_share` with the mass shares on the compiled form and the rest on the
    facilities upstream of the product (all the answer depends on; no floor is read)."""
    q = _Query.read(G, product, **asked)
    origins, producers = q.sources(restrict(G, as_of=q.day))
    cg = compile_graph(G, as_of=q.day)
    up = upstream_mask(cg, producers)
    net = _Network(_dated_subgraph(G, q.day, [cg.facilities[i]
                                              for i in np.flatnonzero(up).tolist()]), origins)
    chosen = q.elements(net)
    return _answer(G, q, net, producers, chosen, _compiled_mass_shares(cg, origins, chosen),
                   threshold)


def _answer(G: nx.MultiDiGraph, q: _Query, net: _Network, producers: list[str],
            chosen: list[str], mass: Mapping[str, _Shares], threshold: float | None
            ) -> ContentShare:
    """The :class:`ContentShare` of ``q`` on ``net`` given the ``mass`` shares of the
    ``chosen`` elements at each facility."""
    V, target = net.V, q.target
    notes: set[str] = set()

    def value_of(elements: frozenset[str]) -> float:
        wanted = [(f, target) for f in producers]
        per = _value_in(net, elements, q.kinds, mass, notes, wanted)
        return sum(per.get(key, 0.0) for key in wanted) / len(producers)

    price = V.nodes[target].get("unit_price_usd")
    if price is None:
        notes.add(f"no unit price for {target!r}: no value share")
    rows = [_element_row(e, net.content[target].get(e, 0.0),
                         [mass[e][f] for f in producers], value_of(frozenset({e})), price)
            for e in chosen]
    total_kg = sum(r.kg_per_unit for r in rows)
    known_kg = sum(r.kg_per_unit for r in rows if r.mass_share is not None)
    mass_share = (sum(r.kg_per_unit * (r.mass_share or 0.0) for r in rows) / known_kg
                  if known_kg > 0 else None)
    low = sum(r.kg_per_unit * r.mass_share_low for r in rows) / total_kg if total_kg else None
    high = sum(r.kg_per_unit * r.mass_share_high for r in rows) / total_kg if total_kg else None
    value_usd = (rows[0].value_usd if len(rows) == 1 and q.asked is not None
                 else value_of(frozenset(chosen)) if chosen else 0.0)
    value_share = value_usd / float(price) if price else None
    if total_kg == 0:
        held = "rare earths" if q.asked is None else "+".join(q.asked)
        notes.add(f"{target!r} holds no {held} according to its bill of materials")
    confidence, sources = _evidence(V, target, producers, frozenset(chosen), net.content)
    bounds = _content_bounds(V, target, frozenset(chosen))
    extra = _interval_fields(_intervals(G, V, net, target, producers, chosen, q.kinds, mass,
                                        bounds[2], value_share), (low, high), rows, notes,
                             threshold)
    return ContentShare(
        **extra, product=target, name=G.nodes[target].get("name"),
        origin=q.origin.name if isinstance(q.origin, Predicate) else q.origin, by=q.by,
        element=None if q.asked is None else "+".join(q.asked), as_of=q.day,
        share=mass_share if q.by == "mass" else value_share,
        share_low=extra[f"{q.by}_share_low"], share_high=extra[f"{q.by}_share_high"],
        coverage=None if low is None or high is None else 1.0 - (high - low),
        kg_per_unit=total_kg, kg_per_unit_low=bounds[0], kg_per_unit_high=bounds[1],
        ranges=bounds[2], mass_share=mass_share, value_usd=value_usd,
        value_share=value_share, unit_price_usd=None if price is None else float(price),
        elements=rows, makers=sorted(producers), confidence=confidence, sources=sources,
        notes=sorted(notes))


def _element_row(element: str, kg: float, shares: list[tuple[float | None, float, float]],
                 value: float, price: Any) -> ElementShare:
    """One element's line: ``shares`` its mass shares at each maker (averaged with equal
    weights), ``value`` the dollars of origin items holding it in one unit."""

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    est = mean([s for s, _, _ in shares if s is not None])
    low = mean([lo for _, lo, _ in shares]) or 0.0
    high = mean([hi for _, _, hi in shares]) or 0.0
    return ElementShare(
        element=element, kg_per_unit=kg, mass_share=est, mass_share_low=low,
        mass_share_high=high, coverage=1.0 - (high - low),
        origin_kg=None if est is None else kg * est, value_usd=value,
        value_share=value / float(price) if price else None)


# The other backends of each query (:mod:`oretrace.queries._dispatch`); the compiled form
# reads the network at a date, not above a confidence floor.
_FLOOR = ("min_confidence",)
cast(Any, origin_share).register("compiled", unsupported=_FLOOR)(_origin_share_compiled)
