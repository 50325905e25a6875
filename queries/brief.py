"""The planner's brief: the whole portfolio on at most two printed pages, bottom line up front.

:func:`brief_facts` gathers, for each platform, the answers a planner reads first, each with
the weakest confidence on its evidence and whether it rests on an *assumed* rule status
(DESIGN §4: after a rule's ``known_until`` its status is an assumption, by default that the
suspension lapsed):

- **supplied today** and **supplied if China denies military end users** (the
  ``cn-denies-military`` policy of :mod:`oretrace.queries.feasibility`), and by when a lost
  platform is restored (:func:`oretrace.queries.restore.find_restore`);
- the **shipments needing a Chinese licence** and how many of them would be **denied**
  (:func:`oretrace.queries.shipments.shipment_verdicts`, rules China issues);
- the **procurement verdict** (DFARS 252.225-7052, :func:`~oretrace.queries.compliance.
  procurement_verdicts`);
- the **top non-trivial chokepoint**: the facility whose loss alone stops the platform and
  the most others (:func:`oretrace.queries.chokepoints.rank_chokepoints`), leaving out the
  platform's own final assembly and its country, which stop it trivially;

then the five **risks** that matter most, ranked by :data:`MEASURE`. :func:`render_brief`
lays them out as one HTML page (:mod:`oretrace.queries._brief_html`); paths, tables,
figures and sources stay in the full report (:func:`oretrace.queries.report.render_report`).

**Confidence of a supply claim.** "Supplied" holds at level *L* when the platform is still
supplied with every facility and supply link weaker than *L* removed: the claim's confidence
is the strongest such level (the weakest link of its best-evidenced supply). "Loses supply"
carries the weakest confidence of what blocks it (:mod:`oretrace.queries.scenarios`), at most
``estimated`` when a denial rests on an assumed rule status.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> facts = brief_facts(load_dataset(DATA / "compliance_mini"), as_of="2027-06-01")
>>> [(p.platform, p.supplied, p.supplied_if_denied, p.if_denied_assumed)
...  for p in facts.platforms]
[('missile', True, False, True)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    EdgeKind,
    NodeKind,
    QueryError,
    UnknownNodeError,
    Verdict,
    facilities_making,
    nodes_of,
    parse_date,
    platforms as platform_ids,
    restrict,
    weakest,
)
from oretrace.graphmodel.rules import Rule, rule_from_node, rule_time, suspensions
from oretrace.queries._brief_risks import (
    MEASURE,
    WEIGHTS,
    Risk,
    chokepoint_rows,
    rank_risks,
    top_chokepoint,
)
from oretrace.queries._shipments_rules import _context as shipment_context
from oretrace.queries.compliance import procurement_verdicts
from oretrace.queries.feasibility import supplied_mask, supply_network
from oretrace.queries.restore import find_restore
from oretrace.queries.scenarios import PlatformStatus, simulate_scenario
from oretrace.queries.shipments import shipment_verdicts
from pydantic import BaseModel

__all__ = [
    "MEASURE",
    "POLICY",
    "WEIGHTS",
    "AssumedRule",
    "BriefFacts",
    "PlatformLine",
    "Restore",
    "Risk",
    "brief_facts",
    "render_brief",
]

#: The scenario the brief's second column answers.
POLICY = "cn-denies-military"

_PROCUREMENT_ORDER = {Verdict.COMPLIANT: 0, Verdict.WAIVED: 1, Verdict.NON_COMPLIANT: 2}


class Restore(BaseModel):
    """When a platform lost under the policy is supplied again, and why (or why not).

    ``restored_on`` is ``None`` when nothing restores it by ``until``; ``missing_inputs``
    then names the inputs no maker is left for.
    """

    restored_on: dt.date | None
    until: dt.date
    brought_back_by: list[str]
    missing_inputs: list[str]
    confidence: Confidence
    assumed: bool
    assumed_rules: list[str]


class PlatformLine(BaseModel):
    """The brief's line for one platform: each claim with its confidence and assumption flag."""

    platform: str
    name: str
    supplied: bool
    supplied_confidence: Confidence
    supplied_if_denied: bool
    if_denied_confidence: Confidence
    if_denied_assumed: bool
    blocked: list[str]
    restore: Restore | None
    licence_shipments: int
    denied_shipments: int
    licence_confidence: Confidence
    licence_assumed: bool
    procurement_rule: str | None
    procurement: str | None
    procurement_waiver: str | None
    procurement_confidence: Confidence | None
    procurement_assumed: bool
    chokepoint: str | None
    chokepoint_name: str | None
    chokepoint_stops: list[str]
    chokepoint_confidence: Confidence | None
    more_single_points: int
    countries_alone: list[str]
    weakest: Confidence
    assumed: bool


