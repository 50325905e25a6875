"""Scenarios (failures + policy + date + substitutions) and the diff between two dates, on the
hand-drawn networks (see tests/test_feasibility.py for choke_andor's drawing).

choke_time::

    mine-cn ─ore─► ref-cn (CN) ─dy-oxide──────────► mag-us ─► act-us ─► asm-missile
                        └──────tb-oxide───────────► terf-us ─► sonar-us ─► asm-sub
    mine-au ─ore─► ref-ee (EE) ─dy-oxide, from 2027-06-01─► mag-us
        └────ore─► ref-us (US, planned from 2028-01-01) ─tb-oxide─► terf-us
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from oretrace.loaders import load_dataset
from oretrace.queries.scenarios import diff_scenarios, simulate_scenario

DATA = Path(__file__).parent / "data"




def _causes(result: object, platform: str) -> list[tuple[str, str, str, list[str]]]:
    [status] = [p for p in result.platforms if p.platform == platform]  # type: ignore[attr-defined]
    return [(b.facility, b.product, b.cause, b.suppliers) for b in status.blocked_by]


def test_losing_china_before_the_new_capacity_cuts_both_platforms(
        timed: nx.MultiDiGraph) -> None:
    """2027-01-01: ref-cn is the only dy-oxide and tb-oxide source in service; with China
    gone, mag-us and terf-us each lack one input whose every supplier failed."""
    result = simulate_scenario(timed, fail=["country:CN"], as_of="2027-01-01")
    assert (result.supplied, result.lost) == ([], ["missile", "sub"])
    assert result.failed == ["mine-cn", "ref-cn"]
    assert _causes(result, "missile") == [("mag-us", "dy-oxide", "every supplier failed",
                                           ["ref-cn"])]
    assert _causes(result, "sub") == [("terf-us", "tb-oxide", "every supplier failed",
                                       ["ref-cn"])]
    assert all(p.baseline_supplied for p in result.platforms)
    shortfall = {(r.product, r.platform): r.shortfall_max for r in result.shortfall
                 if r.computable}
    assert shortfall[("dy-oxide", None)] == 5.0 and shortfall[("tb-oxide", "sub")] == 3.0


def test_the_root_cause_is_found_upstream(andor: nx.MultiDiGraph) -> None:
    """Fail mine-au: mag-jp still has nd-oxide (sep-cn) but lacks dy-oxide, because ref-dy,
    which has not failed, lacks ore: the root cause is ref-dy's ore, not mag-jp."""
    result = simulate_scenario(andor, fail=["mine-au"], shortfall=False)
    assert _causes(result, "missile") == [("ref-dy", "ore", "every supplier failed",
                                           ["mine-au"])]
    assert result.shortfall == []


def test_a_failed_assembly_is_its_own_cause(andor: nx.MultiDiGraph) -> None:
    result = simulate_scenario(andor, fail=["asm-us"], shortfall=False)
    assert _causes(result, "missile") == [("asm-us", "", "failed in the scenario", [])]


def test_a_policy_denial_is_named_with_its_rule(andor: nx.MultiDiGraph) -> None:
    """2026-11-24, the test rule in force: mag-jp's nd-oxide comes from sep-au (failed) or
    sep-cn, whose link the policy denies: both causes are named, with both suppliers.
    Without the failure, the denial alone names no cause (sep-au still delivers)."""
    result = simulate_scenario(andor, fail=["sep-au"], as_of="2026-11-24",
                               policy="cn-denies-military", shortfall=False)
    [blk] = [b for p in result.platforms for b in p.blocked_by]
    assert (blk.facility, blk.product, blk.suppliers) == \
        ("mag-jp", "nd-oxide", ["sep-au", "sep-cn"])
    assert blk.cause == ("supplier(s) failed (sep-au) and links denied by test-mofcom-61 "
                         "(military-end-user)")
    assert "rules" in blk.sources
    assert result.policy is not None and result.policy.in_force
    alone = simulate_scenario(andor, as_of="2026-11-24", policy="cn-denies-military",
                              shortfall=False)
    assert alone.supplied == ["missile"] and alone.platforms[0].blocked_by == []


def test_substitutions_used_are_flagged() -> None:
    result = simulate_scenario(load_dataset(DATA / "choke_cycle"), fail=["sep"],
                               substitutions=True, shortfall=False)
    assert result.supplied == ["missile"] and result.substitutions_allowed
    assert [(s.facility, s.substitute) for s in result.substitutions] == \
        [("mag", "recycled-oxide")]


def test_diff_shows_what_came_online_and_the_chokepoints_it_brings(
        timed: nx.MultiDiGraph) -> None:
    """Without China, 2027-01-01 → 2028-06-01: the missile comes back through the ref-ee link
    (from 2027-06-01), the submarine through ref-us (online 2028-01-01). Both then hang on
    mine-au; ref-ee and ref-us become single points. The dy-oxide shortfall goes 5 → 0 t/yr,
    tb-oxide 3 → 1 (ref-us makes 2 of the 3 t)."""
    d = diff_scenarios(timed, as_of="2027-01-01", vs="2028-06-01", fail=["country:CN"])
    back = {c.platform: [e.node for e in c.because] for c in d.newly_supplied}
    assert back["missile"] == ["ref-ee -> mag-us (dy-oxide)"]
    assert "ref-us" in back["sub"]
    assert [e.node for e in d.facilities_online] == ["ref-us"]
    assert "2028-01-01" in d.facilities_online[0].what
    new = {c.node: c.platforms for c in d.chokepoints_new}
    assert new["mine-au"] == ["missile", "sub"]
    assert new["ref-ee"] == ["missile"] and new["ref-us"] == ["sub"]
    assert d.chokepoints_gone == [] and d.newly_unsupplied == [] and d.still_unsupplied == []
    change = {s["product"]: (s["before"], s["after"]) for s in d.shortfall}
    assert change["dy-oxide"] == ((5.0, 5.0), (0.0, 0.0))
    assert change["tb-oxide"] == ((3.0, 3.0), (1.0, 1.0))


def test_diff_backwards_names_the_causes(timed: nx.MultiDiGraph) -> None:
    d = diff_scenarios(timed, as_of="2028-06-01", vs="2027-01-01", fail=["country:CN"],
                       shortfall=False)
    lost = {c.platform: [e.node for e in c.because] for c in d.newly_unsupplied}
    assert lost == {"missile": ["mag-us"], "sub": ["terf-us"]}
    assert [e.node for e in d.facilities_offline] == ["ref-us"]


def test_diff_without_failures_shows_chokepoints_gone(timed: nx.MultiDiGraph) -> None:
    """Nothing fails; from 2027-01-01 to 2027-07-01 ref-ee starts shipping dy-oxide, so
    mine-cn and ref-cn stop being single points of the missile (they stay the submarine's)."""
    d = diff_scenarios(timed, as_of="2027-01-01", vs="2027-07-01", shortfall=False)
    assert [(c.node, c.platforms) for c in d.chokepoints_gone] == \
        [("mine-cn", ["missile"]), ("ref-cn", ["missile"])]
    assert d.chokepoints_new == [] and d.newly_supplied == []
