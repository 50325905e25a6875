"""Capacity shortfall (t/yr) after a scenario, worked on paper on the hand-drawn networks.

choke_andor capacities (t/yr): mine-au 300, mine-cn 5000 (ore); sep-au 40, sep-cn 400
(nd-oxide, 10 t ore each); ref-dy 8, ref-cn 100 (dy-oxide, 50 t ore each); mag-jp 200,
mag-cn 3000 (magnet: 0.3 t nd-oxide + 0.05 t dy-oxide each); act-us 1000 actuators/yr
(2 kg magnet each); the missile assembly has no capacity.
"""

from __future__ import annotations

import copy
import csv
import random
from functools import partial
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


_SRC = ["s", "illustrative"]
_FAC = ("id,name,company,country,stage,products,capacity,capacity_unit,status,online_from,"
        "online_until,technologies,sources,confidence")
_PROD = "id,name,category,elements,unit,unit_price_usd,sources,confidence"
_SUP = "supplier,buyer,product,share,start,end,sources,confidence"


def _table(out: Path, name: str, head: str, rows: list[list[object]]) -> None:
    with (out / name).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(head.split(","))
        writer.writerows(rows)


def _dataset(out: Path) -> Path:
    """A directory with one source, one company and no rules (tables added by the caller)."""
    out.mkdir(parents=True)
    _table(out, "sources.csv", "id,title,publisher,date,url", [["s", "drawn", "tests", "", ""]])
    _table(out, "companies.csv", "id,name,country,state_owned,listed_on,sources,confidence",
           [["co", "Co", "US", "false", "", *_SRC]])
    (out / "rules.yaml").write_text("rules: []\n", encoding="utf-8")
    return out


def _deep_chain(tmp_path: Path, n: int) -> Path:
    """p0 … p(n-1), f_i making p_i from 1.1 t of p_(i-1) per t, 1000 t/yr each; then a part
    (0.5 kg of p(n-1) each, 100/yr) and an assembly of plat."""
    out = _dataset(tmp_path / "chain")
    _table(out, "products.csv", _PROD, [[f"p{i}", f"p{i}", "ore" if i == 0 else "alloy", "",
                                         "kg", 1, *_SRC] for i in range(n)]
           + [["part", "part", "component", "", "each", 1, *_SRC],
              ["plat", "plat", "platform", "", "each", 1, *_SRC]])
    _table(out, "bom.csv", "product,input,qty,sources,confidence",
           [[f"p{i}", f"p{i - 1}", 1.1, *_SRC] for i in range(1, n)]
           + [["part", f"p{n - 1}", 0.5, *_SRC], ["plat", "part", 4, *_SRC]])
    _table(out, "facilities.csv", _FAC,
           [[f"f{i}", f"f{i}", "co", "US", "mine" if i == 0 else "alloy", f"p{i}", 1000,
             "t/yr", "operating", "", "", "", *_SRC] for i in range(n)]
           + [[f, f, "co", "US", stage, p, cap, "units/yr", "operating", "", "", "", *_SRC]
              for f, stage, p, cap in (("comp", "component", "part", 100),
                                       ("asm", "assembly", "plat", 10))])
    _table(out, "supplies.csv", _SUP,
           [[f"f{i - 1}", f"f{i}", f"p{i - 1}", 1, "", "", *_SRC] for i in range(1, n)]
           + [[f"f{n - 1}", "comp", f"p{n - 1}", 1, "", "", *_SRC],
              ["comp", "asm", "part", 1, "", "", *_SRC]])
    return out


def _write_forest(out: Path, seed: int) -> Path:
    """A drawn network in tiers t0 (ore) … t4, t3 needing t2 and t1 (two bill-of-materials
    lines), two platforms each assembled from t4. Most facilities supply one buyer of the next
    tier (private funnels); a few supply two (shared); some capacities are blank."""
    rng = random.Random(seed)
    _dataset(out)
    src = _SRC
    table = partial(_table, out)
    tiers = [[f"t{k}-{j}" for j in range(n)] for k, n in enumerate((12, 8, 6, 4, 3))]
    prods = [[f"t{k}", f"t{k}", "ore" if k == 0 else "alloy", "", "kg", 1, *src]
             for k in range(5)]
    prods += [[p, p, "platform", "", "each", 1, *src] for p in ("plat-a", "plat-b")]
    table("products.csv", _PROD, prods)
    bom = [[f"t{k}", f"t{k - 1}", round(rng.uniform(0.5, 3), 2), *src] for k in range(1, 5)]
    bom += [["t3", "t1", round(rng.uniform(0.5, 2), 2), *src],
            ["plat-a", "t4", 5, *src], ["plat-b", "t4", 5, *src]]
    table("bom.csv", "product,input,qty,sources,confidence", bom)
    facs = [[f, f, "co", "US", "mine" if k == 0 else "alloy", f"t{k}",
             "" if rng.random() < 0.1 else rng.randint(20, 400), "t/yr", "operating", "", "",
             "", *src] for k, tier in enumerate(tiers) for f in tier]
    facs += [[a, a, "co", "US", "assembly", p, 10, "units/yr", "operating", "", "", "", *src]
             for a, p in (("asm-a", "plat-a"), ("asm-b", "plat-b"))]
    table("facilities.csv", _FAC, facs)
    links = [[t4, asm, "t4", 1] for t4, asm in zip(tiers[4], ("asm-a", "asm-b", "asm-a"),
                                                     strict=True)] + [[tiers[4][1], "asm-b",
                                                                       "t4", 1]]
    for k in range(1, 5):
        for j, f in enumerate(tiers[k - 1]):
            links.append([f, tiers[k][j % len(tiers[k])], f"t{k - 1}", 1])
            if rng.random() < 0.2:  # shared: a second buyer
                links.append([f, rng.choice(tiers[k]), f"t{k - 1}", 1])
    links += [[f, tiers[3][j % 4], "t1", 1] for j, f in enumerate(tiers[1]) if j % 2]
    table("supplies.csv", _SUP,
          [[u, v, p, 0.1, "", "", *src] for u, v, p in
           dict.fromkeys((u, v, p) for u, v, p, _ in links)])
    return out


