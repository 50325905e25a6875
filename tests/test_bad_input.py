"""No bad input passes silently (issue 16): each kind gives a located error, by both paths.

Every case edits a copy of ``tests/data/mini`` and names the ``file:line:column`` the
error must carry, counted by hand on that dataset:

- ``facilities.csv`` line 2 is ``cn-mine``; its columns are id 1, name 2, company 3,
  country 4, stage 5, products 6, capacity 7, … status 9, online_from 10, online_until 11, … 14;
- ``supplies.csv`` line 2 is ``cn-mine → cn-sep``, line 4 ``cn-sep → jp-mag``; columns
  supplier 1, buyer 2, product 3, share 4, start 5, end 6, sources 7, confidence 8;
- ``products.csv`` line 3 is ``oxide``: elements is column 4, unit_price_usd column 6;
- ``bom.csv`` line 4 is ``actuator ← magnet``, qty in column 3; it has 5 lines;
- ``ownership.csv`` has one row (line 2, ``cn-co`` holds 0.1 of ``us-co``).

Each test runs twice: by the row-by-row reader and by the large-table reader (forced by
lowering its size threshold), which must give the same located error.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import oretrace.loaders._text as text
import oretrace.loaders.fast as fast
import pytest
from oretrace.graphmodel import DatasetError
from oretrace.graphmodel.schema import RESERVED_COLUMNS, STORAGE_NAMES
from oretrace.loaders import load_dataset, validate_dataset

Edit = Callable[[list[str]], list[str]]


@pytest.fixture(params=["rows", "fast"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which reader validates: ``fast`` sends even the mini dataset to oretrace.loaders.fast."""
    if request.param == "fast":
        monkeypatch.setattr(fast, "FAST_MIN_BYTES", 1)
    return str(request.param)


def cell(line_no: int, column: int, value: str) -> Edit:
    """Set the ``column``-th cell (1-based) of file line ``line_no`` (1-based)."""
    def edit(lines: list[str]) -> list[str]:
        cells = lines[line_no - 1].split(",")
        cells[column - 1] = value
        lines[line_no - 1] = ",".join(cells)
        return lines
    return edit


def append(*rows: str) -> Edit:
    return lambda lines: [*lines, *rows]


def errors_of(path: Path) -> list[str]:
    return [str(p) for p in validate_dataset(path) if p.severity == "error"]


def assert_located(path: Path, where: str, why: str) -> None:
    """An error at ``where`` whose reason contains ``why``; and nothing loads."""
    errors = errors_of(path)
    assert any(e.startswith(where + ": ") and why in e for e in errors), errors
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert any(str(p).startswith(where + ": ") for p in info.value.problems)


