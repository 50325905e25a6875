"""One network as of one date, read for the shipments of a platform's supply and the tests
the rules make on them (:mod:`oretrace.queries.shipments`)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import networkx as nx
from oretrace.graphmodel import (
    Confidence,
    nodes_of,
    platforms,
    restrict,
    weakest,
)
from oretrace.graphmodel.ownership import held_companies
from oretrace.graphmodel.ranges import range_of
from oretrace.graphmodel.rules import (
    Clause,
    Rule,
)
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage
from oretrace.queries._content_mass import _mass_shares, _Network
from oretrace.queries._content_table import _content_table
from oretrace.queries._content_value import _value_in, _value_system
from oretrace.queries._shipments_models import Shipment, _Finding
from oretrace.queries.content import RARE_EARTHS, origin_facilities
from oretrace.queries.exposure import supply_graph
from oretrace.queries.intervals import threshold_test

__all__: list[str] = []


_T = TypeVar("_T")


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
