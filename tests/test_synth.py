"""The synthetic industrial base: deterministic by seed, valid, and shaped as published."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from oretrace.graphmodel import QueryError, needed_inputs, supply_edges
from oretrace.loaders import load_dataset, validate_dataset
from oretrace.loaders.synth import generate_network, write_network

N = 3000  # facilities: enough for the shares to settle, small enough to validate quickly


@pytest.fixture(scope="module")
def network_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_network(generate_network(N, seed=11), tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def graph(network_dir: Path) -> nx.MultiDiGraph:
    return load_dataset(network_dir)


def test_same_seed_same_bytes_other_seed_other_network(tmp_path: Path) -> None:
    a = write_network(generate_network(400, seed=5), tmp_path / "a")
    b = write_network(generate_network(400, seed=5), tmp_path / "b")
    c = write_network(generate_network(400, seed=6), tmp_path / "c")
    for name in ("facilities.csv", "supplies.csv", "companies.csv", "bom.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "supplies.csv").read_bytes() != (c / "supplies.csv").read_bytes()


def test_the_generated_dataset_validates_without_errors_or_gaps(network_dir: Path) -> None:
    """Every need has a supplier and every link carries a needed input: no warnings either."""
    assert [str(p) for p in validate_dataset(network_dir)] == []


def test_asked_facility_count_is_the_facility_count(graph: nx.MultiDiGraph) -> None:
    assert sum(1 for _, k in graph.nodes(data="kind") if k == "facility") == N


@pytest.mark.parametrize(("stage", "published"), [
    ("mine", 270 / 388.9),   # USGS MCS 2025: China 270 kt of 390 kt (less 1.1 kt "other")
    ("separation", 0.91),    # IEA, 23 Oct 2025
    ("magnet", 0.94),        # IEA, 23 Oct 2025
])
def test_chinese_share_of_each_stage_follows_the_published_share(
        graph: nx.MultiDiGraph, stage: str, published: float) -> None:
    """Countries are drawn per facility, so the count share is binomial: with 90 mines,
    60 separators and 120 magnet plants the standard error is at most ~6 points; allow 3 σ."""
    countries = [d["country"] for _, d in graph.nodes(data=True)
                 if d.get("kind") == "facility" and d.get("stage") == stage]
    share = countries.count("CN") / len(countries)
    sigma = (published * (1 - published) / len(countries)) ** 0.5
    assert abs(share - published) <= 3 * sigma + 1e-9


def test_about_fifteen_percent_of_needs_are_single_sourced(graph: nx.MultiDiGraph) -> None:
    """15 % are drawn single; a few more end single where a product has few makers. Counted
    here on the loaded graph (links live at any date), not from the generator's figures."""
    single = total = 0
    for f, d in graph.nodes(data=True):
        if d.get("kind") != "facility":
            continue
        for p in needed_inputs(graph, f):
            suppliers = {u for u, q, _ in supply_edges(graph, f) if q == p}
            total += 1
            single += len(suppliers) == 1
    assert 0.10 <= single / total <= 0.22


def test_supplier_popularity_is_heavy_tailed(graph: nx.MultiDiGraph) -> None:
    """Heavy tail: the top 1 % of suppliers carry far more than 1 % of the links (a uniform
    draw would give them ≈ 1 %, Poisson noise at most ≈ 2 %)."""
    out = np.array(sorted((sum(1 for _, _, k in graph.out_edges(f, keys=True)
                               if k.startswith("supplies:"))
                           for f, d in graph.nodes(data=True) if d.get("kind") == "facility"),
                          reverse=True))
    top = out[: max(1, len(out) // 100)].sum() / out.sum()
    assert top > 0.05


def test_recycling_makes_loops_in_the_needed_supply_graph(graph: nx.MultiDiGraph) -> None:
    H = nx.DiGraph((u, f) for f, d in graph.nodes(data=True) if d.get("kind") == "facility"
                   for u, _, _ in supply_edges(graph, f))
    loops = [c for c in nx.strongly_connected_components(H) if len(c) > 1]
    assert loops
    stages = {graph.nodes[f]["stage"] for c in loops for f in c}
    assert stages == {"magnet", "recycling"}


def test_some_links_skip_a_tier(graph: nx.MultiDiGraph) -> None:
    """Magnets straight into subsystems and components straight into final assembly."""
    hops = {(graph.nodes[u]["stage"], graph.nodes[v]["stage"])
            for u, v, k in graph.edges(keys=True) if k.startswith("supplies:")}
    assert ("magnet", "subsystem") in hops
    assert ("component", "assembly") in hops


def test_platforms_have_thousands_of_upstream_facilities(tmp_path: Path) -> None:
    """At 20 000 facilities the biggest platform draws on several thousand of them."""
    G = load_dataset(write_network(generate_network(20_000, seed=2, suppliers=4), tmp_path))
    H = nx.DiGraph((u, f) for f, d in G.nodes(data=True) if d.get("kind") == "facility"
                   for u, _, _ in supply_edges(G, f))
    sizes = [len(nx.ancestors(H, f)) for f, d in G.nodes(data=True)
             if d.get("stage") == "assembly"]
    assert max(sizes) >= 2000


def test_too_few_facilities_is_refused() -> None:
    with pytest.raises(QueryError, match="too few"):
        generate_network(20, seed=0)


def test_the_synth_command_writes_a_dataset_and_reports_it(tmp_path: Path) -> None:
    """``oretrace synth``: the figures it prints are those of the files it wrote (counted
    here from the CSV rows: a header and one line per facility or link)."""
    import json

    from typer.testing import CliRunner

    from oretrace.cli import make_app

    out = tmp_path / "net"
    result = CliRunner().invoke(make_app(), [
        "--format", "json", "synth", "--facilities", "250", "--seed", "9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    lines = {name: (out / f"{name}.csv").read_text(encoding="utf-8").splitlines()
             for name in ("facilities", "supplies")}
    assert report["facilities"] == len(lines["facilities"]) - 1 == 250
    assert report["supplies"] == len(lines["supplies"]) - 1
    assert [str(p) for p in validate_dataset(out) if p.severity == "error"] == []


def test_planned_links_never_repeat_an_existing_link(tmp_path: Path) -> None:
    """Seed 11 at 8,000 facilities once drew a planned link for a (need, supplier) pair that
    a dated switch already used: two open-ended rows of one link, which validation rejects."""
    write_network(generate_network(8000, seed=11), tmp_path)
    assert [str(p) for p in validate_dataset(tmp_path) if p.severity == "error"] == []
