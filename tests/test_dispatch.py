"""The public queries give the same answers on both backends, and ``auto`` picks by size.

Each wired query (:func:`oretrace.queries.feasibility.simulate`,
:func:`oretrace.queries.chokepoints.find_single_points_of_failure` and ``rank_chokepoints``,
:func:`oretrace.queries.content.origin_share`, :func:`oretrace.queries.exposure.find_exposed` and
``find_where_used``) runs with ``backend="networkx"`` (the reference) and
``backend="compiled"`` (the ``oretrace.queries._compiled_*`` modules) on the bundled data and on
a synthetic industrial base of 2,200 facilities (:mod:`oretrace.loaders.synth`, loaded with
:func:`oretrace.loaders.load_dataset`, above
:data:`oretrace.queries._dispatch.COMPILED_MIN_EDGES` edges),
over several dates, a country failure, the ``cn-denies-military`` policy, substitutions and
the three levels, and the answers must agree field by field: exactly, except floats, which
agree to 1e-9 relative (the compiled roll-up sums in another order than ``spsolve``).

The backend that answered is read from the DEBUG log of the ``oretrace.dispatch`` logger (its
records carry ``query`` and ``backend``), never from timing. Hand-drawn cases on
``tests/data/mini`` pin what the compiled backend answers.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from oretrace.graphmodel import QueryError
from oretrace.loaders import load_dataset
from oretrace.loaders.synth import generate_network, write_network
from oretrace.queries import _dispatch, chokepoints, content, exposure, feasibility
from oretrace.queries._dispatch import COMPILED_MIN_EDGES, chosen_backend

MINI = Path(__file__).parent / "data" / "mini"
SUBSTITUTE_LINES = [  # Tb for Dy in NdFeB alloy; a second component for a first one
    {"product": "ndfeb-alloy", "input": "tb-metal", "qty": "0.02",
     "substitute_for": "dy-metal", "sources": "SYN", "confidence": "illustrative"},
    {"product": "subsystem-001", "input": "component-004", "qty": "7",
     "substitute_for": "component-003", "sources": "SYN", "confidence": "illustrative"},
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    """2,200 facilities, 4 platforms (seed 1), with two substitute lines added to the bill
    of materials so that substitutions can be exercised."""
    net = generate_network(2200, seed=1, suppliers=15, platforms=4)
    bom = net.tables["bom"].assign(substitute_for="")
    net.tables["bom"] = pd.concat([bom, pd.DataFrame(SUBSTITUTE_LINES)], ignore_index=True)
    G = load_dataset(write_network(net, tmp_path_factory.mktemp("dispatch")))
    assert G.number_of_edges() >= COMPILED_MIN_EDGES  # what "auto" reads
    return G


@pytest.fixture
def runs(caplog: pytest.LogCaptureFixture) -> Callable[[], dict[tuple[str, str], int]]:
    """The queries run on each backend since the test began, ``(query, backend)`` → count,
    read from the DEBUG records of the ``oretrace.dispatch`` logger."""
    caplog.set_level(logging.DEBUG, logger="oretrace.dispatch")
    return lambda: dict(Counter((getattr(r, "query"), getattr(r, "backend"))  # noqa: B009
                                for r in caplog.records if r.name == "oretrace.dispatch"))


def makers_of(G: nx.MultiDiGraph, product: str) -> list[str]:
    return [n for n, d in G.nodes(data=True)
            if d.get("kind") == "facility" and product in d.get("products", ())]


# --------------------------------------------------------------------------- comparing


def plain_data(x: Any) -> Any:
    """Results as plain data: pydantic models dumped, frames as records plus their attrs."""
    if hasattr(x, "model_dump"):
        return x.model_dump()
    if isinstance(x, pd.DataFrame):
        return {"columns": list(x.columns), "rows": x.to_dict("records"), "attrs": x.attrs}
    if isinstance(x, list):
        return [plain_data(v) for v in x]
    return x


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ: exactly, but floats to 1e-9 relative (nan equals nan)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{where}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return []
        return [f"{where}: {a!r} != {b!r}"]
    return [] if a == b and type(a) is type(b) else [f"{where}: {a!r} != {b!r}"]


def assert_backends_agree(query: Callable[..., Any], G: nx.MultiDiGraph, *args: Any,
                         **kw: Any) -> Any:
    """Run ``query`` on both backends; assert the answers agree; return the networkx one."""
    plain = query(G, *args, backend="networkx", **kw)
    fast = query(G, *args, backend="compiled", **kw)
    found = differences(plain_data(plain), plain_data(fast))
    assert not found, "\n".join(found[:10])
    return plain


# --------------------------------------------------------------------------- bundled


BUNDLED_DATES = ("2025-06-01", "2026-11-24", "2027-06-01")
SCENARIOS: list[dict[str, Any]] = [
    {},
    {"fail": ["country:CN"]},
    {"policy": "cn-denies-military"},
    {"substitutions": True},
    {"fail": ["country:JP"], "policy": "cn-denies-military", "substitutions": True},
]


@pytest.mark.parametrize("as_of", BUNDLED_DATES)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: ",".join(s) or "base")
def test_simulate_agrees_on_the_bundled_data(bundled: nx.MultiDiGraph, as_of: str,
                                             scenario: dict[str, Any]) -> None:
    assert_backends_agree(feasibility.simulate, bundled, as_of=as_of, **scenario)


@pytest.mark.parametrize("as_of", BUNDLED_DATES)
@pytest.mark.parametrize("level", feasibility.LEVELS)
@pytest.mark.parametrize("scenario", SCENARIOS[:3] + SCENARIOS[4:],
                         ids=lambda s: ",".join(s) or "base")
def test_single_points_and_rank_agree_on_the_bundled_data(
        bundled: nx.MultiDiGraph, as_of: str, level: str, scenario: dict[str, Any]) -> None:
    assert_backends_agree(chokepoints.find_single_points_of_failure, bundled, as_of=as_of,
                         level=level, **scenario)
    assert_backends_agree(chokepoints.rank_chokepoints, bundled, as_of=as_of, level=level,
                         **scenario)


@pytest.mark.parametrize("as_of", BUNDLED_DATES)
@pytest.mark.parametrize("options", [
    {"by": "mass"}, {"by": "value"}, {"element": "Dy", "by": "value"},
    {"element": ["Nd", "Pr"], "stages": ["mine"]},
    {"by": "value", "categories": ["oxide", "metal", "alloy", "magnet"]},
    {"origin": "US"},
], ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_origin_share_agrees_on_the_bundled_data(bundled: nx.MultiDiGraph, as_of: str,
                                                 options: dict[str, Any]) -> None:
    for product in ("F-35", "Virginia", "Tomahawk", "f35-eha"):
        assert_backends_agree(content.origin_share, bundled, product, as_of=as_of, **options)


@pytest.mark.parametrize("as_of", ("2022-08-19", *BUNDLED_DATES))
def test_exposure_agrees_on_the_bundled_data(bundled: nx.MultiDiGraph, as_of: str) -> None:
    for name in ("any", "cn-processing", "cn-owned", "cn-technology"):
        for k in (1, 3):
            assert_backends_agree(exposure.find_exposed, bundled, name, as_of=as_of, k=k)


@pytest.mark.parametrize("as_of", ("2026-11-24",))
def test_where_used_agrees_on_the_bundled_data(bundled: nx.MultiDiGraph, as_of: str) -> None:
    """Every facility, company, technology and product of the data as the node."""
    nodes = [n for n, d in bundled.nodes(data=True)
             if d.get("kind") in ("facility", "company", "technology", "product")]
    for node in nodes:
        assert_backends_agree(exposure.find_where_used, bundled, node, as_of=as_of)


# --------------------------------------------------------------------------- synthetic


def dy_metal_lost(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Every facility making Dy metal fails; alloy plants may take Tb metal instead."""
    return {"fail": makers_of(G, "dy-metal"), "substitutions": True}


