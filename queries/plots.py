"""Plots: a platform's supply flow, stage concentration, exposure matrix, chokepoints, timeline.

Every plot is a pure function of the graph that returns a :class:`matplotlib.figure.Figure`
(built without ``pyplot``, so it is safe under any backend and leaves no global state):
show it in a notebook, or save it with ``fig.savefig("x.png")`` (``.svg``, ``.pdf`` too).

Colours are fixed, so a reader learns them once:

- :data:`CN_COLOUR` (red) fills nodes located in China, and the China part of every bar;
- :data:`TAINT_COLOUR` (purple) marks Chinese-origin technology: a facility running one
  carries a purple border and a "T" badge, and every link downstream of one (the
  non-diluting taint of DESIGN §3) is drawn purple;
- other countries take :func:`country_colour` (the US always blue; no country: grey);
- verdicts take :data:`VERDICT_COLOURS` (denied darkest red … not-applicable pale grey).

Confidence is drawn, not hidden: supply links are solid when documented or reported,
dashed when estimated and dotted when illustrative; matrix cells and bars print the
confidence of the claim they show.

Artists carry ids (``Artist.get_gid()``, kept as element ids in SVG output): ``node:<id>``,
``link:<supplier>-><buyer>``, ``bar:…``, ``cell:<platform>:<column>``, ``ref:…``,
``window:<rule>:<n>``, ``need:<stage>``, so tests and scripts can find what was drawn.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset(MINI)
>>> fig = plot_supply_flow(G, "missile", as_of="2026-06-01")
>>> sorted(p.get_gid() for p in fig.axes[0].patches if p.get_gid().startswith("link:"))
... # doctest: +NORMALIZE_WHITESPACE
['link:cn-mine->cn-sep', 'link:cn-sep->jp-mag', 'link:jp-mag->us-comp',
 'link:us-asm->missile', 'link:us-comp->us-asm']
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import matplotlib as mpl
import matplotlib.dates as mdates
import networkx as nx
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FuncFormatter
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    QueryError,
    UnknownNodeError,
    Verdict,
    nodes_of,
    parse_date,
    restrict,
)
from oretrace.graphmodel import platforms as platform_ids
from oretrace.graphmodel.rules import suspensions
from oretrace.graphmodel.schema import Rule
from oretrace.graphmodel.vocab import NodeKind, Stage
from oretrace.queries.chokepoints import RANKED_BY, rank_chokepoints
from oretrace.queries.compliance import evaluate
from oretrace.queries.concentration import find_concentration
from oretrace.queries.content import RARE_EARTHS
from oretrace.queries.exposure import effective_stage, find_exposed, trace
from oretrace.queries.feasibility import LEVELS
from oretrace.queries.predicates import (
    CN_OWNED,
    CN_PROCESSING,
    CN_TECHNOLOGY,
    Predicate,
    controlled_companies,
)

__all__ = [
    "CN_COLOUR",
    "EXPOSURE_COLUMNS",
    "PLOTS",
    "PUBLISHED_SHARES",
    "PublishedShare",
    "TAINT_COLOUR",
    "TIMELINE_RULES",
    "VERDICT_COLOURS",
    "country_colour",
    "find_rule_windows",
    "plot_chokepoints",
    "plot_concentration",
    "plot_exposure_matrix",
    "plot_supply_flow",
    "plot_timeline",
]

#: Fill of every node (and bar segment) located in China.
CN_COLOUR = "#d62728"
#: Border, badge and links of Chinese-origin technology and its downstream taint.
TAINT_COLOUR = "#7b3294"
#: Links that carry no Chinese-technology taint.
_PLAIN_LINK = "#8c8c8c"
#: Nodes with no country (markets, unnamed makers).
_NO_COUNTRY = "#c7c7c7"
#: Fixed colours of the countries met most often (no reds, no purples: those mean China).
_FIXED: dict[str, str] = {
    "US": "#1f77b4", "JP": "#2ca02c", "AU": "#ff7f0e", "MY": "#17becf", "EE": "#8c564b",
    "FR": "#bcbd22", "MM": "#8c6d31", "CA": "#6baed6", "GB": "#393b79", "DE": "#525252",
    "KR": "#e7ba52", "IN": "#74c476", "VN": "#9edae5", "TH": "#fdae6b", "NG": "#637939",
    "RU": "#843c39", "BR": "#31a354", "MG": "#c49c94", "ZA": "#dbdb8d", "TZ": "#bd9e39",
}
#: Colours for other countries, chosen by their code.
_PALETTE = ("#9c9ede", "#cedb9c", "#e7cb94", "#a55194", "#3182bd", "#756bb1", "#636363",
            "#969696", "#fd8d3c", "#6b6ecf", "#b5cf6b", "#8ca252")

#: Cell colours of the exposure matrix, by verdict (and exposed / clear for the predicates).
VERDICT_COLOURS: dict[str, str] = {
    Verdict.DENIED: "#67000d",
    Verdict.NON_COMPLIANT: "#cb181d",
    Verdict.LICENCE_REQUIRED: "#fb6a4a",
    Verdict.CASE_BY_CASE: "#fcbba1",
    Verdict.SUSPENDED: "#bdbdbd",
    Verdict.COMPLIANT: "#a1d99b",
    Verdict.WAIVED: "#fdd0a2",
    Verdict.SHIPMENTS_DENIED: "#a50f15",
    Verdict.SHIPMENTS_LICENSED: "#fc9272",
    Verdict.FACILITIES_FLAGGED: "#fee0d2",
    Verdict.NOT_APPLICABLE: "#f0f0f0",
    "exposed": "#ef3b2c",
    "clear": "#a1d99b",
    "no chain": "#d9d9d9",
}
_DARK_CELLS = {Verdict.DENIED, Verdict.NON_COMPLIANT, Verdict.SHIPMENTS_DENIED, "exposed"}

#: Line style of a supply link by the confidence of what it rests on.
_LINESTYLE: dict[str, Any] = {
    Confidence.DOCUMENTED: "-",
    Confidence.REPORTED: "-",
    Confidence.ESTIMATED: (0, (5, 2)),
    Confidence.ILLUSTRATIVE: (0, (1, 1.5)),
}

#: The exposure matrix's predicate columns, before one column per rule.
EXPOSURE_COLUMNS: dict[str, Predicate] = {
    "processing": CN_PROCESSING,
    "ownership": CN_OWNED,
    "technology": CN_TECHNOLOGY,
}

#: Rules whose windows :func:`plot_timeline` shades by default (those present in the graph;
#: every rule when none is). Their dates are read from the rule nodes.
TIMELINE_RULES: tuple[str, ...] = ("MOFCOM-18-2025", "MOFCOM-61-2025", "DFARS-252.225-7052")


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

_STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}
#: Columns of the flow diagram, left to right; recycling feeds the chain like a mine.
_FLOW_STAGES = (Stage.MINE, Stage.RECYCLING, Stage.CONCENTRATION, Stage.SEPARATION,
                Stage.METAL, Stage.ALLOY, Stage.MAGNET, Stage.COMPONENT, Stage.SUBSYSTEM,
                Stage.ASSEMBLY)


# --------------------------------------------------------------------------- helpers


def country_colour(country: str | None) -> str:
    """Return the fixed colour of ``country``: China red, the US blue, none grey.

    Other countries take a palette colour by their code (stable across plots and runs).

    Examples
    --------
    >>> country_colour("CN") == CN_COLOUR, country_colour(None)
    (True, '#c7c7c7')
    """
    if not country or country == "(none)":
        return _NO_COUNTRY
    if country == "CN":
        return CN_COLOUR
    if country in _FIXED:
        return _FIXED[country]
    code = sum((i + 1) * ord(c) for i, c in enumerate(country.upper()))
    return _PALETTE[code % len(_PALETTE)]


def _num(day: dt.date) -> float:
    """A date as a matplotlib axis number."""
    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict(orient="records"))


def _pct(x: float) -> str:
    return f"{x * 100:.3g} %"


def _label(node: str, country: str | None, width: int = 13) -> str:
    """``node`` wrapped at hyphens in at most three lines, the country appended."""
    for w in (width, width + 2, width + 4, width + 8):
        lines = textwrap.wrap(node, width=w, break_on_hyphens=True) or [node]
        if country:
            tail = f"{lines[-1]} · {country}"
            if len(tail) <= w + 1:
                lines[-1] = tail
            else:
                lines.append(country)
        if len(lines) <= 3:
            break
    return "\n".join(lines)


def _text_colour(fill: str) -> str:
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "black"


#: Control characters (C0 but tab and newline, DEL, C1), drawn as U+FFFD.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _LiteralFigure(Figure):
    """A figure whose every text is drawn as written: data strings are never mathtext.

    An id or name holding ``$...$`` would otherwise be parsed as TeX when the figure is
    drawn (and a bad command, ``$\\nosuchcmd$``, fails the whole drawing). Tick labels
    made during drawing are covered too. Control characters, which no font draws, are
    shown as U+FFFD.
    """

    def draw(self, renderer: Any) -> None:
        with mpl.rc_context({"text.parse_math": False}):
            for text in self.findobj(Text):
                text.set_parse_math(False)
                shown = text.get_text()
                if _CONTROL.search(shown):  # no glyph to draw (and a warning quoting it raw)
                    text.set_text(_CONTROL.sub("\ufffd", shown))
            for ax in self.axes:  # tick labels are set from their formatter while drawing
                for axis in (ax.xaxis, ax.yaxis):
                    for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                        if isinstance(formatter, FuncFormatter) and not hasattr(
                                formatter.func, "_drawable"):
                            formatter.func = _drawable_labels(formatter.func)
                        elif isinstance(formatter, FixedFormatter):
                            formatter.seq = [_CONTROL.sub("\ufffd", str(label))
                                             for label in formatter.seq]
            super().draw(renderer)


def _drawable_labels(func: Callable[..., Any]) -> Callable[..., str]:
    """``func``'s tick labels with control characters shown as U+FFFD."""
    def label(x: Any, pos: Any = None) -> str:
        return _CONTROL.sub("\ufffd", str(func(x, pos)))
    label._drawable = True  # type: ignore[attr-defined]
    return label


