"""By when (queries/restore.py, ``oretrace restore``): on hand-drawn networks with answers
worked on paper, and on the bundled data against facts read from its CSV and YAML files.

choke_time (tests/data/choke_time; no rules)::

    mine-cn ─ore─► ref-cn (CN) ─dy-oxide──────────► mag-us ─► act-us ─► asm-missile
                        └──────tb-oxide───────────► terf-us ─► sonar-us ─► asm-sub
    mine-au ─ore─► ref-ee (EE) ─dy-oxide, from 2027-06-01─► mag-us
        └────ore─► ref-us (US, planned from 2028-01-01) ─tb-oxide─► terf-us

    The data changes on 2027-06-01 (the link) and 2028-01-01 (the plant), nothing else.
    With China failed on 2027-01-01 both platforms are cut off: the missile needs dy-oxide,
    whose only other source is ref-ee's link, live from 2027-06-01; the sub needs tb-oxide,
    whose only other maker is ref-us, in service from 2028-01-01.

compliance_mini (tests/data/compliance_mini), with its rule rewritten per test::

    cn-mine ─ore─► cn-sep (CN) ─oxide 0.6─────────────────► jp-mag (JP) ─magnet─► us-comp ─► us-asm
    us-mine ─ore─► us-sep (US, from 2027-01-01) ─oxide 0.4─►    (missile: military, to US)

    A No. 61-like rule: a magnet whose Chinese-origin value share is ≥ 0.1 % is denied to
    military end users. jp-mag's magnet holds 60 % Chinese oxide (even after us-sep starts),
    so the policy denies jp-mag → us-comp until the rule stops applying.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import networkx as nx
import pytest
import yaml
from oretrace.graphmodel import QueryError, UnknownNodeError
from oretrace.graphmodel.vocab import CONFIDENCE_ORDER
from oretrace.loaders import load_dataset
from oretrace.queries.feasibility import simulate
from oretrace.queries.restore import Restoration, change_dates, find_restore
from typer.testing import CliRunner

from oretrace.cli import main, make_app

DATA = Path(__file__).parent / "data"
BUNDLED = Path(__file__).parent.parent / "loaders" / "bundled"
D = dt.date.fromisoformat


def _by_platform(G: nx.MultiDiGraph, fail: list[str], as_of: str, until: str | None = None
                 ) -> dict[str, Restoration]:
    return {r.platform: r for r in find_restore(G, fail=fail, as_of=as_of, until=until)}


# --------------------------------------------------------------------------- choke_time


def test_the_change_dates_are_the_dates_written_in_the_files(timed: nx.MultiDiGraph) -> None:
    assert change_dates(timed) == [D("2027-06-01"), D("2028-01-01")]


def test_a_plant_coming_online_restores_the_platform_on_its_date(
        timed: nx.MultiDiGraph) -> None:
    [sub] = find_restore(timed, "sub", fail=["country:CN"], as_of="2027-01-01")
    assert (sub.lost_at, sub.restored_on) == (D("2027-01-01"), D("2028-01-01"))
    nodes = [e.node for e in sub.brought_back_by]
    assert "ref-us" in nodes and "ref-us -> terf-us (tb-oxide)" in nodes
    # ref-ee's dy-oxide link is no part of the sub's chain
    assert not any("ref-ee" in n for n in nodes)
    assert sub.missing_inputs == [] and sub.still_blocked == []
    assert [(b.facility, b.product) for b in sub.lost_because] == [("terf-us", "tb-oxide")]
    assert not sub.rests_on_assumption and sub.assumptions == []


def test_a_link_starting_later_restores_the_platform_and_is_named(
        timed: nx.MultiDiGraph) -> None:
    [missile] = find_restore(timed, ["missile"], fail=["country:CN"], as_of="2027-01-01")
    assert missile.restored_on == D("2027-06-01")
    assert [(e.node, e.what) for e in missile.brought_back_by] == \
        [("ref-ee -> mag-us (dy-oxide)", "link starts 2027-06-01")]


def test_the_search_runs_to_the_last_change_in_the_data_by_default(
        timed: nx.MultiDiGraph) -> None:
    result = _by_platform(timed, fail=["country:CN"], as_of="2027-01-01")
    assert sorted(result) == ["missile", "sub"]
    assert {r.until for r in result.values()} == {D("2028-01-01")}


def test_until_cuts_the_search_and_names_the_maker_that_comes_too_late(
        timed: nx.MultiDiGraph) -> None:
    """Searched to 2027-12-31: the missile is back on 2027-06-01, the sub is not; tb-oxide
    is made outside China only by ref-us, from 2028-01-01."""
    result = _by_platform(timed, fail=["country:CN"], as_of="2027-01-01", until="2027-12-31")
    assert result["missile"].restored_on == D("2027-06-01")
    sub = result["sub"]
    assert sub.restored_on is None and sub.until == D("2027-12-31")
    [missing] = sub.missing_inputs
    assert missing.product == "tb-oxide"
    assert sorted(missing.makers) == ["ref-cn", "ref-us"] and missing.later_makers == ["ref-us"]
    assert "no facility outside CN makes tb-oxide" in missing.sentence
    assert "online from 2028-01-01" in missing.sentence


def test_an_input_made_outside_the_failed_set_but_not_linked_is_not_missing(
        timed: nx.MultiDiGraph) -> None:
    """Searched to 2027-05-31: ref-ee (EE) makes dy-oxide all along, but its link to mag-us
    starts later. dy-oxide is not a missing input; the root cause says why instead."""
    [missile] = find_restore(timed, "missile", fail=["country:CN"], as_of="2027-01-01",
                             until="2027-05-31")
    assert missile.restored_on is None and missile.missing_inputs == []
    assert [(b.facility, b.product) for b in missile.still_blocked] == [("mag-us", "dy-oxide")]


def test_an_input_made_only_by_failed_facilities_is_reported_missing(
        timed: nx.MultiDiGraph) -> None:
    """China and ref-us fail: tb-oxide's makers (ref-cn, ref-us) are all failed, at every
    date; ore (mine-au) and the sub's other inputs have makers left."""
    result = _by_platform(timed, fail=["country:CN", "ref-us"], as_of="2027-01-01")
    sub = result["sub"]
    assert sub.restored_on is None
    assert [m.product for m in sub.missing_inputs] == ["tb-oxide"]
    sentence = sub.missing_inputs[0].sentence
    assert "outside CN, ref-us" in sentence and "failed in the scenario" in sentence
    assert result["missile"].restored_on == D("2027-06-01")


