"""By when: the first date at which the data's dated changes restore a platform a scenario cut off.

A scenario (failures, a policy, substitutions; :mod:`oretrace.queries.feasibility`) cuts some
platforms off at ``as_of``. :func:`find_restore` walks the dates at which the data changes
after ``as_of`` (:func:`change_dates`: facilities coming online or closing, supply and
ownership links starting or ending, rule events) up to ``until`` and re-evaluates the same
scenario on each, building the network once per date for every platform. The first date
at which a lost platform is supplied again is its *restore date* (a later loss is not
searched), with what brings it back: the facilities and links on its now-supplied chain
that were absent (or denied) on the date before, and the rule events that lifted a denial.
The data does not change between two such dates, so none is skipped.

When nothing restores a platform by ``until``, the answer names its *missing inputs*: the
products of its bill of materials that no facility outside the failed set makes at any
date from ``as_of`` to ``until`` ("no facility outside CN makes dy-metal"). A maker is
outside the failed set on a date when it is active, has not failed, is not a market (a pool
standing in for unknown links; its suppliers are the makers) and its country's shipments
of the product are not denied by the policy on that date — a denial resting on an
*export* clause (shipments leaving the rule's origin country). A denial under an
extraterritorial clause (a Japanese magnet holding Chinese content) follows from the
maker's inputs, not from the maker, and leaves the maker in: its missing input is found
further up. ``still_blocked`` gives the root causes on the last date searched, which also
name inputs that are made outside the failed set but reach the chain by no link.

**Assumed status.** A rule's status after its ``known_until`` is assumed (DESIGN §4; the
policies read it under the legal assumption, ``lapsed``). An answer rests on an assumed
status when, on a date it reads, the platform is cut off by the policy (not by the failures
alone) while a clause assumed in force denies a link into its chain, or when the
restoration itself comes while a clause the policy reads is assumed not to apply. Such an
answer lists the assumptions and carries at most ``estimated`` confidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    Confidence,
    QueryError,
    UnknownNodeError,
    facilities_making,
    is_active,
    nodes_of,
    parse_date,
    platforms,
    weakest,
)
from oretrace.graphmodel.rules import Rule, clause_applies, rule_from_node
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries.feasibility import (
    Policy,
    PolicyReport,
    SupplyNetwork,
    resolve_failures,
    scenario_network,
    supplied_mask,
    supply_network,
)
from oretrace.queries.scenarios import (
    Blockage,
    Evidence,
    _blockages,
    _facility_evidence,
    _links,
    _region,
)
from pydantic import BaseModel

__all__ = ["MissingInput", "Restoration", "change_dates", "find_restore"]

_DAY = dt.timedelta(days=1)


class MissingInput(BaseModel):
    """A product the platform needs that no facility outside the failed set makes.

    ``makers`` are every facility of the data making it, ``later_makers`` those outside the
    failed set that come into service only after the date searched to; ``sentence`` says
    it in words, with each maker and why it does not count.
    """

    product: str
    makers: list[str]
    later_makers: list[str]
    sentence: str
    sources: list[str]
    confidence: str


class Restoration(BaseModel):
    """One platform lost under a scenario on ``lost_at``: when it comes back, and why."""

    platform: str
    lost_at: dt.date
    until: dt.date
    fail: list[str]
    policy: str | None
    substitutions_allowed: bool
    restored_on: dt.date | None
    brought_back_by: list[Evidence]
    missing_inputs: list[MissingInput]
    lost_because: list[Blockage]
    still_blocked: list[Blockage]
    rests_on_assumption: bool
    assumptions: list[str]
    confidence: str
    sources: list[str]
    note: str


# --------------------------------------------------------------------------- change dates


def _rule_dates(rule: Rule) -> set[dt.date]:
    """The days on which a rule's status can change (inclusive ends give the day after)."""
    out = {rule.effective}
    if rule.until is not None:
        out.add(rule.until)
    if rule.known_until is not None:
        out.add(rule.known_until + _DAY)
    for clause in rule.clauses:
        out |= {d for d in (clause.effective, clause.until) if d is not None}
    for event in rule.status:
        out.add(event.date)
        if event.until is not None:
            out.add(event.until + _DAY)
    for waiver in rule.waivers:
        out.add(waiver.through + _DAY)
        if waiver.start is not None:
            out.add(waiver.start)
    return out


