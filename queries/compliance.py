"""Compliance: what the rules say of a platform's supply as of a date (DESIGN §3b).

Export controls license *shipments*, not platforms (:mod:`oretrace.queries.shipments`). A
platform's answer, :func:`check_compliance`, is:

(a) every shipment on its needed supply that needs a licence or would be denied, with rule,
    clause, evidence, status, confidence and sources;
(b) whether the platform is still supplied if every denied shipment stops
    (``supplied_if_denied_stop``), and if every licensed shipment stops too
    (``supplied_if_licences_refused``) — the AND/OR feasibility of DESIGN §3 with those links
    cut (a shipment through a market cuts its supplier's link into the market) — with the
    facilities that lose supply;
(c) the procurement verdicts of the delivered platform (:func:`procurement_verdicts`):
    ``compliant``, ``non-compliant`` or ``waived``, with the waiver or exception named;
(d) the technology flags (:func:`technology_flags`): facilities *outside* a technology
    rule's origin country, on the supply, running its know-how — a flag, never a verdict on
    a product.

**Procurement.** A procurement rule reads the platform when it is delivered to one of the
rule's ``scope.delivered_to`` countries (a platform with no recorded ``delivered_to`` is
read as delivered). A clause fires when a facility at one of its stages (facility stages,
or the statute's words, :data:`oretrace.graphmodel.rules.STAGE_WORDS`; a market counts as the stage
of what it pools) in one of its countries feeds a scope item (a magnet holding Nd or Sm) on
the platform's needed supply. A firing rule is ``waived`` when a waiver for the platform
covers the date (``start`` .. ``through``, inclusive), ``compliant`` with the exception
named when an exception lists a product on the witness path, else ``non-compliant``.
"Nothing upstream matches" rests on every upstream link, so ``compliant`` carries their
weakest confidence.

:func:`evaluate` keeps one row per rule for a product: the procurement verdict, or for a
rule that licenses shipments a summary (``shipments-denied``, ``shipments-licensed``,
``suspended``, ``not-applicable``) and for a technology rule ``facilities-flagged`` — never
``denied`` or ``licence-required`` on the platform itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import networkx as nx
import pandas as pd
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    QueryError,
    Verdict,
    parse_date,
    weakest,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.rules import (
    STAGE_WORDS,
    Rule,
    clause_applies,
    known_until,
    rule_kinds,
    rule_time,
    suspensions,
)
from oretrace.queries.exposure import effective_stage, resolve_products, witness_paths
from oretrace.queries.feasibility import supplied_mask, supply_network
from oretrace.queries.shipments import (
    ShipmentVerdict,
    _check,
    _Context,
    _context,
    _rules,
    shipment_verdicts,
)
from pydantic import BaseModel

__all__ = [
    "END_USERS",
    "Compliance",
    "ProcurementVerdict",
    "RuleVerdict",
    "TechnologyFlag",
    "check_compliance",
    "evaluate",
    "list_rules",
    "procurement_verdicts",
    "rule_status",
    "technology_flags",
]

#: End users a platform may have (and :func:`evaluate` may be asked to read).
END_USERS: tuple[str, ...] = ("military", "civil")


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


class Compliance(BaseModel):
    """A platform's compliance answer as of a date (module docstring)."""

    platform: str
    as_of: dt.date
    assume: str
    shipments: list[ShipmentVerdict]
    by_verdict: dict[str, int]
    supplied: bool
    supplied_if_denied_stop: bool
    supplied_if_licences_refused: bool
    lose_supply_if_denied_stop: list[str]
    lose_supply_if_licences_refused: list[str]
    procurement: list[ProcurementVerdict]
    technology_flags: list[TechnologyFlag]


class RuleVerdict(BaseModel):
    """One rule's reading of one product as of a date (:func:`evaluate`)."""

    rule: str
    instrument: str
    product: str
    as_of: dt.date
    verdict: Verdict
    clause: str | None
    evidence: str
    path: list[str]
    status: str
    confidence: Confidence
    sources: list[str]


# --------------------------------------------------------------------------- rule status


