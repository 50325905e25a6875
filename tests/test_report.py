"""The briefing report: HTML structure and facts (worked by hand), escaping, and a real browser.

The browser tests open the page in headless Chromium (Debian's ``chromium``), the way a
planner would: ``--dump-dom`` on a copy of the page with a small probe script injected
first in ``<head>`` (it records script errors and, once loaded, every image's
``naturalWidth``) and ``--screenshot`` on the page itself with Chromium's console log on
stderr (``--enable-logging=stderr --v=0``; the page has no script, so any ``CONSOLE``
line is an error). The screenshot is kept in ``artifacts/`` (git-ignored) and the
pytest tmp dir. When Chromium is missing these tests fail, saying how to install it.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import networkx as nx
import numpy as np
import pytest
from oretrace.graphmodel import QueryError, UnknownNodeError
from oretrace.loaders import load_dataset
from oretrace.queries.report import render_report

MINI = Path(__file__).parent / "data" / "compliance_mini"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
AFTER = "2027-06-01"


class Page(HTMLParser):
    """The tags, ids, links, images and text of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._title = False
        self.title = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        self._title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._title:
            self.title += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


@pytest.fixture(scope="module")
def mini() -> nx.MultiDiGraph:
    return load_dataset(MINI)


@pytest.fixture(scope="module")
def mini_page(mini: nx.MultiDiGraph) -> str:
    return render_report(mini, as_of=AFTER)


# --------------------------------------------------------------------------- structure


def test_title_and_heading_carry_the_date(mini_page: str) -> None:
    page = Page(mini_page)
    assert page.title == f"oretrace briefing as of {AFTER}"
    assert any(f"as of {AFTER}" in t for t in page.text)
    assert mini_page.startswith("<!DOCTYPE html>")


def test_every_figure_is_an_inlined_png(mini_page: str) -> None:
    """Overview: exposure matrix, chokepoints by country and by facility, concentration,
    timeline (5); then the flow of the one platform (1): six PNGs, all inline."""
    images = Page(mini_page).all("img")
    assert len(images) == 6
    for img in images:
        src = str(img["src"])
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert img.get("alt")


def test_page_is_self_contained(mini_page: str) -> None:
    page = Page(mini_page)
    assert not page.all("script")
    assert all(str(a.get("href", "")).startswith("data:") for a in page.all("link"))
    for a in page.all("a"):
        href = str(a.get("href"))
        if href.startswith("#"):
            assert href[1:] in page.ids, f"dangling link {href}"
    assert not re.search(r'src="(?!data:)', mini_page)


def test_platform_section_states_the_hand_worked_answers(mini_page: str) -> None:
    """As of 2027-06-01 (see tests/test_plots.py for the chain): NO61 denies the magnet
    shipment jp-mag → us-comp to a military end use through its value test (13.1 % ≥ 0.1 %),
    a verdict on the shipment, not the missile (cn-sep runs Chinese know-how in China: no
    technology-test case), DFARS finds
    separation in China (its 2027 clause), and only jp-mag, us-comp and us-asm are single
    points of failure (jp-mag has two oxide suppliers from 2027). Every claim here rests on
    illustrative links, and says so."""
    section = mini_page[mini_page.index('<section id="platform-missile">'):]
    section = section[:section.index("</section>")]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr><td><b>(\w+)</b>.*?</tr>",
                                                         section)}
    assert ">shipments-denied<" in rows["NO61"] and "military-value" in rows["NO61"]
    assert ">non-compliant<" in rows["DFARS"] and "mined-refined-separated" in rows["DFARS"]
    assert ">illustrative<" in rows["NO61"]
    facility_row = re.search(r"<tr><td>facility</td><td>(.*?)</td>", section)
    assert facility_row is not None
    nodes = [cell.split(" ", 1)[0] for cell in facility_row.group(1).split("<br>")]
    assert nodes == ["jp-mag", "us-comp", "us-asm"]  # upstream first


