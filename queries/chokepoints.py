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

:func:`find_single_points_of_failure` and :func:`rank_chokepoints` take ``engine`` (see
:mod:`oretrace.queries.feasibility`): on large graphs the recursion runs on the compiled form
(:func:`oretrace.graphmodel.compiled.critical_sets`, the same sets); the smallest cut is always
solved on the plain network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import networkx as nx
import pandas as pd
from oretrace.graphmodel import (
    QueryError,
    UnknownNodeError,
    compiled,
    restrict,
    weakest,
)
from oretrace.graphmodel import platforms as list_platforms
from oretrace.graphmodel.vocab import CONFIDENCE_ORDER, COUNTRIES, Stage
from oretrace.queries._cut import CutSolution, _region, solve_cut
from oretrace.queries.capacity import build_rate
from oretrace.queries.feasibility import (
    LEVELS,
    Engine,
    Policy,
    SupplyNetwork,
    choose_engine,
    compiled_scenario,
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

_STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}

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


# --------------------------------------------------------------------------- recursion


def critical_masks(net: SupplyNetwork, groups: Sequence[int], n_groups: int,
                   supplied: Sequence[bool]) -> list[int]:
    """Return, per facility, the bit mask of groups whose loss alone stops it.

    ``groups[i]`` is the group index of facility ``i``, negative for a facility in no group
    (a market: no bit of its own); facilities not ``supplied`` get the full mask (they are
    stopped whatever fails).
    """
    full = (1 << n_groups) - 1
    n = len(net.facilities)
    crit = [full] * n
    H = nx.DiGraph()
    H.add_nodes_from(i for i in range(n) if supplied[i])
    for i in range(n):
        if not supplied[i]:
            continue
        for need in net.needs[i]:
            for u, _ in need.suppliers:
                if supplied[u]:
                    H.add_edge(u, i)

    def compute(i: int) -> int:
        mask = 1 << groups[i] if groups[i] >= 0 else 0
        for need in net.needs[i]:
            common = full
            for u, _ in need.suppliers:
                common &= crit[u]
            mask |= common
        return mask

    C = nx.condensation(H)
    for c in nx.topological_sort(C):
        members = sorted(C.nodes[c]["members"])
        if len(members) == 1 and not H.has_edge(members[0], members[0]):
            crit[members[0]] = compute(members[0])
            continue
        changed = True
        while changed:  # from "everything" down to the greatest fixed point
            changed = False
            for i in members:
                new = compute(i)
                if new != crit[i]:
                    crit[i] = new
                    changed = True
    return crit


def chokepoint_keys(keys: Sequence[str | None], level: str) -> list[str | None]:
    """Return the group keys the chokepoint queries use, from
    :func:`oretrace.queries.feasibility.group_keys` (or the compiled labels).

    The same keys, except at the country level, where a facility without a recorded country
    (keyed ``facility:<id>`` there) is in no group: it counts under its suppliers'
    countries (module docstring).

    Examples
    --------
    >>> chokepoint_keys(["CN", "facility:cobalt", None], "country")
    ['CN', None, None]
    >>> chokepoint_keys(["lynas", "facility:pool"], "company")
    ['lynas', 'facility:pool']
    """
    if level != "country":
        return list(keys)
    return [None if k is not None and k.startswith("facility:") else k for k in keys]


def _groups(net: SupplyNetwork, level: str) -> tuple[list[str | None], list[int], list[str]]:
    """Group keys, group indices (-1: in no group) and group names."""
    keys = chokepoint_keys(group_keys(net, level), level)
    names = sorted({k for k in keys if k is not None})
    where = {k: i for i, k in enumerate(names)}
    return keys, [-1 if k is None else where[k] for k in keys], names


def _decode(mask: int, names: Sequence[str]) -> list[str]:
    return [names[b] for b in range(len(names)) if mask >> b & 1]


def _platform_ids(G: nx.MultiDiGraph, assemblies: Mapping[str, Sequence[int]],
                  chosen: Iterable[str] | None) -> list[str]:
    known = list_platforms(G)
    if chosen is None:
        return sorted(assemblies)
    out = []
    for p in chosen:
        if p not in known:
            raise UnknownNodeError(p, known, "platform")
        out.append(p)
    return out


