"""The compiled (array) core answers as the plain networkx paths do, loops included.

Property tests draw small random networks that always hold a recycling loop, and check the
compiled queries against two references each: a definitional oracle written here (a naive
fixed point, remove-and-recheck, value iteration, ``nx.descendants``) and the project's
plain implementation (:mod:`oretrace.queries.feasibility`, :mod:`oretrace.queries.chokepoints`,
:mod:`oretrace.queries.content`, :mod:`oretrace.queries.exposure`). Hand-drawn cases pin the loop
semantics.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from oretrace.graphmodel import QueryError, Records, build_graph, needed_inputs, restrict
from oretrace.graphmodel.schema import BomLine, Company, Facility, Product, Source, Supply
from oretrace.queries import chokepoints, content, exposure, feasibility
from oretrace.queries._compiled_critical import critical_sets, group_labels, single_points
from oretrace.queries._compiled_feasibility import (
    need_gaps,
    platform_supplied,
    substitutes_used,
    supplied_mask,
)
from oretrace.queries._compiled_graph import compile_graph
from oretrace.queries._compiled_levels import longest_path_levels, pair_keys
from oretrace.queries._compiled_reach import upstream_mask, where_used_mask
from oretrace.queries._compiled_shares import mass_shares

DAY = dt.date(2026, 6, 1)
ELEMENTS = ("Nd", "Dy")
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- networks


def _src(**kw: Any) -> dict[str, Any]:
    return {"sources": ["s"], "confidence": "illustrative", **kw}


@st.composite
def networks(draw: st.DrawFn) -> nx.MultiDiGraph:
    """A small network: a random product tree, a maker of each product and a few random
    facilities (multi-product, markets, planned, closed), random links, and a loop.

    The loop: ``loop-a`` makes ``x`` (which needs ``r``) and the by-product ``s``;
    ``loop-b`` makes ``r`` from ``s``: a needs b and b needs a. ``loop-c`` (when drawn)
    makes ``s`` from nothing, a way into the loop. The platform needs ``x``.
    """
    n_products = draw(st.integers(2, 5))
    names = [f"p{i}" for i in range(n_products)]
    fractions = st.sampled_from([0.0, 0.1, 0.25, 0.5])
    products = []
    for p in names:
        unit = draw(st.sampled_from(["kg", "kg", "each"]))
        els = {e: draw(fractions) for e in ELEMENTS} if unit == "kg" else {}
        products.append(Product(id=p, name=p, category="alloy" if unit == "kg" else
                                "component", unit=unit,
                                elements={e: f for e, f in els.items() if f}, **_src()))
    products += [
        Product(id="x", name="x", category="magnet", unit="kg",
                elements={"Nd": 0.2, "Dy": 0.05}, **_src()),
        Product(id="r", name="r", category="alloy", unit="kg", elements={"Nd": 0.2}, **_src()),
        Product(id="s", name="s", category="scrap", unit="kg",
                elements={"Nd": 0.2, "Dy": draw(fractions)}, **_src()),
        Product(id="plat", name="plat", category="platform", unit="each", **_src()),
    ]
    qty = st.sampled_from([0.5, 1.0, 2.0])
    bom: dict[tuple[str, str], BomLine] = {}
    for i, p in enumerate(names):
        for j in range(i):
            if draw(st.booleans()):
                bom[(p, names[j])] = BomLine(product=p, input=names[j], qty=draw(qty), **_src())
    bom[("x", "r")] = BomLine(product="x", input="r", qty=0.25, **_src())
    bom[("r", "s")] = BomLine(product="r", input="s", qty=1.1, **_src())
    for p in draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)):
        bom[("x", p)] = BomLine(product="x", input=p, qty=draw(qty), **_src())
    bom[("plat", "x")] = BomLine(product="plat", input="x", qty=2, **_src())
    if draw(st.booleans()):
        bom[("plat", names[-1])] = BomLine(product="plat", input=names[-1], qty=1, **_src())
    if draw(st.booleans()):  # a substitute for one input of x
        target = next(p for (q, p) in bom if q == "x" and p in names)
        alt = draw(st.sampled_from(names))
        if alt != target and (("x", alt) not in bom):
            bom[("x", f"{alt}@alt")] = BomLine(product="x", input=alt, qty=1.0,
                                               substitute_for=target, **_src())

    countries = st.sampled_from(["CN", "US", "JP"])
    companies = [Company(id=f"co{i}", name=f"co{i}", country=c, **_src())
                 for i, c in enumerate(["CN", "US", "JP"])]
    facilities: list[Facility] = []

    def facility(fid: str, made: list[str], **kw: Any) -> None:
        kw.setdefault("stage", "alloy")
        kw.setdefault("country", draw(countries))
        kw.setdefault("company", draw(st.sampled_from([None, "co0", "co1", "co2"])))
        facilities.append(Facility(id=fid, name=fid, products=made, **_src(**kw)))

    for p in names:  # one plain maker of each product, so most needs can be met
        facility(f"b-{p}", [p])
    for k in range(draw(st.integers(1, 5))):
        made = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        market = draw(st.integers(0, 9)) == 0
        status = draw(st.sampled_from(["operating"] * 5 + ["planned", "closed"]))
        dates: dict[str, Any] = {}
        if status == "planned":
            dates["online_from"] = draw(st.sampled_from([dt.date(2025, 1, 1),
                                                         dt.date(2027, 1, 1)]))
        if status == "closed":
            dates["online_until"] = draw(st.sampled_from([dt.date(2026, 1, 1),
                                                          dt.date(2027, 1, 1)]))
        facility(f"f{k}", made, stage="market" if market else "alloy",
                 status=status, **dates)
    facility("loop-a", ["x", "s"], stage="magnet")
    facility("loop-b", ["r"], stage="recycling")
    if draw(st.integers(0, 3)) > 0:
        facility("loop-c", ["s"], stage="mine")
    for k in range(draw(st.integers(1, 2))):
        facility(f"asm{k}", ["plat"], stage="assembly", country="US")

    G0 = build_graph(Records(sources=[Source(id="s", title="s")], products=products,
                             bom=list(bom.values()), facilities=facilities,
                             companies=companies))
    # the loop's own links, always live (first, so a drawn duplicate does not replace them)
    supplies: list[Supply] = [
        Supply(supplier="loop-a", buyer="loop-b", product="s", share=0.5, **_src()),
        Supply(supplier="loop-b", buyer="loop-a", product="r", share=0.6, **_src())]
    makers: dict[str, list[str]] = {}
    for f in facilities:
        for p in f.products:
            makers.setdefault(p, []).append(f.id)
    share = st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.5])
    windows = st.sampled_from([(None, None)] * 12 + [(None, dt.date(2026, 1, 1)),
                                                    (dt.date(2027, 1, 1), None),
                                                    (dt.date(2025, 1, 1), dt.date(2028, 1, 1))])
    for f in facilities:
        wanted = sorted(needed_inputs(G0, f.id, substitutes=True))
        for p in wanted:
            options = [m for m in makers.get(p, []) if m != f.id]
            if not options:
                continue
            least = 0 if draw(st.integers(0, 19)) == 0 else 1  # a data gap now and then
            chosen = draw(st.lists(st.sampled_from(options), min_size=least, max_size=3,
                                   unique=True))
            for u in chosen:
                start, end = draw(windows)
                supplies.append(Supply(supplier=u, buyer=f.id, product=p, share=draw(share),
                                       start=start, end=end, **_src()))
    # a way into the loop (when drawn), and a link nobody needs
    if any(f.id == "loop-c" for f in facilities):
        supplies.append(Supply(supplier="loop-c", buyer="loop-b", product="s", share=0.4,
                               **_src()))
    supplies.append(Supply(supplier="loop-b", buyer="asm0", product="r", share=0.3, **_src()))
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for s_ in supplies:
        if (s_.supplier, s_.buyer, s_.product) not in seen:
            seen.add((s_.supplier, s_.buyer, s_.product))
            unique.append(s_)
    return build_graph(Records(sources=[Source(id="s", title="s")], products=products,
                               bom=list(bom.values()), facilities=facilities,
                               companies=companies, supplies=unique))


# --------------------------------------------------------------------------- oracles


def live_view(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    return restrict(G, as_of=DAY)


def facilities_of(V: nx.MultiDiGraph) -> list[str]:
    return [n for n, k in V.nodes(data="kind") if k == "facility"]


def options(V: nx.MultiDiGraph, f: str, substitutions: bool) -> dict[str, set[str]]:
    """Each need of ``f`` and the products that meet it (itself, and its substitutes)."""
    out = {p: {p} for p in needed_inputs(V, f)}
    if substitutions and V.nodes[f]["stage"] != "market":
        made = set(V.nodes[f]["products"])
        for q in made:
            for _, inp, d in V.out_edges(q, data=True):
                target = d.get("substitute_for")
                if d["kind"] == "requires" and target in out and inp not in made:
                    out[target].add(inp)
    return out


def naive_supplied(V: nx.MultiDiGraph, failed: set[str], *, substitutions: bool = False,
                   denied: frozenset[tuple[str, str, str]] = frozenset()) -> set[str]:
    """Least fixed point by plain repetition: add a facility once every need has a
    supplied supplier over a live link, until nothing changes."""
    facs = facilities_of(V)
    needs = {f: options(V, f, substitutions) for f in facs}
    links = {f: [(u, d["product"]) for u, _, d in V.in_edges(f, data=True)
                 if d["kind"] == "supplies" and (u, f, d["product"]) not in denied]
             for f in facs}
    supplied: set[str] = set()
    changed = True
    while changed:
        changed = False
        for f in facs:
            if f in supplied or f in failed:
                continue
            if all(any(u in supplied and c in ok for u, c in links[f])
                   for ok in needs[f].values()):
                supplied.add(f)
                changed = True
    return supplied


def naive_platforms(V: nx.MultiDiGraph, supplied: set[str]) -> dict[str, bool]:
    return {p: any(f in supplied for f in facilities_of(V)
                   if p in V.nodes[f]["products"] and V.nodes[f]["stage"] != "market")
            for p, d in V.nodes(data=True) if d.get("category") == "platform"}


def remove_and_recheck(V: nx.MultiDiGraph, level: str) -> dict[str, list[str] | None]:
    """Single points of failure by brute force: fail each group alone and look (markets
    are in no group: they are pools, not sites)."""
    base = naive_platforms(V, naive_supplied(V, set()))
    facs = facilities_of(V)

    def key(f: str) -> str | None:
        if V.nodes[f]["stage"] == "market":
            return None  # a pool, not a site that can be lost: in no group
        if level == "facility":
            return f
        return V.nodes[f].get(level) or f"facility:{f}"

    groups: dict[str, set[str]] = {}
    for f in facs:
        if (k := key(f)) is not None:
            groups.setdefault(k, set()).add(f)
    out: dict[str, list[str] | None] = {p: (None if not ok else []) for p, ok in base.items()}
    for g, members in sorted(groups.items()):
        after = naive_platforms(V, naive_supplied(V, members))
        for p, ok in base.items():
            if ok and not after[p]:
                out[p].append(g)  # type: ignore[union-attr]
    return out


def kg_of(V: nx.MultiDiGraph, p: str, e: str) -> float:
    d = V.nodes[p]
    if d.get("elements") and d.get("unit") == "kg":
        return float(d["elements"].get(e, 0.0))
    return sum(d2["qty"] * kg_of(V, q, e) for _, q, d2 in V.out_edges(p, data=True)
               if d2["kind"] == "requires" and d2.get("substitute_for") is None)


def opaque_of(V: nx.MultiDiGraph, p: str) -> bool:
    """No element fractions (counted in kg) of its own nor from any bill-of-materials input."""
    d = V.nodes[p]
    if d.get("elements") and d.get("unit") == "kg":
        return False
    inputs = [q for _, q, d2 in V.out_edges(p, data=True)
              if d2["kind"] == "requires" and d2.get("substitute_for") is None]
    return all(q != p and opaque_of(V, q) for q in inputs)


def intake_of(V: nx.MultiDiGraph, f: str, e: str) -> dict[str, float]:
    """Kilograms of ``e`` each needed input of ``f`` brings; an opaque input (unknown
    composition) carries what ``f`` makes that its other inputs do not explain, split by
    quantity, or passes everything through a market or an all-opaque maker."""
    d = V.nodes[f]
    weights: dict[str, float] = {}
    opaque: dict[str, float] = {}
    for p in needed_inputs(V, f):
        q = 1.0 if d["stage"] == "market" else sum(
            d2["qty"] for m in d["products"] for _, i, d2 in V.out_edges(m, data=True)
            if i == p and d2["kind"] == "requires" and d2.get("substitute_for") is None)
        if q * kg_of(V, p, e) > 0:
            weights[p] = q * kg_of(V, p, e)
        elif q > 0 and kg_of(V, p, e) <= 0 and opaque_of(V, p):
            opaque[p] = q
    if not opaque:
        return weights
    if d["stage"] == "market":
        return {**weights, **opaque}
    made = sum(kg_of(V, m, e) for m in d["products"] if m in V and not opaque_of(V, m))
    rest = made - sum(weights.values())
    if rest > 1e-12:
        return {**weights, **{p: rest * q / sum(opaque.values()) for p, q in opaque.items()}}
    if not weights and all(opaque_of(V, m) for m in d["products"] if m in V):
        return opaque
    return weights


def iterated_shares(V: nx.MultiDiGraph, origins: set[str], e: str
                    ) -> dict[str, tuple[float | None, float, float]]:
    """Mass shares by value iteration on the rules of DESIGN §3 / ``oretrace.queries.content``:
    origin 1; no element coming in 0; otherwise the weighted mean over traced suppliers
    (normalised), with low/high bounds counting untraced or uncovered supply as 0 or 1."""
    facs = facilities_of(V)
    intake: dict[str, dict[str, float]] = {}
    sups: dict[str, dict[str, list[tuple[str, float]]]] = {}
    for f in facs:
        weights = intake_of(V, f, e)
        intake[f] = weights
        sups[f] = {p: [(u, d2["share"]) for u, _, d2 in V.in_edges(f, data=True)
                       if d2["kind"] == "supplies" and d2["product"] == p and d2["share"] > 0]
                   for p in weights}
    fixed = {f: (1.0 if f in origins else 0.0) for f in facs
             if f in origins or not intake[f]}
    traced = set(fixed)
    grew = True
    while grew:
        grew = False
        for f in facs:
            if f not in traced and any(u in traced for ls in sups[f].values() for u, _ in ls):
                traced.add(f)
                grew = True
    free = [f for f in facs if f in traced and f not in fixed]

    def iterate(step: Callable[[str, dict[str, float]], float],
                start: dict[str, float]) -> dict[str, float]:
        x = dict(start)
        for _ in range(20_000):
            new = dict(x)
            for f in free:
                new[f] = step(f, x)
            if max((abs(new[f] - x[f]) for f in free), default=0.0) < 1e-15:
                return new
            x = new
        raise AssertionError("value iteration did not settle")

    def est_step(f: str, x: dict[str, float]) -> float:
        known = {p: sum(s for u, s in ls if u in traced) for p, ls in sups[f].items()}
        total = sum(w for p, w in intake[f].items() if known[p] > 1e-12)
        return sum(w / total * s / known[p] * x[u] for p, w in intake[f].items()
                   if known[p] > 1e-12 for u, s in sups[f][p] if u in traced)

    def bound_step(untraced: float) -> Callable[[str, dict[str, float]], float]:
        def step(f: str, x: dict[str, float]) -> float:
            total = sum(intake[f].values())
            value = 0.0
            for p, w in intake[f].items():
                for u, s in sups[f][p]:
                    value += w / total * s * (x[u] if u in traced else untraced)
                if untraced:
                    value += w / total * max(0.0, 1.0 - sum(s for _, s in sups[f][p]))
            return value
        return step

    base = {f: fixed.get(f, 0.0) for f in facs}
    est = iterate(est_step, base)
    low = iterate(bound_step(0.0), base)
    high = iterate(bound_step(1.0), base)
    return {f: ((est[f] if f in traced else None), low[f] if f in traced else 0.0,
                high[f] if f in traced else 1.0) for f in facs}


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(networks(), st.data())
def test_feasibility_matches_the_fixed_point_and_the_plain_path(
        G: nx.MultiDiGraph, data: st.DataObject) -> None:
    substitutions = data.draw(st.booleans())
    cg = compile_graph(G, as_of=DAY, substitutions=substitutions)
    assert cg.cyclic.any()  # every drawn network holds the loop
    V = live_view(G)
    facs = facilities_of(V)
    failed = set(data.draw(st.lists(st.sampled_from(facs), max_size=3)))
    links = [(u, v, d["product"]) for u, v, d in V.edges(data=True) if d["kind"] == "supplies"]
    denied = frozenset(data.draw(st.lists(st.sampled_from(links), max_size=2))) \
        if links else frozenset()
    mine = supplied_mask(cg, failed=failed, denied=denied)
    expected = naive_supplied(V, failed, substitutions=substitutions, denied=denied)
    assert {f for f, ok in zip(cg.facilities, mine, strict=True) if ok} == expected
    net = feasibility.supply_network(G, as_of=DAY, substitutions=substitutions, denied=denied)
    assert mine.tolist() == feasibility.supplied_mask(net, [net.index[f] for f in failed])
    assert platform_supplied(cg, mine) == naive_platforms(V, expected)


@SETTINGS
@given(networks(), st.sampled_from(["facility", "company", "country"]))
def test_single_points_are_those_of_remove_and_recheck(G: nx.MultiDiGraph, level: str) -> None:
    cg = compile_graph(G, as_of=DAY)
    ok = supplied_mask(cg)
    assert single_points(cg, ok, level=level) == remove_and_recheck(live_view(G), level)


@SETTINGS
@given(networks(), st.sampled_from(["facility", "company", "country"]))
def test_critical_sets_are_those_of_the_plain_recursion(G: nx.MultiDiGraph, level: str) -> None:
    """Per facility, against ``oretrace.queries.chokepoints.critical_masks`` (Python bit masks)."""
    cg = compile_graph(G, as_of=DAY)
    net = feasibility.supply_network(G, as_of=DAY)
    ok = feasibility.supplied_mask(net)
    keys = feasibility.group_keys(net, level)
    names = sorted({k for k in keys if k is not None})
    groups = [-1 if k is None else names.index(k) for k in keys]
    plain = chokepoints.critical_masks(net, groups, len(names), ok)
    assert group_labels(cg, level) == keys
    for many in (False, True):  # word sets, and sparse sets (forced with spare groups)
        n_groups = len(names) + (600 if many else 0)
        mine = critical_sets(cg, np.array(ok), np.array(groups), n_groups)
        for i, mask in enumerate(plain):
            if not ok[i]:
                assert mine[i] is None
            else:
                assert mine[i] == {b for b in range(len(names)) if mask >> b & 1}


@SETTINGS
@given(networks(), st.data())
def test_mass_shares_match_value_iteration_and_the_plain_path(
        G: nx.MultiDiGraph, data: st.DataObject) -> None:
    cg = compile_graph(G, as_of=DAY)
    V = live_view(G)
    origins = set(data.draw(st.lists(st.sampled_from(facilities_of(V)), max_size=3)))
    element = data.draw(st.sampled_from(ELEMENTS))
    plain_net = content._Network(V, origins)
    try:
        plain = content._mass_shares(plain_net, element)
    except QueryError:
        with pytest.raises(QueryError):
            mass_shares(cg, origins, element, bounds=True)
        return
    est, low, high = mass_shares(cg, origins, element, bounds=True)
    assert low is not None and high is not None
    oracle = iterated_shares(V, origins, element)
    for f, (p_est, p_low, p_high) in plain.items():
        i = cg.index[f]
        o_est, o_low, o_high = oracle[f]
        if p_est is None:
            assert o_est is None and math.isnan(est[i])
        else:
            assert est[i] == pytest.approx(p_est, abs=1e-9)
            assert est[i] == pytest.approx(o_est, abs=1e-9)
        assert low[i] == pytest.approx(p_low, abs=1e-9) == pytest.approx(o_low, abs=1e-9)
        assert high[i] == pytest.approx(p_high, abs=1e-9) == pytest.approx(o_high, abs=1e-9)


@SETTINGS
@given(networks(), st.data())
def test_where_used_is_the_descendants_over_needed_links(
        G: nx.MultiDiGraph, data: st.DataObject) -> None:
    cg = compile_graph(G, as_of=DAY)
    V = live_view(G)
    facs = facilities_of(V)
    seeds = set(data.draw(st.lists(st.sampled_from(facs), min_size=1, max_size=2)))
    product = data.draw(st.sampled_from([None, *sorted({p for f in seeds
                                                        for p in V.nodes[f]["products"]})]))
    hops = nx.DiGraph()
    hops.add_nodes_from(facs)
    for f in facs:
        for u, _, d in V.in_edges(f, data=True):
            if d["kind"] == "supplies" and d["product"] in needed_inputs(V, f) and \
                    (product is None or u not in seeds or d["product"] == product):
                hops.add_edge(u, f)
    expected = set(seeds).union(*(nx.descendants(hops, s) for s in seeds))
    mine = where_used_mask(cg, seeds, product=product)
    assert {f for f, hit in zip(cg.facilities, mine, strict=True) if hit} == expected
    H = exposure.supply_graph(V)
    if product is None:
        assert expected == set(seeds).union(*(nx.descendants(H, s) for s in seeds))


@SETTINGS
@given(networks(), st.data())
def test_substitutions_and_gaps_are_those_simulate_reports(
        G: nx.MultiDiGraph, data: st.DataObject) -> None:
    """What ``oretrace.queries.feasibility.simulate`` lists, from the compiled form: the pieces a
    compiled ``simulate`` is built from."""
    V = live_view(G)
    failed = data.draw(st.lists(st.sampled_from(facilities_of(V)), max_size=2))
    cg = compile_graph(G, as_of=DAY, substitutions=True)
    plain = feasibility.simulate(G, fail=failed, as_of=DAY, substitutions=True)
    ok = supplied_mask(cg, failed=failed)
    assert substitutes_used(cg, ok) == [(s_.facility, s_.product, s_.substitute, s_.suppliers)
                                        for s_ in plain.substitutions]
    assert need_gaps(cg) == plain.data_gaps
    assert sorted(p for p, up in platform_supplied(cg, ok).items() if up) == plain.supplied


@SETTINGS
@given(networks(), st.data())
def test_upstream_is_the_ancestors_over_needed_links(
        G: nx.MultiDiGraph, data: st.DataObject) -> None:
    cg = compile_graph(G, as_of=DAY)
    V = live_view(G)
    targets = set(data.draw(st.lists(st.sampled_from(facilities_of(V)), min_size=1,
                                     max_size=2)))
    H = exposure.supply_graph(V)
    expected = targets.union(*(nx.ancestors(H, t) for t in targets))
    mine = upstream_mask(cg, targets)
    assert {f for f, hit in zip(cg.facilities, mine, strict=True) if hit} == expected


# --------------------------------------------------------------------------- hand-drawn


def loop_network() -> nx.MultiDiGraph:
    """P assembles ``plat`` from magnets of M. M needs alloy (from A only) and recycled
    alloy (from R or E). R recycles M's swarf (from M only). E makes recycled alloy from
    nothing. Shares: alloy 1 from A; recycled 0.5 from R and 0.5 from E; swarf 0.5 from M."""
    prods = [
        Product(id="alloy", name="a", category="alloy", unit="kg", elements={"Nd": 0.2},
                **_src()),
        Product(id="rec", name="r", category="alloy", unit="kg", elements={"Nd": 0.2},
                **_src()),
        Product(id="swarf", name="s", category="scrap", unit="kg", elements={"Nd": 0.2},
                **_src()),
        Product(id="mag", name="m", category="magnet", unit="kg", elements={"Nd": 0.2},
                **_src()),
        Product(id="plat", name="p", category="platform", unit="each", **_src()),
    ]
    bom = [BomLine(product="mag", input="alloy", qty=0.75, **_src()),
           BomLine(product="mag", input="rec", qty=0.25, **_src()),
           BomLine(product="rec", input="swarf", qty=1.0, **_src()),
           BomLine(product="plat", input="mag", qty=2, **_src())]
    facs = [Facility(id="A", name="A", stage="alloy", products=["alloy"], country="CN",
                     **_src()),
            Facility(id="E", name="E", stage="recycling", products=["rec", "swarf"],
                     country="US",
                     **_src()),
            Facility(id="M", name="M", stage="magnet", products=["mag", "swarf"],
                     country="JP", **_src()),
            Facility(id="R", name="R", stage="recycling", products=["rec"], country="JP",
                     **_src()),
            Facility(id="P", name="P", stage="assembly", products=["plat"], country="US",
                     **_src())]
    sup = [Supply(supplier="A", buyer="M", product="alloy", share=1.0, **_src()),
           Supply(supplier="R", buyer="M", product="rec", share=0.5, **_src()),
           Supply(supplier="E", buyer="M", product="rec", share=0.5, **_src()),
           Supply(supplier="M", buyer="R", product="swarf", share=0.5, **_src()),
           Supply(supplier="M", buyer="P", product="mag", share=1.0, **_src())]
    return build_graph(Records(sources=[Source(id="s", title="s")], products=prods, bom=bom,
                               facilities=facs, supplies=sup))


def test_a_loop_with_one_way_in_stops_when_that_way_is_lost() -> None:
    """Without E, M needs R and R needs M: neither is supplied (the least fixed point),
    so E is a single point of failure of the platform though it is one of two suppliers.
    Losing R leaves E: not critical. crit(plat) = {A, E, M, P}; by country, A is CN, E and
    P are US, M is JP: all three."""
    cg = compile_graph(loop_network(), as_of=DAY)
    assert cg.cyclic[cg.index["M"]] and cg.cyclic[cg.index["R"]]
    ok = supplied_mask(cg, failed=["E"])
    assert {f for f, s in zip(cg.facilities, ok, strict=True) if s} == {"A"}
    base = supplied_mask(cg)
    assert single_points(cg, base) == {"plat": ["A", "E", "M", "P"]}
    assert single_points(cg, base, level="country") == {"plat": ["CN", "JP", "US"]}


def test_a_loop_share_is_solved_exactly() -> None:
    """Origin: A (CN alloy). Nd weights into M: alloy 0.75 × 0.2, recycled 0.25 × 0.2, so
    x_M = 0.75 · 1 + 0.25 · (0.5 x_R + 0.5 x_E); x_E = 0 (nothing comes in: not of origin);
    x_R = 1 · x_M (its only swarf supplier). So x_M = 0.75 + 0.125 x_M = 6/7, x_R = 6/7;
    P takes all from M: 6/7."""
    cg = compile_graph(loop_network(), as_of=DAY)
    est, low, high = mass_shares(cg, ["A"], "Nd", bounds=True)
    assert est[cg.index["M"]] == pytest.approx(6 / 7, abs=1e-12)
    assert est[cg.index["R"]] == pytest.approx(6 / 7, abs=1e-12)
    assert est[cg.index["P"]] == pytest.approx(6 / 7, abs=1e-12)
    # Bounds: R's swarf is only half covered (share 0.5). Low counts the rest as not of
    # origin: x_R = 0.5 x_M, so x_M = 0.75 + 0.125 · 0.5 x_M, x_M = 0.75 / 0.9375 = 0.8.
    assert low is not None and low[cg.index["M"]] == pytest.approx(0.8, abs=1e-12)
    # High counts it as of origin: x_R = 0.5 x_M + 0.5, so x_M = 0.75 + 0.125 (0.5 x_M
    # + 0.5) = 0.8125 + 0.0625 x_M, x_M = 0.8125 / 0.9375.
    assert high is not None and high[cg.index["M"]] == pytest.approx(0.8125 / 0.9375,
                                                                    abs=1e-12)


def test_the_compiled_form_is_cached_per_graph_and_date() -> None:
    G = loop_network()
    a = compile_graph(G, as_of=DAY)
    assert compile_graph(G, as_of=DAY) is a
    assert compile_graph(G, as_of="2026-06-02") is not a
    # a graph that grows is compiled again: a second way into the loop is one link more
    G.add_node("E2", kind="facility", stage="recycling", products=["rec"], status="operating")
    G.add_edge("E2", "M", key="supplies:rec", kind="supplies", product="rec", share=0.0)
    b = compile_graph(G, as_of=DAY)
    assert b is not a and b.n_links == a.n_links + 1


def test_the_cache_lives_on_the_graph_and_a_structural_change_clears_it() -> None:
    """The loop network (A → M alloy; R and E → M recycled alloy; M → R swarf; M → P
    magnets), with a second recycler E2 that supplies no one. The compiled form is kept in
    the graph's own ``__networkx_cache__``, keyed by (date, substitutions). Moving E's link
    into M over to E2 keeps the node and edge counts, yet is a change of structure
    (``remove_edge``, ``add_edge``): compiled again, M's suppliers are then A, R and E2."""
    G = loop_network()
    G.add_node("E2", kind="facility", stage="recycling", products=["rec"], status="operating")
    a = compile_graph(G, as_of=DAY)
    assert G.__networkx_cache__["oretrace.compiled"] == {(DAY, False): a}
    G.remove_edge("E", "M", key="supplies:rec")
    G.add_edge("E2", "M", key="supplies:rec", kind="supplies", product="rec", share=0.5)
    assert "oretrace.compiled" not in G.__networkx_cache__
    b = compile_graph(G, as_of=DAY)
    assert b is not a and b.n_links == a.n_links
    into_m = {b.facilities[int(u)] for u, r in zip(b.link_supplier, b.link_need, strict=True)
              if b.facilities[int(b.need_facility[r])] == "M"}
    assert into_m == {"A", "R", "E2"}
    # a copy is another graph: its own (empty) cache
    assert compile_graph(G.copy(), as_of=DAY) is not b


