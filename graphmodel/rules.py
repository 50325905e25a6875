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

from oretrace.graphmodel._rules_records import (
    Clause,
    Rule,
    RuleException,
    RuleScope,
    StatusEvent,
    Trigger,
    Waiver,
    rule_kinds,
    rule_problems,
)
from oretrace.graphmodel._rules_time import (
    RuleTime,
    Suspension,
    clause_applies,
    known_until,
    rule_from_node,
    rule_time,
    suspensions,
)
from oretrace.graphmodel._rules_vocab import (
    ASSUMPTIONS,
    CLAUSE_KINDS,
    END_USERS,
    STAGE_WORDS,
    Assumption,
    ClauseKind,
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
