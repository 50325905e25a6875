"""The shortfall LPs' region and the one-pass supply network, against hand-worked answers and
plain oracles.

choke_andor (t/yr): mine-au 300 ore feeds both sep-au (nd-oxide, 10 t ore each, cap 40) and
ref-dy (dy-oxide, 50 t ore each, cap 8); mag-jp (cap 200) needs 0.3 t nd-oxide and 0.05 t
dy-oxide per t of magnet::

    mine-au ──ore──> sep-au ──nd-oxide──> mag-jp
         └───ore──> ref-dy ──dy-oxide──┘
"""

from __future__ import annotations

import copy
from pathlib import Path

import networkx as nx
import pytest
from oretrace.graphmodel import facilities_making, parse_date, platforms, restrict
from oretrace.graphmodel.graph import makers_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.loaders import load_dataset
from oretrace.queries.capacity import Shortfall, find_shortfall
from oretrace.queries.feasibility import _alternatives, supply_network

DATA = Path(__file__).parent / "data"


def _rows(rows: list[Shortfall]) -> dict[str, Shortfall]:
    return {r.product: r for r in rows if r.platform is None}


def test_a_supplier_of_another_input_is_outside_the_products_lp(
        andor: nx.MultiDiGraph) -> None:
    """Blank ref-dy's capacity. nd-oxide does not move: ref-dy carries dy-oxide, not
    nd-oxide, so sep-au still gets mine-au's ore for 30 t (shortfall 30 of 60, resting on
    mag-jp and mine-au) and no range appears. dy-oxide (mag-jp needs 0.05 × 200 = 10) now
    spans ref-dy taken as nothing (supply 0, shortfall 10) to unlimited (ore for
    300 / 50 = 6: shortfall 4)."""
    H = copy.deepcopy(andor)
    H.nodes["ref-dy"]["capacity"] = None
    rows = _rows(find_shortfall(H, fail=["country:CN"], per_platform=False))
    nd, dy = rows["nd-oxide"], rows["dy-oxide"]
    assert (nd.supply_min, nd.supply_max, nd.shortfall_min, nd.shortfall_max) == \
        (30.0, 30.0, 30.0, 30.0)
    assert nd.unknown_capacity == [] and nd.rests_on == ["mag-jp", "mine-au"]
    assert (dy.supply_min, dy.supply_max, dy.shortfall_min, dy.shortfall_max) == \
        (0.0, 6.0, 4.0, 10.0)
    assert dy.unknown_capacity == ["ref-dy"]


def test_makers_of_agrees_with_facilities_making() -> None:
    G = load_dataset()
    products = [n for n, k in G.nodes(data="kind") if k == NodeKind.PRODUCT] + ["nothing"]
    assert makers_of(G, products) == {p: facilities_making(G, p) for p in products}


def _through_the_view(G: nx.MultiDiGraph, day: str, substitutions: bool
                      ) -> tuple[list[str], list[list[tuple[str, list[tuple[str, str]]]]],
                                 dict[str, list[str]]]:
    """The network read plainly through the dated view (the oracle): facilities, each one's
    needs with their suppliers, and each platform's assemblies."""
    view = restrict(G, as_of=parse_date(day))
    facilities = [n for n, k in view.nodes(data="kind") if k == NodeKind.FACILITY]
    needs = []
    for f in facilities:
        live = [(u, d["product"]) for u, _, d in view.in_edges(f, data=True)
                if d.get("kind") == EdgeKind.SUPPLIES and u in facilities]
        needs.append([(p, sorted(s for s in live if s[1] in options))
                      for p, options in _alternatives(view, f, substitutions).items()])
    return facilities, needs, {p: facilities_making(view, p) for p in platforms(view)}


@pytest.mark.parametrize("name", ["choke_time", "choke_cycle", "choke_market"])
@pytest.mark.parametrize("day", ["2024-01-01", "2026-11-24", "2028-06-01", "2031-01-01"])
@pytest.mark.parametrize("substitutions", [False, True])
def test_supply_network_reads_what_the_dated_view_shows(name: str, day: str,
                                                        substitutions: bool) -> None:
    G = load_dataset(DATA / name)
    facilities, needs, assemblies = _through_the_view(G, day, substitutions)
    net = supply_network(G, as_of=day, substitutions=substitutions)
    assert list(net.facilities) == facilities
    got = [[(need.product, sorted((net.facilities[u], c) for u, c in need.suppliers))
            for need in row] for row in net.needs]
    assert got == needs
    assert {p: [net.facilities[i] for i in idx] for p, idx in net.assemblies.items()} == \
        {p: [f for f in fs if f in net.index] for p, fs in assemblies.items()}
