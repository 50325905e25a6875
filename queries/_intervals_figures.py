"""Ranged figures: their keys and labels, listing, setting and threshold tests
(:mod:`oretrace.queries.intervals`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import networkx as nx
import numpy as np
from oretrace.graphmodel import parse_date, restrict
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.ranges import RANGED_FIELDS, range_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._dispatch import kept_on
from pydantic import BaseModel

__all__ = [
    "Figure",
    "FigureKey",
    "Test",
    "has_ranges",
    "ranged_figures",
    "threshold_test",
    "with_figures",
]


#: A threshold test's answer (DESIGN §7).
Test = Literal["crosses", "clear", "undecided"]

#: ``("node", id, field)`` or ``("edge", u, v, key, field)``.
FigureKey = tuple[str, ...]
_Array = np.ndarray[Any, np.dtype[np.float64]]

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
def ranged_figures(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None,
                   fields: Iterable[str] | None = None) -> list[Figure]:
    """Return every ranged figure of ``G`` (of the network as of ``as_of``, if given).

    Parameters
    ----------
    %(ranged_reading)s
    fields : iterable of str, optional
        Only the figures of these fields (default all): ``("capacity", "qty")`` are the
        ones a shortfall reads, ``unit_price_usd`` and ``share`` the others.

    Returns
    -------
    list of Figure
        Each ranged price, capacity, quantity and share (of ``fields``): its key, label,
        ends and midpoint.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> len(ranged_figures(load_dataset(MINI)))
    0
    >>> "usar-stillwater.capacity" in [f.label for f in ranged_figures(
    ...     load_dataset(), fields=("capacity", "qty"))]
    True
    """
    V = G if as_of is None else restrict(G, as_of=parse_date(as_of))
    wanted = None if fields is None else frozenset(fields)
    fields_of = {NodeKind.PRODUCT: RANGED_FIELDS["Product"],
                 NodeKind.FACILITY: RANGED_FIELDS["Facility"]}
    keys: list[FigureKey] = [("node", n, f) for n, kind in V.nodes(data="kind")
                             for f in fields_of.get(kind, ())]
    keys += [("edge", u, v, k, _EDGE_FIELDS[d["kind"]])
             for u, v, k, d in V.edges(keys=True, data=True) if d.get("kind") in _EDGE_FIELDS]
    return [f for key in keys
            if (wanted is None or key[-1] in wanted) and (f := _figure(V, key)) is not None]


_NODE_ENDS = tuple(f"{f}_lo" for f in RANGED_FIELDS["Product"] + RANGED_FIELDS["Facility"])
_EDGE_ENDS = tuple(f"{f}_lo" for f in {*RANGED_FIELDS["BomLine"], *RANGED_FIELDS["Supply"],
                                      *RANGED_FIELDS["Ownership"]})


@shared_docs
def has_ranges(G: nx.MultiDiGraph) -> bool:
    """Return whether any figure of ``G`` is ranged (one pass over its attributes).

    Kept on a graph until a node or an edge is added or removed (a view is read again); a
    graph whose figures are changed in place must not be asked again (ask a copy, as
    :func:`oretrace.with_overrides` makes).

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
    kept = kept_on(G, "oretrace.ranges")
    if "any" not in kept:
        kept["any"] = any(k in d for _, d in G.nodes(data=True) for k in _NODE_ENDS) or any(
            k in d for _, _, d in G.edges(data=True) for k in _EDGE_ENDS)
    return bool(kept["any"])


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
