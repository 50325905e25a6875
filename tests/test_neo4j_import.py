"""Neo4j's bulk importer: files written by ``oretrace neo4j import-files``, loaded by the
bundled launcher into a fresh store, give a normal current version.

A graph imported this way must read back exactly (node for node, edge for edge), hold the
same properties a push writes (compared with a push of the same graph to the same server),
answer the native queries as the in-memory ones do, and be replaced by the next push like
any pushed version. A hand-drawn graph with quotes, commas, newlines, separators, empty
lists, nulls, dates and JSON attributes checks the CSV encoding against the real importer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest import _launcher
from oretrace.graphmodel import BackendError
from oretrace.graphmodel.backends._neo4j_import import ImportFiles, write_import_files
from oretrace.graphmodel.backends.neo4j import (
    Neo4jConfig,
    connect,
    current_version,
    push,
    run_read,
)
from oretrace.loaders.neo4j import load
from oretrace.queries import Neo4jGraph, find_exposed, find_where_used
from oretrace.queries.predicates import PREDICATES
from typer.testing import CliRunner

from oretrace.cli import make_app

pytestmark = pytest.mark.neo4j


def assert_same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(keys=True, data=True)) == list(b.edges(keys=True, data=True))
    assert a.graph == b.graph


# Ids and values with the importer's delimiters, quotes, newlines and Cypher tails.
NASTY = ['a,b', 'say "hi"', "line\nbreak", "semi;colon", "back`tick", "}) DETACH DELETE n //",
         "a\\b", "ünïcødé 稀土", "", "  padded  ", "tab\there"]


def nasty_graph() -> nx.MultiDiGraph:
    """Two facilities and a product whose ids and attributes carry ``NASTY``::

        f0 ──supplies p (key 0)──▶ f1      f0 ──supplies p (key "x,y")──▶ f1
        c  ──operates──▶ f0

    with an empty list, a None, a date, a bool, an int, a mixed list, a dict and a list of
    strings holding every nasty string.
    """
    G = nx.MultiDiGraph(name="nasty", note='q"uote\nnew', sources={
        "s,1": {"id": "s,1", "title": 'T "1"\n2', "year": 2024}})
    f0, f1, prod, comp = NASTY[0], NASTY[1], NASTY[2], NASTY[5]
    G.add_node(f0, kind="facility", name=NASTY[3], stage="mine", products=[prod],
               technologies=[], online_from=dt.date(2020, 2, 29), state_owned=False,
               capacity=None, terms={"k": [1, "x"], "d": dt.date(2021, 1, 1)},
               mixed=[1, "a"], names=NASTY[3:8] + NASTY[9:])
    G.add_node(f1, kind="facility", name=NASTY[4], stage="magnet", products=[],
               technologies=["t"], capacity=12.5, count=7)
    G.add_node(prod, kind="product", name=NASTY[6], category="ore", unit="kg", blank="")
    G.add_node(comp, kind="company", name=NASTY[7], listed_on=[])
    G.add_edge(f0, f1, key=0, kind="supplies", product=prod, share=1 / 3, sources=["s,1"])
    G.add_edge(f0, f1, key="x,y", kind="supplies", product=prod, share=None,
               start=dt.date(2025, 1, 1), sources=[])
    G.add_edge(comp, f0, key="operates", kind="operates", share=0.6)
    return G


@pytest.fixture(scope="module")
def nasty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("nasty-import")
    write_import_files(nasty_graph(), folder, dataset="nasty")
    with _launcher().start(port=0, import_dir=folder) as server:
        yield server


def config_of(server: Any) -> Neo4jConfig:
    return Neo4jConfig(uri=server.uri, user=server.user, password=server.password)


def test_nasty_strings_and_types_come_back_exactly(nasty_server: Any) -> None:
    G = nasty_graph()
    with connect(config_of(nasty_server)) as driver:
        assert_same(G, load(driver, dataset="nasty"))
        # the empty lists are real empty lists in the database, as a push leaves them
        rows = run_read(driver, "MATCH (n:OretraceNode) RETURN n.id AS id, "
                        "n.technologies AS t, n.products AS p, n._empty AS e ORDER BY n._seq")
        assert [(r["t"], r["p"], r["e"]) for r in rows[:2]] == [([], [NASTY[2]], None),
                                                                (["t"], [], None)]


def test_a_push_replaces_an_imported_version_and_leaves_one(nasty_server: Any) -> None:
    G = nasty_graph()
    with connect(config_of(nasty_server)) as driver:
        imported = current_version(driver, "nasty")
        summary = push(driver, G, dataset="nasty")
        assert summary.removed_versions == 1 and summary.version != imported
        versions = run_read(driver, "MATCH (n:OretraceNode {dataset: 'nasty'}) "
                                    "RETURN collect(DISTINCT n.version) AS v")[0]["v"]
        assert versions == [summary.version]
        assert_same(G, load(driver, dataset="nasty"))


# --------------------------------------------------------------------------- bundled parity


@pytest.fixture(scope="module")
def bundled_files(bundled: nx.MultiDiGraph, tmp_path_factory: pytest.TempPathFactory
                  ) -> ImportFiles:
    return write_import_files(bundled, tmp_path_factory.mktemp("bundled-import"),
                              dataset="imported")


@pytest.fixture(scope="module")
def imported(bundled_files: ImportFiles, bundled: nx.MultiDiGraph) -> Iterator[Any]:
    """A server whose store was bulk-imported, with the same graph pushed beside it."""
    with _launcher().start(port=0, import_dir=bundled_files.directory) as server, \
            connect(config_of(server)) as driver:
        push(driver, bundled, dataset="pushed")
        yield driver


def test_the_imported_version_is_current_and_reads_back_exactly(
        imported: Any, bundled: nx.MultiDiGraph, bundled_files: ImportFiles) -> None:
    assert current_version(imported, "imported") == bundled_files.version
    assert_same(bundled, load(imported, dataset="imported"))


def test_imported_and_pushed_versions_hold_the_same_properties(imported: Any) -> None:
    query = ("MATCH (d:OretraceDataset {name: $d}) "
             "MATCH (a:OretraceNode {dataset: $d, version: d.current})-[r]->(b) "
             "RETURN a.id AS u, b.id AS v, type(r) AS t, properties(r) AS p, "
             "labels(a) AS la, properties(a) AS pa")

    def stored(dataset: str) -> list[str]:
        rows = run_read(imported, query, d=dataset)
        for r in rows:
            r["pa"].pop("version")
            r["pa"].pop("dataset")
        return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)

    imported_rows, pushed_rows = stored("imported"), stored("pushed")
    assert len(imported_rows) > 200
    assert imported_rows == pushed_rows


@pytest.mark.parametrize("predicate", sorted(PREDICATES))
def test_imported_exposure_parity(imported: Any, bundled: nx.MultiDiGraph,
                                  predicate: str) -> None:
    found = 0
    for as_of, level in [("2025-12-15", None), ("2029-01-01", "reported")]:
        memory = find_exposed(bundled, predicate, as_of=as_of, k=3, min_confidence=level)
        native = find_exposed(Neo4jGraph(imported, "imported"), predicate, as_of=as_of,
                                     k=3, min_confidence=level)
        assert [r.model_dump() for r in native] == [r.model_dump() for r in memory]
        found += len(memory)
    if predicate != "cn-mining":
        assert found > 0


def test_imported_where_used_parity(imported: Any, bundled: nx.MultiDiGraph) -> None:
    nodes = [n for n, kind in bundled.nodes(data="kind") if kind in ("facility", "technology")]
    dependants = 0
    for node in nodes:
        memory = find_where_used(bundled, node, as_of="2025-12-15")
        native = find_where_used(Neo4jGraph(imported, "imported"), node, as_of="2025-12-15")
        assert [r.model_dump() for r in native] == [r.model_dump() for r in memory], node
        dependants += len(memory)
    assert dependants > 0


# --------------------------------------------------------------------------- files and CLI


def test_files_carry_the_importers_quoting(tmp_path: Path) -> None:
    """Worked by hand from ``nasty_graph``: the product's row, and the two supplies."""
    write_import_files(nasty_graph(), tmp_path, dataset="d", version="v")
    product = (tmp_path / "nodes-Product-0.csv").read_text(encoding="utf-8")
    assert product.splitlines()[0] == "id:ID(node),dataset,version,_seq:long,blank,category," \
                                      "kind,name,unit"
    assert product.split("\n", 1)[1] == '"line\nbreak","d","v",2,"","ore","product",' \
                                        '"a\\b","kg"\n'
    # key 0 is a long, key "x,y" a string: two files, one type per column
    supplies = sorted(tmp_path.glob("rels-SUPPLIES-*.csv"))
    assert len(supplies) == 2
    spec = json.loads((tmp_path / "import.json").read_text(encoding="utf-8"))
    assert "--multiline-fields=true" in spec["arguments"]
    assert spec["version"] == "v"


def test_a_list_holding_the_array_delimiter_is_refused(tmp_path: Path) -> None:
    G = nasty_graph()
    G.nodes[NASTY[0]]["names"] = ["a\x1fb"]
    with pytest.raises(BackendError, match="push the dataset instead"):
        write_import_files(G, tmp_path)


def test_cli_writes_the_files_and_prints_the_command(tmp_path: Path) -> None:
    mini = str(Path(__file__).parent / "data" / "mini")
    result = CliRunner().invoke(make_app(), ["-f", "json", "--data", mini, "neo4j",
                                             "import-files", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["command"].startswith("neo4j-admin database import full neo4j ")
    assert f"--nodes=OretraceNode:Facility={tmp_path / 'out'}/nodes-Facility-0.csv" in \
        out["command"]
    assert (tmp_path / "out" / "after-import.cypher").is_file()
