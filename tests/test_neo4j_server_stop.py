"""The Neo4j server stopped mid-query, against a real server of this module's own.

A short-lived server with a persistent store (not the session server the other tests
share). The hand-drawn ``mini`` dataset (15 nodes, 18 edges) is pushed; then three
``oretrace`` commands start in child processes and each stops half-way, inside its
transaction, waiting on its stdin:

- ``--backend neo4j info`` (the graph loader), after it read the dataset's head;
- ``--backend neo4j exposed`` (a native query), after it read the version;
- ``neo4j push`` of the bundled dataset, after it wrote every batch of its new version and
  before it counts it and switches readers to it (it holds the push lock).

The server then goes away — SIGKILLed (a crash: its connections drop mid-transaction), or,
in the second run of the scenario, stopped cleanly (Neo4j shuts down and ends the
transactions still open) — the children are let go, and the server is started again on the
same store (the launcher's ``store=``; the Java side keeps the password across restarts).
Each command must end with one line, ``error: cannot reach Neo4j at <uri>: ...``, exit
status 2 and no traceback; the dataset must hold mini, whole, for readers (the push never
switched), and the next push must remove what the failed one wrote.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from oretrace.graphmodel.backends.neo4j import Neo4jConfig, connect, push, run_read
from oretrace.loaders import load_dataset
from oretrace.loaders.neo4j import load

pytestmark = pytest.mark.neo4j

MINI = Path(__file__).parent / "data" / "mini"
DATASET = "stopped"

#: A child runs the CLI with one function wrapped: the first call prints ``paused`` and
#: waits for a line on stdin before going on (so the server dies mid-transaction).
_CHILD = """
import sys
import importlib
module = importlib.import_module(sys.argv[1])
real = getattr(module, sys.argv[2])
calls = []
def paused(*args, **kwargs):
    if not calls:
        calls.append(1)
        print("paused", flush=True)
        sys.stdin.readline()
    return real(*args, **kwargs)
setattr(module, sys.argv[2], paused)
from oretrace.cli import main
main(sys.argv[3:])
"""

#: The loader's transaction reads the head first, then pauses (inside the transaction).
_READER = textwrap.dedent("""
import sys
import oretrace.loaders.neo4j as reader
real = reader._read
calls = []
def paused(tx, dataset):
    if not calls:
        calls.append(1)
        tx.run(reader._HEAD, dataset=dataset).single()
        print("paused", flush=True)
        sys.stdin.readline()
    return real(tx, dataset)
