"""What changed between two dates, in the data and in the answers (private: the pieces of
:func:`oretrace.queries.scenarios.diff_scenarios`).

Data: facilities online or offline, supply links started, ended or changed (a link whose
dated rows replace one another, e.g. a share that changes on a date), ownership and
operator changes, technology use; rule events (a rule or clause taking effect or ending,
a suspension, extension, resumption or repeal, a suspension running out, the day after
which the rule's status is no longer recorded and rests on an assumption). Answers:
shipments needing a licence or denied, supply if the denied ones stop, procurement verdicts
(:mod:`oretrace.queries.compliance`), per platform.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

import networkx as nx
from oretrace.graphmodel import nodes_of, restrict, weakest
from oretrace.graphmodel.rules import Rule, known_until, rule_from_node, rule_time, suspensions
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries.compliance import Compliance, check_compliance
from pydantic import BaseModel

__all__ = ["AnswerChange", "DataChange", "RuleChange", "RuleEvent", "answer_changes",
           "data_changes", "rule_changes"]

ChangeKind = Literal["link started", "link ended", "link changed", "ownership started",
                     "ownership ended", "ownership changed", "operator started",
                     "operator ended", "technology use started", "technology use ended"]


class DataChange(BaseModel):
    """One link of the data present (or different) at one date only, with its date."""

    kind: ChangeKind
    subject: str
    date: dt.date | None
    what: str
    sources: list[str]
    confidence: str


class RuleEvent(BaseModel):
    """A dated event of a rule falling between the two dates."""

    date: dt.date
    event: str
    what: str
    sources: list[str]
    confidence: str


class RuleChange(BaseModel):
    """A rule with events between the two dates, or whose status differs at them."""

    rule: str
    instrument: str
    before: str
    after: str
    assumed: bool
    events: list[RuleEvent]
    sources: list[str]
    confidence: str


Question = Literal["shipments needing a licence", "shipments denied",
                   "supplied if denied shipments stop", "procurement"]


class AnswerChange(BaseModel):
    """One answer about a platform that differs between the two dates."""

    platform: str
    question: Question
    before: str
    after: str
    assumed: bool
    confidence: str
    sources: list[str]


_KIND_WORDS = {EdgeKind.SUPPLIES: "link", EdgeKind.OWNS: "ownership",
               EdgeKind.OPERATES: "operator", EdgeKind.USES: "technology use"}


def _between(day: object, lo: dt.date, hi: dt.date) -> bool:
    return isinstance(day, dt.date) and lo < day <= hi


def _edges(V: nx.MultiDiGraph) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Dated edges by (from, to, what): the product of a link, else the edge kind."""
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for u, v, d in V.edges(data=True):
        kind = d.get("kind")
        if kind in _KIND_WORDS:
            what = str(d.get("product") or kind)
            out.setdefault((u, v, what), []).append(d)
    return out


def _figure(rows: list[dict[str, Any]]) -> str:
    values = sorted({str(d.get("share")) for d in rows if d.get("share") is not None})
    return "/".join(values) if values else "-"


def data_changes(G: nx.MultiDiGraph, a: dt.date, b: dt.date) -> list[DataChange]:
    """The links (supply, ownership, operator, technology use) that differ between ``a``
    and ``b``, each with the date it started, ended or changed and its sources."""
    before, after = _edges(restrict(G, as_of=a)), _edges(restrict(G, as_of=b))
    lo, hi = min(a, b), max(a, b)
    out: list[DataChange] = []
    for key in sorted(set(before) | set(after)):
        x, y = before.get(key, []), after.get(key, [])
        if x and y and {id(d) for d in x} == {id(d) for d in y}:
            continue
        rows = y or x
        word = _KIND_WORDS[rows[0]["kind"]]
        u, v, what = key
        subject = f"{u} -> {v}" + (f" ({what})" if word == "link" else "")
        # in the direction as_of -> vs: present at vs only "started", at as_of only "ended";
        # the date is the boundary of its window crossed between the two
        dates = [d.get(k) for d in x + y for k in ("start", "end")]
        if x and y:
            kind, text = "changed", f"share {_figure(x)} -> {_figure(y)}"
        elif y:
            kind, text = "started", f"share {_figure(y)}"
        else:
            kind, text = "ended", f"share {_figure(x)}"
        when = next((d for d in dates if _between(d, lo, hi)), None)
        notes = sorted({str(d["notes"]) for d in x + y if d.get("notes")})
        text = (f"{word} {kind} {when}" if when else f"{word} {kind} with its facility") \
            + f"; {text}" + "".join(f"; {n}" for n in notes)
        out.append(DataChange(
            kind=cast(ChangeKind, f"{word} {kind}"),
            subject=subject, date=when, what=text,
            sources=sorted({s for d in x + y for s in d.get("sources", [])}),
            confidence=weakest([str(d.get("confidence", "documented")) for d in x + y]).value))
    return sorted(out, key=lambda c: (c.date or hi, c.kind, c.subject))


