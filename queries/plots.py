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

A buyer with very many suppliers keeps its largest ones in the flow diagram; the others are
drawn as one band that states how many they are, their share and how many are in China.

Confidence is drawn, not hidden: supply links are solid when documented or reported,
dashed when estimated and dotted when illustrative; matrix cells and bars print the
confidence of the claim they show.

Artists carry ids (``Artist.get_gid()``, kept as element ids in SVG output): ``node:<id>``,
``link:<supplier>-><buyer>``, ``bar:…``, ``cell:<platform>:<column>``, ``ref:…``,
``window:<rule>:<n>``, ``need:<stage>``, ``band:<buyer>``, so tests and scripts can find what
was drawn.

The plots live in private modules by concept (``_plot_flow``, ``_plot_bars`` for
concentration and chokepoints, ``_plot_matrix``, ``_plot_timeline``, and ``_plot_style`` for
the colours and the literal-text figure); every public name is importable from here.

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

from collections.abc import Callable

from matplotlib.figure import Figure
from oretrace.queries._plot_bars import (
    PUBLISHED_SHARES,
    PublishedShare,
    plot_chokepoints,
    plot_concentration,
)
from oretrace.queries._plot_flow import MOST_SUPPLIERS, plot_supply_flow
from oretrace.queries._plot_matrix import EXPOSURE_COLUMNS, plot_exposure_matrix
from oretrace.queries._plot_style import CN_COLOUR, TAINT_COLOUR, VERDICT_COLOURS, country_colour
from oretrace.queries._plot_timeline import TIMELINE_RULES, find_rule_windows, plot_timeline

__all__ = [
    "CN_COLOUR",
    "EXPOSURE_COLUMNS",
    "MOST_SUPPLIERS",
    "PLOTS",
    "PUBLISHED_SHARES",
    "TAINT_COLOUR",
    "TIMELINE_RULES",
    "VERDICT_COLOURS",
    "PublishedShare",
    "country_colour",
    "find_rule_windows",
    "plot_chokepoints",
    "plot_concentration",
    "plot_exposure_matrix",
    "plot_supply_flow",
    "plot_timeline",
]

#: The plots by the names ``oretrace plot KIND`` accepts.
PLOTS: dict[str, Callable[..., Figure]] = {
    "flow": plot_supply_flow,
    "concentration": plot_concentration,
    "exposure": plot_exposure_matrix,
    "chokepoints": plot_chokepoints,
    "timeline": plot_timeline,
}
