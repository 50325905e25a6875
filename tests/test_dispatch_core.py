"""The one dispatch (``oretrace.queries._dispatch``): which backend answers, and why not.

A toy query counts nodes; its "compiled" form returns a marker so the test sees which one ran,
and it declares that it does not read ``floor``. Expected choices follow the rules written in
the module docstring, worked by hand for each case.
"""

from __future__ import annotations

import inspect
import logging

import networkx as nx
import pytest
from oretrace.graphmodel import QueryError
from oretrace.queries._dispatch import (
    COMPILED_MIN_EDGES,
    Neo4jGraph,
    chosen_backend,
    dispatchable,
    graph_cache,
)


@dispatchable()
def count(G: nx.MultiDiGraph, *, floor: str | None = None) -> str:
    """Reference."""
    return "networkx"


@count.register("compiled", unsupported=("floor",))
def _count_compiled(G: nx.MultiDiGraph, *, floor: str | None = None) -> str:
    return "compiled"


@dispatchable()
def local_only(G: nx.MultiDiGraph) -> str:
    """Reference, with no other form."""
    return "networkx"


@count.register("neo4j")
def _count_native(G: Neo4jGraph, *, floor: str | None = None) -> str:
    return f"neo4j:{G.dataset}"


def big() -> nx.MultiDiGraph:
    """A path with exactly COMPILED_MIN_EDGES edges: the first size ``auto`` compiles."""
    G = nx.MultiDiGraph()
    G.add_edges_from((i, i + 1) for i in range(COMPILED_MIN_EDGES))
    return G


def test_auto_picks_by_size_and_options() -> None:
    small = nx.MultiDiGraph([(0, 1)])
    assert count(small) == "networkx"
    G = big()
    assert count(G) == "compiled"
    assert count(G, floor="reported") == "networkx"   # compiled does not read floor
    G.remove_edge(0, 1)                                # one edge short of the threshold
    assert count(G) == "networkx"


def test_explicit_choices_and_their_errors() -> None:
    small = nx.MultiDiGraph([(0, 1)])
    assert count(small, backend="compiled") == "compiled"
    assert count(small, backend="networkx") == "networkx"
    with pytest.raises(QueryError, match="does not read floor"):
        count(small, floor="reported", backend="compiled")
    with pytest.raises(QueryError, match="has no compiled form"):
        local_only(small, backend="compiled")
    with pytest.raises(QueryError, match="unknown backend 'plain'"):
        count(small, backend="plain")
    with pytest.raises(QueryError, match="needs a Neo4jGraph"):
        count(small, backend="neo4j")


def test_a_server_handle_goes_to_the_native_form() -> None:
    handle = Neo4jGraph(driver=None, dataset="d2")
    assert count(handle) == "neo4j:d2"
    assert count(handle, backend="neo4j") == "neo4j:d2"
    with pytest.raises(QueryError, match="load it"):
        count(handle, backend="networkx")
    with pytest.raises(QueryError, match="no native Neo4j form"):
        local_only(handle)


def test_the_choice_is_logged_not_counted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="oretrace.dispatch"):
        count(nx.MultiDiGraph([(0, 1)]), backend="compiled")
    assert [(r.query, r.backend) for r in caplog.records] == [("count", "compiled")]  # type: ignore[attr-defined]
    assert chosen_backend(count, nx.MultiDiGraph([(0, 1)])) == "networkx"


def test_signature_shows_backend_and_keeps_the_docstring() -> None:
    params = inspect.signature(count).parameters
    assert list(params) == ["G", "floor", "backend"]
    assert params["backend"].default == "auto"
    assert count.__doc__ == "Reference."


def test_graph_cache_is_emptied_when_the_structure_changes() -> None:
    G = nx.MultiDiGraph([(0, 1)])
    graph_cache(G, "t")["k"] = 1
    assert graph_cache(G, "t") == {"k": 1}
    G.add_edge(1, 2)
    assert graph_cache(G, "t") == {}
    assert graph_cache(object(), "t") == {}            # no cache to keep it in


def test_failures_are_kept_per_graph_until_its_structure_changes() -> None:
    """MINI's Chinese facilities are cn-mine and cn-sep (tests/data/mini). A CN plant added
    after a first answer is in the next one (the graph's cache is emptied on the change); a
    caller changing the list it got changes nothing; a dated view is read afresh."""
    from conftest import MINI
    from oretrace.graphmodel import at
    from oretrace.loaders import load_dataset
    from oretrace.queries._feasibility_network import resolve_failures

    G = load_dataset(MINI)
    first = resolve_failures(G, ["country:CN"])["country:CN"]
    assert sorted(first) == ["cn-mine", "cn-sep"]
    first.append("bogus")
    assert sorted(resolve_failures(G, ["country:CN"])["country:CN"]) == ["cn-mine", "cn-sep"]
    G.add_node("cn-new", kind="facility", country="CN", stage="metal", products=["x"])
    assert "cn-new" in resolve_failures(G, ["country:CN"])["country:CN"]
    V = at(G, "2026-11-24")  # a view: its graph may change under it
    assert "cn-later" not in resolve_failures(V, ["country:CN"])["country:CN"]
    G.add_node("cn-later", kind="facility", country="CN", stage="metal", products=["x"])
    assert "cn-later" in resolve_failures(V, ["country:CN"])["country:CN"]
