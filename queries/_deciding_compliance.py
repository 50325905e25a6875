"""Deciding links of the ``compliance`` question (:mod:`oretrace.queries.deciding`).

One reading of the platform's supply (:class:`_Reading`) serves every candidate link: the
dated graph, the rules and their clause times, the listed companies, the content network
and the compiled supply network with every link drawn as a facility of its own
(:func:`oretrace.queries._deciding_supplied.link_network`). A link taken out then changes:

- the needed-supply graphs (one hop loses the link's product): the shipments, their end
  uses and destinations, and the procurement witnesses are read again on a variant of the
  reading (:meth:`oretrace.queries._shipments_context._Context.variant`), but for a procurement
  verdict that rests on no witness path (not applicable, or compliant with no clause
  firing): taking a link out adds no path, so it stays;
- the value shares, technology taint and confidences of the facilities downstream of the
  link's buyer only (``affected``): a shipment from any other supplier gets the verdicts of
  the whole reading, kept per shipment (its link, countries, end uses, destinations and
  listed buyer);
- feasibility: the link's drawn facility fails, with the links the denied (or licensed)
  shipments ride on.

Each answer is the one :func:`oretrace.queries.compliance.check_compliance` gives on the
graph without the link (the tests check it by brute force).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import networkx as nx
from oretrace.graphmodel import Confidence, Verdict, weakest
from oretrace.graphmodel.rules import Assumption, rule_kinds
from oretrace.queries._compliance_procurement import ProcurementVerdict, _procurement
from oretrace.queries._deciding_base import (
    Answer,
    ComplianceAnswer,
    Found,
    Link,
    Links,
    below,
    dated,
)
from oretrace.queries._deciding_supplied import link_network
from oretrace.queries._shipments_context import _Context
from oretrace.queries._shipments_models import Shipment, ShipmentVerdict
from oretrace.queries._shipments_rules import _context, _rules, _times, _verdicts_on
from oretrace.queries.feasibility import supplied_mask, supply_network

__all__ = ["compliance"]

#: What a shipment's verdicts depend on besides its supplier's value, taint and confidence.
_Key = tuple[str, str, str, str | None, str | None, str | None, tuple[str, ...],
             tuple[str, ...], str | None]


def _key(s: Shipment) -> _Key:
    return (s.supplier, s.buyer, s.product, s.via, s.from_country, s.to_country,
            tuple(s.end_uses), tuple(s.destinations), s.buyer_listed)


def _without(H: nx.DiGraph, link: Link) -> nx.DiGraph:
    """``H`` (a needed-supply graph) with the link's product gone from its hop."""
    u, v, q = link
    out = H.copy()
    if out.has_edge(u, v):
        left = [p for p in out.edges[u, v]["products"] if p != q]
        if left:
            out.edges[u, v]["products"] = left
        else:
            out.remove_edge(u, v)
    return out


