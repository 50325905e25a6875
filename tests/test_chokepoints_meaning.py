"""Chokepoints that mean something: trivial ones left out, a stated ranking measure with ties
marked, confidence on every row and cut, country-less placeholders under their suppliers'
countries, several minimum cuts; on small networks drawn here and worked by hand, then the
planner's checks on the bundled data.

two_platforms (A: 10 units/yr at 5 $; B: 2 units/yr at 100 $; both assembled in the US by
prime-co; ``rep``/``ill`` = reported/illustrative)::

    mine-cn (CN, cn-co, rep) ─ore─► sep-cn (CN, cn-co, rep) ─oxide─► mag-jp (JP, jp-co, rep)
    cobalt-src (no country, no company, ill) ─cobalt──────────────────────┘ │
                                       magnet ┌──────────────────────────────┴──────┐
    fin-a (US, fin-co, rep) ─fin─► asm-a (US, prime-co): A     asm-b (US, prime-co): B
                                                act-a (US, act-co, rep) ─actuator─┘ │
                                                sens-z (US, sens-co, rep) ─sensor───┤
                                                hou-m (US, no company, ill) ─housing┘

A needs magnet and fin; B needs magnet, actuator, sensor and housing; a magnet needs oxide
and cobalt, oxide needs ore. Every need has one supplier, so every facility upstream of a
platform alone stops it.

branches (platform P, 1 unit/yr, assembled in the US)::

    mine-cn (CN) ─ore─► sep-cn (CN) ─oxide─┐
    mine-au (AU) ─ore─► sep-au (AU) ─oxide─┴► asm-p (US): P

P needs oxide from sep-cn OR sep-au: no single point upstream; stopping P takes one
facility on each branch, so the minimum facility cuts are the 2 × 2 = 4 pairs
{sep-cn | mine-cn} × {sep-au | mine-au}, and the only country cut is {AU, CN}.
"""

from __future__ import annotations

import networkx as nx
import pytest
from oretrace.graphmodel import Records, build_graph
from oretrace.graphmodel.schema import BomLine, Company, Facility, Product, Source, Supply
from oretrace.queries.chokepoints import (
    RANKED_BY,
    chokepoint_keys,
    find_single_points_of_failure,
    find_smallest_cut,
    rank_chokepoints,
)
from oretrace.queries.feasibility import simulate

SRC = "drawn"
DAY = "2026-06-01"


def _graph(products: list[tuple[str, str, float | None]], bom: list[tuple[str, str]],
           facilities: list[dict[str, object]], links: list[tuple[str, str, str]]
           ) -> nx.MultiDiGraph:
    companies = sorted({str(f["company"]) for f in facilities if f.get("company")})
    return build_graph(Records(
        sources=[Source(id=SRC, title="drawn in the test")],
        companies=[Company(id=c, name=c, sources=[SRC], confidence="reported")
                   for c in companies],
        products=[Product(id=p, name=p, category=cat, unit="each" if cat == "platform"
                          else "kg", unit_price_usd=price, sources=[SRC],
                          confidence="reported") for p, cat, price in products],
        bom=[BomLine(product=p, input=x, qty=1, sources=[SRC], confidence="reported")
             for p, x in bom],
        facilities=[Facility.model_validate({"name": f["id"], "sources": [SRC],
                                             "confidence": "reported", **f})
                    for f in facilities],
        supplies=[Supply(supplier=u, buyer=v, product=p, share=1, sources=[SRC],
                         confidence="reported") for u, v, p in links]))


