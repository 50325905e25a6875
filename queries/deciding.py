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
  if denied shipments stop, supplied if licences are refused, the procurement verdicts). No
  structure is exploited here: each candidate link is removed and the compliance answer
  recomputed (brute force, exact), on the graph as of the date cut down to the facilities
  upstream of the platform (the only ones the answer reads; see below). It costs one
  ``check_compliance`` per candidate.

Candidates are the links on the platform's needed supply (hops of the needed-supply graph
into the platform's upstream facilities): no other link can change any of the three
answers. For ``compliance`` and a policy, the shipments' end uses and destinations also read
the other platforms a shipment feeds, so the links upstream of a platform whose end user or
destinations the platform does not share are candidates too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    QueryError,
    UnknownNodeError,
    is_active,
    parse_date,
    platforms,
    restrict,
    weakest,
)
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries.chokepoints import critical_masks
from oretrace.queries.compliance import check_compliance
from oretrace.queries.exposure import _dated_subgraph, supply_graph, witness_paths
from oretrace.queries.feasibility import (
    Need,
    Policy,
    SupplyNetwork,
    scenario_network,
    supplied_mask,
)
from oretrace.queries.predicates import Predicate
from oretrace.queries.predicates import predicate as named_predicate
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

#: A supply link, as ``(supplier, buyer, product)``.
Link = tuple[str, str, str]


class ComplianceAnswer(BaseModel):
    """The compliance answer of a platform, summed up (what a deciding link may change)."""

    licensed: int = Field(description="shipments needing a licence (denied ones included), "
                                      "under rules that apply at the date")
    denied: int = Field(description="shipments that would be denied")
    supplied: bool
    supplied_if_denied_stop: bool
    supplied_if_licences_refused: bool
    procurement: dict[str, str] = Field(description="procurement rule → verdict")

    def __str__(self) -> str:
        def yn(x: bool) -> str:
            return "yes" if x else "no"
        text = (f"licensed {self.licensed}, denied {self.denied}, supplied {yn(self.supplied)}, "
                f"if denied stop {yn(self.supplied_if_denied_stop)}, "
                f"if licences refused {yn(self.supplied_if_licences_refused)}")
        return text + "".join(f", {r} {v}" for r, v in sorted(self.procurement.items()))


#: An answer: supplied / exposed (a yes or no), or a compliance summary.
Answer = bool | ComplianceAnswer


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


# --------------------------------------------------------------------------- links


def live_links(G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None
               ) -> dict[Link, tuple[Confidence, list[str]]]:
    """Return every supply link active at the date, with its confidence and sources.

    Rows of the same supplier, buyer and product active at the date are one link, as
    strong as the strongest of them.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not mutated).
    as_of : date or ISO str, optional
        The date (default today).

    Returns
    -------
    dict
        ``(supplier, buyer, product)`` → ``(confidence, sources)``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> links = live_links(load_dataset(MINI), as_of="2026-06-01")
    >>> links[("cn-sep", "jp-mag", "oxide")]
    (<Confidence.ILLUSTRATIVE: 'illustrative'>, ['hand'])
    """
    return _links(restrict(G, as_of=parse_date(as_of)))


def _links(V: nx.MultiDiGraph) -> dict[Link, tuple[Confidence, list[str]]]:
    """:func:`live_links` of a graph already read at its date."""
    out: dict[Link, tuple[Confidence, list[str]]] = {}
    for u, v, d in V.edges(data=True):
        if d.get("kind") != EdgeKind.SUPPLIES:
            continue
        key = (u, v, str(d["product"]))
        level = Confidence(d.get("confidence", Confidence.DOCUMENTED))
        sources = list(d.get("sources", []))
        if key in out:
            old, cited = out[key]
            level = old if CONFIDENCE_ORDER[old] >= CONFIDENCE_ORDER[level] else level
            sources = sorted(set(cited) | set(sources))
        out[key] = (level, sorted(set(sources)))
    return out


def without_link(G: nx.MultiDiGraph, link: Link, *, as_of: str | dt.date | None = None
                 ) -> nx.MultiDiGraph:
    """Return a copy of ``G`` without one supply link (its rows active at the date).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not touched).
    link : tuple of str
        ``(supplier, buyer, product)``.
    as_of : date or ISO str, optional
        The date (default today): rows of the link active then are removed.

    Returns
    -------
    networkx.MultiDiGraph
        The copy.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> H = without_link(G, ("cn-sep", "jp-mag", "oxide"), as_of="2026-06-01")
    >>> G.number_of_edges() - H.number_of_edges()
    1
    """
    day = parse_date(as_of)
    u, v, product = link
    H = G.copy()
    drop = [(u, v, k) for k, d in (G.get_edge_data(u, v) or {}).items()
            if d.get("kind") == EdgeKind.SUPPLIES and d.get("product") == product
            and is_active(d, day)]
    H.remove_edges_from(drop)
    return H


