"""Faults around a Neo4j push, against the real server: re-pushes, kills, races, bad logins.

After each fault the database must hold exactly one whole version that readers see (equal,
node for node and edge for edge, to the graph pushed last with success), leftovers of a
failed push must go with the next push, and every error must be one line.

Two graphs tell the versions apart: the hand-drawn ``mini`` dataset (15 nodes, 18 edges)
and the bundled one. The slow or killed pushes run in a child process (``_child``), so a
SIGKILL is a real process death: its connection drops and the server ends its transactions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import oretrace.loaders.neo4j as reader
import pytest
from oretrace.graphmodel import BackendAuthError, BackendError, LoadError
from oretrace.graphmodel.backends.neo4j import Neo4jConfig, connect, current_version, push, run_read
from oretrace.loaders import load_dataset
from oretrace.loaders.neo4j import load

pytestmark = pytest.mark.neo4j

_CHILD_HEAD = """
import os, signal, sys, time
import oretrace.graphmodel.backends._neo4j_versions as versions
from oretrace.graphmodel.backends.neo4j import Neo4jConfig, connect, push
from oretrace.loaders import load_dataset
cfg = Neo4jConfig(uri=sys.argv[1], user=sys.argv[2], password=sys.argv[3])
"""


def _child(server: Any, body: str) -> subprocess.Popen[str]:
    """Start a Python child that connects to ``server`` and runs ``body``."""
    script = _CHILD_HEAD + textwrap.dedent(body)
    return subprocess.Popen([sys.executable, "-c", script, server.uri, server.user,
                             server.password], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ))


def _wait_for_line(proc: subprocess.Popen[str], word: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert word in line, f"child said {line!r}; stderr: {proc.stderr.read() if proc.stderr else ''}"


def assert_same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(keys=True, data=True)) == list(b.edges(keys=True, data=True))
    assert a.graph == b.graph


def versions_of(driver: Any, dataset: str) -> int:
    rows = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                            "RETURN count(DISTINCT n.version) AS c", d=dataset)
    return int(rows[0]["c"])


def one_whole_version(driver: Any, dataset: str, G: nx.MultiDiGraph) -> None:
    """Exactly one version of ``dataset`` is stored (nodes and sources alike), and it is
    ``G``: as many nodes and relationships in the database as ``G`` has, and read back equal."""
    assert versions_of(driver, dataset) == 1
    sources = run_read(driver, "MATCH (s:OretraceSource {dataset: $d}) "
                               "RETURN count(DISTINCT s.version) AS c, count(s) AS n", d=dataset)
    assert sources[0]["c"] == 1 and sources[0]["n"] == len(G.graph["sources"])
    counts = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                              "RETURN count(n) AS nodes, sum(COUNT { (n)-->() }) AS rels",
                      d=dataset)[0]
    assert (counts["nodes"], counts["rels"]) == (G.number_of_nodes(), G.number_of_edges())
    assert_same(G, load(driver, dataset=dataset))


@pytest.fixture
def mini(mini_copy: Callable[..., Path]) -> nx.MultiDiGraph:
    return load_dataset(mini_copy())


def test_repushing_twice_leaves_one_whole_version(
        neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph, bundled: nx.MultiDiGraph) -> None:
    """Push mini, then bundled twice, in batches of 7 rows so every delete of the old version
    takes many batches (bundled has about 250 relationships): each re-push removes exactly
    the one version it replaced, and the counts it reports are the bundled graph's."""
    with connect(neo4j_config) as driver:
        push(driver, mini, dataset="repush", batch_size=7)
        for _ in range(2):
            summary = push(driver, bundled, dataset="repush", batch_size=7)
            assert summary.removed_versions == 1
            assert (summary.nodes, summary.relationships, summary.sources) == (
                bundled.number_of_nodes(), bundled.number_of_edges(),
                len(bundled.graph["sources"]))
            one_whole_version(driver, "repush", bundled)


