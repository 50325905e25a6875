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

import copy
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import networkx as nx
import pandas as pd
from oretrace.graphmodel import (
    Confidence,
    QueryError,
    UnknownNodeError,
    nodes_of,
    parse_date,
    platforms,
    restrict,
    weakest,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.ownership import held_companies
from oretrace.graphmodel.ranges import range_of
from oretrace.graphmodel.rules import (
    ASSUMPTIONS,
    Assumption,
    Clause,
    Rule,
    RuleTime,
    clause_applies,
    rule_from_node,
)
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage, Verdict
from oretrace.queries._content_mass import _mass_shares, _Network
from oretrace.queries._content_table import _content_table
from oretrace.queries._content_value import _value_in, _value_system
from oretrace.queries.content import RARE_EARTHS, origin_facilities
from oretrace.queries.exposure import resolve_products, supply_graph
from oretrace.queries.intervals import threshold_test
from pydantic import BaseModel

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

_T = TypeVar("_T")

_SEVERITY: dict[str, int] = {Verdict.CASE_BY_CASE: 1, Verdict.LICENCE_REQUIRED: 2,
                             Verdict.DENIED: 3}


class Shipment(BaseModel):
    """A needed supply link across a border, as of a date."""

    supplier: str
    buyer: str
    product: str
    via: str | None
    from_country: str | None
    to_country: str | None
    platforms: list[str]
    end_uses: list[str]
    destinations: list[str]
    buyer_listed: str | None
    confidence: Confidence
    sources: list[str]

    @property
    def link(self) -> tuple[str, str, str]:
        """The supply link that carries it: ``(supplier, buyer or market, product)``."""
        return (self.supplier, self.via or self.buyer, self.product)


class ShipmentVerdict(BaseModel):
    """What one rule says of one shipment, with the clause, evidence and status."""

    supplier: str
    buyer: str
    product: str
    from_country: str | None
    to_country: str | None
    via: str | None
    rule: str
    instrument: str
    clause: str
    kind: str
    verdict: Verdict
    end_use: str
    evidence: str
    value_share: float | None
    status: str
    applies: bool
    confidence: Confidence
    sources: list[str]
    threshold_test: str | None = None
    value_share_low: float | None = None
    value_share_high: float | None = None

    @property
    def link(self) -> tuple[str, str, str]:
        """The supply link that carries it: ``(supplier, buyer or market, product)``."""
        return (self.supplier, self.via or self.buyer, self.product)


@dataclass
class _Finding:
    evidence: str
    value_share: float | None = None
    confidence: Confidence = Confidence.DOCUMENTED
    sources: list[str] = field(default_factory=list)
    end_use: str | None = None
    test: str | None = None
    bounds: tuple[float, float] | None = None


class _Context:
    """One network as of one date, read for the supply of ``targets``."""

    def __init__(self, G: nx.MultiDiGraph, targets: list[str], day: dt.date,
                 min_confidence: str | Confidence | None, end_user: str | None,
                 destination: str | None) -> None:
        self.day = day
        # a materialised copy: the filtered view re-tests every node and edge it is asked for
        self.V = _materialised(G, restrict(G, as_of=day, min_confidence=min_confidence))
        self.targets = targets
        self.H = supply_graph(self.V, targets=targets)
        every = platforms(self.V)
        self.every = self.H if set(every) == set(targets) else supply_graph(self.V,
                                                                            targets=every)
        self.content = _content_table(self.V)
        self.override = (end_user, destination)
        self._fed: dict[str, set[str]] = {}
        self._up: dict[str, set[str]] = {}
        self._weakest: dict[str, Confidence] | None = None
        self._taint: dict[tuple[str, tuple[str, ...]],
                          dict[str, tuple[str, str, Confidence, list[str]]]] = {}
        self._value: dict[tuple[str, tuple[str, ...], tuple[str, ...]],
                          dict[tuple[str, str], float]] = {}
        self._nets: dict[tuple[str, tuple[str, ...], tuple[str, ...]], tuple[Any, Any]] = {}
        self._bounds: dict[tuple[Any, ...], tuple[float, float]] = {}
        self._systems: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Any] = {}
        self._networks: dict[str, _Network] = {}
        self._drop: tuple[str, str, str] | None = None
        self._mass: dict[tuple[str, str], dict[str, tuple[float | None, float, float]]] = {}
        self._whole_mass = self._mass
        self.listed = _listed_companies(self.V)

    def variant(self, H: nx.DiGraph, every: nx.DiGraph, drop: tuple[str, str, str]
                ) -> _Context:
        """This reading without the supply link ``drop`` (``(supplier, buyer, product)``),
        given the needed-supply graphs without it: the network, rules, content and listed
        companies are shared; what reads the link starts afresh (the deciding links of
        :mod:`oretrace.queries.deciding` read one variant per candidate link)."""
        other = copy.copy(self)
        other.H, other.every, other._drop = H, every, drop
        other._fed, other._up, other._weakest, other._taint = {}, {}, None, {}
        other._value, other._nets, other._bounds, other._systems = {}, {}, {}, {}
        other._mass, other._whole_mass = {}, self._mass
        return other

    def network(self, origin: str) -> _Network:
        """The content network the value test reads, built once per origin (shared with the
        variants, each leaving out its link)."""
        if origin not in self._networks:
            self._networks[origin] = _Network(self.V, origin_facilities(self.V, origin))
        net = self._networks[origin]
        if self._drop is None:
            return net
        u, v, q = self._drop
        out = copy.copy(net)
        inputs = dict(net.suppliers.get(v, {}))
        inputs[q] = [(w, s) for w, s in inputs.get(q, []) if w != u]
        out.suppliers = {**net.suppliers, v: {p: s for p, s in inputs.items() if s}}
        return out

    def mass_shares(self, net: _Network, origin: str, element: str
                    ) -> dict[str, tuple[float | None, float, float]]:
        """The mass shares of ``element`` of ``origin`` on ``net`` (:meth:`network`); a
        variant keeps the whole reading's where they read alike (:meth:`_keeps`)."""
        key = (origin, element)
        if key not in self._mass:
            self._mass[key] = (self._whole_mass[key] if key in self._whole_mass
                               and self._keeps(net, element) else _mass_shares(net, element))
        return self._mass[key]

    def _keeps(self, net: _Network, element: str) -> bool:
        """Whether a variant's mass shares of ``element`` are the whole reading's where the
        value test reads them: its link brings none of the element into its buyer, or no
        facility from its buyer down makes, from no bill of materials, an item holding the
        element (the only mass shares :func:`_value_system` reads; a change flows
        downstream only)."""
        if self._drop is None:
            return False
        _, v, q = self._drop
        if q not in net.intake(v, element):
            return True
        down = (nx.descendants(self.H, v) if v in self.H else set()) | {v}
        return not any(net.needs.get(f) and not net.is_market(f)
                       and any(not net.boms.get(p) and self.holds(p, [element])
                               for p in net.products[f]) for f in down)

    # -- the network -----------------------------------------------------------------

    def is_market(self, f: str) -> bool:
        return bool(self.V.nodes[f].get("stage") == Stage.MARKET)

    def country(self, f: str) -> str | None:
        value = self.V.nodes[f].get("country")
        return None if value is None else str(value)

    def upstream(self, f: str) -> set[str]:
        """``f`` and the facilities on its needed supply."""
        if f not in self._up:
            self._up[f] = (nx.ancestors(self.H, f) | {f}) if f in self.H else {f}
        return self._up[f]

    def fed(self, buyer: str) -> set[str]:
        """The platforms ``buyer``'s output feeds (as of the date)."""
        if not self._fed:
            self._fed[""] = set()
            for n, d in self.every.nodes(data=True):
                if d.get("product"):
                    for f in nx.ancestors(self.every, n):
                        self._fed.setdefault(f, set()).add(n)
        return self._fed.get(buyer, set())

    def holds(self, product: str, elements: Iterable[str]) -> list[str]:
        held = self.content.get(product, {})
        return sorted(e for e in elements if held.get(e, 0.0) > 0)

    def in_scope(self, rule: Rule, clause: Clause, product: str) -> list[str]:
        """The scope elements ``product`` holds, if it is of the scope's categories."""
        categories = rule.scope.categories
        if categories and self.V.nodes[product].get("category") not in categories:
            return []
        elements = clause.trigger.elements or rule.scope.elements or tuple(RARE_EARTHS)
        return self.holds(product, elements)

    def value_share(self, origin: str, elements: tuple[str, ...], categories: tuple[str, ...],
                    supplier: str, product: str) -> float | None:
        """The origin value share of ``product`` as ``supplier`` makes it (None: no price)."""
        price = self.V.nodes[product].get("unit_price_usd")
        if not price:
            return None
        key = (origin, elements, categories)
        if key not in self._value:
            net = self.network(origin)
            wanted = [(f, q) for f in net.facilities for q in net.products[f]
                      if f in self.H]
            held = {e for (_, q) in wanted for e in self.holds(q, elements)}
            mass = {e: self.mass_shares(net, origin, e) for e in sorted(held)}
            self._nets[key] = (net, mass)
            self._value[key] = _value_in(net, frozenset(elements),
                                         frozenset(categories) if categories else None,
                                         mass, set(), wanted)
        return self._value[key].get((supplier, product), 0.0) / float(price)

    def value_bounds(self, origin: str, elements: tuple[str, ...], categories: tuple[str, ...],
                     supplier: str, product: str) -> tuple[float, float]:
        """The exact interval of :meth:`value_share` over the ranged figures (call that
        first); :class:`oretrace.queries.intervals.ValueModel` argues the bounds."""
        from oretrace.queries.intervals import ValueModel

        key = (origin, elements, categories, supplier, product)
        if key not in self._bounds:
            system = self._system(origin, elements, categories, (supplier, product))
            self._bounds[key] = ValueModel(self.V, system, [supplier], product).bounds()
        return self._bounds[key]

    def _system(self, origin: str, elements: tuple[str, ...], categories: tuple[str, ...],
                wanted: tuple[str, str]) -> Any:
        """:func:`_value_system` for ``wanted`` alone, cut from the one of every key (built
        once per value key, not once per shipment): the keys ``wanted`` holds are closed
        under the inputs, so those of them that carry value are the whole system's live
        keys among them."""
        value_key = (origin, elements, categories)
        if value_key not in self._systems:
            net, mass = self._nets[value_key]
            keys = [(f, q) for f in net.facilities for q in net.products[f]]
            whole = _value_system(net, frozenset(elements),
                                  frozenset(categories) if categories else None, mass,
                                  set(), keys)
            self._systems[value_key] = (whole, {k: i for i, k in enumerate(whole.keys)})
        whole, index = self._systems[value_key]
        held = {index[wanted]} if wanted in index else set()
        stack = list(held)
        while stack:
            for t in whole.terms.get(stack.pop(), []):
                if t.key not in held:
                    held.add(t.key)
                    stack.append(t.key)
        return whole._replace(order=[i for i in whole.order if i in held])

    def weakest_upstream(self, f: str) -> tuple[Confidence, list[str]]:
        """The weakest confidence on ``f``'s needed supply, ``f`` included (one forward sweep
        per confidence level, from the facilities and hops at that level), and the sources
        of ``f`` itself."""
        if self._weakest is None:
            self._weakest = {}
            for level in (Confidence.ILLUSTRATIVE, Confidence.ESTIMATED, Confidence.REPORTED):
                seeds = {n for n, d in self.H.nodes(data=True) if d["confidence"] == level}
                seeds |= {v for _, v, d in self.H.edges(data=True) if d["confidence"] == level}
                for n in _spread(self.H, dict.fromkeys(seeds, level)):
                    self._weakest.setdefault(n, level)
        level = self._weakest.get(f, Confidence.DOCUMENTED)
        return level, sorted(self.H.nodes[f]["sources"]) if f in self.H else []

    # -- shipments -------------------------------------------------------------------

    def _routes(self, u: str, product: str, seen: frozenset[str] = frozenset()
                ) -> Iterator[tuple[str, str | None, list[str], set[str]]]:
        """``(supplier, market, confidences, sources)`` for the origins of ``product`` at ``u``."""
        if not self.is_market(u):
            yield u, None, [], set()
            return
        for w in self.H.predecessors(u):
            d = self.H.edges[w, u]
            if w in seen or product not in d["products"]:
                continue
            for origin, _, levels, cited in self._routes(w, product, seen | {u}):
                yield (origin, u, [d["confidence"], *levels],
                       set(d["sources"]) | cited)

    def shipments(self) -> list[Shipment]:
        needed: set[str] = set()
        for t in self.targets:
            needed |= nx.ancestors(self.H, t) if t in self.H else set()
        out: dict[tuple[str, str, str], Shipment] = {}
        for u, v, d in self.H.edges(data=True):
            if u not in needed or v not in needed or self.is_market(v):
                continue
            for q in d["products"]:
                for w, via, levels, cited in self._routes(u, q):
                    a, b = self.country(w), self.country(v)
                    if a == b or (w, v, q) in out:
                        continue
                    out[(w, v, q)] = self._shipment(w, v, q, via, [d["confidence"], *levels],
                                                    set(d["sources"]) | cited)
        return sorted(out.values(), key=lambda s: (s.supplier, s.buyer, s.product))

    def _shipment(self, w: str, v: str, q: str, via: str | None, levels: list[str],
                  cited: set[str]) -> Shipment:
        fed = sorted(self.fed(v))
        uses = sorted({str(self.V.nodes[p].get("end_user") or "unknown") for p in fed})
        dest = sorted({c for p in fed for c in self.V.nodes[p].get("delivered_to") or ()})
        if self.override[0] is not None:
            uses = [self.override[0]]
        if self.override[1] is not None:
            dest = [self.override[1]]
        company = self.V.nodes[v].get("company")
        nodes = [w, v]
        return Shipment(
            supplier=w, buyer=v, product=q, via=via, from_country=self.country(w),
            to_country=self.country(v), platforms=fed, end_uses=uses, destinations=dest,
            buyer_listed=self.listed.get(company) if company else None,
            confidence=weakest([*levels, *(self.H.nodes[n]["confidence"] for n in nodes)]),
            sources=sorted(cited | {s for n in nodes for s in self.H.nodes[n]["sources"]}))

    # -- clauses ---------------------------------------------------------------------

    def technology(self, facilities: Iterable[str], origin: str, stages: Iterable[str]
                   ) -> list[tuple[str, str, Confidence, list[str]]]:
        """``(facility, technology, confidence, sources)`` for facilities outside ``origin``
        running ``origin`` know-how of ``stages``."""
        wanted = set(stages)
        out = []
        for f in sorted(facilities):
            if self.country(f) == origin:
                continue
            for _, tech, d in self.V.out_edges(f, data=True):
                t = self.V.nodes[tech]
                if (d.get("kind") == EdgeKind.USES and t.get("origin_country") == origin
                        and (not wanted or t.get("stage") in wanted)):
                    out.append((f, tech, weakest([d.get("confidence", "documented"),
                                                  t.get("confidence", "documented")]),
                                sorted(set(d.get("sources", [])) | set(t.get("sources", [])))))
        return out

    def tainted(self, origin: str, stages: tuple[str, ...]
                ) -> dict[str, tuple[str, str, Confidence, list[str]]]:
        """For each facility, a facility at or upstream of it (outside ``origin``) running
        ``origin`` know-how of ``stages``: one forward sweep on the needed-supply graph."""
        key = (origin, stages)
        if key not in self._taint:
            seeds: dict[str, tuple[str, str, Confidence, list[str]]] = {}
            for f, tech, level, cited in self.technology(
                    [n for n in self.H if not self.H.nodes[n].get("product")], origin, stages):
                seeds.setdefault(f, (f, tech, level, cited))
            self._taint[key] = _spread(self.H, seeds)
        return self._taint[key]

    def test(self, rule: Rule, clause: Clause, s: Shipment) -> _Finding | None:
        """The finding of an export or extraterritorial clause on ``s`` (None: no bite)."""
        trig = clause.trigger
        category = self.V.nodes[s.product].get("category")
        if clause.kind == "export":
            if s.from_country != trig.origin:
                return None
            held = self.in_scope(rule, clause, s.product)
            if not held:
                return None
            node = self.V.nodes[s.product]
            return _Finding(f"{s.product} ({category}) holds {'/'.join(held)}, shipped from "
                            f"{trig.origin}", None, Confidence(node.get("confidence")),
                            list(node.get("sources", [])))
        if s.from_country == trig.origin or not self.in_scope(rule, clause, s.product):
            return None
        if trig.kind == "origin_value_share":
            elements = trig.elements or rule.scope.elements or tuple(sorted(RARE_EARTHS))
            share = self.value_share(trig.origin, tuple(elements), tuple(rule.scope.categories),
                                     s.supplier, s.product)
            if share is None:
                return None
            low, high = self.value_bounds(trig.origin, tuple(elements),
                                          tuple(rule.scope.categories), s.supplier, s.product)
            test = threshold_test(low, high, trig.threshold)
            if test == "clear":
                return None
            level, cited = self.weakest_upstream(s.supplier)
            price = float(self.V.nodes[s.product]["unit_price_usd"])
            spread = (f", {low * 100:.3g}–{high * 100:.3g} % over the data's ranges"
                      if high - low > 1e-12 else "")
            word = ("≥" if test == "crosses" else
                    "undecided: the range straddles")
            return _Finding(f"{trig.origin}-origin value share of {s.product} from {s.supplier} "
                            f"{share * 100:.3g} %{spread} {word} {trig.threshold * 100:.3g} % "
                            f"({share * price:,.2f} $ of {price:,.2f} $)", share, level, cited,
                            test=test, bounds=(low, high))
        hit = self.tainted(trig.origin, tuple(trig.stages)).get(s.supplier)
        if hit is None:
            return None
        f, tech, level, cited = hit
        return _Finding(f"made with {trig.origin}-origin technology {tech} at {f}",
                        None, level, cited)

    def end_use(self, clause: Clause, s: Shipment) -> str | None:
        """The end use by which an end-user clause bites on ``s`` (None: it does not)."""
        trig = clause.trigger
        if trig.countries and not ({s.to_country} | set(s.destinations)) & set(trig.countries):
            return None
        for use in s.end_uses:
            if use in trig.end_users:
                return use
        if "listed" in trig.end_users and s.buyer_listed:
            return f"listed buyer ({s.buyer_listed})"
        return None


