"""Which ranged figures move an answer most: one at a time, low end to high end (tornado).

Each ranged figure the answer reads is swung from its low end to its high end alone, every
other figure at its midpoint; the figures are ranked by the size of the swing
(``|answer at high − answer at low|``, largest first). The value share is evaluated on the
compiled model (:class:`oretrace.queries.intervals.ValueModel`, all swings in one numpy
pass); a shortfall re-solves its LPs per swing with the figure set
(:class:`oretrace.queries.capacity.Reading`). :func:`plot_sensitivity` draws the ranking as
horizontal bars around the midpoint answer.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> s = content_sensitivity(load_dataset(), "F-35", as_of="2026-06-01")
>>> s.swings[0].swing >= s.swings[-1].swing
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from oretrace.graphmodel import QueryError
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries.content import ContentOptions
from oretrace.queries.intervals import Figure as RangedFigure, ranged_figures, value_model
from oretrace.queries.sampling import SHORTFALL_FIELDS
from pydantic import BaseModel

__all__ = [
    "Sensitivity",
    "Swing",
    "content_sensitivity",
    "plot_sensitivity",
    "shortfall_sensitivity",
]


class Swing(BaseModel):
    """One figure swung alone: its ends, the answer at each, the figure's confidence."""

    figure: str
    low: float
    high: float
    at_low: float
    at_high: float
    swing: float
    confidence: str | None


class Sensitivity(BaseModel):
    """The answer at the midpoints and the swings, largest first."""

    what: str
    unit: str
    point: float
    swings: list[Swing]


def _rank(figures: Sequence[RangedFigure], at_low: Sequence[float],
          at_high: Sequence[float]) -> list[Swing]:
    rows = [Swing(figure=f.label, low=f.low, high=f.high, at_low=float(a), at_high=float(b),
                  swing=abs(float(b) - float(a)), confidence=f.confidence)
            for f, a, b in zip(figures, at_low, at_high, strict=True)]
    return sorted(rows, key=lambda s: (-s.swing, s.figure))


@shared_docs
@unpacked_keywords
def content_sensitivity(
    G: nx.MultiDiGraph, product: str, **content: Unpack[ContentOptions],
) -> Sensitivity:
    """Rank the ranged figures by how far each alone moves an origin value share.

    Parameters
    ----------
    %(value_share_reading)s

    Returns
    -------
    Sensitivity
        The share at the midpoints and every figure's swing, largest first.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> s = content_sensitivity(load_dataset(MINI), "magnet", as_of="2026-06-01")
    >>> round(s.point, 4), s.swings
    (0.2184, [])
    """
    m = value_model(G, product, **content)
    mid = m.midpoints()
    point = float(m.evaluate(mid)[0])
    k = len(m.figures)
    rows = np.repeat(mid, 2 * k, axis=0)
    for i, f in enumerate(m.figures):
        rows[2 * i, i], rows[2 * i + 1, i] = f.low, f.high
    values = m.evaluate(rows) if k else np.zeros(0)
    return Sensitivity(what=f"origin value share of {product}", unit="share", point=point,
                       swings=_rank(m.figures, values[0::2].tolist(), values[1::2].tolist()))


@shared_docs
@unpacked_keywords
def shortfall_sensitivity(
    G: nx.MultiDiGraph,
    product: str,
    *,
    platform: str | None = None,
    **scenario: Unpack[ScenarioOptions],
) -> Sensitivity:
    """Rank the ranged capacities and quantities by how far each alone moves a shortfall.

    The shortfall of ``product`` (unknown capacities read as nil) in the chain of
    ``platform`` (default all platforms) after the scenario; figures that do not move it are
    left out.

    Parameters
    ----------
    %(G)s
    product : str
        The product short.
    platform : str, optional
        The platform whose chain is read (default all platforms together).
    %(scenario_options)s

    Returns
    -------
    Sensitivity
        The shortfall at the midpoints and the swings, largest first.

    Raises
    ------
    QueryError
        When the product's shortfall is not computable in that chain.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> s = shortfall_sensitivity(load_dataset(DATA / "choke_andor"), "ore",
    ...                           fail=["country:CN"])
    >>> s.point, s.swings
    (500.0, [])
    """
    from oretrace.queries.capacity import Reading, _Memo, _Scenario

    chains = _Scenario(G, platforms=None if platform is None else [platform],
                       per_platform=False, **scenario)
    figures = ranged_figures(G, as_of=scenario["as_of"], fields=SHORTFALL_FIELDS)
    mids = {f.key: f.mid for f in figures}

    def at(values: dict[tuple[str, ...], float]) -> float:
        memo = _Memo(Reading(drawn=values))
        rows = [r for r in chains.rows((memo, memo, memo), [product]) if r.computable]
        if not rows:
            raise QueryError(f"no computable shortfall of {product!r} in that chain")
        return float(rows[0].shortfall_max or 0.0)

    point = at(mids)
    ends = [(at({**mids, f.key: f.low}), at({**mids, f.key: f.high})) for f in figures]
    swings = _rank(figures, [a for a, _ in ends], [b for _, b in ends])
    return Sensitivity(what=f"shortfall of {product}", unit="t/yr or units/yr", point=point,
                       swings=[s for s in swings if s.swing > 0])


def plot_sensitivity(result: Sensitivity, *, top: int = 12, ax: Axes | None = None) -> Figure:
    """Draw a tornado of ``result``, the widest swing on top.

    One bar per figure from the answer at its low end to the answer at its high end, around
    the midpoint answer (a dashed line).

    Parameters
    ----------
    result : Sensitivity
        From :func:`content_sensitivity` or :func:`shortfall_sensitivity`.
    top : int
        The most figures drawn (default 12).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (default a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> fig = plot_sensitivity(content_sensitivity(load_dataset(), "F-35",
    ...                                            as_of="2026-06-01"))
    >>> len(fig.axes[0].patches) > 0
    True
    """
    rows = result.swings[:top]
    if ax is None:
        fig = Figure(figsize=(10.0, 1.4 + 0.4 * max(len(rows), 1)), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    labels = [s.figure for s in reversed(rows)]
    for y, s in enumerate(reversed(rows)):
        lo, hi = min(s.at_low, s.at_high), max(s.at_low, s.at_high)
        ax.barh(y, hi - lo, left=lo, color="#4c72b0" if s.at_high >= s.at_low else "#dd8452")
    ax.axvline(result.point, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel(f"{result.what} ({result.unit})")
    ax.set_title(f"What moves the {result.what} most\n(each figure low → high alone, "
                 "the others at midpoint)", fontsize="medium", loc="right")
    if not rows:
        ax.text(0.5, 0.5, "no ranged figure moves it", transform=ax.transAxes, ha="center")
    return fig
