"""Origin shares by mass and value on hand-drawn networks; the working is in each docstring."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st
from oretrace.graphmodel import QueryError, Records, UnknownNodeError, build_graph
from oretrace.graphmodel.schema import BomLine, Facility, Product, Source, Supply
from oretrace.queries.content import element_content, find_element_content, origin_share

CITE = {"sources": ["hand"], "confidence": "documented"}


def P(id: str, category: str, elements: str = "", unit: str = "kg",
      price: float | None = None) -> Product:
    return Product(id=id, name=id, category=category, elements=elements, unit=unit,
                   unit_price_usd=price, **CITE)


def B(product: str, input: str, qty: float) -> BomLine:
    return BomLine(product=product, input=input, qty=qty, **CITE)


def F(id: str, country: str | None, stage: str, products: str) -> Facility:
    return Facility(id=id, name=id, country=country, stage=stage, products=products, **CITE)


def S(supplier: str, buyer: str, product: str, share: float = 1.0) -> Supply:
    return Supply(supplier=supplier, buyer=buyer, product=product, share=share, **CITE)


def graph(*records: Any) -> nx.MultiDiGraph:
    tables: dict[str, list[Any]] = {}
    names = {Product: "products", BomLine: "bom", Facility: "facilities", Supply: "supplies"}
    for r in records:
        tables.setdefault(names[type(r)], []).append(r)
    return build_graph(Records(sources=[Source(id="hand", title="Hand-drawn")], **tables))


def approx(x: float) -> Any:
    return pytest.approx(x, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- value


@pytest.fixture
def design_example() -> nx.MultiDiGraph:
    """DESIGN §3's worked example: a magnet (100 $/kg) needs 0.30 kg Nd oxide (70 $/kg),
    40 % from a Chinese separator and 60 % from an Australian one, and 0.06 kg Dy oxide
    (300 $/kg), all Chinese; a 50 M$ platform holds 8 kg of that magnet."""
    return graph(
        P("nd-ox", "oxide", "Nd=0.857", price=70), P("dy-ox", "oxide", "Dy=0.871", price=300),
        P("magnet", "magnet", price=100), P("jet", "platform", unit="each", price=50e6),
        B("magnet", "nd-ox", 0.30), B("magnet", "dy-ox", 0.06), B("jet", "magnet", 8),
        F("cn-sep", "CN", "separation", "nd-ox;dy-ox"), F("au-sep", "AU", "separation", "nd-ox"),
        F("jp-mag", "JP", "magnet", "magnet"), F("us-asm", "US", "assembly", "jet"),
        S("cn-sep", "jp-mag", "nd-ox", 0.4), S("au-sep", "jp-mag", "nd-ox", 0.6),
        S("cn-sep", "jp-mag", "dy-ox", 1.0), S("jp-mag", "us-asm", "magnet"))


def test_design_worked_example_magnet_value_share(design_example: nx.MultiDiGraph) -> None:
    """0.30·0.4·70 + 0.06·1·300 = 8.4 + 18 = 26.4 $ per kg of a 100 $/kg magnet: 26.4 %."""
    r = origin_share(design_example, "magnet", by="value", as_of="2026-01-01")
    assert r.value_usd == approx(26.4)
    assert r.share == approx(0.264)
    by_element = {e.element: e.value_usd for e in r.elements}
    assert by_element == {"Nd": approx(8.4), "Dy": approx(18.0)}


def test_design_worked_example_platform_value_share(design_example: nx.MultiDiGraph) -> None:
    """8 kg × 26.4 $ = 211.2 $ in a 50 M$ platform: 211.2 / 5e7 = 4.224e-6 = 0.00042 %."""
    r = origin_share(design_example, "jet", by="value", as_of="2026-01-01")
    assert r.value_usd == approx(211.2)
    assert r.share == approx(4.224e-6)
    assert r.unit_price_usd == 50e6


def test_design_example_mass_share(design_example: nx.MultiDiGraph) -> None:
    """By mass, per kg of magnet: Nd 0.30·0.857 = 0.2571 kg, 40 % Chinese; Dy 0.06·0.871 =
    0.05226 kg, all Chinese. Together (0.2571·0.4 + 0.05226)/(0.2571 + 0.05226)
    = 0.1551/0.30936 = 0.50136."""
    r = origin_share(design_example, "magnet", as_of="2026-01-01")
    rows = {e.element: e for e in r.elements}
    assert rows["Nd"].kg_per_unit == approx(0.2571)
    assert rows["Nd"].mass_share == approx(0.4)
    assert rows["Dy"].mass_share == approx(1.0)
    assert r.share == approx((0.2571 * 0.4 + 0.05226) / (0.2571 + 0.05226))
    assert r.coverage == approx(1.0)


@pytest.fixture
def thresholds() -> nx.MultiDiGraph:
    """Two platforms against the 0.1 % line.

    ``cheap-tb`` (100,000 $): 100 kg of a Japanese NdFeB magnet (Nd 0.3, 50 $/kg) and
    0.05 kg of a Chinese Tb alloy (Tb 0.5, 3,000 $/kg).
    ``dear-all-cn`` (1,000,000,000 $): 10 kg of a Chinese magnet (Nd 0.3, 50 $/kg).
    """
    return graph(
        P("magnet", "magnet", "Nd=0.3", price=50), P("tb-alloy", "alloy", "Tb=0.5", price=3000),
        P("cheap-tb", "platform", unit="each", price=100_000),
        P("dear-all-cn", "platform", unit="each", price=1e9),
        B("cheap-tb", "magnet", 100), B("cheap-tb", "tb-alloy", 0.05),
        B("dear-all-cn", "magnet", 10),
        F("jp-mag", "JP", "magnet", "magnet"), F("cn-alloy", "CN", "alloy", "tb-alloy"),
        F("cn-mag", "CN", "magnet", "magnet"),
        F("asm-1", "US", "assembly", "cheap-tb"), F("asm-2", "US", "assembly", "dear-all-cn"),
        S("jp-mag", "asm-1", "magnet"), S("cn-alloy", "asm-1", "tb-alloy"),
        S("cn-mag", "asm-2", "magnet"))


def test_value_share_crosses_the_line_when_mass_share_does_not(
        thresholds: nx.MultiDiGraph) -> None:
    """Mass: Tb 0.05·0.5 = 0.025 kg of 30.025 kg of rare earths = 0.0833 % < 0.1 %.
    Value: 0.05 kg × 3,000 $ = 150 $ of 100,000 $ = 0.15 % ≥ 0.1 %."""
    mass = origin_share(thresholds, "cheap-tb", by="mass", as_of="2026-01-01")
    value = origin_share(thresholds, "cheap-tb", by="value", as_of="2026-01-01")
    assert mass.share == approx(0.025 / 30.025)
    assert mass.share < 0.001
    assert value.share == approx(0.0015)
    assert value.share >= 0.001


def test_mass_share_crosses_the_line_when_value_share_does_not(
        thresholds: nx.MultiDiGraph) -> None:
    """Mass: all of the 3 kg of Nd is Chinese: 100 %. Value: 10 kg × 50 $ = 500 $ of 1 G$
    = 5e-7 = 0.00005 % < 0.1 %."""
    assert origin_share(thresholds, "dear-all-cn", as_of="2026-01-01").share == approx(1.0)
    value = origin_share(thresholds, "dear-all-cn", by="value", as_of="2026-01-01")
    assert value.share == approx(5e-7)


def test_an_origin_item_counts_once_at_its_outermost_tier() -> None:
    """A Chinese magnet plant makes a magnet (60 $/kg) from Chinese oxide (0.3 kg at 70 $).
    The magnet counts at 60 $, not 60 + 0.3·70 = 81 $; its oxide is inside it."""
    G = graph(P("ox", "oxide", "Nd=0.857", price=70), P("mag", "magnet", price=60),
              P("thing", "component", unit="each", price=1000),
              B("mag", "ox", 0.3), B("thing", "mag", 1),
              F("cn-sep", "CN", "separation", "ox"), F("cn-mag", "CN", "magnet", "mag"),
              F("us-asm", "US", "component", "thing"),
              S("cn-sep", "cn-mag", "ox"), S("cn-mag", "us-asm", "mag"))
    assert origin_share(G, "thing", by="value", as_of="2026-01-01").value_usd == approx(60.0)


# --------------------------------------------------------------------------- mass


@pytest.fixture
def two_tiers() -> nx.MultiDiGraph:
    """cn-mine (CN) and us-mine (US) each feed half of us-sep's ore; cn-sep (CN) takes
    cn-mine's ore; jp-mag takes 40 % of its oxide from cn-sep and 60 % from us-sep; the
    platform (4 actuators × 0.5 kg magnet, Nd 0.267) is built from jp-mag's magnets."""
    return graph(
        P("ore", "ore", "Nd=0.05", price=1), P("oxide", "oxide", "Nd=0.857", price=70),
        P("magnet", "magnet", "Nd=0.267", price=100), P("act", "component", unit="each"),
        P("P", "platform", unit="each", price=1e6),
        B("oxide", "ore", 20), B("magnet", "oxide", 0.312), B("act", "magnet", 0.5),
        B("P", "act", 4),
        F("cn-mine", "CN", "mine", "ore"), F("us-mine", "US", "mine", "ore"),
        F("cn-sep", "CN", "separation", "oxide"), F("us-sep", "US", "separation", "oxide"),
        F("jp-mag", "JP", "magnet", "magnet"), F("us-act", "US", "component", "act"),
        F("us-asm", "US", "assembly", "P"),
        S("cn-mine", "cn-sep", "ore"), S("cn-mine", "us-sep", "ore", 0.5),
        S("us-mine", "us-sep", "ore", 0.5), S("cn-sep", "jp-mag", "oxide", 0.4),
        S("us-sep", "jp-mag", "oxide", 0.6), S("jp-mag", "us-act", "magnet"),
        S("us-act", "us-asm", "act"))