class _Reading:
    """One platform's compliance reading, shared by every candidate link (module docstring)."""

    def __init__(self, S: nx.MultiDiGraph, target: str, day: dt.date, assume: Assumption
                 ) -> None:
        self.target, self.assume = target, assume
        self.ctx = _context(S, [target], day, None)
        self.rules = _rules(S, None)
        self.times = {r.id: _times(r, day, assume) for r in self.rules}
        self.buying = [r for r in self.rules if "procurement" in rule_kinds(r)]
        net = supply_network(S, as_of=day)
        self.net, order = link_network(net)
        self.drawn = {k: len(net.facilities) + b for b, k in enumerate(order)}
        self.memo: dict[_Key, list[ShipmentVerdict]] = {}
        self._supplied: dict[frozenset[int], bool] = {}
        #: procurement verdicts no link taken out can change (filled by :meth:`base`)
        self.settled: dict[str, str] = {}

    def verdicts(self, ctx: _Context, s: Shipment) -> list[ShipmentVerdict]:
        return [row for rule in self.rules
                if (row := _verdicts_on(ctx, rule, s, self.times[rule.id])) is not None]

    def supplied(self, cut: Iterable[Link]) -> bool:
        """Whether the platform is supplied with the links ``cut`` out."""
        failed = frozenset(self.drawn[k] for k in cut if k in self.drawn)
        if failed not in self._supplied:
            ok = supplied_mask(self.net, failed)
            self._supplied[failed] = any(ok[a] for a in self.net.assemblies.get(self.target, ()))
        return self._supplied[failed]

    def procurement(self, ctx: _Context) -> list[ProcurementVerdict]:
        """The procurement verdicts on ``ctx`` of the rules not :attr:`settled`."""
        return [p for r in self.buying if r.id not in self.settled
                and (p := _procurement(ctx, r, self.target, self.assume)) is not None]

    def answer(self, rows: list[ShipmentVerdict], procurement: list[ProcurementVerdict],
               out: tuple[Link, ...] = ()) -> ComplianceAnswer:
        """The summary of ``rows`` and ``procurement`` (with the :attr:`settled` ones), the
        links ``out`` taken out."""
        live = [r for r in rows if r.applies]
        denied = {r.link for r in live if r.verdict == Verdict.DENIED}
        licensed = {r.link for r in live}
        return ComplianceAnswer(
            licensed=len({(r.supplier, r.buyer, r.product, r.via) for r in live}),
            denied=len({(r.supplier, r.buyer, r.product, r.via) for r in live
                        if r.verdict == Verdict.DENIED}),
            supplied=self.supplied(out), supplied_if_denied_stop=self.supplied({*out, *denied}),
            supplied_if_licences_refused=self.supplied({*out, *licensed}),
            procurement=self._ordered({**self.settled,
                                       **{p.rule: p.verdict.value for p in procurement}}))

    def _ordered(self, verdicts: dict[str, str]) -> dict[str, str]:
        """``verdicts`` in the order of the rules."""
        return {r.id: verdicts[r.id] for r in self.buying if r.id in verdicts}

    def base(self) -> tuple[ComplianceAnswer, Confidence, list[str]]:
        """The answer with every link in place, the weakest confidence of its live verdicts
        (documented when none) and the rule statuses it assumes."""
        rows = []
        for s in self.ctx.shipments():
            self.memo[_key(s)] = found = self.verdicts(self.ctx, s)
            rows += found
        procurement = self.procurement(self.ctx)
        answer = self.answer(rows, procurement)
        # a verdict resting on no witness path stays: taking a link out adds no path
        self.settled = {p.rule: p.verdict.value for p in procurement
                        if p.verdict == Verdict.NOT_APPLICABLE
                        or (p.verdict == Verdict.COMPLIANT and p.clause is None)}
        statuses = [(x.instrument, x.status) for x in rows] + [
            (p.instrument, p.status) for p in procurement]
        assumed = sorted({f"{name}: {status} (status after its known date assumed "
                          f"{self.assume})" for name, status in statuses
                          if status.startswith("assumed")})
        return answer, weakest([r.confidence for r in rows if r.applies]), assumed

    def after(self, link: Link) -> ComplianceAnswer:
        """The answer without ``link``."""
        H = _without(self.ctx.H, link)
        every = H if self.ctx.every is self.ctx.H else _without(self.ctx.every, link)
        ctx = self.ctx.variant(H, every, link)
        v = link[1]
        affected = nx.descendants(self.ctx.H, v) | {v} if v in self.ctx.H else set()
        rows = []
        for s in ctx.shipments():
            if s.supplier in affected:
                rows += self.verdicts(ctx, s)
                continue
            key = _key(s)
            if key not in self.memo:  # its supplier reads as in the whole reading
                self.memo[key] = self.verdicts(self.ctx, s)
            rows += self.memo[key]
        return self.answer(rows, self.procurement(ctx), (link,))


def compliance(G: nx.MultiDiGraph, target: str, day: dt.date, assume: Assumption,
               region: set[Link], upstream: set[str], links: Links, floor: Confidence
               ) -> Found:
    """The ``compliance`` question (module docstring of :mod:`oretrace.queries.deciding`)."""
    # the part of the graph the answer reads, as a plain graph
    reading = _Reading(dated(G, day, upstream), target, day, assume)
    answer, level, assumptions = reading.base()
    asked = below(region, links, floor)
    after: dict[Link, Answer] = {}
    for link in sorted(asked):
        now = reading.after(link)
        if now != answer:
            after[link] = now
    return (answer, level, after,
            "one reading of the supply shared by every candidate link, each read again "
            "where it can change the answer: exact", assumptions, asked)
