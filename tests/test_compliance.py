"""Rules and verdicts on hand-drawn networks: thresholds, taint, suspensions, DFARS dates."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from oretrace.graphmodel import QueryError, Records, UnknownNodeError, build_graph
from oretrace.graphmodel.schema import BomLine, Facility, Product, Rule, Source, Supply, Technology
from oretrace.queries.compliance import evaluate, list_rules
from oretrace.queries.content import origin_share
from oretrace.queries.predicates import CN_TECHNOLOGY

CITE = {"sources": ["hand"], "confidence": "documented"}
COVERED = ["CN", "RU", "IR", "KP"]


def P(id: str, category: str, elements: str = "", unit: str = "kg",
      price: float | None = None) -> Product:
    return Product(id=id, name=id, category=category, elements=elements, unit=unit,
                   unit_price_usd=price, **CITE)


def B(product: str, input: str, qty: float) -> BomLine:
    return BomLine(product=product, input=input, qty=qty, **CITE)


def F(id: str, country: str | None, stage: str, products: str, **kw: Any) -> Facility:
    return Facility(id=id, name=id, country=country, stage=stage, products=products,
                    **(CITE | kw))


def S(supplier: str, buyer: str, product: str, share: float = 1.0, **kw: Any) -> Supply:
    return Supply(supplier=supplier, buyer=buyer, product=product, share=share, **(CITE | kw))


def no61(suspended_clauses: list[str] | None = None) -> Rule:
    """A No. 61-shaped rule: 0.1 % value test, technology test, military end users denied;
    suspended 2025-11-07..2026-11-10 (whole rule, or only ``suspended_clauses``)."""
    return Rule.model_validate({
        "id": "NO61", "name": "No. 61", "authority": "MOFCOM", "instrument": "No. 61",
        "effective": "2025-12-01",
        "suspensions": [{"start": "2025-11-07", "end": "2026-11-10", "by": "NO70",
                         "clauses": suspended_clauses or []}],
        "scope": {"categories": ["oxide", "metal", "alloy", "magnet"]},
        "clauses": [
            {"id": "value-test", "text": "t", "verdict": "licence-required",
             "trigger": {"kind": "origin_value_share", "origin": "CN", "threshold": 0.001}},
            {"id": "technology-test", "text": "t", "verdict": "licence-required",
             "trigger": {"kind": "origin_technology", "origin": "CN",
                         "stages": ["separation", "metal", "magnet"]}},
            {"id": "military-value", "text": "t", "verdict": "denied",
             "trigger": {"kind": "end_user", "end_users": ["military"]},
             "requires": ["value-test"]},
            {"id": "military-technology", "text": "t", "verdict": "denied",
             "trigger": {"kind": "end_user", "end_users": ["military"]},
             "requires": ["technology-test"]}],
        "sources": ["hand"], "confidence": "documented"})


DFARS = Rule.model_validate({
    "id": "DFARS", "name": "DFARS", "authority": "DoD", "instrument": "252.225-7052",
    "effective": "2019-04-30", "scope": {"categories": ["magnet"]},
    "clauses": [
        {"id": "melted-or-produced", "text": "t", "verdict": "non-compliant",
         "trigger": {"kind": "stage_in_countries", "stages": ["melted", "produced"],
                     "countries": COVERED}},
        {"id": "mined-refined-separated", "text": "t", "verdict": "non-compliant",
         "effective": "2027-01-01",
         "trigger": {"kind": "stage_in_countries",
                     "stages": ["mined", "refined", "separated", "melted", "produced"],
                     "countries": COVERED}}],
    "otherwise": "compliant", "sources": ["hand"], "confidence": "documented"})

NO18 = Rule.model_validate({
    "id": "NO18", "name": "No. 18", "authority": "MOFCOM", "instrument": "No. 18",
    "effective": "2025-04-04", "scope": {"elements": ["Sm", "Dy", "Tb"]},
    "clauses": [{"id": "export-licence", "text": "t", "verdict": "licence-required",
                 "trigger": {"kind": "origin_content", "origin": "CN"}}],
    "sources": ["hand"], "confidence": "documented"})


def graph(*records: Any, rules: list[Rule] | None = None) -> nx.MultiDiGraph:
    tables: dict[str, list[Any]] = {}
    names = {Product: "products", BomLine: "bom", Facility: "facilities", Supply: "supplies",
             Technology: "technologies"}
    for r in records:
        tables.setdefault(names[type(r)], []).append(r)
    return build_graph(Records(sources=[Source(id="hand", title="Hand-drawn")],
                               rules=rules if rules is not None else [no61(), DFARS, NO18],
                               **tables))


def magnet_network(magnet_kg: float, *, platform_price: float = 100_000,
                   cn_alloy: bool = False) -> nx.MultiDiGraph:
    """A platform of ``magnet_kg`` of a Japanese magnet; per kg of magnet 0.3 kg Nd oxide
    (70 $/kg) from Australia and 0.1 kg Dy oxide (370 $/kg) from a Chinese separator.
    With ``cn_alloy`` the magnet is instead made from alloy cast in China (the 2022 F-35
    case: Chinese SmCo alloy, magnetised outside China)."""
    records: list[Any] = [
        P("nd-ox", "oxide", "Nd=0.857", price=70), P("dy-ox", "oxide", "Dy=0.871", price=370),
        P("magnet", "magnet", price=100), P("P", "platform", unit="each", price=platform_price),
        B("P", "magnet", magnet_kg),
        F("au-sep", "AU", "separation", "nd-ox"), F("cn-sep", "CN", "separation", "dy-ox"),
        F("jp-mag", "JP", "magnet", "magnet"), F("asm", "US", "assembly", "P"),
        S("jp-mag", "asm", "magnet")]
    if cn_alloy:
        records += [P("alloy", "alloy", "Sm=0.33", price=90), B("magnet", "alloy", 1.0),
                    F("cn-alloy", "CN", "alloy", "alloy"), S("cn-alloy", "jp-mag", "alloy")]
    else:
        records += [B("magnet", "nd-ox", 0.3), B("magnet", "dy-ox", 0.1),
                    S("au-sep", "jp-mag", "nd-ox"), S("cn-sep", "jp-mag", "dy-ox")]
    return graph(*records)


def verdicts(G: nx.MultiDiGraph, as_of: str, end_user: str = "military") -> dict[str, Any]:
    return {v.rule: v for v in evaluate(G, "P", as_of=as_of, end_user=end_user)}


def test_value_share_over_the_line_needs_a_licence_and_military_is_denied() -> None:
    """10 kg magnet × 0.1 kg Dy oxide × 370 $ = 370 $ of 100,000 $ = 0.37 % ≥ 0.1 %."""
    G = magnet_network(10)
    civil = verdicts(G, "2026-12-15", "civil")["NO61"]
    assert (civil.verdict, civil.clause, civil.figure) == ("licence-required", "value-test",
                                                          pytest.approx(0.0037))
    assert "0.37 % ≥ 0.1 %" in civil.evidence
    assert civil.path == ["cn-sep", "jp-mag", "asm", "P"]
    military = verdicts(G, "2026-12-15")["NO61"]
    assert (military.verdict, military.clause) == ("denied", "military-value")


def test_value_share_under_the_line_does_not_bite() -> None:
    """2 kg × 0.1 × 370 = 74 $ of 100,000 $ = 0.074 % < 0.1 %; no Chinese technology."""
    v = verdicts(magnet_network(2), "2026-12-15")["NO61"]
    assert v.verdict == "not-applicable"
    assert "0.074 % < 0.1 %" in v.evidence


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2025-11-20", "not-applicable"),  # before No. 61's effective date 2025-12-01
    ("2025-12-15", "suspended"),  # inside No. 70's window
    ("2026-11-10", "suspended"),  # the window's last day: "suspended until 10 Nov 2026"
    ("2026-11-11", "denied"),  # the day after: in force again
    ("2026-12-15", "denied"),
])
def test_the_no70_suspension_window(as_of: str, expected: str) -> None:
    """0.37 % ≥ 0.1 % for a military end user: denied when in force, suspended inside
    2025-11-07..2026-11-10 (inclusive end), not applicable before 2025-12-01."""
    v = verdicts(magnet_network(10), as_of)["NO61"]
    assert v.verdict == expected
    if expected == "suspended":
        assert v.clause == "military-value"
        assert v.evidence.startswith("would be denied")
        assert "2025-11-07..2026-11-10 by NO70" in v.evidence


def test_a_suspension_of_one_clause_leaves_the_others() -> None:
    """Only value-test suspended: the value test would fire (0.37 %) but is suspended, and so
    is military-value, which requires it. Nothing else fires: the verdict is suspended.
    With a Chinese technology upstream, technology-test fires unsuspended: denied."""
    G = magnet_network(10)
    G.nodes["NO61"].update(no61(["value-test", "military-value"]).model_dump(mode="python"))
    v = {r.rule: r for r in evaluate(G, "P", as_of="2026-01-15")}["NO61"]
    assert (v.verdict, v.clause) == ("suspended", "military-value")
    G.add_node("cn-sx", kind="technology", name="sx", stage="separation", origin_country="CN",
               sources=["hand"], confidence="documented")
    G.add_edge("au-sep", "cn-sx", key="uses", kind="uses", sources=["hand"],
               confidence="documented")
    v = {r.rule: r for r in evaluate(G, "P", as_of="2026-01-15")}["NO61"]
    assert (v.verdict, v.clause) == ("denied", "military-technology")


def test_technology_taint_does_not_dilute() -> None:
    """99 % of the magnets come from jp-mag (no Chinese technology), 1 % from au-mag, which
    runs a Chinese sintering process. By mass 1 % of the rare earths pass through Chinese
    technology, and none is Chinese-origin; the taint is binary: licence required (civil),
    denied (military), with the path to au-mag. Its link is reported, so is the verdict."""
    G = graph(
        Technology(id="cn-sinter", name="sintering", stage="magnet", origin_country="CN",
                   **CITE),
        P("nd-ox", "oxide", "Nd=0.857", price=70), P("magnet", "magnet", price=100),
        P("P", "platform", unit="each", price=1e9), B("magnet", "nd-ox", 0.3),
        B("P", "magnet", 10),
        F("au-sep", "AU", "separation", "nd-ox"), F("jp-mag", "JP", "magnet", "magnet"),
        F("au-mag", "AU", "magnet", "magnet", technologies="cn-sinter"),
        F("asm", "US", "assembly", "P"),
        S("au-sep", "jp-mag", "nd-ox"), S("au-sep", "au-mag", "nd-ox"),
        S("jp-mag", "asm", "magnet", 0.99), S("au-mag", "asm", "magnet", 0.01,
                                              confidence="reported"))
    assert origin_share(G, "P", origin=CN_TECHNOLOGY, as_of="2027-01-01").share == \
        pytest.approx(0.01)
    assert origin_share(G, "P", as_of="2027-01-01").share == 0.0
    civil = verdicts(G, "2027-01-01", "civil")["NO61"]
    assert (civil.verdict, civil.clause) == ("licence-required", "technology-test")
    assert civil.path == ["au-sep", "au-mag", "asm", "P"]
    assert "cn-sinter at au-mag" in civil.evidence
    assert civil.confidence == "reported"
    assert verdicts(G, "2027-01-01")["NO61"].verdict == "denied"


def test_dfars_reads_mining_and_separation_from_2027() -> None:
    """The Japanese magnet is melted and produced in Japan, from Dy oxide separated in
    China: compliant on 2026-12-31, non-compliant from 2027-01-01 (separated in CN)."""
    G = magnet_network(10)
    before = verdicts(G, "2026-12-31")["DFARS"]
    assert (before.verdict, before.clause) == ("compliant", None)
    after = verdicts(G, "2027-01-01")["DFARS"]
    assert (after.verdict, after.clause) == ("non-compliant", "mined-refined-separated")
    assert after.path == ["cn-sep", "jp-mag", "asm", "P"]
    assert after.evidence.startswith("separation in CN at cn-sep")


def test_a_compliant_verdict_rests_on_every_upstream_link() -> None:
    """"No covered-country stage upstream" is only as strong as the weakest upstream link:
    with au-sep → jp-mag estimated, DFARS's compliant verdict in 2026 is estimated."""
    G = magnet_network(10)
    G.edges["au-sep", "jp-mag", "supplies:nd-ox"]["confidence"] = "estimated"
    v = verdicts(G, "2026-06-01")["DFARS"]
    assert (v.verdict, v.confidence) == ("compliant", "estimated")


