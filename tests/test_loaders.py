"""Loading datasets: every bad input is reported as file:line:column, and nothing loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oretrace.graphmodel import DatasetError, LoadError
from oretrace.loaders import load_dataset, validate_dataset


def replace_cell(line_no: int, column: int, value: str) -> Callable[[list[str]], list[str]]:
    """Edit: set the ``column``-th cell (1-based) of file line ``line_no`` (1-based)."""
    def edit(lines: list[str]) -> list[str]:
        cells = lines[line_no - 1].split(",")
        cells[column - 1] = value
        lines[line_no - 1] = ",".join(cells)
        return lines
    return edit


def errors_of(path: Path) -> list[str]:
    return [str(p) for p in validate_dataset(path) if p.severity == "error"]


def test_the_mini_dataset_is_valid(mini_copy: Callable[..., Path]) -> None:
    assert errors_of(mini_copy()) == []


# Each case: the file, the edit, and the location (file:line:column) the error must name,
# with a word the reason must contain. Locations are counted by hand in tests/data/mini.
CASES = [
    ("unknown company", "facilities.csv", replace_cell(2, 3, "nope"),
     "facilities.csv:2:3", "unknown company 'nope'"),
    ("unknown product", "supplies.csv", replace_cell(2, 3, "unobtainium"),
     "supplies.csv:2:3", "unknown product"),
    ("unknown facility", "supplies.csv", replace_cell(2, 2, "ghost-plant"),
     "supplies.csv:2:2", "unknown facility"),
    ("unknown source", "products.csv", replace_cell(3, 7, "nosuch"),
     "products.csv:3:7", "unknown source 'nosuch'"),
    ("duplicate id", "facilities.csv",
     lambda ls: [*ls, "cn-mine,Again,,CN,mine,ore,,,,,,,hand,illustrative"],
     "facilities.csv:9:1", "duplicate id 'cn-mine'"),
    ("share above 1", "supplies.csv", replace_cell(2, 4, "1.5"),
     "supplies.csv:2:4", "not a fraction"),
    # 0.7 (CN, always) + 0.4 (US, from 2027-01-01) = 1.1 from 2027; reported at the US row.
    ("shares summing above 1", "supplies.csv", replace_cell(4, 4, "0.7"),
     "supplies.csv:5:4", "add up to 1.1 from 2027-01-01"),
    ("negative quantity", "bom.csv", replace_cell(2, 3, "-1"),
     "bom.csv:2:3", "not positive"),
    ("negative capacity", "facilities.csv", replace_cell(2, 7, "-5"),
     "facilities.csv:2:7", "negative"),
    ("bad country code", "facilities.csv", replace_cell(2, 4, "XX"),
     "facilities.csv:2:4", "ISO 3166-1"),
    ("bad date", "facilities.csv", replace_cell(5, 10, "2027-13-01"),
     "facilities.csv:5:10", "2027-13-01"),
    ("online_until before online_from", "facilities.csv", replace_cell(5, 11, "2026-01-01"),
     "facilities.csv:5:11", "before online_from"),
    ("unknown stage", "facilities.csv", replace_cell(2, 5, "smelting"),
     "facilities.csv:2:5", "'smelting' is not allowed"),
    ("unknown category", "products.csv", replace_cell(2, 3, "gizmo"),
     "products.csv:2:3", "'gizmo' is not allowed"),
    ("unknown confidence", "facilities.csv", replace_cell(2, 14, "rumoured"),
     "facilities.csv:2:14", "'rumoured' is not allowed"),
    ("element fractions above 1", "products.csv", replace_cell(2, 4, "Nd=0.7;Pr=0.5"),
     "products.csv:2:4", "add up to 1.2"),
    ("missing required column", "supplies.csv",
     lambda ls: [",".join(c for i, c in enumerate(line.split(",")) if i != 3) for line in ls],
     "supplies.csv:1:0", "missing required column 'share'"),
    ("empty file", "products.csv", lambda ls: [""],
     "products.csv:1:0", "empty"),
    ("too many cells", "supplies.csv", lambda ls: [*ls[:2], ls[2] + ",extra", *ls[3:]],
     "supplies.csv:3:9", "9 cells but the header has 8"),
    ("too few cells", "bom.csv", lambda ls: [*ls[:2], "magnet,oxide", *ls[3:]],
     "bom.csv:3:3", "2 cells but the header has 5"),
]


@pytest.mark.parametrize(("file", "edit", "where", "why"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_located_and_nothing_loads(
    mini_copy: Callable[..., Path], file: str, edit: Callable[[list[str]], list[str]],
    where: str, why: str,
) -> None:
    path = mini_copy(file, edit)
    errors = errors_of(path)
    assert any(e.startswith(where + ":") and why in e for e in errors), errors
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert where in str(info.value)


def test_non_utf8_bytes_are_located(mini_copy: Callable[..., Path]) -> None:
    path = mini_copy()
    raw = (path / "companies.csv").read_bytes().replace(b"US Co", b"US C\xf6")
    (path / "companies.csv").write_bytes(raw)
    # Line 3 is "us-co,US C\xf6,..."; the bad byte is the 11th character of that line.
    assert any(e.startswith("companies.csv:3:11:") and "UTF-8" in e for e in errors_of(path))


def test_all_problems_are_reported_together(mini_copy: Callable[..., Path]) -> None:
    mini_copy("facilities.csv", replace_cell(2, 4, "XX"))
    path = mini_copy("bom.csv", replace_cell(2, 3, "-1"))
    errors = errors_of(path)
    assert any(e.startswith("facilities.csv:2:4:") for e in errors)
    assert any(e.startswith("bom.csv:2:3:") for e in errors)


def test_a_data_gap_is_a_warning_not_an_error(mini_copy: Callable[..., Path]) -> None:
    # Without cn-mine -> cn-sep, the Chinese separator needs ore and nothing supplies it.
    path = mini_copy("supplies.csv", lambda ls: [ls[0], *ls[2:]])
    problems = validate_dataset(path)
    assert [p for p in problems if p.severity == "error"] == []
    gaps = [str(p) for p in problems if p.severity == "warning"]
    assert any(g.startswith("facilities.csv:4:6:") and "needs 'ore'" in g for g in gaps)
    G = load_dataset(path)
    assert any("needs 'ore'" in w for w in G.graph["warnings"])


def test_bad_rules_yaml_is_located(mini_copy: Callable[..., Path]) -> None:
    path = mini_copy()
    (path / "rules.yaml").write_text(
        "rules:\n"
        "  - id: R1\n"
        "    name: A rule\n"
        "    authority: X\n"
        "    instrument: X No. 1\n"
        "    effective: 2025-13-01\n"
        "    clauses: []\n"
        "    sources: [hand]\n"
        "    confidence: documented\n", encoding="utf-8")
    errors = errors_of(path)
    # The bad date sits on line 6, its value starting at column 16.
    assert any(e.startswith("rules.yaml:6:16:") and "effective" in e for e in errors), errors


def test_a_missing_directory_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not a directory"):
        load_dataset(tmp_path / "nowhere")


def test_time_windows_load_as_dates(mini_copy: Callable[..., Path]) -> None:
    import datetime as dt
    G = load_dataset(mini_copy())
    assert G.nodes["us-sep"]["online_from"] == dt.date(2027, 1, 1)
    assert G.edges["us-sep", "jp-mag", "supplies:oxide"]["share"] == 0.4


def test_without_rules_yaml_the_bundled_rules_apply(mini_copy: Callable[..., Path]) -> None:
    import yaml
    from oretrace.loaders import bundled_path

    path = mini_copy()
    (path / "rules.yaml").unlink()
    G = load_dataset(path)
    bundled_rules = yaml.safe_load((bundled_path() / "rules.yaml").read_text())["rules"]
    rules = [n for n, k in G.nodes(data="kind") if k == "rule"]
    assert sorted(rules) == sorted(r["id"] for r in bundled_rules)
    # The sources the rules cite come along, so every rule's sources resolve.
    assert all(s in G.graph["sources"] for r in rules for s in G.nodes[r]["sources"])


def test_two_date_windows_of_one_link_are_both_kept(mini_copy: Callable[..., Path]) -> None:
    """cn-sep ships oxide to jp-mag at 0.6 until 2026-01-01 and at 0.5 from then on:
    both rows must survive as separate edges (a later row must not replace the earlier)."""
    import datetime as dt

    from oretrace.graphmodel import at

    path = mini_copy("supplies.csv", lambda ls: [
        line.replace("cn-sep,jp-mag,oxide,0.6,,,", "cn-sep,jp-mag,oxide,0.6,,2026-01-01,")
        for line in ls] + ["cn-sep,jp-mag,oxide,0.5,2026-01-01,,hand,illustrative"])
    G = load_dataset(path)
    shares = sorted((d["share"], d.get("start")) for _, _, d in
                    G.edges("cn-sep", data=True) if d["kind"] == "supplies")
    assert shares == [(0.5, dt.date(2026, 1, 1)), (0.6, None)]
    def shares_on(day: str) -> list[float]:
        return [d["share"] for _, _, d in at(G, day).edges("cn-sep", data=True)
                if d["kind"] == "supplies"]

    assert shares_on("2025-06-01") == [0.6]
    assert shares_on("2026-06-01") == [0.5]


def test_overlapping_windows_of_one_link_are_an_error(mini_copy: Callable[..., Path]) -> None:
    # The original row (line 4) has no dates; a second row from 2026 overlaps it.
    path = mini_copy("supplies.csv",
                     lambda ls: [*ls, "cn-sep,jp-mag,oxide,0.2,2026-01-01,,hand,illustrative"])
    assert any(e.startswith("supplies.csv:8:5:") and "overlapping date window" in e
               and "line 4" in e for e in errors_of(path))


def test_reference_errors_come_with_row_errors(mini_copy: Callable[..., Path]) -> None:
    """A bad share and a misspelt buyer in different rows are reported in one pass."""
    mini_copy("supplies.csv", replace_cell(2, 4, "1.5"))
    path = mini_copy("supplies.csv", replace_cell(3, 2, "us-sepp"))
    errors = errors_of(path)
    assert any(e.startswith("supplies.csv:2:4:") for e in errors)
    assert any(e.startswith("supplies.csv:3:2:") and "unknown facility 'us-sepp'" in e
               for e in errors)


def test_a_bad_row_is_not_reported_again_as_an_unknown_reference(
        mini_copy: Callable[..., Path]) -> None:
    # cn-sep's row has a bad country; supplies naming cn-sep must not add "unknown facility".
    path = mini_copy("facilities.csv", replace_cell(4, 4, "XX"))
    errors = errors_of(path)
    assert any(e.startswith("facilities.csv:4:4:") for e in errors)
    assert not any("unknown facility 'cn-sep'" in e for e in errors), errors


def test_the_loader_modules_import_each_other_without_a_cycle() -> None:
    """Every import between the modules of ``loaders/`` (at the top of a module or inside a
    function alike) points one way: the row-by-row path (files.py), the large-table path
    (fast.py) and the overlay reader share ``_reader.py`` instead of importing each other
    back."""
    import ast

    import networkx as nx

    folder = Path(__file__).parent.parent / "loaders"
    imports = nx.DiGraph()
    for source in folder.glob("*.py"):
        here = "oretrace.loaders" + ("" if source.stem == "__init__" else f".{source.stem}")
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("oretrace.loaders.") and target.count(".") == 2 \
                        and (folder / f"{target.rsplit('.', 1)[1]}.py").is_file():
                    imports.add_edge(here, target)
    assert imports.has_edge("oretrace.loaders.files", "oretrace.loaders.fast")
    assert list(nx.simple_cycles(imports)) == []
