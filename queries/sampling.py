"""Ranged figures as distributions: draw every ranged figure, report percentiles.

**Sampling** (:func:`sample_content`, :func:`sample_shortfall`): each figure is drawn
uniformly within its range (the data gives no other distribution), from a stream seeded by
``seed`` and the figure's key: the same seed draws the same values of a figure in every
query and scenario (common random numbers). The value share is compiled once and evaluated
on all draws with numpy; the mass share and shortfalls re-read an overlay per draw. Draws
cover the whole box of ranges: a draw whose supply shares of one need add up to more than 1
is read normalised, like the point answer, and its mass share may then fall outside the
mass bounds, which take shares as fractions of the need (``Σ ≤ 1``).

The exact intervals the draws fall in: :mod:`oretrace.queries.intervals`.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> r = sample_content(load_dataset(), "F-35", samples=100, seed=1, as_of="2026-06-01")
>>> r.low <= r.distribution.p50 <= r.high
True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Unpack

import networkx as nx
import numpy as np
from oretrace.graphmodel import Confidence, QueryError, parse_date, restrict
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries.content import ContentOptions, origin_share
from oretrace.queries.intervals import (
    Figure,
    ranged_figures,
    value_model,
    with_figures,
)
from pydantic import BaseModel

__all__ = [
    "Distribution",
    "SHORTFALL_FIELDS",
    "SampledContent",
    "SampledShortfall",
    "distribution",
    "draw",
    "sample_content",
    "sample_shortfall",
]

_Array = np.ndarray[Any, np.dtype[np.float64]]


def draw(figures: Sequence[Figure], samples: int, seed: int) -> _Array:
    """Draw ``samples`` values of each figure, uniform within its range: one column each.

    A figure's column depends only on ``seed`` and its key, never on the other figures
    drawn (common random numbers across queries and scenarios).

    Parameters
    ----------
    figures : sequence of Figure
        The ranged figures (:func:`~oretrace.queries.intervals.ranged_figures`).
    samples : int
        Draws of each (at least 1).
    seed : int
        The seed.

    Returns
    -------
    numpy.ndarray
        Shape ``(samples, len(figures))``.

    Examples
    --------
    >>> f = Figure(key=("node", "x", "unit_price_usd"), label="x", low=1, mid=2, high=3,
    ...            confidence=None)
    >>> a, b = draw([f], 4, seed=7), draw([f, f.model_copy(update={"key": ("node", "y", "p")})],
    ...                                   4, seed=7)
    >>> bool((a[:, 0] == b[:, 0]).all()) and bool(((a >= 1) & (a <= 3)).all())
    True
    """
    if samples < 1:
        raise QueryError(f"samples must be at least 1, not {samples}")
    out = np.empty((samples, len(figures)))
    for k, f in enumerate(figures):
        stream = zlib.crc32("\x1f".join(f.key).encode())
        out[:, k] = np.random.default_rng([seed, stream]).uniform(f.low, f.high, samples)
    return out


# --------------------------------------------------------------------------- sampling


class Distribution(BaseModel):
    """An answer drawn many times: point, mean, percentiles and the figures drawn.

    ``point`` reads every figure at its midpoint; ``p5``, ``p50``, ``p95`` are percentiles.
    """

    what: str
    samples: int
    seed: int
    point: float | None
    mean: float
    p5: float
    p50: float
    p95: float
    figures: list[str]


def distribution(what: str, values: _Array, *, seed: int, point: float | None,
                 figures: Iterable[str]) -> Distribution:
    """Summarise drawn ``values``: point, mean, 5th/50th/95th percentiles.

    Percentiles interpolate linearly between draws.

    Parameters
    ----------
    what : str
        What the values are of.
    values : numpy.ndarray
        The drawn answers.
    seed : int
        The seed they were drawn with.
    point : float or None
        The answer with every figure at its midpoint.
    figures : iterable of str
        The labels of the figures drawn.

    Returns
    -------
    Distribution
        The summary.

    Examples
    --------
    >>> d = distribution("x", np.arange(101.0), seed=0, point=50.0, figures=[])
    >>> d.p5, d.p50, d.p95, d.mean
    (5.0, 50.0, 95.0, 50.0)
    """
    v = np.asarray(values, dtype=float)
    p5, p50, p95 = (float(q) for q in np.percentile(v, [5, 50, 95]))
    return Distribution(what=what, samples=len(v), seed=seed, point=point,
                        mean=float(v.mean()), p5=p5, p50=p50, p95=p95, figures=list(figures))


class SampledContent(BaseModel):
    """The distribution of an origin share, its exact interval and every draw.
    """

    product: str
    origin: str
    by: str
    low: float | None
    high: float | None
    distribution: Distribution
    values: list[float]
    confidence: str


@shared_docs
@unpacked_keywords
def sample_content(
    G: nx.MultiDiGraph,
    product: str,
    *,
    samples: int = 1000,
    seed: int = 0,
    by: str = "value",
    progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
    **content: Unpack[ContentOptions],
) -> SampledContent:
    """Draw every ranged figure and return the distribution of an origin share.

    By value the share is compiled once and evaluated on all draws with numpy; by mass it is
    re-read on an overlay per draw. ``low`` / ``high`` are the exact interval of
    :func:`~oretrace.queries.content.origin_share` (by mass: untraced supply included). ``G``
    is not mutated.

    Parameters
    ----------
    %(G)s
    product : str
        A product id (by value: one with a unit price).
    samples : int
        Draws (default 1,000).
    seed : int
        The seed (the same seed draws the same values of each figure).
    by : {"value", "mass"}
        Which share.
    progress : callable, optional
        Wraps the loop over draws by mass (e.g. ``tqdm``).
    %(content_options)s

    Returns
    -------
    SampledContent
        The distribution, the exact interval, every draw's share and the confidence.

    Raises
    ------
    QueryError
        When there is no share to sample (no unit price by value, no rare earths by mass).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> r = sample_content(load_dataset(), "F-35", samples=200, seed=1, as_of="2026-06-01")
    >>> r.low <= r.distribution.p5 <= r.distribution.p95 <= r.high
    True
    """
    if by not in ("mass", "value"):
        raise QueryError(f"by must be 'mass' or 'value', not {by!r}")
    exact = origin_share(G, product, by=by, **content)
    if exact.share is None:
        why = [n for n in exact.notes if n.startswith(("no unit price for " + repr(
            exact.product), repr(exact.product)))]
        raise QueryError(f"no {by} share of {exact.product!r} to sample"
                         + (f" ({why[0]})" if why else ""))
    if by == "value":
        model = value_model(G, product, **content)
        figures = model.figures
        theta = draw(figures, samples, seed)
        values = model.evaluate(theta) if figures else np.full(samples, exact.share)
    else:
        V = restrict(G, as_of=parse_date(content["as_of"]))
        figures = ranged_figures(V)  # every one drawn: the overlay holds no range left
        theta = draw(figures, samples, seed)
        steps = range(samples) if progress is None else progress(range(samples))
        values = np.array([origin_share(
            with_figures(V, {f.key: theta[n, k] for k, f in enumerate(figures)}),
            exact.product, by="mass", **content).share for n in steps], dtype=float)
    read = [f.label for f in figures if by == "value" or f.key[-1] in ("share", "qty")]
    dist = distribution(f"{exact.origin}-origin {by} share of {exact.product}", values,
                        seed=seed, point=exact.share, figures=read)
    return SampledContent(product=exact.product, origin=exact.origin, by=by,
                          low=exact.share_low, high=exact.share_high, distribution=dist,
                          values=[float(v) for v in values],
                          confidence=Confidence(exact.confidence).value)


class SampledShortfall(BaseModel):
    """One product's sampled shortfall, with and without the scenario on the same draws.

    ``increase`` is the paired difference (common random numbers).
    """

    product: str
    platform: str | None
    unit: str
    low: float | None
    high: float | None
    shortfall: Distribution
    baseline: Distribution
    increase: Distribution
    values: list[float]
    baseline_values: list[float]
    confidence: str


#: The fields of the ranged figures a shortfall reads (what :func:`sample_shortfall` draws).
SHORTFALL_FIELDS = ("capacity", "qty")


def _constant(scenario: Any, wanted: list[str] | None) -> dict[str, tuple[float, float]]:
    """Products whose drawn shortfall and baseline (unknown capacities nil) are the same at
    the lowest- and the highest-shortfall ends, hence on every draw (each is monotone in
    every figure, :mod:`oretrace.queries.capacity`): no LP per draw for them."""
    from oretrace.queries.capacity import Reading, _Memo

    ends: dict[str, list[tuple[float, float]]] = {}
    for reading in (Reading(supply=1, demand=0, qty=0), Reading(supply=0, demand=1, qty=1)):
        memo = _Memo(reading)
        for r in scenario.rows((memo, memo, memo), wanted):
            if r.computable:
                ends.setdefault(r.product, []).append(
                    (r.shortfall_max or 0.0, r.baseline_shortfall_max or 0.0))
    return {p: pair[0] for p, pair in ends.items() if len(pair) == 2 and pair[0] == pair[1]}


@shared_docs
@unpacked_keywords
def sample_shortfall(
    G: nx.MultiDiGraph,
    *,
    platform: str | None = None,
    products: Iterable[str] | None = None,
    samples: int = 200,
    seed: int = 0,
    progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
    **scenario: Unpack[ScenarioOptions],
) -> list[SampledShortfall]:
    """Draw every ranged capacity and quantity and return the shortfalls' distributions.

    Per product of the chain of ``platform`` (default all platforms together), the shortfall
    (unknown capacities read as nil) in the scenario and without it. The scenario's networks
    are built once; each draw re-solves the LPs with the drawn figures
    (:class:`oretrace.queries.capacity.Reading`), the scenario and the baseline on the same
    draws, so ``increase`` is a paired difference. A product that reads the same at both ends
    of the ranges is solved once. ``low``/``high`` are
    :func:`~oretrace.queries.capacity.find_shortfall`'s exact ends.

    Parameters
    ----------
    %(G)s
    platform : str, optional
        The platform whose chain is read (default all platforms together).
    products : iterable of str, optional
        Only these products.
    samples : int
        Draws (default 200).
    seed : int
        The seed (the same seed draws the same values of each figure).
    progress : callable, optional
        Wraps the loop over draws (e.g. ``tqdm``).
    %(scenario_options)s

    Returns
    -------
    list of SampledShortfall
        One per computable product, by product id.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> rows = sample_shortfall(load_dataset(DATA / "choke_andor"), fail=["country:CN"],
    ...                         products=["ore"], samples=5, seed=1)
    >>> [(r.product, r.shortfall.p50) for r in rows]
    [('ore', 500.0)]
    """
    from oretrace.queries.capacity import Reading, _Memo, _Scenario, find_shortfall

    plats = None if platform is None else [platform]
    wanted = None if products is None else list(products)
    scenario["fail"] = list(scenario["fail"])  # read twice below
    chains = _Scenario(G, platforms=plats, per_platform=False, **scenario)
    exact = {r.product: r for r in find_shortfall(G, platforms=plats, per_platform=False,
                                                  **scenario) if r.computable}
    figures = ranged_figures(G, as_of=scenario["as_of"], fields=SHORTFALL_FIELDS)
    theta = draw(figures, samples, seed)
    fixed = {p: [pair] * samples for p, pair in _constant(chains, wanted).items()
             if p in exact}
    varying = [p for p in exact if p not in fixed and (wanted is None or p in wanted)]
    got: dict[str, list[tuple[float, float]]] = dict(fixed)
    steps = range(samples) if progress is None else progress(range(samples))
    for n in steps:
        if not varying:
            break
        memo = _Memo(Reading(drawn={f.key: float(theta[n, k]) for k, f in enumerate(figures)}))
        for r in chains.rows((memo, memo, memo), varying):
            if r.computable and r.shortfall_max is not None:
                got.setdefault(r.product, []).append(
                    (r.shortfall_max, r.baseline_shortfall_max or 0.0))
    labels = [f.label for f in figures]
    out = []
    for product, pairs in sorted(got.items()):
        if len(pairs) != samples or product not in exact:
            continue  # computable on some draws only: no distribution
        values = np.array([a for a, _ in pairs])
        base = np.array([b for _, b in pairs])
        row = exact[product]
        point = row.shortfall_max if row.demand_min == row.demand_max else None
        out.append(SampledShortfall(
            product=product, platform=platform, unit=row.unit, low=row.shortfall_min,
            high=row.shortfall_max,
            shortfall=distribution(f"shortfall of {product}", values, seed=seed,
                                   point=point, figures=labels),
            baseline=distribution(f"shortfall of {product} without the scenario", base,
                                  seed=seed, point=None, figures=labels),
            increase=distribution(f"increase in the shortfall of {product}", values - base,
                                  seed=seed, point=None, figures=labels),
            values=values.tolist(), baseline_values=base.tolist(),
            confidence=row.confidence))
    return out
