"""By when (:mod:`oretrace.queries.restore`): the scenario read on one date, and what brought a
platform back between two dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import networkx as nx
from oretrace.graphmodel import Confidence, nodes_of
from oretrace.graphmodel.rules import Rule, clause_applies, rule_from_node
from oretrace.graphmodel.vocab import NodeKind
from oretrace.queries.feasibility import (
    Policy,
    PolicyReport,
    SupplyNetwork,
    scenario_network,
    supplied_mask,
    supply_network,
)
from oretrace.queries.scenarios import Evidence, _facility_evidence, _links, _region

__all__ = ["brought_back", "evaluate", "rules_of"]


@dataclass(frozen=True)
class _Assumed:
    """A clause the policy read whose status on ``day`` is assumed."""

    day: dt.date
    rule: str
    clause: str
    applies: bool
    reason: str
    confidence: str
    sources: tuple[str, ...]

    def __str__(self) -> str:
        state = "in force" if self.applies else "not applying"
        return f"{self.rule} {self.clause}: assumed {state} on {self.day} ({self.reason})"


@dataclass(frozen=True)
class _State:
    """The scenario evaluated on one date, for every platform at once."""

    day: dt.date
    net: SupplyNetwork
    failed: frozenset[int]
    report: PolicyReport | None
    ok: list[bool]
    supplied: frozenset[str]
    free: frozenset[str]  # supplied on the date without the policy's denials
    denied: dict[tuple[str, str], tuple[str, str]]  # (country, product) -> (rule, clause)
    assumed: tuple[_Assumed, ...]


def rules_of(G: nx.MultiDiGraph) -> dict[str, Rule]:
    return {n: rule_from_node(G.nodes[n], n) for n in nodes_of(G, NodeKind.RULE)}


def _export_denials(rules: dict[str, Rule], report: PolicyReport | None
                    ) -> dict[tuple[str, str], tuple[str, str]]:
    """``(country, product)`` pairs whose shipments the policy denies under a clause that
    requires an export clause (shipments leaving the clause's origin country)."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for d in report.denied_links if report else ():
        rule = rules.get(d.rule)
        clause = next((c for c in rule.clauses if c.id == d.clause), None) if rule else None
        if rule is None or clause is None:
            continue
        for req in clause.requires:
            base = next((c for c in rule.clauses if c.id == req), None)
            if base is not None and base.kind == "export":
                out.setdefault((base.trigger.origin, d.product), (d.rule, d.clause))
    return out


def _assumed(rules: dict[str, Rule], report: PolicyReport | None, day: dt.date
             ) -> tuple[_Assumed, ...]:
    out = []
    for status in report.clauses if report else ():
        rule = rules.get(status.rule)
        if rule is None:
            continue
        by_id = {c.id: c for c in rule.clauses}
        if status.clause not in by_id:
            continue
        time = clause_applies(rule, by_id[status.clause], day, "lapsed", by_id)
        if time.assumed:
            out.append(_Assumed(day, status.rule, status.clause, time.applies, time.reason,
                                time.confidence.value,
                                tuple(sorted({*rule.sources, *time.sources}))))
    return tuple(out)


def evaluate(G: nx.MultiDiGraph, day: dt.date, rules: dict[str, Rule], *, fail: list[str],
              policy: str | Policy | None, substitutions: bool) -> _State:
    net, failed, report = scenario_network(G, fail=fail, as_of=day, policy=policy,
                                           substitutions=substitutions)
    ok = supplied_mask(net, failed)
    supplied = frozenset(p for p, idx in net.assemblies.items() if any(ok[i] for i in idx))
    assumed = _assumed(rules, report, day)
    free = supplied  # read only where a clause assumed in force denies links
    if report is not None and report.denied_links and any(a.applies for a in assumed):
        plain = supply_network(G, as_of=day, substitutions=substitutions)
        ok0 = supplied_mask(plain, (plain.index[f] for f in (net.facilities[i] for i in failed)))
        free = frozenset(p for p, idx in plain.assemblies.items() if any(ok0[i] for i in idx))
    return _State(day=day, net=net, failed=failed, report=report, ok=ok, supplied=supplied,
                  free=free, denied=_export_denials(rules, report), assumed=assumed)


# --------------------------------------------------------------------------- what brought it back


def _link_evidence(link: tuple[str, str, str], attrs: dict[str, Any], what: str) -> Evidence:
    u, v, q = link
    return Evidence(node=f"{u} -> {v} ({q})", what=what,
                    sources=[str(s) for s in attrs.get("sources", [])],
                    confidence=str(attrs.get("confidence", Confidence.DOCUMENTED.value)))


def _rule_events(rules: dict[str, Rule], prev: _State, cur: _State) -> list[Evidence]:
    """The clauses the policy applied on ``prev.day`` and no longer applies on ``cur.day``."""
    if prev.report is None or cur.report is None:
        return []
    before = {(c.rule, c.clause): c.in_force for c in prev.report.clauses}
    assumed = {(a.rule, a.clause): a for a in cur.assumed}
    out = []
    for c in cur.report.clauses:
        if not before.get((c.rule, c.clause)) or c.in_force:
            continue
        guess = assumed.get((c.rule, c.clause))
        rule = rules.get(c.rule)
        level = guess.confidence if guess else (rule.confidence.value if rule else
                                                Confidence.DOCUMENTED.value)
        out.append(Evidence(node=f"{c.rule} {c.clause}",
                            what=f"rule event on {cur.day}: {c.instrument} {c.clause} no "
                                 f"longer applies ({c.reason})",
                            sources=sorted({*c.sources, *(guess.sources if guess else ())}),
                            confidence=level))
    return out


def brought_back(G: nx.MultiDiGraph, rules: dict[str, Rule], prev: _State, cur: _State,
                  platform: str) -> list[Evidence]:
    """Facilities and links on the platform's now-supplied chain on ``cur.day`` that were
    absent or denied on ``prev.day``, and the rule events that lifted a denial."""
    net, ok = cur.net, cur.ok
    region = _region(net, ok, platform)
    out = [_facility_evidence(G, f, f"in service from {cur.day}")
           for f in sorted(region - set(prev.net.facilities))]
    known = {(prev.net.facilities[u], prev.net.facilities[i], q)
             for i, needs in enumerate(prev.net.needs) for need in needs
             for u, q in need.suppliers}
    denials = {(d.supplier, d.buyer, d.product): d
               for d in (prev.report.denied_links if prev.report else ())}
    attrs = _links(net)
    lifted = False
    for i in sorted(net.index[f] for f in region):
        for need in net.needs[i]:
            for u, q in need.suppliers:
                link = (net.facilities[u], net.facilities[i], q)
                if not ok[u] or link in known:
                    continue
                data = dict(attrs.get(link, {}))
                if link in denials:
                    lifted = True
                    d = denials[link]
                    what = f"no longer denied (denied on {prev.day} by {d.rule} {d.clause})"
                else:
                    start = data.get("start")
                    what = (f"link starts {start}" if isinstance(start, dt.date)
                            and start > prev.day else "link of a facility in service from "
                            f"{cur.day}")
                out.append(_link_evidence(link, data, what))
    if lifted or not out:
        out += _rule_events(rules, prev, cur)
    return out
