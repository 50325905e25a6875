"""What-if overrides (``with_overrides``, ``--set``/``--drop``) on the hand-drawn networks.

mini (tests/data/mini, every row illustrative)::

    cn-mine ─ore─► cn-sep (CN, runs cn-sx) ─oxide 0.6─► jp-mag ─► us-comp ─► us-asm ─► missile
    us-mine ─ore─► us-sep (US, from 2027-01-01) ─oxide 0.4, from 2027-01-01─► jp-mag

choke_time::

    mine-cn ─ore─► ref-cn (CN) ─dy-oxide──────────► mag-us ─► act-us ─► asm-missile
                        └──────tb-oxide───────────► terf-us ─► sonar-us ─► asm-sub
    mine-au ─ore─► ref-ee (EE) ─dy-oxide, from 2027-06-01─► mag-us
        └────ore─► ref-us (US, planned from 2028-01-01) ─tb-oxide─► terf-us
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from oretrace.graphmodel.errors import OverrideError
from oretrace.graphmodel.overrides import with_overrides
from oretrace.loaders import load_dataset
from oretrace.queries.content import origin_share
from oretrace.queries.exposure import find_exposed, find_where_used
from oretrace.queries.feasibility import simulate
from oretrace.queries.scenarios import simulate_scenario

from oretrace.cli import lift_overrides, main

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini"
TIME = DATA / "choke_time"
BUNDLED = Path(__file__).parents[1] / "loaders" / "bundled"


@pytest.fixture(scope="module")
def mini() -> nx.MultiDiGraph:
    return load_dataset(MINI)


def snapshot(G: nx.MultiDiGraph) -> Any:
    return copy.deepcopy((G.graph, list(G.nodes(data=True)),
                          list(G.edges(keys=True, data=True))))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


# --------------------------------------------------------------------------- Python


def test_the_callers_graph_is_unchanged(mini: nx.MultiDiGraph) -> None:
    before = snapshot(mini)
    H = with_overrides(mini, set=["us-sep.online_from=2030-01-01", "cn-sep>jp-mag.share=0.5",
                                  "jp-mag.capacity=8..12", "oxide>magnet.qty=0.4"],
                       drop=["us-mine>us-sep", "cn-mine"])
    assert snapshot(mini) == before
    assert H is not mini and "cn-mine" in mini and "cn-mine" not in H
    assert mini.graph["sources"].keys() == {"hand"}


def test_a_plant_moved_into_the_future_is_absent_at_the_date(timed: nx.MultiDiGraph) -> None:
    """2029, China lost: the sub keeps its Tb through ref-us (online 2028), the missile its
    Dy through ref-ee. Moved to 2031, ref-us is not there in 2029: terf-us has no tb-oxide
    and the sub is lost; in mid-2031 it is back."""
    base = simulate_scenario(timed, fail=["country:CN"], as_of="2029-06-01", shortfall=False)
    assert base.supplied == ["missile", "sub"]
    late = with_overrides(timed, set=["ref-us.online_from=2031-01-01"])
    moved = simulate_scenario(late, fail=["country:CN"], as_of="2029-06-01", shortfall=False)
    assert (moved.supplied, moved.lost) == (["missile"], ["sub"])
    again = simulate_scenario(late, fail=["country:CN"], as_of="2031-06-01", shortfall=False)
    assert again.supplied == ["missile", "sub"]


def test_a_dropped_link_carries_nothing(mini: nx.MultiDiGraph) -> None:
    """In 2026 cn-sep is jp-mag's only oxide supplier (us-sep's link starts 2027): without
    that link the missile is neither exposed nor supplied; from 2027 us-sep supplies it."""
    assert [e.platform for e in find_exposed(mini, "cn-processing", as_of="2026-06-01")] == \
        ["missile"]
    for link in ("cn-sep>jp-mag", "cn-sep>jp-mag:oxide"):
        H = with_overrides(mini, drop=[link])
        assert not H.has_edge("cn-sep", "jp-mag")
        assert find_exposed(H, "cn-processing", as_of="2026-06-01") == []
        assert simulate(H, as_of="2026-06-01").unsupplied == ["missile"]
        assert simulate(H, as_of="2027-06-01").supplied == ["missile"]


def test_a_dropped_facility_goes_with_its_links(mini: nx.MultiDiGraph) -> None:
    """cn-sep is the only user of cn-sx: once dropped, nothing depends on the technology."""
    assert [d.platform for d in find_where_used(mini, "cn-sx", as_of="2026-06-01")] == \
        ["missile"]
    H = with_overrides(mini, drop=["cn-sep"])
    assert "cn-sep" not in H
    assert {(u, v) for u, v in mini.edges() if "cn-sep" in (u, v)} == \
        {("cn-mine", "cn-sep"), ("cn-sep", "jp-mag"), ("cn-sep", "cn-sx"), ("cn-co", "cn-sep")}
    assert not any("cn-sep" in (u, v) for u, v in H.edges())
    assert find_where_used(H, "cn-sx", as_of="2026-06-01") == []


def test_a_range_keeps_its_ends_and_a_point_clears_them(mini: nx.MultiDiGraph) -> None:
    H = with_overrides(mini, set={"jp-mag.capacity": "8..12"})
    attrs = H.nodes["jp-mag"]
    assert (attrs["capacity"], attrs["capacity_lo"], attrs["capacity_hi"]) == (10.0, 8.0, 12.0)
    point = with_overrides(H, set={"jp-mag.capacity": 9})
    assert point.nodes["jp-mag"]["capacity"] == 9.0
    assert "capacity_lo" not in point.nodes["jp-mag"]
    assert point.graph["overrides"] == ["set jp-mag.capacity=8..12", "set jp-mag.capacity=9"]


def test_a_quantity_or_price_override_moves_the_value_content(mini: nx.MultiDiGraph) -> None:
    """2026: 4 actuators x 0.5 kg magnet x 0.312 kg oxide x 70 $/kg, all of it Chinese
    (cn-sep is jp-mag's only supplier then): 43.68 $ of Nd-bearing CN-origin items per
    missile. Twice the oxide per magnet, or twice its price (a 70..210 range keeps the
    midpoint, 140), doubles it: 87.36 $."""
    def value(G: nx.MultiDiGraph) -> float:
        return origin_share(G, "missile", by="value", element="Nd", as_of="2026-06-01").value_usd

    assert value(mini) == pytest.approx(43.68)
    for change in ("oxide>magnet.qty=0.624", "oxide.unit_price_usd=140",
                   "oxide.unit_price_usd=70..210"):
        assert value(with_overrides(mini, set=[change])) == pytest.approx(87.36), change


def test_a_holding_override_changes_control(mini: nx.MultiDiGraph) -> None:
    """cn-co holds 10 % of us-co; at 60 % it controls it (the 50 % rule), so the facilities
    us-co operates on the missile's 2026 chain (us-comp, us-asm) become Chinese-owned."""
    (e,) = find_exposed(mini, "cn-owned", as_of="2026-06-01")
    assert e.through == ["cn-mine", "cn-sep"]
    (e,) = find_exposed(with_overrides(mini, set=["cn-co>us-co.share=0.6"]), "cn-owned",
                        as_of="2026-06-01")
    assert e.through == ["cn-mine", "cn-sep", "us-asm", "us-comp"]


def test_python_values_and_clearing_a_field(mini: nx.MultiDiGraph) -> None:
    H = with_overrides(mini, set={"us-sep.online_from": dt.date(2030, 1, 1)})
    assert H.nodes["us-sep"]["online_from"] == dt.date(2030, 1, 1)
    cleared = with_overrides(mini, set=["us-sep.online_from="])
    assert cleared.nodes["us-sep"]["online_from"] is None


def test_an_answer_cites_the_override_it_rests_on(mini: nx.MultiDiGraph) -> None:
    """The exposure path runs over cn-sep → jp-mag: once its share is overridden, the path's
    sources name the override, and the registered source says it is no sourced fact."""
    H = with_overrides(mini, set=["cn-sep>jp-mag.share=0.5"])
    (e,) = find_exposed(H, "cn-processing", as_of="2026-06-01")
    assert e.sources == ["hand", "override:cn-sep>jp-mag.share=0.5"]
    assert "not a sourced fact" in H.graph["sources"]["override:cn-sep>jp-mag.share=0.5"]["title"]
    link = H.edges["cn-sep", "jp-mag", "supplies:oxide"]
    assert link["overridden"] == ["cn-sep>jp-mag.share=0.5"]


def test_an_overridden_record_carries_at_most_estimated_confidence(
        bundled: nx.MultiDiGraph) -> None:
    """usar-stillwater is a reported row (facilities.csv); an assumed start makes it
    estimated, as an assumed rule status does, and the reported level is kept beside it."""
    H = with_overrides(bundled, set=["usar-stillwater.online_from=2028-01-01"])
    attrs = H.nodes["usar-stillwater"]
    assert (attrs["confidence"], attrs["confidence_before_override"]) == ("estimated", "reported")
    assert bundled.nodes["usar-stillwater"]["confidence"] == "reported"


BAD = [
    ("set", "usa-sep.online_from=2028-01-01", "no node with id 'usa-sep'"),
    ("set", "us-sep.online_form=2028-01-01", "has no field 'online_form'"),
    ("set", "us-sep.online_from=2028-02-30", "is not a calendar date"),
    ("set", "us-sep.online_until=2026-01-01", "before online_from 2027-01-01"),
    ("set", "cn-sep>jp-mag.share=1.5", "not a fraction"),
    ("set", "cn-sep>jp-mag.share=0.7", "add up to 1.1 from 2027-01-01, above 1"),
    ("set", "jp-mag>us-asm.share=1", "there is no supply link jp-mag>us-asm"),
    ("set", "cn-sep>jp-mag:ore.share=0.5", "cn-sep ships oxide to jp-mag"),
    ("set", "us-sep.products=ore", "cannot be overridden"),
    ("set", "us-sep.status=sometimes", "status"),
    ("set", "us-sep.capacity=9..3", "low end 9 is above high end 3"),
    ("set", "us-sep.country=XX", "not an ISO 3166-1 alpha-2 country code"),
    ("set", "us-sep", "write it ID.FIELD=VALUE"),
    ("drop", "oxide", "'oxide' is a product"),
    ("drop", "cn-sep>us-comp", "no supply link cn-sep>us-comp"),
]


@pytest.mark.parametrize(("action", "text", "reason"), BAD)
def test_a_bad_override_is_one_line_naming_it(mini: nx.MultiDiGraph, action: str,
                                              text: str, reason: str) -> None:
    with pytest.raises(OverrideError) as caught:
        with_overrides(mini, **{action: [text]})
    message = str(caught.value)
    assert message.startswith(f"override {action} {text!r}: ")
    assert reason in message and "\n" not in message


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(("action", "text", "reason"), BAD[::3])
def test_a_bad_override_on_the_cli_exits_2_with_one_line(
        capsys: pytest.CaptureFixture[str], action: str, text: str, reason: str) -> None:
    code, out, err = run(capsys, "--data", str(MINI), "exposed", f"--{action}", text)
    assert code == 2 and out == ""
    assert err.startswith(f"error: override {action} {text!r}: ") and reason in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_set_and_drop_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """The same answer as the moved-plant test, the overrides written after the command;
    and the mini missile, exposed in 2026, is not once its only oxide link is dropped."""
    code, out, err = run(capsys, "--data", str(TIME), "-f", "json", "scenario", "--fail",
                         "country:CN", "--as-of", "2029-06-01", "--no-shortfall",
                         "--set", "ref-us.online_from=2031-01-01")
    assert code == 0
    assert (json.loads(out)["supplied"], json.loads(out)["lost"]) == (["missile"], ["sub"])
    assert "set ref-us.online_from=2031-01-01" in err
    code, out, _ = run(capsys, "--data", str(MINI), "-f", "json", "exposed", "--as-of",
                       "2026-06-01", "--drop=cn-sep>jp-mag")
    assert (code, json.loads(out)) == (0, [])
    assert lift_overrides(["exposed", "--", "--set", "x"]) == ["exposed", "--", "--set", "x"]


def test_native_neo4j_queries_and_graphless_commands_refuse_overrides(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing is contacted: the refusal comes first."""
    code, _, err = run(capsys, "--backend", "neo4j", "--neo4j-uri", "bolt://127.0.0.1:1",
                       "exposed", "--set", "cn-sep.status=closed")
    assert code == 2
    assert err == ("error: `oretrace exposed --backend neo4j` runs natively on the server "
                   "and cannot apply overrides (--set cn-sep.status=closed), which change the "
                   "graph in memory\n")
    code, _, err = run(capsys, "--data", str(MINI), "validate", "--drop", "cn-sep")
    assert code == 2 and err.startswith("error: `oretrace validate` reads no graph")


# --------------------------------------------------------------------------- bundled


def test_what_if_stillwater_starts_in_2028(capsys: pytest.CaptureFixture[str],
                                          bundled: nx.MultiDiGraph) -> None:
    """The issue's question. facilities.csv: usar-stillwater is planned with no start date,
    so absent at every date; supplies.csv names it as nobody's supplier. Started in 2028,
    it exists in 2029 (it is in the scenario's facility lists), and no platform can change:
    its magnets go nowhere in the data."""
    with open(BUNDLED / "facilities.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["id"] == "usar-stillwater")
    assert (row["status"], row["online_from"]) == ("planned", "")
    with open(BUNDLED / "supplies.csv", encoding="utf-8") as f:
        assert not [r for r in csv.DictReader(f) if r["supplier"] == "usar-stillwater"]

    H = with_overrides(bundled, set=["usar-stillwater.online_from=2028-01-01"])
    before = simulate(bundled, as_of="2029-01-01", policy="cn-denies-military")
    after = simulate(H, as_of="2029-01-01", policy="cn-denies-military")
    listed = after.supplied_facilities + after.unsupplied_facilities
    assert "usar-stillwater" in listed
    assert "usar-stillwater" not in before.supplied_facilities + before.unsupplied_facilities
    assert (after.supplied, after.unsupplied) == (before.supplied, before.unsupplied)

    code, out, err = run(capsys, "-f", "json", "scenario", "--policy", "cn-denies-military",
                         "--as-of", "2029-01-01", "--no-shortfall",
                         "--set", "usar-stillwater.online_from=2028-01-01")
    assert code == 0 and json.loads(out)["supplied"] == before.supplied
    assert err.startswith("note: answers assume the overrides set usar-stillwater.online_from=")