def test_dfars_alloy_cast_in_china_is_non_compliant_before_2027_too() -> None:
    """The 2022 F-35 case: alloy melted in China, magnetised elsewhere: non-compliant under
    the melted-or-produced clause already in 2022."""
    v = verdicts(magnet_network(10, cn_alloy=True), "2022-08-19")["DFARS"]
    assert (v.verdict, v.clause) == ("non-compliant", "melted-or-produced")
    assert v.path == ["cn-alloy", "jp-mag", "asm", "P"]


def test_dfars_ignores_chinese_inputs_that_feed_no_magnet() -> None:
    """From 2027 a Chinese gallium mine feeds the platform's radar wafer, not its magnet:
    DFARS reads magnets, so the platform stays compliant. A product with no magnet at all is
    out of DFARS's scope."""
    G = magnet_network(10)
    G.remove_edge("cn-sep", "jp-mag", "supplies:dy-ox")
    G.add_edge("au-sep", "jp-mag", key="supplies:dy-ox", kind="supplies", product="dy-ox",
               share=1.0, sources=["hand"], confidence="documented")
    G.nodes["au-sep"]["products"] = ["nd-ox", "dy-ox"]
    extra = graph(P("ga", "ore", "Ga=0.01", price=5), P("wafer", "component", unit="each"),
                  B("wafer", "ga", 1), B("P", "wafer", 2),
                  F("cn-ga", "CN", "mine", "ga"), F("us-fab", "US", "component", "wafer"),
                  S("cn-ga", "us-fab", "ga"), S("us-fab", "asm", "wafer"), rules=[])
    G.add_nodes_from(extra.nodes(data=True))
    G.add_edges_from(extra.edges(keys=True, data=True))
    v = verdicts(G, "2027-06-01")["DFARS"]
    assert v.verdict == "compliant"
    assert "feed no scope item" in v.evidence
    (oxide_only,) = evaluate(G, "wafer", as_of="2027-06-01", rules=["DFARS"])
    assert oxide_only.verdict == "not-applicable"
    assert oxide_only.evidence.startswith("out of scope")