@pytest.mark.parametrize(("as_of", "scenario"), [
    ("2024-06-01", {}),
    ("2026-11-24", {"fail": ["country:CN"]}),
    ("2026-11-24", {"policy": "cn-denies-military"}),
    ("2027-06-01", "dy"),
], ids=["base", "china-lost", "policy", "dy-lost-substituted"])
def test_simulate_agrees_on_a_synthetic_network(synthetic: nx.MultiDiGraph, as_of: str,
                                                scenario: Any) -> None:
    kw = dy_metal_lost(synthetic) if scenario == "dy" else scenario
    plain = assert_backends_agree(feasibility.simulate, synthetic, as_of=as_of, **kw)
    if scenario == "dy":  # the scenario does exercise substitutes
        assert plain.substitutions


@pytest.mark.parametrize(("as_of", "level", "scenario"), [
    ("2024-06-01", "facility", {}),
    ("2026-11-24", "company", "dy"),
    ("2027-06-01", "country", {"fail": ["country:JP"]}),
])
def test_single_points_agree_on_a_synthetic_network(
        synthetic: nx.MultiDiGraph, as_of: str, level: str, scenario: Any) -> None:
    kw = dy_metal_lost(synthetic) if scenario == "dy" else scenario
    assert_backends_agree(chokepoints.find_single_points_of_failure, synthetic, as_of=as_of,
                         level=level, **kw)