@pytest.fixture(scope="module")
def two_platforms() -> nx.MultiDiGraph:
    def fac(fid: str, country: str | None, company: str | None, stage: str, made: str,
            confidence: str = "reported", **kw: object) -> dict[str, object]:
        return {"id": fid, "country": country, "company": company, "stage": stage,
                "products": [made], "confidence": confidence, **kw}

    return _graph(
        [("ore", "concentrate", None), ("oxide", "oxide", None), ("cobalt", "metal", None),
         ("magnet", "magnet", None), ("fin", "component", None),
         ("actuator", "component", None), ("sensor", "component", None),
         ("housing", "component", None), ("A", "platform", 5.0), ("B", "platform", 100.0)],
        [("oxide", "ore"), ("magnet", "oxide"), ("magnet", "cobalt"), ("A", "magnet"),
         ("A", "fin"), ("B", "magnet"), ("B", "actuator"), ("B", "sensor"), ("B", "housing")],
        [fac("mine-cn", "CN", "cn-co", "mine", "ore"),
         fac("sep-cn", "CN", "cn-co", "separation", "oxide"),
         fac("cobalt-src", None, None, "metal", "cobalt", "illustrative"),
         fac("mag-jp", "JP", "jp-co", "magnet", "magnet"),
         fac("fin-a", "US", "fin-co", "component", "fin"),
         fac("act-a", "US", "act-co", "component", "actuator"),
         fac("sens-z", "US", "sens-co", "component", "sensor"),
         fac("hou-m", "US", None, "component", "housing", "illustrative"),
         fac("asm-a", "US", "prime-co", "assembly", "A", capacity=10.0,
             capacity_unit="units/yr"),
         fac("asm-b", "US", "prime-co", "assembly", "B", capacity=2.0,
             capacity_unit="units/yr")],
        [("mine-cn", "sep-cn", "ore"), ("sep-cn", "mag-jp", "oxide"),
         ("cobalt-src", "mag-jp", "cobalt"), ("mag-jp", "asm-a", "magnet"),
         ("mag-jp", "asm-b", "magnet"), ("fin-a", "asm-a", "fin"),
         ("act-a", "asm-b", "actuator"), ("sens-z", "asm-b", "sensor"),
         ("hou-m", "asm-b", "housing")])


@pytest.fixture(scope="module")
def branches() -> nx.MultiDiGraph:
    return _graph(
        [("ore", "concentrate", None), ("oxide", "oxide", None), ("P", "platform", None)],
        [("oxide", "ore"), ("P", "oxide")],
        [{"id": "mine-cn", "country": "CN", "stage": "mine", "products": ["ore"]},
         {"id": "sep-cn", "country": "CN", "stage": "separation", "products": ["oxide"]},
         {"id": "mine-au", "country": "AU", "stage": "mine", "products": ["ore"]},
         {"id": "sep-au", "country": "AU", "stage": "separation", "products": ["oxide"]},
         {"id": "asm-p", "country": "US", "stage": "assembly", "products": ["P"]}],
        [("mine-cn", "sep-cn", "ore"), ("sep-cn", "asm-p", "oxide"),
         ("mine-au", "sep-au", "ore"), ("sep-au", "asm-p", "oxide")])


def _rows(table: object) -> dict[str, dict[str, object]]:
    return {r["node"]: r for r in table.to_dict("records")}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- trivial


def test_the_own_assembly_company_and_country_are_left_out(
        two_platforms: nx.MultiDiGraph) -> None:
    """asm-a/asm-b, prime-co and the US stop their platforms by definition: gone from the
    ranking by default, back (marked) with include_trivial. The US is also where act-a,
    sens-z, hou-m and fin-a are, but losing it loses the assemblies anyway."""
    for level, trivial in (("facility", {"asm-a", "asm-b"}), ("company", {"prime-co"}),
                           ("country", {"US"})):
        table = rank_chokepoints(two_platforms, level=level, as_of=DAY)
        assert not trivial & set(table["node"])
        every = rank_chokepoints(two_platforms, level=level, as_of=DAY, include_trivial=True)
        marked = {r["node"] for r in every.to_dict("records") if r["trivial_for"]}
        assert marked == trivial
    us = _rows(rank_chokepoints(two_platforms, level="country", as_of=DAY,
                                include_trivial=True))["US"]
    assert us["trivial_for"] == ["A", "B"]
    [sp] = find_single_points_of_failure(two_platforms, platforms=["A"], as_of=DAY,
                                         level="company")
    assert sp.trivial == ["prime-co"] and "prime-co" in sp.nodes  # the literal recursion
    [sp] = find_single_points_of_failure(two_platforms, platforms=["A"], as_of=DAY,
                                         level="company", include_trivial=False)
    assert set(sp.nodes) == {"cn-co", "jp-co", "fin-co", "facility:cobalt-src"}


# --------------------------------------------------------------------------- ranking