def change_dates(G: nx.MultiDiGraph) -> list[dt.date]:
    """Return, sorted, the dates on which the data of ``G`` changes.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not mutated).

    Returns
    -------
    list of datetime.date
        Every date attribute of a facility, company or edge (``online_from``,
        ``online_until``, a supply or ownership link's ``start`` and ``end``, a dated
        technology use), and each rule's ``effective``, ``until``, clause windows, status
        events, the day after a suspension's or a waiver's last day and the day after
        ``known_until`` (when its status becomes assumed). Between two of these dates every
        query answers the same.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> [str(d) for d in change_dates(load_dataset(DATA / "choke_time"))]
    ['2027-06-01', '2028-01-01']
    """
    out: set[dt.date] = set()
    for n, attrs in G.nodes(data=True):
        if attrs.get("kind") == NodeKind.RULE:
            out |= _rule_dates(rule_from_node(attrs, n))
            continue
        out |= {v for v in attrs.values() if isinstance(v, dt.date)}
    for _, _, attrs in G.edges(data=True):
        out |= {v for v in attrs.values() if isinstance(v, dt.date)}
    return sorted(out)


# --------------------------------------------------------------------------- one date


@dataclass(frozen=True)
class _Assumed:
    """A clause the policy read whose status on ``day`` is assumed."""

    day: dt.date
    rule: str
    clause: str
    applies: bool
    reason: str
    confidence: str
    sources: tuple[str, ...]

    def __str__(self) -> str:
        state = "in force" if self.applies else "not applying"
        return f"{self.rule} {self.clause}: assumed {state} on {self.day} ({self.reason})"


@dataclass(frozen=True)
class _State:
    """The scenario evaluated on one date, for every platform at once."""

    day: dt.date
    net: SupplyNetwork
    failed: frozenset[int]
    report: PolicyReport | None
    ok: list[bool]
    supplied: frozenset[str]
    free: frozenset[str]  # supplied on the date without the policy's denials
    denied: dict[tuple[str, str], tuple[str, str]]  # (country, product) -> (rule, clause)
    assumed: tuple[_Assumed, ...]


def _rules(G: nx.MultiDiGraph) -> dict[str, Rule]:
    return {n: rule_from_node(G.nodes[n], n) for n in nodes_of(G, NodeKind.RULE)}


