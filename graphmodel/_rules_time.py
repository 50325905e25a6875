"""Rule time: a rule's (or a clause's) status on a day, under an assumption (private to rules).

Importable from :mod:`oretrace.graphmodel.rules`, whose docstring describes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from oretrace.graphmodel._rules_records import Clause, Rule
from oretrace.graphmodel._rules_vocab import ASSUMPTIONS, Assumption
from oretrace.graphmodel.timeslice import parse_date
from oretrace.graphmodel.vocab import Confidence, weakest
from pydantic import BaseModel, ConfigDict

__all__ = ["RuleTime", "Suspension", "clause_applies", "known_until", "rule_from_node",
           "rule_time", "suspensions"]


@dataclass(frozen=True)
class Suspension:
    """A window in which a rule (or the ``clauses`` named) does not apply; ends inclusive."""

    start: dt.date
    end: dt.date | None
    clauses: tuple[str, ...]
    by: str | None
    sources: tuple[str, ...]
    confidence: Confidence

    def covers(self, day: dt.date, clause: str | None = None) -> bool:
        """Whether ``day`` (and ``clause``, when given) falls in the window."""
        named = not self.clauses or clause is None or clause in self.clauses
        return named and self.start <= day and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        by = f" by {self.by}" if self.by else ""
        which = f" ({', '.join(self.clauses)})" if self.clauses else ""
        return f"{self.start}..{self.end or ''}{by}{which}"


def suspensions(rule: Rule) -> list[Suspension]:
    """The suspension windows the status events record, extensions and resumptions applied."""
    out: list[Suspension] = []
    for e in rule.status:
        if e.event == "suspended":
            out.append(Suspension(e.date, e.until, e.clauses, e.by, e.sources, e.confidence))
            continue
        if e.event not in ("extended", "resumed") or not out:
            continue
        same = [i for i, s in enumerate(out) if not e.clauses or s.clauses == e.clauses]
        if not same:
            continue
        s = out[same[-1]]
        end = e.until if e.event == "extended" else e.date - dt.timedelta(days=1)
        out[same[-1]] = Suspension(s.start, end, s.clauses, e.by or s.by,
                                   tuple(sorted(set(s.sources) | set(e.sources))),
                                   weakest([s.confidence, e.confidence]))
    return out


def _repealed(rule: Rule) -> dt.date | None:
    dates = [e.date for e in rule.status if e.event == "repealed"]
    ends = [d for d in (rule.until, *dates) if d is not None]
    return min(ends) if ends else None


def known_until(rule: Rule) -> dt.date | None:
    """The last day the rule's status is recorded (``None``: no assumption ever needed)."""
    if rule.known_until is not None:
        return rule.known_until
    ends = [s.end for s in suspensions(rule) if s.end is not None]
    return max(ends) if ends else None


class RuleTime(BaseModel):
    """A rule's (or one clause's) status on one day, and whether it rests on an assumption."""

    model_config = ConfigDict(frozen=True)

    status: Literal["not-yet", "in-force", "suspended", "partly-suspended", "ended",
                    "assumed-in-force", "assumed-suspended", "assumed-partly-suspended"]
    applies: bool  # in force and not suspended (for the clause asked, or the whole rule)
    assumed: bool
    assumption: Assumption | None
    reason: str
    suspension: str | None
    #: the weakest confidence of the status: ``estimated`` at best when assumed
    confidence: Confidence
    sources: tuple[str, ...]


def rule_time(rule: Rule, as_of: str | dt.date | None = None, *,
              assume: Assumption = "lapsed", clause: Clause | None = None) -> RuleTime:
    """Return the status of ``rule`` (or of one ``clause``) on ``as_of`` (module docstring)."""
    if assume not in ASSUMPTIONS:
        raise ValueError(f"assume must be one of {', '.join(ASSUMPTIONS)}, not {assume!r}")
    day = parse_date(as_of)
    start = (clause.effective if clause is not None and clause.effective else rule.effective)
    ends = [d for d in (_repealed(rule), clause.until if clause is not None else None) if d]
    end = min(ends) if ends else None
    known = known_until(rule)
    assumed = known is not None and day > known
    prefix = "assumed-" if assumed else ""
    base = weakest([rule.confidence, Confidence.ESTIMATED]) if assumed else rule.confidence

    def result(status: str, applies: bool, reason: str, window: Suspension | None = None
               ) -> RuleTime:
        level = base if window is None else weakest([base, window.confidence])
        sources = () if window is None else window.sources
        if assumed:
            reason += (f"; status recorded to {known}, assumed {assume} after"
                       if assume == "lapsed" or window is not None else
                       f"; status recorded to {known}, nothing to extend")
        return RuleTime(status=status, applies=applies, assumed=assumed,
                        assumption=assume if assumed else None, reason=reason,
                        suspension=None if window is None else str(window),
                        confidence=level, sources=tuple(sources))

    if day < start:
        return RuleTime(status="not-yet", applies=False, assumed=False, assumption=None,
                        reason=f"not yet in force (effective {start})", suspension=None,
                        confidence=rule.confidence, sources=())
    if end is not None and day >= end:
        return RuleTime(status="ended", applies=False, assumed=False, assumption=None,
                        reason=f"no longer in force (ended {end})", suspension=None,
                        confidence=rule.confidence, sources=())
    windows = suspensions(rule)
    if assumed and assume == "extended":
        assert known is not None
        windows = [Suspension(s.start, None, s.clauses, s.by, s.sources, s.confidence)
                   if s.covers(known) else s for s in windows]
    cid = clause.id if clause is not None else None
    active = [s for s in windows if s.covers(day, cid)]
    whole = [s for s in active if not s.clauses]
    if clause is not None and active:
        return result(f"{prefix}suspended", False, f"suspended {active[0]}", active[0])
    if whole:
        return result(f"{prefix}suspended", False, f"suspended {whole[0]}", whole[0])
    if active:
        return result(f"{prefix}partly-suspended", True, f"partly suspended {active[0]}",
                      active[0])
    return result(f"{prefix}in-force", True, f"in force since {start}")


def clause_applies(rule: Rule, clause: Clause, day: dt.date, assume: Assumption,
                   by_id: dict[str, Clause] | None = None) -> RuleTime:
    """:func:`rule_time` of ``clause``, not applying when a clause it requires does not."""
    own = rule_time(rule, day, assume=assume, clause=clause)
    if not own.applies:
        return own
    lookup = by_id or {c.id: c for c in rule.clauses}
    for req in clause.requires:
        other = rule_time(rule, day, assume=assume, clause=lookup[req])
        if not other.applies:
            return other
    return own


def rule_from_node(attrs: dict[str, Any], rid: str) -> Rule:
    """Rebuild the :class:`Rule` stored as a graph node's attributes."""
    data = {k: v for k, v in attrs.items() if k != "kind"}
    data["id"] = rid
    return Rule.model_validate(data)
