"""The timeline: non-Chinese capacity by stage and year against need, under the rule windows
(private: :mod:`oretrace.queries.plots` holds the public names)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import networkx as nx
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from oretrace.graphmodel import QueryError, UnknownNodeError, nodes_of, parse_date
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.rules import suspensions
from oretrace.graphmodel.schema import Rule
from oretrace.graphmodel.vocab import NodeKind, Stage
from oretrace.queries._plot_style import (
    add_legend,
    country_colour,
    date_number,
    hide_spines,
    new_figure,
    records,
    short_rule,
)
from oretrace.queries.concentration import find_concentration

__all__ = ["TIMELINE_RULES", "find_rule_windows", "plot_timeline"]

#: Rules whose windows :func:`plot_timeline` shades by default (those present in the graph;
#: every rule when none is). Their dates are read from the rule nodes.
TIMELINE_RULES: tuple[str, ...] = ("MOFCOM-18-2025", "MOFCOM-61-2025", "DFARS-252.225-7052")


def _short_by(by: str | None) -> str:
    """A suspending instrument's id as a short label (``MOFCOM No. 70 [2025]``)."""
    if not by:
        return ""
    m = re.fullmatch(r"([A-Z]+)-(\d+)-(\d{4})", by)
    return f"{m.group(1)} No. {m.group(2)} [{m.group(3)}]" if m else by


@shared_docs
def find_rule_windows(G: nx.MultiDiGraph, rules: Iterable[str] | None = None) -> pd.DataFrame:
    """Return the date windows of rules, read from the rule nodes: in force and suspended.

    One ``in force`` row per group of clauses sharing their dates (a rule whose clauses
    start on different days, like DFARS 252.225-7052's 2027 extension, gives one row per
    start) and one ``suspended`` row per suspension. ``end`` is exclusive (a suspension
    "until 10 November 2026" ends on 2026-11-11); ``None`` means open.

    Parameters
    ----------
    %(G)s
    rules : iterable of str, optional
        The rule ids (default every rule of the graph).

    Returns
    -------
    pandas.DataFrame
        One row per window, rule by rule: ``rule`` (id), ``label`` (a short name to show),
        ``kind`` (``in force`` or ``suspended``), ``start`` and ``end`` (dates; ``end``
        exclusive, ``None`` open), ``clauses`` (the clause ids it covers), ``by`` (the
        suspending instrument, for a suspension) and ``sources``.

    Raises
    ------
    UnknownNodeError
        When a rule id names no rule.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> w = find_rule_windows(load_dataset(DATA / "compliance_mini"), ["NO61"])
    >>> [(r["kind"], str(r["start"]), str(r["end"])) for r in w.to_dict(orient="records")]
    [('in force', '2025-12-01', 'None'), ('suspended', '2025-11-07', '2026-11-11')]
    """
    known = nodes_of(G, NodeKind.RULE)
    wanted = known if rules is None else list(rules)
    rows: list[dict[str, Any]] = []
    for rid in wanted:
        if rid not in known:
            raise UnknownNodeError(rid, known, "rule")
        rule = Rule.model_validate({**{k: v for k, v in G.nodes[rid].items() if k != "kind"},
                                     "id": rid})
        short = short_rule(G, rid)
        groups: dict[tuple[dt.date, dt.date | None], list[str]] = {}
        for clause in rule.clauses:
            span = (clause.effective or rule.effective, clause.until or rule.until)
            groups.setdefault(span, []).append(clause.id)
        if not groups:
            groups[(rule.effective, rule.until)] = []
        for (start, end), clauses in sorted(groups.items(), key=lambda kv: kv[0][0]):
            label = short if len(groups) == 1 else \
                f"{short}: {clauses[0]}" + (f" +{len(clauses) - 1}" if len(clauses) > 1 else "")
            rows.append({"rule": rid, "label": label, "kind": "in force", "start": start,
                         "end": end, "clauses": clauses, "by": None,
                         "sources": list(rule.sources)})
        for s in suspensions(rule):
            what = ", ".join(s.clauses) if s.clauses else ""
            rows.append({
                "rule": rid, "kind": "suspended", "start": s.start,
                "end": s.end + dt.timedelta(days=1) if s.end else None,
                "label": f"{short} suspended" + (f" ({what})" if what else "")
                + (f" by {_short_by(s.by)}" if s.by else ""),
                "clauses": list(s.clauses) or [c.id for c in rule.clauses], "by": s.by,
                "sources": list(s.sources)})
    return pd.DataFrame(rows, columns=["rule", "label", "kind", "start", "end", "clauses",
                                       "by", "sources"])


