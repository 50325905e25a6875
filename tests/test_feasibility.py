"""Feasibility: AND across inputs, OR across suppliers, least fixed point on loops, failures
by facility / company / country, dates, substitutes, and the rule-driven policy.

The networks are the hand-drawn datasets ``tests/data/choke_*``; each expectation is worked
out on paper in the test's docstring.

choke_andor (capacities in t/yr)::

    mine-au (AU) ──ore──► sep-au (AU) ──nd-oxide──┐
        └──────ore──────► ref-dy (MY) ──dy-oxide──┤
    mine-cn (CN) ──ore──► sep-cn (CN) ──nd-oxide──┴─► mag-jp (JP) ─► act-us ─► asm-us: missile
        └──────ore──────► ref-cn (CN) ─dy-oxide─► mag-cn (CN) ─magnet─► motor-de (DE, civil)
                              sep-cn ───nd-oxide──► mag-cn

mag-jp needs nd-oxide AND dy-oxide; nd-oxide comes from sep-au OR sep-cn; dy-oxide only
from ref-dy.

choke_market (markets: pools standing in for unknown links)::

    mag-jp (JP) ─ndfeb─► mag-mkt (world market) ─ndfeb─► asm-drone (US): drone
    mag-cn (CN) ─ndfeb─┘                                   ▲
    mag-jp (JP) ───────────────smco────────────────────────┘
    ga-cn (CN) ─gallium─► ga-mkt (CN market) ─gallium─► asm-radar (US): radar
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import networkx as nx
import pytest
from oretrace.graphmodel import QueryError, UnknownNodeError
from oretrace.loaders import load_dataset
from oretrace.queries.feasibility import (
    POLICIES,
    clause_status,
    military_chain,
    resolve_failures,
    simulate,
    supplied_mask,
    supply_network,
)

DATA = Path(__file__).parent / "data"






@pytest.mark.parametrize(("fail", "supplied"), [
    ([], True),
    (["sep-au"], True),                   # nd-oxide still from sep-cn (OR)
    (["sep-cn"], True),                   # nd-oxide still from sep-au (OR)
    (["sep-au", "sep-cn"], False),        # no nd-oxide supplier left
    (["ref-dy"], False),                  # dy-oxide has one supplier (AND)
    (["mine-au"], False),                 # ref-dy loses its only ore
    (["country:CN"], True),               # nd via sep-au, dy via ref-dy
    (["country:CN", "sep-au"], False),
    (["company:au-co"], False),           # mine-au, sep-au and ref-dy together
    (["au-co"], False),                   # a bare company id means the company
    (["mag-cn"], True),                   # not on the missile's chain
    (["motor-de", "ref-cn"], True),
])
def test_and_across_inputs_or_across_suppliers(andor: nx.MultiDiGraph, fail: list[str],
                                               supplied: bool) -> None:
    result = simulate(andor, fail=fail, as_of="2026-11-24")
    assert ("missile" in result.supplied) is supplied
    assert ("missile" in result.unsupplied) is not supplied


def test_failing_the_chinese_mine_cuts_only_its_own_chain(andor: nx.MultiDiGraph) -> None:
    """mine-cn feeds sep-cn and ref-cn; mag-cn needs both (nd from sep-cn, dy from ref-cn),
    motor-de needs mag-cn. mag-jp keeps nd from sep-au, so the missile chain stands."""
    result = simulate(andor, fail=["mine-cn"], as_of="2026-11-24")
    assert set(result.unsupplied_facilities) == {"mine-cn", "sep-cn", "ref-cn", "mag-cn",
                                                 "motor-de"}
    assert result.failed == ["mine-cn"]


def test_failure_specs_resolve_to_facilities(andor: nx.MultiDiGraph) -> None:
    got = resolve_failures(andor, ["country:cn", "company:jp-co", "us-co", "facility:ref-dy"])
    assert set(got["country:cn"]) == {"mine-cn", "sep-cn", "ref-cn", "mag-cn"}
    assert got["company:jp-co"] == ["mag-jp"]
    assert set(got["us-co"]) == {"act-us", "asm-us"}
    assert got["facility:ref-dy"] == ["ref-dy"]


def test_a_market_fails_only_when_named(market: nx.MultiDiGraph) -> None:
    """Markets belong to no company or country: country:CN fails ga-cn and mag-cn but not
    the CN gallium market ga-mkt (which is then unsupplied, not failed), and a company that
    is recorded as a market's operator does not fail it either. Named by id, it fails."""
    got = resolve_failures(market, ["country:CN", "company:cn-co", "ga-mkt",
                                    "facility:mag-mkt"])
    assert set(got["country:CN"]) == set(got["company:cn-co"]) == {"ga-cn", "mag-cn"}
    assert (got["ga-mkt"], got["facility:mag-mkt"]) == (["ga-mkt"], ["mag-mkt"])
    result = simulate(market, fail=["country:CN"])
    assert result.failed == ["ga-cn", "mag-cn"]
    assert result.unsupplied == ["radar"] and "ga-mkt" in result.unsupplied_facilities
    H = copy.deepcopy(market)
    H.nodes["ga-mkt"]["company"] = "cn-co"
    assert set(resolve_failures(H, ["company:cn-co"])["company:cn-co"]) == {"ga-cn", "mag-cn"}
    closed = simulate(market, fail=["ga-mkt"])
    assert (closed.failed, closed.unsupplied) == (["ga-mkt"], ["radar"])
    assert simulate(market, fail=["facility:mag-mkt"]).unsupplied == ["drone"]


