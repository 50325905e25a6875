"""The linear programmes of :func:`oretrace.queries.capacity.find_shortfall`.

One LP per network, product, set of consumers and reading of unknown capacities: the most of
the product (or of its substitutes, by their bill-of-materials ratio) that the supplied
facilities can deliver to the consumers, each facility producing at most its capacity and
needing its inputs in bill-of-materials proportion, markets passing through what they receive
(the model is stated in :mod:`oretrace.queries.capacity`).

**Region.** An LP covers the supplied facilities that can carry the product to a consumer:
the suppliers of the product (or of a substitute the consumer accepts) to the consumers, and
every supplied facility upstream of them (consumers are sinks only). A facility outside it
(a supplier of another input of the consumers, say) has no path to the consumers' intake of
the product, so its flows can be set to nothing in any solution: leaving it out changes
neither the most delivered nor the shadow prices of the capacities inside. The unknown
capacities an answer names are still those of the whole supplied chain upstream of the
consumers (:func:`_unknown_upstream`), as the range they give is read from the LPs.

**Per network, once.** The facilities' attributes, products and live links into each buyer
(:class:`_Facts`), and per reading of the ranged figures the supply capacity of each
(facility, product) and each facility's recipe (:class:`_Recipes`), are computed the first
time an LP asks: the LPs of one call share most of their facilities.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
from oretrace.graphmodel.vocab import Stage
from oretrace.queries._capacity_memo import flow_capacity, unit_conversion
from oretrace.queries._cut import _walk
from oretrace.queries.feasibility import SupplyNetwork
from scipy.optimize import OptimizeWarning, linprog
from scipy.sparse import csr_array

if TYPE_CHECKING:
    from oretrace.queries._capacity_funnel import _Funnels
    from oretrace.queries._capacity_memo import Reading, _Memo

__all__: list[str] = []

#: One LP's answer: (most delivered, facilities whose capacity binds, unknown capacities).
Solved = tuple[float, list[str], list[str]]
#: A recipe line of a facility: (product made, input, ((input or substitute, 1 / qty), ...)).
Line = tuple[str, str, tuple[tuple[str, float], ...]]


# --------------------------------------------------------------------------- per network


@dataclass
class _Recipes:
    """Per network and reading: supply capacities and recipes, filled as asked."""

    reading: Reading
    caps: dict[tuple[int, str], float | None] = field(default_factory=dict)
    supply: dict[int, tuple[tuple[str, float | None], ...]] = field(default_factory=dict)
    lines: dict[tuple[tuple[str, ...], bool], tuple[Line, ...]] = field(default_factory=dict)


@dataclass
class _Facts:
    """What every LP on one network reads, by facility index.

    ``links[i]`` lists ``(supplier, product carried)`` once for each live link into ``i``
    that meets one of its needs and carries a product its supplier lists.
    """

    net: SupplyNetwork
    attrs: tuple[Mapping[str, Any], ...]
    market: tuple[bool, ...]
    made: tuple[tuple[str, ...], ...]
    links: tuple[tuple[tuple[int, str], ...], ...]
    ups: tuple[frozenset[int], ...]
    readings: dict[int, _Recipes] = field(default_factory=dict)

    def recipes(self, reading: Reading) -> _Recipes:
        """The capacities and recipes under ``reading`` (kept while it is cached)."""
        got = self.readings.get(id(reading))
        if got is None or got.reading is not reading:
            if len(self.readings) >= 16:  # sampling asks many readings: bounded memory
                self.readings.clear()
            got = self.readings[id(reading)] = _Recipes(reading)
        return got


_FACTS: dict[int, _Facts] = {}

#: HiGHS's primal simplex: these LPs start feasible (nothing delivered) and it takes 2-3×
#: fewer iterations than the dual simplex on the large ones (e.g. 2.5 s against 7.6 s on a
#: 36,000-column LP of the 60,000-facility benchmark network).
_PRIMAL = 4


def _facts(net: SupplyNetwork) -> _Facts:
    """The :class:`_Facts` of ``net``, computed once (the last few networks are kept)."""
    got = _FACTS.get(id(net))
    if got is not None and got.net is net:
        return got
    view = net.view
    attrs = tuple(view.nodes[f] for f in net.facilities)
    made = tuple(tuple(a.get("products", ())) for a in attrs)
    links = []
    for needs in net.needs:
        pairs = dict.fromkeys((u, carried) for need in needs for u, carried in need.suppliers
                              if carried in made[u])
        links.append(tuple(pairs))
    got = _Facts(net=net, attrs=attrs, market=tuple(a.get("stage") == Stage.MARKET for a in attrs),
                 made=made, links=tuple(links),
                 ups=tuple(frozenset(u for need in needs for u, _ in need.suppliers)
                           for needs in net.needs))
    if len(_FACTS) >= 4:
        _FACTS.clear()
    _FACTS[id(net)] = got
    return got


def _supply_cap(facts: _Facts, rec: _Recipes, i: int, product: str, memo: _Memo) -> float | None:
    """Facility ``i``'s capacity for ``product`` in flow units as the memo reads it."""
    key = (i, product)
    if key not in rec.caps:
        f = facts.net.facilities[i]
        rec.caps[key] = flow_capacity(memo.reading.capacity(f, facts.attrs[i], "supply"),
                                      memo.unit(facts.net.view, product))
    return rec.caps[key]


