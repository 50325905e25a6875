"""Private funnels: a facility whose whole upstream serves it alone, summed up by one bound.

A supplied facility ``u`` making one product is a **funnel** when each supplied facility it
buys from (any of its needs' suppliers) makes one product, supplies nothing but ``u`` and is
itself a funnel (a mine is one). Everything upstream of ``u`` then serves ``u`` alone, so in
any shortfall LP whose region holds ``u`` the projection of that sub-network's solutions on
``u``'s output is the interval from nothing to ``most[u]``: every constraint is a capacity
or homogeneous, so a solution scaled down is one. Solving the LP with ``u`` as a source
bounded by ``most[u]`` (its upstream left out) gives the same most delivered — provided
none of the LP's consumers is upstream of ``u`` (they would be sinks, not producers):
``consumed[u]`` holds, as bits, the products needed upstream of ``u``.

``most`` follows the LP's rows: ``min(capacity, min over its bill-of-materials lines of
Σ options' ratio × what their suppliers deliver)``, a market the lesser of its capacity and
what it receives. Computed once per network, mask, reading, reading of unknown capacities
and substitutions, in one pass in supply order: a deep bill of materials (one facility per
tier) then costs linear time where one LP per product over its whole upstream costs n².
The values only: which capacities bind inside a funnel is not seen, so only the baseline's
value-only LPs (:mod:`._capacity_warm`) use funnels.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from oretrace.queries._shortfall_facts import _Facts, _facts, _mask_key, _recipe, _supply_cap
from oretrace.queries.feasibility import SupplyNetwork

if TYPE_CHECKING:
    from oretrace.queries._capacity_memo import _Memo

__all__: list[str] = []


@dataclass
class _Funnels:
    """The funnels of one network: bound, products needed upstream (bits), an unknown
    capacity in it, and each facility's only buyer (if it has exactly one)."""

    most: dict[int, float] = field(default_factory=dict)
    consumed: dict[int, int] = field(default_factory=dict)
    unknown: dict[int, bool] = field(default_factory=dict)
    sole: dict[int, int] = field(default_factory=dict)
    bits: dict[str, int] = field(default_factory=dict)
    masks: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    upstream_bits: np.ndarray[Any, Any] | None = None  # ``consumed`` as rows of bits

    def stop_mask(self, product: str, n: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """The funnels an LP of ``product`` may summarise (none of its consumers upstream),
        as a mask over the network's ``n`` facilities (kept per product)."""
        got = self.masks.get(product)
        if got is None:
            got = np.zeros(n, bool)
            got[list(self.most)] = True
            bit = self.bits.get(product)
            if bit is not None:
                rows = self.upstream_bits
                if rows is None:
                    width = (len(self.bits) + 7) // 8
                    rows = self.upstream_bits = np.zeros((n, width), np.uint8)
                    for u, c in self.consumed.items():
                        rows[u] = np.frombuffer(c.to_bytes(width, "little"), np.uint8)
                got &= (rows[:, bit >> 3] >> (bit & 7)) & 1 == 0
            self.masks[product] = got
        return got

    def most_of(self, funnels: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The bound of each of ``funnels`` (facility indices)."""
        return np.fromiter((self.most[u] for u in funnels.tolist()), float, len(funnels))

    def unknown_of(self, funnels: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Whether an unknown capacity is inside each of ``funnels``."""
        return np.fromiter((self.unknown[u] for u in funnels.tolist()), bool, len(funnels))


def _funnels(net: SupplyNetwork, ok: Sequence[bool], unknown_as: float, substitutions: bool,
             memo: _Memo) -> _Funnels:
    """The :class:`_Funnels` of ``net`` under ``ok`` and the memo's reading (cached)."""
    key = (id(net), _mask_key(ok), unknown_as, substitutions)
    got = memo.funnels.get(key)
    if isinstance(got, _Funnels):
        return got
    facts = _facts(net)
    out = _Funnels()
    buyers: list[set[int]] = [set() for _ in net.facilities]
    for u, ups in enumerate(facts.ups):
        for v in ups:
            buyers[v].add(u)
    out.sole = {v: next(iter(b)) for v, b in enumerate(buyers) if len(b) == 1}
    needed = [0] * len(net.facilities)
    for i, needs in enumerate(net.needs):
        if not facts.market[i]:
            for need in needs:
                needed[i] |= 1 << out.bits.setdefault(need.product, len(out.bits))
    sups = [{v for v in ups if ok[v]} for ups in facts.ups]
    waiting = [len(s) for s in sups]
    queue = deque(i for i in range(len(waiting)) if ok[i] and not waiting[i])
    while queue:
        u = queue.popleft()
        _summarise(facts, out, u, sups[u], needed, unknown_as, substitutions, memo)
        for w in buyers[u]:
            if ok[w]:
                waiting[w] -= 1
                if not waiting[w]:
                    queue.append(w)
    memo.funnels[key] = out
    return out


def _summarise(facts: _Facts, out: _Funnels, u: int, sups: set[int], needed: list[int],
               unknown_as: float, substitutions: bool, memo: _Memo) -> None:
    """Record ``u`` as a funnel if it is one (module docstring), its suppliers settled."""
    made = facts.made[u]
    if len(made) != 1 or any(v not in out.most or out.sole.get(v) != u
                             or len(facts.made[v]) != 1 for v in sups):
        return
    rec = facts.recipes(memo.reading)
    cap = _supply_cap(facts, rec, u, made[0], memo)
    unknown = cap is None and not facts.market[u]
    bound = (unknown_as if unknown else float("inf")) if cap is None else cap
    got: dict[str, float] = {}
    for v, carried in facts.links[u]:
        if v in sups:
            got[carried] = got.get(carried, 0.0) + out.most[v]
    if facts.market[u]:
        bound = min(bound, got.get(made[0], 0.0))
    else:
        lines = _recipe(facts, rec, made, substitutions, memo)
        used = [a for _, _, options in lines for a, _ in options]
        if len(used) != len(set(used)):
            return  # an input standing in for two lines: shared, not one bound
        for _, _, options in lines:
            bound = min(bound, sum(k * got.get(a, 0.0) for a, k in options))
    consumed = 0
    for v in sups:
        consumed |= needed[v] | out.consumed[v]
    out.most[u], out.consumed[u] = bound, consumed
    out.unknown[u] = unknown or any(out.unknown[v] for v in sups)
