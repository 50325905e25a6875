"""Compliance: the export-control and procurement rules as data, and their verdicts as of a date.

Rules are the ``rule`` nodes of the graph (``rules.yaml``, fields of
:class:`oretrace.graphmodel.schema.Rule`). :func:`evaluate` reads each against one product:

1. **In force.** ``effective`` is the first day a rule (or clause) applies; ``until`` the
   first day it no longer does (exclusive, like every ``end`` and ``online_until`` of the
   dataset). Outside that window the verdict is ``not-applicable``.
2. **Scope.** The product's bill of materials must hold an item of the rule's
   ``categories`` containing one of its ``elements``; with ``exporting_countries``, a
   facility upstream must sit in one of them. Otherwise ``not-applicable``.
3. **Clauses.** Each clause in force tests its trigger (below); a clause whose
   ``requires`` name other clauses fires only when they fire too. The most severe verdict
   among the firing clauses wins (denied > non-compliant > licence-required >
   case-by-case > compliant); when none fires, the rule's ``otherwise``. A clause whose
   verdict is ``not-applicable`` is a condition only, for other clauses to require.
4. **Suspensions.** A suspension covers ``start`` to ``end`` *inclusive*: MOFCOM No. 70
   [2025] suspends Nos. 55–58, 61 and 62 "until 10 November 2026" (暂停实施至2026年11月10日),
   so they are suspended on 2026-11-10 and apply again from 2026-11-11. A clause that would
   fire while suspended (the whole rule, or the clauses a suspension names) gives
   ``suspended``, with what it would have said in the evidence; a rule that would not bite
   anyway keeps its ``otherwise`` verdict, with the suspension noted.

Triggers (``oretrace.graphmodel.schema.Trigger``):

- ``origin_value_share`` — the value share (:func:`oretrace.queries.content.origin_share`) of
  ``origin`` rare-earth items containing the trigger's (else the scope's) elements, of the
  scope's categories, is at least ``threshold``: MOFCOM No. 61's 0.1 % test.
- ``origin_content`` — the mass share of some such element of ``origin`` exceeds
  ``threshold`` (default 0: any).
- ``origin_technology`` — a facility upstream runs an ``origin`` technology of the
  trigger's (else the scope's) technology stages: the non-diluting taint of DESIGN §3.
- ``stage_in_countries`` — a facility upstream, at one of ``stages``, sits in one of
  ``countries``, on a path through a scope item (DFARS 252.225-7052: magnets melted or
  produced in a covered country; from 2027-01-01 also mined, refined or separated). Stages
  may be facility stages or the statute's words (:data:`STAGE_WORDS`); a market counts as
  the stage of what it pools.
- ``end_user`` — the end user is one of ``end_users`` (and, when the trigger names
  ``countries``, the destination is one of them).

Each verdict names the rule, the clause that fired, the evidence (the figure, e.g. "value
share 0.37 % ≥ 0.1 %", or the path to the Chinese facility), its confidence (the weakest
of the rule's and the evidence's) and the sources beneath both. A finding that *nothing*
upstream matches (no Chinese technology, no covered-country stage) rests on every
upstream link, so a ``compliant`` verdict carries their weakest confidence and sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    QueryError,
    UnknownNodeError,
    Verdict,
    nodes_of,
    parse_date,
    restrict,
    weakest,
)
from oretrace.graphmodel.schema import Clause, Rule, RuleScope, Trigger
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage
from oretrace.queries.content import RARE_EARTHS, ContentShare, _content_table, origin_share
from oretrace.queries.exposure import (
    effective_stage,
    resolve_products,
    supply_graph,
    witness_paths,
)
from pydantic import BaseModel

__all__ = [
    "END_USERS",
    "STAGE_WORDS",
    "RuleVerdict",
    "evaluate",
    "list_rules",
    "rule_status",
]

#: End users :func:`evaluate` knows.
END_USERS: tuple[str, ...] = ("military", "civil")

#: The statute's verbs (10 U.S.C. 4872, DFARS 252.225-7052) as facility stages.
STAGE_WORDS: dict[str, frozenset[str]] = {
    "mined": frozenset({Stage.MINE, Stage.CONCENTRATION}),
    "refined": frozenset({Stage.SEPARATION, Stage.METAL}),
    "separated": frozenset({Stage.SEPARATION}),
    "melted": frozenset({Stage.ALLOY}),
    "produced": frozenset({Stage.ALLOY, Stage.MAGNET}),
}

_SEVERITY: dict[str, int] = {
    Verdict.NOT_APPLICABLE: 0, Verdict.COMPLIANT: 1, Verdict.SUSPENDED: 2,
    Verdict.CASE_BY_CASE: 3, Verdict.LICENCE_REQUIRED: 4, Verdict.NON_COMPLIANT: 5,
    Verdict.DENIED: 6,
}


class RuleVerdict(BaseModel):
    """What one rule says of one product as of a date, and why."""

    rule: str
    instrument: str
    product: str
    as_of: dt.date
    end_user: str
    verdict: Verdict
    clause: str | None
    evidence: str
    figure: float | None
    path: list[str]
    confidence: Confidence
    sources: list[str]


@dataclass
class _Finding:
    """The outcome of one trigger."""

    fired: bool
    evidence: str
    figure: float | None = None
    path: list[str] = field(default_factory=list)
    confidence: Confidence = Confidence.DOCUMENTED
    sources: list[str] = field(default_factory=list)


def _more(n: int) -> str:
    return "" if n <= 0 else f" (and {n} more {'facility' if n == 1 else 'facilities'})"


def _pct(x: float) -> str:
    return f"{x * 100:.3g} %"


def _rule(attrs: dict[str, Any], rid: str | None = None) -> Rule:
    data = {k: v for k, v in attrs.items() if k != "kind"}
    if rid is not None:
        data["id"] = rid
    return Rule.model_validate(data)


def _rules(G: nx.MultiDiGraph, ids: str | Iterable[str] | None) -> list[Rule]:
    known = nodes_of(G, NodeKind.RULE)
    wanted = known if ids is None else [ids] if isinstance(ids, str) else list(ids)
    for rid in wanted:
        if rid not in known:
            raise UnknownNodeError(rid, known, "rule")
    return [_rule(G.nodes[rid], rid) for rid in wanted]


def _suspended(rule: Rule, day: dt.date) -> list[Any]:
    return [s for s in rule.suspensions
            if s.start <= day and (s.end is None or day <= s.end)]


def rule_status(rule: Rule | dict[str, Any], as_of: str | dt.date | None = None) -> str:
    """Return ``not-yet``, ``in-force``, ``suspended``, ``partly-suspended`` or ``ended``.

    Examples
    --------
    >>> import datetime as dt
    >>> r = {"id": "MOFCOM-61-2025", "name": "n", "authority": "MOFCOM", "instrument": "No. 61",
    ...      "effective": dt.date(2025, 12, 1), "clauses": [], "sources": ["s"],
    ...      "confidence": "documented",
    ...      "suspensions": [{"start": dt.date(2025, 11, 7), "end": dt.date(2026, 11, 10)}]}
    >>> [rule_status(r, d) for d in ("2025-11-20", "2025-12-15", "2026-11-10", "2026-11-11")]
    ['not-yet', 'suspended', 'suspended', 'in-force']
    """
    day = parse_date(as_of)
    r = rule if isinstance(rule, Rule) else _rule(rule)
    if day < r.effective:
        return "not-yet"
    if r.until is not None and day >= r.until:
        return "ended"
    active = _suspended(r, day)
    if any(not s.clauses for s in active):
        return "suspended"
    return "partly-suspended" if active else "in-force"


def list_rules(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None,
               min_confidence: str | Confidence | None = None) -> pd.DataFrame:
    """Return one row per rule: instrument, dates, suspension windows, status at ``as_of``.

    Columns: ``rule``, ``instrument``, ``authority``, ``announced``, ``effective``,
    ``until``, ``suspensions`` (``start..end by X``, ends inclusive), ``status``,
    ``elements``, ``clauses``, ``confidence``, ``sources``. With ``min_confidence``, rules
    recorded with a weaker confidence are left out.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> list_rules(G, as_of="2026-11-10")[["rule", "status"]].values.tolist()
    [['NO61', 'suspended'], ['DFARS', 'in-force']]
    """
    day = parse_date(as_of)
    if min_confidence is not None and min_confidence not in CONFIDENCE_ORDER:
        raise QueryError(f"{min_confidence!r} is not a confidence level "
                         f"({', '.join(c.value for c in Confidence)})")
    floor = CONFIDENCE_ORDER[min_confidence] if min_confidence is not None else 0
    rows = []
    for r in _rules(G, None):
        if CONFIDENCE_ORDER[r.confidence] < floor:
            continue
        rows.append({
            "rule": r.id, "instrument": r.instrument, "authority": r.authority,
            "announced": r.announced, "effective": r.effective, "until": r.until,
            "suspensions": [f"{s.start}..{s.end or ''}" + (f" by {s.by}" if s.by else "")
                            + (f" ({', '.join(s.clauses)})" if s.clauses else "")
                            for s in r.suspensions],
            "status": rule_status(r, day), "elements": list(r.scope.elements),
            "clauses": [c.id for c in r.clauses], "confidence": r.confidence,
            "sources": list(r.sources)})
    return pd.DataFrame(rows, columns=["rule", "instrument", "authority", "announced",
                                       "effective", "until", "suspensions", "status",
                                       "elements", "clauses", "confidence", "sources"])


# --------------------------------------------------------------------------- evaluation


class _Case:
    """One product read as of one date, with the shared computations cached."""

    def __init__(self, G: nx.MultiDiGraph, product: str, day: dt.date, end_user: str,
                 destination: str, min_confidence: str | Confidence | None) -> None:
        self.G = G
        self.product = product
        self.day = day
        self.end_user = end_user
        self.destination = destination
        self.min_confidence = min_confidence
        self.V = restrict(G, as_of=day, min_confidence=min_confidence)
        self.H = supply_graph(self.V, targets=[product])
        self.upstream = nx.ancestors(self.H, product)
        self.content = _content_table(self.V)
        self._shares: dict[tuple[Any, ...], ContentShare] = {}
        levels: list[str] = []
        cited: set[str] = set()
        for u, v, d in self.H.edges(data=True):
            if u in self.upstream and (v in self.upstream or v == product):
                levels += [d["confidence"], self.H.nodes[u]["confidence"]]
                cited.update(d["sources"])
                cited.update(self.H.nodes[u]["sources"])
        #: A finding that nothing upstream matches rests on every upstream link.
        self.absence = (weakest(levels), sorted(cited))

    def items(self) -> set[str]:
        """The products in the product's bill of materials, itself included."""
        seen = {self.product}
        stack = [self.product]
        while stack:
            q = stack.pop()
            for _, p, d in self.V.out_edges(q, data=True):
                if (d.get("kind") == EdgeKind.REQUIRES and d.get("substitute_for") is None
                        and p not in seen):
                    seen.add(p)
                    stack.append(p)
        return seen

    def in_scope_item(self, q: str, scope: RuleScope) -> bool:
        if scope.categories and self.V.nodes[q].get("category") not in scope.categories:
            return False
        held = self.content.get(q, {})
        return not scope.elements or any(held.get(e, 0.0) > 0 for e in scope.elements)

    def share(self, origin: str, elements: tuple[str, ...], by: str,
              categories: tuple[str, ...]) -> ContentShare:
        key = (origin, elements, by, categories)
        if key not in self._shares:
            self._shares[key] = origin_share(
                self.G, self.product, origin=origin, element=list(elements) or None, by=by,
                as_of=self.day, min_confidence=self.min_confidence,
                categories=list(categories) or None)
        return self._shares[key]

    def path_through(self, facilities: set[str], then: set[str] | None = None
                     ) -> tuple[list[str], Confidence, list[str]]:
        """The strongest shortest witness path through ``facilities`` (then ``then``)."""
        waypoints = [facilities] if then is None else [facilities, then]
        found = witness_paths(self.H, self.product, waypoints, 1)
        if not found:
            return [], Confidence.ILLUSTRATIVE, []
        path, level = found[0]
        sources = sorted({s for n in path for s in self.H.nodes[n].get("sources", [])}
                         | {s for u, v in zip(path, path[1:], strict=False)
                            for s in self.H.edges[u, v].get("sources", [])})
        return path, level, sources


