"""Procurement verdicts on a delivered platform and technology flags on its supply
(:mod:`oretrace.queries.compliance`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Unpack

import networkx as nx
from oretrace.graphmodel import (
    Confidence,
    Verdict,
    weakest,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.graphmodel.rules import (
    STAGE_WORDS,
    Rule,
    clause_applies,
    rule_kinds,
    rule_time,
)
from oretrace.queries._shipments_context import _Context
from oretrace.queries._shipments_rules import (
    RuleOptions,
    _check,
    _context,
    _rules,
)
from oretrace.queries.exposure import effective_stage, resolve_products, witness_paths
from pydantic import BaseModel

__all__ = [
    "ProcurementVerdict",
    "TechnologyFlag",
    "procurement_verdicts",
    "technology_flags",
]


class ProcurementVerdict(BaseModel):
    """What a procurement rule says of the delivered platform."""

    rule: str
    instrument: str
    platform: str
    verdict: Verdict
    clause: str | None
    waiver: str | None
    exception: str | None
    evidence: str
    path: list[str]
    status: str
    confidence: Confidence
    sources: list[str]


class TechnologyFlag(BaseModel):
    """A facility outside a technology rule's origin country running its know-how."""

    facility: str
    country: str | None
    technology: str
    rule: str
    instrument: str
    clause: str
    verdict: Verdict
    status: str
    confidence: Confidence
    sources: list[str]


# --------------------------------------------------------------------------- procurement


