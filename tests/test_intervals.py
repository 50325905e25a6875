"""Interval answers from ranged figures (DESIGN §7), each worked by hand in its docstring.

The value-share network is DESIGN §3's worked example, drawn::

    cn-sep (CN) --nd-ox 0.4--> jp-mag (JP) --magnet--> us-asm (US) : jet (50 M$)
    au-sep (AU) --nd-ox 0.6-->   |   magnet 100 $/kg = 0.30 kg nd-ox (70 $/kg)
    cn-sep (CN) --dy-ox 1.0-->   |                   + 0.06 kg dy-ox (300 $/kg)
                                 jet = 8 kg magnet

    0.30·0.4·70 + 0.06·1·300 = 8.4 + 18 = 26.4 $ per kg of magnet: 26.4 %.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from oretrace.graphmodel import Records, build_graph
from oretrace.graphmodel.schema import BomLine, Facility, Product, Source, Supply
from oretrace.loaders import load_dataset
from oretrace.queries.capacity import find_shortfall
from oretrace.queries.content import origin_share
from oretrace.queries.intervals import threshold_test, value_model, value_share_bounds
from oretrace.queries.shipments import shipment_verdicts

DATA = Path(__file__).parent / "data"
CITE = {"sources": ["hand"], "confidence": "documented"}
DAY = "2026-01-01"


def approx(x: float) -> Any:
    return pytest.approx(x, rel=1e-9, abs=1e-12)


def example(dy_price: str = "300", magnet_price: str = "100", cn_nd: str = "0.4",
            au_nd: str = "0.6", jet_qty: str = "8", jet_price: str = "50e6") -> nx.MultiDiGraph:
    """The worked example, any figure given as a ``lo..hi`` cell."""
    def P(id: str, category: str, elements: str, price: str, unit: str = "kg") -> Product:
        return Product.model_validate({"id": id, "name": id, "category": category,
                                       "elements": elements, "unit": unit,
                                       "unit_price_usd": price, **CITE})

    def B(product: str, input: str, qty: str) -> BomLine:
        return BomLine.model_validate({"product": product, "input": input, "qty": qty, **CITE})

    def F(id: str, country: str, stage: str, products: str) -> Facility:
        return Facility(id=id, name=id, country=country, stage=stage, products=products, **CITE)

    def S(supplier: str, buyer: str, product: str, share: str) -> Supply:
        return Supply.model_validate({"supplier": supplier, "buyer": buyer, "product": product,
                                      "share": share, **CITE})

    return build_graph(Records(
        sources=[Source(id="hand", title="Hand-drawn")],
        products=[P("nd-ox", "oxide", "Nd=0.857", "70"), P("dy-ox", "oxide", "Dy=0.871", dy_price),
                  P("magnet", "magnet", "", magnet_price),
                  P("jet", "platform", "", jet_price, unit="each")],
        bom=[B("magnet", "nd-ox", "0.30"), B("magnet", "dy-ox", "0.06"),
             B("jet", "magnet", jet_qty)],
        facilities=[F("cn-sep", "CN", "separation", "nd-ox;dy-ox"),
                    F("au-sep", "AU", "separation", "nd-ox"), F("jp-mag", "JP", "magnet", "magnet"),
                    F("us-asm", "US", "assembly", "jet")],
        supplies=[S("cn-sep", "jp-mag", "nd-ox", cn_nd), S("au-sep", "jp-mag", "nd-ox", au_nd),
                  S("cn-sep", "jp-mag", "dy-ox", "1"), S("jp-mag", "us-asm", "magnet", "1")]))


# --------------------------------------------------------------------------- value share


def test_no_range_gives_a_degenerate_interval() -> None:
    r = origin_share(example(), "magnet", by="value", as_of=DAY)
    assert (r.share_low, r.share, r.share_high) == (approx(0.264),) * 3
    assert r.ranged_figures == []


def test_ranged_item_price_moves_the_value_share_with_it() -> None:
    """Dy oxide 250..350 $/kg (midpoint 300): 8.4 + 0.06·250 = 23.4 $ to 8.4 + 0.06·350
    = 29.4 $ per 100 $ magnet: 23.4 % .. 29.4 %, 26.4 % at the midpoint."""
    r = origin_share(example(dy_price="250..350"), "magnet", by="value", as_of=DAY)
    assert r.share == approx(0.264)
    assert (r.share_low, r.share_high) == (approx(0.234), approx(0.294))
    assert (r.value_share_low, r.value_share_high) == (approx(0.234), approx(0.294))
    assert r.ranged_figures == ["dy-ox.unit_price_usd"]


def test_ranged_price_of_the_product_itself_divides() -> None:
    """Magnet 80..120 $/kg: 26.4 / 120 = 22 % to 26.4 / 80 = 33 %."""
    r = origin_share(example(magnet_price="80..120"), "magnet", by="value", as_of=DAY)
    assert (r.share_low, r.share_high) == (approx(0.22), approx(0.33))


def test_ranged_supply_share_is_normalised_over_its_suppliers() -> None:
    """CN Nd oxide share 0.2..0.6 beside AU's 0.6: the Chinese fraction s/(s+0.6) runs from
    0.25 to 0.5, so the Nd part 0.30·70·s/(s+0.6) from 5.25 $ to 10.5 $; with the Dy
    oxide's 18 $: 23.25 % .. 28.5 %."""
    r = origin_share(example(cn_nd="0.2..0.6"), "magnet", by="value", as_of=DAY)
    assert (r.share_low, r.share_high) == (approx(0.2325), approx(0.285))


