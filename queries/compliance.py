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
from typing import Unpack

import networkx as nx
from oretrace.graphmodel import (
    Confidence,
    Verdict,
    parse_date,
    weakest,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.graphmodel.rules import rule_kinds, rule_time
from oretrace.queries._compliance_procurement import (
    ProcurementVerdict,
    TechnologyFlag,
    _flags,
    _procurement,
    procurement_verdicts,
    technology_flags,
)
from oretrace.queries._compliance_rules import list_rules, rule_status
from oretrace.queries._shipments_models import ShipmentVerdict
from oretrace.queries._shipments_rules import (
    ShipmentOptions,
    _check,
    _context,
    _rules,
    _shipment_rows,
)
from oretrace.queries.exposure import resolve_products
from oretrace.queries.feasibility import supplied_mask, supply_network
from oretrace.queries.shipments import shipment_verdicts
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

#: End users a platform may have (the report reads its verdicts for one); a shipment's end
#: use may also be read as a listed party's (:data:`oretrace.graphmodel.rules.END_USERS`).
END_USERS: tuple[str, ...] = ("military", "civil")


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
        When ``platform`` names no such node; the message lists close matches.
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
@unpacked_keywords
def evaluate(
    G: nx.MultiDiGraph, product: str, **reading: Unpack[ShipmentOptions],
) -> list[RuleVerdict]:
    """Return one row per rule for ``product`` as of a date (see the module docstring).

    Parameters
    ----------
    %(G)s
    %(product)s
    %(shipment_options)s

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
    how = _check(reading["assume"])
    day = parse_date(reading["as_of"])
    (target,) = resolve_products(G, [product])
    chosen = _rules(G, reading["rules"])
    ctx = _context(G, [target], day, reading["min_confidence"], reading["end_user"],
                   reading["destination"])
    rows = _shipment_rows(ctx, chosen, how)  # on the same reading of the supply
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
