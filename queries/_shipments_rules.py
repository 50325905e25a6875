"""The rules read on each shipment: their clauses' times and the verdict of each rule
(:mod:`oretrace.queries.shipments`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, TypedDict

import networkx as nx
from oretrace.graphmodel import (
    Confidence,
    QueryError,
    UnknownNodeError,
    nodes_of,
    parse_date,
    weakest,
)
from oretrace.graphmodel._keywords import Default
from oretrace.graphmodel.rules import (
    ASSUMPTIONS,
    END_USERS,
    Assumption,
    Rule,
    RuleTime,
    clause_applies,
    rule_from_node,
)
from oretrace.graphmodel.vocab import COUNTRIES, NodeKind, Verdict
from oretrace.queries._shipments_context import _Context
from oretrace.queries._shipments_models import Shipment, ShipmentVerdict, _Finding

__all__ = ["RuleOptions", "ShipmentOptions"]


class RuleOptions(TypedDict, total=False):
    """How the rules are read, as keywords with their defaults (today, a lapsed suspension
    applies again, every rule, every confidence): the compliance queries take them as
    ``**reading`` (:mod:`oretrace.graphmodel._keywords`); documented once as the
    ``rule_options`` bundle of :mod:`oretrace.graphmodel._docs`."""

    as_of: Annotated[str | dt.date | None, Default(None)]
    assume: Annotated[str, Default("lapsed")]
    rules: Annotated[str | Iterable[str] | None, Default(None)]
    min_confidence: Annotated[str | Confidence | None, Default(None)]


class ShipmentOptions(RuleOptions, total=False):
    """:class:`RuleOptions`, and the end use and destination every shipment is read with
    (default the platforms' own); documented once as the ``shipment_options`` bundle."""

    end_user: Annotated[str | None, Default(None)]
    destination: Annotated[str | None, Default(None)]


_SEVERITY: dict[str, int] = {Verdict.CASE_BY_CASE: 1, Verdict.LICENCE_REQUIRED: 2,
                             Verdict.DENIED: 3}


def _rules(G: nx.MultiDiGraph, ids: str | Iterable[str] | None) -> list[Rule]:
    known = nodes_of(G, NodeKind.RULE)
    wanted = known if ids is None else [ids] if isinstance(ids, str) else list(ids)
    for rid in wanted:
        if rid not in known:
            raise UnknownNodeError(rid, known, "rule")
    return [rule_from_node(G.nodes[rid], rid) for rid in wanted]


def _status(time: RuleTime) -> str:
    word = "in-force" if time.applies else "suspended"
    return f"assumed-{word}" if time.assumed else word


def _times(rule: Rule, day: dt.date, assume: Assumption) -> dict[str, RuleTime]:
    by_id = {c.id: c for c in rule.clauses}
    return {c.id: clause_applies(rule, c, day, assume, by_id) for c in rule.clauses}


def _shipment_rows(ctx: _Context, chosen: list[Rule], how: Assumption
                   ) -> list[ShipmentVerdict]:
    """Every shipment of ``ctx`` read against each chosen rule: the rows that bite."""
    times = {rule.id: _times(rule, ctx.day, how) for rule in chosen}
    return [row for s in ctx.shipments() for rule in chosen
            if (row := _verdicts_on(ctx, rule, s, times[rule.id])) is not None]


def _verdicts_on(ctx: _Context, rule: Rule, s: Shipment, times: dict[str, RuleTime]
                 ) -> ShipmentVerdict | None:
    by_id = {c.id: c for c in rule.clauses}
    live = {cid for cid, t in times.items() if t.status not in ("not-yet", "ended")}
    found: dict[str, _Finding] = {}
    for c in rule.clauses:
        if c.id in live and c.kind in ("export", "extraterritorial"):
            finding = ctx.test(rule, c, s)
            if finding is not None:
                found[c.id] = finding
    for c in rule.clauses:
        if c.id in live and c.kind == "end-user" and all(r in found for r in c.requires):
            use = ctx.end_use(c, s)
            if use is not None:
                parts = [found[r] for r in c.requires]
                tests = [p for p in parts if p.test is not None]
                if "undecided" in use:  # a listed buyer by an undecided 50 % test
                    tests.append(_Finding("", test="undecided"))
                found[c.id] = _Finding(
                    f"end use {use}; " + "; ".join(p.evidence for p in parts),
                    next((p.value_share for p in parts if p.value_share is not None), None),
                    weakest([p.confidence for p in parts]),
                    sorted({x for p in parts for x in p.sources}), use,
                    next((p.test for p in tests if p.test == "undecided"),
                         tests[0].test if tests else None),
                    tests[0].bounds if tests else None)
    biting = [by_id[cid] for cid in found if by_id[cid].verdict in _SEVERITY]
    if not biting:
        return None
    applying = [c for c in biting if times[c.id].applies]
    top = max(applying or biting, key=lambda c: _SEVERITY[c.verdict])
    finding, time = found[top.id], times[top.id]
    return ShipmentVerdict(
        supplier=s.supplier, buyer=s.buyer, product=s.product, from_country=s.from_country,
        to_country=s.to_country, via=s.via, rule=rule.id, instrument=rule.instrument,
        clause=top.id, kind=top.kind, verdict=top.verdict,
        end_use=finding.end_use or ", ".join(s.end_uses), evidence=finding.evidence,
        value_share=finding.value_share, status=_status(time), applies=time.applies,
        threshold_test=finding.test,
        value_share_low=None if finding.bounds is None else finding.bounds[0],
        value_share_high=None if finding.bounds is None else finding.bounds[1],
        confidence=weakest([rule.confidence, time.confidence, finding.confidence,
                            s.confidence]),
        sources=sorted(set(rule.sources) | set(time.sources) | set(finding.sources)
                       | set(s.sources)))


def _check(assume: str) -> Assumption:
    if assume not in ASSUMPTIONS:
        raise QueryError(f"assume must be one of {', '.join(ASSUMPTIONS)}, not {assume!r}")
    return assume  # type: ignore[return-value]


def _context(G: nx.MultiDiGraph, targets: list[str], as_of: str | dt.date | None,
             min_confidence: str | Confidence | None, end_user: str | None = None,
             destination: str | None = None) -> _Context:
    """The reading of the targets' supply; an end use or destination given in place of the
    platforms' own is checked here, for every query that reads shipments."""
    if end_user is not None and end_user not in END_USERS:
        raise QueryError(f"end user must be one of {', '.join(END_USERS)}, not {end_user!r}")
    if destination is not None and destination not in COUNTRIES:
        raise QueryError(f"destination {destination!r} is not an ISO 3166-1 alpha-2 country "
                         "code")
    return _Context(G, targets, parse_date(as_of), min_confidence, end_user, destination)