def test_the_ranking_follows_the_stated_measure_and_marks_ties(
        two_platforms: nx.MultiDiGraph) -> None:
    """By hand (value a year = build rate × unit price: A 10 × 5 = 50 $, B 2 × 100 = 200 $):

    =======  ==========================  ===  =====  =====  ============  =====
    rank     node                        n    value  units  confidence    tied
    =======  ==========================  ===  =====  =====  ============  =====
    1        mag-jp, mine-cn, sep-cn     2    250    12     reported      yes
    4        cobalt-src                  2    250    12     illustrative  no
    5        act-a, sens-z               1    200    2      reported      yes
    7        hou-m                       1    200    2      illustrative  no
    8        fin-a                       1    50     10     reported      no
    =======  ==========================  ===  =====  =====  ============  =====

    hou-m ranks above fin-a (B's output is worth more) although fin-a comes first by name
    and is better evidenced: the measure decides, not the alphabet."""
    table = rank_chokepoints(two_platforms, as_of=DAY)
    got = [(r["rank"], r["node"], r["n_platforms"], r["value_usd_per_yr"],
            r["units_per_yr"], r["confidence"], r["tied"]) for r in table.to_dict("records")]
    assert got == [
        (1, "mag-jp", 2, 250.0, 12.0, "reported", True),
        (1, "mine-cn", 2, 250.0, 12.0, "reported", True),
        (1, "sep-cn", 2, 250.0, 12.0, "reported", True),
        (4, "cobalt-src", 2, 250.0, 12.0, "illustrative", False),
        (5, "act-a", 1, 200.0, 2.0, "reported", True),
        (5, "sens-z", 1, 200.0, 2.0, "reported", True),
        (7, "hou-m", 1, 200.0, 2.0, "illustrative", False),
        (8, "fin-a", 1, 50.0, 10.0, "reported", False)]
    assert set(table["ranked_by"]) == {RANKED_BY}
    assert "platforms stopped" in table.attrs["measure"]
    for level in ("facility", "company", "country"):  # the compiled backend, same answer
        plain = rank_chokepoints(two_platforms, as_of=DAY, level=level, backend="networkx")
        fast = rank_chokepoints(two_platforms, as_of=DAY, level=level, backend="compiled")
        assert plain.to_dict("records") == fast.to_dict("records")


def test_top_keeps_the_rows_tied_with_the_last_one(two_platforms: nx.MultiDiGraph) -> None:
    """top=2 cuts inside the three-way tie at rank 1: all three are kept, none dropped by
    name; top=4 ends on cobalt-src, alone at rank 4."""
    assert list(rank_chokepoints(two_platforms, as_of=DAY, top=2)["node"]) == \
        ["mag-jp", "mine-cn", "sep-cn"]
    assert len(rank_chokepoints(two_platforms, as_of=DAY, top=4)) == 4


def test_company_rows_carry_a_confidence_and_facilities_without_one_stand_alone(
        two_platforms: nx.MultiDiGraph) -> None:
    """Company level: cn-co runs mine-cn and sep-cn (both reported); cobalt-src and hou-m
    have no operator and count alone, keyed facility:<id>."""
    rows = _rows(rank_chokepoints(two_platforms, level="company", as_of=DAY))
    assert rows["cn-co"]["members"] == ["mine-cn", "sep-cn"]
    assert {k: rows[k]["confidence"] for k in ("cn-co", "facility:cobalt-src",
                                               "facility:hou-m")} == {
        "cn-co": "reported", "facility:cobalt-src": "illustrative",
        "facility:hou-m": "illustrative"}
    assert all(r["confidence"] for r in rows.values())


# --------------------------------------------------------------------------- countries


def test_a_country_less_placeholder_counts_under_its_suppliers_countries(
        two_platforms: nx.MultiDiGraph) -> None:
    """cobalt-src has no country: at the country level it is in no group (it cannot be lost
    by losing a country), so the country answers name countries only: CN and JP, tied
    (both reported, both stop A and B). The US is trivial."""
    assert chokepoint_keys(["CN", "facility:cobalt-src", None], "country") == \
        ["CN", None, None]
    table = rank_chokepoints(two_platforms, level="country", as_of=DAY)
    assert [(r["rank"], r["node"], r["tied"]) for r in table.to_dict("records")] == \
        [(1, "CN", True), (1, "JP", True)]


def test_the_country_cut_names_countries_and_its_alternatives(
        two_platforms: nx.MultiDiGraph) -> None:
    """A's country cut (US protected): CN alone or JP alone stops it. Read the old way, the
    country-less cobalt placeholder (``facility:cobalt-src``) was a third cut of size one.
    Both reported: CN first by id, JP the alternative."""
    cut = find_smallest_cut(two_platforms, "A", level="country", as_of=DAY)
    assert (cut.size, cut.nodes, cut.alternatives, cut.protected) == \
        (1, ["CN"], [["JP"]], ["US"])
    assert cut.confidence == "reported" and cut.sources == [SRC]
    assert cut.alternatives_confidence == ["reported"]
    assert "1 other cut" in cut.note


# --------------------------------------------------------------------------- several cuts