def _at(G: nx.MultiDiGraph, day: dt.date) -> nx.MultiDiGraph:
    """``restrict(G, as_of=day)`` built as a plain graph (read many times, it costs no view
    filters)."""
    return _dated_subgraph(G, day, [n for n, d in G.nodes(data=True)
                                    if d.get("kind") == NodeKind.FACILITY and is_active(d, day)])


def _platform(G: nx.MultiDiGraph, platform: str) -> str:
    known = platforms(G)
    if platform not in known:
        raise UnknownNodeError(platform, known, "platform")
    return platform


def _level(value: str | Confidence) -> Confidence:
    if value not in CONFIDENCE_ORDER:
        raise QueryError(f"{value!r} is not a confidence level "
                         f"({', '.join(c.value for c in Confidence)})")
    return Confidence(value)


def _region(V: nx.MultiDiGraph, H: nx.DiGraph, platform: str, *, end_uses: bool
            ) -> tuple[set[Link], set[str]]:
    """The links on ``platform``'s needed supply (hops into its upstream facilities) and
    those facilities; with ``end_uses``, also those upstream of platforms with an end user or
    destination that ``platform`` lacks (they may change a shared shipment's end uses)."""
    def use(p: str) -> tuple[str, frozenset[str]]:
        d = V.nodes[p]
        return str(d.get("end_user") or "unknown"), frozenset(d.get("delivered_to") or ())

    mine = use(platform)
    roots = [platform]
    if end_uses:
        roots += [q for q in platforms(V) if q != platform and q in H
                  and (use(q)[0] != mine[0] or not use(q)[1] <= mine[1])]
    upstream: set[str] = set()
    for root in roots:
        if root in H:
            upstream |= nx.ancestors(H, root)
    return {(u, v, q) for u, v, d in H.edges(data=True) if v in upstream
            for q in d["products"]}, upstream


# --------------------------------------------------------------------------- supplied


def _rebuild(net: SupplyNetwork, names: tuple[str, ...],
             needs: tuple[tuple[Need, ...], ...]) -> SupplyNetwork:
    """A network like ``net`` with these facilities and needs (the out-links recounted)."""
    out: list[list[tuple[int, int]]] = [[] for _ in needs]
    for i, row in enumerate(needs):
        for j, need in enumerate(row):
            for u, _ in need.suppliers:
                if (i, j) not in out[u]:
                    out[u].append((i, j))
    return SupplyNetwork(
        as_of=net.as_of, facilities=names, index={f: i for i, f in enumerate(names)},
        needs=needs, out_links=tuple(tuple(o) for o in out), assemblies=net.assemblies,
        substitutions=net.substitutions, denied=net.denied, view=net.view)


def _link_network(net: SupplyNetwork, links: Iterable[Link]) -> tuple[SupplyNetwork, list[Link]]:
    """``net`` with each of ``links`` drawn as a facility of its own between its supplier and
    its buyer (one need: the product, from the supplier); the new facilities follow the old
    ones, in the order of the returned links."""
    wanted = set(links)
    n = len(net.facilities)
    drawn: dict[Link, int] = {}
    rows: list[tuple[Need, ...]] = []
    extra: list[tuple[Need, ...]] = []
    for i, needs in enumerate(net.needs):
        row = []
        for need in needs:
            sups = []
            for u, q in need.suppliers:
                link = (net.facilities[u], net.facilities[i], q)
                if link not in wanted:
                    sups.append((u, q))
                    continue
                if link not in drawn:
                    drawn[link] = n + len(drawn)
                    extra.append((Need(product=q, suppliers=((u, q),)),))
                sups.append((drawn[link], q))
            row.append(Need(product=need.product, suppliers=tuple(sups),
                            alternatives=need.alternatives))
        rows.append(tuple(row))
    order = list(drawn)
    names = net.facilities + tuple(f"{u}>{v}:{q}" for u, v, q in order)
    return _rebuild(net, names, tuple(rows + extra)), order


def _supplied_by_recursion(net: SupplyNetwork, failed: Iterable[int], platform: str,
                           candidates: Iterable[Link]) -> tuple[bool, set[Link]]:
    """The answer and its deciding links among ``candidates``, by the link-critical
    recursion (module docstring)."""
    derived, order = _link_network(net, candidates)
    ok = supplied_mask(derived, failed)
    live = [a for a in net.assemblies.get(platform, ()) if ok[a]]
    if not live:
        return False, set()
    groups = [-1] * len(net.facilities) + list(range(len(order)))
    crit = critical_masks(derived, groups, len(order), ok)
    mask = (1 << len(order)) - 1
    for a in live:
        mask &= crit[a]
    return True, {order[b] for b in range(len(order)) if mask >> b & 1}


