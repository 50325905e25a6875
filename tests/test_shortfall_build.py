"""The shortfall LP laid out as arrays (:mod:`._shortfall_build`) is the model its statement
gives, entry for entry, against a plain loop that writes the statement down one facility,
link and row at a time (the reference below, the form the LPs were built in before).

The reference states the model of :mod:`oretrace.queries._shortfall_lp`: one output column
per region facility and product it lists (a later listing of a product replaces an earlier;
a funnel is one column bounded by the most it makes), one column per link into the region
and per link into a consumer carrying what it accepts, one per option of a
bill-of-materials line; rows in order: what each output's links carry (in the order the
links first name it), each facility's production (a market passes on what it receives; a
maker's lines, then the inputs it uses), each consumer's need.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from oretrace.loaders import load_dataset
from oretrace.loaders.synth import generate_network, write_network
from oretrace.queries._capacity_funnel import _funnels
from oretrace.queries._capacity_memo import _Memo
from oretrace.queries._shortfall_build import _build
from oretrace.queries._shortfall_facts import (
    _facts,
    _recipe,
    _sink_ratios,
    _supply_caps,
)
from oretrace.queries.capacity import _consumers, _Scenario


def _upstream(facts: Any, ok: Sequence[bool], start: Iterable[int],
              sinks: Mapping[int, Any], stops: Container[int] = ()) -> set[int]:
    """Supplied facilities among ``start`` and upstream of them, stopping at ``sinks`` (left
    out) and at ``stops`` (kept, their upstream left out)."""
    region: set[int] = set()
    stack = [u for u in start if ok[u] and u not in sinks]
    while stack:
        i = stack.pop()
        if i in region:
            continue
        region.add(i)
        if i in stops:
            continue
        stack.extend(u for u in facts.ups[i] if ok[u] and u not in region and u not in sinks)
    return region


class _Stops:
    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def __contains__(self, i: object) -> bool:
        return bool(self.mask[i])


def _reference(net: Any, ok: Sequence[bool], product: str, consumers: Mapping[int, float],
               unknown_as: float, substitutions: bool, memo: _Memo, funnels: Any,
               switch: bool) -> tuple[dict[str, Any], int]:
    """The model as its statement gives it, and how many funnels it sums up."""
    facts = _facts(net)
    rec = facts.recipes(memo.reading)
    accepts = {s: _sink_ratios(net.view, net.facilities[s], product, substitutions, memo)
               for s in consumers}
    seeds = [u for s, ratios in accepts.items() for u, carried in facts.links[s]
             if carried in ratios and ok[u]]
    stops: Any = _Stops(funnels.stop_mask(product, len(net.facilities))) if funnels else ()
    region = _upstream(facts, ok, seeds, {} if switch else consumers, stops)
    closed = switch or not any(u in consumers for u in seeds) and not any(
        ok[u] and u in consumers for i in region for u in facts.ups[i])
    ub: list[float] = []
    rows: list[list[tuple[int, float]]] = []
    rhs: list[float] = []

    def var(bound: float = np.inf) -> int:
        ub.append(bound)
        return len(ub) - 1

    def row(entries: list[tuple[int, float]], bound: float = 0.0) -> None:
        rows.append(entries)
        rhs.append(bound)

    x: dict[tuple[int, str], int] = {}
    caps: dict[int, str] = {}
    producers: dict[int, list[tuple[int, float]]] = {}
    unknown = False
    order = sorted(region)
    for i in order:
        if funnels is not None and i in stops:
            x[(i, facts.made[i][0])] = var(funnels.most[i])
            unknown = unknown or funnels.unknown[i]
        else:
            for r, cap in _supply_caps(facts, rec, i, memo):
                if cap is None and not facts.market[i]:
                    cap, unknown = unknown_as, True
                x[(i, r)] = col = var(np.inf if cap is None else cap)
                if cap is not None and np.isfinite(cap):
                    caps[col] = net.facilities[i]
        if i in consumers:
            producers[i] = [(x[(i, r)], ub[x[(i, r)]]) for r in dict.fromkeys(facts.made[i])
                            if (i, r) in x]
    inflow: dict[tuple[int, str], list[int]] = {}
    intake: dict[tuple[int, str], list[int]] = {}
    outflow: dict[tuple[int, str], list[int]] = {}
    for i, takes in [(i, None) for i in order] + [(s, accepts[s]) for s in sorted(consumers)]:
        for u, carried in facts.links[i]:
            if u in region and (takes is None or carried in takes):
                col = var()
                (inflow if takes is None else intake).setdefault((i, carried), []).append(col)
                outflow.setdefault((u, carried), []).append(col)
    for (u, r), cols in outflow.items():
        row([(c, 1.0) for c in cols] + [(x[(u, r)], -1.0)])
    for i in order:
        if funnels is not None and i in stops:
            continue
        if facts.market[i]:
            for r in facts.made[i]:
                row([(x[(i, r)], 1.0)] + [(c, -1.0) for c in inflow.get((i, r), [])])
            continue
        uses: dict[str, list[int]] = {}
        for P, _, options in _recipe(facts, rec, facts.made[i], substitutions, memo):
            new = [var() for _ in options]
            row([(x[(i, P)], 1.0)] + [(w, -k) for w, (_, k) in zip(new, options, strict=True)])
            for (a, _), w in zip(options, new, strict=True):
                uses.setdefault(a, []).append(w)
        for a, used in uses.items():
            row([(w, 1.0) for w in used] + [(c, -1.0) for c in inflow.get((i, a), [])])
    cost = np.zeros(len(ub))
    sinks: dict[int, int] = {}
    for sink, amount in consumers.items():
        entries = [(c, ratio) for a, ratio in accepts[sink].items()
                   for c in intake.get((sink, a), [])]
        for c, ratio in entries:
            cost[c] -= ratio
        if entries:
            sinks[sink] = len(rows)
            row(entries, amount)
    return {"ub": ub, "rows": rows, "rhs": rhs, "cost": cost.tolist(), "caps": caps,
            "sinks": sinks, "unknown": unknown, "closed": closed, "producers": producers}, sum(
        1 for i in order if funnels is not None and i in stops)


def _laid_out(built: Any) -> dict[str, Any]:
    m = built.m
    rows: list[list[tuple[int, float]]] = [[] for _ in m.rhs]
    for r, c, v in zip(m.rows.tolist(), m.cols.tolist(), m.vals.tolist(), strict=True):
        rows[r].append((c, v))
    return {"ub": m.ub.tolist(), "rows": rows, "rhs": m.rhs.tolist(),
            "cost": built.cost.tolist(), "caps": built.caps, "sinks": built.sinks,
            "unknown": built.unknown, "closed": built.closed, "producers": built.producers}


@pytest.mark.parametrize(("facilities", "seed"), [(220, 3), (900, 7)])
@pytest.mark.parametrize("substitutions", [False, True])
def test_the_arrays_lay_out_the_models_statement(tmp_path: Path, facilities: int, seed: int,
                                                 substitutions: bool) -> None:
    """Every product's LP on drawn networks (recyclers, markets, substitutes, funnels), for
    the baseline and with China failed, its consumers as sinks and as producers too, unknown
    capacities read as nil and as unlimited: the same columns, bounds, rows (each entry in
    its place), costs, capacities named, consumers' rows and flags."""
    G = load_dataset(write_network(generate_network(facilities, seed=seed), tmp_path / "n"))
    sc = _Scenario(G, fail=["country:CN"], as_of="2026-11-24", policy=None,
                   substitutions=substitutions, platforms=None, per_platform=False)
    memo, compared, switched, funnelled = _Memo(), 0, 0, 0
    for net, ok, down in ((sc.base, sc.base_ok, frozenset()), (sc.net, sc.ok, sc.down)):
        for product in sc.scopes[0][2]:
            consumers, _ = _consumers(net, sc.union, product, down, memo)
            if not consumers:
                continue
            for unknown_as in (0.0, float("inf")):
                funnels = _funnels(net, ok, unknown_as, substitutions, memo)
                for fun, switch in ((None, False), (funnels, False), (funnels, True)):
                    args = (net, ok, product, consumers, unknown_as, substitutions, memo, fun,
                            switch)
                    want, summed = _reference(*args)
                    assert _laid_out(_build(*args)) == want, (product, switch, fun is None)
                    compared += 1
                    switched += bool(want["producers"])
                    funnelled += summed
    assert compared > 100 and switched and funnelled