def test_two_ranged_shares_take_opposite_ends() -> None:
    """CN 0.2..0.6 and AU 0.4..0.8: the Chinese fraction is highest at CN 0.6, AU 0.4
    (0.6/1.0) and lowest at CN 0.2, AU 0.8 (0.2/1.0): Nd part 0.30·70·0.6 = 12.6 $ and
    0.30·70·0.2 = 4.2 $; with 18 $ of Dy oxide: 22.2 % .. 30.6 %."""
    r = origin_share(example(cn_nd="0.2..0.6", au_nd="0.4..0.8"), "magnet", by="value",
                     as_of=DAY)
    assert (r.share_low, r.share_high) == (approx(0.222), approx(0.306))


def test_platform_interval_from_quantity_and_price() -> None:
    """The jet holds 6..10 kg of magnet and costs 40..60 M$: 26.4 $ × 6 = 158.4 $ of
    60 M$ = 2.64e-6, to 26.4 $ × 10 = 264 $ of 40 M$ = 6.6e-6."""
    r = origin_share(example(jet_qty="6..10", jet_price="40e6..60e6"), "jet", by="value",
                     as_of=DAY)
    assert r.share == approx(211.2 / 50e6)
    assert (r.share_low, r.share_high) == (approx(158.4 / 60e6), approx(264 / 40e6))


@pytest.mark.parametrize(("threshold", "expected"), [
    (2e-6, "crosses"), (5e-6, "undecided"), (1e-5, "clear")])
def test_threshold_test_on_the_interval(threshold: float, expected: str) -> None:
    """The jet's interval 2.64e-6 .. 6.6e-6 against three lines."""
    r = origin_share(example(jet_qty="6..10", jet_price="40e6..60e6"), "jet", by="value",
                     as_of=DAY, threshold=threshold)
    assert r.threshold_test == expected


def test_threshold_test_words() -> None:
    assert threshold_test(0.001, 0.002, 0.001) == "crosses"  # reaching the line counts
    assert threshold_test(0.0, 0.000999, 0.001) == "clear"
    assert threshold_test(0.0005, 0.001, 0.001) == "undecided"
    assert threshold_test(None, None, 0.001) is None


def test_bounds_equal_brute_force_over_every_vertex(bundled: nx.MultiDiGraph) -> None:
    """Oracle: the value share is monotone in each figure, so its extremes over the box are
    among the 2**k vertices; evaluate them all and compare with the exact bounds of the
    F-35. (A vertex with every share of a group at 0 reads an even split, a limit point
    of the box.)"""
    m = value_model(bundled, "F-35", as_of="2026-06-01")
    lo = np.array([f.low for f in m.figures])
    hi = np.array([f.high for f in m.figures])
    corners = np.array(list(itertools.product([0.0, 1.0], repeat=len(lo))))
    values = m.evaluate(lo + corners * (hi - lo))
    low, high = value_share_bounds(bundled, "F-35", as_of="2026-06-01")
    assert len(m.figures) >= 3
    assert low == pytest.approx(values.min(), rel=1e-9)
    assert high == pytest.approx(values.max(), rel=1e-9)