reader._read = paused
from oretrace.cli import main
main(sys.argv[1:])
""")


def _launcher() -> Any:
    path = Path(__file__).resolve().parents[1] / "tools" / "neo4j-server" / "launch.py"
    spec = importlib.util.spec_from_file_location("oretrace_neo4j_launch", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def _env(server: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "ORETRACE_DEBUG"))}
    return env | server.env()


@dataclass
class Outcome:
    """What each child said after the server went away, and the server started again on
    the store."""

    uri: str  # of the server that went away
    results: dict[str, tuple[int, str, str]]  # name -> (exit status, stdout, stderr)
    config: Neo4jConfig  # of the server started again
    mini: nx.MultiDiGraph


@dataclass
class Home:
    """The store, and the server running on it (started again after each scenario, and
    reused by the next one: three starts for two scenarios)."""

    launch: Any
    path: Path
    live: Any = None
    starts: int = 0

    def start(self) -> Any:
        self.starts += 1
        self.live = self.launch.start(port=0, store=self.path / "store",
                                      log_dir=self.path / f"log-{self.starts}")
        return self.live


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    place = Home(_launcher(), tmp_path_factory.mktemp("neo4j-stop"))
    try:
        yield place
    finally:
        if place.live is not None:
            place.live.stop()


@pytest.fixture(scope="module", params=["killed", "stopped"])
def outcome(request: pytest.FixtureRequest, home: Home) -> Outcome:
    """The scenario, with the server SIGKILLed (a crash) or stopped cleanly (its stdin
    closed: Neo4j shuts down, ending the transactions still open), then started again."""
    mini = load_dataset(MINI)
    first = home.live if home.live is not None and home.live.is_running() else home.start()
    home.live = None
    children: dict[str, subprocess.Popen[str]] = {}
    try:
        config = Neo4jConfig(uri=first.uri, user=first.user, password=first.password)
        with connect(config) as driver:
            push(driver, mini, dataset=DATASET)
        cli = ["--backend", "neo4j", "--neo4j-dataset", DATASET]
        commands = {
            "info": [sys.executable, "-c", _READER, *cli, "info"],
            "exposed": [sys.executable, "-c", _CHILD, "oretrace.queries.native", "_select",
                        *cli, "exposed", "--through", "any"],
            "push": [sys.executable, "-c", _CHILD, "oretrace.graphmodel.backends.neo4j",
                     "count_version", "neo4j", "push", "--dataset", DATASET],
        }
        for name, cmd in commands.items():
            children[name] = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True, env=_env(first))
        for name, proc in children.items():
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line == "paused\n", f"{name} said {line!r}: {proc.communicate()[1]}"
        if request.param == "killed":
            os.kill(first.pid, signal.SIGKILL)
            first.process.wait(timeout=30)
        assert first.stop(timeout=90) == (-signal.SIGKILL if request.param == "killed" else 0)
        for proc in children.values():  # let them all go at once
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = {}
        for name, proc in children.items():
            out, err = proc.communicate(timeout=120)
            results[name] = (proc.returncode, out, err)
    finally:
        for proc in children.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=60)
        first.stop()
    again = home.start()
    return Outcome(first.uri, results,
                   Neo4jConfig(uri=again.uri, user=again.user, password=again.password), mini)


@pytest.mark.parametrize("command", ["info", "exposed", "push"])
def test_a_command_cut_off_by_the_server_says_so_in_one_line(
        outcome: Outcome, command: str) -> None:
    """Exit status 2, nothing on stdout after ``paused``, and stderr one line naming the
    server that went away (its URI) and the fix, with no traceback."""
    status, out, err = outcome.results[command]
    assert status == 2, err
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"error: cannot reach Neo4j at {outcome.uri}: start a server"), err
    assert "Traceback" not in err


def test_after_the_restart_readers_get_mini_whole_and_the_next_push_cleans_up(
        outcome: Outcome) -> None:
    """The push wrote bundled's version whole (every batch committed) but never switched:
    after the restart the store holds two versions, readers get mini (15 nodes, 18 edges),
    equal to the files. The next push (mini again) removes the failed push's version and
    the one it replaces (2), and leaves one version: mini, whole."""
    bundled = load_dataset()
    mini = outcome.mini
    with connect(outcome.config) as driver:
        rows = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                                "RETURN n.version AS v, count(n) AS nodes ORDER BY nodes",
                        d=DATASET)
        assert [r["nodes"] for r in rows] == [mini.number_of_nodes(),
                                              bundled.number_of_nodes()]
        back = load(driver, dataset=DATASET)
        assert (back.number_of_nodes(), back.number_of_edges()) == (15, 18)
        assert list(back.nodes(data=True)) == list(mini.nodes(data=True))
        assert list(back.edges(keys=True, data=True)) == list(mini.edges(keys=True, data=True))

        summary = push(driver, mini, dataset=DATASET)
        assert summary.removed_versions == 2
        rows = run_read(driver, "MATCH (n:OretraceNode {dataset: $d}) "
                                "RETURN count(DISTINCT n.version) AS versions, "
                                "count(n) AS nodes, sum(COUNT { (n)-->() }) AS rels",
                        d=DATASET)
        assert (rows[0]["versions"], rows[0]["nodes"], rows[0]["rels"]) == (1, 15, 18)
        sources = run_read(driver, "MATCH (s:OretraceSource {dataset: $d}) "
                                   "RETURN count(DISTINCT s.version) AS versions, "
                                   "count(s) AS n", d=DATASET)
        assert (sources[0]["versions"], sources[0]["n"]) == (1, len(mini.graph["sources"]))
        again = load(driver, dataset=DATASET)
        assert list(again.edges(keys=True, data=True)) == list(mini.edges(keys=True, data=True))
