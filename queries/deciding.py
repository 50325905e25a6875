"""Deciding links: the unverified supply links whose removal alone changes an answer (DESIGN §7).

A *link* is a supply link ``(supplier, buyer, product)`` active at the date (every dated row
of the same three, active then, goes together; its confidence is the strongest among them).
It *decides* an answer about a platform when the graph without that one link gives a
different answer. Only links weaker than ``below`` are asked about (default ``reported``:
``estimated`` and ``illustrative`` links, the ones no source names as such).

Three questions, each answered exactly:

- ``supplied`` — is the platform supplied (DESIGN §3 AND/OR feasibility), in the scenario
  given by ``fail`` and ``substitutions``? Without a policy this is the link-level analogue of
  the single-points recursion: every candidate link is drawn as a facility of its own
  between supplier and buyer (its only need: the product, from the supplier), the only
  facilities carrying a bit, and :func:`oretrace.queries.chokepoints.critical_masks` gives
  the links whose loss alone stops each facility (greatest fixed point on cycles, exact
  under the least-fixed-point feasibility). Removing a link never supplies anything, so an
  unsupplied platform has no deciding link. With a ``policy`` the rule is read again on
  the graph without the link, and that may supply a platform (the link may carry the very
  content that made another shipment denied), so each candidate is checked by brute force.
- ``exposed`` — does the platform's needed supply reach a facility matching the predicate
  ``through`` (:func:`oretrace.queries.exposure.find_exposed`: reachability on the
  needed-supply graph, no feasibility)? A link decides exactly when it is the only link
  carrying its hop and the hop lies on every route from every matching facility to the
  platform: the hop, drawn as a node of its own, dominates the platform in the graph fed
  from one source joined to every matching facility (Lengauer–Tarjan, ``networkx``).
- ``compliance`` — the summary of :func:`oretrace.queries.compliance.check_compliance`
  (:class:`ComplianceAnswer`: shipments needing a licence, shipments denied, supplied, supplied
  if denied shipments stop, supplied if licences are refused, the procurement verdicts). One
  reading of the platform's supply, on the graph as of the date cut down to the facilities
  upstream of the platform (the only ones the answer reads; see below), serves every
  candidate: without a link, only what the link can change is read again — the shipments
  and their end uses, the verdicts of the shipments whose supplier lies downstream of the
  link's buyer (value shares, technology taint), the procurement witnesses, feasibility
  with the link's drawn facility failed (:mod:`oretrace.queries._deciding_compliance`).
  Exact: each answer is the one ``check_compliance`` gives on the graph without the link
  (the tests check it by brute force).

Candidates are the links on the platform's needed supply (hops of the needed-supply graph
into the platform's upstream facilities): no other link can change any of the three
answers. For ``compliance`` and a policy, the shipments' end uses and destinations also read
the other platforms a shipment feeds, so the links upstream of a platform whose end user or
destinations the platform does not share are candidates too.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Unpack

import networkx as nx
from oretrace.graphmodel import Confidence, QueryError, parse_date, platforms
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.graphmodel.timeslice import confidence_level
from oretrace.queries._deciding_base import (
    Answer,
    ComplianceAnswer,
    dated,
    links_at,
    live_links,
    platform_of,
    region,
    without_link,
)
from oretrace.queries._deciding_compliance import compliance
from oretrace.queries._deciding_supplied import exposed, supplied
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries._shipments_rules import _check
from oretrace.queries.exposure import supply_graph
from oretrace.queries.predicates import Predicate, predicate as named_predicate
from pydantic import BaseModel, Field

__all__ = [
    "QUESTIONS",
    "ComplianceAnswer",
    "DecidingLink",
    "DecidingLinks",
    "Question",
    "find_deciding_links",
    "live_links",
    "without_link",
]

#: The questions whose deciding links can be asked for.
Question = Literal["supplied", "exposed", "compliance"]
#: The questions, in order.
QUESTIONS: tuple[str, ...] = ("supplied", "exposed", "compliance")


class DecidingLink(BaseModel):
    """A link whose removal alone changes the answer, with the answer before and after."""

    supplier: str
    buyer: str
    product: str
    confidence: Confidence
    answer_before: Answer
    answer_after: Answer
    sources: list[str]


class DecidingLinks(BaseModel):
    """The deciding links of one platform and question, with the answer they would change."""

    platform: str
    question: str
    through: str | None = Field(description="the predicate (question exposed)")
    as_of: dt.date
    below: Confidence = Field(description="links strictly weaker than this were asked about")
    fail: list[str]
    policy: str | None
    answer: Answer = Field(description="the answer with every link in place")
    confidence: Confidence = Field(description="the confidence of that answer (see "
                                               "find_deciding_links)")
    candidates: int = Field(description="links below the level on the platform's supply")
    links: list[DecidingLink]
    method: str
    assumptions: list[str]


@shared_docs
@unpacked_keywords
def find_deciding_links(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    question: Question = "supplied",
    through: Predicate | str = "any",
    assume: str = "lapsed",
    below: str | Confidence = Confidence.REPORTED,
    **scenario: Unpack[ScenarioOptions],
) -> DecidingLinks:
    """Return the links whose removal alone changes ``question``'s answer for ``platform``.

    ``fail``, ``policy`` and ``substitutions`` set the scenario of ``supplied``; ``as_of``
    holds for every question.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not mutated: a removal is read on a copy or on the compiled network).
    platform : str
        A platform id.
    question : {"supplied", "exposed", "compliance"}
        See the module docstring.
    through : Predicate or str
        What ``exposed`` looks for (``any``, ``cn-processing``, ``cn-owned``,
        ``cn-technology``, ``cn-mining``; combinations with ``|`` and ``&``).
    assume : {"lapsed", "extended"}
        How ``compliance`` reads a rule's status after its known date.
    below : str
        Ask about links strictly weaker than this level (default ``reported``: estimated and
        illustrative links; ``documented`` adds reported links).
    %(scenario_options)s

    Returns
    -------
    DecidingLinks
        ``answer`` (with every link in place), ``links`` (each with ``answer_before`` and
        ``answer_after``), ``candidates`` (links below the level on the platform's supply),
        ``method``, ``assumptions`` and ``confidence``: for ``supplied``, the strongest level
        at which the platform is still supplied on links at least that strong; for
        ``exposed``, that of :func:`oretrace.queries.exposure.find_exposed` (its strongest
        witness); for ``compliance``, the weakest of the verdicts that apply; a "no"
        (not supplied, not exposed) carries the weakest link of the platform's supply.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)       # cn-mine > cn-sep > jp-mag > us-comp > us-asm
    >>> found = find_deciding_links(G, "missile", question="exposed", as_of="2026-06-01")
    >>> found.answer, [(d.supplier, d.buyer) for d in found.links]
    (True, [('cn-sep', 'jp-mag'), ('jp-mag', 'us-comp'), ('us-comp', 'us-asm')])

    cn-mine > cn-sep does not decide: cn-sep, the Chinese separator, is upstream without it.
    """
    if question not in QUESTIONS:
        raise QueryError(f"unknown question {question!r}; choose from {', '.join(QUESTIONS)}")
    day = parse_date(scenario["as_of"])
    floor = confidence_level(below)
    target = platform_of(G, platform)
    how = _check(assume)
    specs, policy = list(scenario["fail"]), scenario["policy"]
    V = dated(G, day)
    links = links_at(V)
    H = supply_graph(V, targets=platforms(V))
    hops, upstream = region(V, H, target,
                            end_uses=question == "compliance" or policy is not None)
    pred = named_predicate(through) if isinstance(through, str) else through
    if question == "supplied":
        found = supplied(G, target, day, specs, policy, scenario["substitutions"], hops, links,
                         floor)
    elif question == "exposed":
        found = exposed(H, pred.select(V) & nx.ancestors(H, target), target, hops, links,
                        floor)
    else:
        found = compliance(G, target, day, how, hops, upstream, links, floor)
    answer, level, after, method, assumptions, asked = found
    rows = [DecidingLink(supplier=u, buyer=v, product=q, confidence=links[(u, v, q)][0],
                         answer_before=answer, answer_after=after[(u, v, q)],
                         sources=links[(u, v, q)][1])
            for u, v, q in sorted(after)]
    return DecidingLinks(
        platform=target, question=question, through=pred.name if question == "exposed" else None,
        as_of=day, below=floor, fail=specs, policy=getattr(policy, "name", policy),
        answer=answer, confidence=level, candidates=len(asked), links=rows, method=method,
        assumptions=assumptions)