def test_midpoint_model_equals_the_point_answer(bundled: nx.MultiDiGraph) -> None:
    priced = [p for p, d in bundled.nodes(data=True)
              if d.get("category") == "platform" and d.get("unit_price_usd")]
    assert "F-35" in priced
    for platform in priced:
        m = value_model(bundled, platform, as_of="2026-06-01")
        point = origin_share(bundled, platform, by="value", as_of="2026-06-01").share
        assert float(m.evaluate(m.midpoints())[0]) == pytest.approx(point, rel=1e-9)


def pools(cn_share: str) -> nx.MultiDiGraph:
    """Two oxide pools (markets, no country) feeding each other: a loop in the value
    equations. cn-sep (CN) --cn_share--> pool-1 <--0.5--> pool-2 <--0.5-- au-sep (AU);
    pool-1 --1--> jp-mag; magnet = 0.3 kg oxide (70 $/kg), 100 $/kg."""
    def F(id: str, country: str | None, stage: str, products: str) -> Facility:
        return Facility(id=id, name=id, country=country, stage=stage, products=products, **CITE)

    def S(supplier: str, buyer: str, share: str) -> Supply:
        return Supply.model_validate({"supplier": supplier, "buyer": buyer, "product": "nd-ox",
                                      "share": share, **CITE})

    return build_graph(Records(
        sources=[Source(id="hand", title="Hand-drawn")],
        products=[Product.model_validate({"id": i, "name": i, "category": c, "elements": e,
                                          "unit": "kg", "unit_price_usd": p, **CITE})
                  for i, c, e, p in (("nd-ox", "oxide", "Nd=0.857", "70"),
                                     ("magnet", "magnet", "", "100"))],
        bom=[BomLine.model_validate({"product": "magnet", "input": "nd-ox", "qty": "0.3",
                                     **CITE})],
        facilities=[F("cn-sep", "CN", "separation", "nd-ox"),
                    F("au-sep", "AU", "separation", "nd-ox"), F("pool-1", None, "market", "nd-ox"),
                    F("pool-2", None, "market", "nd-ox"), F("jp-mag", "JP", "magnet", "magnet")],
        supplies=[S("cn-sep", "pool-1", cn_share), S("pool-2", "pool-1", "0.5"),
                  S("au-sep", "pool-2", "0.5"), S("pool-1", "pool-2", "0.5"),
                  S("pool-1", "jp-mag", "1")]))


def test_value_interval_through_a_loop_of_pools() -> None:
    """With w = s / (s + 0.5) the Chinese weight into pool-1: x1 = 70 w + (1 − w) x2 and
    x2 = 0.5 · 0 + 0.5 x1, so x1 = 70 w / (1 − (1 − w)/2) = 140 w / (1 + w). CN share
    0.25..0.75: w from 1/3 (x1 = 35) to 0.6 (x1 = 52.5); midpoint w = 0.5, x1 = 46.67.
    The magnet holds 0.3 · x1 of 100 $: 10.5 % .. 15.75 %, 14 % at the midpoint."""
    G = pools("0.25..0.75")
    r = origin_share(G, "magnet", by="value", as_of=DAY)
    assert r.share == approx(0.14)
    assert r.share_low == pytest.approx(0.105, rel=1e-9)
    assert r.share_high == pytest.approx(0.1575, rel=1e-9)
    m = value_model(G, "magnet", as_of=DAY)
    assert m.cyclic
    w = np.array([1 / 3, 0.5, 0.6])
    s = 0.5 * w / (1 - w)  # the shares giving those weights
    assert m.evaluate(s.reshape(-1, 1)) == pytest.approx(0.3 * 140 * w / (1 + w) / 100,
                                                          rel=1e-9)


# --------------------------------------------------------------------------- mass share


def test_mass_bounds_read_ranged_shares_at_their_low_end() -> None:
    """By mass, Nd: CN 0.2..0.6 beside AU 0.6. Shares of one need add up to at most 1, so
    CN ≤ 0.4. Lowest: CN 0.2 of origin, AU 0.6 not, 0.2 untraced read as not: 0.2.
    Highest: CN 0.2, 0.2 untraced read as of origin: 0.4 (= CN at its feasible top 0.4).
    Dy: all Chinese, 1. The magnet: (0.2571·[0.2, 0.4] + 0.05226) / 0.30936."""
    r = origin_share(example(cn_nd="0.2..0.6"), "magnet", as_of=DAY)
    nd = {e.element: e for e in r.elements}["Nd"]
    assert (nd.mass_share_low, nd.mass_share_high) == (approx(0.2), approx(0.4))
    total = 0.2571 + 0.05226
    assert r.share_low == approx((0.2571 * 0.2 + 0.05226) / total)
    assert r.share_high == approx((0.2571 * 0.4 + 0.05226) / total)
    assert r.coverage == approx(1.0)  # at the midpoints 0.4 + 0.6 covers the need