def _scope(case: _Case, scope: RuleScope) -> tuple[bool, str]:
    if scope.categories or scope.elements:
        hits = sorted(q for q in case.items() if case.in_scope_item(q, scope))
        if not hits:
            what = "/".join(scope.elements) or "rare-earth"
            kinds = f" {'/'.join(scope.categories)}" if scope.categories else " items"
            return False, f"out of scope: {case.product} holds no {what}{kinds}"
    if scope.exporting_countries:
        here = [f for f in case.upstream
                if case.V.nodes[f].get("country") in scope.exporting_countries]
        if not here:
            return False, (f"out of scope: no facility upstream of {case.product} in "
                           f"{'/'.join(scope.exporting_countries)}")
    return True, ""


def _origin_makers(case: _Case, origin: str, elements: tuple[str, ...],
                   categories: tuple[str, ...]) -> set[str]:
    out = set()
    for f in case.upstream:
        attrs = case.V.nodes[f]
        if attrs.get("country") != origin:
            continue
        for q in attrs.get("products", ()):
            if categories and case.V.nodes.get(q, {}).get("category") not in categories:
                continue
            held = case.content.get(q, {})
            if any(held.get(e, 0.0) > 0 for e in (elements or RARE_EARTHS)):
                out.add(f)
    return out


