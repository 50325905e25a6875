"""The supply-flow diagram of a platform: stage columns, links by share, and one band for the
many small suppliers of a crowded buyer (private: :mod:`oretrace.queries.plots` holds the
public names)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch, PathPatch
from matplotlib.path import Path
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, parse_date, restrict
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import NodeKind, Stage
from oretrace.queries._plot_style import (
    CN_COLOUR,
    LINESTYLE,
    NO_COUNTRY,
    PLAIN_LINK,
    TAINT_COLOUR,
    add_legend,
    country_colour,
    new_figure,
    node_label,
    percent,
    text_colour,
)
from oretrace.queries.exposure import effective_stage, trace
from oretrace.queries.predicates import CN_OWNED, CN_PROCESSING, CN_TECHNOLOGY

__all__ = ["MOST_SUPPLIERS", "Band", "flow_column", "order_columns", "plot_supply_flow"]

#: Columns of the flow diagram, left to right; recycling feeds the chain like a mine.
_FLOW_STAGES = (Stage.MINE, Stage.RECYCLING, Stage.CONCENTRATION, Stage.SEPARATION,
                Stage.METAL, Stage.ALLOY, Stage.MAGNET, Stage.COMPONENT, Stage.SUBSYSTEM,
                Stage.ASSEMBLY)
_COLUMN_OF = {s.value: i for i, s in enumerate(_FLOW_STAGES)}
#: A buyer with more suppliers than this gets its smallest ones drawn as one band.
MOST_SUPPLIERS = 24
_BOX_W, _BOX_H = 0.86, 0.66
_BAND_FILL = "#ededed"

Links = dict[tuple[str, str], dict[str, Any]]


@dataclass
class Band:
    """The small suppliers of one buyer, drawn together as one box.

    A supplier is folded into a band only with everything upstream of it that supplies
    nothing else drawn (its own suppliers, theirs …), so no drawn link loses an end.
    """

    buyer: str
    suppliers: int = 0  # folded direct suppliers of ``buyer``
    facilities: int = 0  # those and their own upstream
    chinese: int = 0  # facilities located in China among them
    share: float = 0.0  # sum of the folded links' supply shares
    tainted: bool = False  # a folded facility runs, or is downstream of, Chinese technology
    confidence: str = Confidence.DOCUMENTED.value  # weakest folded link
    column: float = 0.0  # where it is drawn: the column of its largest supplier
    members: list[str] = field(default_factory=list)

    @property
    def node(self) -> str:
        """The band's place in the layout (no facility id starts with a NUL)."""
        return f"\x00band:{self.buyer}"

    def text(self) -> str:
        """What the box says: how many, their share of the buyer's supply, how many in China."""
        sites = "" if self.facilities == self.suppliers else f" of {self.facilities:,}"
        return (f"{self.suppliers:,} others\n{percent(self.share)} share\n"
                f"{self.chinese:,} in CN{sites}")


def flow_column(G: nx.MultiDiGraph, node: str) -> float:
    """The flow column of a facility (markets half a step after what they pool)."""
    attrs = G.nodes[node]
    if attrs.get("kind") != NodeKind.FACILITY:
        return float(len(_FLOW_STAGES))  # the platform itself
    stage = effective_stage(G, node)
    base = float(_COLUMN_OF.get(stage, len(_FLOW_STAGES) - 1))
    return base + 0.5 if attrs.get("stage") == Stage.MARKET else base