def _stage_capacity(G: nx.MultiDiGraph, day: dt.date,
                    stages: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per stage, its capacity by country on ``day``, the total and the basis counted."""
    table = find_concentration(G, as_of=day, routes=False)
    out: dict[str, dict[str, Any]] = {}
    for stage in stages:
        row = table[(table["stage"] == stage) & (table["product"] == "*")]
        if row.empty or not row.iloc[0]["shares"]:
            out[stage] = {"by_country": {}, "total": 0.0, "basis": ""}
            continue
        rec = row.iloc[0]
        total = float(rec["total_capacity"])
        out[stage] = {"by_country": {c: s * total for c, s in rec["shares"].items()},
                      "total": total, "basis": rec["basis"]}
    return out


@shared_docs
def plot_timeline(
    G: nx.MultiDiGraph,
    *,
    years: Iterable[int] = range(2024, 2031),
    stages: Sequence[str] = ("mine", "separation", "magnet"),
    need: str | Mapping[str, float] = "world",
    rules: Iterable[str] | None = None,
    as_of: str | dt.date | None = None,
) -> Figure:
    """Draw non-Chinese capacity by stage and year against need, under the rule windows.

    For each year, capacity is read on 1 July (planned plants count from their
    ``online_from``) with :func:`oretrace.queries.concentration.find_concentration`'s stage-wide
    row: one bar per year of the capacity located outside China, stacked by country, in
    the stage's reference unit. ``need`` is what that capacity is held against:
    ``"world"`` (default) — the stage's whole capacity that year, China included, i.e.
    what non-Chinese plants would need to replace China at that year's scale; or a mapping
    ``{stage: t/yr}`` of the analyst's own figure. The top panel shades the windows of
    ``rules`` (:func:`find_rule_windows`: in force, and suspended hatched), read from the
    rule nodes; ``as_of`` (default today) is a dashed line.

    Parameters
    ----------
    %(G)s
    years : iterable of int
        The years to draw, one bar each (default 2024-2030).
    stages : sequence of str
        The stages to draw, one panel each (default mine, separation, magnet).
    need : "world" or mapping of str to float
        What the capacity is held against: ``"world"`` or ``{stage: t/yr}`` (see above).
    rules : iterable of str, optional
        The rule ids whose windows are shaded (default those of :data:`TIMELINE_RULES` in the
        graph, or every rule when none of them is).
    as_of : date or ISO str, optional
        The date marked by the dashed line (default today).

    Returns
    -------
    matplotlib.figure.Figure
        Axes 0 is the rule strip (patches ``window:<rule>:<n>``), then one axes per stage
        (bars ``bar:<stage>:<year>:<country>``, need line ``need:<stage>``).

    Raises
    ------
    QueryError
        When no year is given, a stage is unknown or ``need`` is another string.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> fig = plot_timeline(load_dataset(DATA / "compliance_mini"), years=[2026, 2027],
    ...                     stages=["separation"], as_of="2026-11-24")
    >>> sorted(p.get_gid() for p in fig.axes[1].patches)
    ['bar:separation:2027:US']
    """
    year_list = sorted(set(years))
    _check_timeline(year_list, stages, need)
    day = parse_date(as_of)
    if rules is None:
        present = [r for r in TIMELINE_RULES if G.nodes.get(r, {}).get("kind") == NodeKind.RULE]
        rules = present or None
    windows = find_rule_windows(G, rules)
    x0, x1 = dt.date(year_list[0], 1, 1), dt.date(year_list[-1] + 1, 1, 1)

    caps = {y: _stage_capacity(G, dt.date(y, 7, 1), stages) for y in year_list}
    fig = new_figure(12.0, 2.0 + 0.32 * max(1, len(windows)) + 2.3 * len(stages))
    ratios = [max(1.2, 0.32 * max(1, len(windows)))] + [2.3] * len(stages)
    axes = fig.subplots(1 + len(stages), 1, sharex=True,
                        gridspec_kw={"height_ratios": ratios})
    _draw_windows(axes[0], records(windows), (x0, x1))
    axes[0].set_title(f"Non-Chinese capacity against need, {year_list[0]}–{year_list[-1]} "
                      "(read on 1 July), under the rule windows", fontsize=12, loc="left")
    countries: dict[str, None] = {}
    for k, stage in enumerate(stages):
        countries.update(dict.fromkeys(_draw_stage(axes[k + 1], stage, caps, need)))
    for a in axes:
        a.axvline(date_number(day), color="#303030", lw=1.2, linestyle="--")
    axes[-1].set_xlim(date_number(x0), date_number(x1))
    axes[-1].xaxis.set_major_locator(mdates.YearLocator())  # type: ignore[no-untyped-call]
    axes[-1].xaxis.set_major_formatter(
        mdates.DateFormatter("%Y"))  # type: ignore[no-untyped-call]
    need_label = ("need: the stage's whole capacity, China included (to replace China)"
                  if need == "world" else "need: analyst's figure")
    handles: list[Any] = [Patch(facecolor=country_colour(c),
                                label=c if c != "(none)" else "no country")
                          for c in sorted(countries)]
    handles += [Line2D([], [], color="black", marker="o", label=need_label),
                Line2D([], [], color="#303030", linestyle="--",
                       label=f"as of {day.isoformat()}"),
                Patch(facecolor="#d9d9d9", hatch="xx", edgecolor="#808080",
                      label="rule suspended")]
    add_legend(fig, handles, 8)
    return fig


def _check_timeline(years: Sequence[int], stages: Sequence[str],
                    need: str | Mapping[str, float]) -> None:
    """Raise QueryError on no year, an unknown stage, or a need that is another string."""
    if not years:
        raise QueryError("give at least one year")
    known_stages = [s.value for s in Stage if s is not Stage.MARKET]
    for stage in stages:
        if stage not in known_stages:
            raise QueryError(f"unknown stage {stage!r}; choose from {', '.join(known_stages)}")
    if isinstance(need, str) and need != "world":
        raise QueryError(f"need must be 'world' or a mapping {{stage: t/yr}}, not {need!r}")


def _draw_windows(strip: Axes, windows: list[dict[str, Any]],
                  axis: tuple[dt.date, dt.date]) -> None:
    """The rule strip: one bar per window, clipped to ``axis``; suspensions hatched."""
    palette = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#fd8d3c", "#6baed6")
    rule_colour: dict[str, str] = {}
    labels: list[str] = []
    for i, w in enumerate(windows):
        rule_colour.setdefault(w["rule"], palette[len(rule_colour) % len(palette)])
        start = max(w["start"], axis[0])
        end = min(w["end"], axis[1]) if w["end"] is not None else axis[1]
        labels.append(w["label"])
        if end <= start:
            continue
        suspended = w["kind"] == "suspended"
        span = strip.barh(i, (end - start).days, left=date_number(start), height=0.7,
                          color="#d9d9d9" if suspended else rule_colour[w["rule"]],
                          alpha=1.0 if suspended else 0.75,
                          hatch="xx" if suspended else None,
                          edgecolor=rule_colour[w["rule"]] if suspended else "white")[0]
        span.set_gid(f"window:{w['rule']}:{i}")
        strip.text(date_number(start + dt.timedelta(days=10)), i,
                   f"{w['start'].isoformat()} → "
                   + (f"{(w['end'] - dt.timedelta(days=1)).isoformat()}" if w["end"] else ""),
                   va="center", fontsize=7.5, color="black" if suspended else "white")
    strip.set_yticks(range(len(labels)), labels=labels, fontsize=8)
    strip.set_ylim(len(labels) - 0.4, -0.6)


def _draw_stage(ax: Axes, stage: str, caps: dict[int, dict[str, dict[str, Any]]],
                need: str | Mapping[str, float]) -> list[str]:
    """One stage's panel: non-Chinese capacity stacked by country per year, the need line
    and the share of need met; returns the countries drawn."""
    years = sorted(caps)
    targets = [caps[y][stage]["total"] if need == "world" else
               float(need.get(stage, float("nan"))) if isinstance(need, Mapping) else 0.0
               for y in years]
    drawn: list[str] = []
    for y, target in zip(years, targets, strict=True):
        mid = date_number(dt.date(y, 7, 1))
        bottom = 0.0
        for country, value in sorted(caps[y][stage]["by_country"].items()):
            if country == "CN" or value <= 0:
                continue
            bar = ax.bar(mid, value, bottom=bottom, width=250,
                         color=country_colour(country), edgecolor="white", linewidth=0.5)[0]
            bar.set_gid(f"bar:{stage}:{y}:{country}")
            drawn.append(country)
            bottom += value
        if target == target and target > 0:
            ax.text(mid, bottom, f"{bottom / target * 100:.0f} %", ha="center",
                    va="bottom", fontsize=8)
    (line,) = ax.plot([date_number(dt.date(y, 7, 1)) for y in years], targets,
                      color="black", marker="o", lw=1.6, drawstyle="steps-mid")
    line.set_gid(f"need:{stage}")
    bases = {caps[y][stage]["basis"] for y in years if caps[y][stage]["basis"]}
    ax.set_ylabel(f"{stage}\n{' / '.join(sorted(bases)) or 't/yr'}", fontsize=9)
    ax.set_ylim(0, max([t for t in targets if t == t] + [1.0]) * 1.15)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    hide_spines(ax)
    return drawn
