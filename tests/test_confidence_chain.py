"""Under a confidence floor, a platform with no supply chain left is said so, never dropped.

The drawn network (confidence of each row in brackets; facilities and products documented)::

    mine-cn ─ore[D]─► sep-cn (CN) ─oxide[R]─┐
    mine-au ─ore[D]─► sep-au (AU) ─oxide[I]─┴► mag-jp ─magnet[D]─► asm-a ─► A
                            └──────oxide[D]──► mag-us ─magnet[D]─► asm-b ─► B
                                                      └─magnet[D]─► asm-e ─► E
    w-us ─widget[D]─► asm-c ─► C     (C needs widget on an *illustrative* BOM line)
    cable-x ─cable[I]─► asm-e        (E needs magnet and cable)
    asm-d (online from 2030) ─► D

BOM lines are documented except C ← widget (illustrative). Worked on paper:

- ≥ reported: A is exposed through sep-cn (its oxide hop is reported). B is whole and clear.
  C: its only need rests on an illustrative line, so the need is unmet: no chain (asm-c needs
  widget). D: nothing makes it before 2030. E: its cable link is illustrative: no chain, the
  break at asm-e's cable only (its magnet is met by mag-us).
- ≥ documented: A also loses its chain: mag-jp's oxide links are reported and illustrative,
  so mag-jp needs oxide and nothing supplies it.
- No floor: nothing is reported beyond what is exposed.
"""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
import pytest
from oretrace.graphmodel import Records, build_graph
from oretrace.graphmodel.schema import BomLine, Facility, Product, Source, Supply
from oretrace.queries.exposure import (
    ChainGap,
    find_broken_chains,
    find_exposed,
    find_where_used,
)

from oretrace.cli import main

DOC = {"sources": ["hand"], "confidence": "documented"}
DAY = "2026-06-01"


def network() -> nx.MultiDiGraph:
    def P(id: str, category: str) -> Product:
        return Product(id=id, name=id, category=category, unit="kg", **DOC)

    def F(id: str, country: str, stage: str, products: str, **kw: Any) -> Facility:
        return Facility(id=id, name=id, country=country, stage=stage, products=products,
                        **(DOC | kw))

    def S(u: str, v: str, product: str, level: str = "documented") -> Supply:
        return Supply(supplier=u, buyer=v, product=product, share=0.5,
                      sources=["hand"], confidence=level)

    def B(product: str, input: str, level: str = "documented") -> BomLine:
        return BomLine(product=product, input=input, qty=1, sources=["hand"], confidence=level)

    return build_graph(Records(
        sources=[Source(id="hand", title="hand-drawn")],
        products=[P("ore", "ore"), P("oxide", "oxide"), P("magnet", "magnet"),
                  P("widget", "component"), P("cable", "component"),
                  *(P(x, "platform") for x in "ABCDE")],
        bom=[B("oxide", "ore"), B("magnet", "oxide"), B("A", "magnet"), B("B", "magnet"),
             B("C", "widget", "illustrative"), B("D", "magnet"), B("E", "magnet"),
             B("E", "cable")],
        facilities=[F("mine-cn", "CN", "mine", "ore"), F("mine-au", "AU", "mine", "ore"),
                    F("sep-cn", "CN", "separation", "oxide"),
                    F("sep-au", "AU", "separation", "oxide"),
                    F("mag-jp", "JP", "magnet", "magnet"), F("mag-us", "US", "magnet", "magnet"),
                    F("w-us", "US", "component", "widget"),
                    F("cable-x", "US", "component", "cable"),
                    F("asm-a", "US", "assembly", "A"), F("asm-b", "US", "assembly", "B"),
                    F("asm-c", "US", "assembly", "C"),
                    F("asm-d", "US", "assembly", "D", status="planned",
                      online_from="2030-01-01"),
                    F("asm-e", "US", "assembly", "E")],
        supplies=[S("mine-cn", "sep-cn", "ore"), S("mine-au", "sep-au", "ore"),
                  S("sep-cn", "mag-jp", "oxide", "reported"),
                  S("sep-au", "mag-jp", "oxide", "illustrative"),
                  S("sep-au", "mag-us", "oxide"), S("mag-jp", "asm-a", "magnet"),
                  S("mag-us", "asm-b", "magnet"), S("mag-us", "asm-e", "magnet"),
                  S("w-us", "asm-c", "widget"), S("cable-x", "asm-e", "cable", "illustrative")]))


