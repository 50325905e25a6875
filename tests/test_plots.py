"""The plots: each renders to PNG, and what it draws matches answers worked out by hand.

Most tests read ``tests/data/compliance_mini``, a hand-drawn chain (all links ``illustrative``):

    cn-mine (CN, 1000 t/yr) ─ore─► cn-sep (CN, 100 t/yr, runs cn-sx: Chinese technology)
    us-mine (US,  500 t/yr) ─ore─► us-sep (US,  50 t/yr, planned, online 2027-01-01)
    cn-sep ─oxide 0.6─► jp-mag (JP, 10 t/yr) ◄─oxide 0.4 (from 2027-01-01)─ us-sep
    jp-mag ─magnet─► us-comp ─actuator─► us-asm ─► missile
    companies: cn-co (CN) runs cn-mine, cn-sep; us-co (US, 10 % held by cn-co) runs the rest
    but jp-mag, which has no operator.
    rules: NO61 in force from 2025-12-01, suspended 2025-11-07..2026-11-10 (end inclusive);
    DFARS from 2019-04-30, its mined/refined/separated clause from 2027-01-01.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.image as mpimg
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from oretrace.graphmodel import QueryError, Records, UnknownNodeError, build_graph
from oretrace.graphmodel.schema import BomLine, Facility, Product, Source, Supply, Technology
from oretrace.loaders import load_dataset
from oretrace.queries.plots import (
    CN_COLOUR,
    MOST_SUPPLIERS,
    PLOTS,
    TAINT_COLOUR,
    TIMELINE_RULES,
    VERDICT_COLOURS,
    PublishedShare,
    country_colour,
    find_rule_windows,
    plot_chokepoints,
    plot_concentration,
    plot_exposure_matrix,
    plot_supply_flow,
    plot_timeline,
)

MINI = Path(__file__).parent / "data" / "compliance_mini"
BEFORE, AFTER = "2026-06-01", "2027-06-01"  # before / after us-sep and DFARS's 2027 clause


@pytest.fixture(scope="module")
def mini() -> nx.MultiDiGraph:
    return load_dataset(MINI)


def gids(fig: Figure, prefix: str, ax: int = 0) -> dict[str, object]:
    """The artists of one axes whose gid starts with ``prefix``, by gid."""
    axes = fig.axes[ax]
    found = {}
    for artist in [*axes.patches, *axes.collections, *axes.lines]:
        gid = artist.get_gid()
        if gid and gid.startswith(prefix):
            found[gid] = artist
    return found


def png(fig: Figure) -> np.ndarray:
    """Render ``fig`` to PNG bytes and read them back as an RGBA array."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    buf.seek(0)
    return np.asarray(mpimg.imread(buf, format="png"))


def pixels_of(image: np.ndarray, colour: str, tol: float = 4 / 255) -> int:
    """How many pixels of ``image`` are ``colour`` (to within ``tol`` per channel)."""
    target = np.array(to_rgba(colour)[:3])
    return int((np.abs(image[..., :3] - target) <= tol).all(axis=-1).sum())


def hexcolour(value: object) -> str:
    return to_hex(value)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- supply flow


@pytest.mark.parametrize(("as_of", "links"), [
    (BEFORE, {"cn-mine->cn-sep", "cn-sep->jp-mag", "jp-mag->us-comp", "us-comp->us-asm",
              "us-asm->missile"}),
    (AFTER, {"cn-mine->cn-sep", "cn-sep->jp-mag", "jp-mag->us-comp", "us-comp->us-asm",
             "us-asm->missile", "us-mine->us-sep", "us-sep->jp-mag"}),
])
def test_flow_draws_one_link_per_supply_edge_shown(mini: nx.MultiDiGraph, as_of: str,
                                                   links: set[str]) -> None:
    """Before 2027 us-sep is not built, so neither it nor its mine feed the missile: the
    chain is the 4 supply edges cn-mine→cn-sep→jp-mag→us-comp→us-asm plus the assembly's
    hop to the platform (5). From 2027-06-01 us-mine→us-sep→jp-mag join (7)."""
    fig = plot_supply_flow(mini, "missile", as_of=as_of)
    drawn = {g.removeprefix("link:") for g in gids(fig, "link:")}
    assert drawn == links
    nodes = {g.removeprefix("node:") for g in gids(fig, "node:")}
    assert nodes == {n for link in links for n in link.split("->")}
    assert png(fig).shape[0] > 100


