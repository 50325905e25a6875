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

Markets (stage ``market``: a country or world pool standing in for unknown specific links)
belong to no group at any level, since losing a pool is not an event; what can be lost are
its suppliers. So a market has no ``{g(v)}`` term (crit(market) = ⋃_inputs ⋂_suppliers
crit(u)), and markets are never ranked, reported or cut. Naming a market in ``fail`` still
fails it, for "what if the pooled market closes".

The smallest cut (the fewest groups whose joint loss stops a platform) is an integer
programme: binary ``x_g`` (group g fails), continuous ``y_v`` (facility v stopped) and
``z_vj`` (need j of v unmet), with ``y_v ≤ x_g(v) + Σ_j z_vj`` (no ``x_g(v)`` for a
market), ``z_vj ≤ y_u`` for every supplier u of need j, ``y_assembly = 1``, minimising
``Σ x_g``. Any feasible ``y`` marks only facilities that truly stop, so the optimum is
exact; HiGHS solves it (``scipy.optimize.milp``). Beyond ``max_exact`` facilities, or past
the time limit, the answer is a lower bound (LP relaxation or the solver's dual bound) and
a feasible cut (LP rounding, repaired and pruned, checked by a feasibility run). Paths are
never enumerated.

:func:`find_single_points_of_failure` and :func:`rank_chokepoints` take ``engine`` (see
:mod:`oretrace.queries.feasibility`): on large graphs the recursion runs on the compiled form
(:func:`oretrace.graphmodel.compiled.single_points`, the same sets); the smallest cut is always
solved on the plain network.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from oretrace.graphmodel import (
    QueryError,
    SolverError,
    UnknownNodeError,
    compiled,
    restrict,
    weakest,
)
from oretrace.graphmodel import platforms as list_platforms
from oretrace.graphmodel.vocab import COUNTRIES, Stage
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
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array

__all__ = [
    "Cut",
    "CutSolution",
    "SinglePoints",
    "critical_masks",
    "find_single_points_of_failure",
    "find_smallest_cut",
    "rank_chokepoints",
    "solve_cut",
]

_STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}


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


def _groups(net: SupplyNetwork, level: str) -> tuple[list[str | None], list[int], list[str]]:
    """Group keys, group indices (-1: a market, in no group) and group names."""
    keys = group_keys(net, level)
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


class SinglePoints(BaseModel):
    """The groups whose loss alone stops one platform (empty when none does)."""

    platform: str
    level: str
    as_of: dt.date
    supplied: bool
    nodes: list[str]


def _order(G: nx.MultiDiGraph, level: str, nodes: Iterable[str]) -> list[str]:
    if level != "facility":
        return sorted(nodes)
    return sorted(nodes, key=lambda f: (_STAGE_ORDER.get(G.nodes[f].get("stage", ""), 99), f))


@dataclass(frozen=True)
class _Scene:
    """What the ranking reads of a scenario, from either engine: the facilities active at
    the date, their group keys at the level, the platforms' assemblies and the dated view."""

    as_of: dt.date
    facilities: Sequence[str]
    keys: Sequence[str | None]
    assemblies: Mapping[str, Sequence[int]]
    view: nx.MultiDiGraph