def empty(rows: list[Any]) -> dict[str, list[tuple[str | None, str]]]:
    """The no-chain rows: platform → gaps."""
    return {r.platform: [(g.facility, g.product) for g in r.gaps] for r in rows
            if r.status == "no_chain_at_level"}


AT_REPORTED = {"C": [("asm-c", "widget")], "D": [(None, "D")], "E": [("asm-e", "cable")]}
AT_DOCUMENTED = {"A": [("mag-jp", "oxide")], **AT_REPORTED}


def test_exposed_reports_platforms_with_no_chain_at_the_level() -> None:
    G = network()
    rows = find_exposed(G, "cn-processing", as_of=DAY, min_confidence="reported")
    assert [(r.platform, r.status) for r in rows] == [
        ("A", "exposed"), ("C", "no_chain_at_level"), ("D", "no_chain_at_level"),
        ("E", "no_chain_at_level")]
    assert empty(rows) == AT_REPORTED
    assert all(r.confidence == "reported" and r.paths == [] and r.through == []
               for r in rows if r.status != "exposed")
    rows = find_exposed(G, "cn-processing", as_of=DAY, min_confidence="documented")
    assert empty(rows) == AT_DOCUMENTED and len(rows) == 4


def test_the_broken_chains_alone() -> None:
    """Every platform is tested, exposed or not: A's chain is whole at reported."""
    G = network()
    found = find_broken_chains(G, min_confidence="reported", as_of=DAY)
    assert {p: [(g.facility, g.product) for g in gaps] for p, gaps in found.items()} == \
        AT_REPORTED
    found = find_broken_chains(G, min_confidence="documented", as_of=DAY, products=["A", "B"])
    assert found == {"A": [ChainGap(facility="mag-jp", product="oxide")]}


def test_without_a_floor_only_exposures_are_listed() -> None:
    rows = find_exposed(network(), "cn-processing", as_of=DAY)
    assert [(r.platform, r.status, r.gaps) for r in rows] == [("A", "exposed", [])]


def test_where_used_reports_them_too() -> None:
    G = network()
    rows = find_where_used(G, "sep-cn", as_of=DAY, min_confidence="reported")
    assert [(r.platform, r.status) for r in rows][0] == ("A", "depends")
    assert empty(rows) == AT_REPORTED
    rows = find_where_used(G, "sep-cn", as_of=DAY, min_confidence="documented")
    assert empty(rows) == AT_DOCUMENTED and len(rows) == 4
    assert rows[0].gaps == [ChainGap(facility="mag-jp", product="oxide")]


def test_the_break_moves_once_the_maker_is_online() -> None:
    """From 2030 asm-d exists, but nothing supplies its magnets: the chain now breaks at its
    need rather than at its missing maker."""
    rows = find_exposed(network(), "cn-processing", as_of="2030-06-01",
                        min_confidence="reported")
    assert empty(rows)["D"] == [("asm-d", "magnet")]


def test_the_cli_prints_and_serialises_them(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Any) -> None:
    """compliance_mini: every row illustrative. Above that no link is left, so the missile's
    assembler us-asm needs its actuator and nothing supplies it."""
    from pathlib import Path

    data = str(Path(__file__).parent / "data" / "compliance_mini")
    for args in (["-f", "json", "exposed"], ["-f", "json", "where-used", "cn-sx"]):
        with pytest.raises(SystemExit) as code:
            main(["--data", data, *args, "--min-confidence", "estimated", "--as-of", DAY])
        assert code.value.code == 0
        (row,) = json.loads(capsys.readouterr().out)
        assert (row["platform"], row["status"], row["confidence"], row["gaps"]) == \
            ("missile", "no_chain_at_level", "estimated",
             [{"facility": "us-asm", "product": "actuator"}])
    with pytest.raises(SystemExit):
        main(["--data", data, "exposed", "--min-confidence", "reported", "--as-of", DAY])
    out = capsys.readouterr().out
    assert "missile: no supply chain left at confidence ≥ reported (breaks where us-asm " \
        "needs actuator)" in out