def _export_denials(rules: dict[str, Rule], report: PolicyReport | None
                    ) -> dict[tuple[str, str], tuple[str, str]]:
    """``(country, product)`` pairs whose shipments the policy denies under a clause that
    requires an export clause (shipments leaving the clause's origin country)."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for d in report.denied_links if report else ():
        rule = rules.get(d.rule)
        clause = next((c for c in rule.clauses if c.id == d.clause), None) if rule else None
        if rule is None or clause is None:
            continue
        for req in clause.requires:
            base = next((c for c in rule.clauses if c.id == req), None)
            if base is not None and base.kind == "export":
                out.setdefault((base.trigger.origin, d.product), (d.rule, d.clause))
    return out


def _assumed(rules: dict[str, Rule], report: PolicyReport | None, day: dt.date
             ) -> tuple[_Assumed, ...]:
    out = []
    for status in report.clauses if report else ():
        rule = rules.get(status.rule)
        if rule is None:
            continue
        by_id = {c.id: c for c in rule.clauses}
        if status.clause not in by_id:
            continue
        time = clause_applies(rule, by_id[status.clause], day, "lapsed", by_id)
        if time.assumed:
            out.append(_Assumed(day, status.rule, status.clause, time.applies, time.reason,
                                time.confidence.value,
                                tuple(sorted({*rule.sources, *time.sources}))))
    return tuple(out)


def _evaluate(G: nx.MultiDiGraph, day: dt.date, rules: dict[str, Rule], *, fail: list[str],
              policy: str | Policy | None, substitutions: bool) -> _State:
    net, failed, report = scenario_network(G, fail=fail, as_of=day, policy=policy,
                                           substitutions=substitutions)
    ok = supplied_mask(net, failed)
    supplied = frozenset(p for p, idx in net.assemblies.items() if any(ok[i] for i in idx))
    assumed = _assumed(rules, report, day)
    free = supplied  # read only where a clause assumed in force denies links
    if report is not None and report.denied_links and any(a.applies for a in assumed):
        plain = supply_network(G, as_of=day, substitutions=substitutions)
        ok0 = supplied_mask(plain, (plain.index[f] for f in (net.facilities[i] for i in failed)))
        free = frozenset(p for p, idx in plain.assemblies.items() if any(ok0[i] for i in idx))
    return _State(day=day, net=net, failed=failed, report=report, ok=ok, supplied=supplied,
                  free=free, denied=_export_denials(rules, report), assumed=assumed)


# --------------------------------------------------------------------------- what brought it back


def _link_evidence(link: tuple[str, str, str], attrs: dict[str, Any], what: str) -> Evidence:
    u, v, q = link
    return Evidence(node=f"{u} -> {v} ({q})", what=what,
                    sources=[str(s) for s in attrs.get("sources", [])],
                    confidence=str(attrs.get("confidence", Confidence.DOCUMENTED.value)))


def _rule_events(rules: dict[str, Rule], prev: _State, cur: _State) -> list[Evidence]:
    """The clauses the policy applied on ``prev.day`` and no longer applies on ``cur.day``."""
    if prev.report is None or cur.report is None:
        return []
    before = {(c.rule, c.clause): c.in_force for c in prev.report.clauses}
    assumed = {(a.rule, a.clause): a for a in cur.assumed}
    out = []
    for c in cur.report.clauses:
        if not before.get((c.rule, c.clause)) or c.in_force:
            continue
        guess = assumed.get((c.rule, c.clause))
        rule = rules.get(c.rule)
        level = guess.confidence if guess else (rule.confidence.value if rule else
                                                Confidence.DOCUMENTED.value)
        out.append(Evidence(node=f"{c.rule} {c.clause}",
                            what=f"rule event on {cur.day}: {c.instrument} {c.clause} no "
                                 f"longer applies ({c.reason})",
                            sources=sorted({*c.sources, *(guess.sources if guess else ())}),
                            confidence=level))
    return out


def _brought_back(G: nx.MultiDiGraph, rules: dict[str, Rule], prev: _State, cur: _State,
                  platform: str) -> list[Evidence]:
    """Facilities and links on the platform's now-supplied chain on ``cur.day`` that were
    absent or denied on ``prev.day``, and the rule events that lifted a denial."""
    net, ok = cur.net, cur.ok
    region = _region(net, ok, platform)
    out = [_facility_evidence(G, f, f"in service from {cur.day}")
           for f in sorted(region - set(prev.net.facilities))]
    known = {(prev.net.facilities[u], prev.net.facilities[i], q)
             for i, needs in enumerate(prev.net.needs) for need in needs
             for u, q in need.suppliers}
    denials = {(d.supplier, d.buyer, d.product): d
               for d in (prev.report.denied_links if prev.report else ())}
    attrs = _links(net)
    lifted = False
    for i in sorted(net.index[f] for f in region):
        for need in net.needs[i]:
            for u, q in need.suppliers:
                link = (net.facilities[u], net.facilities[i], q)
                if not ok[u] or link in known:
                    continue
                data = dict(attrs.get(link, {}))
                if link in denials:
                    lifted = True
                    d = denials[link]
                    what = f"no longer denied (denied on {prev.day} by {d.rule} {d.clause})"
                else:
                    start = data.get("start")
                    what = (f"link starts {start}" if isinstance(start, dt.date)
                            and start > prev.day else "link of a facility in service from "
                            f"{cur.day}")
                out.append(_link_evidence(link, data, what))
    if lifted or not out:
        out += _rule_events(rules, prev, cur)
    return out


# --------------------------------------------------------------------------- missing inputs


@dataclass(frozen=True)
class _Search:
    """One question and the dates walked: what every platform's answer reads."""

    G: nx.MultiDiGraph
    rules: dict[str, Rule]
    specs: list[str]
    policy: str | None
    substitutions: bool
    failed: set[str]  # facility ids the specs fail
    horizon: dt.date
    after: list[dt.date]  # change dates after the horizon
    states: list[_State]