def order_columns(columns: dict[float, list[str]], links: Sequence[tuple[str, str]],
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


def _links_of(tree: pd.DataFrame) -> tuple[Links, dict[str, str | None], set[str], set[str]]:
    """One link per supplier–buyer pair of ``trace``'s rows (largest share, weakest
    confidence, the products), each facility's country, and the facilities marked
    Chinese-technology and Chinese-owned (trace's own marks)."""
    links: Links = {}
    country: dict[str, str | None] = {}
    tech: set[str] = set()
    owned: set[str] = set()
    for facility, buyer, share, level, product, where, marks in zip(
            tree["facility"].astype(str), tree["buyer"].astype(str), tree["share"],
            tree["confidence"].astype(str), tree["product"].astype(str), tree["country"],
            tree["marks"], strict=True):
        share = 1.0 if pd.isna(share) else float(share)
        hop = links.setdefault((facility, buyer), {"share": share, "confidence": level,
                                                   "products": []})
        hop["share"] = max(hop["share"], share)
        if CONFIDENCE_ORDER[level] > CONFIDENCE_ORDER[hop["confidence"]]:
            hop["confidence"] = level
        hop["products"].append(product)
        country[facility] = where if isinstance(where, str) else None
        if CN_TECHNOLOGY.name in marks:
            tech.add(facility)
        if CN_OWNED.name in marks:
            owned.add(facility)
    return links, country, tech, owned


def _downstream(links: Iterable[tuple[str, str]], sources: set[str]) -> set[str]:
    """``sources`` and every node reachable from one of them (one pass, all at once)."""
    if not sources:
        return set()
    flow = nx.DiGraph(list(links))
    flow.add_nodes_from(sources)
    return {n for layer in nx.bfs_layers(flow, sorted(sources)) for n in layer}


def _exclusive_upstream(links: Iterable[tuple[str, str]]
                        ) -> tuple[dict[str, list[str]], list[str], set[str]]:
    """Suppliers by buyer, the nodes in topological order (sources first; nodes on a cycle
    left out), and the *foldable* ones: one buyer, and every supplier of theirs foldable."""
    preds: dict[str, list[str]] = {}
    n_succ: dict[str, int] = {}
    succs: dict[str, list[str]] = {}
    for u, v in links:
        preds.setdefault(v, []).append(u)
        succs.setdefault(u, []).append(v)
        n_succ[u] = n_succ.get(u, 0) + 1
    nodes = set(preds) | set(succs)
    pending = {n: len(preds.get(n, ())) for n in nodes}
    queue = sorted(n for n, k in pending.items() if k == 0)
    order: list[str] = []
    foldable: set[str] = set()
    while queue:
        n = queue.pop()
        order.append(n)
        if n_succ.get(n, 0) == 1 and all(w in foldable for w in preds.get(n, ())):
            foldable.add(n)
        for m in succs.get(n, ()):
            pending[m] -= 1
            if pending[m] == 0:
                queue.append(m)
    return preds, order, foldable


def _fold(links: Links, country: dict[str, str | None], tainted: set[str],
          column_of: Callable[[str], float], most: int = MOST_SUPPLIERS
          ) -> tuple[Links, list[Band]]:
    """Draw the smallest foldable suppliers of each buyer with more than ``most`` as one band.

    The largest suppliers stay (ties by id) so that a buyer keeps at most ``most - 1`` of
    them beside its band; a supplier feeding anything else, or fed by one that does, always
    stays. Linear in the links: each folded facility is visited once."""
    preds, order, foldable = _exclusive_upstream(links)
    bands: list[Band] = []
    gone: set[str] = set()
    for buyer in reversed(order):  # downstream first: a folded buyer's suppliers go with it
        ups = preds.get(buyer, [])
        if buyer in gone or len(ups) <= most:
            continue
        small = sorted((u for u in ups if u in foldable),
                       key=lambda u: (-links[(u, buyer)]["share"], u))
        fold = small[max(0, most - 1 - (len(ups) - len(small))):]
        if len(fold) < 2:
            continue
        band = Band(buyer, column=column_of(fold[0]))
        for u in fold:
            hop = links[(u, buyer)]
            band.suppliers += 1
            band.share += hop["share"]
            band.tainted |= u in tainted
            if CONFIDENCE_ORDER[hop["confidence"]] > CONFIDENCE_ORDER[band.confidence]:
                band.confidence = hop["confidence"]
            stack = [u]
            while stack:  # u's exclusive upstream: every node of it is foldable
                n = stack.pop()
                gone.add(n)
                band.members.append(n)
                band.facilities += 1
                band.chinese += country.get(n) == "CN"
                stack.extend(preds.get(n, ()))
        bands.append(band)
    kept = {k: hop for k, hop in links.items() if k[0] not in gone}
    return kept, bands


@shared_docs
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

    A buyer with more than :data:`MOST_SUPPLIERS` suppliers keeps its largest ones; the
    others, with whatever supplies only them, are drawn as one grey band that states how
    many they are, the share of the buyer's supply they carry (the sum of their links'
    shares) and how many are located in China. Its border and link are purple when one of
    them carries the technology taint.

    Parameters
    ----------
    %(G)s
    platform : str
        A product id (usually a platform, e.g. ``F-35``).
    as_of : date or ISO str, optional
        The date drawn (default today); facilities and links inactive then are left out.
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Leave out facilities and links weaker than this level (default: none left out).

    Returns
    -------
    matplotlib.figure.Figure
        Patches with gids ``node:<id>`` and ``link:<supplier>-><buyer>``; a band has
        ``band:<buyer>`` and its link ``band-link:<buyer>``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> fig = plot_supply_flow(load_dataset(MINI), "missile", as_of="2026-06-01")
    >>> node = {p.get_gid(): p for p in fig.axes[0].patches}["node:cn-sep"]
    >>> node.get_facecolor()[:3] == (214 / 255, 39 / 255, 40 / 255)
    True
    """
    day = parse_date(as_of)
    # trace's ``match`` column goes unread here: the cheapest predicate (a location test)
    tree = trace(G, platform, predicate=CN_PROCESSING, as_of=day, min_confidence=min_confidence)
    V = restrict(G, as_of=day, min_confidence=min_confidence)
    links, country, cn_tech, cn_owned = _links_of(tree)
    tainted = _downstream(links, cn_tech)
    total = len(links)
    links, bands = _fold(links, country, tainted, lambda n: flow_column(V, n))
    nodes = sorted({u for u, _ in links} | {v for _, v in links} | {platform})
    columns: dict[float, list[str]] = {}
    for n in nodes:
        columns.setdefault(flow_column(V, n), []).append(n)
    for band in bands:
        columns.setdefault(band.column, []).append(band.node)
    ys = order_columns(columns, [*links, *((b.node, b.buyer) for b in bands)])
    col_keys = sorted(columns)
    xs = {n: float(col_keys.index(c)) for c, members in columns.items() for n in members}
    tallest = max(len(m) for m in columns.values())

    fig = new_figure(max(9.0, 1.25 * len(col_keys) + 0.8), max(5.5, 0.72 * tallest + 2.4))
    ax = fig.add_subplot()
    for (u, v), hop in sorted(links.items()):
        _draw_link(ax, (xs[u], ys[u]), (xs[v], ys[v]), hop, u in tainted, f"link:{u}->{v}")
    for band in bands:
        n = band.node
        _draw_link(ax, (xs[n], ys[n]), (xs[band.buyer], ys[band.buyer]),
                   {"share": min(1.0, band.share), "confidence": band.confidence},
                   band.tainted, f"band-link:{band.buyer}")
    for n in nodes:
        _draw_node(ax, V, n, (xs[n], ys[n]), n in cn_tech, n in cn_owned)
    for band in bands:
        _draw_band(ax, band, (xs[band.node], ys[band.node]))
    for c in col_keys:
        ax.text(col_keys.index(c), tallest / 2 + 0.15, _column_head(V, columns[c]),
                ha="center", va="bottom", fontsize=9, fontweight="bold", color="#404040")
    ax.set_xlim(-0.6, len(col_keys) - 0.4)
    ax.set_ylim(-tallest / 2 - 0.1, tallest / 2 + 0.7)
    ax.set_axis_off()
    drawn = [n for n in nodes if V.nodes[n].get("kind") == NodeKind.FACILITY]
    folded = sum(b.facilities for b in bands)
    note = (f"\n{folded:,} of them drawn as {len(bands)} band{'s' if len(bands) > 1 else ''}"
            " of smaller suppliers (count, share of the buyer's supply, in China)"
            ) if bands else ""
    ax.set_title(f"{platform}: supply as of {day.isoformat()} — {len(drawn) + folded} "
                 f"facilities, {total} links (width = supply share){note}",
                 fontsize=12, loc="left")
    add_legend(fig, _legend(V, drawn, bool(bands)), 7)
    return fig


def _column_head(V: nx.MultiDiGraph, members: Sequence[str]) -> str:
    """The title of a column: its first facility's stage (or "platform")."""
    sample = next((m for m in members if not m.startswith("\x00band:")), None)
    if sample is None:
        return "smaller suppliers"
    attrs = V.nodes[sample]
    if attrs.get("kind") != NodeKind.FACILITY:
        return "platform"
    stage = effective_stage(V, sample)
    return f"{stage} market" if attrs.get("stage") == Stage.MARKET else stage


