"""Predicates: the 50 % affiliate reading of ownership, processing stages, technology origin."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st
from oretrace.graphmodel import QueryError, Records, build_graph, restrict
from oretrace.graphmodel.schema import Company, Facility, Ownership, Product, Source, Technology
from oretrace.queries import predicates as P
from oretrace.queries.predicates import (
    ANY_CN,
    CN_MINING,
    CN_OWNED,
    CN_PROCESSING,
    CN_TECHNOLOGY,
    Predicate,
    controlled_companies,
    predicate,
    select_facilities,
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


# --------------------------------------------------------------------------- one grammar

PROC = CN_PROCESSING.spec
OWNED = CN_OWNED.spec
TECH = CN_TECHNOLOGY.spec
MINING = CN_MINING.spec


@pytest.mark.parametrize(("name", "spec", "canonical"), [
    # written out by hand from the grammar: | looser than &, ~ tightest, () groups
    ("cn-owned", P.OwnedBy("CN", 0.5), "cn-owned"),
    ("cn-processing|cn-owned", P.AnyOf((PROC, OWNED)), "cn-processing|cn-owned"),
    ("cn-processing | cn-owned", P.AnyOf((PROC, OWNED)), "cn-processing|cn-owned"),
    ("cn-processing&cn-owned|cn-mining", P.AnyOf((P.AllOf((PROC, OWNED)), MINING)),
     "cn-processing&cn-owned|cn-mining"),
    ("cn-mining|cn-processing&cn-owned", P.AnyOf((MINING, P.AllOf((PROC, OWNED)))),
     "cn-mining|cn-processing&cn-owned"),
    ("(cn-processing|cn-owned)&cn-mining", P.AllOf((P.AnyOf((PROC, OWNED)), MINING)),
     "(cn-processing|cn-owned)&cn-mining"),
    ("~cn-technology", P.Not(TECH), "~cn-technology"),
    ("~cn-technology&cn-owned", P.AllOf((P.Not(TECH), OWNED)), "~cn-technology&cn-owned"),
    ("~(cn-technology&cn-owned)", P.Not(P.AllOf((TECH, OWNED))), "~(cn-technology&cn-owned)"),
    ("~~cn-owned", P.Not(P.Not(OWNED)), "~~cn-owned"),
    ("((cn-owned))", OWNED, "cn-owned"),
    ("cn-owned|cn-mining|cn-technology", P.AnyOf((OWNED, MINING, TECH)),
     "cn-owned|cn-mining|cn-technology"),
])
def test_a_name_reads_as_one_spec_and_is_written_back_alike(name: str, spec: P.Spec,
                                                           canonical: str) -> None:
    p = predicate(name)
    assert p.spec == spec
    assert p.name == canonical
    assert predicate(p.name) == p


def test_registered_predicates_are_data() -> None:
    """The registered predicates carry specs of the three atoms (the Cypher engine reads
    these very objects), with the stages DESIGN §3 names."""
    assert P.Located("CN", frozenset({"separation", "metal", "alloy", "magnet",
                                            "recycling"})) == PROC
    assert P.Located("CN", frozenset({"mine", "concentration"})) == MINING
    assert P.UsesTechnologyFrom("CN") == TECH
    assert ANY_CN.spec == P.AnyOf((PROC, OWNED, TECH))
    assert predicate("any") is ANY_CN


def test_composed_objects_name_what_they_compute() -> None:
    """``(a|b)&c`` built with operators is named so that reading the name back gives the same
    predicate (once written ``a|b&c``, which reads as ``a|(b&c)``)."""
    assert ((CN_PROCESSING | CN_OWNED) & CN_TECHNOLOGY).name == \
        "(cn-processing|cn-owned)&cn-technology"
    assert (~(CN_PROCESSING | CN_OWNED)).name == "~(cn-processing|cn-owned)"
    assert (CN_PROCESSING & (CN_OWNED & CN_TECHNOLOGY)).name == \
        "cn-processing&cn-owned&cn-technology"
    for p in [(CN_PROCESSING | CN_OWNED) & CN_TECHNOLOGY, ~(CN_PROCESSING | CN_OWNED),
              ~CN_MINING & (ANY_CN | CN_MINING)]:
        assert predicate(p.name) == p


@pytest.mark.parametrize(("name", "message"), [
    ("cn-magic", "unknown predicate 'cn-magic'"),
    ("cn-owned|cn-magic", "unknown predicate 'cn-magic'"),
    ("", "expected a predicate name at the end"),
    ("cn-owned|", "expected a predicate name at the end"),
    ("cn-owned||cn-mining", "expected a predicate name at '|'"),
    ("~", "expected a predicate name at the end"),
    ("(cn-owned", r"expected '\)' at the end"),
    ("cn-owned)", r"expected an operator \| or & at '\)'"),
    ("()", r"expected a predicate name at '\)'"),
    ("cn-owned cn-mining", "unknown predicate 'cn-owned cn-mining'"),
])
def test_names_that_do_not_parse_say_where(name: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        predicate(name)


def test_a_predicate_is_a_spec_or_a_function_not_both() -> None:
    with pytest.raises(QueryError, match="either a test function or a spec"):
        Predicate("x")
    with pytest.raises(QueryError, match="either a test function or a spec"):
        Predicate("x", lambda G: set(), spec=OWNED)


def test_spec_and_custom_tests_evaluate_alike() -> None:
    """Four facilities, drawn:

        cn-sep   CN separation, operated by c (CN), runs cn-sx (CN origin)
        cn-mine  CN mine, operated by c (CN)
        us-sep   US separation, operated by u (US), runs cn-sx
        jp-mag   JP magnet, no operator

    By hand: processing {cn-sep}; owned {cn-sep, cn-mine}; technology {cn-sep, us-sep};
    ~(processing|owned) = {us-sep, jp-mag}; ~processing|owned = {cn-mine, us-sep, jp-mag,
    cn-sep}; (processing|owned)&technology = {cn-sep}; processing|owned&technology = {cn-sep}.
    A custom predicate composed with a spec one falls back to functions, with the same sets.
    """
    G = network({"c": "CN", "u": "US"}, [],
                [("cn-sep", "c", "CN", "separation"), ("cn-mine", "c", "CN", "mine"),
                 ("us-sep", "u", "US", "separation"), ("jp-mag", None, "JP", "magnet")],
                technologies={"cn-sx": "CN"}, uses={"cn-sep": ["cn-sx"], "us-sep": ["cn-sx"]})
    expected = {
        "~(cn-processing|cn-owned)": {"us-sep", "jp-mag"},
        "~cn-processing|cn-owned": {"cn-mine", "us-sep", "jp-mag", "cn-sep"},
        "(cn-processing|cn-owned)&cn-technology": {"cn-sep"},
        "cn-processing|cn-owned&cn-technology": {"cn-sep"},
        "~cn-technology&~cn-mining": {"jp-mag"},
    }
    for name, facilities in expected.items():
        assert predicate(name).select(G) == facilities, name
    custom = Predicate("mag", lambda G: {"jp-mag"})
    assert (custom | CN_PROCESSING).spec is None
    assert (custom | CN_PROCESSING).select(G) == {"jp-mag", "cn-sep"}
    assert (~custom & CN_OWNED).select(G) == {"cn-sep", "cn-mine"}
    assert select_facilities(P.Located("US", frozenset({"separation"})), G) == {"us-sep"}
