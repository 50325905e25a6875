"""Scenarios: failures, a policy, a date and substitutions together; what changes between dates.

A scenario names what fails (facilities, companies, countries), an optional policy (a rule
of the data turned into failed links, e.g. ``cn-denies-military``), a date (planned capacity
counts from its ``online_from``, links from their ``start``) and whether substitutes may
stand in. :func:`simulate_scenario` answers which platforms keep supply, why the others lose
it (the root causes, with sources), which substitutions were used, and the capacity
shortfall; :func:`diff_scenarios` compares one scenario at two dates: platforms newly
supplied (and the facilities and links that came online on their chains), newly cut off,
chokepoints gone and new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal, Unpack

import networkx as nx
from oretrace.graphmodel import parse_date, weakest
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.graphmodel.vocab import EdgeKind
from oretrace.queries._changes import (
    AnswerChange,
    DataChange,
    RuleChange,
    RuleEvent,
    answer_changes,
    data_changes,
    rule_changes,
)
from oretrace.queries._cut import _walk
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries.capacity import Shortfall, find_shortfall
from oretrace.queries.chokepoints import find_single_points_of_failure
from oretrace.queries.feasibility import (
    Policy,
    PolicyReport,
    Substitution,
    SupplyNetwork,
    scenario_network,
    simulate,
    supplied_mask,
)
from pydantic import BaseModel

__all__ = [
    "AnswerChange",
    "Blockage",
    "ChokepointChange",
    "DataChange",
    "Evidence",
    "PlatformChange",
    "PlatformStatus",
    "RuleChange",
    "RuleEvent",
    "ScenarioDiff",
    "ScenarioResult",
    "diff_scenarios",
    "simulate_scenario",
]


class Blockage(BaseModel):
    """A root cause: a facility that has not failed but lacks an input, and why."""

    facility: str
    product: str
    cause: str
    suppliers: list[str]
    sources: list[str]
    confidence: str


class PlatformStatus(BaseModel):
    """One platform in the scenario, against the same date with nothing failed."""

    platform: str
    supplied: bool
    baseline_supplied: bool
    blocked_by: list[Blockage]


class ScenarioResult(BaseModel):
    """What a scenario leaves supplied, why the rest is cut off, and what capacity is missing."""

    as_of: dt.date
    fail: list[str]
    failed: list[str]
    policy: PolicyReport | None
    substitutions_allowed: bool
    supplied: list[str]
    unsupplied: list[str]
    lost: list[str]
    platforms: list[PlatformStatus]
    substitutions: list[Substitution]
    shortfall: list[Shortfall]
    data_gaps: list[str]


def _sources(G: nx.MultiDiGraph, nodes: Iterable[str]) -> list[str]:
    return sorted({s for n in nodes for s in G.nodes[n].get("sources", [])})


def _blockages(G: nx.MultiDiGraph, net: SupplyNetwork, ok: Sequence[bool],
               failed: frozenset[int], report: PolicyReport | None,
               platform: str) -> list[Blockage]:
    """Walk up from the platform's assemblies through facilities that are cut off, to the
    needs whose every supplier failed, was denied, or does not exist at the date."""
    denied = {(d.supplier, d.buyer, d.product): d for d in report.denied_links} if report else {}
    out: dict[tuple[str, str], Blockage] = {}

    def add(facility: str, product: str, cause: str, suppliers: list[str],
            evidence: list[str]) -> None:
        conf = weakest([G.nodes[n].get("confidence", "documented") for n in evidence]).value
        out.setdefault((facility, product), Blockage(
            facility=facility, product=product, cause=cause, suppliers=sorted(suppliers),
            sources=_sources(G, evidence), confidence=conf))

    assemblies = net.assemblies.get(platform, ())
    if not assemblies:
        return [Blockage(facility="", product=platform,
                         cause=f"no facility assembles it on {net.as_of}", suppliers=[],
                         sources=_sources(G, [platform]),
                         confidence=G.nodes[platform].get("confidence", "documented"))]
    seen: set[int] = set()
    stack = list(assemblies)
    while stack:
        i = stack.pop()
        if i in seen or ok[i]:
            continue
        seen.add(i)
        f = net.facilities[i]
        if i in failed:
            add(f, "", "failed in the scenario", [], [f])
            continue
        for need in net.needs[i]:
            if any(ok[u] for u, _ in need.suppliers):
                continue
            down = [net.facilities[u] for u, _ in need.suppliers if u in failed]
            cut_off = [u for u, _ in need.suppliers if u not in failed]
            refused = [d for (u, b, p), d in denied.items()
                       if b == f and p in {need.product, *need.alternatives}]
            if not cut_off:
                parts = []
                if down:
                    parts.append("every supplier failed" if not refused else
                                 f"supplier(s) failed ({', '.join(down)})")
                if refused:
                    rules = sorted({f"{d.rule} ({d.clause})" for d in refused})
                    parts.append("links denied by " + ", ".join(rules))
                if not parts:
                    parts.append(f"no supplier on {net.as_of}")
                add(f, need.product, " and ".join(parts),
                    down + [d.supplier for d in refused],
                    [f, *down, *(d.rule for d in refused)])
            stack.extend(cut_off)
    return sorted(out.values(), key=lambda b: (b.facility, b.product))


@shared_docs
@unpacked_keywords
def simulate_scenario(
    G: nx.MultiDiGraph,
    *,
    shortfall: bool = True,
    per_platform: bool = True,
    **scenario: Unpack[ScenarioOptions],
) -> ScenarioResult:
    """Run a scenario: which platforms keep supply, why others lose it, what capacity is missing.

    Parameters
    ----------
    %(G)s
    shortfall, per_platform : bool
        Compute the capacity shortfall (:func:`oretrace.queries.capacity.find_shortfall`), for all
        platforms together and, with ``per_platform``, for each.
    %(scenario_options)s

    Returns
    -------
    ScenarioResult
        The ``supplied`` and ``unsupplied`` platforms, those ``lost`` to the scenario (supplied
        without it), per platform its status and the blockages that cut it off, the
        substitutions used, the ``shortfall`` rows (empty without ``shortfall``) and the data
        gaps.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> result = simulate_scenario(load_dataset(), fail=["country:CN"], as_of="2026-11-24",
    ...                            shortfall=False)
    >>> set(result.lost) <= set(result.unsupplied)
    True
    """
    scenario["fail"] = specs = list(scenario["fail"])
    as_of, substitutions = scenario["as_of"], scenario["substitutions"]
    feas = simulate(G, **scenario)
    net, failed, report = scenario_network(G, **scenario)
    ok = supplied_mask(net, failed)
    baseline = set(simulate(G, as_of=as_of, substitutions=substitutions).supplied)
    statuses = [PlatformStatus(platform=p, supplied=p in feas.supplied,
                               baseline_supplied=p in baseline,
                               blocked_by=[] if p in feas.supplied else
                               _blockages(G, net, ok, failed, report, p))
                for p in sorted(net.assemblies)]
    rows = find_shortfall(G, per_platform=per_platform, **scenario) if shortfall else []
    return ScenarioResult(
        as_of=feas.as_of, fail=specs, failed=feas.failed, policy=report,
        substitutions_allowed=substitutions, supplied=feas.supplied,
        unsupplied=feas.unsupplied,
        lost=sorted(p for p in feas.unsupplied if p in baseline),
        platforms=statuses, substitutions=feas.substitutions, shortfall=rows,
        data_gaps=feas.data_gaps)


# --------------------------------------------------------------------------- diff


class Evidence(BaseModel):
    """A facility or link that differs between the two dates, with its dates and sources."""

    node: str
    what: str
    sources: list[str]
    confidence: str
    date: dt.date | None = None


class PlatformChange(BaseModel):
    """A platform whose supply differs between the two dates, and the changes on its chain."""

    platform: str
    change: str
    because: list[Evidence]


class ChokepointChange(BaseModel):
    """A single point of failure present at one date only, with the platforms it stops.

    ``change``: ``new`` (a single point at ``vs`` only), ``gone`` (no longer one, the
    platform still supplied: an improvement) or ``platform lost`` (no longer one because the
    platform itself is no longer supplied at ``vs``: not good news).
    """

    node: str
    platforms: list[str]
    change: Literal["new", "gone", "platform lost"] = "gone"


class ScenarioDiff(BaseModel):
    """The same scenario at ``as_of`` and at ``vs``: what changed.

    Both in the data and in the answers. The data: ``facilities_online``/``_offline``;
    ``links`` — supply links started, ended or changed (e.g. a share that changes on a
    date), ownership and operators that start or end, technology use, each with its date
    and sources; ``rules`` — each rule with events
    between the dates (taking effect, clauses taking effect, suspensions, extensions,
    resumptions, repeals, a suspension running out, the day its status starts to rest on an
    assumption) and its status at both dates. The answers: ``newly_supplied`` platforms
    (each with the facilities and links on its chain at ``vs`` absent at ``as_of``),
    ``newly_unsupplied`` (with what cut them off); ``answers`` — per platform, the shipments
    needing a licence or denied, supply if the denied ones stop, and procurement verdicts
    (:func:`oretrace.queries.compliance.check_compliance`, read on the network without the
    scenario's failures); the single points of failure at ``level`` (the planner's, trivial
    ones left out): ``chokepoints_new``, ``chokepoints_gone`` (no longer a single point of a
    platform still supplied) and ``chokepoints_platform_lost`` (no longer one because the
    platform is no longer supplied at all: not good news); ``shortfall`` compares the
    all-platforms shortfall rows whose figures changed.
    """

    as_of: dt.date
    vs: dt.date
    fail: list[str]
    policy: str | None
    level: str
    newly_supplied: list[PlatformChange]
    newly_unsupplied: list[PlatformChange]
    still_unsupplied: list[str]
    chokepoints_gone: list[ChokepointChange]
    chokepoints_new: list[ChokepointChange]
    chokepoints_platform_lost: list[ChokepointChange] = []
    facilities_online: list[Evidence]
    facilities_offline: list[Evidence]
    links: list[DataChange] = []
    rules: list[RuleChange] = []
    answers: list[AnswerChange] = []
    shortfall: list[dict[str, object]]


def _region(net: SupplyNetwork, ok: Sequence[bool], platform: str) -> set[str]:
    seen = _walk((i for i in net.assemblies.get(platform, ()) if ok[i]),
                 lambda i: (u for need in net.needs[i] for u, _ in need.suppliers if ok[u]))
    return {net.facilities[i] for i in seen}


def _links(net: SupplyNetwork) -> dict[tuple[str, str, str], dict[str, object]]:
    return {(u, v, d["product"]): d for u, v, d in net.view.edges(data=True)
            if d.get("kind") == EdgeKind.SUPPLIES}


def _facility_evidence(G: nx.MultiDiGraph, f: str, went: str) -> Evidence:
    d = G.nodes[f]
    window = f"online {d.get('online_from') or '(always)'} to {d.get('online_until') or 'open'}"
    return Evidence(node=f, what=f"{went}: {d.get('name', f)} ({d.get('country') or '?'}, "
                                 f"{d.get('stage')}, status {d.get('status')}; {window})",
                    sources=list(d.get("sources", [])),
                    confidence=d.get("confidence", "documented"),
                    date=d.get("online_from" if went == "online" else "online_until"))


@shared_docs
@unpacked_keywords
def diff_scenarios(
    G: nx.MultiDiGraph,
    *,
    vs: str | dt.date,
    level: str = "facility",
    shortfall: bool = True,
    answers: bool = True,
    assume: str = "lapsed",
    **scenario: Unpack[ScenarioOptions],
) -> ScenarioDiff:
    """Compare one scenario at ``as_of`` (default today) and at ``vs``: what changed.

    Both in the data and in the answers: the fields of :class:`ScenarioDiff`.

    Parameters
    ----------
    %(G)s
    vs : date or ISO str
        The date to compare with, usually later than ``as_of``.
    %(level)s
    shortfall : bool
        Compare the all-platforms capacity shortfall too (default ``True``; off, ``shortfall``
        is empty and no linear programme is solved).
    answers : bool
        Compare the compliance answers of each platform (default ``True``).
    assume : {"lapsed", "extended"}
        How to read a rule's status after its ``known_until`` (see
        :mod:`oretrace.graphmodel.rules`).
    %(scenario_options)s

    Returns
    -------
    ScenarioDiff
        The changes in the data and in the answers listed above.

    Raises
    ------
    UnknownNodeError
        When a failure spec or platform names no such node; the message lists close matches.
    QueryError
        When a failure spec, ``as_of`` or ``policy`` is not one of its values.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> d = diff_scenarios(load_dataset(), as_of="2025-04-01", vs="2026-12-02",
    ...                    shortfall=False, answers=False)
    >>> [c.date.isoformat() for c in d.links if c.subject.startswith("mp-mountain-pass-mine")]
    ['2025-04-17']
    >>> [e.date.isoformat() for r in d.rules if r.rule == "MOFCOM-18-2025"
    ...  for e in r.events if e.event == "effective"]
    ['2025-04-04']
    """
    a, b = parse_date(scenario["as_of"]), parse_date(vs)
    specs, policy = list(scenario["fail"]), scenario["policy"]
    substitutions = scenario["substitutions"]
    policy_name = policy.name if isinstance(policy, Policy) else policy
    nets = {}
    for day in (a, b):
        net, failed, report = scenario_network(G, fail=specs, as_of=day, policy=policy,
                                               substitutions=substitutions)
        nets[day] = (net, supplied_mask(net, failed), failed, report)
    (na, oka, _, _), (nb, okb, fb, rb) = nets[a], nets[b]
    sup_a = {p for p, idx in na.assemblies.items() if any(oka[i] for i in idx)}
    sup_b = {p for p, idx in nb.assemblies.items() if any(okb[i] for i in idx)}
    online = sorted(set(nb.facilities) - set(na.facilities))
    offline = sorted(set(na.facilities) - set(nb.facilities))
    crit = {day: _single_points(G, day, specs, policy, level, substitutions)
            for day in (a, b)}
    gone = crit[a] - crit[b]
    return ScenarioDiff(
        as_of=a, vs=b, fail=specs, policy=policy_name, level=level,
        newly_supplied=_newly_supplied(G, a, na, nb, okb, sorted(sup_b - sup_a), online),
        newly_unsupplied=[_newly_unsupplied(G, nb, okb, fb, rb, p)
                          for p in sorted(sup_a - sup_b)],
        still_unsupplied=sorted(set(nb.assemblies) - sup_b - (sup_a - sup_b)),
        chokepoints_gone=_group({x for x in gone if x[1] in sup_b}, "gone"),
        chokepoints_new=_group(crit[b] - crit[a], "new"),
        chokepoints_platform_lost=_group({x for x in gone if x[1] not in sup_b},
                                         "platform lost"),
        facilities_online=[_facility_evidence(G, f, "online") for f in online],
        facilities_offline=[_facility_evidence(G, f, "offline") for f in offline],
        links=data_changes(G, a, b), rules=rule_changes(G, a, b, assume=assume),
        answers=answer_changes(G, a, b, sorted(set(na.assemblies) | set(nb.assemblies)),
                               assume=assume) if answers else [],
        shortfall=_shortfall_changes(G, a, b, specs, policy, substitutions)
        if shortfall else [])


def _single_points(G: nx.MultiDiGraph, day: dt.date, specs: list[str],
                   policy: str | Policy | None, level: str,
                   substitutions: bool) -> set[tuple[str, str]]:
    """(node, platform) of each non-trivial single point of failure at ``day``."""
    return {(n, sp.platform)
            for sp in find_single_points_of_failure(G, as_of=day, fail=specs, policy=policy,
                                                    level=level, substitutions=substitutions,
                                                    include_trivial=False)
            for n in sp.nodes}


def _newly_unsupplied(G: nx.MultiDiGraph, net: SupplyNetwork, ok: Sequence[bool],
                      failed: frozenset[int], report: PolicyReport | None,
                      platform: str) -> PlatformChange:
    """A platform supplied at the earlier date only, with what cuts it off at the later."""
    return PlatformChange(platform=platform, change="newly unsupplied", because=[
        Evidence(node=blk.facility or platform,
                 what=f"lacks {blk.product}: {blk.cause}"
                      + (f" ({', '.join(blk.suppliers)})" if blk.suppliers else ""),
                 sources=blk.sources, confidence=blk.confidence)
        for blk in _blockages(G, net, ok, failed, report, platform)])


def _newly_supplied(G: nx.MultiDiGraph, a: dt.date, na: SupplyNetwork, nb: SupplyNetwork,
                    okb: Sequence[bool], platforms: Iterable[str],
                    online: Sequence[str]) -> list[PlatformChange]:
    """Each platform supplied at the later date only, with the facilities and links on its
    chain then that were absent at ``a``."""
    links_a, links_b = _links(na), _links(nb)
    out = []
    for p in platforms:
        region = _region(nb, okb, p)
        because = [_facility_evidence(G, f, "online") for f in online if f in region]
        for key in sorted(set(links_b) - set(links_a)):
            u, v, prod = key
            if u in region and v in region:
                d = links_b[key]
                start = d.get("start")
                because.append(Evidence(
                    node=f"{u} -> {v} ({prod})",
                    what=f"link starts {start}" if isinstance(start, dt.date) and start > a
                    else "link of a facility that came online",
                    sources=list(d.get("sources", [])),  # type: ignore[call-overload]
                    confidence=str(d.get("confidence", "documented"))))
        out.append(PlatformChange(platform=p, change="newly supplied", because=because))
    return out


def _shortfall_changes(G: nx.MultiDiGraph, a: dt.date, b: dt.date, specs: list[str],
                       policy: str | Policy | None,
                       substitutions: bool) -> list[dict[str, object]]:
    """The all-platforms shortfall rows whose figures differ between the dates."""
    before, after = ({r.product: r for r in find_shortfall(
        G, fail=specs, as_of=day, policy=policy, substitutions=substitutions,
        per_platform=False)} for day in (a, b))
    changes: list[dict[str, object]] = []
    for prod in sorted(set(before) | set(after)):
        x, y = before.get(prod), after.get(prod)
        if _figure(x) != _figure(y):
            either = x if x is not None else y
            changes.append({"product": prod, "unit": either.unit if either else "",
                            "before": _figure(x), "after": _figure(y),
                            "sources": sorted(set(x.sources if x else [])
                                              | set(y.sources if y else []))})
    return changes


def _figure(row: Shortfall | None) -> tuple[float | None, float | None] | None:
    return None if row is None else (row.shortfall_min, row.shortfall_max)


def _group(pairs: set[tuple[str, str]],
           change: Literal["new", "gone", "platform lost"]) -> list[ChokepointChange]:
    by: dict[str, list[str]] = {}
    for node, platform in pairs:
        by.setdefault(node, []).append(platform)
    return [ChokepointChange(node=n, platforms=sorted(ps), change=change)
            for n, ps in sorted(by.items())]