def _new_figure(width: float, height: float) -> Figure:
    return _LiteralFigure(figsize=(width, height), layout="constrained", dpi=100)


def _short_rule(G: nx.MultiDiGraph, rid: str) -> str:
    """A short label of a rule: ``MOFCOM-GAC No. 18 [2025]``, ``DFARS 252.225-7052``."""
    attrs = G.nodes.get(rid, {})
    instrument = str(attrs.get("instrument") or rid)
    m = re.search(r"No\.\s*(\d+)\s*\[(\d{4})\]", instrument)
    if m:
        issuer = instrument[:m.start()].replace("Announcement", "").strip(" ,")
        issuer = issuer or str(attrs.get("authority", "")).split(" ")[0]
        return f"{issuer} No. {m.group(1)} [{m.group(2)}]".strip()
    first = instrument.split(";")[0].strip()
    return first if len(first) <= 28 else f"{first[:26]}…"


def _short_by(by: str | None) -> str:
    if not by:
        return ""
    m = re.fullmatch(r"([A-Z]+)-(\d+)-(\d{4})", by)
    return f"{m.group(1)} No. {m.group(2)} [{m.group(3)}]" if m else by


# --------------------------------------------------------------------------- supply flow


def _column(G: nx.MultiDiGraph, node: str) -> float:
    """The flow column of a facility (markets half a step after what they pool)."""
    attrs = G.nodes[node]
    if attrs.get("kind") != NodeKind.FACILITY:
        return float(len(_FLOW_STAGES))  # the platform itself
    stage = effective_stage(G, node)
    where = {s.value: i for i, s in enumerate(_FLOW_STAGES)}
    base = float(where.get(stage, len(_FLOW_STAGES) - 1))
    return base + 0.5 if attrs.get("stage") == Stage.MARKET else base


