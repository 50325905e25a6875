"""The explorer page: its data worked by hand on the mini network, escaping, the CLI, and a
real headless Chromium driven through Selenium (Debian's ``chromium`` and ``chromium-driver``).

The mini network (tests/data/mini), every link illustrative::

    cn-mine(CN) ──ore 1──► cn-sep(CN, runs cn-sx: Chinese technology) ──oxide 0.6──┐
                                                                                    ▼
    us-mine(US) ──ore 1──► us-sep(US, online 2027-01-01) ──oxide 0.4, from 2027──► jp-mag(JP)
        ──magnet 1──► us-comp(US) ──actuator 1──► us-asm(US) ──► missile

Before 2027-01-01 us-sep is not online, so neither it nor us-mine (which feeds only it) is in
the missile's network: 5 facilities and 5 links; from 2027-01-01, 7 and 7. Links from cn-sep
on are downstream of Chinese technology (tainted); cn-mine → cn-sep and the US branch are not.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import networkx as nx
import numpy as np
import pytest
from oretrace.graphmodel import UnknownNodeError
from oretrace.loaders import load_dataset
from oretrace.queries.explore import (
    Explorer,
    _change_dates,
    _snapshot,
    _upstream_graph,
    explore,
    script_json,
)
from oretrace.queries.plots import CN_COLOUR, TAINT_COLOUR, country_colour

from oretrace.cli import main

MINI = Path(__file__).parent / "data" / "mini"
BUNDLED = Path(__file__).resolve().parents[1] / "loaders" / "bundled"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
BEFORE, AFTER = "2026-06-01", "2027-06-01"
_DATA = re.compile(r'<script type="application/json" id="oretrace-data">(.*?)</script>', re.S)


def page_data(page: str) -> dict[str, Any]:
    """The JSON the page embeds (read back as the browser would)."""
    found = _DATA.search(page)
    assert found, "no data element in the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


@pytest.fixture(scope="module")
def mini() -> nx.MultiDiGraph:
    return load_dataset(MINI)


@pytest.fixture(scope="module")
def view(mini: nx.MultiDiGraph) -> Explorer:
    return explore(mini, "missile", as_of=BEFORE, dates=[AFTER])


# --------------------------------------------------------------------------- data


def test_default_dates_are_as_of_and_the_day_the_network_changes(mini: nx.MultiDiGraph) -> None:
    """Only us-sep and its link are dated (from 2027-01-01): the selector offers as_of and
    that day; read a year later, the only date before it is still 2027-01-01."""
    assert [d.isoformat() for d in explore(mini, "missile", as_of=BEFORE).dates] == [
        BEFORE, "2027-01-01"]
    assert [d.isoformat() for d in explore(mini, "missile", as_of="2028-01-01").dates] == [
        "2027-01-01", "2028-01-01"]
    assert len(explore(mini, "missile", as_of=BEFORE, max_dates=1).dates) == 1


def test_network_on_each_date(view: Explorer) -> None:
    data = page_data(view.html)
    assert data["dates"] == [BEFORE, AFTER] and data["selected"] == 0
    on = {i: {n["id"] for n in data["nodes"] if str(i) in n["at"]} for i in (0, 1)}
    assert on[0] == {"cn-mine", "cn-sep", "jp-mag", "us-comp", "us-asm", "missile"}
    assert on[1] == on[0] | {"us-mine", "us-sep"}
    links = {ln["id"]: ln["at"] for ln in data["links"]}
    assert {k for k, at in links.items() if "0" in at} == {
        "cn-mine->cn-sep", "cn-sep->jp-mag", "jp-mag->us-comp", "us-comp->us-asm",
        "us-asm->missile"}
    assert set(links) - {k for k, at in links.items() if "0" in at} == {
        "us-mine->us-sep", "us-sep->jp-mag"}
    assert links["cn-sep->jp-mag"]["0"]["share"] == 0.6
    assert links["us-sep->jp-mag"]["1"]["share"] == 0.4
    assert links["us-asm->missile"]["0"]["share"] == 1.0  # the last hop counts as 1
    tainted = {k for k, at in links.items() if at.get("1", {}).get("tainted")}
    assert tainted == {"cn-sep->jp-mag", "jp-mag->us-comp", "us-comp->us-asm",
                       "us-asm->missile"}
    assert all(at[i]["confidence"] == "illustrative" for at in links.values() for i in at)
    assert view.confidence.value == "illustrative" and view.links == 7


@pytest.mark.parametrize("platform", ["F-35", "Virginia"])
def test_the_pruned_graph_traces_the_same_networks(bundled: nx.MultiDiGraph,
                                                   platform: str) -> None:
    """Oracle for the fast path: on every date where anything in the dataset starts or ends,
    the network traced on the whole graph equals the one traced on the graph pruned to the
    facilities that can supply the platform."""
    S = _upstream_graph(bundled, platform)
    assert S.number_of_nodes() < bundled.number_of_nodes()
    days = sorted(_change_dates(bundled))
    assert len(days) > 10
    for day in days:
        assert _snapshot(S, platform, day) == _snapshot(bundled, platform, day), day


def test_layout_and_styles_follow_the_flow_plot(view: Explorer) -> None:
    """Columns run mine → separation → magnet → component → assembly → platform; fills are
    the flow plot's country colours (China red); cn-sep carries the technology mark."""
    nodes = {n["id"]: n for n in page_data(view.html)["nodes"]}
    xs = [nodes[n]["x"] for n in ("cn-mine", "cn-sep", "jp-mag", "us-comp", "us-asm",
                                  "missile")]
    assert xs == sorted(xs) and len(set(xs)) == 6
    assert nodes["us-mine"]["x"] == nodes["cn-mine"]["x"]
    assert nodes["us-sep"]["x"] == nodes["cn-sep"]["x"]
    assert nodes["cn-sep"]["fill"] == CN_COLOUR == "#d62728"
    assert nodes["jp-mag"]["fill"] == country_colour("JP")
    assert nodes["cn-sep"]["at"]["0"] == {"cn_tech": True, "cn_owned": True, "tainted": True}
    assert nodes["cn-mine"]["at"]["0"]["tainted"] is False
    assert page_data(view.html)["style"]["taint"] == TAINT_COLOUR