def test_flow_marks_chinese_nodes_and_technology_taint(mini: nx.MultiDiGraph) -> None:
    """cn-mine and cn-sep are located in China (red fill); cn-sep runs cn-sx (purple border),
    so every link leaving cn-sep or downstream of it carries the taint; the US route and the
    Chinese mine's link into cn-sep (upstream of the technology) do not."""
    fig = plot_supply_flow(mini, "missile", as_of=AFTER)
    nodes = gids(fig, "node:")
    red = {g.removeprefix("node:") for g, p in nodes.items()
           if hexcolour(p.get_facecolor()) == CN_COLOUR}  # type: ignore[attr-defined]
    assert red == {"cn-mine", "cn-sep"}
    bordered = {g.removeprefix("node:") for g, p in nodes.items()
                if hexcolour(p.get_edgecolor()) == TAINT_COLOUR}  # type: ignore[attr-defined]
    assert bordered == {"cn-sep"}
    links = gids(fig, "link:")
    tainted = {g.removeprefix("link:") for g, p in links.items()
               if hexcolour(p.get_edgecolor()) == TAINT_COLOUR}  # type: ignore[attr-defined]
    assert tainted == {"cn-sep->jp-mag", "jp-mag->us-comp", "us-comp->us-asm",
                       "us-asm->missile"}
    image = png(fig)
    assert pixels_of(image, CN_COLOUR) > 200  # the two red boxes are really drawn


def test_flow_link_width_follows_supply_share(mini: nx.MultiDiGraph) -> None:
    """jp-mag takes 0.6 of its oxide from cn-sep and 0.4 from us-sep; jp-mag ships all its
    magnets (share 1) to us-comp: widths order 1 > 0.6 > 0.4."""
    links = gids(plot_supply_flow(mini, "missile", as_of=AFTER), "link:")
    width = {g.removeprefix("link:"): p.get_linewidth()  # type: ignore[attr-defined]
             for g, p in links.items()}
    assert width["jp-mag->us-comp"] > width["cn-sep->jp-mag"] > width["us-sep->jp-mag"]


