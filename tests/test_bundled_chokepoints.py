"""Chokepoints and scenarios on the bundled dataset: exact single points (equal to brute
force), the published concentration figures, the 2022 F-35 SmCo case, the rule dates of the
policy, and the planner's question "what if China is cut off, today and in 2029?"."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
import pytest
from oretrace.graphmodel import nodes_of, restrict
from oretrace.queries.chokepoints import find_single_points_of_failure, rank_chokepoints
from oretrace.queries.feasibility import simulate
from oretrace.queries.scenarios import diff_scenarios
from typer.testing import CliRunner

from oretrace.cli import make_app

TODAY = "2026-11-24"


def _brute_force(G: nx.MultiDiGraph, level: str, as_of: str, fail: list[str],
                 policy: str | None, substitutions: bool) -> dict[str, set[str]]:
    """Fail each group alone (on top of the scenario) and re-run feasibility. Markets belong
    to no group: only real facilities are failed."""
    base = set(simulate(G, fail=fail, as_of=as_of, policy=policy,
                        substitutions=substitutions).supplied)
    groups: dict[str, list[str]] = {}
    for f in nodes_of(restrict(G, as_of=as_of), "facility"):
        d = G.nodes[f]
        if d.get("stage") == "market":
            continue
        if level == "country" and not d.get("country"):
            continue  # of no recorded country: counts under its suppliers' countries
        key = f if level == "facility" else (d.get(level) or f"facility:{f}")
        groups.setdefault(key, []).append(f)
    stops: dict[str, set[str]] = {p: set() for p in base}
    for key, members in groups.items():
        left = set(simulate(G, fail=fail + members, as_of=as_of, policy=policy,
                            substitutions=substitutions).supplied)
        for p in base - left:
            stops[p].add(key)
    return stops


@pytest.mark.parametrize(("level", "as_of", "fail", "policy", "substitutions"), [
    ("facility", "2022-06-01", [], None, False),
    ("company", "2022-06-01", [], None, False),
    ("country", "2022-06-01", [], None, False),
    ("facility", TODAY, [], None, False),
    ("company", TODAY, [], None, False),
    ("country", TODAY, [], None, False),
    ("facility", "2029-01-01", [], None, False),
    ("country", "2029-01-01", [], None, False),
    ("facility", "2029-01-01", ["country:CN"], None, False),
    ("country", TODAY, [], None, True),
    ("facility", TODAY, [], "cn-denies-military", True),
])
def test_single_points_equal_brute_force_on_the_bundled_data(
        bundled: nx.MultiDiGraph, level: str, as_of: str, fail: list[str],
        policy: str | None, substitutions: bool) -> None:
    got = {sp.platform: set(sp.nodes) for sp in find_single_points_of_failure(
        bundled, level=level, as_of=as_of, fail=fail, policy=policy,
        substitutions=substitutions, include_trivial=True) if sp.supplied}
    expected = _brute_force(bundled, level, as_of, fail, policy, substitutions)
    assert got == expected
    assert got, "no platform is supplied: the comparison would be empty"


@pytest.mark.parametrize("level", ["facility", "company", "country"])
def test_no_market_is_a_chokepoint_of_the_bundled_data(bundled: nx.MultiDiGraph,
                                                       level: str) -> None:
    """Markets stand in for unknown links: e.g. dfars-ndfeb-magnet-market pools eight
    DFARS-compliant magnet plants; losing the pool is not an event, losing one plant stops
    nothing. No market is a row (nor ``facility:<market>``) or a member of one."""
    markets = {f for f in nodes_of(bundled, "facility")
               if bundled.nodes[f].get("stage") == "market"}
    assert "dfars-ndfeb-magnet-market" in markets
    table = rank_chokepoints(bundled, level=level, as_of=TODAY)
    assert len(table) and "F-35" in {p for ps in table["platforms"] for p in ps}
    assert not set(table["node"]) & (markets | {f"facility:{m}" for m in markets})
    assert not markets & {f for ms in table["members"] for f in ms}


def test_the_2022_chinese_smco_alloy_was_a_single_point_of_the_f35(
        bundled: nx.MultiDiGraph) -> None:
    """DCMA, 2022-08-19: the SmCo alloy of the F-35 turbomachine pump magnet came from China,
    in every F-35 delivered since 2003 (AvWeek22, Drive22): its maker stopped the F-35 alone.
    A US alloy source replaced it from November 2022 (JT22, ATS22)."""
    def points(as_of: str) -> set[str]:
        [sp] = find_single_points_of_failure(bundled, platforms=["F-35"], as_of=as_of)
        return set(sp.nodes)
    assert "cn-smco-alloy-f35-supplier" in points("2022-06-01")
    assert "cn-smco-alloy-f35-supplier" not in points("2023-06-01")


@pytest.mark.parametrize(("as_of", "rule", "clause", "in_force"), [
    ("2026-06-01", "MOFCOM-61-2025", "military-china-origin", False),  # No. 70 suspension
    (TODAY, "MOFCOM-61-2025", "military-china-origin", True),          # ended 2026-11-10
    (TODAY, "MOFCOM-46-2024", "art2-us", False),                       # No. 72 to 2026-11-27
    ("2026-12-01", "MOFCOM-46-2024", "art2-us", True),
])
def test_the_policy_reads_the_suspensions_of_the_rules(
        bundled: nx.MultiDiGraph, as_of: str, rule: str, clause: str, in_force: bool) -> None:
    """facts.md §5a: No. 70 suspends No. 61 from 2025-11-07 to 2026-11-10; No. 72 suspends
    Article 2 of No. 46 from 2025-11-09 to 2026-11-27."""
    report = simulate(bundled, as_of=as_of, policy="cn-denies-military").policy
    assert report is not None
    status = {(c.rule, c.clause): c.in_force for c in report.clauses}
    assert status[(rule, clause)] is in_force


def _scenario(*args: str) -> Any:
    result = CliRunner().invoke(make_app(),
                                ["-f", "json", "scenario", "--fail", "country:CN", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_planner_view_of_losing_china_today_and_in_2029() -> None:
    """`oretrace scenario --fail country:CN`, today and as of 2029-01-01.

    - Some platforms lose supply today (China separates ~90 % and holds an "effective
      monopoly" on heavy rare earths, CSIS-Apr25); each is explained by named facilities and
      sources.
    - Planned non-Chinese capacity only adds: nothing supplied today is lost by 2029.
    - The NdPr-metal need of the chains grows by MP 10X's magnets (about 10,000 t/yr for MP
      in all, less Independence's 1,000: 9,000 t/yr, MP10X) at 0.31 kg NdPr per kg of
      standard NdFeB (RE 29-32.5 wt%, SDM-Nd): 2,790 t/yr; the figure cites MP10X.
    """
    today = _scenario("--as-of", TODAY, "--all-platforms")
    later = _scenario("--as-of", "2029-01-01", "--all-platforms")
    assert today["lost"]
    for status in today["platforms"]:
        if not status["supplied"]:
            assert status["blocked_by"] and all(b["sources"] for b in status["blocked_by"])
    assert set(today["supplied"]) <= set(later["supplied"])
    for result in (today, later):
        for row in result["shortfall"]:
            if row["computable"]:
                assert row["sources"] and row["rests_on"] and row["demand"] > 0
            else:
                assert row["note"]
    metal = {r["product"]: r for r in later["shortfall"]}["ndpr-metal"]
    before = {r["product"]: r for r in today["shortfall"]}["ndpr-metal"]
    assert metal["demand"] - before["demand"] == pytest.approx(9000 * 0.31, abs=0.5)
    assert "mp-10x" in metal["rests_on"] and "MP10X" in metal["sources"]


def test_diff_names_the_planned_capacity_coming_online(bundled: nx.MultiDiGraph) -> None:
    """facts.md §3: Iluka Eneabba commissions in 2027 (NSE-Iluka), MP 10X in 2028 (MP10X);
    both are online by 2029 and not today, each with its sources."""
    d = diff_scenarios(bundled, as_of=TODAY, vs="2029-01-01", fail=["country:CN"],
                       shortfall=False)
    online = {e.node: e for e in d.facilities_online}
    assert {"iluka-eneabba", "mp-10x"} <= set(online)
    assert "NSE-Iluka" in online["iluka-eneabba"].sources
    assert "MP10X" in online["mp-10x"].sources