def test_rank_chokepoints_agrees_on_a_synthetic_network(synthetic: nx.MultiDiGraph) -> None:
    table = assert_backends_agree(chokepoints.rank_chokepoints, synthetic, as_of="2027-06-01",
                                 level="facility", **dy_metal_lost(synthetic))
    assert len(table) > 0


@pytest.mark.parametrize(("product", "as_of", "options"), [
    ("platform-00", "2026-11-24", {"by": "value"}),
    ("subsystem-001", "2024-06-01", {"element": "Dy", "stages": ["mine", "separation"],
                                     "categories": ["magnet"]}),
])
def test_origin_share_agrees_on_a_synthetic_network(
        synthetic: nx.MultiDiGraph, product: str, as_of: str, options: dict[str, Any]) -> None:
    assert_backends_agree(content.origin_share, synthetic, product, as_of=as_of, **options)


def test_exposure_agrees_on_a_synthetic_network(synthetic: nx.MultiDiGraph) -> None:
    """Thousands of suppliers per platform: many equally short witness paths to choose from."""
    found = assert_backends_agree(exposure.find_exposed, synthetic, "cn-processing",
                                 as_of="2026-11-24")
    assert found and all(len(e.paths) == 3 for e in found)


def test_where_used_agrees_on_a_synthetic_network(synthetic: nx.MultiDiGraph) -> None:
    """A product as the node: its makers' first hop must carry it."""
    found = assert_backends_agree(exposure.find_where_used, synthetic, "ndfeb-alloy",
                                 as_of="2027-06-01")
    assert found


# --------------------------------------------------------------------------- auto


AUTO_CALLS: dict[str, Callable[[nx.MultiDiGraph, str], Any]] = {
    "simulate": lambda G, p: feasibility.simulate(G, fail=["country:CN"], as_of="2026-11-24"),
    "find_single_points_of_failure": lambda G, p: chokepoints.find_single_points_of_failure(
        G, as_of="2026-11-24"),
    "rank_chokepoints": lambda G, p: chokepoints.rank_chokepoints(G, as_of="2026-11-24"),
    "origin_share": lambda G, p: content.origin_share(G, p, as_of="2026-11-24"),
    "find_exposed": lambda G, p: exposure.find_exposed(G, "cn-processing", as_of="2026-11-24"),
    "find_where_used": lambda G, p: exposure.find_where_used(G, p, as_of="2026-11-24"),
}


@pytest.mark.parametrize("query", list(AUTO_CALLS))
def test_auto_picks_compiled_above_the_threshold_and_networkx_below(
        synthetic: nx.MultiDiGraph, bundled: nx.MultiDiGraph, query: str,
        runs: Callable[[], dict[tuple[str, str], int]]) -> None:
    """The synthetic graph has more than COMPILED_MIN_EDGES = 50,000 edges, the bundled one
    a few hundred (both counted in the fixtures, not by the code under test)."""
    assert bundled.number_of_edges() < COMPILED_MIN_EDGES
    AUTO_CALLS[query](synthetic, "platform-00")
    assert runs() == {(query, "compiled"): 1}
    AUTO_CALLS[query](bundled, "F-35")
    assert runs() == {(query, "compiled"): 1, (query, "networkx"): 1}


def test_auto_switches_at_the_threshold_itself(
        monkeypatch: pytest.MonkeyPatch, runs: Callable[[], dict[tuple[str, str], int]]) -> None:
    """The mini dataset has 18 edges: 6 supplies, 4 requires (bill of materials), 1 owns,
    6 operates (every facility but jp-mag has an operator) and 1 uses (cn-sep runs cn-sx).
    A threshold of 18 picks compiled; 19 picks networkx."""
    G = load_dataset(MINI)
    edges = 6 + 4 + 1 + 6 + 1
    assert G.number_of_edges() == edges
    monkeypatch.setattr(_dispatch, "COMPILED_MIN_EDGES", edges)
    feasibility.simulate(G, as_of="2026-06-01")
    monkeypatch.setattr(_dispatch, "COMPILED_MIN_EDGES", edges + 1)
    feasibility.simulate(G, as_of="2026-06-01")
    assert runs() == {("simulate", "compiled"): 1, ("simulate", "networkx"): 1}