def test_unknown_failures_are_refused_with_suggestions(andor: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownNodeError, match="did you mean 'sep-au'"):
        simulate(andor, fail=["sep-ua"])
    with pytest.raises(UnknownNodeError):
        simulate(andor, fail=["company:nobody"])
    with pytest.raises(QueryError, match="ISO 3166"):
        simulate(andor, fail=["country:XX"])
    with pytest.raises(QueryError, match="cannot read failure"):
        simulate(andor, fail=["region:EU"])
    with pytest.raises(QueryError, match="unknown policy"):
        simulate(andor, policy="china-sulks")


def test_a_recycling_loop_cannot_start_itself(cycle: nx.MultiDiGraph) -> None:
    """choke_cycle: mag needs nd-oxide (from sep) or, as a substitute, recycled-oxide (from
    rec); rec needs scrap, from mag or from the collector.

    - fail sep, substitutions on: rec runs on the collector's scrap, mag on recycled oxide:
      supplied, through one substitution;
    - fail sep and collector: rec's only scrap comes from mag, which needs rec: each of the
      two has a supplier, yet neither can start (least fixed point): unsupplied;
    - without substitutions recycled oxide does not count: failing sep stops the missile.
    """
    one = simulate(cycle, fail=["sep"], substitutions=True)
    assert one.supplied == ["missile"]
    assert [(s.facility, s.product, s.substitute, s.suppliers) for s in one.substitutions] == \
        [("mag", "nd-oxide", "recycled-oxide", ["rec"])]
    both = simulate(cycle, fail=["sep", "collector"], substitutions=True)
    assert both.unsupplied == ["missile"]
    assert {"mag", "rec"} <= set(both.unsupplied_facilities)
    strict = simulate(cycle, fail=["sep"])
    assert strict.unsupplied == ["missile"] and strict.substitutions == []


def test_no_substitution_is_reported_when_the_regular_input_is_there(
        cycle: nx.MultiDiGraph) -> None:
    assert simulate(cycle, substitutions=True).substitutions == []


@pytest.mark.parametrize(("as_of", "supplied"), [
    ("2027-01-01", []),
    ("2027-05-31", []),                     # the ref-ee link starts 2027-06-01
    ("2027-06-01", ["missile"]),            # start dates are inclusive
    ("2027-12-31", ["missile"]),            # ref-us is planned from 2028-01-01
    ("2028-01-01", ["missile", "sub"]),
])
def test_planned_capacity_and_starting_links_count_from_their_dates(
        timed: nx.MultiDiGraph, as_of: str, supplied: list[str]) -> None:
    """choke_time without China: the missile's magnet plant needs dy-oxide, whose only
    non-Chinese supplier (ref-ee) ships from 2027-06-01; the submarine's Terfenol plant needs
    tb-oxide, whose only non-Chinese refinery (ref-us) is planned from 2028-01-01."""
    assert simulate(timed, fail=["country:CN"], as_of=as_of).supplied == supplied


