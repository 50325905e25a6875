"""Ranged cells (``lo..hi``): read as their midpoint, ends kept, both ends checked and located."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oretrace.graphmodel.ranges import parse_range, range_of
from oretrace.loaders import load_dataset, validate_dataset
from oretrace.loaders.fast import load_dataset_fast, validate_dataset_fast


def set_cell(line_no: int, column: int, value: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        cells = lines[line_no - 1].split(",")
        cells[column - 1] = value
        lines[line_no - 1] = ",".join(cells)
        return lines
    return edit


@pytest.mark.parametrize(("text", "ends"), [
    ("8..20", (8.0, 20.0)), (" 0.2 .. 0.4 ", (0.2, 0.4)), ("3..3", (3.0, 3.0)),
    ("0.25", None), ("", None), (None, None)])
def test_parse_range(text: str | None, ends: tuple[float, float] | None) -> None:
    assert parse_range(text) == ends


@pytest.mark.parametrize(("text", "words"), [
    ("5..3", "low end 5 is above high end 3"), ("a..3", "low end 'a' is not a number"),
    ("1..2..3", "not of the form lo..hi"), ("1..inf", "not finite")])
def test_bad_ranges_say_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_range(text)


@pytest.mark.parametrize("loader", [load_dataset, load_dataset_fast])
def test_a_ranged_share_and_quantity_load_as_midpoint_with_ends(
        mini_copy: Callable[..., Path], loader: Callable[[Path], object]) -> None:
    """supplies.csv line 4 (cn-sep → jp-mag oxide, share 0.6) becomes 0.5..0.6: midpoint
    0.55 by hand; bom.csv line 3 (magnet ← oxide 0.312) becomes 0.3..0.324: midpoint 0.312.
    Both loaders (row by row, columnar) keep the ends beside the value."""
    mini_copy("supplies.csv", set_cell(4, 4, "0.5..0.6"))
    path = mini_copy("bom.csv", set_cell(3, 3, "0.3..0.324"))
    G = loader(path)
    link = G.edges["cn-sep", "jp-mag", "supplies:oxide"]  # type: ignore[attr-defined]
    assert link["share"] == pytest.approx(0.55)
    assert range_of(link, "share") == (0.5, 0.6)
    line = G.edges["magnet", "oxide", "requires"]  # type: ignore[attr-defined]
    assert line["qty"] == pytest.approx(0.312)
    assert range_of(line, "qty") == (0.3, 0.324)
    point = G.edges["jp-mag", "us-comp", "supplies:magnet"]  # type: ignore[attr-defined]
    assert range_of(point, "share") is None


@pytest.mark.parametrize("validate", [validate_dataset, validate_dataset_fast])
@pytest.mark.parametrize(("file", "line", "column", "value", "words"), [
    ("supplies.csv", 4, 4, "0.5..1.2", "high end of the share range: share 1.2 is not a fraction"),
    ("supplies.csv", 4, 4, "0.6..0.5", "low end 0.6 is above high end 0.5"),
    ("bom.csv", 3, 3, "-1..2", "low end of the qty range: quantity -1.0 is not positive"),
    ("facilities.csv", 2, 7, "900..x", "high end 'x' is not a number"),
])
def test_a_bad_range_is_located_in_its_cell(
        mini_copy: Callable[..., Path], validate: Callable[[Path], list[object]],
        file: str, line: int, column: int, value: str, words: str) -> None:
    path = mini_copy(file, set_cell(line, column, value))
    errors = [str(p) for p in validate(path) if getattr(p, "severity", "") == "error"]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{file}:{line}:{column}:")
    assert words in errors[0]
