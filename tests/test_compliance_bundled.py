"""Compliance on the bundled dataset, against the documented cases (facts.md §4, §5, Part II §5).

- No. 61 [2025] was suspended by No. 70 [2025] until 2026-11-10 and nothing later is
  recorded: rows after that day rest on an assumed status.
- 2022-08-19: DCMA found the F-35 turbomachine magnet's SmCo alloy melted in China; a
  national-security waiver (LaPlante, 2022-10-07) covers the aircraft through 2023-10-31.
- 2012–13: Kendall waived the 2009 specialty-metals rule for the Chinese radar and
  landing-gear magnets of 115 F-35s (Reuters14a).
"""

from __future__ import annotations

import json

import networkx as nx
import pytest
from oretrace.graphmodel import platforms
from oretrace.queries.compliance import evaluate, procurement_verdicts
from oretrace.queries.shipments import shipment_verdicts
from typer.testing import CliRunner

from oretrace.cli import make_app

TODAY = "2026-12-02"
SHIPMENT_FIELDS = {"supplier", "buyer", "product", "from_country", "to_country", "rule",
                   "clause", "verdict", "end_use", "evidence", "value_share", "status",
                   "confidence", "sources"}


def test_no_platform_is_denied_or_licensed_under_an_export_or_technology_rule(
        bundled: nx.MultiDiGraph) -> None:
    """Export and technology rules license shipments and facilities, never a platform."""
    for p in platforms(bundled):
        for v in evaluate(bundled, p, as_of=TODAY):
            assert v.verdict not in ("denied", "licence-required"), (p, v.rule, v.verdict)


def test_todays_no61_rows_rest_on_an_assumed_status(bundled: nx.MultiDiGraph) -> None:
    """Past 2026-11-10 No. 61's status is not recorded: assumed-in-force by default, at most
    estimated; assumed-suspended under --assume extended."""
    found = shipment_verdicts(bundled, "F-35", as_of=TODAY, rules=["MOFCOM-61-2025"])
    assert found
    assert {r.status for r in found} == {"assumed-in-force"}
    assert {r.confidence for r in found} <= {"estimated", "illustrative"}
    extended = shipment_verdicts(bundled, "F-35", as_of=TODAY, rules=["MOFCOM-61-2025"],
                                 assume="extended")
    assert {r.status for r in extended} == {"assumed-suspended"}


def test_no18_is_read_on_shipments_from_china_only(bundled: nx.MultiDiGraph) -> None:
    """No. 18 licenses exports from China: every row it gives ships from CN."""
    found = shipment_verdicts(bundled, "F-35", as_of=TODAY, rules=["MOFCOM-18-2025"])
    assert found and {r.from_country for r in found} == {"CN"}


def test_the_f35_on_2022_08_19_is_waived_under_dfars(bundled: nx.MultiDiGraph) -> None:
    verdicts = {v.rule: v for v in procurement_verdicts(bundled, "F-35", as_of="2022-08-19")}
    v = verdicts["DFARS-252.225-7052"]
    assert (v.verdict, v.waiver) == ("waived", "F-35-2022-national-security")
    assert "cn-smco-alloy-f35-supplier" in v.path  # the path may start at its cobalt supplier


def test_the_f35_in_2013_is_waived_under_the_2009_rule(bundled: nx.MultiDiGraph) -> None:
    verdicts = {v.rule: v for v in procurement_verdicts(bundled, "F-35", as_of="2013-06-01")}
    v = verdicts["DFARS-SPECIALTY-METALS-2009"]
    assert (v.verdict, v.waiver) == ("waived", "F-35-2012-13-specialty-metals")
    assert verdicts["DFARS-252.225-7052"].verdict == "not-applicable"


@pytest.mark.parametrize("command", ["shipments", "compliance"])
def test_json_carries_the_issue_field_names(command: str) -> None:
    result = CliRunner().invoke(make_app(),
                                ["--format", "json", command, "F-35", "--as-of", TODAY])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = data if command == "shipments" else data["shipments"]
    assert rows and set(rows[0]) >= SHIPMENT_FIELDS
    if command == "compliance":
        assert {"supplied_if_denied_stop", "supplied_if_licences_refused",
                "lose_supply_if_denied_stop", "lose_supply_if_licences_refused",
                "procurement", "technology_flags", "by_verdict"} <= set(data)
        assert {"verdict", "waiver", "exception"} <= set(data["procurement"][0])