def test_a_need_nobody_supplies_is_a_data_gap(tmp_path: Path) -> None:
    """Drop the only dy-oxide link of choke_andor: mag-jp needs dy-oxide that nothing ships,
    so it and everything downstream is unsupplied, and the gap is reported."""
    target = tmp_path / "gap"
    target.mkdir()
    for f in (DATA / "choke_andor").iterdir():
        text = f.read_text(encoding="utf-8")
        if f.name == "supplies.csv":
            text = "\n".join(line for line in text.splitlines()
                             if not line.startswith("ref-dy,mag-jp")) + "\n"
        (target / f.name).write_text(text, encoding="utf-8")
    result = simulate(load_dataset(target), as_of="2026-11-24")
    assert result.unsupplied == ["missile"]
    assert {"mag-jp", "act-us", "asm-us"} <= set(result.unsupplied_facilities)
    assert any("mag-jp needs dy-oxide" in gap for gap in result.data_gaps)


# --------------------------------------------------------------------------- policy


@pytest.mark.parametrize(("as_of", "in_force", "reason"), [
    ("2025-11-01", False, "not yet in force"),   # effective 2025-12-01
    ("2026-06-01", False, "suspended"),          # No. 70 window 2025-11-07 .. 2026-11-10
    ("2026-11-10", False, "suspended"),          # "until 10 November": the end is inclusive
    ("2026-11-11", True, "in force"),
    ("2026-11-24", True, "in force"),
])
def test_the_denial_clause_follows_effective_date_and_suspension(
        andor: nx.MultiDiGraph, as_of: str, in_force: bool, reason: str) -> None:
    """The test rule (rules.yaml) denies military end users from 2025-12-01, suspended
    2025-11-07 to 2026-11-10. With sep-au failed the missile's nd-oxide can only come from
    sep-cn (CN → JP, into the missile's chain): the policy cuts it exactly when in force."""
    result = simulate(andor, fail=["sep-au"], as_of=as_of, policy="cn-denies-military")
    assert result.policy is not None and result.policy.in_force is in_force
    [status] = result.policy.clauses
    assert (status.rule, status.clause) == ("test-mofcom-61", "military-end-user")
    assert reason in status.reason
    assert ("missile" in result.supplied) is not in_force


def test_the_policy_fails_only_chinese_exports_into_the_military_chain(
        andor: nx.MultiDiGraph) -> None:
    """In force on 2026-11-24. Links out of CN: mine-cn→sep-cn, mine-cn→ref-cn,
    sep-cn→mag-cn, ref-cn→mag-cn (domestic: kept), sep-cn→mag-jp (into the missile's chain:
    denied), mag-cn→motor-de (civil motor, not a platform's chain: kept). The licence-only
    rule (no end-user clause) adds nothing."""
    report = simulate(andor, as_of="2026-11-24", policy="cn-denies-military").policy
    assert report is not None
    assert [(d.supplier, d.buyer, d.product) for d in report.denied_links] == \
        [("sep-cn", "mag-jp", "nd-oxide")]
    assert military_chain(andor) == {"asm-us", "act-us", "mag-jp", "sep-au", "sep-cn",
                                     "ref-dy", "mine-au", "mine-cn"}


def _with_rule(G: nx.MultiDiGraph, **changes: object) -> nx.MultiDiGraph:
    H = copy.deepcopy(G)
    H.nodes["test-mofcom-61"].update(changes)
    return H


def test_the_rule_scope_limits_what_is_denied(andor: nx.MultiDiGraph) -> None:
    """A rule covering only Dy and Tb does not reach sep-cn's nd-oxide (Nd only)."""
    rule = andor.nodes["test-mofcom-61"]
    narrow = _with_rule(andor, scope=dict(rule["scope"], elements=["Dy", "Tb"]))
    report = simulate(narrow, as_of="2026-11-24", policy="cn-denies-military").policy
    assert report is not None and report.in_force and report.denied_links == []


def test_a_required_condition_narrows_the_denial(andor: nx.MultiDiGraph) -> None:
    """The denial clause now also requires a condition clause on Dy content: nd-oxide is out."""
    clauses = copy.deepcopy(andor.nodes["test-mofcom-61"]["clauses"])
    clauses[1]["requires"] = ["china-origin", "dy-content"]
    clauses.append({"id": "dy-content", "kind": "export", "text": "condition",
                    "verdict": "not-applicable",
                    "trigger": {"kind": "origin_content", "origin": "CN", "elements": ["Dy"]},
                    "effective": None, "until": None, "requires": []})
    report = simulate(_with_rule(andor, clauses=clauses), as_of="2026-11-24",
                      policy="cn-denies-military").policy
    assert report is not None and report.in_force and report.denied_links == []


