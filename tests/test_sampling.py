"""Sampling ranged figures and the tornado of their swings, worked by hand.

The content network is DESIGN §3's worked example (tests/test_intervals.py draws it):
a 100 $/kg magnet of 0.30 kg Nd oxide (70 $/kg; 40 % from cn-sep, 60 % from au-sep) and
0.06 kg Dy oxide (300 $/kg, all from cn-sep): 26.4 % of its value is Chinese.

The shortfall network is tests/data/choke_andor without China (tests/test_capacity.py):
sep-au (40 t/yr nd-oxide, 10 t ore each) and ref-dy (8 t/yr dy-oxide, 50 t ore each) take
ore from mine-au; mag-jp (200 t/yr magnet, 0.3 t nd-oxide each) takes nd-oxide from sep-au::

    mine-au --ore--> sep-au --nd-oxide--> mag-jp --> act-us --> asm-us (missile)
           \\--ore--> ref-dy --dy-oxide--/
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from oretrace.loaders import load_dataset
from oretrace.queries.intervals import ranged_figures, value_model
from oretrace.queries.sampling import SHORTFALL_FIELDS, draw, sample_content, sample_shortfall
from oretrace.queries.sensitivity import (
    content_sensitivity,
    plot_sensitivity,
    shortfall_sensitivity,
)
from test_intervals import DAY, example
from typer.testing import CliRunner

from oretrace.cli import make_app

DATA = Path(__file__).parent / "data"


# --------------------------------------------------------------------------- content


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    G = example(dy_price="250..350", cn_nd="0.2..0.6")
    a = sample_content(G, "magnet", samples=50, seed=4, as_of=DAY)
    b = sample_content(G, "magnet", samples=50, seed=4, as_of=DAY)
    c = sample_content(G, "magnet", samples=50, seed=5, as_of=DAY)
    assert a.values == b.values
    assert a.values != c.values


def test_drawn_shares_follow_the_hand_formula() -> None:
    """Only the Dy oxide price is ranged (250..350): each draw P gives (8.4 + 0.06·P)/100."""
    G = example(dy_price="250..350")
    r = sample_content(G, "magnet", samples=400, seed=2, as_of=DAY)
    (figure,) = [f for f in ranged_figures(G) if f.label == "dy-ox.unit_price_usd"]
    price = draw([figure], 400, seed=2)[:, 0]
    assert ((price >= 250) & (price <= 350)).all()
    assert np.allclose(r.values, (8.4 + 0.06 * price) / 100, rtol=1e-12)
    assert r.distribution.p50 == pytest.approx(np.percentile((8.4 + 0.06 * price) / 100, 50))


def test_no_ranged_figure_gives_a_degenerate_distribution() -> None:
    r = sample_content(example(), "magnet", samples=20, seed=0, as_of=DAY)
    d = r.distribution
    assert d.figures == []
    assert (d.p5, d.p50, d.p95, d.mean, d.point) == (pytest.approx(0.264),) * 5


def test_percentiles_lie_inside_the_exact_interval(bundled: nx.MultiDiGraph) -> None:
    r = sample_content(bundled, "F-35", samples=500, seed=9, as_of="2026-06-01")
    d = r.distribution
    assert r.low is not None and r.high is not None and r.low < r.high
    assert r.low <= min(r.values) and max(r.values) <= r.high
    assert r.low <= d.p5 <= d.p50 <= d.p95 <= r.high
    assert len(d.figures) >= 3


def test_sampling_never_changes_the_graph(bundled: nx.MultiDiGraph) -> None:
    before = {f.key: (f.low, f.mid, f.high) for f in ranged_figures(bundled)}
    sample_content(bundled, "F-35", samples=10, seed=1, as_of="2026-06-01")
    sample_content(bundled, "F-35", samples=3, seed=1, by="mass", as_of="2026-06-01")
    assert {f.key: (f.low, f.mid, f.high) for f in ranged_figures(bundled)} == before


def test_mass_sampling_draws_inside_the_mass_interval() -> None:
    """CN Nd share 0.2..0.6 beside AU 0.6 (shares of one need add up to at most 1, so the
    Chinese fraction s/(s+0.6) stays within the mass bounds 0.2 .. 0.4 while s ≤ 0.4);
    the Dy oxide is all Chinese. Every draw's normalised share lies in [low, high] when
    s ≤ 0.4, and is the hand formula (0.2571·s/(s+0.6) + 0.05226) / 0.30936."""
    G = example(cn_nd="0.2..0.4")
    r = sample_content(G, "magnet", samples=30, seed=3, by="mass", as_of=DAY)
    (figure,) = [f for f in ranged_figures(G) if f.key[-1] == "share"]
    s = draw([figure], 30, seed=3)[:, 0]
    assert np.allclose(r.values, (0.2571 * s / (s + 0.6) + 0.05226) / 0.30936, rtol=1e-9)
    assert r.low is not None and r.high is not None
    assert r.low - 1e-12 <= min(r.values) and max(r.values) <= r.high + 1e-12


# --------------------------------------------------------------------------- shortfall


def _andor(tmp_path: Path, **capacity: str) -> nx.MultiDiGraph:
    target = tmp_path / "andor"
    shutil.copytree(DATA / "choke_andor", target)
    path = target / "facilities.csv"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split(",")
        if cells[0] in capacity:
            cells[6] = capacity[cells[0]]
        out.append(",".join(cells))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return load_dataset(target)


def test_common_random_numbers_pair_two_scenarios(tmp_path: Path) -> None:
    """mine-au 250..350. Without China, ore demand is 400 (sep-au) + 400 (ref-dy) = 800:
    shortfall 800 − c for the drawn capacity c. Without sep-au too, only ref-dy's 400:
    400 − c (c < 400). On the same draws the two differ by exactly 400, draw by draw, and
    the baselines (no failure) are the same numbers."""
    G = _andor(tmp_path, **{"mine-au": "250..350"})
    a = sample_shortfall(G, fail=["country:CN"], products=["ore"], samples=25, seed=7)
    b = sample_shortfall(G, fail=["country:CN", "sep-au"], products=["ore"], samples=25,
                         seed=7)
    (ra,), (rb,) = a, b
    (cap,) = [f for f in ranged_figures(G, fields=SHORTFALL_FIELDS)
              if f.label == "mine-au.capacity"]
    c = draw([cap], 25, seed=7)[:, 0]
    assert np.allclose(ra.values, 800 - c, atol=1e-3)
    assert np.allclose(np.array(ra.values) - np.array(rb.values), 400.0, atol=1e-3)
    assert ra.baseline_values == rb.baseline_values
    assert ra.low is not None and ra.high is not None
    assert ra.low <= ra.shortfall.p5 <= ra.shortfall.p95 <= ra.high


def test_shortfall_without_ranges_is_degenerate() -> None:
    (r,) = sample_shortfall(load_dataset(DATA / "choke_andor"), fail=["country:CN"],
                            products=["ore"], samples=10, seed=1)
    assert r.values == [500.0] * 10
    assert (r.shortfall.p5, r.shortfall.p95, r.shortfall.point) == (500.0, 500.0, 500.0)


# --------------------------------------------------------------------------- tornado


def test_tornado_ranks_the_widest_effect_first() -> None:
    """Dy oxide 250..350 $/kg: (8.4 + 15)/100 = 0.234 to (8.4 + 21)/100 = 0.294, swing 0.06.
    Magnet 90..110 $/kg: 26.4/90 = 0.29333 to 26.4/110 = 0.24, swing 0.05333.
    CN Nd share 0.35..0.45 beside AU 0.6: Chinese fraction 0.35/0.95 = 0.368421 to
    0.45/1.05 = 0.428571; Nd value 21·fraction: 7.7368 $ to 9 $; share 0.257368 to 0.27,
    swing 0.012632."""
    G = example(dy_price="250..350", magnet_price="90..110", cn_nd="0.35..0.45")
    s = content_sensitivity(G, "magnet", as_of=DAY)
    assert [w.figure for w in s.swings] == [
        "dy-ox.unit_price_usd", "magnet.unit_price_usd", "cn-sep>jp-mag:nd-ox.share"]
    got = [(w.at_low, w.at_high) for w in s.swings]
    assert got == [(pytest.approx(0.234), pytest.approx(0.294)),
                   (pytest.approx(26.4 / 90), pytest.approx(0.24)),
                   (pytest.approx(0.257368, abs=1e-6), pytest.approx(0.27))]
    assert s.point == pytest.approx(0.264)
    fig = plot_sensitivity(s)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][-1] == "dy-ox.unit_price_usd"


def test_shortfall_tornado_ranks_the_widest_effect_first(tmp_path: Path) -> None:
    """nd-oxide without China: mag-jp needs 0.3·cap(mag-jp); sep-au makes ore/10.
    mine-au 250..350: shortfall 60 − 25 = 35 to 60 − 35 = 25 (swing 10).
    mag-jp 190..210: need 57 .. 63, shortfall 27 .. 33 (swing 6).
    act-us 900..1100 actuators/yr needs magnet, not nd-oxide: no swing, not listed."""
    G = _andor(tmp_path, **{"mine-au": "250..350", "mag-jp": "190..210",
                            "act-us": "900..1100"})
    s = shortfall_sensitivity(G, "nd-oxide", fail=["country:CN"])
    assert s.point == pytest.approx(30.0)
    assert [(w.figure, w.at_low, w.at_high) for w in s.swings] == [
        ("mine-au.capacity", pytest.approx(35.0), pytest.approx(25.0)),
        ("mag-jp.capacity", pytest.approx(27.0), pytest.approx(33.0))]


# --------------------------------------------------------------------------- CLI


def test_cli_content_samples_json(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "mini"
    shutil.copytree(DATA / "mini", data)
    products = data / "products.csv"
    products.write_text(products.read_text(encoding="utf-8").replace(
        "oxide,Nd oxide,oxide,Nd=0.857,kg,70,", "oxide,Nd oxide,oxide,Nd=0.857,kg,60..80,"),
        encoding="utf-8")
    args = ["--data", str(data), "-f", "json", "content", "magnet", "--by", "value",
            "--as-of", "2026-06-01", "--samples", "40", "--seed", "3"]
    first = runner.invoke(make_app(), args)
    second = runner.invoke(make_app(), args)
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out == json.loads(second.stdout)
    # magnet: 0.312 kg oxide, all from cn-sep before us-sep starts (2027), at P $/kg per
    # 100 $ magnet, P in 60..80
    assert (out["low"], out["high"]) == (pytest.approx(0.312 * 60 / 100),
                                         pytest.approx(0.312 * 80 / 100))
    d = out["distribution"]
    assert out["low"] <= d["p5"] <= d["p50"] <= d["p95"] <= out["high"]
    assert d["figures"] == ["oxide.unit_price_usd"]


def test_cli_scenario_samples_json(tmp_path: Path) -> None:
    G_dir = tmp_path / "andor"
    _andor(tmp_path, **{"mine-au": "250..350"})
    out = json.loads(CliRunner().invoke(make_app(), [
        "--data", str(G_dir), "-f", "json", "scenario", "--fail", "country:CN",
        "--all-platforms", "--samples", "5", "--seed", "1"]).stdout)
    ore = {r["product"]: r for r in out["samples"]}["ore"]
    assert (ore["low"], ore["high"]) == (450.0, 550.0)
    assert 450.0 <= ore["shortfall"]["p5"] <= ore["shortfall"]["p95"] <= 550.0


def test_value_model_compiles_once_and_evaluates_many(bundled: nx.MultiDiGraph) -> None:
    m = value_model(bundled, "F-35", as_of="2026-06-01")
    theta = draw(m.figures, 1000, seed=1)
    values = m.evaluate(theta)
    assert values.shape == (1000,) and np.isfinite(values).all()


def test_cli_content_table_says_undecided_and_plot_sensitivity(tmp_path: Path) -> None:
    """The mini dataset's missile (1 M$) holds 4 actuators × 0.5 kg magnet = 2 kg; its
    magnet's Chinese oxide 0.312 kg at 60..80 $/kg: 2 × 0.312 × [60, 80] = 37.44 .. 49.92 $,
    3.744e-5 .. 4.992e-5 of its value: a line at 4e-5 is straddled."""
    data = tmp_path / "mini"
    shutil.copytree(DATA / "mini", data)
    products = data / "products.csv"
    products.write_text(products.read_text(encoding="utf-8").replace(
        "oxide,Nd oxide,oxide,Nd=0.857,kg,70,", "oxide,Nd oxide,oxide,Nd=0.857,kg,60..80,"),
        encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(make_app(), ["--data", str(data), "-f", "json", "content", "missile",
                                     "--by", "value", "--as-of", "2026-06-01",
                                     "--threshold", "4e-5"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    assert (got["share_low"], got["share_high"]) == (pytest.approx(37.44e-6),
                                                     pytest.approx(49.92e-6))
    assert got["threshold_test"] == "undecided"
    png = tmp_path / "tornado.png"
    done = runner.invoke(make_app(), ["--data", str(data), "plot", "sensitivity", "-p",
                                      "missile", "--as-of", "2026-06-01", "-o", str(png)])
    assert done.exit_code == 0, done.output
    assert png.stat().st_size > 0


def test_no_price_no_value_share_to_sample(bundled: nx.MultiDiGraph) -> None:
    from oretrace.graphmodel import QueryError

    (platform,) = [p for p in ("DDG-51",) if bundled.nodes[p].get("unit_price_usd") is None]
    with pytest.raises(QueryError, match="no unit price"):
        sample_content(bundled, platform, samples=5, as_of="2026-06-01")
    with pytest.raises(QueryError, match="no unit price"):
        content_sensitivity(bundled, platform, as_of="2026-06-01")


def test_a_misspelt_element_is_refused_by_every_content_reader(
        bundled: nx.MultiDiGraph) -> None:
    """"Dx" for Dy: origin_share refused it, but value_model and what stands on it read a
    share of 0.0 (nothing holds Dx). They now read the content options where origin_share
    does."""
    from oretrace.graphmodel import QueryError

    for query in (value_model, content_sensitivity, sample_content):
        with pytest.raises(QueryError, match="'Dx' is not a chemical element symbol"):
            query(bundled, "F-35", element="Dx", as_of="2026-06-01")


def test_a_failure_list_given_once_is_read_by_each_step(tmp_path: Path) -> None:
    """``fail`` given as a one-pass iterator reads as the same list: the sampled shortfall
    is 800 − c without China at every draw, as in the paired test above, and its exact ends
    are 800 − 350 and 800 − 250 (both are built from the failures: an iterator spent by the
    first would leave the second with nothing failed)."""
    G = _andor(tmp_path, **{"mine-au": "250..350"})
    (r,) = sample_shortfall(G, fail=iter(["country:CN"]), products=["ore"], samples=5, seed=7)
    (cap,) = [f for f in ranged_figures(G, fields=SHORTFALL_FIELDS)
              if f.label == "mine-au.capacity"]
    assert np.allclose(r.values, 800 - draw([cap], 5, seed=7)[:, 0], atol=1e-3)
    assert (r.low, r.high) == pytest.approx((800 - 350, 800 - 250))  # the exact ends