def _supply_caps(facts: _Facts, rec: _Recipes, i: int,
                 memo: _Memo) -> tuple[tuple[str, float | None], ...]:
    """``(product, capacity)`` for each product facility ``i`` lists (:func:`_supply_cap`)."""
    got = rec.supply.get(i)
    if got is None:
        got = rec.supply[i] = tuple((r, _supply_cap(facts, rec, i, r, memo))
                                    for r in facts.made[i])
    return got


def _recipe(facts: _Facts, rec: _Recipes, made: tuple[str, ...], substitutions: bool,
            memo: _Memo) -> tuple[Line, ...]:
    """For each product a facility making ``made`` makes, each input it needs from outside
    (itself making none of it) with the inputs that can meet it, each with the flow units of
    product one flow unit of it stands for (Leontief: 1 / bill-of-materials quantity)."""
    key = (made, substitutions)
    if key not in rec.lines:
        view, own = facts.net.view, set(made)
        out: list[Line] = []
        for P in dict.fromkeys(made):
            base, subs = memo.lines(view, P)
            for X, qx in base.items():
                if X in own:
                    continue
                options = {X: qx}
                if substitutions:
                    options.update({a: q for a, q in subs.get(X, {}).items() if a not in own})
                out.append((P, X, tuple(
                    (a, 1.0 / (qa * unit_conversion(memo.unit(view, P), memo.unit(view, a))))
                    for a, qa in options.items())))
        rec.lines[key] = tuple(out)
    return rec.lines[key]


# --------------------------------------------------------------------------- the LPs


def _solve(G: nx.MultiDiGraph, net: SupplyNetwork, ok: Sequence[bool], product: str,
           consumers: Mapping[int, float], unknown_as: float,
           substitutions: bool, memo: _Memo) -> Solved:
    """Max deliverable of ``product`` to ``consumers`` (index → need); returns
    (supply, binding capacity facilities, unknown-capacity facilities upstream).
    Solved once per network, supplied mask (by content: a scenario that fails nothing
    shares the baseline's LPs), product, consumers and ``unknown_as`` (``memo``).

    The unknown capacities are listed only when one of them is in the LP's region (they can
    change its answer); otherwise the list is empty and both readings are one answer."""
    key = (id(net), _mask_key(ok), product, tuple(sorted(consumers.items())), unknown_as,
           substitutions)
    if key not in memo.solved:
        memo.solved[key] = _solve_lp(net, ok, product, consumers, unknown_as, substitutions,
                                     memo)
    return memo.solved[key]


_MASKS: dict[int, tuple[Sequence[bool], bytes]] = {}


def _mask_key(ok: Sequence[bool]) -> bytes:
    """``ok`` as bytes, computed once per mask object (the last few are kept)."""
    got = _MASKS.get(id(ok))
    if got is None or got[0] is not ok:
        if len(_MASKS) >= 8:
            _MASKS.clear()
        got = _MASKS[id(ok)] = (ok, bytes(bytearray(ok)))
    return got[1]


