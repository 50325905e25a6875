"""How the large-table reader reads each cell of its two big tables, in the plain form.

Each parser takes a cell's text and returns its value, or :data:`BAD` for any text not in
the plain form (``0.25``, ``2027-01-01``, an exact vocabulary word, no stray spaces …):
such a cell sends its row to the row's pydantic model (:mod:`oretrace.loaders._columns`),
so every error message, and every value pydantic accepts in another form, is the
row-by-row reader's. The cell readers themselves are :mod:`oretrace.graphmodel.schema`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oretrace.graphmodel.schema import parse_date, parse_id_list, parse_number
from oretrace.graphmodel.vocab import COUNTRIES, Confidence, FacilityStatus, Stage

__all__ = ["BAD", "PARSERS"]

#: What a parser returns for a cell it does not accept: the row goes to pydantic.
BAD = object()


def _cell(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` (a cell reader of :mod:`oretrace.graphmodel.schema`), with ``BAD`` for its
    errors."""
    def read(v: str) -> Any:
        try:
            return parse(v)
        except ValueError:
            return BAD
    return read


def _required(v: str) -> Any:
    """A required id or text: not blank, no space around it."""
    return v if v and v == v.strip() else BAD


def _opt_id(v: str) -> Any:
    if not v.strip():
        return None
    return v if v == v.strip() else BAD


def _opt_str(v: str) -> Any:
    if v == "":
        return None
    return v if v == v.strip() else BAD


def _country(v: str) -> Any:
    if v == "":
        return None
    return v if v in COUNTRIES else BAD


def _choice(values: frozenset[str], blank: str | None = None) -> Callable[[str], Any]:
    def parse(v: str) -> Any:
        if v == "" and blank is not None:
            return blank
        return v if v in values else BAD
    return parse


def _id_list(required: bool) -> Callable[[str], Any]:
    read = _cell(parse_id_list)

    def parse(v: str) -> Any:
        parts = read(v)
        return BAD if required and not parts else parts
    return parse


def _opt_amount(v: str) -> Any:
    """An optional non-negative number (a capacity); anything else goes to the model."""
    if not v.strip():
        return None
    x = parse_number(v)
    return x if x >= 0.0 else BAD


def _fraction(v: str) -> Any:
    x = parse_number(v)
    return x if 0.0 <= x <= 1.0 else BAD


def _opt_date(v: str) -> Any:
    return None if not v.strip() else parse_date(v)


_CONFIDENCE = _choice(frozenset(c.value for c in Confidence))

#: How each column of the big tables is read (a column not named here is an extra: raw text).
PARSERS: dict[str, dict[str, Callable[[str], Any]]] = {
    "facilities": {
        "id": _required, "name": _required, "company": _opt_id, "country": _country,
        "stage": _choice(frozenset(s.value for s in Stage)), "products": _id_list(True),
        "capacity": _cell(_opt_amount), "capacity_unit": _opt_str,
        "status": _choice(frozenset(s.value for s in FacilityStatus),
                          blank=FacilityStatus.OPERATING.value),
        "online_from": _cell(_opt_date), "online_until": _cell(_opt_date),
        "technologies": _id_list(False),
        "sources": _id_list(True), "confidence": _CONFIDENCE,
    },
    "supplies": {
        "supplier": _required, "buyer": _required, "product": _required, "share": _cell(_fraction),
        "start": _cell(_opt_date), "end": _cell(_opt_date), "sources": _id_list(True),
        "confidence": _CONFIDENCE,
    },
}
