"""Native Cypher exposure and where-used on the real server: hand-drawn answers and parity.

Parity compares the native answers, field by field, with the in-memory queries
(``oretrace.queries.exposure``), an independent implementation, on the bundled data and on a
generated graph of more than 10,000 nodes; a hand-drawn graph with injection-string ids
checks both against answers worked on paper.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from oretrace.graphmodel import (
    BackendError,
    LoadError,
    QueryError,
    Records,
    UnknownNodeError,
    build_graph,
    restrict,
)
from oretrace.graphmodel.backends.neo4j import DEFAULT_DATASET, Neo4jConfig, connect, push, run_read
from oretrace.graphmodel.schema import (
    BomLine,
    Company,
    Facility,
    Ownership,
    Product,
    Source,
    Supply,
    Technology,
)
from oretrace.loaders import load_dataset
from oretrace.queries._dispatch import Neo4jGraph
from oretrace.queries._native_predicates import where
from oretrace.queries.exposure import find_exposed, find_where_used
from oretrace.queries.native import find_matching_native
from oretrace.queries.predicates import (
    CN_PROCESSING,
    PREDICATES,
    Predicate,
    located_in,
    owned_by,
    predicate,
    uses_technology_from,
)
from typer.testing import CliRunner

from oretrace.cli import main, make_app

pytestmark = pytest.mark.neo4j

DATES = ["2022-08-19", "2025-12-15", "2029-01-01"]
LEVELS = [None, "documented", "reported", "estimated", "illustrative"]


@pytest.fixture(scope="module")
def config(neo4j_server: Any) -> Neo4jConfig:
    return Neo4jConfig(uri=neo4j_server.uri, user=neo4j_server.user,
                       password=neo4j_server.password)


@pytest.fixture(scope="module")
def driver(config: Neo4jConfig) -> Iterator[Any]:
    with connect(config) as d:
        yield d


def dump(results: list[Any]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in results]


# --------------------------------------------------------------------------- hand-drawn

# Ids carry quotes, backticks, braces, parameters and a Cypher tail: stored and returned as data.
MINE_CN = "m'1"
MINE_AU = 'm"2'
SEP_CN = "sep}) DETACH DELETE n //"
SEP_US = "sep`us"
SEP_MY = "sep $my {{x}}"
MAG = "x'}) MATCH (m) DETACH DELETE m //"
ALT_MAKER = "alt\\maker"
ASM = "asm ünï 稀土"
OXIDE = "ox'}) DETACH DELETE n //"
PLATFORM = 'P"1`'


@pytest.fixture(scope="module")
def hand() -> nx.MultiDiGraph:
    """A hand-drawn chain, every link dated or weighted to test one rule.

    ``m'1`` (CN mine, operated by a Chinese company) → ``sep}) …`` (CN separation, runs
    Chinese solvent extraction) → magnet plant ``x'}) …`` (JP, operated by jp-co, 60 %
    owned by cn-parent from 2025-01-01, a *reported* link) → assembly → platform ``P"1```.
    The CN separator's supply to the magnet plant ends 2026-01-01; from that day ``sep $my``
    (MY, online 2026-01-01) fed by ``m"2`` (AU) takes over. ``sep`us`` is planned with no
    date (never present). ``alt\\maker`` (CN alloy) ships a *substitute* input, never needed.
    The magnet's oxide line is *estimated*; the magnet→assembly supply is *reported*.
    """
    src = Source(id="s", title="hand")

    def fac(fid: str, country: str, stage: str, products: list[str], **kw: Any) -> Facility:
        return Facility(id=fid, name=fid, country=country, stage=stage, products=products,
                        sources=["s"], confidence="documented", **kw)

    def sup(u: str, v: str, product: str, **kw: Any) -> Supply:
        kw.setdefault("confidence", "documented")
        return Supply(supplier=u, buyer=v, product=product, share=1.0, sources=["s"], **kw)

    def prod(pid: str, category: str) -> Product:
        return Product(id=pid, name=f"name of {pid}", category=category, unit="kg",
                       sources=["s"], confidence="documented")

    records = Records(
        sources=[src],
        companies=[Company(id=c, name=c, country=k, sources=["s"], confidence="documented")
                   for c, k in [("cn-mining-co", "CN"), ("cn-parent", "CN"), ("jp-co", "JP")]],
        ownership=[Ownership(owner="cn-parent", owned="jp-co", share=0.6,
                             start=dt.date(2025, 1, 1), sources=["s"], confidence="reported")],
        technologies=[Technology(id="cn-sx", name="SX", stage="separation", origin_country="CN",
                                 sources=["s"], confidence="documented")],
        products=[prod("ore", "ore"), prod(OXIDE, "oxide"), prod("alt", "alloy"),
                  prod("mag", "magnet"), prod(PLATFORM, "platform")],
        bom=[BomLine(product=OXIDE, input="ore", qty=1.0, sources=["s"],
                     confidence="documented"),
             BomLine(product="mag", input=OXIDE, qty=0.3, sources=["s"],
                     confidence="estimated"),
             BomLine(product="mag", input="alt", qty=0.3, substitute_for=OXIDE,
                     sources=["s"], confidence="documented"),
             BomLine(product=PLATFORM, input="mag", qty=2.0, sources=["s"],
                     confidence="documented")],
        facilities=[
            fac(MINE_CN, "CN", "mine", ["ore"], company="cn-mining-co"),
            fac(MINE_AU, "AU", "mine", ["ore"]),
            fac(SEP_CN, "CN", "separation", [OXIDE], technologies=["cn-sx"]),
            fac(SEP_US, "US", "separation", [OXIDE], status="planned"),
            fac(SEP_MY, "MY", "separation", [OXIDE], online_from=dt.date(2026, 1, 1)),
            fac(MAG, "JP", "magnet", ["mag"], company="jp-co"),
            fac(ALT_MAKER, "CN", "alloy", ["alt"]),
            fac(ASM, "US", "assembly", [PLATFORM]),
        ],
        supplies=[
            sup(MINE_CN, SEP_CN, "ore"), sup(MINE_AU, SEP_MY, "ore"),
            sup(SEP_CN, MAG, OXIDE, end=dt.date(2026, 1, 1)),
            sup(SEP_MY, MAG, OXIDE, start=dt.date(2026, 1, 1)),
            sup(SEP_US, MAG, OXIDE), sup(ALT_MAKER, MAG, "alt"),
            sup(MAG, ASM, "mag", confidence="reported"),
        ])
    return build_graph(records)


@pytest.fixture(scope="module")
def hand_pushed(driver: Any, hand: nx.MultiDiGraph) -> str:
    push(driver, hand, dataset="native-hand")
    return "native-hand"


@pytest.mark.parametrize(("predicate", "as_of", "level", "through", "paths"), [
    # 2025-06-01: P ← asm ← magnet plant ← CN separator ← CN mine (MY not online, US
    # planned, the substitute alt never needed).
    ("cn-processing", "2025-06-01", None, [SEP_CN], [[MINE_CN, SEP_CN, MAG, ASM, PLATFORM]]),
    ("cn-technology", "2025-06-01", None, [SEP_CN], [[MINE_CN, SEP_CN, MAG, ASM, PLATFORM]]),
    # The mine's operator is Chinese; jp-co is 60 % Chinese-held from 2025-01-01. Witness
    # paths come strongest first: on reported links alone the oxide line (estimated) is
    # gone, supply begins at the magnet plant, and [magnet, asm, P] already meets it; the
    # whole chain (estimated) follows.
    ("cn-owned", "2025-06-01", None, sorted([MINE_CN, MAG]),
     [[MAG, ASM, PLATFORM], [MINE_CN, SEP_CN, MAG, ASM, PLATFORM]]),
    # Before the stake: only the mine, which no reported-only path reaches.
    ("cn-owned", "2024-06-01", None, [MINE_CN], [[MINE_CN, SEP_CN, MAG, ASM, PLATFORM]]),
    ("cn-mining", "2025-06-01", None, [MINE_CN], [[MINE_CN, SEP_CN, MAG, ASM, PLATFORM]]),
    # 2026-06-01: the CN link has ended; the chain runs through MY and AU.
    ("cn-owned", "2026-06-01", None, [MAG],
     [[MAG, ASM, PLATFORM], [MINE_AU, SEP_MY, MAG, ASM, PLATFORM]]),
    # On reported links the magnet's (estimated) oxide line is gone: supply starts at the
    # magnet plant, and the reported ownership link still holds.
    ("cn-owned", "2025-06-01", "reported", [MAG], [[MAG, ASM, PLATFORM]]),
])
def test_hand_drawn_exposure(driver: Any, hand: nx.MultiDiGraph, hand_pushed: str,
                             predicate: str, as_of: str, level: str | None,
                             through: list[str], paths: list[list[str]]) -> None:
    (native,) = find_exposed(Neo4jGraph(driver, hand_pushed), predicate, as_of=as_of,
                                    min_confidence=level)
    assert (native.platform, native.name) == (PLATFORM, f"name of {PLATFORM}")
    assert native.through == through
    assert native.paths == paths
    assert native == find_exposed(hand, predicate, as_of=as_of, min_confidence=level)[0]


@pytest.mark.parametrize(("predicate", "as_of", "level"), [
    ("cn-processing", "2026-06-01", None),   # the CN separator no longer supplies
    ("cn-processing", "2025-06-01", "reported"),  # its need rests on an estimated line
    ("cn-owned", "2025-06-01", "documented"),  # the ownership link is only reported
])
def test_hand_drawn_not_exposed(driver: Any, hand: nx.MultiDiGraph, hand_pushed: str,
                                predicate: str, as_of: str, level: str | None) -> None:
    """Above a floor the chain also breaks (at the magnet's estimated oxide line, or at the
    reported magnet supply): the platform is then said to have no chain at that level."""
    native = find_exposed(Neo4jGraph(driver, hand_pushed), predicate, as_of=as_of,
                                 min_confidence=level)
    assert native == find_exposed(hand, predicate, as_of=as_of, min_confidence=level)
    assert [(e.platform, e.status) for e in native] == \
        ([] if level is None else [(PLATFORM, "no_chain_at_level")])


def test_hand_drawn_confidence_is_the_weakest_hop(driver: Any, hand_pushed: str) -> None:
    """The path m'1 → sep → magnet → asm → P: ore hop documented; oxide hop capped by its
    estimated bill-of-materials line; magnet hop a reported supply: estimated overall."""
    (e,) = find_exposed(Neo4jGraph(driver, hand_pushed), "cn-processing",
                               as_of="2025-06-01")
    assert e.path_confidence == ["estimated"]
    assert e.confidence == "estimated"
    assert e.sources == ["s"]


@pytest.mark.parametrize(("node", "as_of", "via", "paths"), [
    # The technology: the CN separator runs it and feeds the magnet plant until 2026.
    ("cn-sx", "2025-06-01", [SEP_CN], [[SEP_CN, MAG, ASM, PLATFORM]]),
    # The company: cn-parent's group (jp-co at 60 %) operates the magnet plant.
    ("cn-parent", "2025-06-01", [MAG], [[MAG, ASM, PLATFORM]]),
    # The oxide: of its makers only the CN separator is present in mid-2025 ...
    (OXIDE, "2025-06-01", [SEP_CN], [[SEP_CN, MAG, ASM, PLATFORM]]),
    # ... and only the MY one in mid-2026.
    (OXIDE, "2026-06-01", [SEP_MY], [[SEP_MY, MAG, ASM, PLATFORM]]),
    (MINE_AU, "2026-06-01", [MINE_AU], [[MINE_AU, SEP_MY, MAG, ASM, PLATFORM]]),
])
def test_hand_drawn_where_used(driver: Any, hand: nx.MultiDiGraph, hand_pushed: str,
                               node: str, as_of: str, via: list[str],
                               paths: list[list[str]]) -> None:
    (native,) = find_where_used(Neo4jGraph(driver, hand_pushed), node, as_of=as_of)
    assert (native.node, native.platform, native.via, native.paths) == (node, PLATFORM, via,
                                                                        paths)
    assert native == find_where_used(hand, node, as_of=as_of)[0]


@pytest.mark.parametrize(("node", "as_of"), [
    ("cn-sx", "2026-06-01"),      # the CN separator's supply has ended
    (ALT_MAKER, "2025-06-01"),    # it ships only a substitute, never needed
    (SEP_US, "2025-06-01"),       # planned without a date: not there
])
def test_hand_drawn_nothing_depends(driver: Any, hand: nx.MultiDiGraph, hand_pushed: str,
                                    node: str, as_of: str) -> None:
    assert find_where_used(Neo4jGraph(driver, hand_pushed), node, as_of=as_of) == []
    assert find_where_used(hand, node, as_of=as_of) == []


@pytest.mark.parametrize(("predicate", "as_of", "level", "expected"), [
    ("cn-processing", "2025-06-01", None, {SEP_CN, ALT_MAKER}),
    ("cn-mining", "2025-06-01", None, {MINE_CN}),
    ("cn-technology", "2025-06-01", None, {SEP_CN}),
    ("cn-owned", "2025-06-01", None, {MINE_CN, MAG}),
    ("cn-owned", "2024-12-31", None, {MINE_CN}),
    ("cn-owned", "2025-06-01", "documented", {MINE_CN}),
    ("cn-processing|cn-owned", "2025-06-01", None, {SEP_CN, ALT_MAKER, MINE_CN, MAG}),
    ("cn-processing&cn-technology", "2025-06-01", None, {SEP_CN}),
    ("~cn-processing", "2026-06-01", None, {MINE_CN, MINE_AU, SEP_MY, MAG, ASM}),
])
def test_hand_drawn_matching(driver: Any, hand_pushed: str, predicate: str, as_of: str,
                             level: str | None, expected: set[str]) -> None:
    assert find_matching_native(driver, predicate, dataset=hand_pushed, as_of=as_of,
                                min_confidence=level) == expected


#: Every form of the one grammar (and its errors), read by both engines.
NAME_FORMS = ["cn-processing", "any", "cn-processing|cn-owned", "cn-processing & cn-technology",
              "~cn-processing", "~(cn-processing|cn-owned)", "~cn-processing|cn-owned",
              "(cn-owned|cn-mining)&~cn-technology", "~~cn-mining", "((cn-owned))",
              "cn-magic", "cn-owned|", "(cn-owned", "cn-owned)", "", "~", "cn-owned||any"]


@pytest.mark.parametrize("name", NAME_FORMS)
@pytest.mark.parametrize("as_of", ["2024-06-01", "2026-06-01"])
def test_both_engines_read_every_name_form_alike(driver: Any, hand: nx.MultiDiGraph,
                                                 hand_pushed: str, name: str,
                                                 as_of: str) -> None:
    """The same facilities, or the same error, from the networkx and the Cypher engine."""
    try:
        expected: set[str] | str = predicate(name).select(restrict(hand, as_of=as_of))
    except QueryError as exc:
        expected = str(exc)
    try:
        got: set[str] | str = find_matching_native(driver, name, dataset=hand_pushed,
                                                   as_of=as_of)
    except QueryError as exc:
        got = str(exc)
    assert got == expected


def test_built_predicates_run_natively(driver: Any, hand: nx.MultiDiGraph,
                                       hand_pushed: str) -> None:
    """Predicates built from the atoms are data, so they run natively too. By hand, in
    mid-2026: the Malaysian separator (online 2026-01-01); the US separator is planned with
    no date (never present); at a 10 % threshold the same operators as at 50 % (the stakes
    are whole or 60 %); no US technology; neither Chinese nor US: the AU mine, the MY
    separator, the JP magnet plant."""
    cases = {
        located_in("MY"): {SEP_MY},
        located_in("US", frozenset({"separation"})): set(),
        owned_by("CN", threshold=0.1): {MINE_CN, MAG},
        uses_technology_from("US"): set(),
        ~located_in("CN") & ~located_in("US"): {MINE_AU, SEP_MY, MAG},
    }
    for pred, expected in cases.items():
        assert find_matching_native(driver, pred, dataset=hand_pushed,
                                    as_of="2026-06-01") == expected, pred.name
        assert pred.select(restrict(hand, as_of="2026-06-01")) == expected, pred.name


def test_cypher_text_holds_no_values() -> None:
    """A predicate's values travel as parameters: a country with a quote and a stage are
    absent from the text of the query."""
    spec = (located_in("C'N", frozenset({"sep}) //"})) | uses_technology_from("XX")).spec
    assert spec is not None
    text, params = where(spec)
    assert "C'N" not in text and "sep}) //" not in text and "XX" not in text
    assert sorted(map(str, params.values())) == sorted(["C'N", "['sep}) //']", "XX"])


def test_injection_strings_come_back_as_data_and_delete_nothing(
        driver: Any, hand: nx.MultiDiGraph, hand_pushed: str) -> None:
    for node in [SEP_CN, MAG, OXIDE, "cn-sx", "cn-parent", MINE_AU, ALT_MAKER, SEP_US]:
        find_where_used(Neo4jGraph(driver, hand_pushed), node, as_of="2025-06-01")
    for name in PREDICATES:
        find_exposed(Neo4jGraph(driver, hand_pushed), name, as_of="2025-06-01")
    count = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) RETURN count(n) AS c",
                     d=hand_pushed)
    assert count[0]["c"] == hand.number_of_nodes()


def test_errors_match_the_in_memory_ones(driver: Any, hand: nx.MultiDiGraph,
                                         hand_pushed: str) -> None:
    with pytest.raises(UnknownNodeError) as native:
        find_where_used(Neo4jGraph(driver, hand_pushed), "cn-s")
    with pytest.raises(UnknownNodeError) as memory:
        find_where_used(hand, "cn-s")
    assert str(native.value) == str(memory.value)
    assert "cn-sx" in native.value.suggestions
    with pytest.raises(UnknownNodeError, match="no product with id 'mag2'; did you mean 'mag'"):
        find_exposed(Neo4jGraph(driver, hand_pushed), products=["mag2"])
    with pytest.raises(QueryError, match="is not a confidence level"):
        find_where_used(Neo4jGraph(driver, hand_pushed), "cn-sx", min_confidence="x")
    with pytest.raises(QueryError, match="custom test with no native form"):
        find_exposed(Neo4jGraph(driver, hand_pushed), Predicate("mine", lambda G: set()))
    with pytest.raises(LoadError, match="push one first"):
        find_exposed(Neo4jGraph(driver, "never-pushed"))


# --------------------------------------------------------------------------- bundled parity


@pytest.fixture(scope="module")
def bundled_pushed(driver: Any, bundled: nx.MultiDiGraph) -> str:
    push(driver, bundled, dataset="native-bundled")
    return "native-bundled"


@pytest.mark.parametrize("as_of", DATES)
@pytest.mark.parametrize("predicate", [*sorted(PREDICATES), "cn-owned|cn-mining",
                                       "cn-processing&cn-technology"])
def test_bundled_exposure_parity(driver: Any, bundled: nx.MultiDiGraph, bundled_pushed: str,
                                 predicate: str, as_of: str) -> None:
    """Every platform, every named predicate, every confidence floor, one and five paths."""
    found = 0
    for level in LEVELS:
        for k in (1, 5):
            memory = find_exposed(bundled, predicate, as_of=as_of, k=k, min_confidence=level)
            native = find_exposed(Neo4jGraph(driver, bundled_pushed), predicate,
                                         as_of=as_of, k=k, min_confidence=level)
            assert dump(native) == dump(memory), (level, k)
            found += len(memory)
    if predicate != "cn-mining" or as_of != DATES[0]:
        assert found > 0  # the comparison is not between two empty answers


def test_bundled_every_platform_one_by_one(driver: Any, bundled: nx.MultiDiGraph,
                                           bundled_pushed: str) -> None:
    platforms = [n for n, d in bundled.nodes(data=True) if d.get("category") == "platform"]
    assert len(platforms) == 8
    exposed = 0
    for platform in platforms:
        memory = find_exposed(bundled, "any", as_of="2025-12-15", products=[platform])
        assert find_exposed(Neo4jGraph(driver, bundled_pushed), "any",
                                   as_of="2025-12-15", products=[platform]) == memory
        exposed += len(memory)
    assert exposed > 0


@pytest.mark.parametrize(("as_of", "level"), [("2025-12-15", None), ("2022-08-19", "reported"),
                                              ("2029-01-01", "estimated")])
def test_bundled_where_used_parity(driver: Any, bundled: nx.MultiDiGraph, bundled_pushed: str,
                                   as_of: str, level: str | None) -> None:
    """Every facility, company, technology and product of the bundled data."""
    nodes = [n for n, kind in bundled.nodes(data="kind") if kind != "rule"]
    dependants = 0
    for node in nodes:
        memory = find_where_used(bundled, node, as_of=as_of, min_confidence=level)
        native = find_where_used(Neo4jGraph(driver, bundled_pushed), node, as_of=as_of,
                                        min_confidence=level)
        assert dump(native) == dump(memory), node
        dependants += len(memory)
    assert dependants > 0


@pytest.mark.parametrize("as_of", DATES)
def test_bundled_matching_parity(driver: Any, bundled: nx.MultiDiGraph, bundled_pushed: str,
                                 as_of: str) -> None:
    for name, pred in PREDICATES.items():
        for level in LEVELS:
            assert find_matching_native(driver, name, dataset=bundled_pushed, as_of=as_of,
                                        min_confidence=level) == \
                pred.select(restrict(bundled, as_of=as_of, min_confidence=level)), (name, level)
    assert find_matching_native(driver, CN_PROCESSING, dataset=bundled_pushed, as_of=as_of)


# --------------------------------------------------------------------------- a large graph


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    """A generated industrial base of 8,000 facilities: over 10,000 nodes."""
    from oretrace.loaders.synth import generate_network, write_network

    path = write_network(generate_network(8000, seed=5), tmp_path_factory.mktemp("large"))
    G = load_dataset(path)
    assert G.number_of_nodes() >= 10_000
    return G


@pytest.fixture(scope="module")
def large_pushed(driver: Any, large: nx.MultiDiGraph) -> str:
    push(driver, large, dataset="native-large")
    return "native-large"


@pytest.mark.parametrize(("predicate", "as_of", "level"), [
    *[(name, "2026-06-01", None) for name in ("any", "cn-owned", "cn-processing",
                                              "cn-technology")],
    ("any", "2030-01-01", None),
])
def test_large_exposure_parity(driver: Any, large: nx.MultiDiGraph, large_pushed: str,
                               predicate: str, as_of: str, level: str | None) -> None:
    memory = find_exposed(large, predicate, as_of=as_of, min_confidence=level)
    native = find_exposed(Neo4jGraph(driver, large_pushed), predicate, as_of=as_of,
                                 min_confidence=level)
    assert dump(native) == dump(memory)
    assert memory  # Chinese processing, ownership and technology run through the base


def test_large_where_used_parity(driver: Any, large: nx.MultiDiGraph,
                                 large_pushed: str) -> None:
    """Technologies and products with many facilities (level-by-level search), a Chinese
    parent company, and single facilities (one quantified-path query)."""
    facilities = {d["stage"]: n for n, d in sorted(large.nodes(data=True))
                  if d.get("kind") == "facility" and d.get("country") == "CN"}
    parents = sorted({u for u, _, d in large.edges(data=True)
                      if d.get("kind") == "owns" and d.get("share", 0) >= 0.5})
    nodes = ["tech-cn-sx", "dy-oxide", parents[0], facilities["separation"]]
    dependants = 0
    for node in nodes:
        memory = find_where_used(large, node, as_of="2026-06-01")
        native = find_where_used(Neo4jGraph(driver, large_pushed), node, as_of="2026-06-01")
        assert dump(native) == dump(memory), node
        dependants += len(memory)
    assert dependants > 0


# --------------------------------------------------------------------------- small random graphs


@st.composite
def random_graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    """Random layered chains with dates, statuses, markets, substitutes and confidences."""
    levels = ["documented", "reported", "estimated", "illustrative"]
    stages = ["mine", "separation", "magnet", "assembly"]
    products = ["ore", "oxide", "magnet", "platform"]
    categories = ["ore", "oxide", "magnet", "platform"]
    early, late = dt.date(2024, 1, 1), dt.date(2026, 1, 1)
    windows = st.sampled_from([(None, None), (early, None), (None, late), (early, late)])
    conf = st.sampled_from(levels)
    facilities: list[Facility] = []
    for tier, (stage, product) in enumerate(zip(stages, products, strict=True)):
        for i in range(draw(st.integers(1, 3))):
            market = tier in (1, 2) and i == 0 and draw(st.booleans())
            facilities.append(Facility(
                id=f"{product}'{i}", name="f", country=draw(st.sampled_from(["CN", "US"])),
                stage="market" if market else stage, products=[product],
                company=draw(st.sampled_from([None, "cn-co", "us-co", "held"])),
                status=draw(st.sampled_from(["operating", "planned", "closed", "suspended"])),
                **dict(zip(("online_from", "online_until"), draw(windows), strict=True)),
                technologies=["cn-sx"] if draw(st.booleans()) else [],
                sources=["s"], confidence=draw(conf)))
    supplies = []
    by_product = {p: [f for f in facilities if tuple(f.products) == (p,)] for p in products}
    for upstream, downstream in zip(products, products[1:], strict=False):
        for buyer in by_product[downstream]:
            for supplier in by_product[upstream]:
                if draw(st.booleans()):
                    start, end = draw(windows)
                    supplies.append(Supply(supplier=supplier.id, buyer=buyer.id,
                                           product=upstream, share=0.5, start=start, end=end,
                                           sources=["s"], confidence=draw(conf)))
    records = Records(
        sources=[Source(id="s", title="t")],
        companies=[Company(id="cn-co", name="c", country="CN", sources=["s"],
                           confidence="documented"),
                   Company(id="us-co", name="u", country="US", sources=["s"],
                           confidence="documented"),
                   Company(id="held", name="h", country="US", sources=["s"],
                           confidence="documented")],
        ownership=[Ownership(owner="cn-co", owned="held", share=0.5, start=draw(windows)[0],
                             sources=["s"], confidence=draw(conf))],
        technologies=[Technology(id="cn-sx", name="sx", stage="separation",
                                 origin_country="CN", sources=["s"], confidence="documented")],
        products=[Product(id=p, name=p, category=c, unit="kg", sources=["s"],
                          confidence="documented") for p, c in zip(products, categories,
                                                                   strict=True)],
        bom=[BomLine(product=p, input=q, qty=1.0, sources=["s"], confidence=draw(conf))
             for q, p in zip(products, products[1:], strict=False)],
        facilities=facilities, supplies=supplies)
    return build_graph(records)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(G=random_graphs(), as_of=st.sampled_from(["2023-06-01", "2025-06-01", "2027-06-01"]),
       level=st.sampled_from([None, "reported", "estimated"]))
def test_random_graphs_parity(driver: Any, G: nx.MultiDiGraph, as_of: str,
                              level: str | None) -> None:
    push(driver, G, dataset="native-random")
    for name in ("any", "cn-owned"):
        assert dump(find_exposed(Neo4jGraph(driver, "native-random"), name, as_of=as_of,
                                        min_confidence=level)) == \
            dump(find_exposed(G, name, as_of=as_of, min_confidence=level))
    for node in ("oxide", "cn-co", "cn-sx", "ore'0"):
        assert dump(find_where_used(Neo4jGraph(driver, "native-random"), node, as_of=as_of,
                                           min_confidence=level)) == \
            dump(find_where_used(G, node, as_of=as_of, min_confidence=level))


# --------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def cli_env(neo4j_server: Any, driver: Any, bundled: nx.MultiDiGraph) -> dict[str, str]:
    """The server in ``NEO4J_*`` variables, the bundled data pushed by ``oretrace neo4j push``."""
    env = {"NEO4J_URI": neo4j_server.uri, "NEO4J_USERNAME": neo4j_server.user,
           "NEO4J_PASSWORD": neo4j_server.password}
    result = CliRunner().invoke(make_app(), ["-f", "json", "neo4j", "push"], env=env)
    assert result.exit_code == 0, result.output
    assert run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) RETURN count(n) AS c",
                    d=DEFAULT_DATASET)[0]["c"] == bundled.number_of_nodes()
    return env


@pytest.mark.parametrize("args", [
    ["exposed", "--as-of", "2025-12-15"],
    ["exposed", "--through", "cn-owned", "--as-of", "2029-01-01", "-k", "5"],
    # the option reaches both engines (the bundled chain of 2022 holds only at illustrative:
    # the F-35's magnet quantity is a placeholder range; stricter floors are compared above)
    ["exposed", "--through", "cn-technology", "--as-of", "2022-08-19",
     "--min-confidence", "illustrative"],
    ["where-used", "cn-solvent-extraction", "--as-of", "2025-12-15"],
    ["where-used", "lynas", "--as-of", "2026-06-01"],
    ["where-used", "tb-oxide", "--as-of", "2025-12-15", "-k", "2"],
])
def test_cli_backend_neo4j_prints_the_same_json(cli_env: dict[str, str],
                                                args: list[str]) -> None:
    app = make_app()
    default = CliRunner().invoke(app, ["-f", "json", *args], env=cli_env)
    native = CliRunner().invoke(app, ["--backend", "neo4j", "-f", "json", *args], env=cli_env)
    assert default.exit_code == native.exit_code == 0, native.output
    assert native.output == default.output
    assert json.loads(native.output)  # something was found, not two empty lists


def test_cli_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--backend", "neo4j", "--neo4j-uri", "bolt://127.0.0.1:9", "exposed"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot reach Neo4j at bolt://127.0.0.1:9")
    assert "\n" not in err


def test_a_dataset_pushed_before_the_native_layout_asks_for_a_new_push(
        driver: Any, hand: nx.MultiDiGraph) -> None:
    """Supplies pushed without ``_need``/``_in`` cannot be read natively: say so, once."""
    push(driver, hand, dataset="native-old")
    driver.execute_query("MATCH (d:OretraceDataset {name: $d}) REMOVE d.layout",
                         parameters_={"d": "native-old"})
    with pytest.raises(BackendError, match="pushed by an older oretrace: push it again"):
        find_exposed(Neo4jGraph(driver, "native-old"))
