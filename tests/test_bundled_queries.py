"""Exposure, content and compliance on the bundled dataset, against the documented cases.

Each expectation comes from shared/reference/facts.md, not from running the code:

- F-35, 2022: DCMA told the JPO on 2022-08-19 that the SmCo alloy of the Honeywell
  turbomachine lube-pump magnet came from China, magnetised in the US, in every F-35 since
  2003; a US alloy source took over from November 2022 (AMN22, AvWeek22, JT22, ATS22). So as
  of 2022-08-19 the F-35 passes through the Chinese alloy maker, and from 2022-12-01 not.
- Tomahawk: its fin actuators use SmCo magnets (NYT25); China makes 92 % of the world's RE
  metal and alloy (ExB-22), the rest has no named maker; from 2025-11-12 Solvay sells
  samarium oxide to Permag, converted to metal by LCM (Reuters-Solvay, BNT-USAR-LCM).
- G/ATOR is GaN-based (HNGN) and China refines 98 % of the world's gallium (MENAFN-CSIS).
- MOFCOM No. 61 and No. 62 [2025] are suspended by No. 70 from 2025-11-07 to 2026-11-10;
  No. 18 [2025] is not (FDD-wiki, Hatch). DFARS 252.225-7052 reads magnets melted or
  produced in a covered country, and from 2027-01-01 also mined, refined or separated there
  (Crowell24).
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import pytest
from oretrace.graphmodel import UnknownNodeError, restrict
from oretrace.queries.compliance import evaluate
from oretrace.queries.content import origin_share
from oretrace.queries.exposure import find_exposed, find_where_used, supply_graph, trace

CN_ALLOY = "cn-smco-alloy-f35-supplier"


def test_f35_passes_through_the_documented_chinese_smco_alloy_in_2022(
        bundled: nx.MultiDiGraph) -> None:
    """As of the DCMA disclosure (2022-08-19) the alloy maker is upstream of the F-35, and
    the witness from it is alloy → magnetiser → Honeywell IPP → final assembly, resting on
    the DCMA reporting (AMN22) as relayed by the press: ``reported`` (DESIGN §2)."""
    (e,) = find_exposed(bundled, "cn-processing", as_of="2022-08-19", products=["F-35"])
    assert CN_ALLOY in e.through
    (d,) = find_where_used(bundled, CN_ALLOY, as_of="2022-08-19")
    assert d.platform == "F-35"
    assert d.paths[0] == [CN_ALLOY, "f35-ipp-magnet-maker", "honeywell-f35-ipp",
                          "f35-final-assembly", "F-35"]
    assert "AMN22" in d.sources
    assert bundled.edges[CN_ALLOY, "f35-ipp-magnet-maker", "supplies:smco-alloy"][
        "confidence"] == "reported"


def test_the_chinese_alloy_path_rests_on_reported_links_and_a_placeholder_mass(
        bundled: nx.MultiDiGraph) -> None:
    """Every supply link of the disclosed alloy path is reported (AMN22, AvWeek22 …), but
    how much SmCo the IPP holds is not published: that bill-of-materials line is a
    placeholder (``illustrative``). So the exposure stands with no floor, and a
    ``reported`` floor drops the need (not the links) and with it the exposure."""
    (e,) = find_exposed(bundled, "cn-processing", as_of="2022-08-19", products=["F-35"])
    assert CN_ALLOY in e.through
    for u, v, p in [(CN_ALLOY, "f35-ipp-magnet-maker", "smco-alloy"),
                    ("f35-ipp-magnet-maker", "honeywell-f35-ipp", "smco-magnet"),
                    ("honeywell-f35-ipp", "f35-final-assembly", "f35-ipp")]:
        assert bundled.edges[u, v, f"supplies:{p}"]["confidence"] == "reported"
    assert bundled.edges["f35-ipp", "smco-magnet", "requires"]["confidence"] == "illustrative"
    floored = find_exposed(bundled, "cn-processing", as_of="2022-08-19", products=["F-35"],
                           min_confidence="reported")
    assert all(CN_ALLOY not in x.through for x in floored)


def test_the_alloy_path_ends_with_the_us_source_in_november_2022(
        bundled: nx.MultiDiGraph) -> None:
    exposures = find_exposed(bundled, "cn-processing", as_of="2022-12-01", products=["F-35"])
    assert all(CN_ALLOY not in e.through for e in exposures)
    assert find_where_used(bundled, CN_ALLOY, as_of="2022-12-01") == []


def test_tomahawk_is_exposed_through_samarium(bundled: nx.MultiDiGraph) -> None:
    """As of 2025-06-01 (after the April 2025 samarium controls, NYT25): the Tomahawk's
    exposure runs through China's metal stage into the world samarium-metal market. By hand:
    its SmCo comes half from Permag, half from Arnold (placeholder split), both buying all
    their samarium metal from the world market, 92 % Chinese (ExB-22) and 8 % untraced. So
    the share over traced supply is 1, and counting the untraced 8 % as not Chinese, 0.92.
    From 2025-11-12 Permag also takes LCM metal from Solvay oxide (share unknown, 0..1:
    midpoint 0.5), whose feed is the legacy stock and ex-China concentrate, neither Chinese:
    Permag 0.5 x 1 + 0.5 x 0 = 0.5, Arnold 1, Tomahawk (0.5 + 1) / 2 = 0.75. Low bound
    (DESIGN §7: the data's ranges count): Permag's two samarium-metal links (world market,
    LCM) are each 0..1 of its need, so at their low ends none of Permag's samarium is traced
    (0), and Arnold stays at 0.92: (0 + 0.92) / 2 = 0.46; high bound: the world market at
    1, all Chinese: (1 + 1) / 2 = 1."""
    (e,) = find_exposed(bundled, "cn-processing", as_of="2025-06-01", products=["Tomahawk"])
    assert "cn-metal-pool" in e.through
    assert any("world-sm-metal-market" in p for p in e.paths)
    H = supply_graph(restrict(bundled, as_of="2025-06-01"))
    assert "sm-metal" in H.edges["cn-metal-pool", "world-sm-metal-market"]["products"]
    sm = origin_share(bundled, "Tomahawk", element="Sm", as_of="2025-06-01")
    assert sm.share == pytest.approx(1.0)
    assert sm.share_low == pytest.approx(0.92)
    assert sm.kg_per_unit > 0
    later = origin_share(bundled, "Tomahawk", element="Sm", as_of="2026-12-02")
    assert later.share == pytest.approx(0.75)
    assert later.share_low == pytest.approx(0.46)
    assert later.share_high == pytest.approx(1.0)
    (d,) = find_where_used(bundled, "solvay-la-rochelle", as_of="2026-12-02",
                           products=["Tomahawk"])
    assert any(p[:3] == ["solvay-la-rochelle", "lcm-metal", "permag-landisville"]
               for p in d.paths)
    assert find_where_used(bundled, "lcm-metal", as_of="2025-11-11", products=["Tomahawk"]) == []


def test_gator_is_exposed_through_chinese_gallium_refining(bundled: nx.MultiDiGraph) -> None:
    """G/ATOR's one Chinese node is the gallium pool. Gallium is refined, not mined, so the
    pool sits at the metal stage and Chinese processing catches it (it read "clear" while
    gallium refining was staged as mining)."""
    tree = trace(bundled, "G-ATOR", as_of="2026-11-24")
    chinese = tree[tree["country"] == "CN"]
    assert chinese["stage"].tolist() == ["metal"]
    (e,) = find_exposed(bundled, "cn-processing", as_of="2026-11-24", products=["G-ATOR"])
    assert e.through == ["cn-gallium-pool"]


def verdicts(G: nx.MultiDiGraph, as_of: str) -> dict[str, str]:
    return {v.rule: v.verdict.value for v in evaluate(G, "F-35", as_of=as_of)}


def test_f35_compliance_differs_inside_and_after_the_no70_suspension(
        bundled: nx.MultiDiGraph) -> None:
    """On 2025-12-15 (inside No. 70's window) No. 61's shipments are suspended; on 2026-12-15
    they bite again (military end use: denied) — on shipments, never on the F-35 itself.
    No. 62 flags facilities outside China running Chinese know-how: none on the F-35's
    supply. No. 18 was never suspended: Chinese samarium shipped from China needs a licence on
    both dates."""
    inside, after = verdicts(bundled, "2025-12-15"), verdicts(bundled, "2026-12-15")
    assert (inside["MOFCOM-61-2025"], after["MOFCOM-61-2025"]) == \
        ("suspended", "shipments-denied")
    assert inside["MOFCOM-62-2025"] == after["MOFCOM-62-2025"] == "not-applicable"
    assert inside["MOFCOM-18-2025"] == after["MOFCOM-18-2025"] == "shipments-licensed"


def test_f35_dfars_2022_alloy_then_compliant_then_2027_separation(
        bundled: nx.MultiDiGraph) -> None:
    """2022-08-19: alloy melted in China, a breach the October 2022 national-security waiver
    covers (deliveries through 2023-10-31): waived. 2026-12-15: US alloy, magnets not made in
    a covered country: compliant.
    2027-01-01: its rare earths are still separated in China (the Dy of its high-temperature
    magnets in the heavy-RE circuits, Nd, Pr and Sm in the light-RE ones): non-compliant."""
    def dfars(as_of: str) -> tuple[str, str | None, list[str]]:
        (v,) = evaluate(bundled, "F-35", as_of=as_of, rules=["DFARS-252.225-7052"])
        return v.verdict.value, v.clause, v.path

    verdict, clause, path = dfars("2022-08-19")
    assert (verdict, clause) == ("waived", "melted-or-produced")
    assert CN_ALLOY in path  # the path may start at the alloy maker's cobalt supplier
    assert dfars("2026-12-15")[:2] == ("compliant", None)
    verdict, clause, path = dfars("2027-01-01")
    assert (verdict, clause) == ("non-compliant", "mined-refined-separated")
    assert {"cn-separation-pool", "cn-hre-separation"} & set(path)


@pytest.mark.parametrize("query", [
    lambda G: find_exposed(G, products=["F-53"]),
    lambda G: trace(G, "F-53"),
    lambda G: origin_share(G, "F-53"),
    lambda G: evaluate(G, "F-53"),
])
def test_an_unknown_platform_is_a_clear_error(
        bundled: nx.MultiDiGraph, query: Callable[[nx.MultiDiGraph], object]) -> None:
    with pytest.raises(UnknownNodeError, match="no product with id 'F-53'; did you mean 'F-35'"):
        query(bundled)