@shared_docs
def rule_status(rule: Rule | dict[str, Any], as_of: str | dt.date | None = None, *,
                assume: str = "lapsed") -> str:
    """Return the rule's status as of a date (``in-force``, ``suspended`` …).

    Parameters
    ----------
    rule : Rule or dict
        The rule, as a :class:`oretrace.graphmodel.rules.Rule` or as its node's attributes.
    as_of : date or ISO str, optional
        The date asked about (default today).
    %(assume)s

    Returns
    -------
    str
        ``not-yet``, ``in-force``, ``suspended``, ``partly-suspended`` (some clauses
        suspended) or ``ended``; after the rule's ``known_until`` the status is assumed and
        says so (``assumed-in-force``, ``assumed-suspended``,
        ``assumed-partly-suspended``).

    Raises
    ------
    QueryError
        When ``as_of`` is not a date or ``assume`` not an assumption.

    Examples
    --------
    >>> r = {"id": "NO61", "name": "n", "authority": "MOFCOM", "instrument": "No. 61",
    ...      "effective": "2025-12-01", "sources": ["s"], "confidence": "documented",
    ...      "clauses": [{"id": "v", "kind": "extraterritorial", "text": "t",
    ...                   "verdict": "licence-required",
    ...                   "trigger": {"kind": "origin_value_share", "threshold": 0.001}}],
    ...      "status": [{"event": "suspended", "date": "2025-11-07", "until": "2026-11-10",
    ...                  "sources": ["s"], "confidence": "reported"}]}
    >>> [rule_status(r, d) for d in ("2025-11-20", "2025-12-15", "2026-11-10", "2026-11-11")]
    ['not-yet', 'suspended', 'suspended', 'assumed-in-force']
    """
    r = rule if isinstance(rule, Rule) else Rule.model_validate(
        {k: v for k, v in rule.items() if k != "kind"})
    return rule_time(r, as_of, assume=_check(assume)).status


@shared_docs
def list_rules(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None,
               assume: str = "lapsed",
               min_confidence: str | Confidence | None = None) -> pd.DataFrame:
    """Return one row per rule: kinds, dates, suspensions, status at ``as_of``.

    Parameters
    ----------
    %(G)s
    %(as_of_rules)s
    %(assume)s
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Leave out rules weaker than this level (default: keep all).

    Returns
    -------
    pandas.DataFrame
        One row per rule with columns ``rule``, ``instrument``, ``authority``, ``kinds``,
        ``announced``, ``effective``, ``until``, ``suspensions`` (``start..end by X``, ends
        inclusive), ``known_until``, ``status`` (``assumed-…`` after ``known_until``),
        ``assumption`` (the assumption the status rests on, else empty), ``elements``,
        ``clauses``, ``waivers``, ``confidence`` (the rule's, at most ``estimated`` when its
        status is assumed) and ``sources``.

    Raises
    ------
    QueryError
        When ``as_of``, ``assume`` or ``min_confidence`` is not one of its values.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> list_rules(G, as_of="2026-11-10")[["rule", "status"]].values.tolist()
    [['NO61', 'suspended'], ['DFARS', 'in-force']]
    """
    day = parse_date(as_of)
    how = _check(assume)
    if min_confidence is not None and min_confidence not in CONFIDENCE_ORDER:
        raise QueryError(f"{min_confidence!r} is not a confidence level "
                         f"({', '.join(c.value for c in Confidence)})")
    floor = CONFIDENCE_ORDER[min_confidence] if min_confidence is not None else 0
    columns = ["rule", "instrument", "authority", "kinds", "announced", "effective", "until",
               "suspensions", "known_until", "status", "assumption", "elements", "clauses",
               "waivers", "confidence", "sources"]
    rows = []
    for r in _rules(G, None):
        if CONFIDENCE_ORDER[r.confidence] < floor:
            continue
        time = rule_time(r, day, assume=how)
        rows.append({
            "rule": r.id, "instrument": r.instrument, "authority": r.authority,
            "kinds": sorted(rule_kinds(r)), "announced": r.announced,
            "effective": r.effective, "until": r.until,
            "suspensions": [str(s) for s in suspensions(r)], "known_until": known_until(r),
            "status": time.status, "assumption": time.assumption,
            "elements": list(r.scope.elements), "clauses": [c.id for c in r.clauses],
            "waivers": [w.id for w in r.waivers], "confidence": time.confidence,
            "sources": list(r.sources)})
    return pd.DataFrame(rows, columns=columns)


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


def _reading(G: nx.MultiDiGraph, platform: str, as_of: str | dt.date | None, assume: str,
             min_confidence: str | Confidence | None) -> tuple[str, str, _Context]:
    """The checked assumption, the resolved platform and the reading of its supply."""
    how = _check(assume)
    (target,) = resolve_products(G, [platform])
    return how, target, _context(G, [target], as_of, min_confidence)


