"""Concentration by stage and product: shares, HHI and independent non-CN routes, on paper."""

from __future__ import annotations

import copy
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from oretrace.graphmodel import QueryError, Records, build_graph
from oretrace.graphmodel.schema import BomLine, Facility, Product, Source, Supply
from oretrace.loaders import load_dataset
from oretrace.queries.concentration import find_concentration

DATA = Path(__file__).parent / "data"



def _row(table: pd.DataFrame, stage: str, product: str) -> dict[str, object]:
    rows = table[(table["stage"] == stage) & (table["product"] == product)]
    assert len(rows) == 1
    return dict(rows.iloc[0])


def test_shares_and_hhi_by_stage(andor: nx.MultiDiGraph) -> None:
    """choke_andor capacities (t/yr). Mines: CN 5000, AU 300: CN 5000/5300 = 94.34 %,
    HHI = 94.34² + 5.66² = 25,090,000 / 2809 = 8932.0. Separation, every product: sep-cn 400
    + ref-cn 100 (CN), sep-au 40 (AU), ref-dy 8 (MY): CN 500/548 = 91.24 %; nd-oxide alone:
    400/440 = 90.91 %. Magnets: mag-cn 3000 of 3200 = 93.75 %."""
    table = find_concentration(andor, as_of="2026-11-24")
    mine = _row(table, "mine", "*")
    assert (mine["top_country"], mine["cn_share"], mine["hhi"]) == ("CN", 0.9434, 8932.0)
    assert mine["shares"] == {"CN": 0.9434, "AU": 0.0566}
    assert _row(table, "separation", "*")["cn_share"] == 0.9124
    assert _row(table, "separation", "nd-oxide")["cn_share"] == 0.9091
    assert _row(table, "magnet", "magnet")["cn_share"] == 0.9375
    assert _row(table, "separation", "*")["facilities"] == 4


@pytest.mark.parametrize(("stage", "product", "routes"), [
    ("mine", "ore", 1),             # mine-au
    ("separation", "nd-oxide", 1),  # sep-au, on mine-au: one route
    ("separation", "dy-oxide", 1),  # ref-dy
    ("magnet", "magnet", 1),        # mag-jp
    ("component", "motor", 0),      # motor-de gets magnets only from China
])
def test_independent_non_chinese_routes(andor: nx.MultiDiGraph, stage: str, product: str,
                                        routes: int) -> None:
    assert _row(find_concentration(andor), stage, product)["non_cn_routes"] == routes


def _two_mines(*, crossed: bool, shared: bool) -> nx.MultiDiGraph:
    """Two AU mines, two AU separators. Separate: m1→s1, m2→s2. Crossed: each separator
    buys from both mines. Shared: both buy from m1 only."""
    s = "s"
    kw = {"sources": [s], "confidence": "illustrative"}
    facilities = [Facility(id=i, name=i, country="AU", stage=st, products=[p], **kw)
                  for i, st, p in (("m1", "mine", "ore"), ("m2", "mine", "ore"),
                                   ("s1", "separation", "oxide"),
                                   ("s2", "separation", "oxide"))]
    links = [("m1", "s1"), ("m1", "s2")] if shared else \
        [("m1", "s1"), ("m2", "s2")] + ([("m2", "s1"), ("m1", "s2")] if crossed else [])
    return build_graph(Records(
        sources=[Source(id=s, title="t")],
        products=[Product(id="ore", name="ore", category="ore", unit="kg", **kw),
                  Product(id="oxide", name="oxide", category="oxide", unit="kg", **kw)],
        bom=[BomLine(product="oxide", input="ore", qty=10, **kw)],
        facilities=facilities,
        supplies=[Supply(supplier=a, buyer=b, product="ore", share=0.5, **kw)
                  for a, b in links]))


@pytest.mark.parametrize(("crossed", "shared", "routes"), [
    (False, False, 2),  # lose s1 and s2, or m1 and m2, or s1 and m2...: two are needed
    (True, False, 2),   # crossing adds paths, not independent routes: still two
    (False, True, 1),   # both separators hang on m1: losing it cuts everything
])
def test_routes_count_what_must_fail_together(crossed: bool, shared: bool,
                                              routes: int) -> None:
    table = find_concentration(_two_mines(crossed=crossed, shared=shared))
    assert _row(table, "separation", "oxide")["non_cn_routes"] == routes


def test_capacities_on_different_bases_are_not_added(andor: nx.MultiDiGraph) -> None:
    """State sep-au's capacity in t REO/yr: the separation row keeps the basis with the most
    capacity (t/yr: 400 + 100 + 8 = 508) and counts sep-au apart: CN 500/508 = 98.43 %."""
    H = copy.deepcopy(andor)
    H.nodes["sep-au"]["capacity_unit"] = "t REO/yr"
    row = _row(find_concentration(H, stage="separation"), "separation", "*")
    assert (row["with_capacity"], row["other_basis"], row["basis"], row["cn_share"]) == \
        (3, 1, "t/yr", 0.9843)


def test_planned_capacity_changes_shares_from_its_date() -> None:
    """choke_time: tb-oxide is made only by ref-cn (500 t) until ref-us (2 t) opens on
    2028-01-01: 100 % and no route, then 500/502 = 99.60 % and one route."""
    G = load_dataset(DATA / "choke_time")
    before = _row(find_concentration(G, as_of="2027-06-01"), "separation", "tb-oxide")
    after = _row(find_concentration(G, as_of="2028-06-01"), "separation", "tb-oxide")
    assert (before["cn_share"], before["non_cn_routes"]) == (1.0, 0)
    assert (after["cn_share"], after["non_cn_routes"]) == (0.996, 1)


def test_stage_filter_and_unknown_stage(andor: nx.MultiDiGraph) -> None:
    assert set(find_concentration(andor, stage="magnet")["stage"]) == {"magnet"}
    assert list(find_concentration(andor, product="ore", routes=False)["non_cn_routes"]) == \
        [None]
    with pytest.raises(QueryError, match="unknown stage"):
        find_concentration(andor, stage="smelting")