def test_mass_share_dilutes_through_two_tiers(two_tiers: nx.MultiDiGraph) -> None:
    """us-sep: 0.5·1 (Chinese mine) + 0.5·0 = 0.5. jp-mag: 0.4·1 (cn-sep resets to 1)
    + 0.6·0.5 = 0.7. The actuator and the platform carry jp-mag's 0.7 on.
    Kilograms: 4 × 0.5 × 0.267 = 0.534 kg Nd per platform, 0.7 × 0.534 = 0.3738 Chinese."""
    r = origin_share(two_tiers, "P", as_of="2026-01-01")
    assert r.share == approx(0.7)
    assert r.kg_per_unit == approx(0.534)
    assert r.elements[0].origin_kg == approx(0.3738)
    assert (r.share_low, r.share_high, r.coverage) == (approx(0.7), approx(0.7), approx(1.0))


def test_origin_stages_narrow_what_counts(two_tiers: nx.MultiDiGraph) -> None:
    """Counting only separation in China as origin: us-sep's ore no longer counts (0);
    jp-mag = 0.4·1 + 0.6·0 = 0.4. Counting only mining: cn-sep passes cn-mine's 1 on, so
    jp-mag = 0.4·1 + 0.6·0.5 = 0.7 again."""
    assert origin_share(two_tiers, "P", stages={"separation"}).share == approx(0.4)
    assert origin_share(two_tiers, "P", stages={"mine"}).share == approx(0.7)


