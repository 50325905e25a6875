"""`diff` as "what changed": the data (facilities, links, ownership, rule events) and the
answers (supply, single points of failure, shipments and verdicts) between two dates, on a
network drawn here and worked by hand, then the planner's acceptance check on the bundled
data (2025-04-01 → 2026-12-02).

switch (as_of 2025-01-01, vs 2026-06-01)::

    mine-c (CN) ─ore─► sep-c (CN) ─oxide, until 2026-01-01──┐
    mine-u (US) ─ore─► sep-u (US, online 2025-06-01) ─oxide, from 2025-06-01─┴► mag-x (JP)
    mag-x ─magnet─► asm-p (US): P
    mag-x ─magnet─► asm-q (US): Q
    q-part (US, online until 2026-01-01) ─part─► asm-q

    owns: hold-co → jp-co (operator of mag-x) from 2025-09-01

On 2025-01-01 mag-x gets oxide from sep-c only, so P's single points (trivial asm-p left
out) are {mine-c, sep-c, mag-x}, Q's {mine-c, sep-c, mag-x, q-part}. On 2026-06-01 the
sep-c link has ended and sep-u ships: P's are {mine-u, sep-u, mag-x}; q-part is offline, so
Q is not supplied. Hence: new mine-u and sep-u (P); gone mine-c and sep-c (P, still
supplied); platform lost mine-c, sep-c, mag-x, q-part (Q) — not an improvement.
"""

from __future__ import annotations

import datetime as dt
import json

import networkx as nx
import pytest
from oretrace.graphmodel import Records, build_graph
from oretrace.graphmodel.schema import (
    BomLine,
    Company,
    Facility,
    Ownership,
    Product,
    Source,
    Supply,
)
from oretrace.queries.scenarios import diff_scenarios
from typer.testing import CliRunner

from oretrace.cli import make_app

SRC = "drawn"


@pytest.fixture(scope="module")
def switch() -> nx.MultiDiGraph:
    def fac(fid: str, country: str, stage: str, made: str, **kw: object) -> Facility:
        return Facility.model_validate({"id": fid, "name": fid, "country": country,
                                        "stage": stage, "products": [made], "sources": [SRC],
                                        "confidence": "reported", **kw})

    def link(u: str, v: str, p: str, **kw: object) -> Supply:
        return Supply.model_validate({"supplier": u, "buyer": v, "product": p, "share": 1,
                                      "sources": [SRC], "confidence": "reported", **kw})

    products = [("ore", "concentrate"), ("oxide", "oxide"), ("magnet", "magnet"),
                ("part", "component"), ("P", "platform"), ("Q", "platform")]
    return build_graph(Records(
        sources=[Source(id=SRC, title="drawn in the test")],
        companies=[Company(id=c, name=c, sources=[SRC], confidence="reported")
                   for c in ("jp-co", "hold-co")],
        ownership=[Ownership(owner="hold-co", owned="jp-co", share=0.6,
                             start=dt.date(2025, 9, 1), sources=[SRC],
                             confidence="reported")],
        products=[Product(id=p, name=p, category=c, unit="each" if c == "platform" else "kg",
                          sources=[SRC], confidence="reported") for p, c in products],
        bom=[BomLine(product=p, input=x, qty=1, sources=[SRC], confidence="reported")
             for p, x in (("oxide", "ore"), ("magnet", "oxide"), ("P", "magnet"),
                          ("Q", "magnet"), ("Q", "part"))],
        facilities=[fac("mine-c", "CN", "mine", "ore"), fac("sep-c", "CN", "separation", "oxide"),
                    fac("mine-u", "US", "mine", "ore"),
                    fac("sep-u", "US", "separation", "oxide", online_from="2025-06-01",
                        status="planned"),
                    fac("mag-x", "JP", "magnet", "magnet", company="jp-co"),
                    fac("q-part", "US", "component", "part", online_until="2026-01-01"),
                    fac("asm-p", "US", "assembly", "P"), fac("asm-q", "US", "assembly", "Q")],
        supplies=[link("mine-c", "sep-c", "ore"),
                  link("sep-c", "mag-x", "oxide", end="2026-01-01"),
                  link("mine-u", "sep-u", "ore"),
                  link("sep-u", "mag-x", "oxide", start="2025-06-01"),
                  link("mag-x", "asm-p", "magnet"), link("mag-x", "asm-q", "magnet"),
                  link("q-part", "asm-q", "part")]))


