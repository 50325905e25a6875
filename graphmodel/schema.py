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
from typing import Annotated, Any, Literal

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
    "Rule",
    "RuleScope",
    "Source",
    "Supply",
    "Suspension",
    "Technology",
    "Trigger",
    "dataset_json_schema",
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


def _split_list(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    return value


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
            fractions[symbol.strip()] = number.strip()
        return fractions
    return value


Optional = Annotated[Any, BeforeValidator(_blank_to_none)]
IdList = Annotated[tuple[str, ...], BeforeValidator(_split_list)]
OptDate = Annotated[dt.date | None, BeforeValidator(_blank_to_none)]
OptFloat = Annotated[float | None, BeforeValidator(_blank_to_none)]
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

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    publisher: OptStr = None
    date: OptDate = None
    url: OptStr = None


class Company(_Sourced):
    """An operator or owner of facilities."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    country: Country = None
    state_owned: OptBool = None
    listed_on: IdList = ()

    _country_is_iso = field_validator("country")(_check_country)


class Ownership(_Sourced):
    """``owner`` holds ``share`` of ``owned`` between ``start`` and ``end``."""

    owner: str = Field(min_length=1)
    owned: str = Field(min_length=1)
    share: float
    start: OptDate = None
    end: OptDate = None

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

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    stage: TechStage
    origin_country: Country = None

    _country_is_iso = field_validator("origin_country")(_check_country)


class Product(_Sourced):
    """A material or part type, with its element mass fractions and unit price."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    category: Category
    elements: Annotated[dict[str, float], BeforeValidator(_parse_elements)] = Field(
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

    product: str = Field(min_length=1)
    input: str = Field(min_length=1)
    qty: float
    substitute_for: OptStr = None

    @field_validator("qty")
    @classmethod
    def quantity_is_positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"quantity {value} is not positive")
        return value


class Facility(_Sourced):
    """A site that produces something, or a market standing in for unknown links."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    company: OptStr = None
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

    supplier: str = Field(min_length=1)
    buyer: str = Field(min_length=1)
    product: str = Field(min_length=1)
    share: float
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