class AssumedRule(BaseModel):
    """A rule whose status at the date is assumed (its suspension lapsed, nothing later)."""

    rule: str
    instrument: str
    clauses: list[str]
    suspended_by: str | None
    lapsed_on: dt.date | None
    shipments: int


class BriefFacts(BaseModel):
    """Every number and claim the brief shows."""

    as_of: dt.date
    dataset: str
    policy: str
    policy_in_force: bool
    assumption: str | None
    assumed_rules: list[AssumedRule]
    platforms: list[PlatformLine]
    licence_total: int
    denied_total: int
    licence_total_confidence: Confidence | None
    licence_total_assumed: bool
    lost: list[str]
    kept: list[str]
    risks: list[Risk]
    measure: str
    not_briefed: dict[str, str]


# --------------------------------------------------------------------------- rules


def _rules(G: nx.MultiDiGraph) -> dict[str, Rule]:
    return {rid: rule_from_node(dict(G.nodes[rid]), rid) for rid in nodes_of(G, NodeKind.RULE)}


def _assumed_rules(G: nx.MultiDiGraph, rules: dict[str, Rule], day: dt.date,
                   rows_per_rule: dict[str, int], later: set[str]) -> list[AssumedRule]:
    """The rules assumed at ``day``, and those (``later``) an answer reads at a later date."""
    out = []
    for rid, rule in rules.items():
        if not rule_time(rule, day).assumed and rid not in later:
            continue
        ended = [s for s in suspensions(rule) if s.end is not None]
        last = max(ended, key=lambda s: s.end or day) if ended else None
        by = last.by if last is not None else None
        by_name = str(G.nodes[by].get("instrument", by)) if by and by in G else by
        out.append(AssumedRule(rule=rid, instrument=rule.instrument,
                               clauses=list(last.clauses) if last else [],
                               suspended_by=by_name, lapsed_on=last.end if last else None,
                               shipments=rows_per_rule.get(rid, 0)))
    out.sort(key=lambda a: (a.lapsed_on or dt.date.max, -a.shipments, a.rule))
    return out


# --------------------------------------------------------------------------- supply


def _supply_confidence(G: nx.MultiDiGraph, day: dt.date, targets: Iterable[str],
                       denied: frozenset[tuple[str, str, str]]) -> dict[str, Confidence]:
    """The strongest level at which each target is still supplied (module docstring)."""
    view = restrict(G, as_of=day)
    links = [(u, v, str(d["product"]), d.get("confidence", Confidence.DOCUMENTED))
             for u, v, d in view.edges(data=True) if d.get("kind") == EdgeKind.SUPPLIES]
    todo = set(targets)
    out: dict[str, Confidence] = {}
    for level in sorted(Confidence, key=lambda c: -CONFIDENCE_ORDER[c]):
        floor = CONFIDENCE_ORDER[level]
        weak = {(u, v, p) for u, v, p, c in links if CONFIDENCE_ORDER[c] < floor}
        net = supply_network(G, as_of=day, denied=denied | weak)
        down = [i for i, f in enumerate(net.facilities)
                if CONFIDENCE_ORDER[G.nodes[f].get("confidence", Confidence.DOCUMENTED)] < floor]
        ok = supplied_mask(net, down)
        for p in sorted(todo):
            if any(ok[i] for i in net.assemblies.get(p, ())):
                out[p] = level
                todo.discard(p)
    return out


def _restorations(G: nx.MultiDiGraph, day: dt.date, lost: list[str]) -> dict[str, Restore]:
    """When each platform lost under the policy is supplied again
    (:func:`oretrace.queries.restore.find_restore`, the same policy, searched to the last
    dated change in the data)."""
    if not lost:
        return {}
    return {r.platform: Restore(restored_on=r.restored_on, until=r.until,
                                brought_back_by=[e.node for e in r.brought_back_by],
                                missing_inputs=[m.product for m in r.missing_inputs],
                                confidence=Confidence(r.confidence),
                                assumed=r.rests_on_assumption,
                                assumed_rules=sorted({a.split(" ", 1)[0]
                                                      for a in r.assumptions}))
            for r in find_restore(G, lost, policy=POLICY, as_of=day)}


def _lost_claim(G: nx.MultiDiGraph, status: PlatformStatus, assumed_rule: bool
                ) -> tuple[Confidence, list[str]]:
    levels = [b.confidence for b in status.blocked_by]
    if assumed_rule:
        levels.append(Confidence.ESTIMATED)
    blocked = [f"{b.facility}: {b.product}" for b in status.blocked_by]
    return weakest(levels), blocked


# --------------------------------------------------------------------------- compliance


