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

What the LPs of one network share is read once (:mod:`._shortfall_facts`); each LP is laid
out as arrays (:mod:`._shortfall_build`) and solved by HiGHS here.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
from oretrace.queries._shortfall_arrays import _flat, _region, _within
from oretrace.queries._shortfall_build import _build, _Model
from oretrace.queries._shortfall_facts import _Facts, _facts, _mask_key, _supply_cap
from oretrace.queries.feasibility import SupplyNetwork
from scipy.optimize import OptimizeWarning, linprog

if TYPE_CHECKING:
    from oretrace.queries._capacity_memo import _Memo

__all__: list[str] = []

#: One LP's answer: (most delivered, facilities whose capacity binds, unknown capacities).
Solved = tuple[float, list[str], list[str]]

#: HiGHS's primal simplex: these LPs start feasible (nothing delivered) and it takes 2-3×
#: fewer iterations than the dual simplex on the large ones (e.g. 2.5 s against 7.6 s on a
#: 36,000-column LP of the 60,000-facility benchmark network).
_PRIMAL = 4


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


def _unknown_upstream(facts: _Facts, ok: Sequence[bool], consumers: Mapping[int, float],
                      memo: _Memo) -> list[str]:
    """Non-market facilities without a capacity for a product they list, among the supplied
    facilities upstream of the consumers (by name)."""
    rec, flat = facts.recipes(memo.reading), _flat(facts)
    sinks = np.fromiter(consumers, np.int64, len(consumers))
    is_sink = np.zeros(len(facts.net.facilities), bool)
    is_sink[sinks] = True
    _, ups = _within(flat.up_start, sinks)
    region = _region(flat, np.frombuffer(_mask_key(ok), dtype=bool), flat.ups[ups], is_sink,
                     np.zeros_like(is_sink)).tolist()
    return sorted({facts.net.facilities[i] for i in region if not facts.market[i]
                   and any(_supply_cap(facts, rec, i, r, memo) is None for r in facts.made[i])})


def _solve_lp(net: SupplyNetwork, ok: Sequence[bool], product: str,
              consumers: Mapping[int, float], unknown_as: float,
              substitutions: bool, memo: _Memo) -> Solved:
    built = _build(net, ok, product, consumers, unknown_as, substitutions, memo)
    named = _unknown_upstream(_facts(net), ok, consumers, memo) if built.unknown else []
    if not built.cost.any():
        return 0.0, [], named
    return (*_run(built.m, built.cost, built.caps), named)


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
