"""Laying out a shortfall LP (:mod:`._shortfall_lp`) as arrays.

The model of one product and set of consumers is built from the network's facilities,
products and links held as flat arrays (:mod:`._shortfall_arrays`, once per network):
selecting the region's links, numbering columns and writing rows are array operations, not
a Python step per link. Columns and rows come in the order the model's statement gives them —
capacities of the region's facilities (in index order), the links into the region, then
into the consumers, each production's inputs — so each model is the same whatever builds
it, and so is every basis the solver walks.

Variables: one output column per region facility and product it lists (bounded by its
capacity; a funnel by the most it can make), one per link into the region (and per link
into a consumer carrying what it accepts), one per option of a bill-of-materials line.
Rows: each facility's output of a product is what its links out carry; each line's output
is covered by its options; each input's use by what comes in (a market passes on what it
receives); each consumer takes at most its need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from oretrace.queries._shortfall_arrays import (
    Bools,
    Floats,
    Ints,
    _Flat,
    _flat,
    _Groups,
    _member,
    _places,
    _region,
    _sizes,
    _spread,
    _starts,
    _Tables,
    _tables,
    _within,
)
from oretrace.queries._shortfall_facts import _facts, _mask_key, _sink_ratios
from oretrace.queries.feasibility import SupplyNetwork
from scipy.sparse import csr_array

if TYPE_CHECKING:
    from oretrace.queries._capacity_funnel import _Funnels
    from oretrace.queries._capacity_memo import _Memo

__all__: list[str] = []


class _Model:
    """An LP ``max Σ ratio · delivered`` as sparse rows ``Σ coef · var ≤ rhs``: the
    entries (row, column, coefficient) in row order, each row's as its statement lists them."""

    def __init__(self, ub: Floats, rows: Ints, cols: Ints, vals: Floats, rhs: Floats) -> None:
        self.ub, self.rows, self.cols, self.vals, self.rhs = ub, rows, cols, vals, rhs

    def matrix(self) -> csr_array:
        """The rows as one sparse matrix (rows × variables)."""
        return csr_array((self.vals, (self.rows, self.cols)), shape=(len(self.rhs), len(self.ub)))


@dataclass
class _Built:
    """One LP as :func:`_build` lays it out.

    ``sinks`` maps each consumer with an intake to the row bounding it (its need);
    ``unknown`` tells whether a capacity read as ``unknown_as`` is in the region;
    ``closed`` that no consumer supplies the region (nor another consumer what it takes), so
    the same model with some consumers' needs set to nothing is the LP of the others;
    ``direct`` what each consumer can get when the region is funnels each serving one
    consumer (:mod:`._capacity_funnel`): the LP's answer without solving it; ``producers``
    the output columns (and bounds) of each consumer that is also laid out as a producer.
    """

    m: _Model
    cost: Floats
    caps: dict[int, str]
    sinks: dict[int, int]
    unknown: bool
    closed: bool
    direct: dict[int, float] | None = None
    producers: dict[int, list[tuple[int, float]]] = field(default_factory=dict)


# --------------------------------------------------------------------------- the model


class _Entries:
    """Matrix entries gathered in any order, each with its row and place in the row."""

    def __init__(self) -> None:
        self.parts: list[tuple[Ints, Ints, Ints, Floats]] = []

    def add(self, rows: Ints, places: Ints, cols: Ints, vals: Floats | float) -> None:
        self.parts.append((rows, places, cols, np.full(len(rows), vals, float)
                           if isinstance(vals, float) else vals))

    def model(self, ub: Floats, rhs: Floats) -> _Model:
        """The model with these entries in row order, each row's in place order."""
        rows, places, cols, vals = (np.concatenate(p) for p in zip(*self.parts, strict=True))
        at = np.lexsort((places, rows))
        return _Model(ub, rows[at], cols[at], vals[at], rhs)