def _chain_products(G: nx.MultiDiGraph, platform: str, substitutions: bool
                    ) -> tuple[set[str], dict[str, set[str]]]:
    """The platform and the products of its bill of materials, all tiers, and for each the
    inputs that may stand in for it (``substitute_for`` lines, only with ``substitutions``)."""
    seen, alternatives, stack = {platform}, dict[str, set[str]](), [platform]
    while stack:
        for _, q, d in G.out_edges(stack.pop(), data=True):
            target = d.get("substitute_for")
            if d.get("kind") != EdgeKind.REQUIRES or (target is not None and not substitutions):
                continue
            if target is not None:
                alternatives.setdefault(str(target), set()).add(q)
            if q not in seen:
                seen.add(q)
                stack.append(q)
    return seen, alternatives


def _maker_note(q: _Search, maker: str, product: str) -> str:
    """One maker of a missing input, and why it does not count."""
    attrs = q.G.nodes[maker]
    country = attrs.get("country") or "no country"
    if maker in q.failed:
        return f"{maker} ({country}; failed in the scenario)"
    key = (attrs.get("country"), product)
    denial = next((s.denied[key] for s in q.states if key in s.denied), None)
    if denial is not None:
        return f"{maker} ({country}; shipments from {country} denied by {' '.join(denial)})"
    since = attrs.get("online_from")
    if isinstance(since, dt.date) and since > q.horizon:
        return f"{maker} ({country}; online from {since}, after {q.horizon})"
    return f"{maker} ({country}; not in service from {q.states[0].day} to {q.horizon})"


def _missing_input(q: _Search, product: str) -> MissingInput:
    G, makers = q.G, facilities_making(q.G, product)
    countries = sorted({c for s in q.states for c, p in s.denied if p == product})
    # the failed set in words: the specs as given (``country:`` dropped), the countries
    # whose shipments of the product the policy denies
    names = [spec.partition(":")[2] if spec.lower().startswith(("country:", "facility:"))
             else spec for spec in q.specs]
    who = ", ".join(dict.fromkeys([*names, *countries])) or "the failed set"
    sentence = (f"no facility outside {who} makes {product} at any date from "
                f"{q.states[0].day} to {q.horizon}; its makers in the data: "
                + "; ".join(_maker_note(q, m, product) for m in makers)
                if makers else f"no facility in the data makes {product}")
    later = [m for m in makers if m not in q.failed and G.nodes[m].get("country") not in
             countries and any(is_active(G.nodes[m], d) for d in q.after)]
    denying = {r for s in q.states for (_, p), (r, _) in s.denied.items() if p == product}
    sources = {str(x) for m in makers for x in G.nodes[m].get("sources", [])}
    sources |= {x for r in denying if r in q.rules for x in q.rules[r].sources}
    return MissingInput(product=product, makers=makers, later_makers=later, sentence=sentence,
                        sources=sorted(sources),
                        confidence=weakest([G.nodes[m].get("confidence", "documented")
                                            for m in makers]).value)


