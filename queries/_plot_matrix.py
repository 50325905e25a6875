"""The exposure matrix: platforms against the exposure predicates and the rules' verdicts
(private: :mod:`oretrace.queries.plots` holds the public names)."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Sequence

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from oretrace.graphmodel import (
    Confidence,
    QueryError,
    UnknownNodeError,
    nodes_of,
    parse_date,
    platforms as platform_ids,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import NodeKind
from oretrace.queries._plot_style import (
    DARK_CELLS,
    VERDICT_COLOURS,
    add_legend,
    hide_spines,
    new_figure,
    short_rule,
)
from oretrace.queries.compliance import evaluate
from oretrace.queries.exposure import find_exposed
from oretrace.queries.predicates import CN_OWNED, CN_PROCESSING, CN_TECHNOLOGY, Predicate

__all__ = ["EXPOSURE_COLUMNS", "plot_exposure_matrix"]

#: A cell: its verdict and the confidence of the claim ("" for a clear predicate).
Cells = dict[tuple[str, str], tuple[str, str]]


EXPOSURE_COLUMNS: dict[str, Predicate] = {
    "processing": CN_PROCESSING,
    "ownership": CN_OWNED,
    "technology": CN_TECHNOLOGY,
}



@shared_docs
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
    %(G)s
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

    cells, assumed = _matrix_cells(G, targets, rule_ids, day=day, end_user=end_user,
                                   min_confidence=min_confidence)
    columns = [*EXPOSURE_COLUMNS, *rule_ids]
    heads = [*EXPOSURE_COLUMNS, *(short_rule(G, r) for r in rule_ids)]
    fig = new_figure(max(7.0, 1.25 * len(columns) + 2.2), 1.9 + 0.62 * len(targets))
    ax = fig.add_subplot()
    for i, p in enumerate(targets):
        for j, column in enumerate(columns):
            _draw_cell(ax, (j, i), cells[(p, column)], (p, column) in assumed,
                       f"cell:{p}:{column}")
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(targets), 0)
    ax.set_xticks([j + 0.5 for j in range(len(columns))],
                  labels=[textwrap.fill(h, 14) for h in heads], fontsize=8.5)
    ax.xaxis.tick_top()
    ax.set_yticks([i + 0.5 for i in range(len(targets))], labels=targets, fontsize=10)
    ax.axvline(len(EXPOSURE_COLUMNS), color="black", lw=1.5)
    hide_spines(ax, ("top", "right", "bottom", "left"))
    ax.tick_params(length=0)
    ax.set_title(f"Exposure and rule verdicts as of {day.isoformat()} ({end_user} end user) — "
                 "hatched: rests on an illustrative placeholder\n"
                 "· assumed: rests on an assumed rule status (after its known_until)",
                 fontsize=11, loc="left")
    shown = [v for v in VERDICT_COLOURS if v in {c[0] for c in cells.values()}]
    add_legend(fig, [Patch(facecolor=VERDICT_COLOURS[v], edgecolor="#909090", label=v)
                     for v in shown], 9)
    return fig


def _matrix_cells(G: nx.MultiDiGraph, targets: Sequence[str], rule_ids: Sequence[str], *,
                  day: dt.date, end_user: str, min_confidence: str | Confidence | None
                  ) -> tuple[Cells, set[tuple[str, str]]]:
    """Each (platform, column) cell's verdict and confidence, and the cells whose verdict
    rests on an assumed rule status."""
    cells: Cells = {}
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
    return cells, assumed


def _draw_cell(ax: Axes, at: tuple[int, int], cell: tuple[str, str], assumed: bool,
               gid: str) -> None:
    """One cell: filled by verdict, hatched when illustrative, its confidence under it."""
    (j, i), (verdict, level) = at, cell
    fill = VERDICT_COLOURS.get(verdict, "#ffffff")
    box = Rectangle((j, i), 1, 1, facecolor=fill, edgecolor="white", linewidth=2,
                    hatch="///" if level == Confidence.ILLUSTRATIVE else None)
    box.set_gid(gid)
    ax.add_patch(box)
    ink = "white" if verdict in DARK_CELLS else "black"
    bbox = None if level != Confidence.ILLUSTRATIVE else \
        {"boxstyle": "round,pad=0.1", "fc": fill, "ec": "none"}
    ax.text(j + 0.5, i + 0.42, verdict, ha="center", va="center", fontsize=8.5,
            color=ink, fontweight="bold", bbox=bbox)
    if level:
        note = f"{level} · assumed" if assumed else level
        ax.text(j + 0.5, i + 0.72, note, ha="center", va="center", fontsize=7,
                color=ink, style="italic", bbox=bbox)