def _draw_link(ax: Axes, start: tuple[float, float], end: tuple[float, float],
               hop: dict[str, Any], tainted: bool, gid: str) -> None:
    """A curved link from the right of ``start``'s box to the left of ``end``'s."""
    x0, y0, x1, y1 = start[0] + _BOX_W / 2, start[1], end[0] - _BOX_W / 2, end[1]
    if x1 <= x0:  # same column (rare): bow out to the right
        x1 = end[0] + _BOX_W / 2
    mid = (x0 + x1) / 2 if x1 > x0 else x0 + 0.5
    path = Path([(x0, y0), (mid, y0), (mid, y1), (x1, y1)],
                [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
    patch = PathPatch(path, facecolor="none", edgecolor=TAINT_COLOUR if tainted else PLAIN_LINK,
                      linewidth=0.8 + 7.0 * hop["share"], alpha=0.6,
                      linestyle=LINESTYLE.get(hop["confidence"], "-"), zorder=1,
                      capstyle="butt")
    patch.set_gid(gid)
    ax.add_patch(patch)


def _draw_node(ax: Axes, V: nx.MultiDiGraph, n: str, at: tuple[float, float], tech: bool,
               owned: bool) -> None:
    """A facility's box, filled by country, its border telling technology and ownership."""
    attrs = V.nodes[n]
    is_facility = attrs.get("kind") == NodeKind.FACILITY
    country = attrs.get("country") if is_facility else None
    fill = country_colour(country) if is_facility else "#252525"
    edge, width, style = "#404040", 0.8, "-"
    if tech:
        edge, width = TAINT_COLOUR, 3.0
    elif owned and country != "CN":
        edge, width, style = CN_COLOUR, 2.5, "--"
    if is_facility and attrs.get("stage") == Stage.MARKET:
        style = ":" if edge == "#404040" else style
    _box(ax, at, fill, {"edgecolor": edge, "linewidth": width, "linestyle": style},
         f"node:{n}")
    ax.text(at[0], at[1], node_label(n, country), ha="center", va="center", fontsize=8.5,
            color=text_colour(fill), zorder=4,
            fontweight="bold" if not is_facility else "normal")
    if tech:
        ax.text(at[0] + _BOX_W / 2 - 0.02, at[1] + _BOX_H / 2 - 0.02, "T", ha="center",
                va="center", fontsize=8, color="white", fontweight="bold", zorder=5,
                bbox={"boxstyle": "circle,pad=0.18", "facecolor": TAINT_COLOUR,
                      "edgecolor": "white", "linewidth": 0.8})


def _draw_band(ax: Axes, band: Band, at: tuple[float, float]) -> None:
    """A band's box: pale grey, dashed (purple and thick when tainted), saying what it holds."""
    edge = TAINT_COLOUR if band.tainted else "#404040"
    _box(ax, at, _BAND_FILL, {"edgecolor": edge, "linewidth": 3.0 if band.tainted else 1.2,
                              "linestyle": "--"}, f"band:{band.buyer}")
    ax.text(at[0], at[1], band.text(), ha="center", va="center", fontsize=7.5,
            color="black", zorder=4)


def _box(ax: Axes, at: tuple[float, float], fill: str, border: dict[str, Any],
         gid: str) -> None:
    box = FancyBboxPatch((at[0] - _BOX_W / 2, at[1] - _BOX_H / 2), _BOX_W, _BOX_H,
                         boxstyle="round,pad=0.0,rounding_size=0.08", facecolor=fill,
                         zorder=3, **border)
    box.set_gid(gid)
    ax.add_patch(box)


def _legend(V: nx.MultiDiGraph, drawn: Iterable[str], banded: bool) -> list[Any]:
    """The flow legend: the countries drawn, the borders, the links and their styles."""
    countries = sorted({str(V.nodes[n].get("country")) for n in drawn
                        if V.nodes[n].get("country")})
    handles: list[Any] = [Patch(facecolor=country_colour(c), edgecolor="#404040",
                                label=("CN (located in China)" if c == "CN" else c))
                          for c in countries]
    handles.append(Patch(facecolor=NO_COUNTRY, edgecolor="#404040", linestyle=":",
                         label="no country / market"))
    if banded:
        handles.append(Patch(facecolor=_BAND_FILL, edgecolor="#404040", linestyle="--",
                             label="smaller suppliers, drawn together"))
    handles.append(Patch(facecolor="white", edgecolor=TAINT_COLOUR, linewidth=3,
                         label="T: runs Chinese-origin technology"))
    handles.append(Line2D([], [], color=TAINT_COLOUR, lw=3, alpha=0.6,
                          label="link downstream of Chinese technology"))
    handles.append(Line2D([], [], color=PLAIN_LINK, lw=3, alpha=0.6, label="untainted link"))
    for level, name in ((Confidence.REPORTED, "documented / reported"),
                        (Confidence.ESTIMATED, "estimated"),
                        (Confidence.ILLUSTRATIVE, "illustrative (placeholder)")):
        handles.append(Line2D([], [], color="#404040", lw=2, linestyle=LINESTYLE[level],
                              label=name))
    return handles