def test_a_push_killed_while_deleting_the_old_version_leaves_the_new_one_whole(
        neo4j_server: Any, neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph,
        bundled: nx.MultiDiGraph) -> None:
    """The child pushes bundled over mini and is SIGKILLed after two committed batches of 5
    relationships of the old version's delete: the switch had happened, so readers get
    bundled, whole; mini's remains (10 of its 18 relationships gone) are a second version
    nobody reads, and the next push removes them (and the version it replaces: 2)."""
    with connect(neo4j_config) as driver:
        push(driver, mini, dataset="killdel")
    proc = _child(neo4j_server, """
        def killing(session, dataset, version, *, batch):
            for _ in range(2):
                session.execute_write(lambda tx: tx.run(
                    versions._DELETE_RELS, dataset=dataset, version=version, batch=5).consume())
            os.kill(os.getpid(), signal.SIGKILL)
        versions.delete_version = killing
        with connect(cfg) as driver:
            push(driver, load_dataset(), dataset="killdel")
    """)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -9, err
    with connect(neo4j_config) as driver:
        assert versions_of(driver, "killdel") == 2
        old = run_read(driver, "MATCH (d:OretraceDataset {name: $d}) "
                               "MATCH (n:OretraceNode {dataset: $d}) WHERE n.version = d.previous "
                               "RETURN sum(COUNT { (n)-->() }) AS rels", d="killdel")
        assert old[0]["rels"] == mini.number_of_edges() - 10
        assert_same(bundled, load(driver, dataset="killdel"))
        # it removes mini's remains first, then the version it replaces
        summary = push(driver, bundled, dataset="killdel")
        assert summary.removed_versions == 2
        one_whole_version(driver, "killdel", bundled)


def test_a_second_push_during_a_push_stops_with_one_line_and_touches_nothing(
        neo4j_server: Any, neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph,
        bundled: nx.MultiDiGraph) -> None:
    """The child pushes bundled slowly (batches of 20 rows, 0.1 s apart) over mini; while it
    writes, a push of mini is refused with one line naming the push in progress, and the
    child still finishes: bundled, whole, is the one version left."""
    with connect(neo4j_config) as driver:
        push(driver, mini, dataset="race")
    proc = _child(neo4j_server, """
        def slow(n):
            print("writing", flush=True)
            time.sleep(0.1)
        with connect(cfg) as driver:
            push(driver, load_dataset(), dataset="race", batch_size=20, progress=slow)
    """)
    try:
        _wait_for_line(proc, "writing")
        with connect(neo4j_config) as driver, pytest.raises(BackendError) as caught:
            push(driver, mini, dataset="race")
        message = str(caught.value)
        assert "another push of dataset 'race' is in progress" in message
        assert "\n" not in message
        out, err = proc.communicate(timeout=300)
        assert out.count("writing") > 1 and proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)
    with connect(neo4j_config) as driver:
        one_whole_version(driver, "race", bundled)


def test_a_second_push_told_to_wait_goes_after_the_first(
        neo4j_server: Any, neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph) -> None:
    """With ``wait``, the second push (mini) waits for the child's (bundled) and then
    replaces it: mini is the one version left, and the push removed bundled's."""
    proc = _child(neo4j_server, """
        def slow(n):
            print("writing", flush=True)
            time.sleep(0.1)
        with connect(cfg) as driver:
            push(driver, load_dataset(), dataset="queue", batch_size=20, progress=slow)
    """)
    try:
        _wait_for_line(proc, "writing")
        with connect(neo4j_config) as driver:
            summary = push(driver, mini, dataset="queue", wait=300)
            assert summary.removed_versions == 1  # bundled's, written whole before
            one_whole_version(driver, "queue", mini)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)


def test_a_push_with_a_wrong_password_is_one_line_and_touches_nothing(
        neo4j_server: Any, neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph,
        bundled: nx.MultiDiGraph) -> None:
    with connect(neo4j_config) as driver:
        push(driver, mini, dataset="password")
    wrong = Neo4jConfig(uri=neo4j_server.uri, user=neo4j_server.user, password="wrong")
    with pytest.raises(BackendAuthError) as caught, connect(wrong) as driver:
        push(driver, bundled, dataset="password")
    assert "\n" not in str(caught.value) and "NEO4J_PASSWORD" in str(caught.value)
    with connect(neo4j_config) as driver:
        one_whole_version(driver, "password", mini)


