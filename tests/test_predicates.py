"""Predicates: the 50 % affiliate reading of ownership, processing stages, technology origin."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oretrace.graphmodel import QueryError, Records, build_graph, restrict
from oretrace.graphmodel.schema import Company, Facility, Ownership, Product, Source, Technology
from oretrace.queries.predicates import (
    ANY_CN,
    CN_MINING,
    CN_OWNED,
    CN_PROCESSING,
    CN_TECHNOLOGY,
    controlled_companies,
    predicate,
)

CITE = {"sources": ["hand"], "confidence": "documented"}


def network(companies: dict[str, str], owns: list[tuple[str, str, float]],
            facilities: list[tuple[str, str | None, str, str]] = (),  # type: ignore[assignment]
            technologies: dict[str, str] | None = None,
            uses: dict[str, list[str]] | None = None,
            ownership_end: dt.date | None = None) -> nx.MultiDiGraph:
    """Companies ``{id: country}``, ``owns`` (owner, owned, share), facilities
    (id, operator, country, stage), technologies ``{id: origin}``, ``uses`` {facility: [tech]}."""
    uses = uses or {}
    return build_graph(Records(
        sources=[Source(id="hand", title="Hand-drawn")],
        companies=[Company(id=c, name=c, country=k, **CITE) for c, k in companies.items()],
        ownership=[Ownership(owner=a, owned=b, share=s, end=ownership_end, **CITE)
                   for a, b, s in owns],
        technologies=[Technology(id=t, name=t, stage="separation", origin_country=o, **CITE)
                      for t, o in (technologies or {}).items()],
        products=[Product(id="ore", name="ore", category="ore", unit="kg", **CITE)],
        facilities=[Facility(id=f, name=f, company=op, country=c, stage=s, products=["ore"],
                             technologies=uses.get(f, []), **CITE)
                    for f, op, c, s in facilities]))


def test_half_of_a_half_chinese_company_is_chinese_not_a_quarter() -> None:
    """cn (CN) holds 50 % of a (SG); a holds 50 % of b (US).

    Working: a is CN-held at 0.50 ≥ 0.50, so a counts as a Chinese entity *whole*; b is then
    held 0.50 by a Chinese entity: Chinese. The pro-rata reading (0.5 × 0.5 = 25 %) would
    say no; the affiliate rules (MOFCOM No. 61 §II, the US 50 % rule) say yes.
    """
    G = network({"cn": "CN", "a": "SG", "b": "US"}, [("cn", "a", 0.5), ("a", "b", 0.5)],
                [("plant", "b", "US", "magnet")])
    assert controlled_companies(G, "CN") == {"cn", "a", "b"}
    assert CN_OWNED.select(G) == {"plant"}


def test_two_chinese_minority_holders_add_up() -> None:
    """x (CN) holds 30 %, y (CN) holds 25 % of t (JP): 0.30 + 0.25 = 0.55 ≥ 0.50, Chinese."""
    G = network({"x": "CN", "y": "CN", "t": "JP"}, [("x", "t", 0.30), ("y", "t", 0.25)],
                [("plant", "t", "JP", "separation")])
    assert CN_OWNED.select(G) == {"plant"}


def test_a_single_45_percent_holding_is_not_control() -> None:
    """x (CN) holds 45 % of t (JP), a US fund the other 55 %: 0.45 < 0.50, not Chinese."""
    G = network({"x": "CN", "f": "US", "t": "JP"}, [("x", "t", 0.45), ("f", "t", 0.55)],
                [("plant", "t", "JP", "separation")])
    assert CN_OWNED.select(G) == set()
    assert "t" not in controlled_companies(G, "CN")


def test_a_controlled_holder_counts_with_its_whole_stake_when_adding_up() -> None:
    """cn (CN) holds 60 % of h (SG); h holds 30 % and cn 25 % of t (US).

    Working: h is Chinese (0.60); t is held 0.30 (h, whole) + 0.25 (cn) = 0.55: Chinese.
    Pro rata it would be 0.6 × 0.3 + 0.25 = 0.43: not.
    """
    G = network({"cn": "CN", "h": "SG", "t": "US"},
                [("cn", "h", 0.6), ("h", "t", 0.3), ("cn", "t", 0.25)],
                [("plant", "t", "US", "metal")])
    assert CN_OWNED.select(G) == {"plant"}


def test_ownership_that_ended_before_the_date_does_not_count() -> None:
    """x (CN) held 60 % of t until 2024-01-01: Chinese in 2023, not in 2025."""
    G = network({"x": "CN", "t": "US"}, [("x", "t", 0.6)], [("plant", "t", "US", "magnet")],
                ownership_end=dt.date(2024, 1, 1))
    assert CN_OWNED.select(restrict(G, as_of="2023-06-01")) == {"plant"}
    assert CN_OWNED.select(restrict(G, as_of="2025-06-01")) == set()


def test_processing_counts_processing_stages_only_mines_and_markets_by_their_own() -> None:
    """Four Chinese facilities: a mine, a market, a separator, a magnet plant.

    cn-processing takes separation … magnet (and recycling): the separator and the magnet
    plant; the mine is cn-mining; the market is neither.
    """
    G = network({"c": "CN"}, [], [("mine", "c", "CN", "mine"), ("pool", None, "CN", "market"),
                                  ("sep", "c", "CN", "separation"),
                                  ("mag", None, "CN", "magnet"),
                                  ("us-sep", None, "US", "separation")])
    assert CN_PROCESSING.select(G) == {"sep", "mag"}
    assert CN_MINING.select(G) == {"mine"}
    assert CN_OWNED.select(G) == {"mine", "sep"}


def test_technology_origin_and_composition() -> None:
    """us-sep (US, US-owned) runs a Chinese solvent-extraction process; jp-sep a Japanese one."""
    G = network({"u": "US", "c": "CN"}, [],
                [("us-sep", "u", "US", "separation"), ("jp-sep", None, "JP", "separation"),
                 ("cn-sep", "c", "CN", "separation")],
                technologies={"cn-sx": "CN", "jp-sx": "JP"},
                uses={"us-sep": ["cn-sx"], "jp-sep": ["jp-sx"]})
    assert CN_TECHNOLOGY.select(G) == {"us-sep"}
    assert ANY_CN.select(G) == {"us-sep", "cn-sep"}
    assert predicate("cn-technology|cn-processing").select(G) == {"us-sep", "cn-sep"}
    assert predicate("cn-technology&cn-processing").select(G) == set()
    assert (~CN_TECHNOLOGY).select(G) == {"jp-sep", "cn-sep"}
    with pytest.raises(QueryError, match="unknown predicate 'cn-magic'"):
        predicate("cn-magic")


shares = st.floats(min_value=0.01, max_value=1.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), shares), max_size=14),
       st.integers(0, 5), st.integers(0, 5), st.floats(0.0, 0.5))
def test_control_is_order_free_and_monotone_in_stakes(
        edges: list[tuple[int, int, float]], bump_a: int, bump_b: int, extra: float) -> None:
    """Properties of a least fixed point: the order owns edges are read in does not matter,
    and raising a stake never makes a Chinese company stop being Chinese."""
    companies = {"cn": "CN"} | {f"c{i}": "US" for i in range(6)}
    owns: dict[tuple[str, str], float] = {}
    for a, b, s in edges:
        if a != b:
            owns[(f"c{a}" if a else "cn", f"c{b}")] = s

    def graph(items: list[tuple[tuple[str, str], float]]) -> nx.MultiDiGraph:
        G = nx.MultiDiGraph()
        for c, k in companies.items():
            G.add_node(c, kind="company", country=k)
        for (a, b), s in items:
            G.add_edge(a, b, key="owns", kind="owns", share=s)
        return G

    forward = controlled_companies(graph(list(owns.items())), "CN")
    assert forward == controlled_companies(graph(list(reversed(owns.items()))), "CN")
    key = (f"c{bump_a}" if bump_a else "cn", f"c{bump_b}")
    if key[0] != key[1]:
        raised = dict(owns)
        raised[key] = min(1.0, raised.get(key, 0.0) + extra)
        assert forward <= controlled_companies(graph(list(raised.items())), "CN")