def test_an_input_with_a_substitute_made_outside_is_not_missing(
        cycle: nx.MultiDiGraph) -> None:
    """choke_cycle (tests/test_feasibility.py): mag needs nd-oxide, made only by sep, or, as
    a substitute, recycled-oxide from rec (JP), fed with scrap by mag itself or collector.
    sep and collector fail: the missile is cut off either way. Without substitutions
    nd-oxide is missing; with them its substitute is made outside the failed set (by rec),
    so nothing is missing: what is lacking is a way into the loop."""
    [plain] = find_restore(cycle, fail=["sep", "collector"], as_of="2027-01-01")
    assert plain.restored_on is None and [m.product for m in plain.missing_inputs] == \
        ["nd-oxide"]
    [subs] = find_restore(cycle, fail=["sep", "collector"], as_of="2027-01-01",
                          substitutions=True)
    assert subs.restored_on is None and subs.missing_inputs == []
    assert subs.substitutions_allowed


def test_a_failed_assembly_makes_the_platform_itself_missing(timed: nx.MultiDiGraph) -> None:
    [sub] = find_restore(timed, fail=["asm-sub"], as_of="2027-01-01")
    assert sub.restored_on is None and [m.product for m in sub.missing_inputs] == ["sub"]


def test_no_platform_lost_gives_no_row(timed: nx.MultiDiGraph) -> None:
    assert find_restore(timed, fail=["country:CN"], as_of="2028-06-01") == []
    assert find_restore(timed, as_of="2027-01-01") == []


def test_bad_questions_raise_named_errors(timed: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownNodeError, match="platform"):
        find_restore(timed, "submarine", fail=["country:CN"], as_of="2027-01-01")
    with pytest.raises(QueryError, match="before as_of"):
        find_restore(timed, fail=["country:CN"], as_of="2027-01-01", until="2026-01-01")


# --------------------------------------------------------------------------- rule events

_RULE = {
    "id": "NO61", "name": "hand-drawn No. 61", "authority": "MOFCOM",
    "instrument": "MOFCOM Announcement No. 61 [2025]", "effective": "2025-12-01",
    "scope": {"categories": ["oxide", "metal", "alloy", "magnet"]},
    "clauses": [
        {"id": "value-test", "kind": "extraterritorial", "text": "0.1 % value test",
         "trigger": {"kind": "origin_value_share", "origin": "CN", "threshold": 0.001},
         "verdict": "licence-required"},
        {"id": "military-value", "kind": "end-user", "text": "military end users denied",
         "trigger": {"kind": "end_user", "end_users": ["military"]},
         "requires": ["value-test"], "verdict": "denied"}],
    "sources": ["hand"], "confidence": "documented"}