def _licences(G: nx.MultiDiGraph, p: str, ctx: _Ctx) -> tuple[int, int, Confidence, bool]:
    rows = [r for r in shipment_verdicts(G, p, as_of=ctx.day)
            if r.applies and r.rule in ctx.chinese]
    shipments = {(r.supplier, r.buyer, r.product, r.via) for r in rows}
    denied = {(r.supplier, r.buyer, r.product, r.via) for r in rows
              if r.verdict == Verdict.DENIED}
    for r in rows:
        key = (r.supplier, r.buyer, r.product, r.via)
        ctx.per_rule.setdefault(r.rule, set()).add(key)
        was = ctx.portfolio.get(key, (False, Confidence.DOCUMENTED, False))
        ctx.portfolio[key] = (was[0] or r.verdict == Verdict.DENIED,
                              weakest([was[1], r.confidence]),
                              was[2] or r.status.startswith("assumed"))
    # "None needs a licence" rests on every link of the needed supply (as "compliant" does).
    level = weakest([r.confidence for r in rows]) if rows else \
        shipment_context(G, [p], ctx.day, None).weakest_upstream(p)[0]
    return len(shipments), len(denied), level, any(r.status.startswith("assumed") for r in rows)


def _procurement(G: nx.MultiDiGraph, p: str, day: dt.date) -> dict[str, Any]:
    rows = [v for v in procurement_verdicts(G, p, as_of=day)
            if v.verdict in _PROCUREMENT_ORDER and v.status not in ("ended", "not-yet")]
    if not rows:
        return {"procurement_rule": None, "procurement": None, "procurement_waiver": None,
                "procurement_confidence": None, "procurement_assumed": False}
    worst = max(rows, key=lambda v: (_PROCUREMENT_ORDER[v.verdict], v.rule))
    return {"procurement_rule": worst.rule, "procurement": worst.verdict.value,
            "procurement_waiver": worst.waiver,
            "procurement_confidence": weakest([v.confidence for v in rows]),
            "procurement_assumed": any(v.status.startswith("assumed") for v in rows)}


# --------------------------------------------------------------------------- the facts


def _chosen(G: nx.MultiDiGraph, platforms: Iterable[str] | None) -> list[str]:
    known = platform_ids(G)
    chosen = list(platforms) if platforms is not None else known
    for p in chosen:
        if p not in known:
            raise UnknownNodeError(p, known or nodes_of(G, NodeKind.PRODUCT), "platform")
    if not chosen:
        raise QueryError("no platform to brief on")
    return chosen


@dataclass
class _Ctx:
    """What every platform's line reads: the scenario, the rules, the chokepoint rows."""

    day: dt.date
    chosen: list[str]
    rules: dict[str, Rule]
    statuses: dict[str, PlatformStatus]
    policy_in_force: bool
    policy_assumed: bool
    today: dict[str, Confidence]
    under: dict[str, Confidence]
    chinese: set[str]
    facility_rows: list[dict[str, Any]]
    country_rows: list[dict[str, Any]]
    restored: dict[str, Restore]
    per_rule: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    #: every shipment of the portfolio China's rules bite on: (denied, weakest, assumed)
    portfolio: dict[tuple[Any, ...], tuple[bool, Confidence, bool]] = field(
        default_factory=dict)


def _context(G: nx.MultiDiGraph, day: dt.date, chosen: list[str]) -> _Ctx:
    rules = _rules(G)
    scenario = simulate_scenario(G, policy=POLICY, as_of=day, shortfall=False)
    report = scenario.policy
    view = restrict(G, as_of=day)
    statuses = {s.platform: s for s in scenario.platforms if facilities_making(view, s.platform)}
    denied = frozenset((d.supplier, d.buyer, d.product) for d in report.denied_links) \
        if report else frozenset()
    lost = [p for p in chosen if p in statuses and statuses[p].baseline_supplied
            and not statuses[p].supplied]
    return _Ctx(
        day=day, chosen=chosen, rules=rules, statuses=statuses,
        policy_in_force=bool(report and report.in_force),
        policy_assumed=report is not None and any(
            d.rule in rules and rule_time(rules[d.rule], day).assumed
            for d in report.denied_links),
        today=_supply_confidence(G, day, chosen, frozenset()),
        under=_supply_confidence(G, day, chosen, denied),
        # China's rules: those whose export or re-export clauses read China as the origin
        # (as the policy reads them, oretrace.queries.feasibility).
        chinese={rid for rid, r in rules.items()
                 if any(c.trigger.origin == "CN" for c in r.clauses
                        if c.kind in ("export", "extraterritorial"))},
        facility_rows=chokepoint_rows(G, day, chosen, "facility"),
        country_rows=chokepoint_rows(G, day, chosen, "country"),
        restored=_restorations(G, day, lost))


