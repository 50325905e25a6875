"""Reach on the compiled form: the facilities upstream of targets or downstream of seeds.

Over links carrying an input the buyer needs (substitutes not counted), as
:func:`oretrace.queries.exposure.supply_graph`'s ancestors and descendants; the plain twins
are in :mod:`oretrace.queries.exposure`.

Examples
--------
On the mini network, what ``jp-mag`` draws on and where ``cn-sep``'s output goes:

>>> from oretrace.loaders import load_dataset
>>> from oretrace.queries._compiled_graph import compile_graph
>>> cg = compile_graph(load_dataset(MINI), as_of="2026-06-01")
>>> [f for f, m in zip(cg.facilities, upstream_mask(cg, ["jp-mag"])) if m]
['cn-mine', 'cn-sep', 'jp-mag']
>>> [f for f, m in zip(cg.facilities, where_used_mask(cg, ["cn-sep"])) if m]
['cn-sep', 'jp-mag', 'us-comp', 'us-asm']
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from oretrace.queries._compiled_graph import CompiledGraph
from oretrace.queries._compiled_levels import Bool, or_pass, sweep
from scipy.sparse.csgraph import breadth_first_order

__all__ = ["upstream_mask", "where_used_mask"]


def upstream_mask(cg: CompiledGraph, targets: Iterable[str]) -> Bool:
    """Return, per facility index, whether it is one of ``targets`` or upstream of one over
    links carrying an input the buyer needs (``nx.ancestors`` in the needed-supply graph;
    example in the module docstring).
    """
    reverse = cg.memo.get("reverse")
    if reverse is None:
        direct = np.flatnonzero(cg.link_direct)
        n = len(cg.facilities)
        reverse = cg.memo["reverse"] = sp.csr_matrix(
            (np.ones(len(direct)), (cg.need_facility[cg.link_need[direct]],
                                    cg.link_supplier[direct])), shape=(n + 1, n + 1))
    n = len(cg.facilities)
    start = cg.facility_index(targets)
    seeds = sp.csr_matrix((np.ones(len(start)), (np.full(len(start), n), start)),
                          shape=(n + 1, n + 1))
    reached = breadth_first_order(reverse + seeds, n, directed=True,
                                  return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[reached] = True
    return mask[:n]


def where_used_mask(
    cg: CompiledGraph,
    seeds: Iterable[str],
    *,
    product: str | None = None,
) -> Bool:
    """Return, per facility index, whether it is a seed or downstream of one.

    Downstream follows links carrying an input the buyer needs (substitutes not counted),
    as :func:`oretrace.queries.exposure.supply_graph`. With ``product``, links leaving a seed count
    only when they carry that product (``find_where_used`` of a product). Example in the
    module docstring.
    """
    seed = np.zeros(len(cg.facilities), dtype=bool)
    seed[cg.facility_index(seeds)] = True
    use = cg.link_direct.copy()
    if product is not None:
        code = cg.products.index(product) if product in cg.products else -1
        use &= ~seed[cg.link_supplier] | (cg.link_product == code)
    x = sweep(cg.levels, len(cg.facilities), use.astype(float), seed[cg.order], or_pass)
    return x[cg.position] > 0