def _events(rule: Rule, lo: dt.date, hi: dt.date) -> list[RuleEvent]:
    """The dated events of ``rule`` in (lo, hi]."""
    src, conf = list(rule.sources), rule.confidence.value
    out: list[RuleEvent] = []
    if _between(rule.announced, lo, hi):
        out.append(RuleEvent(date=rule.announced, event="announced",
                             what=f"{rule.instrument} announced", sources=src, confidence=conf))
    if _between(rule.effective, lo, hi):
        out.append(RuleEvent(date=rule.effective, event="effective",
                             what=f"{rule.instrument} takes effect", sources=src,
                             confidence=conf))
    if rule.until is not None and _between(rule.until, lo, hi):
        out.append(RuleEvent(date=rule.until, event="ended", what="no longer in force",
                             sources=src, confidence=conf))
    for c in rule.clauses:
        if c.effective and c.effective != rule.effective and _between(c.effective, lo, hi):
            out.append(RuleEvent(date=c.effective, event="clause effective",
                                 what=f"clause {c.id} takes effect", sources=src,
                                 confidence=conf))
        if c.until and _between(c.until, lo, hi):
            out.append(RuleEvent(date=c.until, event="clause ended",
                                 what=f"clause {c.id} no longer in force", sources=src,
                                 confidence=conf))
    for e in rule.status:
        if _between(e.date, lo, hi):
            by = f" by {e.by}" if e.by else ""
            until = f" until {e.until}" if e.until else ""
            which = f" ({', '.join(e.clauses)})" if e.clauses else ""
            out.append(RuleEvent(date=e.date, event=e.event, what=f"{e.event}{by}{until}{which}",
                                 sources=list(e.sources), confidence=e.confidence.value))
    for s in suspensions(rule):
        if s.end is not None and _between(s.end + dt.timedelta(days=1), lo, hi):
            out.append(RuleEvent(date=s.end + dt.timedelta(days=1), event="suspension ends",
                                 what=f"suspension {s} runs out: applies again unless "
                                      "extended", sources=list(s.sources),
                                 confidence=s.confidence.value))
    known = known_until(rule)
    if known is not None and _between(known + dt.timedelta(days=1), lo, hi):
        out.append(RuleEvent(date=known + dt.timedelta(days=1), event="status assumed",
                             what=f"status recorded to {known}; from here it rests on an "
                                  "assumption (estimated at best)", sources=src,
                             confidence="estimated"))
    return sorted(out, key=lambda e: (e.date, e.event))


def rule_changes(G: nx.MultiDiGraph, a: dt.date, b: dt.date, *,
                 assume: str = "lapsed") -> list[RuleChange]:
    """Each rule of the data with events between ``a`` and ``b`` or a different status."""
    lo, hi = min(a, b), max(a, b)
    out = []
    for rid in nodes_of(G, NodeKind.RULE):
        rule = rule_from_node(G.nodes[rid], rid)
        x = rule_time(rule, a, assume=assume)  # type: ignore[arg-type]
        y = rule_time(rule, b, assume=assume)  # type: ignore[arg-type]
        events = _events(rule, lo, hi)
        if not events and x.status == y.status:
            continue
        out.append(RuleChange(
            rule=rid, instrument=rule.instrument, before=x.status, after=y.status,
            assumed=y.assumed, events=events,
            sources=sorted({*rule.sources, *(s for e in events for s in e.sources)}),
            confidence=weakest([y.confidence.value, *(e.confidence for e in events)]).value))
    return sorted(out, key=lambda r: (r.events[0].date if r.events else hi, r.rule))


def _counts(c: Compliance) -> Mapping[str, int]:
    return {"shipments needing a licence": c.by_verdict.get("licence-required", 0),
            "shipments denied": c.by_verdict.get("denied", 0)}


def _procurement(c: Compliance) -> dict[str, tuple[str, str, bool, list[str]]]:
    return {v.rule: (f"{v.verdict.value} ({v.status})", v.confidence.value,
                     v.status.startswith("assumed"), list(v.sources)) for v in c.procurement}


def answer_changes(G: nx.MultiDiGraph, a: dt.date, b: dt.date,
                   platforms: Iterable[str], *, assume: str = "lapsed") -> list[AnswerChange]:
    """Per platform, the compliance answers (:func:`oretrace.queries.compliance.check_compliance`,
    on the network as it is: no scenario failures) that differ between ``a`` and ``b``."""
    out: list[AnswerChange] = []
    for p in platforms:
        x = check_compliance(G, p, as_of=a, assume=assume)
        y = check_compliance(G, p, as_of=b, assume=assume)
        live = [s for s in y.shipments if s.applies]
        assumed = any(s.status.startswith("assumed") for s in live)
        conf = weakest([s.confidence.value for s in live]).value
        src = sorted({s for r in live for s in r.sources})
        cx, cy = _counts(x), _counts(y)
        for q in cx:
            if cx[q] != cy[q]:
                out.append(AnswerChange(platform=p, question=cast(Question, q),
                                        before=str(cx[q]), after=str(cy[q]), assumed=assumed,
                                        confidence=conf, sources=src))
        if x.supplied and y.supplied and \
                x.supplied_if_denied_stop != y.supplied_if_denied_stop:
            out.append(AnswerChange(
                platform=p, question="supplied if denied shipments stop",
                before=str(x.supplied_if_denied_stop), after=str(y.supplied_if_denied_stop),
                assumed=assumed, confidence=conf, sources=src))
        px, py = _procurement(x), _procurement(y)
        for rule in sorted(set(px) | set(py)):
            old, new = px.get(rule), py.get(rule)
            if (old and old[0]) != (new and new[0]):
                after = new or ("(none)", "documented", False, [])
                out.append(AnswerChange(
                    platform=p, question="procurement",
                    before=f"{rule}: {old[0] if old else '(none)'}",
                    after=f"{rule}: {after[0]}", assumed=after[2], confidence=after[1],
                    sources=after[3]))
    return out