def _platform_line(G: nx.MultiDiGraph, ctx: _Ctx, p: str) -> PlatformLine:
    status = ctx.statuses[p]
    gone_conf, blocked = _lost_claim(G, status, ctx.policy_assumed)
    n_lic, n_den, lic_conf, lic_assumed = _licences(G, p, ctx)
    back = ctx.restored.get(p)
    line: dict[str, Any] = {
        "platform": p, "name": str(G.nodes[p].get("name") or p),
        "supplied": status.baseline_supplied,
        "supplied_confidence": ctx.today.get(p, gone_conf),
        "supplied_if_denied": status.supplied,
        "if_denied_confidence": ctx.under[p] if status.supplied else gone_conf,
        "if_denied_assumed": ctx.policy_assumed and status.baseline_supplied
        and not status.supplied,
        "blocked": blocked, "restore": back,
        "licence_shipments": n_lic, "denied_shipments": n_den,
        "licence_confidence": lic_conf, "licence_assumed": lic_assumed,
        **_procurement(G, p, ctx.day), **top_chokepoint(p, ctx.facility_rows),
        "countries_alone": [r["node"] for r in ctx.country_rows if p in r["platforms"]]}
    claims = [line[k] for k in ("supplied_confidence", "if_denied_confidence",
                                "licence_confidence", "procurement_confidence",
                                "chokepoint_confidence") if line[k] is not None]
    if back is not None:
        claims.append(back.confidence)
    line["weakest"] = weakest(claims)
    line["assumed"] = bool(line["if_denied_assumed"] or lic_assumed
                           or line["procurement_assumed"] or (back is not None and back.assumed))
    return PlatformLine(**line)


def brief_facts(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None,
                platforms: Iterable[str] | None = None) -> BriefFacts:
    """Return every claim the brief shows (module docstring), as data.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph, with its rules (not mutated).
    as_of : date or ISO str, optional
        The date of every answer (default today).
    platforms : iterable of str, optional
        The platforms to brief on (default every platform).

    Returns
    -------
    BriefFacts
        One :class:`PlatformLine` per platform, the top five :class:`Risk`, the assumed rules
        and the sentence naming the assumption (``None`` when no status is assumed).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> facts = brief_facts(load_dataset(DATA / "compliance_mini"), as_of="2027-06-01")
    >>> facts.assumption
    "Assumes MOFCOM No. 61 applies again after No. 70's suspension lapsed on 2026-11-10; nothing later on record."
    """  # noqa: E501
    from oretrace.queries._brief_html import assumption_sentence

    day = parse_date(as_of)
    ctx = _context(G, day, _chosen(G, platforms))
    lines = [_platform_line(G, ctx, p) for p in ctx.chosen if p in ctx.statuses]
    later = {rid for r in ctx.restored.values() for rid in r.assumed_rules}
    assumed = _assumed_rules(G, ctx.rules, day,
                             {k: len(v) for k, v in ctx.per_rule.items()}, later)
    rows = ctx.portfolio
    lost = [ln.platform for ln in lines if ln.supplied and not ln.supplied_if_denied]
    return BriefFacts(
        as_of=day, dataset=str(G.graph.get("dataset") or G.name or "dataset"), policy=POLICY,
        policy_in_force=ctx.policy_in_force, assumption=assumption_sentence(assumed, day),
        assumed_rules=assumed, platforms=lines,
        licence_total=len(rows), denied_total=sum(1 for r in rows.values() if r[0]),
        licence_total_confidence=weakest([r[1] for r in rows.values()]) if rows else None,
        licence_total_assumed=any(r[2] for r in rows.values()),
        lost=lost,
        kept=[ln.platform for ln in lines if ln.supplied_if_denied],
        risks=rank_risks(G, (POLICY, lost, weakest([ln.if_denied_confidence for ln in lines
                                                    if ln.platform in lost]),
                             any(ln.if_denied_assumed for ln in lines)),
                         ctx.facility_rows, ctx.country_rows),
        measure=MEASURE,
        not_briefed={p: f"no facility makes {p!r} as of {day}" for p in ctx.chosen
                     if p not in ctx.statuses})


def render_brief(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None,
                 platforms: Iterable[str] | None = None, report: str | None = None) -> str:
    """Return the brief as one self-contained HTML page (no script, no external resource).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph, with its rules (not mutated).
    as_of : date or ISO str, optional
        The date of every answer (default today); it is in the page's title.
    platforms : iterable of str, optional
        The platforms to brief on (default every platform).
    report : str, optional
        The address of the full report to link (e.g. ``"report.html"`` written alongside);
        without it the page says how to produce the report.

    Returns
    -------
    str
        The HTML page: the assumption, the bottom line and one line per platform first,
        then the five risks; it prints to A4.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> page = render_brief(load_dataset(DATA / "compliance_mini"), as_of="2027-06-01")
    >>> "<title>oretrace brief as of 2027-06-01</title>" in page
    True
    """
    from oretrace.queries._brief_html import page

    chosen = list(platforms) if platforms is not None else None
    return page(brief_facts(G, as_of=as_of, platforms=chosen), report=report,
                platforms=chosen)