@pytest.fixture(scope="module")
def changed(switch: nx.MultiDiGraph) -> object:
    return diff_scenarios(switch, as_of="2025-01-01", vs="2026-06-01", shortfall=False)


def test_the_data_changes_are_listed_with_their_dates(changed: object) -> None:
    d = changed
    assert [(e.node, e.date) for e in d.facilities_online] == [  # type: ignore[attr-defined]
        ("sep-u", dt.date(2025, 6, 1))]
    assert [(e.node, e.date) for e in d.facilities_offline] == [  # type: ignore[attr-defined]
        ("q-part", dt.date(2026, 1, 1))]
    links = {(c.kind, c.subject): c.date for c in d.links}  # type: ignore[attr-defined]
    assert links[("link started", "sep-u -> mag-x (oxide)")] == dt.date(2025, 6, 1)
    assert links[("link ended", "sep-c -> mag-x (oxide)")] == dt.date(2026, 1, 1)
    assert links[("ownership started", "hold-co -> jp-co")] == dt.date(2025, 9, 1)
    # links of facilities that came or went without a date of their own
    assert links[("link started", "mine-u -> sep-u (ore)")] is None
    assert links[("link ended", "q-part -> asm-q (part)")] is None
    assert all(c.sources == [SRC] for c in d.links)  # type: ignore[attr-defined]


def test_a_platform_lost_is_not_a_chokepoint_gone(changed: object) -> None:
    d = changed
    assert [c.platform for c in d.newly_unsupplied] == ["Q"]  # type: ignore[attr-defined]
    assert [(c.node, c.platforms, c.change) for c in d.chokepoints_new] == [  # type: ignore[attr-defined]
        ("mine-u", ["P"], "new"), ("sep-u", ["P"], "new")]
    assert [(c.node, c.platforms, c.change) for c in d.chokepoints_gone] == [  # type: ignore[attr-defined]
        ("mine-c", ["P"], "gone"), ("sep-c", ["P"], "gone")]
    assert [(c.node, c.platforms) for c in d.chokepoints_platform_lost] == [  # type: ignore[attr-defined]
        ("mag-x", ["Q"]), ("mine-c", ["Q"]), ("q-part", ["Q"]), ("sep-c", ["Q"])]
    assert {c.change for c in d.chokepoints_platform_lost} == {"platform lost"}  # type: ignore[attr-defined]
    assert d.rules == [] and d.answers == []  # type: ignore[attr-defined]  # no rules drawn


def test_backwards_the_link_ends_and_the_platform_comes_back(switch: nx.MultiDiGraph) -> None:
    d = diff_scenarios(switch, as_of="2026-06-01", vs="2025-01-01", shortfall=False)
    links = {(c.kind, c.subject) for c in d.links}
    assert ("link ended", "sep-u -> mag-x (oxide)") in links
    assert ("link started", "sep-c -> mag-x (oxide)") in links
    assert [c.platform for c in d.newly_supplied] == ["Q"]
    assert d.chokepoints_platform_lost == []


# --------------------------------------------------------------------------- bundled


@pytest.fixture(scope="module")
def planner(bundled: nx.MultiDiGraph) -> object:
    return diff_scenarios(bundled, as_of="2025-04-01", vs="2026-12-02", shortfall=False)


def test_the_mp_export_halt_is_listed(planner: object) -> None:
    """facts.md §3: MP stopped concentrate shipments to China on 2025-04-17 (Reuters-MP);
    the link to the Chinese separation pool ends then, and Chinese rock mining becomes the
    pool's whole feed (share 0.83107 → 1)."""
    links = {c.subject: c for c in planner.links}  # type: ignore[attr-defined]
    halt = links["mp-mountain-pass-mine -> cn-separation-pool (re-concentrate)"]
    assert (halt.kind, halt.date) == ("link ended", dt.date(2025, 4, 17))
    assert "Reuters-MP" in halt.sources and "halted" in halt.what
    rest = links["bayan-obo -> cn-separation-pool (re-concentrate)"]
    assert (rest.kind, rest.date) == ("link changed", dt.date(2025, 4, 17))
    dod = links["us-dod -> mp-materials"]  # the DoD stake, facts.md (FAS-MP), 2025-07-10
    assert (dod.kind, dod.date) == ("ownership started", dt.date(2025, 7, 10))