def test_an_unknown_platform_is_named_with_close_matches() -> None:
    cg = compile_graph(loop_network(), as_of=DAY)
    with pytest.raises(KeyError, match="plat"):
        single_points(cg, supplied_mask(cg), platforms=["plaat"])


# --------------------------------------------------------------------------- index arithmetic
#
# ``connected_components`` labels components with int32. Multiplied in int32, a pair key
# ``src * n + dst`` wraps once n² passes 2³¹ (n ≥ 46,341): the levels then collapse and the
# sweep reads suppliers before it computes them (every platform unsupplied from about 46,000
# facilities). These tests drive the arithmetic directly at such n, with a few edges, so
# they stay fast; the benchmark (``python -m benchmarks --facilities 60000``) checks a whole
# network of that size against the plain engine.

WRAP = 46_341  # the least n with n² > 2³¹ (46,340² = 2,147,395,600 < 2,147,483,648)


@pytest.mark.parametrize("n", [WRAP, 48_000, 60_000, 100_000])
def test_levels_of_a_chain_among_the_highest_ids_past_the_int32_wrap(n: int) -> None:
    """The chain n-1 → n-2 → n-3, ids given as int32: by hand, n-1 is a source (level 0),
    n-2 is one link from it (1) and n-3 two (2); every other id has no edge (0). With the
    int32 key, (n-1)·n + (n-2) wraps negative and the chain read back is another one."""
    src = np.array([n - 1, n - 2], dtype=np.int32)
    dst = np.array([n - 2, n - 3], dtype=np.int32)
    level = longest_path_levels(n, src, dst)
    assert level[n - 3:].tolist() == [2, 1, 0]
    assert int(level.max()) == 2 and int(np.count_nonzero(level)) == 2