def test_link_panel_data_carries_the_supply_record(view: Explorer) -> None:
    """The record of tests/data/mini/supplies.csv line 5: us-sep → jp-mag, oxide 0.4 from
    2027-01-01, source ``hand``, whose row in sources.csv is the hand-drawn network."""
    data = page_data(view.html)
    link = next(ln for ln in data["links"] if ln["id"] == "us-sep->jp-mag")
    assert link["at"]["1"]["supplies"] == [{
        "product": "oxide", "share": 0.4, "start": "2027-01-01", "confidence": "illustrative",
        "sources": ["hand"]}]
    assert data["sources"]["hand"]["title"] == "Hand-drawn test network"
    assert data["sources"]["hand"]["url"] is None


def test_page_is_self_contained(view: Explorer) -> None:
    page = view.html
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(?!data:)", page)
    assert "@version 9." in page and "vis-network" in page  # the script inlined
    assert not re.search("@@(TITLE|DATA|VIS)@@", page)  # every slot of the template filled


def test_unknown_platform(mini: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownNodeError, match="no product with id 'missle'; did you mean"):
        explore(mini, "missle")


def test_script_json_round_trips_and_never_closes_the_element() -> None:
    value = {"a": "</script><!-- & \u2028 >", "b": [1.5, None]}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


