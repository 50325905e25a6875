"""Bar charts: country shares of capacity by stage (with published reference marks) and the
ranked single points of failure (private: :mod:`oretrace.queries.plots` holds the public
names)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from oretrace.graphmodel import QueryError, parse_date, restrict
from oretrace.graphmodel._docs import shared_docs
from oretrace.queries._plot_style import (
    CN_COLOUR,
    add_legend,
    country_colour,
    hide_spines,
    new_figure,
    percent,
    records,
    text_colour,
)
from oretrace.queries.chokepoints import RANKED_BY, rank_chokepoints
from oretrace.queries.concentration import find_concentration
from oretrace.queries.content import RARE_EARTHS
from oretrace.queries.feasibility import LEVELS
from oretrace.queries.predicates import controlled_companies

__all__ = ["PUBLISHED_SHARES", "PublishedShare", "plot_chokepoints", "plot_concentration"]


@dataclass(frozen=True)
class PublishedShare:
    """A published country share of a stage: a reference mark on :func:`plot_concentration`."""

    stage: str
    country: str
    share: float
    source: str  # a source id (``G.graph["sources"]``)
    label: str
    product: str = "*"  # ``*``: the whole stage


#: The published shares of China along the chain (``shared/reference/facts.md`` §1d).
PUBLISHED_SHARES: tuple[PublishedShare, ...] = (
    PublishedShare("mine", "CN", 0.69, "USGS25c", "USGS MCS 2025 (2024e) 69 %"),
    PublishedShare("mine", "CN", 0.62, "IEA24", "IEA GCMO 2024 (2023) 62 %"),
    PublishedShare("separation", "CN", 0.91, "IEA25", "IEA 2025 91 %"),
    PublishedShare("separation", "CN", 0.92, "IEA24", "IEA GCMO 2024 (2023) 92 %"),
    PublishedShare("magnet", "CN", 0.94, "IEA25", "IEA 2025 94 %"),
)


@shared_docs
def plot_concentration(
    G: nx.MultiDiGraph,
    *,
    as_of: str | dt.date | None = None,
    stages: Iterable[str] | None = None,
    published: Iterable[PublishedShare] = PUBLISHED_SHARES,
) -> Figure:
    """Draw country shares of capacity per stage and product, with published reference marks.

    One horizontal bar per row of :func:`oretrace.queries.concentration.find_concentration` that
    has capacity (the stage as a whole first, ``*``; a product row identical to its
    stage's is left out), stacked by country (China :data:`CN_COLOUR`), the top country and
    its share printed at the end. Each ``published`` figure whose stage and product have a
    bar is a black tick at its share, labelled with its source.

    Parameters
    ----------
    %(G)s
    as_of : date or ISO str, optional
        The date drawn (default today); facilities inactive then are left out.
    stages : iterable of str, optional
        The stages to show (default every stage with capacity).
    published : iterable of PublishedShare
        Reference marks (default :data:`PUBLISHED_SHARES`; pass ``()`` for none).

    Returns
    -------
    matplotlib.figure.Figure
        Bar segments with gids ``bar:<stage>:<product>:<country>``, marks ``ref:<stage>:<source>``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> fig = plot_concentration(load_dataset(), as_of="2026-11-24", stages=["separation"])
    >>> bars = {p.get_gid(): p for p in fig.axes[0].patches}
    >>> round(float(bars["bar:separation:*:CN"].get_width()), 2)
    0.93
    """
    day = parse_date(as_of)
    wanted = None if stages is None else set(stages)
    rows = _capacity_rows(records(find_concentration(G, as_of=day, routes=False)), wanted)
    if not rows:
        raise QueryError(f"no stage has capacity as of {day}"
                         + (f" among {', '.join(sorted(wanted))}" if wanted else ""))

    fig = new_figure(12.0, 1.2 + 0.42 * len(rows) + 0.25 * len({r["stage"] for r in rows}))
    ax = fig.add_subplot()
    labels: list[str] = []
    y = 0.0
    ypos: dict[tuple[str, str], float] = {}
    last_stage = None
    countries_seen: dict[str, None] = {}
    for rec in rows:
        if last_stage is not None and rec["stage"] != last_stage:
            y += 0.5
            ax.axhline(y - 0.5 - 0.25, color="#d0d0d0", lw=0.8)
        last_stage = rec["stage"]
        ypos[(rec["stage"], rec["product"])] = y
        countries_seen.update(dict.fromkeys(_draw_shares(ax, rec, y)))
        what = "all products" if rec["product"] == "*" else rec["product"]
        held = sorted(e for e in G.nodes.get(rec["product"], {}).get("elements", {})
                      if e in RARE_EARTHS)
        what += f" ({', '.join(held)})" if held else ""
        labels.append(f"{rec['stage']} · {what}")
        y += 1.0
    _draw_marks(ax, published, ypos)
    ax.set_yticks([ypos[(r["stage"], r["product"])] for r in rows], labels=labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", "25 %", "50 %", "75 %", "100 %"])
    ax.set_xlabel("share of capacity by country (facilities located there; markets left out)")
    ax.set_title(f"Stage concentration as of {day.isoformat()} — black ticks: published "
                 "shares of China", fontsize=12, loc="left")
    hide_spines(ax)
    handles: list[Any] = [Patch(facecolor=country_colour(c),
                                label=c if c != "(none)" else "no country")
                          for c in countries_seen]
    handles.append(Line2D([], [], color="black", lw=2.2, label="published share of China"))
    add_legend(fig, handles, 10)
    return fig


def _capacity_rows(table: list[dict[str, Any]], wanted: set[str] | None
                   ) -> list[dict[str, Any]]:
    """The rows with capacity among ``wanted`` stages, less the product rows identical to
    their stage's row."""
    rows: list[dict[str, Any]] = []
    stage_rows: dict[str, tuple[Any, ...]] = {}
    for rec in table:
        if not rec["shares"] or not rec["total_capacity"]:
            continue
        if wanted is not None and rec["stage"] not in wanted:
            continue
        sig = (rec["with_capacity"], rec["total_capacity"],
               tuple(sorted(rec["shares"].items())))
        if rec["product"] == "*":
            stage_rows[rec["stage"]] = sig
        elif stage_rows.get(rec["stage"]) == sig:
            continue
        rows.append(rec)
    return rows


def _draw_shares(ax: Axes, rec: dict[str, Any], y: float) -> list[str]:
    """One row's bar stacked by country at ``y``, its top share written after it; returns
    the countries drawn."""
    left = 0.0
    for country, share in rec["shares"].items():
        bar = ax.barh(y, share, left=left, height=0.72, color=country_colour(country),
                      edgecolor="white", linewidth=0.6)[0]
        bar.set_gid(f"bar:{rec['stage']}:{rec['product']}:{country}")
        if share >= 0.06:
            ax.text(left + share / 2, y, country if country != "(none)" else "?",
                    ha="center", va="center", fontsize=8,
                    color=text_colour(country_colour(country)))
        left += share
    ax.text(1.01, y, f"{rec['top_country']} {percent(rec['top_share'])}  "
            f"({rec['total_capacity']:,.0f} {rec['basis'] or rec['unit']}; "
            f"{rec['confidence']})", va="center", fontsize=8.5, color="#303030")
    return list(rec["shares"])


def _draw_marks(ax: Axes, published: Iterable[PublishedShare],
                ypos: dict[tuple[str, str], float]) -> None:
    """Each published share whose stage and product have a bar: a tick with its label."""
    marks: dict[float, list[PublishedShare]] = {}
    for mark in published:
        at = ypos.get((mark.stage, mark.product))
        if at is not None:
            marks.setdefault(at, []).append(mark)
    for at, group in marks.items():
        group.sort(key=lambda m: m.share)
        for k, mark in enumerate(group):
            line = ax.vlines(mark.share, at - 0.46, at + 0.46, color="black", linewidth=2.2,
                             zorder=5)
            line.set_gid(f"ref:{mark.stage}:{mark.source}")
            ax.plot([mark.share], [at - 0.46], marker="v", color="black", markersize=5,
                    zorder=5)
            side, dx = ("center", 0) if len(group) == 1 else \
                ("right", -4) if k == 0 else ("left", 4) if k == len(group) - 1 else \
                ("center", 0)
            ax.annotate(mark.label, (mark.share, at - 0.46), xytext=(dx, 2),
                        textcoords="offset points", ha=side, va="bottom", fontsize=7.5,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                              "alpha": 0.85})


