"""Feasibility under failures: which facilities and platforms are still supplied (AND/OR).

A facility is *supplied* when it is active at the date, has not failed, and for every input
it needs at least one supplier of that input is supplied over a link that has not failed
(AND across inputs, OR across suppliers; ``../shared/DESIGN.md`` §3). Cycles (recycling) take
the least fixed point from the facilities that need nothing, computed in linear time with one
counter of unmet inputs per facility. A platform is supplied when any facility assembling it
is supplied.

Failures are named as ``ID`` or ``facility:ID`` (one facility), ``company:ID`` (every facility
the company operates) or ``country:CC`` (every facility located in the country). A *policy*
turns a rule of the graph into failed links (see :data:`POLICIES`). Substitutes
(bill-of-materials lines with ``substitute_for``) are alternatives that count only when
``substitutions=True``; the result lists each substitution the answer relies on.

Markets (facilities of stage ``market``) are stand-ins for unknown specific links — a
country or world pool with country shares — not sites that can be lost. They belong to no
group at any level (:func:`group_keys` gives ``None``): ``company:ID`` and ``country:CC``
never fail them, and chokepoint queries never rank or cut them, only their suppliers. A
market can still be failed by naming it (``ID`` or ``facility:ID``), to ask what happens if
the pooled market closes.

**Engines.** The public queries (:func:`simulate` here, and those of
:mod:`oretrace.queries.chokepoints`, :mod:`oretrace.queries.content` and
:mod:`oretrace.queries.exposure`) take
``engine``: ``"plain"`` runs the networkx implementation (the reference), ``"compiled"``
the array form of :mod:`oretrace.graphmodel.compiled` (one vectorised pass per level, same answers),
and ``"auto"`` (the default) picks compiled from
:data:`oretrace.graphmodel.compiled.COMPILED_MIN_EDGES` graph edges, plain below
(:func:`choose_engine`). :data:`ENGINE_RUNS` counts which engine answered each query.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import numpy.typing as npt
from oretrace.graphmodel import (
    QueryError,
    UnknownNodeError,
    compiled,
    facilities_making,
    is_active,
    needed_inputs,
    nodes_of,
    parse_date,
    platforms,
    restrict,
)
from oretrace.graphmodel.graph import makers_of
from oretrace.graphmodel.vocab import COUNTRIES, EdgeKind, NodeKind, Stage
from oretrace.queries._vocab import LEVELS, POLICY_SUMMARIES, POLICY_TEXT
from oretrace.queries.predicates import located_in
from pydantic import BaseModel, Field

__all__ = [
    "ENGINES",
    "ENGINE_RUNS",
    "POLICIES",
    "ClauseStatus",
    "DeniedLink",
    "Engine",
    "Feasibility",
    "Need",
    "Policy",
    "PolicyReport",
    "Substitution",
    "SupplyNetwork",
    "group_keys",
    "LEVELS",
    "MILITARY_END_USERS",
    "choose_engine",
    "clause_status",
    "compiled_scenario",
    "military_chain",
    "resolve_failures",
    "scenario_network",
    "simulate",
    "supplied_mask",
    "supply_network",
]

#: A supply link, as ``(supplier, buyer, product)``.
Link = tuple[str, str, str]


# --------------------------------------------------------------------------- engines

#: Which implementation answers a query: by size (``auto``), networkx, or the array form.
Engine = Literal["auto", "plain", "compiled"]
#: The engines a query accepts.
ENGINES: tuple[str, ...] = ("auto", "plain", "compiled")
#: How many times each query ran on each engine in this process: ``(query, engine)`` → count.
ENGINE_RUNS: Counter[tuple[str, str]] = Counter()


def choose_engine(
    G: nx.MultiDiGraph,
    engine: str = "auto",
    *,
    query: str,
    unsupported: str | None = None,
) -> Literal["plain", "compiled"]:
    """Return the engine that answers ``query`` on ``G``, and count it in :data:`ENGINE_RUNS`.

    ``auto`` picks ``compiled`` when ``G`` has at least
    :data:`oretrace.graphmodel.compiled.COMPILED_MIN_EDGES` edges and ``plain`` otherwise.
    ``unsupported`` names an option of this call that the compiled form does not read
    (e.g. ``min_confidence``): ``auto`` then picks ``plain``, and an explicit ``compiled``
    raises :class:`oretrace.graphmodel.QueryError`, as does an unknown engine.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> choose_engine(load_dataset(MINI), query="doctest")
    'plain'
    >>> choose_engine(load_dataset(MINI), "compiled", query="doctest")
    'compiled'
    """
    if engine not in ENGINES:
        raise QueryError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    chosen: Literal["plain", "compiled"]
    if engine == "compiled":
        if unsupported is not None:
            raise QueryError(f"{query}: the compiled engine does not read {unsupported}; "
                             "use engine='plain' (or 'auto')")
        chosen = "compiled"
    elif engine == "plain" or unsupported is not None:
        chosen = "plain"
    else:
        chosen = "compiled" if _has_edges(G, compiled.COMPILED_MIN_EDGES) else "plain"
    ENGINE_RUNS[(query, chosen)] += 1
    return chosen


def _has_edges(G: nx.MultiDiGraph, n: int) -> bool:
    """Whether ``G`` has at least ``n`` edges, counting them only when it must: the linked
    pairs (one per neighbour, a quick count) are never more than the edges."""
    if sum(len(nbrs) for _, nbrs in G.adjacency()) >= n:
        return True
    return bool(G.number_of_edges() >= n)


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True)
class Need:
    """One input a facility needs, with every live link that can meet it.

    ``product`` is the bill-of-materials input; ``suppliers`` holds ``(supplier index,
    product carried)`` for each live supply link carrying that product or, when
    substitutions are allowed, one of its substitutes.
    """

    product: str
    suppliers: tuple[tuple[int, str], ...]
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupplyNetwork:
    """The facility graph of one date, compiled for repeated feasibility runs.

    ``facilities`` are the facilities active at ``as_of``; ``needs[i]`` are the inputs
    facility ``i`` needs; ``out_links[u]`` lists ``(buyer index, need position)`` for every
    need that a link from ``u`` can meet; ``assemblies`` maps each platform of the graph to
    the indices of the active facilities making it. Links in ``denied`` are left out.
    """

    as_of: dt.date
    facilities: tuple[str, ...]
    index: Mapping[str, int]
    needs: tuple[tuple[Need, ...], ...]
    out_links: tuple[tuple[tuple[int, int], ...], ...]
    assemblies: Mapping[str, tuple[int, ...]]
    substitutions: bool
    denied: frozenset[Link]
    view: nx.MultiDiGraph

    def __len__(self) -> int:
        return len(self.facilities)


def _alternatives(G: nx.MultiDiGraph, facility: str, substitutions: bool) -> dict[str, list[str]]:
    """Return ``{needed input: [input, substitutes...]}`` for ``facility``."""
    needs = {p: [p] for p in sorted(needed_inputs(G, facility))}
    attrs = G.nodes[facility]
    if not substitutions or attrs.get("stage") == Stage.MARKET:
        return needs
    made = set(attrs.get("products", ()))
    for product in attrs.get("products", ()):
        if product not in G:
            continue
        for _, inp, d in G.out_edges(product, data=True):
            target = d.get("substitute_for")
            if d.get("kind") == EdgeKind.REQUIRES and target in needs and inp not in made \
                    and inp not in needs[target]:
                needs[target].append(inp)
    return needs


def supply_network(
    G: nx.MultiDiGraph,
    *,
    as_of: str | dt.date | None = None,
    substitutions: bool = False,
    denied: Iterable[Link] = (),
) -> SupplyNetwork:
    """Compile the facility graph of ``G`` as of a date (links in ``denied`` removed).

    Cached per graph object, date, options and the graph's node and edge counts, as
    :func:`oretrace.graphmodel.compiled.compile_graph`: a graph changed in place without changing
    those counts must not be asked again (ask a copy).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> net = supply_network(load_dataset(), as_of="2026-11-24")
    >>> all(len(net.assemblies[p]) >= 1 for p in ("F-35", "Tomahawk"))
    True
    """
    day = parse_date(as_of)
    denied_set = frozenset(denied)
    # Built once per graph, date, options and size: a scenario asks for the same network up
    # to five times (feasibility, baseline, shortfall), each a walk of every edge.
    key = (day, bool(substitutions), denied_set, G.number_of_nodes(), G.number_of_edges())
    try:
        per_graph = _NETWORKS.setdefault(G, {})
    except TypeError:  # not weak-referenceable: no cache
        per_graph = {}
    if key not in per_graph:
        if len(per_graph) >= 4:  # a few dates and policies per graph: bounded memory
            per_graph.clear()
        per_graph[key] = _supply_network(G, day, substitutions, denied_set)
    return per_graph[key]


_NETWORKS: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[Any, SupplyNetwork]] = \
    weakref.WeakKeyDictionary()


def _supply_network(G: nx.MultiDiGraph, day: dt.date, substitutions: bool,
                    denied_set: frozenset[Link]) -> SupplyNetwork:
    # One pass over G with the view's own test (is_active) instead of reading through the
    # view at every step; the view is what the network keeps and what the rules read.
    view = restrict(G, as_of=day)
    facilities = tuple(n for n, d in G.nodes(data=True)
                       if d.get("kind") == NodeKind.FACILITY and is_active(d, day))
    index = {f: i for i, f in enumerate(facilities)}
    needs: list[tuple[Need, ...]] = []
    out: list[list[tuple[int, int]]] = [[] for _ in facilities]
    # a facility's alternatives depend only on what it makes and whether it is a market
    recipes: dict[tuple[tuple[str, ...], bool], dict[str, list[str]]] = {}
    for i, f in enumerate(facilities):
        attrs = G.nodes[f]
        key = (tuple(attrs.get("products", ())), attrs.get("stage") == Stage.MARKET)
        if key not in recipes:
            recipes[key] = _alternatives(view, f, substitutions)
        alts = recipes[key]
        carried: dict[str, list[tuple[int, str]]] = {}
        for u, keyed in G.pred[f].items():
            if u not in index:
                continue
            for d in keyed.values():
                if d.get("kind") != EdgeKind.SUPPLIES or not is_active(d, day) \
                        or (u, f, d["product"]) in denied_set:
                    continue
                carried.setdefault(d["product"], []).append((index[u], d["product"]))
        row: list[Need] = []
        for j, (product, options) in enumerate(alts.items()):
            sups = tuple(s for option in options for s in sorted(carried.get(option, [])))
            row.append(Need(product=product, suppliers=sups, alternatives=tuple(options[1:])))
            for u_idx, _ in sups:
                if (i, j) not in out[u_idx]:
                    out[u_idx].append((i, j))
        needs.append(tuple(row))
    assemblies = {p: tuple(index[f] for f in makers if f in index)
                  for p, makers in makers_of(G, platforms(view)).items()}
    return SupplyNetwork(as_of=day, facilities=facilities, index=index, needs=tuple(needs),
                         out_links=tuple(tuple(o) for o in out), assemblies=assemblies,
                         substitutions=substitutions, denied=denied_set, view=view)


def supplied_mask(net: SupplyNetwork, failed: Iterable[int] = ()) -> list[bool]:
    """Return, per facility index, whether it is supplied when ``failed`` facilities fail.

    The least fixed point from the facilities that need nothing, with one counter of unmet
    needs per facility: linear in the number of links.
    """
    n = len(net.facilities)
    down = [False] * n
    for i in failed:
        down[i] = True
    remaining = [len(needs) for needs in net.needs]
    met = [[False] * len(needs) for needs in net.needs]
    supplied = [False] * n
    stack = [i for i in range(n) if remaining[i] == 0 and not down[i]]
    for i in stack:
        supplied[i] = True
    while stack:
        u = stack.pop()
        for i, j in net.out_links[u]:
            if down[i] or met[i][j]:
                continue
            met[i][j] = True
            remaining[i] -= 1
            if remaining[i] == 0:
                supplied[i] = True
                stack.append(i)
    return supplied


def group_keys(net: SupplyNetwork, level: str) -> list[str | None]:
    """Return, per facility index, the key of its group at ``level`` (``None``: no group).

    ``facility``: its id; ``company``: its operating company; ``country``: its country code.
    A facility without an operator (or without a country) is a group of its own, keyed
    ``facility:<id>``. A market belongs to no group at any level (see the module docstring):
    its key is ``None``.
    """
    if level not in LEVELS:
        raise QueryError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    attrs = [net.view.nodes[f] for f in net.facilities]
    if level == "facility":
        return [None if d.get("stage") == Stage.MARKET else f
                for f, d in zip(net.facilities, attrs, strict=True)]
    attr = "company" if level == "company" else "country"
    return [None if d.get("stage") == Stage.MARKET else d.get(attr) or f"facility:{f}"
            for f, d in zip(net.facilities, attrs, strict=True)]


# --------------------------------------------------------------------------- failures


def resolve_failures(G: nx.MultiDiGraph, fail: Iterable[str]) -> dict[str, list[str]]:
    """Return ``{spec: [facility ids]}`` for failure specs ``ID``, ``facility:ID``,
    ``company:ID`` or ``country:CC``.

    A bare ``ID`` may name a facility or a company. Markets belong to no company or country:
    only ``ID`` or ``facility:ID`` fails one. Unknown ids raise
    :class:`oretrace.graphmodel.UnknownNodeError` (with close matches); an unknown country code or
    prefix raises :class:`oretrace.graphmodel.QueryError`.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> "cn-separation-pool" in resolve_failures(load_dataset(), ["country:CN"])["country:CN"]
    True
    """
    facilities = nodes_of(G, NodeKind.FACILITY)
    out: dict[str, list[str]] = {}
    for spec in fail:
        prefix, sep, value = spec.partition(":")
        if not sep:
            prefix, value = "", spec
        prefix = prefix.strip().lower()
        value = value.strip()
        if prefix == "" and G.nodes.get(value, {}).get("kind") == NodeKind.COMPANY:
            prefix = "company"
        if prefix in ("", "facility"):
            kind = G.nodes.get(value, {}).get("kind")
            if kind != NodeKind.FACILITY:
                known = facilities + (nodes_of(G, NodeKind.COMPANY) if not prefix else [])
                what = "facility" if prefix else "facility or company"
                raise UnknownNodeError(value, known, what)
            out[spec] = [value]
        elif prefix == "company":
            if G.nodes.get(value, {}).get("kind") != NodeKind.COMPANY:
                raise UnknownNodeError(value, nodes_of(G, NodeKind.COMPANY), "company")
            out[spec] = [f for f in facilities if G.nodes[f].get("company") == value
                         and G.nodes[f].get("stage") != Stage.MARKET]
        elif prefix == "country":
            code = value.upper()
            if code not in COUNTRIES:
                raise QueryError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
            located = located_in(code).select(G)
            out[spec] = [f for f in facilities
                         if f in located and G.nodes[f].get("stage") != Stage.MARKET]
        else:
            raise QueryError(f"cannot read failure {spec!r}: use ID, facility:ID, company:ID "
                             "or country:CC")
    return out


# --------------------------------------------------------------------------- policies


class ClauseStatus(BaseModel):
    """Whether one clause of a rule applies at the date, and why."""

    rule: str
    instrument: str
    clause: str
    in_force: bool
    reason: str
    sources: list[str]


class DeniedLink(BaseModel):
    """A supply link a policy fails, with the clause that fails it."""

    supplier: str
    buyer: str
    product: str
    rule: str
    clause: str


class PolicyReport(BaseModel):
    """What a policy did at the date: the clauses it read and the links it failed."""

    name: str
    description: str
    as_of: dt.date
    in_force: bool
    clauses: list[ClauseStatus]
    denied_links: list[DeniedLink]
    note: str


@dataclass(frozen=True)
class Policy:
    """A named, rule-driven failure; ``apply(view, as_of, substitutions)`` reports failed links."""

    name: str
    description: str
    apply: Callable[[nx.MultiDiGraph, dt.date, bool], PolicyReport]
    summary: str = ""


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    return parse_date(value)


def clause_status(rule: Mapping[str, Any], clause: Mapping[str, Any],
                  day: dt.date, *, assume: str = "lapsed") -> tuple[bool, str]:
    """Return ``(in force, reason)`` for ``clause`` of ``rule`` (a rule node's attributes) at
    ``day``: :func:`oretrace.graphmodel.rules.rule_time`, the one reading of rule time.

    A clause applies from its ``effective`` date (default: the rule's) until its ``until``
    (exclusive), outside every suspension that covers the whole rule or names the clause;
    a suspension runs to its ``until`` *inclusive* (MOFCOM No. 70 suspends No. 61 "until 10
    November 2026", so it applies again from 2026-11-11, under the ``lapsed`` assumption).
    """
    from oretrace.graphmodel.rules import Clause, Rule, rule_time

    data = {"id": "rule", "name": "rule", "authority": "", "instrument": "",
            "sources": ["-"], "confidence": "documented",
            "clauses": [{"id": "x", "kind": "export", "text": "", "verdict": "licence-required",
                         "trigger": {"kind": "origin_content"}}]}
    data.update({k: v for k, v in rule.items() if k != "kind"})
    r = Rule.model_validate(data)
    known = next((c for c in r.clauses if c.id == clause.get("id")), None)
    c = known or Clause.model_validate(
        {"kind": "export", "text": "", "verdict": "licence-required",
         "trigger": {"kind": "origin_content"}, **dict(clause)})
    time = rule_time(r, day, assume=assume, clause=c)  # type: ignore[arg-type]
    return time.applies, time.reason


#: End-user tokens of the rules data that name military end users of the platforms.
MILITARY_END_USERS = frozenset({"military"})


def military_chain(G: nx.MultiDiGraph, *, substitutions: bool = False) -> set[str]:
    """Return the facilities of ``G`` upstream of (or assembling) any platform.

    Upstream follows supply links that carry an input the buyer needs (or, with
    ``substitutions``, a substitute for one).
    """
    net_edges: dict[str, set[str]] = {}
    for f in nodes_of(G, NodeKind.FACILITY):
        wanted = {p for options in _alternatives(G, f, substitutions).values() for p in options}
        for u, _, d in G.in_edges(f, data=True):
            if d.get("kind") == EdgeKind.SUPPLIES and d["product"] in wanted:
                net_edges.setdefault(f, set()).add(u)
    stack = [f for p in platforms(G) for f in facilities_making(G, p)]
    chain: set[str] = set()
    while stack:
        f = stack.pop()
        if f in chain:
            continue
        chain.add(f)
        stack.extend(net_edges.get(f, ()))
    return chain


def _denies_military(country: str) -> Callable[[nx.MultiDiGraph, dt.date, bool], PolicyReport]:
    def apply(G: nx.MultiDiGraph, day: dt.date, substitutions: bool) -> PolicyReport:
        # One code path with `oretrace shipments`: the shipments of every platform's supply
        # that a rule of `country` denies to a military end use (oretrace.queries.shipments).
        from oretrace.graphmodel.rules import clause_applies, rule_from_node
        from oretrace.queries.shipments import shipment_verdicts

        statuses: list[ClauseStatus] = []
        ours: list[str] = []
        for n in nodes_of(G, NodeKind.RULE):
            rule = rule_from_node(G.nodes[n], n)
            origins = {c.trigger.origin for c in rule.clauses
                       if c.kind in ("export", "extraterritorial")}
            if country not in origins:
                continue
            by_id = {c.id: c for c in rule.clauses}
            for clause in rule.clauses:
                if clause.kind != "end-user" or clause.verdict != "denied" or \
                        not MILITARY_END_USERS & set(clause.trigger.end_users):
                    continue
                time = clause_applies(rule, clause, day, "lapsed", by_id)
                statuses.append(ClauseStatus(rule=n, instrument=rule.instrument,
                                             clause=clause.id, in_force=time.applies,
                                             reason=time.reason, sources=list(rule.sources)))
                if n not in ours:
                    ours.append(n)
        live = [s for s in statuses if s.in_force]
        denied: dict[Link, DeniedLink] = {}
        targets = platforms(restrict(G, as_of=day))
        if live and targets:
            rules = sorted({s.rule for s in live})
            for row in shipment_verdicts(G, targets, as_of=day, rules=rules):
                if row.applies and row.verdict == "denied" and row.end_use in \
                        MILITARY_END_USERS and row.link not in denied:
                    u, v, p = row.link
                    denied[row.link] = DeniedLink(supplier=u, buyer=v, product=p,
                                                  rule=row.rule, clause=row.clause)
        if not statuses:
            note = f"no rule in the data denies military end users for exports from {country}"
        elif not live:
            note = (f"no rule denying military end users is in force on {day}: "
                    + "; ".join(f"{s.instrument} {s.clause} {s.reason}" for s in statuses))
        else:
            note = (f"{len(denied)} link(s) carrying shipments that {country} denies to military "
                    "end users fail under " + ", ".join(sorted({f"{s.instrument} {s.clause}"
                                                               for s in live})))
        return PolicyReport(name=f"{country.lower()}-denies-military",
                            description=POLICY_TEXT.format(country=country), as_of=day,
                            in_force=bool(live), clauses=statuses,
                            denied_links=sorted(denied.values(), key=lambda x: (
                                x.supplier, x.buyer, x.product)),
                            note=note)
    return apply


#: Policies by name: each reads the rule nodes of the graph as of the date.
POLICIES: dict[str, Policy] = {
    "cn-denies-military": Policy(
        "cn-denies-military", POLICY_TEXT.format(country="CN"), _denies_military("CN"),
        summary=POLICY_SUMMARIES["cn-denies-military"]),
}


def _policy(name: str | Policy | None) -> Policy | None:
    if name is None or isinstance(name, Policy):
        return name
    if name not in POLICIES:
        raise QueryError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    return POLICIES[name]


# --------------------------------------------------------------------------- simulate


class Substitution(BaseModel):
    """A need met only through a substitute input."""

    facility: str
    product: str
    substitute: str
    suppliers: list[str]


class Feasibility(BaseModel):
    """Which platforms and facilities are still supplied after the failures, as of a date."""

    as_of: dt.date
    fail: list[str] = Field(description="the failure specs as given")
    failed: list[str] = Field(description="the facilities that fail")
    policy: PolicyReport | None
    substitutions_allowed: bool
    supplied: list[str] = Field(description="platforms still supplied")
    unsupplied: list[str] = Field(description="platforms not supplied")
    supplied_facilities: list[str]
    unsupplied_facilities: list[str]
    substitutions: list[Substitution]
    data_gaps: list[str]


def _substitutions_used(net: SupplyNetwork, supplied: Sequence[bool]) -> list[Substitution]:
    used = []
    for i, needs in enumerate(net.needs):
        if not supplied[i]:
            continue
        for need in needs:
            direct = [u for u, p in need.suppliers if p == need.product and supplied[u]]
            if direct:
                continue
            alt = [(u, p) for u, p in need.suppliers if supplied[u]]
            if alt:
                used.append(Substitution(
                    facility=net.facilities[i], product=need.product, substitute=alt[0][1],
                    suppliers=sorted({net.facilities[u] for u, p in alt if p == alt[0][1]})))
    return used


def _data_gaps(net: SupplyNetwork) -> list[str]:
    """Needs that no link carries at the date (before failures and policies), and
    platforms that nothing assembles."""
    gaps = []
    for i, needs in enumerate(net.needs):
        f = net.facilities[i]
        carried = {d["product"] for _, _, d in net.view.in_edges(f, data=True)
                   if d.get("kind") == EdgeKind.SUPPLIES}
        gaps += [f"{f} needs {need.product} but nothing supplies it on {net.as_of}"
                 for need in needs
                 if not carried & {need.product, *need.alternatives}]
    gaps += [f"platform {p}: no facility assembles it on {net.as_of}"
             for p, idx in net.assemblies.items() if not idx]
    return gaps


def scenario_network(
    G: nx.MultiDiGraph,
    *,
    fail: Iterable[str] = (),
    as_of: str | dt.date | None = None,
    policy: str | Policy | None = None,
    substitutions: bool = False,
) -> tuple[SupplyNetwork, frozenset[int], PolicyReport | None]:
    """Return the compiled network of a scenario, the indices of its failed facilities, and
    the policy's report (``None`` without a policy). The parts :func:`simulate` stands on."""
    day = parse_date(as_of)
    failed_ids = {f for ids in resolve_failures(G, fail).values() for f in ids}
    chosen = _policy(policy)
    report = chosen.apply(restrict(G, as_of=day), day, substitutions) if chosen else None
    denied = {(d.supplier, d.buyer, d.product) for d in report.denied_links} if report else set()
    net = supply_network(G, as_of=day, substitutions=substitutions, denied=denied)
    return net, frozenset(net.index[f] for f in failed_ids if f in net.index), report


def simulate(
    G: nx.MultiDiGraph,
    *,
    fail: Iterable[str] = (),
    as_of: str | dt.date | None = None,
    policy: str | Policy | None = None,
    substitutions: bool = False,
    engine: Engine = "auto",
) -> Feasibility:
    """Return which platforms and facilities are still supplied when ``fail`` fails.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    fail : iterable of str
        What fails (default nothing): failure specs ``ID`` or ``facility:ID`` (one
        facility; a bare ``ID`` may also name a company), ``company:ID`` (every facility the
        company operates) or ``country:CC`` (every facility located in that country).
    as_of : date or ISO str, optional
        The date to read the network at (default today): facilities and links outside their
        date windows are absent (planned facilities count from ``online_from``, links from
        ``start``).
    policy : str or Policy, optional
        A policy from :data:`oretrace.queries.feasibility.POLICIES` by name, e.g.
        ``"cn-denies-military"`` (the shipments a rule of the data denies to military end uses
        stop), or ``None`` (the default) for none.
    substitutions : bool
        Let substitute inputs (bill-of-materials lines with ``substitute_for``) meet a need
        (default ``False``); the result lists each one used.
    engine : {"auto", "plain", "compiled"}
        ``plain``: the networkx implementation (the reference); ``compiled``: the array
        form (:mod:`oretrace.graphmodel.compiled`), the same answer field by field; ``auto``
        (default): compiled from :data:`oretrace.graphmodel.compiled.COMPILED_MIN_EDGES` edges.

    Returns
    -------
    Feasibility
        The ``supplied`` and ``unsupplied`` platforms and facilities, the facilities that
        ``failed``, the ``policy`` applied (with the links it cut), each substitution used and
        the ``data_gaps`` (needs with no supplier at all).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset()
    >>> base = simulate(G, as_of="2026-11-24")
    >>> "F-35" in base.supplied
    True
    >>> no_cn = simulate(G, fail=["country:CN"], as_of="2026-11-24")
    >>> set(no_cn.supplied) <= set(base.supplied)
    True
    >>> simulate(G, fail=["country:CN"], as_of="2026-11-24", engine="compiled") == no_cn
    True
    """
    specs = list(fail)
    if choose_engine(G, engine, query="simulate") == "compiled":
        return _simulate_compiled(G, specs, as_of=as_of, policy=policy,
                                  substitutions=substitutions)
    net, failed, report = scenario_network(G, fail=specs, as_of=as_of, policy=policy,
                                           substitutions=substitutions)
    ok = supplied_mask(net, failed)
    return Feasibility(
        as_of=net.as_of, fail=specs,
        failed=sorted({f for ids in resolve_failures(G, specs).values() for f in ids}),
        policy=report, substitutions_allowed=substitutions,
        supplied=sorted(p for p, idx in net.assemblies.items() if any(ok[i] for i in idx)),
        unsupplied=sorted(p for p, idx in net.assemblies.items() if not any(ok[i] for i in idx)),
        supplied_facilities=sorted(f for f, s in zip(net.facilities, ok, strict=True) if s),
        unsupplied_facilities=sorted(f for f, s in zip(net.facilities, ok, strict=True) if not s),
        substitutions=_substitutions_used(net, ok),
        data_gaps=_data_gaps(net),
    )


def compiled_scenario(
    G: nx.MultiDiGraph,
    *,
    fail: Iterable[str] = (),
    as_of: str | dt.date | None = None,
    policy: str | Policy | None = None,
    substitutions: bool = False,
) -> tuple[compiled.CompiledGraph, list[str], PolicyReport | None,
           npt.NDArray[np.bool_] | None]:
    """Return the compiled form of a scenario: the compiled graph, the facilities that fail
    (every id the specs name, sorted), the policy's report, and the live-link mask with the
    policy's denied links off (``None`` when none is denied). The compiled counterpart of
    :func:`scenario_network`.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> cg, failed, report, alive = compiled_scenario(load_dataset(MINI),
    ...                                               fail=["country:CN"], as_of="2026-06-01")
    >>> failed, report, alive
    (['cn-mine', 'cn-sep'], None, None)
    """
    day = parse_date(as_of)
    failed = sorted({f for ids in resolve_failures(G, fail).values() for f in ids})
    chosen = _policy(policy)
    report = chosen.apply(restrict(G, as_of=day), day, substitutions) if chosen else None
    cg = compiled.compile_graph(G, as_of=day, substitutions=substitutions)
    denied = [(d.supplier, d.buyer, d.product) for d in report.denied_links] if report else []
    alive = cg.link_mask(denied) if denied else None
    return cg, failed, report, alive


def _simulate_compiled(G: nx.MultiDiGraph, specs: list[str], *, as_of: str | dt.date | None,
                       policy: str | Policy | None, substitutions: bool) -> Feasibility:
    """:func:`simulate` on the compiled form (:mod:`oretrace.graphmodel.compiled`)."""
    cg, failed, report, alive = compiled_scenario(G, fail=specs, as_of=as_of, policy=policy,
                                                  substitutions=substitutions)
    ok = compiled.supplied_mask(cg, failed=failed, alive=alive)
    up = compiled.platform_supplied(cg, ok)
    live = ok.tolist()
    return Feasibility(
        as_of=cg.as_of, fail=specs, failed=failed, policy=report,
        substitutions_allowed=substitutions,
        supplied=sorted(p for p, s in up.items() if s),
        unsupplied=sorted(p for p, s in up.items() if not s),
        supplied_facilities=sorted(f for f, s in zip(cg.facilities, live, strict=True) if s),
        unsupplied_facilities=sorted(f for f, s in zip(cg.facilities, live, strict=True)
                                     if not s),
        substitutions=[Substitution(facility=f, product=p, substitute=q, suppliers=sups)
                       for f, p, q, sups in compiled.substitutes_used(cg, ok, alive=alive)],
        data_gaps=compiled.need_gaps(cg),
    )
