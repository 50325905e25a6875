"""Witness paths on arrays (issue 15) against networkx's own Yen on the layered graph.

``witness_paths`` replays, on integer arrays, the searches ``nx.shortest_simple_paths``
runs on a layered copy of the needed-supply graph (which of several equally short paths
comes first depends on both search fringes, so on nodes off the short paths too). The
oracle below builds that layered ``nx.DiGraph`` the plain way, level by level, and asks
networkx; the two must give the same paths in the same order, on random graphs full of ties
(cycles, self-loops, mixed confidence, zero to two waypoint sets, given starts or not) and on
generated networks' needed-supply graphs.
"""

from __future__ import annotations

import random
from itertools import islice
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, weakest
from oretrace.loaders import load_dataset
from oretrace.loaders.synth import generate_network, write_network
from oretrace.queries._exposure_paths import witness_paths
from oretrace.queries.exposure import find_exposed, supply_graph
from oretrace.queries.predicates import CN_PROCESSING

LEVELS = ["documented", "reported", "estimated", "illustrative"]


def _oracle(H: nx.DiGraph, target: str, waypoints: list[set[str]], k: int,
            starts: set[str] | None = None) -> list[tuple[list[str], Confidence]]:
    """Per level, strongest first: the subgraph that strong, where supply begins there (its
    source components, by nx.condensation), the layered copy of the part reaching
    ``target`` (hops added in node order, then each node's successor order), and the
    first paths of ``nx.shortest_simple_paths`` on it."""
    position = {n: i for i, n in enumerate(H)}
    found: list[tuple[list[str], Confidence]] = []
    m = len(waypoints)

    def advance(state: int, node: str) -> int:
        while state < m and node in waypoints[state]:
            state += 1
        return state

    for floor in sorted(set(CONFIDENCE_ORDER.values()), reverse=True):
        ok = [n for n, d in H.nodes(data=True)
              if d.get("product") or CONFIDENCE_ORDER[d["confidence"]] >= floor]
        S = nx.DiGraph(H.subgraph(ok).edge_subgraph(
            [(u, v) for u, v, d in H.subgraph(ok).edges(data=True)
             if CONFIDENCE_ORDER[d["confidence"]] >= floor]))
        if target not in S:
            continue
        upstream = nx.ancestors(S, target) - {target}
        if starts is None:
            C = nx.condensation(S.subgraph(upstream))
            begin = {n for c in C if C.in_degree(c) == 0 for n in C.nodes[c]["members"]}
            keep = upstream | {target}
        else:
            begin = starts & upstream
            keep = set(begin)
            for b in begin:
                keep |= nx.descendants(S.subgraph(upstream | {target}), b)
        if not begin:
            continue
        L = nx.DiGraph()
        for s in sorted(begin, key=position.__getitem__):
            L.add_edge(("", -1), (s, advance(0, s)))
        for u in sorted(keep, key=position.__getitem__):
            for v in H._succ[u]:
                if v in keep and S.has_edge(u, v):
                    for state in range(m + 1):
                        L.add_edge((u, state), (v, advance(state, v)))
        goal = (target, m)
        if goal not in L or not nx.has_path(L, ("", -1), goal):
            continue
        for walk in islice(nx.shortest_simple_paths(L, ("", -1), goal), k + len(found)):
            path = [n for n, _ in walk[1:]]
            if path in [p for p, _ in found]:
                continue
            levels = [H.nodes[n]["confidence"] for n in path if not H.nodes[n].get("product")]
            levels += [H.edges[u, v]["confidence"]
                       for u, v in zip(path, path[1:], strict=False)]
            found.append((path, weakest(levels)))
            if len(found) >= k:
                return found
    return found


def _random_graph(rng: random.Random) -> tuple[nx.DiGraph, list[str]]:
    """Up to 24 facilities in a shuffled order, dense enough for many equally short paths,
    with self-loops and cycles, feeding product ``T`` through one to three makers."""
    names = [f"f{i}" for i in range(rng.randint(2, 24))]
    rng.shuffle(names)
    H = nx.DiGraph()
    for n in names:
        H.add_node(n, confidence=rng.choice(LEVELS), sources=[])
    density = rng.uniform(0.05, 0.4)
    for u in names:
        for v in names:
            if (u != v and rng.random() < density) or (u == v and rng.random() < 0.03):
                H.add_edge(u, v, confidence=rng.choice(LEVELS), products=[], sources=[])
    H.add_node("T", confidence="documented", sources=[], product=True)
    for maker in rng.sample(names, rng.randint(1, min(3, len(names)))):
        H.add_edge(maker, "T", confidence="documented", products=["T"], sources=[])
    return H, names


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_witness_paths_equal_networkx_yen_on_random_graphs(seed: int) -> None:
    rng = random.Random(seed)
    H, names = _random_graph(rng)
    waypoints = [set(rng.sample(names, rng.randint(0, len(names))))
                 for _ in range(rng.choice([0, 1, 1, 2]))]
    starts = set(rng.sample(names, rng.randint(1, len(names)))) if rng.random() < 0.4 else None
    k = rng.randint(1, 6)
    assert witness_paths(H, "T", waypoints, k, starts=starts) == _oracle(
        H, "T", waypoints, k, starts)


