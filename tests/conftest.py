"""Shared fixtures: the bundled graph (loaded once), the hand-drawn mini dataset, doctest names."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from oretrace.loaders import load_dataset

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini"


@pytest.fixture(scope="session")
def bundled() -> nx.MultiDiGraph:
    """The bundled dataset's graph (queries never mutate it, so one load serves all tests)."""
    return load_dataset()


# Hand-drawn AND/OR networks (tests/data/choke_*), answers worked on paper in the tests.
@pytest.fixture(scope="session")
def andor() -> nx.MultiDiGraph:
    """Refineries, magnet plants and a platform where an AND creates a hidden chokepoint."""
    return load_dataset(DATA / "choke_andor")


@pytest.fixture(scope="session")
def cycle() -> nx.MultiDiGraph:
    """A recycling loop fed through a substitute input."""
    return load_dataset(DATA / "choke_cycle")


@pytest.fixture(scope="session")
def timed() -> nx.MultiDiGraph:
    """A refinery online from 2028-01-01 and a supply link starting 2027-06-01."""
    return load_dataset(DATA / "choke_time")


@pytest.fixture(scope="session")
def market() -> nx.MultiDiGraph:
    """Markets with one and with two suppliers."""
    return load_dataset(DATA / "choke_market")


@pytest.fixture
def mini_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the mini dataset to a temporary directory, optionally editing one file's lines.

    ``mini_copy("facilities.csv", lambda lines: ...)`` returns the new directory; the
    function gets the file's lines (without newlines) and returns the new lines.
    """
    def make(file: str | None = None,
             edit: Callable[[list[str]], list[str]] | None = None) -> Path:
        target = tmp_path / "dataset"
        if not target.exists():
            shutil.copytree(MINI, target)
        if file is not None and edit is not None:
            path = target / file
            lines = path.read_text(encoding="utf-8").splitlines()
            path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
        return target
    return make


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace: dict[str, object]) -> None:
    doctest_namespace["nx"] = nx


# --------------------------------------------------------------------------- Neo4j

def _launcher():  # type: ignore[no-untyped-def]
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[1] / "tools" / "neo4j-server" / "launch.py"
    spec = importlib.util.spec_from_file_location("oretrace_neo4j_launch", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def neo4j_server():  # type: ignore[no-untyped-def]
    """A real embedded Neo4j 5.26 server on 127.0.0.1, built and started once per test run.

    Never skipped: when it cannot start, the tests that need it fail with the server's log.
    """
    with _launcher().start(port=0) as server:
        yield server


@pytest.fixture
def neo4j_config(neo4j_server):  # type: ignore[no-untyped-def]
    from oretrace.graphmodel.backends.neo4j import Neo4jConfig

    return Neo4jConfig(uri=neo4j_server.uri, user=neo4j_server.user,
                       password=neo4j_server.password)
