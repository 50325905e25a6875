"""Level machinery of the compiled engine: CSR parts, level passes and index arithmetic.

The compiled form (:mod:`oretrace.queries._compiled_graph`) stores facilities, needs and
links level by level; a query is one vectorised pass per level (:func:`sweep`), iterated to
its fixed point on the levels holding loops. The arithmetic that orders the levels works in
int64 whatever width the ids come in (:func:`pair_keys`, :func:`longest_path_levels`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from oretrace.graphmodel.errors import QueryError

try:  # the C kernel behind ``csr_matrix @ vector``, without the per-call checks
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - older or newer scipy layouts
    _csr_matvec = None

__all__ = [
    "Bool",
    "Float",
    "Int",
    "Level",
    "Part",
    "Step",
    "and_pass",
    "index_dtype",
    "longest_path_levels",
    "make_part",
    "matvec",
    "or_pass",
    "pair_keys",
    "sweep",
]

Int = np.ndarray[Any, np.dtype[Any]]  # integer arrays (int32 or int64)
Float = np.ndarray[Any, np.dtype[Any]]
Bool = np.ndarray[Any, np.dtype[np.bool_]]


def matvec(indptr: Int, indices: Int, data: Float, x: Float, n_rows: int) -> Float:
    """``A @ x`` for the CSR rows ``indptr`` (starting at 0)."""
    y = np.zeros(n_rows)
    if n_rows == 0:
        return y
    if _csr_matvec is not None:
        _csr_matvec(n_rows, len(x), indptr, indices, data, x, y)
        return y
    return np.asarray(sp.csr_matrix((data, indices, indptr), shape=(n_rows, len(x))) @ x)


@dataclass(frozen=True)
class Part:
    """Facilities at positions ``fa:fb``, their needs ``ra:rb`` and links ``la:lb``.

    ``need_ptr`` (links of each need, from 0) and ``sup`` (supplier *positions*) are the
    CSR of the part's need rows; ``with_needs`` are the facilities (from ``fa``) that need
    something and ``need_starts`` their first need (from ``ra``); ``single``: every facility
    of the part has exactly one need; ``all_need``: every facility needs something.
    """

    fa: int
    fb: int
    ra: int
    rb: int
    la: int
    lb: int
    need_ptr: Int
    sup: Int
    with_needs: Int
    need_starts: Int
    single: bool
    all_need: bool


@dataclass(frozen=True)
class Level:
    """One level: facilities on no loop (one pass), then those on loops (iterated)."""

    flat: Part
    loop: Part | None

    @property
    def parts(self) -> tuple[Part, ...]:
        return (self.flat,) if self.loop is None else (self.flat, self.loop)


def make_part(fa: int, fb: int, fac_need_ptr: Int, need_link_ptr: Int, sup_pos: Int) -> Part:
    ra, rb = int(fac_need_ptr[fa]), int(fac_need_ptr[fb])
    la, lb = int(need_link_ptr[ra]), int(need_link_ptr[rb])
    counts = np.diff(fac_need_ptr[fa:fb + 1])
    with_needs = np.flatnonzero(counts > 0)
    return Part(fa=fa, fb=fb, ra=ra, rb=rb, la=la, lb=lb,
                 need_ptr=(need_link_ptr[ra:rb + 1] - la).astype(sup_pos.dtype),
                 sup=sup_pos[la:lb], with_needs=with_needs,
                 need_starts=(fac_need_ptr[fa:fb][with_needs] - ra),
                 single=bool(len(counts) and (counts == 1).all()),
                 all_need=bool(len(counts) and (counts > 0).all()))


def pair_keys(a: Int, b: Int, n: int) -> Int:
    """One int64 key ``a * n + b`` per pair of ids in ``0..n-1``, ordered as the pairs.

    The ids may come as int32 (``connected_components`` returns int32 labels): multiplied
    in that width the key wraps once ``n**2`` passes ``2**31`` (about 46,341 ids), and the
    pairs then collide and mis-sort. The arithmetic is done in int64, which holds every key
    up to ``n`` of about three billion.
    """
    if n * n >= 2**63:
        raise QueryError(f"{n} ids are too many to key pairs of them in 64 bits")
    return np.asarray(a, dtype=np.int64) * np.int64(n) + np.asarray(b, dtype=np.int64)


def index_dtype(largest: int) -> type[np.signedinteger[Any]]:
    """int32 for CSR indices up to ``largest`` where they fit, else int64 (scipy's kernels
    take either, as long as ``indptr`` and ``indices`` share one)."""
    return np.int32 if largest < 2**31 - 1 else np.int64


def _unique(a: Int) -> Int:
    """``np.unique(a)`` by a sort (numpy 2's hash-based unique is ~50x slower on a million
    int64 keys)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def longest_path_levels(n: int, src: Int, dst: Int) -> Int:
    """Level of each node of a DAG given by edges ``src -> dst`` (self edges ignored)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if len(src):
        pairs = _unique(pair_keys(src, dst, n))
        src, dst = pairs // n, pairs % n
    indeg = np.bincount(dst, minlength=n)
    ptr = np.searchsorted(src, np.arange(n + 1))
    level = np.zeros(n, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    while len(frontier):
        level[frontier] = depth
        lo, hi = ptr[frontier], ptr[frontier + 1]
        sizes = hi - lo
        if sizes.sum() == 0:
            break
        idx = np.repeat(lo - np.cumsum(np.concatenate([[0], sizes[:-1]])), sizes) + \
            np.arange(sizes.sum())
        targets = dst[idx]
        indeg -= np.bincount(targets, minlength=n)
        frontier = _unique(targets[indeg[targets] == 0])
        depth += 1
    return level


def or_pass(part: Part, data: Float, x: Float, own: Bool) -> Bool:
    """Facilities of ``part`` that are ``own`` or have a need met by a hit supplier."""
    hit = matvec(part.need_ptr, part.sup, data[part.la:part.lb], x, part.rb - part.ra) > 0
    new = own[part.fa:part.fb].copy()
    if part.single:
        new |= hit
    elif part.all_need:
        new |= np.logical_or.reduceat(hit, part.need_starts)
    elif len(part.with_needs):
        new[part.with_needs] |= np.logical_or.reduceat(hit, part.need_starts)
    return new


def and_pass(part: Part, data: Float, x: Float, up: Bool) -> Bool:
    """Facilities of ``part`` that are ``up`` and have every need met by a supplier in ``x``."""
    met = matvec(part.need_ptr, part.sup, data[part.la:part.lb], x, part.rb - part.ra) > 0
    new = up[part.fa:part.fb].copy()
    if part.single:
        new &= met
    elif part.all_need:
        new &= np.logical_and.reduceat(met, part.need_starts)
    elif len(part.with_needs):
        new[part.with_needs] &= np.logical_and.reduceat(met, part.need_starts)
    return new


#: One pass over a part: ``step(part, link data, x by position, own by position)``.
Step = Callable[[Part, Float, Float, Bool], Bool]


def sweep(levels: Sequence[Level], n: int, data: Float, own: Bool, step: Step) -> Float:
    """Run ``step`` level by level from ``own`` (by position, ``n`` facilities); loops to
    their fixed point."""
    x = np.zeros(n)
    for lv in levels:
        flat = lv.flat
        if flat.fb > flat.fa:
            x[flat.fa:flat.fb] = step(flat, data, x, own)
        loop = lv.loop
        if loop is not None:
            while True:
                new = step(loop, data, x, own)
                if np.array_equal(new, x[loop.fa:loop.fb] > 0):
                    break
                x[loop.fa:loop.fb] = new
    return x