def test_the_oracle_sees_ties_broken_by_the_far_side() -> None:
    """The oracle is not trivial: on the random graphs, most cases yield several paths."""
    several = 0
    for seed in range(200):
        rng = random.Random(seed)
        H, names = _random_graph(rng)
        several += len(_oracle(H, "T", [set(rng.sample(names, len(names) // 2))], 4)) > 1
    assert several > 100


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_witness_paths_equal_networkx_yen_on_generated_networks(seed: int, tmp_path: Path
                                                                ) -> None:
    """Each platform of a generated network, through its Chinese processors, from where
    supply begins and from those processors (as find_where_used starts)."""
    write_network(generate_network(300, seed=seed), tmp_path)
    G = load_dataset(tmp_path)
    targets = [e.platform for e in find_exposed(G, CN_PROCESSING, as_of="2026-11-24")]
    H = supply_graph(G, targets=targets)
    matched = CN_PROCESSING.select(G) & set(H)
    assert targets
    for target in targets:
        hits = nx.ancestors(H, target) & matched
        for starts in (None, hits):
            assert witness_paths(H, target, [hits], 4, starts=starts) == _oracle(
                H, target, [hits], 4, starts)


@pytest.mark.parametrize("seed", [4, 5])
def test_compiled_answers_equal_the_plain_ones_on_generated_networks(seed: int,
                                                                     tmp_path: Path) -> None:
    """The compiled engine reads the needed-supply graph as arrays kept with the compiled
    form (products asked about added per call, a product's hops cut at its makers): the
    same answers as the plain engine, paths and their order included, for every platform
    and for where-used of a separator, a company and a product."""
    from oretrace.queries.exposure import find_where_used

    write_network(generate_network(300, seed=seed), tmp_path)
    G = load_dataset(tmp_path)
    day = "2026-11-24"
    assert find_exposed(G, "any", as_of=day, k=4, backend="compiled") == find_exposed(
        G, "any", as_of=day, k=4, backend="networkx")
    separator = next(n for n, d in G.nodes(data=True)
                     if d.get("kind") == "facility" and d.get("stage") == "separation")
    company = G.nodes[separator]["company"]
    product = G.nodes[separator]["products"][0]
    for node in (separator, company, product):
        plain = find_where_used(G, node, as_of=day, k=4, backend="networkx")
        assert plain
        assert find_where_used(G, node, as_of=day, k=4, backend="compiled") == plain


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_upstream_among_is_networkx_ancestors_from_either_side(seed: int) -> None:
    """Where-used reads, per product, which of the node's facilities lie upstream of it; it
    walks down from those facilities when they are fewer than the products, else up from
    each product: both must be ``nx.ancestors(H, t) & among``."""
    from oretrace.queries._exposure_paths import upstream_among
    from oretrace.queries._exposure_yen import Hops

    rng = random.Random(seed)
    H, names = _random_graph(rng)
    for extra in range(rng.randint(0, 3)):  # more products, fed by some facilities
        H.add_node(f"P{extra}", confidence="documented", sources=[], product=True)
        for maker in rng.sample(names, rng.randint(0, min(2, len(names)))):
            H.add_edge(maker, f"P{extra}", confidence="documented", products=[], sources=[])
    targets = [n for n, d in H.nodes(data=True) if d.get("product")]
    hops = Hops.of(H)
    for among in (set(rng.sample(names, 1)), set(rng.sample(names, rng.randint(0, len(names)))),
                  set(names)):
        assert upstream_among(hops, targets, among) == {
            t: nx.ancestors(H, t) & among for t in targets}


def test_compiled_exposure_keeps_each_predicates_own_selection(tmp_path: Path) -> None:
    """The compiled engine keeps the facilities a predicate selects at a date for the next
    question: asked in turn, and again, each predicate (and a custom test, which is not
    kept) gets the plain engine's answer, not another's."""
    from oretrace.queries.predicates import Predicate

    write_network(generate_network(300, seed=6), tmp_path)
    G = load_dataset(tmp_path)
    day = "2026-11-24"
    mining = Predicate("mines", lambda V: {n for n, d in V.nodes(data=True)
                                           if d.get("stage") == "mining"})
    asked = ["cn-processing", "cn-owned", "cn-technology", "cn-mining", mining]
    plain = [find_exposed(G, p, as_of=day, backend="networkx") for p in asked]
    assert len({tuple(tuple(e.through) for e in answer) for answer in plain}) == len(asked)
    for _ in range(2):
        assert [find_exposed(G, p, as_of=day, backend="compiled") for p in asked] == plain
