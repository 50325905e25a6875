"""Export to node-link JSON and GraphML, and reading JSON back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import networkx as nx
from oretrace.graphmodel import read_json, write_graphml, write_json
from oretrace.loaders import load_dataset


def same_graph(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> bool:
    return (dict(a.nodes(data=True)) == dict(b.nodes(data=True))
            and sorted((u, v, k, sorted(d.items())) for u, v, k, d in a.edges(keys=True, data=True))
            == sorted((u, v, k, sorted(d.items())) for u, v, k, d in b.edges(keys=True, data=True)))


def test_json_round_trip_is_exact(mini_copy: Callable[..., Path], tmp_path: Path) -> None:
    G = load_dataset(mini_copy())
    H = read_json(write_json(G, tmp_path / "g.json"))
    assert same_graph(G, H)
    assert H.graph["sources"] == G.graph["sources"]


def test_graphml_opens_with_every_node_edge_and_attribute(
        mini_copy: Callable[..., Path], tmp_path: Path) -> None:
    G = load_dataset(mini_copy())
    H = nx.read_graphml(write_graphml(G, tmp_path / "g.graphml"))
    assert H.number_of_nodes() == G.number_of_nodes() == 15
    assert H.number_of_edges() == G.number_of_edges() == 18
    assert H.nodes["us-sep"]["online_from"] == "2027-01-01"
    assert H.nodes["us-sep"]["stage"] == "separation"
    assert H.nodes["magnet"]["elements"] == '{"Nd": 0.267}'
