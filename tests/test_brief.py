"""The planner's brief: its facts (derived independently of the code), its page, and a real browser.

Facts are checked against answers worked out another way: the bundled CSV files read with
``csv`` (which platforms need an input only China makes), brute force over the network
(the supply confidence with every weaker facility and link removed, then ``simulate``), the
hand-drawn ``compliance_mini`` network, and ``simulate`` with the named chokepoint failed.

The browser tests open the brief in headless Chromium (Debian's ``chromium``), as
tests/test_report.py does: ``--dump-dom`` of a copy with a probe script that records script
errors and where each platform's line lies in a 1280×800 window, ``--screenshot`` of that
window with Chromium's console on stderr (the page has no script, so any ``CONSOLE`` line is
an error), and ``--print-to-pdf`` (pages counted as ``/Type /Page`` objects). The
screenshot and the PDF are kept in ``artifacts/`` (brief.png, brief.pdf, brief.html). When
Chromium is missing these tests fail, saying how to install it.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import networkx as nx
import pytest
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, QueryError, UnknownNodeError
from oretrace.loaders import bundled_path, load_dataset
from oretrace.queries._brief_html import pdf_pages, print_pdf
from oretrace.queries.brief import WEIGHTS, BriefFacts, brief_facts, render_brief
from oretrace.queries.feasibility import simulate
from typer.testing import CliRunner

from oretrace.cli import main, make_app

DATA = Path(__file__).parent / "data"
MINI = DATA / "compliance_mini"
BUNDLED = bundled_path()
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DAY = "2026-12-03"  # after No. 70's suspension of No. 61 lapsed (2026-11-10): assumed status
HEADLINE = ("Assumes MOFCOM No. 61 applies again after No. 70's suspension lapsed on "
            "2026-11-10; nothing later on record.")


@pytest.fixture(scope="module")
def facts(bundled: nx.MultiDiGraph) -> BriefFacts:
    return brief_facts(bundled, as_of=DAY)


@pytest.fixture(scope="module")
def page(bundled: nx.MultiDiGraph) -> str:
    return render_brief(bundled, as_of=DAY)


def _rows(file: str, folder: Path = BUNDLED) -> list[dict[str, str]]:
    with (folder / file).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- facts


def _china_only_inputs(day: dt.date) -> dict[str, list[str]]:
    """Per bundled platform, the inputs of its bill of materials (substitutes left out) that
    only Chinese facilities make on ``day`` (markets are pools, not makers) — read from the
    CSV files, without the loader or any query."""
    bom: dict[str, set[str]] = {}
    for r in _rows("bom.csv"):
        if not r["substitute_for"]:
            bom.setdefault(r["product"], set()).add(r["input"])
    facilities = [f for f in _rows("facilities.csv") if f["stage"] != "market"
                  and (not f["online_from"] or dt.date.fromisoformat(f["online_from"]) <= day)
                  and (not f["online_until"] or dt.date.fromisoformat(f["online_until"]) >= day)]
    out = {}
    for p in (r["id"] for r in _rows("products.csv") if r["category"] == "platform"):
        needed: set[str] = set()
        stack = [p]
        while stack:
            for i in bom.get(stack.pop(), ()):
                if i not in needed:
                    needed.add(i)
                    stack.append(i)
        out[p] = sorted(x for x in needed
                        if (makers := [f for f in facilities if x in f["products"].split(";")])
                        and all(f["country"] == "CN" for f in makers))
    return out


def test_the_platforms_lost_are_those_needing_an_input_only_china_makes(facts: BriefFacts
                                                                        ) -> None:
    """facilities.csv has no maker of dy-metal (nor tb-metal) outside China; F-35 and JDAM
    need dy-metal, Virginia, Columbia and DDG-51 both: a China denying military end users
    (every bundled platform is military) stops them. Tomahawk, MQ-9 and G-ATOR need
    neither, and keep supply on non-Chinese routes."""
    only_cn = _china_only_inputs(dt.date.fromisoformat(DAY))
    assert only_cn["F-35"] == only_cn["JDAM"] == ["dy-metal"]
    assert only_cn["Virginia"] == ["dy-metal", "tb-metal"]
    expected_lost = {p for p, inputs in only_cn.items() if inputs}
    assert expected_lost == {"F-35", "JDAM", "Virginia", "Columbia", "DDG-51"}
    assert set(facts.lost) == expected_lost
    assert set(facts.kept) == set(only_cn) - expected_lost == {"Tomahawk", "MQ-9", "G-ATOR"}
    for line in facts.platforms:
        assert line.supplied  # every one is supplied today
        assert line.supplied_if_denied == (line.platform not in expected_lost)
        # the loss rests on No. 61 / No. 46 being in force after their recorded status
        assert line.if_denied_assumed == (line.platform in expected_lost)
        if line.platform in expected_lost:
            assert CONFIDENCE_ORDER[line.if_denied_confidence] <= \
                CONFIDENCE_ORDER[Confidence.ESTIMATED]
            assert line.restore is not None
        else:
            assert line.restore is None


def test_no_lost_platform_comes_back_while_only_china_makes_its_input(facts: BriefFacts
                                                                     ) -> None:
    """By when restored: at every date a facility comes online or goes offline up to the
    last date searched (facilities.csv), dy-metal (and tb-metal) still has no maker outside
    China, so no lost platform is restored, and the inputs named are those."""
    day = dt.date.fromisoformat(DAY)
    lost = [ln for ln in facts.platforms if ln.platform in facts.lost]
    until = max(ln.restore.until for ln in lost if ln.restore)
    dates = {day} | {d for f in _rows("facilities.csv")
                     for d in (dt.date.fromisoformat(x) for x in (f["online_from"],
                                                                  f["online_until"]) if x)
                     if day <= d <= until}
    only_cn = {d: _china_only_inputs(d) for d in dates}
    for ln in lost:
        assert ln.restore is not None and ln.restore.restored_on is None
        always = set.intersection(*(set(o[ln.platform]) for o in only_cn.values()))
        assert set(ln.restore.missing_inputs) == always == set(only_cn[day][ln.platform])


def _strongest_supplied(G: nx.MultiDiGraph, day: str) -> dict[str, Confidence]:
    """Brute force: for each level, a copy of ``G`` without the facilities and supply links
    weaker than it, simulated; a platform's level is the strongest at which it is supplied."""
    out: dict[str, Confidence] = {}
    for level in sorted(Confidence, key=lambda c: CONFIDENCE_ORDER[c]):
        H = G.copy()
        floor = CONFIDENCE_ORDER[level]
        H.remove_nodes_from([n for n, d in G.nodes(data=True) if d.get("kind") == "facility"
                             and CONFIDENCE_ORDER[d["confidence"]] < floor])
        H.remove_edges_from([(u, v, k) for u, v, k, d in H.edges(keys=True, data=True)
                             if d.get("kind") == "supplies"
                             and CONFIDENCE_ORDER[d["confidence"]] < floor])
        for p in simulate(H, as_of=day, backend="networkx").supplied:
            out[p] = level
    return out


