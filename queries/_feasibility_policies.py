"""Policies: rules of the graph turned into failed supply links (:data:`POLICIES`).

A policy reads the rule nodes of the graph as of a date and reports the clauses it read and
the links it fails (:class:`PolicyReport`); :func:`oretrace.queries.feasibility.simulate`
drops those links. The public names are importable from :mod:`oretrace.queries.feasibility`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    QueryError,
    facilities_making,
    nodes_of,
    platforms,
    restrict,
)
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._feasibility_network import Link, need_options
from oretrace.queries._vocab import POLICY_SUMMARIES, POLICY_TEXT
from pydantic import BaseModel

__all__ = [
    "MILITARY_END_USERS",
    "POLICIES",
    "ClauseStatus",
    "DeniedLink",
    "Policy",
    "PolicyReport",
    "clause_status",
    "military_chain",
    "policy_named",
    "scenario_policy",
]

class ClauseStatus(BaseModel):
    """Whether one clause of a rule applies at the date, and why."""

    rule: str
    instrument: str
    clause: str
    in_force: bool
    reason: str
    sources: list[str]


class DeniedLink(BaseModel):
    """A supply link a policy fails, with the clause that fails it."""

    supplier: str
    buyer: str
    product: str
    rule: str
    clause: str


class PolicyReport(BaseModel):
    """What a policy did at the date: the clauses it read and the links it failed."""

    name: str
    description: str
    as_of: dt.date
    in_force: bool
    clauses: list[ClauseStatus]
    denied_links: list[DeniedLink]
    note: str


@dataclass(frozen=True)
class Policy:
    """A named, rule-driven failure; ``apply(view, as_of, substitutions)`` reports failed links."""

    name: str
    description: str
    apply: Callable[[nx.MultiDiGraph, dt.date, bool], PolicyReport]
    summary: str = ""


def clause_status(rule: Mapping[str, Any], clause: Mapping[str, Any],
                  day: dt.date, *, assume: str = "lapsed") -> tuple[bool, str]:
    """Return ``(in force, reason)`` for ``clause`` of ``rule`` (a rule node's attributes) at
    ``day``: :func:`oretrace.graphmodel.rules.rule_time`, the one reading of rule time.

    A clause applies from its ``effective`` date (default: the rule's) until its ``until``
    (exclusive), outside every suspension that covers the whole rule or names the clause;
    a suspension runs to its ``until`` *inclusive* (MOFCOM No. 70 suspends No. 61 "until 10
    November 2026", so it applies again from 2026-11-11, under the ``lapsed`` assumption).
    """
    from oretrace.graphmodel.rules import Clause, Rule, rule_time

    data = {"id": "rule", "name": "rule", "authority": "", "instrument": "",
            "sources": ["-"], "confidence": "documented",
            "clauses": [{"id": "x", "kind": "export", "text": "", "verdict": "licence-required",
                         "trigger": {"kind": "origin_content"}}]}
    data.update({k: v for k, v in rule.items() if k != "kind"})
    r = Rule.model_validate(data)
    known = next((c for c in r.clauses if c.id == clause.get("id")), None)
    c = known or Clause.model_validate(
        {"kind": "export", "text": "", "verdict": "licence-required",
         "trigger": {"kind": "origin_content"}, **dict(clause)})
    time = rule_time(r, day, assume=assume, clause=c)  # type: ignore[arg-type]
    return time.applies, time.reason


#: End-user tokens of the rules data that name military end users of the platforms.
MILITARY_END_USERS = frozenset({"military"})


def military_chain(G: nx.MultiDiGraph, *, substitutions: bool = False) -> set[str]:
    """Return the facilities of ``G`` upstream of (or assembling) any platform.

    Upstream follows supply links that carry an input the buyer needs (or, with
    ``substitutions``, a substitute for one).
    """
    net_edges: dict[str, set[str]] = {}
    for f in nodes_of(G, NodeKind.FACILITY):
        wanted = {p for options in need_options(G, f, substitutions).values() for p in options}
        for u, _, d in G.in_edges(f, data=True):
            if d.get("kind") == EdgeKind.SUPPLIES and d["product"] in wanted:
                net_edges.setdefault(f, set()).add(u)
    stack = [f for p in platforms(G) for f in facilities_making(G, p)]
    chain: set[str] = set()
    while stack:
        f = stack.pop()
        if f in chain:
            continue
        chain.add(f)
        stack.extend(net_edges.get(f, ()))
    return chain


def _denies_military(country: str) -> Callable[[nx.MultiDiGraph, dt.date, bool], PolicyReport]:
    def apply(G: nx.MultiDiGraph, day: dt.date, substitutions: bool) -> PolicyReport:
        # One code path with `oretrace shipments`: the shipments of every platform's supply
        # that a rule of `country` denies to a military end use (oretrace.queries.shipments).
        from oretrace.graphmodel.rules import clause_applies, rule_from_node
        from oretrace.queries.shipments import shipment_verdicts

        statuses: list[ClauseStatus] = []
        ours: list[str] = []
        for n in nodes_of(G, NodeKind.RULE):
            rule = rule_from_node(G.nodes[n], n)
            origins = {c.trigger.origin for c in rule.clauses
                       if c.kind in ("export", "extraterritorial")}
            if country not in origins:
                continue
            by_id = {c.id: c for c in rule.clauses}
            for clause in rule.clauses:
                if clause.kind != "end-user" or clause.verdict != "denied" or \
                        not MILITARY_END_USERS & set(clause.trigger.end_users):
                    continue
                time = clause_applies(rule, clause, day, "lapsed", by_id)
                statuses.append(ClauseStatus(rule=n, instrument=rule.instrument,
                                             clause=clause.id, in_force=time.applies,
                                             reason=time.reason, sources=list(rule.sources)))
                if n not in ours:
                    ours.append(n)
        live = [s for s in statuses if s.in_force]
        denied: dict[Link, DeniedLink] = {}
        targets = platforms(restrict(G, as_of=day))
        if live and targets:
            rules = sorted({s.rule for s in live})
            for row in shipment_verdicts(G, targets, as_of=day, rules=rules):
                if row.applies and row.verdict == "denied" and row.end_use in \
                        MILITARY_END_USERS and row.link not in denied:
                    u, v, p = row.link
                    denied[row.link] = DeniedLink(supplier=u, buyer=v, product=p,
                                                  rule=row.rule, clause=row.clause)
        if not statuses:
            note = f"no rule in the data denies military end users for exports from {country}"
        elif not live:
            note = (f"no rule denying military end users is in force on {day}: "
                    + "; ".join(f"{s.instrument} {s.clause} {s.reason}" for s in statuses))
        else:
            note = (f"{len(denied)} link(s) carrying shipments that {country} denies to military "
                    "end users fail under " + ", ".join(sorted({f"{s.instrument} {s.clause}"
                                                               for s in live})))
        return PolicyReport(name=f"{country.lower()}-denies-military",
                            description=POLICY_TEXT.format(country=country), as_of=day,
                            in_force=bool(live), clauses=statuses,
                            denied_links=sorted(denied.values(), key=lambda x: (
                                x.supplier, x.buyer, x.product)),
                            note=note)
    return apply


#: Policies by name: each reads the rule nodes of the graph as of the date.
POLICIES: dict[str, Policy] = {
    "cn-denies-military": Policy(
        "cn-denies-military", POLICY_TEXT.format(country="CN"), _denies_military("CN"),
        summary=POLICY_SUMMARIES["cn-denies-military"]),
}


def policy_named(name: str | Policy | None) -> Policy | None:
    """The policy of that name (a :class:`Policy` passes through; ``None``: none)."""
    if name is None or isinstance(name, Policy):
        return name
    if name not in POLICIES:
        raise QueryError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    return POLICIES[name]


def scenario_policy(G: nx.MultiDiGraph, day: dt.date, policy: str | Policy | None,
                    substitutions: bool) -> tuple[PolicyReport | None, list[Link]]:
    """The policy's report on the graph at ``day`` (``None`` without a policy) and the links
    it denies, ``(supplier, buyer, product)``: what a scenario's policy takes away."""
    chosen = policy_named(policy)
    report = chosen.apply(restrict(G, as_of=day), day, substitutions) if chosen else None
    denied = [(d.supplier, d.buyer, d.product) for d in report.denied_links] if report else []
    return report, denied
