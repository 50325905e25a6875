"""The rules of the data and their status at a date (:mod:`oretrace.queries.compliance`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx
import pandas as pd
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    parse_date,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.rules import (
    Rule,
    known_until,
    rule_kinds,
    rule_time,
    suspensions,
)
from oretrace.graphmodel.timeslice import confidence_level
from oretrace.queries._shipments_rules import _check, _rules

__all__ = [
    "list_rules",
    "rule_status",
]


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
        When ``as_of`` is not a date, ``assume`` not an assumption or ``min_confidence``
        not a confidence level.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> list_rules(G, as_of="2026-11-10")[["rule", "status"]].values.tolist()
    [['NO61', 'suspended'], ['DFARS', 'in-force']]
    """
    day = parse_date(as_of)
    how = _check(assume)
    floor = CONFIDENCE_ORDER[confidence_level(min_confidence)] if min_confidence is not None \
        else 0
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
