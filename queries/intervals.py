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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._content_mass import _mass_shares, _Network
from oretrace.queries._content_value import _value_system
from oretrace.queries._intervals_figures import (
    Figure,
    FigureKey,
    Test,
    _figure,
    _label,
    has_ranges,
    ranged_figures,
    threshold_test,
    with_figures,
)
from oretrace.queries._intervals_value import (
    ValueModel,
    value_model,
    value_share_bounds,
)
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

#: Ranged quantity lines beyond which the mass-share bounds are not searched exhaustively.
MAX_VERTICES = 10


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
    >>> from oretrace.graphmodel import parse_date, restrict
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
