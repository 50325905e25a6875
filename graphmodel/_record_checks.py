"""Checks that several record models make (private to schema and rules).

Each function returns a pydantic validator for the fields it names, so a model states the
check in one line and the message reads the same in every table. Field checks stay plain
(after-mode) field validators: :func:`oretrace.graphmodel.ranges.split_ranges` runs them on
both ends of a ranged cell.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

__all__ = ["at_least_one", "is_fraction", "not_before", "not_negative"]


def at_least_one(field: str, message: str) -> Any:
    """A field validator: the list in ``field`` is not empty (``message`` says what is
    missing)."""
    def check(value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(message)
        return value

    return field_validator(field)(check)


def is_fraction(field: str, *, zero: bool = True) -> Any:
    """A field validator: the number in ``field`` is a fraction, within 0..1 (in (0, 1]
    when ``zero`` is false), e.g. ``share 1.5 is not a fraction within 0..1``."""
    bounds = "within 0..1" if zero else "in (0, 1]"

    def check(value: float) -> float:
        low_end_ok = value >= 0.0 if zero else value > 0.0
        if not low_end_ok or value > 1.0:
            raise ValueError(f"{field} {value} is not a fraction {bounds}")
        return value

    return field_validator(field)(check)


def not_before(start: str, end: str) -> Any:
    """A model validator: the date in field ``end`` is not before the one in ``start``.

    Either may be blank (an open window). The message names both fields and dates, e.g.
    ``end 2020-01-01 is before start 2021-01-01``.
    """
    def check(record: Any) -> Any:
        first, last = getattr(record, start), getattr(record, end)
        if first and last and last < first:
            raise ValueError(f"{end} {last} is before {start} {first}")
        return record

    return model_validator(mode="after")(check)


def not_negative(field: str, what: str) -> Any:
    """A field validator: the number in ``field`` (blank allowed) is not below zero.

    ``what`` names the figure in the message, e.g. ``capacity -1.0 is negative``.
    """
    def check(value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError(f"{what} {value} is negative")
        return value

    return field_validator(field)(check)
