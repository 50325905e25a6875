"""Single points of failure, grouping and ranking helpers (private:
:mod:`oretrace.queries.chokepoints` holds the public queries and the semantics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Annotated, Any, Unpack

import networkx as nx
import numpy as np
from oretrace.graphmodel import UnknownNodeError, platforms as list_platforms, restrict
from oretrace.graphmodel._keywords import Default
from oretrace.graphmodel.vocab import CONFIDENCE_ORDER, COUNTRIES, Stage
from oretrace.queries._compiled_critical import critical_sets, group_labels, settle
from oretrace.queries._compiled_feasibility import (
    compiled_scenario,
    supplied_mask as compiled_supplied,
)
from oretrace.queries._compiled_graph import CompiledGraph
from oretrace.queries._cut import CutSolution
from oretrace.queries._feasibility_network import check_level
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries.feasibility import (
    SupplyNetwork,
    group_keys,
    scenario_network,
    supplied_mask,
)
from pydantic import BaseModel

__all__ = ["SinglePointOptions", "SinglePoints", "chokepoint_keys", "critical_masks"]


class SinglePointOptions(ScenarioOptions, total=False):
    """What single points are sought: the scenario's options, then the grouping whose loss
    is counted and the platforms examined (default every platform); taken as ``**question``
    by :func:`~oretrace.queries.chokepoints.find_single_points_of_failure` and
    :func:`~oretrace.queries.chokepoints.rank_chokepoints`, documented once as the
    ``single_point_options`` bundle."""

    level: Annotated[str, Default("facility")]
    platforms: Annotated[Iterable[str] | None, Default(None)]

_STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}


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
        settle(members, crit, compute)  # from "everything" down to the greatest fixed point
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
    if chosen is None:
        return sorted(assemblies)
    known = list_platforms(G)
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
    """What the ranking reads of a scenario, from either backend: the level, the facilities
    active at the date, their group keys at the level, the platforms' assemblies and the
    dated view."""

    level: str
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
    G: nx.MultiDiGraph, *, level: str = "facility", platforms: Iterable[str] | None = None,
    **scenario: Unpack[ScenarioOptions],
) -> tuple[_Scene, list[SinglePoints]]:
    """Every single point (trivial ones included, and marked) of each platform, on the
    networkx form; the options and their defaults are those of
    :func:`oretrace.queries.chokepoints.find_single_points_of_failure`."""
    check_level(level)
    net, failed, _ = scenario_network(G, **scenario)
    chosen = _platform_ids(G, net.assemblies, platforms)
    ok = supplied_mask(net, failed)
    keys, groups, names = _groups(net, level)
    crit = critical_masks(net, groups, len(names), ok)
    scene = _Scene(level, net.as_of, net.facilities, keys, net.assemblies, net.view)
    out = []
    for p in chosen:
        live = [i for i in net.assemblies.get(p, ()) if ok[i]]
        mask = (1 << len(names)) - 1
        for i in live:
            mask &= crit[i]
        out.append(_answer(G, scene, level, p, _decode(mask, names) if live else None))
    return scene, out


def _single_points_compiled(
    G: nx.MultiDiGraph, *, level: str = "facility", platforms: Iterable[str] | None = None,
    **scenario: Unpack[ScenarioOptions],
) -> tuple[_Scene, list[SinglePoints]]:
    """:func:`_single_points` on the compiled form (:mod:`oretrace.queries._compiled_critical`)."""
    check_level(level)
    cg, failed, _, alive = compiled_scenario(G, **scenario)
    chosen = _platform_ids(G, cg.assemblies, platforms)
    ok = compiled_supplied(cg, failed=failed, alive=alive)
    keys, names, groups = _compiled_groups(cg, level)
    crit = critical_sets(cg, ok, groups, len(names), alive=alive)
    scene = _Scene(level, cg.as_of, cg.facilities, keys, cg.assemblies,
                   restrict(G, as_of=cg.as_of))
    out = []
    for p in chosen:
        live = [s for i in cg.assemblies.get(p, ()) if ok[i] and (s := crit[i]) is not None]
        common = reduce(lambda a, b: a & b, live[1:], live[0]) if live else None
        out.append(_answer(G, scene, level, p,
                           None if common is None else [names[x] for x in common]))
    return scene, out


def _compiled_groups(cg: CompiledGraph, level: str
                     ) -> tuple[list[str | None], list[str], np.ndarray[Any, Any]]:
    """Each facility's chokepoint key at ``level``, the keys in name order, and each
    facility's place among them (-1: in no group); kept with the compiled graph (they read
    its facilities alone). Read only."""
    got = cg.memo.get(("chokepoint groups", level))
    if got is None:
        keys = chokepoint_keys(group_labels(cg, level), level)
        names = sorted({k for k in keys if k is not None})
        where = {k: i for i, k in enumerate(names)}
        groups = np.fromiter((-1 if k is None else where[k] for k in keys), np.int64, len(keys))
        got = cg.memo[("chokepoint groups", level)] = keys, names, groups
    return got


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