def test_unknown_supply_is_normalised_and_bounded() -> None:
    """jp-mag's oxide: 0.5 from cn-sep, 0.3 from au-sep, 0.2 from nobody known.
    Normalised over the known 0.8: 0.5/0.8 = 0.625. Low (rest not Chinese) 0.5; high (rest
    Chinese) 0.7; coverage 1 − (0.7 − 0.5) = 0.8.
    Its Dy oxide has no supplier at all (a data gap): Dy is untraced (share None, bounds
    0..1, coverage 0) and the headline normalises over the traced Nd alone."""
    G = graph(P("nd-ox", "oxide", "Nd=0.857", price=70), P("dy-ox", "oxide", "Dy=0.871"),
              P("magnet", "magnet", price=100),
              B("magnet", "nd-ox", 0.3), B("magnet", "dy-ox", 0.06),
              F("cn-sep", "CN", "separation", "nd-ox"), F("au-sep", "AU", "separation", "nd-ox"),
              F("jp-mag", "JP", "magnet", "magnet"),
              S("cn-sep", "jp-mag", "nd-ox", 0.5), S("au-sep", "jp-mag", "nd-ox", 0.3))
    r = origin_share(G, "magnet", as_of="2026-01-01")
    nd, dy = sorted(r.elements, key=lambda e: e.element != "Nd")
    assert (nd.mass_share, nd.mass_share_low, nd.mass_share_high, nd.coverage) == \
        (approx(0.625), approx(0.5), approx(0.7), approx(0.8))
    assert (dy.mass_share, dy.mass_share_low, dy.mass_share_high, dy.coverage) == \
        (None, 0.0, 1.0, 0.0)
    assert r.share == approx(0.625)
    value = origin_share(G, "magnet", by="value", as_of="2026-01-01")
    assert value.value_usd == approx(0.3 * 70 * 0.5 / 0.8)


