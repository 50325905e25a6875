"""Pydantic models of every record kind: one validator per invariant, named as its sentence.

The models accept either Python values or the raw text of a CSV cell (lists separated by
``;``, element fractions as ``Nd=0.267;Dy=0.04``, empty cell = unknown), so the file loader
and a notebook user build records the same way.

Examples
--------
>>> Product.model_validate({"id": "ndfeb", "name": "NdFeB magnet", "category": "magnet",
...     "elements": "Nd=0.267;Dy=0.04", "unit": "kg", "unit_price_usd": "60",
...     "sources": "FM-Lynas", "confidence": "reported"}).elements
{'Nd': 0.267, 'Dy': 0.04}
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from oretrace.graphmodel.ranges import split_ranges
from oretrace.graphmodel.rules import Clause, Rule, RuleScope, Suspension, Trigger
from oretrace.graphmodel.vocab import (
    COUNTRIES,
    Category,
    Confidence,
    FacilityStatus,
    Stage,
    TechStage,
)
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "BomLine",
    "Clause",
    "Company",
    "Facility",
    "Ownership",
    "Product",
    "RECORD_MODELS",
    "RESERVED_COLUMNS",
    "STORAGE_NAMES",
    "Rule",
    "RuleScope",
    "Source",
    "Supply",
    "Suspension",
    "Technology",
    "Trigger",
    "column_name_problem",
    "dataset_json_schema",
    "parse_date",
    "parse_id",
    "parse_id_list",
    "parse_number",
]

ELEMENTS: frozenset[str] = frozenset(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb "
    "Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu".split()
)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


# --------------------------------------------------------------------------- cells
#
# Each kind of cell is read by one small function, used by the models below and by the
# large-table reader (oretrace.loaders.fast) alike, so both read every cell the same way.

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
    value = _blank_to_none(value)
    return None if value is None else parse_number(value)


def _opt_date(value: Any) -> dt.date | None:
    value = _blank_to_none(value)
    return None if value is None else parse_date(value)


def _opt_id(value: Any) -> Any:
    return parse_id(_blank_to_none(value))


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


def _parse_elements(value: Any) -> Any:
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
OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptBool = Annotated[bool | None, BeforeValidator(_parse_bool)]


def _check_country(code: str | None) -> str | None:
    if code is not None and code not in COUNTRIES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[str | None, BeforeValidator(_blank_to_none)]


class _Record(BaseModel):
    """Common configuration: frozen, extra columns kept as attributes."""

    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def a_ranged_cell_reads_as_its_midpoint(cls, data: Any) -> Any:
        # lo..hi cells, both ends checked (oretrace.graphmodel.ranges)
        return split_ranges(cls, data)


class _Sourced(_Record):
    """A record that cites its sources and says how sure it is."""

    sources: IdList = Field(description="ids of rows of sources.csv")
    confidence: Confidence

    @field_validator("sources")
    @classmethod
    def cites_at_least_one_source(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one source id is required")
        return value


class Source(_Record):
    """A document that figures and links are drawn from."""

    id: Id
    title: str = Field(min_length=1)
    publisher: OptStr = None
    date: OptDate = None
    url: OptStr = None


class Company(_Sourced):
    """An operator or owner of facilities."""

    id: Id
    name: str = Field(min_length=1)
    country: Country = None
    state_owned: OptBool = None
    listed_on: IdList = ()

    _country_is_iso = field_validator("country")(_check_country)


class Ownership(_Sourced):
    """``owner`` holds ``share`` of ``owned`` between ``start`` and ``end``."""

    owner: Id
    owned: Id
    share: Number
    start: OptDate = None
    end: OptDate = None

    @field_validator("owned")
    @classmethod
    def company_does_not_own_itself(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("owner"):
            raise ValueError(f"company {value!r} owns itself")
        return value

    @field_validator("share")
    @classmethod
    def share_is_a_fraction(cls, value: float) -> float:
        if not 0.0 < value <= 1.0:
            raise ValueError(f"share {value} is not a fraction in (0, 1]")
        return value

    @model_validator(mode="after")
    def end_is_not_before_start(self) -> Ownership:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Technology(_Sourced):
    """A process know-how a facility runs."""

    id: Id
    name: str = Field(min_length=1)
    stage: TechStage
    origin_country: Country = None

    _country_is_iso = field_validator("origin_country")(_check_country)


class Product(_Sourced):
    """A material or part type, with its element mass fractions and unit price."""

    id: Id
    name: str = Field(min_length=1)
    category: Category
    elements: Annotated[dict[str, Number], BeforeValidator(_parse_elements)] = Field(
        default_factory=dict
    )
    unit: Literal["kg", "each"]
    unit_price_usd: OptFloat = None
    #: platforms: who uses it (``military``, ``civil``) and where it is delivered
    end_user: Annotated[Literal["military", "civil"] | None,
                        BeforeValidator(_blank_to_none)] = None
    delivered_to: IdList = ()

    @field_validator("delivered_to")
    @classmethod
    def delivered_to_are_country_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            _check_country(code)
        return value

    @field_validator("elements")
    @classmethod
    def element_fractions_are_fractions_summing_to_at_most_one(
        cls, value: dict[str, float]
    ) -> dict[str, float]:
        for symbol, fraction in value.items():
            if symbol not in ELEMENTS:
                raise ValueError(f"{symbol!r} is not a chemical element symbol")
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"mass fraction of {symbol} is {fraction}, not within 0..1")
        total = sum(value.values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"element mass fractions add up to {total:.4g}, above 1")
        return value

    @field_validator("unit_price_usd")
    @classmethod
    def price_is_not_negative(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError(f"unit price {value} is negative")
        return value


class BomLine(_Sourced):
    """One unit of ``product`` needs ``qty`` units of ``input``.

    ``substitute_for`` marks a line as an alternative to another input of the same product
    (e.g. a Dy-lean grade for a standard grade): such lines are not required in the baseline,
    only scenarios that allow substitution use them.
    """

    product: Id
    input: Id
    qty: Number
    substitute_for: OptId = None

    @field_validator("qty")
    @classmethod
    def quantity_is_positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"quantity {value} is not positive")
        return value


class Facility(_Sourced):
    """A site that produces something, or a market standing in for unknown links."""

    id: Id
    name: str = Field(min_length=1)
    company: OptId = None
    country: Country = None
    stage: Stage
    products: IdList
    capacity: OptFloat = None
    capacity_unit: OptStr = None
    status: FacilityStatus = FacilityStatus.OPERATING
    online_from: OptDate = None
    online_until: OptDate = None
    technologies: IdList = ()

    _country_is_iso = field_validator("country")(_check_country)

    @field_validator("products")
    @classmethod
    def produces_at_least_one_product(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("a facility must list at least one product")
        return value

    @field_validator("capacity")
    @classmethod
    def capacity_is_not_negative(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError(f"capacity {value} is negative")
        return value

    @field_validator("status", mode="before")
    @classmethod
    def blank_status_means_operating(cls, value: Any) -> Any:
        return _blank_to_none(value) or FacilityStatus.OPERATING

    @model_validator(mode="after")
    def online_until_is_not_before_online_from(self) -> Facility:
        if self.online_from and self.online_until and self.online_until < self.online_from:
            raise ValueError(
                f"online_until {self.online_until} is before online_from {self.online_from}"
            )
        return self


class Supply(_Sourced):
    """``supplier`` ships ``product`` to ``buyer``, covering ``share`` of the buyer's need."""

    supplier: Id
    buyer: Id
    product: Id
    share: Number
    start: OptDate = None
    end: OptDate = None

    @field_validator("share")
    @classmethod
    def share_is_a_fraction(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"share {value} is not a fraction within 0..1")
        return value

    @model_validator(mode="after")
    def end_is_not_before_start(self) -> Supply:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @model_validator(mode="after")
    def supplier_is_not_buyer(self) -> Supply:
        if self.supplier == self.buyer:
            raise ValueError(f"facility {self.supplier!r} supplies itself")
        return self