def test_supply_confidence_matches_brute_force_on_the_bundled_data(
        bundled: nx.MultiDiGraph, facts: BriefFacts) -> None:
    expected = _strongest_supplied(bundled, DAY)
    assert {ln.platform: ln.supplied_confidence for ln in facts.platforms} == expected


def _mini_with(tmp_path: Path, weaker: dict[str, str]) -> nx.MultiDiGraph:
    """compliance_mini with every facility and supply link documented except ``weaker``
    (a facility id, or ``supplier>buyer``, mapped to its confidence)."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target, dirs_exist_ok=True)
    for file, key in (("facilities.csv", lambda r: r["id"]),
                      ("supplies.csv", lambda r: f"{r['supplier']}>{r['buyer']}")):
        rows = _rows(file, target)
        for r in rows:
            r["confidence"] = weaker.get(key(r), "documented")
        with (target / file).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return load_dataset(target)


def test_supply_confidence_is_that_of_the_best_evidenced_route(tmp_path: Path) -> None:
    """compliance_mini, everything documented but two figures::

        cn-mine → cn-sep ─(illustrative)─┐
                                           jp-mag → us-comp → us-asm → missile
        us-mine → us-sep (estimated, from 2027-01-01) ─┘

    On 2026-06-01 only the Chinese route exists: supplied, illustrative. On 2027-06-01 the
    US route is there too and its weakest figure is estimated: supplied, estimated (the
    strongest route counts, not the weakest)."""
    G = _mini_with(tmp_path, {"cn-sep>jp-mag": "illustrative", "us-sep": "estimated"})
    [before] = brief_facts(G, as_of="2026-06-01").platforms
    [after] = brief_facts(G, as_of="2027-06-01").platforms
    assert before.supplied and before.supplied_confidence == Confidence.ILLUSTRATIVE
    assert after.supplied and after.supplied_confidence == Confidence.ESTIMATED


def test_mini_licences_and_procurement_worked_by_hand() -> None:
    """compliance_mini (tests/test_report.py works it out): on 2027-06-01 NO61, assumed in
    force after its suspension ended on 2026-11-10, denies the one magnet shipment jp-mag →
    us-comp (JP → US) to the military missile: 1 shipment, 1 denied, resting on the assumed
    status; DFARS's 2027 clause finds separation in China: non-compliant. On 2026-06-01
    NO61 is suspended (a recorded fact): no shipment needs a licence; the magnet is made in
    Japan and the separation clause is not in force yet: compliant."""
    G = load_dataset(MINI)
    [after] = brief_facts(G, as_of="2027-06-01").platforms
    assert (after.licence_shipments, after.denied_shipments, after.licence_assumed) == \
        (1, 1, True)
    assert (after.procurement_rule, after.procurement) == ("DFARS", "non-compliant")
    assert after.assumed and after.weakest == Confidence.ILLUSTRATIVE
    early = brief_facts(G, as_of="2026-06-01")
    [before] = early.platforms
    assert (before.licence_shipments, before.denied_shipments, before.licence_assumed) == \
        (0, 0, False)
    assert before.licence_confidence == Confidence.ILLUSTRATIVE  # rests on every link
    assert before.procurement == "compliant"
    assert before.supplied_if_denied  # nothing China denies is in force yet


def test_the_assumption_is_named_and_only_when_a_status_is_assumed(
        bundled: nx.MultiDiGraph, facts: BriefFacts, page: str) -> None:
    """DESIGN §4: No. 70 suspended No. 61 (and 57, 62) until 2026-11-10, No. 72 No. 46
    Art. 2 until 2026-11-27, nothing later recorded. On 2026-12-03 both are assumed."""
    assert facts.assumption is not None and facts.assumption.startswith(HEADLINE)
    assert {a.rule for a in facts.assumed_rules} == {
        "MOFCOM-61-2025", "MOFCOM-57-2025", "MOFCOM-62-2025", "MOFCOM-46-2024"}
    assert "No. 72's suspension lapsed on 2026-11-27" in facts.assumption
    text = html.unescape(page)
    assert HEADLINE in text
    assert text.index(HEADLINE) < text.index('<table id="portfolio"')  # named at the top
    # Before any suspension ended, with nothing lost that a later date would restore,
    # nothing is assumed: no sentence, no claim marked.
    early = brief_facts(bundled, as_of="2025-01-01")
    assert early.assumption is None
    assert not any(ln.assumed for ln in early.platforms)
    assert 'class="a"' not in render_brief(bundled, as_of="2025-01-01")


def test_top_chokepoint_stops_the_platform_and_is_not_trivial(
        bundled: nx.MultiDiGraph, facts: BriefFacts) -> None:
    """Every bundled platform is assembled in the US (facilities.csv, stage assembly): the
    assembly and the US are never named. The facility named stops, failed alone, every
    platform it is said to stop (simulate, not the chokepoint engine)."""
    assemblies = {f["products"]: f["id"] for f in _rows("facilities.csv")
                  if f["stage"] == "assembly"}
    assert {f["country"] for f in _rows("facilities.csv") if f["stage"] == "assembly"} == {"US"}
    for line in facts.platforms:
        assert line.chokepoint is not None
        assert line.chokepoint != assemblies[line.platform]
        assert "US" not in line.countries_alone
        assert line.platform in line.chokepoint_stops
        gone = simulate(bundled, fail=[line.chokepoint], as_of=DAY, backend="networkx")
        assert set(line.chokepoint_stops) <= set(gone.unsupplied)
        for country in line.countries_alone:
            assert line.platform in simulate(bundled, fail=[f"country:{country}"], as_of=DAY,
                                             backend="networkx").unsupplied


def test_risks_are_ranked_by_the_stated_measure(bundled: nx.MultiDiGraph, facts: BriefFacts,
                                                page: str) -> None:
    risks = facts.risks
    assert len(risks) == 5
    assert [r.rank for r in risks] == [1, 2, 3, 4, 5]
    for r in risks:
        assert r.score == pytest.approx(len(r.platforms) * WEIGHTS[r.confidence])
        if r.kind == "policy":
            assert set(r.platforms) == set(facts.lost) and r.assumed
        else:
            for node in r.nodes:
                spec = f"country:{node}" if r.kind == "country" else node
                stopped = simulate(bundled, fail=[spec], as_of=DAY, backend="networkx").unsupplied
                assert set(r.platforms) <= set(stopped), (node, r.platforms)
    assert [r.score for r in risks] == sorted((r.score for r in risks), reverse=True)
    for a, b in zip(risks, risks[1:], strict=False):
        if a.score == b.score:  # a tie is never silent
            assert b.rank in a.tied_with and a.rank in b.tied_with
    # China, which stops five of the eight (the US stops all eight but is where they are
    # assembled), heads the list; the measure is printed with the list.
    assert risks[0].kind == "country" and risks[0].nodes == ["CN"]
    assert len(risks[0].platforms) == 5
    assert "score = platforms stopped × the claim's confidence weight" in html.unescape(page)


def test_every_claim_in_the_table_shows_its_confidence(page: str, facts: BriefFacts) -> None:
    rows = re.findall(r'<tr id="line-([^"]+)" class="line">(.*?)</tr>', page, re.S)
    assert [p for p, _ in rows] == [ln.platform for ln in facts.platforms]
    for platform, row in rows:
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert len(cells) == 8
        restore_answered = "loses supply" in cells[2]
        for i, cell in enumerate(cells[1:], start=1):
            if i == 3 and not restore_answered:
                assert "n/a" in cell
                continue
            assert re.search(r'class="c c-(documented|reported|estimated|illustrative)"', cell), \
                (platform, i, cell)


def test_the_full_report_is_linked_or_its_command_given(bundled: nx.MultiDiGraph,
                                                         page: str) -> None:
    assert f"oretrace report --as-of {DAY}" in page and "--out report.html" in page
    linked = render_brief(bundled, as_of=DAY, platforms=["Tomahawk"], report="report.html")
    assert '<a id="full-report" href="report.html">' in linked
    assert [m for m in re.findall(r'id="line-([^"]+)"', linked)] == ["Tomahawk"]


def test_bad_requests(bundled: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownNodeError, match="did you mean 'F-35'"):
        brief_facts(bundled, platforms=["F-3"])
    with pytest.raises(QueryError, match="no platform"):
        brief_facts(bundled, platforms=[])


def test_data_is_escaped(tmp_path: Path) -> None:
    data = tmp_path / "d"
    shutil.copytree(MINI, data)
    products = data / "products.csv"
    products.write_text(products.read_text().replace(
        "Test missile", '"<script>alert(1)</script> & co"'))
    out = render_brief(load_dataset(data), as_of="2027-06-01")
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in out


def test_a_platform_nothing_makes_is_named_not_briefed(tmp_path: Path) -> None:
    """``ghost`` is a platform no facility makes (a data gap validation only warns about):
    it gets no line, the page names it with the reason, and ``missile`` is briefed."""
    data = tmp_path / "ghost"
    shutil.copytree(MINI, data)
    with (data / "products.csv").open("a", encoding="utf-8") as fh:
        fh.write("ghost,Ghost,platform,,each,1000,hand,illustrative,military,US\n")
    G = load_dataset(data)
    facts = brief_facts(G, as_of="2027-06-01")
    assert [ln.platform for ln in facts.platforms] == ["missile"]
    assert facts.not_briefed == {"ghost": "no facility makes 'ghost' as of 2027-06-01"}
    out = render_brief(G, as_of="2027-06-01")
    assert 'id="not-briefed"' in out and 'id="line-missile"' in out


# --------------------------------------------------------------------------- CLI


def test_cli_writes_the_brief_the_report_and_the_pdf(tmp_path: Path) -> None:
    out, pdf = tmp_path / "out" / "brief.html", tmp_path / "out" / "brief.pdf"
    result = CliRunner().invoke(make_app(), [
        "--data", str(MINI), "brief", "--as-of", "2027-06-01", "--out", str(out),
        "--pdf", str(pdf), "--with-report"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "report.html").is_file()
    assert '<a id="full-report" href="report.html">' in out.read_text(encoding="utf-8")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and pdf_pages(data) == 1


def test_cli_prints_only_a_pdf_when_only_pdf_is_asked(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(make_app(), [
        "--data", str(MINI), "brief", "--as-of", "2026-06-01", "--pdf", "only.pdf"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["only.pdf"]
    assert pdf_pages((tmp_path / "only.pdf").read_bytes()) == 1


def test_cli_refuses_an_unknown_platform(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--data", str(MINI), "brief", "--platform", "missle",
              "--out", str(tmp_path / "b.html")])
    assert stop.value.code == 2
    assert "error: no platform with id 'missle'; did you mean 'missile'?" in \
        capsys.readouterr().err
    assert not (tmp_path / "b.html").exists()


# --------------------------------------------------------------------------- browser

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--window-size=1280,800"]

_PROBE = """<script>
window.__probe = {errors: []};
window.addEventListener("error", function (e) {
  window.__probe.errors.push(String(e.message || "error"));
}, true);
window.addEventListener("load", function () {
  var rows = Array.prototype.map.call(document.querySelectorAll("tr.line"), function (r) {
    var box = r.getBoundingClientRect();
    return {id: r.id, top: box.top, bottom: box.bottom, text: r.innerText};
  });
  var line = document.getElementById("bottom-line").getBoundingClientRect();
  var out = document.createElement("pre");
  out.id = "oretrace-probe";
  out.textContent = JSON.stringify({errors: window.__probe.errors, rows: rows,
    bottomLine: line.bottom, height: window.innerHeight, width: window.innerWidth});
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for the brief test: install Debian's chromium "
                "package (apt-get install chromium), as tools/test does")


def _run(page: Path, profile: Path, *extra: str) -> tuple[str, list[str]]:
    done = subprocess.run([_chromium(), *_FLAGS, f"--user-data-dir={profile}",
                           "--virtual-time-budget=10000", *extra, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [ln for ln in done.stderr.splitlines() if ":CONSOLE" in ln]


@pytest.fixture(scope="module")
def written(page: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("brief") / "brief.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.mark.browser
def test_first_screen_holds_every_platforms_bottom_line(written: Path, facts: BriefFacts,
                                                        tmp_path: Path) -> None:
    """In a 1280×800 window, with no script error, the bottom line and every platform's
    line (today / if China denies / licences / top chokepoint, with its confidence) lie
    wholly above 800 px: the first screen answers for the whole portfolio."""
    copy = tmp_path / "probe.html"
    copy.write_text(written.read_text(encoding="utf-8").replace("<head>", "<head>" + _PROBE, 1),
                    encoding="utf-8")
    dom, console = _run(copy, tmp_path / "profile-probe", "--dump-dom")
    found = re.search(r'<pre id="oretrace-probe">(.*?)</pre>', dom, re.S)
    assert found, "the page never finished loading (no probe output)"
    probe: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    assert probe["errors"] == [] and console == []
    assert probe["width"] == 1280  # the layout's width; the rows must end above 800 px
    assert probe["bottomLine"] <= 800
    assert [r["id"] for r in probe["rows"]] == [f"line-{ln.platform}" for ln in facts.platforms]
    for row, line in zip(probe["rows"], facts.platforms, strict=True):
        assert 0 <= row["top"] < row["bottom"] <= 800, row
        text = row["text"]
        assert line.platform in text
        assert ("keeps supply" if line.supplied_if_denied else "loses supply") in text
        assert str(line.licence_shipments) in text and (line.chokepoint or "") in text
        assert re.search(r"\b(doc|rep|est|ill)\b", text)

    shot = tmp_path / "brief.png"
    _, console = _run(written, tmp_path / "profile-shot", f"--screenshot={shot}")
    assert console == []
    image = mpimg.imread(shot)
    assert image.shape[:2] == (800, 1280)  # the first screen, as the planner sees it
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "brief.png")
    shutil.copy(written, ARTIFACTS / "brief.html")


@pytest.mark.browser
def test_the_page_counter_sees_more_than_two_pages(tmp_path: Path) -> None:
    """The check below can fail: three forced page breaks print as three pages."""
    three = tmp_path / "three.html"
    three.write_text("<!DOCTYPE html><html><body>" + "".join(
        f'<p style="break-after: page">page {i}</p>' for i in range(3)) + "</body></html>")
    assert print_pdf(three, tmp_path / "three.pdf") == 3
    assert pdf_pages((tmp_path / "three.pdf").read_bytes()) == 3


@pytest.mark.browser
def test_brief_prints_to_at_most_two_a4_pages(written: Path, tmp_path: Path) -> None:
    """The eight bundled platforms and the five risks print on at most two A4 pages
    (595 × 842 pt)."""
    pdf = tmp_path / "brief.pdf"
    _run(written, tmp_path / "profile-pdf", "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))
    assert 1 <= pages <= 2
    boxes = {tuple(round(float(x)) for x in m.split())
             for m in re.findall(rb"/MediaBox\s*\[\s*([\d.\s]+?)\s*\]", data)}
    assert boxes == {(0, 0, 595, 842)}
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "brief.pdf")