@pytest.mark.parametrize("seed", range(6))
def test_funnels_give_the_lps_answer(tmp_path: Path, seed: int) -> None:
    """Brute force: on drawn networks mostly made of private funnels, every scope's baseline
    value with funnels summed up (:mod:`._capacity_funnel`) equals its LP solved over the
    whole upstream (a fresh memo), unknown capacities read as nil and as unlimited."""
    from oretrace.queries._capacity_memo import _Memo
    from oretrace.queries._capacity_warm import _value
    from oretrace.queries._shortfall_lp import _solve_lp
    from oretrace.queries.capacity import _consumers, _Scenario

    G = load_dataset(_write_forest(tmp_path / "forest", seed))
    sc = _Scenario(G, fail=[], as_of="2026-11-24", policy=None, substitutions=False,
                   platforms=None, per_platform=True)
    memo, checked = _Memo(), 0
    for _, names, scope in sc.scopes:
        for product in scope:
            union, _ = _consumers(sc.base, sc.union, product, frozenset(), memo)
            consumers, _ = _consumers(sc.base, names, product, frozenset(), memo)
            for unknown_as in (0.0, float("inf")):
                exact = _solve_lp(sc.base, sc.base_ok, product, consumers, unknown_as,
                                  False, _Memo())[0]
                got, _ = _value(sc.base, sc.base_ok, product, consumers, unknown_as, False,
                                memo, union)
                assert got == pytest.approx(exact, rel=1e-9, abs=1e-6), (product, names)
                checked += 1
    assert checked >= 20 and any(f.most for f in memo.funnels.values())


def test_a_deep_chain_reads_each_tier_through_the_ones_below(tmp_path: Path) -> None:
    """f0 (a mine) → f1 → … → f5, one facility per tier, each 1000 t/yr needing 1.1 t of
    the tier below per t: f_i can make 1000 / 1.1^i, and f_(i+1) needs 1100. Baseline
    shortfall of p_i: 1100 − 1000 / 1.1^i (p0: 100, p3: 1100 − 751.315 = 348.685). The
    part plant failing changes nothing upstream: the scenario's figures (its LPs, solved
    whole) are the baseline's (its values, the tiers below summed up as funnels)."""
    rows = _rows(find_shortfall(load_dataset(_deep_chain(tmp_path, 6)), fail=["comp"],
                                per_platform=False))
    assert {p: (rows[p].baseline_shortfall_max, rows[p].shortfall_max)
            for p in ("p0", "p3")} == {"p0": (100.0, 100.0), "p3": (348.685, 348.685)}


@pytest.mark.parametrize("seed", [3, 8])
def test_products_worked_in_threads_give_the_rows_of_one_thread(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Differential: the shortfall rows of a drawn synthetic network (China lost, every
    platform and each) are the same, in the same order, whether the products' LPs are worked
    in one thread or in several (each product's warm models are its own)."""
    import oretrace.queries.capacity as capacity
    from oretrace.loaders.synth import generate_network, write_network

    write_network(generate_network(1200, seed=seed), tmp_path / "net")
    G = load_dataset(tmp_path / "net")
    monkeypatch.setattr(capacity, "_WORKERS", 1)
    alone = find_shortfall(G, fail=["country:CN"], as_of="2026-11-24")
    monkeypatch.setattr(capacity, "_WORKERS", 3)
    threaded = find_shortfall(G, fail=["country:CN"], as_of="2026-11-24")
    assert len(alone) > 50
    assert [r.model_dump() for r in threaded] == [r.model_dump() for r in alone]
