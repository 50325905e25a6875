"""Exposure, where-used and trace on small hand-drawn networks whose answers are known on paper."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from oretrace.graphmodel import QueryError, Records, UnknownNodeError, build_graph
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
from oretrace.queries._dispatch import Neo4jGraph, chosen_backend
from oretrace.queries.exposure import find_exposed, find_where_used, supply_graph, trace
from oretrace.queries.predicates import CN_TECHNOLOGY, located_in

CITE = {"sources": ["hand"], "confidence": "documented"}
#: Each hand-worked answer holds on the networkx reference and on the compiled form.
BACKENDS = ["networkx", "compiled"]


def P(id: str, category: str, elements: str = "", unit: str = "kg", **kw: Any) -> Product:
    return Product(id=id, name=id, category=category, elements=elements, unit=unit,
                   **(CITE | kw))


def B(product: str, input: str, qty: float, **kw: Any) -> BomLine:
    return BomLine(product=product, input=input, qty=qty, **(CITE | kw))


def F(id: str, country: str | None, stage: str, products: str, **kw: Any) -> Facility:
    return Facility(id=id, name=id, country=country, stage=stage, products=products,
                    **(CITE | kw))


def S(supplier: str, buyer: str, product: str, share: float = 1.0, **kw: Any) -> Supply:
    return Supply(supplier=supplier, buyer=buyer, product=product, share=share, **(CITE | kw))


def graph(*records: Any) -> nx.MultiDiGraph:
    tables: dict[str, list[Any]] = {}
    names = {Product: "products", BomLine: "bom", Facility: "facilities", Supply: "supplies",
             Company: "companies", Ownership: "ownership", Technology: "technologies"}
    for r in records:
        tables.setdefault(names[type(r)], []).append(r)
    return build_graph(Records(sources=[Source(id="hand", title="Hand-drawn")], **tables))


def chain_products() -> list[Any]:
    """ore → oxide → magnet → motor (each); jet needs 4 motors, ship 2 motors."""
    return [P("ore", "ore", "Nd=0.05"), P("oxide", "oxide", "Nd=0.857"),
            P("magnet", "magnet", "Nd=0.267"), P("motor", "component", unit="each"),
            P("jet", "platform", unit="each"), P("ship", "platform", unit="each"),
            B("oxide", "ore", 20), B("magnet", "oxide", 0.312), B("motor", "magnet", 2),
            B("jet", "motor", 4), B("ship", "motor", 2)]


@pytest.fixture
def two_platforms() -> nx.MultiDiGraph:
    """Jet: cn-mine → cn-sep (CN) → jp-mag → us-motor → jet-asm.
    Ship: au-mine → my-sep → us-mag → us-motor2 → ship-asm; and a Chinese magnet plant
    ships magnets straight to ship-asm, which needs motors, not magnets.

    cn-sep → jp-mag ends on 2024-01-01; from then my-sep supplies jp-mag instead.
    """
    return graph(
        *chain_products(),
        F("cn-mine", "CN", "mine", "ore"), F("au-mine", "AU", "mine", "ore"),
        F("cn-sep", "CN", "separation", "oxide"), F("my-sep", "MY", "separation", "oxide"),
        F("jp-mag", "JP", "magnet", "magnet"), F("us-mag", "US", "magnet", "magnet"),
        F("cn-mag", "CN", "magnet", "magnet"),
        F("us-motor", "US", "component", "motor"), F("us-motor2", "US", "component", "motor"),
        F("jet-asm", "US", "assembly", "jet"), F("ship-asm", "US", "assembly", "ship"),
        S("cn-mine", "cn-sep", "ore"), S("au-mine", "my-sep", "ore"),
        S("cn-sep", "jp-mag", "oxide", end="2024-01-01"),
        S("my-sep", "jp-mag", "oxide", start="2024-01-01"),
        S("my-sep", "us-mag", "oxide"), S("au-mine", "cn-mag", "ore", 0.0),
        S("jp-mag", "us-motor", "magnet"), S("us-mag", "us-motor2", "magnet"),
        S("cn-mag", "ship-asm", "magnet"),
        S("us-motor", "jet-asm", "motor"), S("us-motor2", "ship-asm", "motor"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_exposed_through_chinese_processing_with_the_witness_path(
        two_platforms: nx.MultiDiGraph, backend: str) -> None:
    """As of 2023 the jet's oxide comes from cn-sep: exposed through it, path from the mine.

    The ship is not: its motor chain is AU → MY → US; the Chinese magnets shipped to
    ship-asm are not an input ship-asm needs (ship requires motors), so that link is not
    followed.
    """
    found = find_exposed(two_platforms, "cn-processing", as_of="2023-06-01", backend=backend)
    assert [(e.platform, e.through) for e in found] == [("jet", ["cn-sep"])]
    assert found[0].paths == [["cn-mine", "cn-sep", "jp-mag", "us-motor", "jet-asm", "jet"]]
    assert found[0].confidence == "documented"
    assert found[0].sources == ["hand"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_supply_link_outside_its_dates_is_absent(two_platforms: nx.MultiDiGraph,
                                                  backend: str) -> None:
    """cn-sep → jp-mag ends 2024-01-01 (exclusive): exposed on 2023-12-31, not on 2024-01-01."""
    assert [e.platform for e in find_exposed(two_platforms, "cn-processing",
                                             as_of="2023-12-31", backend=backend)] == ["jet"]
    assert find_exposed(two_platforms, "cn-processing", as_of="2024-01-01",
                        backend=backend) == []


def test_cn_owned_and_mining_read_the_same_paths(two_platforms: nx.MultiDiGraph) -> None:
    """cn-mine is a mine: cn-mining matches it, cn-processing does not (only cn-sep does)."""
    found = find_exposed(two_platforms, "cn-mining", as_of="2023-06-01", products=["jet"])
    assert found[0].through == ["cn-mine"]
    assert found[0].paths[0][0] == "cn-mine"


def confidence_network(weak: str = "illustrative") -> nx.MultiDiGraph:
    """Two routes from cn-sep to the platform's assembly:

    short: mine → cn-sep → a-mag → asm → P, with a-mag → asm ``weak`` (5 nodes);
    long:  mine → cn-sep → c-mag → jp-pool (market) → asm → P, all documented (6 nodes).
    """
    return graph(
        P("ore", "ore", "Nd=0.05"), P("oxide", "oxide", "Nd=0.857"),
        P("magnet", "magnet", "Nd=0.267"), P("P", "platform", unit="each"),
        B("oxide", "ore", 20), B("magnet", "oxide", 0.3), B("P", "magnet", 5),
        F("mine", "AU", "mine", "ore"), F("cn-sep", "CN", "separation", "oxide"),
        F("a-mag", "JP", "magnet", "magnet"), F("c-mag", "JP", "magnet", "magnet"),
        F("jp-pool", "JP", "market", "magnet"), F("asm", "US", "assembly", "P"),
        S("mine", "cn-sep", "ore"), S("cn-sep", "a-mag", "oxide"),
        S("cn-sep", "c-mag", "oxide"), S("c-mag", "jp-pool", "magnet"),
        S("a-mag", "asm", "magnet", 0.5, confidence=weak), S("jp-pool", "asm", "magnet", 0.5))


@pytest.mark.parametrize("backend", BACKENDS)
def test_paths_come_strongest_first_and_the_answer_takes_the_strongest(backend: str) -> None:
    """Fewest hops alone would put the short illustrative path first; the documented one
    must lead, and the exposure's confidence is documented (its strongest witness)."""
    (e,) = find_exposed(confidence_network(), "cn-processing", as_of="2026-01-01", k=2,
                        backend=backend)
    assert e.paths == [["mine", "cn-sep", "c-mag", "jp-pool", "asm", "P"],
                       ["mine", "cn-sep", "a-mag", "asm", "P"]]
    assert e.path_confidence == ["documented", "illustrative"]
    assert e.confidence == "documented"


