"""The bundled dataset: sourced, whole, reproducible, and faithful to the published figures."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import networkx as nx
import pytest
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    at,
    facilities_making,
    needed_inputs,
    platforms,
    read_json,
    supply_edges,
    write_json,
)
from oretrace.loaders import bundled_path, load_dataset, validate_dataset

FACTS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "facts.md"
PLATFORMS = {"F-35", "Tomahawk", "Virginia", "Columbia", "DDG-51", "JDAM", "MQ-9", "G-ATOR"}


def test_bundled_dataset_validates_without_errors() -> None:
    assert [str(p) for p in validate_dataset() if p.severity == "error"] == []


def test_the_eight_platforms_are_there(bundled: nx.MultiDiGraph) -> None:
    assert set(platforms(bundled)) >= PLATFORMS
    for p in PLATFORMS:
        assert facilities_making(bundled, p), f"{p} has no final assembly"


def test_every_node_and_edge_has_an_existing_source_and_a_confidence(
        bundled: nx.MultiDiGraph) -> None:
    sources = bundled.graph["sources"]
    elements = [(n, d) for n, d in bundled.nodes(data=True)] + \
               [((u, v, k), d) for u, v, k, d in bundled.edges(keys=True, data=True)]
    for where, d in elements:
        assert d.get("confidence") in CONFIDENCE_ORDER, where
        assert d.get("sources"), where
        assert all(s in sources for s in d["sources"]), where


def test_every_source_id_is_a_key_of_the_facts_file() -> None:
    """Each source row cites facts.md: its id is a key of the Sources table (or 'computed')."""
    if not FACTS.exists():
        pytest.skip(reason="shared/reference/facts.md is not beside the checkout")
    keys = set(re.findall(r"^\| ([A-Za-z0-9][A-Za-z0-9.\-]*) \| ", FACTS.read_text(),
                          flags=re.MULTILINE))
    G = load_dataset()
    unknown = {s for s in G.graph["sources"] if s not in keys} - {"computed"}
    assert unknown <= {s for s in G.graph["sources"] if s.startswith("derived-")}, unknown


@pytest.mark.parametrize("as_of", ["2022-06-01", "2025-12-15", "2026-11-24", "2029-01-01"])
def test_every_platform_resolves_down_to_mines(bundled: nx.MultiDiGraph, as_of: str) -> None:
    """Walk up from each platform's assembly: every needed input has a supplier, ending at
    mines, or at a refinery whose feedstock is not modelled (gallium is refined from alumina
    liquor, cobalt's sources are not in the facts: both sit at the metal stage)."""
    G = at(bundled, as_of)
    for platform in PLATFORMS:
        stack = [f for f in facilities_making(G, platform) if f in G]
        assert stack, f"{platform} has no assembly as of {as_of}"
        seen: set[str] = set()
        reached_mine = False
        while stack:
            fac = stack.pop()
            if fac in seen:
                continue
            seen.add(fac)
            needs = needed_inputs(G, fac)
            if not needs:
                stage = G.nodes[fac]["stage"]
                unmodelled_feed = stage == "metal" and set(G.nodes[fac]["products"]) <= \
                    {"gallium-metal", "cobalt-metal"}
                assert stage in {"mine", "recycling"} or unmodelled_feed, \
                    f"{fac} needs nothing but is a {stage}"
                reached_mine |= stage == "mine" or unmodelled_feed
            supplied = {p for _, p, _ in supply_edges(G, fac)}
            assert needs <= supplied, f"{platform} as of {as_of}: {fac} lacks {needs - supplied}"
            stack.extend(s for s, _, _ in supply_edges(G, fac))
        assert reached_mine, f"{platform} never reaches a mine as of {as_of}"


def test_the_2022_f35_chinese_smco_alloy_case_is_reported(bundled: nx.MultiDiGraph) -> None:
    """DCMA, 2022-08-19: the SmCo alloy in the Honeywell turbomachine pump magnet came from
    China (AMN22, TurDef22, AvWeek22). The data must hold a supply of SmCo alloy from a
    Chinese facility toward the F-35 turbomachine, ending when the US source began. Every
    source of it is a press report or a relay, so the link is ``reported`` (DESIGN §2: a
    primary source's relay is reported), not ``documented``."""
    links = [(u, v, d) for u, v, d in bundled.edges(data=True)
             if d.get("kind") == "supplies" and bundled.nodes[u].get("country") == "CN"
             and "smco" in d["product"].lower() and d["confidence"] == "reported"]
    assert links, "no reported Chinese SmCo supply link"
    assert any({"AMN22", "TurDef22", "AvWeek22"} & set(d["sources"]) for _, _, d in links)
    assert any(d.get("end") is not None and d["end"] <= dt.date(2023, 1, 1)
               for _, _, d in links)


def test_loading_twice_gives_identical_graphs() -> None:
    a, b = load_dataset(), load_dataset()
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert list(a.edges(keys=True, data=True)) == list(b.edges(keys=True, data=True))


def test_export_then_reload_round_trips(bundled: nx.MultiDiGraph, tmp_path: Path) -> None:
    H = read_json(write_json(bundled, tmp_path / "bundled.json"))
    assert dict(H.nodes(data=True)) == dict(bundled.nodes(data=True))
    assert sorted(map(repr, H.edges(keys=True, data=True))) == \
        sorted(map(repr, bundled.edges(keys=True, data=True)))


def test_published_mine_production_share_of_china(bundled: nx.MultiDiGraph) -> None:
    """USGS MCS 2026: China 270,000 of 390,000 t REO in 2025e = 69 %. The mine rows are the
    MCS 2026 country figures, so they must reproduce it within a percentage point (this
    checks the transcription; the independent checks are in test_bundled_shares.py)."""
    mines = [d for _, d in bundled.nodes(data=True)
             if d.get("kind") == "facility" and d.get("stage") == "mine"
             and d.get("capacity") and "REO" in (d.get("capacity_unit") or "")
             and d.get("status") == "operating"]
    total = sum(d["capacity"] for d in mines)
    china = sum(d["capacity"] for d in mines if d.get("country") == "CN")
    assert china / total == pytest.approx(270_000 / 390_000, abs=0.01)


def test_bundled_path_is_inside_the_package() -> None:
    assert (bundled_path() / "facilities.csv").exists()
    assert (bundled_path() / "rules.yaml").exists()