def test_auto_counts_parallel_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two supply links between the same two facilities (two products) are two edges: with
    a threshold of 2 the graph is large enough; with 3 it is not."""
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", key="supplies:x")
    G.add_edge("a", "b", key="supplies:y")
    monkeypatch.setattr(_dispatch, "COMPILED_MIN_EDGES", 2)
    assert chosen_backend(feasibility.simulate, G) == "compiled"
    monkeypatch.setattr(_dispatch, "COMPILED_MIN_EDGES", 3)
    assert chosen_backend(feasibility.simulate, G) == "networkx"


def test_min_confidence_keeps_auto_on_networkx_and_refuses_compiled(
        monkeypatch: pytest.MonkeyPatch, runs: Callable[[], dict[tuple[str, str], int]]) -> None:
    """The compiled form reads a date, not a confidence floor: with ``min_confidence`` auto
    stays on networkx even above the threshold (here 0 edges), and compiled is refused."""
    G = load_dataset(MINI)
    monkeypatch.setattr(_dispatch, "COMPILED_MIN_EDGES", 0)
    content.origin_share(G, "missile", as_of="2026-06-01", min_confidence="illustrative")
    exposure.find_exposed(G, as_of="2026-06-01", min_confidence="illustrative")
    content.origin_share(G, "missile", as_of="2026-06-01")
    assert runs() == {("origin_share", "networkx"): 1, ("find_exposed", "networkx"): 1,
                      ("origin_share", "compiled"): 1}
    with pytest.raises(QueryError, match="min_confidence"):
        exposure.find_where_used(G, "cn-sep", min_confidence="illustrative",
                                 backend="compiled")


@pytest.mark.parametrize("backend", ["auto", "networkx", "compiled"])
def test_a_misspelt_option_is_refused_whichever_backend_answers(
        monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """``fial=`` for ``fail=`` is a TypeError as Python's own, not a scenario in which
    nothing fails: the compiled forms take ``**scenario`` and would pass it over. With a
    threshold of 0 edges, auto would pick compiled."""
    G = load_dataset(MINI)
    monkeypatch.setattr(_dispatch, "COMPILED_MIN_EDGES", 0)
    with pytest.raises(TypeError, match=r"^simulate\(\) got an unexpected keyword argument "
                                        "'fial'"):
        feasibility.simulate(G, fial=["country:CN"], as_of="2026-06-01", backend=backend)
    with pytest.raises(TypeError, match=r"^origin_share\(\) missing .*'product'"):
        content.origin_share(G, backend=backend)  # type: ignore[call-arg]


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(QueryError, match="unknown backend 'fast'"):
        feasibility.simulate(load_dataset(MINI), backend="fast")


# --------------------------------------------------------------------------- by hand


def test_compiled_simulate_on_the_mini_network_by_hand() -> None:
    """Mini: cn-mine → cn-sep → jp-mag → us-comp → us-asm → missile; us-mine → us-sep →
    jp-mag from 2027-01-01 (us-sep is planned for that date). On 2026-06-01 losing China
    (cn-mine, cn-sep) leaves jp-mag without oxide, so only us-mine is supplied and the
    missile is lost; on 2027-06-01 us-sep meets jp-mag's oxide need and the missile flies."""
    G = load_dataset(MINI)
    before = feasibility.simulate(G, fail=["country:CN"], as_of="2026-06-01", backend="compiled")
    assert before.failed == ["cn-mine", "cn-sep"]
    assert before.supplied_facilities == ["us-mine"]
    assert before.unsupplied == ["missile"]
    after = feasibility.simulate(G, fail=["country:CN"], as_of="2027-06-01", backend="compiled")
    assert after.supplied == ["missile"]
    assert after.unsupplied_facilities == ["cn-mine", "cn-sep"]


def test_compiled_single_points_on_the_mini_network_by_hand() -> None:
    """On 2026-06-01 the chain is a single line: every facility on it stops the missile,
    listed by stage (mine, separation, magnet, component, assembly). On 2027-06-01 oxide
    comes from cn-sep or us-sep, crit = {cn-sep, cn-mine} ∩ {us-sep, us-mine} = ∅ there,
    leaving jp-mag, us-comp, us-asm; by country {CN} ∩ {US} = ∅, leaving JP and US."""
    G = load_dataset(MINI)
    [line] = chokepoints.find_single_points_of_failure(G, as_of="2026-06-01", backend="compiled")
    assert line.nodes == ["cn-mine", "cn-sep", "jp-mag", "us-comp", "us-asm"]
    [later] = chokepoints.find_single_points_of_failure(G, as_of="2027-06-01", backend="compiled")
    assert later.nodes == ["jp-mag", "us-comp", "us-asm"]
    [countries] = chokepoints.find_single_points_of_failure(G, as_of="2027-06-01",
                                                            level="country", backend="compiled")
    assert countries.nodes == ["JP", "US"]


