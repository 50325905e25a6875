"""Reading one cell: numbers, dates, ids, lists, element fractions (private to schema).

Each kind of cell is read by one small function, used by the record models and by the
large-table reader (oretrace.loaders.fast) alike, so both read every cell the same way;
the public readers are importable from :mod:`oretrace.graphmodel.schema`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from oretrace.graphmodel.vocab import COUNTRIES
from pydantic import BeforeValidator, Field

__all__ = [
    "ELEMENTS",
    "Country",
    "Id",
    "IdList",
    "IsoDate",
    "Number",
    "OptBool",
    "OptDate",
    "OptFloat",
    "OptId",
    "OptStr",
    "blank_to_none",
    "check_country",
    "parse_date",
    "parse_elements",
    "parse_id",
    "parse_id_list",
    "parse_number",
]

ELEMENTS: frozenset[str] = frozenset(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb "
    "Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu".split()
)


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = frozenset({"nan", "inf", "infinity"})
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_number(value: Any) -> float:
    """Read one numeric cell: a finite decimal number, spaces around it allowed.

    The one place a number is read (a ``lo..hi`` range reader belongs here too).

    Examples
    --------
    >>> [parse_number(v) for v in ["0.9", ".9", " 5e-1 ", "+0.5", 2]]
    [0.9, 0.9, 0.5, 0.5, 2.0]
    >>> parse_number("1e309")
    Traceback (most recent call last):
    ...
    ValueError: '1e309' is not a finite number
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lower().lstrip("+-") in _NOT_FINITE:
            raise ValueError(f"{value!r} is not a finite number")
        if not _NUMBER_TEXT.fullmatch(text):
            raise ValueError(f"{value!r} is not a number (write it like 0.25 or 2.5e3)")
        number = float(text)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"{value!r} is not a finite number") from None
    else:
        raise ValueError(f"{value!r} is not a number")
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def parse_date(value: Any) -> dt.date:
    """Read one date cell: ISO ``YYYY-MM-DD`` and nothing else (spaces around allowed).

    Examples
    --------
    >>> parse_date("2027-01-01")
    datetime.date(2027, 1, 1)
    >>> parse_date("1798761600")
    Traceback (most recent call last):
    ...
    ValueError: '1798761600' is not a date written YYYY-MM-DD
    """
    if isinstance(value, dt.datetime):
        raise ValueError(f"{value!r} has a time of day; a date is written YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a calendar date ({exc})") from None
    raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")


def parse_id(value: Any) -> Any:
    """Check one identifier: ids are matched exactly, so no spaces around one.

    Examples
    --------
    >>> parse_id("cn-mine")
    'cn-mine'
    >>> parse_id(" cn-mine")
    Traceback (most recent call last):
    ...
    ValueError: id ' cn-mine' has spaces around it (ids are matched exactly)
    """
    if isinstance(value, str) and value != value.strip():
        raise ValueError(f"id {value!r} has spaces around it (ids are matched exactly)")
    return value


def parse_id_list(value: Any) -> tuple[str, ...]:
    """Read one list-of-ids cell (``a;b``): each id exact, none twice; empty items skipped.

    Examples
    --------
    >>> parse_id_list("ore;oxide;")
    ('ore', 'oxide')
    >>> parse_id_list("ore;ore")
    Traceback (most recent call last):
    ...
    ValueError: 'ore' is listed twice
    """
    if value is None:
        return ()
    if isinstance(value, str):
        items = [part for part in value.split(";") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"{value!r} is not a list of ids")
    seen: set[Any] = set()
    for item in items:
        parse_id(item)
        if item in seen:
            raise ValueError(f"{item!r} is listed twice")
        seen.add(item)
    return tuple(items)


def _opt_number(value: Any) -> float | None:
    value = blank_to_none(value)
    return None if value is None else parse_number(value)


def _opt_date(value: Any) -> dt.date | None:
    value = blank_to_none(value)
    return None if value is None else parse_date(value)


def _opt_id(value: Any) -> Any:
    return parse_id(blank_to_none(value))


def _parse_bool(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        if text in {"true", "yes", "1"}:
            return True
        if text in {"false", "no", "0"}:
            return False
    return value


def parse_elements(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, str):
        fractions: dict[str, Any] = {}
        for part in value.split(";"):
            if not part.strip():
                continue
            symbol, sep, number = part.partition("=")
            if not sep:
                raise ValueError(f"element fraction {part.strip()!r} is not of the form Nd=0.267")
            if symbol.strip() in fractions:
                raise ValueError(f"element {symbol.strip()!r} is listed twice")
            fractions[symbol.strip()] = number
        return fractions
    return value


Number = Annotated[float, BeforeValidator(parse_number)]
Id = Annotated[str, BeforeValidator(parse_id), Field(min_length=1)]
IdList = Annotated[tuple[str, ...], BeforeValidator(parse_id_list)]
OptId = Annotated[str | None, BeforeValidator(_opt_id)]
IsoDate = Annotated[dt.date, BeforeValidator(parse_date)]
OptDate = Annotated[dt.date | None, BeforeValidator(_opt_date)]
OptFloat = Annotated[float | None, BeforeValidator(_opt_number)]
OptStr = Annotated[str | None, BeforeValidator(blank_to_none)]
OptBool = Annotated[bool | None, BeforeValidator(_parse_bool)]


def check_country(code: str | None) -> str | None:
    if code is not None and code not in COUNTRIES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[str | None, BeforeValidator(blank_to_none)]
