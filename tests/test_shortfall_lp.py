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
import random
import shutil
from pathlib import Path

import networkx as nx
import pytest
from oretrace.graphmodel import facilities_making, parse_date, platforms, restrict
from oretrace.graphmodel.graph import makers_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.loaders import load_dataset
from oretrace.loaders.synth import generate_network, write_network
from oretrace.queries import _capacity_warm
from oretrace.queries._capacity_memo import _Memo
from oretrace.queries._capacity_warm import _value
from oretrace.queries._shortfall_lp import _solve_lp
from oretrace.queries.capacity import Shortfall, _consumers, _Scenario, find_shortfall
from oretrace.queries.feasibility import need_options, supply_network

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
                      for p, options in need_options(view, f, substitutions).items()])
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


def _two_platforms(tmp_path: Path) -> nx.MultiDiGraph:
    """choke_andor plus a drone whose actuator plant act-dr (100,000 units/yr, 2 kg of
    magnet each: 200 t/yr) also buys mag-jp's magnets::

        ... mag-jp ──magnet──> act-us (missile; needs 2 t/yr) ──> asm-us
                 └──magnet──> act-dr (drone; needs 200 t/yr)  ──> asm-dr
    """
    out = tmp_path / "two"
    shutil.copytree(DATA / "choke_andor", out)
    extra = {
        "products.csv": "drone,Drone,platform,,each,50000,hand,illustrative,military,US\n",
        "bom.csv": "drone,actuator,2,hand,illustrative\n",
        "facilities.csv": (
            "act-dr,Drone actuator plant,us-co,US,component,actuator,100000,units/yr,"
            "operating,,,,hand;cap,reported\n"
            "asm-dr,Drone assembly,us-co,US,assembly,drone,,,operating,,,,hand,documented\n"),
        "supplies.csv": ("mag-jp,act-dr,magnet,0.5,,,hand,reported\n"
                         "act-dr,asm-dr,actuator,1,,,hand,documented\n"),
    }
    for name, lines in extra.items():
        with (out / name).open("a", encoding="utf-8") as fh:
            fh.write(lines)
    return load_dataset(out)


def test_each_platform_gets_every_magnet_the_baseline_can_make(tmp_path: Path) -> None:
    """mag-jp makes at most 120 t/yr of magnet with China: Dy oxide binds (ref-dy gets all
    300 t of mine-au's ore: 6 t Dy oxide, 0.05 t per t of magnet; sep-cn's 400 t of Nd oxide
    cover 1,333 t). Both platforms: 202 t needed, shortfall 82; the missile alone gets its
    2 t (0); the drone alone 120 of 200 (80). Without China (sep-cn gone) mine-au's ore
    serves both oxides: 10 × 0.3 + 50 × 0.05 = 5.5 t of ore per t of magnet, 300 / 5.5 =
    54.545 t: shortfalls 147.455, 0 and 145.455."""
    G = _two_platforms(tmp_path)
    rows = {r.platform: r for r in find_shortfall(G, fail=["country:CN"])
            if r.product == "magnet"}
    got = {p: (r.demand, r.baseline_shortfall_max, r.shortfall_max) for p, r in rows.items()}
    assert got == {None: (202.0, 82.0, 147.455), "missile": (2.0, 0.0, 0.0),
                   "drone": (200.0, 80.0, 145.455)}


@pytest.mark.parametrize(("facilities", "seed"), [(90, 1), (220, 3)])
@pytest.mark.parametrize("substitutions", [False, True])
def test_the_shared_model_answers_each_platforms_lp(tmp_path: Path, facilities: int,
                                                    seed: int, substitutions: bool) -> None:
    """Brute force: on drawn networks, each platform's baseline LP of each product solved as
    it stands (a fresh memo: nothing shared) has the value the all-platforms model gives
    with the other consumers' needs set to nothing, or, where consumers supply the region,
    also laid out as producers (:mod:`._capacity_warm`); and so has the LP of random subsets
    of the consumers. Unknown capacities read as nil and as unlimited."""
    shared = _check_shared_models(tmp_path, facilities, seed, substitutions)
    # the larger network recycles swarf: recyclers consume it and supply its makers' alloy
    assert facilities < 200 or any(w.producers for w in shared)


@pytest.mark.parametrize("substitutions", [False, True])
def test_an_interior_first_solve_and_a_rerouted_start_change_no_answer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, substitutions: bool) -> None:
    """The same brute force with every shared model treated as large: first solved by the
    interior point method (crossover's basis the start of the later solves), and its last
    basis rerouted before each solve (flows into consumers left out handed to consumers
    asked for): the answers are still those of the LPs solved as they stand, the interior
    point method ran and left a basis, and flows were handed over."""
    handed: list[int] = []
    starts: list[tuple[int, bool]] = []
    reroute, first = _capacity_warm._Warm._reroute, _capacity_warm._Warm._first

    def spy(self: _capacity_warm._Warm, consumers: dict[int, float]) -> int:
        handed.append(reroute(self, consumers))
        return handed[-1]

    def first_spy(self: _capacity_warm._Warm, *, interior: bool) -> float:
        got = first(self, interior=interior)
        starts.append((self.highs.getInfo().ipm_iteration_count,
                       bool(self.highs.getBasis().valid)))
        return got

    monkeypatch.setattr(_capacity_warm, "_LARGE", 0)
    monkeypatch.setattr(_capacity_warm, "_MANY", 0)
    monkeypatch.setattr(_capacity_warm._Warm, "_reroute", spy)
    monkeypatch.setattr(_capacity_warm._Warm, "_first", first_spy)
    _check_shared_models(tmp_path, 220, 3, substitutions)
    assert sum(handed) > 0
    assert starts and all(valid for _, valid in starts)
    assert any(ipm > 0 for ipm, _ in starts)


def _check_shared_models(tmp_path: Path, facilities: int, seed: int,
                         substitutions: bool) -> list[_capacity_warm._Warm]:
    G = load_dataset(write_network(generate_network(facilities, seed=seed), tmp_path / "n"))
    sc = _Scenario(G, fail=[], as_of="2026-11-24", policy=None, substitutions=substitutions,
                   platforms=None, per_platform=True)
    memo, checked = _Memo(), 0
    for product in sc.scopes[0][2]:
        union, _ = _consumers(sc.base, sc.union, product, frozenset(), memo)
        rng = random.Random(seed)
        subsets = [_consumers(sc.base, names, product, frozenset(), memo)[0]
                   for _, names, scope in sc.scopes[1:] if product in scope]
        # any subset too, e.g. recyclers without the magnet plants whose swarf they take
        subsets += [{c: v for c, v in union.items() if rng.random() < 0.5} for _ in range(3)]
        for consumers in filter(None, subsets):
            for unknown_as in (0.0, float("inf")):
                exact = _solve_lp(sc.base, sc.base_ok, product, consumers, unknown_as,
                                  substitutions, _Memo())[0]
                got, _ = _value(sc.base, sc.base_ok, product, consumers, unknown_as,
                                substitutions, memo, union)
                assert got == pytest.approx(exact, rel=1e-9, abs=1e-6), (product, consumers)
                checked += 1
    shared = [w for w in memo.warm.values() if w.highs is not None]
    assert checked > 20 and shared  # the shared models answered, not only the fallback
    return shared