def _supply_floor(net: SupplyNetwork, failed: Iterable[int], platform: str,
                  links: Mapping[Link, tuple[Confidence, list[str]]]) -> Confidence:
    """The strongest level at which ``platform`` is still supplied on links at least that
    strong (illustrative when it is not supplied at all): the weaker links are drawn as
    facilities of their own (:func:`_link_network`) and fail."""
    derived, order = _link_network(net, links)
    down = list(failed)
    for level in (Confidence.DOCUMENTED, Confidence.REPORTED, Confidence.ESTIMATED):
        weak = [len(net.facilities) + b for b, k in enumerate(order)
                if CONFIDENCE_ORDER[links[k][0]] < CONFIDENCE_ORDER[level]]
        ok = supplied_mask(derived, down + weak)
        if any(ok[a] for a in net.assemblies.get(platform, ())):
            return level
    return Confidence.ILLUSTRATIVE


# --------------------------------------------------------------------------- exposed


def _exposed_by_dominators(H: nx.DiGraph, matched: set[str], platform: str,
                           candidates: set[Link]) -> set[Link]:
    """The deciding links among ``candidates`` of ``platform``'s exposure to the ``matched``
    facilities upstream of it: the hops carried by one link alone that dominate the
    platform from them (module docstring)."""
    upstream = nx.ancestors(H, platform)
    if not matched:
        return set()
    source = ("", "source")
    F = nx.DiGraph()
    F.add_edges_from((source, m) for m in sorted(matched))
    hops: dict[tuple[str, str, str], Link] = {}
    for u, v, d in H.edges(data=True):
        if u not in upstream or (v not in upstream and v != platform):
            continue
        link = (u, v, d["products"][0])
        if len(d["products"]) == 1 and link in candidates:
            hop = ("hop", u, v)
            hops[hop] = link
            F.add_edge(u, hop)
            F.add_edge(hop, v)
        else:
            F.add_edge(u, v)
    idom = nx.immediate_dominators(F, source)
    found: set[Link] = set()
    node: object = platform
    while node != source:
        node = idom[node]
        if node in hops:
            found.add(hops[node])
    return found


# --------------------------------------------------------------------------- compliance


def _compliance(G: nx.MultiDiGraph, platform: str, day: dt.date, assume: str
                ) -> tuple[ComplianceAnswer, Confidence, list[str]]:
    """The compliance summary of ``platform``, the weakest confidence of its live verdicts
    (documented when none) and the rule statuses it assumes."""
    c = check_compliance(G, platform, as_of=day, assume=assume)
    live = [r for r in c.shipments if r.applies]
    answer = ComplianceAnswer(
        licensed=len({(r.supplier, r.buyer, r.product, r.via) for r in live}),
        denied=len({(r.supplier, r.buyer, r.product, r.via) for r in live
                    if r.verdict == "denied"}),
        supplied=c.supplied, supplied_if_denied_stop=c.supplied_if_denied_stop,
        supplied_if_licences_refused=c.supplied_if_licences_refused,
        procurement={p.rule: p.verdict.value for p in c.procurement})
    assumed = sorted({f"{r.instrument}: {r.status} (status after its known date assumed "
                      f"{assume})" for r in c.shipments if r.status.startswith("assumed")}
                     | {f"{p.instrument}: {p.status} (status after its known date assumed "
                        f"{assume})" for p in c.procurement if p.status.startswith("assumed")})
    return answer, weakest([r.confidence for r in live]), assumed


# --------------------------------------------------------------------------- the query


def _net_region(net: SupplyNetwork, platform: str) -> set[Link]:
    """The links feeding ``platform``'s assemblies, directly or upstream, in ``net``."""
    f = net.facilities
    seen: set[int] = set()
    stack = list(net.assemblies.get(platform, ()))
    out: set[Link] = set()
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        for need in net.needs[i]:
            for u, q in need.suppliers:
                out.add((f[u], f[i], q))
                stack.append(u)
    return out


#: What a question's helper returns: the answer, its confidence, the answer without each
#: deciding link, the method, the assumptions, and the links asked about.
_Found = tuple[Answer, Confidence, dict[Link, Answer], str, list[str], set[Link]]