def _missing_inputs(q: _Search, platform: str) -> list[MissingInput]:
    """The products of the platform's chain that no maker outside the failed set makes on
    any date walked (module docstring); one with a substitute made outside is not missing."""
    products, alternatives = _chain_products(q.G, platform, q.substitutions)
    lacking = {p for p in products if not any(
        m in s.net.index and m not in q.failed
        and (q.G.nodes[m].get("country"), p) not in s.denied
        for m in facilities_making(q.G, p) for s in q.states)}
    return [_missing_input(q, p) for p in sorted(lacking)
            if not alternatives.get(p, set()) - lacking]


# --------------------------------------------------------------------------- the query


def _upstream(s: _State, platform: str) -> set[str]:
    """The facilities of the platform's chain on ``s.day``, supplied or not, through live
    and denied links."""
    net, denied = s.net, dict[str, list[str]]()
    for d in s.report.denied_links if s.report else ():
        denied.setdefault(d.buyer, []).append(d.supplier)
    seen: set[int] = set()
    stack = list(net.assemblies.get(platform, ()))
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(u for need in net.needs[i] for u, _ in need.suppliers)
            stack.extend(net.index[u] for u in denied.get(net.facilities[i], ())
                         if u in net.index)
    return {net.facilities[i] for i in seen}


def _assumptions(platform: str, cut_off: Sequence[_State], back: _State | None
                 ) -> list[_Assumed]:
    """The assumed statuses the answer rests on (module docstring), first date each: on a
    date the policy cuts the platform off, the assumed-in-force clauses denying a link into
    its chain; on the restore date, the clauses assumed not to apply."""
    found = []
    for s in cut_off:
        if platform not in s.free or s.report is None:
            continue
        chain = _upstream(s, platform)
        biting = {(d.rule, d.clause) for d in s.report.denied_links if d.buyer in chain}
        found += [a for a in s.assumed if a.applies and (a.rule, a.clause) in biting]
    if back is not None:
        found += [a for a in back.assumed if not a.applies]
    out: dict[tuple[str, str, bool], _Assumed] = {}
    for a in found:
        out.setdefault((a.rule, a.clause, a.applies), a)
    return list(out.values())


def _answer(q: _Search, platform: str, back: int | None) -> Restoration:
    G, states = q.G, q.states
    first, last = states[0], states[-1]
    lost = _blockages(G, first.net, first.ok, first.failed, first.report, platform)
    evidence, missing, still = [], [], []
    if back is not None:
        cut_off, restored = states[:back], states[back]
        evidence = _brought_back(G, q.rules, states[back - 1], restored, platform)
        note = (f"{platform} is supplied again from {restored.day}: "
                + "; ".join(e.node for e in evidence))
    else:
        cut_off, restored = states, None
        still = _blockages(G, last.net, last.ok, last.failed, last.report, platform)
        missing = _missing_inputs(q, platform)
        note = (f"{platform} is not supplied again by {q.horizon}: "
                + ("; ".join(m.sentence for m in missing) if missing else
                   "every input it needs (or a substitute) is made outside the failed set, "
                   "but none reaches its chain (see still_blocked)"))
    assumed = _assumptions(platform, cut_off, restored)
    levels = [e.confidence for e in evidence] + [b.confidence for b in lost + still] \
        + [m.confidence for m in missing] + [a.confidence for a in assumed]
    if assumed:
        levels.append(Confidence.ESTIMATED.value)
        note += "; rests on an assumed rule status"
    sources = {x for part in (evidence, lost, still, missing) for e in part for x in e.sources}
    sources |= {x for a in assumed for x in a.sources}
    return Restoration(
        platform=platform, lost_at=first.day, until=q.horizon, fail=q.specs, policy=q.policy,
        substitutions_allowed=q.substitutions,
        restored_on=restored.day if restored is not None else None,
        brought_back_by=evidence, missing_inputs=missing, lost_because=lost,
        still_blocked=still, rests_on_assumption=bool(assumed),
        assumptions=[str(a) for a in assumed], confidence=weakest(levels).value,
        sources=sorted(sources), note=note)