def _build(net: SupplyNetwork, ok: Sequence[bool], product: str,
           consumers: Mapping[int, float], unknown_as: float,
           substitutions: bool, memo: _Memo, funnels: _Funnels | None = None,
           switch: bool = False) -> _Built:
    """Lay out the LP of ``product`` delivered to ``consumers`` (:mod:`._shortfall_lp`); with
    ``funnels``, each funnel it may summarise is a source bounded by the most it can make;
    with ``switch``, the consumers are producers too (upstream of the others), each either
    role by its bounds (:mod:`._capacity_warm`)."""
    facts = _facts(net)
    flat = _flat(facts)
    live = np.frombuffer(_mask_key(ok), dtype=bool)
    n = len(net.facilities)
    accepts = {s: _sink_ratios(net.view, net.facilities[s], product, substitutions, memo)
               for s in consumers}
    is_sink = np.zeros(n, bool)
    is_sink[list(consumers)] = True
    taking = _taking(flat, accepts)
    seeds = flat.supplier[taking.links[live[flat.supplier[taking.links]]]]
    stop = funnels.stop_mask(product, n) if funnels is not None else np.zeros(n, bool)
    region = _region(flat, live, seeds, np.zeros(n, bool) if switch else is_sink, stop)
    closed = switch or not is_sink[seeds].any() and not _supplies(flat, live, region, is_sink)
    tables = _tables(facts, flat, facts.recipes(memo.reading), region, substitutions, memo)
    lay = _Layout(flat, region, stop[region])
    unknown = lay.outputs(tables, unknown_as, funnels)
    lay.flows(taking)
    lay.production(tables)
    cost, sink_rows = lay.sinks(consumers, accepts, taking)
    built = _Built(lay.entries.model(lay.ub, lay.rhs), cost, lay.caps, sink_rows, unknown,
                   closed, producers=lay.producers(is_sink))
    if funnels is not None and not switch and lay.stops.all() and all(
            funnels.sole.get(i) in consumers for i in region.tolist()):
        in_region = set(region.tolist())
        built.direct = {s: sum(accepts[s][c] * funnels.most[u] for u, c in facts.links[s]
                               if u in in_region and c in accepts[s]) for s in consumers}
    return built


@dataclass
class _Taking:
    """The links into the consumers carrying what each accepts (by consumer, in link order),
    and the accepted products as keys ``consumer * P + code``, sorted, with the place of
    each among its consumer's accepted products and the units of need it stands for."""

    links: Ints
    keys: Ints
    rank: Ints
    ratio: Floats


def _taking(flat: _Flat, accepts: Mapping[int, Mapping[str, float]]) -> _Taking:
    """The :class:`_Taking` of consumers accepting ``accepts`` (``{consumer: {input:
    ratio}}``)."""
    P = max(len(flat.products), 1)
    rows = [(s * P + flat.products[a], k, ratio) for s, ratios in accepts.items()
            for k, (a, ratio) in enumerate(ratios.items()) if a in flat.products]
    keys = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    at = np.argsort(keys)
    sinks = np.fromiter(sorted(accepts), np.int64, len(accepts))
    _, links = _within(flat.link_start, sinks)
    links = links[_member(flat.buyer[links] * P + flat.carried[links], keys[at])]
    return _Taking(links, keys[at], np.asarray([r[1] for r in rows], np.int64)[at],
                   np.asarray([r[2] for r in rows], float)[at])


def _supplies(flat: _Flat, live: Bools, region: Ints, is_sink: Bools) -> bool:
    """Whether a supplied consumer supplies a facility of ``region``."""
    _, at = _within(flat.up_start, region)
    up = flat.ups[at]
    return bool((live[up] & is_sink[up]).any())