def test_no18_reads_chinese_content_of_its_elements() -> None:
    """Dy oxide from cn-sep is Chinese Dy: licence required, 100 % of 10·0.1·0.871 = 0.871
    kg. With the Dy oxide from Australia it does not bite; a magnet of Nd only is out of
    No. 18's scope (Sm, Dy, Tb)."""
    v = verdicts(magnet_network(10), "2026-01-01")["NO18"]
    assert (v.verdict, v.clause) == ("licence-required", "export-licence")
    assert "Dy 100 % of 0.871 kg" in v.evidence
    G = magnet_network(10)
    G.remove_edge("cn-sep", "jp-mag", "supplies:dy-ox")
    G.edges["jp-mag", "asm", "supplies:magnet"]["share"] = 1.0
    G.remove_edge("magnet", "dy-ox", "requires")
    out = verdicts(G, "2026-01-01")["NO18"]
    assert out.verdict == "not-applicable" and "out of scope" in out.evidence


def test_rules_list_their_windows_and_status() -> None:
    G = magnet_network(10)
    table = list_rules(G, as_of="2026-11-10").set_index("rule")
    assert table.loc["NO61", "status"] == "suspended"
    assert table.loc["NO61", "suspensions"] == ["2025-11-07..2026-11-10 by NO70"]
    assert table.loc["DFARS", "status"] == "in-force"
    assert list_rules(G, as_of="2026-11-11").set_index("rule").loc["NO61", "status"] == \
        "in-force"
    assert list_rules(G, as_of="2025-01-01").set_index("rule").loc["NO18", "status"] == \
        "not-yet"
    G.nodes["NO18"]["confidence"] = "reported"
    assert list_rules(G, min_confidence="documented")["rule"].tolist() == ["NO61", "DFARS"]


def test_unknown_ids_and_bad_options_are_clear_errors() -> None:
    G = magnet_network(10)
    with pytest.raises(UnknownNodeError, match="no product with id 'p'"):
        evaluate(G, "p")
    with pytest.raises(UnknownNodeError, match="no rule with id 'NO62'; did you mean 'NO61'"):
        evaluate(G, "P", rules=["NO62"])
    with pytest.raises(QueryError, match="end user must be one of military, civil"):
        evaluate(G, "P", end_user="navy")
    bad = DFARS.model_dump(mode="python")
    bad["clauses"][0]["trigger"]["stages"] = ["smelted"]
    G.nodes["DFARS"].update(bad)
    with pytest.raises(QueryError, match="unknown stage 'smelted'"):
        evaluate(G, "P", rules=["DFARS"])