def test_pair_keys_hold_the_largest_pair_past_the_int32_wrap() -> None:
    """For n = 60,000 the pair (n-1, n-1) keys to (n-1)·n + (n-1) = n² - 1 = 3,599,999,999,
    above 2³¹ - 1 = 2,147,483,647: it must come back exact and above (0, n-1) = 59,999."""
    n = 60_000
    a = np.array([0, n - 1], dtype=np.int32)
    keys = pair_keys(a, a[::-1].copy(), n)
    assert keys.tolist() == [n - 1, (n - 1) * n]
    keys = pair_keys(np.array([n - 1], dtype=np.int32), np.array([n - 1], dtype=np.int32), n)
    assert keys.tolist() == [3_599_999_999]


@st.composite
def sparse_dags(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]], list[int]]:
    """A small DAG (edges from a lower to a higher local index, so no cycle) whose k nodes
    sit at distinct ids drawn from 0..n-1, n on both sides of the int32 wrap."""
    n = draw(st.integers(WRAP - 50, 200_000) | st.integers(2, 2_000))
    k = draw(st.integers(2, min(25, n)))
    ids = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=60))
    return n, [(ids[a], ids[b]) for a, b in chosen], ids


@SETTINGS
@given(sparse_dags())
def test_levels_are_the_longest_path_from_a_source_at_any_id_size(
        case: tuple[int, list[tuple[int, int]], list[int]]) -> None:
    """Oracle: networkx's longest path in edges from any source to each node, in
    topological order (``level(v) = max(level(u) + 1)`` over edges u → v, 0 for a source);
    ids absent from every edge are level 0. Edges come as int32, as from
    ``connected_components``, and repeat (``unique`` must merge them, not the levels)."""
    n, edges, ids = case
    D = nx.DiGraph()
    D.add_nodes_from(ids)
    D.add_edges_from(edges)
    want: dict[int, int] = {}
    for v in nx.topological_sort(D):
        want[v] = max((want[u] + 1 for u in D.predecessors(v)), default=0)
    src = np.array([u for u, _ in edges], dtype=np.int32)
    dst = np.array([v for _, v in edges], dtype=np.int32)
    level = longest_path_levels(n, src, dst)
    assert {v: int(level[v]) for v in ids} == want
    assert int(np.count_nonzero(level)) == sum(1 for v in want.values() if v)
