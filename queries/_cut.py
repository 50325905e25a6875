"""The smallest cut as an integer programme (private: :mod:`oretrace.queries.chokepoints`).

Binary ``x_g`` (group g fails), continuous ``y_v`` (facility v stopped) and ``z_vj`` (need j
of v unmet), with ``y_v ≤ x_g(v) + Σ_j z_vj`` (no ``x_g(v)`` for a facility in no group),
``z_vj ≤ y_u`` for every supplier u of need j, ``y_target = 1``, minimising ``Σ x_g``. Any
feasible ``y`` marks only facilities that truly stop, so the optimum is exact; HiGHS solves
it (``scipy.optimize.milp``). Other minimum cuts are found by re-solving with a "no-good"
row per cut found (``Σ_{g ∈ S} x_g ≤ |S| − 1``) while the optimum keeps its size. Beyond
``max_exact`` facilities, or past the time limit, the answer is a lower bound (LP
relaxation or the solver's dual bound) and a feasible cut (LP rounding, repaired and
pruned, checked by a feasibility run). Paths are never enumerated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from oretrace.graphmodel import SolverError
from oretrace.queries.feasibility import SupplyNetwork, supplied_mask
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array, vstack

__all__ = ["CutSolution", "solve_cut"]


@dataclass(frozen=True)
class CutSolution:
    """The answer of :func:`solve_cut`: a cut (group keys) and how good it is."""

    exact: bool
    cut: tuple[str, ...] | None  # None: no cut exists among the candidates
    lower_bound: int
    method: str
    #: other cuts of the same (exact, minimum) size, each sorted; empty unless asked for
    alternatives: tuple[tuple[str, ...], ...] = ()


def _walk(starts: Iterable[int], step: Callable[[int], Iterable[int]]) -> set[int]:
    """The facilities reached from ``starts`` by ``step`` (each one stepped from once)."""
    seen: set[int] = set()
    stack = list(starts)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(u for u in step(i) if u not in seen)
    return seen


def _region(net: SupplyNetwork, supplied: Sequence[bool], targets: Iterable[int]) -> list[int]:
    """The supplied facilities upstream of (or among) ``targets``."""
    return sorted(_walk((t for t in targets if supplied[t]),
                        lambda i: (u for need in net.needs[i] for u, _ in need.suppliers
                                   if supplied[u])))


def _stops(net: SupplyNetwork, failed: Iterable[int], keys: Sequence[str | None],
           cut: Iterable[str], targets: Sequence[int]) -> bool:
    chosen = set(cut)
    down = set(failed) | {i for i, k in enumerate(keys) if k is not None and k in chosen}
    ok = supplied_mask(net, down)
    return not any(ok[t] for t in targets)


def solve_cut(
    net: SupplyNetwork,
    *,
    keys: Sequence[str | None],
    targets: Sequence[int],
    failed: Iterable[int] = (),
    protected: Iterable[str] = (),
    max_exact: int = 5000,
    time_limit: float = 60.0,
    alternatives: int = 0,
) -> CutSolution:
    """Return the fewest group keys whose joint loss stops every facility in ``targets``.

    ``keys[i]`` is the group of facility ``i`` (``None``: in no group, never cut, as a
    market); groups in ``protected`` cannot be cut;
    ``failed`` facilities are down already. Exact by integer programme when the region
    upstream of the targets has at most ``max_exact`` facilities and HiGHS finishes within
    ``time_limit`` seconds; otherwise a lower bound and a feasible cut. With
    ``alternatives`` > 0, up to that many other exact minimum cuts (same size) are returned.
    """
    failed = frozenset(failed)
    ok = supplied_mask(net, failed)
    if not any(ok[t] for t in targets):
        return CutSolution(True, (), 0, "already stopped")
    region = _region(net, ok, targets)
    shield = set(protected)
    cands = sorted({k for k in (keys[i] for i in region) if k is not None} - shield)
    if not cands:
        return CutSolution(True, None, 0, "every group upstream is protected")
    A, lb, c = _programme(net, ok, keys, region, targets, cands)

    def verified(cut: Sequence[str]) -> tuple[str, ...]:
        assert _stops(net, failed, keys, cut, targets), "cut does not stop the targets"
        return tuple(sorted(cut))

    if len(region) <= max_exact:
        found = _exact(A, lb, c, cands, time_limit, alternatives)
        if found is not None:
            if found.cut is None or not found.exact:
                return found if found.cut is None else CutSolution(
                    found.exact, verified(_prune(net, failed, keys, found.cut, targets)),
                    found.lower_bound, found.method)
            return CutSolution(True, verified(found.cut), found.lower_bound, found.method,
                               tuple(verified(alt) for alt in found.alternatives))
    return _relaxed(net, failed, ok, keys, region, targets, shield, A, lb, c, cands)


def _programme(net: SupplyNetwork, ok: Sequence[bool], keys: Sequence[str | None],
               region: Sequence[int], targets: Sequence[int], cands: Sequence[str]
               ) -> tuple[coo_array, np.ndarray, np.ndarray]:
    """The constraint matrix (``A x ≤ 0``), lower bounds and costs of the programme."""
    gx = {k: j for j, k in enumerate(cands)}
    ry = {i: len(cands) + j for j, i in enumerate(region)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    nrow = 0
    nz = 0
    z_first = len(cands) + len(region)
    zrows: list[tuple[int, list[int]]] = []
    for i in region:
        row = nrow
        nrow += 1
        rows.append(row)
        cols.append(ry[i])
        vals.append(1.0)
        own = keys[i]
        if own is not None and own in gx:
            rows.append(row)
            cols.append(gx[own])
            vals.append(-1.0)
        for need in net.needs[i]:
            zc = z_first + nz
            nz += 1
            rows.append(row)
            cols.append(zc)
            vals.append(-1.0)
            zrows.append((zc, [ry[u] for u, _ in need.suppliers if ok[u]]))
    for zc, ys in zrows:
        for yc in sorted(set(ys)):
            rows += [nrow, nrow]
            cols += [zc, yc]
            vals += [1.0, -1.0]
            nrow += 1
    nvar = z_first + nz
    A = coo_array((vals, (rows, cols)), shape=(nrow, nvar))
    lb = np.zeros(nvar)
    for t in targets:
        if ok[t]:
            lb[ry[t]] = 1.0
    c = np.zeros(nvar)
    c[: len(cands)] = 1.0
    return A, lb, c


def _exact(A: coo_array, lb: np.ndarray, c: np.ndarray, cands: Sequence[str],
           time_limit: float, alternatives: int) -> CutSolution | None:
    """The integer programme, then up to ``alternatives`` re-solves excluding each cut found
    (``None``: the solver gave nothing usable, fall back to the relaxation)."""
    nvar = len(c)
    integrality = np.zeros(nvar)
    integrality[: len(cands)] = 1
    bounds = Bounds(lb, np.ones(nvar))
    opts = {"time_limit": time_limit, "disp": False}
    res = milp(c, constraints=LinearConstraint(A.tocsr(), -np.inf, 0.0), bounds=bounds,
               integrality=integrality, options=opts)
    if res.status == 2:
        return CutSolution(True, None, 0, "no cut outside the protected groups")
    if res.x is None:
        return None
    first = tuple(cands[j] for j in range(len(cands)) if res.x[j] > 0.5)
    if res.status != 0:
        bound = getattr(res, "mip_dual_bound", None)
        low = max(1, math.ceil((bound or 1.0) - 1e-6))
        return CutSolution(low >= len(first), first, low,
                           "integer programme stopped at its time limit")
    found = [first]
    extra: list[coo_array] = [A]
    upper = [0.0] * A.shape[0]
    while len(found) <= alternatives:
        chosen = [cands.index(k) for k in found[-1]]
        extra.append(coo_array((np.ones(len(chosen)), ([0] * len(chosen), chosen)),
                               shape=(1, nvar)))
        upper.append(len(chosen) - 1.0)
        res = milp(c, constraints=LinearConstraint(vstack(extra).tocsr(), -np.inf,
                                                   np.array(upper)),
                   bounds=bounds, integrality=integrality, options=opts)
        if res.status != 0 or res.x is None or res.fun > len(first) + 0.5:
            break
        found.append(tuple(cands[j] for j in range(len(cands)) if res.x[j] > 0.5))
    return CutSolution(True, first, len(first), "integer programme (HiGHS)",
                       tuple(found[1:]))


def _relaxed(net: SupplyNetwork, failed: frozenset[int], ok: Sequence[bool],
             keys: Sequence[str | None], region: Sequence[int], targets: Sequence[int],
             shield: set[str], A: coo_array, lb: np.ndarray, c: np.ndarray,
             cands: Sequence[str]) -> CutSolution:
    """The LP relaxation's bound and a feasible cut by rounding (or cheapest kill), pruned."""
    nvar = len(c)
    lp = linprog(c, A_ub=A.tocsr(), b_ub=np.zeros(A.shape[0]),
                 bounds=list(zip(lb, np.ones(nvar), strict=True)), method="highs")
    if lp.status == 2:
        return CutSolution(True, None, 0, "no cut outside the protected groups")
    if lp.status != 0 or lp.x is None:
        raise SolverError("linprog (HiGHS)", int(lp.status), str(lp.message))
    low = max(1, math.ceil(float(lp.fun) - 1e-6))
    order = [cands[j] for j in sorted(range(len(cands)),
                                      key=lambda j: (-float(lp.x[j]), cands[j]))]
    # the shortest prefix of that order that stops the targets: stopping only grows with
    # the cut, so a binary search finds it in log(candidates) feasibility passes (a scan
    # took one pass per candidate: quadratic with 100,000 suppliers)
    short, long = 0, len(order)
    while short < long:
        mid = (short + long) // 2
        if _stops(net, failed, keys, order[:mid + 1], targets):
            long = mid
        else:
            short = mid + 1
    cut = order[:short + 1]
    # a cut as small as the lower bound has nothing to prune and nothing can beat it
    best = _prune(net, failed, keys, cut, targets) if len(cut) > low else cut
    method = "LP relaxation bound; cut by LP rounding, pruned"
    greedy = _cheapest_kill(net, ok, keys, region, targets, shield) if len(best) > low \
        else None
    if greedy is not None and _stops(net, failed, keys, greedy, targets):
        greedy = _prune(net, failed, keys, greedy, targets)
        if len(greedy) < len(best):
            best, method = greedy, "LP relaxation bound; cut by cheapest-kill recursion, pruned"
    assert _stops(net, failed, keys, best, targets), "cut does not stop the targets"
    return CutSolution(low >= len(best), tuple(sorted(best)), low, method)