@pytest.mark.parametrize(("as_of", "no61_status"), [("2026-06-01", "suspended"),
                                                      ("2027-06-01", "assumed-in-force")])
def test_rule_rows_carry_the_recorded_or_assumed_status(mini: nx.MultiDiGraph, as_of: str,
                                                        no61_status: str) -> None:
    """NO61 in compliance_mini: suspended 2025-11-07..2026-11-10, status recorded to
    2026-11-10. On 2026-06-01 the suspension is a recorded fact (`suspended`); on 2027-06-01
    nothing is recorded, and the default assumption (the suspension lapsed) makes it
    `assumed-in-force`. DFARS has no status events: plain `in-force` on both dates."""
    page = render_report(mini, as_of=as_of, figures=False)
    section = page[page.index('<section id="platform-missile">'):]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr><td><b>(\w+)</b>.*?</tr>",
                                                         section)}
    assert f"<td>{no61_status}</td>" in rows["NO61"]
    assert "<td>in-force</td>" in rows["DFARS"] and "assumed" not in rows["DFARS"]


def test_sources_are_links_with_anchors(mini_page: str) -> None:
    page = Page(mini_page)
    assert "src-hand" in page.ids
    assert any(a.get("href") == "#src-hand" for a in page.all("a"))


def test_data_is_escaped(tmp_path: Path) -> None:
    """A hostile platform name, source title and address appear as text, never as markup,
    and a ``javascript:`` address is not made a link."""
    data = tmp_path / "d"
    shutil.copytree(MINI, data)
    products = data / "products.csv"
    products.write_text(products.read_text().replace(
        "Test missile", '"<script>alert(1)</script> & <b>co</b>"'))
    sources = data / "sources.csv"
    sources.write_text("id,title,publisher,date,url\n"
                       'hand,"<img src=x onerror=alert(2)>",oretrace tests,2026-11-24,'
                       "javascript:alert(3)\n")
    page = render_report(load_dataset(data), as_of=AFTER, figures=False)
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in page
    assert "javascript:" not in page


def test_bad_requests(mini: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownNodeError, match="did you mean 'missile'"):
        render_report(mini, platforms=["missle"], figures=False)
    with pytest.raises(QueryError, match="end user"):
        render_report(mini, end_user="navy", figures=False)


def _variant(tmp_path: Path, file: str, extra: str) -> nx.MultiDiGraph:
    """compliance_mini with ``extra`` lines appended to ``file``."""
    target = tmp_path / "dataset"
    shutil.copytree(MINI, target)
    with (target / file).open("a", encoding="utf-8") as fh:
        fh.write(extra)
    return load_dataset(target)


def test_a_platform_nothing_makes_is_named_and_the_others_briefed(tmp_path: Path) -> None:
    """``ghost`` is a platform no facility makes (a data gap validation only warns about):
    its content share has no answer, so it gets no section; the page names it with that
    reason, and ``missile`` is briefed as in the full page (its section and the figures)."""
    G = _variant(tmp_path, "products.csv", "ghost,Ghost,platform,,each,1000,hand,"
                                           "illustrative,military,US\n")
    page = render_report(G, as_of=AFTER)
    parsed = Page(page)
    assert "platform-missile" in parsed.ids and "platform-ghost" not in parsed.ids
    assert "not-briefed" in parsed.ids
    text = " ".join(parsed.text)
    assert "no facility makes 'ghost' as of 2027-06-01" in text
    assert len(parsed.all("img")) >= 3  # the overview figures, drawn for missile


