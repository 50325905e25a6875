"""The Neo4j backend against a real server: exact round trips, versions, injection, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from oretrace.graphmodel import (
    BackendAuthError,
    BackendError,
    BackendUnavailable,
    Records,
    build_graph,
)
from oretrace.graphmodel.backends.neo4j import Neo4jConfig, connect, current_version, push, run_read
from oretrace.graphmodel.schema import Company, Facility, Product, Source, Supply
from oretrace.loaders import load_dataset
from oretrace.loaders.neo4j import load

pytestmark = pytest.mark.neo4j


def assert_same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(keys=True, data=True)) == list(b.edges(keys=True, data=True))
    assert a.graph == b.graph


def test_mini_round_trips_exactly(neo4j_config: Neo4jConfig,
                                  mini_copy: Callable[..., Path]) -> None:
    G = load_dataset(mini_copy())
    with connect(neo4j_config) as driver:
        push(driver, G, dataset="mini")
        assert_same(G, load(driver, dataset="mini"))


def test_bundled_round_trips_exactly(neo4j_config: Neo4jConfig,
                                     bundled: nx.MultiDiGraph) -> None:
    with connect(neo4j_config) as driver:
        summary = push(driver, bundled, dataset="bundled")
        assert summary.nodes == bundled.number_of_nodes()
        assert summary.relationships == bundled.number_of_edges()
        assert_same(bundled, load(driver, dataset="bundled"))


def test_pushing_twice_leaves_the_same_graph_and_one_version(
        neo4j_config: Neo4jConfig, mini_copy: Callable[..., Path]) -> None:
    G = load_dataset(mini_copy())
    with connect(neo4j_config) as driver:
        first = push(driver, G, dataset="twice")
        second = push(driver, G, dataset="twice")
        assert current_version(driver, "twice") == second.version != first.version
        versions = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                                    "RETURN count(DISTINCT n.version) AS c", d="twice")
        assert versions[0]["c"] == 1
        assert run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) RETURN count(n) AS c",
                        d="twice")[0]["c"] == G.number_of_nodes()
        assert_same(G, load(driver, dataset="twice"))


NASTY = ["it's", 'say "hi"', "back`tick", "}) DETACH DELETE n //",
         "x'}) MATCH (m) DETACH DELETE m //", "$param", "{{brace}}", "ünïcødé 稀土", "a\\b"]


def test_injection_strings_are_stored_and_returned_as_data(neo4j_config: Neo4jConfig) -> None:
    src = Source(id=NASTY[3], title=NASTY[1])
    companies = [Company(id=f"c{i}:{s}", name=s, sources=[src.id], confidence="illustrative")
                 for i, s in enumerate(NASTY)]
    product = Product(id="p`'\"", name=NASTY[4], category="ore", unit="kg",
                      sources=[src.id], confidence="illustrative")
    facilities = [Facility(id=f"f{i}:{s}", name=s, company=companies[i].id, stage="mine",
                           products=[product.id], sources=[src.id], confidence="illustrative")
                  for i, s in enumerate(NASTY)]
    supplies = [Supply(supplier=facilities[0].id, buyer=facilities[1].id, product=product.id,
                       share=0.5, sources=[src.id], confidence="illustrative")]
    G = build_graph(Records(sources=[src], companies=companies, products=[product],
                            facilities=facilities, supplies=supplies))
    with connect(neo4j_config) as driver:
        push(driver, G, dataset=NASTY[4])
        back = load(driver, dataset=NASTY[4])
        assert_same(G, back)
        assert {d["name"] for _, d in back.nodes(data=True) if d["kind"] == "company"} == set(NASTY)
        total = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) RETURN count(n) AS c",
                         d=NASTY[4])[0]["c"]
        assert total == G.number_of_nodes()


def test_a_push_killed_half_way_leaves_the_previous_version_whole(
        neo4j_server, neo4j_config: Neo4jConfig,  # type: ignore[no-untyped-def]
        bundled: nx.MultiDiGraph, mini_copy: Callable[..., Path]) -> None:
    old = load_dataset(mini_copy())
    with connect(neo4j_config) as driver:
        push(driver, old, dataset="killed")
    # A second process pushes the bundled graph in batches of 20 rows and is SIGKILLed three
    # batches after its sources are written (sources go first, 20 a batch), so some nodes of
    # the new version are written too.
    script = textwrap.dedent("""
        import os, signal, sys
        from oretrace.graphmodel.backends.neo4j import Neo4jConfig, connect, push
        from oretrace.loaders import load_dataset
        cfg = Neo4jConfig(uri=sys.argv[1], user=sys.argv[2], password=sys.argv[3])
        G = load_dataset()
        kill_at = -(-len(G.graph["sources"]) // 20) + 3
        batches = 0
        def progress(n):
            global batches
            batches += 1
            if batches == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        with connect(cfg) as driver:
            push(driver, G, dataset="killed", batch_size=20, progress=progress)
    """)
    proc = subprocess.run([sys.executable, "-c", script, neo4j_server.uri, neo4j_server.user,
                           neo4j_server.password], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))
    assert proc.returncode == -9, proc.stderr
    with connect(neo4j_config) as driver:
        partial = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                                   "RETURN count(n) AS nodes, count(DISTINCT n.version) AS c",
                           d="killed")
        # The half-written version is there (more nodes than the old graph has), but unseen.
        assert partial[0]["c"] == 2
        assert partial[0]["nodes"] > old.number_of_nodes()
        assert_same(old, load(driver, dataset="killed"))
        # The next push completes and clears the leftovers.
        push(driver, bundled, dataset="killed")
        assert_same(bundled, load(driver, dataset="killed"))
        assert run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                                "RETURN count(DISTINCT n.version) AS c", d="killed")[0]["c"] == 1


def test_wrong_password_is_one_line_with_the_fix(neo4j_server) -> None:  # type: ignore[no-untyped-def]
    wrong = Neo4jConfig(uri=neo4j_server.uri, user="neo4j", password="wrong")
    with pytest.raises(BackendAuthError, match="NEO4J_PASSWORD"), connect(wrong):
        pass


def test_unknown_database_says_so(neo4j_config: Neo4jConfig) -> None:
    cfg = Neo4jConfig(uri=neo4j_config.uri, user=neo4j_config.user,
                      password=neo4j_config.password, database="nosuchdb")
    with pytest.raises(BackendError, match="database 'nosuchdb' does not exist"), connect(cfg):
        pass


def test_unreachable_server_says_how_to_start_one() -> None:
    nowhere = Neo4jConfig(uri="bolt://127.0.0.1:9", user="neo4j", password="x")
    with pytest.raises(BackendUnavailable, match="cannot reach Neo4j at bolt://127.0.0.1:9"), \
            connect(nowhere):
        pass