def test_mass_bounds_against_a_grid_of_feasible_shares() -> None:
    """Oracle: CN 0.2..0.6 and AU 0.1..0.5 for the Nd oxide; read the midpoint answer on an
    overlay at every grid point of the box where the shares add up to at most 1. The Nd
    bounds (low = s_cn, high = 1 − s_au, both extreme at the low ends: 0.2 and 0.9) hold
    every point's low, high and normalised share, and are reached."""
    from oretrace.queries.intervals import ranged_figures, with_figures

    G = example(cn_nd="0.2..0.6", au_nd="0.1..0.5")
    nd = {e.element: e for e in origin_share(G, "magnet", as_of=DAY).elements}["Nd"]
    assert (nd.mass_share_low, nd.mass_share_high) == (approx(0.2), approx(0.9))
    figures = {f.label: f for f in ranged_figures(G)}
    cn, au = figures["cn-sep>jp-mag:nd-ox.share"], figures["au-sep>jp-mag:nd-ox.share"]
    seen_low, seen_high = [], []
    for a in np.linspace(cn.low, cn.high, 5):
        for b in np.linspace(au.low, au.high, 5):
            if a + b > 1 + 1e-12:
                continue
            H = with_figures(G, {cn.key: a, au.key: b})
            point = {e.element: e for e in origin_share(H, "magnet", as_of=DAY).elements}["Nd"]
            assert nd.mass_share_low - 1e-12 <= point.mass_share_low
            assert point.mass_share_high <= nd.mass_share_high + 1e-12
            assert nd.mass_share_low - 1e-12 <= (point.mass_share or 0.0)
            assert (point.mass_share or 0.0) <= nd.mass_share_high + 1e-12
            seen_low.append(point.mass_share_low)
            seen_high.append(point.mass_share_high)
    assert min(seen_low) == approx(0.2) and max(seen_high) == approx(0.9)


# --------------------------------------------------------------------------- shipments


def _compliance(tmp_path: Path, share: str) -> nx.MultiDiGraph:
    target = tmp_path / "compliance"
    shutil.copytree(DATA / "compliance_mini", target)
    path = target / "supplies.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line.replace("cn-sep,jp-mag,oxide,0.6,", f"cn-sep,jp-mag,oxide,{share},")
             for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_dataset(target)


@pytest.mark.parametrize(("share", "test", "low", "high"), [
    # CN 0..0.6 beside US 0.4 (from 2027): the Chinese fraction of the magnet's oxide runs
    # from 0 to 0.6; value 0.312 kg · 70 $ · [0, 0.6] = 0 .. 13.104 $ of a 100 $ magnet:
    # 0 % .. 13.1 % straddles 0.1 %.
    ("0..0.6", "undecided", 0.0, 0.13104),
    # CN 0.3..0.6: fraction 0.3/0.7 .. 0.6/1.0: 9.36 % .. 13.1 %, all above 0.1 %.
    ("0.3..0.6", "crosses", 0.312 * 70 * 0.3 / 0.7 / 100, 0.13104),
])
def test_value_test_on_a_shipment_reports_its_interval(
        tmp_path: Path, share: str, test: str, low: float, high: float) -> None:
    G = _compliance(tmp_path, share)
    rows = [r for r in shipment_verdicts(G, "missile", as_of="2027-06-01", rules="NO61")
            if r.supplier == "jp-mag"]
    assert rows, "the magnet shipment JP → US is tested"
    for r in rows:
        assert r.threshold_test == test
        assert (r.value_share_low, r.value_share_high) == (approx(low), approx(high))
        assert ("undecided" in r.evidence) == (test == "undecided")