def test_min_confidence_keeps_what_documented_links_support() -> None:
    """With only documented links, the long path alone remains; if the long route is cut
    (jp-pool gone) only the illustrative link carried the exposure, and it disappears."""
    (e,) = find_exposed(confidence_network(), "cn-processing", as_of="2026-01-01",
                        min_confidence="documented")
    assert e.paths == [["mine", "cn-sep", "c-mag", "jp-pool", "asm", "P"]]
    G = confidence_network()
    G.remove_edge("jp-pool", "asm")
    assert [x.confidence for x in find_exposed(G, "cn-processing", as_of="2026-01-01")] == \
        ["illustrative"]
    # at "reported" no chain is left (the magnet reaches asm only by the illustrative link):
    # the platform is listed as such, never silently dropped
    (x,) = find_exposed(G, "cn-processing", as_of="2026-01-01", min_confidence="reported")
    assert (x.platform, x.status) == ("P", "no_chain_at_level")
    assert [(g.facility, g.product) for g in x.gaps] == [("asm", "magnet")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_recycling_loop_is_followed_without_looping(backend: str) -> None:
    """us-mag makes magnets from alloy: half from cn-alloy, half from us-rec; us-rec
    recycles us-mag's scrap plus scrap from a scrap pool. A path through us-rec: the
    shortest begins at the pool (pool → us-rec → us-mag → asm → P, 5 nodes); going round
    the loop from cn-alloy (cn-alloy → us-mag → us-rec → us-mag → …) would take 6."""
    G = graph(
        P("alloy", "alloy", "Nd=0.3"), P("scrap", "scrap", "Nd=0.25"),
        P("magnet", "magnet", "Nd=0.28"), P("P", "platform", unit="each"),
        B("magnet", "alloy", 1.0), B("alloy", "scrap", 1.1), B("P", "magnet", 2),
        F("cn-alloy", "CN", "alloy", "alloy"), F("us-mag", "US", "magnet", "magnet;scrap"),
        F("us-rec", "US", "recycling", "alloy"), F("pool", None, "market", "scrap"),
        F("asm", "US", "assembly", "P"),
        S("cn-alloy", "us-mag", "alloy", 0.5), S("us-rec", "us-mag", "alloy", 0.5),
        S("us-mag", "us-rec", "scrap", 0.5), S("pool", "us-rec", "scrap", 0.5),
        S("us-mag", "asm", "magnet"))
    (e,) = find_exposed(G, located_in("US", frozenset({"recycling"})), as_of="2026-01-01",
                        backend=backend)
    assert e.paths[0] == ["pool", "us-rec", "us-mag", "asm", "P"]
    # From cn-alloy there is one simple path; the loop neither repeats it nor runs forever.
    (cn,) = find_exposed(G, "cn-processing", as_of="2026-01-01", k=3, backend=backend)
    assert cn.paths == [["cn-alloy", "us-mag", "asm", "P"]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_witness_paths_are_k_of_many_never_all(backend: str) -> None:
    """Six tiers of four pools each, every pool feeding all four of the next: 4**6 = 4096
    mine-to-platform paths. Asking for 5 gives 5 distinct paths of 8 nodes each."""
    records: list[Any] = [P("x", "oxide", "Nd=0.8"), P("P", "platform", unit="each"),
                          B("P", "x", 1), F("asm", "US", "assembly", "P")]
    tiers = [[f"t{t}n{i}" for i in range(4)] for t in range(6)]
    for i, node in enumerate(tiers[0]):
        records.append(F(node, "CN" if i == 0 else "AU", "mine", "x"))
    for tier in tiers[1:]:
        records += [F(node, "JP", "market", "x") for node in tier]
    for up, down in zip(tiers, tiers[1:], strict=False):
        records += [S(u, d, "x", 0.25) for u in up for d in down]
    records += [S(u, "asm", "x", 0.25) for u in tiers[-1]]
    (e,) = find_exposed(graph(*records), located_in("CN"), as_of="2026-01-01", k=5,
                        backend=backend)
    assert len(e.paths) == 5 and len({tuple(p) for p in e.paths}) == 5
    assert all(len(p) == 8 and p[0] == "t0n0" and p[-1] == "P" for p in e.paths)


@pytest.mark.parametrize("backend", BACKENDS)
def test_where_used_for_a_facility_company_technology_and_product(
        two_platforms: nx.MultiDiGraph, backend: str) -> None:
    """In 2025 (after the switch) my-sep feeds both platforms: jet via jp-mag, ship via
    us-mag. The oxide product is made by cn-sep (no longer feeding anyone) and my-sep."""
    G = two_platforms
    used = find_where_used(G, "my-sep", as_of="2025-01-01", backend=backend)
    assert {d.platform: d.paths[0] for d in used} == {
        "jet": ["my-sep", "jp-mag", "us-motor", "jet-asm", "jet"],
        "ship": ["my-sep", "us-mag", "us-motor2", "ship-asm", "ship"]}
    assert find_where_used(G, "cn-sep", as_of="2025-01-01", backend=backend) == []
    assert [(d.platform, d.via) for d in find_where_used(G, "oxide", as_of="2025-01-01",
                                                         backend=backend)] == \
        [("jet", ["my-sep"]), ("ship", ["my-sep"])]


def test_where_used_reads_companies_through_control_and_technologies_by_users() -> None:
    """parent (CN) owns 60 % of sub (US); sub operates sep-1, which runs cn-sx and feeds
    the platform; parent itself operates nothing."""
    G = graph(
        Company(id="parent", name="parent", country="CN", **CITE),
        Company(id="sub", name="sub", country="US", **CITE),
        Ownership(owner="parent", owned="sub", share=0.6, **CITE),
        Technology(id="cn-sx", name="sx", stage="separation", origin_country="CN", **CITE),
        P("oxide", "oxide", "Nd=0.857"), P("P", "platform", unit="each"), B("P", "oxide", 1),
        F("sep-1", "US", "separation", "oxide", company="sub", technologies="cn-sx"),
        F("asm", "US", "assembly", "P"), S("sep-1", "asm", "oxide"))
    for node in ("parent", "sub", "cn-sx"):
        (d,) = find_where_used(G, node, as_of="2026-01-01")
        assert (d.platform, d.via, d.paths) == ("P", ["sep-1"], [["sep-1", "asm", "P"]])
    assert [e.through for e in find_exposed(G, CN_TECHNOLOGY)] == [["sep-1"]]
    assert [e.through for e in find_exposed(G, "cn-owned")] == [["sep-1"]]


def test_trace_lists_the_upstream_tree_by_stage_with_marks(
        two_platforms: nx.MultiDiGraph) -> None:
    """The jet's tree in 2023: five needed links, mine first, cn-sep and cn-mine marked."""
    tree = trace(two_platforms, "jet", predicate="cn-processing", as_of="2023-06-01")
    assert tree[["stage", "facility", "buyer", "product"]].values.tolist() == [
        ["mine", "cn-mine", "cn-sep", "ore"], ["separation", "cn-sep", "jp-mag", "oxide"],
        ["magnet", "jp-mag", "us-motor", "magnet"],
        ["component", "us-motor", "jet-asm", "motor"], ["assembly", "jet-asm", "jet", "jet"]]
    assert tree["match"].tolist() == [False, True, False, False, False]
    assert tree["marks"].tolist()[:2] == [[], ["cn-processing"]]
    assert tree["depth"].tolist() == [5, 4, 3, 2, 1]


def test_supply_graph_keeps_only_needed_links(two_platforms: nx.MultiDiGraph) -> None:
    """cn-mag → ship-asm carries magnets ship-asm does not need: no edge. au-mine → cn-mag
    carries ore cn-mag does not need (magnets need oxide): no edge either."""
    H = supply_graph(two_platforms)
    assert not H.has_edge("cn-mag", "ship-asm")
    assert not H.has_edge("au-mine", "cn-mag")
    assert H.has_edge("us-motor2", "ship-asm")


def test_unknown_ids_and_bad_options_are_clear_errors(two_platforms: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownNodeError, match="no product with id 'jte'; did you mean 'jet'"):
        find_exposed(two_platforms, products=["jte"])
    with pytest.raises(UnknownNodeError, match="did you mean 'jet'"):
        trace(two_platforms, "jte")
    with pytest.raises(UnknownNodeError, match="no node with id 'my-sepp'"):
        find_where_used(two_platforms, "my-sepp")
    with pytest.raises(QueryError, match="at least 1"):
        find_exposed(two_platforms, k=0)
    with pytest.raises(QueryError, match="not a date"):
        find_exposed(two_platforms, as_of="2025-02-30")
    with pytest.raises(QueryError, match="not a confidence level"):
        find_exposed(two_platforms, min_confidence="certain")


def test_queries_do_not_mutate_the_graph(two_platforms: nx.MultiDiGraph) -> None:
    before = (two_platforms.number_of_nodes(), two_platforms.number_of_edges())
    find_exposed(two_platforms)
    find_where_used(two_platforms, "oxide")
    trace(two_platforms, "jet")
    assert (two_platforms.number_of_nodes(), two_platforms.number_of_edges()) == before


def test_the_compiled_form_refuses_a_confidence_floor(two_platforms: nx.MultiDiGraph) -> None:
    """It reads the network at a date only: asked for explicitly with a floor, it says so;
    ``auto`` answers such a call with the networkx reference."""
    with pytest.raises(QueryError, match="does not read min_confidence"):
        find_exposed(two_platforms, backend="compiled", min_confidence="documented")
    with pytest.raises(QueryError, match="does not read min_confidence"):
        find_where_used(two_platforms, "my-sep", backend="compiled",
                        min_confidence="documented")
    assert chosen_backend(find_exposed, two_platforms, min_confidence="documented") == \
        "networkx"


def test_a_neo4j_handle_is_answered_by_the_native_query(
        two_platforms: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given a Neo4jGraph, the one public function hands the call, its options and the
    dataset name to the native Cypher query (replaced here by a recorder: no server)."""
    from oretrace.queries import native

    seen: list[tuple[Any, ...]] = []

    def exposed(G: Neo4jGraph, predicate: str, **options: Any) -> list[Any]:
        seen.append(("exposed", G.driver, predicate, G.dataset, options))
        return []

    def used(G: Neo4jGraph, node: str, **options: Any) -> list[Any]:
        seen.append(("used", G.driver, node, G.dataset, options))
        return []

    monkeypatch.setattr(native, "exposed", exposed)
    monkeypatch.setattr(native, "where_used", used)
    server = Neo4jGraph(driver="drv", dataset="synth")
    assert find_exposed(server, "cn-owned", as_of="2025-01-01", k=2) == []
    assert find_where_used(server, "my-sep", as_of="2025-01-01") == []
    assert seen == [("exposed", "drv", "cn-owned", "synth", {"as_of": "2025-01-01", "k": 2}),
                    ("used", "drv", "my-sep", "synth", {"as_of": "2025-01-01"})]
    with pytest.raises(QueryError, match="needs a Neo4jGraph"):
        find_exposed(two_platforms, backend="neo4j")


def test_bad_options_on_a_server_handle_are_refused_before_the_server_is_read() -> None:
    """The native backend checks ``k`` and ``min_confidence`` first: with no driver at all
    (``None``, which any read would trip over) the errors are the in-memory queries'."""
    server = Neo4jGraph(driver=None, dataset="synth")
    with pytest.raises(QueryError, match="at least 1, not 0"):
        find_exposed(server, "cn-processing", k=0)
    with pytest.raises(QueryError, match="at least 1, not 0"):
        find_where_used(server, "my-sep", k=0)
    with pytest.raises(QueryError, match="not a confidence level"):
        find_exposed(server, min_confidence="certain")