def _stages(rule: Rule, words: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for word in words:
        if word in STAGE_WORDS:
            out |= STAGE_WORDS[word]
        elif word in {s.value for s in Stage}:
            out.add(word)
        else:
            raise QueryError(f"rule {rule.id}: unknown stage {word!r} (use a facility stage "
                             f"or one of {', '.join(STAGE_WORDS)})")
    return frozenset(out)


def _test(case: _Case, rule: Rule, trigger: Trigger) -> _Finding:
    scope = rule.scope
    origin = trigger.origin or "CN"
    elements = trigger.elements or scope.elements
    if trigger.kind == "origin_value_share":
        r = case.share(origin, elements, "value", scope.categories)
        names = "/".join(elements) if elements else "rare-earth"
        if r.value_share is None:
            return _Finding(False, f"no value share: {'; '.join(r.notes)}",
                            confidence=r.confidence, sources=r.sources)
        fired = r.value_share >= trigger.threshold
        sign = "≥" if fired else "<"
        evidence = (f"value share of {origin}-origin {names} items {_pct(r.value_share)} "
                    f"{sign} {_pct(trigger.threshold)} ({r.value_usd:,.2f} $ of "
                    f"{r.unit_price_usd:,.0f} $)")
        path: list[str] = []
        if fired:
            path, _, _ = case.path_through(_origin_makers(case, origin, elements,
                                                          scope.categories))
        return _Finding(fired, evidence, r.value_share, path, r.confidence, r.sources)
    if trigger.kind == "origin_content":
        r = case.share(origin, elements, "mass", ())
        parts, fired = [], False
        for row in r.elements:
            if row.kg_per_unit <= 0:
                continue
            share = row.mass_share if row.mass_share is not None else 0.0
            hit = share > trigger.threshold
            fired |= hit
            parts.append(f"{row.element} {_pct(share)} of {row.kg_per_unit:.4g} kg")
        names = "/".join(elements) if elements else "rare earths"
        if not parts:
            return _Finding(False, f"holds no {names}", confidence=r.confidence)
        evidence = (f"{origin}-origin share by mass: {', '.join(parts)}"
                    f" {'>' if fired else '≤'} {_pct(trigger.threshold)}")
        path = []
        if fired:
            path, _, _ = case.path_through(_origin_makers(case, origin, elements, ()))
        top = max((row.mass_share or 0.0) for row in r.elements)
        return _Finding(fired, evidence, top, path, r.confidence, r.sources)
    if trigger.kind == "origin_technology":
        stages = set(trigger.stages or scope.technology_stages)
        tainted: dict[str, list[tuple[str, str]]] = {}
        for f in case.upstream:
            for _, tech, d in case.V.out_edges(f, data=True):
                t = case.V.nodes[tech]
                if (d.get("kind") == EdgeKind.USES and t.get("origin_country") == origin
                        and (not stages or t.get("stage") in stages)):
                    level = weakest([d.get("confidence", Confidence.DOCUMENTED),
                                     t.get("confidence", Confidence.DOCUMENTED)])
                    tainted.setdefault(f, []).append((tech, level))
        if not tainted:
            where = f" at {'/'.join(sorted(stages))}" if stages else ""
            return _Finding(False, f"no {origin}-origin technology{where} upstream",
                            confidence=case.absence[0], sources=case.absence[1])
        path, level, sources = case.path_through(set(tainted))
        first = next((n for n in path if n in tainted), sorted(tainted)[0])
        techs = sorted(tainted[first])
        evidence = (f"made with {origin}-origin technology {', '.join(t for t, _ in techs)}"
                    f" at {first}" + _more(len(tainted) - 1))
        return _Finding(True, evidence, None, path,
                        weakest([level, *(lv for _, lv in techs)]), sources)
    if trigger.kind == "stage_in_countries":
        covered = _stages(rule, trigger.stages)
        countries = set(trigger.countries)
        hits = {f for f in case.upstream if effective_stage(case.V, f) in covered
                and case.V.nodes[f].get("country") in countries}
        then = None
        if scope.categories or scope.elements:
            then = {f for f in case.upstream
                    if any(case.in_scope_item(q, scope)
                           for q in case.V.nodes[f].get("products", ()) if q in case.V)}
        if not hits:
            return _Finding(False, f"no facility upstream at {'/'.join(sorted(covered))} in "
                                   f"{'/'.join(sorted(countries))}",
                            confidence=case.absence[0], sources=case.absence[1])
        path, level, sources = case.path_through(hits, then)
        if not path:
            return _Finding(False, f"facilities at {'/'.join(sorted(covered))} in "
                                   f"{'/'.join(sorted(countries))} upstream "
                                   f"({', '.join(sorted(hits))}) feed no scope item",
                            confidence=case.absence[0], sources=case.absence[1])
        first = next(n for n in path if n in hits)
        attrs = case.V.nodes[first]
        evidence = (f"{effective_stage(case.V, first)} in {attrs.get('country')} at {first}"
                    + _more(len(hits) - 1))
        return _Finding(True, evidence, None, path, level, sources)
    if trigger.kind == "end_user":
        fired = case.end_user in trigger.end_users and (
            not trigger.countries or case.destination in trigger.countries)
        where = f" in {case.destination}" if trigger.countries else ""
        evidence = (f"end user {case.end_user}{where}" if fired else
                    f"end user {case.end_user} is not {'/'.join(trigger.end_users)}"
                    + (f" in {'/'.join(trigger.countries)}" if trigger.countries else ""))
        return _Finding(fired, evidence)
    raise QueryError(f"rule {rule.id}: unknown trigger kind {trigger.kind!r}")


def _in_force(clause: Clause, rule: Rule, day: dt.date) -> bool:
    start = clause.effective or rule.effective
    return start <= day and (clause.until is None or day < clause.until)


def _evaluate_rule(case: _Case, rule: Rule) -> RuleVerdict:
    day = case.day

    def verdict(v: Verdict, evidence: str, clause: str | None = None,
                finding: _Finding | None = None, extra: Iterable[str] = ()) -> RuleVerdict:
        f = finding or _Finding(False, evidence)
        return RuleVerdict(
            rule=rule.id, instrument=rule.instrument, product=case.product, as_of=day,
            end_user=case.end_user, verdict=v, clause=clause, evidence=evidence,
            figure=f.figure, path=f.path,
            confidence=weakest([rule.confidence, f.confidence]),
            sources=sorted(set(rule.sources) | set(f.sources) | set(extra)))

    if day < rule.effective:
        return verdict(Verdict.NOT_APPLICABLE, f"not yet in force (effective {rule.effective})")
    if rule.until is not None and day >= rule.until:
        return verdict(Verdict.NOT_APPLICABLE, f"no longer in force (ended {rule.until})")
    ok, why = _scope(case, rule.scope)
    if not ok:
        return verdict(Verdict.NOT_APPLICABLE, why)
    clauses = [c for c in rule.clauses if _in_force(c, rule, day)]
    findings = {c.id: _test(case, rule, c.trigger) for c in clauses}
    fired = {cid for cid, f in findings.items() if f.fired}
    changed = True
    while changed:
        changed = False
        for c in clauses:
            if c.id in fired and not all(r in fired for r in c.requires):
                fired.discard(c.id)
                changed = True
    suspensions = _suspended(rule, day)
    whole = [s for s in suspensions if not s.clauses]

    def suspension_of(cid: str) -> Any:
        return next((s for s in suspensions if not s.clauses or cid in s.clauses), None)

    def combined(c: Clause) -> _Finding:
        parts = [findings[c.id]] + [findings[r] for r in c.requires if r in findings]
        path = next((p.path for p in parts if p.path), [])
        figure = next((p.figure for p in parts if p.figure is not None), None)
        return _Finding(True, "; ".join(p.evidence for p in parts), figure, path,
                        weakest([p.confidence for p in parts]),
                        sorted({s for p in parts for s in p.sources}))

    # A clause whose verdict is not-applicable is a condition only (others require it).
    firing = sorted((c for c in clauses if c.id in fired
                     and c.verdict != Verdict.NOT_APPLICABLE),
                    key=lambda c: -_SEVERITY[c.verdict])
    active = [c for c in firing if suspension_of(c.id) is None]
    if active:
        top = active[0]
        found = combined(top)
        return verdict(top.verdict, found.evidence, top.id, found)
    if firing:
        top = firing[0]
        found = combined(top)
        s = suspension_of(top.id)
        window = f"{s.start}..{s.end or ''}" + (f" by {s.by}" if s.by else "")
        return verdict(Verdict.SUSPENDED,
                       f"would be {top.verdict.value} ({found.evidence}); suspended {window}",
                       top.id, found, s.sources)
    quiet = [findings[c.id].evidence for c in clauses if not c.requires] or \
        [f.evidence for f in findings.values()]
    evidence = "no clause fires: " + "; ".join(quiet) if quiet else "no clause in force"
    if whole:
        evidence += f" (rule suspended {whole[0].start}..{whole[0].end or ''})"
    weakest_found = _Finding(False, evidence,
                             confidence=weakest([f.confidence for f in findings.values()]),
                             sources=sorted({s for f in findings.values() for s in f.sources}))
    return verdict(rule.otherwise, evidence, None, weakest_found)


def evaluate(
    G: nx.MultiDiGraph,
    product: str,
    *,
    as_of: str | dt.date | None = None,
    end_user: str = "military",
    destination: str = "US",
    rules: str | Iterable[str] | None = None,
    min_confidence: str | Confidence | None = None,
) -> list[RuleVerdict]:
    """Return what each rule says of ``product`` as of a date (see the module docstring).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph, with its rule nodes (not mutated).
    product : str
        A product id (a platform, a component, a magnet …).
    as_of : date or ISO str, optional
        The date (default today): rule windows, suspensions and the network as of then.
    end_user : {"military", "civil"}
        Who the product is for.
    destination : str
        Where it goes (ISO country), for end-user clauses that name countries.
    rules : str or list of str, optional
        The rule ids to evaluate (default all, in dataset order).
    min_confidence : str, optional
        Drop facilities and links weaker than this level first.

    Returns
    -------
    list of RuleVerdict
        One per rule: ``verdict``, the ``clause`` that fired, ``evidence`` (the figure or
        the path), ``figure``, ``path``, ``confidence`` and ``sources``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> [(v.rule, v.verdict.value) for v in evaluate(G, "missile", as_of="2025-12-15")]
    [('NO61', 'suspended'), ('DFARS', 'compliant')]
    >>> [(v.rule, v.verdict.value) for v in evaluate(G, "missile", as_of="2026-12-15")]
    [('NO61', 'denied'), ('DFARS', 'compliant')]
    """
    if end_user not in END_USERS:
        raise QueryError(f"end user must be one of {', '.join(END_USERS)}, not {end_user!r}")
    day = parse_date(as_of)
    (target,) = resolve_products(G, [product])
    chosen = _rules(G, rules)
    case = _Case(G, target, day, end_user, destination, min_confidence)
    return [_evaluate_rule(case, rule) for rule in chosen]
