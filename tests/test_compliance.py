"""Compliance on shipments (DESIGN §3b) on small hand-drawn networks; answers worked on paper.

The drawn network (``network``), every link share 1 unless said, all ``documented``::

    au-sep (AU) ── nd-ox (Nd 0.857, 70 $/kg) ──┐
    cn-sep (CN) ── dy-ox (Dy 0.871, 370 $/kg) ──┴─► jp-mag (JP, magnet 100 $/kg)
    jp-mag ── magnet ──► us-act (US, actuator 5,000 $ each, 10 kg magnet)
    us-act ── actuator ──► asm (US) ── P (platform, 1 actuator)

One kg of magnet needs 0.3 kg nd-ox and ``dy`` kg dy-ox. Shipments (links across a border):
au-sep → jp-mag (AU → JP), cn-sep → jp-mag (CN → JP), jp-mag → us-act (JP → US); us-act →
asm is US → US, not a shipment.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from oretrace.graphmodel import QueryError, Records, UnknownNodeError, build_graph
from oretrace.graphmodel.rules import Rule
from oretrace.graphmodel.schema import (
    BomLine,
    Company,
    Facility,
    Ownership,
    Product,
    Source,
    Supply,
    Technology,
)
from oretrace.queries.compliance import check_compliance, evaluate, list_rules, procurement_verdicts
from oretrace.queries.shipments import find_shipments, list_shipments, shipment_verdicts

CITE = {"sources": ["hand"], "confidence": "documented"}
STATUS = {"sources": ["hand"], "confidence": "documented"}


def P(id: str, category: str, elements: str = "", unit: str = "kg",
      price: float | None = None, **kw: Any) -> Product:
    return Product(id=id, name=id, category=category, elements=elements, unit=unit,
                   unit_price_usd=price, **(CITE | kw))


def B(product: str, input: str, qty: float) -> BomLine:
    return BomLine(product=product, input=input, qty=qty, **CITE)


def F(id: str, country: str | None, stage: str, products: str, **kw: Any) -> Facility:
    return Facility(id=id, name=id, country=country, stage=stage, products=products,
                    **(CITE | kw))


def S(supplier: str, buyer: str, product: str, share: float = 1.0, **kw: Any) -> Supply:
    return Supply(supplier=supplier, buyer=buyer, product=product, share=share, **(CITE | kw))


def clause(id: str, kind: str, verdict: str, trigger: dict[str, Any], **kw: Any
           ) -> dict[str, Any]:
    return {"id": id, "kind": kind, "text": id, "verdict": verdict, "trigger": trigger, **kw}


NO18 = Rule.model_validate({
    "id": "NO18", "name": "No. 18", "authority": "MOFCOM", "instrument": "No. 18",
    "effective": "2025-04-04",
    "scope": {"elements": ["Sm", "Dy", "Tb"], "categories": ["oxide", "metal", "magnet"]},
    "clauses": [clause("china-origin", "export", "licence-required",
                       {"kind": "origin_content", "origin": "CN"})],
    **CITE})

NO61 = Rule.model_validate({
    "id": "NO61", "name": "No. 61", "authority": "MOFCOM", "instrument": "No. 61",
    "effective": "2025-12-01", "known_until": "2026-11-10",
    "status": [{"event": "suspended", "date": "2025-11-07", "until": "2026-11-10", **STATUS}],
    "scope": {"categories": ["oxide", "metal", "alloy", "magnet", "component"]},
    "clauses": [
        clause("value-share", "extraterritorial", "licence-required",
               {"kind": "origin_value_share", "threshold": 0.001}),
        clause("chinese-technology", "extraterritorial", "licence-required",
               {"kind": "origin_technology", "stages": ["mining", "separation", "magnet"]}),
        clause("military-value", "end-user", "denied",
               {"kind": "end_user", "end_users": ["military", "listed"]},
               requires=["value-share"]),
        clause("military-technology", "end-user", "denied",
               {"kind": "end_user", "end_users": ["military", "listed"]},
               requires=["chinese-technology"])],
    **CITE})

NO62 = Rule.model_validate({
    "id": "NO62", "name": "No. 62", "authority": "MOFCOM", "instrument": "No. 62",
    "effective": "2025-10-09",
    "clauses": [clause("chinese-technology", "technology", "licence-required",
                       {"kind": "origin_technology",
                        "stages": ["mining", "separation", "magnet"]})],
    **CITE})

DFARS = Rule.model_validate({
    "id": "DFARS", "name": "DFARS", "authority": "DoD", "instrument": "252.225-7052",
    "effective": "2019-04-30",
    "scope": {"categories": ["magnet"], "delivered_to": ["US"]},
    "clauses": [clause("melted-or-produced", "procurement", "non-compliant",
                       {"kind": "stage_in_countries", "stages": ["melted", "produced"],
                        "countries": ["CN", "RU", "IR", "KP"]})],
    "waivers": [{"id": "W22", "end_item": "P", "granted": "2022-10-07",
                 "through": "2023-10-31", **CITE}],
    **CITE})

AFTER = "2026-12-15"  # No. 61 applies again (assumed: its status is recorded to 2026-11-10)


def graph(*records: Any, rules: list[Rule] | None = None) -> nx.MultiDiGraph:
    tables: dict[str, list[Any]] = {}
    names: dict[type, str] = {
        Product: "products", BomLine: "bom", Facility: "facilities", Supply: "supplies",
        Technology: "technologies", Company: "companies", Ownership: "ownership"}
    for r in records:
        tables.setdefault(names[type(r)], []).append(r)
    return build_graph(Records(sources=[Source(id="hand", title="Hand-drawn")],
                               rules=rules if rules is not None else [NO18, NO61, NO62, DFARS],
                               **tables))  # type: ignore[arg-type]


def network(dy: float = 0.1, *, end_user: str = "military", extra: tuple[Any, ...] = (),
            act_share: float = 1.0) -> list[Any]:
    return [
        P("nd-ox", "oxide", "Nd=0.857", price=70), P("dy-ox", "oxide", "Dy=0.871", price=370),
        P("magnet", "magnet", price=100), P("actuator", "component", unit="each", price=5000),
        P("P", "platform", unit="each", price=1e8, end_user=end_user, delivered_to="US"),
        B("magnet", "nd-ox", 0.3), B("magnet", "dy-ox", dy), B("actuator", "magnet", 10),
        B("P", "actuator", 1),
        F("au-sep", "AU", "separation", "nd-ox"), F("cn-sep", "CN", "separation", "dy-ox"),
        F("jp-mag", "JP", "magnet", "magnet"), F("us-act", "US", "component", "actuator"),
        F("asm", "US", "assembly", "P"),
        S("au-sep", "jp-mag", "nd-ox"), S("cn-sep", "jp-mag", "dy-ox"),
        S("jp-mag", "us-act", "magnet", act_share), S("us-act", "asm", "actuator"), *extra]


def rows(G: nx.MultiDiGraph, as_of: str = AFTER, **kw: Any) -> dict[tuple[str, str], Any]:
    return {(r.supplier, r.rule): r for r in shipment_verdicts(G, "P", as_of=as_of, **kw)}


def test_shipments_are_the_needed_links_across_a_border() -> None:
    """au-sep→jp-mag, cn-sep→jp-mag, jp-mag→us-act cross borders; us-act→asm does not."""
    found = list_shipments(graph(*network()), "P", as_of=AFTER)
    assert [(s.supplier, s.buyer, s.from_country, s.to_country) for s in found] == [
        ("au-sep", "jp-mag", "AU", "JP"), ("cn-sep", "jp-mag", "CN", "JP"),
        ("jp-mag", "us-act", "JP", "US")]
    assert all(s.end_uses == ["military"] and s.destinations == ["US"] for s in found)


def test_chinese_dy_oxide_to_a_japanese_magnet_maker_needs_a_no18_licence() -> None:
    """cn-sep ships dy-ox (holds Dy, in No. 18's scope) from CN to JP: licence required.
    au-sep's Nd oxide leaves Australia, and the Japanese magnet leaves Japan: No. 18 (an
    export-from-China rule) bites on neither. A Chinese Nd-only oxide holds none of No. 18's
    elements: no licence."""
    found = rows(graph(*network()), rules=["NO18"])
    assert set(found) == {("cn-sep", "NO18")}
    row = found[("cn-sep", "NO18")]
    assert (row.verdict, row.clause, row.status, row.product) == \
        ("licence-required", "china-origin", "in-force", "dy-ox")
    assert "holds Dy" in row.evidence
    nd_only = network(extra=(P("nd-ox-cn", "oxide", "Nd=0.857", price=70),
                             F("cn-nd", "CN", "separation", "nd-ox-cn")))
    nd_only = [r for r in nd_only if not (isinstance(r, Supply) and r.supplier == "au-sep")]
    nd_only = [r for r in nd_only if not (isinstance(r, BomLine) and r.input == "nd-ox")]
    nd_only += [B("magnet", "nd-ox-cn", 0.3), S("cn-nd", "jp-mag", "nd-ox-cn")]
    assert ("cn-nd", "NO18") not in rows(graph(*nd_only), rules=["NO18"])


@pytest.mark.parametrize(("dy", "share", "bites"), [
    (0.1, 0.37, True),         # 0.1 kg × 370 $ = 37 $ of a 100 $ kg of magnet: 37 % ≥ 0.1 %
    (0.002, 0.0074, True),     # 0.002 × 370 = 0.74 $ of 100 $: 0.74 % ≥ 0.1 %
    (0.0002, 0.00074, False),  # 0.0002 × 370 = 0.074 $ of 100 $: 0.074 % < 0.1 %
])
def test_the_value_test_reads_the_shipped_magnet(dy: float, share: float, bites: bool) -> None:
    """The magnet jp-mag ships to us-act holds Chinese Dy oxide (an item of Chinese origin,
    counted at its price) and Australian Nd oxide (not of Chinese origin). The value test
    reads the shipped item — the magnet — not the 100 M$ platform, whose share would be far
    below 0.1 %. Civil end use: a licence, not a denial."""
    found = rows(graph(*network(dy, end_user="civil")), rules=["NO61"])
    if not bites:
        assert ("jp-mag", "NO61") not in found
        return
    row = found[("jp-mag", "NO61")]
    assert (row.verdict, row.clause) == ("licence-required", "value-share")
    assert row.value_share == pytest.approx(share)
    assert (row.from_country, row.to_country) == ("JP", "US")


def test_military_end_use_turns_the_licence_into_a_denial() -> None:
    """Same magnet (37 %), platform for a military end user: No. 61 §II denies it."""
    row = rows(graph(*network()), rules=["NO61"])[("jp-mag", "NO61")]
    assert (row.verdict, row.clause, row.end_use) == ("denied", "military-value", "military")
    assert row.value_share == pytest.approx(0.37)


def test_a_listed_buyer_is_denied_even_for_civil_use() -> None:
    """us-act is run by us-co, 60 % owned by a listed company: ≥ 50 %, so us-act is a listed
    buyer and the civil-use licence becomes a denial."""
    extra = (Company(id="listed-co", name="l", country="US", listed_on="CN-UEL", **CITE),
             Company(id="us-co", name="u", country="US", **CITE),
             Ownership(owner="listed-co", owned="us-co", share=0.6, **CITE))
    recs = [r if not (isinstance(r, Facility) and r.id == "us-act")
            else F("us-act", "US", "component", "actuator", company="us-co")
            for r in network(end_user="civil", extra=extra)]
    row = rows(graph(*recs), rules=["NO61"])[("jp-mag", "NO61")]
    assert row.verdict == "denied"
    assert row.end_use.startswith("listed buyer (us-co ≥ 50 % owned by listed listed-co")


def test_a_us_magnet_plant_on_chinese_know_how_is_flagged_but_needs_no_licence() -> None:
    """us-mag (US) runs Chinese sintering and ships its magnet to us-act (US → US): no
    shipment, so no No. 61 licence; No. 62 flags us-mag (a technology licence to keep its
    know-how), not the platform. Its magnet holds no Chinese-origin item (Australian oxide)."""
    sinter = Technology(id="cn-sinter", name="s", stage="magnet", origin_country="CN", **CITE)
    recs = [r for r in network() if not (isinstance(r, Supply) and r.supplier in
                                          ("jp-mag", "cn-sep"))]
    recs = [r for r in recs if not (isinstance(r, BomLine) and r.input == "dy-ox")]
    recs += [sinter, F("us-mag", "US", "magnet", "magnet", technologies="cn-sinter"),
             S("au-sep", "us-mag", "nd-ox"), S("us-mag", "us-act", "magnet")]
    G = graph(*recs)
    assert shipment_verdicts(G, "P", as_of=AFTER) == []
    answer = check_compliance(G, "P", as_of=AFTER)
    assert [(f.facility, f.technology, f.rule) for f in answer.technology_flags] == \
        [("us-mag", "cn-sinter", "NO62")]
    assert {v.rule: v.verdict.value for v in evaluate(G, "P", as_of=AFTER)}["NO62"] == \
        "facilities-flagged"


def test_a_chinese_mine_on_chinese_technology_never_triggers_the_technology_test() -> None:
    """cn-mine (CN) runs Chinese mining know-how and ships ore to jp-sep (JP), whose oxide
    goes to jp-mag. The technology test reads facilities outside China only: no
    chinese-technology row, no flag. (The ore is no item of No. 61's categories, so the value
    test finds no Chinese item either.)"""
    mining = Technology(id="cn-mining", name="m", stage="mining", origin_country="CN", **CITE)
    recs = [r for r in network() if not (isinstance(r, Supply) and r.supplier == "au-sep")]
    recs += [mining, P("ore", "ore", "Nd=0.05", price=1), B("nd-ox", "ore", 20),
             F("cn-mine", "CN", "mine", "ore", technologies="cn-mining"),
             F("jp-sep", "JP", "separation", "nd-ox"), S("cn-mine", "jp-sep", "ore"),
             S("jp-sep", "jp-mag", "nd-ox")]
    G = graph(*recs)
    assert not [r for r in shipment_verdicts(G, "P", as_of=AFTER, rules=["NO61"])
                if r.clause in ("chinese-technology", "military-technology")]
    assert check_compliance(G, "P", as_of=AFTER).technology_flags == []


def test_a_second_licence_free_route_keeps_the_platform_supplied() -> None:
    """us-act takes half its magnets from jp-mag (denied: 37 % Chinese value, military) and
    half from au-mag (Nd and Dy oxide from Australia: no Chinese item, no licence). One is
    enough (OR across suppliers): the platform stays supplied when the denied shipment stops.
    Without au-mag, us-act and asm lose supply."""
    second = (F("au-mag", "AU", "magnet", "magnet"), F("au-dy", "AU", "separation", "dy-ox"),
              S("au-sep", "au-mag", "nd-ox"), S("au-dy", "au-mag", "dy-ox"),
              S("au-mag", "us-act", "magnet", 0.5))
    both = graph(*network(act_share=0.5, extra=second))
    answer = check_compliance(both, "P", as_of=AFTER)
    denied = [r for r in answer.shipments if r.verdict == "denied"]
    assert [(r.supplier, r.buyer) for r in denied] == [("jp-mag", "us-act")]
    assert ("au-mag", "NO61") not in rows(both)
    assert answer.supplied_if_denied_stop is True
    assert answer.lose_supply_if_denied_stop == []
    alone = check_compliance(graph(*network()), "P", as_of=AFTER)
    assert alone.supplied_if_denied_stop is False
    assert alone.lose_supply_if_denied_stop == ["asm", "us-act"]


def test_refusing_every_licence_stops_more_than_the_denials() -> None:
    """Civil end use: nothing is denied (supplied), but refusing the licences cuts
    cn-sep → jp-mag (No. 18) and jp-mag → us-act (No. 61): jp-mag, us-act, asm lose supply."""
    answer = check_compliance(graph(*network(end_user="civil")), "P", as_of=AFTER)
    assert answer.by_verdict == {"licence-required": 2}
    assert answer.supplied_if_denied_stop is True
    assert answer.supplied_if_licences_refused is False
    assert answer.lose_supply_if_licences_refused == ["asm", "jp-mag", "us-act"]


@pytest.mark.parametrize(("as_of", "assume", "status", "applies"), [
    ("2026-06-01", "lapsed", "suspended", False),           # inside No. 70's window
    ("2026-11-10", "lapsed", "suspended", False),           # its last day (inclusive)
    ("2026-11-11", "lapsed", "assumed-in-force", True),     # past known_until: assumed
    ("2026-11-11", "extended", "assumed-suspended", False),
])
def test_rows_past_known_until_say_they_rest_on_an_assumption(
        as_of: str, assume: str, status: str, applies: bool) -> None:
    """No. 61 here is suspended 2025-11-07..2026-11-10, recorded to 2026-11-10. After that the
    status is an assumption: lapsed (in force again) or extended (still suspended); such a
    row is at most estimated although rule and data are documented."""
    row = rows(graph(*network()), as_of=as_of, assume=assume, rules=["NO61"])[("jp-mag", "NO61")]
    assert (row.status, row.applies, row.verdict) == (status, applies, "denied")
    assert row.confidence == ("estimated" if status.startswith("assumed") else "documented")


def test_rules_list_shows_the_assumption() -> None:
    table = list_rules(graph(*network()), as_of=AFTER).set_index("rule")
    assert (table.loc["NO61", "status"], table.loc["NO61", "assumption"]) == \
        ("assumed-in-force", "lapsed")
    assert table.loc["NO61", "suspensions"] == ["2025-11-07..2026-11-10"]
    assert table.loc["NO18", "status"] == "in-force"


def cn_alloy_network() -> list[Any]:
    """The magnet is made in Japan from alloy cast in China (the 2022 F-35 case)."""
    recs = [r for r in network() if not (isinstance(r, BomLine) and r.product == "magnet")]
    recs = [r for r in recs if not (isinstance(r, Supply) and r.buyer == "jp-mag")]
    return recs + [P("alloy", "alloy", "Sm=0.33", price=90), B("magnet", "alloy", 1.0),
                   F("cn-alloy", "CN", "alloy", "alloy"), S("cn-alloy", "jp-mag", "alloy")]


@pytest.mark.parametrize(("as_of", "verdict", "waiver"), [
    ("2022-08-19", "waived", "W22"),       # before the grant, inside the window it covers
    ("2023-10-31", "waived", "W22"),       # its last day
    ("2023-11-01", "non-compliant", None),
])
def test_a_dated_waiver_covers_the_platform_in_its_window(
        as_of: str, verdict: str, waiver: str | None) -> None:
    """Alloy melted in China, magnet made in Japan: non-compliant under 'melted or produced',
    unless the waiver for P covers the date (through 2023-10-31, inclusive)."""
    (v,) = procurement_verdicts(graph(*cn_alloy_network()), "P", as_of=as_of)
    assert (v.verdict, v.waiver, v.clause) == (verdict, waiver, "melted-or-produced")
    assert v.path == ["cn-alloy", "jp-mag", "us-act", "asm", "P"]


def test_an_exception_naming_a_product_on_the_path_makes_it_compliant() -> None:
    rule = DFARS.model_dump(mode="python")
    rule["waivers"] = []
    rule["exceptions"] = [{"id": "electronic", "text": "t", "products": ["actuator"],
                           "sources": ["hand"]}]
    (v,) = procurement_verdicts(graph(*cn_alloy_network(), rules=[Rule.model_validate(rule)]),
                                "P", as_of="2024-01-01")
    assert (v.verdict, v.exception) == ("compliant", "electronic")


def test_a_platform_not_delivered_to_the_us_is_outside_dfars() -> None:
    recs = [r if not (isinstance(r, Product) and r.id == "P")
            else P("P", "platform", unit="each", price=1e8, end_user="military",
                   delivered_to="JP") for r in cn_alloy_network()]
    (v,) = procurement_verdicts(graph(*recs), "P", as_of="2024-01-01")
    assert v.verdict == "not-applicable" and "delivered to JP" in v.evidence


def test_no_platform_verdict_is_a_licence_or_a_denial() -> None:
    """evaluate() summarises shipment rules without calling the platform denied."""
    verdicts = {v.rule: v.verdict.value for v in evaluate(graph(*network()), "P", as_of=AFTER)}
    assert verdicts == {"NO18": "shipments-licensed", "NO61": "shipments-denied",
                        "NO62": "not-applicable", "DFARS": "compliant"}


def test_find_shipments_has_the_issue_columns() -> None:
    table = find_shipments(graph(*network()), "P", as_of=AFTER)
    assert {"supplier", "buyer", "product", "from_country", "to_country", "rule", "clause",
            "verdict", "end_use", "evidence", "value_share", "status", "confidence",
            "sources"} <= set(table.columns)


def test_unknown_ids_and_bad_options_are_clear_errors() -> None:
    G = graph(*network())
    with pytest.raises(UnknownNodeError, match="no product with id 'p'"):
        shipment_verdicts(G, "p")
    with pytest.raises(UnknownNodeError, match="no rule with id 'NO99'"):
        shipment_verdicts(G, "P", rules=["NO99"])
    with pytest.raises(QueryError, match="assume must be one of lapsed, extended"):
        check_compliance(G, "P", assume="hopeful")
    with pytest.raises(QueryError, match="end user must be one of military, civil"):
        evaluate(G, "P", end_user="navy")


def test_an_end_use_or_destination_read_in_place_of_the_platforms_is_checked() -> None:
    """A misspelt end use or a destination that is no country code is an error, not a
    reading under which no trigger matches (evaluate alone checked the end use before)."""
    G = graph(*network())
    for query in (shipment_verdicts, find_shipments, evaluate):
        with pytest.raises(QueryError, match="end user must be one of military, civil, listed"):
            query(G, "P", as_of=AFTER, end_user="militray")
        with pytest.raises(QueryError, match="destination 'USA' is not an ISO 3166-1"):
            query(G, "P", as_of=AFTER, destination="USA")


def test_the_shipment_table_reads_the_end_use_asked_for() -> None:
    """The same 37 % magnet shipment: denied for the platform's own military end use (§II),
    a licence for a civil one (§I) -- find_shipments now takes the end use as
    shipment_verdicts does."""
    G = graph(*network())
    verdicts = {use: find_shipments(G, "P", as_of=AFTER, rules="NO61", end_user=use)
                .set_index("supplier").loc["jp-mag", "verdict"] for use in ("military", "civil")}
    assert verdicts == {"military": "denied", "civil": "licence-required"}


def test_rules_listing_caps_the_confidence_of_an_assumed_status() -> None:
    """tests/data/compliance_mini: NO61 is `documented` and suspended to 2026-11-10, its status
    recorded to that day (known_until). On 2026-11-10 the suspension is a fact: `suspended`,
    `documented`. On 2026-12-15 nothing is recorded, so the listing rests on the lapsed
    assumption: `assumed-in-force`, and its confidence is at most `estimated` (DESIGN §4).
    DFARS has no pending status and keeps `documented`."""
    from pathlib import Path

    from oretrace.loaders import load_dataset

    G = load_dataset(Path(__file__).parent / "data" / "compliance_mini")
    rows = {r["rule"]: r for r in list_rules(G, as_of="2026-11-10").to_dict("records")}
    assert (rows["NO61"]["status"], rows["NO61"]["confidence"]) == ("suspended", "documented")
    rows = {r["rule"]: r for r in list_rules(G, as_of="2026-12-15").to_dict("records")}
    assert (rows["NO61"]["status"], rows["NO61"]["confidence"]) == ("assumed-in-force",
                                                                   "estimated")
    assert (rows["DFARS"]["status"], rows["DFARS"]["confidence"]) == ("in-force", "documented")