# (name, file, edit, location, words of the reason)
CASES: list[tuple[str, str, Edit, str, str]] = [
    # 1. numbers: finite, or an error naming the cell
    ("capacity nan", "facilities.csv", cell(2, 7, "nan"),
     "facilities.csv:2:7", "capacity: 'nan' is not a finite number"),
    ("capacity 1e309 (overflows to infinity)", "facilities.csv", cell(2, 7, "1e309"),
     "facilities.csv:2:7", "'1e309' is not a finite number"),
    ("capacity -inf", "facilities.csv", cell(2, 7, "-inf"),
     "facilities.csv:2:7", "'-inf' is not a finite number"),
    ("price NaN", "products.csv", cell(3, 6, "NaN"),
     "products.csv:3:6", "unit_price_usd: 'NaN' is not a finite number"),
    ("price inf", "products.csv", cell(3, 6, "inf"),
     "products.csv:3:6", "'inf' is not a finite number"),
    ("bom qty 1e309", "bom.csv", cell(4, 3, "1e309"),
     "bom.csv:4:3", "qty: '1e309' is not a finite number"),
    ("share nan", "supplies.csv", cell(2, 4, "nan"),
     "supplies.csv:2:4", "share: 'nan' is not a finite number"),
    ("share Infinity", "supplies.csv", cell(2, 4, "Infinity"),
     "supplies.csv:2:4", "'Infinity' is not a finite number"),
    ("element fraction nan", "products.csv", cell(3, 4, "Nd=nan"),
     "products.csv:3:4", "'nan' is not a finite number"),
    ("number with a thousands separator", "products.csv", cell(3, 6, "1_000"),
     "products.csv:3:6", "'1_000' is not a number"),
    # 2. dates: YYYY-MM-DD only
    ("date 0", "supplies.csv", cell(4, 6, "0"),
     "supplies.csv:4:6", "end: '0' is not a date written YYYY-MM-DD"),
    ("unix timestamp", "supplies.csv", cell(4, 5, "1798761600"),
     "supplies.csv:4:5", "'1798761600' is not a date written YYYY-MM-DD"),
    ("date with a time", "supplies.csv", cell(4, 5, "2027-01-01T00:00:00"),
     "supplies.csv:4:5", "'2027-01-01T00:00:00' is not a date written YYYY-MM-DD"),
    ("date without padding", "facilities.csv", cell(5, 10, "2027-1-1"),
     "facilities.csv:5:10", "'2027-1-1' is not a date written YYYY-MM-DD"),
    ("compact date", "facilities.csv", cell(5, 10, "20270101"),
     "facilities.csv:5:10", "'20270101' is not a date written YYYY-MM-DD"),
    ("February 30th", "supplies.csv", cell(4, 5, "2025-02-30"),
     "supplies.csv:4:5", "'2025-02-30' is not a calendar date"),
    # a verdict word is not a facility status (they were once in the same list by slip)
    ("a rule's verdict as a facility status", "facilities.csv", cell(2, 9, "shipments-denied"),
     "facilities.csv:2:9", "status: 'shipments-denied' is not allowed"),
    # 3. identifiers: exact, and not equal up to case
    ("padded supplier", "supplies.csv", cell(2, 1, " cn-mine"),
     "supplies.csv:2:1", "supplier: id ' cn-mine' has spaces around it"),
    ("padded facility id", "facilities.csv", cell(2, 1, "cn-mine "),
     "facilities.csv:2:1", "id 'cn-mine ' has spaces around it"),
    ("padded company reference", "facilities.csv", cell(2, 3, " cn-co "),
     "facilities.csv:2:3", "id ' cn-co ' has spaces around it"),
    ("padded item in a list cell", "facilities.csv", cell(2, 13, "hand "),
     "facilities.csv:2:13", "id 'hand ' has spaces around it"),
    ("ids equal up to case", "facilities.csv",
     append("CN-Mine,CN mine 2,cn-co,CN,mine,ore,1000,t/yr,operating,,,,hand,illustrative"),
     "facilities.csv:9:1", "id 'CN-Mine' differs from 'cn-mine' (facilities.csv:2) only in case"),
    ("product id equal to a company id up to case", "products.csv",
     append("CN-CO,Thing,ore,,kg,1,hand,illustrative"),
     "products.csv:7:1", "id 'CN-CO' differs from 'cn-co' (companies.csv:2) only in case"),
    # 4. graph invariants
    ("a company owns itself", "ownership.csv", append("us-co,us-co,1,,,hand,illustrative"),
     "ownership.csv:3:2", "company 'us-co' owns itself"),
    # cn-co holds 0.1 of us-co (line 2); us-co holding 0.6 of cn-co closes a loop.
    ("ownership cycle", "ownership.csv", append("us-co,cn-co,0.6,,,hand,illustrative"),
     "ownership.csv:3:2", "ownership cycle: us-co -> cn-co -> us-co"),
    # bom: oxide <- ore (line 2), magnet <- oxide (3); ore <- magnet (line 6) closes it.
    ("bill-of-materials cycle", "bom.csv", append("ore,magnet,1,hand,illustrative"),
     "bom.csv:6:2", "bill-of-materials cycle (a product requires itself): "
                    "ore -> magnet -> oxide -> ore"),
    ("a facility lists a product twice", "facilities.csv", cell(2, 6, "ore;ore"),
     "facilities.csv:2:6", "products: 'ore' is listed twice"),
    ("an element twice in one cell", "products.csv", cell(3, 4, "Nd=0.5;Nd=0.4"),
     "products.csv:3:4", "element 'Nd' is listed twice"),
    ("a source twice in one cell", "supplies.csv", cell(2, 7, "hand;hand"),
     "supplies.csv:2:7", "sources: 'hand' is listed twice"),
    # 5. column names
    ("an extra column named kind", "supplies.csv",
     lambda ls: [ls[0] + ",kind", *(line + ",owns" for line in ls[1:])],
     "supplies.csv:1:9", "extra column 'kind' is reserved"),
    ("an extra column named like another table's column", "bom.csv",
     lambda ls: [ls[0] + ",share", *(line + ",1" for line in ls[1:])],
     "bom.csv:1:6", "extra column 'share' is reserved"),
    ("an extra column named like a Neo4j property", "supplies.csv",
     lambda ls: [ls[0] + ",version", *(line + ",v2" for line in ls[1:])],
     "supplies.csv:1:9", "extra column 'version' is reserved"),
    ("an extra column named like storage", "facilities.csv",
     lambda ls: [ls[0] + ",_x", *(line + ",1" for line in ls[1:])],
     "facilities.csv:1:15", "extra column '_x' is reserved"),
    ("an empty column name", "facilities.csv", lambda ls: [line + "," for line in ls],
     "facilities.csv:1:15", "a column has no name"),
]


