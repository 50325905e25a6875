"""Capacity shortfall (t/yr) after a scenario, worked on paper on the hand-drawn networks.

choke_andor capacities (t/yr): mine-au 300, mine-cn 5000 (ore); sep-au 40, sep-cn 400
(nd-oxide, 10 t ore each); ref-dy 8, ref-cn 100 (dy-oxide, 50 t ore each); mag-jp 200,
mag-cn 3000 (magnet: 0.3 t nd-oxide + 0.05 t dy-oxide each); act-us 1000 actuators/yr
(2 kg magnet each); the missile assembly has no capacity.
"""

from __future__ import annotations

import copy
from pathlib import Path

import networkx as nx
import pytest
from oretrace.loaders import load_dataset
from oretrace.queries.capacity import Shortfall, find_shortfall, flow_capacity, unit_conversion

DATA = Path(__file__).parent / "data"



def _rows(rows: list[Shortfall], platform: str | None = None) -> dict[str, Shortfall]:
    return {r.product: r for r in rows if r.platform == platform}


@pytest.mark.parametrize(("capacity", "unit", "product_unit", "expected"), [
    (45000, "t REO/yr", "kg", 45000.0),
    (10.5, "kt/yr", "kg", 10500.0),
    (500, "kg/yr", "kg", 0.5),
    (9000, "t/yr NdPr-equivalent feed", "kg", 9000.0),
    (300, None, "kg", 300.0),                 # a blank unit is read as t/yr
    (156, "aircraft/yr", "each", 156.0),
    (156, "t/yr", "each", None),              # tonnes of a counted item: unreadable
    (3, "barrels/yr", "kg", None),
    (None, "t/yr", "kg", None),
])
def test_capacities_are_read_in_the_products_flow_unit(
        capacity: float | None, unit: str | None, product_unit: str,
        expected: float | None) -> None:
    assert flow_capacity({"capacity": capacity, "capacity_unit": unit}, product_unit) == expected


def test_bill_of_materials_units_convert_kg_per_unit_to_tonnes() -> None:
    assert unit_conversion("each", "kg") == 0.001   # 2 kg of magnet per actuator = 0.002 t
    assert unit_conversion("kg", "kg") == 1.0
    assert unit_conversion("each", "each") == 1.0


def test_shortfall_after_losing_china(andor: nx.MultiDiGraph) -> None:
    """Without China (missile chain: mine-au, sep-au, ref-dy, mag-jp, act-us):

    - nd-oxide: mag-jp needs 0.3 × 200 = 60; sep-au could make 40 but has ore for
      300 / 10 = 30: shortfall 30 (before: sep-cn's 400 covered it: 0);
    - dy-oxide: mag-jp needs 0.05 × 200 = 10; ref-dy could make 8, ore for 300 / 50 = 6:
      shortfall 4 (the same before: ref-cn never served the missile);
    - ore: sep-au needs 400 and ref-dy 400; mine-au has 300: shortfall 500 (before: sep-cn
      also needed 4000 and mine-cn had 5000: 4800 − 4300 = 500);
    - magnet: act-us needs 1000 × 2 kg = 2 t; mag-jp can make min(200, 30/0.3, 6/0.05) = 100:
      none missing;
    - actuator: its only consumer (the assembly) has no capacity: not computable.
    """
    rows = _rows(find_shortfall(andor, fail=["country:CN"], as_of="2026-11-24",
                                per_platform=False))
    figures = {p: (r.demand, r.supply_min, r.supply_max, r.shortfall_min, r.shortfall_max,
                   r.baseline_shortfall_max) for p, r in rows.items() if r.computable}
    assert figures == {
        "nd-oxide": (60.0, 30.0, 30.0, 30.0, 30.0, 0.0),
        "dy-oxide": (10.0, 6.0, 6.0, 4.0, 4.0, 4.0),
        "ore": (800.0, 300.0, 300.0, 500.0, 500.0, 500.0),
        "magnet": (2.0, 2.0, 2.0, 0.0, 0.0, 0.0),
    }
    assert not rows["actuator"].computable and "asm-us" in rows["actuator"].note
    assert rows["actuator"].unit == "units/yr" and rows["nd-oxide"].unit == "t/yr"