def recycling_loop(*, scrap_bom: bool) -> nx.MultiDiGraph:
    """us-mag makes magnets (and scrap) from alloy, half from cn-alloy (CN), half from
    us-rec, which recycles scrap. BOM: magnet ← 1.0 alloy; alloy ← 1.1 scrap;
    platform ← 2 magnet.

    Without a scrap BOM, scrap is us-mag's by-product and us-rec takes half its scrap from
    us-mag and half from a US scrapyard (where Nd enters, not Chinese). With
    ``scrap ← 1.0 magnet`` every scrap maker needs magnets, so us-rec takes all its scrap
    from us-mag and the loop runs through the bill of materials too.
    """
    records: list[Any] = [
        P("alloy", "alloy", "Nd=0.3", price=80), P("scrap", "scrap", "Nd=0.25", price=30),
        P("magnet", "magnet", "Nd=0.28", price=120), P("P", "platform", unit="each", price=1e6),
        B("magnet", "alloy", 1.0), B("alloy", "scrap", 1.1), B("P", "magnet", 2),
        F("cn-alloy", "CN", "alloy", "alloy"), F("us-mag", "US", "magnet", "magnet;scrap"),
        F("us-rec", "US", "recycling", "alloy"), F("asm", "US", "assembly", "P"),
        S("cn-alloy", "us-mag", "alloy", 0.5), S("us-rec", "us-mag", "alloy", 0.5),
        S("us-mag", "asm", "magnet")]
    if scrap_bom:
        records += [B("scrap", "magnet", 1.0), S("us-mag", "us-rec", "scrap", 1.0)]
    else:
        records += [F("yard", "US", "component", "scrap"),
                    S("us-mag", "us-rec", "scrap", 0.5), S("yard", "us-rec", "scrap", 0.5)]
    return graph(*records)


def test_a_recycling_loop_is_solved_not_cut() -> None:
    """Mass (scrap a by-product): m = 0.5·1 + 0.5·r (us-mag) and r = 0.5·m + 0.5·0
    (us-rec), so m = 0.5 + 0.25·m, m = 2/3. Cutting the loop would say 0.5.
    Value per kg magnet: us-mag's scrap is valued at its price × us-mag's mass share,
    30·2/3 = 20 $; recycled alloy a = 1.1·(0.5·20 + 0.5·0) = 11 $; magnet
    v = 1.0·(0.5·80 + 0.5·11) = 45.5 $; the platform holds 2·45.5 = 91 $."""
    r = origin_share(recycling_loop(scrap_bom=False), "P", as_of="2026-01-01")
    assert r.share == approx(2 / 3)
    assert r.value_usd == approx(91.0)


