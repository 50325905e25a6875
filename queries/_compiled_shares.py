"""Origin shares by mass on the compiled form: the element roll-up, loops solved.

The share of an element leaving each facility that is of origin, with its low and high
bounds (DESIGN §3), as :mod:`oretrace.queries.content`'s mass shares (its plain twin):
normalised over traced suppliers; a recycling loop iterated, or solved directly when slow.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from oretrace.graphmodel.errors import QueryError
from oretrace.queries._compiled_graph import CompiledGraph
from oretrace.queries._compiled_levels import (
    Bool,
    Float,
    Int,
    Part,
    index_dtype,
    matvec,
    or_pass,
    sweep,
)

__all__ = ["at_most_one", "mass_shares", "solve_shares"]

_EPS = 1e-12


def _content_kg(cg: CompiledGraph, element: str) -> Float:
    """Kilograms of ``element`` per unit of each product (``oretrace.queries.content`` rules)."""
    cached = cg.memo.get(("content", element))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    out = np.full(len(cg.products), np.nan)
    visiting: set[int] = set()

    def kg(q: int) -> float:
        if not np.isnan(out[q]):
            return float(out[q])
        if q in visiting:
            raise QueryError(f"the bill of materials of {cg.products[q]!r} contains itself")
        visiting.add(q)
        declared = cg.content[cg.products[q]]
        if declared:
            value = float(declared.get(element, 0.0))
        else:
            value = sum(qty * kg(inp) for inp, qty in cg.bom.get(q, {}).items())
        visiting.discard(q)
        out[q] = value
        return value

    for q in range(len(cg.products)):
        kg(q)
    cg.memo[("content", element)] = out
    return out


@dataclass(frozen=True)
class _Rollup:
    """The origin-independent parts of one element's mass roll-up."""

    weight: Float  # per need: kg of the element it brings per unit made
    has_intake: Bool  # per facility
    links: Int  # weighted links (direct, share > 0, need weight > 0)
    total: Float  # per facility: sum of need weights
    missing: Float  # per facility: weight of uncovered shares / total (high bound)
    traced0: Bool  # traced from the no-intake facilities alone
    all_traced: bool  # every supplier of a weighted link is in traced0
    est: Float  # per link: the normalised coefficient when every supplier is traced
    low: Float  # per link: w/total x share