def _order(G: nx.MultiDiGraph, level: str, nodes: Iterable[str]) -> list[str]:
    if level != "facility":
        return sorted(nodes)
    return sorted(nodes, key=lambda f: (_STAGE_ORDER.get(G.nodes[f].get("stage", ""), 99), f))


class SinglePoints(BaseModel):
    """The groups whose loss alone stops one platform (empty when none does).

    ``nodes`` leaves out the trivial ones (the platform's own assembly facility, company or
    country) unless they were asked for; ``trivial`` lists those either way.
    """

    platform: str
    level: str
    as_of: dt.date
    supplied: bool
    nodes: list[str]
    trivial: list[str] = []


@dataclass(frozen=True)
class _Scene:
    """What the ranking reads of a scenario, from either engine: the facilities active at
    the date, their group keys at the level, the platforms' assemblies and the dated view."""

    as_of: dt.date
    facilities: Sequence[str]
    keys: Sequence[str | None]
    assemblies: Mapping[str, Sequence[int]]
    view: nx.MultiDiGraph


def _answer(G: nx.MultiDiGraph, scene: _Scene, level: str, platform: str,
            found: list[str] | None) -> SinglePoints:
    """All single points of a platform (``None``: not supplied), the trivial ones marked."""
    own = {k for k in (scene.keys[i] for i in scene.assemblies.get(platform, ()))
           if k is not None}
    nodes = _order(G, level, found or [])
    return SinglePoints(platform=platform, level=level, as_of=scene.as_of,
                        supplied=found is not None, nodes=nodes,
                        trivial=[n for n in nodes if n in own])


def _single_points(
    G: nx.MultiDiGraph, *, level: str, platforms: Iterable[str] | None,
    as_of: str | dt.date | None, fail: Iterable[str], policy: str | Policy | None,
    substitutions: bool, engine: Engine, query: str,
) -> tuple[_Scene, list[SinglePoints]]:
    """Every single point (trivial ones included, and marked) of each platform."""
    if level not in LEVELS:
        raise QueryError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    if choose_engine(G, engine, query=query) == "compiled":
        return _single_points_compiled(G, level=level, platforms=platforms, as_of=as_of,
                                       fail=fail, policy=policy, substitutions=substitutions)
    net, failed, _ = scenario_network(G, fail=fail, as_of=as_of, policy=policy,
                                      substitutions=substitutions)
    chosen = _platform_ids(G, net.assemblies, platforms)
    ok = supplied_mask(net, failed)
    keys, groups, names = _groups(net, level)
    crit = critical_masks(net, groups, len(names), ok)
    scene = _Scene(net.as_of, net.facilities, keys, net.assemblies, net.view)
    out = []
    for p in chosen:
        live = [i for i in net.assemblies.get(p, ()) if ok[i]]
        mask = (1 << len(names)) - 1
        for i in live:
            mask &= crit[i]
        out.append(_answer(G, scene, level, p, _decode(mask, names) if live else None))
    return scene, out


def _single_points_compiled(
    G: nx.MultiDiGraph, *, level: str, platforms: Iterable[str] | None,
    as_of: str | dt.date | None, fail: Iterable[str], policy: str | Policy | None,
    substitutions: bool,
) -> tuple[_Scene, list[SinglePoints]]:
    """:func:`_single_points` on the compiled form (:mod:`oretrace.graphmodel.compiled`)."""
    cg, failed, _, alive = compiled_scenario(G, fail=fail, as_of=as_of, policy=policy,
                                             substitutions=substitutions)
    chosen = _platform_ids(G, cg.assemblies, platforms)
    ok = compiled.supplied_mask(cg, failed=failed, alive=alive)
    keys = chokepoint_keys(compiled.group_labels(cg, level), level)
    names = sorted({k for k in keys if k is not None})
    where = {k: i for i, k in enumerate(names)}
    crit = compiled.critical_sets(cg, ok, [-1 if k is None else where[k] for k in keys],
                                  len(names), alive=alive)
    scene = _Scene(cg.as_of, cg.facilities, keys, cg.assemblies, restrict(G, as_of=cg.as_of))
    out = []
    for p in chosen:
        live = [s for i in cg.assemblies.get(p, ()) if ok[i] and (s := crit[i]) is not None]
        common = reduce(lambda a, b: a & b, live[1:], live[0]) if live else None
        out.append(_answer(G, scene, level, p,
                           None if common is None else [names[x] for x in common]))
    return scene, out