def _wanted(G: nx.MultiDiGraph, names: str | Iterable[str] | None) -> list[str]:
    known = platforms(G)
    if names is None:
        return sorted(known)
    asked = [names] if isinstance(names, str) else list(names)
    for p in asked:
        if p not in known:
            raise UnknownNodeError(p, known, "platform")
    return list(dict.fromkeys(asked))


def find_restore(
    G: nx.MultiDiGraph,
    platforms: str | Iterable[str] | None = None,
    *,
    fail: Iterable[str] = (),
    policy: str | Policy | None = None,
    substitutions: bool = False,
    as_of: str | dt.date | None = None,
    until: str | dt.date | None = None,
) -> list[Restoration]:
    """Return when each platform a scenario cuts off is supplied again, and what does it.

    For each platform the scenario cuts off on ``as_of``: the first later date on which the
    data's dated changes supply it again, or the inputs nobody outside the failed set makes.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not mutated).
    platforms : str or iterable of str, optional
        Only these platforms (default: all). A platform is *lost* when the scenario leaves it
        unsupplied on ``as_of`` while nothing failed would supply it; the others get no row.
    fail : iterable of str
        What fails: ``ID``/``facility:ID``, ``company:ID``, ``country:CC``.
    policy : str or Policy, optional
        A rule of the data applied as failed links, e.g. ``"cn-denies-military"``
        (:data:`oretrace.queries.feasibility.POLICIES`), re-read on every date.
    substitutions : bool
        Let substitute inputs meet a need (a missing input with a substitute made outside
        the failed set is then not missing).
    as_of : datetime.date or str, optional
        The date the platforms are lost (default today; ISO ``YYYY-MM-DD``).
    until : datetime.date or str, optional
        The last date searched (inclusive). Default: the last date on which the data
        changes (:func:`change_dates`), so every dated change in the data is walked, or
        ``as_of`` when nothing changes after it.

    Returns
    -------
    list of Restoration
        One per lost platform, in platform order: ``restored_on`` and ``brought_back_by``
        (facilities in service, links starting, denials lifted and the rule events that
        lifted them, on the now-supplied chain), or ``restored_on=None`` with
        ``missing_inputs`` and ``still_blocked``; ``assumptions`` and ``confidence`` (at
        most ``estimated`` when the answer rests on an assumed rule status).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(DATA / "choke_time")
    >>> [(r.platform, str(r.restored_on)) for r in
    ...  find_restore(G, fail=["country:CN"], as_of="2027-01-01")]
    [('missile', '2027-06-01'), ('sub', '2028-01-01')]
    >>> [r.missing_inputs[0].product for r in
    ...  find_restore(G, "sub", fail=["country:CN"], as_of="2027-01-01", until="2027-12-31")]
    ['tb-oxide']
    """
    start = parse_date(as_of)
    wanted, dates = _wanted(G, platforms), change_dates(G)
    horizon = parse_date(until) if until is not None else max([start, *dates])
    if horizon < start:
        raise QueryError(f"until {horizon} is before as_of {start}")
    specs = list(fail)
    rules = _rules(G)
    kw: dict[str, Any] = {"fail": specs, "policy": policy, "substitutions": substitutions}
    states = [_evaluate(G, start, rules, **kw)]
    base = supply_network(G, as_of=start, substitutions=substitutions)
    ok = supplied_mask(base)
    lost = [p for p in wanted if p not in states[0].supplied
            and any(ok[i] for i in base.assemblies.get(p, ()))]
    back: dict[str, int] = {}
    for day in (d for d in dates if start < d <= horizon):
        if len(back) == len(lost):
            break
        states.append(_evaluate(G, day, rules, **kw))
        back.update({p: len(states) - 1 for p in lost
                     if p not in back and p in states[-1].supplied})
    q = _Search(G=G, rules=rules, specs=specs,
                policy=policy.name if isinstance(policy, Policy) else policy,
                substitutions=substitutions,
                failed={f for ids in resolve_failures(G, specs).values() for f in ids},
                horizon=horizon, after=[d for d in dates if d > horizon], states=states)
    return [_answer(q, p, back.get(p)) for p in lost]
