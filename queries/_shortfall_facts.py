"""What every shortfall LP of one network reads, computed once per network and reading.

The facilities' attributes, products and live links into each buyer (:class:`_Facts`), and
per reading of the ranged figures the supply capacity of each (facility, product) and each
facility's recipe (:class:`_Recipes`), are computed the first time an LP asks: the LPs of
one call share most of their facilities. Also what a consumer accepts and the products a
chain needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
from oretrace.graphmodel.vocab import Stage
from oretrace.queries._capacity_memo import flow_capacity, unit_conversion
from oretrace.queries.feasibility import SupplyNetwork

if TYPE_CHECKING:
    from oretrace.queries._capacity_memo import Reading, _Memo

__all__: list[str] = []

#: A recipe line of a facility: (product made, input, ((input or substitute, 1 / qty), ...)).
Line = tuple[str, str, tuple[tuple[str, float], ...]]


# --------------------------------------------------------------------------- per network


@dataclass
class _Recipes:
    """Per network and reading: supply capacities and recipes, filled as asked."""

    reading: Reading
    caps: dict[tuple[int, str], float | None] = field(default_factory=dict)
    supply: dict[int, tuple[tuple[str, float | None], ...]] = field(default_factory=dict)
    lines: dict[tuple[tuple[str, ...], bool], tuple[Line, ...]] = field(default_factory=dict)
    tables: dict[bool, Any] = field(default_factory=dict)  # as arrays (._shortfall_build)


@dataclass
class _Facts:
    """What every LP on one network reads, by facility index.

    ``links[i]`` lists ``(supplier, product carried)`` once for each live link into ``i``
    that meets one of its needs and carries a product its supplier lists.
    """

    net: SupplyNetwork
    attrs: tuple[Mapping[str, Any], ...]
    market: tuple[bool, ...]
    made: tuple[tuple[str, ...], ...]
    links: tuple[tuple[tuple[int, str], ...], ...]
    ups: tuple[frozenset[int], ...]
    readings: dict[int, _Recipes] = field(default_factory=dict)
    flat: Any = None  # as arrays (._shortfall_build)

    def recipes(self, reading: Reading) -> _Recipes:
        """The capacities and recipes under ``reading`` (kept while it is cached)."""
        got = self.readings.get(id(reading))
        if got is None or got.reading is not reading:
            if len(self.readings) >= 16:  # sampling asks many readings: bounded memory
                self.readings.clear()
            got = self.readings[id(reading)] = _Recipes(reading)
        return got


_FACTS: dict[int, _Facts] = {}


def _facts(net: SupplyNetwork) -> _Facts:
    """The :class:`_Facts` of ``net``, computed once (the last few networks are kept)."""
    got = _FACTS.get(id(net))
    if got is not None and got.net is net:
        return got
    view = net.view
    attrs = tuple(view.nodes[f] for f in net.facilities)
    made = tuple(tuple(a.get("products", ())) for a in attrs)
    links = []
    for needs in net.needs:
        pairs = dict.fromkeys((u, carried) for need in needs for u, carried in need.suppliers
                              if carried in made[u])
        links.append(tuple(pairs))
    got = _Facts(net=net, attrs=attrs, market=tuple(a.get("stage") == Stage.MARKET for a in attrs),
                 made=made, links=tuple(links),
                 ups=tuple(frozenset(u for need in needs for u, _ in need.suppliers)
                           for needs in net.needs))
    if len(_FACTS) >= 4:
        _FACTS.clear()
    _FACTS[id(net)] = got
    return got


def _supply_cap(facts: _Facts, rec: _Recipes, i: int, product: str, memo: _Memo) -> float | None:
    """Facility ``i``'s capacity for ``product`` in flow units as the memo reads it."""
    key = (i, product)
    if key not in rec.caps:
        f = facts.net.facilities[i]
        rec.caps[key] = flow_capacity(memo.reading.capacity(f, facts.attrs[i], "supply"),
                                      memo.unit(facts.net.view, product))
    return rec.caps[key]


def _supply_caps(facts: _Facts, rec: _Recipes, i: int,
                 memo: _Memo) -> tuple[tuple[str, float | None], ...]:
    """``(product, capacity)`` for each product facility ``i`` lists (:func:`_supply_cap`)."""
    got = rec.supply.get(i)
    if got is None:
        got = rec.supply[i] = tuple((r, _supply_cap(facts, rec, i, r, memo))
                                    for r in facts.made[i])
    return got


def _recipe(facts: _Facts, rec: _Recipes, made: tuple[str, ...], substitutions: bool,
            memo: _Memo) -> tuple[Line, ...]:
    """For each product a facility making ``made`` makes, each input it needs from outside
    (itself making none of it) with the inputs that can meet it, each with the flow units of
    product one flow unit of it stands for (Leontief: 1 / bill-of-materials quantity)."""
    key = (made, substitutions)
    if key not in rec.lines:
        view, own = facts.net.view, set(made)
        out: list[Line] = []
        for P in dict.fromkeys(made):
            base, subs = memo.lines(view, P)
            for X, qx in base.items():
                if X in own:
                    continue
                options = {X: qx}
                if substitutions:
                    options.update({a: q for a, q in subs.get(X, {}).items() if a not in own})
                out.append((P, X, tuple(
                    (a, 1.0 / (qa * unit_conversion(memo.unit(view, P), memo.unit(view, a))))
                    for a, qa in options.items())))
        rec.lines[key] = tuple(out)
    return rec.lines[key]


_MASKS: dict[int, tuple[Sequence[bool], bytes]] = {}


def _mask_key(ok: Sequence[bool]) -> bytes:
    """``ok`` as bytes, computed once per mask object (the last few are kept)."""
    got = _MASKS.get(id(ok))
    if got is None or got[0] is not ok:
        if len(_MASKS) >= 8:
            _MASKS.clear()
        got = _MASKS[id(ok)] = (ok, bytes(bytearray(ok)))
    return got[1]


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


def _scope_products(net: SupplyNetwork, chain: set[int]) -> list[str]:
    """The products the non-market facilities of ``chain`` need, platforms aside."""
    market = _facts(net).market
    out = {need.product for i in chain if not market[i] for need in net.needs[i]}
    return sorted(p for p in out if net.view.nodes.get(p, {}).get("category") != "platform")
