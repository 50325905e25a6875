"""Chokepoints: what alone stops each platform (exact under AND/OR), their ranking, smallest cuts.

Single points of failure follow ``../shared/DESIGN.md`` §3::

    crit(v) = {g(v)} ∪ ⋃_{input p of v} ⋂_{supplier u of p to v} crit(u)

where ``g(v)`` is v's group at the chosen level (the facility itself, its operating company,
or its country). Over the facilities supplied in the scenario, x ∈ crit(platform) exactly
when losing x alone stops the platform. Cycles are handled by condensing strongly
connected components and, inside each, iterating down from "everything" to the *greatest*
fixed point, which is the exact answer under the least-fixed-point feasibility of
:mod:`oretrace.queries.feasibility` (every fixed point of the recursion lies inside the true sets,
and the true sets are a fixed point). Sets are bit masks over the groups.

**Groups.** Markets (stage ``market``: a country or world pool standing in for unknown
specific links) belong to no group at any level, since losing a pool is not an event; what
can be lost are its suppliers. So a market has no ``{g(v)}`` term (crit(market) =
⋃_inputs ⋂_suppliers crit(u)), and markets are never ranked, reported or cut. Naming a
market in ``fail`` still fails it, for "what if the pooled market closes". A facility
without an operator is a company group of its own (``facility:<id>``: a site can be lost).
A facility without a recorded country (a placeholder, a "rest of world" pool) is in **no
country group**: losing a country cannot take it down, so it counts under the countries of
its suppliers, as a market does (a country-less source, e.g. the cobalt placeholder, is
then never stopped at that level) and the country answers name countries only.

**Trivial chokepoints.** Losing a platform's own final assembly — the facility, its
operating company, the country where it is assembled — stops it by definition. These are
left out of the answers by default (``include_trivial=True`` brings them back) and listed
in :attr:`SinglePoints.trivial`; the smallest cut protects them unless told otherwise.

**Ranking.** :func:`rank_chokepoints` orders by :data:`RANK_MEASURE`: platforms stopped,
then the yearly value of their output stopped (build rate × unit price, where both are
known), then the platform units a year stopped (build rates), then confidence (strongest
first). Rows equal on all four share a rank and say ``tied``: no alphabetical order is
passed off as a ranking.

The smallest cut (the fewest groups whose joint loss stops a platform) is an integer
programme (:mod:`oretrace.queries._cut`): exact by HiGHS up to ``max_exact`` facilities,
with the other cuts of the same minimum size on request; beyond, a lower bound and a
feasible cut. Paths are never enumerated.

:func:`find_single_points_of_failure` and :func:`rank_chokepoints` take ``backend`` (see
:mod:`oretrace.queries._dispatch`): on large graphs the recursion runs on the compiled form
(:func:`oretrace.queries._compiled_critical.critical_sets`, the same sets); the smallest cut is
always solved on the networkx form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Unpack

import networkx as nx
import pandas as pd
from oretrace.graphmodel import weakest
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.graphmodel.vocab import CONFIDENCE_ORDER
from oretrace.queries._cut import CutSolution, _region, solve_cut
from oretrace.queries._dispatch import dispatchable
from oretrace.queries._feasibility_network import check_level
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries._singles import (
    SinglePointOptions,
    SinglePoints,
    _cut_note,
    _group_label,
    _order,
    _platform_ids,
    _ranked,
    _Scene,
    _shield,
    _single_points,
    _single_points_compiled,
    chokepoint_keys,
    critical_masks,
)
from oretrace.queries.capacity import build_rate
from oretrace.queries.feasibility import (
    SupplyNetwork,
    group_keys,
    scenario_network,
    supplied_mask,
)
from pydantic import BaseModel

__all__ = [
    "RANKED_BY",
    "RANK_COLUMNS",
    "RANK_MEASURE",
    "Cut",
    "CutSolution",
    "SinglePoints",
    "chokepoint_keys",
    "critical_masks",
    "find_single_points_of_failure",
    "find_smallest_cut",
    "rank_chokepoints",
    "solve_cut",
]

#: What :func:`rank_chokepoints` orders by, in words (also ``frame.attrs["measure"]``).
RANK_MEASURE = ("platforms stopped (n_platforms), then the yearly value of their output "
                "stopped (value_usd_per_yr = build rate x unit price, where both are known), "
                "then the platform units a year stopped (units_per_yr, the build rates), "
                "then confidence (strongest first); rows equal on all four share a rank")

#: The columns of :func:`rank_chokepoints`, in order.
RANK_COLUMNS: tuple[str, ...] = (
    "rank", "node", "level", "name", "platforms", "n_platforms", "value_usd_per_yr",
    "units_per_yr", "confidence", "tied", "ranked_by", "trivial_for", "members", "sources",
    "note")

#: The ranking key in the ``ranked_by`` column: the columns compared, in order.
RANKED_BY = "n_platforms > value_usd_per_yr > units_per_yr > confidence"


@dispatchable()
@shared_docs
def find_single_points_of_failure(
    G: nx.MultiDiGraph,
    *,
    include_trivial: bool = True,
    **question: Unpack[SinglePointOptions],
) -> list[SinglePoints]:
    """Return, per platform, the facilities, companies or countries whose loss alone stops it.

    Exact under AND/OR (see the module docstring). ``fail``, ``policy`` and
    ``substitutions`` set the scenario in which single points are sought (e.g. what else
    stops the F-35 once China is gone). A platform not supplied in the scenario is
    reported with ``supplied=False`` and no nodes. The platform's own assembly facility,
    company or country (trivial: their loss stops it by definition) are listed in
    ``trivial``; ``include_trivial=False`` leaves them out of ``nodes`` (this function is the
    literal recursion and keeps them by default; :func:`rank_chokepoints` and
    :func:`find_smallest_cut`, the planner's answers, leave them out). At the country level a
    facility of no recorded country counts under its suppliers' countries. The compiled
    backend runs the recursion on the compiled form
    (:mod:`oretrace.queries._compiled_critical`, the same sets).

    Parameters
    ----------
    %(G)s
    include_trivial : bool
        Keep a platform's own assembly facility, its company and its country in ``nodes``
        (default ``True``: the literal recursion; ``False`` leaves them out, as the
        planner's answers do). ``trivial`` lists them either way.
    %(single_point_options)s
    %(backend)s

    Returns
    -------
    list of SinglePoints
        One per platform: whether it is ``supplied`` in the scenario, the ``nodes`` (facility
        ids, company ids or country codes) whose loss alone stops it, and the ``trivial`` ones.

    Raises
    ------
    UnknownNodeError
        When a platform or a failure spec names no such node; the message lists close
        matches.
    QueryError
        When ``level``, ``as_of``, ``policy`` or a failure spec is not one of its values.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> [sp] = find_single_points_of_failure(load_dataset(), platforms=["F-35"],
    ...                                      as_of="2026-11-24")
    >>> sp.supplied, len(sp.nodes) >= 1, sp.trivial
    (True, True, ['f35-final-assembly'])
    >>> [meaningful] = find_single_points_of_failure(load_dataset(), platforms=["F-35"],
    ...                                              as_of="2026-11-24", include_trivial=False)
    >>> sorted(set(sp.nodes) - set(meaningful.nodes))
    ['f35-final-assembly']
    >>> find_single_points_of_failure(load_dataset(), platforms=["F-35"], as_of="2026-11-24",
    ...                               backend="compiled") == [sp]
    True
    """
    found = _single_points(G, **question)[1]
    return _trimmed(found, include_trivial)


@find_single_points_of_failure.register("compiled")
def _find_single_points_compiled(G: nx.MultiDiGraph, *, include_trivial: bool = True,
                                 **scenario: Any) -> list[SinglePoints]:
    """:func:`find_single_points_of_failure` with the recursion on the compiled form."""
    return _trimmed(_single_points_compiled(G, **scenario)[1], include_trivial)


def _trimmed(found: list[SinglePoints], include_trivial: bool) -> list[SinglePoints]:
    """The single points as found, or without the trivial ones."""
    if include_trivial:
        return found
    return [sp.model_copy(update={"nodes": [n for n in sp.nodes if n not in sp.trivial]})
            for sp in found]


@dispatchable()
@shared_docs
def rank_chokepoints(
    G: nx.MultiDiGraph,
    *,
    top: int | None = None,
    include_trivial: bool = False,
    **question: Unpack[SinglePointOptions],
) -> pd.DataFrame:
    """Rank facilities, companies or countries by the platforms their loss alone stops.

    One row per group that is a single point of failure of at least one platform
    (:data:`RANK_COLUMNS`): ``node``, ``level``, ``name``, ``platforms`` (ids),
    ``n_platforms``, and, where the assemblies' build rates (units per year) are known,
    ``units_per_yr`` of platforms stopped and their ``value_usd_per_yr``; ``members`` are
    the facilities of the group, ``confidence`` the weakest among them, ``sources`` theirs.

    Ordered by :data:`RANK_MEASURE` (platforms stopped, then value a year, then units a
    year, then confidence); ``rank`` is the competition rank under that measure (1, 2, 2, 4)
    and ``tied`` says a row shares it with another (such rows follow in id order, which
    ranks nothing); ``ranked_by`` names the columns compared (:data:`RANKED_BY`). A
    platform's own assembly facility, company or country is left out unless
    ``include_trivial``; then ``trivial_for`` names the platforms for which the row is
    trivial. ``frame.attrs``: ``measure`` (the words above), ``unsupplied`` (platforms
    not supplied in the scenario: no single point applies to them), ``as_of``. ``top``
    keeps the first N rows, and any row tied with the last one kept. ``backend`` as in
    :func:`find_single_points_of_failure`.

    Parameters
    ----------
    %(G)s
    top : int, optional
        Keep the first ``top`` rows and any row tied with the last one kept (default all).
    include_trivial : bool
        Count a platform's own assembly facility, its company and its country as chokepoints
        too (default ``False``: they stop it by definition).
    %(single_point_options)s
    %(backend)s

    Returns
    -------
    pandas.DataFrame
        One row per group that stops at least one platform, best first, with the columns
        of :data:`RANK_COLUMNS` (described above) and ``attrs`` ``measure``,
        ``unsupplied`` and ``as_of``.

    Raises
    ------
    UnknownNodeError, QueryError
        As :func:`find_single_points_of_failure` does.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> table = rank_chokepoints(load_dataset(), level="country", as_of="2026-11-24")
    >>> list(table.columns[:6])
    ['rank', 'node', 'level', 'name', 'platforms', 'n_platforms']
    >>> table["node"].iloc[0], "US" in set(table["node"])
    ('CN', False)
    """
    scene, points = _single_points(G, **question)
    return _rank(G, scene, points, top=top, include_trivial=include_trivial)


@rank_chokepoints.register("compiled")
def _rank_chokepoints_compiled(G: nx.MultiDiGraph, *, top: int | None = None,
                               include_trivial: bool = False, **scenario: Any) -> pd.DataFrame:
    """:func:`rank_chokepoints` with the recursion on the compiled form."""
    scene, points = _single_points_compiled(G, **scenario)
    return _rank(G, scene, points, top=top, include_trivial=include_trivial)


def _rank(G: nx.MultiDiGraph, scene: _Scene, points: list[SinglePoints], *, top: int | None,
          include_trivial: bool) -> pd.DataFrame:
    """The table of :func:`rank_chokepoints` from the single points of a scene."""
    level = scene.level
    rate = {p: build_rate(scene.view, p,
                          [scene.facilities[i] for i in scene.assemblies.get(p, ())])
            for p in (sp.platform for sp in points)}
    grouped: dict[str, list[str]] = {}
    for f, k in zip(scene.facilities, scene.keys, strict=True):
        if k is not None:
            grouped.setdefault(k, []).append(f)
    stops: dict[str, list[str]] = {}
    trivial: dict[str, list[str]] = {}
    for sp in points:
        for node in sp.nodes:
            if node in sp.trivial:
                trivial.setdefault(node, []).append(sp.platform)
                if not include_trivial:
                    continue
            stops.setdefault(node, []).append(sp.platform)
    rows: list[dict[str, Any]] = []
    for node, plats in stops.items():
        name, note, sources = _group_label(G, level, node)
        members = grouped.get(node, [])
        units = [u for u, _ in (rate[p] for p in plats) if u is not None]
        values = [u * v for u, v in (rate[p] for p in plats) if u is not None and v is not None]
        member_sources = sorted({s for f in members for s in G.nodes[f].get("sources", [])})
        rows.append({
            "node": node, "level": level, "name": name, "platforms": sorted(plats),
            "n_platforms": len(plats),
            "value_usd_per_yr": float(sum(values)) if values else None,
            "units_per_yr": float(sum(units)) if units else None,
            "confidence": weakest([G.nodes[f].get("confidence", "documented")
                                   for f in members]).value,
            "ranked_by": RANKED_BY,
            "trivial_for": sorted(trivial.get(node, [])),
            "members": _order(G, "facility", members),
            "sources": sorted(set(sources) | set(member_sources)),
            "note": note,
        })
    frame = pd.DataFrame(_ranked(rows, top), columns=list(RANK_COLUMNS))
    frame.attrs["measure"] = RANK_MEASURE
    frame.attrs["unsupplied"] = [sp.platform for sp in points if not sp.supplied]
    frame.attrs["as_of"] = scene.as_of.isoformat()
    return frame


# --------------------------------------------------------------------------- smallest cut


class Cut(BaseModel):
    """The fewest groups whose joint loss stops a platform (or a bound and a feasible cut).

    ``alternatives`` are other cuts of the same minimum size (exact answers only, up to the
    number asked), the best-evidenced first; ``confidence`` is the weakest of the
    facilities in the cut's groups upstream of the platform, ``sources`` theirs, and
    ``alternatives_confidence`` the same for each alternative.
    """

    platform: str
    level: str
    as_of: dt.date
    supplied: bool
    exact: bool
    size: int | None
    lower_bound: int
    nodes: list[str]
    alternatives: list[list[str]] = []
    alternatives_confidence: list[str] = []
    protected: list[str]
    confidence: str = "documented"
    sources: list[str] = []
    method: str
    note: str


@shared_docs
@unpacked_keywords
def find_smallest_cut(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    level: str = "facility",
    protect: Iterable[str] | None = None,
    max_exact: int = 5000,
    time_limit: float = 60.0,
    alternatives: int = 3,
    include_trivial: bool = False,
    **scenario: Unpack[ScenarioOptions],
) -> Cut:
    """Return the fewest facilities, companies or countries whose joint loss stops ``platform``.

    ``protect`` lists group keys (facility ids, company ids or country codes, per
    ``level``) that may not be cut. By default the groups of the platform's own assembly
    facilities are protected — losing the final assembly (or its company, or its
    country) trivially stops a platform — pass ``include_trivial=True`` (or
    ``protect=()``) for the literal answer. Exact by integer programme up to ``max_exact``
    facilities upstream, with up to ``alternatives`` other minimum cuts of the same size;
    beyond, a lower bound and a feasible cut (``exact`` says which).

    Parameters
    ----------
    %(G)s
    platform : str
        The platform (a product id) to stop.
    %(level)s
    protect : iterable of str, optional
        Group keys that may not be cut (default the platform's own assembly groups, unless
        ``include_trivial``).
    max_exact : int
        The most facilities upstream for which the integer programme is solved exactly
        (default 5000); beyond, a bound and a feasible cut.
    time_limit : float
        Seconds the solver may take (default 60); past it the answer is a bound and a
        feasible cut.
    alternatives : int
        The most other minimum cuts to report (default 3; 0 for none).
    include_trivial : bool
        Count a platform's own assembly facility, its company and its country as chokepoints
        too (default ``False``: they stop it by definition).
    %(scenario_options)s

    Returns
    -------
    Cut
        ``nodes`` (the cut), its ``size``, ``exact`` (else ``lower_bound`` bounds the true
        size), the ``alternatives``, the ``protected`` groups, the ``method`` used, the
        confidence and sources of the facilities in the cut, and a note; ``supplied`` is
        false (and the cut empty) when the platform is not supplied in the scenario anyway.

    Raises
    ------
    UnknownNodeError, QueryError
        As :func:`find_single_points_of_failure` does; also for a ``protect`` key naming no
        group of the level.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cut = find_smallest_cut(load_dataset(), "F-35", level="country", as_of="2026-11-24")
    >>> cut.exact, cut.size, [cut.nodes, *cut.alternatives]
    (True, 1, [['JP'], ['CN']])
    """
    check_level(level)
    net, failed, _ = scenario_network(G, **scenario)
    [platform] = _platform_ids(G, net.assemblies, [platform])
    keys = chokepoint_keys(group_keys(net, level), level)
    targets = list(net.assemblies.get(platform, ()))
    shield = _shield(G, keys, targets, level, protect, include_trivial)
    sol = solve_cut(net, keys=keys, targets=targets, failed=failed, protected=shield,
                    max_exact=max_exact, time_limit=time_limit, alternatives=alternatives)
    return _cut_answer(G, net, platform, level, keys, targets, failed, shield, sol)


def _cut_answer(G: nx.MultiDiGraph, net: SupplyNetwork, platform: str, level: str,
                keys: Sequence[str | None], targets: Sequence[int], failed: frozenset[int],
                shield: list[str], sol: CutSolution) -> Cut:
    """The :class:`Cut` of a solved programme: its cuts ordered by evidence, each with the
    confidence of the facilities of its groups upstream of the platform."""
    ok = supplied_mask(net, failed)
    supplied = any(ok[t] for t in targets)
    region = [(net.facilities[i], keys[i]) for i in _region(net, ok, targets)]

    def evidence(cut: Iterable[str]) -> tuple[list[str], str]:
        chosen = set(cut)
        members = [f for f, k in region if k in chosen]
        return members, weakest([G.nodes[f].get("confidence", "documented")
                                 for f in members]).value

    # the cuts of the minimum size found, the best-evidenced first (then by their ids)
    cuts = sorted(([_order(G, level, c) for c in (sol.cut, *sol.alternatives)]
                   if sol.cut is not None else [[]]),
                  key=lambda c: (-CONFIDENCE_ORDER[evidence(c)[1]], c))
    members, confidence = evidence(cuts[0])
    return Cut(platform=platform, level=level, as_of=net.as_of, supplied=supplied,
               exact=sol.exact, size=None if sol.cut is None else len(sol.cut),
               lower_bound=sol.lower_bound, nodes=cuts[0], alternatives=cuts[1:],
               alternatives_confidence=[evidence(c)[1] for c in cuts[1:]],
               protected=shield, confidence=confidence,
               sources=sorted({s for f in members for s in G.nodes[f].get("sources", [])}),
               method=sol.method, note=_cut_note(platform, supplied, net.as_of, cuts, sol))