def test_flow_shows_the_documented_2022_smco_switch(bundled: nx.MultiDiGraph) -> None:
    """The F-35 turbomachine magnet alloy was Chinese until the 2022 discovery and came from
    a US source afterwards (AvWeek22, DefNews22; JT22, ATS22: production resumed with a
    compliant alloy from November 2022)."""
    before = gids(plot_supply_flow(bundled, "F-35", as_of="2022-06-01"), "link:")
    after = gids(plot_supply_flow(bundled, "F-35", as_of="2023-06-01"), "link:")
    assert "link:cn-smco-alloy-f35-supplier->f35-ipp-magnet-maker" in before
    assert "link:us-smco-alloy-f35->f35-ipp-magnet-maker" not in before
    assert "link:us-smco-alloy-f35->f35-ipp-magnet-maker" in after
    assert "link:cn-smco-alloy-f35-supplier->f35-ipp-magnet-maker" not in after


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=dt.date(2012, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_flow_colours_exactly_the_chinese_facilities(bundled: nx.MultiDiGraph,
                                                     day: dt.date) -> None:
    """At any date, a drawn node is red exactly when its facility's country is CN."""
    fig = plot_supply_flow(bundled, "F-35", as_of=day)
    for gid, patch in gids(fig, "node:").items():
        node = gid.removeprefix("node:")
        chinese = bundled.nodes[node].get("country") == "CN"
        assert (hexcolour(patch.get_facecolor()) == CN_COLOUR) == chinese  # type: ignore[attr-defined]


def test_flow_unknown_platform_suggests(mini: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownNodeError, match="did you mean 'missile'"):
        plot_supply_flow(mini, "missle", as_of=AFTER)


def _fan_in(n: int, *, relay: bool = False, tech: int | None = None) -> nx.MultiDiGraph:
    """``n`` mines m00..m{n-1} into one separator, then an assembly of ``plat``:

        m00 (AU) ─ore 1/T─┐
        m01 (CN) ─ore 2/T─┤
        …                 ├─► sep (US) ─oxide─► asm (US) ─► plat
        m{n-1}    ─n/T───┘

    mine ``i`` ships share ``(i + 1) / T`` (T = 1 + 2 + … + n) and lies in China when ``i``
    is odd. With ``relay``, each mine ships its ore to a concentrator c{i} of its own, which
    ships concentrate to sep (same shares on c{i} → sep). With ``tech``, mine ``tech`` runs
    a Chinese technology."""
    kw = {"sources": ["s"], "confidence": "illustrative"}
    total = n * (n + 1) / 2
    mines = [f"m{i:02d}" for i in range(n)]
    facilities = [Facility(id=m, name=m, country="CN" if i % 2 else "AU", stage="mine",
                           products=["ore"], technologies=["cn-x"] if i == tech else [], **kw)
                  for i, m in enumerate(mines)]
    facilities += [Facility(id="sep", name="sep", country="US", stage="separation",
                            products=["oxide"], **kw),
                   Facility(id="asm", name="asm", country="US", stage="assembly",
                            products=["plat"], **kw)]
    into_sep, feed = mines, "ore"
    supplies = [Supply(supplier="sep", buyer="asm", product="oxide", share=1.0, **kw)]
    if relay:
        into_sep, feed = [f"c{i:02d}" for i in range(n)], "conc"
        facilities += [Facility(id=c, name=c, country="AU", stage="concentration",
                                products=["conc"], **kw) for c in into_sep]
        supplies += [Supply(supplier=m, buyer=c, product="ore", share=1.0, **kw)
                     for m, c in zip(mines, into_sep, strict=True)]
    supplies += [Supply(supplier=u, buyer="sep", product=feed, share=(i + 1) / total, **kw)
                 for i, u in enumerate(into_sep)]
    return build_graph(Records(
        sources=[Source(id="s", title="t")],
        technologies=[Technology(id="cn-x", name="x", stage="mining", origin_country="CN",
                                 **kw)],
        products=[Product(id="ore", name="ore", category="ore", unit="kg", **kw),
                  Product(id="conc", name="conc", category="concentrate", unit="kg", **kw),
                  Product(id="oxide", name="oxide", category="oxide", unit="kg", **kw),
                  Product(id="plat", name="plat", category="platform", unit="each", **kw)],
        bom=[BomLine(product="oxide", input=feed, qty=10, **kw),
             BomLine(product="conc", input="ore", qty=2, **kw),
             BomLine(product="plat", input="oxide", qty=1, **kw)],
        facilities=facilities, supplies=supplies))


def test_flow_draws_the_smaller_suppliers_of_a_crowded_buyer_as_one_band() -> None:
    """30 mines into sep (more than MOST_SUPPLIERS = 24): the 23 largest (m07..m29) stay;
    m00..m06 make the band: 7 suppliers, shares (1 + 2 + … + 7) / 465 = 28/465 = 6.02 %,
    3 of them in China (m01, m03, m05)."""
    assert MOST_SUPPLIERS == 24
    fig = plot_supply_flow(_fan_in(30), "plat", as_of=AFTER)
    nodes = {g.removeprefix("node:") for g in gids(fig, "node:")}
    assert nodes == {f"m{i:02d}" for i in range(7, 30)} | {"sep", "asm", "plat"}
    assert set(gids(fig, "band:")) == {"band:sep"}
    assert set(gids(fig, "band-link:")) == {"band-link:sep"}
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "7 others\n6.02 % share\n3 in CN" in texts
    assert "32 facilities, 32 links" in fig.axes[0].get_title("left")  # 30 mines, sep, asm
    drawn = {g.removeprefix("link:") for g in gids(fig, "link:")}
    assert all(end in nodes for link in drawn for end in link.split("->"))
    assert png(fig).shape[0] > 100


def test_flow_band_takes_each_small_supplier_with_its_own_upstream() -> None:
    """With a concentrator between each mine and sep, the 7 smallest concentrators (c00..c06)
    go into the band together with their mines: 7 suppliers, 14 sites, 3 Chinese mines; no
    link into a folded concentrator is drawn. Mine m02 runs Chinese technology: the band
    carries the taint (purple border and link) and so does sep's link onward."""
    fig = plot_supply_flow(_fan_in(30, relay=True, tech=2), "plat", as_of=AFTER)
    nodes = {g.removeprefix("node:") for g in gids(fig, "node:")}
    folded = {f"{k}{i:02d}" for k in "mc" for i in range(7)}
    assert not nodes & folded
    assert "7 others\n6.02 % share\n3 in CN of 14" in [t.get_text() for t in fig.axes[0].texts]
    band, link = gids(fig, "band:")["band:sep"], gids(fig, "band-link:")["band-link:sep"]
    assert hexcolour(band.get_edgecolor()) == TAINT_COLOUR  # type: ignore[attr-defined]
    assert hexcolour(link.get_edgecolor()) == TAINT_COLOUR  # type: ignore[attr-defined]
    onward = gids(fig, "link:")["link:sep->asm"]
    assert hexcolour(onward.get_edgecolor()) == TAINT_COLOUR  # type: ignore[attr-defined]


def test_flow_keeps_every_supplier_up_to_the_limit() -> None:
    """24 mines into sep is not crowded: all 24 are drawn, no band."""
    fig = plot_supply_flow(_fan_in(MOST_SUPPLIERS), "plat", as_of=AFTER)
    assert len([g for g in gids(fig, "node:") if g.startswith("node:m")]) == MOST_SUPPLIERS
    assert not gids(fig, "band:")


def test_flow_draws_hostile_ids_as_literal_text(mini: nx.MultiDiGraph) -> None:
    """An id holding mathtext (``$\\nosuchcmd$`` would fail the drawing if parsed) or a
    control character is drawn as written (the control character as U+FFFD)."""
    hostile = "jp-$\\nosuchcmd$-mag\x1b"
    G = nx.relabel_nodes(mini, {"jp-mag": hostile})
    fig = plot_supply_flow(G, "missile", as_of=AFTER)
    assert f"node:{hostile}" in gids(fig, "node:")
    assert png(fig).shape[0] > 100
    shown = [t for t in fig.axes[0].texts if "nosuchcmd" in t.get_text()]
    assert shown and all(not t.get_parse_math() for t in shown)
    assert all("\x1b" not in t.get_text() and "\ufffd" in t.get_text() for t in shown)


# --------------------------------------------------------------------------- concentration


@pytest.mark.parametrize(("as_of", "bars"), [
    (BEFORE, {"bar:mine:*:CN": 1000 / 1500, "bar:mine:*:US": 500 / 1500,
              "bar:separation:*:CN": 1.0, "bar:magnet:*:JP": 1.0}),
    (AFTER, {"bar:mine:*:CN": 1000 / 1500, "bar:mine:*:US": 500 / 1500,
             "bar:separation:*:CN": 100 / 150, "bar:separation:*:US": 50 / 150,
             "bar:magnet:*:JP": 1.0}),
])
def test_concentration_bars_are_country_shares(mini: nx.MultiDiGraph, as_of: str,
                                               bars: dict[str, float]) -> None:
    """Capacities: mines CN 1000 / US 500; separation CN 100 (+ US 50 from 2027); magnets JP
    10. Components and assembly have no capacity (no bar); each stage has one product, so
    its product row repeats the stage row and is left out."""
    fig = plot_concentration(mini, as_of=as_of, published=())
    drawn = gids(fig, "bar:")
    assert set(drawn) == set(bars)
    for gid, share in bars.items():
        assert drawn[gid].get_width() == pytest.approx(share, abs=1e-3)  # type: ignore[attr-defined]
    assert hexcolour(drawn["bar:mine:*:CN"].get_facecolor()) == CN_COLOUR  # type: ignore[attr-defined]
    assert png(fig).shape[1] > 100


def test_concentration_reference_marks_only_where_a_bar_is(mini: nx.MultiDiGraph) -> None:
    """A mark at 0.7 on the mine bar is drawn; one for alloy (no capacity) is not."""
    fig = plot_concentration(mini, as_of=BEFORE, published=[
        PublishedShare("mine", "CN", 0.7, "hand", "seventy"),
        PublishedShare("alloy", "CN", 0.5, "hand", "fifty")])
    marks = gids(fig, "ref:")
    assert list(marks) == ["ref:mine:hand"]
    segment = marks["ref:mine:hand"].get_segments()[0]  # type: ignore[attr-defined]
    assert segment[0][0] == pytest.approx(0.7)


def test_concentration_of_the_bundled_data_meets_the_published_figures(
        bundled: nx.MultiDiGraph) -> None:
    """USGS: China mines 270k of 390k t REO (69 %); IEA 2025: China separates 91 % and
    makes 94 % of magnets. The bundled capacities come from their own sources, so the China
    bars land near each published tick, within the spread of the published figures
    themselves (7, 6 and 4 points; derived in tests/test_bundled_shares.py)."""
    fig = plot_concentration(bundled, as_of="2026-11-24")
    bars, marks = gids(fig, "bar:"), gids(fig, "ref:")
    for stage, source, published, spread in (("mine", "USGS25c", 0.69, 0.07),
                                             ("separation", "IEA25", 0.91, 0.06),
                                             ("magnet", "IEA25", 0.94, 0.04)):
        assert f"ref:{stage}:{source}" in marks
        width = bars[f"bar:{stage}:*:CN"].get_width()  # type: ignore[attr-defined]
        assert abs(width - published) <= spread


# --------------------------------------------------------------------------- exposure matrix


@pytest.mark.parametrize(("as_of", "verdicts"), [
    (BEFORE, {"processing": "exposed", "ownership": "exposed", "technology": "exposed",
              "NO61": "suspended", "DFARS": "compliant"}),
    (AFTER, {"processing": "exposed", "ownership": "exposed", "technology": "exposed",
             "NO61": "shipments-denied", "DFARS": "non-compliant"}),
])
def test_exposure_matrix_cells_carry_the_verdicts(mini: nx.MultiDiGraph, as_of: str,
                                                  verdicts: dict[str, str]) -> None:
    """The missile's chain reaches cn-sep: a separation plant in China (processing), run by
    cn-co (ownership), with Chinese technology cn-sx. NO61 licenses shipments, not the
    missile: jp-mag's magnet to us-comp holds Chinese Nd oxide (0.312 kg × 0.6 × 70 $ = 13.1 $
    of 100 $ in 2027, ≥ 0.1 %), denied for a military end use, and suspended until
    2026-11-10 (a Chinese plant on Chinese know-how is no technology-test case). DFARS: the
    magnet is made in Japan (compliant) until the 2027-01-01 clause reaches separation in
    China."""
    fig = plot_exposure_matrix(mini, as_of=as_of)
    cells = gids(fig, "cell:")
    assert len(cells) == 1 * 5  # one platform × (3 predicates + 2 rules)
    texts = {t.get_text() for t in fig.axes[0].texts}
    for column, verdict in verdicts.items():
        cell = cells[f"cell:missile:{column}"]
        assert hexcolour(cell.get_facecolor()) == VERDICT_COLOURS[verdict]  # type: ignore[attr-defined]
        assert verdict in texts
        assert cell.get_hatch() == "///"  # type: ignore[attr-defined]  # all evidence illustrative
    assert png(fig).size > 0


@pytest.mark.parametrize(("as_of", "assumed"), [(BEFORE, 0), (AFTER, 1)])
def test_exposure_matrix_marks_an_assumed_rule_status(mini: nx.MultiDiGraph, as_of: str,
                                                      assumed: int) -> None:
    """NO61's status is recorded to 2026-11-10 (suspended 2025-11-07..2026-11-10). On
    2026-06-01 it reads `suspended`, a recorded fact; on 2027-06-01 it is past known_until,
    so its verdict rests on the assumption (default: the suspension lapsed) and its cell says
    `· assumed`. DFARS records no status events or known_until, and the three exposure
    columns are no rule: never assumed. So 0 marked cells before, exactly 1 after."""
    fig = plot_exposure_matrix(mini, as_of=as_of)
    marked = [t.get_text() for t in fig.axes[0].texts if t.get_text().endswith("· assumed")]
    assert len(marked) == assumed


def test_exposure_matrix_clear_platform(bundled: nx.MultiDiGraph) -> None:
    """G/ATOR's rare-earth-free chain (gallium only) passes Chinese processing — gallium
    refining, 98 % Chinese — but no Chinese-owned facility (the pool has no operator) and
    no Chinese technology; the F-35's passes all three (its SmCo and NdFeB metal come
    through China's separation and metal pools)."""
    fig = plot_exposure_matrix(bundled, as_of="2026-11-24", platforms=["F-35", "G-ATOR"],
                               rules=["DFARS-252.225-7052"])
    cells = gids(fig, "cell:")
    assert len(cells) == 2 * 4
    assert hexcolour(cells["cell:G-ATOR:processing"].get_facecolor()) == \
        VERDICT_COLOURS["exposed"]  # type: ignore[attr-defined]
    for column in ("ownership", "technology"):
        assert hexcolour(cells[f"cell:G-ATOR:{column}"].get_facecolor()) == \
            VERDICT_COLOURS["clear"]  # type: ignore[attr-defined]
    for column in ("processing", "ownership", "technology"):
        assert hexcolour(cells[f"cell:F-35:{column}"].get_facecolor()) == \
            VERDICT_COLOURS["exposed"]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- chokepoints


@pytest.mark.parametrize(("level", "as_of", "expected", "chinese"), [
    ("facility", BEFORE, {"us-comp", "jp-mag", "cn-sep", "cn-mine"}, {"cn-sep", "cn-mine"}),
    ("facility", AFTER, {"us-comp", "jp-mag"}, set()),
    ("company", BEFORE, {"cn-co", "facility:jp-mag"}, {"cn-co"}),
    ("country", BEFORE, {"JP", "CN"}, {"CN"}),
    ("country", AFTER, {"JP"}, set()),
    ("country", AFTER, {"US", "JP"}, set()),  # with the trivial ones (include_trivial)
])
def test_chokepoints_bars(mini: nx.MultiDiGraph, level: str, as_of: str, expected: set[str],
                          chinese: set[str]) -> None:
    """Each stage has one supplier until us-sep opens in 2027: every facility upstream is a
    single point of failure. From 2027 jp-mag has two oxide suppliers (cn-sep, us-sep), so
    only jp-mag and what is downstream of it stay critical. jp-mag has no operator: at
    company level it stands alone. One platform, so every bar is 1 long. The missile's own
    assembly (us-asm), its company (us-co) and its country (US) are trivial: drawn only
    when asked for."""
    fig = plot_chokepoints(mini, level=level, as_of=as_of,
                           include_trivial="US" in expected)
    bars = gids(fig, "bar:")
    assert {g.removeprefix("bar:") for g in bars} == expected
    assert all(b.get_width() == 1 for b in bars.values())  # type: ignore[attr-defined]
    red = {g.removeprefix("bar:") for g, b in bars.items()
           if hexcolour(b.get_facecolor()) == CN_COLOUR}  # type: ignore[attr-defined]
    assert red == chinese


def test_chokepoints_png_shows_red_only_when_china_is_critical(mini: nx.MultiDiGraph) -> None:
    """Country level: CN is critical before 2027, not after; only the legend swatch is red then."""
    before = pixels_of(png(plot_chokepoints(mini, level="country", as_of=BEFORE)), CN_COLOUR)
    after = pixels_of(png(plot_chokepoints(mini, level="country", as_of=AFTER)), CN_COLOUR)
    assert before > 5 * after > 0


def test_chokepoints_bad_level(mini: nx.MultiDiGraph) -> None:
    with pytest.raises(QueryError, match="unknown level"):
        plot_chokepoints(mini, level="planet")


# --------------------------------------------------------------------------- timeline


def test_rule_windows_of_the_bundled_rules_are_the_published_dates(
        bundled: nx.MultiDiGraph) -> None:
    """facts.md §5: No. 18 in force 2025-04-04; No. 61's extraterritorial tests from
    2025-12-01, suspended by No. 70 from 2025-11-07 until 10 November 2026 (inclusive);
    DFARS's mined/refined/separated extension from 2027-01-01."""
    w = find_rule_windows(bundled, TIMELINE_RULES)
    spans = {(r["rule"], r["kind"], r["start"], r["end"]) for r in w.to_dict(orient="records")}
    assert ("MOFCOM-18-2025", "in force", dt.date(2025, 4, 4), None) in spans
    assert ("MOFCOM-61-2025", "in force", dt.date(2025, 12, 1), None) in spans
    assert ("MOFCOM-61-2025", "suspended", dt.date(2025, 11, 7), dt.date(2026, 11, 11)) in spans
    assert ("DFARS-252.225-7052", "in force", dt.date(2027, 1, 1), None) in spans


def test_timeline_shades_the_rule_windows(mini: nx.MultiDiGraph) -> None:
    """NO61: in force from 2025-12-01 (open), suspended 2025-11-07 .. 2026-11-10 inclusive;
    DFARS: 2019-04-30 (clipped to the axis start, 2024-01-01) and 2027-01-01, both open
    (run to the axis end, 2031-01-01). Four shaded spans."""
    fig = plot_timeline(mini, as_of="2026-11-24")
    spans = gids(fig, "window:", ax=0)
    assert len(spans) == 4
    got = sorted((round(p.get_x()), round(p.get_x() + p.get_width()))  # type: ignore[attr-defined]
                 for p in spans.values())
    d = mdates.date2num
    want = sorted([(d(dt.date(2025, 12, 1)), d(dt.date(2031, 1, 1))),
                   (d(dt.date(2025, 11, 7)), d(dt.date(2026, 11, 11))),
                   (d(dt.date(2024, 1, 1)), d(dt.date(2031, 1, 1))),
                   (d(dt.date(2027, 1, 1)), d(dt.date(2031, 1, 1)))])
    assert got == [(round(a), round(b)) for a, b in want]
    suspended = [p for p in spans.values() if p.get_hatch()]  # type: ignore[attr-defined]
    assert len(suspended) == 1


def test_timeline_bars_are_non_chinese_capacity_against_world_need(
        mini: nx.MultiDiGraph) -> None:
    """Outside China: mining US 500 every year; separation US 50 only once us-sep runs
    (2027 on); magnets JP 10. Need (the stage's whole capacity): mining 1500, separation
    100 until 2026 and 150 from 2027, magnets 10."""
    fig = plot_timeline(mini, as_of="2026-11-24")
    years = range(2024, 2031)
    mine, sep, mag = (gids(fig, "bar:", ax=i) for i in (1, 2, 3))
    assert {g: b.get_height() for g, b in mine.items()} == \
        {f"bar:mine:{y}:US": pytest.approx(500, rel=1e-3) for y in years}  # type: ignore[attr-defined]
    assert {g: b.get_height() for g, b in sep.items()} == \
        {f"bar:separation:{y}:US": pytest.approx(50, rel=1e-3) for y in years if y >= 2027}  # type: ignore[attr-defined]
    assert set(mag) == {f"bar:magnet:{y}:JP" for y in years}
    need = gids(fig, "need:", ax=2)["need:separation"]
    assert list(need.get_ydata()) == pytest.approx([100] * 3 + [150] * 4, rel=1e-3)  # type: ignore[attr-defined]
    assert png(fig).shape[0] > 100


def test_timeline_takes_the_analysts_need(mini: nx.MultiDiGraph) -> None:
    fig = plot_timeline(mini, years=[2026, 2027], stages=["magnet"], need={"magnet": 40.0})
    line = gids(fig, "need:", ax=1)["need:magnet"]
    assert list(line.get_ydata()) == [40.0, 40.0]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("options", "message"), [
    ({"stages": ["quarry"]}, "unknown stage"),
    ({"need": "some"}, "need must be"),
    ({"years": []}, "at least one year"),
    ({"rules": ["NO99"]}, "no rule with id 'NO99'"),
])
def test_timeline_bad_options(mini: nx.MultiDiGraph, options: dict[str, object],
                              message: str) -> None:
    with pytest.raises((QueryError, UnknownNodeError), match=message):
        plot_timeline(mini, **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- all plots


def test_plots_never_mutate_the_graph(mini: nx.MultiDiGraph) -> None:
    G = load_dataset(MINI)
    before = copy.deepcopy(G)
    for kind, plot in PLOTS.items():
        fig = plot(G, "missile", as_of=AFTER) if kind == "flow" else plot(G, as_of=AFTER)
        assert isinstance(fig, Figure)
    assert dict(G.nodes(data=True)) == dict(before.nodes(data=True))
    assert list(G.edges(keys=True, data=True)) == list(before.edges(keys=True, data=True))
    assert G.graph == before.graph


def test_country_colours_are_fixed_and_china_alone_is_red() -> None:
    codes = ["US", "JP", "AU", "MY", "EE", "FR", "MM", "KZ", "ZZ", "GL"]
    assert len({country_colour(c) for c in ["US", "JP", "AU", "MY", "EE", "FR", "MM"]}) == 7
    assert all(country_colour(c) not in {CN_COLOUR, TAINT_COLOUR} for c in codes)
    assert country_colour("CN") == CN_COLOUR
    assert country_colour("KZ") == country_colour("KZ")
