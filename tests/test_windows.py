"""Date windows of validation: the n log n sweeps agree with the rules read literally.

The oracles below transcribe the rules of ``docs/dataset-format.md`` directly, one date
at a time and one pair at a time (quadratic); hypothesis draws windows from a few dates so
that shared starts, touching ends, empty and open windows all occur.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings, strategies as st
from oretrace.loaders._windows import first_excess, overlapping

Window = tuple[dt.date | None, dt.date | None]
DAYS = [None, dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2026, 7, 1), dt.date(2027, 1, 1)]


def _order(d: dt.date | None) -> tuple[bool, dt.date]:
    return (d is not None, d or dt.date.min)


def _active(w: Window, instant: dt.date | None) -> bool:
    start, end = w
    return (start is None or (instant is not None and start <= instant)) and \
        (end is None or instant is None or instant < end)


def oracle_excess(windows: list[Window], shares: list[float]
                  ) -> tuple[dt.date | None, list[int]] | None:
    for instant in sorted({w[0] for w in windows}, key=_order):
        active = [i for i, w in enumerate(windows) if _active(w, instant)]
        if sum(shares[i] for i in active) > 1.0 + 1e-9:
            return instant, active
    return None


def oracle_overlaps(windows: list[Window]) -> list[tuple[int, int]]:
    found = []
    for i, (start, end) in enumerate(windows):
        for j in range(i):
            o_start, o_end = windows[j]
            if (start is None or o_end is None or start < o_end) and \
                    (o_start is None or end is None or o_start < end):
                found.append((i, j))
                break
    return found


windows = st.lists(
    st.tuples(st.sampled_from(DAYS), st.sampled_from(DAYS)).filter(
        lambda w: w[0] is None or w[1] is None or w[0] <= w[1]),
    max_size=12)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data(), ws=windows)
def test_shares_agree_with_the_date_by_date_rule(data: st.DataObject, ws: list[Window]) -> None:
    shares = data.draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.6, 0.7, 1.0]),
                                min_size=len(ws), max_size=len(ws)))
    got = first_excess(ws, shares)
    want = oracle_excess(ws, shares)
    assert (got is None) == (want is None)
    if got is not None and want is not None:
        assert (got[0], got[2]) == want
        assert abs(got[1] - sum(shares[i] for i in want[1])) < 1e-9


@settings(max_examples=300, deadline=None, derandomize=True)
@given(ws=windows)
def test_overlaps_agree_with_the_pair_by_pair_rule(ws: list[Window]) -> None:
    assert overlapping(ws) == oracle_overlaps(ws)


def test_an_exact_sum_is_not_pushed_over_the_limit_by_rounding() -> None:
    """Ten shares of 0.1 make exactly 1 (as fractions of the floats written, a hair over
    1 by 5.5e-17, far under the 1e-9 allowed); 0.1 more makes 1.1 at the eleventh row."""
    ws: list[Window] = [(None, None)] * 10
    assert first_excess(ws, [0.1] * 10) is None
    got = first_excess([*ws, (dt.date(2027, 1, 1), None)], [0.1] * 11)
    assert got is not None and got[0] == dt.date(2027, 1, 1) and round(got[1], 9) == 1.1


def oracle_excess_exact(windows: list[Window], shares: list[float]
                        ) -> tuple[dt.date | None, list[int]] | None:
    """:func:`oracle_excess` summed as fractions of the floats written (no rounding)."""
    from fractions import Fraction

    for instant in sorted({w[0] for w in windows}, key=_order):
        active = [i for i, w in enumerate(windows) if _active(w, instant)]
        if sum((Fraction(shares[i]) for i in active), Fraction(0)) > Fraction(1.0 + 1e-9):
            return instant, active
    return None


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data(), ws=st.lists(
    st.tuples(st.sampled_from(DAYS), st.sampled_from(DAYS)).filter(
        lambda w: w[0] is None or w[1] is None or w[0] <= w[1]), min_size=1, max_size=40),
    tilt=st.sampled_from([-1e-8, -1e-10, 0.0, 5e-10, 9.9e-10, 1.01e-9, 2e-9, 1e-8]))
def test_totals_a_hair_from_the_limit_agree_with_exact_sums(
        data: st.DataObject, ws: list[Window], tilt: float) -> None:
    """Shares drawn as parts of 1 + tilt, so that instants add up to within 1e-8 of the
    limit, where a floating-point shortcut could err: the answer is the exact one."""
    parts = data.draw(st.lists(st.floats(0.01, 1.0), min_size=len(ws), max_size=len(ws)))
    shares = [p / sum(parts) * (1.0 + tilt) for p in parts]
    got = first_excess(ws, shares)
    want = oracle_excess_exact(ws, shares)
    assert (got is None) == (want is None)
    if got is not None and want is not None:
        assert (got[0], got[2]) == want