def _listed(tmp_path: Path, share: str) -> nx.MultiDiGraph:
    """compliance_mini with a civil missile, cn-co on an entity list and its stake in us-co
    (the buyer of the magnet shipment JP → US) written ``share``."""
    target = tmp_path / "listed"
    shutil.copytree(DATA / "compliance_mini", target)

    def edit(name: str, old: str, new: str) -> None:
        path = target / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    edit("products.csv", "illustrative,military,US", "illustrative,civil,US")
    edit("companies.csv", "cn-co,Chinese Co,CN,true,,", "cn-co,Chinese Co,CN,true,EL,")
    edit("ownership.csv", "cn-co,us-co,0.1,", f"cn-co,us-co,{share},")
    return load_dataset(target)


@pytest.mark.parametrize(("share", "verdict", "test"), [
    ("0.3..0.7", "denied", "undecided"),        # 0.3 < 50 % ≤ 0.7: straddles
    ("0.5..0.7", "denied", "crosses"),          # listed at both ends
    ("0.1..0.4", "licence-required", "crosses"),  # never listed: the value test alone
])
def test_ranged_ownership_makes_the_50_percent_test_undecided(
        tmp_path: Path, share: str, verdict: str, test: str) -> None:
    """A civil missile: the end-user clause bites only through a listed buyer. us-co is
    listed when cn-co (listed) holds ≥ 50 % of it. The magnet's value test crosses (13.1 %
    > 0.1 % at every end), so the verdict's test is the ownership one where it matters."""
    G = _listed(tmp_path, share)
    (row,) = [r for r in shipment_verdicts(G, "missile", as_of="2026-12-15", rules="NO61")
              if r.supplier == "jp-mag"]
    assert row.verdict.value == verdict
    assert row.threshold_test == test


# --------------------------------------------------------------------------- shortfall


def _andor(tmp_path: Path, **capacity: str) -> nx.MultiDiGraph:
    target = tmp_path / "andor"
    shutil.copytree(DATA / "choke_andor", target)
    path = target / "facilities.csv"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split(",")
        if cells[0] in capacity:
            cells[6] = capacity[cells[0]]
        out.append(",".join(cells))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return load_dataset(target)


def test_shortfall_ends_from_a_ranged_supplier_capacity(tmp_path: Path) -> None:
    """choke_andor without China (tests/test_capacity.py): sep-au and ref-dy need
    40·10 + 8·50 = 800 t ore; mine-au makes 250..350 (midpoint 300): shortfall 450 .. 550
    (500 at the midpoint). nd-oxide: sep-au gets ore for 250/10 .. 350/10 = 25 .. 35 t of
    the 60 t mag-jp needs: shortfall 25 .. 35."""
    G = _andor(tmp_path, **{"mine-au": "250..350"})
    rows = {r.product: r for r in find_shortfall(G, fail=["country:CN"], per_platform=False)}
    ore, nd = rows["ore"], rows["nd-oxide"]
    assert ore.demand == 800
    assert (ore.shortfall_min, ore.shortfall_max) == (450, 550)
    assert (nd.shortfall_min, nd.shortfall_max) == (25, 35)


def test_shortfall_ends_from_a_ranged_consumer_capacity(tmp_path: Path) -> None:
    """mag-jp 150..250 t/yr (midpoint 200) needs 0.3 t nd-oxide per t: 45 .. 75 t; sep-au
    delivers 30 (ore for 300/10): shortfall 45 − 30 = 15 .. 75 − 30 = 45 (30 at the
    midpoint, demand 60)."""
    G = _andor(tmp_path, **{"mag-jp": "150..250"})
    nd = {r.product: r for r in find_shortfall(G, fail=["country:CN"],
                                               per_platform=False)}["nd-oxide"]
    assert (nd.demand, nd.demand_min, nd.demand_max) == (60, 45, 75)
    assert (nd.shortfall_min, nd.shortfall_max) == (15, 45)


def test_has_ranges_is_kept_per_graph_until_its_structure_changes() -> None:
    """MINI has no ranged figure. A product added with a price range makes it ranged (the
    graph's cache is emptied when a node is added); a view is read afresh each time."""
    from oretrace.graphmodel import at
    from oretrace.queries.intervals import has_ranges

    G = load_dataset(DATA / "mini")
    V = at(G, "2026-11-24")
    assert not has_ranges(G) and not has_ranges(V)
    G.add_node("ranged", kind="product", unit_price_usd=2.0, unit_price_usd_lo=1.0,
               unit_price_usd_hi=3.0)
    assert has_ranges(G)
    assert has_ranges(V)