def _chinese_group(V: nx.MultiDiGraph, level: str, node: str, cn_companies: set[str]) -> bool:
    if node.startswith("facility:") or level == "facility":
        fid = node.removeprefix("facility:")
        attrs = V.nodes.get(fid, {})
        return attrs.get("country") == "CN" or attrs.get("company") in cn_companies
    if level == "company":
        return node in cn_companies
    return node == "CN"


@shared_docs
def plot_chokepoints(
    G: nx.MultiDiGraph,
    *,
    level: str = "facility",
    as_of: str | dt.date | None = None,
    platforms: Iterable[str] | None = None,
    top: int | None = 25,
    fail: Iterable[str] = (),
    policy: str | None = None,
    include_trivial: bool = False,
) -> Figure:
    """Draw the nodes whose loss alone stops platforms, in the order of their ranking.

    One bar per row of :func:`oretrace.queries.chokepoints.rank_chokepoints` at ``level``
    (facility, company or country), in its order (its measure is named under the chart),
    its length the number of platforms stopped; Chinese nodes (located in China, or
    Chinese-controlled companies and their facilities) are :data:`CN_COLOUR`. The rank
    (``=`` when tied), the platforms and the confidence are printed beside each bar. A
    platform's own assembly, its company and its country are left out unless
    ``include_trivial``.

    Parameters
    ----------
    %(G)s
    %(level)s
    %(as_of)s
    platforms : iterable of str, optional
        The platforms counted (default every platform).
    top : int, optional
        The most bars (default 25; ``None`` for all), ties with the last one kept.
    %(fail)s
    %(policy)s
    include_trivial : bool
        Count a platform's own assembly facility, its company and its country as chokepoints
        too (default ``False``: they stop it by definition).

    Returns
    -------
    matplotlib.figure.Figure
        Bars with gids ``bar:<node>``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> fig = plot_chokepoints(load_dataset(MINI), level="country",
    ...                        as_of="2026-06-01")
    >>> sorted(p.get_gid() for p in fig.axes[0].patches)
    ['bar:CN', 'bar:JP']
    """
    if level not in LEVELS:
        raise QueryError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    day = parse_date(as_of)
    table = rank_chokepoints(G, level=level, as_of=day, platforms=platforms, top=top,
                             fail=fail, policy=policy, include_trivial=include_trivial)
    V = restrict(G, as_of=day)
    cn_companies = controlled_companies(V, "CN")
    fig = new_figure(12.0, 1.8 + 0.36 * max(1, len(table)))
    ax = fig.add_subplot()
    most = int(table["n_platforms"].max()) if len(table) else 1
    for i, rec in enumerate(records(table)):
        chinese = _chinese_group(V, level, rec["node"], cn_companies)
        bar = ax.barh(i, rec["n_platforms"], height=0.7,
                      color=CN_COLOUR if chinese else "#4a6fa5", edgecolor="white")[0]
        bar.set_gid(f"bar:{rec['node']}")
        ax.text(rec["n_platforms"] + most * 0.01, i,
                f"#{rec['rank']}{'=' if rec['tied'] else ''}  {', '.join(rec['platforms'])}"
                f"  · {rec['confidence']}", va="center", fontsize=8, color="#303030")
    ax.set_yticks(range(len(table)), labels=[str(n) for n in table["node"]], fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlim(0, most * 1.9 + 0.5)
    ax.set_xticks(range(0, most + 1))
    ax.set_xlabel("platforms whose supply stops if this node alone is lost (ranked by "
                  f"{RANKED_BY})")
    unsupplied = table.attrs.get("unsupplied") or []
    note = f"; not supplied at all: {', '.join(unsupplied)}" if unsupplied else ""
    ax.set_title(f"Single points of failure by {level}, as of {day.isoformat()}{note}",
                 fontsize=12, loc="left")
    if not len(table):
        ax.text(0.5, 0.5, "no single point of failure", transform=ax.transAxes,
                ha="center", va="center", fontsize=11)
    hide_spines(ax)
    add_legend(fig, [Patch(facecolor=CN_COLOUR, label="Chinese (located or controlled)"),
                     Patch(facecolor="#4a6fa5", label="other")], 2)
    return fig