@pytest.fixture
def hostile(mini_copy: Callable[..., Path]) -> Explorer:
    """The mini network with a facility name and a source built to break the page."""
    def rename(lines: list[str]) -> list[str]:
        return [ln.replace("JP magnet plant", '"</script><img src=x onerror=alert(1)> & co"')
                for ln in lines]
    mini_copy("facilities.csv", rename)
    target = mini_copy("sources.csv", lambda lines: [*lines, 'evil,"<b>bold</b>",,,'
                                                     "javascript:alert(1)"])
    mini_copy("facilities.csv", lambda ls: [ln.replace(",hand,illustrative", ",hand;evil,"
                                                        "illustrative") if ln.startswith(
                                                            "jp-mag") else ln for ln in ls])
    return explore(load_dataset(target), "missile", as_of=BEFORE)


def test_data_is_escaped(hostile: Explorer) -> None:
    page = hostile.html
    assert page.count("</script>") == 3  # the data, vis-network and the application
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert "<img" not in markup and "<b>" not in markup
    assert not re.search("[<>&]", _DATA.search(page).group(1))  # type: ignore[union-attr]
    data = page_data(page)
    jp = next(n for n in data["nodes"] if n["id"] == "jp-mag")
    assert jp["name"] == "</script><img src=x onerror=alert(1)> & co"
    assert data["sources"]["evil"] == {"title": "<b>bold</b>", "publisher": None,
                                       "date": None, "url": None,
                                       "address": "javascript:alert(1)"}


def test_repr_html_is_an_iframe_holding_the_page(view: Explorer) -> None:
    frame = view._repr_html_()
    found = re.fullmatch(r'<iframe [^>]*sandbox="allow-scripts[^"]*" srcdoc="([^"]*)"></iframe>',
                         frame)
    assert found and html.unescape(found.group(1)) == view.html


# --------------------------------------------------------------------------- CLI