def _upstream(facts: _Facts, ok: Sequence[bool], start: Iterable[int],
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


def _unknown_upstream(facts: _Facts, ok: Sequence[bool], consumers: Mapping[int, float],
                      memo: _Memo) -> list[str]:
    """Non-market facilities without a capacity for a product they list, among the supplied
    facilities upstream of the consumers (by name)."""
    rec = facts.recipes(memo.reading)
    region = _upstream(facts, ok, (u for s in consumers for u in facts.ups[s]), consumers)
    return sorted({facts.net.facilities[i] for i in region if not facts.market[i]
                   and any(_supply_cap(facts, rec, i, r, memo) is None for r in facts.made[i])})


class _Model:
    """An LP ``max Σ ratio · delivered`` as sparse rows ``Σ coef · var ≤ rhs``."""

    def __init__(self) -> None:
        self.ub: list[float] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.rhs: list[float] = []

    def var(self, ub: float = np.inf) -> int:
        self.ub.append(ub)
        return len(self.ub) - 1

    def vars(self, n: int) -> range:
        """``n`` new unbounded variables."""
        start = len(self.ub)
        self.ub.extend([np.inf] * n)
        return range(start, start + n)

    def matrix(self) -> csr_array:
        """The rows as one sparse matrix (rows × variables)."""
        return csr_array((np.asarray(self.vals), (np.asarray(self.rows), np.asarray(self.cols))),
                         shape=(len(self.rhs), len(self.ub)))

    def row(self, cols: Sequence[int], coefs: Sequence[float] | float,
            rhs: float = 0.0) -> None:
        r = len(self.rhs)
        self.rhs.append(rhs)
        self.rows.extend([r] * len(cols))
        self.cols.extend(cols)
        self.vals.extend([coefs] * len(cols) if isinstance(coefs, float) else coefs)


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
    cost: np.ndarray[Any, Any]
    caps: dict[int, str]
    sinks: dict[int, int]
    unknown: bool
    closed: bool
    direct: dict[int, float] | None = None
    producers: dict[int, list[tuple[int, float]]] = field(default_factory=dict)


def _solve_lp(net: SupplyNetwork, ok: Sequence[bool], product: str,
              consumers: Mapping[int, float], unknown_as: float,
              substitutions: bool, memo: _Memo) -> Solved:
    built = _build(net, ok, product, consumers, unknown_as, substitutions, memo)
    named = _unknown_upstream(_facts(net), ok, consumers, memo) if built.unknown else []
    if not built.cost.any():
        return 0.0, [], named
    return (*_run(built.m, built.cost, built.caps), named)


def _build(net: SupplyNetwork, ok: Sequence[bool], product: str,
           consumers: Mapping[int, float], unknown_as: float,
           substitutions: bool, memo: _Memo, funnels: _Funnels | None = None,
           switch: bool = False) -> _Built:
    """Lay out the LP of ``product`` delivered to ``consumers`` (module docstring); with
    ``funnels``, each funnel it may summarise is a source bounded by the most it can make;
    with ``switch``, the consumers are producers too (upstream of the others), each either
    role by its bounds (:mod:`._capacity_warm`)."""
    facts = _facts(net)
    rec = facts.recipes(memo.reading)
    accepts = {s: _sink_ratios(net.view, net.facilities[s], product, substitutions, memo)
               for s in consumers}
    seeds = [u for s, ratios in accepts.items() for u, carried in facts.links[s]
             if carried in ratios and ok[u]]
    stops = funnels.stops(product) if funnels is not None else ()
    region = _upstream(facts, ok, seeds, {} if switch else consumers, stops)
    closed = switch or not any(u in consumers for u in seeds) and not any(
        ok[u] and u in consumers for i in region for u in facts.ups[i])
    producers: dict[int, list[tuple[int, float]]] = {}
    m = _Model()
    x: dict[tuple[int, str], int] = {}
    caps: dict[int, str] = {}  # column → facility whose capacity bounds it
    unknown = False
    order = sorted(region)
    for i in order:
        if funnels is not None and i in stops:
            x[(i, facts.made[i][0])] = m.var(funnels.most[i])
            unknown = unknown or funnels.unknown[i]
        else:
            for r, cap in _supply_caps(facts, rec, i, memo):
                if cap is None and not facts.market[i]:
                    cap, unknown = unknown_as, True
                x[(i, r)] = col = m.var(np.inf if cap is None else cap)
                if cap is not None and np.isfinite(cap):
                    caps[col] = net.facilities[i]
        if i in consumers:
            producers[i] = [(x[(i, r)], m.ub[x[(i, r)]]) for r in dict.fromkeys(facts.made[i])
                            if (i, r) in x]
    # links: supplier in the region, buyer in it or a consumer taking what it carries
    inflow: dict[tuple[int, str], list[int]] = {}
    intake: dict[tuple[int, str], list[int]] = {}
    outflow: dict[tuple[int, str], list[int]] = {}
    for i, takes in [(i, None) for i in order] + [(s, accepts[s]) for s in sorted(consumers)]:
        kept = [(u, carried) for u, carried in facts.links[i]
                if u in region and (takes is None or carried in takes)]
        into = inflow if takes is None else intake
        for col, (u, carried) in zip(m.vars(len(kept)), kept, strict=True):
            into.setdefault((i, carried), []).append(col)
            outflow.setdefault((u, carried), []).append(col)
    for (u, r), cols in outflow.items():
        m.row(cols + [x[(u, r)]], [1.0] * len(cols) + [-1.0])
    _production(facts, rec, [i for i in order if i not in stops], x, inflow, m,
                substitutions, memo)
    cost, sinks = _sinks(consumers, accepts, intake, m)
    built = _Built(m, cost, caps, sinks, unknown, closed, producers=producers)
    if funnels is not None and not switch and all(i in stops and funnels.sole.get(i) in consumers
                                   for i in region):
        built.direct = {s: sum(accepts[s][carried] * funnels.most[u]
                               for u, carried in facts.links[s]
                               if u in region and carried in accepts[s])
                        for s in consumers}
    return built


def _production(facts: _Facts, rec: _Recipes, order: Sequence[int],
                x: Mapping[tuple[int, str], int], inflow: Mapping[tuple[int, str], list[int]],
                m: _Model, substitutions: bool, memo: _Memo) -> None:
    """Rows of production: inputs in bill-of-materials proportion (Leontief); markets pass
    through what they receive."""
    for i in order:
        if facts.market[i]:
            for r in facts.made[i]:
                cols = inflow.get((i, r), [])
                m.row([x[(i, r)], *cols], [1.0] + [-1.0] * len(cols))
            continue
        uses: dict[str, list[int]] = {}
        for P, _, options in _recipe(facts, rec, facts.made[i], substitutions, memo):
            new = m.vars(len(options))
            m.row([x[(i, P)], *new], [1.0, *(-k for _, k in options)])
            for (a, _), w in zip(options, new, strict=True):
                uses.setdefault(a, []).append(w)
        for a, used in uses.items():
            cols = inflow.get((i, a), [])
            m.row(used + cols, [1.0] * len(used) + [-1.0] * len(cols))


def _sinks(consumers: Mapping[int, float], accepts: Mapping[int, Mapping[str, float]],
           inflow: Mapping[tuple[int, str], list[int]],
           m: _Model) -> tuple[np.ndarray[Any, Any], dict[int, int]]:
    """Each consumer takes at most its need (substitutes by their bom ratio): the cost
    vector (minus what is delivered) and the row of each consumer with an intake."""
    cost = np.zeros(len(m.ub))
    rows: dict[int, int] = {}
    for sink, amount in consumers.items():
        into: list[int] = []
        coefs: list[float] = []
        for a, ratio in accepts[sink].items():
            for col in inflow.get((sink, a), []):
                into.append(col)
                coefs.append(ratio)
                cost[col] -= ratio
        if into:
            rows[sink] = len(m.rhs)
            m.row(into, coefs, amount)
    return cost, rows


_WARNINGS = threading.Lock()


def _run(m: _Model, cost: np.ndarray[Any, Any], caps: Mapping[int, str]
         ) -> tuple[float, list[str]]:
    """Solve (HiGHS); the most delivered and the facilities whose capacity binds."""
    A = m.matrix()
    bounds = np.zeros((len(m.ub), 2))
    bounds[:, 1] = m.ub
    # scipy names no simplex strategy; HiGHS reads it verbatim. The warning filters are one
    # process-wide list that catch_warnings saves and restores: under the lock, no other
    # thread (the shortfall works products in threads) restores them while this call warns.
    with _WARNINGS, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unrecognized options", OptimizeWarning)
        res = linprog(cost, A_ub=A, b_ub=np.asarray(m.rhs), bounds=bounds, method="highs-ds",
                      options={"simplex_strategy": _PRIMAL})
    if res.status != 0:  # pragma: no cover - the LP is bounded and feasible (0 is feasible)
        raise RuntimeError(f"shortfall LP failed: {res.message}")
    marginals = res.upper.marginals
    binding = sorted({f for col, f in caps.items() if abs(float(marginals[col])) > 1e-9})
    return float(-res.fun), binding


# --------------------------------------------------------------------------- demand, scope


def _sink_ratios(G: nx.MultiDiGraph, facility: str, product: str,
                 substitutions: bool, memo: _Memo) -> dict[str, float]:
    """``{input: units of product it stands for}`` at a consumer: 1 for the product itself."""
    ratios = {product: 1.0}
    if not substitutions:
        return ratios
    for P in G.nodes[facility].get("products", ()):
        base, subs = memo.lines(G, P)
        if product in base:
            for a, qa in subs.get(product, {}).items():
                ratios.setdefault(a, base[product] / qa)
    return ratios


def _chain(net: SupplyNetwork, assemblies: Iterable[int]) -> set[int]:
    """Every facility upstream of (or among) ``assemblies``, whatever is supplied."""
    return _walk(assemblies, _facts(net).ups.__getitem__)


def _scope_products(net: SupplyNetwork, chain: set[int]) -> list[str]:
    """The products the non-market facilities of ``chain`` need, platforms aside."""
    market = _facts(net).market
    out = {need.product for i in chain if not market[i] for need in net.needs[i]}
    return sorted(p for p in out if net.view.nodes.get(p, {}).get("category") != "platform")
