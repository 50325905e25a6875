"""Units, readings of ranged figures and the per-call memo of the shortfall LPs.

Flow units (:func:`flow_capacity`, :func:`unit_conversion`), which end of each ranged figure
an LP reads (:class:`Reading`) and what one :func:`oretrace.queries.capacity.find_shortfall`
call looks up again and again (:class:`_Memo`). The model is stated in
:mod:`oretrace.queries.capacity`, which re-exports the public names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
from oretrace.graphmodel.ranges import range_of
from oretrace.graphmodel.vocab import EdgeKind, Stage
from oretrace.queries.feasibility import SupplyNetwork

__all__ = ["Reading", "flow_capacity", "unit_conversion"]

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


@dataclass(frozen=True)
class Reading:
    """Which value of each ranged figure the shortfall LPs read.

    ``None`` the midpoint, ``0`` the low end, ``1`` the high end, for the capacities of a
    product's suppliers (``supply``) and of its consumers (``demand``) and for
    bill-of-materials quantities (``qty``); ``drawn`` gives values by figure key
    (``("node", id, "capacity")``, ``("edge", u, v, key, "qty")``), over the ends (sampling,
    :mod:`oretrace.queries.sampling`).
    """

    supply: int | None = None
    demand: int | None = None
    qty: int | None = None
    drawn: Mapping[tuple[str, ...], float] = field(default_factory=dict)

    def capacity(self, facility: str, attrs: Mapping[str, Any],
                 role: Literal["supply", "demand"]) -> Mapping[str, Any]:
        """Return ``attrs`` of ``facility`` with its capacity as this reading reads it.

        Parameters
        ----------
        facility : str
            The facility id.
        attrs : mapping
            Its attributes.
        role : {"supply", "demand"}
            Whether it supplies the product of the LP or consumes it.

        Returns
        -------
        mapping
            ``attrs``, or a copy with ``capacity`` replaced.
        """
        key = ("node", facility, "capacity")
        if key in self.drawn:
            return {**attrs, "capacity": self.drawn[key]}
        end = self.supply if role == "supply" else self.demand
        if end is None or (ends := range_of(dict(attrs), "capacity")) is None:
            return attrs
        return {**attrs, "capacity": ends[end]}

    def qty_of(self, edge: tuple[str, str, Any], attrs: Mapping[str, Any]) -> float:
        """Return a bill-of-materials line's quantity as this reading reads it.

        Parameters
        ----------
        edge : tuple
            ``(product, input, key)`` of the ``requires`` edge.
        attrs : mapping
            Its attributes.

        Returns
        -------
        float
            The quantity.
        """
        key = ("edge", edge[0], edge[1], edge[2], "qty")
        if key in self.drawn:
            return float(self.drawn[key])
        if self.qty is None or (ends := range_of(dict(attrs), "qty")) is None:
            return float(attrs["qty"])
        return ends[self.qty]


_MID = Reading()


def _product_unit(G: nx.MultiDiGraph, product: str) -> str:
    return str(G.nodes[product].get("unit") or "kg") if product in G else "kg"


def _lines(G: nx.MultiDiGraph, product: str, reading: Reading = _MID
           ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Bill of materials of ``product``: ``{input: qty}`` and ``{input: {substitute: qty}}``."""
    base: dict[str, float] = {}
    subs: dict[str, dict[str, float]] = {}
    if product not in G:
        return base, subs
    for _, inp, k, d in G.out_edges(product, keys=True, data=True):
        if d.get("kind") != EdgeKind.REQUIRES:
            continue
        target = d.get("substitute_for")
        qty = reading.qty_of((product, inp, k), d)
        if target is None:
            base[inp] = base.get(inp, 0.0) + qty
        else:
            subs.setdefault(target, {})[inp] = qty
    return base, subs


def _needs_at_capacity(G: nx.MultiDiGraph, facility: str, product: str,
                       memo: _Memo) -> float | None:
    """The consumer's need of ``product`` at full capacity (flow units), ``None`` if unknown."""
    attrs = G.nodes[facility]
    total = 0.0
    for P in attrs.get("products", ()):
        base, _ = memo.lines(G, P)
        if product not in base:
            continue
        cap = flow_capacity(memo.reading.capacity(facility, attrs, "demand"), memo.unit(G, P))
        if cap is None:
            return None
        total += base[product] * unit_conversion(memo.unit(G, P), memo.unit(G, product)) * cap
    return total


class _Memo:
    """What one :func:`find_shortfall` call looks up again and again, computed once.

    Bill-of-materials lines and units per (graph, product), each consumer's need at full
    capacity, the consumers of each product in each network (in name order), and the LP
    answers per (network, product, consumers, reading of unknown capacities): the chains of
    all platforms and of each platform share most of their products and consumers.
    """

    def __init__(self, reading: Reading = _MID) -> None:
        self.reading = reading
        self._lines: dict[tuple[int, str], tuple[dict[str, float],
                                                 dict[str, dict[str, float]]]] = {}
        self._units: dict[tuple[int, str], str] = {}
        self._needs: dict[tuple[int, str, str], float | None] = {}
        self._consumers: dict[int, dict[str, list[tuple[str, int]]]] = {}
        #: consumers chosen from a chain (:func:`oretrace.queries.capacity._consumers`)
        self.chosen: dict[tuple[Any, ...], Any] = {}
        self.solved: dict[tuple[Any, ...], tuple[float, list[str], list[str]]] = {}
        self.warm: dict[tuple[Any, ...], Any] = {}  # value-only models (_capacity_warm)
        self.funnels: dict[tuple[Any, ...], Any] = {}  # (_capacity_funnel)

    def lines(self, G: nx.MultiDiGraph,
              product: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        key = (id(G), product)
        if key not in self._lines:
            self._lines[key] = _lines(G, product, self.reading)
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