def _cheapest_kill(net: SupplyNetwork, ok: Sequence[bool], keys: Sequence[str | None],
                   region: Sequence[int], targets: Sequence[int],
                   shield: set[str]) -> list[str] | None:
    """A cut from the recursion cost(v) = min(1 for v's own group, min over needs of the sum of
    the suppliers' costs), shared nodes counted once when the choices are traced back. A
    market (no group) or a protected group has no "own group" option."""
    inf = float("inf")
    cost = {i: inf for i in region}
    choice: dict[int, int] = {}  # -1: cut v's own group; j: starve need j
    H = nx.DiGraph()
    H.add_nodes_from(region)
    for i in region:
        for need in net.needs[i]:
            for u, _ in need.suppliers:
                if ok[u]:
                    H.add_edge(u, i)
    C = nx.condensation(H)
    for c in nx.topological_sort(C):
        members = sorted(C.nodes[c]["members"])
        for _ in range(len(members) + 1):  # relax until stable (bounded)
            changed = False
            for i in members:
                own = keys[i]
                best, pick = (1.0, -1) if own is not None and own not in shield else (inf, -1)
                for j, need in enumerate(net.needs[i]):
                    total = sum(cost[u] for u, _ in need.suppliers if ok[u])
                    if total < best:
                        best, pick = total, j
                if best < cost[i]:
                    cost[i], choice[i] = best, pick
                    changed = True
            if not changed:
                break
    if any(cost[t] == inf for t in targets if ok[t]):
        return None
    # trace the choices back: a facility whose own group is cut stops the walk there
    traced = _walk((t for t in targets if ok[t]),
                   lambda i: () if choice[i] == -1 else
                   (u for u, _ in net.needs[i][choice[i]].suppliers if ok[u]))
    cut = {keys[i] for i in traced if choice[i] == -1}
    assert None not in cut
    return sorted(k for k in cut if k is not None)


def _prune(net: SupplyNetwork, failed: Iterable[int], keys: Sequence[str | None],
           cut: Sequence[str], targets: Sequence[int]) -> list[str]:
    kept = list(cut)
    for k in reversed(list(cut)):
        trial = [x for x in kept if x != k]
        if _stops(net, failed, keys, trial, targets):
            kept = trial
    return kept
