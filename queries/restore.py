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
from typing import Any, Unpack

import networkx as nx
from oretrace.graphmodel import (
    Confidence,
    QueryError,
    UnknownNodeError,
    parse_date,
    platforms,
    weakest,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.queries._feasibility_scenario import ScenarioOptions
from oretrace.queries._restore_dates import change_dates
from oretrace.queries._restore_missing import MissingInput, _Search, missing_inputs
from oretrace.queries._restore_state import _Assumed, _State, brought_back, evaluate, rules_of
from oretrace.queries.feasibility import Policy, resolve_failures, supplied_mask, supply_network
from oretrace.queries.scenarios import Blockage, Evidence, _blockages
from pydantic import BaseModel

__all__ = ["MissingInput", "Restoration", "change_dates", "find_restore"]


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
        evidence = brought_back(G, q.rules, states[back - 1], restored, platform)
        note = (f"{platform} is supplied again from {restored.day}: "
                + "; ".join(e.node for e in evidence))
    else:
        cut_off, restored = states, None
        still = _blockages(G, last.net, last.ok, last.failed, last.report, platform)
        missing = missing_inputs(q, platform)
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


@shared_docs
@unpacked_keywords
def find_restore(
    G: nx.MultiDiGraph,
    platforms: str | Iterable[str] | None = None,
    *,
    until: str | dt.date | None = None,
    **scenario: Unpack[ScenarioOptions],
) -> list[Restoration]:
    """Return when each platform a scenario cuts off is supplied again, and what does it.

    For each platform the scenario cuts off on ``as_of``: the first later date on which the
    data's dated changes supply it again, or the inputs nobody outside the failed set makes.
    The scenario's failures and policy hold on every date searched; the policy's rules are
    read again at each.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph (not mutated).
    platforms : str or iterable of str, optional
        Only these platforms (default: all). A platform is *lost* when the scenario leaves it
        unsupplied on ``as_of`` while nothing failed would supply it; the others get no row.
    until : datetime.date or str, optional
        The last date searched (inclusive). Default: the last date on which the data
        changes (:func:`change_dates`), so every dated change in the data is walked, or
        ``as_of`` when nothing changes after it.
    %(scenario_options)s

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
    start, policy = parse_date(scenario["as_of"]), scenario["policy"]
    substitutions = scenario["substitutions"]
    wanted, dates = _wanted(G, platforms), change_dates(G)
    horizon = parse_date(until) if until is not None else max([start, *dates])
    if horizon < start:
        raise QueryError(f"until {horizon} is before as_of {start}")
    specs = list(scenario["fail"])
    rules = rules_of(G)
    kw: dict[str, Any] = {"fail": specs, "policy": policy, "substitutions": substitutions}
    states = [evaluate(G, start, rules, **kw)]
    base = supply_network(G, as_of=start, substitutions=substitutions)
    ok = supplied_mask(base)
    lost = [p for p in wanted if p not in states[0].supplied
            and any(ok[i] for i in base.assemblies.get(p, ()))]
    back: dict[str, int] = {}
    for day in (d for d in dates if start < d <= horizon):
        if len(back) == len(lost):
            break
        states.append(evaluate(G, day, rules, **kw))
        back.update({p: len(states) - 1 for p in lost
                     if p not in back and p in states[-1].supplied})
    q = _Search(G=G, rules=rules, specs=specs,
                policy=policy.name if isinstance(policy, Policy) else policy,
                substitutions=substitutions,
                failed={f for ids in resolve_failures(G, specs).values() for f in ids},
                horizon=horizon, after=[d for d in dates if d > horizon], states=states)
    return [_answer(q, p, back.get(p)) for p in lost]