def _mini(tmp_path: Path, **rule: object) -> nx.MultiDiGraph:
    """compliance_mini with every row documented and the one rule above (plus ``rule``)."""
    target = tmp_path / "mini"
    shutil.copytree(DATA / "compliance_mini", target)
    for f in target.glob("*.csv"):
        f.write_text(f.read_text().replace("illustrative", "documented"))
    (target / "rules.yaml").write_text(yaml.safe_dump({"rules": [{**_RULE, **rule}]}))
    return load_dataset(target)


def test_a_rule_ending_restores_the_platform_as_a_rule_event(tmp_path: Path) -> None:
    """The rule ends on 2027-06-01 (exclusive end) and its status is never assumed: the
    denial of jp-mag → us-comp lifts that day, and the answer rests on no assumption."""
    G = _mini(tmp_path, until="2027-06-01")
    assert D("2027-06-01") in change_dates(G)
    [missile] = find_restore(G, policy="cn-denies-military", as_of="2026-12-01")
    assert missile.restored_on == D("2027-06-01")
    nodes = [e.node for e in missile.brought_back_by]
    assert "jp-mag -> us-comp (magnet)" in nodes and "NO61 military-value" in nodes
    assert not missile.rests_on_assumption and missile.confidence == "documented"


def test_a_restoration_on_an_assumed_status_says_so_and_is_at_most_estimated(
        tmp_path: Path) -> None:
    """Status recorded to 2026-11-10; a suspension is on record from 2027-06-01. On
    2026-12-01 the rule is assumed in force (the policy cuts the missile off); on
    2027-06-01 it is assumed suspended: the missile is back, resting on both assumptions,
    although every row of the data is documented."""
    G = _mini(tmp_path, known_until="2026-11-10", status=[
        {"event": "suspended", "date": "2027-06-01", "until": "2028-06-01", "by": "NO99",
         "sources": ["hand"], "confidence": "documented"}])
    [missile] = find_restore(G, "missile", policy="cn-denies-military", as_of="2026-12-01")
    assert missile.restored_on == D("2027-06-01")
    assert missile.rests_on_assumption
    assert any("assumed in force on 2026-12-01" in a for a in missile.assumptions)
    assert any("assumed not applying on 2027-06-01" in a for a in missile.assumptions)
    assert CONFIDENCE_ORDER[missile.confidence] <= CONFIDENCE_ORDER["estimated"]


def test_the_policy_alone_never_makes_an_input_missing_through_an_extraterritorial_denial(
        tmp_path: Path) -> None:
    """Searched to 2027-05-31 the missile stays cut off, but the magnet's denial rests on
    its Chinese content, not on where jp-mag is: no input is missing; the denied link is
    the root cause."""
    G = _mini(tmp_path, until="2027-06-01")
    [missile] = find_restore(G, policy="cn-denies-military", as_of="2026-12-01",
                             until="2027-05-31")
    assert missile.restored_on is None and missile.missing_inputs == []
    assert [(b.facility, b.product) for b in missile.still_blocked] == [("us-comp", "magnet")]


# --------------------------------------------------------------------------- bundled data


def _rows(name: str) -> list[dict[str, str]]:
    with (BUNDLED / name).open(newline="") as f:
        return list(csv.DictReader(f))


def _closure(platform: str) -> set[str]:
    """The platform's bill of materials, all tiers, without substitute lines (bom.csv)."""
    lines = [r for r in _rows("bom.csv") if not r["substitute_for"]]
    seen: set[str] = set()
    stack = [platform]
    while stack:
        p = stack.pop()
        for r in lines:
            if r["product"] == p and r["input"] not in seen:
                seen.add(r["input"])
                stack.append(r["input"])
    return seen


def _made_outside_cn(as_of: dt.date, until: dt.date) -> set[str]:
    """Products some non-market facility outside CN makes at some date in [as_of, until]
    (facilities.csv: an operating row, or a dated planned one, in its window)."""
    out: set[str] = set()
    for r in _rows("facilities.csv"):
        if r["country"] == "CN" or r["stage"] == "market":
            continue
        start = D(r["online_from"]) if r["online_from"] else None
        end = D(r["online_until"]) if r["online_until"] else None
        if r["status"] in ("planned", "construction", "uncertain") and start is None:
            continue
        if r["status"] == "closed" and end is None:
            continue
        if (start is None or start <= until) and (end is None or end > as_of):
            out.update(r["products"].split(";"))
    return out