@shared_docs
def procurement_verdicts(G: nx.MultiDiGraph, platform: str, *,
                         as_of: str | dt.date | None = None, assume: str = "lapsed",
                         rules: str | Iterable[str] | None = None,
                         min_confidence: str | Confidence | None = None
                         ) -> list[ProcurementVerdict]:
    """Return the verdict of each procurement rule on the delivered ``platform``.

    The module docstring says when a procurement rule reads the platform and when a clause
    fires.

    Parameters
    ----------
    %(G)s
    %(platform)s
    %(rule_options)s

    Returns
    -------
    list of ProcurementVerdict
        One per procurement rule that reads the platform: ``compliant``, ``non-compliant``
        or ``waived``, with the clause that fired, the waiver or exception that applies, the
        evidence and witness ``path``, the rule's status, confidence and sources.

    Raises
    ------
    UnknownNodeError, QueryError
        As :func:`check_compliance` does.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> [(v.rule, v.verdict.value) for v in procurement_verdicts(G, "missile",
    ...                                                          as_of="2027-06-01")]
    [('DFARS', 'non-compliant')]
    """
    how, target, ctx = _reading(G, platform, as_of, assume, min_confidence)
    out = []
    for rule in _rules(G, rules):
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
def technology_flags(G: nx.MultiDiGraph, platform: str, *,
                     as_of: str | dt.date | None = None, assume: str = "lapsed",
                     rules: str | Iterable[str] | None = None,
                     min_confidence: str | Confidence | None = None) -> list[TechnologyFlag]:
    """Return the facilities on ``platform``'s supply that a technology rule flags.

    The flag is on the facility (its know-how, equipment and support need a licence to keep),
    never a verdict on the platform (DESIGN §3b).

    Parameters
    ----------
    %(G)s
    %(platform)s
    %(rule_options)s

    Returns
    -------
    list of TechnologyFlag
        One per facility, technology and rule: the facility and its country, the technology,
        the rule and clause, the clause's verdict and status, confidence and sources. Empty
        when no facility on the supply runs a flagged technology.

    Raises
    ------
    UnknownNodeError, QueryError
        As :func:`check_compliance` does.

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
    how, target, ctx = _reading(G, platform, as_of, assume, min_confidence)
    return [f for rule in _rules(G, rules) for f in _flags(ctx, rule, target, how)]


# --------------------------------------------------------------------------- the answer


def _cut(G: nx.MultiDiGraph, platform: str, day: dt.date, links: set[tuple[str, str, str]]
         ) -> tuple[bool, list[bool]]:
    net = supply_network(G, as_of=day, denied=links)
    ok = supplied_mask(net)
    return any(ok[i] for i in net.assemblies.get(platform, ())), ok


@shared_docs
def check_compliance(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    as_of: str | dt.date | None = None,
    assume: str = "lapsed",
    min_confidence: str | Confidence | None = None,
) -> Compliance:
    """Return the compliance answer of ``platform`` as of a date (module docstring).

    Parameters
    ----------
    %(G)s
    %(platform)s
    %(as_of_rules)s
    %(assume)s
    %(min_confidence)s

    Returns
    -------
    Compliance
        ``shipments`` (every shipment on the needed supply that a rule licenses or denies,
        with rule, clause, evidence, status, confidence and sources) and their count
        ``by_verdict``; ``supplied``, ``supplied_if_denied_stop`` and
        ``supplied_if_licences_refused`` with the facilities that lose supply in each case;
        the ``procurement`` verdicts and the ``technology_flags``.

    Raises
    ------
    UnknownNodeError
        When ``platform`` or a rule id names no such node; the message lists close matches.
    QueryError
        When ``as_of``, ``assume`` or ``min_confidence`` is not one of its values.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> c = check_compliance(G, "missile", as_of="2026-12-15")
    >>> c.by_verdict, c.supplied_if_denied_stop, c.lose_supply_if_denied_stop
    ({'denied': 1}, False, ['us-asm', 'us-comp'])
    """
    how = _check(assume)
    day = parse_date(as_of)
    (target,) = resolve_products(G, [platform])
    rows = shipment_verdicts(G, target, as_of=day, assume=how, min_confidence=min_confidence)
    ctx = _context(G, [target], day, min_confidence)
    chosen = _rules(G, None)
    live = [r for r in rows if r.applies]
    denied = {r.link for r in live if r.verdict == Verdict.DENIED}
    licensed = {r.link for r in live}
    supplied, base = _cut(G, target, day, set())
    net = supply_network(G, as_of=day)
    upstream = ctx.upstream(target) - {target}

    def lost(ok: list[bool]) -> list[str]:
        return sorted(f for f in upstream if f in net.index
                      and base[net.index[f]] and not ok[net.index[f]])

    if_denied, ok_denied = _cut(G, target, day, denied)
    if_refused, ok_refused = _cut(G, target, day, licensed)
    counts: dict[str, int] = {}
    for r in live:
        counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
    return Compliance(
        platform=target, as_of=day, assume=how, shipments=rows, by_verdict=counts,
        supplied=supplied, supplied_if_denied_stop=if_denied,
        supplied_if_licences_refused=if_refused,
        lose_supply_if_denied_stop=lost(ok_denied),
        lose_supply_if_licences_refused=lost(ok_refused),
        procurement=[p for r in chosen if "procurement" in rule_kinds(r)
                     if (p := _procurement(ctx, r, target, how)) is not None],
        technology_flags=[f for r in chosen for f in _flags(ctx, r, target, how)])


@shared_docs
def evaluate(
    G: nx.MultiDiGraph,
    product: str,
    *,
    as_of: str | dt.date | None = None,
    end_user: str | None = None,
    destination: str | None = None,
    rules: str | Iterable[str] | None = None,
    min_confidence: str | Confidence | None = None,
    assume: str = "lapsed",
) -> list[RuleVerdict]:
    """Return one row per rule for ``product`` as of a date (see the module docstring).

    Parameters
    ----------
    %(G)s
    %(product)s
    %(as_of_rules)s
    %(end_user)s
    destination : str, optional
        Read the product as delivered to this ISO country code (default: the platforms' own
        ``delivered_to``).
    %(rules)s
        Rules of another kind give nothing here.
    %(min_confidence)s
    %(assume)s

    Returns
    -------
    list of RuleVerdict
        One per rule, in the graph's order: the procurement verdict (``compliant``,
        ``non-compliant``, ``waived``), or for a rule that licenses shipments a summary
        (``shipments-denied``, ``shipments-licensed``, ``suspended``, ``not-applicable``), or
        ``facilities-flagged`` for a technology rule; with the clause, evidence, path,
        status, confidence and sources.

    Raises
    ------
    UnknownNodeError
        When ``product`` or a rule id names no such node; the message lists close matches.
    QueryError
        When ``as_of``, ``end_user``, ``assume`` or ``min_confidence`` is not one of its
        values.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> [(v.rule, v.verdict.value) for v in evaluate(G, "missile", as_of="2025-12-15")]
    [('NO61', 'suspended'), ('DFARS', 'compliant')]
    >>> [(v.rule, v.verdict.value) for v in evaluate(G, "missile", as_of="2026-12-15")]
    [('NO61', 'shipments-denied'), ('DFARS', 'compliant')]
    """
    if end_user is not None and end_user not in END_USERS:
        raise QueryError(f"end user must be one of {', '.join(END_USERS)}, not {end_user!r}")
    how = _check(assume)
    day = parse_date(as_of)
    (target,) = resolve_products(G, [product])
    chosen = _rules(G, rules)
    ctx = _context(G, [target], day, min_confidence, end_user, destination)
    rows = shipment_verdicts(G, target, as_of=day, assume=how, rules=[r.id for r in chosen],
                             min_confidence=min_confidence, end_user=end_user,
                             destination=destination)
    out = []
    for rule in chosen:
        time = rule_time(rule, day, assume=how)
        if "procurement" in rule_kinds(rule):
            p = _procurement(ctx, rule, target, how)
            assert p is not None
            out.append(RuleVerdict(rule=rule.id, instrument=rule.instrument, product=target,
                                   as_of=day, verdict=p.verdict, clause=p.clause,
                                   evidence=p.evidence, path=p.path, status=p.status,
                                   confidence=p.confidence, sources=p.sources))
            continue
        mine = [r for r in rows if r.rule == rule.id]
        flags = _flags(ctx, rule, target, how)
        live = [r for r in mine if r.applies]
        if live:
            worst = max(live, key=lambda r: r.verdict == Verdict.DENIED)
            verdict = (Verdict.SHIPMENTS_DENIED if worst.verdict == Verdict.DENIED
                       else Verdict.SHIPMENTS_LICENSED)
            chosen_rows = live
        elif any(f.status.endswith("in-force") for f in flags):
            verdict, chosen_rows, worst = Verdict.FACILITIES_FLAGGED, [], None
        elif mine or flags:
            verdict, chosen_rows, worst = Verdict.SUSPENDED, mine, mine[0] if mine else None
        else:
            verdict, chosen_rows, worst = Verdict.NOT_APPLICABLE, [], None
        counts: dict[str, int] = {}
        for r in chosen_rows:
            counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
        if chosen_rows:
            evidence = (f"licenses shipments, not {target}: "
                        + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
                        + f" ({worst.supplier} → {worst.buyer}: {worst.evidence})"
                        if worst else "")
        elif flags:
            evidence = (f"flags {len(flags)} facilities ({flags[0].facility} runs "
                        f"{flags[0].technology}), not {target}")
        else:
            evidence = (time.reason if time.status in ("not-yet", "ended")
                        else "no shipment on the supply is in scope")
        levels = [r.confidence for r in chosen_rows] + [f.confidence for f in flags]
        out.append(RuleVerdict(
            rule=rule.id, instrument=rule.instrument, product=target, as_of=day,
            verdict=verdict, clause=worst.clause if worst else None, evidence=evidence,
            path=[worst.supplier, worst.buyer] if worst else [], status=time.status,
            confidence=weakest([rule.confidence, time.confidence, *levels]),
            sources=sorted(set(rule.sources) | {s for r in chosen_rows for s in r.sources})))
    return out

