"""Rules as data (DESIGN §3b, §4): the rule records, their vocabulary, and rule time.

**Records.** A :class:`Rule` has clauses of one of five kinds (:data:`CLAUSE_KINDS`):
``export`` (shipments *from* the origin country of scope items), ``extraterritorial``
(shipments from outside it: the value and technology tests of MOFCOM No. 61 §I),
``end-user`` (turns what the clauses it ``requires`` say into a denial for military end
uses or listed buyers), ``technology`` (a flag on facilities outside the origin country
running its know-how — never a product verdict) and ``procurement`` (the delivered
platform, with ``exceptions`` and dated ``waivers``). Every record is strict: an unknown
key, a code outside the vocabulary (countries, stages, stage words, elements, end users,
categories) or a ``requires`` naming no clause is an error.

**Rule time.** A rule applies from ``effective`` until ``until`` (exclusive). Its status
events — ``suspended`` (to ``until``, *inclusive*: MOFCOM No. 70 suspends "until 10
November 2026"), ``extended`` (moves the end of the running suspension), ``resumed`` (ends
it the day before) and ``repealed`` (ends the rule) — are dated, sourced facts, recorded up
to ``known_until``. After ``known_until`` the status is not a fact: :func:`rule_time`
answers under an assumption (:data:`ASSUMPTIONS`): ``lapsed`` (the default, the legal
reading: a suspension whose end passed with no recorded extension has lapsed) or
``extended`` (a suspension running on ``known_until`` runs on). Such a status says
``assumed-…`` and caps confidence at ``estimated``. Without ``known_until``, a rule whose
suspensions all end is known up to the last end; a rule with no ending suspension needs no
assumption (nothing recorded would change its status).

Examples
--------
>>> r = Rule.model_validate({
...     "id": "NO61", "name": "n", "authority": "MOFCOM", "instrument": "No. 61",
...     "effective": "2025-10-09", "known_until": "2026-11-10",
...     "status": [{"event": "suspended", "date": "2025-11-07", "until": "2026-11-10",
...                 "sources": ["s"], "confidence": "documented"}],
...     "clauses": [{"id": "v", "kind": "extraterritorial", "text": "t",
...                  "verdict": "licence-required",
...                  "trigger": {"kind": "origin_value_share", "threshold": 0.001}}],
...     "sources": ["s"], "confidence": "documented"})
>>> [rule_time(r, d).status for d in ("2026-11-10", "2026-11-11")]
['suspended', 'assumed-in-force']
>>> rule_time(r, "2026-11-11", assume="extended").status
'assumed-suspended'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from oretrace.graphmodel.timeslice import parse_date
from oretrace.graphmodel.vocab import (
    COUNTRIES,
    Category,
    Confidence,
    Stage,
    TechStage,
    Verdict,
    weakest,
)
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "ASSUMPTIONS",
    "CLAUSE_KINDS",
    "END_USERS",
    "STAGE_WORDS",
    "Assumption",
    "Clause",
    "ClauseKind",
    "Rule",
    "RuleException",
    "RuleScope",
    "RuleTime",
    "StatusEvent",
    "Suspension",
    "Trigger",
    "Waiver",
    "clause_applies",
    "known_until",
    "rule_from_node",
    "rule_kinds",
    "rule_problems",
    "rule_time",
    "suspensions",
]

#: How a query reads a rule's status after its ``known_until``.
Assumption = Literal["lapsed", "extended"]
ASSUMPTIONS: tuple[str, ...] = ("lapsed", "extended")

#: The kinds of clause (DESIGN §3b).
ClauseKind = Literal["export", "extraterritorial", "end-user", "technology", "procurement"]
CLAUSE_KINDS: tuple[str, ...] = ("export", "extraterritorial", "end-user", "technology",
                                 "procurement")

#: End users a trigger may name: platforms' ``end_user`` values, and ``listed`` (a buyer
#: on an entity list, or at least 50 % owned by listed parties).
END_USERS: tuple[str, ...] = ("military", "civil", "listed")

#: The statute's verbs (10 U.S.C. 4872, DFARS 252.225-7052) as facility stages.
STAGE_WORDS: dict[str, frozenset[str]] = {
    "mined": frozenset({Stage.MINE, Stage.CONCENTRATION}),
    "refined": frozenset({Stage.SEPARATION, Stage.METAL}),
    "separated": frozenset({Stage.SEPARATION}),
    "melted": frozenset({Stage.ALLOY}),
    "produced": frozenset({Stage.ALLOY, Stage.MAGNET}),
}

_ELEMENTS: frozenset[str] = frozenset(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb "
    "Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu".split()
)

# Which triggers each clause kind may use, and which verdicts it may give.
_TRIGGERS: dict[str, frozenset[str]] = {
    "export": frozenset({"origin_content"}),
    "extraterritorial": frozenset({"origin_value_share", "origin_technology"}),
    "end-user": frozenset({"end_user"}),
    "technology": frozenset({"origin_technology"}),
    "procurement": frozenset({"stage_in_countries"}),
}
_VERDICTS: dict[str, frozenset[str]] = {
    "export": frozenset({Verdict.LICENCE_REQUIRED, Verdict.CASE_BY_CASE, Verdict.NOT_APPLICABLE}),
    "extraterritorial": frozenset({Verdict.LICENCE_REQUIRED, Verdict.CASE_BY_CASE,
                                   Verdict.NOT_APPLICABLE}),
    "end-user": frozenset({Verdict.DENIED, Verdict.CASE_BY_CASE}),
    "technology": frozenset({Verdict.LICENCE_REQUIRED, Verdict.DENIED}),
    "procurement": frozenset({Verdict.NON_COMPLIANT}),
}


def _country(code: str) -> str:
    if code not in COUNTRIES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _element(symbol: str) -> str:
    if symbol not in _ELEMENTS:
        raise ValueError(f"{symbol!r} is not a chemical element symbol")
    return symbol


def _tech_stage(word: str) -> str:
    if word not in {s.value for s in TechStage}:
        raise ValueError(f"{word!r} is not a technology stage "
                         f"({', '.join(s.value for s in TechStage)})")
    return word


def _stage_or_word(word: str) -> str:
    if word not in STAGE_WORDS and word not in {s.value for s in Stage}:
        raise ValueError(f"{word!r} is neither a facility stage nor a stage word "
                         f"({', '.join(STAGE_WORDS)})")
    return word


def _end_user(word: str) -> str:
    if word not in END_USERS:
        raise ValueError(f"{word!r} is not an end user ({', '.join(END_USERS)})")
    return word


CountryCode = Annotated[str, AfterValidator(_country)]
ElementSymbol = Annotated[str, AfterValidator(_element)]
TechStageWord = Annotated[str, AfterValidator(_tech_stage)]
StageOrWord = Annotated[str, AfterValidator(_stage_or_word)]
EndUser = Annotated[str, AfterValidator(_end_user)]
SourceIds = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)]


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
        check = _stage_or_word if self.kind == "stage_in_countries" else _tech_stage
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
        if self.trigger.kind not in _TRIGGERS[self.kind]:
            raise ValueError(f"a {self.kind} clause cannot use a {self.trigger.kind} trigger "
                             f"(use {', '.join(sorted(_TRIGGERS[self.kind]))})")
        if self.verdict not in _VERDICTS[self.kind]:
            raise ValueError(f"a {self.kind} clause cannot give {self.verdict.value!r} "
                             f"(use {', '.join(sorted(_VERDICTS[self.kind]))})")
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

    @model_validator(mode="after")
    def through_is_not_before_start(self) -> Waiver:
        if self.start and self.through < self.start:
            raise ValueError(f"through {self.through} is before start {self.start}")
        return self


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


# --------------------------------------------------------------------------- rule time


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

