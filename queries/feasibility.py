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
**Backends.** :func:`simulate` (and the queries of :mod:`oretrace.queries.chokepoints`,
:mod:`oretrace.queries.content` and :mod:`oretrace.queries.exposure`) take ``backend``
(:mod:`oretrace.queries._dispatch`): ``"networkx"`` runs the networkx implementation here (the
reference), ``"compiled"`` the array form of :mod:`oretrace.queries._compiled_feasibility` (one
vectorised pass per level, same answers), and ``"auto"`` (the default) picks compiled from
:data:`oretrace.queries._dispatch.COMPILED_MIN_EDGES` graph edges, networkx below; the choice
is logged at DEBUG on the ``oretrace.dispatch`` logger.

The network, the failures and the policies sit in private siblings
(:mod:`oretrace.queries._feasibility_network`, :mod:`oretrace.queries._feasibility_policies`);
their public names are importable from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Unpack

import networkx as nx
import numpy as np
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import EdgeKind
from oretrace.queries import _compiled_feasibility as compiled
from oretrace.queries._compiled_feasibility import compiled_scenario
from oretrace.queries._dispatch import dispatchable
from oretrace.queries._feasibility_network import (
    Link,
    Need,
    SupplyNetwork,
    group_keys,
    need_options,
    resolve_failures,
    supplied_mask,
    supply_network,
)
from oretrace.queries._feasibility_policies import (
    MILITARY_END_USERS,
    POLICIES,
    ClauseStatus,
    DeniedLink,
    Policy,
    PolicyReport,
    clause_status,
    military_chain,
)
from oretrace.queries._feasibility_scenario import ScenarioOptions, gap_lines, scenario_inputs
from oretrace.queries._vocab import LEVELS
from pydantic import BaseModel, Field

__all__ = [
    "LEVELS",
    "MILITARY_END_USERS",
    "POLICIES",
    "ClauseStatus",
    "DeniedLink",
    "Feasibility",
    "Link",
    "Need",
    "Policy",
    "PolicyReport",
    "Substitution",
    "SupplyNetwork",
    "clause_status",
    "compiled_scenario",
    "group_keys",
    "military_chain",
    "need_options",
    "resolve_failures",
    "scenario_network",
    "simulate",
    "supplied_mask",
    "supply_network",
]


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


def _feasibility(as_of: dt.date, specs: list[str], failed: list[str],
                 report: PolicyReport | None, substitutions: bool,
                 platforms: dict[str, bool], facilities: Sequence[str],
                 supplied: Sequence[bool], used: list[Substitution],
                 gaps: list[str]) -> Feasibility:
    """The answer of :func:`simulate`, from either backend's pieces."""
    order, names = _by_name(facilities)
    alive = np.asarray(supplied, dtype=bool)[order]
    return Feasibility(
        as_of=as_of, fail=specs, failed=failed, policy=report,
        substitutions_allowed=substitutions,
        supplied=sorted(p for p, up in platforms.items() if up),
        unsupplied=sorted(p for p, up in platforms.items() if not up),
        supplied_facilities=names[alive].tolist(), unsupplied_facilities=names[~alive].tolist(),
        substitutions=used, data_gaps=gaps)


_ORDERS: dict[int, tuple[Sequence[str], np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}


def _by_name(facilities: Sequence[str]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The indices of ``facilities`` in name order and the names in that order (an object
    array), sorted once per tuple (the last few kept: a compiled graph or a supply network
    hands the same tuple to every answer; a list may change, so it is sorted each time)."""
    kept = isinstance(facilities, tuple)
    got = _ORDERS.get(id(facilities)) if kept else None
    if got is not None and got[0] is facilities:
        return got[1], got[2]
    order = np.asarray(sorted(range(len(facilities)), key=facilities.__getitem__),
                       dtype=np.intp)
    names = np.asarray(facilities, dtype=object)[order]
    if kept:
        if len(_ORDERS) >= 4:
            _ORDERS.clear()
        _ORDERS[id(facilities)] = (facilities, order, names)
    return order, names


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
    missing = []
    for i, needs in enumerate(net.needs):
        f = net.facilities[i]
        carried = {d["product"] for _, _, d in net.view.in_edges(f, data=True)
                   if d.get("kind") == EdgeKind.SUPPLIES}
        missing += [(f, need.product) for need in needs
                    if not carried & {need.product, *need.alternatives}]
    return gap_lines(missing, net.assemblies, net.as_of)


def scenario_network(
    G: nx.MultiDiGraph, **scenario: Unpack[ScenarioOptions],
) -> tuple[SupplyNetwork, frozenset[int], PolicyReport | None]:
    """Return the compiled network of a scenario (its options as :func:`simulate` takes
    them), the indices of its failed facilities, and the policy's report (``None`` without a
    policy). The parts :func:`simulate` stands on."""
    s = scenario_inputs(G, **scenario)
    net = supply_network(G, as_of=s.day, substitutions=s.substitutions, denied=s.denied)
    return net, frozenset(net.index[f] for f in s.failed if f in net.index), s.report


@dispatchable()
@shared_docs
def simulate(G: nx.MultiDiGraph, **scenario: Unpack[ScenarioOptions]) -> Feasibility:
    """Return which platforms and facilities are still supplied when ``fail`` fails.

    Parameters
    ----------
    %(G)s
    %(scenario_options)s
    %(backend)s

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
    >>> simulate(G, fail=["country:CN"], as_of="2026-11-24", backend="compiled") == no_cn
    True
    """
    scenario["fail"] = specs = list(scenario["fail"])
    net, failed, report = scenario_network(G, **scenario)
    ok = supplied_mask(net, failed)
    return _feasibility(
        net.as_of, specs, sorted({f for ids in resolve_failures(G, specs).values() for f in ids}),
        report, scenario["substitutions"],
        {p: any(ok[i] for i in idx) for p, idx in net.assemblies.items()},
        net.facilities, ok, _substitutions_used(net, ok), _data_gaps(net))


@simulate.register("compiled")
def _simulate_compiled(G: nx.MultiDiGraph, *, fail: Iterable[str] = (),
                       **scenario: Any) -> Feasibility:
    """:func:`simulate` on the compiled form (:mod:`oretrace.queries._compiled_feasibility`)."""
    specs = list(fail)
    cg, failed, report, alive = compiled_scenario(G, fail=specs, **scenario)
    ok = compiled.supplied_mask(cg, failed=failed, alive=alive)
    used = [Substitution(facility=f, product=p, substitute=q, suppliers=sups)
            for f, p, q, sups in compiled.substitutes_used(cg, ok, alive=alive)]
    return _feasibility(cg.as_of, specs, failed, report, cg.substitutions,
                        compiled.platform_supplied(cg, ok), cg.facilities, ok.tolist(), used,
                        compiled.need_gaps(cg))
