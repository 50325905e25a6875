"""Ranged figures: a quantity, share, capacity or price cell written ``lo..hi``.

Where sources disagree or only bound a figure, a dataset cell may hold a range: ``8..20``
(DESIGN §2, *Ranges*). The record keeps the midpoint in the field itself, so every query
reads one number for now, and the two ends beside it as ``<field>_lo`` and ``<field>_hi``
(extra attributes, kept on the graph) for the answers that report intervals.

A range is valid when both ends are numbers, ``lo <= hi``, and each end passes the checks
of the field it stands in (a share's ends are fractions, a quantity's ends positive …):
the record's own field validators are run on both ends, so each rule is written once.

Examples
--------
>>> parse_range("8..20")
(8.0, 20.0)
>>> parse_range("0.25") is None
True
>>> from oretrace.graphmodel.schema import BomLine
>>> line = BomLine.model_validate({"product": "F-35", "input": "ndfeb", "qty": "8..20",
...     "sources": "Adamas26", "confidence": "reported"})
>>> line.qty, line.qty_lo, line.qty_hi
(14.0, 8.0, 20.0)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "RANGED_FIELDS",
    "SEPARATOR",
    "parse_range",
    "range_of",
    "split_ranges",
]

#: What separates the two ends of a ranged cell.
SEPARATOR = ".."

#: The fields that may hold a range, by the record kind (model class name) holding them.
RANGED_FIELDS: dict[str, tuple[str, ...]] = {
    "Product": ("unit_price_usd",),
    "BomLine": ("qty",),
    "Facility": ("capacity",),
    "Supply": ("share",),
    "Ownership": ("share",),
}


def parse_range(value: Any) -> tuple[float, float] | None:
    """Return ``(lo, hi)`` of a ranged cell, ``None`` for anything that is not one.

    Raises ``ValueError`` (with the reason) for a cell written as a range whose ends are
    not finite numbers or whose low end is above its high end.

    Examples
    --------
    >>> parse_range(" 0.2 .. 0.4 ")
    (0.2, 0.4)
    >>> parse_range("5..3")
    Traceback (most recent call last):
    ...
    ValueError: range '5..3': low end 5 is above high end 3
    """
    if isinstance(value, (tuple, list)) and len(value) == 2:
        ends = [str(v) for v in value]
        text = f"{value[0]}{SEPARATOR}{value[1]}"
    elif isinstance(value, str) and SEPARATOR in value:
        text = value.strip()
        ends = text.split(SEPARATOR)
        if len(ends) != 2:
            raise ValueError(f"range {text!r} is not of the form lo..hi")
    else:
        return None
    numbers: list[float] = []
    for end, what in zip(ends, ("low", "high"), strict=True):
        try:
            number = float(end.strip())
        except ValueError:
            raise ValueError(f"range {text!r}: {what} end {end.strip()!r} is not a number") \
                from None
        if not math.isfinite(number):
            raise ValueError(f"range {text!r}: {what} end {end.strip()!r} is not finite")
        numbers.append(number)
    lo, hi = numbers
    if lo > hi:
        raise ValueError(f"range {text!r}: low end {lo:g} is above high end {hi:g}")
    return lo, hi


def split_ranges(model: type[Any], data: Any) -> Any:
    """Replace each ranged cell of a raw record by its midpoint; add its ends beside it.

    ``model`` is the record's class, ``data`` the raw mapping it is validated from (anything
    else passes through). Both ends go through the field's own checks first. An error names
    the field, so the file loader can locate its column.
    """
    fields = RANGED_FIELDS.get(model.__name__, ())
    if not fields or not isinstance(data, dict):
        return data
    out: dict[str, Any] | None = None
    for name in fields:
        try:
            ends = parse_range(data.get(name))
        except ValueError as exc:
            raise ValueError(f"{name} {exc}") from None
        if ends is None:
            continue
        for value, what in zip(ends, ("low", "high"), strict=True):
            _check_end(model, name, value, what)
        out = dict(data) if out is None else out
        lo, hi = ends
        out[name] = (lo + hi) / 2
        out[f"{name}_lo"], out[f"{name}_hi"] = lo, hi
    return data if out is None else out


def _check_end(model: type[Any], name: str, value: float, what: str) -> None:
    """Run the model's own (after-mode) checks of field ``name`` on one end of a range."""
    for dec in model.__pydantic_decorators__.field_validators.values():
        if name in dec.info.fields and dec.info.mode == "after":
            try:
                getattr(model, dec.cls_var_name)(value)
            except ValueError as exc:
                raise ValueError(f"{what} end of the {name} range: {exc}") from None


def range_of(attrs: dict[str, Any], name: str) -> tuple[float, float] | None:
    """Return the ``(lo, hi)`` stored beside attribute ``name``, ``None`` when it is a point.

    Examples
    --------
    >>> range_of({"qty": 14.0, "qty_lo": 8.0, "qty_hi": 20.0}, "qty")
    (8.0, 20.0)
    >>> range_of({"qty": 14.0}, "qty") is None
    True
    """
    lo, hi = attrs.get(f"{name}_lo"), attrs.get(f"{name}_hi")
    if lo is None or hi is None:
        return None
    return float(lo), float(hi)
