"""The exposure family's commands on the hand-drawn compliance_mini dataset.

compliance_mini is tests/data/mini plus rules.yaml: cn-mine (CN, cn-co) → cn-sep (CN, runs
Chinese solvent extraction) → jp-mag (JP) → us-comp → us-asm → missile; us-sep (US) joins
jp-mag's oxide supply with 0.4 from 2027-01-01; cn-sep covers 0.6.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oretrace.cli import main, make_app

runner = CliRunner()
app = make_app()
DATA = str(Path(__file__).parent / "data" / "compliance_mini")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data", DATA, *args])
    return result.exit_code, result.output


def test_exposed_json_has_platform_through_paths_confidence() -> None:
    code, out = run("-f", "json", "exposed", "--through", "cn-processing",
                    "--as-of", "2026-06-01")
    assert code == 0
    (row,) = json.loads(out)
    assert row["platform"] == "missile"
    assert row["through"] == ["cn-sep"]
    assert row["paths"] == [["cn-mine", "cn-sep", "jp-mag", "us-comp", "us-asm", "missile"]]
    assert row["confidence"] == "illustrative"


def test_min_confidence_drops_what_rests_on_illustrative_links() -> None:
    """Every row of the mini dataset is illustrative: above that, nothing is exposed, and
    the missile is reported as having no supply chain left (not silently dropped); the
    chain breaks first where us-asm needs its actuator."""
    code, out = run("-f", "json", "exposed", "--min-confidence", "estimated")
    assert code == 0
    (row,) = json.loads(out)
    assert (row["platform"], row["status"]) == ("missile", "no_chain_at_level")
    assert row["gaps"] == [{"facility": "us-asm", "product": "actuator"}]
    code, out = run("exposed", "--min-confidence", "reported")
    assert code == 0 and "no platform's supply reaches any" in out


def test_where_used_and_trace() -> None:
    code, out = run("-f", "json", "where-used", "cn-sx", "--as-of", "2026-06-01")
    assert code == 0
    assert [(d["platform"], d["via"]) for d in json.loads(out)] == [("missile", ["cn-sep"])]
    code, out = run("-f", "csv", "trace", "missile", "--as-of", "2026-06-01")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("stage,facility,name,country,company,product,buyer,share")
    assert [line.split(",")[1] for line in lines[1:]] == \
        ["cn-mine", "cn-sep", "jp-mag", "us-comp", "us-asm"]
    code, out = run("trace", "missile", "--as-of", "2026-06-01")
    assert code == 0 and "◆" in out


def test_content_json_has_product_origin_by_share_and_elements() -> None:
    """2026: jp-mag's oxide is 0.6 from cn-sep, the rest unknown: normalised 100 % Chinese,
    bounds 60..100 %. Value: 4 × 0.5 kg magnet × 0.312 kg oxide × 70 $ = 43.68 $ per missile."""
    code, out = run("-f", "json", "content", "missile", "--as-of", "2026-06-01")
    assert code == 0
    r = json.loads(out)
    assert (r["product"], r["origin"], r["by"]) == ("missile", "CN", "mass")
    assert r["share"] == pytest.approx(1.0)
    assert (r["share_low"], r["share_high"]) == (pytest.approx(0.6), pytest.approx(1.0))
    assert r["elements"][0]["element"] == "Nd"
    code, out = run("-f", "json", "content", "missile", "--by", "value", "--element", "Nd",
                    "--as-of", "2026-06-01")
    r = json.loads(out)
    assert (r["by"], r["element"]) == ("value", "Nd")
    assert r["value_usd"] == pytest.approx(43.68)
    assert r["share"] == pytest.approx(43.68 / 1e6)


def test_content_without_a_product_lists_kilograms_per_platform() -> None:
    """4 actuators × 0.5 kg magnet × 0.267 Nd = 0.534 kg Nd per missile."""
    code, out = run("-f", "json", "content")
    assert code == 0
    assert json.loads(out) == [{"product": "missile", "name": "Test missile", "element": "Nd",
                                "kg_per_unit": pytest.approx(0.534)}]


def test_compliance_differs_inside_and_after_the_suspension() -> None:
    """jp-mag (JP) ships the magnet to us-comp (US); it holds Chinese Nd oxide worth ≥ 0.1 %
    of its value, for a military missile: NO61 denies the shipment. On 2025-12-15 No. 70's
    window suspends it; on 2026-12-15 it applies again, on an assumed status (NO61's status is
    recorded to 2026-11-10). DFARS: compliant until 2027 (magnet made in Japan); from
    2027-01-01 the oxide is separated in China: non-compliant."""
    def answer(*extra: str) -> dict[str, Any]:
        code, out = run("-f", "json", "compliance", "missile", *extra)
        assert code == 0
        data: dict[str, Any] = json.loads(out)
        return data

    inside, after = answer("--as-of", "2025-12-15"), answer("--as-of", "2026-12-15")
    [row] = inside["shipments"]
    assert (row["supplier"], row["verdict"], row["status"]) == \
        ("jp-mag", "denied", "suspended")
    [row] = after["shipments"]
    assert (row["verdict"], row["status"]) == ("denied", "assumed-in-force")
    assert (inside["supplied_if_denied_stop"], after["supplied_if_denied_stop"]) == (True, False)
    [dfars] = after["procurement"]
    assert dfars["verdict"] == "compliant"
    [dfars] = answer("--as-of", "2027-01-01")["procurement"]
    assert (dfars["verdict"], dfars["clause"]) == ("non-compliant", "mined-refined-separated")


def test_shipments_json_names_rule_clause_evidence_value_share() -> None:
    """The magnet holds 0.312 kg Nd oxide (70 $/kg), all from cn-sep on 2026-12-15 (us-sep
    starts 2027): 21.84 $ of its 100 $, a value share of 0.2184. cn-sep runs Chinese solvent
    extraction in China: that is Chinese-origin content, not the technology test."""
    code, out = run("-f", "json", "shipments", "missile", "--as-of", "2026-12-15")
    assert code == 0
    [v] = json.loads(out)
    assert (v["clause"], v["from_country"], v["to_country"]) == ("military-value", "JP", "US")
    assert v["value_share"] == pytest.approx(0.2184)
    assert "21.84 $ of 100.00 $" in v["evidence"]
    assert (v["confidence"], v["sources"]) == ("illustrative", ["hand"])


def test_rules_lists_windows_and_status() -> None:
    code, out = run("-f", "json", "rules", "--as-of", "2026-11-10")
    assert code == 0
    rows = {r["rule"]: r for r in json.loads(out)}
    assert rows["NO61"]["status"] == "suspended"
    assert rows["NO61"]["suspensions"] == ["2025-11-07..2026-11-10 by NO70"]
    assert rows["DFARS"]["status"] == "in-force"


@pytest.mark.parametrize("args", [
    ["exposed", "--as-of", "2026-02-30"],
    ["trace", "missle"],
    ["content", "missle"],
    ["compliance", "missle"],
    ["where-used", "missle"],
])
def test_errors_are_one_line_with_a_suggestion(
        args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--data", DATA, *args])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    if "missle" in args:
        assert "did you mean 'missile'" in err
        assert err.startswith("error: no ")
    else:
        assert err == "error: '2026-02-30' is not a date in ISO form (YYYY-MM-DD)"


def test_unknown_platform_message_matches_the_issue(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--data", DATA, "compliance", "missle"])
    assert capsys.readouterr().err.strip() == \
        "error: no product with id 'missle'; did you mean 'missile'?"


def test_content_csv_carries_the_headline_and_the_elements() -> None:
    """Reliability report C03: -f csv printed only the element rows. One table now: the
    product's row (share 100 %, bounds 60..100 %, coverage 60 %: cn-sep's 0.6 of jp-mag's
    oxide is the only known origin in 2026, as in the JSON test above; confidence and sources
    from the all-illustrative "hand" rows), then Nd's row (4 × 0.5 kg × 0.267 = 0.534 kg)."""
    import csv
    import io

    code, out = run("-f", "csv", "content", "missile", "--as-of", "2026-06-01")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["row"] for r in rows] == ["product", "element"]
    head, nd = rows
    assert (head["product"], head["origin"], head["by"]) == ("missile", "CN", "mass")
    assert [float(head[k]) for k in ("share", "share_low", "share_high", "coverage")] == \
        pytest.approx([1.0, 0.6, 1.0, 0.6])
    assert (head["confidence"], head["sources"]) == ("illustrative", "hand")
    assert (nd["element"], float(nd["kg_per_unit"])) == ("Nd", pytest.approx(0.534))
    assert nd["product"] == "missile"


