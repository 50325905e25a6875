"""Shared look of the plots: fixed colours, the figure that draws data strings literally,
and small label helpers (private: :mod:`oretrace.queries.plots` holds the public names)."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Callable
from typing import Any, cast

import matplotlib as mpl
import matplotlib.dates as mdates
import networkx as nx
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FuncFormatter
from oretrace.graphmodel import Confidence, Verdict

__all__ = [
    "CN_COLOUR",
    "DARK_CELLS",
    "LINESTYLE",
    "LiteralFigure",
    "NO_COUNTRY",
    "PLAIN_LINK",
    "TAINT_COLOUR",
    "VERDICT_COLOURS",
    "add_legend",
    "country_colour",
    "date_number",
    "hide_spines",
    "new_figure",
    "node_label",
    "percent",
    "records",
    "short_rule",
    "text_colour",
]

#: Fill of every node (and bar segment) located in China.
CN_COLOUR = "#d62728"
#: Border, badge and links of Chinese-origin technology and its downstream taint.
TAINT_COLOUR = "#7b3294"
#: Links that carry no Chinese-technology taint.
PLAIN_LINK = "#8c8c8c"
#: Nodes with no country (markets, unnamed makers).
NO_COUNTRY = "#c7c7c7"
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
DARK_CELLS = {Verdict.DENIED, Verdict.NON_COMPLIANT, Verdict.SHIPMENTS_DENIED, "exposed"}

#: Line style of a supply link by the confidence of what it rests on.
LINESTYLE: dict[str, Any] = {
    Confidence.DOCUMENTED: "-",
    Confidence.REPORTED: "-",
    Confidence.ESTIMATED: (0, (5, 2)),
    Confidence.ILLUSTRATIVE: (0, (1, 1.5)),
}


def country_colour(country: str | None) -> str:
    """Return the fixed colour of ``country``: China red, the US blue, none grey.

    Other countries take a palette colour by their code (stable across plots and runs).

    Examples
    --------
    >>> country_colour("CN") == CN_COLOUR, country_colour(None)
    (True, '#c7c7c7')
    """
    if not country or country == "(none)":
        return NO_COUNTRY
    if country == "CN":
        return CN_COLOUR
    if country in _FIXED:
        return _FIXED[country]
    code = sum((i + 1) * ord(c) for i, c in enumerate(country.upper()))
    return _PALETTE[code % len(_PALETTE)]


def date_number(day: dt.date) -> float:
    """A date as a matplotlib axis number."""
    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts."""
    return cast(list[dict[str, Any]], frame.to_dict(orient="records"))


def percent(x: float) -> str:
    """A fraction as a percentage of three significant digits."""
    return f"{x * 100:.3g} %"


def node_label(node: str, country: str | None, width: int = 13) -> str:
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


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (``#rrggbb``)."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "black"


#: Control characters (C0 but tab and newline, DEL, C1), drawn as U+FFFD.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class LiteralFigure(Figure):
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


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure that draws every text literally (see LiteralFigure)."""
    return LiteralFigure(figsize=(width, height), layout="constrained", dpi=100)


def short_rule(G: nx.MultiDiGraph, rid: str) -> str:
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


def hide_spines(ax: Axes, sides: tuple[str, ...] = ("top", "right")) -> None:
    """Hide the frame lines of ``ax`` on ``sides``."""
    for side in sides:
        ax.spines[side].set_visible(False)


def add_legend(fig: Figure, handles: list[Any], most: int) -> None:
    """The figure's legend under the axes, at most ``most`` entries a row."""
    fig.legend(handles=handles, loc="outside lower center", ncol=min(most, len(handles)),
               fontsize=8.5, frameon=False)