def _covered_stages(words: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for word in words:
        out |= STAGE_WORDS.get(word, frozenset({word}))
    return frozenset(out)


def _procurement(ctx: _Context, rule: Rule, platform: str, assume: str
                 ) -> ProcurementVerdict | None:
    day = ctx.day
    time = rule_time(rule, day, assume=assume)  # type: ignore[arg-type]

    def answer(verdict: Verdict, evidence: str, *, clause: str | None = None,
               path: list[str] | None = None, level: Confidence = Confidence.DOCUMENTED,
               cited: Iterable[str] = (), waiver: str | None = None,
               exception: str | None = None) -> ProcurementVerdict:
        return ProcurementVerdict(
            rule=rule.id, instrument=rule.instrument, platform=platform, verdict=verdict,
            clause=clause, waiver=waiver, exception=exception, evidence=evidence,
            path=path or [], status=time.status,
            confidence=weakest([rule.confidence, time.confidence, level]),
            sources=sorted(set(rule.sources) | set(time.sources) | set(cited)))

    if time.status in ("not-yet", "ended"):
        return answer(Verdict.NOT_APPLICABLE, time.reason)
    delivered = set(ctx.V.nodes[platform].get("delivered_to") or ())
    wanted = set(rule.scope.delivered_to)
    if wanted and delivered and not delivered & wanted:
        return answer(Verdict.NOT_APPLICABLE, f"{platform} is delivered to "
                      f"{'/'.join(sorted(delivered))}, not {'/'.join(sorted(wanted))}")
    upstream = ctx.upstream(platform) - {platform}

    def scope_item(q: str) -> bool:
        node = ctx.V.nodes.get(q, {})
        if rule.scope.categories and node.get("category") not in rule.scope.categories:
            return False
        return not rule.scope.elements or bool(ctx.holds(q, rule.scope.elements))

    makers = {f for f in upstream
              if any(scope_item(q) for q in ctx.V.nodes[f].get("products", ()) if q in ctx.V)}
    by_id = {c.id: c for c in rule.clauses}
    for clause in rule.clauses:
        if not clause_applies(rule, clause, day, assume, by_id).applies:  # type: ignore[arg-type]
            continue
        covered = _covered_stages(clause.trigger.stages)
        countries = set(clause.trigger.countries)
        hits = {f for f in upstream if effective_stage(ctx.V, f) in covered
                and ctx.country(f) in countries}
        found = witness_paths(ctx.H, platform, [hits, makers], 1) if hits and makers else []
        if not found:
            continue
        path, level = found[0]
        first = next(n for n in path if n in hits)
        cited = sorted({s for n in path for s in ctx.H.nodes[n].get("sources", [])}
                       | {s for u, v in zip(path, path[1:], strict=False)
                          for s in ctx.H.edges[u, v].get("sources", [])})
        more = len(hits) - 1
        evidence = (f"{effective_stage(ctx.V, first)} in {ctx.country(first)} at {first}"
                    + (f" (and {more} more)" if more > 0 else ""))
        items = {q for u, v in zip(path, path[1:], strict=False)
                 for q in ctx.H.edges[u, v].get("products", [])}
        for w in rule.waivers:
            if w.end_item == platform and (w.start is None or w.start <= day) \
                    and day <= w.through:
                return answer(Verdict.WAIVED,
                              f"{evidence}; waived by {w.id}"
                              + (f" ({w.by}" + (f", {w.granted}" if w.granted else "") + ")"
                                 if w.by else "")
                              + f", covering deliveries through {w.through}",
                              clause=clause.id, path=path, level=weakest([level, w.confidence]),
                              cited=[*cited, *w.sources], waiver=w.id)
        for e in rule.exceptions:
            if items & set(e.products):
                return answer(Verdict.COMPLIANT, f"{evidence}; excepted: {e.id}",
                              clause=clause.id, path=path, level=level,
                              cited=[*cited, *e.sources], exception=e.id)
        return answer(Verdict.NON_COMPLIANT, evidence, clause=clause.id, path=path,
                      level=level, cited=cited)
    level, cited = ctx.weakest_upstream(platform)
    return answer(Verdict.COMPLIANT, "no covered stage in a covered country feeds a scope "
                  "item upstream", level=level, cited=cited)


def _reading(G: nx.MultiDiGraph, platform: str, reading: RuleOptions
             ) -> tuple[str, str, _Context]:
    """The checked assumption, the resolved platform and the reading of its supply."""
    how = _check(reading["assume"])
    (target,) = resolve_products(G, [platform])
    return how, target, _context(G, [target], reading["as_of"], reading["min_confidence"])


@shared_docs
@unpacked_keywords
def procurement_verdicts(G: nx.MultiDiGraph, platform: str, **reading: Unpack[RuleOptions]
                         ) -> list[ProcurementVerdict]:
    """Return the verdict of each procurement rule on the delivered ``platform``.

    The module docstring says when a procurement rule reads the platform and when a clause
    fires.

    Parameters
    ----------
    %(platform_rule_reading)s

    Returns
    -------
    list of ProcurementVerdict
        One per procurement rule that reads the platform: ``compliant``, ``non-compliant``
        or ``waived``, with the clause that fired, the waiver or exception that applies, the
        evidence and witness ``path``, the rule's status, confidence and sources.

    Raises
    ------
    UnknownNodeError, QueryError
        As :func:`check_compliance` does; also for a rule id in ``rules`` naming no rule.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> [(v.rule, v.verdict.value) for v in procurement_verdicts(G, "missile",
    ...                                                          as_of="2027-06-01")]
    [('DFARS', 'non-compliant')]
    """
    how, target, ctx = _reading(G, platform, reading)
    out = []
    for rule in _rules(G, reading["rules"]):
        if "procurement" in rule_kinds(rule):
            row = _procurement(ctx, rule, target, how)
            if row is not None:
                out.append(row)
    return out


def _flags(ctx: _Context, rule: Rule, platform: str, assume: str) -> list[TechnologyFlag]:
    out = []
    by_id = {c.id: c for c in rule.clauses}
    for clause in rule.clauses:
        if clause.kind != "technology":
            continue
        time = clause_applies(rule, clause, ctx.day, assume, by_id)  # type: ignore[arg-type]
        if time.status in ("not-yet", "ended"):
            continue
        status = ("assumed-" if time.assumed else "") + (
            "in-force" if time.applies else "suspended")
        for f, tech, level, cited in ctx.technology(ctx.upstream(platform) - {platform},
                                                    clause.trigger.origin,
                                                    clause.trigger.stages):
            out.append(TechnologyFlag(
                facility=f, country=ctx.country(f), technology=tech, rule=rule.id,
                instrument=rule.instrument, clause=clause.id, verdict=clause.verdict,
                status=status, confidence=weakest([rule.confidence, time.confidence, level]),
                sources=sorted(set(rule.sources) | set(time.sources) | set(cited))))
    return out


@shared_docs
@unpacked_keywords
def technology_flags(G: nx.MultiDiGraph, platform: str, **reading: Unpack[RuleOptions]
                     ) -> list[TechnologyFlag]:
    """Return the facilities on ``platform``'s supply that a technology rule flags.

    The flag is on the facility (its know-how, equipment and support need a licence to keep),
    never a verdict on the platform (DESIGN §3b).

    Parameters
    ----------
    %(platform_rule_reading)s

    Returns
    -------
    list of TechnologyFlag
        One per facility, technology and rule: the facility and its country, the technology,
        the rule and clause, the clause's verdict and status, confidence and sources. Empty
        when no facility on the supply runs a flagged technology.

    Raises
    ------
    UnknownNodeError, QueryError
        When the platform or a rule is unknown, or an option is not one of its values.

    Examples
    --------
    Were Lynas's Malaysian separator, on the F-35's supply, to run Chinese solvent
    extraction, No. 62 [2025] would flag it (suspended until 2026-11-10, then in force by the
    default assumption) and so would the 2023 technology catalogue:

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset().copy()
    >>> _ = G.add_edge("lynas-malaysia", "cn-solvent-extraction", key="uses", kind="uses")
    >>> [(f.facility, f.rule, f.status) for f in technology_flags(G, "F-35", as_of="2026-12-15")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('lynas-malaysia', 'MOFCOM-62-2025', 'assumed-in-force'),
     ('lynas-malaysia', 'MOFCOM-MOST-TECH-CATALOGUE-2023', 'in-force')]
    """
    how, target, ctx = _reading(G, platform, reading)
    return [f for rule in _rules(G, reading["rules"]) for f in _flags(ctx, rule, target, how)]