def test_compiled_origin_share_on_the_mini_network_by_hand() -> None:
    """On 2027-06-01 jp-mag takes 60 % of its oxide from cn-sep (Chinese: share 1) and 40 %
    from us-sep (fed by us-mine: share 0): 0.6 of its Nd is Chinese, and so of the missile's.
    By value, a kg of magnet holds 0.312 kg of oxide at 70 $/kg, 60 % Chinese:
    0.312 · 0.6 · 70 = 13.104 $, 13.104 % of its 100 $."""
    G = load_dataset(MINI)
    missile = content.origin_share(G, "missile", as_of="2027-06-01", backend="compiled")
    assert missile.share == pytest.approx(0.6, abs=1e-12)
    magnet = content.origin_share(G, "magnet", by="value", as_of="2027-06-01",
                                  backend="compiled")
    assert magnet.value_usd == pytest.approx(13.104, abs=1e-9)
    assert magnet.share == pytest.approx(0.13104, abs=1e-12)


def test_compiled_exposure_and_where_used_on_the_mini_network_by_hand() -> None:
    """cn-sep (Chinese, separation) is upstream of the missile: one path from the mine.
    The ore is made by cn-mine and us-mine; on 2027-06-01 both reach the missile, each
    by one path of five hops."""
    G = load_dataset(MINI)
    [exposed] = exposure.find_exposed(G, "cn-processing", as_of="2027-06-01",
                                      backend="compiled")
    assert exposed.through == ["cn-sep"]
    assert exposed.paths == [["cn-mine", "cn-sep", "jp-mag", "us-comp", "us-asm", "missile"]]
    [used] = exposure.find_where_used(G, "ore", as_of="2027-06-01", backend="compiled")
    assert used.via == ["cn-mine", "us-mine"]
    assert sorted(used.paths) == [["cn-mine", "cn-sep", "jp-mag", "us-comp", "us-asm",
                                   "missile"],
                                  ["us-mine", "us-sep", "jp-mag", "us-comp", "us-asm",
                                   "missile"]]


# --------------------------------------------------------------------------- ties, notes


def copy_mini(target: Path, **extra_rows: str) -> Path:
    """The mini dataset copied to ``target``, with ``extra_rows`` appended to files
    (``facilities="row"`` appends to facilities.csv; a row starting with ``^`` goes first)."""
    shutil.copytree(MINI, target)
    for name, row in extra_rows.items():
        path = target / f"{name}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        lines = [lines[0], row[1:], *lines[1:]] if row.startswith("^") else [*lines, row]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def test_equal_witness_paths_follow_the_graph_order_not_set_order(tmp_path: Path) -> None:
    """A second Chinese mine also feeds cn-sep: the paths from the two mines are equally
    short. They are listed in the order the facilities come in the graph — so a graph
    built on part of the facilities (the compiled engine's) lists them as the whole one
    does, in every process. Listing the new mine first in facilities.csv flips the order."""
    mine = "cn-mine2,CN mine 2,cn-co,CN,mine,ore,10,t/yr,operating,,,,hand,illustrative"
    link = "cn-mine2,cn-sep,ore,0,,,hand,illustrative"
    for first, expected in ((False, ["cn-mine", "cn-mine2"]), (True, ["cn-mine2", "cn-mine"])):
        G = load_dataset(copy_mini(tmp_path / str(first), supplies=link,
                                   facilities=("^" if first else "") + mine))
        for backend in ("networkx", "compiled"):
            [e] = exposure.find_exposed(G, "cn-processing", as_of="2026-06-01", k=2,
                                        backend=backend)
            assert [p[0] for p in e.paths] == expected


def test_value_notes_name_only_items_in_the_products_chain(tmp_path: Path) -> None:
    """A Chinese plant making an unpriced Nd alloy that supplies nobody is no part of the
    missile's chain: the value share says nothing about it (the compiled engine never sees
    that plant, and the plain one no longer mentions it either)."""
    G = load_dataset(copy_mini(
        tmp_path / "data", products="nd-alloy,Nd alloy,alloy,Nd=0.3,kg,,hand,illustrative",
        facilities="cn-alloy,CN alloy plant,cn-co,CN,alloy,nd-alloy,,,operating,,,,hand,"
                   "illustrative"))
    for backend in ("networkx", "compiled"):
        share = content.origin_share(G, "missile", by="value", as_of="2026-06-01",
                                     backend=backend)
        assert share.notes == []
