"""Ownership: the companies that a set of companies holds, directly or through others.

One fixed point serves every reading of ownership: a company counts with ``seeds`` (the
companies of a country, the listed parties of an entity list) once companies that count
together hold at least ``threshold`` of it (the 50 % rule), iterated until nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["held_companies"]


def held_companies(holders: Mapping[str, Sequence[tuple[str, float]]], seeds: Iterable[str],
                   threshold: float = 0.5) -> dict[str, list[str]]:
    """Return the companies held by ``seeds``, each with the holders that carried it.

    Parameters
    ----------
    holders : mapping of str to sequence of (str, float)
        For each company, its owners and their shares (0-1).
    seeds : iterable of str
        The companies that count from the start.
    threshold : float
        The combined share of companies that count from which a company counts too
        (default 0.5).

    Returns
    -------
    dict of str to list of str
        Each company that counts and is not a seed, in the order found, with the sorted
        owners that counted when its combined share reached ``threshold``.

    Examples
    --------
    ``a`` holds half of ``b``; ``b`` and ``x`` each hold half of ``c``; ``d`` is a third
    ``b``'s:

    >>> holders = {"b": [("a", 0.5)], "c": [("b", 0.5), ("x", 0.5)], "d": [("b", 1 / 3)]}
    >>> held_companies(holders, {"a"})
    {'b': ['a'], 'c': ['b']}
    """
    counted = set(seeds)
    out: dict[str, list[str]] = {}
    changed = True
    while changed:
        changed = False
        for company, owners in holders.items():
            if company in counted:
                continue
            held = [(o, s) for o, s in owners if o in counted]
            if sum(s for _, s in held) >= threshold - 1e-12:
                counted.add(company)
                out[company] = sorted(o for o, _ in held)
                changed = True
    return out