def test_bundled_china_denying_military_users_answers_each_lost_platform(
        bundled: nx.MultiDiGraph) -> None:
    """As of 2026-12-02 with China denying military end users: every platform the policy
    cuts off gets a date or its missing inputs; the missing inputs are exactly the products
    of its bill of materials that no facility outside China makes (facilities.csv: only
    cn-metal-pool makes dy-metal and tb-metal); and the answer rests on the assumed status
    of MOFCOM No. 61 and No. 46 (rules.yaml: status recorded to 2026-11-10 / 2026-11-27)."""
    as_of = D("2026-12-02")
    results = find_restore(bundled, policy="cn-denies-military", as_of=as_of)
    base, cut = simulate(bundled, as_of=as_of), \
        simulate(bundled, as_of=as_of, policy="cn-denies-military")
    assert {r.platform for r in results} == set(cut.unsupplied) - set(base.unsupplied)
    assert results, "the policy cuts some platform off on the bundled data"
    makers = {p: {r["id"] for r in _rows("facilities.csv") if p in r["products"].split(";")}
              for p in ("dy-metal", "tb-metal")}
    assert makers == {"dy-metal": {"cn-metal-pool"}, "tb-metal": {"cn-metal-pool"}}
    for r in results:
        assert r.restored_on is not None or r.missing_inputs, r.platform
        expected = {p for p in _closure(r.platform)
                    if p not in _made_outside_cn(as_of, r.until)}
        assert {m.product for m in r.missing_inputs} == expected, r.platform
        if expected & {"dy-metal", "tb-metal"}:
            assert r.restored_on is None
        for m in r.missing_inputs:
            assert f"no facility outside CN makes {m.product}" in m.sentence
    known = {rule["id"]: rule.get("known_until") for rule in
             yaml.safe_load((BUNDLED / "rules.yaml").read_text())["rules"]}
    assert all(known[i] < as_of for i in ("MOFCOM-61-2025", "MOFCOM-46-2024"))
    for r in results:
        assert r.rests_on_assumption and r.assumptions
        assert CONFIDENCE_ORDER[r.confidence] <= CONFIDENCE_ORDER["estimated"]


def test_bundled_f35_samarium_is_made_outside_china_but_not_linked(
        bundled: nx.MultiDiGraph) -> None:
    """sm-metal is made in the UK (lcm-metal, facilities.csv), so it is no missing input of
    the F-35; but the only supplier of world-sm-metal-market in supplies.csv is
    cn-metal-pool, so the root cause left names sm-metal."""
    [f35] = find_restore(bundled, "F-35", policy="cn-denies-military", as_of="2026-12-02")
    outside = {r["id"] for r in _rows("facilities.csv")
               if "sm-metal" in r["products"].split(";") and r["country"] not in ("CN", "")}
    assert "lcm-metal" in outside
    feeders = {r["supplier"] for r in _rows("supplies.csv")
               if r["buyer"] == "world-sm-metal-market" and r["product"] == "sm-metal"}
    assert feeders == {"cn-metal-pool"}
    assert "sm-metal" not in {m.product for m in f35.missing_inputs}
    assert ("world-sm-metal-market", "sm-metal") in \
        {(b.facility, b.product) for b in f35.still_blocked}


# --------------------------------------------------------------------------- CLI

runner = CliRunner()
app = make_app()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_cli_restore_json_and_table(tmp_path: Path) -> None:
    code, out = _run("--data", str(DATA / "choke_time"), "restore", "--fail", "country:CN",
                     "--as-of", "2027-01-01", "-f", "json")
    assert code == 0, out
    assert {r["platform"]: r["restored_on"] for r in json.loads(out)} == \
        {"missile": "2027-06-01", "sub": "2028-01-01"}
    code, out = _run("--data", str(DATA / "choke_time"), "restore", "sub", "--fail",
                     "country:CN", "--as-of", "2027-01-01", "--until", "2027-12-31")
    assert code == 0, out
    assert "not by 2027-12-31" in out and "no facility outside CN makes tb-oxide" in out


def test_cli_restore_says_in_one_line_when_nothing_is_lost() -> None:
    code, out = _run("--data", str(DATA / "choke_time"), "restore", "--as-of", "2027-01-01")
    assert code == 0
    assert out.strip() == "no platform is lost in this scenario on 2027-01-01"


def test_cli_restore_errors_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--data", str(DATA / "choke_time"), "restore", "submarine", "--fail",
              "country:CN", "--as-of", "2027-01-01"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no platform with id 'submarine'; did you mean 'sub'")
    assert len(err.strip().splitlines()) == 1
    code, _ = _run("--data", str(DATA / "choke_time"), "restore", "--policy", "nope")
    assert code == 2


def test_cli_restore_bundled_names_what_nobody_else_makes() -> None:
    code, out = _run("restore", "--policy", "cn-denies-military", "--as-of", "2026-12-02",
                     "-f", "csv")
    assert code == 0, out
    rows = list(csv.DictReader(out.splitlines()))
    assert rows and all(r["restored on"].startswith("not by") for r in rows
                        if "dy-metal" in r["missing inputs"])