@pytest.mark.parametrize("args", [
    ["content", "missile", "--origin", "ZZ"],
    ["content", "missile", "--origin", "China"],
])
def test_unknown_countries_are_refused(args: list[str]) -> None:
    """Reliability report C05: these answered with exit 0. ZZ is user-assigned in ISO 3166-1,
    never a country; "China" is a name, not a code."""
    code, out = run(*args)
    assert code == 2
    words = " ".join(out.replace("│", " ").split())  # the usage box wraps long lines
    assert "is not an ISO 3166-1 alpha-2 country code" in words


def test_neo4j_dataset_names_what_the_server_backend_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Reliability report N12: --backend neo4j always read the dataset named ``oretrace``.
    The queries and the loader are replaced by recorders: what is checked is the name the
    command line hands them (no server needed)."""
    import contextlib

    import networkx as nx
    from oretrace.graphmodel.backends import neo4j as backend
    from oretrace.loaders import neo4j as reader
    from oretrace.queries import native

    seen: list[tuple[str, str]] = []

    @contextlib.contextmanager
    def connect(config: object) -> object:
        yield object()

    def exposed(G: Any, predicate: str, **_: object) -> list[object]:
        seen.append(("exposed", G.dataset))
        return []

    def used(G: Any, node: str, **_: object) -> list[object]:
        seen.append(("where-used", G.dataset))
        return []

    def load(driver: object, *, dataset: str) -> nx.MultiDiGraph:
        seen.append(("load", dataset))
        return nx.MultiDiGraph()

    monkeypatch.setattr(backend, "connect", connect)
    monkeypatch.setattr(native, "exposed", exposed)
    monkeypatch.setattr(native, "where_used", used)
    monkeypatch.setattr(reader, "load", load)
    base = ["--backend", "neo4j", "--neo4j-uri", "bolt://127.0.0.1:1"]
    for args in (["exposed"], ["where-used", "x"], ["info"]):
        assert runner.invoke(app, [*base, "--neo4j-dataset", "synth", *args]).exit_code == 0
    assert runner.invoke(app, [*base, "exposed"]).exit_code == 0
    assert seen == [("exposed", "synth"), ("where-used", "synth"), ("load", "synth"),
                    ("exposed", "oretrace")]


def test_a_non_bolt_uri_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Reliability report D9: ``NEO4J_URI=http://…`` ended in ModuleNotFoundError (aiohttp):
    oretrace speaks Bolt only."""
    with pytest.raises(SystemExit) as info:
        main(["--backend", "neo4j", "--neo4j-uri", "http://127.0.0.1:7474", "exposed"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith("error: Neo4j URI 'http://127.0.0.1:7474' is not a Bolt URI")
    assert len(err.strip().splitlines()) == 1
