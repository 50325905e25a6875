"""The foundation commands: info, platforms, show, validate, export, schema; errors as one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from oretrace.cli import main, make_app

runner = CliRunner()
app = make_app()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_platforms_as_json(mini_copy: Callable[..., Path]) -> None:
    code, out = run("--data", str(mini_copy()), "--format", "json", "platforms")
    assert code == 0
    rows = json.loads(out)
    assert [r["platform"] for r in rows] == ["missile"]
    assert rows[0]["assembly"] == ["us-asm"]


def test_format_may_follow_the_command(mini_copy: Callable[..., Path]) -> None:
    code, out = run("--data", str(mini_copy()), "platforms", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "platform,name,unit_price_usd,assembly,confidence,sources"


def test_info_counts_by_kind(mini_copy: Callable[..., Path]) -> None:
    code, out = run("--data", str(mini_copy()), "-f", "json", "info")
    rows = json.loads(out)
    facilities = sum(r["count"] for r in rows if r["kind"] == "facility")
    supplies = sum(r["count"] for r in rows if r["kind"] == "supplies")
    assert (code, facilities, supplies) == (0, 7, 6)


def test_show_lists_sources_and_neighbours(mini_copy: Callable[..., Path]) -> None:
    code, out = run("--data", str(mini_copy()), "-f", "json", "show", "jp-mag")
    report = json.loads(out)
    assert code == 0
    assert report["sources"][0]["title"] == "Hand-drawn test network"
    ins = {(n["node"], n["kind"]) for n in report["neighbours"] if n["direction"] == "in"}
    assert ins == {("cn-sep", "supplies"), ("us-sep", "supplies")}


def test_validate_exits_nonzero_naming_file_line_column(mini_copy: Callable[..., Path]) -> None:
    path = mini_copy("facilities.csv", lambda ls: [ls[0], ls[1].replace(",CN,", ",XX,"), *ls[2:]])
    code, out = run("validate", str(path))
    assert code == 1
    assert "facilities.csv:2:4: country: 'XX' is not an ISO 3166-1 alpha-2 country code" in out


def test_validate_a_good_dataset_exits_zero(mini_copy: Callable[..., Path]) -> None:
    code, out = run("-f", "json", "validate", str(mini_copy()))
    assert (code, json.loads(out)) == (0, [])


def test_export_graphml_and_json(mini_copy: Callable[..., Path], tmp_path: Path) -> None:
    data = str(mini_copy())
    assert run("--data", data, "export", "--to", "graphml", str(tmp_path))[0] == 0
    assert nx.read_graphml(tmp_path / "oretrace.graphml").number_of_nodes() == 15
    assert run("--data", data, "export", "--to", "json", str(tmp_path / "g.json"))[0] == 0
    assert len(json.loads((tmp_path / "g.json").read_text())["links"]) == 18
    # A directory that does not exist yet is created, not taken for a file name.
    assert run("--data", data, "export", "--to", "graphml", str(tmp_path / "new") + "/")[0] == 0
    assert (tmp_path / "new" / "oretrace.graphml").is_file()


def test_schema_is_the_committed_one() -> None:
    code, out = run("schema")
    committed = Path(__file__).parents[1] / "docs" / "dataset.schema.json"
    assert code == 0
    assert json.loads(out) == json.loads(committed.read_text()), \
        "docs/dataset.schema.json is stale: run `oretrace schema > docs/dataset.schema.json`"


def test_errors_are_one_line_not_a_traceback(
        mini_copy: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--data", str(mini_copy()), "show", "missle"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no node with id 'missle'; did you mean 'missile'")
    assert len(err.strip().splitlines()) == 1


def test_bad_dataset_is_reported_not_raised(
        mini_copy: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = mini_copy("bom.csv", lambda ls: [ls[0], ls[1].replace(",20,", ",-20,"), *ls[2:]])
    with pytest.raises(SystemExit) as info:
        main(["--data", str(path), "info"])
    assert info.value.code == 2
    assert "bom.csv:2:3: qty: quantity -20.0 is not positive" in capsys.readouterr().err


def test_show_csv_is_one_table(mini_copy: Callable[..., Path]) -> None:
    """Reliability report C02: -f csv show printed three tables with three headers. One now,
    a ``section`` column first. jp-mag (tests/data/mini): 12 attribute columns in
    facilities.csv besides id and sources, plus id and kind = 14 attribute rows; one source
    (hand); 3 neighbours (cn-sep and us-sep supply it oxide, it supplies us-comp magnet; it
    has no company and no technology)."""
    import csv
    import io

    code, out = run("--data", str(mini_copy()), "-f", "csv", "show", "jp-mag")
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("section,")] == \
        [out.splitlines()[0]]
    rows = list(csv.DictReader(io.StringIO(out)))
    sections = [r["section"] for r in rows]
    assert (sections.count("attribute"), sections.count("source"),
            sections.count("neighbour")) == (14, 1, 3)
    assert {(r["direction"], r["node"]) for r in rows if r["section"] == "neighbour"} == \
        {("in", "cn-sep"), ("in", "us-sep"), ("out", "us-comp")}


def test_validate_reports_what_the_neo4j_push_would_refuse(
        mini_copy: Callable[..., Path]) -> None:
    """Reliability report D18: ``validate`` said valid, then ``neo4j push`` refused. supplies.csv
    has 8 columns, so an added ``version`` column is column 9 of line 1 (the Neo4j backend
    keeps ``version`` for itself)."""
    root = mini_copy("supplies.csv", lambda ls: [ls[0] + ",version",
                                                 *(line + ",v2" for line in ls[1:])])
    code, out = run("validate", str(root))
    assert code == 1
    assert "supplies.csv:1:9: column name 'version' is reserved by the Neo4j backend" in out


def test_validate_reports_an_empty_column_name(mini_copy: Callable[..., Path]) -> None:
    """A trailing comma on every line of facilities.csv (14 columns) adds a 15th column with
    no name, which Neo4j cannot store as a property."""
    root = mini_copy("facilities.csv", lambda ls: [line + "," for line in ls])
    code, out = run("validate", str(root))
    assert code == 1
    assert "facilities.csv:1:15: a column has an empty name" in out
