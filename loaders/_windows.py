"""Date windows of validation, in n log n: shares active at each date, overlapping windows.

A window is ``[start, end)``; ``None`` is open (since always, or for ever). Both readers
(row by row and large-table) call these, so they report the same rows.

The rules, as the row-by-row checks first wrote them (one pass per date, O(n²)):

- **shares**: at the instant ``None`` (rows without a start) and at each start date, the
  shares of the rows active then are added up; the first instant whose total is above
  ``1 + 1e-9`` is reported. Here a sweep over starts and ends gives every instant's total
  at once, summed exactly (as fractions, so the order of adding cannot move a total across
  the limit).
- **overlaps**: each row is checked against the rows before it (in file order); the first
  one whose window overlaps it is named. Here only rows whose windows chain together
  (intervals merged in start order) are compared, so windows that are apart cost n log n.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

__all__ = ["first_excess", "overlapping"]

Window = tuple[dt.date | None, dt.date | None]
_LIMIT = Fraction(1.0 + 1e-9)
_NEVER = dt.date.max.toordinal() + 1


def _lo(day: dt.date | None) -> int:
    return 0 if day is None else day.toordinal()


def _hi(day: dt.date | None) -> int:
    return _NEVER if day is None else day.toordinal()


def first_excess(windows: list[Window], shares: list[float]
                 ) -> tuple[dt.date | None, float, list[int]] | None:
    """The first instant at which the active shares add up to more than 1.

    Returns the instant (``None``: the rows without a start), the total and the indices of
    the rows active then; ``None`` when the shares never exceed 1.

    Examples
    --------
    >>> d = dt.date
    >>> first_excess([(None, None), (d(2027, 1, 1), None)], [0.7, 0.4])
    (datetime.date(2027, 1, 1), 1.1, [0, 1])
    >>> first_excess([(None, d(2027, 1, 1)), (d(2027, 1, 1), None)], [0.7, 0.4]) is None
    True
    """
    if _float_peak(windows, shares) <= float(_LIMIT) - _slack(len(windows)):
        return None  # clear of the limit by more than floating point can err
    undated = [i for i, (start, _) in enumerate(windows) if start is None]
    total = sum((Fraction(shares[i]) for i in undated), Fraction(0))
    if total > _LIMIT:
        return None, float(total), undated
    by_start = sorted(range(len(windows)), key=lambda i: _lo(windows[i][0]))
    by_end = sorted(range(len(windows)), key=lambda i: _hi(windows[i][1]))
    instants = sorted({_lo(start) for start, _ in windows if start is not None})
    total, s, e = Fraction(0), 0, 0
    for t in instants:  # active at t: start <= t < end (an end is never before its start)
        while s < len(by_start) and _lo(windows[by_start[s]][0]) <= t:
            total += Fraction(shares[by_start[s]])
            s += 1
        while e < len(by_end) and _hi(windows[by_end[e]][1]) <= t:
            total -= Fraction(shares[by_end[e]])
            e += 1
        if total > _LIMIT:
            active = [i for i, (start, end) in enumerate(windows)
                      if _lo(start) <= t < _hi(end)]
            return dt.date.fromordinal(t), float(total), active
    return None


def _slack(n: int) -> float:
    """A bound on the rounding error of :func:`_float_peak` over ``n`` shares of at most 1:
    at most 2 n additions and subtractions, each off by half an ulp of a partial sum below
    n + 1 (a share is at most 1), with a factor of 4 to spare."""
    return 4.0 * (2 * n) * (n + 1) * 2.0 ** -53


def _float_peak(windows: list[Window], shares: list[float]) -> float:
    """The largest total of active shares at any instant :func:`first_excess` reads, in
    floating point, or an upper bound of it (NaN when a share is NaN)."""
    everything = sum(shares)  # shares are at least 0: no instant adds up to more
    if not everything > 1.0 - _slack(len(windows)):
        return everything
    peak = total = sum(shares[i] for i, (start, _) in enumerate(windows) if start is None)
    events = sorted([(_lo(start), 1, shares[i]) for i, (start, _) in enumerate(windows)
                     if start is not None]
                    + [(_hi(end), 0, -shares[i]) for i, (_, end) in enumerate(windows)
                       if end is not None])
    for k, (t, _, delta) in enumerate(events):
        total += delta  # ends at t sort before starts at t: active means start <= t < end
        if k + 1 == len(events) or events[k + 1][0] != t:
            peak = max(peak, total)
    return peak


def overlapping(windows: list[Window]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``: row ``i`` overlaps the earlier row ``j`` (the first such ``j``).

    Examples
    --------
    >>> d = dt.date
    >>> overlapping([(None, d(2026, 1, 1)), (d(2026, 1, 1), None), (d(2025, 6, 1), None)])
    [(2, 0)]
    """
    order = sorted(range(len(windows)), key=lambda i: _lo(windows[i][0]))
    clusters: list[list[int]] = []
    reach = -1
    for i in order:  # merge windows in start order: overlapping rows share a cluster
        if clusters and _lo(windows[i][0]) < reach:
            clusters[-1].append(i)
            reach = max(reach, _hi(windows[i][1]))
        else:
            clusters.append([i])
            reach = _hi(windows[i][1])
    found: list[tuple[int, int]] = []
    for cluster in clusters:
        if len(cluster) < 2:
            continue
        earlier: list[int] = []
        for i in sorted(cluster):
            start, end = windows[i]
            for j in earlier:
                o_start, o_end = windows[j]
                if (start is None or o_end is None or start < o_end) and \
                        (o_start is None or end is None or o_start < end):
                    found.append((i, j))
                    break
            earlier.append(i)
    return sorted(found)