def test_a_loop_through_the_bill_of_materials_is_solved() -> None:
    """Scrap ← 1.0 magnet, all of us-rec's scrap from us-mag.
    Value per kg magnet: v = 0.5·80 + 0.5·a, a = 1.1·s, s = 1.0·v, so v = 40 + 0.55·v,
    v = 40/0.45 = 88.89 $; the platform holds 2·v = 177.78 $.
    Mass: m = 0.5 + 0.5·r, r = m: the only virgin Nd is Chinese, so m = 1."""
    r = origin_share(recycling_loop(scrap_bom=True), "P", as_of="2026-01-01")
    assert r.value_usd == approx(2 * 40 / 0.45)
    assert r.value_share == approx(2 * 40 / 0.45 / 1e6)
    assert r.mass_share == approx(1.0)


def test_a_loop_that_gives_back_more_than_it_takes_is_an_error() -> None:
    """With 2.5 kg scrap per kg alloy the loop gain is 0.5·2.5·1 = 1.25 ≥ 1: a magnet
    would hold more than itself."""
    G = recycling_loop(scrap_bom=True)
    G.edges["alloy", "scrap", "requires"]["qty"] = 2.5
    with pytest.raises(QueryError, match="recycling loop"):
        origin_share(G, "P", by="value", as_of="2026-01-01")


tiers = st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1,
                 max_size=6)


@settings(max_examples=40, deadline=None)
@given(tiers)
def test_a_chain_of_mixes_matches_its_closed_form(fractions: list[float]) -> None:
    """Tier i (a Japanese pool) takes a_i from a Chinese pool and 1 − a_i from tier i − 1;
    tier 0 is a US mine. x_i = a_i + (1 − a_i)·x_{i−1}, x_0 = 0, so the share reaching the
    platform is 1 − Π(1 − a_i), by mass and (× the item's price) by value."""
    records: list[Any] = [P("x", "oxide", "Nd=0.8", price=10),
                          P("P", "platform", unit="each", price=1000),
                          B("P", "x", 1.0), F("t0", "US", "mine", "x"),
                          F("asm", "US", "assembly", "P")]
    for i, a in enumerate(fractions, start=1):
        records += [F(f"t{i}", "JP", "market", "x"), F(f"cn{i}", "CN", "market", "x")]
        if a > 0:
            records.append(S(f"cn{i}", f"t{i}", "x", a))
        if a < 1:
            records.append(S(f"t{i - 1}", f"t{i}", "x", 1 - a))
    records.append(S(f"t{len(fractions)}", "asm", "x"))
    expected = 1 - math.prod(1 - a for a in fractions)
    r = origin_share(graph(*records), "P", as_of="2026-01-01")
    assert r.share == pytest.approx(expected, abs=1e-9)
    assert r.value_usd == pytest.approx(10 * expected, abs=1e-9)


# --------------------------------------------------------------------------- content


def test_kilograms_of_each_element_per_unit(design_example: nx.MultiDiGraph) -> None:
    """8 kg magnet × (0.30·0.857 Nd, 0.06·0.871 Dy) = 2.0568 kg Nd, 0.41808 kg Dy."""
    assert element_content(design_example, "jet") == {"Nd": approx(2.0568),
                                                      "Dy": approx(0.41808)}
    table = find_element_content(design_example)
    assert table.values.tolist() == [["jet", "jet", "Dy", approx(0.41808)],
                                     ["jet", "jet", "Nd", approx(2.0568)]]


def test_one_element_and_bad_options(design_example: nx.MultiDiGraph) -> None:
    """Dy alone: all Chinese by mass; by value the Dy-bearing items are 8 × 0.06 × 300
    = 144 $ of the platform."""
    r = origin_share(design_example, "jet", element="Dy", by="value", as_of="2026-01-01")
    assert (r.element, r.value_usd) == ("Dy", approx(144.0))
    assert r.mass_share == approx(1.0)
    with pytest.raises(QueryError, match="by must be 'mass' or 'value'"):
        origin_share(design_example, "jet", by="weight")
    with pytest.raises(QueryError, match="'Xx' is not a chemical element"):
        origin_share(design_example, "jet", element="Xx")
    with pytest.raises(UnknownNodeError, match="did you mean 'jet'"):
        origin_share(design_example, "jte")