def _rollup(cg: CompiledGraph, element: str) -> _Rollup:
    cached = cg.memo.get(("rollup", element))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    kg = _content_kg(cg, element)
    n = len(cg.facilities)
    m = len(cg.need_facility)
    qty = np.zeros(m)
    for r in range(m):
        f = int(cg.need_facility[r])
        p = int(cg.need_product[r])
        if p < 0:
            continue
        if cg.market[f]:
            qty[r] = 1.0
        else:
            qty[r] = sum(cg.bom.get(q, {}).get(p, 0.0) for q in cg.fac_products[f])
    pk = np.where(cg.need_product >= 0, kg[np.maximum(cg.need_product, 0)], 0.0)
    pk = np.where(pk > 0, pk, 0.0)
    weight = np.where(qty * pk > 0, qty * pk, 0.0)
    weight = _opaque_weights(cg, kg, qty, pk, weight)
    total = np.bincount(cg.need_facility, weights=weight, minlength=n)
    has_intake = total > 0
    w_link = weight[cg.link_need]
    links = np.flatnonzero(cg.link_direct & (cg.link_share > 0) & (w_link > 0))
    share_sum = np.bincount(cg.link_need[links], weights=cg.link_share[links], minlength=m)
    fac_of_need = cg.need_facility
    missing = np.bincount(fac_of_need, weights=weight * np.maximum(0.0, 1.0 - share_sum),
                          minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        missing = np.where(total > 0, missing / np.where(total > 0, total, 1.0), 0.0)
    traced0 = _traced(cg, ~has_intake, links)
    suppliers = np.unique(cg.link_supplier[links])
    all_traced = bool(traced0[suppliers].all())
    est, low = _coefficients(cg, weight, total, links, traced0 if all_traced else
                             np.ones(n, dtype=bool))
    out = _Rollup(weight=weight, has_intake=has_intake, links=links, total=total,
                  missing=missing, traced0=traced0, all_traced=all_traced,
                  est=est, low=low)
    cg.memo[("rollup", element)] = out
    return out


def _opaque_products(cg: CompiledGraph) -> Bool:
    """Per product code: no element fractions of its own nor from any input (a concentrate;
    ``oretrace.queries.content``'s opaque products)."""
    cached = cg.memo.get("opaque")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    memo: dict[int, bool] = {}

    def opaque(q: int) -> bool:
        if q not in memo:
            memo[q] = False  # a loop through the bill of materials is not opaque
            memo[q] = not cg.content[cg.products[q]] and all(
                opaque(i) for i in cg.bom.get(q, {}))
        return memo[q]

    out = np.array([opaque(q) for q in range(len(cg.products))], dtype=bool)
    cg.memo["opaque"] = out
    return out


def _opaque_weights(cg: CompiledGraph, kg: Float, qty: Float, pk: Float,
                    weight: Float) -> Float:
    """Need weights with the opaque inputs' share of the element (``oretrace.queries.content``'s
    ``intake``): the rest of what the buyer makes, by quantity; passed through by a market
    or a plant making only opaque products."""
    op = _opaque_products(cg)
    n = len(cg.facilities)
    prod = np.maximum(cg.need_product, 0)
    is_op = (cg.need_product >= 0) & op[prod] & (pk <= 0) & (qty > 0)
    if not is_op.any():
        return weight
    made = np.array([sum(float(kg[q]) for q in cg.fac_products[f] if not op[q])
                     for f in range(n)])
    only_op = np.array([all(op[q] for q in cg.fac_products[f]) for f in range(n)])
    known = np.bincount(cg.need_facility, weights=weight, minlength=n)
    op_qty = np.bincount(cg.need_facility, weights=np.where(is_op, qty, 0.0), minlength=n)
    fac = cg.need_facility
    rest = made - known
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(rest[fac] > 1e-12, rest[fac] * qty / np.where(op_qty[fac] > 0,
                                                                       op_qty[fac], 1.0),
                         np.where(only_op[fac] & (known[fac] <= 0), qty, 0.0))
    share = np.where(cg.market[fac], qty, share)
    out: Float = np.where(is_op, share, weight)
    return out


def _coefficients(cg: CompiledGraph, weight: Float, total: Float, links: Int,
                  traced: Bool) -> tuple[Float, Float]:
    """Per link coefficients of the normalised (``est``) and bound (``low``) systems."""
    n_links = cg.n_links
    m = len(cg.need_facility)
    n = len(cg.facilities)
    need = cg.link_need[links]
    share = cg.link_share[links]
    t = traced[cg.link_supplier[links]]
    known = np.bincount(need, weights=share * t, minlength=m)
    ok_need = known > _EPS
    known_total = np.bincount(cg.need_facility, weights=weight * ok_need, minlength=n)
    fac = cg.need_facility[need]
    est = np.zeros(n_links)
    low = np.zeros(n_links)
    with np.errstate(divide="ignore", invalid="ignore"):
        use = t & ok_need[need] & (known_total[fac] > 0)
        est[links[use]] = (weight[need[use]] / known_total[fac[use]]
                           * share[use] / known[need[use]])
        has = total[fac] > 0
        low[links[has]] = weight[need[has]] / total[fac[has]] * share[has]
    return est, low


def _traced(cg: CompiledGraph, fixed: Bool, links: Int) -> Bool:
    """Facilities (by index) reachable from ``fixed`` ones over ``links`` (least fixed point)."""
    data = np.zeros(cg.n_links)
    data[links] = 1.0
    x = sweep(cg.levels, len(cg.facilities), data, fixed[cg.order], or_pass)
    return x[cg.position] > 0


_Csr = tuple[Int, Int, Float]


@dataclass(frozen=True)
class PartRows:
    """A part's facility rows over supplier positions; for a loop part, split in the
    columns outside the part (``ext``) and inside it (``inner``, local columns)."""

    ext: _Csr
    inner: _Csr | None


def _csr_rows(rows: Int, cols: Int, data: Float, n_rows: int) -> _Csr:
    index = index_dtype(max(n_rows, len(rows), int(cols.max()) + 1 if len(cols) else 0))
    indptr = np.searchsorted(rows, np.arange(n_rows + 1)).astype(index)
    return indptr, cols.astype(index), np.ascontiguousarray(data, dtype=float)


def _facility_rows(cg: CompiledGraph, coef: Float, key: Any
                   ) -> list[tuple[PartRows, PartRows | None]]:
    """Per level: the facility-row matrices of ``coef`` (per link; zeros dropped)."""
    cached = cg.memo.get(key) if key is not None else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    buyer_pos = cg.position[cg.need_facility[cg.link_need]]

    def rows_of(part: Part, split: bool) -> PartRows:
        sl = slice(part.la, part.lb)
        c = coef[sl]
        keep = np.flatnonzero(c != 0)
        rows = buyer_pos[sl][keep] - part.fa
        cols = cg.link_sup_pos[sl][keep].astype(np.int64)
        vals = c[keep]
        k = part.fb - part.fa
        if not split:
            return PartRows(ext=_csr_rows(rows, cols, vals, k), inner=None)
        inside = (cols >= part.fa) & (cols < part.fb)
        return PartRows(ext=_csr_rows(rows[~inside], cols[~inside], vals[~inside], k),
                         inner=_csr_rows(rows[inside], cols[inside] - part.fa, vals[inside], k))

    out = [(rows_of(lv.flat, False), None if lv.loop is None else rows_of(lv.loop, True))
           for lv in cg.levels]
    if key is not None:
        cg.memo[key] = out
    return out


#: Sweeps of a loop before it is solved directly instead.
_LOOP_SWEEPS = 200


def _solve_levels(cg: CompiledGraph, mats: list[tuple[PartRows, PartRows | None]],
                  x0: Float, solve: Bool, extra: Float | None, what: str) -> Float:
    """``x = A x (+ extra)`` where ``solve`` (by position), ``x0`` elsewhere; level by
    level, each loop to its solution."""
    x = x0.copy()
    for lv, (flat, loop) in zip(cg.levels, mats, strict=True):
        f = lv.flat
        if f.fb > f.fa:
            sv = solve[f.fa:f.fb]
            if sv.any():
                y = matvec(*flat.ext, x, f.fb - f.fa)
                if extra is not None:
                    y += extra[f.fa:f.fb]
                x[f.fa:f.fb] = np.where(sv, y, x[f.fa:f.fb])
        if lv.loop is not None and loop is not None:
            c = lv.loop
            sv = solve[c.fa:c.fb]
            if sv.any():
                x[c.fa:c.fb] = _solve_loop(loop, x, c, sv, extra, what)
    return x


def _solve_loop(rows: PartRows, x: Float, c: Part, sv: Bool, extra: Float | None,
                what: str) -> Float:
    """Solve ``x_c = rhs + A_cc x_c`` on the loop's ``sv`` rows: sweeps, exact if slow."""
    assert rows.inner is not None
    k = c.fb - c.fa
    rhs = matvec(*rows.ext, x, k)
    if extra is not None:
        rhs += extra[c.fa:c.fb]
    xc = np.where(sv, 0.0, x[c.fa:c.fb])
    for _ in range(_LOOP_SWEEPS):
        new = np.where(sv, rhs + matvec(*rows.inner, xc, k), xc)
        if np.all(np.abs(new[sv] - xc[sv]) <= 1e-16):
            return new
        xc = new
    # slow or singular: solve directly (and say so when it cannot be solved)
    indptr, indices, data = rows.inner
    A = sp.csr_matrix((data, indices, indptr), shape=(k, k))
    idx = np.flatnonzero(sv)
    A_s = A[idx]
    M = A_s[:, idx].tocsc()
    b = rhs[idx] + A_s[:, np.flatnonzero(~sv)] @ xc[~sv]
    system = (sp.identity(len(idx), format="csc") - M).tocsc()
    xc = xc.copy()
    xc[idx] = solve_shares(system, b, what)
    return xc


def at_most_one(shares: Float) -> Float:
    """Return ``shares`` with rounding above 1 removed: a share within 1e-9 above 1
    (``1.0000000000000002``) reads 1; larger ones (shares in the data over 1) are kept."""
    out: Float = np.where((shares > 1.0) & (shares <= 1.0 + 1e-9), 1.0, shares)
    return out


def solve_shares(system: Any, b: Float, what: str) -> Float:
    """Solve the shares of a recycling loop, ``system @ x = b``, clipped at 0.

    Raises :class:`oretrace.graphmodel.QueryError` naming ``what`` when the loop gives
    back as much as it takes (singular) or more (a negative or infinite share).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            sol = np.asarray(spla.spsolve(system, b), dtype=float).reshape(len(b))
        except (RuntimeError, Warning) as exc:
            raise QueryError(f"{what}: a recycling loop gives back as much as it takes "
                             "(the shares around it reach 1); check its quantities") from exc
    if not np.all(np.isfinite(sol)) or np.any(sol < -1e-9):
        raise QueryError(f"{what}: a recycling loop gives back more than it takes; "
                         "check its quantities and shares")
    clipped: Float = np.clip(sol, 0.0, None)
    return clipped


def mass_shares(
    cg: CompiledGraph,
    origins: Iterable[str] | Bool,
    element: str,
    *,
    bounds: bool = False,
) -> tuple[Float, Float | None, Float | None]:
    """Return, per facility index, the share of ``element`` leaving it that is of origin.

    ``origins`` are the origin facilities (share 1): ids, or a mask by facility index. A
    facility into which the element comes from no supplier has share 0 (it enters there);
    elsewhere the share is the mean of its suppliers' shares weighted by supply share and
    by the kilograms of the element each input brings, over the suppliers traced back to an
    origin or an entry point (DESIGN §3; ``oretrace.queries.content``). Facilities not traced get
    ``nan``. With ``bounds``, also the low and high bounds (untraced or uncovered supply
    counted as not of origin, or as of origin); otherwise ``None`` for both.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> from oretrace.queries._compiled_graph import compile_graph
    >>> cg = compile_graph(load_dataset(MINI), as_of="2027-06-01")
    >>> est, _, _ = mass_shares(cg, ["cn-mine", "cn-sep"], "Nd")
    >>> round(float(est[cg.index["jp-mag"]]), 6)
    0.6
    """
    n = len(cg.facilities)
    r = _rollup(cg, element)
    if isinstance(origins, np.ndarray) and origins.dtype == bool:
        origin = origins
    else:
        origin = np.zeros(n, dtype=bool)
        origin[cg.facility_index(origins)] = True
    fixed = origin | ~r.has_intake
    what = f"origin share of {element}"
    if r.all_traced:
        traced = r.traced0 | origin
        est_coef = r.est
        est_key: Any = ("est", element)
    else:
        traced = _traced(cg, fixed, r.links)
        est_coef, _ = _coefficients(cg, r.weight, r.total, r.links, traced)
        est_key = None
    o, fx, tr = origin[cg.order], fixed[cg.order], traced[cg.order]
    solve = tr & ~fx
    value = o.astype(float)
    est = _solve_levels(cg, _facility_rows(cg, est_coef, est_key),
                        np.where(fx | solve, value, np.nan), solve, None, what)
    if not bounds:
        return at_most_one(est[cg.position]), None, None
    mats = _facility_rows(cg, r.low, ("low", element))
    low = _solve_levels(cg, mats, np.where(fx | solve, value, 0.0), solve, None, what)
    high = _solve_levels(cg, mats, np.where(fx | solve, value, 1.0), solve,
                         r.missing[cg.order], what)
    return (at_most_one(est[cg.position]), at_most_one(low[cg.position]),
            at_most_one(high[cg.position]))
