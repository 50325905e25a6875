"""Value shares: the dollars of origin rare-earth items one unit of a product holds, as the
linear system x = b + A x over (facility, product) keys (see :mod:`oretrace.queries.content`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
from oretrace.queries._content_mass import _Network, _Shares, _solve, _Vector

__all__: list[str] = []


class _Term(NamedTuple):
    """One input of a value key: ``weight`` = ``qty`` × ``share`` / the group's total share.

    ``line`` is the bill-of-materials line ``(product, input)`` giving ``qty`` (``None``:
    a market passing its product through, qty 1); ``group`` the ``(buyer, input)`` whose
    suppliers share the need, ``supplier`` and ``share`` this one's (``None``: the buyer
    makes the input itself)."""

    key: int
    qty: float
    line: tuple[str, str] | None
    group: tuple[str, str] | None
    supplier: str | None
    share: float


class _ValueSystem(NamedTuple):
    """The origin-value equations x = b + A x over (facility, product) keys (see
    :func:`_value_system`): ``order`` the keys that matter, ``priced`` the keys whose ``b``
    is an item's price (by product), ``terms`` the inputs of each key, ``totals`` each
    group's total share."""

    keys: list[tuple[str, str]]
    b: _Vector
    priced: dict[int, str]
    terms: dict[int, list[_Term]]
    totals: dict[tuple[str, str], float]
    order: list[int]


def _value_system(net: _Network, elements: frozenset[str], categories: frozenset[str] | None,
                  mass: Mapping[str, _Shares], notes: set[str],
                  wanted: Iterable[tuple[str, str]]) -> _ValueSystem:
    """The equations of :func:`_value_in`, with each weight's figures named (so ranged
    figures can be bounded and sampled, :mod:`oretrace.queries.intervals`)."""

    def is_item(q: str) -> bool:
        if categories is not None and net.V.nodes[q].get("category") not in categories:
            return False
        return any(net.content.get(q, {}).get(e, 0.0) > 0 for e in elements)

    def price(q: str) -> float | None:
        value = net.V.nodes[q].get("unit_price_usd")
        return None if value is None else float(value)

    keys = [(f, q) for f in net.facilities for q in net.products[f]]
    index = {key: i for i, key in enumerate(keys)}
    b = np.zeros(len(keys))
    priced: dict[int, str] = {}
    terms: dict[int, list[_Term]] = {}
    totals: dict[tuple[str, str], float] = {}
    pending: dict[int, str] = {}
    for (f, q), i in index.items():
        if f in net.origins and is_item(q):
            p_q = price(q)
            if p_q is not None:
                b[i] = p_q
                priced[i] = q
                continue
            pending[i] = (f"no unit price for {q!r}: its origin value is counted through its "
                          "inputs (a lower bound)")
        inputs = {q: 1.0} if net.is_market(f) else net.boms.get(q, {})
        if not inputs:
            if net.needs[f] and is_item(q) and f not in net.origins:
                p_q = price(q)
                content = net.content.get(q, {})
                kg = {e: content.get(e, 0.0) for e in elements if content.get(e, 0.0) > 0}
                shares = [(mass[e][f][0], w) for e, w in kg.items()
                          if e in mass and mass[e][f][0] is not None]
                if p_q is not None and shares:
                    total = sum(w for _, w in shares)
                    b[i] = p_q * sum(float(s or 0.0) * w for s, w in shares) / total
            continue
        row: list[_Term] = []
        for p, qty in inputs.items():
            line = None if net.is_market(f) else (q, p)
            if not net.is_market(f) and p in net.products[f]:
                row.append(_Term(index[(f, p)], qty, line, None, None, 1.0))
                continue
            supplied = [(u, s) for u, s in net.suppliers[f].get(p, []) if (u, p) in index]
            totals[(f, p)] = sum(s for _, s in supplied)
            row += [_Term(index[(u, p)], qty, line, (f, p), u, s) for u, s in supplied]
        terms[i] = row
    # What the wanted keys hold: the keys they depend on, transitively.
    held = _closure({index[key] for key in wanted if key in index},
                    {i: [t.key for t in row] for i, row in terms.items()})
    notes.update(text for i, text in pending.items() if i in held)
    # Only nodes that can reach a priced origin item carry value (the least fixed point).
    feeds: dict[int, list[int]] = {}
    for i, row in terms.items():
        if i in held:
            for t in row:
                feeds.setdefault(t.key, []).append(i)
    live = _closure({i for i in held if b[i] > 0}, feeds)
    return _ValueSystem(keys, b, priced, terms, totals, sorted(live))


def _closure(start: set[int], step: Mapping[int, Iterable[int]]) -> set[int]:
    """``start`` and everything reached from it over ``step``."""
    seen = set(start)
    stack = list(seen)
    while stack:
        for j in step.get(stack.pop(), ()):
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def _value_in(net: _Network, elements: frozenset[str], categories: frozenset[str] | None,
              mass: Mapping[str, _Shares], notes: set[str],
              wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Per (facility, product) among ``wanted`` and what they hold: dollars of origin items
    containing ``elements`` in one unit (notes only for items they hold)."""
    system = _value_system(net, elements, categories, mass, notes, wanted)
    order, totals = system.order, system.totals
    local = {i: n for n, i in enumerate(order)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i in order:
        for t in system.terms.get(i, []):
            if t.key in local:
                rows.append(local[i])
                cols.append(local[t.key])
                vals.append(t.qty if t.group is None else t.qty * t.share / totals[t.group])
    x = _solve(len(order), rows, cols, vals, system.b[order], "origin value")
    return {system.keys[i]: float(x[local[i]]) for i in order}
