"""The rule records (DESIGN §3b, §4) and their cross-field checks (private to rules).

Importable from :mod:`oretrace.graphmodel.rules`, whose docstring describes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from oretrace.graphmodel._record_checks import not_before
from oretrace.graphmodel._rules_vocab import (
    TRIGGERS,
    VERDICTS,
    ClauseKind,
    CountryCode,
    ElementSymbol,
    EndUser,
    SourceIds,
    TechStageWord,
    check_stage_or_word,
    check_tech_stage,
)
from oretrace.graphmodel.vocab import Category, Confidence, Verdict
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = ["Clause", "Rule", "RuleException", "RuleScope", "StatusEvent", "Trigger", "Waiver",
           "rule_kinds", "rule_problems"]


class _Strict(BaseModel):
    """Rule records: frozen, and every key must be a field (a typo is an error)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class StatusEvent(_Strict):
    """A dated, sourced change of a rule's status."""

    event: Literal["suspended", "resumed", "extended", "repealed"]
    date: dt.date
    #: last day suspended (inclusive), for ``suspended`` (none: until further notice) and
    #: ``extended``
    until: dt.date | None = None
    by: str | None = None
    #: the clauses it concerns; empty: the whole rule
    clauses: tuple[str, ...] = ()
    sources: SourceIds
    confidence: Confidence

    @model_validator(mode="after")
    def until_fits_the_event(self) -> StatusEvent:
        if self.event in ("resumed", "repealed") and self.until is not None:
            raise ValueError(f"a {self.event} event has no 'until'")
        if self.event == "extended" and self.until is None:
            raise ValueError("an extended event needs 'until' (the new last day)")
        if self.until is not None and self.until < self.date:
            raise ValueError(f"until {self.until} is before the event's date {self.date}")
        return self


class Trigger(_Strict):
    """The test a clause applies; which fields matter depends on ``kind``."""

    kind: Literal["origin_value_share", "origin_content", "origin_technology",
                  "stage_in_countries", "end_user"]
    origin: CountryCode = "CN"
    threshold: float = Field(0.0, ge=0.0, le=1.0)
    elements: tuple[ElementSymbol, ...] = ()
    stages: tuple[str, ...] = ()
    countries: tuple[CountryCode, ...] = ()
    end_users: tuple[EndUser, ...] = ()

    @model_validator(mode="after")
    def stages_fit_the_kind(self) -> Trigger:
        check = check_stage_or_word if self.kind == "stage_in_countries" else check_tech_stage
        for word in self.stages:
            check(word)
        if self.kind == "end_user" and not self.end_users:
            raise ValueError("an end_user trigger names its end_users")
        if self.kind == "stage_in_countries" and not (self.stages and self.countries):
            raise ValueError("a stage_in_countries trigger names stages and countries")
        return self


class Clause(_Strict):
    """One clause of a rule: when its trigger fires (and what it requires), its verdict."""

    id: str = Field(min_length=1)
    kind: ClauseKind
    text: str
    trigger: Trigger
    verdict: Verdict
    effective: dt.date | None = None  # defaults to the rule's
    until: dt.date | None = None  # exclusive
    requires: tuple[str, ...] = ()  # ids of clauses that must also fire

    @model_validator(mode="after")
    def trigger_and_verdict_fit_the_kind(self) -> Clause:
        if self.trigger.kind not in TRIGGERS[self.kind]:
            raise ValueError(f"a {self.kind} clause cannot use a {self.trigger.kind} trigger "
                             f"(use {', '.join(sorted(TRIGGERS[self.kind]))})")
        if self.verdict not in VERDICTS[self.kind]:
            raise ValueError(f"a {self.kind} clause cannot give {self.verdict.value!r} "
                             f"(use {', '.join(sorted(VERDICTS[self.kind]))})")
        if self.kind == "end-user" and not self.requires:
            raise ValueError("an end-user clause requires the clause whose licence it turns "
                             "into a denial")
        if self.effective and self.until and self.until <= self.effective:
            raise ValueError(f"until {self.until} is not after effective {self.effective}")
        return self


