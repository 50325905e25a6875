"""The large-table reader's bulk path for plain CSV files, against the csv module's.

A big table whose file has no quotes, carriage returns or blank lines, and one comma fewer
than columns on every line, is cut into cells with numpy
(:func:`oretrace.loaders._columns.read_plain`); anything else goes to the csv reader. Both
must give the same table: header, line numbers, each column's distinct texts in the order
first met and each row's code, and the same problems. The oracle is the csv path itself
(``read_plain`` switched off), on generated files, hostile ones included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from oretrace.loaders import _columns
from oretrace.loaders._columns import (
    NOT_PLAIN,
    first_met_codes,
    read_big,
    sorted_codes,
    stable_order,
)
from oretrace.loaders._reader import REQUIRED_COLUMNS, Reader

HEADER = ",".join(REQUIRED_COLUMNS["supplies"])
WIDTH = len(REQUIRED_COLUMNS["supplies"])

#: Cell texts: short and long (one word, several, past the word-compared length), padded,
#: blank, non-ASCII; the file's structure characters come from the lines strategy.
CELLS = st.one_of(
    st.sampled_from(["", " ", "a", "mine-00001", "0.25", "2027-01-01", "SYN;USGS25c",
                     " padded ", "é", "中文", "x" * 8, "y" * 9, "z" * 64, "w" * 65, "v" * 200]),
    st.text(alphabet=st.characters(blacklist_characters=',"\r\n\x00',
                                   blacklist_categories=("Cs",)), max_size=70),
)


def table_of(path: Path, *, plain: bool) -> tuple[Any, list[str], set[str]]:
    """The supplies table at ``path`` as read by read_big, with the bulk path or without."""
    reader = Reader(path)
    if plain:
        table = read_big(reader, "supplies")
    else:
        saved = _columns.read_plain
        _columns.read_plain = lambda *args: NOT_PLAIN  # type: ignore[assignment]
        try:
            table = read_big(reader, "supplies")
        finally:
            _columns.read_plain = saved
    return table, [str(p) for p in reader.problems], set(reader.unread)


def assert_same_table(path: Path) -> None:
    got, got_problems, got_unread = table_of(path, plain=True)
    want, want_problems, want_unread = table_of(path, plain=False)
    assert (got_problems, got_unread) == (want_problems, want_unread)
    assert (got is None) == (want is None)
    if want is None:
        return
    assert got.header == want.header
    assert got.lines.tolist() == want.lines.tolist()
    assert got.raw == want.raw
    for name in want.header:
        assert got.codes[name].tolist() == want.codes[name].tolist()
        assert got.codes[name].dtype == want.codes[name].dtype


def write(path: Path, text: str) -> Path:
    (path / "supplies.csv").write_bytes(text.encode())
    return path


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELLS, min_size=WIDTH, max_size=WIDTH), max_size=12),
       repeat=st.integers(0, 3), newline_at_end=st.booleans(), bom=st.booleans())
def test_plain_files_read_as_the_csv_reader_reads_them(
        tmp_path: Path, rows: list[list[str]], repeat: int, newline_at_end: bool,
        bom: bool) -> None:
    rows = rows + rows[:repeat]  # repeated texts: codes shared, first-met order
    text = "\n".join([HEADER, *(",".join(r) for r in rows)]) + ("\n" if newline_at_end else "")
    path = write(tmp_path, ("\ufeff" if bom else "") + text)
    if rows:  # the bulk path reads it (not handed to the csv reader)
        raw = (path / "supplies.csv").read_bytes()
        assert _columns.read_plain(Reader(path), "supplies", "supplies.csv", raw) is not NOT_PLAIN
    assert_same_table(path)


@pytest.mark.parametrize("text", [
    HEADER + "\na,b,c,0.1,,,S,reported\n\na,b,c,0.2,,,S,reported\n",  # a blank line
    HEADER + "\na,b,c,0.1,,,S,reported\na,b,c\n",  # too few cells
    HEADER + "\na,b,c,0.1,,,S,reported,x\na,b,c,0.2,,,S\n",  # one more, one fewer
    HEADER + "\na,b,c,0.1,,,S,reported\r\nd,e,f,0.2,,,S,reported\r\n",  # CRLF
    HEADER + '\na,"b,c",c,0.1,,,S,reported\n',  # a quoted comma
    HEADER + "\n,,,,,,,\na,b,c,0.1,,,S,reported\n   \n",  # blank rows
    HEADER + "\n" + "a," * (WIDTH - 1) + "x" * 200_000 + "\n",  # past csv's field limit
    HEADER + ",note\na,b,c,0.1,,,S,reported,n\n",  # an extra column
    HEADER + ",share\na,b,c,0.1,,,S,reported,n\n",  # a column twice: header error
    HEADER + "\n",  # a header alone
    HEADER,  # not even its line break
])
def test_other_files_read_alike(tmp_path: Path, text: str) -> None:
    assert_same_table(write(tmp_path, text))


def brute_first_met(keys: list[int]) -> tuple[list[int], list[int]]:
    index: dict[int, int] = {}
    firsts: list[int] = []
    codes = []
    for i, k in enumerate(keys):
        if k not in index:
            index[k] = len(index)
            firsts.append(i)
        codes.append(index[k])
    return codes, firsts


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.integers(-(2 ** 63), 2 ** 63 - 1) | st.integers(0, 5), min_size=1))
def test_first_met_codes_number_keys_in_the_order_first_met(keys: list[int]) -> None:
    codes, first = first_met_codes(np.array(keys, dtype=np.int64))
    assert (codes.tolist(), first.tolist()) == brute_first_met(keys)


def test_first_met_codes_of_many_distinct_keys() -> None:
    # more distinct keys than the hash lookup takes (binary search), in runs and not
    rng = np.random.default_rng(7)
    keys = np.repeat(rng.integers(0, 1 << 40, 300_000), rng.integers(1, 3, 300_000))
    codes, first = first_met_codes(keys)
    assert (codes.tolist(), first.tolist()) == brute_first_met(keys.tolist())


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.integers(-(2 ** 63), 2 ** 63 - 1) | st.integers(-3, 3)))
def test_sorted_codes_are_numpys_unique_with_inverse(keys: list[int]) -> None:
    key = np.array(keys, dtype=np.int64)
    distinct, inverse = sorted_codes(key)
    expected = sorted(set(keys))
    assert distinct.tolist() == expected
    assert inverse.tolist() == [expected.index(k) for k in keys]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 2 ** 62) | st.integers(0, 3)))
def test_stable_order_is_a_stable_argsort(keys: list[int]) -> None:
    # positions sorted by key, ties in position order (past 63 bits packed: numpy's sort)
    assert stable_order(np.array(keys, dtype=np.int64)).tolist() == \
        sorted(range(len(keys)), key=lambda i: keys[i])


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.integers(-5, 40) | st.integers(-(2 ** 62), 2 ** 62)),
       st.lists(st.integers(-5, 40) | st.integers(-(2 ** 62), 2 ** 62)))
def test_membership_by_lookup_table_or_binary_search(keys: list[int], table: list[int]) -> None:
    from oretrace.loaders._fast_checks import _among

    # spans small and huge: the lookup table and the binary search answer alike
    found = _among(np.array(keys, dtype=np.int64), np.array(table, dtype=np.int64))
    assert found.tolist() == [k in set(table) for k in keys]