def test_cli_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "missile.html"
    with pytest.raises(SystemExit) as done:
        main(["--data", str(MINI), "explore", "--platform", "missile", "--out", str(out),
              "--as-of", BEFORE, "--date", AFTER])
    assert done.value.code in (0, None)
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["dates"] == [BEFORE, AFTER] and data["platform"] == "missile"
    assert f"wrote {out}" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--platform", "missle"], "error: no product with id 'missle'; did you mean 'missile'?"),
    (["--platform", "missile", "--as-of", "2026-13-01"], "error: '2026-13-01' is not a date"),
])
def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 args: list[str], message: str) -> None:
    out = tmp_path / "x.html"
    with pytest.raises(SystemExit) as done:
        main(["--data", str(MINI), "explore", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.startswith(message) and err.count("\n") == 1
    assert not out.exists()


def test_cli_refuses_an_unwritable_place_before_computing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SystemExit) as done:
        main(["--data", str(MINI), "explore", "--platform", "nothing-checked-yet", "--out",
              str(blocker / "x.html")])
    assert done.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: {blocker / 'x.html'}: {blocker} is not")


# --------------------------------------------------------------------------- browser


def _need(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is needed for the explorer's browser test: install Debian's "
                    "chromium and chromium-driver packages (apt-get install chromium "
                    "chromium-driver), as tools/test does")
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _need("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 "--force-device-scale-factor=1", "--window-size=1400,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(_need("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver: Any, page: Path) -> None:
    driver.get(page.resolve().as_uri())
    for _ in range(100):
        if driver.execute_script("return !!window.oretraceExplorer"):
            return
        time.sleep(0.05)
    pytest.fail(f"the explorer never started; console: {driver.get_log('browser')}")


def _severe(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _canvas_xy(driver: Any, node: str) -> tuple[float, float]:
    """``node``'s centre on the canvas (the layout the page holds)."""
    x, y = driver.execute_script(
        "var id = arguments[0];"
        "var n = window.oretraceExplorer.data.nodes.filter(function (m) {"
        "  return m.id === id; })[0];"
        "return [n.x, n.y];", node)
    return float(x), float(y)


def _page_xy(driver: Any, x: float, y: float) -> tuple[float, float]:
    """Where the canvas point (x, y) is drawn, in page pixels (network.canvasToDOM)."""
    px, py = driver.execute_script(
        "var p = window.oretraceExplorer.network.canvasToDOM({x: arguments[0], "
        "  y: arguments[1]});"
        "var r = document.getElementById('network').getBoundingClientRect();"
        "return [r.left + p.x, r.top + p.y];", x, y)
    return float(px), float(py)


def _click(driver: Any, x: float, y: float) -> None:
    """A real mouse click at page pixel (x, y) on the network's canvas."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "network")
    rect = box.rect
    ActionChains(driver).move_to_element_with_offset(
        box, int(x - rect["x"] - rect["width"] / 2), int(y - rect["y"] - rect["height"] / 2)
    ).click().perform()


def _pixel(driver: Any, x: float, y: float) -> np.ndarray:
    shot = np.asarray(mpimg.imread(io.BytesIO(driver.get_screenshot_as_png()), format="png"))
    return np.asarray(shot[int(y), int(x), :3])


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])


@pytest.mark.browser
def test_the_console_check_can_fail(browser: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><link rel='icon' href='data:,'></head><body>"
                   "<script>undefinedFunction();</script></body></html>")
    browser.get(bad.resolve().as_uri())
    assert any("undefinedFunction" in m for m in _severe(browser))


@pytest.mark.browser
def test_search_and_dates_in_chromium(browser: Any, view: Explorer, tmp_path: Path) -> None:
    """Search selects and describes the node; choosing 2027 brings us-sep (US blue) in where
    the 2026 page showed blank canvas."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    page = view.save(tmp_path / "mini.html")
    _open(browser, page)
    assert _severe(browser) == []
    counts = browser.find_element(By.ID, "counts")
    assert counts.text == f"5 facilities, 5 links on {BEFORE}"

    search = browser.find_element(By.ID, "search")
    search.send_keys("JP magnet plant", Keys.ENTER)  # by name
    assert browser.execute_script(
        "return window.oretraceExplorer.network.getSelectedNodes()") == ["jp-mag"]
    panel = browser.find_element(By.ID, "panel")
    assert panel.find_element(By.TAG_NAME, "h2").text == "JP magnet plant"
    assert "Hand-drawn test network" in panel.text

    # a real click on the middle of the link cn-mine -> cn-sep (a symmetric curve)
    (ax, ay), (bx, by) = _canvas_xy(browser, "cn-mine"), _canvas_xy(browser, "cn-sep")
    _click(browser, *_page_xy(browser, (ax + bx) / 2, (ay + by) / 2))
    assert panel.find_element(By.TAG_NAME, "h2").text == "cn-mine → cn-sep"
    assert [h.get_attribute("textContent") for h in panel.find_elements(
        By.TAG_NAME, "h3")] == ["Supplies ore"]  # tests/data/mini/supplies.csv line 2
    rows = {tr.find_elements(By.TAG_NAME, "td")[0].text: tr.find_elements(By.TAG_NAME, "td")[1]
            .text for tr in panel.find_elements(By.TAG_NAME, "tr")}
    assert rows == {"product": "ore", "share": "1", "confidence": "illustrative"}
    assert "Hand-drawn test network" in panel.text

    search.clear()
    search.send_keys("us-sep", Keys.ENTER)  # not online yet: described, not selected
    assert "us-sep is not in the network on 2026-06-01" in browser.find_element(
        By.ID, "search-status").text
    assert "Not in the supply network on 2026-06-01." in panel.text

    cx, cy = _canvas_xy(browser, "us-sep")
    x, y = _page_xy(browser, cx - 50, cy)  # inside the 130-wide box, left of its label
    assert np.allclose(_pixel(browser, x, y), [1, 1, 1], atol=0.02)  # blank canvas
    browser.save_screenshot(str(tmp_path / "before.png"))
    Select(browser.find_element(By.ID, "date")).select_by_index(1)
    assert counts.text == f"7 facilities, 7 links on {AFTER}"
    assert "In the supply network on 2027-06-01." in panel.text  # the panel follows the date
    for _ in range(40):  # the canvas redraws on the next animation frame
        if np.allclose(_pixel(browser, x, y), _rgb(country_colour("US")), atol=0.06):
            break
        time.sleep(0.05)
    assert np.allclose(_pixel(browser, x, y), _rgb(country_colour("US")), atol=0.06)
    assert _severe(browser) == []
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "before.png", ARTIFACTS / "explore-mini-2026.png")
    browser.save_screenshot(str(ARTIFACTS / "explore-mini-2027.png"))


@pytest.mark.browser
def test_clicking_a_node_shows_its_sources_in_chromium(
        browser: Any, bundled: nx.MultiDiGraph, tmp_path: Path) -> None:
    """A real click on Lynas's Mt Weld mine in the F-35 page lists the sources that
    loaders/bundled/facilities.csv gives it, with the titles of sources.csv, as links to
    their addresses where they have one (Lynas-K) and as text where not (USGS-CSV)."""
    from selenium.webdriver.common.by import By

    with open(BUNDLED / "facilities.csv", encoding="utf-8", newline="") as f:
        facility = next(r for r in csv.DictReader(f) if r["id"] == "lynas-mt-weld")
    with open(BUNDLED / "sources.csv", encoding="utf-8", newline="") as f:
        table = {r["id"]: r for r in csv.DictReader(f)}
    wanted = facility["sources"].split(";")
    linked = [s for s in wanted if table[s]["url"].startswith("https://")]
    assert linked and len(linked) < len(wanted)  # both kinds are checked

    page = explore(bundled, "F-35", as_of="2026-11-24").save(tmp_path / "f35.html")
    _open(browser, page)
    assert _severe(browser) == []
    _click(browser, *_page_xy(browser, *_canvas_xy(browser, "lynas-mt-weld")))
    panel = browser.find_element(By.ID, "panel")
    assert panel.find_element(By.TAG_NAME, "h2").text == facility["name"]
    links = {a.text: a.get_attribute("href")
             for a in panel.find_elements(By.CSS_SELECTOR, "ul.sources a")}
    for sid in wanted:
        if sid in linked:
            assert links.get(table[sid]["title"]) == table[sid]["url"], (sid, links)
        else:
            assert table[sid]["title"] not in links and table[sid]["title"] in panel.text
    assert f"Confidence: {facility['confidence']}" in panel.text
    assert _severe(browser) == []
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "explore-f35.png"))


@pytest.mark.browser
def test_hostile_names_stay_text_in_chromium(browser: Any, hostile: Explorer,
                                             tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, hostile.save(tmp_path / "hostile.html"))
    browser.find_element(By.ID, "search").send_keys("jp-mag", Keys.ENTER)
    panel = browser.find_element(By.ID, "panel")
    assert panel.find_element(By.TAG_NAME, "h2").text == \
        "</script><img src=x onerror=alert(1)> & co"
    assert browser.execute_script("return document.images.length") == 0
    assert panel.find_elements(By.TAG_NAME, "b") == []
    assert [a.text for a in panel.find_elements(By.CSS_SELECTOR, "ul.sources a")] == []
    assert "javascript:alert(1)" in panel.text  # shown as text, not a link
    assert _severe(browser) == []


@pytest.mark.browser
def test_the_notebook_view_runs_in_its_iframe(browser: Any, view: Explorer,
                                              tmp_path: Path) -> None:
    """What Jupyter shows (``_repr_html_``) runs the page inside its sandboxed iframe."""
    from selenium.webdriver.common.by import By

    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><html><head><link rel='icon' href='data:,'></head><body>"
                    + view._repr_html_() + "</body></html>", encoding="utf-8")
    browser.get(host.resolve().as_uri())
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        for _ in range(100):
            if browser.execute_script("return !!window.oretraceExplorer"):
                break
            time.sleep(0.05)
        assert browser.find_element(By.ID, "counts").text == \
            f"5 facilities, 5 links on {BEFORE}"
    finally:
        browser.switch_to.default_content()
    assert _severe(browser) == []