def test_each_figure_names_the_capacities_it_rests_on(andor: nx.MultiDiGraph) -> None:
    """nd-oxide's 30 t rests on mag-jp's capacity (the demand) and mine-au's (the binding
    limit; sep-au's 40 does not bind). Their sources are cited; the weakest confidence of
    the two (mag-jp: reported, mine-au: documented) is reported."""
    nd = _rows(find_shortfall(andor, fail=["country:CN"], per_platform=False))["nd-oxide"]
    assert nd.consumers == ["mag-jp"]
    assert nd.rests_on == ["mag-jp", "mine-au"]
    assert nd.sources == ["cap", "hand"]
    assert nd.confidence == "reported"


def test_an_unknown_capacity_gives_a_range(andor: nx.MultiDiGraph) -> None:
    """Blank mine-au's capacity: taken as nothing, sep-au gets no ore (supply 0, shortfall
    60); taken as unlimited, sep-au makes its 40 (shortfall 20)."""
    H = copy.deepcopy(andor)
    H.nodes["mine-au"]["capacity"] = None
    nd = _rows(find_shortfall(H, fail=["country:CN"], per_platform=False))["nd-oxide"]
    assert (nd.supply_min, nd.supply_max, nd.shortfall_min, nd.shortfall_max) == \
        (0.0, 40.0, 20.0, 60.0)
    assert nd.unknown_capacity == ["mine-au"]
    assert "mine-au" in nd.note


def test_shortfall_per_platform_and_for_all_together() -> None:
    """choke_time on 2028-06-01 without China: ref-ee (20 t dy-oxide, 50 t ore each) serves
    the missile, ref-us (2 t tb-oxide, 100 t ore each) the submarine; mine-au has 1000 t ore.

    - ore, all platforms: 20 × 50 + 2 × 100 = 1200 needed, 1000 there: 200 short; per
      platform each chain alone is covered (1000 of 1000, 200 of 200);
    - tb-oxide (submarine): terf-us needs 0.3 × 10 = 3, ref-us makes 2: 1 short;
    - dy-oxide (missile): mag-us needs 0.05 × 100 = 5, ref-ee makes up to 20: none short.
    """
    G = load_dataset(DATA / "choke_time")
    rows = find_shortfall(G, fail=["country:CN"], as_of="2028-06-01")
    every, missile, sub = _rows(rows), _rows(rows, "missile"), _rows(rows, "sub")
    assert (every["ore"].demand, every["ore"].shortfall_max) == (1200.0, 200.0)
    assert (missile["ore"].demand, missile["ore"].shortfall_max) == (1000.0, 0.0)
    assert (sub["ore"].demand, sub["ore"].shortfall_max) == (200.0, 0.0)
    assert (sub["tb-oxide"].demand, sub["tb-oxide"].shortfall_max) == (3.0, 1.0)
    assert (missile["dy-oxide"].demand, missile["dy-oxide"].shortfall_max) == (5.0, 0.0)
    assert "tb-oxide" not in missile


@pytest.mark.parametrize(("substitutions", "supply"), [(True, 8.0), (False, 0.0)])
def test_substitutes_count_by_their_bill_of_materials_ratio(substitutions: bool,
                                                            supply: float) -> None:
    """choke_cycle without sep: mag needs 0.3 × 200 = 60 t nd-oxide; recycled oxide stands in
    one for one (0.3 t per t of magnet either way) when substitutes are allowed. rec can
    make 40 but gets scrap only from the collector (10 t; mag is the consumer here), at
    1.25 t per t: 8 t. Without substitutes nothing reaches mag."""
    G = load_dataset(DATA / "choke_cycle")
    nd = _rows(find_shortfall(G, fail=["sep"], substitutions=substitutions,
                              per_platform=False))["nd-oxide"]
    assert (nd.demand, nd.supply_max, nd.shortfall_max) == (60.0, supply, 60.0 - supply)