def test_the_plants_that_came_online_are_listed(planner: object) -> None:
    """facts.md: eVAC Sumter 2025-10 (FM-eVAC), Neo Narva 2025-09-19 (AW-Neo), Lynas'
    heavy-RE circuit 2025-05-16 (Argus-Lynas), MP's heavy-RE circuit mid-2026."""
    online = {e.node: e.date for e in planner.facilities_online}  # type: ignore[attr-defined]
    assert online["evac-sumter"] == dt.date(2025, 10, 1)
    assert online["neo-narva"] == dt.date(2025, 9, 19)
    assert online["lynas-malaysia-hre"] == dt.date(2025, 5, 16)
    assert "mp-mountain-pass-hre" in online


def test_the_rule_events_are_listed(planner: object) -> None:
    """facts.md §5: No. 18 in force 2025-04-04; Nos. 61/62 announced 2025-10-09; No. 70
    suspends them 2025-11-07 to 2026-11-10; No. 72 suspends No. 46 Art. 2 from 2025-11-09
    to 2026-11-27; after those dates the status rests on an assumption."""
    rules = {r.rule: r for r in planner.rules}  # type: ignore[attr-defined]
    events = {rid: {(e.date.isoformat(), e.event) for e in r.events}
              for rid, r in rules.items()}
    assert ("2025-04-04", "effective") in events["MOFCOM-18-2025"]
    assert (rules["MOFCOM-18-2025"].before, rules["MOFCOM-18-2025"].after) == \
        ("not-yet", "in-force")
    for rid in ("MOFCOM-61-2025", "MOFCOM-62-2025"):
        assert {("2025-10-09", "effective"), ("2025-11-07", "suspended"),
                ("2026-11-11", "suspension ends"), ("2026-11-11", "status assumed")} <= \
            events[rid]
        assert rules[rid].after == "assumed-in-force" and rules[rid].assumed
        assert rules[rid].confidence in {"estimated", "illustrative"}
    by = [e for e in rules["MOFCOM-61-2025"].events if e.event == "suspended"]
    assert "MOFCOM-70-2025" in by[0].what
    assert ("2025-11-09", "suspended") in events["MOFCOM-46-2024"]


def test_the_answers_that_changed_are_listed(bundled: nx.MultiDiGraph) -> None:
    """F-35: one shipment needed a licence on 2025-04-01; by 2026-12-02 No. 61's military
    clauses apply again (assumed, after No. 70's suspension ran out), so more are needed
    and denied, and the answer says it rests on an assumed rule status."""
    d = diff_scenarios(bundled, as_of="2025-04-01", vs="2026-12-02", shortfall=False)
    f35 = {a.question: a for a in d.answers if a.platform == "F-35"}
    denied = f35["shipments denied"]
    assert int(denied.after) > int(denied.before) and denied.assumed


def test_the_cli_diff_shows_data_and_answers() -> None:
    result = CliRunner().invoke(make_app(), ["-f", "json", "diff", "--as-of", "2025-04-01",
                                             "--vs", "2026-12-02", "--no-shortfall"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert any(c["subject"].startswith("mp-mountain-pass-mine") and c["date"] == "2025-04-17"
               for c in d["links"])
    assert {"MOFCOM-18-2025", "MOFCOM-61-2025"} <= {r["rule"] for r in d["rules"]}
    table = CliRunner().invoke(make_app(), ["diff", "--as-of", "2025-04-01", "--vs",
                                            "2026-12-02", "--no-shortfall", "--no-answers"])
    assert table.exit_code == 0, table.output
    assert "Data: rules" in table.output and "MOFCOM-18-2025" in table.output
