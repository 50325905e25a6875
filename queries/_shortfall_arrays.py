"""The network a shortfall LP is laid out from, as arrays (:mod:`._shortfall_build`).

Per network, once: each facility's products, links and suppliers as flat arrays with their
offsets (:class:`_Flat`). Per reading of the ranged figures: each listed product's capacity
and each facility's production rows by the shape of its bill of materials (:class:`_Tables`,
filled as regions ask). And the few array steps every layout takes: runs of offsets spread
into positions, membership among sorted keys, places within rows, the walk upstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from oretrace.queries._shortfall_facts import _Facts, _facts, _recipe, _Recipes, _supply_caps
from oretrace.queries.feasibility import SupplyNetwork

if TYPE_CHECKING:
    from oretrace.queries._capacity_memo import _Memo

__all__: list[str] = []

Ints = np.ndarray[Any, np.dtype[np.int64]]
Floats = np.ndarray[Any, np.dtype[np.float64]]
Bools = np.ndarray[Any, np.dtype[np.bool_]]

# --------------------------------------------------------------------------- per network


@dataclass
class _Flat:
    """The network as arrays: each facility's products (``entries``), links and suppliers.

    Entry ``k`` is product ``code[k]`` listed by facility ``owner[k]``; a facility's entries
    are ``start[i]:start[i+1]``, and ``last[k]`` is its last entry of the same product (the
    one whose output column a product's flows use, as a later listing replaces an earlier).
    Link ``j`` (``facts.links`` in order, by buyer) brings ``carried[j]`` from ``supplier[j]``
    to ``buyer[j]``, out of the supplier's entry ``source[j]``.
    """

    products: dict[str, int]
    start: Ints
    code: Ints
    owner: Ints
    last: Ints
    keys: Ints  # owner * P + code of each last entry, sorted, and those entries
    keyed: Ints
    link_start: Ints
    supplier: Ints
    carried: Ints
    buyer: Ints
    source: Ints
    up_start: Ints
    ups: Ints
    market: Bools
    names: np.ndarray[Any, np.dtype[np.object_]]

    def entry(self, i: Ints, code: Ints) -> Ints:
        """The last entry of facility ``i`` listing product ``code`` (-1 where none)."""
        at, hit = _find(self.keys, i * len(self.products) + code)
        return np.where(hit, self.keyed[at], -1)


def _flat(facts: _Facts) -> _Flat:
    """The :class:`_Flat` arrays of a network (computed once, kept with its facts)."""
    if facts.flat is not None:
        return facts.flat  # type: ignore[no-any-return]
    products: dict[str, int] = {}
    made = [[products.setdefault(r, len(products)) for r in rs] for rs in facts.made]
    for links in facts.links:
        for _, product in links:
            products.setdefault(product, len(products))
    start = _starts([len(m) for m in made])
    code = np.fromiter((c for m in made for c in m), np.int64, int(start[-1]))
    owner = np.repeat(np.arange(len(made)), np.diff(start))
    key = owner * max(len(products), 1) + code
    # the last entry of each (facility, product): its group's last, groups in entry order
    by_key = _Groups.of(key)
    keyed = by_key.links[by_key.start[1:] - 1]
    last = np.empty_like(code)
    last[by_key.links] = np.repeat(keyed, np.diff(by_key.start))
    link_start = _starts([len(links) for links in facts.links])
    supplier = np.fromiter((u for links in facts.links for u, _ in links), np.int64,
                           int(link_start[-1]))
    carried = np.fromiter((products[c] for links in facts.links for _, c in links), np.int64,
                          int(link_start[-1]))
    up_start = _starts([len(u) for u in facts.ups])
    flat = _Flat(products=products, start=start, code=code, owner=owner, last=last,
                 keys=by_key.keys, keyed=keyed, link_start=link_start, supplier=supplier,
                 carried=carried, buyer=np.repeat(np.arange(len(made)), np.diff(link_start)),
                 source=np.empty(0, np.int64), up_start=up_start,
                 ups=np.fromiter((u for ups in facts.ups for u in ups), np.int64,
                                 int(up_start[-1])),
                 market=np.asarray(facts.market, dtype=bool),
                 names=np.asarray(facts.net.facilities, dtype=object))
    flat.source = flat.entry(supplier, carried)  # links carry what their supplier lists
    facts.flat = flat
    return flat


def _starts(lengths: Sequence[int] | Ints) -> Ints:
    """Offsets of consecutive runs of ``lengths`` (one more than there are runs)."""
    out = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _sizes(start: Ints, runs: Ints) -> Ints:
    """The lengths of runs ``runs`` of offsets ``start``."""
    return start[runs + 1] - start[runs]


def _within(start: Ints, runs: Ints) -> tuple[Ints, Ints]:
    """:func:`_spread` over runs ``runs`` of offsets ``start``."""
    return _spread(start[runs], _sizes(start, runs))


def _spread(starts: Ints, lengths: Ints) -> tuple[Ints, Ints]:
    """For runs ``starts[k]:starts[k] + lengths[k]``: each position's run and the
    positions, runs in order."""
    run = np.repeat(np.arange(len(lengths)), lengths)
    first = np.zeros(len(lengths), np.int64)
    np.cumsum(lengths[:-1], out=first[1:])
    return run, starts[run] + np.arange(len(run)) - first[run]


# --------------------------------------------------------------------------- per reading


@dataclass
class _Tables:
    """Per network, reading and substitutions: each entry's capacity (NaN: none given), and
    each facility's production rows by the shape of its bill of materials (``recipe[i]``, a
    shape of :class:`_Shapes`; -1: not read yet or a market). Filled as regions ask."""

    cap: Floats
    have: Bools
    recipe: Ints
    shapes: _Shapes = field(default_factory=lambda: _Shapes())
    by_made: dict[tuple[str, ...], int] = field(default_factory=dict)


class _Shapes:
    """The shapes of production rows, one per distinct bill of materials, end to end.

    Shape ``t`` has lines ``line0[t]:line0[t] + lines[t]``: line ``g`` makes
    ``line_product[g]`` from options ``coef0[g]:coef0[g] + width[g]`` (coefficient
    ``coef[c]``; each option is a column of the facility's own, the ``c - var0[t]``-th, of
    ``vars[t]``). Its
    inputs used are ``use0[t]:use0[t] + uses[t]``: use ``h`` of input ``use_code[h]`` sums
    the option columns ``use_cols[col0[h]:col0[h] + count[h]]`` (offsets among the
    facility's own), and the links bringing the input in cover it.
    """

    def __init__(self) -> None:
        self._lists: dict[str, list[Any]] = {name: [] for name in (
            "line0", "lines", "use0", "uses", "var0", "vars", "line_product", "coef0", "width",
            "coef", "use_code", "col0", "count", "use_cols")}
        self._arrays: dict[str, np.ndarray[Any, Any]] | None = None

    def add(self, flat: _Flat, lines: Sequence[tuple[str, str, tuple[tuple[str, float], ...]]]
            ) -> int:
        """Add the shape of ``lines`` (:func:`._shortfall_facts._recipe`); its number."""
        d, self._arrays = self._lists, None
        uses: dict[str, list[int]] = {}
        var0 = len(d["coef"])
        d["line0"].append(len(d["line_product"]))
        d["lines"].append(len(lines))
        d["var0"].append(var0)
        for P, _, options in lines:
            d["line_product"].append(flat.products.get(P, -1))
            d["coef0"].append(len(d["coef"]))
            d["width"].append(len(options))
            for a, k in options:
                uses.setdefault(a, []).append(len(d["coef"]) - var0)
                d["coef"].append(-k)
        d["vars"].append(len(d["coef"]) - var0)
        d["use0"].append(len(d["use_code"]))
        d["uses"].append(len(uses))
        for a, cols in uses.items():
            d["use_code"].append(flat.products.get(a, -1))
            d["col0"].append(len(d["use_cols"]))
            d["count"].append(len(cols))
            d["use_cols"].extend(cols)
        return len(d["lines"]) - 1

    def __getattr__(self, name: str) -> np.ndarray[Any, Any]:
        if self._arrays is None:
            self._arrays = {k: np.asarray(v, float if k == "coef" else np.int64)
                            for k, v in self._lists.items()}
        try:
            return self._arrays[name]
        except KeyError:
            raise AttributeError(name) from None



def _tables(facts: _Facts, flat: _Flat, rec: _Recipes, region: Ints, substitutions: bool,
            memo: _Memo) -> _Tables:
    """The :class:`_Tables` of the reading, filled for the facilities of ``region``."""
    got: _Tables | None = rec.tables.get(substitutions)
    if got is None:
        n = len(flat.start) - 1
        got = rec.tables[substitutions] = _Tables(cap=np.full(len(flat.code), np.nan),
                                                  have=np.zeros(n, bool), recipe=np.full(n, -1))
    for i in region[~got.have[region]].tolist():
        caps = [np.nan if c is None else c for _, c in _supply_caps(facts, rec, i, memo)]
        got.cap[flat.start[i]:flat.start[i + 1]] = caps
        if not facts.market[i]:
            made = facts.made[i]
            t = got.by_made.get(made)
            if t is None:
                t = got.by_made[made] = got.shapes.add(
                    flat, _recipe(facts, rec, made, substitutions, memo))
            got.recipe[i] = t
        got.have[i] = True
    return got


def _find(sorted_keys: Ints, keys: Ints) -> tuple[Ints, Bools]:
    """Where each of ``keys`` is among ``sorted_keys`` (a valid place where absent, 0 if
    there are none), and whether it is there."""
    if not len(sorted_keys):
        return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found: Bools = sorted_keys[at] == keys
    return at, found


def _member(keys: Ints, sorted_keys: Ints) -> Bools:
    """Whether each of ``keys`` is among ``sorted_keys``."""
    return _find(sorted_keys, keys)[1]


@dataclass
class _Groups:
    """Positions grouped by their key (links into a facility by what they carry, a
    facility's product entries by product): those of key ``keys[g]`` are
    ``links[start[g]:start[g+1]]``, in the order given."""

    keys: Ints
    start: Ints
    links: Ints

    @classmethod
    def of(cls, keys: Ints) -> _Groups:
        at = np.argsort(keys, kind="stable")
        ends = np.flatnonzero(np.r_[keys[at][1:] != keys[at][:-1], True]) if len(at) else at
        return cls(keys[at][ends], np.r_[0, ends + 1], at)

    def find(self, keys: Ints) -> tuple[Ints, Ints]:
        """Where each of ``keys`` starts among the links, and how many it has (0: none)."""
        if not len(self.keys):
            return np.zeros_like(keys), np.zeros_like(keys)
        g, hit = _find(self.keys, keys)
        return self.start[g], np.where(hit, self.start[g + 1] - self.start[g], 0)


def _region(flat: _Flat, live: Bools, seeds: Ints, sink: Bools, stop: Bools) -> Ints:
    """The supplied facilities among ``seeds`` and upstream of them, sorted: consumers
    (``sink``) left out, funnels (``stop``) kept and their upstream left out."""
    seen = np.zeros(len(live), bool)
    front = np.unique(seeds[live[seeds] & ~sink[seeds]])
    while len(front):
        seen[front] = True
        front = front[~stop[front]]
        _, at = _within(flat.up_start, front)
        up = flat.ups[at]
        front = np.unique(up[live[up] & ~sink[up] & ~seen[up]])
    return np.flatnonzero(seen)


def _places(row: Ints, size: Ints) -> Ints:
    """Each entry's place in its row, entries of one row in the order given (``size``: the
    entries of each row)."""
    seen = np.argsort(row, kind="stable")
    place = np.empty(len(row), np.int64)
    place[seen] = np.arange(len(row)) - _starts(size)[row[seen]]
    return place


def _chain(net: SupplyNetwork, assemblies: Iterable[int]) -> set[int]:
    """Every facility upstream of (or among) ``assemblies``, whatever is supplied."""
    flat = _flat(_facts(net))
    anything = np.ones(len(net.facilities), bool)
    return set(_region(flat, anything, np.fromiter(assemblies, np.int64), ~anything,
                       ~anything).tolist())