def _spread(H: nx.DiGraph, seeds: dict[str, _T]) -> dict[str, _T]:
    """Each node reached forward from a seed, with the value of the seed it was reached
    from (one depth-first sweep; a node reached from several seeds keeps the first's)."""
    found = dict(seeds)
    stack = list(seeds)
    while stack:
        u = stack.pop()
        for v in H.successors(u):
            if v not in found:
                found[v] = found[u]
                stack.append(v)
    return found


def _materialised(G: nx.MultiDiGraph, view: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``view.copy()`` for a filtered view of ``G`` (``restrict``), asking the view's own
    filters once per node and edge (its copy asks them again at every step): the same
    nodes, edges, order and attributes (shallow copies)."""
    node_ok, edge_ok = view._NODE_OK, view._EDGE_OK  # set by networkx.subgraph_view
    out = nx.MultiDiGraph()
    out.graph.update(G.graph)
    keep = {n for n in G if node_ok(n)}
    out.add_nodes_from((n, dict(d)) for n, d in G.nodes(data=True) if n in keep)
    out.add_edges_from((u, v, k, dict(d)) for u, nbrs in G.adj.items() if u in keep
                       for v, keyed in nbrs.items() if v in keep
                       for k, d in keyed.items() if edge_ok(u, v, k))
    return out


def _listed_companies(V: nx.MultiDiGraph) -> dict[str, str]:
    """Companies on an entity list, or at least 50 % owned by listed companies: why.

    Ranged ownership shares (``lo..hi``): listed at their low ends is listed (``crosses``);
    listed only at their high ends (the fixed point grows with every share) is listed with
    the reason saying the 50 % test is ``undecided``."""
    sure, most = _listed_at(V, 0), _listed_at(V, 1)
    return {c: why if c in sure else f"{why} (undecided: ranged ownership shares straddle "
            "the 50 % line)" for c, why in most.items()}


def _listed_at(V: nx.MultiDiGraph, end: int) -> dict[str, str]:
    """:func:`_listed_companies` with every ranged ownership share at its ``end``."""
    companies = nodes_of(V, NodeKind.COMPANY)
    why = {c: f"{c} on {', '.join(V.nodes[c]['listed_on'])}" for c in companies
           if V.nodes[c].get("listed_on")}
    holders: dict[str, list[tuple[str, float]]] = {}
    for u, v, d in V.edges(data=True):
        if d.get("kind") == EdgeKind.OWNS:
            ends = range_of(d, "share")
            holders.setdefault(v, []).append(
                (u, float(d.get("share", 0.0)) if ends is None else ends[end]))
    for company, owners in held_companies(holders, why).items():
        why[company] = f"{company} ≥ 50 % owned by listed {', '.join(owners)}"
    return why


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
    return _Context(G, targets, parse_date(as_of), min_confidence, end_user, destination)


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
    UnknownNodeError, QueryError
        As :func:`shipment_verdicts` does.

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
def shipment_verdicts(
    G: nx.MultiDiGraph,
    platform: str | Iterable[str],
    *,
    as_of: str | dt.date | None = None,
    assume: str = "lapsed",
    rules: str | Iterable[str] | None = None,
    min_confidence: str | Confidence | None = None,
    end_user: str | None = None,
    destination: str | None = None,
) -> list[ShipmentVerdict]:
    """Return one :class:`ShipmentVerdict` per shipment and rule that bites (module docstring).

    Parameters
    ----------
    %(G)s
    %(platforms_merged)s
    %(rule_options)s
    %(end_user)s
    destination : str, optional
        Read every shipment as if this ISO country code were its only destination (default:
        the platforms' own ``delivered_to``).

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
    chosen = _rules(G, rules)
    how = _check(assume)
    targets = resolve_products(G, [platform] if isinstance(platform, str) else platform)
    ctx = _context(G, targets, as_of, min_confidence, end_user, destination)
    times = {rule.id: _times(rule, ctx.day, how) for rule in chosen}
    out = []
    for s in ctx.shipments():
        for rule in chosen:
            row = _verdicts_on(ctx, rule, s, times[rule.id])
            if row is not None:
                out.append(row)
    return out


@shared_docs
def find_shipments(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    as_of: str | dt.date | None = None,
    assume: str = "lapsed",
    rules: str | Iterable[str] | None = None,
    min_confidence: str | Confidence | None = None,
) -> pd.DataFrame:
    """Return the shipments of ``platform``'s supply that a rule bites on, one row each.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph, with its rule nodes (not mutated).
    platform : str
        A platform (or any product) id.
    %(rule_options)s

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
    rows = shipment_verdicts(G, platform, as_of=as_of, assume=assume, rules=rules,
                             min_confidence=min_confidence)
    return pd.DataFrame([{c: _plain(getattr(r, c)) for c in SHIPMENT_COLUMNS} for r in rows],
                        columns=list(SHIPMENT_COLUMNS))


def _plain(value: Any) -> Any:
    """A table cell: an enumeration's word (``denied``), anything else as it is."""
    return value.value if isinstance(value, Enum) else value