def _single_points(
    G: nx.MultiDiGraph, *, level: str, platforms: Iterable[str] | None,
    as_of: str | dt.date | None, fail: Iterable[str], policy: str | Policy | None,
    substitutions: bool, engine: Engine, query: str,
) -> tuple[_Scene, list[SinglePoints]]:
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
    out = []
    for p in chosen:
        live = [i for i in net.assemblies.get(p, ()) if ok[i]]
        if not live:
            out.append(SinglePoints(platform=p, level=level, as_of=net.as_of, supplied=False,
                                    nodes=[]))
            continue
        mask = (1 << len(names)) - 1
        for i in live:
            mask &= crit[i]
        out.append(SinglePoints(platform=p, level=level, as_of=net.as_of, supplied=True,
                                nodes=_order(G, level, _decode(mask, names))))
    return _Scene(net.as_of, net.facilities, keys, net.assemblies, net.view), out


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
    found = compiled.single_points(cg, ok, level=level, platforms=chosen, alive=alive)
    out = [SinglePoints(platform=p, level=level, as_of=cg.as_of, supplied=found[p] is not None,
                        nodes=_order(G, level, found[p] or []))
           for p in chosen]
    scene = _Scene(cg.as_of, cg.facilities, compiled.group_labels(cg, level), cg.assemblies,
                   restrict(G, as_of=cg.as_of))
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
) -> list[SinglePoints]:
    """Return, per platform, the facilities, companies or countries whose loss alone stops it.

    Exact under AND/OR (see the module docstring). ``fail``, ``policy`` and
    ``substitutions`` set the scenario in which single points are sought (e.g. what else
    stops the F-35 once China is gone). A platform not supplied in the scenario is
    reported with ``supplied=False`` and no nodes. ``engine``: ``"plain"`` (the networkx
    recursion, the reference), ``"compiled"`` (:func:`oretrace.graphmodel.compiled.single_points`)
    or ``"auto"`` (compiled on large graphs; :func:`oretrace.queries.feasibility.choose_engine`).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> [sp] = find_single_points_of_failure(load_dataset(), platforms=["F-35"],
    ...                                      as_of="2026-11-24")
    >>> sp.supplied, len(sp.nodes) >= 1
    (True, True)
    >>> find_single_points_of_failure(load_dataset(), platforms=["F-35"], as_of="2026-11-24",
    ...                               engine="compiled") == [sp]
    True
    """
    return _single_points(G, level=level, platforms=platforms, as_of=as_of, fail=fail,
                          policy=policy, substitutions=substitutions, engine=engine,
                          query="find_single_points_of_failure")[1]


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
) -> pd.DataFrame:
    """Rank facilities, companies or countries by the platforms their loss alone stops.

    One row per group that is a single point of failure of at least one platform, with
    ``node``, ``level``, ``name``, ``platforms`` (ids), ``n_platforms``, and, where the
    assemblies' build rates (units per year) are known, ``units_per_yr`` of platforms
    stopped and their ``value_usd_per_yr``; ``members`` are the facilities of the group
    on the platforms' chains, ``confidence`` the weakest among them, ``sources`` theirs.
    Sorted by platforms stopped, then value. ``frame.attrs["unsupplied"]`` lists the
    platforms not supplied in the scenario (no single point applies to them). ``engine`` as
    in :func:`find_single_points_of_failure`.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> table = rank_chokepoints(load_dataset(), level="country", as_of="2026-11-24")
    >>> list(table.columns[:5])
    ['node', 'level', 'name', 'platforms', 'n_platforms']
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
    for sp in points:
        for node in sp.nodes:
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
            "units_per_yr": float(sum(units)) if units else None,
            "value_usd_per_yr": float(sum(values)) if values else None,
            "members": _order(G, "facility", members),
            "confidence": weakest([G.nodes[f].get("confidence", "documented")
                                   for f in members]).value,
            "sources": sorted(set(sources) | set(member_sources)),
            "note": note,
        })
    rows.sort(key=lambda r: (-r["n_platforms"], -(r["value_usd_per_yr"] or 0.0), r["node"]))
    if top is not None:
        rows = rows[:top]
    frame = pd.DataFrame(rows, columns=["node", "level", "name", "platforms", "n_platforms",
                                        "units_per_yr", "value_usd_per_yr", "members",
                                        "confidence", "sources", "note"])
    frame.attrs["unsupplied"] = [sp.platform for sp in points if not sp.supplied]
    frame.attrs["as_of"] = scene.as_of.isoformat()
    return frame


# --------------------------------------------------------------------------- smallest cut


@dataclass(frozen=True)
class CutSolution:
    """The answer of :func:`solve_cut`: a cut (group keys) and how good it is."""

    exact: bool
    cut: tuple[str, ...] | None  # None: no cut exists among the candidates
    lower_bound: int
    method: str


def _region(net: SupplyNetwork, supplied: Sequence[bool], targets: Iterable[int]) -> list[int]:
    """The supplied facilities upstream of (or among) ``targets``."""
    seen: set[int] = set()
    stack = [t for t in targets if supplied[t]]
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        for need in net.needs[i]:
            stack.extend(u for u, _ in need.suppliers if supplied[u] and u not in seen)
    return sorted(seen)


def _stops(net: SupplyNetwork, failed: Iterable[int], keys: Sequence[str | None],
           cut: Iterable[str], targets: Sequence[int]) -> bool:
    chosen = set(cut)
    down = set(failed) | {i for i, k in enumerate(keys) if k is not None and k in chosen}
    ok = supplied_mask(net, down)
    return not any(ok[t] for t in targets)


def solve_cut(
    net: SupplyNetwork,
    *,
    keys: Sequence[str | None],
    targets: Sequence[int],
    failed: Iterable[int] = (),
    protected: Iterable[str] = (),
    max_exact: int = 5000,
    time_limit: float = 60.0,
) -> CutSolution:
    """Return the fewest group keys whose joint loss stops every facility in ``targets``.

    ``keys[i]`` is the group of facility ``i`` (``None``: in no group, never cut, as a
    market); groups in ``protected`` cannot be cut;
    ``failed`` facilities are down already. Exact by integer programme when the region
    upstream of the targets has at most ``max_exact`` facilities and HiGHS finishes within
    ``time_limit`` seconds; otherwise a lower bound and a feasible cut.
    """
    failed = frozenset(failed)
    ok = supplied_mask(net, failed)
    if not any(ok[t] for t in targets):
        return CutSolution(True, (), 0, "already stopped")
    region = _region(net, ok, targets)
    shield = set(protected)
    cands = sorted({k for k in (keys[i] for i in region) if k is not None} - shield)
    if not cands:
        return CutSolution(True, None, 0, "every group upstream is protected")
    gx = {k: j for j, k in enumerate(cands)}
    ry = {i: len(cands) + j for j, i in enumerate(region)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    nrow = 0
    nz = 0
    z_first = len(cands) + len(region)
    zrows: list[tuple[int, list[int]]] = []
    for i in region:
        row = nrow
        nrow += 1
        rows.append(row)
        cols.append(ry[i])
        vals.append(1.0)
        own = keys[i]
        if own is not None and own in gx:
            rows.append(row)
            cols.append(gx[own])
            vals.append(-1.0)
        for need in net.needs[i]:
            zc = z_first + nz
            nz += 1
            rows.append(row)
            cols.append(zc)
            vals.append(-1.0)
            zrows.append((zc, [ry[u] for u, _ in need.suppliers if ok[u]]))
    for zc, ys in zrows:
        for yc in sorted(set(ys)):
            rows += [nrow, nrow]
            cols += [zc, yc]
            vals += [1.0, -1.0]
            nrow += 1
    nvar = z_first + nz
    A = coo_array((vals, (rows, cols)), shape=(nrow, nvar)).tocsr()
    lb = np.zeros(nvar)
    for t in targets:
        if ok[t]:
            lb[ry[t]] = 1.0
    c = np.zeros(nvar)
    c[: len(cands)] = 1.0
    cons = LinearConstraint(A, -np.inf, 0.0)
    bounds = Bounds(lb, np.ones(nvar))

    def verified(cut: Sequence[str]) -> tuple[str, ...]:
        assert _stops(net, failed, keys, cut, targets), "cut does not stop the targets"
        return tuple(sorted(cut))

    if len(region) <= max_exact:
        integrality = np.zeros(nvar)
        integrality[: len(cands)] = 1
        res = milp(c, constraints=cons, bounds=bounds, integrality=integrality,
                   options={"time_limit": time_limit, "disp": False})
        if res.status == 2:
            return CutSolution(True, None, 0, "no cut outside the protected groups")
        if res.status == 0 and res.x is not None:
            cut = [cands[j] for j in range(len(cands)) if res.x[j] > 0.5]
            return CutSolution(True, verified(cut), len(cut), "integer programme (HiGHS)")
        bound = getattr(res, "mip_dual_bound", None)
        if res.x is not None:
            cut = [cands[j] for j in range(len(cands)) if res.x[j] > 0.5]
            low = max(1, math.ceil((bound or 1.0) - 1e-6))
            return CutSolution(low >= len(cut), verified(_prune(net, failed, keys, cut, targets)),
                               low, "integer programme stopped at its time limit")
    lp = linprog(c, A_ub=A, b_ub=np.zeros(nrow), bounds=list(zip(lb, np.ones(nvar),
                                                                  strict=True)),
                 method="highs")
    if lp.status == 2:
        return CutSolution(True, None, 0, "no cut outside the protected groups")
    if lp.status != 0 or lp.x is None:
        raise SolverError("linprog (HiGHS)", int(lp.status), str(lp.message))
    low = max(1, math.ceil(float(lp.fun) - 1e-6))
    order = [cands[j] for j in sorted(range(len(cands)),
                                      key=lambda j: (-float(lp.x[j]), cands[j]))]
    # the shortest prefix of that order that stops the targets: stopping only grows with
    # the cut, so a binary search finds it in log(candidates) feasibility passes (a scan
    # took one pass per candidate: quadratic with 100,000 suppliers)
    short, long = 0, len(order)
    while short < long:
        mid = (short + long) // 2
        if _stops(net, failed, keys, order[:mid + 1], targets):
            long = mid
        else:
            short = mid + 1
    cut = order[:short + 1]
    # a cut as small as the lower bound has nothing to prune and nothing can beat it
    best = _prune(net, failed, keys, cut, targets) if len(cut) > low else cut
    method = "LP relaxation bound; cut by LP rounding, pruned"
    greedy = _cheapest_kill(net, ok, keys, region, targets, shield) if len(best) > low \
        else None
    if greedy is not None and _stops(net, failed, keys, greedy, targets):
        greedy = _prune(net, failed, keys, greedy, targets)
        if len(greedy) < len(best):
            best, method = greedy, "LP relaxation bound; cut by cheapest-kill recursion, pruned"
    return CutSolution(low >= len(best), verified(best), low, method)


def _cheapest_kill(net: SupplyNetwork, ok: Sequence[bool], keys: Sequence[str | None],
                   region: Sequence[int], targets: Sequence[int],
                   shield: set[str]) -> list[str] | None:
    """A cut from the recursion cost(v) = min(1 for v's own group, min over needs of the sum of
    the suppliers' costs), shared nodes counted once when the choices are traced back. A
    market (no group) or a protected group has no "own group" option."""
    inf = float("inf")
    cost = {i: inf for i in region}
    choice: dict[int, int] = {}  # -1: cut v's own group; j: starve need j
    H = nx.DiGraph()
    H.add_nodes_from(region)
    for i in region:
        for need in net.needs[i]:
            for u, _ in need.suppliers:
                if ok[u]:
                    H.add_edge(u, i)
    C = nx.condensation(H)
    for c in nx.topological_sort(C):
        members = sorted(C.nodes[c]["members"])
        for _ in range(len(members) + 1):  # relax until stable (bounded)
            changed = False
            for i in members:
                own = keys[i]
                best, pick = (1.0, -1) if own is not None and own not in shield else (inf, -1)
                for j, need in enumerate(net.needs[i]):
                    total = sum(cost[u] for u, _ in need.suppliers if ok[u])
                    if total < best:
                        best, pick = total, j
                if best < cost[i]:
                    cost[i], choice[i] = best, pick
                    changed = True
            if not changed:
                break
    if any(cost[t] == inf for t in targets if ok[t]):
        return None
    cut: set[str] = set()
    seen: set[int] = set()
    stack = [t for t in targets if ok[t]]
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        if choice[i] == -1:
            own = keys[i]
            assert own is not None
            cut.add(own)
        else:
            stack.extend(u for u, _ in net.needs[i][choice[i]].suppliers if ok[u])
    return sorted(cut)


def _prune(net: SupplyNetwork, failed: Iterable[int], keys: Sequence[str | None],
           cut: Sequence[str], targets: Sequence[int]) -> list[str]:
    kept = list(cut)
    for k in reversed(list(cut)):
        trial = [x for x in kept if x != k]
        if _stops(net, failed, keys, trial, targets):
            kept = trial
    return kept


class Cut(BaseModel):
    """The fewest groups whose joint loss stops a platform (or a bound and a feasible cut)."""

    platform: str
    level: str
    as_of: dt.date
    supplied: bool
    exact: bool
    size: int | None
    lower_bound: int
    nodes: list[str]
    protected: list[str]
    method: str
    note: str


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
) -> Cut:
    """Return the fewest facilities, companies or countries whose joint loss stops ``platform``.

    ``protect`` lists group keys (facility ids, company ids or country codes, per
    ``level``) that may not be cut. By default the groups of the platform's own assembly
    facilities are protected — losing the final assembly (or its company, or its
    country) trivially stops a platform — pass ``protect=()`` for the literal answer.
    Exact by integer programme up to ``max_exact`` facilities upstream; beyond, a lower
    bound and a feasible cut (``exact`` says which).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cut = find_smallest_cut(load_dataset(), "F-35", level="country", as_of="2026-11-24")
    >>> cut.exact, cut.size == len(cut.nodes)
    (True, True)
    """
    if level not in LEVELS:
        raise QueryError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    net, failed, _ = scenario_network(G, fail=fail, as_of=as_of, policy=policy,
                                      substitutions=substitutions)
    [platform] = _platform_ids(G, net.assemblies, [platform])
    keys = group_keys(net, level)
    targets = list(net.assemblies.get(platform, ()))
    if protect is None:
        shield = sorted({k for k in (keys[i] for i in targets) if k is not None})
    else:
        shield = sorted(set(protect))
        known = {k for k in keys if k is not None} | {n for n, k in G.nodes(data="kind")
                             if k == ("company" if level == "company" else "facility")}
        for k in shield:
            if k not in known and not (level == "country" and k in COUNTRIES):
                raise UnknownNodeError(k, sorted(known), level)
    ok = supplied_mask(net, failed)
    supplied = any(ok[t] for t in targets)
    sol = solve_cut(net, keys=keys, targets=targets, failed=failed, protected=shield,
                    max_exact=max_exact, time_limit=time_limit)
    if not supplied:
        note = f"{platform} is not supplied in this scenario on {net.as_of}: nothing to cut"
    elif sol.cut is None:
        note = "no cut exists without the protected groups"
    elif len(sol.cut) == 1:
        note = f"losing {sol.cut[0]} alone stops {platform}"
    elif sol.exact:
        note = f"losing these {len(sol.cut)} together stops {platform}; no smaller set does"
    else:
        note = (f"losing these {len(sol.cut)} together stops {platform}; the smallest such "
                f"set has at least {sol.lower_bound}")
    return Cut(platform=platform, level=level, as_of=net.as_of, supplied=supplied,
               exact=sol.exact, size=None if sol.cut is None else len(sol.cut),
               lower_bound=sol.lower_bound,
               nodes=[] if sol.cut is None else _order(G, level, sol.cut),
               protected=shield, method=sol.method, note=note)