def _order_columns(columns: dict[float, list[str]], links: Sequence[tuple[str, str]],
                   sweeps: int = 4) -> dict[str, float]:
    """Vertical positions by barycentre sweeps (fewer crossings), centred on 0."""
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for u, v in links:
        succs.setdefault(u, []).append(v)
        preds.setdefault(v, []).append(u)
    keys = sorted(columns)
    pos: dict[str, float] = {}

    def place(col: float) -> None:
        members = columns[col]
        for i, n in enumerate(members):
            pos[n] = (len(members) - 1) / 2 - i

    for col in keys:
        place(col)
    for sweep in range(sweeps):
        order = keys if sweep % 2 == 0 else keys[::-1]
        for col in order:
            near = preds if sweep % 2 == 0 else succs

            def centre(n: str, near: dict[str, list[str]] = near) -> float:
                ys = [pos[m] for m in near.get(n, []) if m in pos]
                return -sum(ys) / len(ys) if ys else -pos[n]

            columns[col] = sorted(columns[col], key=lambda n: (centre(n), n))
            place(col)
    return pos


def plot_supply_flow(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    as_of: str | dt.date | None = None,
    min_confidence: str | Confidence | None = None,
) -> Figure:
    """Draw a platform's needed supply as a layered flow diagram, mines left, platform right.

    Columns are stages (mine, recycling, concentration, separation, metal, alloy, magnet,
    component, subsystem, assembly, then the platform); a market (a stand-in for unknown
    links) sits half a column after the stage of what it pools. One link per supplier–buyer
    pair of :func:`oretrace.queries.exposure.trace`, its width the largest supply share it carries
    (the last hop, assembly → platform, counts as 1). Nodes are filled by country
    (China: :data:`CN_COLOUR`); a facility running Chinese-origin technology has a
    :data:`TAINT_COLOUR` border and a "T" badge, and links downstream of one are drawn in
    that colour; a Chinese-owned facility outside China has a red dashed border. Link style
    shows confidence (solid documented/reported, dashed estimated, dotted illustrative).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    platform : str
        A product id (usually a platform, e.g. ``F-35``).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first (default: keep all).

    Returns
    -------
    matplotlib.figure.Figure
        Patches with gids ``node:<id>`` and ``link:<supplier>-><buyer>``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> fig = plot_supply_flow(load_dataset(MINI), "missile", as_of="2026-06-01")
    >>> node = {p.get_gid(): p for p in fig.axes[0].patches}["node:cn-sep"]
    >>> node.get_facecolor()[:3] == (214 / 255, 39 / 255, 40 / 255)
    True
    """
    day = parse_date(as_of)
    tree = trace(G, platform, as_of=day, min_confidence=min_confidence)
    V = restrict(G, as_of=day, min_confidence=min_confidence)
    cn_tech = CN_TECHNOLOGY.select(V)
    cn_owned = CN_OWNED.select(V)

    links: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _records(tree):
        key = (str(row["facility"]), str(row["buyer"]))
        share = 1.0 if pd.isna(row["share"]) else float(row["share"])
        level = str(row["confidence"])
        hop = links.setdefault(key, {"share": share, "confidence": level, "products": []})
        hop["share"] = max(hop["share"], share)
        if CONFIDENCE_ORDER[level] > CONFIDENCE_ORDER[hop["confidence"]]:
            hop["confidence"] = level
        hop["products"].append(str(row["product"]))

    nodes = sorted({u for u, _ in links} | {v for _, v in links} | {platform})
    flow = nx.DiGraph(list(links))
    flow.add_nodes_from(nodes)
    tainted = set(cn_tech & set(nodes))
    for n in list(tainted):
        tainted |= nx.descendants(flow, n)

    columns: dict[float, list[str]] = {}
    for n in nodes:
        columns.setdefault(_column(V, n), []).append(n)
    ys = _order_columns(columns, list(links))
    col_keys = sorted(columns)
    xs = {n: float(col_keys.index(c)) for c, members in columns.items() for n in members}
    tallest = max(len(m) for m in columns.values())

    fig = _new_figure(max(9.0, 1.25 * len(col_keys) + 0.8), max(5.5, 0.72 * tallest + 2.4))
    ax = fig.add_subplot()
    box_w, box_h = 0.86, 0.66

    for (u, v), hop in sorted(links.items()):
        x0, y0, x1, y1 = xs[u] + box_w / 2, ys[u], xs[v] - box_w / 2, ys[v]
        if x1 <= x0:  # same column (rare): bow out to the right
            x1 = xs[v] + box_w / 2
        mid = (x0 + x1) / 2 if x1 > x0 else x0 + 0.5
        path = Path([(x0, y0), (mid, y0), (mid, y1), (x1, y1)],
                    [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
        colour = TAINT_COLOUR if u in tainted else _PLAIN_LINK
        patch = PathPatch(path, facecolor="none", edgecolor=colour,
                          linewidth=0.8 + 7.0 * hop["share"], alpha=0.6,
                          linestyle=_LINESTYLE.get(hop["confidence"], "-"), zorder=1,
                          capstyle="butt")
        patch.set_gid(f"link:{u}->{v}")
        ax.add_patch(patch)

    for n in nodes:
        attrs = V.nodes[n]
        is_facility = attrs.get("kind") == NodeKind.FACILITY
        country = attrs.get("country") if is_facility else None
        fill = country_colour(country) if is_facility else "#252525"
        edge, width, style = "#404040", 0.8, "-"
        if n in cn_tech:
            edge, width = TAINT_COLOUR, 3.0
        elif n in cn_owned and country != "CN":
            edge, width, style = CN_COLOUR, 2.5, "--"
        if is_facility and attrs.get("stage") == Stage.MARKET:
            style = ":" if edge == "#404040" else style
        box = FancyBboxPatch((xs[n] - box_w / 2, ys[n] - box_h / 2), box_w, box_h,
                             boxstyle="round,pad=0.0,rounding_size=0.08", facecolor=fill,
                             edgecolor=edge, linewidth=width, linestyle=style, zorder=3)
        box.set_gid(f"node:{n}")
        ax.add_patch(box)
        ax.text(xs[n], ys[n], _label(n, country), ha="center", va="center", fontsize=8.5,
                color=_text_colour(fill), zorder=4,
                fontweight="bold" if not is_facility else "normal")
        if n in cn_tech:
            ax.text(xs[n] + box_w / 2 - 0.02, ys[n] + box_h / 2 - 0.02, "T", ha="center",
                    va="center", fontsize=8, color="white", fontweight="bold", zorder=5,
                    bbox={"boxstyle": "circle,pad=0.18", "facecolor": TAINT_COLOUR,
                          "edgecolor": "white", "linewidth": 0.8})

    for c in col_keys:
        sample = columns[c][0]
        head = ("platform" if V.nodes[sample].get("kind") != NodeKind.FACILITY
                else f"{effective_stage(V, sample)} market"
                if V.nodes[sample].get("stage") == Stage.MARKET
                else effective_stage(V, sample))
        ax.text(col_keys.index(c), tallest / 2 + 0.15, head, ha="center", va="bottom",
                fontsize=9, fontweight="bold", color="#404040")

    ax.set_xlim(-0.6, len(col_keys) - 0.4)
    ax.set_ylim(-tallest / 2 - 0.1, tallest / 2 + 0.7)
    ax.set_axis_off()
    n_fac = sum(1 for n in nodes if V.nodes[n].get("kind") == NodeKind.FACILITY)
    ax.set_title(f"{platform}: supply as of {day.isoformat()} — {n_fac} facilities, "
                 f"{len(links)} links (width = supply share)", fontsize=12, loc="left")

    countries = sorted({str(V.nodes[n].get("country")) for n in nodes
                        if V.nodes[n].get("kind") == NodeKind.FACILITY
                        and V.nodes[n].get("country")})
    handles: list[Any] = [Patch(facecolor=country_colour(c), edgecolor="#404040",
                                label=("CN (located in China)" if c == "CN" else c))
                          for c in countries]
    handles.append(Patch(facecolor=_NO_COUNTRY, edgecolor="#404040", linestyle=":",
                         label="no country / market"))
    handles.append(Patch(facecolor="white", edgecolor=TAINT_COLOUR, linewidth=3,
                         label="T: runs Chinese-origin technology"))
    handles.append(Line2D([], [], color=TAINT_COLOUR, lw=3, alpha=0.6,
                          label="link downstream of Chinese technology"))
    handles.append(Line2D([], [], color=_PLAIN_LINK, lw=3, alpha=0.6, label="untainted link"))
    for level, name in ((Confidence.REPORTED, "documented / reported"),
                        (Confidence.ESTIMATED, "estimated"),
                        (Confidence.ILLUSTRATIVE, "illustrative (placeholder)")):
        handles.append(Line2D([], [], color="#404040", lw=2, linestyle=_LINESTYLE[level],
                              label=name))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(7, len(handles)),
               fontsize=8.5, frameon=False)
    return fig


# --------------------------------------------------------------------------- concentration


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
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent.
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
    table = find_concentration(G, as_of=day, routes=False)
    wanted = None if stages is None else set(stages)
    rows: list[dict[str, Any]] = []
    stage_rows: dict[str, tuple[Any, ...]] = {}
    for rec in _records(table):
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
    if not rows:
        raise QueryError(f"no stage has capacity as of {day}"
                         + (f" among {', '.join(sorted(wanted))}" if wanted else ""))

    fig = _new_figure(12.0, 1.2 + 0.42 * len(rows) + 0.25 * len({r["stage"] for r in rows}))
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
        left = 0.0
        for country, share in rec["shares"].items():
            bar = ax.barh(y, share, left=left, height=0.72, color=country_colour(country),
                          edgecolor="white", linewidth=0.6)[0]
            bar.set_gid(f"bar:{rec['stage']}:{rec['product']}:{country}")
            countries_seen[country] = None
            if share >= 0.06:
                ax.text(left + share / 2, y, country if country != "(none)" else "?",
                        ha="center", va="center", fontsize=8,
                        color=_text_colour(country_colour(country)))
            left += share
        what = "all products" if rec["product"] == "*" else rec["product"]
        held = sorted(e for e in G.nodes.get(rec["product"], {}).get("elements", {})
                      if e in RARE_EARTHS)
        what += f" ({', '.join(held)})" if held else ""
        labels.append(f"{rec['stage']} · {what}")
        ax.text(1.01, y, f"{rec['top_country']} {_pct(rec['top_share'])}  "
                f"({rec['total_capacity']:,.0f} {rec['basis'] or rec['unit']}; "
                f"{rec['confidence']})", va="center", fontsize=8.5, color="#303030")
        y += 1.0
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
    ax.set_yticks([ypos[(r["stage"], r["product"])] for r in rows], labels=labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", "25 %", "50 %", "75 %", "100 %"])
    ax.set_xlabel("share of capacity by country (facilities located there; markets left out)")
    ax.set_title(f"Stage concentration as of {day.isoformat()} — black ticks: published "
                 "shares of China", fontsize=12, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles: list[Any] = [Patch(facecolor=country_colour(c),
                                label=c if c != "(none)" else "no country")
                          for c in countries_seen]
    handles.append(Line2D([], [], color="black", lw=2.2, label="published share of China"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(10, len(handles)),
               fontsize=8.5, frameon=False)
    return fig


# --------------------------------------------------------------------------- exposure matrix


def plot_exposure_matrix(
    G: nx.MultiDiGraph,
    *,
    as_of: str | dt.date | None = None,
    platforms: Iterable[str] | None = None,
    rules: Iterable[str] | None = None,
    end_user: str = "military",
    min_confidence: str | Confidence | None = None,
) -> Figure:
    """Draw platforms × (processing, ownership, technology, each rule) with their verdicts.

    The first three columns say whether the platform's needed supply reaches a facility
    processing in China, a Chinese-owned one, or one running Chinese-origin technology
    (:func:`oretrace.queries.exposure.find_exposed`): ``exposed`` or ``clear``. Then one column per
    rule with its verdict as of the date (:func:`oretrace.queries.compliance.evaluate`): for a rule
    that licenses shipments the summary of the platform's shipments (``shipments-denied``,
    ``shipments-licensed``), for a technology rule ``facilities-flagged``, for a procurement
    rule the platform's own verdict (``compliant``, ``non-compliant``, ``waived``). Every cell
    prints the confidence of the claim, followed by ``· assumed`` when the verdict rests on an
    assumed rule status (after the rule's ``known_until``); illustrative claims are hatched.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    as_of : date or ISO str, optional
        The date of every verdict (default today).
    platforms : iterable of str, optional
        The rows: product ids (default every platform).
    rules : iterable of str, optional
        The rule ids to give a column each (default every rule of the graph).
    end_user : {"military", "civil", "listed"}
        Who the platforms are for (default ``military``): an end-user clause reads it.
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level before testing exposure.

    Returns
    -------
    matplotlib.figure.Figure
        Cells with gids ``cell:<platform>:<column>`` (columns ``processing``, ``ownership``,
        ``technology`` and the rule ids).

    Raises
    ------
    UnknownNodeError
        When a platform id names no product.
    QueryError
        When there is no platform to show.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> fig = plot_exposure_matrix(load_dataset(DATA / "compliance_mini"),
    ...                            as_of="2027-06-01")
    >>> cells = {p.get_gid(): p for p in fig.axes[0].patches}
    >>> sorted(cells)  # doctest: +NORMALIZE_WHITESPACE
    ['cell:missile:DFARS', 'cell:missile:NO61', 'cell:missile:ownership',
     'cell:missile:processing', 'cell:missile:technology']
    """
    day = parse_date(as_of)
    targets = list(platforms) if platforms is not None else platform_ids(G)
    known = platform_ids(G) + nodes_of(G, NodeKind.PRODUCT)
    for p in targets:
        if G.nodes.get(p, {}).get("kind") != NodeKind.PRODUCT:
            raise UnknownNodeError(p, known, "product")
    if not targets:
        raise QueryError("the graph has no platform to show")
    rule_ids = list(rules) if rules is not None else nodes_of(G, NodeKind.RULE)

    cells: dict[tuple[str, str], tuple[str, str]] = {}
    assumed: set[tuple[str, str]] = set()
    for column, pred in EXPOSURE_COLUMNS.items():
        found = {e.platform: e for e in find_exposed(G, pred, as_of=day, k=1, products=targets,
                                                     min_confidence=min_confidence)}
        for p in targets:
            e = found.get(p)
            if e is None:
                cells[(p, column)] = ("clear", "")
            elif e.status == "exposed":
                cells[(p, column)] = ("exposed", e.confidence.value)
            else:  # no supply chain left at the floor: neither exposed nor clear
                cells[(p, column)] = ("no chain", e.confidence.value)
    for p in targets:
        for v in evaluate(G, p, as_of=day, end_user=end_user, rules=rule_ids,
                          min_confidence=min_confidence):
            cells[(p, v.rule)] = (v.verdict.value, v.confidence.value)
            if v.status.startswith("assumed"):
                assumed.add((p, v.rule))

    columns = [*EXPOSURE_COLUMNS, *rule_ids]
    heads = [*EXPOSURE_COLUMNS, *(_short_rule(G, r) for r in rule_ids)]
    fig = _new_figure(max(7.0, 1.25 * len(columns) + 2.2), 1.9 + 0.62 * len(targets))
    ax = fig.add_subplot()
    for i, p in enumerate(targets):
        for j, column in enumerate(columns):
            verdict, level = cells[(p, column)]
            fill = VERDICT_COLOURS.get(verdict, "#ffffff")
            cell = Rectangle((j, i), 1, 1, facecolor=fill, edgecolor="white", linewidth=2,
                             hatch="///" if level == Confidence.ILLUSTRATIVE else None)
            cell.set_gid(f"cell:{p}:{column}")
            ax.add_patch(cell)
            ink = "white" if verdict in _DARK_CELLS else "black"
            ax.text(j + 0.5, i + 0.42, verdict, ha="center", va="center", fontsize=8.5,
                    color=ink, fontweight="bold",
                    bbox=None if level != Confidence.ILLUSTRATIVE else
                    {"boxstyle": "round,pad=0.1", "fc": fill, "ec": "none"})
            if level:
                note = f"{level} · assumed" if (p, column) in assumed else level
                ax.text(j + 0.5, i + 0.72, note, ha="center", va="center", fontsize=7,
                        color=ink, style="italic",
                        bbox=None if level != Confidence.ILLUSTRATIVE else
                        {"boxstyle": "round,pad=0.1", "fc": fill, "ec": "none"})
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(targets), 0)
    ax.set_xticks([j + 0.5 for j in range(len(columns))],
                  labels=[textwrap.fill(h, 14) for h in heads], fontsize=8.5)
    ax.xaxis.tick_top()
    ax.set_yticks([i + 0.5 for i in range(len(targets))], labels=targets, fontsize=10)
    ax.axvline(len(EXPOSURE_COLUMNS), color="black", lw=1.5)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    ax.set_title(f"Exposure and rule verdicts as of {day.isoformat()} ({end_user} end user) — "
                 "hatched: rests on an illustrative placeholder\n"
                 "· assumed: rests on an assumed rule status (after its known_until)",
                 fontsize=11, loc="left")
    shown = [v for v in VERDICT_COLOURS if v in {c[0] for c in cells.values()}]
    fig.legend(handles=[Patch(facecolor=VERDICT_COLOURS[v], edgecolor="#909090", label=v)
                        for v in shown],
               loc="outside lower center", ncol=min(9, len(shown)), fontsize=8.5,
               frameon=False)
    return fig


# --------------------------------------------------------------------------- chokepoints


def _chinese_group(V: nx.MultiDiGraph, level: str, node: str, cn_companies: set[str]) -> bool:
    if node.startswith("facility:") or level == "facility":
        fid = node.removeprefix("facility:")
        attrs = V.nodes.get(fid, {})
        return attrs.get("country") == "CN" or attrs.get("company") in cn_companies
    if level == "company":
        return node in cn_companies
    return node == "CN"


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
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    level : {"facility", "company", "country"}
        The grouping whose loss is counted: one facility, every facility a company operates,
        or every facility located in a country (default ``facility``).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent (planned facilities count from ``online_from``, links from
        ``start``).
    platforms : iterable of str, optional
        The platforms counted (default every platform).
    top : int, optional
        The most bars (default 25; ``None`` for all), ties with the last one kept.
    fail : iterable of str
        What fails (default nothing): failure specs ``ID`` or ``facility:ID`` (one
        facility; a bare ``ID`` may also name a company), ``company:ID`` (every facility the
        company operates) or ``country:CC`` (every facility located in that country).
    policy : str, optional
        A policy from :data:`oretrace.queries.feasibility.POLICIES` by name, e.g.
        ``"cn-denies-military"`` (the shipments a rule of the data denies to military end uses
        stop), or ``None`` (the default) for none.
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
    fig = _new_figure(12.0, 1.8 + 0.36 * max(1, len(table)))
    ax = fig.add_subplot()
    most = int(table["n_platforms"].max()) if len(table) else 1
    for i, rec in enumerate(_records(table)):
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
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(handles=[Patch(facecolor=CN_COLOUR, label="Chinese (located or controlled)"),
                        Patch(facecolor="#4a6fa5", label="other")],
               loc="outside lower center", ncol=2, fontsize=8.5, frameon=False)
    return fig


# --------------------------------------------------------------------------- timeline


def find_rule_windows(G: nx.MultiDiGraph, rules: Iterable[str] | None = None) -> pd.DataFrame:
    """Return the date windows of rules, read from the rule nodes: in force and suspended.

    One ``in force`` row per group of clauses sharing their dates (a rule whose clauses
    start on different days, like DFARS 252.225-7052's 2027 extension, gives one row per
    start) and one ``suspended`` row per suspension. ``end`` is exclusive (a suspension
    "until 10 November 2026" ends on 2026-11-11); ``None`` means open.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
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
        short = _short_rule(G, rid)
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
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
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
    if not year_list:
        raise QueryError("give at least one year")
    known_stages = [s.value for s in Stage if s is not Stage.MARKET]
    for stage in stages:
        if stage not in known_stages:
            raise QueryError(f"unknown stage {stage!r}; choose from {', '.join(known_stages)}")
    if isinstance(need, str) and need != "world":
        raise QueryError(f"need must be 'world' or a mapping {{stage: t/yr}}, not {need!r}")
    day = parse_date(as_of)
    if rules is None:
        present = [r for r in TIMELINE_RULES if G.nodes.get(r, {}).get("kind") == NodeKind.RULE]
        rules = present or None
    windows = find_rule_windows(G, rules)
    x0, x1 = dt.date(year_list[0], 1, 1), dt.date(year_list[-1] + 1, 1, 1)

    caps = {y: _stage_capacity(G, dt.date(y, 7, 1), stages) for y in year_list}
    fig = _new_figure(12.0, 2.0 + 0.32 * max(1, len(windows)) + 2.3 * len(stages))
    ratios = [max(1.2, 0.32 * max(1, len(windows)))] + [2.3] * len(stages)
    axes = fig.subplots(1 + len(stages), 1, sharex=True,
                        gridspec_kw={"height_ratios": ratios})
    strip: Axes = axes[0]
    palette = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#fd8d3c", "#6baed6")
    rule_colour: dict[str, str] = {}
    labels: list[str] = []
    for i, w in enumerate(_records(windows)):
        rule_colour.setdefault(w["rule"], palette[len(rule_colour) % len(palette)])
        start = max(w["start"], x0)
        end = min(w["end"], x1) if w["end"] is not None else x1
        labels.append(w["label"])
        if end <= start:
            continue
        suspended = w["kind"] == "suspended"
        span = strip.barh(i, (end - start).days, left=_num(start), height=0.7,
                          color="#d9d9d9" if suspended else rule_colour[w["rule"]],
                          alpha=1.0 if suspended else 0.75,
                          hatch="xx" if suspended else None,
                          edgecolor=rule_colour[w["rule"]] if suspended else "white")[0]
        span.set_gid(f"window:{w['rule']}:{i}")
        strip.text(_num(start + dt.timedelta(days=10)), i,
                   f"{w['start'].isoformat()} → "
                   + (f"{(w['end'] - dt.timedelta(days=1)).isoformat()}" if w["end"] else ""),
                   va="center", fontsize=7.5, color="black" if suspended else "white")
    strip.set_yticks(range(len(labels)), labels=labels, fontsize=8)
    strip.set_ylim(len(labels) - 0.4, -0.6)
    strip.set_title(f"Non-Chinese capacity against need, {year_list[0]}–{year_list[-1]} "
                    "(read on 1 July), under the rule windows", fontsize=12, loc="left")

    countries: dict[str, None] = {}
    for k, stage in enumerate(stages):
        ax: Axes = axes[k + 1]
        bases = {caps[y][stage]["basis"] for y in year_list if caps[y][stage]["basis"]}
        for y in year_list:
            mid = _num(dt.date(y, 7, 1))
            bottom = 0.0
            for country, value in sorted(caps[y][stage]["by_country"].items()):
                if country == "CN" or value <= 0:
                    continue
                bar = ax.bar(mid, value, bottom=bottom, width=250,
                             color=country_colour(country), edgecolor="white", linewidth=0.5)[0]
                bar.set_gid(f"bar:{stage}:{y}:{country}")
                countries[country] = None
                bottom += value
            target = caps[y][stage]["total"] if need == "world" else \
                float(need.get(stage, float("nan"))) if isinstance(need, Mapping) else 0.0
            if target == target and target > 0:
                ax.text(mid, bottom, f"{bottom / target * 100:.0f} %", ha="center",
                        va="bottom", fontsize=8)
        targets = [caps[y][stage]["total"] if need == "world" else
                   float(need.get(stage, float("nan"))) if isinstance(need, Mapping) else 0.0
                   for y in year_list]
        (line,) = ax.plot([_num(dt.date(y, 7, 1)) for y in year_list], targets,
                          color="black",
                          marker="o", lw=1.6, drawstyle="steps-mid")
        line.set_gid(f"need:{stage}")
        ax.set_ylabel(f"{stage}\n{' / '.join(sorted(bases)) or 't/yr'}", fontsize=9)
        ax.set_ylim(0, max([t for t in targets if t == t] + [1.0]) * 1.15)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for a in axes:
        a.axvline(_num(day), color="#303030", lw=1.2, linestyle="--")
    axes[-1].set_xlim(_num(x0), _num(x1))
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
    fig.legend(handles=handles, loc="outside lower center", ncol=min(8, len(handles)),
               fontsize=8.5, frameon=False)
    return fig


#: The plots by the names ``oretrace plot KIND`` accepts.
PLOTS: dict[str, Callable[..., Figure]] = {
    "flow": plot_supply_flow,
    "concentration": plot_concentration,
    "exposure": plot_exposure_matrix,
    "chokepoints": plot_chokepoints,
    "timeline": plot_timeline,
}