@pytest.mark.parametrize(("file", "edit", "where", "why"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_located(reader: str, mini_copy: Callable[..., Path], file: str,
                              edit: Edit, where: str, why: str) -> None:
    assert_located(mini_copy(file, edit), where, why)


@pytest.mark.parametrize(("written", "value"), [
    ("0.5", 0.5), (".5", 0.5), ("5e-1", 0.5), ("+0.5", 0.5), (" 0.50 ", 0.5), ("5E-1", 0.5),
    ("0.", 0.0), ("0.6e+0", 0.6), ("-0", 0.0),
])
def test_every_decimal_form_of_a_number_loads_as_its_value(
        reader: str, mini_copy: Callable[..., Path], written: str, value: float) -> None:
    """cn-sep -> jp-mag (supplies.csv line 4) written as ``written`` has share ``value``."""
    G = load_dataset(mini_copy("supplies.csv", cell(4, 4, written)))
    assert G.edges["cn-sep", "jp-mag", "supplies:oxide"]["share"] == value


def test_ownership_windows_that_do_not_overlap_are_no_cycle(
        reader: str, mini_copy: Callable[..., Path]) -> None:
    """cn-co holds us-co until 2027 and us-co holds cn-co from 2027: at no date is there a
    loop, so both load; with the second from 2026 they overlap in 2026 and loop."""
    path = mini_copy("ownership.csv", lambda ls: [
        ls[0], "cn-co,us-co,0.1,,2027-01-01,hand,illustrative",
        "us-co,cn-co,0.6,2027-01-01,,hand,illustrative"])
    assert errors_of(path) == []
    path = mini_copy("ownership.csv", cell(3, 4, "2026-01-01"))
    assert_located(path, "ownership.csv:3:2",
                   "ownership cycle: us-co -> cn-co -> us-co from 2026-01-01")


def test_owners_over_100_percent_in_one_window(
        reader: str, mini_copy: Callable[..., Path]) -> None:
    """cn-co holds 0.1 of us-co always; jp-co 0.95 from 2027: 1.05 from 2027-01-01, above 1,
    reported at jp-co's row (line 3, share column 3). If cn-co's holding ends when jp-co's
    begins, the shares are 0.1 then 0.95 and load."""
    mini_copy("companies.csv", append("jp-co,JP Co,JP,false,,hand,illustrative"))
    path = mini_copy("ownership.csv", append("jp-co,us-co,0.95,2027-01-01,,hand,illustrative"))
    assert_located(path, "ownership.csv:3:3",
                   "owners' shares of 'us-co' add up to 1.05 from 2027-01-01, above 1")
    path = mini_copy("ownership.csv", cell(2, 5, "2027-01-01"))
    assert errors_of(path) == []


def test_every_problem_is_reported_together(reader: str, mini_copy: Callable[..., Path]) -> None:
    """Five kinds in four files: each keeps its own location in one report."""
    mini_copy("facilities.csv", cell(2, 7, "nan"))
    mini_copy("ownership.csv", append("us-co,us-co,1,,,hand,illustrative"))
    mini_copy("bom.csv", append("ore,magnet,1,hand,illustrative"))
    path = mini_copy("supplies.csv",
                     lambda ls: [ls[0] + ",kind", *(line + ",owns" for line in ls[1:])])
    path = mini_copy("supplies.csv", cell(3, 5, "0"))
    locations = {e.split(": ")[0] for e in errors_of(path)}
    assert {"facilities.csv:2:7", "ownership.csv:3:2", "bom.csv:6:2", "supplies.csv:1:9",
            "supplies.csv:3:5"} <= locations


def test_a_facility_online_for_no_time_is_a_warning(
        reader: str, mini_copy: Callable[..., Path]) -> None:
    """us-sep (facilities.csv line 5) comes online 2027-01-01; closing it that same day
    (online_until, column 11, is exclusive) leaves it existing at no date: it still loads
    (the data may mean it), but with a located warning."""
    path = mini_copy("facilities.csv", cell(5, 11, "2027-01-01"))
    problems = [str(p) for p in validate_dataset(path)]
    assert "facilities.csv:5:11: warning: facility 'us-sep' exists at no date: online_until " \
           "equals online_from (2027-01-01), and online_until is exclusive" in problems
    assert load_dataset(path).nodes["us-sep"]["online_until"].isoformat() == "2027-01-01"


def test_extra_columns_with_free_names_are_kept(mini_copy: Callable[..., Path]) -> None:
    path = mini_copy("supplies.csv",
                     lambda ls: [ls[0] + ",notes", *(line + ",see memo" for line in ls[1:])])
    G = load_dataset(path)
    assert G.edges["cn-sep", "jp-mag", "supplies:oxide"]["notes"] == "see memo"


def test_the_neo4j_backend_reserves_only_names_validation_reserves() -> None:
    """validate refuses every name the push would refuse (so no push fails on it later)."""
    from oretrace.graphmodel.backends.neo4j import RESERVED

    assert RESERVED <= STORAGE_NAMES <= RESERVED_COLUMNS
    assert "kind" in RESERVED_COLUMNS


# --------------------------------------------------------------------------- files


def test_a_named_pipe_is_refused_without_waiting(
        reader: str, mini_copy: Callable[..., Path]) -> None:
    path = mini_copy()
    (path / "supplies.csv").unlink()
    os.mkfifo(path / "supplies.csv")  # nobody writes to it: a blocking read would hang
    assert_located(path, "supplies.csv:0:0", "is a named pipe, not a regular file")


@pytest.mark.parametrize("name", ["supplies.csv", "rules.yaml"])
def test_a_directory_in_place_of_a_file_is_refused(
        reader: str, mini_copy: Callable[..., Path], name: str) -> None:
    path = mini_copy()
    (path / name).unlink()
    (path / name).mkdir()
    assert_located(path, f"{name}:0:0", "is a directory, not a regular file")


def test_a_link_leaving_the_dataset_is_refused(
        reader: str, mini_copy: Callable[..., Path], tmp_path: Path) -> None:
    path = mini_copy()
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes((path / "sources.csv").read_bytes())
    (path / "sources.csv").unlink()
    (path / "sources.csv").symlink_to(outside)
    assert_located(path, "sources.csv:0:0", "outside the dataset directory")


def test_a_link_within_the_dataset_is_followed(
        reader: str, mini_copy: Callable[..., Path]) -> None:
    path = mini_copy()
    (path / "sources.csv").rename(path / "sources-2026.csv")
    (path / "sources.csv").symlink_to("sources-2026.csv")
    assert "hand" in load_dataset(path).graph["sources"]


def test_a_link_to_nothing_is_located(reader: str, mini_copy: Callable[..., Path]) -> None:
    path = mini_copy()
    (path / "supplies.csv").unlink()
    (path / "supplies.csv").symlink_to("gone.csv")
    assert_located(path, "supplies.csv:0:0", "which does not exist")


def test_an_unreadable_file_is_located(reader: str, mini_copy: Callable[..., Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests run as root, which reads any mode: the refusal is simulated at open()."""
    path = mini_copy()
    real_open = os.open

    def refuse(file: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(file).name == "facilities.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", refuse)
    assert_located(path, "facilities.csv:0:0", "cannot be read: permission denied")


def test_a_file_over_the_size_bound_is_refused(
        reader: str, mini_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """With a 500-byte bound: facilities.csv (over 800 bytes) is refused, naming its size;
    supplies.csv (about 350 bytes) is read."""
    path = mini_copy()
    size = (path / "facilities.csv").stat().st_size
    assert size > 500 > (path / "supplies.csv").stat().st_size
    monkeypatch.setattr(text, "MAX_FILE_BYTES", 500)
    assert_located(path, "facilities.csv:0:0", f"is {size:,} bytes, more than the 500")


def test_a_nul_byte_is_located(reader: str, mini_copy: Callable[..., Path]) -> None:
    """Line 2 of facilities.csv starts ``cn-mine,CN mine``: the NUL replacing the space of
    ``CN mine`` is the 11th byte of the line."""
    path = mini_copy()
    raw = (path / "facilities.csv").read_bytes().replace(b"CN mine", b"CN\0mine", 1)
    (path / "facilities.csv").write_bytes(raw)
    assert_located(path, "facilities.csv:2:11", "NUL byte")


def test_a_nul_byte_in_rules_yaml_is_located(mini_copy: Callable[..., Path]) -> None:
    """Line 2 is ``  - id: R`` then the NUL: two spaces, ``-``, space, ``id:``, space and
    ``R`` are 9 bytes, so the NUL is byte 10."""
    path = mini_copy()
    (path / "rules.yaml").write_bytes(b"rules:\n  - id: R\0\n")
    assert_located(path, "rules.yaml:2:10", "NUL byte")