def test_a_reader_racing_a_push_reads_one_whole_version(
        neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph, bundled: nx.MultiDiGraph,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader reads the head (mini's version), then a whole push of bundled runs —
    switch and delete of mini's version — before it reads the rows. The old reader got an
    empty graph here; now it sees the version changed and reads bundled, whole."""
    with connect(neo4j_config) as driver:
        push(driver, mini, dataset="reader")
        pushed: list[str] = []
        real = reader._read

        def racing(tx: Any, dataset: str) -> Any:
            class Tx:
                def run(self, query: str, **params: Any) -> Any:
                    if query == reader._SOURCES and not pushed:
                        pushed.append(push(driver, bundled, dataset=dataset).version)
                    return tx.run(query, **params)
            return real(Tx(), dataset)

        monkeypatch.setattr(reader, "_read", racing)
        back = load(driver, dataset="reader")
        assert pushed == [current_version(driver, "reader")]
        assert_same(bundled, back)


def test_a_version_changed_outside_oretrace_is_not_read_as_whole(
        neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph) -> None:
    """Deleting one of mini's 15 nodes by hand leaves 14 where the push recorded 15: the
    reader says so instead of answering on a part of the graph."""
    with connect(neo4j_config) as driver:
        push(driver, mini, dataset="tampered")
        driver.execute_query("MATCH (n:OretraceNode {dataset: 'tampered', id: 'cn-mine'}) "
                             "DETACH DELETE n")
        with pytest.raises(LoadError, match="holds 14 nodes but its push recorded 15"):
            load(driver, dataset="tampered")


def test_a_lock_left_by_a_killed_push_does_not_block_the_next(
        neo4j_server: Any, neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph) -> None:
    """The child takes the push lock and is SIGKILLed holding it: its connection drops, the
    server ends its transaction and frees the lock, so the next push goes through at once."""
    proc = _child(neo4j_server, """
        with connect(cfg) as driver:
            with versions.push_lock(driver, None, "orphan", "dead"):
                print("locked", flush=True)
                time.sleep(600)
    """)
    try:
        _wait_for_line(proc, "locked")
        proc.kill()
        proc.wait(timeout=30)
        start = time.monotonic()
        with connect(neo4j_config) as driver:
            push(driver, mini, dataset="orphan", wait=60)
            one_whole_version(driver, "orphan", mini)
        assert time.monotonic() - start < 60
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)


@pytest.mark.parametrize("query", ["exposed", "where-used"])
def test_a_native_query_racing_a_push_answers_on_one_whole_version(
        query: str, neo4j_config: Neo4jConfig, mini: nx.MultiDiGraph,
        bundled: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """The native query reads the version (mini's), then a whole push of bundled runs —
    switch and delete of mini's version — before it reads anything else. Reading the
    version in a query of its own, it answered on rows of a deleted version: no platform
    for exposure (mini's one exposed platform, ``missile``, is gone with its version), an
    unknown node for where-used (``bayan-obo`` is bundled's, not mini's). Now the version is
    read in the same transaction as the rows and again at its end, so it sees the switch
    and answers on bundled, whole: the in-memory answer on bundled (exposure of its
    platforms through China; where-used of the Bayan Obo mine, ``bayan-obo``)."""
    import oretrace.queries.native as native
    from oretrace.queries import Neo4jGraph, find_exposed, find_where_used

    # the step after the version is read: picking the platforms (``targets``, ``_targets``
    # before native's helpers moved to their own module) or the node's facilities
    picks = "targets" if hasattr(native, "targets") else "_targets"
    seam = picks if query == "exposed" else "_facilities_for"
    expected: list[Any] = (find_exposed(bundled, "any") if query == "exposed"
                           else find_where_used(bundled, "bayan-obo"))
    assert expected and "bayan-obo" not in mini  # the race is visible in the answer
    with connect(neo4j_config) as driver:
        push(driver, mini, dataset="native-race")
        pushed: list[str] = []
        real = getattr(native, seam)

        def racing(store: Any, *args: Any) -> Any:
            if not pushed:
                pushed.append(push(driver, bundled, dataset="native-race").version)
            return real(store, *args)

        monkeypatch.setattr(native, seam, racing)
        got = (find_exposed(Neo4jGraph(driver, "native-race"), "any")
               if query == "exposed"
               else find_where_used(Neo4jGraph(driver, "native-race"), "bayan-obo"))
        assert pushed == [current_version(driver, "native-race")]
        assert got == expected
