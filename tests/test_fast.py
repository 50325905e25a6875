"""The fast loader: the same graph and the same located problems as the row-by-row path."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import oretrace.loaders.fast as fast
import pytest
from oretrace.graphmodel import DatasetError, build_graph
from oretrace.loaders import bundled_path, load_dataset, read_records
from oretrace.loaders.fast import load_dataset_fast, validate_dataset_fast
from oretrace.loaders.synth import generate_network, write_network

Edit = Callable[[list[str]], list[str]]


def cell(line_no: int, column: int, value: str) -> Edit:
    """Set the ``column``-th cell (1-based) of file line ``line_no`` (1-based)."""
    def edit(lines: list[str]) -> list[str]:
        cells = lines[line_no - 1].split(",")
        cells[column - 1] = value
        lines[line_no - 1] = ",".join(cells)
        return lines
    return edit


def assert_same_graph(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(keys=True, data=True)) == list(b.edges(keys=True, data=True))
    # each node's predecessors and their keys in the same order too (tie-breaks read them)
    assert [(v, [(u, list(keys)) for u, keys in a.pred[v].items()]) for v in a] == \
        [(v, [(u, list(keys)) for u, keys in b.pred[v].items()]) for v in b]
    assert a.graph["sources"] == b.graph["sources"]


def row_by_row(path: Path) -> tuple[nx.MultiDiGraph | None, list[str]]:
    records, problems = read_records(path)
    ok = not any(p.severity == "error" for p in problems)
    return (build_graph(records) if ok else None), [str(p) for p in problems]


def test_mini_and_bundled_load_to_identical_graphs(mini_copy: Callable[..., Path]) -> None:
    for path in (mini_copy(), bundled_path()):
        assert_same_graph(load_dataset_fast(path), row_by_row(path)[0])  # type: ignore[arg-type]


def test_a_synthetic_network_loads_to_the_identical_graph(tmp_path: Path) -> None:
    path = write_network(generate_network(600, seed=4), tmp_path)
    expected, problems = row_by_row(path)
    assert problems == []
    assert_same_graph(load_dataset_fast(path), expected)  # type: ignore[arg-type]


# Each case edits facilities.csv or supplies.csv of the mini dataset (the two tables the
# fast path reads column-wise); the problems must be exactly the row-by-row ones.
CASES: list[tuple[str, str, Edit]] = [
    ("unknown company", "facilities.csv", cell(2, 3, "nope")),
    ("two unknown products", "facilities.csv", cell(2, 6, "gold;ore;silver")),
    ("unknown technology", "facilities.csv", cell(4, 12, "magic")),
    ("bad country", "facilities.csv", cell(2, 4, "XX")),
    ("bad stage", "facilities.csv", cell(2, 5, "smelting")),
    ("bad date", "facilities.csv", cell(5, 10, "2027-13-01")),
    ("until before from", "facilities.csv", cell(5, 11, "2026-01-01")),
    ("negative capacity", "facilities.csv", cell(2, 7, "-5")),
    ("capacity in another form", "facilities.csv", cell(2, 7, "1e3")),
    ("spaces around a company", "facilities.csv", cell(2, 3, " cn-co ")),
    ("blank-looking company", "facilities.csv", cell(2, 3, "   ")),
    ("no products", "facilities.csv", cell(2, 6, " ; ")),
    ("bad confidence", "facilities.csv", cell(2, 14, "rumoured")),
    ("duplicate facility id", "facilities.csv",
     lambda ls: [*ls, "cn-mine,Again,,CN,mine,ore,,,,,,,hand,illustrative"]),
    ("facility id of a product", "facilities.csv",
     lambda ls: [*ls, "ore,Ore plant,,CN,mine,ore,,,,,,,hand,illustrative"]),
    ("extra column", "facilities.csv",
     lambda ls: [ls[0] + ",note", *(line + ", kept as is " for line in ls[1:])]),
    ("quoted name with comma and newline", "facilities.csv",
     lambda ls: [ls[0], ls[1].replace("CN mine", '"CN mine, ""old""\nsecond line"'), *ls[2:]]),
    ("blank rows", "facilities.csv", lambda ls: [ls[0], "", ls[1], ",,,, ,,,,,,,,,", *ls[2:]]),
    ("too many cells", "facilities.csv", lambda ls: [ls[0], ls[1] + ",x", *ls[2:]]),
    ("too few cells", "supplies.csv", lambda ls: [ls[0], "cn-mine,cn-sep", *ls[2:]]),
    ("byte order mark", "supplies.csv", lambda ls: ["\ufeff" + ls[0], *ls[1:]]),
    ("share above 1", "supplies.csv", cell(2, 4, "1.5")),
    ("share not a number", "supplies.csv", cell(2, 4, "most")),
    ("share in another form", "supplies.csv", cell(2, 4, "1e-0")),
    ("share with spaces", "supplies.csv", cell(4, 4, " 0.6 ")),
    ("shares above 1 from a date", "supplies.csv", cell(4, 4, "0.7")),
    ("shares above 1 always", "supplies.csv",
     lambda ls: [*ls, "us-mine,cn-sep,ore,0.5,,,hand,illustrative"]),
    ("end before start", "supplies.csv", cell(5, 6, "2026-01-01")),
    ("supplies itself", "supplies.csv", cell(2, 2, "cn-mine")),
    ("unknown supplier and product", "supplies.csv",
     lambda ls: [*ls, "ghost,cn-sep,unobtainium,0.1,,,hand,illustrative"]),
    ("supplier does not list product", "supplies.csv",
     lambda ls: [*ls, "us-mine,jp-mag,oxide,0.0,,,hand,illustrative"]),
    ("unknown source", "supplies.csv", cell(2, 7, "hand;nosuch;other")),
    ("no source", "supplies.csv", cell(2, 7, "")),
    ("buyer does not need it", "supplies.csv",
     lambda ls: [*ls, "cn-mine,us-comp,ore,0.5,,,hand,illustrative"]),
    ("data gap", "supplies.csv", lambda ls: [ls[0], *ls[2:]]),
    ("same link twice, last wins", "supplies.csv",
     lambda ls: [*ls, "cn-sep,jp-mag,oxide,0.2,2030-01-01,,hand,reported"]),
    ("two date windows of one link", "supplies.csv",
     lambda ls: [*cell(4, 6, "2028-01-01")(ls),
                 "cn-sep,jp-mag,oxide,0.5,2028-01-01,,hand,reported"]),
    ("a failed facility is not reported again as unknown", "facilities.csv",
     cell(2, 4, "XX")),
    ("facilities unreadable", "facilities.csv",
     lambda ls: [",".join(c for i, c in enumerate(line.split(",")) if i != 4) for line in ls]),
    ("unreadable quote", "supplies.csv", lambda ls: [*ls, 'a,"b'] + ['x"y,z']),
    ("missing column", "supplies.csv",
     lambda ls: [",".join(c for i, c in enumerate(line.split(",")) if i != 3) for line in ls]),
    ("empty file", "facilities.csv", lambda ls: ["  "]),
]


@pytest.mark.parametrize(("file", "edit"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problems_and_graph_are_those_of_the_row_by_row_path(
        mini_copy: Callable[..., Path], file: str, edit: Edit) -> None:
    path = mini_copy(file, edit)
    expected_graph, expected = row_by_row(path)
    assert [str(p) for p in validate_dataset_fast(path)] == expected
    if expected_graph is None:
        with pytest.raises(DatasetError) as info:
            load_dataset_fast(path)
        assert [str(p) for p in info.value.problems] == expected
    else:
        assert_same_graph(load_dataset_fast(path), expected_graph)


def test_a_bad_share_is_located_as_counted_by_hand(mini_copy: Callable[..., Path]) -> None:
    """Independent of the row path: cell (2, 4) of supplies.csv is cn-mine's share."""
    path = mini_copy("supplies.csv", cell(2, 4, "1.5"))
    assert any(p.startswith("supplies.csv:2:4: share:") and "not a fraction" in p
               for p in map(str, validate_dataset_fast(path)))