def test_a_bill_of_materials_loop_through_the_platform_is_named(tmp_path: Path) -> None:
    """The actuator requiring the missile that requires it: the content roll-up of the
    missile has no answer, so the only platform is named, not briefed, and the page is
    still written (tables only). The loader refuses such a file (a located error), so the
    loop is drawn on the loaded graph, as a notebook user might."""
    G = load_dataset(MINI).copy()
    G.add_edge("actuator", "missile", key="requires", kind="requires", sources=["hand"],
               confidence="illustrative", product="actuator", input="missile", qty=1.0)
    parsed = Page(render_report(G, as_of=AFTER, figures=False))
    assert "platform-missile" not in parsed.ids
    assert "contains itself" in " ".join(parsed.text)


# --------------------------------------------------------------------------- browser

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]

_PROBE = """<script>
window.__probe = {errors: []};
window.addEventListener("error", function (e) {
  window.__probe.errors.push(String(e.message || (e.target && e.target.src) || "error"));
}, true);
window.addEventListener("load", function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight};
  });
  var out = document.createElement("pre");
  out.id = "oretrace-probe";
  out.textContent = JSON.stringify({errors: window.__probe.errors, images: imgs,
                                    title: document.title});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for the report test: install Debian's chromium "
                "package (apt-get install chromium), as tools/test does")


def run_chromium(page: Path, profile: Path, *extra: str) -> tuple[str, list[str]]:
    """Open ``page``; return stdout and the console lines Chromium logged."""
    profile.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [chromium(), *_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
         *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [ln for ln in done.stderr.splitlines() if ":CONSOLE" in ln]


def probe(page: Path, tmp: Path) -> dict[str, Any]:
    """Load a copy of ``page`` with the probe injected; return what it found."""
    text = page.read_text(encoding="utf-8")
    copy = tmp / f"probe-{page.name}"
    copy.write_text(text.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    dom, console = run_chromium(copy, tmp / "profile-probe", "--dump-dom")
    found = re.search(r'<pre id="oretrace-probe">(.*?)</pre>', dom, re.S)
    assert found, "the page never finished loading (no probe output)"
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    result["console"] = console
    return result


def screenshot(page: Path, out: Path, tmp: Path) -> list[str]:
    """Screenshot ``page`` to ``out``; return the console lines the page produced."""
    _, console = run_chromium(page, tmp / "profile-shot", "--window-size=1280,2200",
                              f"--screenshot={out}")
    return console


@pytest.mark.browser
def test_the_probe_catches_a_broken_page(tmp_path: Path) -> None:
    """The checks below can fail: a broken image and a script error are both caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                   '<img alt="broken" src="data:image/png;base64,AAAA">'
                   "<script>undefinedFunction();</script></body></html>")
    found = probe(bad, tmp_path)
    assert found["images"] == [{"alt": "broken", "complete": True, "width": 0, "height": 0}]
    assert any("undefinedFunction" in e for e in found["errors"])
    assert any("undefinedFunction" in line for line in found["console"])


@pytest.mark.browser
def test_report_renders_in_headless_chromium(bundled: nx.MultiDiGraph, tmp_path: Path) -> None:
    """The bundled briefing for two platforms loads with no console error and every figure
    decoded (naturalWidth > 0): 5 overview figures + 2 flows."""
    page = tmp_path / "brief.html"
    page.write_text(render_report(bundled, platforms=["F-35", "Tomahawk"], as_of="2026-11-24"),
                    encoding="utf-8")
    found = probe(page, tmp_path)
    assert found["title"] == "oretrace briefing as of 2026-11-24"
    assert found["errors"] == []
    assert found["console"] == []
    assert len(found["images"]) == 7
    for img in found["images"]:
        assert img["complete"] and img["width"] > 300 and img["height"] > 100, img

    shot = tmp_path / "brief.png"
    assert screenshot(page, shot, tmp_path) == []
    image = np.asarray(mpimg.imread(shot))
    assert image.shape[:2] == (2200, 1280)
    ink = (image[..., :3] < 0.9).any(axis=-1).mean()
    assert ink > 0.05  # text and figures, not a blank page
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report-screenshot.png")
    shutil.copy(page, ARTIFACTS / "report.html")