def test_every_minimum_cut_is_found_when_several_exist(branches: nx.MultiDiGraph) -> None:
    """branches: the four pairs, one facility per branch (module docstring); each stops P
    (checked by a feasibility run) and no single facility does."""
    cut = find_smallest_cut(branches, "P", as_of=DAY, alternatives=10)
    found = [cut.nodes, *cut.alternatives]
    assert cut.exact and cut.size == 2
    assert {frozenset(c) for c in found} == {
        frozenset(p) for p in (("sep-cn", "sep-au"), ("sep-cn", "mine-au"),
                               ("mine-cn", "sep-au"), ("mine-cn", "mine-au"))}
    assert len(found) == 4
    for c in found:
        assert "P" in simulate(branches, fail=c, as_of=DAY).unsupplied
    [sp] = find_single_points_of_failure(branches, platforms=["P"], as_of=DAY,
                                         include_trivial=False)
    assert sp.nodes == []


def test_the_number_of_alternatives_is_bounded(branches: nx.MultiDiGraph) -> None:
    assert len(find_smallest_cut(branches, "P", as_of=DAY, alternatives=1).alternatives) == 1
    assert find_smallest_cut(branches, "P", as_of=DAY, alternatives=0).alternatives == []
    country = find_smallest_cut(branches, "P", level="country", as_of=DAY)
    assert (country.nodes, country.alternatives) == (["AU", "CN"], [])


def test_include_trivial_lets_the_cut_take_the_assembly(branches: nx.MultiDiGraph) -> None:
    """With nothing protected the assembly alone is the smallest cut (size 1)."""
    cut = find_smallest_cut(branches, "P", as_of=DAY, include_trivial=True)
    assert (cut.size, cut.nodes, cut.protected) == (1, ["asm-p"], [])


# --------------------------------------------------------------------------- bundled


TODAY = "2026-12-02"


def test_the_us_no_longer_heads_the_country_ranking(bundled: nx.MultiDiGraph) -> None:
    """Every bundled platform is assembled in the US (facilities.csv), so the US is trivial
    for all eight; China is the first country (it stops five platforms, DoD24, CSIS-Apr25)."""
    table = rank_chokepoints(bundled, level="country", as_of=TODAY)
    assert "US" not in set(table["node"])
    assert table["node"].iloc[0] == "CN" and table["rank"].iloc[0] == 1
    assert not any(str(n).startswith("facility:") for n in table["node"])
    assert table["confidence"].notna().all()


def test_virginia_rows_are_ranked_with_ties_marked(bundled: nx.MultiDiGraph) -> None:
    """`chokepoints --platform Virginia --top 5`: every row stops the one platform, so the
    value and build rate tie; confidence breaks some ties; rows still equal share a rank
    and say tied. The final assembly is not among them."""
    table = rank_chokepoints(bundled, platforms=["Virginia"], top=5, as_of=TODAY)
    assert "virginia-final-assembly" not in set(table["node"])
    for _rank, group in table.groupby("rank"):
        assert group["tied"].all() == (len(group) > 1)
    ranks = list(table["rank"])
    assert ranks == sorted(ranks)


def test_the_company_level_names_the_chinese_state_groups(bundled: nx.MultiDiGraph) -> None:
    """facts.md §1e: only China Northern Rare Earth and China Rare Earth Group hold the
    quotas (MBN); CNRE 88.0 of the 127 kt H1 2024 smelting quota (PB-H1-24): the separation
    pool is keyed to CNRE, as estimated. Both groups stop the platforms that hang on
    Chinese separation, and the pool no longer stands alone as ``facility:``."""
    rows = _rows(rank_chokepoints(bundled, level="company", as_of=TODAY))
    assert {"china-northern-rare-earth", "china-rare-earth-group"} <= set(rows)
    assert "facility:cn-separation-pool" not in rows
    cnre = rows["china-northern-rare-earth"]
    assert "cn-separation-pool" in cnre["members"] and cnre["confidence"] == "estimated"
    assert bundled.nodes["cn-separation-pool"]["company"] == "china-northern-rare-earth"


def test_the_country_cut_names_china(bundled: nx.MultiDiGraph) -> None:
    """The F-35 country cut used to be the country-less cobalt placeholder; now every cut
    of the minimum size names a country, China among them."""
    cut = find_smallest_cut(bundled, "F-35", level="country", as_of=TODAY)
    found = [cut.nodes, *cut.alternatives]
    assert ["CN"] in found
    assert not any(n.startswith("facility:") for c in found for n in c)
    assert cut.confidence in {"documented", "reported", "estimated", "illustrative"}