def test_clause_status_reads_rule_and_clause_windows() -> None:
    """Status events (oretrace.graphmodel.rules): the suspension names only b and ends inclusive."""
    def clause(cid: str, **kw: object) -> dict[str, object]:
        return {"id": cid, "kind": "export", "text": "t", "verdict": "licence-required",
                "trigger": {"kind": "origin_content"}, **kw}
    a, b = clause("a"), clause("b", effective=dt.date(2025, 6, 1))
    rule = {"effective": dt.date(2025, 1, 1), "until": dt.date(2030, 1, 1),
            "clauses": [a, b],
            "status": [{"event": "suspended", "date": dt.date(2026, 1, 1),
                        "until": dt.date(2026, 7, 1), "by": "No. X", "clauses": ["b"],
                        "sources": ["s"], "confidence": "documented"}]}
    assert clause_status(rule, a, dt.date(2026, 3, 1))[0] is True   # suspension names only b
    assert clause_status(rule, b, dt.date(2026, 3, 1)) == \
        (False, "suspended 2026-01-01..2026-07-01 by No. X (b)")
    assert clause_status(rule, b, dt.date(2025, 3, 1))[0] is False  # clause's own date
    assert clause_status(rule, a, dt.date(2030, 1, 1))[0] is False  # rule lapsed
    assert clause_status(rule, b, dt.date(2026, 7, 1))[0] is False  # last day suspended
    assert clause_status(rule, b, dt.date(2026, 7, 2))[0] is True


def test_clause_status_agrees_with_the_compliance_reading_of_rules(
        bundled: nx.MultiDiGraph) -> None:
    """Whole-rule suspensions and dates: a clause without its own dates or clause-named
    suspensions is in force exactly when oretrace.queries.compliance.rule_status says in-force."""
    from oretrace.queries.compliance import rule_status
    days = [dt.date(2024, 1, 1), dt.date(2025, 11, 7), dt.date(2026, 11, 10),
            dt.date(2026, 11, 11), dt.date(2026, 11, 27), dt.date(2026, 11, 28)]
    checked = 0
    for n, d in bundled.nodes(data=True):
        if d.get("kind") != "rule" or any(s.get("clauses") for s in d.get("status", [])):
            continue
        for day in days:
            checked += 1
            assert clause_status(d, {"id": "x"}, day)[0] is \
                (rule_status(d | {"id": n}, day) in ("in-force", "assumed-in-force")), (n, day)
    assert checked


def test_policies_are_listed_with_a_description() -> None:
    assert "cn-denies-military" in POLICIES
    assert "military end users" in POLICIES["cn-denies-military"].description


def test_simulate_does_not_mutate_the_graph(andor: nx.MultiDiGraph) -> None:
    before = copy.deepcopy(andor)
    simulate(andor, fail=["country:CN"], policy="cn-denies-military", substitutions=True)
    assert dict(before.nodes(data=True)) == dict(andor.nodes(data=True))
    assert list(before.edges(keys=True, data=True)) == list(andor.edges(keys=True, data=True))


def test_the_network_is_cached_on_the_graph_and_a_lost_link_is_seen() -> None:
    """Mini on 2026-06-01 (us-sep is planned for 2027): cn-mine → cn-sep → jp-mag → us-comp
    → us-asm → missile is the only chain, so the missile is supplied. The network is kept in
    the graph's own cache; removing the cn-sep → jp-mag oxide link (a change of structure)
    clears it, and the network read again leaves jp-mag without oxide: no missile."""
    G = load_dataset(DATA / "mini")
    net = supply_network(G, as_of="2026-06-01")
    assert supply_network(G, as_of="2026-06-01") is net
    assert simulate(G, as_of="2026-06-01", backend="networkx").supplied == ["missile"]
    [key] = G["cn-sep"]["jp-mag"]
    G.remove_edge("cn-sep", "jp-mag", key=key)
    again = supply_network(G, as_of="2026-06-01")
    assert again is not net
    assert not supplied_mask(again)[again.index["jp-mag"]]
    assert simulate(G, as_of="2026-06-01", backend="networkx").unsupplied == ["missile"]
    assert simulate(G, as_of="2026-06-01", backend="compiled").unsupplied == ["missile"]
