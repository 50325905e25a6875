"""Shipments: a platform's needed supply links that cross a border, and the rules that bite on them.

A **shipment** (DESIGN §3b) is a needed supply link, as of the date, whose supplier and
buyer sit in different countries. A link from a market (a pool standing in for unknown
links) is a shipment from each of the market's suppliers, through the market (``via``).
Its **end uses** are those of the platforms it feeds (their ``end_user``: military,
civil; ``unknown`` when not recorded) and its **destinations** the countries those
platforms are delivered to; its buyer counts as **listed** when the operating company is on
an entity list (``listed_on``) or listed parties together own at least 50 % of it (the
ownership fixed point).

Each rule's clauses are read on each shipment (:func:`shipment_verdicts`):

- ``export`` — the shipment leaves the trigger's ``origin`` country and the item is in
  scope (of the scope's categories, holding one of the trigger's, else the scope's,
  elements): MOFCOM No. 18 on Chinese Dy oxide sent to a Japanese magnet maker.
- ``extraterritorial`` — the shipment leaves from outside the origin country, the item is
  in scope, and either the origin-country value share *of the shipped item, as its supplier
  makes it* reaches the threshold (MOFCOM No. 61's 0.1 % test; ``value_share`` carries the
  figure; over the data's ranges the test ``crosses``, is ``clear`` or ``undecided`` — an
  undecided test still gives the row, its ``threshold_test`` and evidence saying it rests on
  it), or the supplier, or a facility upstream of it, *outside* the origin country runs
  origin-country technology of the trigger's stages. A Chinese plant running Chinese know-how
  never triggers the technology test: its content is Chinese-origin, read by the value test.
- ``end-user`` — when every clause it ``requires`` bites on the shipment and an end use is
  one of the trigger's ``end_users`` (``listed``: the buyer is listed), its verdict (denied)
  replaces theirs. With ``countries``, the shipment goes to one of them or feeds a platform
  delivered to one.

A rule gives one row per shipment it bites on: the most severe verdict among its clauses
that apply (denied > licence-required > case-by-case), with ``status`` ``in-force`` or
``assumed-in-force``; when every biting clause is suspended, the most severe of them with
``status`` ``suspended`` / ``assumed-suspended`` (:func:`oretrace.graphmodel.rules.rule_time`). A
row
resting on an assumed status carries at most ``estimated`` confidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import Enum
from typing import Any, Unpack

import networkx as nx
import pandas as pd
from oretrace.graphmodel import (
    Confidence,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.queries._shipments_models import Shipment, ShipmentVerdict
from oretrace.queries._shipments_rules import (
    ShipmentOptions,
    _check,
    _context,
    _rules,
    _shipment_rows,
)
from oretrace.queries.exposure import resolve_products

__all__ = [
    "SHIPMENT_COLUMNS",
    "Shipment",
    "ShipmentVerdict",
    "find_shipments",
    "list_shipments",
    "shipment_verdicts",
]

#: The columns of :func:`find_shipments`, in order.
SHIPMENT_COLUMNS: tuple[str, ...] = (
    "supplier", "buyer", "product", "from_country", "to_country", "via", "rule", "clause",
    "kind", "verdict", "end_use", "evidence", "value_share", "status", "confidence", "sources")



@shared_docs
def list_shipments(G: nx.MultiDiGraph, platform: str | Iterable[str], *,
                   as_of: str | dt.date | None = None,
                   min_confidence: str | Confidence | None = None) -> list[Shipment]:
    """Return every shipment on the needed supply of ``platform`` (or of several) as of a date.

    Parameters
    ----------
    %(G)s
    %(platforms_merged)s
    %(as_of_rules)s
    %(min_confidence)s

    Returns
    -------
    list of Shipment
        One per needed supply link whose supplier and buyer sit in different countries (a
        link through a market: one per supplier of the market), with the countries, the
        market it passes (``via``), the ``platforms`` it feeds with their ``end_uses`` and
        ``destinations``, the listed party the buyer is or belongs to (``buyer_listed``),
        confidence and sources.

    Raises
    ------
    UnknownNodeError
        When a platform names no such node; the message lists close matches.
    QueryError
        When ``as_of`` or ``min_confidence`` is not one of its values.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> [(s.supplier, s.buyer, s.from_country, s.to_country)
    ...  for s in list_shipments(G, "missile", as_of="2026-12-15")]
    [('cn-sep', 'jp-mag', 'CN', 'JP'), ('jp-mag', 'us-comp', 'JP', 'US')]
    """
    targets = resolve_products(G, [platform] if isinstance(platform, str) else platform)
    return _context(G, targets, as_of, min_confidence).shipments()


@shared_docs
@unpacked_keywords
def shipment_verdicts(
    G: nx.MultiDiGraph, platform: str | Iterable[str], **reading: Unpack[ShipmentOptions],
) -> list[ShipmentVerdict]:
    """Return one :class:`ShipmentVerdict` per shipment and rule that bites (module docstring).

    Parameters
    ----------
    %(G)s
    %(platforms_merged)s
    %(shipment_options)s

    Returns
    -------
    list of ShipmentVerdict
        One per shipment and rule whose clause bites (a licence required or denied): the
        link and its countries, rule, clause and its ``kind``, ``verdict``, ``end_use``,
        ``evidence`` (with the ``value_share`` and its bounds where the value test decides),
        the rule's ``status`` and whether it ``applies`` at the date, confidence and sources.

    Raises
    ------
    UnknownNodeError
        When a platform or rule id names no such node; the message lists close matches.
    QueryError
        When ``as_of``, ``min_confidence`` or another option is not one of its values.

    Examples
    --------
    The Japanese magnet plant's shipment to the US actuator plant holds 21.8 % Chinese-origin
    value: No. 61 denies it for the missile's military end use, and asks a licence for a civil
    one; after the recorded suspension it applies by the default assumption.

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> [(v.supplier, v.buyer, v.clause, v.verdict.value, v.status)
    ...  for v in shipment_verdicts(G, "missile", as_of="2026-12-15")]
    [('jp-mag', 'us-comp', 'military-value', 'denied', 'assumed-in-force')]
    >>> [(v.clause, v.verdict.value)
    ...  for v in shipment_verdicts(G, "missile", as_of="2026-12-15", end_user="civil")]
    [('value-test', 'licence-required')]
    """
    chosen = _rules(G, reading["rules"])
    how = _check(reading["assume"])
    targets = resolve_products(G, [platform] if isinstance(platform, str) else platform)
    ctx = _context(G, targets, reading["as_of"], reading["min_confidence"],
                   reading["end_user"], reading["destination"])
    return _shipment_rows(ctx, chosen, how)


@shared_docs
@unpacked_keywords
def find_shipments(
    G: nx.MultiDiGraph, platform: str, **reading: Unpack[ShipmentOptions],
) -> pd.DataFrame:
    """Return the shipments of ``platform``'s supply that a rule bites on, one row each.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph, with its rule nodes (not mutated).
    platform : str
        A platform (or any product) id.
    %(shipment_options)s

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SHIPMENT_COLUMNS`: ``verdict`` is licence-required, denied or
        case-by-case; ``value_share`` the figure the value test read (else empty);
        ``status`` in-force, suspended, assumed-in-force or assumed-suspended.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "compliance_mini")
    >>> find_shipments(G, "missile", as_of="2026-12-15")[["supplier", "rule", "verdict",
    ...                                                    "status"]].values.tolist()
    [['jp-mag', 'NO61', 'denied', 'assumed-in-force']]
    """
    rows = shipment_verdicts(G, platform, **reading)
    return pd.DataFrame([{c: _plain(getattr(r, c)) for c in SHIPMENT_COLUMNS} for r in rows],
                        columns=list(SHIPMENT_COLUMNS))


def _plain(value: Any) -> Any:
    """A table cell: an enumeration's word (``denied``), anything else as it is."""
    return value.value if isinstance(value, Enum) else value