def _supplied(G: nx.MultiDiGraph, target: str, day: dt.date, specs: list[str],
              policy: str | Policy | None, substitutions: bool, region: set[Link],
              links: Mapping[Link, tuple[Confidence, list[str]]], floor: Confidence
              ) -> _Found:
    full, failed, _ = scenario_network(G, fail=specs, as_of=day, substitutions=substitutions)
    region = region | _net_region(full, target)  # substitute inputs are not in the hops
    asked = _below(region, links, floor)
    net, failed, report = scenario_network(G, fail=specs, as_of=day, policy=policy,
                                           substitutions=substitutions)
    assumptions = [] if report is None else [f"policy {report.name}: {report.note}"]
    if policy is None:
        before, found = _supplied_by_recursion(net, failed, target, asked)
        after: dict[Link, Answer] = {k: False for k in found}
        method = "link-critical recursion (the single-points recursion over links): exact"
    else:
        ok = supplied_mask(net, failed)
        before = any(ok[a] for a in net.assemblies.get(target, ()))
        after = {}
        for link in sorted(asked):  # a link may carry what made another one denied
            now = _is_supplied(without_link(G, link, as_of=day), target, day, specs, policy,
                               substitutions)
            if now != before:
                after[link] = now
        method = ("brute force: each candidate link removed and the policy read again on the "
                  "graph without it: exact")
    level = _supply_floor(net, failed, target, links) if before else _weakest_of(region, links)
    return before, level, after, method, assumptions, asked


def _exposed(H: nx.DiGraph, matched: set[str], target: str, region: set[Link],
             links: Mapping[Link, tuple[Confidence, list[str]]], floor: Confidence) -> _Found:
    asked = _below(region, links, floor)
    found = _exposed_by_dominators(H, matched, target, asked)
    # find_exposed's confidence: that of its strongest witness path
    paths = witness_paths(H, target, [matched], 1) if matched else []
    level = (paths[0][1] if paths else weakest([H.nodes[m]["confidence"] for m in matched])
             ) if matched else _weakest_of(region, links)
    return (bool(matched), level, {k: False for k in found},
            "dominators of the platform on the needed-supply graph: exact", [], asked)


def _compliance_links(G: nx.MultiDiGraph, target: str, day: dt.date, assume: str,
                      region: set[Link], upstream: set[str],
                      links: Mapping[Link, tuple[Confidence, list[str]]], floor: Confidence
                      ) -> _Found:
    # the part of the graph the answer reads (module docstring), as a plain graph
    S = _dated_subgraph(G, day, upstream)
    answer, level, assumptions = _compliance(S, target, day, assume)
    asked = _below(region, links, floor)
    after: dict[Link, Answer] = {}
    for link in sorted(asked):
        now, _, _ = _compliance(without_link(S, link, as_of=day), target, day, assume)
        if now != answer:
            after[link] = now
    return (answer, level, after,
            "brute force: each candidate link removed and the answer recomputed: exact",
            assumptions, asked)


def _is_supplied(G: nx.MultiDiGraph, platform: str, day: dt.date, fail: Sequence[str],
                 policy: str | Policy | None, substitutions: bool) -> bool:
    net, failed, _ = scenario_network(G, fail=fail, as_of=day, policy=policy,
                                      substitutions=substitutions)
    ok = supplied_mask(net, failed)
    return any(ok[a] for a in net.assemblies.get(platform, ()))


def _below(region: Iterable[Link], links: Mapping[Link, tuple[Confidence, list[str]]],
           floor: Confidence) -> set[Link]:
    return {k for k in region
            if k in links and CONFIDENCE_ORDER[links[k][0]] < CONFIDENCE_ORDER[floor]}


def _weakest_of(region: Iterable[Link], links: Mapping[Link, tuple[Confidence, list[str]]]
                ) -> Confidence:
    return weakest([links[k][0] for k in region if k in links])


def find_deciding_links(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    question: Question = "supplied",
    through: Predicate | str = "any",
    fail: Iterable[str] = (),
    policy: str | Policy | None = None,
    substitutions: bool = False,
    assume: str = "lapsed",
    as_of: str | dt.date | None = None,
    below: str | Confidence = Confidence.REPORTED,
) -> DecidingLinks:
    """Return the links whose removal alone changes ``question``'s answer for ``platform``.

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
    fail, policy, substitutions : optional
        The scenario of ``supplied`` (as in :func:`oretrace.queries.feasibility.simulate`).
    assume : {"lapsed", "extended"}
        How ``compliance`` reads a rule's status after its known date.
    as_of : date or ISO str, optional
        The date (default today): links and facilities outside their windows are absent.
    below : str
        Ask about links strictly weaker than this level (default ``reported``: estimated and
        illustrative links; ``documented`` adds reported links).

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
    day = parse_date(as_of)
    floor = _level(below)
    target = _platform(G, platform)
    specs = list(fail)
    V = _at(G, day)
    links = _links(V)
    H = supply_graph(V, targets=platforms(V))
    region, upstream = _region(V, H, target,
                               end_uses=question == "compliance" or policy is not None)
    pred = named_predicate(through) if isinstance(through, str) else through
    if question == "supplied":
        found = _supplied(G, target, day, specs, policy, substitutions, region, links, floor)
    elif question == "exposed":
        found = _exposed(H, pred.select(V) & nx.ancestors(H, target), target, region, links,
                         floor)
    else:
        found = _compliance_links(G, target, day, assume, region, upstream, links, floor)
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
