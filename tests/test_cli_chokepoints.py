"""The chokepoints commands: chokepoints, cut, scenario, concentration, diff (JSON shapes of the
issue, tables for people, one-line errors). Expected values are those worked out on paper in
tests/test_chokepoints.py, test_scenarios.py and test_concentration.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oretrace.cli import main, make_app

DATA = Path(__file__).parent / "data"
TIME = str(DATA / "choke_time")
ANDOR = str(DATA / "choke_andor")
MARKET = str(DATA / "choke_market")
runner = CliRunner()
app = make_app()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def run_json(*args: str) -> Any:
    code, out = run(*args)
    assert code == 0, out
    return json.loads(out)


def test_chokepoints_json_lists_node_level_platforms() -> None:
    """choke_time on 2027-01-01: CN and US each stop both platforms, but both assemblies are
    in the US, so the US is trivial: listed only with --include-trivial."""
    rows = run_json("--data", TIME, "-f", "json", "chokepoints", "--level", "country",
                    "--as-of", "2027-01-01", "--include-trivial")
    assert {r["node"]: r["platforms"] for r in rows} == \
        {"CN": ["missile", "sub"], "US": ["missile", "sub"]}
    assert {r["level"] for r in rows} == {"country"}
    rows = run_json("--data", TIME, "-f", "json", "chokepoints", "--level", "country",
                    "--as-of", "2027-01-01")
    assert {r["node"]: r["platforms"] for r in rows} == {"CN": ["missile", "sub"]}


def test_chokepoints_never_list_markets() -> None:
    """choke_market (see tests/test_chokepoints.py): the world magnet market and the CN
    gallium market are in no group; their suppliers are ranked instead."""
    rows = run_json("--data", MARKET, "-f", "json", "chokepoints", "--level", "country",
                    "--include-trivial")
    assert {r["node"]: r["platforms"] for r in rows} == \
        {"US": ["drone", "radar"], "CN": ["radar"], "JP": ["drone"]}
    rows = run_json("--data", MARKET, "-f", "json", "chokepoints", "--include-trivial")
    assert {r["node"] for r in rows} == {"mag-jp", "asm-drone", "ga-cn", "asm-radar"}
    out = run_json("--data", MARKET, "-f", "json", "cut", "radar", "--protect", "asm-radar",
                   "--protect", "ga-cn")
    assert out["size"] is None


def test_the_level_help_says_markets_are_in_no_group() -> None:
    code, out = run("chokepoints", "--help")
    text = " ".join(out.replace("│", " ").split())
    assert code == 0 and "belong to no group at any level" in text


def test_chokepoints_top_and_platform_filter() -> None:
    rows = run_json("--data", TIME, "-f", "json", "chokepoints", "--as-of", "2027-01-01",
                    "--top", "2")
    assert [r["node"] for r in rows] == ["mine-cn", "ref-cn"]
    rows = run_json("--data", TIME, "-f", "json", "chokepoints", "--as-of", "2028-06-01",
                    "--platform", "sub")
    assert {r["node"] for r in rows} == {"terf-us", "sonar-us"}  # asm-sub: trivial


def test_chokepoints_in_a_scenario() -> None:
    """Without China on 2028-06-01 both platforms hang on mine-au (see test_scenarios)."""
    rows = run_json("--data", TIME, "-f", "json", "chokepoints", "--as-of", "2028-06-01",
                    "--fail", "country:CN")
    assert {r["node"]: r["n_platforms"] for r in rows}["mine-au"] == 2


def test_cut_command() -> None:
    out = run_json("--data", ANDOR, "-f", "json", "cut", "missile",
                   *[a for p in ["asm-us", "act-us", "mag-jp", "ref-dy", "mine-au"]
                     for a in ("--protect", p)])
    assert (out["size"], out["exact"]) == (2, True)
    assert set(out["nodes"]) in ({"sep-au", "sep-cn"}, {"sep-au", "mine-cn"})
    literal = run_json("--data", ANDOR, "-f", "json", "cut", "missile", "--no-protect")
    assert literal["size"] == 1 and literal["protected"] == []


def test_scenario_json_has_supplied_unsupplied_and_shortfall() -> None:
    out = run_json("--data", TIME, "-f", "json", "scenario", "--fail", "country:CN",
                   "--as-of", "2027-01-01")
    assert (out["supplied"], out["unsupplied"]) == ([], ["missile", "sub"])
    short = {(r["product"], r["platform"]): r["shortfall_max"] for r in out["shortfall"]}
    assert short[("dy-oxide", None)] == 5.0
    back = run_json("--data", TIME, "-f", "json", "scenario", "--fail", "country:CN",
                    "--as-of", "2028-06-01", "--all-platforms")
    assert back["supplied"] == ["missile", "sub"]
    assert {r["platform"] for r in back["shortfall"]} == {None}


def test_scenario_table_is_readable() -> None:
    code, out = run("--data", TIME, "scenario", "--fail", "country:CN", "--as-of", "2027-01-01")
    assert code == 0
    assert "unsupplied: missile, sub (lost in this scenario: missile, sub)" in out
    assert "mag-us lacks dy-oxide: every supplier failed (ref-cn)" in out
    assert "shortfall not computable for lack of capacity data" in out


def test_scenario_with_policy() -> None:
    out = run_json("--data", ANDOR, "-f", "json", "scenario", "--fail", "sep-au", "--policy",
                   "cn-denies-military", "--as-of", "2026-11-24", "--no-shortfall")
    assert out["unsupplied"] == ["missile"]
    assert out["policy"]["denied_links"][0]["supplier"] == "sep-cn"


def test_scenario_help_lists_the_policies() -> None:
    code, out = run("scenario", "--help")
    assert code == 0 and "cn-denies-military" in out


def test_concentration_command() -> None:
    rows = run_json("--data", ANDOR, "-f", "json", "concentration", "--stage", "mine")
    star = [r for r in rows if r["product"] == "*"][0]
    assert (star["top_country"], star["cn_share"]) == ("CN", 0.9434)


def test_diff_command() -> None:
    out = run_json("--data", TIME, "-f", "json", "diff", "--as-of", "2027-01-01",
                   "--vs", "2028-06-01", "--fail", "country:CN")
    assert [c["platform"] for c in out["newly_supplied"]] == ["missile", "sub"]
    code, table = run("--data", TIME, "diff", "--as-of", "2027-01-01", "--vs", "2028-06-01",
                      "--fail", "country:CN")
    assert code == 0 and "ref-ee -> mag-us (dy-oxide): link starts 2027-06-01" in table


@pytest.mark.parametrize("args", [
    ["chokepoints", "--level", "continent"],
    ["scenario", "--policy", "china-sulks"],
])
def test_bad_options_are_refused(args: list[str]) -> None:
    code, _ = run("--data", ANDOR, *args)
    assert code == 2


def test_unknown_ids_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--data", ANDOR, "scenario", "--fail", "sep-ua"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no facility or company with id 'sep-ua'; did you mean")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("top", ["-1", "-3", "0"])
def test_top_must_be_positive(top: str) -> None:
    """Reliability report C11: ``--top -1`` printed all rows but the last (a Python slice)."""
    code, _ = run("--data", TIME, "chokepoints", "--top", top)
    assert code == 2


def test_concentration_checks_the_product(capsys: pytest.CaptureFixture[str]) -> None:
    """Reliability report C05: an unknown --product answered an empty table, exit 0.
    choke_time's products.csv has ``magnet``, one edit away from ``magnt``."""
    with pytest.raises(SystemExit) as info:
        main(["--data", TIME, "concentration", "--product", "magnt"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith("error: no product with id 'magnt'; did you mean 'magnet'")
    assert len(err.strip().splitlines()) == 1