class RuleScope(_Strict):
    """What a rule covers: items of these categories holding these elements, from these
    countries; technologies of these stages; platforms delivered to these countries."""

    elements: tuple[ElementSymbol, ...] = ()
    categories: tuple[Category, ...] = ()
    technology_stages: tuple[TechStageWord, ...] = ()
    exporting_countries: tuple[CountryCode, ...] = ()
    delivered_to: tuple[CountryCode, ...] = ()  # procurement: the buying state


class RuleException(_Strict):
    """An exception of a procurement rule; it applies to the ``products`` it names."""

    id: str = Field(min_length=1)
    text: str
    products: tuple[str, ...] = ()
    sources: SourceIds


class Waiver(_Strict):
    """A dated waiver of a procurement rule for one end item (window ends inclusive)."""

    id: str = Field(min_length=1)
    end_item: str = Field(min_length=1)
    material: str | None = None
    granted: dt.date | None = None
    by: str | None = None
    start: dt.date | None = None  # first delivery covered (none: all before ``through``)
    through: dt.date  # last day of deliveries covered
    quantity: float | None = Field(None, gt=0)
    quantity_unit: str | None = None
    sources: SourceIds
    confidence: Confidence
    notes: str | None = None

    _through_is_not_before_start = not_before("start", "through")


class Rule(_Strict):
    """An export-control or procurement rule, as data (DESIGN §4)."""

    id: str = Field(min_length=1)
    name: str
    authority: str
    instrument: str
    announced: dt.date | None = None
    effective: dt.date
    until: dt.date | None = None  # exclusive
    status: tuple[StatusEvent, ...] = ()
    known_until: dt.date | None = None
    scope: RuleScope = RuleScope()
    clauses: tuple[Clause, ...]
    exceptions: tuple[RuleException, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    sources: SourceIds
    confidence: Confidence
    notes: str | None = None

    @model_validator(mode="after")
    def rule_is_consistent(self, info: ValidationInfo) -> Rule:
        if info.context and info.context.get("located"):
            return self  # the loader reports rule_problems() with their locations
        problems = rule_problems(self)
        if problems:
            raise ValueError("; ".join(reason for _, reason in problems))
        return self

    @field_validator("clauses")
    @classmethod
    def clause_ids_are_unique(cls, value: tuple[Clause, ...]) -> tuple[Clause, ...]:
        if not value:
            raise ValueError("a rule has at least one clause")
        ids = [c.id for c in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"clause ids repeat: {', '.join(twice)}")
        return value


def rule_problems(rule: Rule) -> list[tuple[tuple[str | int, ...], str]]:
    """Return ``(location, reason)`` for each cross-field problem of ``rule``.

    Locations are paths into the rule's record (``("status", 1, "date")``), so a loader
    can point at the line and column. Checks: ``until`` and ``known_until`` not before
    ``effective``; status events in date order, naming known clauses, ``extended`` after
    a suspension; ``requires`` naming other clauses of the rule.
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    if rule.until is not None and rule.until <= rule.effective:
        out.append((("until",), f"until {rule.until} is not after effective {rule.effective}"))
    if rule.known_until is not None and rule.known_until < rule.effective:
        out.append((("known_until",),
                    f"known_until {rule.known_until} is before effective {rule.effective}"))
    ids = {c.id for c in rule.clauses}
    for i, c in enumerate(rule.clauses):
        for j, req in enumerate(c.requires):
            if req == c.id:
                out.append((("clauses", i, "requires", j), f"clause {c.id} requires itself"))
            elif req not in ids:
                out.append((("clauses", i, "requires", j),
                            f"clause {c.id} requires {req!r}, which is no clause of {rule.id} "
                            f"({', '.join(sorted(ids))})"))
    previous: dt.date | None = None
    suspended = False
    for i, e in enumerate(rule.status):
        if previous is not None and e.date < previous:
            out.append((("status", i, "date"), f"status event of {e.date} comes after one of "
                                               f"{previous}: list events in date order"))
        previous = e.date
        for j, cid in enumerate(e.clauses):
            if cid not in ids:
                out.append((("status", i, "clauses", j),
                            f"status event names {cid!r}, which is no clause of {rule.id}"))
        if e.event == "extended" and not suspended:
            out.append((("status", i, "event"), "an extended event follows no suspension"))
        suspended = suspended or e.event == "suspended"
    return out


def rule_kinds(rule: Rule) -> frozenset[str]:
    """The kinds of the rule's clauses."""
    return frozenset(c.kind for c in rule.clauses)