class _Layout:
    """One model being laid out: columns and rows numbered as they are added."""

    def __init__(self, flat: _Flat, region: Ints, stops: Bools) -> None:
        self.flat, self.region, self.stops = flat, region, stops
        self.P = max(len(flat.products), 1)
        self.entries = _Entries()
        self.ub = np.zeros(0)
        self.rhs = np.zeros(0)
        self.caps: dict[int, str] = {}
        self.column = np.full(len(flat.code), -1)  # the output column of each entry
        self.inward = self.intake = np.zeros(0, np.int64)
        self.link0 = 0  # the first link column

    def new_columns(self, many: int) -> Ints:
        """``many`` new unbounded columns."""
        start = len(self.ub)
        self.ub = np.concatenate((self.ub, np.full(many, np.inf)))
        return np.arange(start, start + many)

    def new_rows(self, many: int) -> None:
        """``many`` new rows bounded by nothing (``≤ 0``)."""
        self.rhs = np.concatenate((self.rhs, np.zeros(many)))

    def producers(self, is_sink: Bools) -> dict[int, list[tuple[int, float]]]:
        """The output columns and their bounds of each consumer in the region."""
        flat, out = self.flat, {}
        for i in self.region[is_sink[self.region]].tolist():
            entries = range(flat.start[i], flat.start[i + 1])
            cols = dict.fromkeys(int(self.column[flat.last[k]]) for k in entries)
            out[i] = [(c, float(self.ub[c])) for c in cols if c >= 0]
        return out

    def outputs(self, tables: _Tables, unknown_as: float, funnels: _Funnels | None) -> bool:
        """One column per region facility and product it lists (a funnel: its one product,
        bounded by the most it makes); whether a capacity read as ``unknown_as`` is in."""
        flat, region, stops = self.flat, self.region, self.stops
        counts = np.where(stops, 1, _sizes(flat.start, region))
        _, entries = _spread(flat.start[region], counts)
        cap = tables.cap[entries]
        unknown = np.isnan(cap) & ~flat.market[flat.owner[entries]]
        ub = np.where(np.isnan(cap), np.where(unknown, unknown_as, np.inf), cap)
        funnel = _starts(counts)[:-1][stops]
        bounded = np.isfinite(ub)
        bounded[funnel] = unknown[funnel] = False
        self.column[entries] = np.arange(len(entries))
        if funnels is not None and len(funnel):
            ub[funnel] = funnels.most_of(region[stops])
            self.column[flat.last[entries[funnel]]] = funnel
            unknown[funnel] = funnels.unknown_of(region[stops])
        capped = np.flatnonzero(bounded)
        self.caps = dict(zip(capped.tolist(), flat.names[flat.owner[entries[capped]]].tolist(),
                             strict=True))
        self.ub = ub
        return bool(unknown.any())

    def flows(self, taking: _Taking) -> None:
        """One column per link into the region from it, then per link into a consumer from
        it; one row per output they carry (in the order the links first name them): what
        the links carry is what is made."""
        flat, region = self.flat, self.region
        in_region = np.zeros(len(flat.start) - 1, bool)
        in_region[region] = True
        _, inward = _within(flat.link_start, region)
        self.inward = inward[in_region[flat.supplier[inward]]]
        self.intake = taking.links[in_region[flat.supplier[taking.links]]]
        links = np.concatenate((self.inward, self.intake))
        output = flat.source[links]
        outputs, head, inverse = np.unique(output, return_index=True, return_inverse=True)
        rank = np.empty(len(outputs), np.int64)
        rank[np.argsort(head, kind="stable")] = np.arange(len(outputs))
        row = rank[inverse.ravel()]
        size = np.bincount(row, minlength=len(outputs))
        made = self.column[output[np.sort(head)]]
        if (made < 0).any():  # pragma: no cover - a funnel sells only its one product
            raise RuntimeError("a link carries a product its supplier has no column for")
        self.link0 = len(self.ub)
        self.entries.add(row, _places(row, size), self.new_columns(len(links)), 1.0)
        self.entries.add(np.arange(len(outputs)), size, made, -1.0)
        self.new_rows(len(outputs))

    def production(self, tables: _Tables) -> None:
        """Each non-funnel's production rows, facility by facility: a market passes on what
        it receives; a maker's lines and inputs used as its shape gives them (:class:`_Shapes`)."""
        flat, P, x = self.flat, self.P, self.link0
        inflow = _Groups.of(flat.buyer[self.inward] * P + flat.carried[self.inward])
        makers = self.region[~self.stops]
        market = flat.market[makers]
        shape, sh = tables.recipe[makers], tables.shapes
        rows = np.where(market, _sizes(flat.start, makers), 0)
        variables = np.zeros(len(makers), np.int64)
        if (~market).any():
            t = shape[~market]
            rows[~market] = sh.lines[t] + sh.uses[t]
            variables[~market] = sh.vars[t]
        row0 = len(self.rhs) + _starts(rows)[:-1]
        var0 = len(self.ub) + _starts(variables)[:-1]
        self.new_rows(int(rows.sum()))
        self.new_columns(int(variables.sum()))

        def pour(at: Ints, i: Ints, code: Ints, after: Ints) -> None:
            """Rows ``at`` of facilities ``i`` take, after their ``after`` first entries,
            minus what comes in of ``code``."""
            begin, many = inflow.find(i * P + code)
            many[code < 0] = 0  # an input no link carries
            k, link = _spread(begin, many)
            self.entries.add(at[k], after[k] + link - begin[k], x + inflow.links[link], -1.0)

        sells = makers[market]
        k, listed = _within(flat.start, sells)
        at = row0[market][k] + listed - flat.start[sells][k]
        self.entries.add(at, np.zeros_like(at), self.column[flat.last[listed]], 1.0)
        pour(at, sells[k], flat.code[listed], np.ones_like(at))
        if not (~market).any():
            return
        i, t, row0, var0 = makers[~market], shape[~market], row0[~market], var0[~market]
        # line g of facility f: its product's output covered by its options
        f, g = _spread(sh.line0[t], sh.lines[t])
        row = row0[f] + g - sh.line0[t[f]]
        self.entries.add(row, np.zeros_like(row),
                         self.column[flat.entry(i[f], sh.line_product[g])], 1.0)
        k, c = _spread(sh.coef0[g], sh.width[g])
        self.entries.add(row[k], 1 + c - sh.coef0[g[k]], var0[f[k]] + c - sh.var0[t[f[k]]],
                         sh.coef[c])
        # use h of facility f: the options filled with its input, minus what comes in of it
        f, h = _spread(sh.use0[t], sh.uses[t])
        row = row0[f] + sh.lines[t[f]] + h - sh.use0[t[f]]
        k, c = _spread(sh.col0[h], sh.count[h])
        self.entries.add(row[k], c - sh.col0[h[k]], var0[f[k]] + sh.use_cols[c], 1.0)
        pour(row, i[f], sh.use_code[h], sh.count[h])

    def sinks(self, consumers: Mapping[int, float], accepts: Mapping[int, Mapping[str, float]],
              taking: _Taking) -> tuple[Floats, dict[int, int]]:
        """Each consumer takes at most its need (substitutes by their ratio), in the order
        of ``consumers``, its accepted products in order: the cost (minus what is delivered)
        and the row of each consumer with an intake."""
        flat, intake = self.flat, self.intake
        cols = self.link0 + len(self.inward) + np.arange(len(intake))
        at = np.searchsorted(taking.keys, flat.buyer[intake] * self.P + flat.carried[intake])
        ratio = taking.ratio[at]
        order = {s: k for k, s in enumerate(consumers)}
        place = np.fromiter((order[s] for s in flat.buyer[intake].tolist()), np.int64,
                            len(intake))
        size = np.bincount(place, minlength=len(order))
        took = size > 0
        row = len(self.rhs) + np.cumsum(took) - 1
        sort = np.lexsort((np.arange(len(intake)), taking.rank[at], place))
        ranked = np.empty(len(intake), np.int64)
        ranked[sort] = np.arange(len(intake))
        self.entries.add(row[place], ranked - _starts(size)[place], cols, ratio)
        cost = np.zeros(len(self.ub))
        cost[cols] = -ratio
        have = [s for s in consumers if took[order[s]]]
        self.rhs = np.concatenate((self.rhs, [consumers[s] for s in have]))
        return cost, dict(zip(have, row[took].tolist(), strict=True))