def find_single_points_of_failure(
    G: nx.MultiDiGraph,
    *,
    level: str = "facility",
    platforms: Iterable[str] | None = None,
    as_of: str | dt.date | None = None,
    fail: Iterable[str] = (),
    policy: str | Policy | None = None,
    substitutions: bool = False,
    engine: Engine = "auto",
    include_trivial: bool = True,
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
    facility of no recorded country counts under its suppliers' countries. ``engine``:
    ``"plain"`` (the networkx recursion, the reference), ``"compiled"``
    (:func:`oretrace.graphmodel.compiled.critical_sets`) or ``"auto"`` (compiled on large
    graphs; :func:`oretrace.queries.feasibility.choose_engine`).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    level : {"facility", "company", "country"}
        The grouping whose loss is counted: one facility, every facility a company operates,
        or every facility located in a country (default ``facility``).
    platforms : iterable of str, optional
        The platforms to examine (default every platform).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent (planned facilities count from ``online_from``, links from
        ``start``).
    fail : iterable of str
        What fails (default nothing): failure specs ``ID`` or ``facility:ID`` (one
        facility; a bare ``ID`` may also name a company), ``company:ID`` (every facility the
        company operates) or ``country:CC`` (every facility located in that country).
    policy : str or Policy, optional
        A policy from :data:`oretrace.queries.feasibility.POLICIES` by name, e.g.
        ``"cn-denies-military"`` (the shipments a rule of the data denies to military end uses
        stop), or ``None`` (the default) for none.
    substitutions : bool
        Let substitute inputs (bill-of-materials lines with ``substitute_for``) meet a need
        (default ``False``); the result lists each one used.
    engine : {"auto", "plain", "compiled"}
        ``plain``: the networkx recursion (the reference); ``compiled``: the same sets on the
        compiled form; ``auto`` (default): compiled on large graphs.
    include_trivial : bool
        Keep a platform's own assembly facility, its company and its country in ``nodes``
        (default ``True``: the literal recursion; ``False`` leaves them out, as the
        planner's answers do). ``trivial`` lists them either way.

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
    ...                               engine="compiled") == [sp]
    True
    """
    found = _single_points(G, level=level, platforms=platforms, as_of=as_of, fail=fail,
                           policy=policy, substitutions=substitutions, engine=engine,
                           query="find_single_points_of_failure")[1]
    if include_trivial:
        return found
    return [sp.model_copy(update={"nodes": [n for n in sp.nodes if n not in sp.trivial]})
            for sp in found]


def _group_label(G: nx.MultiDiGraph, level: str, key: str) -> tuple[str, str, list[str]]:
    """Return (name, note, sources) of a group key."""
    if key.startswith("facility:") or level == "facility":
        fid = key.removeprefix("facility:")
        d = G.nodes[fid]
        note = "" if level == "facility" else f"facility without a {level}: counted alone"
        return str(d.get("name", fid)), note, list(d.get("sources", []))
    if level == "company":
        d = G.nodes.get(key, {})
        return str(d.get("name", key)), "", list(d.get("sources", []))
    return key, "", []


def rank_chokepoints(
    G: nx.MultiDiGraph,
    *,
    level: str = "facility",
    platforms: Iterable[str] | None = None,
    as_of: str | dt.date | None = None,
    fail: Iterable[str] = (),
    policy: str | Policy | None = None,
    substitutions: bool = False,
    top: int | None = None,
    engine: Engine = "auto",
    include_trivial: bool = False,
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
    keeps the first N rows, and any row tied with the last one kept. ``engine`` as in
    :func:`find_single_points_of_failure`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    level : {"facility", "company", "country"}
        The grouping whose loss is counted: one facility, every facility a company operates,
        or every facility located in a country (default ``facility``).
    platforms : iterable of str, optional
        The platforms to examine (default every platform).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent (planned facilities count from ``online_from``, links from
        ``start``).
    fail : iterable of str
        What fails (default nothing): failure specs ``ID`` or ``facility:ID`` (one
        facility; a bare ``ID`` may also name a company), ``company:ID`` (every facility the
        company operates) or ``country:CC`` (every facility located in that country).
    policy : str or Policy, optional
        A policy from :data:`oretrace.queries.feasibility.POLICIES` by name, e.g.
        ``"cn-denies-military"`` (the shipments a rule of the data denies to military end uses
        stop), or ``None`` (the default) for none.
    substitutions : bool
        Let substitute inputs (bill-of-materials lines with ``substitute_for``) meet a need
        (default ``False``); the result lists each one used.
    top : int, optional
        Keep the first ``top`` rows and any row tied with the last one kept (default all).
    engine : {"auto", "plain", "compiled"}
        ``plain``: the networkx recursion (the reference); ``compiled``: the same sets on the
        compiled form; ``auto`` (default): compiled on large graphs.
    include_trivial : bool
        Count a platform's own assembly facility, its company and its country as chokepoints
        too (default ``False``: they stop it by definition).

    Returns
    -------
    pandas.DataFrame
        One row per group that stops at least one platform, best first, with the columns
        of :data:`RANK_COLUMNS` (described above) and ``attrs`` ``measure``,
        ``unsupplied`` and ``as_of``.

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
    >>> table = rank_chokepoints(load_dataset(), level="country", as_of="2026-11-24")
    >>> list(table.columns[:6])
    ['rank', 'node', 'level', 'name', 'platforms', 'n_platforms']
    >>> table["node"].iloc[0], "US" in set(table["node"])
    ('CN', False)
    """
    scene, points = _single_points(G, level=level, platforms=platforms, as_of=as_of,
                                   fail=fail, policy=policy, substitutions=substitutions,
                                   engine=engine, query="rank_chokepoints")
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


def _measure(row: Mapping[str, Any]) -> tuple[float, float, float, int]:
    """The ranking key of a row (smaller ranks first): see :data:`RANK_MEASURE`."""
    return (-row["n_platforms"], -(row["value_usd_per_yr"] or 0.0),
            -(row["units_per_yr"] or 0.0), -CONFIDENCE_ORDER[row["confidence"]])


def _ranked(rows: list[dict[str, Any]], top: int | None) -> list[dict[str, Any]]:
    """Rows sorted by the measure with competition ranks and tie flags; ``top`` rows (and
    those tied with the last one kept)."""
    rows = sorted(rows, key=lambda r: (_measure(r), r["node"]))
    keys = [_measure(r) for r in rows]
    for i, r in enumerate(rows):
        first = keys.index(keys[i])
        r["rank"] = first + 1
        r["tied"] = keys.count(keys[i]) > 1
    if top is not None and len(rows) > top:
        cut_rank = rows[top - 1]["rank"]
        rows = [r for i, r in enumerate(rows) if i < top or r["rank"] == cut_rank]
    return rows


# --------------------------------------------------------------------------- smallest cut


class Cut(BaseModel):
    """The fewest groups whose joint loss stops a platform (or a bound and a feasible cut).

    ``alternatives`` are other cuts of the same minimum size (exact answers only, up to the
    number asked); ``confidence`` is the weakest of the facilities in the cut's groups
    upstream of the platform, ``sources`` theirs.
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
    protected: list[str]
    confidence: str = "documented"
    sources: list[str] = []
    method: str
    note: str


def _shield(G: nx.MultiDiGraph, keys: Sequence[str | None], targets: Sequence[int],
            level: str, protect: Iterable[str] | None, include_trivial: bool) -> list[str]:
    """The protected groups: the platform's own (trivial) ones by default."""
    if protect is None:
        return [] if include_trivial else sorted({k for k in (keys[i] for i in targets)
                                                  if k is not None})
    shield = sorted(set(protect))
    known = {k for k in keys if k is not None} | {n for n, k in G.nodes(data="kind")
                                                  if k == ("company" if level == "company"
                                                           else "facility")}
    for k in shield:
        if k not in known and not (level == "country" and k in COUNTRIES):
            raise UnknownNodeError(k, sorted(known), level)
    return shield


def _cut_note(platform: str, supplied: bool, as_of: dt.date, cuts: list[list[str]],
              sol: CutSolution) -> str:
    if not supplied:
        return f"{platform} is not supplied in this scenario on {as_of}: nothing to cut"
    if sol.cut is None:
        return "no cut exists without the protected groups"
    more = f"; {len(cuts) - 1} other cut(s) of the same size" if len(cuts) > 1 else ""
    if len(cuts[0]) == 1:
        return f"losing {cuts[0][0]} alone stops {platform}{more}"
    if sol.exact:
        return (f"losing these {len(cuts[0])} together stops {platform}; no smaller set "
                f"does{more}")
    return (f"losing these {len(cuts[0])} together stops {platform}; the smallest such set "
            f"has at least {sol.lower_bound}")


def find_smallest_cut(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    level: str = "facility",
    protect: Iterable[str] | None = None,
    as_of: str | dt.date | None = None,
    fail: Iterable[str] = (),
    policy: str | Policy | None = None,
    substitutions: bool = False,
    max_exact: int = 5000,
    time_limit: float = 60.0,
    alternatives: int = 3,
    include_trivial: bool = False,
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
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    platform : str
        The platform (a product id) to stop.
    level : {"facility", "company", "country"}
        The grouping whose loss is counted: one facility, every facility a company operates,
        or every facility located in a country (default ``facility``).
    protect : iterable of str, optional
        Group keys that may not be cut (default the platform's own assembly groups, unless
        ``include_trivial``).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent (planned facilities count from ``online_from``, links from
        ``start``).
    fail : iterable of str
        What fails (default nothing): failure specs ``ID`` or ``facility:ID`` (one
        facility; a bare ``ID`` may also name a company), ``company:ID`` (every facility the
        company operates) or ``country:CC`` (every facility located in that country).
    policy : str or Policy, optional
        A policy from :data:`oretrace.queries.feasibility.POLICIES` by name, e.g.
        ``"cn-denies-military"`` (the shipments a rule of the data denies to military end uses
        stop), or ``None`` (the default) for none.
    substitutions : bool
        Let substitute inputs (bill-of-materials lines with ``substitute_for``) meet a need
        (default ``False``); the result lists each one used.
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

    Returns
    -------
    Cut
        ``nodes`` (the cut), its ``size``, ``exact`` (else ``lower_bound`` bounds the true
        size), the ``alternatives``, the ``protected`` groups, the ``method`` used, the
        confidence and sources of the facilities in the cut, and a note; ``supplied`` is
        false (and the cut empty) when the platform is not supplied in the scenario anyway.

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
    >>> cut = find_smallest_cut(load_dataset(), "F-35", level="country", as_of="2026-11-24")
    >>> cut.exact, cut.size == len(cut.nodes), cut.nodes, cut.alternatives
    (True, True, ['CN'], [])
    """
    if level not in LEVELS:
        raise QueryError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    net, failed, _ = scenario_network(G, fail=fail, as_of=as_of, policy=policy,
                                      substitutions=substitutions)
    [platform] = _platform_ids(G, net.assemblies, [platform])
    keys = chokepoint_keys(group_keys(net, level), level)
    targets = list(net.assemblies.get(platform, ()))
    shield = _shield(G, keys, targets, level, protect, include_trivial)
    ok = supplied_mask(net, failed)
    supplied = any(ok[t] for t in targets)
    sol = solve_cut(net, keys=keys, targets=targets, failed=failed, protected=shield,
                    max_exact=max_exact, time_limit=time_limit, alternatives=alternatives)
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
               protected=shield, confidence=confidence,
               sources=sorted({s for f in members for s in G.nodes[f].get("sources", [])}),
               method=sol.method, note=_cut_note(platform, supplied, net.as_of, cuts, sol))