# --------------------------------------------------------------------------- rules
# The rule records live in oretrace.graphmodel.rules (with rule time); re-exported here.

#: The CSV tables of a dataset, in load order, with the model of each row.
RECORD_MODELS: dict[str, type[_Record]] = {
    "sources": Source,
    "companies": Company,
    "ownership": Ownership,
    "technologies": Technology,
    "products": Product,
    "bom": BomLine,
    "facilities": Facility,
    "supplies": Supply,
}


#: Property names the Neo4j backend stores beside a node's or edge's attributes
#: (``oretrace.graphmodel.backends.neo4j.RESERVED`` must stay within these).
STORAGE_NAMES: frozenset[str] = frozenset(
    {"dataset", "version", "id", "_json", "_nulls", "_key", "_seq", "needed", "_need", "_in"}
)

#: Names an extra column may not have: ``kind``, the storage's own names (and any name
#: starting with ``_``, kept for storage), and every column the format defines for a node
#: or edge table (queries read attributes by these names, so an extra ``kind`` or ``share``
#: column would change what a row means).
RESERVED_COLUMNS: frozenset[str] = frozenset(
    {"kind"} | STORAGE_NAMES
    | {name for table, model in RECORD_MODELS.items() if table != "sources"
       for name in model.model_fields}
)


def column_name_problem(table: str, name: str) -> str | None:
    """Say what is wrong with a column ``name`` in ``table``'s header, if anything.

    Examples
    --------
    >>> column_name_problem("supplies", "share") is None, column_name_problem("supplies", "notes")
    (True, None)
    >>> column_name_problem("supplies", "kind")
    "extra column 'kind' is reserved (oretrace gives it a meaning); rename it"
    """
    if not name:
        return "a column has no name (a trailing comma in the header?)"
    if name in RECORD_MODELS[table].model_fields:
        return None
    if name in RESERVED_COLUMNS or name.startswith("_"):
        return f"extra column {name!r} is reserved (oretrace gives it a meaning); rename it"
    return None


def dataset_json_schema() -> dict[str, Any]:
    """Return a JSON Schema of one row of each table, and of ``rules.yaml``.

    The committed copy is ``docs/dataset.schema.json``; a test keeps it current.
    """
    tables = {name: model.model_json_schema(mode="validation")
              for name, model in RECORD_MODELS.items()}
    tables["rules.yaml"] = {
        "type": "object",
        "properties": {"rules": {"type": "array",
                                 "items": Rule.model_json_schema(mode="validation")}},
        "required": ["rules"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "oretrace dataset",
        "description": "One row of each CSV table (cells as text or typed values), and rules.yaml.",
        "type": "object",
        "properties": tables,
    }