def test_unknown_products_are_located_as_counted_by_hand(
        mini_copy: Callable[..., Path]) -> None:
    """Line 2 of facilities.csv is cn-mine, its products in column 6: two unknown, in order."""
    path = mini_copy("facilities.csv", cell(2, 6, "gold;ore;silver"))
    assert [str(p) for p in validate_dataset_fast(path) if p.severity == "error"] == [
        "facilities.csv:2:6: unknown product 'gold'",
        "facilities.csv:2:6: unknown product 'silver'"]


def test_load_dataset_takes_the_fast_path_for_large_tables(
        mini_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = mini_copy()
    calls: list[Path] = []
    real = fast.load_dataset_fast

    def spy(p: Path) -> nx.MultiDiGraph:
        calls.append(p)
        return real(p)

    monkeypatch.setattr(fast, "load_dataset_fast", spy)
    load_dataset(path)
    assert calls == []  # a few hundred bytes: the row-by-row path
    monkeypatch.setattr(fast, "FAST_MIN_BYTES", 1)
    G = load_dataset(path)
    assert calls == [path]
    assert G.graph["dataset"] == str(path.resolve())


def test_a_fast_load_freezes_what_it_built(mini_copy: Callable[..., Path]) -> None:
    gc.unfreeze()
    try:
        G = load_dataset_fast(mini_copy())
        assert gc.get_freeze_count() > G.number_of_edges()
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_the_fast_graph_behaves_as_the_row_by_row_one_when_edited(tmp_path: Path) -> None:
    # the fast path writes networkx's adjacency dicts itself: the graph must still be an
    # ordinary MultiDiGraph (edge lookups, removal, re-adding, counts) and stay equal
    path = write_network(generate_network(300, seed=5), tmp_path)
    fast_graph, slow_graph = load_dataset_fast(path), row_by_row(path)[0]
    assert slow_graph is not None
    slow_graph.graph.update(dataset=fast_graph.graph["dataset"], warnings=[])
    assert nx.utils.graphs_equal(fast_graph, slow_graph)
    supplies = [e for e in slow_graph.edges(keys=True, data="kind") if e[3] == "supplies"]
    u, v, key, _ = supplies[len(supplies) // 2]
    for G in (fast_graph, slow_graph):
        assert G.edges[u, v, key]["kind"] == "supplies"
        G.remove_edge(u, v, key)
        G.add_edge(u, v, key=key, kind="supplies", share=0.5)
        G.add_edge(v, u, kind="supplies", share=0.1)  # a new link, key chosen by networkx
    assert fast_graph.number_of_edges() == slow_graph.number_of_edges()
    assert_same_graph(fast_graph, slow_graph)


@pytest.mark.parametrize("adjacency", ["written", "add_edge"])
def test_a_link_in_several_date_windows_gets_numbered_keys(
        mini_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, adjacency: str) -> None:
    # mini's cn-sep -> jp-mag oxide link, cut into three windows (file lines 4 and two more):
    # its keys are supplies:oxide, supplies:oxide#2, supplies:oxide#3 in file order, by the
    # adjacency writes and by the add_edge fallback alike, as in the row-built graph
    import oretrace.loaders._fast_build as fast_build

    path = mini_copy("supplies.csv", lambda ls: [
        *cell(4, 6, "2028-01-01")(ls),
        "cn-sep,jp-mag,oxide,0.5,2028-01-01,2029-01-01,hand,reported",
        "cn-sep,jp-mag,oxide,0.4,2029-01-01,,hand,reported"])
    expected, problems = row_by_row(path)
    assert expected is not None and problems == []
    if adjacency == "add_edge":
        monkeypatch.setattr(fast_build, "_adjacency", lambda G: (None, None))
    G = load_dataset_fast(path)
    assert list(G["cn-sep"]["jp-mag"]) == ["supplies:oxide", "supplies:oxide#2",
                                           "supplies:oxide#3"]
    assert [d.get("start") for d in G["cn-sep"]["jp-mag"].values()] == [
        None, dt.date(2028, 1, 1), dt.date(2029, 1, 1)]
    assert_same_graph(G, expected)
